/*
 * Flow control's bookkeeping: how many bytes of a raw socket's receive
 * queue the requests in flight may fill, so that a burst never overflows
 * it (the kernel would drop the replies).
 *
 * On Linux every raw ICMP socket gets a copy of every ICMP packet of its
 * namespace, so the queue of each socket of each process using this engine
 * takes every process's replies. The budget is therefore shared by all of
 * them: each process has a slot in memory shared by the prefix (struct
 * flow_shared; echo_flow.c maps it) saying how many bytes its requests
 * hold, how far its sockets have been read, and how large its own queue is
 * (the budget is the smallest of them). A sender may go when the sum over
 * the slots that count leaves room for its charge, and for what others'
 * first waiting requests want (so that a large request is not starved by
 * small ones), or when nothing is held anywhere (a request larger than the
 * budget goes alone). A charge is held from before the send until the
 * reply has left every queue it was copied to: when its owner reads it, it
 * moves to a "retiring" queue of the owner, and is given back once every
 * other counted process has been seen with all its sockets empty since
 * (its `empty_at`, or `waiting`: its receives are posted and find nothing).
 * A process alone with one socket gives it back at once. A request that
 * gets no answer gives its bytes back when it ends, or early once the
 * process's sockets are empty and it is older than 2 x the slowest recent
 * round trip + 5 ms (a silent host must not stall senders); "slowest
 * recent" starts at FLOW_RTT_UNKNOWN_MS, decays by time, not by replies
 * (a burst of fast replies says nothing of a slower host), and never below
 * FLOW_RTT_FLOOR_MS: a wave of requests reclaimed early while their
 * answers are still coming would arrive on top of the next wave, more
 * than the queue holds (lab flow_async_return: up to 712 of 2,000 replies
 * dropped by the kernel when the first wave to the 50 ms host was
 * reclaimed after 5 ms).
 *
 * Nobody waits on the budget beyond what it allows: an asynchronous
 * request that finds no room is queued by the engine and sent when room
 * comes (flow_try), a synchronous caller waits at most until its own
 * deadline (flow_reserve).
 *
 * The page is input, not truth: any process of the prefix can write it
 * (another build of this DLL, a crashed writer, a bug). Its first word
 * holds the magic and the layout's version together, set by the first
 * process in one step (a mismatched one: this process keeps a budget of its
 * own, and says so once). A slot is owned by a token (random, per process
 * start), and its owner holds a named object of its own (echo_flow.c) for
 * its life: a new owner's slot counts at once if its values are sound, and
 * its owner is looked for (flow_housekeeping, off the send path and
 * outside the lock, at most once per FLOW_CHECK_MS per slot, however often
 * its owner changes); a slot whose owner is gone does not count, so
 * neither a recycled process id nor garbage keeps a slot alive; a dead owner's
 * slot is freed in one step (compare-and-swap of the token to 0: there is
 * no half-freed state), and a process frees its own at exit. Every value
 * read from a slot is checked against what a well-behaved participant
 * could have written, and a slot is left out while it is not:
 *   - a heartbeat older than FLOW_STALE_MS (stopped: SIGSTOP, a debugger;
 *     or gone) or ahead of our clock by more than FLOW_SKEW_MS;
 *   - a held count below 0 or above its budget plus one lone request;
 *   - a budget outside [FLOW_BUDGET_MIN, FLOW_BUDGET_MAX];
 *   - publishing, but neither reading, nor emptying, nor waiting for
 *     FLOW_STUCK_MS (a leader stuck in a receive, a livelock): left out
 *     until it moves again.
 * So a stopped or stuck participant costs the others at most FLOW_STALE_MS
 * (or FLOW_STUCK_MS) once, not per send; a process that is stopped may
 * lose replies to its own queue meanwhile, as a stopped process would.
 *
 * Pure C with its own lock and condition variable (echo_sync.h); time comes
 * from the caller (a clock function where the code waits), in ms, the same
 * clock in every process (QueryPerformanceCounter's).
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

#ifndef FLOW_BUDGET_H
#define FLOW_BUDGET_H

#include <stdint.h>

#include "echo_list.h"
#include "echo_sync.h"

#define FLOW_MAX_SLOTS      64
#define FLOW_LAYOUT         0x776f6c6600000002ll    /* "flow" and the layout's version: the page's first word */
#define FLOW_STALE_MS       500     /* a slot not published for this long is left out */
#define FLOW_STUCK_MS       250     /* ... publishing, but not moving for this long */
#define FLOW_SKEW_MS        1000    /* a time of another process ahead of ours by more than this is not believed */
#define FLOW_CHECK_MS       250     /* a counted slot's owner is looked for again this often */
#define FLOW_LAG_MS         50      /* a posted receive completes within this of a packet's arrival */
#define FLOW_POLL_MS        2       /* how often a waiting sender looks again */
#define FLOW_RTT_UNKNOWN_MS 1000    /* how long a reply may take, before replies say */
#define FLOW_RTT_FLOOR_MS   100     /* ... never believed shorter (another host may be slower) */
#define FLOW_RTT_DECAY_MS   1000    /* the estimate falls to 3/4 per this long without a slower reply */
#define FLOW_RETIRE_SLOTS   256
#define FLOW_BUDGET_MIN     4096
#define FLOW_BUDGET_MAX     (64 << 20)

