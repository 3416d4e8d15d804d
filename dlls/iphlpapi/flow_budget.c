/*
 * Flow control's bookkeeping (flow_budget.h). Pure C.
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

#include "flow_budget.h"

#define CHARGE_OF( elem ) ECHO_LIST_ENTRY( elem, struct flow_charge, entry )

static int slot_fresh( const struct flow *f, const struct flow_slot *s, uint64_t now )
{
    return echo_load64( &s->heartbeat ) + (int64_t)f->stale_ms >= (int64_t)now;
}

static void publish( struct flow *f, uint64_t now )
{
    echo_store32( &f->self->held, (int32_t)f->held );
    echo_store32( &f->self->waiting, f->waiting );
    echo_store64( &f->self->empty_at, (int64_t)f->empty_at );
    if (now) echo_store64( &f->self->heartbeat, (int64_t)now );
}

/* frees slot i if its process is gone (looked for once per stale period) */
static void reap_if_gone( struct flow *f, unsigned int i, uint64_t now )
{
    struct flow_slot *s = &f->shared->slots[i];
    int32_t pid = echo_load32( &s->pid );

    if (pid <= 0 || s == f->self || now - f->checked_at[i] < f->stale_ms) return;
    f->checked_at[i] = now;
    if (pid != f->pid && (!f->alive || f->alive( pid, f->alive_context ))) return;
    if (!echo_cas32( &s->pid, pid, -1 )) return;
    echo_store32( &s->held, 0 );
    echo_store32( &s->waiting, 0 );
    echo_store32( &s->pid, 0 );
}

static unsigned int slots_used( const struct flow *f )
{
    int32_t used = echo_load32( &f->shared->slots_used );
    return used < 0 ? 0 : used > FLOW_MAX_SLOTS ? FLOW_MAX_SLOTS : (unsigned int)used;
}

uint32_t flow_total_held( struct flow *f, uint64_t now )
{
    uint64_t total = f->held;
    unsigned int i, used = slots_used( f );

    for (i = 0; i < used; i++)
    {
        struct flow_slot *s = &f->shared->slots[i];
        int32_t held;

        if (s == f->self || echo_load32( &s->pid ) <= 0) continue;
        if (!slot_fresh( f, s, now ))
        {
            reap_if_gone( f, i, now );
            continue;
        }
        held = echo_load32( &s->held );
        if (held > 0) total += (uint32_t)held;
    }
    return total > UINT32_MAX ? UINT32_MAX : (uint32_t)total;
}

/* The time before which every queue a reply may have been copied to has
 * been read: our own other sockets' (receive_publish gives their least
 * empty_at), and every live process's. A process that is waiting (its
 * receives posted, nothing completed) has read all that arrived up to
 * lag_ms ago at least: a packet that came earlier would have completed its
 * receive by now. UINT64_MAX: nothing is copied anywhere. */
static uint64_t watermark( struct flow *f, uint64_t now )
{
    uint64_t mark = UINT64_MAX;
    unsigned int i, used = slots_used( f );

    if (f->sockets > 1) mark = f->empty_at;
    for (i = 0; i < used; i++)
    {
        const struct flow_slot *s = &f->shared->slots[i];
        int64_t empty_at;

        if (s == f->self || echo_load32( &s->pid ) <= 0 || !slot_fresh( f, s, now )) continue;   /* (stopped: left out) */
        empty_at = echo_load64( &s->empty_at );
        if (echo_load32( &s->waiting ) && empty_at < (int64_t)(now - f->lag_ms)) empty_at = now - f->lag_ms;
        if (empty_at < 0) empty_at = 0;
        if ((uint64_t)empty_at < mark) mark = empty_at;
    }
    return mark;
}

