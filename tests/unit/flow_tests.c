/*
 * The flow budget (flow_budget.c), one thread at a time, with an injected
 * clock: alone; shared by several processes' slots; reclaiming the bytes
 * of requests that get no answer; and the page as input: hostile values,
 * the start-up, dead owners and reused slots, a participant that publishes
 * but does not move, a large request among small ones.
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
#include <string.h>

#include "flow_budget.h"
#include "unit.h"

#define MAX_CHARGE 300000

static uint64_t fake_now;
static uint64_t fake_clock( void *context )
{
    return fake_now += (uintptr_t)context;   /* each look at the clock moves it on */
}

/* owners: the processes of these tests have tokens below 10000 and live
 * unless listed dead (1..63); any other token is nobody's */
static int dead_tokens[64];
static int token_alive( int64_t token, void *context )
{
    if (token <= 0 || token >= 10000) return 0;
    return !(token < 64 && dead_tokens[token]);
}

static enum flow_private flow_test_init( struct flow *f, uint32_t budget, struct flow_shared *shared, int64_t token )
{
    enum flow_private why = flow_init( f, budget, MAX_CHARGE, shared, token, fake_now, token_alive, NULL );
    f->poll_ms = 0;
    return why;
}

/* each flow looks for the others' owners (the receive thread's housekeeping) */
static void look( struct flow *f )
{
    flow_housekeeping( f, fake_now, token_alive, NULL );
}

void test_flow_alone( void )
{
    struct flow f;
    struct flow_charge c[4];
    unsigned int i;

    fake_now = 1000;
    CHECK( flow_test_init( &f, 5000, NULL, 10 ) == FLOW_PRIVATE_NO_PAGE, "no page" );
    flow_set_sockets( &f, 1 );
    CHECK( flow_reserve( &f, &c[0], 2000, fake_now + 100, fake_clock, 0 ) == FLOW_NOW, "first" );
    CHECK( flow_try( &f, &c[1], 3000, fake_now ) == FLOW_NOW, "up to the budget" );
    CHECK( flow_total_held( &f, fake_now ) == 5000, "held %u", flow_total_held( &f, fake_now ) );
    /* over budget: an asynchronous sender is told at once, a synchronous one waits for its deadline only */
    CHECK( flow_try( &f, &c[2], 10, fake_now ) == FLOW_NO_ROOM && !c[2].bytes, "over the budget went" );
    CHECK( flow_reserve( &f, &c[2], 10, fake_now + 50, fake_clock, (void *)1 ) == FLOW_DEADLINE && !c[2].bytes,
           "over the budget went" );
    CHECK( fake_now >= 1050 && fake_now < 1060, "waited until %llu", (unsigned long long)fake_now );
    /* alone with one socket, a reply gives its bytes back at once */
    flow_reply( &f, &c[1], fake_now );
    CHECK( flow_total_held( &f, fake_now ) == 2000, "after the reply %u", flow_total_held( &f, fake_now ) );
    flow_reply( &f, &c[1], fake_now );   /* twice: nothing */
    flow_cancel( &f, &c[1] );
    CHECK( flow_total_held( &f, fake_now ) == 2000, "twice %u", flow_total_held( &f, fake_now ) );
    flow_cancel( &f, &c[0] );
    CHECK( flow_total_held( &f, fake_now ) == 0, "all back: %u", flow_total_held( &f, fake_now ) );
    /* nothing held: one charge bigger than the budget goes, alone */
    CHECK( flow_try( &f, &c[3], 50000, fake_now ) == FLOW_NOW, "big one alone" );
    CHECK( flow_try( &f, &c[2], 10, fake_now ) == FLOW_NO_ROOM, "beside the big one" );
    flow_cancel( &f, &c[3] );

    /* with two sockets, a reply's copy may sit in the other: held until both were empty since */
    flow_set_sockets( &f, 2 );
    flow_drained( &f, 0, fake_now, 0, fake_now );
    flow_try( &f, &c[0], 1000, fake_now );
    fake_now += 5;
    flow_reply( &f, &c[0], fake_now );
    CHECK( flow_total_held( &f, fake_now ) == 1000, "retired before the other socket was read" );
    CHECK( flow_next_check( &f, fake_now ) == fake_now + f.poll_ms, "no check asked for" );
    flow_drained( &f, 0, fake_now, 0, fake_now + 1 );
    CHECK( flow_total_held( &f, fake_now ) == 1000, "retired by a queue empty in the same millisecond" );
    flow_drained( &f, 0, fake_now + 1, 0, fake_now + 1 );
    CHECK( flow_total_held( &f, fake_now ) == 0, "not retired once read past" );
    CHECK( flow_next_check( &f, fake_now ) == UINT64_MAX, "check asked for with nothing held" );
    /* the ring of retiring times: a full one folds into its last (later) entry */
    for (i = 0; i < FLOW_RETIRE_SLOTS + 10; i++)
    {
        flow_try( &f, &c[0], 10, fake_now );
        flow_reply( &f, &c[0], 10000 + i );
    }
    CHECK( f.retire_count == FLOW_RETIRE_SLOTS, "ring holds %u", f.retire_count );
    flow_drained( &f, 0, 10000 + FLOW_RETIRE_SLOTS - 1, 0, 20000 );
    CHECK( flow_total_held( &f, 20000 ) == 10 * 11, "folded entries retired early: %u", flow_total_held( &f, 20000 ) );
    flow_drained( &f, 1, 20000, 0, 20000 );
    CHECK( flow_total_held( &f, 20000 ) == 0, "waiting receive side: all back (%u)", flow_total_held( &f, 20000 ) );
    /* the budget is what our sockets' queues hold, within bounds */
    flow_set_budget( &f, 100 );
    CHECK( f.budget == FLOW_BUDGET_MIN, "budget %u", f.budget );
    flow_shutdown( &f );
}

