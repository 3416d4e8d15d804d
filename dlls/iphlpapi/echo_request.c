/*
 * A request's whole life, in this one file:
 *
 *   request_submit   fills it in from checked parameters (an Event
 *                    request's event reset, an APC request's thread
 *                    recorded); waits for the flow budget; sets the
 *                    socket's options, registers it in the table of
 *                    requests in flight and sends it;
 *   request_wait     a synchronous caller waits, and times itself out;
 *                    how depends on the machine (below);
 *   request_dispatch a received packet is matched and completes its request;
 *   request_expire   an asynchronous request's deadline passed;
 *   request_complete the one completion: the reply buffer, then waking the
 *                    synchronous caller, signalling the event, or handing
 *                    the APC to its thread;
 *   request_free     its references (socket, event, thread) and memory.
 *
 * Ownership: the submitter owns a request until it is registered; from
 * then the table of requests in flight (pending_table.c) owns it, and
 * whoever takes it out (a reply, its deadline, a failed send, the waiting
 * caller's own deadline) completes it, and the completion frees it (an
 * asynchronous one) or wakes its caller, who frees nothing (a synchronous
 * one lives on the caller's stack). The submitter keeps only the sequence
 * number and serial the table gave it.
 *
 * Time: a request's deadline is just before its send plus Timeout; its
 * RoundTripTime ends when its reply is picked up. Timeouts below
 * ECHO_MIN_TIMEOUT (16 ms, Windows' default timer tick) wait that long:
 * Windows accepts Timeout 0 and a loopback echo then succeeds (Wine's
 * iphlpapi tests, checked on Windows), and .NET documents that with very
 * small timeouts a reply can still be received after Timeout has passed.
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

enum completion_kind
{
    COMPLETE_WAKE,                          /* a synchronous caller waits for it */
    COMPLETE_EVENT,                         /* signal the caller's event */
    COMPLETE_APC,                           /* run the caller's APC in its thread */
};

struct echo_request
{
    struct pending_entry pending;           /* while in flight */
    struct flow_charge flow;                /* receive-buffer bytes it holds */
    struct echo_apc apc;                    /* COMPLETE_APC */
    struct rx_waiter waiter;                /* COMPLETE_WAKE, waiting for another receiver */
    struct icmp_request_key key;            /* (key.seq: pending.seq) */
    struct echo_socket *sock;               /* a reference */
    enum completion_kind how;
    LARGE_INTEGER sent;                     /* QueryPerformanceCounter just before registering */
    ULONGLONG deadline;
    BYTE *reply;
    DWORD reply_size;
    DWORD written;
    DWORD reply_count;
    DWORD status;
    LONG done;                              /* COMPLETE_WAKE: completed (engine.cs) */
    struct event_ref *event;                /* COMPLETE_EVENT */
    struct apc_thread *thread;              /* COMPLETE_APC */
    NTSTATUS iosb_status;                   /* the APC's IO_STATUS_BLOCK.Status */
};

#define REQUEST_OF( entry ) CONTAINING_RECORD( entry, struct echo_request, pending )

/* Counts an asynchronous request into (+1) or out of (-1) its socket's;
 * TRUE when it is the first and nobody receives on the socket yet. */
static BOOL count_async( struct echo_socket *sock, LONG delta )
{
    BOOL first;

    EnterCriticalSection( &engine.cs );
    first = !sock->rx.async_count && sock->rx.owner == RX_NONE;
    sock->rx.async_count += delta;
    LeaveCriticalSection( &engine.cs );
    return first;
}

/* ---- the end of a request ---- */

/* Lets go of what the request holds and frees an asynchronous one. */
static void request_free( struct echo_request *req )
{
    if (req->event) event_release( req->event );
    if (req->thread) apc_thread_release( req->thread );
    socket_release( req->sock );
    if (req->how != COMPLETE_WAKE) HeapFree( GetProcessHeap(), 0, req );
}

static void request_apc_release( struct echo_apc *apc )
{
    request_free( CONTAINING_RECORD( apc, struct echo_request, apc ) );
}

/* The one completion: writes the result, then tells the caller. The
 * caller of this owns req (took it out of the table, or never put it in). */
