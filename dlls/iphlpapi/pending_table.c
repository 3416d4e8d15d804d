/*
 * The table of requests in flight (pending_table.h). Pure C.
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

#include <stddef.h>

#include "pending_table.h"

#define ENTRY_OF_TIMER( node ) ((struct pending_entry *)((char *)(node) - offsetof(struct pending_entry, timer)))

void pending_init( struct pending_table *t, struct pending_entry **slots, uint16_t first_seq )
{
    unsigned int i;

    echo_mutex_init( &t->lock );
    for (i = 0; i < PENDING_SEQ_SPACE; i++) slots[i] = NULL;
    t->slots = slots;
    t->count = 0;
    t->next_seq = first_seq;
    t->next_serial = 1;
    timer_heap_init( &t->timers );
}

void pending_destroy( struct pending_table *t )
{
    echo_mutex_destroy( &t->lock );
}

static uint64_t earliest_locked( const struct pending_table *t )
{
    const struct timer_node *node = timer_heap_min( &t->timers );
    return node ? node->deadline : UINT64_MAX;
}

int pending_add( struct pending_table *t, struct pending_entry *e, uint64_t deadline, int timed,
                 uint16_t *seq, uint32_t *serial, uint64_t *earliest )
{
    echo_mutex_lock( &t->lock );
    if (t->count >= PENDING_SEQ_SPACE)
    {
        *earliest = earliest_locked( t );
        echo_mutex_unlock( &t->lock );
        return -1;
    }
    while (t->slots[t->next_seq]) t->next_seq++;
    *seq = e->seq = t->next_seq++;
    *serial = e->serial = t->next_serial++;
    e->timer.deadline = deadline;
    e->registered = 1;
    e->timed = timed != 0;
    t->slots[e->seq] = e;
    t->count++;
    if (e->timed) timer_heap_insert( &t->timers, &e->timer );
    *earliest = earliest_locked( t );
    echo_mutex_unlock( &t->lock );
    return 0;
}

static void remove_locked( struct pending_table *t, struct pending_entry *e )
{
    if (e->timed) timer_heap_remove( &t->timers, &e->timer );
    t->slots[e->seq] = NULL;
    t->count--;
    e->registered = 0;
}

struct pending_entry *pending_take_seq( struct pending_table *t, uint16_t seq, pending_match_fn match,
                                        const void *context )
{
    struct pending_entry *e;

    echo_mutex_lock( &t->lock );
    if ((e = t->slots[seq]) && match( e, context )) remove_locked( t, e );
    else e = NULL;
    echo_mutex_unlock( &t->lock );
    return e;
}

struct pending_entry *pending_take_serial( struct pending_table *t, uint16_t seq, uint32_t serial )
{
    struct pending_entry *e;

    echo_mutex_lock( &t->lock );
    if ((e = t->slots[seq]) && e->serial == serial) remove_locked( t, e );
    else e = NULL;
    echo_mutex_unlock( &t->lock );
    return e;
}

struct pending_entry *pending_take_expired( struct pending_table *t, uint64_t now )
{
    struct timer_node *node;
    struct pending_entry *e = NULL;

    echo_mutex_lock( &t->lock );
    if ((node = timer_heap_pop_expired( &t->timers, now )))
    {
        e = ENTRY_OF_TIMER( node );
        e->timed = 0;   /* (already out of the heap) */
        remove_locked( t, e );
    }
    echo_mutex_unlock( &t->lock );
    return e;
}

uint64_t pending_next_deadline( struct pending_table *t )
{
    uint64_t ret;

    echo_mutex_lock( &t->lock );
    ret = earliest_locked( t );
    echo_mutex_unlock( &t->lock );
    return ret;
}

unsigned int pending_count( struct pending_table *t )
{
    unsigned int ret;

    echo_mutex_lock( &t->lock );
    ret = t->count;
    echo_mutex_unlock( &t->lock );
    return ret;
}
