/*
 * Native unit tests of the echo engine's bookkeeping, one thread at a
 * time: the intrusive timer heap, the table of requests in flight, the
 * flow budget (alone, shared between processes, reclaiming overdue
 * requests) and the APC lists. Time is a number the tests move.
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
#include <stdlib.h>
#include <string.h>

#include "timer_heap.h"
#include "pending_table.h"
#include "flow_budget.h"
#include "apc_list.h"
#include "unit.h"

static unsigned int rnd_state = 12345;
static unsigned int rnd( unsigned int n )
{
    rnd_state = rnd_state * 1103515245 + 12345;
    return (rnd_state >> 8) % n;
}

/* ---- timer heap ---- */

/* every link agrees with its parent, and no child is earlier than its parent; the node count */
static size_t heap_check( const struct timer_node *node, const struct timer_node *parent, int *bad )
{
    if (!node) return 0;
    if (node->parent != parent || !node->queued || (parent && node->deadline < parent->deadline)) (*bad)++;
    return 1 + heap_check( node->left, node, bad ) + heap_check( node->right, node, bad );
}

void test_timer_heap( void )
{
    enum { N = 2000 };
    static struct timer_node nodes[N];
    struct timer_heap heap;
    struct timer_node *node;
    unsigned int i, round, queued = 0, popped = 0;
    uint64_t last = 0;
    int bad = 0;

    timer_heap_init( &heap );
    CHECK( !timer_heap_pop_expired( &heap, UINT64_MAX ), "empty heap popped something" );
    memset( nodes, 0, sizeof(nodes) );
    /* random inserts and removals of any node, checked against the tree's shape */
    for (round = 0; round < 20000; round++)
    {
        i = rnd( N );
        if (nodes[i].queued)
        {
            timer_heap_remove( &heap, &nodes[i] );
            queued--;
        }
        else
        {
            nodes[i].deadline = rnd( 5000 );
            timer_heap_insert( &heap, &nodes[i] );
            queued++;
        }
        if (round % 997 == 0)
        {
            CHECK( heap_check( heap.min, NULL, &bad ) == queued && !bad, "round %u: shape (%d bad links)", round, bad );
            CHECK( heap.count == queued, "round %u: count %zu, %u queued", round, heap.count, queued );
        }
    }
    timer_heap_remove( &heap, &nodes[0] );
    timer_heap_remove( &heap, &nodes[0] );   /* twice: nothing happens */
    if (heap.min && heap.min->deadline == 0) timer_heap_pop_expired( &heap, 0 );
    CHECK( !timer_heap_pop_expired( &heap, 0 ), "popped a node due later than 0" );
    queued = (unsigned int)heap.count;
    while ((node = timer_heap_pop_expired( &heap, UINT64_MAX )))
    {
        CHECK( node->deadline >= last, "out of order: %llu after %llu", (unsigned long long)node->deadline,
               (unsigned long long)last );
        CHECK( !node->queued && !node->parent && !node->left && !node->right, "popped node keeps links" );
        last = node->deadline;
        popped++;
    }
    CHECK( popped == queued && !heap.min && !heap.count, "popped %u of %u", popped, queued );
    /* expiry stops at now */
    for (i = 0; i < 10; i++)
    {
        nodes[i].deadline = 100 * i;
        timer_heap_insert( &heap, &nodes[i] );
    }
    for (popped = 0; timer_heap_pop_expired( &heap, 450 ); popped++);
    CHECK( popped == 5 && heap.min->deadline == 500, "expired %u up to 450", popped );
}

/* ---- requests in flight ---- */

struct test_req
{
    struct pending_entry entry;
    int id;
};

static int match_id( const struct pending_entry *e, const void *context )
{
    return ((const struct test_req *)e)->id == *(const int *)context;
}

