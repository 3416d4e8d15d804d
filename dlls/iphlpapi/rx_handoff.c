/*
 * The receive hand-off (rx_handoff.h). Pure C.
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

#include "rx_handoff.h"

#define WAITER_OF( elem ) ECHO_LIST_ENTRY( elem, struct rx_waiter, entry )

/* A test build may break one rule on purpose (-DRX_HANDOFF_MUTANT=N), to
 * show that the interleaving checker catches it (make check-unit):
 *   1 a completed request stays among the followers (and is the one woken)
 *   2 the socket a dead waiter led is left without waking anyone
 *   3 the receive thread takes a socket it is asked to take only after its grace period
 *   4 a stale request to the receive thread stays, so a new one is not made
 *   5 a leader that ends wakes nobody
 *   6 a caller that expires with nobody receiving hands the socket on to nobody */
#ifdef RX_HANDOFF_MUTANT
#define MUTANT( n ) (RX_HANDOFF_MUTANT == (n))
#else
#define MUTANT( n ) 0
#endif

void rx_init( struct rx_handoff *rx, uint64_t now )
{
    rx->owner = RX_NONE;
    rx->wanted = 0;
    rx->leader = 0;
    rx->async_count = rx->follow_only = 0;
    echo_list_init( &rx->followers );
    rx->released_at = now;
    rx->retry_at = 0;
}

void rx_waiter_init( struct rx_waiter *w, int follow_only )
{
    echo_list_init( &w->entry );
    w->place = RXW_OUT;
    w->done = w->gone = w->spun = w->late = 0;
    w->follow_only = follow_only != 0;
}

static void follow( struct rx_handoff *rx, struct rx_waiter *w )
{
    w->place = RXW_FOLLOWING;
    echo_list_add_tail( &rx->followers, &w->entry );
    if (w->follow_only) rx->follow_only++;
}

static void unfollow( struct rx_handoff *rx, struct rx_waiter *w )
{
    if (w->place != RXW_FOLLOWING) return;
    echo_list_remove( &w->entry );
    if (w->follow_only) rx->follow_only--;
    w->place = RXW_OUT;
}

/* Nobody receives on the socket any more: wake whoever must receive next. */
static void hand_on( struct rx_handoff *rx, struct rx_wake *wake )
{
    struct echo_list *first;

    if (rx->async_count || rx->follow_only)
    {
        rx->wanted = 1;
        wake->thread = 1;
    }
    else if ((first = echo_list_head( &rx->followers ))) wake->waiter = WAITER_OF( first );
}

void rx_wait_begin( struct rx_handoff *rx, struct rx_waiter *w )
{
    if (w->done || w->place != RXW_OUT) return;   /* (completed before it came to wait) */
    follow( rx, w );
}

static enum rx_step lead( struct rx_handoff *rx, struct rx_waiter *w )
{
    unfollow( rx, w );
    w->place = RXW_LEADING;
    rx->owner = RX_LEADER;
    rx->leader = w;
    return RX_STEP_LEAD;
}

enum rx_step rx_wait_step( struct rx_handoff *rx, struct rx_waiter *w, uint64_t now, uint64_t deadline,
                           uint64_t read_to, uint64_t *until, struct rx_wake *wake )
{
    if (w->done) return RX_STEP_DONE;
    if (now >= deadline)
    {
        if (read_to >= deadline || w->late || w->follow_only || rx->owner != RX_NONE || now < rx->retry_at)
        {
            /* (the wake it may have been given was the socket's: given on) */
            if (rx->owner == RX_NONE && w->place == RXW_FOLLOWING && !MUTANT( 6 ))
            {
                unfollow( rx, w );
                hand_on( rx, wake );
            }
            return RX_STEP_EXPIRE;
        }
        w->late = 1;
        return lead( rx, w );
    }
    *until = deadline;
    if (w->follow_only)
    {
        if (rx->owner == RX_NONE && !rx->wanted)
        {
            rx->wanted = 1;
            wake->thread = 1;
            return RX_STEP_ASK;
        }
        if (!w->spun)
        {
            w->spun = 1;
            return RX_STEP_SPIN;
        }
        return RX_STEP_SLEEP;
    }
    if (rx->owner == RX_NONE)
    {
        if (now >= rx->retry_at) return lead( rx, w );
        if (rx->retry_at < *until) *until = rx->retry_at;
    }
    return RX_STEP_SLEEP;
}

