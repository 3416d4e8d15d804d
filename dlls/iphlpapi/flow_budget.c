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

static uint32_t clamp_budget( uint32_t budget )
{
    return budget < FLOW_BUDGET_MIN ? FLOW_BUDGET_MIN : budget > FLOW_BUDGET_MAX ? FLOW_BUDGET_MAX : budget;
}

static struct flow_slot *claim_slot( struct flow *f, uint64_t now );

static void go_private( struct flow *f )
{
    f->shared = &f->own;
    f->own.layout = FLOW_LAYOUT;
    f->own.slots_used = 1;
    f->self = &f->own.slots[0];
    f->self->owner = f->token;
}

static void publish( struct flow *f, uint64_t now )
{
    if (f->shared != &f->own && echo_load64( &f->self->owner ) != f->token)
    {
        /* our slot was taken from us (garbage written over it): another, or a budget of our own */
        f->lost_slot++;
        if (!(f->self = claim_slot( f, now ))) go_private( f );
    }
    echo_store32( &f->self->held, (int32_t)f->held );
    echo_store32( &f->self->budget, (int32_t)f->budget );
    echo_store32( &f->self->waiting, f->waiting );
    echo_store32( &f->self->wanted, (int32_t)f->wanted );
    echo_store64( &f->self->empty_at, (int64_t)f->empty_at );
    echo_store64( &f->self->reads, f->reads );
    if (now) echo_store64( &f->self->heartbeat, (int64_t)now );
}

/* every slot is looked at: the page's count of slots in use is only a
 * hint (garbage there must not hide a slot) */
static unsigned int slots_used( const struct flow *f )
{
    return f->shared == &f->own ? 1 : FLOW_MAX_SLOTS;
}

/* ---- what another slot says, checked ---- */

struct peer_view
{
    uint32_t held, budget, wanted;
    uint64_t read_to;           /* before this, every packet that reached its queue was read */
};

/* (lock held) A slot's owner changed: nothing known of the new one yet. */
static struct flow_peer *peer_of( struct flow *f, unsigned int i, int64_t owner, uint64_t now )
{
    struct flow_peer *p = &f->peers[i];
    uint64_t looked = p->slot_looked_at;

    if (p->owner == owner) return p;
    memset( p, 0, sizeof(*p) );
    p->owner = owner;
    p->moved_at = now;
    p->slot_looked_at = looked;
    return p;
}

/* whether a heartbeat says its slot is published (not stopped, not from the future) */
static int fresh( const struct flow *f, int64_t heartbeat, uint64_t now )
{
    if (heartbeat < 0 || (uint64_t)heartbeat > now + f->skew_ms) return 0;
    return (uint64_t)heartbeat >= now || now - (uint64_t)heartbeat <= f->stale_ms;
}

/* (lock held) Whether slot i counts now, and what it says (flow_budget.h
 * lists what makes a slot not count). */
static int peer_counts( struct flow *f, unsigned int i, uint64_t now, struct peer_view *v )
{
    struct flow_slot *s = &f->shared->slots[i];
    struct flow_peer *p;
    int64_t owner = echo_load64( &s->owner ), empty_at, reads;
    int32_t held, budget, wanted, waiting;

    if (s == f->self || owner <= 0) return 0;
    p = peer_of( f, i, owner, now );
    if (p->alive < 0) return 0;   /* (its owner is gone; one not looked for yet counts if its values are sound) */
    if (!fresh( f, echo_load64( &s->heartbeat ), now )) return 0;
    held = echo_load32( &s->held );
    budget = echo_load32( &s->budget );
    wanted = echo_load32( &s->wanted );
    if (budget < FLOW_BUDGET_MIN || budget > FLOW_BUDGET_MAX) return 0;
    if (held < 0 || (uint64_t)held > (uint64_t)budget + f->max_charge) return 0;
    if (wanted < 0 || (uint64_t)wanted > (uint64_t)budget + f->max_charge) return 0;
    reads = echo_load64( &s->reads );
    empty_at = echo_load64( &s->empty_at );
    waiting = echo_load32( &s->waiting ) != 0;
    if (reads != p->reads || empty_at != p->empty_at || waiting)
    {
        p->reads = reads;
        p->empty_at = empty_at;
        p->moved_at = now;
    }
    if (now > p->moved_at && now - p->moved_at > f->stuck_ms) return 0;   /* publishing, not moving */
    v->held = (uint32_t)held;
    v->budget = (uint32_t)budget;
    v->wanted = (uint32_t)wanted;
    v->read_to = empty_at < 0 ? 0 : (uint64_t)empty_at > now ? now : (uint64_t)empty_at;
    if (waiting && now > f->lag_ms && v->read_to < now - f->lag_ms) v->read_to = now - f->lag_ms;
    return 1;
}