static void request_complete( struct echo_request *req, const struct icmp_result *res )
{
    flow_cancel( &engine.flow, &req->flow );   /* (nothing when its reply gave the bytes back) */
    req->status = res->status;
    req->reply_count = res->reply_count;
    req->written = req->sock->ops->family->write_reply( req->reply, req->reply_size, res );
    TRACE( "completed seq %u: status %u, address %s, rtt %u, %lu bytes\n", req->pending.seq, res->status,
           req->sock->ops->family->debugstr_address( res->address ), res->rtt_ms, req->written );

    if (req->how == COMPLETE_WAKE)
    {
        EnterCriticalSection( &engine.cs );
        req->done = TRUE;
        WakeConditionVariable( &req->waiter.cv );
        LeaveCriticalSection( &engine.cs );
        return;   /* (the caller may return at once: req is not touched again) */
    }
    count_async( req->sock, -1 );
    if (req->how == COMPLETE_EVENT)
    {
        event_signal( req->event );
        request_free( req );
        return;
    }
    req->apc.iosb.Status = req->iosb_status;
    req->apc.iosb.Information = req->written;
    apc_deliver( req->thread, &req->apc );   /* (request_apc_release frees it once the routine ran) */
}

static void request_fail( struct echo_request *req, DWORD status )
{
    struct icmp_result res;

    memset( &res, 0, sizeof(res) );
    res.status = status;
    request_complete( req, &res );
}

/* ---- replies and deadlines ---- */

struct match_context
{
    const struct icmp_packet *packet;
    const struct socket_ops *ops;
};

static int match_request( const struct pending_entry *entry, const void *context )
{
    const struct match_context *m = context;
    struct icmp_request_key key = REQUEST_OF( entry )->key;

    key.seq = entry->seq;
    return icmp_match( m->packet, &key, m->ops->echo_check );
}

/* A packet received on sock completes the request it answers, if any;
 * TRUE if that was a synchronous one. */
BOOL request_dispatch( struct echo_socket *sock, const struct rx_packet *pkt )
{
    struct match_context m = { NULL, sock->ops };
    struct pending_entry *entry;
    struct echo_request *req;
    struct icmp_packet p;
    struct icmp_result res;
    DWORD rtt;
    BOOL sync;

    if (sock->ops->family->parse( pkt->data, pkt->len, pkt->from, &p ) == ICMP_KIND_IGNORE) return FALSE;
    m.packet = &p;
    if (!(entry = pending_take_seq( &engine.pending, p.seq, match_request, &m )))
    {
        TRACE( "ignoring a packet for seq %u (%s)\n", p.seq, sock->ops->name );
        return FALSE;
    }
    req = REQUEST_OF( entry );
    rtt = (DWORD)engine_qpc_to_ms( pkt->when.QuadPart - req->sent.QuadPart );
    flow_reply( &engine.flow, &req->flow, engine_qpc_to_ms( pkt->when.QuadPart ) );
    flow_round_trip( &engine.flow, rtt );
    icmp_result_from_packet( &p, rtt, &res );
    if (pkt->from->si_family == AF_INET6) res.scope_id = pkt->from->Ipv6.sin6_scope_id;
    sync = req->how == COMPLETE_WAKE;
    request_complete( req, &res );   /* (a synchronous req may be gone once this returns) */
    return sync;
}

/* Completes the asynchronous requests whose deadline passed; the next deadline. */
ULONGLONG request_expire( ULONGLONG now )
{
    struct pending_entry *entry;

    while ((entry = pending_take_expired( &engine.pending, now )))
    {
        TRACE( "seq %u timed out\n", entry->seq );
        request_fail( REQUEST_OF( entry ), IP_REQ_TIMED_OUT );
    }
    return pending_next_deadline( &engine.pending );
}

/* ---- sending ---- */

/* Registers and sends. Returns 0 (the request completes, perhaps already:
 * the caller must not touch an asynchronous one again), or the IP_STATUS
 * it was refused with before it was registered (nothing completes then). */
