/*
 * Binary min-heap of deadlines: the echo engine's one timer structure.
 * Nodes are embedded in the objects they time; the heap stores pointers and
 * keeps each node's index so removal of any node is O(log n).
 * Pure C; not thread-safe (the engine holds its lock around it).
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
    uint64_t deadline;   /* any monotonic unit; the engine uses milliseconds */
    size_t   index;      /* position in the heap, (size_t)-1 when not queued */
};

struct timer_heap
{
    struct timer_node **nodes;
    size_t count;
    size_t capacity;
    void *(*realloc_fn)( void *ptr, size_t size );  /* allocator; size 0 frees */
};

#define TIMER_NOT_QUEUED ((size_t)-1)

void timer_heap_init( struct timer_heap *heap, void *(*realloc_fn)( void *, size_t ) );
void timer_heap_destroy( struct timer_heap *heap );
/* 0 on success, -1 if memory could not be grown */
int timer_heap_insert( struct timer_heap *heap, struct timer_node *node );
void timer_heap_remove( struct timer_heap *heap, struct timer_node *node );
static inline struct timer_node *timer_heap_min( const struct timer_heap *heap )
{
    return heap->count ? heap->nodes[0] : NULL;
}
/* Removes and returns the earliest node if its deadline is <= now, else NULL. */
struct timer_node *timer_heap_pop_expired( struct timer_heap *heap, uint64_t now );

#endif /* TIMER_HEAP_H */
