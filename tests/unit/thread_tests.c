/*
 * The engine's bookkeeping where threads meet, run natively with real
 * threads (and by `make unit` under ThreadSanitizer too): the table of
 * requests in flight taken by senders, the receive side and timer expiry
 * at once; the flow budget shared by two "processes" with several senders
 * each and a receive side each; the APC lists between completing threads,
 * the threads that run the routines, exit, or are terminated, and the
 * sweep. Each entry must end exactly once and every record be freed once.
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

#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pending_table.h"
#include "flow_budget.h"
#include "apc_list.h"
#include "unit.h"

static unsigned int rnd_r( unsigned int *state, unsigned int n )
{
    *state = *state * 1103515245 + 12345;
    return (*state >> 8) % n;
}

static void start_threads( pthread_t *threads, int n, void *(*func)( void * ), void *args, size_t arg_size )
{
    int i;
    for (i = 0; i < n; i++) pthread_create( &threads[i], NULL, func, (char *)args + i * arg_size );
}

static void join_threads( pthread_t *threads, int n )
{
    int i;
    for (i = 0; i < n; i++) pthread_join( threads[i], NULL );
}

/* ---- requests in flight: exactly one taker ---- */

#define PEND_N 20000

struct pend_req
{
    struct pending_entry entry;
    int taken;
    uint16_t seq;
    uint32_t serial;
};

static struct pending_table pend_table;
static struct pend_req pend_reqs[PEND_N];
static int pend_added, pend_done_adding;
static uint64_t pend_clock;

static int match_any( const struct pending_entry *e, const void *context )
{
    return 1;
}

static void pend_taken( struct pending_entry *e )
{
    if (e) __atomic_add_fetch( &((struct pend_req *)e)->taken, 1, __ATOMIC_RELAXED );
}

/* registers its share of requests; gives up some of its own (a failed send, a synchronous deadline) */
static void *pend_sender( void *arg )
{
    int id = (int)(intptr_t)*(void **)arg, i;
    unsigned int state = id + 1;
    uint64_t earliest;

    for (i = id; i < PEND_N; i += 2)
    {
        struct pend_req *r = &pend_reqs[i];
        uint16_t seq;
        uint32_t serial;

        while (pending_add( &pend_table, &r->entry, __atomic_load_n( &pend_clock, __ATOMIC_RELAXED ) + rnd_r( &state, 50 ),
                            i % 3 != 0, &seq, &serial, &earliest ))
            sched_yield();
        __atomic_add_fetch( &pend_added, 1, __ATOMIC_RELEASE );
        /* (nothing of r is read once it is registered: seq and serial came back) */
        if (rnd_r( &state, 4 ) == 0) pend_taken( pending_take_serial( &pend_table, seq, serial ) );
    }
    return NULL;
}

/* a packet for any sequence number */
static void *pend_receiver( void *arg )
{
    unsigned int state = 99;
    while (!__atomic_load_n( &pend_done_adding, __ATOMIC_ACQUIRE ))
        pend_taken( pending_take_seq( &pend_table, (uint16_t)rnd_r( &state, PEND_N + 100 ), match_any, NULL ) );
    return NULL;
}

static void *pend_expirer( void *arg )
{
    while (!__atomic_load_n( &pend_done_adding, __ATOMIC_ACQUIRE ))
    {
        uint64_t now = __atomic_add_fetch( &pend_clock, 1, __ATOMIC_RELAXED );
        struct pending_entry *e;
        while ((e = pending_take_expired( &pend_table, now ))) pend_taken( e );
    }
    return NULL;
}