static void retire_push( struct flow *f, uint64_t at, uint32_t bytes )
{
    struct flow_retiring *last;

    if (f->retire_count)
    {
        last = &f->retiring[(f->retire_first + f->retire_count - 1) % FLOW_RETIRE_SLOTS];
        /* same time, or no room: the last entry takes them (the later time: later is safe) */
        if (last->at >= at || f->retire_count == FLOW_RETIRE_SLOTS)
        {
            if (at > last->at) last->at = at;
            last->bytes += bytes;
            return;
        }
    }
    last = &f->retiring[(f->retire_first + f->retire_count++) % FLOW_RETIRE_SLOTS];
    last->at = at;
    last->bytes = bytes;
}

/* gives back the retiring bytes every queue has been read past; how many */
static uint32_t retire_ready( struct flow *f, uint64_t now )
{
    uint64_t mark;
    uint32_t released = 0;

    if (!f->retire_count) return 0;
    mark = watermark( f, now );
    /* (an empty_at of the same millisecond may be from before the reply came) */
    while (f->retire_count && (mark == UINT64_MAX || f->retiring[f->retire_first].at < mark))
    {
        released += f->retiring[f->retire_first].bytes;
        f->retire_first = (f->retire_first + 1) % FLOW_RETIRE_SLOTS;
        f->retire_count--;
    }
    f->held -= released;
    return released;
}

static void release_charge( struct flow *f, struct flow_charge *c )
{
    echo_list_remove( &c->entry );
    f->held -= c->bytes;
    c->bytes = 0;
}

/* overdue requests while our sockets are empty: their answers are not coming */
static uint32_t reclaim( struct flow *f, uint64_t now )
{
    uint64_t min_age = 2 * (uint64_t)f->rtt_high + 5;
    struct echo_list *elem;
    uint32_t released = 0;

    while (f->waiting && (elem = echo_list_head( &f->in_flight )))
    {
        struct flow_charge *c = CHARGE_OF( elem );

        if (now < c->since || now - c->since < min_age) break;
        if (f->on_reclaim) f->on_reclaim( c, now, min_age, f->on_reclaim_context );
        released += c->bytes;
        release_charge( f, c );
    }
    return released;
}

static void update( struct flow *f, uint64_t now )
{
    if (retire_ready( f, now ) + reclaim( f, now ) && f->waiters) echo_cond_broadcast( &f->cv );
}

static struct flow_slot *claim_slot( struct flow *f, uint64_t now )
{
    struct flow_shared *sh = f->shared;
    unsigned int i, pass;
    int32_t used;

    for (pass = 0; pass < 2; pass++)
    {
        for (i = 0; i < FLOW_MAX_SLOTS; i++)
        {
            struct flow_slot *s = &sh->slots[i];

            if (pass) reap_if_gone( f, i, now + f->stale_ms );   /* a leftover of our pid, or a gone process */
            if (!echo_cas32( &s->pid, 0, f->pid )) continue;
            echo_store32( &s->held, 0 );
            echo_store32( &s->waiting, 0 );
            echo_store64( &s->empty_at, (int64_t)now );
            echo_store64( &s->heartbeat, (int64_t)now );
            while ((used = echo_load32( &sh->slots_used )) < (int32_t)i + 1 && !echo_cas32( &sh->slots_used, used, i + 1 ))
                ;
            return s;
        }
    }
    return NULL;
}

void flow_init( struct flow *f, uint32_t budget, struct flow_shared *shared, int32_t pid, uint64_t now,
                int (*alive)( int32_t pid, void *context ), void *alive_context )
{
    memset( f, 0, sizeof(*f) );
    echo_mutex_init( &f->lock );
    echo_cond_init( &f->cv );
    echo_list_init( &f->in_flight );
    f->budget = budget;
    f->poll_ms = FLOW_POLL_MS, f->max_wait_ms = FLOW_MAX_WAIT_MS, f->stale_ms = FLOW_STALE_MS, f->lag_ms = FLOW_LAG_MS;
    f->pid = pid;
    f->empty_at = now;
    f->alive = alive;
    f->alive_context = alive_context;
    if ((f->shared = shared))
    {
        if (echo_cas32( &shared->magic, 0, FLOW_SHARED_MAGIC )) echo_store32( &shared->version, FLOW_SHARED_VERSION );
        if (echo_load32( &shared->magic ) == FLOW_SHARED_MAGIC && echo_load32( &shared->version ) == FLOW_SHARED_VERSION)
            f->self = claim_slot( f, now );
    }
    if (!f->self)
    {
        f->shared = &f->own;
        f->own.slots_used = 1;
        f->self = &f->own.slots[0];
        f->self->pid = pid;
    }
    publish( f, now );
}