static void release( struct rx_handoff *rx, uint64_t now )
{
    rx->owner = RX_NONE;
    rx->leader = 0;
    rx->released_at = now;
}

void rx_lead_end( struct rx_handoff *rx, struct rx_waiter *w, uint64_t now, struct rx_wake *wake )
{
    if (rx->leader != w) return;
    release( rx, now );
    w->place = RXW_OUT;
    if (!w->done) follow( rx, w );
    if (!MUTANT( 5 )) hand_on( rx, wake );
}

void rx_complete( struct rx_handoff *rx, struct rx_waiter *w, struct rx_wake *wake )
{
    if (w->done) return;
    w->done = 1;
    if (w->place != RXW_FOLLOWING) return;   /* (a leader finds out itself after its receive) */
    if (!MUTANT( 1 )) unfollow( rx, w );
    wake->waiter = w;
}

void rx_wait_end( struct rx_handoff *rx, struct rx_waiter *w )
{
    unfollow( rx, w );
}

void rx_waiter_gone( struct rx_handoff *rx, struct rx_waiter *w, uint64_t now, struct rx_wake *wake )
{
    w->gone = w->done = 1;
    if (w->place == RXW_LEADING && rx->leader == w) release( rx, now );
    unfollow( rx, w );
    w->place = RXW_OUT;
    /* (a wake meant for it may have been its last: give it again) */
    if (rx->owner == RX_NONE && !MUTANT( 2 )) hand_on( rx, wake );
}

int rx_async_begin( struct rx_handoff *rx )
{
    return rx->async_count++ == 0 && rx->owner == RX_NONE;
}

void rx_async_end( struct rx_handoff *rx )
{
    if (rx->async_count) rx->async_count--;
}

int rx_thread_takes( struct rx_handoff *rx, uint64_t now, uint64_t grace, uint64_t *next )
{
    int wanted = rx->wanted;

    if (!MUTANT( 4 )) rx->wanted = 0;   /* (it looked: whoever needs it later wakes it again) */
    if (rx->owner == RX_THREAD) return 1;
    if (rx->owner != RX_NONE) return 0;
    if (!rx->async_count && ((!rx->follow_only && !wanted) || MUTANT( 3 )) && now < rx->released_at + grace)
    {
        if (rx->released_at + grace < *next) *next = rx->released_at + grace;
        return 0;
    }
    rx->owner = RX_THREAD;
    return 1;
}

int rx_thread_gives_up( struct rx_handoff *rx, int sync_done, int cpu_spare, uint64_t now, struct rx_wake *wake )
{
    if (rx->owner != RX_THREAD || rx->async_count || rx->follow_only || cpu_spare) return 0;
    if (!sync_done && echo_list_empty( &rx->followers )) return 0;
    release( rx, now );
    hand_on( rx, wake );
    return 1;
}

void rx_receive_failed( struct rx_handoff *rx, uint64_t retry_at )
{
    rx->retry_at = retry_at;
}

void rx_receive_ok( struct rx_handoff *rx )
{
    rx->retry_at = 0;
}

const char *rx_check( const struct rx_handoff *rx )
{
    const struct echo_list *elem;
    uint32_t follow_only = 0;

    if (rx->owner > RX_LEADER) return "owner out of range";
    if ((rx->owner == RX_LEADER) != (rx->leader != 0)) return "a leader without RX_LEADER, or RX_LEADER without one";
    if (rx->leader && (rx->leader->place != RXW_LEADING || rx->leader->gone)) return "the leader is not leading";
    for (elem = rx->followers.next; elem != &rx->followers; elem = elem->next)
    {
        const struct rx_waiter *w = WAITER_OF( elem );

        if (w->place != RXW_FOLLOWING) return "a follower not marked following";
        if (w->done) return "a finished request among the followers";
        if (w->gone) return "a dead thread among the followers";
        if (w == rx->leader) return "the leader among the followers";
        follow_only += w->follow_only;
    }
    if (follow_only != rx->follow_only) return "follow-only count wrong";
    return 0;
}