void test_threads_pending( void )
{
    static struct pending_entry *slots[PENDING_SEQ_SPACE];
    pthread_t senders[2], others[2];
    void *ids[2] = { (void *)0, (void *)1 };
    struct pending_entry *e;
    int i, wrong = 0;

    pending_init( &pend_table, slots, 0 );
    memset( pend_reqs, 0, sizeof(pend_reqs) );
    pend_added = pend_done_adding = 0;
    pthread_create( &others[0], NULL, pend_receiver, NULL );
    pthread_create( &others[1], NULL, pend_expirer, NULL );
    start_threads( senders, 2, pend_sender, ids, sizeof(ids[0]) );
    join_threads( senders, 2 );
    __atomic_store_n( &pend_done_adding, 1, __ATOMIC_RELEASE );
    join_threads( others, 2 );
    /* what is left: the timed ones expire, the others are taken by number */
    while ((e = pending_take_expired( &pend_table, UINT64_MAX ))) pend_taken( e );
    for (i = 0; i < PENDING_SEQ_SPACE; i++) pend_taken( pending_take_seq( &pend_table, (uint16_t)i, match_any, NULL ) );
    for (i = 0; i < PEND_N; i++) if (pend_reqs[i].taken != 1) wrong++;
    CHECK( pend_added == PEND_N && !wrong, "%d requests taken other than once (%d added)", wrong, pend_added );
    CHECK( pending_count( &pend_table ) == 0, "%u left", pending_count( &pend_table ) );
    pending_destroy( &pend_table );
}

/* ---- the flow budget: two processes, three senders each ---- */

struct flow_process
{
    struct flow flow;
    int stop;
    int young;          /* in-flight charges given back before their reclaim age */
};

static struct flow_shared flow_mem;
static uint64_t flow_clock_value;

static uint64_t flow_clock( void *context )
{
    return __atomic_add_fetch( &flow_clock_value, 1, __ATOMIC_RELAXED );
}

static void flow_on_reclaim( const struct flow_charge *c, uint64_t now, uint64_t min_age, void *context )
{
    struct flow_process *p = context;   /* (called with the flow's lock held) */
    if (now < c->since || now - c->since < min_age) p->young++;
}

static int flow_all_alive( int64_t token, void *context )
{
    return 1;
}

struct flow_sender
{
    struct flow_process *p;
    unsigned int seed;
};

static void *flow_sender_thread( void *arg )
{
    struct flow_sender *s = arg;
    struct flow_charge c;
    int i;

    for (i = 0; i < 3000; i++)
    {
        if (flow_reserve( &s->p->flow, &c, 100 + rnd_r( &s->seed, 900 ), flow_clock( NULL ) + 1000000, flow_clock,
                          NULL ) == FLOW_DEADLINE)
            continue;
        flow_round_trip( &s->p->flow, rnd_r( &s->seed, 3 ), flow_clock( NULL ) );
        if (rnd_r( &s->seed, 5 )) flow_reply( &s->p->flow, &c, flow_clock( NULL ) );
        else flow_cancel( &s->p->flow, &c );
    }
    return NULL;
}

/* the receive side: now busy, now waiting with its queues read */
static void *flow_receiver_thread( void *arg )
{
    struct flow_process *p = arg;
    unsigned int seed = 7;

    while (!__atomic_load_n( &p->stop, __ATOMIC_ACQUIRE ))
    {
        uint64_t now = flow_clock( NULL );
        flow_drained( &p->flow, rnd_r( &seed, 2 ), now - rnd_r( &seed, 3 ), (int64_t)now, now );
        sched_yield();
    }
    return NULL;
}