static DWORD request_send( struct echo_request *req, const struct echo_params *p, uint16_t *seq, uint32_t *serial )
{
    struct echo_socket *sock = req->sock;
    BOOL async = req->how != COMPLETE_WAKE, wake = FALSE;
    ULONGLONG earliest;
    DWORD err;

    flow_take( &req->flow, flow_charge_for( sock->ops, p->data_size, sock->ops->family->is_loopback( &p->dst ) ) );
    EnterCriticalSection( &sock->send_cs );
    if (!(err = sock->ops->family->set_options( sock, p )))
    {
        if (async) wake = count_async( sock, 1 );   /* (someone must receive on it) */
        QueryPerformanceCounter( &req->sent );
        req->deadline = engine_qpc_to_ms( req->sent.QuadPart ) + max( p->timeout, ECHO_MIN_TIMEOUT );
        if (pending_add( &engine.pending, &req->pending, req->deadline, async, seq, serial, &earliest ))
            err = ERROR_NOT_ENOUGH_MEMORY;
        else if (async && req->deadline < echo_load64( &engine.loop_wake_at ))
            wake = TRUE;   /* the receive thread sleeps past this deadline */
        if (err && async) count_async( sock, -1 );
    }
    if (err)
    {
        LeaveCriticalSection( &sock->send_cs );
        flow_cancel( &engine.flow, &req->flow );
        return ip_status_from_error( err );
    }
    if (wake) engine_wake();
    err = socket_send_echo( sock, engine.id, *seq, p );
    LeaveCriticalSection( &sock->send_cs );
    if (err && (req = (struct echo_request *)pending_take_serial( &engine.pending, *seq, *serial )))
        request_fail( req, ip_status_from_error( err ) );
    return 0;
}

/* ---- the synchronous caller ----
 *
 * Under Wine every receive is completed in the thread that posted it, and
 * every Winsock call is a wineserver round trip. Which costs more depends
 * on the machine (measured in make bench, both regimes):
 *   - no CPU to spare (a game, or any CPU-bound process beside us): each
 *     thread hand-off is a context switch; the caller receives itself
 *     (leader: a blocking receive, what a bare socket would do) while
 *     nobody else does, and the others wait on their condition variable
 *     for it to complete them or leave them the socket (followers);
 *   - a CPU to spare: each round trip waits for an idle core to wake up;
 *     the receive thread, whose receive is posted before the reply comes,
 *     receives, and the caller spins for SPIN_MAX_US (one caller at a time)
 *     before it sleeps, so that no wake-up is on the reply's path but the
 *     receive thread's own.
 * engine_cpu_to_spare (echo_engine.c) says which, from the CPUs' idle time. */

#define SPIN_MAX_US  500

/* Spins until the request completed, SPIN_MAX_US passed, or another caller spins. */
static void request_spin( struct echo_request *req )
{
    LARGE_INTEGER start, now;

    if (InterlockedCompareExchange( &engine.spinning, 1, 0 )) return;
    QueryPerformanceCounter( &start );
    do
    {
        YieldProcessor();
        QueryPerformanceCounter( &now );
    } while (!__atomic_load_n( &req->done, __ATOMIC_ACQUIRE ) &&
             now.QuadPart - start.QuadPart < engine.freq.QuadPart * SPIN_MAX_US / 1000000);
    InterlockedExchange( &engine.spinning, 0 );
}

/* Receives on its socket, for anyone, until its own request completed or
 * its deadline passed (or the socket fails: it then waits as a follower). */
static void request_lead( struct echo_request *req )
{
    struct rx_packet pkt;
    ULONGLONG now;

    while (!__atomic_load_n( &req->done, __ATOMIC_ACQUIRE ) && (now = engine_now_ms()) < req->deadline)
    {
        enum rx_result r = receive_lead_one( req->sock, (DWORD)min( req->deadline - now, 0x7fffffff ), &pkt );

        if (r == RX_PACKET) request_dispatch( req->sock, &pkt );
        else if (r == RX_FAILED) break;
    }
}

