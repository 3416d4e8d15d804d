/*
 * The receive thread, one per process: keeps an overlapped receive posted
 * on every socket, waits on them and on the earliest deadline of the timer
 * heap, matches what arrives against the pending table by sequence number
 * (through the socket's ops), and completes requests; expires the
 * asynchronous requests whose deadline passed. Whatever a socket does, the
 * timers keep being expired: a socket reads at most RECEIVE_BATCH packets
 * in a row, and one whose receives fail is left alone for a while that
 * doubles with each failure (10 ms to 1 s). It tells the flow control
 * (echo_flow.c) when it waits with every socket read empty, and how long
 * the answers' round trips were.
 *
 * Owns the receive side of struct echo_socket; must not send, nor touch a
 * socket's option state.
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

#include <string.h>

#include "echo_private.h"
#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(icmp);

#define RECEIVE_BATCH    64      /* packets read from one socket before the timers' turn */
#define RETRY_FIRST_MS   10
#define RETRY_LAST_MS    1000

static void dispatch_packet( struct echo_socket *sock, const BYTE *pkt, DWORD len, const LARGE_INTEGER *when )
{
    const struct socket_ops *ops = sock->ops;
    struct echo_request *req;
    struct icmp_packet p;
    struct icmp_result res;
    DWORD rtt;

    if (ops->family->parse( sock, pkt, len, &p ) == ICMP_KIND_IGNORE) return;

    EnterCriticalSection( &engine.cs );
    req = engine.pending[p.seq];
    if (!req || !icmp_match( &p, &req->key, ops->echo_check ))
    {
        LeaveCriticalSection( &engine.cs );
        TRACE( "ignoring a packet for seq %u (%s)\n", p.seq, ops->name );
        return;
    }
    request_unregister( req );
    rtt = (DWORD)engine_qpc_to_ms( when->QuadPart - req->sent.QuadPart );
    flow_round_trip( rtt );
    LeaveCriticalSection( &engine.cs );

    icmp_result_from_packet( &p, rtt, &res );
    if (sock->from.si_family == AF_INET6) res.scope_id = sock->from.Ipv6.sin6_scope_id;
    completion_finish( req, &res );
}

/* A receive failed: leave the socket alone for a while, longer each time. */
static void receive_failed( struct echo_socket *sock, int err )
{
    sock->retry_delay = sock->retry_delay ? min( 2 * sock->retry_delay, RETRY_LAST_MS ) : RETRY_FIRST_MS;
    sock->retry_at = engine_now_ms() + sock->retry_delay;
    if (sock->retry_delay == RETRY_FIRST_MS) WARN( "receive failed: %d, trying again in %lu ms\n", err, sock->retry_delay );
    else TRACE( "receive failed: %d, trying again in %lu ms\n", err, sock->retry_delay );
}

/* Posts an overlapped receive; sock->posted tells whether it is. */
static void post_receive( struct echo_socket *sock )
{
    WSABUF buf;
    DWORD got;
    int err;

    buf.buf = (char *)sock->rx;
    buf.len = ECHO_RX_BUFFER;
    sock->rx_flags = 0;
    sock->from_len = sizeof(sock->from);
    sock->ov.Internal = STATUS_PENDING;
    sock->ov.InternalHigh = sock->ov.Offset = sock->ov.OffsetHigh = 0;
    if (engine.fail_receives) err = WSAENETDOWN;   /* test hook */
    else if (!WSARecvFrom( sock->s, &buf, 1, &got, &sock->rx_flags, (struct sockaddr *)&sock->from,
                           &sock->from_len, &sock->ov, NULL ))
        err = 0;
    else err = WSAGetLastError();
    /* done at once (a packet was queued), or pending */
    if (!err || err == WSA_IO_PENDING) sock->posted = TRUE;
    /* a truncated datagram is consumed: post again; anything else would repeat */
    else if (err != WSAEMSGSIZE) receive_failed( sock, err );
}

