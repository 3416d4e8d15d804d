/*
 * A request's whole life, in this one file:
 *
 *   request_submit   fills it in from checked parameters (an Event
 *                    request's event reset, the requesting thread's record
 *                    taken); finds room in the flow budget; sets the
 *                    socket's options, registers it in the table of
 *                    requests in flight and sends it; an asynchronous one
 *                    that finds no room is registered and queued instead
 *                    (request_defer), and the receive thread sends it when
 *                    room comes (request_send_deferred);
 *   request_wait     a synchronous caller waits: rx_handoff.c says, step by
 *                    step, whether it leads its socket's receive
 *                    (request_lead), asks the receive thread, spins or
 *                    sleeps, and it times itself out;
 *   request_dispatch_locked  a received packet is matched and completes its
 *                    request;
 *   request_expire   an asynchronous request's deadline passed;
 *   complete_locked  the one completion: the result written (staged, for a
 *                    synchronous caller, which copies it into its own
 *                    buffer) and the caller woken, or an asynchronous
 *                    request put on a delivery list;
 *   request_deliver_all  the event signalled, the APC handed to its thread;
 *   request_free     its references (socket, event, thread) and memory;
 *   request_thread_gone  what a dead thread's calls leave is reaped.
 *
 * Ownership. Each request is one of its thread's calls in progress
 * (echo_thread.calls, engine.cs) from its creation: until it is
 * registered, and, for a synchronous one, until its caller lets it go, so
 * that whatever the thread dies in, its death watch finds it. From its
 * registration the table of requests in flight (pending_table.c) owns it,
 * and whoever takes it out (a reply, its deadline, a failed send, the
 * waiting caller's own deadline, the death watch) completes it; an
 * asynchronous one is freed once delivered. A synchronous request has two
 * owners: its caller, who waits for it (and may die waiting), and, while it
 * is registered, the table; each holds a reference (refs, engine.cs) and
 * the last one frees it.
 *
 * Hand-offs between threads are made under engine.cs, each in one step,
 * so that a thread that dies (anywhere outside a lock) leaves nothing
 * half-handed: a synchronous request is taken out of the table and
 * completed in one step (never seen taken but not done); an asynchronous
 * one completed by any thread but the receive thread (a leader, a failed
 * send) is put on engine.deliver in that same step and delivered by the
 * receive thread (a wake lost with a dying thread is given by its death
 * watch, echo_thread.c); a packet a leader read is marked held in its
 * socket until it is dispatched (a leader that dies between the two leaves
 * it to the next receiver). Nothing writes into a synchronous caller's
 * memory but the caller: its result is staged in the request, with the
 * pointers of the reply layout computed for the caller's buffer. The
 * sender holds a reference of its own to the socket across the send: the
 * request, and its reference, may be completed and freed before the send
 * returns.
 *
 * Time: a request's deadline is the call's time plus Timeout (for one
 * queued for room as for any other); its RoundTripTime runs from its send
 * to the pickup of its reply (a packet picked up before the request was
 * sent answers an older one). Timeouts below ECHO_MIN_TIMEOUT (16 ms,
 * Windows' default timer tick) wait that long: Windows accepts Timeout 0
 * and a loopback echo then succeeds (Wine's iphlpapi tests, checked on
 * Windows), and .NET documents that with very small timeouts a reply can
 * still be received after Timeout has passed. A reply that came by the
 * deadline counts however late the caller's thread ran: a synchronous
 * caller reads what its socket had queued before it expires (request_lead,
 * rx_wait_step), so that Timeout 0 to loopback succeeds on a loaded
 * machine too (stress late_reply). A synchronous caller waits
 * for room in the flow budget within its Timeout, and times out as if
 * unanswered when none comes.
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

#include <stddef.h>
#include <string.h>

#include "echo_private.h"
#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(icmp);

#define STAGE_INLINE  256       /* a synchronous reply staged in the request itself up to this size */

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
    struct rx_waiter waiter;                /* COMPLETE_WAKE: on its socket (rx_handoff.c) */
    CONDITION_VARIABLE cv;                  /* COMPLETE_WAKE: where its caller sleeps */
    struct echo_list call;                  /* in its thread's calls (engine.cs) */
    struct echo_list link;                  /* in engine.deferred, a delivery or a garbage list */
    struct icmp_request_key key;            /* (key.seq: pending.seq) */
    struct echo_socket *sock;               /* a reference */
    struct echo_thread *thread;             /* the requesting thread's record, a reference */
    enum completion_kind how;
    LONG refs;                              /* COMPLETE_WAKE: its caller's, and the table's (engine.cs) */
    BOOL registered;                        /* in the table as (seq, serial) (engine.cs) */
    BOOL in_calls;                          /* in its thread's calls (engine.cs) */
    BOOL deferred;                          /* in engine.deferred: waiting for room (engine.cs) */
    uint16_t seq;
    uint32_t serial;
    DWORD charge;                           /* what it takes of the flow budget */
    LARGE_INTEGER sent;                     /* QueryPerformanceCounter at its send (engine.cs once registered) */
    ULONGLONG deadline;
    BYTE *reply;                            /* the caller's buffer */
    DWORD reply_size;
    BYTE *staged;                           /* COMPLETE_WAKE: the reply, for its caller to copy */
    DWORD written;
    DWORD reply_count;
    DWORD status;
    struct event_ref *event;                /* COMPLETE_EVENT */
    NTSTATUS iosb_status;                   /* the APC's IO_STATUS_BLOCK.Status */
    struct echo_params send;                /* deferred: what its send needs, its data and options copied */
    BYTE *data_copy;
    BYTE options_copy[MAX_OPT_SIZE];
    BYTE inline_staged[STAGE_INLINE];
};

