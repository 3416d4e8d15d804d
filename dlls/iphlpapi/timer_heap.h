/*
 * A binary min-heap of deadlines whose nodes live inside the objects they
 * time (the shape of libuv's heap-inl.h): the heap is a tree of links, so
 * inserting never allocates and cannot fail, and any node can be removed
 * in O(log n). Pure C, not thread-safe: pending_table.c holds its lock
 * around it.
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

#ifndef TIMER_HEAP_H
#define TIMER_HEAP_H

#include <stddef.h>
#include <stdint.h>

struct timer_node
{
    uint64_t deadline;      /* any monotonic unit; the engine uses milliseconds */
    struct timer_node *left, *right, *parent;
    int queued;
};

struct timer_heap
{
    struct timer_node *min;
    size_t count;
};

void timer_heap_init( struct timer_heap *heap );
void timer_heap_insert( struct timer_heap *heap, struct timer_node *node );
/* removing a node that is not queued does nothing */
void timer_heap_remove( struct timer_heap *heap, struct timer_node *node );
static inline struct timer_node *timer_heap_min( const struct timer_heap *heap )
{
    return heap->min;
}
/* Removes and returns the earliest node if its deadline is <= now, else NULL. */
struct timer_node *timer_heap_pop_expired( struct timer_heap *heap, uint64_t now );

#endif /* TIMER_HEAP_H */
