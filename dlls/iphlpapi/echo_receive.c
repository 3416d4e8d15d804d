/*
 * The receive side of a socket: the receive itself, for whoever receives
 * on it (rx_handoff.c decides who: the receive thread, a synchronous
 * caller leading, or nobody).
 *
 * Both kinds of receiver post the same overlapped receive into the
 * socket's own memory (echo_rx): the receive thread's signals
 * engine.rx_event (one event for every socket: no limit on how many it
 * listens to; not engine.wake: posting a receive resets its event), a
 * leader's the socket's lead_event, on which it waits (not alertably: no
 * APC runs inside a synchronous call, as on Windows). Nothing of a
 * receive lives on a caller's stack, so a leader that dies leaves only a
 * posted receive (Wine cancels a dead thread's I/O) or a packet read and
 * not dispatched (held), which the next receiver takes over: a packet is
 * dispatched, a cancelled receive posted again. A leader whose wait ends before a packet (its deadline)
 * cancels its receive before it gives the socket up.
 *
 * How far the sockets have been read is told to flow control
 * (receive_publish): every socket whose posted receive found nothing and
 * waits means all our queues are empty now.
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

#define RETRY_FIRST_MS   10      /* after a failed receive, doubling up to RETRY_LAST_MS */
#define RETRY_LAST_MS    1000

BOOL receive_init( struct echo_socket *sock )
{
    struct echo_rx *rx = &sock->rx;

    rx_init( &rx->h, engine_now_ms() );
    rx->empty_at = engine_now_ms();
    if (!(rx->lead_event = CreateEventW( NULL, TRUE, FALSE, NULL ))) return FALSE;
    return (rx->buf = HeapAlloc( GetProcessHeap(), 0, ECHO_RX_BUFFER )) != NULL;
}

void receive_free( struct echo_socket *sock )
{
    if (sock->rx.lead_event) CloseHandle( sock->rx.lead_event );
    HeapFree( GetProcessHeap(), 0, sock->rx.buf );
}

static void receive_failed( struct echo_socket *sock, int err )
{
    struct echo_rx *rx = &sock->rx;

    rx->retry_delay = rx->retry_delay ? min( 2 * rx->retry_delay, RETRY_LAST_MS ) : RETRY_FIRST_MS;
    EnterCriticalSection( &engine.cs );
    rx_receive_failed( &rx->h, engine_now_ms() + rx->retry_delay );
    LeaveCriticalSection( &engine.cs );
    if (rx->retry_delay == RETRY_FIRST_MS) WARN( "receive failed: %d, trying again in %lu ms\n", err, rx->retry_delay );
    else TRACE( "receive failed: %d, trying again in %lu ms\n", err, rx->retry_delay );
}

/* The socket's queue was empty at empty_at (a receive posted then found
 * nothing), and its receive is posted and waiting (blocked) or not. */
static void set_blocked( struct echo_socket *sock, BOOL blocked, ULONGLONG empty_at )
{
    EnterCriticalSection( &engine.cs );
    sock->rx.blocked = blocked;
    if (empty_at > sock->rx.empty_at) sock->rx.empty_at = empty_at;
    LeaveCriticalSection( &engine.cs );
}

/* the receive's result: a packet, or nothing (truncated, cancelled, or failed: retry later) */
static enum rx_result received( struct echo_socket *sock, int ret, DWORD got, struct rx_packet *pkt )
{
    struct echo_rx *rx = &sock->rx;
    int err = ret ? WSAGetLastError() : 0;

    if (err == WSA_OPERATION_ABORTED) return RX_EMPTY;   /* (cancelled: a leader's deadline, or a dead leader) */
    if (err && err != WSAEMSGSIZE)   /* (a truncated datagram is consumed: read on) */
    {
        receive_failed( sock, err );
        return RX_FAILED;
    }
    if (rx->retry_delay)
    {
        rx->retry_delay = 0;
        EnterCriticalSection( &engine.cs );
        rx_receive_ok( &rx->h );
        LeaveCriticalSection( &engine.cs );
    }
    if (err || !got) return RX_EMPTY;
    pkt->data = rx->buf;
    pkt->len = got;
    pkt->from = &rx->from;
    return RX_PACKET;
}