void flow_shutdown( struct flow *f )
{
    if (f->shared == &f->own) return;
    echo_store32( &f->self->held, 0 );
    echo_store32( &f->self->waiting, 0 );
    echo_store32( &f->self->pid, 0 );
    f->shared = &f->own;
    f->self = &f->own.slots[0];
}

enum flow_result flow_reserve( struct flow *f, struct flow_charge *c, uint32_t bytes,
                               uint64_t (*clock)( void *context ), void *clock_context )
{
    enum flow_result result = FLOW_NOW;
    uint64_t start, now;
    uint32_t total;

    echo_mutex_lock( &f->lock );
    start = now = clock( clock_context );   /* (read under the lock: no charge is newer than now) */
    for (;;)
    {
        update( f, now );
        total = flow_total_held( f, now );
        if (!total || (uint64_t)total + bytes <= f->budget) break;
        if (now - start >= f->max_wait_ms)
        {
            result = FLOW_FORCED;
            break;
        }
        result = FLOW_WAITED;
        f->waiters++;
        echo_cond_wait( &f->cv, &f->lock, f->poll_ms );
        f->waiters--;
        now = clock( clock_context );
    }
    c->bytes = bytes;
    c->since = now;
    echo_list_add_tail( &f->in_flight, &c->entry );
    f->held += bytes;
    publish( f, now );
    echo_mutex_unlock( &f->lock );
    return result;
}

void flow_reply( struct flow *f, struct flow_charge *c, uint64_t now )
{
    uint32_t bytes;

    echo_mutex_lock( &f->lock );
    if ((bytes = c->bytes))
    {
        echo_list_remove( &c->entry );
        c->bytes = 0;
        retire_push( f, now, bytes );
        update( f, now );
        publish( f, 0 );
    }
    echo_mutex_unlock( &f->lock );
}

void flow_cancel( struct flow *f, struct flow_charge *c )
{
    echo_mutex_lock( &f->lock );
    if (c->bytes)
    {
        release_charge( f, c );
        publish( f, 0 );
        if (f->waiters) echo_cond_broadcast( &f->cv );
    }
    echo_mutex_unlock( &f->lock );
}

void flow_drained( struct flow *f, int waiting, uint64_t empty_at, uint64_t now )
{
    echo_mutex_lock( &f->lock );
    f->waiting = waiting != 0;
    f->empty_at = empty_at;
    update( f, now );
    publish( f, now );
    echo_mutex_unlock( &f->lock );
}

void flow_round_trip( struct flow *f, uint32_t rtt_ms )
{
    echo_mutex_lock( &f->lock );
    f->rtt_high = f->rtt_high - f->rtt_high / 64;
    if (rtt_ms > f->rtt_high) f->rtt_high = rtt_ms;
    echo_mutex_unlock( &f->lock );
}

void flow_set_sockets( struct flow *f, unsigned int sockets )
{
    echo_mutex_lock( &f->lock );
    f->sockets = sockets;
    echo_mutex_unlock( &f->lock );
}

uint64_t flow_next_check( struct flow *f, uint64_t now )
{
    uint64_t next = UINT64_MAX;

    echo_mutex_lock( &f->lock );
    if (f->retire_count) next = now + f->poll_ms;
    else if (f->held) next = now + f->stale_ms / 4;
    echo_mutex_unlock( &f->lock );
    return next;
}