#define REQUEST_OF( entry ) CONTAINING_RECORD( entry, struct echo_request, pending )
#define REQUEST_OF_LINK( elem ) ECHO_LIST_ENTRY( elem, struct echo_request, link )
#define REQUEST_OF_CALL( elem ) ECHO_LIST_ENTRY( elem, struct echo_request, call )

/* ---- the end of a request ---- */

/* (engine.cs held) it is no longer one of its thread's calls */
static void leave_calls( struct echo_request *req )
{
    if (!req->in_calls) return;
    echo_list_remove( &req->call );
    echo_add32( &req->thread->apc.calls, -1 );
    req->in_calls = FALSE;
}

/* Lets go of what the request holds, and frees it (no engine lock). */
static void request_free( struct echo_request *req )
{
    if (req->in_calls)
    {
        EnterCriticalSection( &engine.cs );
        leave_calls( req );
        LeaveCriticalSection( &engine.cs );
    }
    if (req->event) event_release( req->event );
    if (req->thread) thread_release( req->thread );
    socket_release( req->sock );
    if (req->staged && req->staged != req->inline_staged) HeapFree( GetProcessHeap(), 0, req->staged );
    HeapFree( GetProcessHeap(), 0, req->data_copy );
    HeapFree( GetProcessHeap(), 0, req );
}

void request_after_init( struct echo_after *after )
{
    echo_list_init( &after->garbage );
    after->kick = NULL;
}

void request_after( struct echo_after *after )
{
    struct echo_list *elem;

    while ((elem = echo_list_head( &after->garbage )))
    {
        echo_list_remove( elem );
        request_free( REQUEST_OF_LINK( elem ) );
    }
    if (after->kick)
    {
        SetEvent( after->kick->rx.lead_event );
        socket_release( after->kick );
        after->kick = NULL;
    }
}

static void request_apc_release( struct echo_apc *apc )
{
    request_free( CONTAINING_RECORD( apc, struct echo_request, apc ) );
}

void request_wake_locked( const struct rx_wake *wake )
{
    if (wake->waiter) WakeConditionVariable( &CONTAINING_RECORD( wake->waiter, struct echo_request, waiter )->cv );
}

/* (engine.cs held) what the first queued request waits for, told to the flow budget */
static void deferred_changed( void )
{
    struct echo_list *head = echo_list_head( &engine.deferred );
    flow_want( &engine.flow, head ? REQUEST_OF_LINK( head )->charge : 0 );
}