/* Posts the socket's receive, signalling event; a Winsock error or 0. */
static int post( struct echo_socket *sock, HANDLE event )
{
    struct echo_rx *rx = &sock->rx;
    DWORD got;
    WSABUF buf;
    int ret;

    rx->posted_at = engine_now_ms();   /* (before wineserver looks at the queue) */
    buf.buf = (char *)rx->buf;
    buf.len = ECHO_RX_BUFFER;
    rx->flags = 0;
    rx->from_len = sizeof(rx->from);
    memset( &rx->ov, 0, sizeof(rx->ov) );
    rx->ov.hEvent = event;
    if (engine.fail_receives) WSASetLastError( WSAENETDOWN ), ret = SOCKET_ERROR;   /* test hook */
    else ret = WSARecvFrom( sock->s, &buf, 1, &got, &rx->flags, (struct sockaddr *)&rx->from, &rx->from_len,
                            &rx->ov, NULL );
    if (ret && WSAGetLastError() != WSA_IO_PENDING) return WSAGetLastError();
    rx->posted = TRUE;
    rx->posted_event = event;
    return 0;
}

/* The posted receive's result, waiting for it if asked. A packet is held
 * (rx->held) until it is dispatched, under engine.cs: a receiver that dies
 * in between leaves it to the next. */
static enum rx_result reap( struct echo_socket *sock, struct rx_packet *pkt, BOOL wait )
{
    struct echo_rx *rx = &sock->rx;
    enum rx_result r;
    DWORD got = 0, flags;
    int ret;

    ret = !WSAGetOverlappedResult( sock->s, &rx->ov, &got, wait, &flags );
    QueryPerformanceCounter( &pkt->when );
    rx->posted = FALSE;
    if (rx->blocked) set_blocked( sock, FALSE, 0 );
    if ((r = received( sock, ret, ret ? 0 : got, pkt )) == RX_PACKET)
    {
        InterlockedIncrement64( &engine.rx_reads );
        rx->held_len = got;
        rx->held_when = pkt->when;
        rx->held = TRUE;
    }
    return r;
}

/* A packet a dead receiver read and did not dispatch. */
static enum rx_result held_packet( struct echo_socket *sock, struct rx_packet *pkt )
{
    pkt->data = sock->rx.buf;
    pkt->len = sock->rx.held_len;
    pkt->from = &sock->rx.from;
    pkt->when = sock->rx.held_when;
    return RX_PACKET;
}

/* A receive another receiver left posted (a leader that died: Wine
 * cancels a dead thread's I/O; cancelled again here, whatever it was),
 * reaped: a packet it got is dispatched by the new receiver. */
static enum rx_result adopt( struct echo_socket *sock, struct rx_packet *pkt )
{
    if (!HasOverlappedIoCompleted( &sock->rx.ov )) CancelIoEx( (HANDLE)sock->s, &sock->rx.ov );
    return reap( sock, pkt, TRUE );
}

/* The receive thread: reaps its posted receive if it completed, else
 * posts one; RX_EMPTY when it is posted and waits. */
enum rx_result receive_thread_one( struct echo_socket *sock, struct rx_packet *pkt )
{
    struct echo_rx *rx = &sock->rx;
    int err;

    if (rx->held) return held_packet( sock, pkt );
    if (rx->posted && rx->posted_event != engine.rx_event) return adopt( sock, pkt );
    if (rx->h.retry_at && engine_now_ms() < rx->h.retry_at) return RX_FAILED;
    if (!rx->posted && (err = post( sock, engine.rx_event )))
    {
        WSASetLastError( err );
        return received( sock, 1, 0, pkt );
    }
    if (!HasOverlappedIoCompleted( &rx->ov ))
    {
        if (!rx->blocked) set_blocked( sock, TRUE, rx->posted_at );
        return RX_EMPTY;
    }
    return reap( sock, pkt, FALSE );
}