void test_pending_table( void )
{
    static struct pending_entry *slots[PENDING_SEQ_SPACE];
    static struct test_req reqs[5];
    struct pending_table t;
    uint16_t seq[5];
    uint32_t serial[5];
    uint64_t earliest;
    int i, wrong = 99;

    pending_init( &t, slots, 65534 );
    for (i = 0; i < 5; i++)
    {
        reqs[i].id = i;
        CHECK( !pending_add( &t, &reqs[i].entry, 1000 - 100 * i, i != 2, &seq[i], &serial[i], &earliest ), "add %d", i );
    }
    CHECK( seq[0] == 65534 && seq[1] == 65535 && seq[2] == 0, "sequence numbers wrap: %u %u %u", seq[0], seq[1], seq[2] );
    CHECK( earliest == 600, "earliest %llu", (unsigned long long)earliest );
    CHECK( pending_count( &t ) == 5, "count %u", pending_count( &t ) );
    /* a packet for seq[1] with the wrong identity takes nothing */
    CHECK( !pending_take_seq( &t, seq[1], match_id, &wrong ), "wrong match taken" );
    CHECK( pending_take_seq( &t, seq[1], match_id, &reqs[1].id ) == &reqs[1].entry, "match not taken" );
    CHECK( !pending_take_seq( &t, seq[1], match_id, &reqs[1].id ), "taken twice" );
    CHECK( !pending_take_serial( &t, seq[1], serial[1] ), "serial taken after the match" );
    /* seq[2] is untimed: expiry never takes it */
    CHECK( pending_take_expired( &t, 1000 ) == &reqs[4].entry, "earliest first" );
    CHECK( pending_take_expired( &t, 1000 ) == &reqs[3].entry, "then the next" );
    CHECK( pending_take_expired( &t, 1000 ) == &reqs[0].entry, "then the last timed one" );
    CHECK( !pending_take_expired( &t, UINT64_MAX ), "the untimed one expired" );
    CHECK( pending_next_deadline( &t ) == UINT64_MAX, "heap not empty" );
    CHECK( !pending_take_serial( &t, seq[2], serial[2] + 1 ), "another registration's serial took it" );
    CHECK( pending_take_serial( &t, seq[2], serial[2] ) == &reqs[2].entry, "its serial did not take it" );
    CHECK( pending_count( &t ) == 0, "left %u", pending_count( &t ) );
    /* re-registered at the same number: the old serial is not the new one */
    CHECK( !pending_add( &t, &reqs[0].entry, 5, 1, &seq[0], &serial[0], &earliest ) && earliest == 5, "re-add" );
    CHECK( !pending_take_serial( &t, seq[0], serial[0] - 1 ), "stale serial" );
    CHECK( pending_take_serial( &t, seq[0], serial[0] ) == &reqs[0].entry && pending_next_deadline( &t ) == UINT64_MAX,
           "take removes the timer" );
    pending_destroy( &t );
}

/* a full table refuses, and gives numbers back as they are taken */
static void test_pending_full( void )
{
    static struct pending_entry *slots[PENDING_SEQ_SPACE], entries[PENDING_SEQ_SPACE + 1];
    struct pending_table t;
    uint16_t seq;
    uint32_t serial;
    uint64_t earliest;
    unsigned int i, added = 0;

    pending_init( &t, slots, 7 );
    for (i = 0; i < PENDING_SEQ_SPACE + 1; i++)
        if (!pending_add( &t, &entries[i], i, 0, &seq, &serial, &earliest )) added++;
    CHECK( added == PENDING_SEQ_SPACE, "added %u", added );
    CHECK( pending_take_serial( &t, entries[100].seq, entries[100].serial ) == &entries[100], "take one" );
    CHECK( !pending_add( &t, &entries[PENDING_SEQ_SPACE], 0, 0, &seq, &serial, &earliest ) && seq == entries[100].seq,
           "the freed number is reused: %u", seq );
    pending_destroy( &t );
}

/* ---- flow budget ---- */

