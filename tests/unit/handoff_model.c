/*
 * The receive hand-off under every interleaving: a small exhaustive
 * scheduler over a model of the engine's threads, each step of which
 * calls rx_handoff.c exactly as the DLL does (echo_request.c,
 * echo_receive.c, echo_loop.c, echo_thread.c), on one socket.
 *
 * Actors:
 *   - up to three synchronous callers: register their request and send
 *     it, then wait: rx_wait_step decides whether to lead (post a receive,
 *     reap it, dispatch the packet, look whether its own request is done,
 *     rx_lead_end), to ask the receive thread, to spin or to sleep;
 *   - the receive thread: delivers what leaders handed it, takes the
 *     socket (rx_thread_takes), posts a receive, reaps it, dispatches,
 *     maybe gives the socket up (rx_thread_gives_up), waits for its event;
 *   - one asynchronous request (rx_async_begin, registered, sent);
 *   - the network: a sent request's reply arrives in the socket's queue;
 *     the kernel completes a posted receive with the first queued packet;
 *   - one death: the chosen thread dies between any two of its steps
 *     (never inside a lock); the death watch then reaps it
 *     (rx_waiter_gone, its request taken out) and wakes the receive
 *     thread. As under Wine, a dead leader's posted receive is cancelled
 *     unless a packet already completed it; the next receiver reaps it, and
 *     dispatches a packet the dead one read and did not dispatch (the
 *     socket holds it: echo_rx.held).
 * Each step is atomic (a step that holds engine.cs in the DLL is one
 * step; what the DLL does without the lock is a step of its own). Waking
 * a condition variable only wakes a waiter that sleeps on it; the
 * receive thread's wake event stays set until it waits (no receive uses
 * it: echo_loop.c).
 *
 * Checked in every reachable state: rx_check's invariants; no finished
 * waiter is woken to take the socket over; and when no step but a timer
 * could run (the receive thread's grace period for an abandoned socket is
 * the only timer modelled, and only for safety: it never counts as
 * progress), every caller has returned or died, the asynchronous request
 * was delivered, and nothing of a dead thread is linked; and no cycle of
 * steps without a timer exists (a run that never ends).
 *
 * Also checked: no leader that ended left its receive posted, and no
 * caller returned with its request still in the table.
 *
 * Deadlines are modelled in handoff_deadlines only (steps of their own,
 * explored like the timer: liveness must not rest on them), with two
 * callers at most. Not modelled, and why: failed receives (their retry
 * waits on a timer by design); several
 * sockets (a reply's copy on another socket, the receive thread's several
 * receives: their events are taken care of in echo_loop.c and
 * echo_receive.c, not by this hand-off); threads that are not watched (past
 * their own detach: their death waits for the receive thread's sweep).
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

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rx_handoff.h"
#include "unit.h"

#define MAX_SYNC   3
#define N_REQ      (MAX_SYNC + 1)         /* the sync callers', then the async one */
#define ASYNC_REQ  MAX_SYNC
#define NO_PKT     0xff
#define BIG_NOW    1000000

enum sync_pc { S_IDLE, S_REGISTER, S_WAIT, S_SLEEP, S_WAKE_THREAD, S_LEAD, S_DISPATCH, S_END, S_DEAD, S_DECIDE };
enum thread_pc { R_TOP, R_DELIVER, R_TAKE, R_READ, R_DISPATCH, R_IDLE };
enum async_pc { A_IDLE, A_REGISTER, A_WAKE, A_END, A_DEAD };
enum reap_pc { D_NONE, D_REAP, D_WAKE, D_DONE };
enum pkt_state { P_UNSENT, P_FLIGHT, P_QUEUED, P_POSTED, P_HELD, P_DONE };
enum poster { POSTER_NONE, POSTER_THREAD, POSTER_LEADER };

/* the model's whole state; rx and the waiters are rebuilt from `order` */
struct model
{
    /* configuration */
    int n_sync, with_async, victim;   /* victim: -1 none, 0..n_sync-1, MAX_SYNC: the async submitter */
    int cpu_spare;                    /* for the step being run */
    uint8_t follow_only[MAX_SYNC];
    /* actors */
    uint8_t spc[MAX_SYNC], held[MAX_SYNC], after_wake[MAX_SYNC];
    uint8_t dl[MAX_SYNC], rp[MAX_SYNC], lmode[MAX_SYNC], ov[MAX_SYNC], rfail[MAX_SYNC];
    uint8_t tpc, t_held, t_sync_done, t_deliver_n, t_wake, async_pc, reap, died;
    uint8_t t_deliver[N_REQ];
    /* requests and packets */
    uint8_t registered[N_REQ], delivered_async, pkt[N_REQ];
    /* the socket */
    uint8_t queue[N_REQ], queue_n, posted, poster, buf;
    uint8_t sheld;                  /* the socket's packet read and not dispatched (echo_rx.held) */
    uint8_t deliver_q[N_REQ], deliver_n;
    /* the hand-off state */
    struct rx_handoff rx;
    struct rx_waiter w[MAX_SYNC];
    uint8_t order[MAX_SYNC], order_n, leader;
    /* what went wrong (first), and which step */
    const char *error;
};

