/*
 * The receive side of a socket: who receives on it, and how.
 *
 * Exactly one receiver at a time (echo_rx.owner, under engine.cs), so that
 * whoever waits for a packet is the thread wineserver completes the
 * receive in, with no hand-off:
 *   RX_LEADER  a synchronous caller waiting for its own reply receives
 *              itself with a blocking receive (SO_RCVTIMEO bounds it by
 *              its deadline), and matches whatever comes, for anyone;
 *   RX_THREAD  the receive thread keeps an overlapped receive posted,
 *              signalling engine.wake (one event for every socket: no
 *              limit on how many it listens to);
 *   RX_NONE    nobody: packets wait in the kernel's queue.
 * How a synchronous caller waits depends on whether a CPU is to spare
 * (engine_cpu_to_spare; why in echo_request.c). Without one, it leads when
 * nobody receives, and otherwise waits on its condition variable
 * (receive_follow) until its request completes or the socket is left to
 * it; the receive thread then leaves a socket with no asynchronous
 * request in flight after it completed a synchronous one, or when a
 * synchronous caller waits, so that back-to-back synchronous callers
 * receive for themselves. With one, callers follow and the receive thread
 * keeps the socket (receive_want_thread asks it to take one nobody
 * receives on). The receive thread also takes a socket when asynchronous
 * requests are in flight on it, or once it has been left alone for
 * RX_GRACE_MS (so that foreign traffic is still drained).
 *
 * How far the sockets have been read is told to flow control
 * (receive_publish): every socket blocked in a receive that found nothing
 * means all our queues are empty now.
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

#define RX_GRACE_MS      20      /* a socket nobody receives on is taken by the receive thread after this */
#define RETRY_FIRST_MS   10      /* after a failed receive, doubling up to RETRY_LAST_MS */
#define RETRY_LAST_MS    1000

#define WAITER_OF( elem ) ECHO_LIST_ENTRY( elem, struct rx_waiter, entry )

BOOL receive_init( struct echo_socket *sock )
{
    struct echo_rx *rx = &sock->rx;

    rx->owner = RX_NONE;
    rx->released_at = rx->empty_at = engine_now_ms();
    echo_list_init( &rx->followers );
    return (rx->buf = HeapAlloc( GetProcessHeap(), 0, ECHO_RX_BUFFER )) != NULL;
}

void receive_free( struct echo_socket *sock )
{
    HeapFree( GetProcessHeap(), 0, sock->rx.buf );
}

/* ---- who receives (engine.cs held) ---- */

static void wake_first_follower( struct echo_rx *rx )
{
    struct echo_list *elem = echo_list_head( &rx->followers );
    if (elem) WakeConditionVariable( &WAITER_OF( elem )->cv );
}

BOOL receive_lead_begin( struct echo_socket *sock, ULONGLONG now )
{
    if (sock->rx.owner != RX_NONE || now < sock->rx.retry_at) return FALSE;
    sock->rx.owner = RX_LEADER;
    return TRUE;
}

/* The leader is done; TRUE if the receive thread must take over now. */
BOOL receive_lead_end( struct echo_socket *sock, ULONGLONG now )
{
    sock->rx.owner = RX_NONE;
    sock->rx.released_at = now;
    sock->rx.blocked = FALSE;
    wake_first_follower( &sock->rx );
    return sock->rx.async_count > 0;
}

BOOL receive_thread_takes( struct echo_socket *sock, ULONGLONG now, ULONGLONG *next )
{
    struct echo_rx *rx = &sock->rx;

    if (rx->owner == RX_THREAD) return TRUE;
    if (rx->owner != RX_NONE) return FALSE;
    if (!rx->async_count && !rx->wanted && now < rx->released_at + RX_GRACE_MS)
    {
        *next = min( *next, rx->released_at + RX_GRACE_MS );
        return FALSE;
    }
    rx->owner = RX_THREAD;
    rx->wanted = FALSE;
    return TRUE;
}

/* A follower asks the receive thread to take a socket nobody receives on;
 * TRUE if it must be woken for that. */
BOOL receive_want_thread( struct echo_socket *sock )
{
    if (sock->rx.owner != RX_NONE || sock->rx.wanted) return FALSE;
    sock->rx.wanted = TRUE;
    return TRUE;
}

/* With no receive posted: whether the receive thread leaves the socket
 * (never while callers follow it, a CPU being to spare). */
BOOL receive_thread_gives_up( struct echo_socket *sock, BOOL sync_done, ULONGLONG now )
{
    struct echo_rx *rx = &sock->rx;

    if (rx->async_count || (!sync_done && echo_list_empty( &rx->followers )) || engine.cpu_spare) return FALSE;
    rx->owner = RX_NONE;
    rx->released_at = now;
    wake_first_follower( rx );
    return TRUE;
}

void receive_follow( struct echo_socket *sock, struct rx_waiter *w )
{
    echo_list_add_tail( &sock->rx.followers, &w->entry );
}

void receive_unfollow( struct rx_waiter *w )
{
    echo_list_remove( &w->entry );
}

/* ---- receiving (the owner) ---- */

