/*
 * APC completions: the caller's ApcRoutine runs in the thread that made
 * the request, at its next alertable wait, with an IO_STATUS_BLOCK in our
 * memory. Each thread that asks for APCs gets one struct thread_ref (a
 * duplicated handle, kept in TLS until the thread detaches).
 *
 * A completed request goes on its thread's list, and one APC of ours is
 * queued to the thread while the list is not empty: when it runs, it calls
 * the caller's routine for every request on the list, in completion order.
 * Windows runs every queued APC in the same alertable wait, so callers see
 * the same; but a burst of completions costs one NtQueueApcThread (a
 * wineserver round trip) instead of one each. Our APC finds the list
 * through the thread's own TLS slot, so it never touches memory that may
 * be gone: a thread that exits before an alertable wait never runs it, and
 * its requests are freed when it detaches; one completing after that is
 * freed at once.
 *
 * Owns struct thread_ref and each request on a list (under engine.apc_cs);
 * must not touch the pending table, timers or sockets.
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

void thread_ref_release( struct thread_ref *ref )
{
    if (InterlockedDecrement( &ref->refs )) return;
    CloseHandle( ref->handle );
    HeapFree( GetProcessHeap(), 0, ref );
}

/* A reference to the current thread (engine started: its TLS slot exists). */
struct thread_ref *thread_ref_current( void )
{
    struct thread_ref *ref = TlsGetValue( engine.thread_tls );

    if (!ref)
    {
        if (!(ref = HeapAlloc( GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof(*ref) ))) return NULL;
        if (!DuplicateHandle( GetCurrentProcess(), GetCurrentThread(), GetCurrentProcess(),
                              &ref->handle, 0, FALSE, DUPLICATE_SAME_ACCESS ))
        {
            HeapFree( GetProcessHeap(), 0, ref );
            return NULL;
        }
        ref->refs = 1;  /* the TLS slot's */
        list_init( &ref->done );
        TlsSetValue( engine.thread_tls, ref );
    }
    InterlockedIncrement( &ref->refs );
    return ref;
}

/* Takes every request off the thread's list (engine.apc_cs held). */
static void take_done( struct thread_ref *ref, LIST_ENTRY *taken )
{
    list_init( taken );
    if (list_empty( &ref->done )) return;
    taken->Flink = ref->done.Flink;
    taken->Blink = ref->done.Blink;
    taken->Flink->Blink = taken->Blink->Flink = taken;
    list_init( &ref->done );
}

/* Frees, or hands to their APC routines (run = TRUE), the taken requests. */
static void finish_taken( LIST_ENTRY *taken, BOOL run )
{
    struct echo_request *req;
    struct thread_ref *thread;

    while (!list_empty( taken ))
    {
        req = CONTAINING_RECORD( taken->Flink, struct echo_request, apc_entry );
        list_remove( &req->apc_entry );
        if (run)
        {
            TRACE( "calling APC %p(%p, %p)\n", req->apc, req->apc_context, &req->iosb );
            req->apc( req->apc_context, &req->iosb, 0 );
        }
        thread = req->thread;
        request_release( req );
        thread_ref_release( thread );
    }
}

/* Our APC, in the requesting thread: every completed request's routine. */
static void WINAPI apc_trampoline( ULONG_PTR unused0, ULONG_PTR unused1, ULONG_PTR unused2 )
{
    struct thread_ref *ref = TlsGetValue( engine.thread_tls );
    LIST_ENTRY taken;

    if (!ref) return;   /* ran after the thread detached: nothing is left */
    EnterCriticalSection( &engine.apc_cs );
    take_done( ref, &taken );
    ref->apc_queued = FALSE;   /* what completes while the routines run needs a new APC */
    LeaveCriticalSection( &engine.apc_cs );
    finish_taken( &taken, TRUE );
}

/* Puts a completed request on its thread's list, queuing our APC if none
 * is queued; or frees it when the thread is gone. */
void apc_queue( struct echo_request *req )
{
    struct thread_ref *thread = req->thread;
    BOOL queue = FALSE, drop;
    LIST_ENTRY taken;
    NTSTATUS status;

    req->iosb.Status = req->iosb_status;
    req->iosb.Information = req->written;
    EnterCriticalSection( &engine.apc_cs );
    if (!(drop = thread->exiting))
    {
        list_add_tail( &thread->done, &req->apc_entry );
        if (!thread->apc_queued) queue = thread->apc_queued = TRUE;
    }
    LeaveCriticalSection( &engine.apc_cs );
    if (drop)
    {
        TRACE( "seq %u: the requesting thread has exited, APC dropped\n", req->key.seq );
        list_init( &taken );
        list_add_tail( &taken, &req->apc_entry );
        finish_taken( &taken, FALSE );
        return;
    }
    if (!queue || !(status = NtQueueApcThread( thread->handle, apc_trampoline, 0, 0, 0 ))) return;

    /* the thread is gone without detaching (terminated): nothing will run */
    TRACE( "the requesting thread is gone (%#lx), APCs dropped\n", status );
    EnterCriticalSection( &engine.apc_cs );
    take_done( thread, &taken );
    thread->apc_queued = FALSE;
    thread->exiting = TRUE;
    LeaveCriticalSection( &engine.apc_cs );
    finish_taken( &taken, FALSE );
}

/* DLL_THREAD_DETACH: this thread runs none of its completed requests' APCs. */
void apc_thread_detach( void )
{
    struct thread_ref *ref;
    LIST_ENTRY taken;

    if (engine.thread_tls == TLS_OUT_OF_INDEXES || !(ref = TlsGetValue( engine.thread_tls ))) return;
    TlsSetValue( engine.thread_tls, NULL );
    EnterCriticalSection( &engine.apc_cs );
    ref->exiting = TRUE;
    take_done( ref, &taken );
    LeaveCriticalSection( &engine.apc_cs );
    finish_taken( &taken, FALSE );
    thread_ref_release( ref );
}