/* Waits for the reply, or times out here: still in flight at its deadline. */
static void request_wait( struct echo_request *req, uint16_t seq, uint32_t serial )
{
    struct echo_socket *sock = req->sock;
    /* (a thread past its detach never leads: see send_packet in echo_socket.c) */
    BOOL wake_thread, follow = apc_thread_detached() || engine_cpu_to_spare( engine_now_ms() ), spun = FALSE;

    EnterCriticalSection( &engine.cs );
    receive_follow( sock, &req->waiter );
    while (!req->done)
    {
        ULONGLONG now = engine_now_ms(), until = req->deadline;

        if (now >= req->deadline)
        {
            LeaveCriticalSection( &engine.cs );
            if (pending_take_serial( &engine.pending, seq, serial ))
            {
                TRACE( "seq %u timed out\n", seq );
                request_fail( req, IP_REQ_TIMED_OUT );
            }
            EnterCriticalSection( &engine.cs );
            continue;   /* (or a reply is being written: done comes next) */
        }
        if (follow)
        {
            if (receive_want_thread( sock ))
            {
                LeaveCriticalSection( &engine.cs );
                engine_wake();   /* nobody receives on it: the receive thread takes it now */
                EnterCriticalSection( &engine.cs );
                continue;
            }
            if (!spun)
            {
                spun = TRUE;
                LeaveCriticalSection( &engine.cs );
                request_spin( req );
                EnterCriticalSection( &engine.cs );
                continue;
            }
        }
        else if (receive_lead_begin( sock, now ))
        {
            receive_unfollow( &req->waiter );
            LeaveCriticalSection( &engine.cs );
            request_lead( req );
            EnterCriticalSection( &engine.cs );
            wake_thread = receive_lead_end( sock, engine_now_ms() );
            if (!req->done) receive_follow( sock, &req->waiter );
            if (!wake_thread) continue;
            LeaveCriticalSection( &engine.cs );
            engine_wake();   /* asynchronous requests are in flight on it: the receive thread takes over */
            EnterCriticalSection( &engine.cs );
            continue;
        }
        if (receive_retry_at( sock ) > now) until = min( until, receive_retry_at( sock ) );
        SleepConditionVariableCS( &req->waiter.cv, &engine.cs, (DWORD)min( until - now, 0x7fffffff ) );
    }
    receive_unfollow( &req->waiter );
    LeaveCriticalSection( &engine.cs );
}

/* ---- submitting ---- */

/* Fills a request in for p; a Win32 error or 0. */
static DWORD request_init( struct echo_request *req, struct echo_socket *sock, const struct echo_params *p )
{
    memset( req, 0, sizeof(*req) );
    req->sock = sock;
    echo_list_init( &req->flow.entry );
    echo_list_init( &req->waiter.entry );
    InitializeConditionVariable( &req->waiter.cv );
    req->key.family = sock->ops->family->key_family;
    req->key.id = engine.id;
    sock->ops->family->address_bytes( &p->dst, req->key.dst );
    req->key.payload_size = p->data_size;
    req->key.payload_hash = icmp_payload_hash( p->data, p->data_size );
    req->reply = p->reply;
    req->reply_size = p->reply_size;
    req->iosb_status = p->unsent_status ? p->unsent_iosb_status : STATUS_SUCCESS;
    req->apc.routine = p->apc;
    req->apc.context = p->apc_context;
    req->apc.release = request_apc_release;
    if (p->event)
    {
        req->how = COMPLETE_EVENT;
        return event_acquire( p->event, &req->event );
    }
    if (p->apc)
    {
        req->how = COMPLETE_APC;
        return (req->thread = apc_thread_current()) ? 0 : ERROR_NOT_ENOUGH_MEMORY;
    }
    req->how = COMPLETE_WAKE;
    return 0;
}

DWORD request_submit( struct echo_socket *sock, const struct echo_params *p, struct echo_outcome *out )
{
    struct echo_request sync_req, *req = &sync_req;
    uint16_t seq = 0;
    uint32_t serial = 0;
    DWORD err, status = 0;

    memset( out, 0, sizeof(*out) );
    if ((p->event || p->apc) && !(req = HeapAlloc( GetProcessHeap(), 0, sizeof(*req) )))
    {
        socket_release( sock );
        return ERROR_NOT_ENOUGH_MEMORY;
    }
    if ((err = request_init( req, sock, p )))
    {
        request_free( req );
        return err;
    }
    if (p->unsent_status)
    {
        if (req->how != COMPLETE_WAKE) count_async( sock, 1 );   /* (request_complete counts it out) */
        request_fail( req, p->unsent_status );
    }
    else if ((status = request_send( req, p, &seq, &serial )))
    {
        request_free( req );
        out->status = status;
        return 0;
    }
    if (req != &sync_req)
    {
        out->pending = TRUE;
        return 0;
    }
    if (!req->done) request_wait( req, seq, serial );
    out->status = req->status;
    out->reply_count = req->reply_count;
    request_free( req );
    return 0;
}