void test_threads_flow( void )
{
    static struct flow_process procs[2];
    struct flow_sender senders[6];
    pthread_t send_threads[6], recv_threads[2];
    int i;

    memset( &flow_mem, 0, sizeof(flow_mem) );
    memset( procs, 0, sizeof(procs) );
    for (i = 0; i < 2; i++)
    {
        flow_init( &procs[i].flow, 20000, 2000, &flow_mem, 1000 + i, flow_clock( NULL ), NULL, NULL );
        procs[i].flow.poll_ms = 1;
        procs[i].flow.stale_ms = procs[i].flow.stuck_ms = 1u << 30;
        procs[i].flow.on_reclaim = flow_on_reclaim;
        procs[i].flow.on_reclaim_context = &procs[i];
        flow_set_sockets( &procs[i].flow, 1 + i );
    }
    for (i = 0; i < 2; i++) flow_housekeeping( &procs[i].flow, flow_clock( NULL ), flow_all_alive, NULL );
    for (i = 0; i < 6; i++)
    {
        senders[i].p = &procs[i / 3];
        senders[i].seed = 31 * i + 1;
    }
    for (i = 0; i < 2; i++) pthread_create( &recv_threads[i], NULL, flow_receiver_thread, &procs[i] );
    start_threads( send_threads, 6, flow_sender_thread, senders, sizeof(senders[0]) );
    join_threads( send_threads, 6 );
    for (i = 0; i < 2; i++) __atomic_store_n( &procs[i].stop, 1, __ATOMIC_RELEASE );
    join_threads( recv_threads, 2 );
    /* both read to the end: everything is given back */
    for (i = 0; i < 2; i++) flow_drained( &procs[i].flow, 1, flow_clock( NULL ), 0, flow_clock( NULL ) );
    for (i = 0; i < 2; i++) flow_drained( &procs[i].flow, 1, flow_clock( NULL ), 0, flow_clock( NULL ) );
    for (i = 0; i < 2; i++)
    {
        CHECK( procs[i].young == 0, "process %d: %d charges reclaimed before their age", i, procs[i].young );
        CHECK( procs[i].flow.held == 0 && flow_total_held( &procs[i].flow, flow_clock( NULL ) ) == 0,
               "process %d still holds %u", i, procs[i].flow.held );
        flow_shutdown( &procs[i].flow );
    }
}

/* Processes starting at once on a fresh page: each gets a slot of the
 * shared page, none falls back to a budget of its own. */
#define START_PROCS 16

static struct flow_shared start_mem;
static struct flow start_flows[START_PROCS];
static int start_go;

static void *flow_start_thread( void *arg )
{
    int i = (int)(intptr_t)arg;

    while (!__atomic_load_n( &start_go, __ATOMIC_ACQUIRE )) sched_yield();
    flow_init( &start_flows[i], 20000, 2000, &start_mem, 500 + i, 1, NULL, NULL );
    return NULL;
}

void test_threads_flow_start( void )
{
    pthread_t threads[START_PROCS];
    int round, i, j, shared_ok;

    for (round = 0; round < 50; round++)
    {
        memset( &start_mem, 0, sizeof(start_mem) );
        __atomic_store_n( &start_go, 0, __ATOMIC_RELEASE );
        for (i = 0; i < START_PROCS; i++) pthread_create( &threads[i], NULL, flow_start_thread, (void *)(intptr_t)i );
        __atomic_store_n( &start_go, 1, __ATOMIC_RELEASE );
        join_threads( threads, START_PROCS );
        shared_ok = 1;
        for (i = 0; i < START_PROCS; i++)
        {
            if (start_flows[i].shared != &start_mem) shared_ok = 0;
            for (j = 0; j < i; j++) if (start_flows[i].self == start_flows[j].self) shared_ok = 0;
        }
        CHECK( shared_ok && start_mem.layout == FLOW_LAYOUT && start_mem.slots_used == START_PROCS,
               "round %d: processes starting at once did not all share the page", round );
        for (i = 0; i < START_PROCS; i++) flow_shutdown( &start_flows[i] );
    }
}

/* ---- APC lists ---- */

#define APC_OWNERS  8
#define APC_PER     400

struct apc_owner
{
    struct apc_thread record;
    int index;
    int alive;                  /* 0: it has ended (detached or terminated) */
    int terminate;              /* it ends without detaching */
    echo_mutex lock;
    echo_cond cv;
    int apcs_queued;            /* our APC, queued and not yet run */
    int freed;
};

struct apc_item
{
    struct apc_entry entry;
    struct apc_owner *owner;
    int ended;                  /* ran or dropped */
};

static struct apc_registry apc_reg;
static struct apc_owner apc_owners[APC_OWNERS];
static struct apc_item apc_items[APC_OWNERS * APC_PER];
static int apc_next_item, apc_stop;

