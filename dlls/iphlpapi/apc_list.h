/*
 * APC completions' bookkeeping: for each thread that issued APC requests,
 * the completed ones whose routines have not run, whether our APC is
 * queued to it, and what becomes of them when the thread ends. The Win32
 * side (echo_apc.c) asks this module what to do and does it: queue our APC
 * (APC_PUSH_QUEUE), run the routines one at a time in the thread
 * (apc_begin / apc_next / apc_ran), or discard them (a thread that exited,
 * was terminated, or to which no APC can be queued).
 *
 * One APC of ours serves a burst: a completion listed while our APC is
 * queued and has not started, or while it runs between two routines, is
 * run by it. But while a routine runs, a completion gets an APC of its own:
 * the routine may wait alertably (SleepEx), and on Windows each completion
 * is its own APC, run in that nested wait; our APC then runs nested in the
 * routine (active counts the levels; running holds each level's entry).
 *
 * Ownership: an entry pushed here belongs to its thread's list until
 * apc_next hands it to the running routine or a drop list takes it; the
 * running entry stays known (apc_thread.running), so that a routine that
 * ends its thread loses nothing: the thread's detach (or, if it was
 * terminated, the sweep that finds it dead) discards it and the rest.
 * A thread record is referenced by its TLS slot (tls_owned), by each
 * request that will complete to it and across every queuing of our APC,
 * so it outlives any of them; the last apc_thread_unref says to free it.
 *
 * Pure C with its own lock (echo_sync.h).
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

#ifndef APC_LIST_H
#define APC_LIST_H

#include <stdint.h>

#include "echo_list.h"
#include "echo_sync.h"

struct apc_entry
{
    struct echo_list link;
};

struct apc_thread
{
    int32_t refs;
    struct echo_list done;          /* completed entries whose routine has not run */
    struct echo_list running;       /* the entries whose routines run now, innermost last */
    struct echo_list link;          /* in the registry */
    uint64_t queued_at;             /* when our APC was queued (queued set) */
    uint64_t checked_at;            /* when the sweep last asked whether it lives */
    uint32_t active;                /* our APCs running in the thread (nested ones count) */
    uint8_t queued;                 /* our APC is queued and has not started */
    uint8_t exiting;                /* detached or dead: nothing will run there */
    uint8_t tls_owned;              /* its TLS slot holds a reference */
    uint8_t watched;                /* its end is reported (echo_thread.c): the sweep leaves it alone */
    int32_t calls;                  /* synchronous calls in progress (atomic: the Win32 side counts them) */
    void *handle;                   /* the Win32 side's thread handle */
};

struct apc_registry
{
    echo_mutex lock;
    struct echo_list threads;
    unsigned int count;
};

enum apc_push
{
    APC_PUSH_LISTED,                /* on the list: our queued APC will run it */
    APC_PUSH_QUEUE,                 /* on the list: queue our APC, then apc_queued() */
    APC_PUSH_DROP,                  /* the thread is gone: discard the entry */
};

void apc_registry_init( struct apc_registry *reg );
void apc_registry_destroy( struct apc_registry *reg );
/* A new record with one reference, the TLS slot's when tls is set. */
void apc_thread_init( struct apc_registry *reg, struct apc_thread *t, void *handle, int tls );
void apc_thread_ref( struct apc_registry *reg, struct apc_thread *t );
/* Drops a reference; nonzero when it was the last: free the record. */
int apc_thread_unref( struct apc_registry *reg, struct apc_thread *t );
/* A completed entry for t. APC_PUSH_QUEUE adds a reference that
 * apc_queued() takes back, so the handle lives across the queuing. */
enum apc_push apc_push( struct apc_registry *reg, struct apc_thread *t, struct apc_entry *e, uint64_t now );
/* After queuing: if it failed, the thread is taken as gone and its listed
 * entries go to drop (not a running one: its routine may still return,
 * the thread not quite gone; the thread's end drops it). Drops push's
 * reference; nonzero: free the record. */
int apc_queued( struct apc_registry *reg, struct apc_thread *t, int ok, struct echo_list *drop );
/* In the thread, our APC starts: zero if nothing may run there. */
int apc_begin( struct apc_registry *reg, struct apc_thread *t );
/* In the thread, from our APC: the next entry to run (now running), or
 * NULL when there is none: our APC ends (the next push queues a new one). */
struct apc_entry *apc_next( struct apc_registry *reg, struct apc_thread *t );
/* Its routine returned. */
void apc_ran( struct apc_registry *reg, struct apc_thread *t, struct apc_entry *e );
/* The thread is ending (detach) or was found dead: nothing runs there any
 * more; its entries (and the running one) go to drop. Nonzero if the TLS
 * slot's reference is to be dropped now. */
int apc_thread_gone( struct apc_registry *reg, struct apc_thread *t, struct echo_list *drop );
/* Up to max unwatched records worth asking whether their thread still
 * lives: our APC queued for min_age_ms without running, a synchronous call
 * in progress (every min_age_ms), or (every min_age_ms * 8) any record its
 * TLS slot still holds; none twice within min_age_ms. Each gets a
 * reference. *next: when the next one is due (UINT64_MAX: none). */
unsigned int apc_sweep( struct apc_registry *reg, uint64_t now, uint64_t min_age_ms, struct apc_thread **out,
                        unsigned int max, uint64_t *next );

#endif /* APC_LIST_H */