void test_flow_shared( void )
{
    static struct flow_shared shared;
    struct flow a, b, c;
    struct flow_charge ca[2], cb;

    memset( &shared, 0, sizeof(shared) );
    memset( dead_tokens, 0, sizeof(dead_tokens) );
    fake_now = 5000;
    CHECK( flow_test_init( &a, 30000, &shared, 11 ) == FLOW_SHARED_OK, "a" );
    CHECK( flow_test_init( &b, 30000, &shared, 12 ) == FLOW_SHARED_OK, "b" );
    CHECK( a.self == &shared.slots[0] && b.self == &shared.slots[1] && shared.slots_used == 2 &&
           shared.layout == FLOW_LAYOUT, "slots" );
    flow_set_sockets( &a, 1 );
    flow_set_sockets( &b, 1 );
    /* a newcomer counts at once, and its owner is looked for */
    flow_try( &a, &ca[0], 25000, fake_now );
    CHECK( flow_total_held( &b, fake_now ) == 25000, "b does not count a newcomer" );
    CHECK( flow_next_check( &b, fake_now ) == fake_now + b.poll_ms, "b does not ask to look for a newcomer" );
    look( &a );
    look( &b );
    CHECK( flow_total_held( &b, fake_now ) == 25000, "b sees %u", flow_total_held( &b, fake_now ) );
    CHECK( flow_try( &b, &cb, 10000, fake_now ) == FLOW_NO_ROOM, "b went while a held the budget" );
    /* a's reply retires until b's queue has been read past it */
    flow_drained( &b, 0, fake_now - 10, 1, fake_now );
    flow_reply( &a, &ca[0], fake_now );
    CHECK( flow_total_held( &a, fake_now ) == 25000, "a retired while b had not read" );
    flow_drained( &b, 0, fake_now + 1, 2, fake_now + 1 );
    flow_drained( &a, 0, fake_now + 1, 1, fake_now + 1 );
    CHECK( flow_total_held( &a, fake_now + 1 ) == 0, "a still holds %u after b read past", flow_total_held( &a, fake_now + 1 ) );
    /* b waiting (receives posted, none completed) holds a back for lag_ms only */
    flow_drained( &b, 1, fake_now, 2, fake_now + 2 );
    flow_try( &a, &ca[1], 1000, fake_now + 2 );
    flow_reply( &a, &ca[1], fake_now + 3 );
    CHECK( flow_total_held( &a, fake_now + 3 ) == 1000, "retired at once beside a waiting process" );
    flow_drained( &a, 0, fake_now + a.lag_ms + 4, 1, fake_now + a.lag_ms + 4 );
    CHECK( flow_total_held( &a, fake_now + a.lag_ms + 4 ) == 0, "held back by a process waiting for %u ms",
           a.lag_ms + 1 );
    fake_now += a.lag_ms + 4;
    /* the smaller budget of the two rules */
    flow_set_budget( &b, 20000 );
    flow_drained( &b, 1, fake_now, 3, fake_now );
    CHECK( flow_try( &a, &ca[0], 15000, fake_now ) == FLOW_NOW && flow_try( &a, &ca[1], 6000, fake_now ) == FLOW_NO_ROOM,
           "a did not keep to b's budget" );
    flow_cancel( &a, &ca[0] );
    flow_set_budget( &b, 30000 );

    /* b stops publishing (SIGSTOP) with bytes held: left out after stale_ms, once */
    flow_drained( &b, 0, fake_now, 3, fake_now );
    flow_try( &b, &cb, 29000, fake_now );
    CHECK( flow_total_held( &a, fake_now ) == 29000, "a sees b's %u", flow_total_held( &a, fake_now ) );
    fake_now += a.stale_ms + 1;
    CHECK( flow_total_held( &a, fake_now ) == 0, "a still counts stale b: %u", flow_total_held( &a, fake_now ) );
    look( &a );
    CHECK( shared.slots[1].owner == 12, "a live stopped process's slot was freed" );
    /* ... and once its process is gone, its slot is freed for another, in one step */
    dead_tokens[12] = 1;
    fake_now += a.check_ms;
    CHECK( flow_next_check( &a, fake_now - a.check_ms ) <= fake_now, "a does not ask to look at stopped b again" );
    look( &a );
    CHECK( shared.slots[1].owner == 0, "dead process's slot kept: owner %lld", (long long)shared.slots[1].owner );
    CHECK( flow_test_init( &c, 30000, &shared, 13 ) == FLOW_SHARED_OK && c.self == &shared.slots[1], "freed slot not reused" );
    /* b comes back (it was only stopped, and its slot was wrongly freed): another slot, nothing over c's */
    flow_drained( &b, 0, fake_now, 4, fake_now );
    CHECK( shared.slots[1].owner == 13 && b.self != &shared.slots[1] && b.self->owner == 12 && b.lost_slot == 1,
           "b took c's slot back" );
    flow_shutdown( &b );
    flow_shutdown( &a );
    flow_shutdown( &c );
    CHECK( !shared.slots[0].owner && !shared.slots[1].owner, "shutdown kept the slots" );
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
    struct flow_charge c[4];

    fake_now = 100;
    flow_test_init( &f, 100000, NULL, 1 );
    f.on_reclaim = on_reclaim;
    f.on_reclaim_context = &log;
    /* before any reply, a reply may take FLOW_RTT_UNKNOWN_MS (3/4 of it after
     * FLOW_RTT_DECAY_MS): nothing is reclaimed within a second */
    flow_try( &f, &c[0], 100, fake_now );
    flow_drained( &f, 1, fake_now + FLOW_RTT_DECAY_MS - 1, 0, fake_now + FLOW_RTT_DECAY_MS - 1 );
    CHECK( log.count == 0, "reclaimed before the unknown round trip decayed" );
    flow_drained( &f, 1, fake_now + 1600, 0, fake_now + 1600 );
    CHECK( log.count == 1 && !log.young, "not reclaimed after 2 x 750 + 5 ms" );
    /* fast replies do not make it believe a short round trip: the estimate decays by
     * time, to no less than FLOW_RTT_FLOOR_MS */
    fake_now += 60000;
    flow_round_trip( &f, 1, fake_now );
    flow_round_trip( &f, 1, fake_now );
    flow_try( &f, &c[1], 100, fake_now );
    flow_drained( &f, 1, fake_now + 2 * FLOW_RTT_FLOOR_MS, 0, fake_now + 2 * FLOW_RTT_FLOOR_MS );
    CHECK( log.count == 1, "reclaimed sooner than 2 x the floor" );
    flow_drained( &f, 1, fake_now + 2 * FLOW_RTT_FLOOR_MS + 5, 0, fake_now + 2 * FLOW_RTT_FLOOR_MS + 5 );
    CHECK( log.count == 2 && !log.young, "not reclaimed at 2 x the floor + 5 ms (%d)", log.count );
    /* a slow reply raises it at once */
    fake_now += 1000;
    flow_round_trip( &f, 300, fake_now );
    flow_try( &f, &c[2], 100, fake_now );
    fake_now += 20;
    flow_try( &f, &c[3], 100, fake_now );
    /* not while the receive side is busy */
    flow_drained( &f, 0, fake_now + 600, 0, fake_now + 600 );
    CHECK( log.count == 2, "reclaimed while receiving" );
    /* waiting: the old one goes, the young one stays */
    flow_drained( &f, 1, fake_now + 590, 0, fake_now + 590 );
    CHECK( log.count == 3 && !log.young && flow_total_held( &f, fake_now ) == 100, "reclaimed %d (%d young)", log.count,
           log.young );
    flow_drained( &f, 1, fake_now + 605, 0, fake_now + 605 );
    CHECK( log.count == 4 && !log.young && flow_total_held( &f, fake_now ) == 0, "second: %d (%d young)", log.count,
           log.young );
    /* a reply after its bytes were reclaimed changes nothing */
    flow_reply( &f, &c[2], fake_now + 630 );
    CHECK( flow_total_held( &f, fake_now ) == 0, "late reply held bytes" );
    flow_shutdown( &f );
}