/* A leader: waits up to timeout ms for a packet (RX_TIMEOUT: its receive
 * stays posted); a receive a dead leader left is taken over. Timeout 0: a
 * leader past its deadline reads what was queued by then (request_lead):
 * its earlier receive was cancelled and reaped (receive_lead_finish), and
 * one posted now finds a queued packet at once; RX_TIMEOUT when it found
 * nothing (empty_at is then past the deadline). */
enum rx_result receive_lead_one( struct echo_socket *sock, DWORD timeout, struct rx_packet *pkt )
{
    struct echo_rx *rx = &sock->rx;
    int err;

    if (rx->held) return held_packet( sock, pkt );
    if (rx->posted && rx->posted_event != rx->lead_event) return adopt( sock, pkt );
    if (!rx->posted && (err = post( sock, rx->lead_event )))
    {
        WSASetLastError( err );
        return received( sock, 1, 0, pkt );
    }
    if (!HasOverlappedIoCompleted( &rx->ov ))
    {
        if (!rx->blocked) set_blocked( sock, TRUE, rx->posted_at );
        if (!timeout || WaitForSingleObject( rx->lead_event, timeout ) == WAIT_TIMEOUT) return RX_TIMEOUT;
        /* (woken with nothing: its request completed through another socket) */
        if (!HasOverlappedIoCompleted( &rx->ov )) return RX_TIMEOUT;
    }
    return reap( sock, pkt, FALSE );
}

/* When the socket's queue was last found empty (under engine.cs). */
ULONGLONG receive_read_to_locked( const struct echo_socket *sock )
{
    return sock->rx.empty_at;
}

/* A leader that stops: its posted receive, if any, cancelled and reaped
 * (a packet it got meanwhile is returned); nothing is posted after. */
enum rx_result receive_lead_finish( struct echo_socket *sock, struct rx_packet *pkt )
{
    if (sock->rx.held) return held_packet( sock, pkt );
    if (!sock->rx.posted) return RX_EMPTY;
    if (!HasOverlappedIoCompleted( &sock->rx.ov )) CancelIoEx( (HANDLE)sock->s, &sock->rx.ov );
    return reap( sock, pkt, TRUE );
}

/* The posted receive, cancelled (the socket closes). */
void receive_cancel( struct echo_socket *sock )
{
    DWORD got, flags;

    if (!sock->rx.posted) return;
    CancelIoEx( (HANDLE)sock->s, &sock->rx.ov );
    WSAGetOverlappedResult( sock->s, &sock->rx.ov, &got, TRUE, &flags );
    sock->rx.posted = FALSE;
}

/* Tells flow control how far all our sockets have been read: waiting when
 * every one has a receive posted that found nothing and has not completed,
 * and the time before which all of them were read (a waiting one's at
 * least FLOW_LAG_MS ago, as flow_budget.c assumes of other processes). */
void receive_publish( ULONGLONG now )
{
    ULONGLONG empty_at = now;
    BOOL waiting = TRUE;
    struct echo_list *elem;

    EnterCriticalSection( &engine.cs );
    for (elem = engine.sockets.next; elem != &engine.sockets; elem = elem->next)
    {
        const struct echo_rx *rx = &ECHO_LIST_ENTRY( elem, struct echo_socket, entry )->rx;
        ULONGLONG read_to = rx->empty_at;

        if (rx->blocked) read_to = max( read_to, now - FLOW_LAG_MS );
        else waiting = FALSE;
        empty_at = min( empty_at, read_to );
    }
    LeaveCriticalSection( &engine.cs );
    flow_drained( &engine.flow, waiting, empty_at, echo_load64( &engine.rx_reads ), now );
}
