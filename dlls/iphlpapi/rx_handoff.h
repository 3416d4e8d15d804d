/*
 * The receive hand-off: who receives on a socket, who waits for whom, and
 * who is woken when that changes. Every decision the engine makes about it
 * is made here (echo_receive.c, echo_request.c and echo_loop.c carry them
 * out); tests/unit/handoff_model.c explores every interleaving of these
 * steps for several synchronous callers, the receive thread, an
 * asynchronous request and a thread's death.
 *
 * Exactly one receiver per socket at a time (owner):
 *   RX_LEADER  a synchronous caller waiting for its own reply receives on
 *              the socket itself and completes whatever comes, for anyone;
 *   RX_THREAD  the receive thread keeps a receive posted on it;
 *   RX_NONE    nobody: packets wait in the kernel's queue.
 * The other synchronous callers of the socket are its followers, in order
 * of arrival. A follower either may lead (it leads when the socket has
 * nobody) or is follow-only (a CPU is to spare, or its thread is past its
 * detach: the receive thread receives for it; it never leads).
 *
 * The rule that keeps everyone live without a timer: whenever the socket
 * is left with nobody receiving (a leader ends, dies, or the receive
 * thread gives up), the party that must receive next is woken at once:
 *   - the receive thread, if asynchronous requests are in flight on the
 *     socket or a follow-only caller waits (it takes such a socket);
 *   - else the first follower, which then leads (or, being woken, finds
 *     someone else already receiving and sleeps again).
 * A follower is a caller whose request is not done: completing a request
 * takes its caller out of the followers at once, so the one woken is
 * never a finished one. A waiter whose thread died is taken out of every
 * place (rx_waiter_gone) and, if it led, the socket is handed on by the
 * same rule; whatever wake was meant for it is given again.
 *
 * The receive thread also takes a socket left alone for a grace period
 * (so that other programs' packets are drained); that is housekeeping,
 * never what a waiting caller depends on.
 *
 * Pure C, no lock of its own: every call is made with the engine's lock
 * held (engine.cs in the DLL, the model's step in the checker). Waking is
 * returned to the caller (struct rx_wake), which wakes a waiter's
 * condition variable at once (still holding the lock) and the receive
 * thread after letting the lock go.
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

#ifndef RX_HANDOFF_H
#define RX_HANDOFF_H

#include <stdint.h>

#include "echo_list.h"

enum rx_owner
{
    RX_NONE,
    RX_THREAD,
    RX_LEADER,
};

enum rx_place
{
    RXW_OUT,                    /* not (or no longer) waiting on the socket */
    RXW_FOLLOWING,              /* in followers */
    RXW_LEADING,                /* the socket's leader */
};

/* a synchronous caller waiting for its request */
struct rx_waiter
{
    struct echo_list entry;     /* in followers while RXW_FOLLOWING */
    uint8_t place;              /* enum rx_place */
    uint8_t done;               /* its request completed: it returns */
    uint8_t gone;               /* its thread died */
    uint8_t follow_only;        /* never leads */
    uint8_t spun;               /* (follow-only) it spun once for its reply */
    uint8_t late;               /* it led once after its deadline (below) */
};

struct rx_handoff
{
    uint8_t owner;              /* enum rx_owner */
    uint8_t wanted;             /* the receive thread is asked to take it now */
    struct rx_waiter *leader;   /* RX_LEADER */
    uint32_t async_count;       /* asynchronous requests in flight on it */
    uint32_t follow_only;       /* follow-only waiters among the followers */
    struct echo_list followers; /* struct rx_waiter, oldest first */
    uint64_t released_at;       /* when it last became RX_NONE */
    uint64_t retry_at;          /* after a failed receive: nobody leads before this */
};

/* What the caller of a step must wake. */
struct rx_wake
{
    struct rx_waiter *waiter;   /* its condition variable (still under the lock) */
    int thread;                 /* the receive thread (after letting the lock go) */
};

/* what a waiting caller does next */
enum rx_step
{
    RX_STEP_DONE,               /* its request completed: rx_wait_end, then return */
    RX_STEP_EXPIRE,             /* its deadline passed: take its request out and fail it */
    RX_STEP_LEAD,               /* it is the leader now: receive until done, then rx_lead_end */
    RX_STEP_ASK,                /* (follow-only) the receive thread was asked to take the socket */
    RX_STEP_SPIN,               /* (follow-only) spin a little for the reply, then ask again */
    RX_STEP_SLEEP,              /* sleep on its condition variable until woken or *until */
};

void rx_init( struct rx_handoff *rx, uint64_t now );
void rx_waiter_init( struct rx_waiter *w, int follow_only );

/* A synchronous caller's request is registered: it waits (a follower). */
void rx_wait_begin( struct rx_handoff *rx, struct rx_waiter *w );
/* What the waiting caller does next; *until: how long it may sleep.
 * read_to: the socket's queue was found empty at that time (a receive
 * posted then found nothing). A reply that came by the deadline counts,
 * however late a receiver runs: a caller whose deadline passed with its
 * socket not read past it, and nobody receiving on it, leads once more
 * (request_lead reads what is queued, then gives up); else it expires.
 * (A follow-only caller never leads: the receive thread, which has a CPU,
 * reads for it; another leader or the receive thread receiving is
 * reading already.) One that expires with nobody receiving hands the
 * socket on (wake), as a leader that ends does: the wake that made it
 * step may have been the socket's. */
enum rx_step rx_wait_step( struct rx_handoff *rx, struct rx_waiter *w, uint64_t now, uint64_t deadline,
                           uint64_t read_to, uint64_t *until, struct rx_wake *wake );
/* The leader stops receiving (its request completed, its deadline passed
 * or its receive failed); it follows again if its request is not done. */
void rx_lead_end( struct rx_handoff *rx, struct rx_waiter *w, uint64_t now, struct rx_wake *wake );
/* w's request completed: it leaves the followers; wake->waiter is w if it sleeps. */
void rx_complete( struct rx_handoff *rx, struct rx_waiter *w, struct rx_wake *wake );
/* The caller returns (after RX_STEP_DONE). */
void rx_wait_end( struct rx_handoff *rx, struct rx_waiter *w );
/* w's thread died: it is taken out of every place; the socket it led is handed on. */
void rx_waiter_gone( struct rx_handoff *rx, struct rx_waiter *w, uint64_t now, struct rx_wake *wake );

/* An asynchronous request is in flight on the socket; nonzero: wake the receive thread. */
int rx_async_begin( struct rx_handoff *rx );
void rx_async_end( struct rx_handoff *rx );

/* The receive thread: whether it receives on the socket now (taking it if
 * nobody does and it is needed, or it was left alone for `grace` ms;
 * *next: when to look again). */
int rx_thread_takes( struct rx_handoff *rx, uint64_t now, uint64_t grace, uint64_t *next );
/* The receive thread, with no receive posted, after completing a request
 * (sync_done: a synchronous one): whether it leaves the socket to its
 * synchronous callers (when no CPU is to spare: they receive for
 * themselves more cheaply). */
int rx_thread_gives_up( struct rx_handoff *rx, int sync_done, int cpu_spare, uint64_t now, struct rx_wake *wake );
/* The owner's receive failed: nobody leads before retry_at. */
void rx_receive_failed( struct rx_handoff *rx, uint64_t retry_at );
void rx_receive_ok( struct rx_handoff *rx );

/* Whether the invariants hold (tests): 0 or a description of the first broken one. */
const char *rx_check( const struct rx_handoff *rx );

#endif /* RX_HANDOFF_H */