static struct model m;
static int deadlines;   /* handoff_deadlines: each caller's deadline may pass at any point */

/* ---- encoding: the state as bytes (rx rebuilt from it) ---- */

#define ENC_MAX 64      /* (encode writes at most 56 bytes) */

static int waiter_index( const struct rx_waiter *w )
{
    return w ? (int)(w - m.w) : 0xff;
}

static size_t encode( uint8_t *out )
{
    size_t n = 0;
    struct echo_list *e;
    int i;

    for (i = 0; i < MAX_SYNC; i++)
    {
        out[n++] = m.spc[i]; out[n++] = m.held[i]; out[n++] = m.after_wake[i];
        out[n++] = m.w[i].place | m.w[i].done << 2 | m.w[i].gone << 3 | m.w[i].spun << 4 | m.w[i].late << 5;
        out[n++] = m.dl[i] | m.rp[i] << 1 | m.lmode[i] << 2 | m.ov[i] << 4;
    }
    out[n++] = m.tpc; out[n++] = m.t_held; out[n++] = m.t_sync_done; out[n++] = m.t_wake;
    out[n++] = m.async_pc; out[n++] = m.reap; out[n++] = m.died; out[n++] = m.delivered_async;
    out[n++] = m.t_deliver_n;
    for (i = 0; i < m.t_deliver_n; i++) out[n++] = m.t_deliver[i];
    for (i = 0; i < N_REQ; i++) { out[n++] = m.registered[i]; out[n++] = m.pkt[i]; }
    out[n++] = m.queue_n;
    for (i = 0; i < m.queue_n; i++) out[n++] = m.queue[i];
    out[n++] = m.posted; out[n++] = m.poster; out[n++] = m.buf; out[n++] = m.sheld;
    out[n++] = m.deliver_n;
    for (i = 0; i < m.deliver_n; i++) out[n++] = m.deliver_q[i];
    out[n++] = m.rx.owner; out[n++] = m.rx.wanted; out[n++] = waiter_index( m.rx.leader );
    out[n++] = m.rx.async_count; out[n++] = m.rx.follow_only; out[n++] = m.rx.released_at != 0;
    for (e = m.rx.followers.next; e != &m.rx.followers; e = e->next)
        out[n++] = waiter_index( ECHO_LIST_ENTRY( e, struct rx_waiter, entry ) );
    out[n++] = 0xee;
    if (n > ENC_MAX) abort();
    return n;
}

static void decode( const uint8_t *in )
{
    size_t n = 0;
    int i;

    for (i = 0; i < MAX_SYNC; i++)
    {
        m.spc[i] = in[n++]; m.held[i] = in[n++]; m.after_wake[i] = in[n++];
        rx_waiter_init( &m.w[i], m.follow_only[i] );
        m.w[i].place = in[n] & 3; m.w[i].done = in[n] >> 2 & 1; m.w[i].gone = in[n] >> 3 & 1;
        m.w[i].spun = in[n] >> 4 & 1; m.w[i].late = in[n] >> 5 & 1; n++;
        m.dl[i] = in[n] & 1; m.rp[i] = in[n] >> 1 & 1; m.lmode[i] = in[n] >> 2 & 3; m.ov[i] = in[n] >> 4 & 1; n++;
    }
    m.tpc = in[n++]; m.t_held = in[n++]; m.t_sync_done = in[n++]; m.t_wake = in[n++];
    m.async_pc = in[n++]; m.reap = in[n++]; m.died = in[n++]; m.delivered_async = in[n++];
    m.t_deliver_n = in[n++];
    for (i = 0; i < m.t_deliver_n; i++) m.t_deliver[i] = in[n++];
    for (i = 0; i < N_REQ; i++) { m.registered[i] = in[n++]; m.pkt[i] = in[n++]; }
    m.queue_n = in[n++];
    for (i = 0; i < m.queue_n; i++) m.queue[i] = in[n++];
    m.posted = in[n++]; m.poster = in[n++]; m.buf = in[n++]; m.sheld = in[n++];
    m.deliver_n = in[n++];
    for (i = 0; i < m.deliver_n; i++) m.deliver_q[i] = in[n++];
    rx_init( &m.rx, 0 );
    m.rx.owner = in[n++]; m.rx.wanted = in[n++];
    i = in[n++];
    m.rx.leader = i == 0xff ? 0 : &m.w[i];
    m.rx.async_count = in[n++]; m.rx.follow_only = in[n++]; m.rx.released_at = in[n++] ? BIG_NOW : 0;
    while (in[n] != 0xee) echo_list_add_tail( &m.rx.followers, &m.w[in[n++]].entry );
}

/* ---- the steps ---- */

static void check_handover( const struct rx_wake *wake, const char *where )
{
    if (wake->waiter && wake->waiter->done && !m.error) m.error = where;
}

/* a waiter woken on its condition variable: only one asleep on it wakes */
static void wake_waiter( const struct rx_wake *wake )
{
    int i = wake->waiter ? waiter_index( wake->waiter ) : -1;
    if (i >= 0 && m.spc[i] == S_SLEEP) m.spc[i] = S_WAIT;
}

/* dispatching a packet (one step, under the lock): take its request and
 * complete it. A leader hands an asynchronous completion to the receive
 * thread (sets *handed); the thread keeps it to deliver itself. */