static void apc_unref( struct apc_owner *o )
{
    if (apc_thread_unref( &apc_reg, &o->record )) __atomic_add_fetch( &o->freed, 1, __ATOMIC_RELAXED );
}

/* an entry's one end: its routine ran, or it was dropped; its reference goes */
static void apc_end( struct apc_item *item )
{
    __atomic_add_fetch( &item->ended, 1, __ATOMIC_RELAXED );
    apc_unref( item->owner );
}

static void apc_drop_all( struct echo_list *drop )
{
    struct echo_list *elem;
    while ((elem = echo_list_head( drop )))
    {
        echo_list_remove( elem );
        apc_end( ECHO_LIST_ENTRY( elem, struct apc_item, entry.link ) );
    }
}

/* the owner thread: runs its APCs, then ends: by returning (detach runs),
 * from inside a routine (ExitThread: detach runs), or terminated (nothing
 * runs, even with our APC queued) */
static void *apc_owner_thread( void *arg )
{
    struct apc_owner *o = arg;
    struct echo_list drop;
    struct apc_entry *e;
    int idle = 0, ran = 0, how = o->terminate ? 1 + o->index % 2 : 0;   /* 1 terminated, 2 exits in a routine */

    for (;;)
    {
        echo_mutex_lock( &o->lock );
        while (!o->apcs_queued && idle < 50) echo_cond_wait( &o->cv, &o->lock, 1 ), idle++;
        if (!o->apcs_queued || (how == 1 && ran >= APC_PER / 4))
        {
            o->alive = 0;   /* it ends: APCs can no longer be queued to it */
            echo_mutex_unlock( &o->lock );
            break;
        }
        o->apcs_queued--;
        echo_mutex_unlock( &o->lock );
        idle = 0;
        if (!apc_begin( &apc_reg, &o->record )) continue;
        while ((e = apc_next( &apc_reg, &o->record )))
        {
            if (how == 2 && ++ran == APC_PER / 2)
            {
                echo_mutex_lock( &o->lock );
                o->alive = 0;
                echo_mutex_unlock( &o->lock );
                break;   /* (the routine called ExitThread: the running entry is left to detach) */
            }
            apc_ran( &apc_reg, &o->record, e );
            apc_end( (struct apc_item *)e );
            if (how == 1) ran++;
        }
        if (how == 2 && ran >= APC_PER / 2) break;
    }
    if (how != 1)
    {
        /* DLL_THREAD_DETACH */
        echo_list_init( &drop );
        if (apc_thread_gone( &apc_reg, &o->record, &drop )) apc_unref( o );
        apc_drop_all( &drop );
    }
    return NULL;
}

/* a completing thread (the receive thread): pushes, queues our APC when told to */
static void *apc_completer_thread( void *arg )
{
    int i;
    while ((i = __atomic_fetch_add( &apc_next_item, 1, __ATOMIC_RELAXED )) < APC_OWNERS * APC_PER)
    {
        struct apc_item *item = &apc_items[i];
        struct apc_owner *o = item->owner;
        struct echo_list drop;
        int ok;

        switch (apc_push( &apc_reg, &o->record, &item->entry, i ))
        {
        case APC_PUSH_LISTED: break;
        case APC_PUSH_DROP: apc_end( item ); break;
        case APC_PUSH_QUEUE:
            /* NtQueueApcThread: fails once the thread has ended */
            echo_mutex_lock( &o->lock );
            if ((ok = o->alive)) o->apcs_queued++;
            echo_cond_signal( &o->cv );
            echo_mutex_unlock( &o->lock );
            echo_list_init( &drop );
            if (apc_queued( &apc_reg, &o->record, ok, &drop )) __atomic_add_fetch( &o->freed, 1, __ATOMIC_RELAXED );
            apc_drop_all( &drop );
            break;
        }
    }
    return NULL;
}