/* (engine.cs held) A synchronous result, as the caller's buffer will hold it. */
static DWORD stage_reply( struct echo_request *req, const struct icmp_result *res )
{
    const struct family_ops *ops = req->sock->ops->family;
    DWORD need = ops->reply_struct_size + MAX_OPT_SIZE + 4 + (res->data ? (DWORD)res->data_size : 0);

    need = min( need, req->reply_size );
    req->staged = req->inline_staged;
    if (need > STAGE_INLINE && !(req->staged = HeapAlloc( GetProcessHeap(), 0, need )))
    {
        req->staged = req->inline_staged;   /* (no memory: the data cut to what fits here) */
        need = STAGE_INLINE;
    }
    return ops->write_reply( req->staged, need, req->reply, res );
}

/* (engine.cs held) The one completion, by whoever took the request out of
 * the table (or never put it in). TRUE when the table's reference was the
 * last: the request is to be freed once the lock is let go. */
static BOOL complete_locked( struct echo_request *req, const struct icmp_result *res, struct echo_list *deliver )
{
    struct rx_wake wake = { 0 };

    flow_cancel( &engine.flow, &req->flow );   /* (nothing when its reply gave the bytes back) */
    req->status = res->status;
    req->reply_count = res->reply_count;
    TRACE( "completed seq %u: status %u, address %s, rtt %u\n", req->pending.seq, res->status,
           req->sock->ops->family->debugstr_address( res->address ), res->rtt_ms );
    if (req->deferred)   /* (never sent: its deadline passed while it waited for room) */
    {
        echo_list_remove( &req->link );
        req->deferred = FALSE;
        deferred_changed();
    }
    if (req->how != COMPLETE_WAKE)
    {
        req->registered = FALSE;
        req->written = req->sock->ops->family->write_reply( req->reply, req->reply_size, req->reply, res );
        rx_async_end( &req->sock->rx.h );
        echo_list_add_tail( deliver, &req->link );
        return FALSE;
    }
    req->written = stage_reply( req, res );
    rx_complete( &req->sock->rx.h, &req->waiter, &wake );
    request_wake_locked( &wake );
    if (!req->registered) return FALSE;
    req->registered = FALSE;
    return !--req->refs;
}

static void result_status( struct icmp_result *res, DWORD status )
{
    memset( res, 0, sizeof(*res) );
    res->status = status;
}

/* Delivers completed asynchronous requests (no engine lock). */
void request_deliver_all( struct echo_list *deliver )
{
    struct echo_list *elem;

    while ((elem = echo_list_head( deliver )))
    {
        struct echo_request *req = REQUEST_OF_LINK( elem );

        echo_list_remove( elem );
        if (req->how == COMPLETE_EVENT)
        {
            event_signal( req->event );
            request_free( req );
            continue;
        }
        req->apc.iosb.Status = req->iosb_status;
        req->apc.iosb.Information = req->written;
        apc_deliver( req->thread, &req->apc );   /* (request_apc_release frees it once the routine ran) */
    }
}

/* ---- replies and deadlines ---- */

struct match_context
{
    const struct icmp_packet *packet;
    const struct socket_ops *ops;
    LONGLONG when;
};

static int match_request( const struct pending_entry *entry, const void *context )
{
    const struct match_context *m = context;
    const struct echo_request *req = REQUEST_OF( entry );
    struct icmp_request_key key = req->key;

    if (m->when < req->sent.QuadPart) return 0;   /* (picked up before it was sent: an older request's) */
    key.seq = entry->seq;
    return icmp_match( m->packet, &key, m->ops->echo_check );
}

BOOL request_dispatch_locked( struct echo_socket *sock, const struct rx_packet *pkt, struct echo_list *deliver,
                              struct echo_after *after )
{
    struct match_context m = { NULL, sock->ops, pkt->when.QuadPart };
    struct pending_entry *entry;
    struct echo_request *req;
    struct icmp_packet p;
    struct icmp_result res;
    DWORD rtt;
    ULONGLONG when_ms;
    BOOL sync, kick;