static int dispatch( uint8_t p, int by_thread, int *handed )
{
    struct rx_wake wake = { 0 };
    int sync = p < MAX_SYNC;

    m.pkt[p] = P_DONE;
    if (!m.registered[p]) return 0;   /* (taken already: a late packet) */
    m.registered[p] = 0;
    if (sync)
    {
        rx_complete( &m.rx, &m.w[p], &wake );
        wake_waiter( &wake );
        return 1;
    }
    rx_async_end( &m.rx );
    if (by_thread) m.t_deliver[m.t_deliver_n++] = p;
    else
    {
        m.deliver_q[m.deliver_n++] = p;
        *handed = 1;
    }
    return 0;
}

/* the kernel fills a posted receive with the first queued packet */
static void read_past( void )
{
    int i;
    for (i = 0; i < MAX_SYNC; i++) if (m.dl[i]) m.rp[i] = 1;
}

static int net_complete_receive( void )
{
    if (!m.posted || m.buf != NO_PKT || !m.queue_n) return 0;
    m.buf = m.queue[0];
    m.pkt[m.buf] = P_POSTED;
    memmove( m.queue, m.queue + 1, --m.queue_n );
    return 1;
}

/* reaping a completed receive: the packet is held by the socket until dispatched */
static void reap_posted( void )
{
    m.sheld = m.buf;
    m.pkt[m.buf] = P_HELD;
    m.buf = NO_PKT;
    m.posted = 0;
    m.poster = POSTER_NONE;
}

/* dispatching takes the held packet */
static uint8_t take_held( void )
{
    uint8_t p = m.sheld;
    m.sheld = NO_PKT;
    return p;
}

/* One sync caller's step; 0 if it cannot run now. */
static int step_sync( int i )
{
    struct rx_wake wake = { 0 };
    uint64_t until;
    int handed = 0;

    switch (m.spc[i])
    {
    case S_REGISTER:   /* request_send: registered (pending_add) and sent */
        m.registered[i] = 1;
        m.pkt[i] = P_FLIGHT;
        m.spc[i] = S_WAIT;
        return 1;
    case S_WAIT:       /* request_wait: one pass of its loop under engine.cs */
        rx_wait_begin( &m.rx, &m.w[i] );
        switch (rx_wait_step( &m.rx, &m.w[i], m.dl[i], 1, m.rp[i], &until, &wake ))
        {
        case RX_STEP_DONE:
            rx_wait_end( &m.rx, &m.w[i] );
            m.spc[i] = S_END;
            break;
        case RX_STEP_EXPIRE:
            check_handover( &wake, "expire handed on to a finished waiter" );
            wake_waiter( &wake );
            if (wake.thread) m.t_wake = 1;
            if (m.registered[i])
            {
                m.registered[i] = 0;
                rx_complete( &m.rx, &m.w[i], &wake );
                wake_waiter( &wake );
            }
            break;
        case RX_STEP_LEAD:
            m.spc[i] = S_LEAD;
            m.lmode[i] = 0;
            break;
        case RX_STEP_ASK:
            m.spc[i] = S_WAKE_THREAD;
            m.after_wake[i] = S_WAIT;
            break;
        case RX_STEP_SPIN:
            break;
        case RX_STEP_SLEEP:
            m.spc[i] = S_SLEEP;
            break;
        }
        return 1;
    case S_WAKE_THREAD:   /* engine_wake, the lock let go */
        m.t_wake = 1;
        m.spc[i] = m.after_wake[i];
        return 1;
    case S_LEAD:       /* request_lead's receive: lead_one, finish, or late */
        m.ov[i] = m.dl[i] || m.w[i].done;
        if (m.sheld != NO_PKT)
        {
            m.spc[i] = S_DISPATCH;
            return 1;
        }
        if (m.lmode[i] == 1)   /* receive_lead_one( sock, 0 ): late, without waiting */
        {
            if (m.posted)
            {
                if (m.buf != NO_PKT) { reap_posted(); m.spc[i] = S_DISPATCH; return 1; }
                m.posted = 0, m.poster = POSTER_NONE;   /* cancelled, reaped empty */
            }
            m.posted = 1;
            m.poster = POSTER_LEADER;
            if (net_complete_receive()) { reap_posted(); m.spc[i] = S_DISPATCH; return 1; }
            read_past();
            m.spc[i] = S_DECIDE;
            return 1;
        }
        if (m.ov[i])   /* receive_lead_finish */
        {
            if (m.posted && m.buf != NO_PKT) { reap_posted(); m.spc[i] = S_DISPATCH; return 1; }
            m.posted = 0, m.poster = POSTER_NONE;
            m.spc[i] = S_DECIDE;
            return 1;
        }
        if (!m.posted)
        {
            m.posted = 1;
            m.poster = POSTER_LEADER;
            if (!net_complete_receive()) read_past();
            return 1;
        }
        if (m.buf == NO_PKT) return 0;   /* (blocked in its wait) */
        reap_posted();
        m.spc[i] = S_DISPATCH;
        return 1;
    case S_DISPATCH:
    case S_DECIDE:     /* request_lead: under engine.cs */
    {
        int pkt = m.spc[i] == S_DISPATCH, end = 0;
        if (pkt) dispatch( take_held(), 0, &handed );
        if (!m.lmode[i] && m.ov[i] && !m.w[i].done && !m.rp[i]) m.lmode[i] = 1;
        else if (m.lmode[i] == 1) { if (!pkt || m.w[i].done) m.lmode[i] = 2; }
        else if (m.ov[i] || (m.w[i].done && !m.posted))
        {
            rx_lead_end( &m.rx, &m.w[i], 0, &wake );
            check_handover( &wake, "rx_lead_end woke a finished waiter" );
            wake_waiter( &wake );
            end = 1;
            m.lmode[i] = 0;
        }
        m.spc[i] = end ? S_WAIT : S_LEAD;
        if (handed || wake.thread)
        {
            m.after_wake[i] = m.spc[i];
            m.spc[i] = S_WAKE_THREAD;
        }
        return 1;
    }
    default:
        return 0;
    }
}