/* The page is input: a slot whose values no well-behaved participant
 * could have written is left out at once, whatever its owner. */
void test_flow_hostile( void )
{
    static struct flow_shared shared;
    struct flow a, b;
    struct flow_charge c;
    struct flow_slot *s;
    int round;

    memset( &shared, 0, sizeof(shared) );
    memset( dead_tokens, 0, sizeof(dead_tokens) );
    fake_now = 100000;
    flow_test_init( &a, 300000, &shared, 21 );
    flow_test_init( &b, 300000, &shared, 22 );   /* a live owner, whose slot is then overwritten */
    look( &a );
    s = b.self;
    for (round = 0; round < 6; round++)
    {
        s->owner = 22;
        s->heartbeat = (int64_t)fake_now;
        s->held = 1000;
        s->budget = 300000;
        s->wanted = 0;
        s->waiting = 1;
        switch (round)
        {
        case 0: s->heartbeat = INT64_MAX - 5; s->held = INT32_MAX; break;   /* from the future, holding everything */
        case 1: s->held = INT32_MAX; break;
        case 2: s->held = -5; break;
        case 3: s->budget = 1; break;
        case 4: s->budget = INT32_MAX; s->held = 2000000000; break;
        case 5: s->wanted = INT32_MAX; break;
        }
        CHECK( flow_try( &a, &c, 1000, fake_now ) == FLOW_NOW, "round %d: a hostile slot kept a from sending", round );
        flow_cancel( &a, &c );
        fake_now += 100000;   /* (and long after: still nothing waits on it) */
        s->heartbeat = round == 0 ? INT64_MAX - 5 : (int64_t)fake_now;
        CHECK( flow_try( &a, &c, 1000, fake_now ) == FLOW_NOW, "round %d, 100 s later", round );
        flow_cancel( &a, &c );
    }
    /* a well-formed one counts again */
    s->held = 299500;
    s->wanted = 0;
    s->heartbeat = (int64_t)fake_now;
    CHECK( flow_try( &a, &c, 1000, fake_now ) == FLOW_NO_ROOM, "a well-formed slot not counted" );
    /* garbage owners: a negative one is freed at once; a random token is never believed */
    shared.slots[5].owner = -1;
    shared.slots[6].owner = 0x1234567890ll;
    shared.slots[6].heartbeat = (int64_t)fake_now;
    shared.slots[6].held = 100000;
    shared.slots[6].budget = 300000;
    shared.slots_used = 7;
    dead_tokens[0] = 0;
    s->held = 0;
    CHECK( flow_try( &a, &c, 250000, fake_now ) == FLOW_NO_ROOM, "slot 6's sound values not counted before its owner was looked for" );
    look( &a );
    CHECK( !shared.slots[5].owner, "a negative owner kept its slot" );
    CHECK( !shared.slots[6].owner, "a token nobody owns kept its slot" );
    CHECK( flow_try( &a, &c, 250000, fake_now ) == FLOW_NOW, "slot 6 still counted" );
    flow_cancel( &a, &c );
    /* a slot whose owner keeps changing is looked at once per check_ms */
    shared.slots[6].owner = 0x2234567890ll;
    look( &a );
    CHECK( shared.slots[6].owner == 0x2234567890ll, "slot 6 looked at again at once" );
    fake_now += a.check_ms;
    look( &a );
    CHECK( !shared.slots[6].owner, "slot 6 not looked at again" );
    shared.slots_used = 1000;   /* (clamped) */
    CHECK( flow_total_held( &a, fake_now ) <= 300000, "held %u", flow_total_held( &a, fake_now ) );
    flow_shutdown( &a );
}