    sock->rx.held = FALSE;   /* (dispatched, whatever it is) */
    if (sock->ops->family->parse( pkt->data, pkt->len, pkt->from, &p ) == ICMP_KIND_IGNORE) return FALSE;
    m.packet = &p;
    if (!(entry = pending_take_seq( &engine.pending, p.seq, match_request, &m )))
    {
        TRACE( "ignoring a packet for seq %u (%s)\n", p.seq, sock->ops->name );
        return FALSE;
    }
    req = REQUEST_OF( entry );
    rtt = (DWORD)engine_qpc_to_ms( pkt->when.QuadPart - req->sent.QuadPart );
    when_ms = engine_qpc_to_ms( pkt->when.QuadPart );
    flow_reply( &engine.flow, &req->flow, when_ms );
    flow_round_trip( &engine.flow, rtt, when_ms );
    icmp_result_from_packet( &p, rtt, &res );
    if (pkt->from->si_family == AF_INET6) res.scope_id = pkt->from->Ipv6.sin6_scope_id;
    sync = req->how == COMPLETE_WAKE;
    /* (its caller leads another socket, waiting there for a copy that may never come: woken) */
    kick = sync && req->waiter.place == RXW_LEADING && req->sock != sock && !after->kick;
    if (kick)
    {
        socket_addref_locked( req->sock );
        after->kick = req->sock;
    }
    if (complete_locked( req, &res, deliver )) echo_list_add_tail( &after->garbage, &req->link );
    return sync;
}

/* Completes the asynchronous requests whose deadline passed (onto
 * *deliver); the next deadline. */
ULONGLONG request_expire( ULONGLONG now, struct echo_list *deliver )
{
    struct pending_entry *entry;
    struct icmp_result res;

    result_status( &res, IP_REQ_TIMED_OUT );
    EnterCriticalSection( &engine.cs );
    while ((entry = pending_take_expired( &engine.pending, now )))
    {
        TRACE( "seq %u timed out\n", entry->seq );
        complete_locked( REQUEST_OF( entry ), &res, deliver );   /* (timed: asynchronous only) */
    }
    LeaveCriticalSection( &engine.cs );
    return pending_next_deadline( &engine.pending );
}

/* ---- sending ---- */

static void request_unsent( struct echo_request *req, DWORD status );

/* A registered request whose send failed completes with the send's status
 * (asynchronous ones delivered by the receive thread). */
static void send_failed( uint16_t seq, uint32_t serial, DWORD status )
{
    struct pending_entry *entry;
    struct icmp_result res;
    struct echo_after after;
    BOOL deliver;

    result_status( &res, status );
    request_after_init( &after );
    EnterCriticalSection( &engine.cs );
    if ((entry = pending_take_serial( &engine.pending, seq, serial )) &&
        complete_locked( REQUEST_OF( entry ), &res, &engine.deliver ))
        echo_list_add_tail( &after.garbage, &REQUEST_OF( entry )->link );
    deliver = !echo_list_empty( &engine.deliver );
    LeaveCriticalSection( &engine.cs );
    request_after( &after );
    if (deliver) engine_wake();
}

/* Sends a registered request (send_cs held); the caller's own reference
 * to the socket kept it. */
static void send_now( struct echo_socket *sock, uint16_t seq, uint32_t serial, const struct echo_params *p )
{
    DWORD err = socket_send_echo( sock, engine.id, seq, p );

    engine_jitter( JITTER_SENT );
    LeaveCriticalSection( &sock->send_cs );
    if (err) send_failed( seq, serial, ip_status_from_error( err ) );
}

/* (engine.cs held) Registers the request (an asynchronous one is then the
 * table's, no longer its thread's call); a Win32 error or 0. */
static DWORD register_locked( struct echo_request *req, BOOL timed, BOOL *wake )
{
    ULONGLONG earliest;

    if (pending_add( &engine.pending, &req->pending, req->deadline, timed, &req->seq, &req->serial, &earliest ))
        return ERROR_NOT_ENOUGH_MEMORY;
    req->registered = TRUE;
    if (timed)
    {
        leave_calls( req );
        /* (someone must receive on it; the receive thread may sleep past this deadline) */
        *wake = rx_async_begin( &req->sock->rx.h ) || req->deadline < echo_load64( &engine.loop_wake_at );
    }
    else req->refs++;   /* the table's */
    return 0;
}