/* One process's public state. Fixed-size fields only: 32- and 64-bit
 * processes share it. Each process writes only its own slot. */
struct flow_slot
{
    int64_t owner;              /* 0 free; its owner's token */
    int64_t heartbeat;          /* when it last published */
    int64_t empty_at;           /* when all its sockets were last seen empty (a posted receive found nothing) */
    int64_t reads;              /* packets its receive side has read (that it moves) */
    int32_t held;               /* bytes its requests hold (in flight and retiring) */
    int32_t budget;             /* its queue's budget */
    int32_t waiting;            /* every socket has a receive posted that found nothing, none completed */
    int32_t wanted;             /* bytes its first queued request waits for (0: none) */
    int64_t reserved[2];
};

struct flow_shared
{
    int64_t layout;             /* FLOW_LAYOUT, once the first process set it */
    int32_t slots_used;         /* slots [0, slots_used) have been claimed at some time (a hint for tools: not read) */
    int32_t reserved0;
    int64_t reserved[6];
    struct flow_slot slots[FLOW_MAX_SLOTS];
};

/* a request's bytes while it is in flight (inside the request) */
struct flow_charge
{
    struct echo_list entry;     /* in flow.in_flight, oldest first */
    uint32_t bytes;             /* 0: holds nothing */
    uint64_t since;
};

/* how many bytes were read out of their owner's queue at one time */
struct flow_retiring
{
    uint64_t at;
    uint32_t bytes;
};

/* what this process knows of another slot (its own, under the lock) */
struct flow_peer
{
    int64_t owner;              /* the token it was last seen with */
    int8_t alive;               /* 1 its owner's object exists, -1 it does not, 0 not known yet */
    uint8_t checking;           /* a look is under way */
    uint64_t checked_at;        /* when its owner was last looked for */
    uint64_t slot_looked_at;    /* when any owner of the slot was (a slot whose owner keeps changing: once per check_ms) */
    int64_t reads, empty_at;
    int32_t waiting;
    uint64_t moved_at;          /* when it was last seen reading, emptying or waiting */
};

enum flow_result
{
    FLOW_NOW,                   /* room at once: held */
    FLOW_WAITED,                /* room after a wait: held */
    FLOW_NO_ROOM,               /* flow_try: none now (nothing held) */
    FLOW_DEADLINE,              /* flow_reserve: none before the deadline (nothing held) */
};

/* why this process keeps a budget of its own (flow_init) */
enum flow_private
{
    FLOW_SHARED_OK,
    FLOW_PRIVATE_NO_PAGE,       /* no shared page */
    FLOW_PRIVATE_LAYOUT,        /* the page holds another layout */
    FLOW_PRIVATE_FULL,          /* every slot belongs to a live process */
};

/* whether a slot's owner lives: 1 yes, 0 no, -1 cannot tell (called without the lock) */
typedef int (*flow_alive_fn)( int64_t token, void *context );

