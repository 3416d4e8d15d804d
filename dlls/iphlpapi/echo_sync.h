/*
 * The synchronisation the engine's bookkeeping uses, in one place: a mutex,
 * a condition variable with a timeout, and atomic loads and stores. In the
 * DLL they are Win32's critical section and condition variable (under Wine
 * both wait on futexes, never on wineserver); in the native builds of the
 * same sources (unit tests, ThreadSanitizer) they are pthreads. Atomics are
 * the compiler's __atomic builtins in both, so that memory shared between
 * processes (flow_budget.h) is read and written the same way by 32- and
 * 64-bit code.
 *
 * Copyright 2026 the icmp-echo authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Lesser General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * This library is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU
 * Lesser General Public License for more details.
 *
 * You should have received a copy of the GNU Lesser General Public
 * License along with this library; if not, write to the Free Software
 * Foundation, Inc., 51 Franklin St, Fifth Floor, Boston, MA 02110-1301, USA
 */

#ifndef ECHO_SYNC_H
#define ECHO_SYNC_H

#include <stdint.h>

#define ECHO_WAIT_FOREVER 0xffffffffu

#ifdef _WIN32

#include <stdarg.h>
#include "windef.h"
#include "winbase.h"

typedef CRITICAL_SECTION echo_mutex;
typedef CONDITION_VARIABLE echo_cond;

static inline void echo_mutex_init( echo_mutex *m ) { InitializeCriticalSection( m ); }
static inline void echo_mutex_destroy( echo_mutex *m ) { DeleteCriticalSection( m ); }
static inline void echo_mutex_lock( echo_mutex *m ) { EnterCriticalSection( m ); }
static inline void echo_mutex_unlock( echo_mutex *m ) { LeaveCriticalSection( m ); }
static inline void echo_cond_init( echo_cond *c ) { InitializeConditionVariable( c ); }
static inline void echo_cond_destroy( echo_cond *c ) { }
static inline void echo_cond_broadcast( echo_cond *c ) { WakeAllConditionVariable( c ); }
static inline void echo_cond_signal( echo_cond *c ) { WakeConditionVariable( c ); }
/* waits until woken or ms pass (ECHO_WAIT_FOREVER: no limit) */
static inline void echo_cond_wait( echo_cond *c, echo_mutex *m, uint32_t ms )
{
    SleepConditionVariableCS( c, m, ms == ECHO_WAIT_FOREVER ? INFINITE : ms );
}

#else

#include <errno.h>
#include <pthread.h>
#include <time.h>

typedef pthread_mutex_t echo_mutex;
typedef pthread_cond_t echo_cond;

static inline void echo_mutex_init( echo_mutex *m ) { pthread_mutex_init( m, NULL ); }
static inline void echo_mutex_destroy( echo_mutex *m ) { pthread_mutex_destroy( m ); }
static inline void echo_mutex_lock( echo_mutex *m ) { pthread_mutex_lock( m ); }
static inline void echo_mutex_unlock( echo_mutex *m ) { pthread_mutex_unlock( m ); }
static inline void echo_cond_init( echo_cond *c )
{
    pthread_condattr_t attr;
    pthread_condattr_init( &attr );
    pthread_condattr_setclock( &attr, CLOCK_MONOTONIC );
    pthread_cond_init( c, &attr );
    pthread_condattr_destroy( &attr );
}
static inline void echo_cond_destroy( echo_cond *c ) { pthread_cond_destroy( c ); }
static inline void echo_cond_broadcast( echo_cond *c ) { pthread_cond_broadcast( c ); }
static inline void echo_cond_signal( echo_cond *c ) { pthread_cond_signal( c ); }
static inline void echo_cond_wait( echo_cond *c, echo_mutex *m, uint32_t ms )
{
    struct timespec until;

    if (ms == ECHO_WAIT_FOREVER)
    {
        pthread_cond_wait( c, m );
        return;
    }
    clock_gettime( CLOCK_MONOTONIC, &until );
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) { until.tv_sec++; until.tv_nsec -= 1000000000; }
    pthread_cond_timedwait( c, m, &until );
}

#endif

#define echo_load32( p )       __atomic_load_n( (p), __ATOMIC_ACQUIRE )
#define echo_store32( p, v )   __atomic_store_n( (p), (v), __ATOMIC_RELEASE )
#define echo_load64( p )       __atomic_load_n( (p), __ATOMIC_ACQUIRE )
#define echo_store64( p, v )   __atomic_store_n( (p), (v), __ATOMIC_RELEASE )
#define echo_add32( p, v )     __atomic_add_fetch( (p), (v), __ATOMIC_ACQ_REL )
/* stores v into *p if it holds expected; nonzero if it did */
#define echo_cas32( p, expected, v ) \
    ({ int32_t e_ = (expected); __atomic_compare_exchange_n( (p), &e_, (v), 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE ); })
#define echo_cas64( p, expected, v ) \
    ({ int64_t e_ = (expected); __atomic_compare_exchange_n( (p), &e_, (v), 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE ); })

#endif /* ECHO_SYNC_H */
