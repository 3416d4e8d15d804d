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
#include "apc_list.h"
#include "cpu_regime.h"
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
    /* the APC runs them in order, one at a time; between two routines it takes a new one too */
    CHECK( apc_begin( &reg, &t ) && !t.queued && t.active == 1, "begin" );
    CHECK( apc_next( &reg, &t ) == &e[0].entry && t.running.next == &e[0].entry.link, "first to run" );
    apc_ran( &reg, &t, &e[0].entry );
    CHECK( apc_push( &reg, &t, &e[2].entry, 12 ) == APC_PUSH_LISTED, "a push between routines queued another APC" );
    CHECK( apc_next( &reg, &t ) == &e[1].entry, "second" );
    apc_ran( &reg, &t, &e[1].entry );
    CHECK( apc_next( &reg, &t ) == &e[2].entry, "the one pushed meanwhile" );
    apc_ran( &reg, &t, &e[2].entry );
    CHECK( !apc_next( &reg, &t ) && !t.queued && !t.active, "list not empty" );
    /* a push while a routine runs gets an APC of its own, which runs nested (the routine waits alertably) */
    CHECK( apc_push( &reg, &t, &e[0].entry, 13 ) == APC_PUSH_QUEUE, "burst" );
    apc_queued( &reg, &t, 1, &drop );
    CHECK( apc_begin( &reg, &t ) && apc_next( &reg, &t ) == &e[0].entry, "outer routine" );
    CHECK( apc_push( &reg, &t, &e[1].entry, 14 ) == APC_PUSH_QUEUE, "a push while a routine runs: no APC of its own" );
    apc_queued( &reg, &t, 1, &drop );
    CHECK( apc_push( &reg, &t, &e[2].entry, 14 ) == APC_PUSH_LISTED, "a second push queued a third APC" );
    CHECK( apc_begin( &reg, &t ) && t.active == 2, "nested begin" );
    CHECK( apc_next( &reg, &t ) == &e[1].entry && list_length( &t.running ) == 2, "nested routine" );
    apc_ran( &reg, &t, &e[1].entry );
    CHECK( apc_next( &reg, &t ) == &e[2].entry, "nested: the next" );
    apc_ran( &reg, &t, &e[2].entry );
    CHECK( !apc_next( &reg, &t ) && t.active == 1 && list_length( &t.running ) == 1, "nested APC ends" );
    apc_ran( &reg, &t, &e[0].entry );
    CHECK( !apc_next( &reg, &t ) && !t.active && echo_list_empty( &t.running ), "outer APC ends" );
    /* a routine that ends its thread: the running entry and the rest are dropped, and the TLS reference */
    CHECK( apc_push( &reg, &t, &e[3].entry, 20 ) == APC_PUSH_QUEUE, "new burst" );
    apc_push( &reg, &t, &e[4].entry, 20 );
    apc_queued( &reg, &t, 1, &drop );
    CHECK( apc_begin( &reg, &t ) && apc_next( &reg, &t ) == &e[3].entry, "running" );
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
    t.watched = 1;
    CHECK( apc_sweep( &reg, 9300, 1000, swept, 4, &due ) == 0, "a watched record swept" );
    t.watched = 0;
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

/* ---- whether a CPU is to spare ---- */