/* the receive thread's sweep: records whose thread may have been terminated */
static void *apc_sweeper_thread( void *arg )
{
    uint64_t now = 0;

    while (!__atomic_load_n( &apc_stop, __ATOMIC_ACQUIRE ))
    {
        struct apc_thread *found[4];
        uint64_t due;
        unsigned int n = apc_sweep( &apc_reg, now += 5, 1, found, 4, &due ), i;

        for (i = 0; i < n; i++)
        {
            struct apc_owner *o = (struct apc_owner *)found[i];
            struct echo_list drop;
            int dead;

            echo_mutex_lock( &o->lock );
            dead = !o->alive;   /* WaitForSingleObject( handle, 0 ) */
            echo_mutex_unlock( &o->lock );
            echo_list_init( &drop );
            if (dead && apc_thread_gone( &apc_reg, found[i], &drop )) apc_unref( o );
            apc_drop_all( &drop );
            apc_unref( o );
        }
        sched_yield();
    }
    return NULL;
}

static unsigned int registry_count( void )
{
    unsigned int n;
    echo_mutex_lock( &apc_reg.lock );
    n = apc_reg.count;
    echo_mutex_unlock( &apc_reg.lock );
    return n;
}

void test_threads_apc( void )
{
    pthread_t owners[APC_OWNERS], completers[2], sweeper;
    int i, wrong = 0, freed = 0, left = 0;

    apc_registry_init( &apc_reg );
    memset( apc_owners, 0, sizeof(apc_owners) );
    apc_next_item = apc_stop = 0;
    for (i = 0; i < APC_OWNERS; i++)
    {
        struct apc_owner *o = &apc_owners[i];
        int j;
        o->index = i;
        o->alive = 1;
        o->terminate = i >= APC_OWNERS / 2;   /* half end abnormally: terminated, or from inside a routine */
        echo_mutex_init( &o->lock );
        echo_cond_init( &o->cv );
        apc_thread_init( &apc_reg, &o->record, o, 1 );
        for (j = 0; j < APC_PER; j++)
        {
            apc_items[i * APC_PER + j].owner = o;
            apc_items[i * APC_PER + j].ended = 0;
            apc_thread_ref( &apc_reg, &o->record );   /* the request's */
        }
    }
    /* completions come interleaved across owners */
    for (i = 0; i < APC_OWNERS * APC_PER; i++)
    {
        int j = (i * 7919) % (APC_OWNERS * APC_PER);
        struct apc_item t = apc_items[i];
        apc_items[i] = apc_items[j];
        apc_items[j] = t;
    }
    for (i = 0; i < APC_OWNERS; i++) pthread_create( &owners[i], NULL, apc_owner_thread, &apc_owners[i] );
    pthread_create( &sweeper, NULL, apc_sweeper_thread, NULL );
    for (i = 0; i < 2; i++) pthread_create( &completers[i], NULL, apc_completer_thread, NULL );
    join_threads( completers, 2 );
    join_threads( owners, APC_OWNERS );
    /* the sweep goes on until every terminated thread's record is gone */
    for (i = 0; i < 2000 && registry_count(); i++)
    {
        struct timespec ms = { 0, 1000000 };
        nanosleep( &ms, NULL );
    }
    __atomic_store_n( &apc_stop, 1, __ATOMIC_RELEASE );
    pthread_join( sweeper, NULL );
    for (i = 0; i < APC_OWNERS * APC_PER; i++) if (apc_items[i].ended != 1) wrong++;
    for (i = 0; i < APC_OWNERS; i++)
    {
        freed += apc_owners[i].freed == 1;
        echo_cond_destroy( &apc_owners[i].cv );
        echo_mutex_destroy( &apc_owners[i].lock );
    }
    left = registry_count();
    CHECK( !wrong, "%d completions ended other than once", wrong );
    CHECK( freed == APC_OWNERS && !left, "%d of %d thread records freed once, %d left", freed, APC_OWNERS, left );
    apc_registry_destroy( &apc_reg );
}