/* Two processes starting at once: magic and version are one word set in
 * one step, so whatever the order, both share the page; another build's
 * layout is not used (the reason is said). */
void test_flow_startup( void )
{
    static struct flow_shared shared;
    struct flow a, b;

    memset( &shared, 0, sizeof(shared) );
    fake_now = 1;
    /* b maps the page while a has set its first word only: a's claim comes after b's */
    shared.layout = FLOW_LAYOUT;
    CHECK( flow_test_init( &b, 3000, &shared, 31 ) == FLOW_SHARED_OK, "b beside a starting creator" );
    CHECK( flow_test_init( &a, 3000, &shared, 32 ) == FLOW_SHARED_OK, "a after b" );
    CHECK( a.self != b.self && a.self != &a.own.slots[0] && b.self != &b.own.slots[0], "slots" );
    flow_shutdown( &a );
    flow_shutdown( &b );
    /* version 1's layout (magic then version, in two words), or any other: a budget of its own */
    shared.layout = 0x0000000166776f6cll;
    CHECK( flow_test_init( &a, 3000, &shared, 33 ) == FLOW_PRIVATE_LAYOUT && a.shared == &a.own,
           "another layout was used" );
    flow_shutdown( &a );
}

/* Every slot taken by a process that is gone (whatever recycled its
 * process id: ownership is by token): a new process reaps them and shares
 * the page; a reaper that dies half-way leaves nothing half-freed (a slot
 * is freed in one step), and a later look frees what it did not. */
