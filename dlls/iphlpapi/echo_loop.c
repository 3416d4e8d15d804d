/*
 * The receive thread, one per process, one loop (libuv's uv_run: I/O,
 * timers, housekeeping, then wait for whichever comes first):
 *   1. the sockets it receives on (echo_receive.c decides which: those with
 *      asynchronous requests in flight, and those nobody else has received
 *      on for a while): reads what each has queued, RECEIVE_BATCH packets
 *      at most in a row, and hands them to matching (echo_request.c);
 *   2. deadlines of asynchronous requests, whatever the sockets do;
 *   3. housekeeping: idle bound sockets closed, the records of threads that
 *      ended without detaching freed, flow control told how far the
 *      sockets are read;
 *   4. waits on engine.wake (which every posted receive also signals)
 *      until the earliest of: a deadline, a socket to take over, a receive
 *      to retry, a flow-control check, housekeeping.
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
static BOOL loop_read( struct echo_socket *sock, ULONGLONG *next )
{
    struct rx_packet pkt;
    unsigned int n;
    BOOL sync_done, gave_up;

    for (n = 0; n < RECEIVE_BATCH; n++)
    {
        switch (receive_thread_one( sock, &pkt ))
        {
        case RX_FAILED:
            *next = min( *next, receive_retry_at( sock ) );
            return FALSE;
        case RX_EMPTY:
            if (sock->rx.posted) return FALSE;   /* posted, and nothing is queued */
            continue;
        case RX_TIMEOUT:
            continue;
        case RX_PACKET:
            break;
        }
        sync_done = request_dispatch( sock, &pkt );
        EnterCriticalSection( &engine.cs );
        gave_up = receive_thread_gives_up( sock, sync_done, engine_now_ms() );
        LeaveCriticalSection( &engine.cs );
        if (gave_up) return FALSE;
    }
    return TRUE;
}

/* The sockets the thread receives on now, in *socks (grown as needed). */
static unsigned int loop_sockets( struct echo_socket ***socks, unsigned int *capacity, ULONGLONG now, ULONGLONG *next )
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
        if (receive_thread_takes( sock, now, next )) (*socks)[count++] = sock;
    }
    LeaveCriticalSection( &engine.cs );
    return count;
}

static void loop_wait( ULONGLONG next )
{
    ULONGLONG now;
    DWORD timeout;

    echo_store64( &engine.loop_wake_at, next );
    /* (a deadline registered before that store was not compared with it) */
    next = min( next, pending_next_deadline( &engine.pending ) );
    now = engine_now_ms();
    if (next > now)
    {
        timeout = next == ~(ULONGLONG)0 ? INFINITE : (DWORD)min( next - now, 0x7ffffffe );
        if (WaitForSingleObject( engine.wake, timeout ) == WAIT_FAILED)
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

    for (;;)
    {
        ULONGLONG now = engine_now_ms(), next = ~(ULONGLONG)0;
        BOOL more = FALSE;

        count = loop_sockets( &socks, &capacity, now, &next );
        for (i = 0; i < count; i++) more |= loop_read( socks[i], &next );
        next = min( next, request_expire( engine_now_ms() ) );
        socket_close_idle( now, &next );
        apc_sweep_dead( now, &next );
        now = engine_now_ms();
        receive_publish( now );
        next = min( next, flow_next_check( &engine.flow, now ) );
        if (!more) loop_wait( next );
    }
    return 0;
}