/* An asynchronous request that finds no room: registered (its deadline
 * runs from the call) and queued; the receive thread sends it when room
 * comes. What the send needs is copied: the caller may free its data. */
static DWORD request_defer( struct echo_request *req, const struct echo_params *p )
{
    BOOL wake = FALSE, first;
    DWORD err;

    req->send = *p;
    if (p->data_size)
    {
        if (!(req->data_copy = HeapAlloc( GetProcessHeap(), 0, p->data_size ))) return IP_NO_RESOURCES;
        memcpy( req->data_copy, p->data, p->data_size );
    }
    req->send.data = req->data_copy;
    memcpy( req->options_copy, p->options, p->options_size );
    req->send.options = req->options_copy;
    req->sent.QuadPart = MAXLONGLONG;   /* (nothing answers it before it is sent) */
    EnterCriticalSection( &engine.cs );
    if (!(err = register_locked( req, TRUE, &wake )))
    {
        first = echo_list_empty( &engine.deferred );
        echo_list_add_tail( &engine.deferred, &req->link );
        req->deferred = TRUE;
        if (first) deferred_changed();
        wake = wake || first;
        TRACE( "seq %u waits for %lu bytes of the flow budget (%u held of %u)\n", req->seq, req->charge,
               flow_total_held( &engine.flow, engine_now_ms() ), engine.flow.budget );
    }
    LeaveCriticalSection( &engine.cs );
    if (err) return ip_status_from_error( err );
    if (wake) engine_wake();
    return 0;
}

/* The receive thread: sends the queued requests while there is room; when
 * to look again. */
ULONGLONG request_send_deferred( ULONGLONG now )
{
    for (;;)
    {
        struct echo_list *head;
        struct echo_request *req;
        struct echo_socket *sock;
        uint16_t seq;
        uint32_t serial;

        EnterCriticalSection( &engine.cs );
        if (!(head = echo_list_head( &engine.deferred )))
        {
            LeaveCriticalSection( &engine.cs );
            return ~(ULONGLONG)0;
        }
        req = REQUEST_OF_LINK( head );
        if (!flow_room_now( &req->flow, req->charge ))
        {
            LeaveCriticalSection( &engine.cs );
            return now + FLOW_POLL_MS;
        }
        echo_list_remove( head );
        req->deferred = FALSE;
        deferred_changed();
        QueryPerformanceCounter( &req->sent );
        seq = req->seq;
        serial = req->serial;
        socket_addref_locked( sock = req->sock );   /* (the request may complete during the send) */
        LeaveCriticalSection( &engine.cs );
        EnterCriticalSection( &sock->send_cs );
        /* (only this thread completes a queued request before its send: req lives until then) */
        if (sock->ops->family->set_options( sock, &req->send ))
        {
            LeaveCriticalSection( &sock->send_cs );
            send_failed( seq, serial, IP_GENERAL_FAILURE );
        }
        else send_now( sock, seq, serial, &req->send );
        socket_release( sock );
    }
}

/* Sends (or queues) a request. Returns 0 (it completes, perhaps already:
 * the caller must not touch an asynchronous one again), or the IP_STATUS
 * it was refused with before it was registered (nothing completes then). */