void test_flow_dead_owners( void )
{
    static struct flow_shared shared;
    struct flow a, b;
    unsigned int i;

    memset( &shared, 0, sizeof(shared) );
    memset( dead_tokens, 0, sizeof(dead_tokens) );
    fake_now = 1000;
    shared.layout = FLOW_LAYOUT;
    shared.slots_used = FLOW_MAX_SLOTS;
    for (i = 0; i < FLOW_MAX_SLOTS; i++)
    {
        shared.slots[i].owner = 1 + i % 63;
        shared.slots[i].heartbeat = (int64_t)fake_now - 3600000;   /* stale for an hour */
        dead_tokens[1 + i % 63] = 1;
    }
    CHECK( flow_test_init( &a, 3000, &shared, 100 ) == FLOW_SHARED_OK && a.shared == &shared,
           "64 dead owners left no room" );
    CHECK( a.self == &shared.slots[0], "slot %d", (int)(a.self - shared.slots) );
    /* the others, freed by the next look */
    look( &a );
    for (i = 1; i < FLOW_MAX_SLOTS; i++) if (shared.slots[i].owner) break;
    CHECK( i == FLOW_MAX_SLOTS, "slot %u still owned by a dead process", i );
    /* all live: a newcomer keeps a budget of its own, and says why */
    for (i = 1; i < FLOW_MAX_SLOTS; i++) shared.slots[i].owner = 1000 + i;
    CHECK( flow_test_init( &b, 3000, &shared, 200 ) == FLOW_PRIVATE_FULL, "full page" );
    flow_shutdown( &b );
    flow_shutdown( &a );
}

/* A participant that publishes but neither reads nor empties its queues
 * nor waits (stuck in a receive, stopped between heartbeats): counted for
 * FLOW_STUCK_MS, then left out until it moves again. */