static uint64_t fake_now;
static uint64_t fake_clock( void *context )
{
    return fake_now += (uintptr_t)context;   /* each look at the clock moves it on */
}

static int dead_pids[4];
static int pid_alive( int32_t pid, void *context )
{
    unsigned int i;
    for (i = 0; i < 4; i++) if (dead_pids[i] == pid) return 0;
    return 1;
}

static void flow_test_init( struct flow *f, uint32_t budget, struct flow_shared *shared, int32_t pid )
{
    flow_init( f, budget, shared, pid, fake_now, pid_alive, NULL );
    f->poll_ms = 0;
    f->stale_ms = 5000;   /* (more than max_wait_ms: a wait must not make the others stale) */
}

void test_flow_alone( void )
{
    struct flow f;
    struct flow_charge c[4];

    fake_now = 1000;
    flow_test_init( &f, 3000, NULL, 10 );
    flow_set_sockets( &f, 1 );
    CHECK( flow_reserve( &f, &c[0], 1000, fake_clock, 0 ) == FLOW_NOW, "first" );
    CHECK( flow_reserve( &f, &c[1], 2000, fake_clock, 0 ) == FLOW_NOW, "up to the budget" );
    CHECK( flow_total_held( &f, fake_now ) == 3000, "held %u", flow_total_held( &f, fake_now ) );
    /* over budget: waits, and goes after max_wait_ms */
    CHECK( flow_reserve( &f, &c[2], 10, fake_clock, (void *)1 ) == FLOW_FORCED, "over the budget went" );
    CHECK( fake_now >= 1000 + FLOW_MAX_WAIT_MS, "did not wait: %llu", (unsigned long long)fake_now );
    /* alone with one socket, a reply gives its bytes back at once */
    flow_reply( &f, &c[1], fake_now );
    CHECK( flow_total_held( &f, fake_now ) == 1010, "after the reply %u", flow_total_held( &f, fake_now ) );
    flow_reply( &f, &c[1], fake_now );   /* twice: nothing */
    flow_cancel( &f, &c[1] );
    CHECK( flow_total_held( &f, fake_now ) == 1010, "twice %u", flow_total_held( &f, fake_now ) );
    flow_cancel( &f, &c[0] );
    flow_cancel( &f, &c[2] );
    CHECK( flow_total_held( &f, fake_now ) == 0, "all back: %u", flow_total_held( &f, fake_now ) );
    /* nothing held: one charge bigger than the budget still goes at once */
    CHECK( flow_reserve( &f, &c[3], 5000, fake_clock, 0 ) == FLOW_NOW, "big one alone" );
    flow_cancel( &f, &c[3] );

    /* with two sockets, a reply's copy may sit in the other: held until both were empty since */
    flow_set_sockets( &f, 2 );
    flow_drained( &f, 0, fake_now, fake_now );
    flow_reserve( &f, &c[0], 1000, fake_clock, 0 );
    fake_now += 5;
    flow_reply( &f, &c[0], fake_now );
    CHECK( flow_total_held( &f, fake_now ) == 1000, "retired before the other socket was read" );
    CHECK( flow_next_check( &f, fake_now ) == fake_now + f.poll_ms, "no check asked for" );
    flow_drained( &f, 0, fake_now, fake_now + 1 );
    CHECK( flow_total_held( &f, fake_now ) == 1000, "retired by a queue empty in the same millisecond" );
    flow_drained( &f, 0, fake_now + 1, fake_now + 1 );
    CHECK( flow_total_held( &f, fake_now ) == 0, "not retired once read past" );
    CHECK( flow_next_check( &f, fake_now ) == UINT64_MAX, "check asked for with nothing held" );
    /* the ring of retiring times: a full one folds into its last (later) entry */
    for (unsigned int i = 0; i < FLOW_RETIRE_SLOTS + 10; i++)
    {
        flow_reserve( &f, &c[0], 10, fake_clock, 0 );
        flow_reply( &f, &c[0], 10000 + i );
    }
    CHECK( f.retire_count == FLOW_RETIRE_SLOTS, "ring holds %u", f.retire_count );
    flow_drained( &f, 0, 10000 + FLOW_RETIRE_SLOTS - 1, 20000 );
    CHECK( flow_total_held( &f, 20000 ) == 10 * 11, "folded entries retired early: %u", flow_total_held( &f, 20000 ) );
    flow_drained( &f, 1, 20000, 20000 );
    CHECK( flow_total_held( &f, 20000 ) == 0, "waiting receive side: all back (%u)", flow_total_held( &f, 20000 ) );
    flow_shutdown( &f );
}