static DWORD request_send( struct echo_request *req, const struct echo_params *p )
{
    struct echo_socket *sock = req->sock;
    BOOL async = req->how != COMPLETE_WAKE, wake = FALSE, room;
    uint16_t seq = 0;
    uint32_t serial = 0;
    DWORD err;

    req->charge = flow_charge_for( sock->ops, p->data_size, sock->ops->family->is_loopback( &p->dst ) );
    if (!async)
    {
        if (!flow_wait_room( &req->flow, req->charge, req->deadline ))
        {
            TRACE( "no room in the flow budget before the deadline\n" );
            request_unsent( req, IP_REQ_TIMED_OUT );   /* (as if unanswered) */
            return 0;
        }
    }
    else
    {
        /* (first come, first sent: behind a queued one, a request queues too) */
        EnterCriticalSection( &engine.cs );
        room = echo_list_empty( &engine.deferred ) && flow_room_now( &req->flow, req->charge );
        LeaveCriticalSection( &engine.cs );
        if (!room) return request_defer( req, p );
    }
    socket_addref( sock );   /* the sender's own (the request's may be gone before the send returns) */
    EnterCriticalSection( &sock->send_cs );
    if (!(err = sock->ops->family->set_options( sock, p )))
    {
        EnterCriticalSection( &engine.cs );
        QueryPerformanceCounter( &req->sent );
        if (!(err = register_locked( req, async, &wake )))
        {
            seq = req->seq;
            serial = req->serial;
        }
        LeaveCriticalSection( &engine.cs );
    }
    if (err)
    {
        LeaveCriticalSection( &sock->send_cs );
        socket_release( sock );
        flow_cancel( &engine.flow, &req->flow );
        return ip_status_from_error( err );
    }
    engine_jitter( JITTER_REGISTERED );
    if (wake) engine_wake();
    send_now( sock, seq, serial, p );
    socket_release( sock );
    return 0;
}

/* ---- the synchronous caller ----
 *
 * Under Wine every receive is completed in the thread that posted it, and
 * every Winsock call is a wineserver round trip. Which costs more depends
 * on the machine (measured in make bench, every regime):
 *   - no CPU to spare (a game, or any CPU-bound process beside us, or a
 *     process allowed one CPU): each thread hand-off is a context switch;
 *     the caller receives itself (leader: what a bare socket would do)
 *     while nobody else does, and the others wait on their condition
 *     variable for it to complete them or leave them the socket
 *     (followers);
 *   - a CPU to spare: each round trip waits for an idle core to wake up;
 *     the receive thread, whose receive is posted before the reply comes,
 *     receives, and the caller (follow-only) spins for SPIN_MAX_US (one
 *     caller at a time) before it sleeps, so that no wake-up is on the
 *     reply's path but the receive thread's own.
 * engine_cpu_to_spare (cpu_regime.h) says which. */

#define SPIN_MAX_US  500

/* Spins until the request completed, SPIN_MAX_US passed, or another caller spins. */
static void request_spin( struct echo_request *req )
{
    LARGE_INTEGER start, now;
    BOOL hit;

    if (InterlockedCompareExchange( &engine.spinning, GetCurrentThreadId(), 0 )) return;
    QueryPerformanceCounter( &start );
    do
    {
        YieldProcessor();
        QueryPerformanceCounter( &now );
    } while (!(hit = __atomic_load_n( &req->waiter.done, __ATOMIC_ACQUIRE )) &&
             now.QuadPart - start.QuadPart < engine.freq.QuadPart * SPIN_MAX_US / 1000000);
    InterlockedExchange( &engine.spinning, 0 );
    engine_spun( hit, now.QuadPart - start.QuadPart );
}

/* The leader receives on its socket, dispatching whatever comes, for
 * anyone, until its own request completed, its deadline passed or the
 * receive failed; then it ends the lead (rx_lead_end) in the same step as
 * its last dispatch. Its deadline passed, it first reads what the socket
 * had queued by then (ECHO_LATE_READS packets at most; a reply that came
 * in time counts however late this thread ran: rx_handoff.h). Called and
 * returning without engine.cs. */
