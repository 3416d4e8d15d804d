/*
 * The requests in flight: who owns a request that has been sent. A
 * registered request belongs to this table (indexed by its sequence
 * number, and, when it has a deadline kept here, in the timer heap) until
 * exactly one taker removes it: the matching reply, its deadline, a failed
 * send, or the synchronous caller's own deadline. Whoever takes it
 * completes it; every other taker finds it gone. Pure C with its own lock
 * (echo_sync.h), so the same code runs in the DLL and in the native unit
 * and ThreadSanitizer tests.
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

#ifndef PENDING_TABLE_H
#define PENDING_TABLE_H

#include <stdint.h>

#include "echo_sync.h"
#include "timer_heap.h"

#define PENDING_SEQ_SPACE 65536

struct pending_entry
{
    struct timer_node timer;        /* deadline (ms) */
    uint32_t serial;                /* tells this registration from any other at the same seq */
    uint16_t seq;
    uint8_t registered;             /* in the table: owned by it */
    uint8_t timed;                  /* its deadline is in the heap */
};

struct pending_table
{
    echo_mutex lock;
    struct pending_entry **slots;   /* PENDING_SEQ_SPACE of them, given by the caller */
    unsigned int count;
    uint16_t next_seq;
    uint32_t next_serial;
    struct timer_heap timers;
};

/* true if the entry is the one a packet for its sequence number answers */
typedef int (*pending_match_fn)( const struct pending_entry *entry, const void *context );

void pending_init( struct pending_table *t, struct pending_entry **slots, uint16_t first_seq );
void pending_destroy( struct pending_table *t );
/* Registers e with the deadline (kept in the timer heap if timed); 0, or
 * -1 when every sequence number is in use. From then on the table owns e:
 * the caller must read nothing of it but through a take. *seq and *serial
 * name the registration, *earliest is the heap's earliest deadline
 * afterwards (UINT64_MAX if none). */
int pending_add( struct pending_table *t, struct pending_entry *e, uint64_t deadline, int timed,
                 uint16_t *seq, uint32_t *serial, uint64_t *earliest );
/* Takes the entry registered under seq if match accepts it. */
struct pending_entry *pending_take_seq( struct pending_table *t, uint16_t seq, pending_match_fn match,
                                        const void *context );
/* Takes the registration (seq, serial) if it is still there; its entry or NULL. */
struct pending_entry *pending_take_serial( struct pending_table *t, uint16_t seq, uint32_t serial );
/* Takes one timed entry whose deadline is <= now. */
struct pending_entry *pending_take_expired( struct pending_table *t, uint64_t now );
/* The earliest deadline in the heap, UINT64_MAX if none. */
uint64_t pending_next_deadline( struct pending_table *t );
unsigned int pending_count( struct pending_table *t );

#endif /* PENDING_TABLE_H */