void test_flow_shared( void )
{
    static struct flow_shared shared;
    struct flow a, b, c;
    struct flow_charge ca[2], cb;

    memset( &shared, 0, sizeof(shared) );
    fake_now = 5000;
    flow_test_init( &a, 3000, &shared, 100 );
    flow_test_init( &b, 3000, &shared, 200 );
    CHECK( a.self == &shared.slots[0] && b.self == &shared.slots[1] && shared.slots_used == 2, "slots" );
    flow_set_sockets( &a, 1 );
    flow_set_sockets( &b, 1 );
    /* one budget for both */
    flow_reserve( &a, &ca[0], 2500, fake_clock, 0 );
    CHECK( flow_total_held( &b, fake_now ) == 2500, "b sees %u", flow_total_held( &b, fake_now ) );
    CHECK( flow_reserve( &b, &cb, 1000, fake_clock, (void *)1 ) == FLOW_FORCED, "b went while a held the budget" );
    flow_cancel( &b, &cb );
    /* a's reply retires until b's queue has been read past it */
    flow_drained( &b, 0, fake_now - 10, fake_now );
    flow_reply( &a, &ca[0], fake_now );
    CHECK( flow_total_held( &a, fake_now ) == 2500, "a retired while b had not read" );
    flow_drained( &b, 0, fake_now + 1, fake_now + 1 );
    flow_drained( &a, 0, fake_now + 1, fake_now + 1 );
    CHECK( flow_total_held( &a, fake_now + 1 ) == 0, "a still holds %u after b read past", flow_total_held( &a, fake_now + 1 ) );
    /* b waiting (receives posted, none completed) holds a back for lag_ms only */
    flow_drained( &b, 1, fake_now, fake_now + 2 );
    flow_reserve( &a, &ca[1], 100, fake_clock, 0 );
    flow_reply( &a, &ca[1], fake_now + 3 );
    CHECK( flow_total_held( &a, fake_now + 3 ) == 100, "retired at once beside a waiting process" );
    flow_drained( &a, 0, fake_now + a.lag_ms + 4, fake_now + a.lag_ms + 4 );
    CHECK( flow_total_held( &a, fake_now + a.lag_ms + 4 ) == 0, "held back by a process waiting for %u ms",
           a.lag_ms + 1 );
    fake_now += a.lag_ms + 4;

    /* b stops publishing (stopped) with bytes held: left out after stale_ms */
    flow_drained( &b, 0, fake_now, fake_now );
    flow_reserve( &b, &cb, 2900, fake_clock, 0 );
    CHECK( flow_total_held( &a, fake_now ) == 2900, "a sees b's %u", flow_total_held( &a, fake_now ) );
    fake_now += a.stale_ms + 1;
    CHECK( flow_total_held( &a, fake_now ) == 0, "a still counts stale b: %u", flow_total_held( &a, fake_now ) );
    CHECK( shared.slots[1].pid == 200, "live stale process freed" );
    /* ... and once its process is gone, its slot is freed for another */
    dead_pids[0] = 200;
    fake_now += a.stale_ms + 1;
    flow_total_held( &a, fake_now );
    CHECK( shared.slots[1].pid == 0 && shared.slots[1].held == 0, "dead process's slot kept: pid %d", shared.slots[1].pid );
    flow_test_init( &c, 3000, &shared, 300 );
    CHECK( c.self == &shared.slots[1], "freed slot not reused" );
    dead_pids[0] = 0;
    /* a foreign or newer layout is not shared */
    shared.version = FLOW_SHARED_VERSION + 1;
    flow_test_init( &b, 3000, &shared, 400 );
    CHECK( b.shared == &b.own, "a foreign layout was used" );
    flow_shutdown( &a );
    flow_shutdown( &c );
    CHECK( !shared.slots[0].pid && !shared.slots[1].pid, "shutdown kept the slots" );
}

