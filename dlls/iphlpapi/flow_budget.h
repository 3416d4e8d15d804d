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
 * hold and how far its sockets have been read. A sender may go when the
 * sum over live slots leaves room for its charge (or nothing is held, or
 * it has waited FLOW_MAX_WAIT_MS). A charge is held from before the send
 * until the reply has left every queue it was copied to: when its owner
 * reads it, it moves to a "retiring" queue of the owner, and is given back
 * once every other live process has been seen with all its sockets empty
 * since (its `empty_at`, or `waiting`: its receives are posted and find
 * nothing). A process alone with one socket gives it back at once. A
 * request that gets no answer gives its bytes back when it ends, or early
 * once the process's sockets are empty and it is older than 2 x the
 * slowest recent round trip + 5 ms (a silent host must not stall senders).
 * A slot that has not published for FLOW_STALE_MS is left out (its
 * process is stopped or gone; a gone one is freed).
 *
 * Pure C with its own lock and condition variable (echo_sync.h); time comes
 * from the caller (a clock function where the code waits), in ms.
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
#define FLOW_SHARED_MAGIC   0x776f6c66      /* "flow" */
#define FLOW_SHARED_VERSION 1
#define FLOW_STALE_MS       2000
#define FLOW_LAG_MS         50              /* a posted receive completes within this of a packet's arrival */
#define FLOW_POLL_MS        2               /* how often a waiting sender looks again */
#define FLOW_MAX_WAIT_MS    2000            /* then it sends anyway */
#define FLOW_RETIRE_SLOTS   256

/* One process's public state. Fixed-size fields only: 32- and 64-bit
 * processes share it. Each process writes only its own slot. */
struct flow_slot
{
    int32_t pid;                /* 0 free, -1 being freed */
    int32_t held;               /* bytes its requests hold (in flight and retiring) */
    int32_t waiting;            /* every socket has a receive posted that found nothing, none completed */
    int32_t reserved;
    int64_t empty_at;           /* when all its sockets were last seen empty (a posted receive found nothing) */
    int64_t heartbeat;          /* when it last published */
};

struct flow_shared
{
    int32_t magic;
    int32_t version;
    int32_t slots_used;         /* slots [0, slots_used) have been claimed at some time */
    int32_t reserved;
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

enum flow_result { FLOW_NOW, FLOW_WAITED, FLOW_FORCED };

struct flow
{
    echo_mutex lock;
    echo_cond cv;
    unsigned int waiters;
    uint32_t budget;
    uint32_t poll_ms, max_wait_ms, stale_ms, lag_ms;
    struct flow_shared *shared;         /* the prefix's, or own */
    struct flow_shared own;             /* when there is none to share */
    struct flow_slot *self;
    int32_t pid;
    uint32_t held;
    struct echo_list in_flight;
    struct flow_retiring retiring[FLOW_RETIRE_SLOTS];   /* a ring, oldest first */
    unsigned int retire_first, retire_count;
    int waiting;                        /* our receive side, as last told */
    uint64_t empty_at;
    unsigned int sockets;               /* our sockets: with more than one, a reply has copies in ours too */
    uint32_t rtt_high;                  /* ms, a slowly decaying maximum of recent round trips */
    int (*alive)( int32_t pid, void *context );     /* whether a process exists */
    void *alive_context;
    uint64_t checked_at[FLOW_MAX_SLOTS];            /* when a stale slot's process was last looked for */
    /* test hook: told of every release of an in-flight charge before its answer */
    void (*on_reclaim)( const struct flow_charge *c, uint64_t now, uint64_t min_age, void *context );
    void *on_reclaim_context;
};

/* Takes a slot in shared (NULL, full or foreign: the budget is this process's alone). */
void flow_init( struct flow *f, uint32_t budget, struct flow_shared *shared, int32_t pid, uint64_t now,
                int (*alive)( int32_t pid, void *context ), void *alive_context );
/* Gives the slot back (the process stops using the engine). */
void flow_shutdown( struct flow *f );
/* Waits until the budget has room for bytes, then holds them in c. */
enum flow_result flow_reserve( struct flow *f, struct flow_charge *c, uint32_t bytes,
                               uint64_t (*clock)( void *context ), void *clock_context );
/* The reply of c's request was read out of its socket at `now`. */
void flow_reply( struct flow *f, struct flow_charge *c, uint64_t now );
/* c's request ended without a reply read (timeout, failure, nothing sent). */
void flow_cancel( struct flow *f, struct flow_charge *c );
/* The receive side: whether every socket now waits with nothing queued,
 * and since when they were all last empty. */
void flow_drained( struct flow *f, int waiting, uint64_t empty_at, uint64_t now );
void flow_round_trip( struct flow *f, uint32_t rtt_ms );
void flow_set_sockets( struct flow *f, unsigned int sockets );
/* When the receive side should tell flow_drained again (UINT64_MAX: only when it changes). */
uint64_t flow_next_check( struct flow *f, uint64_t now );
/* What the slots hold in all (live ones), for tests and traces. */
uint32_t flow_total_held( struct flow *f, uint64_t now );

#endif /* FLOW_BUDGET_H */
