/*
 * Flow control: requests in flight may fill at most a budget of the bytes
 * the kernel keeps for our sockets' receive queues, so that no answer that
 * reaches us is dropped because the receive thread fell behind.
 *
 * Under Wine every Winsock call is a round trip to wineserver, which
 * serializes them all: a send costs two, receiving and completing a packet
 * two to four, so a caller sending in a tight loop outruns the receive
 * thread, the queue fills (SO_RCVBUF is capped by net.core.rmem_max,
 * 212,992 bytes on most desktops) and the kernel drops what arrives next.
 * Here a sender first takes what its request's traffic may cost in the
 * queue and gives it back when the request completes; while the budget is
 * spent it waits for completions (a few milliseconds: a delayed send is
 * invisible to a caller, a dropped reply is a wrong result). A request that
 * is never answered must not hold its bytes for its whole timeout (10,000
 * requests to a silent host would crawl), so once the receive thread has
 * found every socket empty, requests sent longer ago than twice the slowest
 * recent round trip plus 5 ms give their bytes back early.
 *
 * The budget is three quarters of what the kernel grants a socket that asks
 * for ECHO_RCVBUF: Linux doubles SO_RCVBUF and caps it at rmem_max, assumed
 * to be the default 212,992 (Wine's getsockopt only repeats what was asked,
 * so the real grant cannot be read). The rest is for answers of requests
 * that gave their bytes back early, and for other ICMP traffic a raw socket
 * sees; the charges themselves are upper bounds.
 *
 * Owns the engine's and each request's flow_* fields; must not touch the
 * pending table or the sockets.
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
#include "icmp4_packet.h"
#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(icmp);

#define FLOW_DESKTOP_RMEM_MAX  212992   /* Linux's default net.core.rmem_max */
#define FLOW_SKB_OVERHEAD      1024     /* a queued packet's kernel bookkeeping (an upper bound) */
#define FLOW_POLL_MS           2        /* how often a waiting sender looks again */
#define FLOW_MAX_WAIT_MS       2000     /* after this a sender goes ahead anyway */

static DWORD flow_waiters;

void flow_init( DWORD rcvbuf )
{
    engine.flow_budget = 3 * min( rcvbuf, FLOW_DESKTOP_RMEM_MAX ) / 2;
    TRACE( "receive buffer %lu bytes asked, flow budget %lu bytes\n", rcvbuf, engine.flow_budget );
}

/* What one request's traffic may take in a receive queue: its answer and,
 * to a loopback address, the request itself (a raw socket receives what
 * arrives on lo), each with the kernel's bookkeeping (measured on Linux 6:
 * 832 bytes for an echo with 32 bytes of data, 2,304 for 1,000 bytes). An
 * IPv4 header with the most options is as large as an IPv6 header or larger. */
static DWORD flow_charge( WORD data_size, BOOL loopback )
{
    DWORD packet = IPV4_MIN_HDR_LEN + IPV4_MAX_OPT_LEN + ICMP_HDR_LEN + data_size;

    return (loopback ? 2 : 1) * (FLOW_SKB_OVERHEAD + 2 * packet);
}

static void flow_wake( void )
{
    if (flow_waiters) WakeAllConditionVariable( &engine.flow_cv );
}

void flow_release( struct echo_request *req )
{
    if (!req->flow_charge) return;
    engine.flow_held -= req->flow_charge;
    req->flow_charge = 0;
    list_remove( &req->flow_entry );
    flow_wake();
}

/* Gives back the bytes of the oldest request if the receive thread has
 * read everything and the request is overdue; TRUE if it did (cs held). */
static BOOL flow_reclaim( ULONGLONG now )
{
    struct echo_request *req;

    if (!engine.receiver_idle || list_empty( &engine.flow_requests )) return FALSE;
    req = CONTAINING_RECORD( engine.flow_requests.Flink, struct echo_request, flow_entry );
    if (now - req->flow_since < 2 * (ULONGLONG)engine.rtt_high + 5) return FALSE;
    flow_release( req );
    return TRUE;
}

void flow_reserve( struct echo_request *req, WORD data_size, BOOL loopback )
{
    DWORD charge = flow_charge( data_size, loopback );
    ULONGLONG start = engine_now_ms(), now = start;
    static LONG warned;

    EnterCriticalSection( &engine.cs );
    while (engine.flow_held && engine.flow_held + charge > engine.flow_budget)
    {
        if (flow_reclaim( now )) continue;
        if (now - start >= FLOW_MAX_WAIT_MS)
        {
            if (!InterlockedExchange( &warned, 1 )) WARN( "flow budget still spent after %u ms: sending\n", FLOW_MAX_WAIT_MS );
            break;
        }
        flow_waiters++;
        SleepConditionVariableCS( &engine.flow_cv, &engine.cs, FLOW_POLL_MS );
        flow_waiters--;
        now = engine_now_ms();
    }
    req->flow_charge = charge;
    req->flow_since = now;
    engine.flow_held += charge;
    list_add_tail( &engine.flow_requests, &req->flow_entry );
    LeaveCriticalSection( &engine.cs );
    if (now - start > 1) TRACE( "waited %u ms for %lu bytes of receive buffer\n", (unsigned int)(now - start), charge );
}

void flow_receiver_idle( BOOL idle )
{
    engine.receiver_idle = idle;
    if (idle) flow_wake();
}

void flow_round_trip( DWORD rtt_ms )
{
    engine.rtt_high = max( rtt_ms, engine.rtt_high - engine.rtt_high / 64 );
}
