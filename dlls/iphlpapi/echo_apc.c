/*
 * APC delivery (the bookkeeping is apc_list.c): a completed APC request is
 * listed on its thread's record (echo_thread.c); the first of a burst
 * queues our APC with NtQueueApcThread, holding a reference across the
 * call so that the thread exiting meanwhile cannot free the handle being
 * used. In the thread, our APC runs the routines one at a time; while one
 * runs, a new completion queues another APC, which runs nested if the
 * routine waits alertably (as each completion's own APC would on Windows).
 * A routine that ends its thread leaves the rest (and itself) to the
 * thread's end (apc_thread_ended, from echo_thread.c's handler), which
 * discards them.
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
    struct echo_thread *t = thread_current_if_any();
    struct apc_entry *e;

    /* (the TLS reference keeps t while this runs) */
    if (!t || !apc_begin( &engine.apc, &t->apc )) return;
    while ((e = apc_next( &engine.apc, &t->apc )))
    {
        struct echo_apc *apc = CONTAINING_RECORD( e, struct echo_apc, entry );

        TRACE( "calling APC %p(%p, %p)\n", apc->routine, apc->context, &apc->iosb );
        apc->routine( apc->context, &apc->iosb, 0 );
        apc_ran( &engine.apc, &t->apc, e );
        apc->release( apc );
    }
}

/* Hands a completed request's APC to its thread. */
void apc_deliver( struct echo_thread *t, struct echo_apc *apc )
{
    struct echo_list drop;
    NTSTATUS status;

    switch (apc_push( &engine.apc, &t->apc, &apc->entry, engine_now_ms() ))
    {
    case APC_PUSH_LISTED:
        return;
    case APC_PUSH_DROP:
        TRACE( "APC %p(%p) dropped: its thread has exited\n", apc->routine, apc->context );
        apc->release( apc );
        return;
    case APC_PUSH_QUEUE:
        engine_jitter( JITTER_APC );
        /* (push took a reference: the handle stays open whatever the thread does) */
        status = NtQueueApcThread( t->apc.handle, apc_trampoline, 0, 0, 0 );
        if (status) TRACE( "the requesting thread is gone (%#lx), APCs dropped\n", status );
        echo_list_init( &drop );
        /* (the APC may have run and the thread ended already: then this was the last reference) */
        if (apc_queued( &engine.apc, &t->apc, !status, &drop )) thread_free_record( t );
        drop_all( &drop );
        return;
    }
}

/* The thread ended (or is ending: its detach): none of its completed
 * requests' APCs runs; the TLS slot's reference is let go. */
void apc_thread_ended( struct echo_thread *t )
{
    struct echo_list drop;

    echo_list_init( &drop );
    if (apc_thread_gone( &engine.apc, &t->apc, &drop )) thread_release( t );
    drop_all( &drop );
}