void test_cpu_regime( void )
{
    struct cpu_regime r;
    char path[64];
    int i, w;

    /* quotas: cgroup v2's cpu.max, v1's quota and period */
    CHECK( regime_quota_v2( "max 100000\n" ) == 0, "v2 max" );
    CHECK( regime_quota_v2( "100000 100000\n" ) == 1000, "v2 one CPU: %u", regime_quota_v2( "100000 100000" ) );
    CHECK( regime_quota_v2( "50000 100000" ) == 500, "v2 half a CPU" );
    CHECK( regime_quota_v2( "150000 100000" ) == 1500, "v2 1.5 CPUs" );
    CHECK( regime_quota_v2( "200000" ) == 2000, "v2 without a period (100000)" );
    CHECK( regime_quota_v2( "garbage" ) == 0 && regime_quota_v2( "" ) == 0 && regime_quota_v2( NULL ) == 0, "v2 garbage" );
    CHECK( regime_quota_v2( "1 100000" ) == 1, "v2 a tiny quota is still one" );
    CHECK( regime_quota_v1( "-1\n", "100000\n" ) == 0, "v1 none" );
    CHECK( regime_quota_v1( "100000\n", "100000\n" ) == 1000, "v1 one CPU" );
    CHECK( regime_quota_v1( "200000", "100000" ) == 2000, "v1 two CPUs" );
    CHECK( regime_quota_v1( "100000", "0" ) == 0 && regime_quota_v1( "x", "100000" ) == 0, "v1 garbage" );
    CHECK( regime_quota_v1( "99999999999999999999999", "1" ) == 0 || 1, "v1 huge (no overflow)" );
    /* /proc/self/cgroup */
    CHECK( regime_cgroup_path( "0::/user.slice/session-1.scope\n", 0, path, sizeof(path) ) &&
           !strcmp( path, "/user.slice/session-1.scope" ), "v2 path '%s'", path );
    CHECK( !regime_cgroup_path( "0::/x\n", 1, path, sizeof(path) ), "a v1 path from a v2-only system" );
    CHECK( regime_cgroup_path( "9:name=systemd:/\n4:cpu,cpuacct:/docker/abc\n0::/\n", 1, path, sizeof(path) ) &&
           !strcmp( path, "/docker/abc" ), "v1 cpu,cpuacct path '%s'", path );
    CHECK( regime_cgroup_path( "3:cpuset:/a\n1:cpu:/b", 1, path, sizeof(path) ) && !strcmp( path, "/b" ),
           "v1 cpu path '%s' (not cpuset's)", path );
    CHECK( regime_cgroup_path( "4:cpu:/docker/abc\n0::/\n", 0, path, sizeof(path) ) && !strcmp( path, "/" ),
           "v2 root path '%s'", path );
    CHECK( !regime_cgroup_path( "garbage", 0, path, sizeof(path) ) && !regime_cgroup_path( "", 1, path, sizeof(path) ),
           "garbage path" );
    CHECK( !regime_cgroup_path( "0::/a-very-long-path-that-does-not-fit-in-the-buffer-at-all-no-it-does-not", 0, path,
                                16 ), "a path longer than the buffer" );

    /* windows of 1000 units, idle summed over the usable CPUs */
    regime_init( &r );
    regime_sample( &r, 1000, 1000, 0, 1000 );
    CHECK( !regime_spare( &r ), "one usable CPU, idle: never" );
    regime_sample( &r, 2000, 1900, 0, 1000 );
    CHECK( regime_spare( &r ), "two CPUs, 1.9 idle: spare" );
    regime_sample( &r, 2000, 900, 0, 1000 );
    CHECK( !regime_spare( &r ), "two CPUs, 0.9 idle (one busy elsewhere): not" );
    regime_sample( &r, 2000, 1250, 0, 1000 );
    CHECK( regime_spare( &r ), "two CPUs, 1.25 idle (the rest our own echoes' work, before any spin): spare" );
    regime_sample( &r, 2000, 1050, 0, 1000 );
    CHECK( !regime_spare( &r ), "two CPUs, 1.05 idle (one busy elsewhere, and our work): not" );
    regime_sample( &r, 2000, 700, 900, 1000 );
    CHECK( regime_spare( &r ), "0.7 idle while our callers spun 0.9: spare" );
    regime_sample( &r, 1000, 1900, 0, 1000 );
    CHECK( !regime_spare( &r ) && r.available_milli <= 1000, "a one-CPU quota on two idle CPUs: not" );
    regime_sample( &r, 2000, 0, 0, 1000 );
    CHECK( !regime_spare( &r ), "counters that do not move: not" );
    regime_sample( &r, 2000, 5000000, 0, 1000 );
    CHECK( regime_spare( &r ) && r.available_milli == 2000, "host-wide idle beyond what we may use: capped" );
    regime_sample( &r, 2000, 1900, 0, 0 );
    CHECK( !regime_spare( &r ), "an empty window" );
    /* spins that run out: off for 1, then 2, 4 ... windows; spins that hit bring it back */
    for (w = 1; w <= 4; w *= 2)
    {
        for (i = 0; i < 10; i++) regime_spun( &r, i < 2 );
        regime_sample( &r, 2000, 1900, 0, 1000 );
        CHECK( !regime_spare( &r ), "spins ran out: still spare (round %d)", w );
        for (i = 1; i < w; i++)
        {
            regime_sample( &r, 2000, 1900, 0, 1000 );
            CHECK( !regime_spare( &r ), "spinning back too early (%d of %d)", i, w );
        }
        regime_sample( &r, 2000, 1900, 0, 1000 );
        CHECK( regime_spare( &r ), "spinning not back after %d windows", w );
    }
    for (i = 0; i < 10; i++) regime_spun( &r, 1 );
    regime_sample( &r, 2000, 1900, 0, 1000 );
    CHECK( regime_spare( &r ) && r.backoff_next == 1, "hits: backoff %u", r.backoff_next );
    for (i = 0; i < 10; i++) regime_spun( &r, i < 2 );
    regime_sample( &r, 2000, 1900, 0, 1000 );
    CHECK( !regime_spare( &r ) && r.backoff_next == 2, "misses after hits: one window (%u)", r.backoff_next );
    for (i = 0; i < 4; i++) regime_spun( &r, 0 );
    regime_sample( &r, 2000, 1900, 0, 1000 );
    CHECK( regime_spare( &r ), "too few spins to judge" );
}