/* The receive thread's step; timer: take the socket as if its grace passed.
 * Its loop (echo_loop.c): under engine.cs, take the deliveries leaders
 * handed it and the sockets it receives on; read each; deliver; wait. */
static int step_thread( int timer )
{
    struct rx_wake wake = { 0 };
    uint64_t next = UINT64_MAX;
    int handed = 0;

    switch (m.tpc)
    {
    case R_TOP:
    case R_TAKE:
        memcpy( m.t_deliver + m.t_deliver_n, m.deliver_q, m.deliver_n );
        m.t_deliver_n += m.deliver_n;
        m.deliver_n = 0;
        m.tpc = rx_thread_takes( &m.rx, m.tpc == R_TAKE ? BIG_NOW : 0, 20, &next ) ? R_READ : R_DELIVER;
        return 1;
    case R_READ:       /* receive_thread_one */
        if (m.sheld != NO_PKT)   /* (a packet a dead leader held) */
        {
            m.tpc = R_DISPATCH;
            return 1;
        }
        if (m.posted && m.poster == POSTER_LEADER)
        {
            /* a dead leader's receive, cancelled: reaped (its packet, if any, dispatched) */
            if (m.buf != NO_PKT)
            {
                reap_posted();
                m.tpc = R_DISPATCH;
            }
            else m.posted = 0, m.poster = POSTER_NONE;
            return 1;
        }
        if (!m.posted)
        {
            m.posted = 1;
            m.poster = POSTER_THREAD;
            if (!net_complete_receive()) read_past();
            return 1;
        }
        if (m.buf == NO_PKT)
        {
            m.tpc = R_DELIVER;
            return 1;
        }
        reap_posted();
        m.tpc = R_DISPATCH;
        return 1;
    case R_DISPATCH:   /* loop_read: dispatched, then whether to give the socket up, under engine.cs */
        m.t_sync_done = dispatch( take_held(), 1, &handed );
        if (rx_thread_gives_up( &m.rx, m.t_sync_done, m.cpu_spare, 0, &wake ))
        {
            check_handover( &wake, "rx_thread_gives_up woke a finished waiter" );
            wake_waiter( &wake );
            if (wake.thread) m.t_wake = 1;
            m.tpc = R_DELIVER;
        }
        else m.tpc = R_READ;
        m.t_sync_done = 0;
        return 1;
    case R_DELIVER:    /* event signalled / APC queued, no lock */
        if (m.t_deliver_n) m.delivered_async = 1;
        m.t_deliver_n = 0;
        m.tpc = R_IDLE;
        return 1;
    case R_IDLE:       /* WaitForSingleObject( engine.wake ): its event, or its posted receive */
        if (m.t_wake || (m.posted && m.poster == POSTER_THREAD && m.buf != NO_PKT) || timer)
        {
            m.t_wake = 0;
            m.tpc = timer ? R_TAKE : R_TOP;
            return 1;
        }
        return 0;
    }
    return 0;
}

static int step_async( void )
{
    switch (m.async_pc)
    {
    case A_REGISTER:   /* count_async (engine.cs), pending_add, sent */
        m.registered[ASYNC_REQ] = 1;
        m.pkt[ASYNC_REQ] = P_FLIGHT;
        m.async_pc = rx_async_begin( &m.rx ) ? A_WAKE : A_END;
        return 1;
    case A_WAKE:       /* engine_wake */
        m.t_wake = 1;
        m.async_pc = A_END;
        return 1;
    }
    return 0;
}

/* the victim dies between two of its steps */
static int step_die( void )
{
    int i = m.victim;

    if (m.died || i < 0) return 0;
    if (i == ASYNC_REQ)
    {
        if (m.async_pc == A_END || m.async_pc == A_IDLE) return 0;
        m.async_pc = A_DEAD;
    }
    else
    {
        if (m.spc[i] == S_END || m.spc[i] == S_IDLE) return 0;
        /* Wine cancels the dead thread's posted receive unless a packet completed it */
        if (m.posted && m.poster == POSTER_LEADER && m.rx.leader == &m.w[i] && m.buf == NO_PKT)
            m.posted = 0, m.poster = POSTER_NONE;
        m.spc[i] = S_DEAD;
    }
    m.died = 1;
    m.reap = D_REAP;
    return 1;
}