static void request_lead( struct echo_request *req )
{
    struct echo_socket *sock = req->sock;
    struct rx_packet pkt;
    unsigned int late_reads = 0;
    BOOL end = FALSE, late = FALSE;

    while (!end)
    {
        struct rx_wake wake = { 0 };
        struct echo_after after;
        ULONGLONG now = engine_now_ms();
        BOOL over = now >= req->deadline || __atomic_load_n( &req->waiter.done, __ATOMIC_ACQUIRE ), wake_thread;
        enum rx_result r;

        engine_jitter( JITTER_LEAD );
        if (late) r = receive_lead_one( sock, 0, &pkt );   /* (what is queued, without waiting) */
        /* (over: its receive, if one is posted, is cancelled; a packet it got is dispatched) */
        else if (over) r = receive_lead_finish( sock, &pkt );
        else r = receive_lead_one( sock, (DWORD)min( req->deadline - now, 0x7fffffff ), &pkt );
        request_after_init( &after );
        EnterCriticalSection( &engine.cs );
        if (r == RX_PACKET)
        {
            if (late) TRACE( "seq %u: read a packet after its deadline\n", req->seq );
            request_dispatch_locked( sock, &pkt, &engine.deliver, &after );
        }
        /* (its deadline passed, its request not done, the socket not read past it: it reads on,
         * once; when a late read found nothing or failed, or it is done, its receive is cancelled next) */
        if (!late && over && !req->waiter.done && r != RX_FAILED && late_reads < ECHO_LATE_READS &&
            receive_read_to_locked( sock ) < req->deadline)
            late = TRUE;
        else if (late)
        {
            if (r != RX_PACKET || req->waiter.done || ++late_reads >= ECHO_LATE_READS)
                late = FALSE, late_reads = ECHO_LATE_READS;
        }
        else if (over || r == RX_FAILED || (req->waiter.done && !sock->rx.posted))
        {
            rx_lead_end( &sock->rx.h, &req->waiter, engine_now_ms(), &wake );
            request_wake_locked( &wake );
            end = TRUE;
        }
        wake_thread = wake.thread || !echo_list_empty( &engine.deliver );
        LeaveCriticalSection( &engine.cs );
        request_after( &after );
        if (wake_thread) engine_wake();
    }
}

/* Waits until the request completed (or times it out at its deadline). */
static void request_wait( struct echo_request *req )
{
    struct rx_handoff *rx = &req->sock->rx.h;

    EnterCriticalSection( &engine.cs );
    rx_wait_begin( rx, &req->waiter );
    for (;;)
    {
        struct rx_wake wake = { 0 };
        struct icmp_result res;
        ULONGLONG now = engine_now_ms(), until;

        switch (rx_wait_step( rx, &req->waiter, now, req->deadline, receive_read_to_locked( req->sock ), &until, &wake ))
        {
        case RX_STEP_DONE:
            rx_wait_end( rx, &req->waiter );
            LeaveCriticalSection( &engine.cs );
            return;
        case RX_STEP_EXPIRE:
            /* (not taken: someone completed it in the step that took it) */
            if (req->registered && pending_take_serial( &engine.pending, req->seq, req->serial ))
            {
                TRACE( "seq %u timed out\n", req->seq );
                result_status( &res, IP_REQ_TIMED_OUT );
                complete_locked( req, &res, NULL );   /* (its caller holds a reference: never the last) */
            }
            /* (nobody received on its socket: it was handed on) */
            request_wake_locked( &wake );
            if (wake.thread)
            {
                LeaveCriticalSection( &engine.cs );
                engine_wake();
                EnterCriticalSection( &engine.cs );
            }
            continue;
        case RX_STEP_LEAD:
            LeaveCriticalSection( &engine.cs );
            request_lead( req );
            break;
        case RX_STEP_ASK:
            LeaveCriticalSection( &engine.cs );
            engine_wake();   /* nobody receives on it: the receive thread takes it now */
            break;
        case RX_STEP_SPIN:
            LeaveCriticalSection( &engine.cs );
            request_spin( req );
            break;
        case RX_STEP_SLEEP:
            SleepConditionVariableCS( &req->cv, &engine.cs, (DWORD)min( until - now, 0x7fffffff ) );
            continue;
        }
        engine_jitter( JITTER_WAIT );
        EnterCriticalSection( &engine.cs );
    }
}

/* The caller lets go of its synchronous request (no longer its call). */
static void request_release( struct echo_request *req )
{
    BOOL last;

    EnterCriticalSection( &engine.cs );
    leave_calls( req );
    last = !--req->refs;
    LeaveCriticalSection( &engine.cs );
    if (last) request_free( req );
}

/* A thread ended: its calls in progress are reaped. A synchronous call is
 * taken out of its socket's waiters (the socket it led is handed on) and
 * out of the table; a call not registered yet (it died on its way) is
 * simply freed. Nothing of the caller is written. */
