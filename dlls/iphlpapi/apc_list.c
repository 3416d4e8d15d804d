/*
 * APC completions' bookkeeping (apc_list.h). Pure C.
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

#include "apc_list.h"

#define THREAD_OF( elem ) ECHO_LIST_ENTRY( elem, struct apc_thread, link )

void apc_registry_init( struct apc_registry *reg )
{
    echo_mutex_init( &reg->lock );
    echo_list_init( &reg->threads );
    reg->count = 0;
}

void apc_registry_destroy( struct apc_registry *reg )
{
    echo_mutex_destroy( &reg->lock );
}

void apc_thread_init( struct apc_registry *reg, struct apc_thread *t, void *handle, int tls )
{
    t->refs = 1;
    echo_list_init( &t->done );
    echo_list_init( &t->running );
    t->queued_at = t->checked_at = 0;
    t->active = 0;
    t->calls = 0;
    t->queued = t->exiting = t->watched = 0;
    t->tls_owned = tls != 0;
    t->handle = handle;
    echo_mutex_lock( &reg->lock );
    echo_list_add_tail( &reg->threads, &t->link );
    reg->count++;
    echo_mutex_unlock( &reg->lock );
}

void apc_thread_ref( struct apc_registry *reg, struct apc_thread *t )
{
    echo_mutex_lock( &reg->lock );
    t->refs++;
    echo_mutex_unlock( &reg->lock );
}

static int unref_locked( struct apc_registry *reg, struct apc_thread *t )
{
    if (--t->refs) return 0;
    echo_list_remove( &t->link );
    reg->count--;
    return 1;
}

int apc_thread_unref( struct apc_registry *reg, struct apc_thread *t )
{
    int last;

    echo_mutex_lock( &reg->lock );
    last = unref_locked( reg, t );
    echo_mutex_unlock( &reg->lock );
    return last;
}

enum apc_push apc_push( struct apc_registry *reg, struct apc_thread *t, struct apc_entry *e, uint64_t now )
{
    enum apc_push ret = APC_PUSH_LISTED;

    echo_mutex_lock( &reg->lock );
    if (t->exiting) ret = APC_PUSH_DROP;
    else
    {
        echo_list_add_tail( &t->done, &e->link );
        /* (our APC between two routines takes it; a running routine may wait alertably: a new APC) */
        if (!t->queued && (!t->active || !echo_list_empty( &t->running )))
        {
            t->queued = 1;
            t->queued_at = now;
            t->refs++;
            ret = APC_PUSH_QUEUE;
        }
    }
    echo_mutex_unlock( &reg->lock );
    return ret;
}

/* (lock held) the thread runs nothing more: every entry to drop */
static void take_all_locked( struct apc_thread *t, struct echo_list *drop )
{
    t->exiting = 1;
    t->queued = 0;
    t->active = 0;
    echo_list_move_tail( drop, &t->running );
    echo_list_move_tail( drop, &t->done );
}

int apc_queued( struct apc_registry *reg, struct apc_thread *t, int ok, struct echo_list *drop )
{
    int last;

    echo_mutex_lock( &reg->lock );
    if (!ok)
    {
        t->exiting = 1;
        t->queued = 0;
        echo_list_move_tail( drop, &t->done );
    }
    last = unref_locked( reg, t );
    echo_mutex_unlock( &reg->lock );
    return last;
}

int apc_begin( struct apc_registry *reg, struct apc_thread *t )
{
    int ok;

    echo_mutex_lock( &reg->lock );
    if ((ok = !t->exiting))
    {
        t->queued = 0;
        t->active++;
    }
    echo_mutex_unlock( &reg->lock );
    return ok;
}

struct apc_entry *apc_next( struct apc_registry *reg, struct apc_thread *t )
{
    struct echo_list *elem;
    struct apc_entry *e = NULL;

    echo_mutex_lock( &reg->lock );
    if (!t->exiting && (elem = echo_list_head( &t->done )))
    {
        echo_list_remove( elem );
        echo_list_add_tail( &t->running, elem );
        e = ECHO_LIST_ENTRY( elem, struct apc_entry, link );
    }
    else if (t->active) t->active--;
    echo_mutex_unlock( &reg->lock );
    return e;
}

void apc_ran( struct apc_registry *reg, struct apc_thread *t, struct apc_entry *e )
{
    echo_mutex_lock( &reg->lock );
    echo_list_remove( &e->link );
    echo_mutex_unlock( &reg->lock );
}

int apc_thread_gone( struct apc_registry *reg, struct apc_thread *t, struct echo_list *drop )
{
    int tls;

    echo_mutex_lock( &reg->lock );
    take_all_locked( t, drop );
    tls = t->tls_owned;
    t->tls_owned = 0;
    echo_mutex_unlock( &reg->lock );
    return tls;
}

unsigned int apc_sweep( struct apc_registry *reg, uint64_t now, uint64_t min_age_ms, struct apc_thread **out,
                        unsigned int max, uint64_t *next )
{
    struct echo_list *elem;
    unsigned int n = 0;

    *next = UINT64_MAX;
    echo_mutex_lock( &reg->lock );
    for (elem = reg->threads.next; elem != &reg->threads && n < max; elem = elem->next)
    {
        struct apc_thread *t = THREAD_OF( elem );
        int32_t calls = echo_load32( &t->calls );
        uint64_t due;

        if (t->watched || (t->exiting && !calls) || (!t->queued && !t->tls_owned && !calls)) continue;
        due = t->queued ? t->queued_at + min_age_ms : t->checked_at + (calls ? 1 : 8) * min_age_ms;
        if (due < t->checked_at + min_age_ms) due = t->checked_at + min_age_ms;
        if (now < due)
        {
            if (due < *next) *next = due;
            continue;
        }
        t->checked_at = now;
        t->refs++;
        out[n++] = t;
    }
    if (n == max) *next = now;   /* (more may be due) */
    /* what was looked at goes last: a long list is swept in turns */
    while (elem != &reg->threads && reg->threads.next != elem)
    {
        struct echo_list *first = reg->threads.next;
        echo_list_remove( first );
        echo_list_add_tail( &reg->threads, first );
    }
    echo_mutex_unlock( &reg->lock );
    return n;
}