struct reclaim_log
{
    int count, young;
};

static void on_reclaim( const struct flow_charge *c, uint64_t now, uint64_t min_age, void *context )
{
    struct reclaim_log *log = context;
    log->count++;
    if (now < c->since || now - c->since < min_age) log->young++;
}

void test_flow_reclaim( void )
{
    struct reclaim_log log = { 0, 0 };
    struct flow f;
    struct flow_charge c[3];

    fake_now = 100;
    flow_test_init( &f, 100000, NULL, 1 );
    f.on_reclaim = on_reclaim;
    f.on_reclaim_context = &log;
    flow_round_trip( &f, 10 );   /* reclaim age: 2 x 10 + 5 ms */
    flow_reserve( &f, &c[0], 100, fake_clock, 0 );
    fake_now += 20;
    flow_reserve( &f, &c[1], 100, fake_clock, 0 );
    /* not while the receive side is busy */
    flow_drained( &f, 0, fake_now, fake_now + 30 );
    CHECK( log.count == 0, "reclaimed while receiving" );
    /* waiting: the old one goes, the young one stays */
    flow_drained( &f, 1, fake_now + 10, fake_now + 10 );
    CHECK( log.count == 1 && !log.young && flow_total_held( &f, fake_now ) == 100, "reclaimed %d (%d young)", log.count,
           log.young );
    flow_drained( &f, 1, fake_now + 25, fake_now + 25 );
    CHECK( log.count == 2 && !log.young && flow_total_held( &f, fake_now ) == 0, "second: %d (%d young)", log.count,
           log.young );
    /* a reply after its bytes were reclaimed changes nothing */
    flow_reply( &f, &c[0], fake_now + 30 );
    CHECK( flow_total_held( &f, fake_now ) == 0, "late reply held bytes" );
    flow_shutdown( &f );
    test_pending_full();
}

/* ---- APC lists ---- */

struct test_apc
{
    struct apc_entry entry;
    int id;
};

static int list_length( const struct echo_list *list )
{
    const struct echo_list *e;
    int n = 0;
    for (e = list->next; e != list; e = e->next) n++;
    return n;
}