struct room
{
    uint64_t held, wanted;
    uint32_t budget;
};

/* (lock held) what the counted slots hold and want, and the smallest budget */
static void room_now( struct flow *f, uint64_t now, struct room *r )
{
    unsigned int i, used = slots_used( f );
    struct peer_view v;

    r->held = f->held;
    r->wanted = 0;
    r->budget = f->budget;
    for (i = 0; i < used; i++)
    {
        if (!peer_counts( f, i, now, &v )) continue;
        r->held += v.held;
        r->wanted += v.wanted;
        if (v.budget < r->budget) r->budget = v.budget;
    }
}

/* whether bytes may go now: nothing held anywhere (then even more than the
 * budget goes, alone), or room left for them after what others wait for */
static int fits( const struct room *r, uint32_t bytes )
{
    return !r->held || r->held + r->wanted + bytes <= r->budget;
}

uint32_t flow_total_held( struct flow *f, uint64_t now )
{
    struct room r;

    echo_mutex_lock( &f->lock );
    room_now( f, now, &r );
    echo_mutex_unlock( &f->lock );
    return r.held > UINT32_MAX ? UINT32_MAX : (uint32_t)r.held;
}

/* The time before which every queue a reply may have been copied to has
 * been read: our own other sockets' (receive_publish gives their least
 * empty_at), and every counted process's. UINT64_MAX: nothing is copied
 * anywhere. */
static uint64_t watermark( struct flow *f, uint64_t now )
{
    uint64_t mark = UINT64_MAX;
    unsigned int i, used = slots_used( f );
    struct peer_view v;

    if (f->sockets > 1) mark = f->empty_at;
    for (i = 0; i < used; i++)
        if (peer_counts( f, i, now, &v ) && v.read_to < mark) mark = v.read_to;
    return mark;
}

/* ---- our charges ---- */

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

/* the slowest recent round trip, decayed to now (flow_budget.h) */
static uint32_t rtt_estimate( const struct flow *f, uint64_t now )
{
    uint64_t rtt = f->rtt_high, steps = now > f->rtt_at ? (now - f->rtt_at) / FLOW_RTT_DECAY_MS : 0;

    while (steps-- && rtt > FLOW_RTT_FLOOR_MS) rtt = rtt * 3 / 4;
    return (uint32_t)(rtt > FLOW_RTT_FLOOR_MS ? rtt : FLOW_RTT_FLOOR_MS);
}

