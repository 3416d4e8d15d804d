/*
 * A doubly linked list threaded through the objects it holds (libuv's
 * queue, Wine's list.h): adding and removing never allocate. Pure C,
 * header only; the engine's bookkeeping (flow_budget.c, apc_list.c) and
 * the Win32 glue share it.
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

#ifndef ECHO_LIST_H
#define ECHO_LIST_H

#include <stddef.h>

struct echo_list
{
    struct echo_list *next, *prev;
};

#define ECHO_LIST_ENTRY( elem, type, field ) ((type *)((char *)(elem) - offsetof(type, field)))

static inline void echo_list_init( struct echo_list *head )
{
    head->next = head->prev = head;
}

static inline int echo_list_empty( const struct echo_list *head )
{
    return head->next == head;
}

static inline void echo_list_add_tail( struct echo_list *head, struct echo_list *elem )
{
    elem->next = head;
    elem->prev = head->prev;
    head->prev->next = elem;
    head->prev = elem;
}

/* unlinks elem and leaves it an empty list of its own (removing twice is harmless) */
static inline void echo_list_remove( struct echo_list *elem )
{
    elem->prev->next = elem->next;
    elem->next->prev = elem->prev;
    elem->next = elem->prev = elem;
}

static inline struct echo_list *echo_list_head( const struct echo_list *head )
{
    return echo_list_empty( head ) ? NULL : head->next;
}

/* moves every element of from to the end of to; from is left empty */
static inline void echo_list_move_tail( struct echo_list *to, struct echo_list *from )
{
    if (echo_list_empty( from )) return;
    from->next->prev = to->prev;
    to->prev->next = from->next;
    from->prev->next = to;
    to->prev = from->prev;
    echo_list_init( from );
}

#endif /* ECHO_LIST_H */
