/*
 * Binary min-heap of deadlines (see timer_heap.h). Pure C.
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

#include "timer_heap.h"

static void place( struct timer_heap *heap, size_t i, struct timer_node *node )
{
    heap->nodes[i] = node;
    node->index = i;
}

static void sift_up( struct timer_heap *heap, size_t i )
{
    struct timer_node *node = heap->nodes[i];

    while (i > 0)
    {
        size_t parent = (i - 1) / 2;
        if (heap->nodes[parent]->deadline <= node->deadline) break;
        place( heap, i, heap->nodes[parent] );
        i = parent;
    }
    place( heap, i, node );
}

static void sift_down( struct timer_heap *heap, size_t i )
{
    struct timer_node *node = heap->nodes[i];

    for (;;)
    {
        size_t child = 2 * i + 1;
        if (child >= heap->count) break;
        if (child + 1 < heap->count && heap->nodes[child + 1]->deadline < heap->nodes[child]->deadline)
            child++;
        if (node->deadline <= heap->nodes[child]->deadline) break;
        place( heap, i, heap->nodes[child] );
        i = child;
    }
    place( heap, i, node );
}

void timer_heap_init( struct timer_heap *heap, void *(*realloc_fn)( void *, size_t ) )
{
    heap->nodes = NULL;
    heap->count = heap->capacity = 0;
    heap->realloc_fn = realloc_fn;
}

void timer_heap_destroy( struct timer_heap *heap )
{
    if (heap->nodes) heap->realloc_fn( heap->nodes, 0 );
    heap->nodes = NULL;
    heap->count = heap->capacity = 0;
}

int timer_heap_insert( struct timer_heap *heap, struct timer_node *node )
{
    if (heap->count == heap->capacity)
    {
        size_t capacity = heap->capacity ? heap->capacity * 2 : 64;
        struct timer_node **nodes = heap->realloc_fn( heap->nodes, capacity * sizeof(*nodes) );
        if (!nodes) return -1;
        heap->nodes = nodes;
        heap->capacity = capacity;
    }
    heap->nodes[heap->count] = node;
    node->index = heap->count++;
    sift_up( heap, node->index );
    return 0;
}

void timer_heap_remove( struct timer_heap *heap, struct timer_node *node )
{
    size_t i = node->index;
    struct timer_node *last;

    if (i == TIMER_NOT_QUEUED || i >= heap->count || heap->nodes[i] != node) return;
    node->index = TIMER_NOT_QUEUED;
    last = heap->nodes[--heap->count];
    if (last == node) return;
    place( heap, i, last );
    if (i > 0 && heap->nodes[(i - 1) / 2]->deadline > last->deadline) sift_up( heap, i );
    else sift_down( heap, i );
}

struct timer_node *timer_heap_pop_expired( struct timer_heap *heap, uint64_t now )
{
    struct timer_node *node = timer_heap_min( heap );

    if (!node || node->deadline > now) return NULL;
    timer_heap_remove( heap, node );
    return node;
}
