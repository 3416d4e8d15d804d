/*
 * APC delivery (the bookkeeping is apc_list.c): each thread that issues
 * APC requests gets a record (its TLS slot holds one reference, each of
 * its requests another) with a duplicate of its thread handle. A completed
 * request is listed on its thread's record; the first of a burst queues
 * our APC with NtQueueApcThread, holding a reference across the call so
 * that the thread exiting meanwhile cannot free the handle being used. In
 * the thread, our APC runs the routines one at a time; a routine that ends
 * its thread leaves the rest (and itself) to DLL_THREAD_DETACH, which
 * discards them. A thread that is gone without detaching (TerminateThread)
 * is found by the receive thread's sweep (its APC queued but not run for
 * APC_SWEEP_MS, or, rarely, any record) and its record discarded with its
 * TLS reference; an APC request issued after the thread's own detach gets
 * a record outside TLS that the same paths free.
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

#include "echo_private.h"
#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(icmp);

#define APC_SWEEP_MS   1000
#define APC_SWEEP_MAX  256     /* records looked at per pass; a full pass looks again soon */

/* the TLS value of a thread that has detached */
#define TLS_DETACHED ((void *)1)

BOOL apc_start( void )
{
    if (engine.thread_tls == TLS_OUT_OF_INDEXES && (engine.thread_tls = TlsAlloc()) == TLS_OUT_OF_INDEXES)
        return FALSE;
    return TRUE;
}

static struct apc_thread *thread_new( BOOL tls )
{
    struct apc_thread *t = HeapAlloc( GetProcessHeap(), 0, sizeof(*t) );
    HANDLE handle;

    if (!t) return NULL;
    if (!DuplicateHandle( GetCurrentProcess(), GetCurrentThread(), GetCurrentProcess(), &handle, 0, FALSE,
                          DUPLICATE_SAME_ACCESS ))
    {
        HeapFree( GetProcessHeap(), 0, t );
        return NULL;
    }
    apc_thread_init( &engine.apc, t, handle, tls );
    return t;
}

static void thread_free( struct apc_thread *t )
{
    CloseHandle( t->handle );
    HeapFree( GetProcessHeap(), 0, t );
}

void apc_thread_release( struct apc_thread *t )
{
    if (apc_thread_unref( &engine.apc, t )) thread_free( t );
}

/* Whether the current thread has had our DLL_THREAD_DETACH (it is ending;
 * ws2_32's, which comes after ours, may have run too). */
BOOL apc_thread_detached( void )
{
    return engine.thread_tls != TLS_OUT_OF_INDEXES && TlsGetValue( engine.thread_tls ) == TLS_DETACHED;
}

/* A reference to the current thread's record (engine started). */
struct apc_thread *apc_thread_current( void )
{
    struct apc_thread *t = TlsGetValue( engine.thread_tls );

    if (t == TLS_DETACHED) return thread_new( FALSE );   /* (after its detach: not kept in TLS) */
    if (!t)
    {
        if (!(t = thread_new( TRUE ))) return NULL;
        TlsSetValue( engine.thread_tls, t );
    }
    apc_thread_ref( &engine.apc, t );
    return t;
}

static void drop_all( struct echo_list *drop )
{
    struct echo_list *elem;

    while ((elem = echo_list_head( drop )))
    {
        struct echo_apc *apc = ECHO_LIST_ENTRY( elem, struct echo_apc, entry.link );
        echo_list_remove( elem );
        TRACE( "APC %p(%p) dropped: its thread is gone\n", apc->routine, apc->context );
        apc->release( apc );
    }
}

/* Our APC, in the requesting thread: the routines of its completed requests. */
static void WINAPI apc_trampoline( ULONG_PTR unused0, ULONG_PTR unused1, ULONG_PTR unused2 )
{
    struct apc_thread *t = TlsGetValue( engine.thread_tls );
    struct apc_entry *e;

    if (!t || t == TLS_DETACHED) return;   /* (the TLS reference keeps t while this runs) */
    while ((e = apc_next( &engine.apc, t )))
    {
        struct echo_apc *apc = CONTAINING_RECORD( e, struct echo_apc, entry );

        TRACE( "calling APC %p(%p, %p)\n", apc->routine, apc->context, &apc->iosb );
        apc->routine( apc->context, &apc->iosb, 0 );
        apc_ran( &engine.apc, t );
        apc->release( apc );
    }
}

/* Hands a completed request's APC to its thread. */
void apc_deliver( struct apc_thread *t, struct echo_apc *apc )
{
    struct echo_list drop;
    NTSTATUS status;

    switch (apc_push( &engine.apc, t, &apc->entry, engine_now_ms() ))
    {
    case APC_PUSH_LISTED:
        return;
    case APC_PUSH_DROP:
        TRACE( "APC %p(%p) dropped: its thread has exited\n", apc->routine, apc->context );
        apc->release( apc );
        return;
    case APC_PUSH_QUEUE:
        if (engine.apc_delay_ms) Sleep( engine.apc_delay_ms );   /* test hook */
        /* (push took a reference: t->handle stays open whatever the thread does) */
        status = NtQueueApcThread( t->handle, apc_trampoline, 0, 0, 0 );
        if (status) TRACE( "the requesting thread is gone (%#lx), APCs dropped\n", status );
        echo_list_init( &drop );
        /* (the APC may have run and the thread detached already: then this was the last reference) */
        if (apc_queued( &engine.apc, t, !status, &drop )) thread_free( t );
        drop_all( &drop );
        return;
    }
}

/* DLL_THREAD_DETACH: this thread runs none of its completed requests' APCs. */
void apc_thread_detach( void )
{
    struct apc_thread *t;
    struct echo_list drop;

    if (engine.thread_tls == TLS_OUT_OF_INDEXES) return;
    t = TlsGetValue( engine.thread_tls );
    TlsSetValue( engine.thread_tls, TLS_DETACHED );
    if (!t || t == TLS_DETACHED) return;
    echo_list_init( &drop );
    if (apc_thread_gone( &engine.apc, t, &drop )) apc_thread_release( t );
    drop_all( &drop );
}

/* The receive thread: records whose thread may be gone without detaching. */
void apc_sweep_dead( ULONGLONG now, ULONGLONG *next )
{
    static struct apc_thread *found[APC_SWEEP_MAX];   /* (the receive thread's alone) */
    uint64_t due;
    unsigned int i, n = apc_sweep( &engine.apc, now, APC_SWEEP_MS, found, APC_SWEEP_MAX, &due );

    for (i = 0; i < n; i++)
    {
        struct echo_list drop;

        echo_list_init( &drop );
        if (WaitForSingleObject( found[i]->handle, 0 ) == WAIT_OBJECT_0)
        {
            TRACE( "thread record %p: the thread ended without detaching\n", found[i] );
            if (apc_thread_gone( &engine.apc, found[i], &drop )) apc_thread_release( found[i] );
            drop_all( &drop );
        }
        apc_thread_release( found[i] );
    }
    *next = min( *next, due );
}