void request_thread_gone( struct echo_thread *t )
{
    struct echo_after after;
    struct echo_list *elem;

    request_after_init( &after );
    EnterCriticalSection( &engine.cs );
    InterlockedCompareExchange( &engine.spinning, 0, t->tid );   /* (it died spinning) */
    while ((elem = echo_list_head( &t->calls )))
    {
        struct echo_request *req = REQUEST_OF_CALL( elem );
        struct rx_wake wake = { 0 };

        leave_calls( req );
        TRACE( "seq %u: its thread ended in the call\n", req->seq );
        if (req->how == COMPLETE_WAKE && !req->waiter.done)
        {
            rx_waiter_gone( &req->sock->rx.h, &req->waiter, engine_now_ms(), &wake );
            request_wake_locked( &wake );   /* (the receive thread is woken by the death watch) */
        }
        if (req->registered && pending_take_serial( &engine.pending, req->seq, req->serial ))
        {
            req->registered = FALSE;
            req->refs--;
        }
        flow_cancel( &engine.flow, &req->flow );
        if (!--req->refs) echo_list_add_tail( &after.garbage, &req->link );
    }
    LeaveCriticalSection( &engine.cs );
    request_after( &after );
}

/* ---- submitting ---- */

/* Fills a request in for p, one of its thread's calls now; a Win32 error or 0. */
static DWORD request_init( struct echo_request *req, struct echo_socket *sock, const struct echo_params *p )
{
    memset( req, 0, offsetof( struct echo_request, inline_staged ) );
    req->sock = sock;
    req->refs = 1;
    echo_list_init( &req->flow.entry );
    echo_list_init( &req->call );
    echo_list_init( &req->link );
    InitializeConditionVariable( &req->cv );
    req->deadline = engine_now_ms() + max( p->timeout, ECHO_MIN_TIMEOUT );
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
    req->how = p->event ? COMPLETE_EVENT : p->apc ? COMPLETE_APC : COMPLETE_WAKE;
    if (!(req->thread = thread_current())) return ERROR_NOT_ENOUGH_MEMORY;
    EnterCriticalSection( &engine.cs );
    echo_list_add_tail( &req->thread->calls, &req->call );
    echo_add32( &req->thread->apc.calls, 1 );
    req->in_calls = TRUE;
    LeaveCriticalSection( &engine.cs );
    if (req->how == COMPLETE_EVENT) return event_acquire( p->event, &req->event );
    /* (a thread past its detach never leads: see send_packet in echo_socket.c) */
    rx_waiter_init( &req->waiter, thread_detached() || engine_cpu_to_spare( engine_now_ms() ) );
    return 0;
}

/* A request that is not sent completes at once with status. */
static void request_unsent( struct echo_request *req, DWORD status )
{
    struct icmp_result res;
    BOOL deliver;

    result_status( &res, status );
    EnterCriticalSection( &engine.cs );
    if (req->how != COMPLETE_WAKE)
    {
        leave_calls( req );   /* (delivered by the receive thread) */
        rx_async_begin( &req->sock->rx.h );   /* (complete_locked counts it out) */
    }
    complete_locked( req, &res, &engine.deliver );
    deliver = !echo_list_empty( &engine.deliver );
    LeaveCriticalSection( &engine.cs );
    if (deliver) engine_wake();
}

DWORD request_submit( struct echo_socket *sock, const struct echo_params *p, struct echo_outcome *out )
{
    struct echo_request *req;
    DWORD err, status;
    BOOL async = p->event || p->apc;

    memset( out, 0, sizeof(*out) );
    if (!(req = HeapAlloc( GetProcessHeap(), 0, sizeof(*req) )))
    {
        socket_release( sock );
        return ERROR_NOT_ENOUGH_MEMORY;
    }
    if ((err = request_init( req, sock, p )))
    {
        request_free( req );
        return err;
    }
    /* (from here an asynchronous request may complete and be freed at any time: not touched again) */
    if (p->unsent_status) request_unsent( req, p->unsent_status );
    else if ((status = request_send( req, p )))
    {
        request_free( req );
        out->status = status;
        return 0;
    }
    if (async)
    {
        out->pending = TRUE;
        return 0;
    }
    request_wait( req );
    memcpy( req->reply, req->staged, req->written );
    out->status = req->status;
    out->reply_count = req->reply_count;
    request_release( req );
    return 0;
}