/* the death watch (echo_thread.c): reaps the dead thread's call, then wakes the receive thread */
static int step_reap( void )
{
    struct rx_wake wake = { 0 };
    int i = m.victim;

    if (m.reap == D_REAP)
    {
        if (i < MAX_SYNC)
        {
            rx_waiter_gone( &m.rx, &m.w[i], 0, &wake );
            check_handover( &wake, "rx_waiter_gone woke a finished waiter" );
            wake_waiter( &wake );
            m.registered[i] = 0;
        }
        m.reap = D_WAKE;
        return 1;
    }
    if (m.reap == D_WAKE)
    {
        m.t_wake = 1;
        m.reap = D_DONE;
        return 1;
    }
    return 0;
}

static int step_net( int k )
{
    if (k < N_REQ)
    {
        if (m.pkt[k] != P_FLIGHT) return 0;
        m.pkt[k] = P_QUEUED;
        m.queue[m.queue_n++] = k;
        net_complete_receive();
        return 1;
    }
    return 0;
}

/* step numbering: sync callers, thread, async, death, reaper, network */
enum { ST_SYNC = 0, ST_THREAD = MAX_SYNC, ST_THREAD_SPARE, ST_TIMER, ST_ASYNC, ST_DIE, ST_REAP, ST_NET, ST_DEADLINE = ST_NET + N_REQ, ST_COUNT = ST_DEADLINE + MAX_SYNC };

static int run_step( int s )
{
    if (s < ST_THREAD) return s < m.n_sync && step_sync( s );
    if (s == ST_THREAD) return m.cpu_spare = 0, step_thread( 0 );
    /* (a CPU to spare changes only the decision to give the socket up) */
    if (s == ST_THREAD_SPARE) return m.tpc == R_DISPATCH && (m.cpu_spare = 1, step_thread( 0 ));
    if (s == ST_TIMER) return m.tpc == R_IDLE && step_thread( 1 );
    if (s == ST_ASYNC) return m.with_async && step_async();
    if (s == ST_DIE) return step_die();
    if (s == ST_REAP) return step_reap();
    if (s >= ST_DEADLINE)
    {
        int i = s - ST_DEADLINE;
        if (!deadlines || i >= m.n_sync || m.dl[i] || m.spc[i] == S_IDLE || m.spc[i] == S_REGISTER || m.spc[i] == S_END || m.spc[i] == S_DEAD) return 0;
        m.dl[i] = 1;
        if (m.spc[i] == S_SLEEP) m.spc[i] = S_WAIT;
        return 1;
    }
    return step_net( s - ST_NET );
}

static const char *step_name( int s )
{
    static const char *names[] = { "sync0", "sync1", "sync2", "thread", "thread(cpu spare)", "timer", "async", "die", "reap",
                                   "arrive0", "arrive1", "arrive2", "arrive-async", "deadline0", "deadline1", "deadline2" };
    return names[s];
}

/* what must be true when nothing but a timer can run */
static const char *check_quiescent( void )
{
    int i;

    for (i = 0; i < m.n_sync; i++)
    {
        if (m.spc[i] == S_END || m.spc[i] == S_DEAD) continue;
        return "a waiting caller is stranded";
    }
    if (m.with_async && !m.delivered_async && m.async_pc != A_DEAD)
        return "the asynchronous request is not delivered";
    if (m.victim >= 0 && m.victim < MAX_SYNC && m.died)
    {
        if (m.w[m.victim].place != RXW_OUT || m.rx.leader == &m.w[m.victim]) return "a dead thread's waiter is linked";
        if (m.registered[m.victim]) return "a dead thread's request is still registered";
    }
    return 0;
}

/* ---- the search ----
 *
 * A depth-first forest over the steps that are not the timer: a timer's
 * successor becomes the root of a later tree. So a step back to a state on
 * the current path is a cycle that needs no timer: a run that can go on
 * for ever without anyone returning (a livelock), which fails. With no
 * such cycle every run without timers ends, and it ends in a state where
 * nothing but a timer can run: those are checked (check_quiescent). States
 * are remembered by a 64-bit hash of their encoding (hash compaction, as
 * model checkers such as SPIN do): two states sharing a hash would make the
 * search skip one (odds about n^2 / 2^65 for n states). */

static int quiet;

static void dump_state( void )
{
    static const char *spc[] = { "idle", "register", "wait", "sleep", "wake-thread", "lead", "dispatch", "end", "dead", "decide" };
    static const char *tpc[] = { "top", "deliver", "take", "read", "dispatch", "idle" };
    struct echo_list *e;
    int i;

    printf( "    " );
    for (i = 0; i < m.n_sync; i++)
        printf( "s%d:%s%s%s%s%s%s%s ", i, spc[m.spc[i]], m.w[i].done ? "/done" : "", m.dl[i] ? "/dl" : "", m.rp[i] ? "/rp" : "", m.w[i].late ? "/late" : "",
                m.w[i].place == RXW_FOLLOWING ? "/f" : m.w[i].place == RXW_LEADING ? "/L" : "", m.follow_only[i] ? "/fo" : "" );
    printf( "t:%s%s owner %d wanted %d async %u fo %u followers", tpc[m.tpc], m.t_wake ? "/woken" : "", m.rx.owner,
            m.rx.wanted, m.rx.async_count, m.rx.follow_only );
    for (e = m.rx.followers.next; e != &m.rx.followers; e = e->next)
        printf( " %d", waiter_index( ECHO_LIST_ENTRY( e, struct rx_waiter, entry ) ) );
    printf( " posted %d/%d buf %d q %d pkts", m.posted, m.poster, m.buf == NO_PKT ? -1 : m.buf, m.queue_n );
    for (i = 0; i < N_REQ; i++) printf( " %d", m.pkt[i] );
    printf( " deliv %d\n", m.delivered_async );
}