/* Handles a posted receive if it has completed; TRUE if it had. */
static BOOL receive_ready( struct echo_socket *sock )
{
    LARGE_INTEGER when;
    DWORD got, flags;

    if (!sock->posted || !HasOverlappedIoCompleted( &sock->ov )) return FALSE;
    QueryPerformanceCounter( &when );
    if (!WSAGetOverlappedResult( sock->s, &sock->ov, &got, FALSE, &flags ))
    {
        if (WSAGetLastError() == WSA_IO_INCOMPLETE) return FALSE;
        got = 0;
    }
    sock->posted = FALSE;
    sock->retry_delay = 0;
    if (got) dispatch_packet( sock, sock->rx, got, &when );
    return TRUE;
}

/* Reads what the socket has, RECEIVE_BATCH packets at most, and leaves a
 * receive posted; TRUE if it may have more (or failed and waits to retry). */
static BOOL receive_from( struct echo_socket *sock, ULONGLONG now )
{
    unsigned int n;

    if (sock->retry_at)
    {
        if (now < sock->retry_at) return FALSE;
        sock->retry_at = 0;
    }
    for (n = 0; n < RECEIVE_BATCH; n++)
    {
        if (!sock->posted) post_receive( sock );
        if (sock->retry_at) return FALSE;
        if (!receive_ready( sock )) return FALSE;   /* posted and pending: empty */
    }
    return TRUE;
}

static void expire_timers( void )
{
    struct echo_request *expired = NULL, *req;
    struct timer_node *node;
    ULONGLONG now = engine_now_ms();

    EnterCriticalSection( &engine.cs );
    while ((node = timer_heap_pop_expired( &engine.timers, now )))
    {
        req = CONTAINING_RECORD( node, struct echo_request, timer );
        request_unregister( req );
        /* chain through the (now unused) deadline field */
        req->timer.deadline = (ULONG_PTR)expired;
        expired = req;
    }
    node = timer_heap_min( &engine.timers );
    engine.wake_at = node ? node->deadline : ~(ULONGLONG)0;
    LeaveCriticalSection( &engine.cs );

    while ((req = expired))
    {
        expired = (struct echo_request *)(ULONG_PTR)req->timer.deadline;
        TRACE( "seq %u timed out\n", req->key.seq );
        completion_fail( req, IP_REQ_TIMED_OUT );
    }
}

/* How long the thread may wait: until the earliest deadline or the next
 * receive retry. Also tells the flow control whether it waits idle. */
static DWORD wait_timeout( struct echo_socket **socks, unsigned int count, BOOL more )
{
    ULONGLONG wake_at, now = engine_now_ms();
    BOOL idle = !more;
    unsigned int i;

    EnterCriticalSection( &engine.cs );
    wake_at = engine.wake_at;
    for (i = 0; i < count; i++)
    {
        if (socks[i]->retry_at) idle = FALSE, wake_at = min( wake_at, socks[i]->retry_at );
    }
    flow_receiver_idle( idle );
    LeaveCriticalSection( &engine.cs );
    if (more || wake_at <= now) return 0;
    if (wake_at == ~(ULONGLONG)0) return INFINITE;
    return wake_at - now > 0x7fffffff ? 0x7fffffff : (DWORD)(wake_at - now);
}

DWORD CALLBACK receive_thread( void *arg )
{
    HANDLE handles[ECHO_MAX_SOCKETS + 1];
    struct echo_socket *socks[ECHO_MAX_SOCKETS];
    unsigned int i, count;
    DWORD timeout;
    BOOL more;

    for (;;)
    {
        ULONGLONG now = engine_now_ms();

        EnterCriticalSection( &engine.cs );
        flow_receiver_idle( FALSE );
        count = engine.socket_count;
        memcpy( socks, engine.sockets, count * sizeof(*socks) );
        LeaveCriticalSection( &engine.cs );

        for (i = 0, more = FALSE; i < count; i++) more |= receive_from( socks[i], now );
        expire_timers();
        if (!(timeout = wait_timeout( socks, count, more ))) continue;

        handles[0] = engine.wake;
        for (i = 0; i < count; i++) handles[i + 1] = socks[i]->ov.hEvent;
        if (WaitForMultipleObjects( count + 1, handles, FALSE, timeout ) == WAIT_FAILED)
        {
            ERR( "wait failed: %lu\n", GetLastError() );
            Sleep( 1 );
        }
    }
    return 0;
}
