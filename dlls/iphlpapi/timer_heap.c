/*
 * The intrusive binary min-heap (timer_heap.h). Position n (1-based) of the
 * complete tree is reached from the root by the bits of n below its top
 * bit, 0 going left and 1 right; nodes move by exchanging links, never
 * their contents. Pure C.
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

void timer_heap_init( struct timer_heap *heap )
{
    heap->min = NULL;
    heap->count = 0;
}

/* the node at position n (1 <= n <= count), or, with parent_only, its parent */
static struct timer_node *node_at( const struct timer_heap *heap, size_t n, int parent_only )
{
    struct timer_node *node = heap->min;
    int bit = 0;

    while ((n >> bit) > 1) bit++;
    for (bit--; bit >= (parent_only ? 1 : 0); bit--) node = ((n >> bit) & 1) ? node->right : node->left;
    return node;
}

/* puts `node` where `old` is in old's parent (or at the root) */
static void replace_in_parent( struct timer_heap *heap, struct timer_node *old, struct timer_node *node )
{
    node->parent = old->parent;
    if (!old->parent) heap->min = node;
    else if (old->parent->left == old) old->parent->left = node;
    else old->parent->right = node;
}

/* exchanges a node with one of its children */
static void swap_with_child( struct timer_heap *heap, struct timer_node *node, struct timer_node *child )
{
    struct timer_node *child_left = child->left, *child_right = child->right;

    replace_in_parent( heap, node, child );
    if (node->left == child)
    {
        child->left = node;
        child->right = node->right;
    }
    else
    {
        child->right = node;
        child->left = node->left;
    }
    if (child->left && child->left != node) child->left->parent = child;
    if (child->right && child->right != node) child->right->parent = child;
    node->parent = child;
    node->left = child_left;
    node->right = child_right;
    if (node->left) node->left->parent = node;
    if (node->right) node->right->parent = node;
}

static void sift_up( struct timer_heap *heap, struct timer_node *node )
{
    while (node->parent && node->deadline < node->parent->deadline) swap_with_child( heap, node->parent, node );
}

static void sift_down( struct timer_heap *heap, struct timer_node *node )
{
    for (;;)
    {
        struct timer_node *least = node;

        if (node->left && node->left->deadline < least->deadline) least = node->left;
        if (node->right && node->right->deadline < least->deadline) least = node->right;
        if (least == node) return;
        swap_with_child( heap, node, least );
    }
}

void timer_heap_insert( struct timer_heap *heap, struct timer_node *node )
{
    struct timer_node *parent;
    size_t n = heap->count + 1;

    node->left = node->right = node->parent = NULL;
    node->queued = 1;
    heap->count = n;
    if (n == 1)
    {
        heap->min = node;
        return;
    }
    parent = node_at( heap, n, 1 );
    if (n & 1) parent->right = node;
    else parent->left = node;
    node->parent = parent;
    sift_up( heap, node );
}

void timer_heap_remove( struct timer_heap *heap, struct timer_node *node )
{
    struct timer_node *last;

    if (!node->queued) return;
    node->queued = 0;
    last = node_at( heap, heap->count, 0 );
    heap->count--;
    /* detach the last position's node */
    if (!last->parent) heap->min = NULL;
    else if (last->parent->left == last) last->parent->left = NULL;
    else last->parent->right = NULL;
    if (last != node)
    {
        /* it takes the removed node's place, then finds its level */
        replace_in_parent( heap, node, last );
        last->left = node->left;
        last->right = node->right;
        if (last->left) last->left->parent = last;
        if (last->right) last->right->parent = last;
        sift_down( heap, last );
        sift_up( heap, last );
    }
    node->left = node->right = node->parent = NULL;
}

struct timer_node *timer_heap_pop_expired( struct timer_heap *heap, uint64_t now )
{
    struct timer_node *node = heap->min;

    if (!node || node->deadline > now) return NULL;
    timer_heap_remove( heap, node );
    return node;
}
