/*
 * The receive thread, one per process: keeps an overlapped receive posted
 * on every socket, waits on them and on the earliest deadline of the timer
 * heap, matches what arrives against the pending table by sequence number
 * (through the socket's ops), and completes requests; expires the
 * asynchronous requests whose deadline passed.
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

static void dispatch_packet( struct echo_socket *sock, const BYTE *pkt, DWORD len, const LARGE_INTEGER *when )
{
    const struct socket_ops *ops = sock->ops;
    struct echo_request *req;
    struct icmp_packet p;
    struct icmp_result res;

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
    LeaveCriticalSection( &engine.cs );

    icmp_result_from_packet( &p, (uint32_t)engine_qpc_to_ms( when->QuadPart - req->sent.QuadPart ), &res );
    if (sock->from.si_family == AF_INET6) res.scope_id = sock->from.Ipv6.sin6_scope_id;
    completion_finish( req, &res );
}

/* Posts an overlapped receive; returns TRUE if a packet was received at once. */
static BOOL post_receive( struct echo_socket *sock )
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
    if (!WSARecvFrom( sock->s, &buf, 1, &got, &sock->rx_flags, (struct sockaddr *)&sock->from,
                      &sock->from_len, &sock->ov, NULL ))
    {
        sock->posted = TRUE;
        return TRUE;
    }
    err = WSAGetLastError();
    if (err == WSA_IO_PENDING)
    {
        sock->posted = TRUE;
        return FALSE;
    }
    /* a truncated datagram is consumed: post again; anything else would
     * repeat, so do not spin on it */
    if (err != WSAEMSGSIZE)
    {
        WARN( "receive failed: %d\n", err );
        Sleep( 10 );
    }
    return FALSE;
}

/* Handles a posted receive if it has completed. */
static void receive_ready( struct echo_socket *sock )
{
    LARGE_INTEGER when;
    DWORD got, flags;

    if (!sock->posted || !HasOverlappedIoCompleted( &sock->ov )) return;
    QueryPerformanceCounter( &when );
    if (!WSAGetOverlappedResult( sock->s, &sock->ov, &got, FALSE, &flags ))
    {
        if (WSAGetLastError() == WSA_IO_INCOMPLETE) return;
        got = 0;
    }
    sock->posted = FALSE;
    if (got) dispatch_packet( sock, sock->rx, got, &when );
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

/* How long the thread may wait for a packet: until the earliest deadline. */
static DWORD wait_timeout( void )
{
    ULONGLONG wake_at, now;

    EnterCriticalSection( &engine.cs );
    wake_at = engine.wake_at;
    LeaveCriticalSection( &engine.cs );
    if (wake_at == ~(ULONGLONG)0) return INFINITE;
    now = engine_now_ms();
    if (wake_at <= now) return 0;
    return wake_at - now > 0x7fffffff ? 0x7fffffff : (DWORD)(wake_at - now);
}

DWORD CALLBACK receive_thread( void *arg )
{
    HANDLE handles[ECHO_MAX_SOCKETS + 1];
    struct echo_socket *socks[ECHO_MAX_SOCKETS];
    unsigned int i, count;
    DWORD timeout;

    for (;;)
    {
        EnterCriticalSection( &engine.cs );
        count = engine.socket_count;
        memcpy( socks, engine.sockets, count * sizeof(*socks) );
        LeaveCriticalSection( &engine.cs );

        for (i = 0; i < count; i++)
        {
            receive_ready( socks[i] );
            while (!socks[i]->posted || HasOverlappedIoCompleted( &socks[i]->ov ))
            {
                if (!socks[i]->posted) post_receive( socks[i] );
                receive_ready( socks[i] );
            }
        }
        expire_timers();
        if (!(timeout = wait_timeout())) continue;

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