struct flow
{
    echo_mutex lock;
    echo_cond cv;
    unsigned int waiters;
    uint32_t budget;                    /* ours: what our sockets' queues hold */
    uint32_t max_charge;                /* the largest charge of one request */
    uint32_t poll_ms, stale_ms, stuck_ms, skew_ms, check_ms, lag_ms;
    struct flow_shared *shared;         /* the prefix's, or own */
    struct flow_shared own;             /* when there is none to share */
    struct flow_slot *self;
    int64_t token;
    uint32_t held;
    struct echo_list in_flight;
    struct flow_retiring retiring[FLOW_RETIRE_SLOTS];   /* a ring, oldest first */
    unsigned int retire_first, retire_count;
    int waiting;                        /* our receive side, as last told */
    uint64_t empty_at;
    int64_t reads;
    unsigned int sockets;               /* our sockets: with more than one, a reply has copies in ours too */
    uint32_t rtt_high;                  /* ms, the slowest recent round trip (decays: rtt_estimate) */
    uint64_t rtt_at;                    /* ... when it was that */
    uint32_t wanted;                    /* what our first queued request waits for */
    unsigned int lost_slot;             /* times our slot was found taken (garbage over it) */
    struct flow_peer peers[FLOW_MAX_SLOTS];
    /* test hook: told of every release of an in-flight charge before its answer */
    void (*on_reclaim)( const struct flow_charge *c, uint64_t now, uint64_t min_age, void *context );
    void *on_reclaim_context;
};

/* Takes a slot in shared (NULL, another layout or full: the budget is this
 * process's alone, and the reason is returned). alive: asked about the
 * owners of occupied slots when no slot is free (no lock is held). */
enum flow_private flow_init( struct flow *f, uint32_t budget, uint32_t max_charge, struct flow_shared *shared,
                             int64_t token, uint64_t now, flow_alive_fn alive, void *alive_context );
/* Gives the slot back (the process stops using the engine). */
void flow_shutdown( struct flow *f );
/* The same without the lock, at process exit (another thread may have died holding it). */
void flow_release_slot( struct flow *f );
/* Our queues' budget (the smallest of our sockets'), once known. */
void flow_set_budget( struct flow *f, uint32_t budget );
/* Holds bytes in c if there is room now; FLOW_NO_ROOM (nothing held) otherwise. */
enum flow_result flow_try( struct flow *f, struct flow_charge *c, uint32_t bytes, uint64_t now );
/* Waits until there is room for bytes or the clock reaches deadline. */
enum flow_result flow_reserve( struct flow *f, struct flow_charge *c, uint32_t bytes, uint64_t deadline,
                               uint64_t (*clock)( void *context ), void *clock_context );
/* What our first queued request waits for (0: none). */
void flow_want( struct flow *f, uint32_t bytes );
/* The reply of c's request was read out of its socket at `now`. */
void flow_reply( struct flow *f, struct flow_charge *c, uint64_t now );
/* c's request ended without a reply read (timeout, failure, nothing sent). */
void flow_cancel( struct flow *f, struct flow_charge *c );
/* The receive side: whether every socket now waits with nothing queued,
 * since when they were all last empty, and how many packets it has read. */
void flow_drained( struct flow *f, int waiting, uint64_t empty_at, int64_t reads, uint64_t now );
void flow_round_trip( struct flow *f, uint32_t rtt_ms, uint64_t now );
void flow_set_sockets( struct flow *f, unsigned int sockets );
/* Looks for the owners of the slots that need it (new, or due again),
 * calling alive without the lock; frees the slots of dead ones. */
void flow_housekeeping( struct flow *f, uint64_t now, flow_alive_fn alive, void *alive_context );
/* When the receive side should tell flow_drained or run the housekeeping
 * again (UINT64_MAX: only when something changes). */
uint64_t flow_next_check( struct flow *f, uint64_t now );
/* What the counted slots hold in all, for tests and traces. */
uint32_t flow_total_held( struct flow *f, uint64_t now );

#endif /* FLOW_BUDGET_H */
