/*
 * The receive thread, one per process, one loop (libuv's uv_run: I/O,
 * timers, housekeeping, then wait for whichever comes first):
 *   1. the sockets it receives on (rx_thread_takes decides which: those
 *      with asynchronous requests in flight or follow-only callers, those
 *      it is asked to take, and those nobody else has received on for a
 *      while), and the completions other threads handed it: reads what
 *      each socket has queued, RECEIVE_BATCH packets at most in a row, and
 *      hands them to matching (echo_request.c), giving the socket up to its
 *      synchronous callers when they receive more cheaply themselves;
 *   2. deadlines of asynchronous requests, whatever the sockets do;
 *   3. delivery of the completed asynchronous requests (events, APCs),
 *      and the requests queued for room in the flow budget sent;
 *   4. housekeeping: idle bound sockets closed, records of threads that
 *      ended unwatched reaped, flow control told how far the sockets are
 *      read (and the owners of other processes' slots looked for), whether
 *      a CPU is to spare sampled;
 *   5. waits on engine.wake (what other threads give it) and
 *      engine.rx_event (what its posted receives signal) until the earliest
 *      of: a deadline, a socket to take over, a receive to retry, a
 *      flow-control check, housekeeping.
 * Posting a receive resets its event, which may erase the completion of a
 * receive posted earlier on another socket: before it waits, it looks at
 * every receive it posted (whose status the completion writes before it
 * signals) and goes round again if one completed.
 * Before it waits it publishes when it will wake (engine.loop_wake_at), so
 * that a sender with an earlier deadline wakes it; awake, it publishes 0.
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

#define RECEIVE_BATCH   64       /* packets read from one socket before the deadlines' turn */

/* Reads what the socket has, leaving a receive posted (or the socket to a
 * synchronous caller); TRUE if it may have more. */
static BOOL loop_read( struct echo_socket *sock, ULONGLONG *next, struct echo_list *deliver )
{
    struct rx_packet pkt;
    unsigned int n;
    BOOL sync_done, gave_up;

    for (n = 0; n < RECEIVE_BATCH; n++)
    {
        struct rx_wake wake = { 0 };
        struct echo_after after;

        switch (receive_thread_one( sock, &pkt ))
        {
        case RX_FAILED:
            *next = min( *next, sock->rx.h.retry_at );
            return FALSE;
        case RX_EMPTY:
        case RX_TIMEOUT:
            if (sock->rx.posted) return FALSE;   /* posted, and nothing is queued */
            continue;
        case RX_PACKET:
            break;
        }
        request_after_init( &after );
        EnterCriticalSection( &engine.cs );
        sync_done = request_dispatch_locked( sock, &pkt, deliver, &after );
        gave_up = rx_thread_gives_up( &sock->rx.h, sync_done, engine_regime_spare(), engine_now_ms(), &wake );
        request_wake_locked( &wake );
        LeaveCriticalSection( &engine.cs );
        request_after( &after );
        if (gave_up) return FALSE;
    }
    return TRUE;
}

/* The sockets the thread receives on now, in *socks (grown as needed),
 * and the completions other threads handed it. */
static unsigned int loop_sockets( struct echo_socket ***socks, unsigned int *capacity, ULONGLONG now, ULONGLONG *next,
                                  struct echo_list *deliver )
{
    struct echo_list *elem;
    unsigned int count = 0;

    EnterCriticalSection( &engine.cs );
    while (engine.socket_count > *capacity)
    {
        unsigned int want = engine.socket_count * 2;
        struct echo_socket **grown;

        LeaveCriticalSection( &engine.cs );
        grown = *socks ? HeapReAlloc( GetProcessHeap(), 0, *socks, want * sizeof(**socks) )
                       : HeapAlloc( GetProcessHeap(), 0, want * sizeof(**socks) );
        EnterCriticalSection( &engine.cs );
        if (!grown) break;   /* (it serves the first ones, and tries again next time) */
        *socks = grown;
        *capacity = want;
    }
    for (elem = engine.sockets.next; elem != &engine.sockets && count < *capacity; elem = elem->next)
    {
        struct echo_socket *sock = ECHO_LIST_ENTRY( elem, struct echo_socket, entry );
        if (rx_thread_takes( &sock->rx.h, now, engine.rx_grace_ms, next )) (*socks)[count++] = sock;
    }
    echo_list_move_tail( deliver, &engine.deliver );
    LeaveCriticalSection( &engine.cs );
    return count;
}

static void loop_wait( ULONGLONG next )
{
    HANDLE events[2] = { engine.wake, engine.rx_event };
    ULONGLONG now;
    DWORD timeout;

    echo_store64( &engine.loop_wake_at, next );
    /* (a deadline registered before that store was not compared with it) */
    next = min( next, pending_next_deadline( &engine.pending ) );
    now = engine_now_ms();
    if (next > now)
    {
        timeout = next == ~(ULONGLONG)0 ? INFINITE : (DWORD)min( next - now, 0x7ffffffe );
        if (WaitForMultipleObjects( 2, events, FALSE, timeout ) == WAIT_FAILED)
        {
            ERR( "wait failed: %lu\n", GetLastError() );
            Sleep( 1 );
        }
    }
    echo_store64( &engine.loop_wake_at, 0 );
}

DWORD CALLBACK loop_thread( void *arg )
{
    struct echo_socket **socks = NULL;
    unsigned int capacity = 0, count, i;
    struct echo_list deliver;

    SetEvent( engine.loop_started );   /* (its starter waits for this: echo_main.c) */
    echo_list_init( &deliver );
    for (;;)
    {
        ULONGLONG now = engine_now_ms(), next = ~(ULONGLONG)0;
        BOOL more = FALSE;

        count = loop_sockets( &socks, &capacity, now, &next, &deliver );
        for (i = 0; i < count; i++)
        {
            engine_jitter( JITTER_LOOP );
            more |= loop_read( socks[i], &next, &deliver );
        }
        /* (a later post reset the event an earlier receive's completion set) */
        for (i = 0; i < count && !more; i++)
            if (socks[i]->rx.posted && HasOverlappedIoCompleted( &socks[i]->rx.ov )) more = TRUE;
        next = min( next, request_expire( engine_now_ms(), &deliver ) );
        request_deliver_all( &deliver );
        next = min( next, request_send_deferred( engine_now_ms() ) );
        socket_close_idle( now, &next );
        thread_sweep_dead( now, &next );
        now = engine_now_ms();
        receive_publish( now );
        flow_look( now );
        engine_sample_regime( now, &next );
        next = min( next, flow_next_check( &engine.flow, now ) );
        if (!more) loop_wait( next );
    }
    return 0;
}