static void receive_failed( struct echo_socket *sock, int err )
{
    struct echo_rx *rx = &sock->rx;

    rx->retry_delay = rx->retry_delay ? min( 2 * rx->retry_delay, RETRY_LAST_MS ) : RETRY_FIRST_MS;
    rx->retry_at = engine_now_ms() + rx->retry_delay;
    if (rx->retry_delay == RETRY_FIRST_MS) WARN( "receive failed: %d, trying again in %lu ms\n", err, rx->retry_delay );
    else TRACE( "receive failed: %d, trying again in %lu ms\n", err, rx->retry_delay );
}

ULONGLONG receive_retry_at( struct echo_socket *sock )
{
    return sock->rx.retry_at;
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

/* the receive's result: a packet, or nothing (truncated, or failed: retry later) */
static enum rx_result received( struct echo_socket *sock, int ret, DWORD got, struct rx_packet *pkt )
{
    struct echo_rx *rx = &sock->rx;
    int err = ret ? WSAGetLastError() : 0;

    if (err == WSAETIMEDOUT) return RX_TIMEOUT;
    if (err && err != WSAEMSGSIZE)   /* (a truncated datagram is consumed: read on) */
    {
        receive_failed( sock, err );
        return RX_FAILED;
    }
    rx->retry_delay = rx->retry_at = 0;
    if (err || !got) return RX_EMPTY;
    pkt->data = rx->buf;
    pkt->len = got;
    pkt->from = &rx->from;
    return RX_PACKET;
}

/* The receive thread: reaps its posted receive if it completed, else
 * posts one; RX_EMPTY when it is posted and waits. */
enum rx_result receive_thread_one( struct echo_socket *sock, struct rx_packet *pkt )
{
    struct echo_rx *rx = &sock->rx;
    DWORD got, flags;
    WSABUF buf;
    int ret;

    if (rx->retry_at && engine_now_ms() < rx->retry_at) return RX_FAILED;
    if (!rx->posted)
    {
        rx->posted_at = engine_now_ms();   /* (before wineserver looks at the queue) */
        buf.buf = (char *)rx->buf;
        buf.len = ECHO_RX_BUFFER;
        rx->flags = 0;
        rx->from_len = sizeof(rx->from);
        memset( &rx->ov, 0, sizeof(rx->ov) );
        rx->ov.hEvent = engine.wake;
        if (engine.fail_receives) WSASetLastError( WSAENETDOWN ), ret = SOCKET_ERROR;   /* test hook */
        else ret = WSARecvFrom( sock->s, &buf, 1, &got, &rx->flags, (struct sockaddr *)&rx->from, &rx->from_len,
                                &rx->ov, NULL );
        if (ret && WSAGetLastError() != WSA_IO_PENDING) return received( sock, ret, 0, pkt );
        rx->posted = TRUE;
    }
    if (!HasOverlappedIoCompleted( &rx->ov ))
    {
        if (!rx->blocked) set_blocked( sock, TRUE, rx->posted_at );
        return RX_EMPTY;
    }
    QueryPerformanceCounter( &pkt->when );
    rx->posted = FALSE;
    ret = !WSAGetOverlappedResult( sock->s, &rx->ov, &got, FALSE, &flags );
    if (rx->blocked) set_blocked( sock, FALSE, 0 );
    return received( sock, ret, ret ? 0 : got, pkt );
}

/* SO_RCVTIMEO for a wait of at most `timeout` ms: the largest power of
 * two not above it, so that callers with the same Timeout keep the same
 * value (set again only when it changes) and a deadline is met within a
 * few receives */
static DWORD rcvtimeo_for( DWORD timeout )
{
    DWORD value = 1;

    while (value <= timeout / 2 && value < (1u << 30)) value *= 2;
    return value;
}

/* A leader's blocking receive, for at most timeout ms. */
enum rx_result receive_lead_one( struct echo_socket *sock, DWORD timeout, struct rx_packet *pkt )
{
    struct echo_rx *rx = &sock->rx;
    DWORD want = rcvtimeo_for( timeout ), got = 0, flags = 0;
    LARGE_INTEGER before;
    WSABUF buf;
    int ret;

    if (want != rx->rcvtimeo)
    {
        if (setsockopt( sock->s, SOL_SOCKET, SO_RCVTIMEO, (char *)&want, sizeof(want) )) return received( sock, 1, 0, pkt );
        rx->rcvtimeo = want;
    }
    buf.buf = (char *)rx->buf;
    buf.len = ECHO_RX_BUFFER;
    rx->from_len = sizeof(rx->from);
    QueryPerformanceCounter( &before );
    if (engine.fail_receives) WSASetLastError( WSAENETDOWN ), ret = SOCKET_ERROR;   /* test hook */
    else ret = WSARecvFrom( sock->s, &buf, 1, &got, &flags, (struct sockaddr *)&rx->from, &rx->from_len, NULL, NULL );
    QueryPerformanceCounter( &pkt->when );
    /* one that took a while waited: the queue was empty when it was called */
    if (pkt->when.QuadPart - before.QuadPart > engine.freq.QuadPart / 500)
        set_blocked( sock, FALSE, engine_qpc_to_ms( before.QuadPart ) );
    return received( sock, ret, got, pkt );
}

/* The receive thread's posted receive, cancelled (the socket closes). */
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
    flow_drained( &engine.flow, waiting, empty_at, now );
}