void test_apc_list( void )
{
    struct apc_registry reg;
    struct apc_thread t, u, *swept[4];
    struct test_apc e[6];
    struct echo_list drop;
    uint64_t due;
    int i;

    apc_registry_init( &reg );
    apc_thread_init( &reg, &t, (void *)1, 1 );
    for (i = 0; i < 6; i++) e[i].id = i;
    /* one queued APC per burst */
    CHECK( apc_push( &reg, &t, &e[0].entry, 10 ) == APC_PUSH_QUEUE, "first push does not queue" );
    CHECK( apc_push( &reg, &t, &e[1].entry, 11 ) == APC_PUSH_LISTED, "second push queues again" );
    echo_list_init( &drop );
    CHECK( !apc_queued( &reg, &t, 1, &drop ) && echo_list_empty( &drop ), "queued ok" );
    /* the APC runs them in order, one at a time */
    CHECK( apc_next( &reg, &t ) == &e[0].entry && t.running == &e[0].entry, "first to run" );
    apc_ran( &reg, &t );
    CHECK( apc_push( &reg, &t, &e[2].entry, 12 ) == APC_PUSH_LISTED, "a push while running queued another APC" );
    CHECK( apc_next( &reg, &t ) == &e[1].entry, "second" );
    apc_ran( &reg, &t );
    CHECK( apc_next( &reg, &t ) == &e[2].entry, "the one pushed meanwhile" );
    apc_ran( &reg, &t );
    CHECK( !apc_next( &reg, &t ) && !t.queued, "list not empty" );
    /* a routine that ends its thread: the running entry and the rest are dropped, and the TLS reference */
    CHECK( apc_push( &reg, &t, &e[3].entry, 20 ) == APC_PUSH_QUEUE, "new burst" );
    apc_push( &reg, &t, &e[4].entry, 20 );
    apc_queued( &reg, &t, 1, &drop );
    CHECK( apc_next( &reg, &t ) == &e[3].entry, "running" );
    CHECK( apc_thread_gone( &reg, &t, &drop ) == 1, "TLS reference not handed back" );
    CHECK( list_length( &drop ) == 2 && drop.next == &e[3].entry.link && drop.prev == &e[4].entry.link,
           "dropped %d", list_length( &drop ) );
    CHECK( apc_thread_gone( &reg, &t, &drop ) == 0, "TLS reference handed back twice" );
    CHECK( apc_push( &reg, &t, &e[5].entry, 30 ) == APC_PUSH_DROP, "pushed to a gone thread" );
    CHECK( apc_thread_unref( &reg, &t ) == 1 && reg.count == 0, "record not freed" );

    /* queuing fails: the thread is gone */
    apc_thread_init( &reg, &u, (void *)2, 0 );
    apc_thread_ref( &reg, &u );   /* a request's */
    echo_list_init( &drop );
    CHECK( apc_push( &reg, &u, &e[0].entry, 40 ) == APC_PUSH_QUEUE, "u push" );
    CHECK( apc_thread_unref( &reg, &u ) == 0, "freed with the queuing's reference" );
    CHECK( !apc_queued( &reg, &u, 0, &drop ) && list_length( &drop ) == 1 && u.exiting, "failed queue" );
    /* the sweep: a queued APC that has not run for a while */
    apc_thread_init( &reg, &t, (void *)3, 1 );
    apc_push( &reg, &t, &e[1].entry, 100 );
    apc_queued( &reg, &t, 1, &drop );
    CHECK( apc_sweep( &reg, 500, 1000, swept, 4, &due ) == 0, "swept too early" );
    CHECK( apc_sweep( &reg, 500, 1000, swept, 4, &due ) == 0 && due == 1100, "next due at %llu", (unsigned long long)due );
    CHECK( apc_sweep( &reg, 1200, 1000, swept, 4, &due ) == 1 && swept[0] == &t, "not swept" );
    CHECK( apc_sweep( &reg, 1300, 1000, swept, 4, &due ) == 0, "swept again at once" );
    echo_list_init( &drop );
    CHECK( apc_thread_gone( &reg, &t, &drop ) == 1 && list_length( &drop ) == 1, "dead thread" );
    CHECK( apc_thread_unref( &reg, &t ) == 0 && apc_thread_unref( &reg, &t ) == 1, "refs" );
    /* a thread with only its TLS reference is looked at now and then (it may have been terminated) */
    apc_thread_init( &reg, &t, (void *)4, 1 );
    CHECK( apc_sweep( &reg, 7000, 1000, swept, 4, &due ) == 0, "idle record swept early" );
    CHECK( apc_sweep( &reg, 9000, 1000, swept, 4, &due ) == 1, "idle record not swept" );
    apc_thread_unref( &reg, &t );
    CHECK( apc_thread_gone( &reg, &t, &drop ) == 1 && apc_thread_unref( &reg, &t ) == 1, "idle record refs" );
    CHECK( apc_thread_unref( &reg, &u ) == 1 && reg.count == 0, "u not freed (%u left)", reg.count );
    apc_registry_destroy( &reg );
}