struct frame
{
    struct model state;     /* a copy of m (its list pointers point into m: restored into m only) */
    uint8_t next_step;      /* the next step to try from it */
    uint8_t step;           /* the step that led to it */
    uint8_t progress;       /* a non-timer step ran from it */
};

static struct
{
    uint64_t *keys;         /* 0: empty */
    uint8_t *color;         /* 1 on the current path, 2 finished, 3 waiting as a root */
    uint64_t size, count;
    struct frame *path;
    unsigned int depth, max_depth;
    uint8_t *roots;         /* ENC_MAX each: states a timer led to, to start from later */
    uint64_t root_count, root_capacity;
} seen;

static uint64_t hash_key( const uint8_t *p )
{
    uint64_t h = 0x9e3779b97f4a7c15ull, word;
    size_t i;

    for (i = 0; i < ENC_MAX; i += 8)
    {
        memcpy( &word, p + i, 8 );
        h = (h ^ word) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    h = (h ^ (h >> 29)) * 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 32;
    return h ? h : 1;
}

/* the slot of a state's hash, added if new (*found 0); -1 if the table is full */
static int64_t seen_slot( uint64_t h, int *found )
{
    uint64_t i = h & (seen.size - 1), tries = 0;

    while (seen.keys[i] && seen.keys[i] != h)
    {
        i = (i + 1) & (seen.size - 1);
        if (++tries > seen.size / 2) return -1;
    }
    *found = seen.keys[i] == h;
    if (!*found)
    {
        if (seen.count >= seen.size / 4 * 3) return -1;
        seen.keys[i] = h;
        seen.color[i] = 0;
        seen.count++;
    }
    return (int64_t)i;
}

static void print_path( void )
{
    unsigned int i;

    if (quiet) return;
    printf( "  schedule (from the last root):" );
    for (i = 1; i < seen.depth; i++) printf( " %s", step_name( seen.path[i].step ) );
    printf( "\n" );
    if (!getenv( "HANDOFF_TRACE" )) return;
    for (i = 0; i < seen.depth; i++)
    {
        printf( "  after %s:\n", i ? step_name( seen.path[i].step ) : "(root)" );
        m = seen.path[i].state;
        dump_state();
    }
}

struct config_result
{
    uint64_t states, transitions;
    int failed;
};

static int push_root( const uint8_t *key )
{
    if (seen.root_count == seen.root_capacity) return 0;
    memcpy( seen.roots + seen.root_count++ * ENC_MAX, key, ENC_MAX );
    return 1;
}

/* the depth-first tree from one root; nonzero on failure */
static int explore_tree( const uint8_t *root, struct config_result *res )
{
    uint8_t key[ENC_MAX];
    const char *why;
    int found;
    int64_t slot;

    if ((slot = seen_slot( hash_key( root ), &found )) < 0) return printf( "handoff_model: state table full\n" ), 1;
    if (found && seen.color[slot] != 3) return 0;
    seen.color[slot] = 1;
    seen.depth = 1;
    decode( root );
    seen.path[0].state = m;
    seen.path[0].next_step = 0;
    seen.path[0].progress = 0;
    while (seen.depth)
    {
        struct frame *f = &seen.path[seen.depth - 1];
        int s = f->next_step;

        if (s == ST_COUNT)
        {
            if (!f->progress)
            {
                m = f->state;
                if ((why = check_quiescent()))
                {
                    printf( "handoff_model: %s\n", why );
                    print_path();
                    return 1;
                }
            }
            m = f->state;
            memset( key, 0, sizeof(key) );
            encode( key );
            seen.color[seen_slot( hash_key( key ), &found )] = 2;
            seen.depth--;
            continue;
        }
        f->next_step++;
        m = f->state;
        m.error = 0;
        if (!run_step( s )) continue;
        res->transitions++;
        if (!m.error && (why = rx_check( &m.rx ))) m.error = why;
        if (!m.error && !m.died && m.posted && m.poster == POSTER_LEADER && m.rx.owner != RX_LEADER)
            m.error = "a leader that ended left its receive posted";
        if (!m.error)
        {
            int k;
            for (k = 0; k < m.n_sync; k++)
                if (m.spc[k] == S_END && m.registered[k]) m.error = "a caller returned with its request registered";
        }
        memset( key, 0, sizeof(key) );
        encode( key );
        if (m.error)
        {
            printf( "handoff_model: %s, in step %s\n", m.error, step_name( s ) );
            print_path();
            return 1;
        }
        if (s == ST_TIMER || s >= ST_DEADLINE)
        {
            /* (explored later, from a root of its own) */
            if ((slot = seen_slot( hash_key( key ), &found )) < 0) return printf( "handoff_model: state table full\n" ), 1;
            if (found) continue;
            seen.color[slot] = 3;
            if (!push_root( key )) return printf( "handoff_model: too many roots\n" ), 1;
            continue;
        }
        f->progress = 1;
        if ((slot = seen_slot( hash_key( key ), &found )) < 0) return printf( "handoff_model: state table full\n" ), 1;
        if (found && seen.color[slot] == 1)
        {
            printf( "handoff_model: a cycle without a timer (a run that never ends), back to an earlier state by step %s\n",
                    step_name( s ) );
            print_path();
            return 1;
        }
        if (found && seen.color[slot] != 3) continue;
        if (seen.depth == seen.max_depth) return printf( "handoff_model: path too deep\n" ), 1;
        seen.color[slot] = 1;
        f = &seen.path[seen.depth++];
        f->state = m;
        f->next_step = 0;
        f->step = (uint8_t)s;
        f->progress = 0;
    }
    return 0;
}

static struct config_result explore( void )
{
    struct config_result res = { 0, 0, 0 };
    uint8_t key[ENC_MAX];

    memset( seen.keys, 0, seen.size * sizeof(*seen.keys) );
    seen.count = seen.root_count = 0;
    memset( key, 0, sizeof(key) );
    encode( key );
    res.failed = explore_tree( key, &res );
    while (!res.failed && seen.root_count)
    {
        memcpy( key, seen.roots + --seen.root_count * ENC_MAX, ENC_MAX );
        res.failed = explore_tree( key, &res );
    }
    res.states = seen.count;
    return res;
}

static void setup( int n_sync, int follow_only, int with_async, int victim )
{
    int i;

    memset( &m, 0, sizeof(m) );
    m.n_sync = n_sync;
    m.with_async = with_async;
    m.victim = victim;
    rx_init( &m.rx, 0 );
    for (i = 0; i < MAX_SYNC; i++)
    {
        m.follow_only[i] = i < follow_only;
        rx_waiter_init( &m.w[i], m.follow_only[i] );
        m.spc[i] = i < n_sync ? S_REGISTER : S_IDLE;
        m.held[i] = NO_PKT;
    }
    m.t_held = NO_PKT;
    m.buf = NO_PKT;
    m.sheld = NO_PKT;
    m.tpc = R_TOP;
    m.async_pc = with_async ? A_REGISTER : A_IDLE;
}

/* Every configuration: 1 to 3 callers, the first `follow_only` of them
 * follow-only (the callers are otherwise alike, so which ones does not
 * matter), with or without the asynchronous request, and no death or the
 * death of one of each kind of thread (a caller that may lead, a
 * follow-only one, the asynchronous request's submitter). Whether a CPU is
 * to spare is chosen anew at each of the receive thread's decisions. */
static void run_model( const char *name, int with_deadlines, int max_callers )
{
    uint64_t states = 0, transitions = 0, configs = 0, max_states = 0;
    int n, fo, with_async, victim, failures = 0;

    deadlines = with_deadlines;
    quiet = 0;
    seen.size = (uint64_t)1 << 24;   /* (the largest configuration has about 6.5 million states) */
    seen.keys = malloc( seen.size * sizeof(*seen.keys) );
    seen.color = malloc( seen.size );
    seen.max_depth = 1 << 16;
    seen.path = malloc( seen.max_depth * sizeof(*seen.path) );
    seen.root_capacity = 1 << 20;
    seen.roots = malloc( seen.root_capacity * ENC_MAX );
    if (!seen.keys || !seen.color || !seen.path || !seen.roots)
    {
        CHECK( 0, "no memory for the checker" );
        return;
    }
    /* (HANDOFF_MAX_CALLERS: fewer callers, for the slower sanitizer build) */
    if (getenv( "HANDOFF_MAX_CALLERS" ) && atoi( getenv( "HANDOFF_MAX_CALLERS" ) ) < max_callers)
        max_callers = atoi( getenv( "HANDOFF_MAX_CALLERS" ) );
    if (max_callers < 1 || max_callers > MAX_SYNC) max_callers = MAX_SYNC;
    for (n = 1; n <= max_callers; n++)
        for (fo = 0; fo <= n; fo++)
            for (with_async = 0; with_async <= 1; with_async++)
                for (victim = -1; victim <= MAX_SYNC; victim++)
                {
                    struct config_result r;

                    /* victims: none, the first follow-only caller, the first that may lead, the async submitter */
                    if (victim >= 0 && victim < MAX_SYNC && victim != 0 && victim != fo) continue;
                    if (victim >= n && victim != ASYNC_REQ) continue;
                    if (victim == ASYNC_REQ && !with_async) continue;
                    setup( n, fo, with_async, victim );
                    r = explore();
                    configs++;
                    states += r.states;
                    transitions += r.transitions;
                    if (r.states > max_states) max_states = r.states;
                    if (getenv( "HANDOFF_STATS" ))
                        printf( "  %d callers, %d follow-only, async %d, victim %d: %llu states\n", n, fo, with_async,
                                victim, (unsigned long long)r.states );
                    if (r.failed && failures >= 2) quiet = 1;
                    if (r.failed)
                    {
                        printf( "  configuration: %d callers, %d follow-only, async %d, victim %d\n", n, fo, with_async, victim );
                        failures++;
                    }
                    CHECK( !r.failed, "hand-off model: %d callers, %d follow-only, async %d, victim %d", n, fo, with_async,
                           victim );
                    if (r.failed && getenv( "HANDOFF_STOP_AT_FIRST" )) goto done;
                }
done:
    printf( "%s: %llu configurations, %llu states, %llu transitions explored (largest %llu states), %d failing\n",
            name, (unsigned long long)configs, (unsigned long long)states, (unsigned long long)transitions,
            (unsigned long long)max_states, failures );
    free( seen.keys );
    free( seen.color );
    free( seen.path );
    free( seen.roots );
}

void test_handoff_model( void )
{
    run_model( "handoff_model", 0, MAX_SYNC );
}

/* The same with deadlines: each caller's may pass at any point (a step of
 * its own, explored like a timer: never counted as progress), and then
 * rx_wait_step decides whether it leads late (its socket not read past
 * it: a post that found the queue empty after its deadline marks it read)
 * or expires (its request taken out, completed, the socket handed on);
 * its lead reads late as request_lead does. Two callers at most (three
 * take over half an hour). */
void test_handoff_deadlines( void )
{
    run_model( "handoff_deadlines", 1, 2 );
}

/* A deadline that passed with the socket not read past it (rx_wait_step's
 * late lead): the caller leads once more when nobody receives on the
 * socket, and expires in every other case; the socket is handed on as
 * after any lead. (Not part of the model above, which has no deadlines.) */
void test_handoff_late( void )
{
    struct rx_handoff rx;
    struct rx_waiter w, w2, fo;
    struct rx_wake wake = { 0 };
    uint64_t until = 0, next = ~(uint64_t)0;
    const char *why;

    /* nobody receives, not read past the deadline (100): it leads, once */
    rx_init( &rx, 0 );
    rx_waiter_init( &w, 0 );
    rx_waiter_init( &w2, 0 );
    rx_wait_begin( &rx, &w );
    rx_wait_begin( &rx, &w2 );
    CHECK( rx_wait_step( &rx, &w, 100, 100, 99, &until, &wake ) == RX_STEP_LEAD, "late: not led" );
    CHECK( rx.owner == RX_LEADER && rx.leader == &w && w.place == RXW_LEADING, "late: not the leader" );
    why = rx_check( &rx );
    CHECK( !why, "late lead: %s", why ? why : "" );
    /* while it leads, another late caller expires (someone reads) */
    CHECK( rx_wait_step( &rx, &w2, 100, 100, 99, &until, &wake ) == RX_STEP_EXPIRE, "late: second caller led too" );
    /* it found nothing: it ends its lead (the next follower is woken, as after any lead) and expires */
    rx_lead_end( &rx, &w, 101, &wake );
    CHECK( rx.owner == RX_NONE && wake.waiter == &w2, "late: the socket not handed on (%p)", (void *)wake.waiter );
    CHECK( rx_wait_step( &rx, &w, 101, 100, 99, &until, &wake ) == RX_STEP_EXPIRE, "late: led twice" );
    why = rx_check( &rx );
    CHECK( !why, "late end: %s", why ? why : "" );

    /* read past the deadline already: it expires at once, and hands the socket on (the wake it had
     * may have been the socket's) */
    rx_init( &rx, 0 );
    rx_waiter_init( &w, 0 );
    rx_waiter_init( &w2, 0 );
    rx_wait_begin( &rx, &w );
    rx_wait_begin( &rx, &w2 );
    memset( &wake, 0, sizeof(wake) );
    CHECK( rx_wait_step( &rx, &w, 100, 100, 100, &until, &wake ) == RX_STEP_EXPIRE, "read past it: led" );
    CHECK( wake.waiter == &w2 && w.place == RXW_OUT, "expired: the socket not handed on (%p)", (void *)wake.waiter );

    /* a follow-only caller never leads; the receive thread reads for it */
    rx_init( &rx, 0 );
    rx_waiter_init( &fo, 1 );
    rx_wait_begin( &rx, &fo );
    CHECK( rx_wait_step( &rx, &fo, 100, 100, 0, &until, &wake ) == RX_STEP_EXPIRE, "follow-only: led" );

    /* the receive thread receives on it: it expires */
    rx_init( &rx, 0 );
    rx_waiter_init( &w, 0 );
    rx_async_begin( &rx );
    CHECK( rx_thread_takes( &rx, 50, 20, &next ), "the thread did not take it" );
    rx_wait_begin( &rx, &w );
    CHECK( rx_wait_step( &rx, &w, 100, 100, 0, &until, &wake ) == RX_STEP_EXPIRE, "thread receives: led" );

    /* its receive failed a moment ago: nobody leads before retry_at, it expires */
    rx_init( &rx, 0 );
    rx_waiter_init( &w, 0 );
    rx_receive_failed( &rx, 200 );
    rx_wait_begin( &rx, &w );
    CHECK( rx_wait_step( &rx, &w, 100, 100, 0, &until, &wake ) == RX_STEP_EXPIRE, "retry: led" );
}