/* overdue requests while our sockets are empty: their answers are not coming */
static uint32_t reclaim( struct flow *f, uint64_t now )
{
    uint64_t min_age = 2 * (uint64_t)rtt_estimate( f, now ) + 5;
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

static void hold( struct flow *f, struct flow_charge *c, uint32_t bytes, uint64_t now )
{
    c->bytes = bytes;
    c->since = now;
    echo_list_add_tail( &f->in_flight, &c->entry );
    f->held += bytes;
}

/* ---- a slot of the page ---- */

static struct flow_slot *claim_slot( struct flow *f, uint64_t now )
{
    struct flow_shared *sh = f->shared;
    unsigned int i;
    int32_t used;

    for (i = 0; i < FLOW_MAX_SLOTS; i++)
    {
        struct flow_slot *s = &sh->slots[i];

        if (!echo_cas64( &s->owner, 0, f->token )) continue;
        echo_store64( &s->heartbeat, (int64_t)now );
        while ((used = echo_load32( &sh->slots_used )) < (int32_t)i + 1 && !echo_cas32( &sh->slots_used, used, i + 1 ))
            ;
        return s;
    }
    return NULL;
}

enum flow_private flow_init( struct flow *f, uint32_t budget, uint32_t max_charge, struct flow_shared *shared,
                             int64_t token, uint64_t now, flow_alive_fn alive, void *alive_context )
{
    enum flow_private why = FLOW_PRIVATE_NO_PAGE;
    unsigned int i;

    memset( f, 0, sizeof(*f) );
    echo_mutex_init( &f->lock );
    echo_cond_init( &f->cv );
    echo_list_init( &f->in_flight );
    f->budget = clamp_budget( budget );
    f->max_charge = max_charge;
    f->poll_ms = FLOW_POLL_MS, f->stale_ms = FLOW_STALE_MS, f->stuck_ms = FLOW_STUCK_MS;
    f->skew_ms = FLOW_SKEW_MS, f->check_ms = FLOW_CHECK_MS, f->lag_ms = FLOW_LAG_MS;
    f->token = token > 0 ? token : 1;
    f->empty_at = now;
    f->rtt_high = FLOW_RTT_UNKNOWN_MS;
    f->rtt_at = now;
    if (shared)
    {
        /* (the first process sets magic and version in one step: nobody sees one without the other) */
        echo_cas64( &shared->layout, 0, FLOW_LAYOUT );
        if (echo_load64( &shared->layout ) != FLOW_LAYOUT) why = FLOW_PRIVATE_LAYOUT;
        else
        {
            f->shared = shared;
            if (!(f->self = claim_slot( f, now )) && alive)
            {
                /* every slot taken: free those whose owner is gone, then try again */
                for (i = 0; i < FLOW_MAX_SLOTS; i++)
                {
                    int64_t owner = echo_load64( &shared->slots[i].owner );
                    if (owner > 0 && !alive( owner, alive_context )) echo_cas64( &shared->slots[i].owner, owner, 0 );
                }
                f->self = claim_slot( f, now );
            }
            why = f->self ? FLOW_SHARED_OK : FLOW_PRIVATE_FULL;
        }
    }
    if (!f->self) go_private( f );
    publish( f, now );
    return why;
}

void flow_shutdown( struct flow *f )
{
    echo_mutex_lock( &f->lock );
    if (f->shared != &f->own)
    {
        echo_store32( &f->self->held, 0 );
        echo_cas64( &f->self->owner, f->token, 0 );
        go_private( f );
    }
    echo_mutex_unlock( &f->lock );
}

void flow_release_slot( struct flow *f )
{
    if (f->shared != &f->own) echo_cas64( &f->self->owner, f->token, 0 );
}

void flow_set_budget( struct flow *f, uint32_t budget )
{
    echo_mutex_lock( &f->lock );
    f->budget = clamp_budget( budget );
    publish( f, 0 );
    echo_mutex_unlock( &f->lock );
}

/* ---- senders ---- */

enum flow_result flow_try( struct flow *f, struct flow_charge *c, uint32_t bytes, uint64_t now )
{
    enum flow_result result = FLOW_NO_ROOM;
    struct room r;

    echo_mutex_lock( &f->lock );
    update( f, now );
    room_now( f, now, &r );
    if (fits( &r, bytes ))
    {
        hold( f, c, bytes, now );
        result = FLOW_NOW;
    }
    publish( f, now );
    echo_mutex_unlock( &f->lock );
    return result;
}

enum flow_result flow_reserve( struct flow *f, struct flow_charge *c, uint32_t bytes, uint64_t deadline,
                               uint64_t (*clock)( void *context ), void *clock_context )
{
    enum flow_result result = FLOW_NOW;
    uint64_t now;
    struct room r;

    echo_mutex_lock( &f->lock );
    now = clock( clock_context );   /* (read under the lock: no charge is newer than now) */
    for (;;)
    {
        update( f, now );
        room_now( f, now, &r );
        if (fits( &r, bytes )) break;
        if (now >= deadline)
        {
            result = FLOW_DEADLINE;
            break;
        }
        result = FLOW_WAITED;
        f->waiters++;
        echo_cond_wait( &f->cv, &f->lock, (uint32_t)(deadline - now < f->poll_ms ? deadline - now : f->poll_ms) );
        f->waiters--;
        now = clock( clock_context );
    }
    if (result != FLOW_DEADLINE) hold( f, c, bytes, now );
    publish( f, now );
    echo_mutex_unlock( &f->lock );
    return result;
}

void flow_want( struct flow *f, uint32_t bytes )
{
    echo_mutex_lock( &f->lock );
    if (f->wanted != bytes)
    {
        f->wanted = bytes;
        publish( f, 0 );
    }
    echo_mutex_unlock( &f->lock );
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

/* ---- the receive side ---- */

void flow_drained( struct flow *f, int waiting, uint64_t empty_at, int64_t reads, uint64_t now )
{
    echo_mutex_lock( &f->lock );
    f->waiting = waiting != 0;
    f->empty_at = empty_at;
    f->reads = reads;
    update( f, now );
    publish( f, now );
    echo_mutex_unlock( &f->lock );
}

void flow_round_trip( struct flow *f, uint32_t rtt_ms, uint64_t now )
{
    echo_mutex_lock( &f->lock );
    if (rtt_ms >= rtt_estimate( f, now ))
    {
        f->rtt_high = rtt_ms;
        f->rtt_at = now;
    }
    echo_mutex_unlock( &f->lock );
}

void flow_set_sockets( struct flow *f, unsigned int sockets )
{
    echo_mutex_lock( &f->lock );
    f->sockets = sockets;
    echo_mutex_unlock( &f->lock );
}

/* ---- who lives ---- */

/* (lock held) whether slot i's owner is to be looked for now */
static int look_due( struct flow *f, unsigned int i, int64_t owner, uint64_t now )
{
    struct flow_peer *p = peer_of( f, i, owner, now );

    if (p->checking) return 0;
    if (p->slot_looked_at && now - p->slot_looked_at < f->check_ms) return 0;   /* (a slot whose owner keeps changing) */
    if (!p->checked_at) return 1;   /* new */
    /* (a published slot's owner lives; one that stopped may be gone) */
    return !fresh( f, echo_load64( &f->shared->slots[i].heartbeat ), now ) && now - p->checked_at >= f->check_ms;
}

void flow_housekeeping( struct flow *f, uint64_t now, flow_alive_fn alive, void *alive_context )
{
    unsigned int index[FLOW_MAX_SLOTS], i, n = 0, used;
    int64_t token[FLOW_MAX_SLOTS];
    int result[FLOW_MAX_SLOTS], changed = 0;

    echo_mutex_lock( &f->lock );
    used = slots_used( f );
    for (i = 0; i < used; i++)
    {
        int64_t owner = echo_load64( &f->shared->slots[i].owner );

        if (&f->shared->slots[i] == f->self || !owner) continue;
        if (owner < 0)
        {
            /* (no valid owner is negative: garbage, freed at once) */
            echo_cas64( &f->shared->slots[i].owner, owner, 0 );
            continue;
        }
        if (!look_due( f, i, owner, now )) continue;
        f->peers[i].checking = 1;
        index[n] = i;
        token[n++] = owner;
    }
    echo_mutex_unlock( &f->lock );
    if (!n) return;
    for (i = 0; i < n; i++) result[i] = alive( token[i], alive_context );   /* (blocking calls: no lock) */
    echo_mutex_lock( &f->lock );
    for (i = 0; i < n; i++)
    {
        struct flow_peer *p = &f->peers[index[i]];

        if (p->owner != token[i]) continue;   /* (another owner meanwhile) */
        p->checking = 0;
        p->checked_at = p->slot_looked_at = now ? now : 1;
        if (result[i])
        {
            changed |= p->alive != 1;
            p->alive = 1;   /* (or cannot tell: its values decide) */
            continue;
        }
        p->alive = -1;
        changed = 1;
        /* (one step: a reaper that dies leaves the slot whole, its owner's or free) */
        echo_cas64( &f->shared->slots[index[i]].owner, token[i], 0 );
    }
    if (changed)
    {
        update( f, now );
        if (f->waiters) echo_cond_broadcast( &f->cv );
    }
    echo_mutex_unlock( &f->lock );
}

uint64_t flow_next_check( struct flow *f, uint64_t now )
{
    uint64_t next = UINT64_MAX;
    unsigned int i, used;

    echo_mutex_lock( &f->lock );
    if (f->retire_count || f->wanted) next = now + f->poll_ms;
    else if (f->held) next = now + f->stale_ms / 4;   /* (our heartbeat, while others must count us) */
    used = slots_used( f );
    for (i = 0; i < used && next > now + f->poll_ms; i++)
    {
        int64_t owner = echo_load64( &f->shared->slots[i].owner );
        struct flow_peer *p;

        if (&f->shared->slots[i] == f->self || owner <= 0) continue;
        p = peer_of( f, i, owner, now );
        if (!p->checked_at && !p->checking)   /* a newcomer to look for */
        {
            uint64_t due = p->slot_looked_at ? p->slot_looked_at + f->check_ms : now + f->poll_ms;
            if (due < next) next = due < now + f->poll_ms ? now + f->poll_ms : due;
        }
        else if (p->alive > 0 && !fresh( f, echo_load64( &f->shared->slots[i].heartbeat ), now ) &&
                 p->checked_at + f->check_ms < next)
            next = p->checked_at + f->check_ms;   /* one that stopped: gone? */
    }
    echo_mutex_unlock( &f->lock );
    return next;
}