void test_flow_stuck( void )
{
    static struct flow_shared shared;
    struct flow a, b;
    struct flow_charge ca, cb;

    memset( &shared, 0, sizeof(shared) );
    memset( dead_tokens, 0, sizeof(dead_tokens) );
    fake_now = 10000;
    flow_test_init( &a, 30000, &shared, 41 );
    flow_test_init( &b, 30000, &shared, 42 );
    look( &a );
    look( &b );
    flow_set_sockets( &a, 1 );
    flow_drained( &b, 0, fake_now, 5, fake_now );
    flow_try( &b, &cb, 25000, fake_now );
    flow_try( &a, &ca, 4000, fake_now );
    flow_reply( &a, &ca, fake_now + 1 );
    fake_now += 100;
    flow_drained( &b, 0, 10000, 5, fake_now );   /* publishing, not moving */
    CHECK( flow_try( &a, &ca, 4000, fake_now ) == FLOW_NO_ROOM, "b left out before its time" );
    CHECK( flow_total_held( &a, fake_now ) == 29000, "a's retiring bytes released while b was counted: %u",
           flow_total_held( &a, fake_now ) );
    fake_now += a.stuck_ms;
    flow_drained( &b, 0, 10000, 5, fake_now );
    CHECK( flow_try( &a, &ca, 4000, fake_now ) == FLOW_NOW, "stuck b still stalls a" );
    flow_drained( &a, 1, fake_now, 1, fake_now );
    CHECK( flow_total_held( &a, fake_now ) == 4000, "a's retiring bytes held for stuck b: %u", flow_total_held( &a, fake_now ) );
    flow_cancel( &a, &ca );
    /* it reads again: counted again */
    flow_drained( &b, 0, 10000, 6, fake_now + 1 );
    CHECK( flow_try( &a, &ca, 10000, fake_now + 1 ) == FLOW_NO_ROOM, "b not counted once it moved" );
    flow_shutdown( &a );
    flow_shutdown( &b );
}

/* A large request among small ones: what another process's first queued
 * request wants is kept free, so it goes within one round trip of the
 * others' bytes coming back; it goes alone when it is larger than the
 * budget. */
void test_flow_large( void )
{
    static struct flow_shared shared;
    struct flow a, b;
    struct flow_charge ca[3], cb;

    memset( &shared, 0, sizeof(shared) );
    memset( dead_tokens, 0, sizeof(dead_tokens) );
    fake_now = 1000;
    flow_test_init( &a, 300000, &shared, 51 );
    flow_test_init( &b, 300000, &shared, 52 );
    look( &a );
    look( &b );
    flow_set_sockets( &a, 1 );
    flow_set_sockets( &b, 1 );
    CHECK( flow_try( &a, &ca[0], 50000, fake_now ) == FLOW_NOW, "a small" );
    CHECK( flow_try( &b, &cb, 264320, fake_now ) == FLOW_NO_ROOM, "b's large one fits beside a's?" );
    flow_want( &b, 264320 );
    CHECK( flow_try( &a, &ca[1], 2000, fake_now ) == FLOW_NO_ROOM, "a's next small one took the room b waits for" );
    /* one round trip: a's reply, read out of b's queue too */
    flow_reply( &a, &ca[0], fake_now + 1 );
    fake_now += 60;
    flow_drained( &b, 1, fake_now, 1, fake_now );
    flow_drained( &a, 1, fake_now, 1, fake_now );
    CHECK( flow_try( &b, &cb, 264320, fake_now ) == FLOW_NOW, "b's large one still waits" );
    flow_want( &b, 0 );
    CHECK( flow_try( &a, &ca[1], 2000, fake_now + 1 ) == FLOW_NOW, "a's small one beside b's large one (room left)" );
    flow_cancel( &a, &ca[1] );
    flow_cancel( &b, &cb );
    /* larger than the budget: alone, once nothing is held */
    flow_set_budget( &a, 100000 );
    flow_try( &a, &ca[0], 1000, fake_now );
    CHECK( flow_try( &b, &cb, 264320, fake_now ) == FLOW_NO_ROOM, "larger than the budget beside another" );
    flow_want( &b, 264320 );
    CHECK( flow_try( &a, &ca[1], 1000, fake_now ) == FLOW_NO_ROOM, "a kept sending while b waits to go alone" );
    flow_cancel( &a, &ca[0] );
    CHECK( flow_try( &b, &cb, 264320, fake_now ) == FLOW_NOW, "alone: still waits" );
    flow_shutdown( &a );
    flow_shutdown( &b );
}
