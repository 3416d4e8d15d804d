/*
 * ICMP handles: values that cannot be confused with kernel handles, each
 * carrying a slot index and a generation, so that a closed handle, an event
 * handle or a random value is recognised as not ours.
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

#include <stdarg.h>

#include "windef.h"
#include "winbase.h"
#include "wine/debug.h"

#include "icmp_handle.h"

WINE_DEFAULT_DEBUG_CHANNEL(icmp);

/* value: 0x4 tag in bits 28-31 | generation in bits 18-27 | slot in bits 2-17
 * (32 bits: a handle is a 32-bit value for a 32-bit caller). A closed
 * handle is refused until its slot has been reused 1,024 times; the lowest
 * free slot is reused first, so a program that opens and closes one handle
 * in a loop brings a value back after 1,024 rounds. That is enough: on
 * Windows an ICMP handle is a kernel handle, whose value the very next
 * CreateFile, CreateEvent... may get again; using a closed handle there
 * reaches whatever object has it now. Here it reaches nothing for 1,023
 * reuses, and never anything but an ICMP handle. */
#define HANDLE_TAG        0x40000000u
#define TAG_MASK          0xf0000000u
#define GEN_SHIFT         18
#define GEN_MASK          0x3ffu
#define SLOT_SHIFT        2
#define MAX_SLOTS         0x10000u

struct slot
{
    int family;         /* 0 = free */
    unsigned int gen;
};

static struct slot *slots;
static unsigned int slot_count, slot_capacity, free_hint;
static SRWLOCK lock = SRWLOCK_INIT;

static HANDLE make_handle( unsigned int index, unsigned int gen )
{
    return ULongToHandle( HANDLE_TAG | (gen & GEN_MASK) << GEN_SHIFT | index << SLOT_SHIFT );
}

HANDLE icmp_handle_alloc( int family )
{
    unsigned int i;
    HANDLE ret = INVALID_HANDLE_VALUE;

    AcquireSRWLockExclusive( &lock );
    for (i = free_hint; i < slot_count; i++) if (!slots[i].family) break;
    if (i == slot_count)
    {
        if (slot_count == slot_capacity)
        {
            unsigned int capacity = slot_capacity ? slot_capacity * 2 : 64;
            struct slot *new_slots;

            if (capacity > MAX_SLOTS) capacity = MAX_SLOTS;
            if (capacity == slot_capacity) goto done;
            new_slots = slots ? HeapReAlloc( GetProcessHeap(), HEAP_ZERO_MEMORY, slots, capacity * sizeof(*slots) )
                              : HeapAlloc( GetProcessHeap(), HEAP_ZERO_MEMORY, capacity * sizeof(*slots) );
            if (!new_slots) goto done;
            slots = new_slots;
            slot_capacity = capacity;
        }
        slot_count++;
    }
    slots[i].family = family;
    slots[i].gen = (slots[i].gen + 1) & GEN_MASK;
    free_hint = i + 1;
    ret = make_handle( i, slots[i].gen );
done:
    ReleaseSRWLockExclusive( &lock );
    if (ret == INVALID_HANDLE_VALUE) SetLastError( ERROR_NOT_ENOUGH_MEMORY );
    TRACE( "family %d -> %p\n", family, ret );
    return ret;
}

static struct slot *lookup( HANDLE handle )
{
    ULONG_PTR value = (ULONG_PTR)handle;
    unsigned int index;

    if ((value & ~(ULONG_PTR)0xffffffff) || (value & TAG_MASK) != HANDLE_TAG || (value & 3)) return NULL;
    index = (value >> SLOT_SHIFT) & (MAX_SLOTS - 1);
    if (index >= slot_count || !slots[index].family) return NULL;
    if (slots[index].gen != ((value >> GEN_SHIFT) & GEN_MASK)) return NULL;
    return &slots[index];
}

int icmp_handle_family( HANDLE handle )
{
    struct slot *slot;
    int family = 0;

    AcquireSRWLockShared( &lock );
    if ((slot = lookup( handle ))) family = slot->family;
    ReleaseSRWLockShared( &lock );
    return family;
}

BOOL icmp_handle_free( HANDLE handle )
{
    struct slot *slot;

    AcquireSRWLockExclusive( &lock );
    if ((slot = lookup( handle )))
    {
        unsigned int index = slot - slots;
        slot->family = 0;
        if (index < free_hint) free_hint = index;
    }
    ReleaseSRWLockExclusive( &lock );
    TRACE( "%p -> %s\n", handle, slot ? "closed" : "not an ICMP handle" );
    return slot != NULL;
}

void icmp_handle_process_detach( void *reserved )
{
    if (reserved) return;
    HeapFree( GetProcessHeap(), 0, slots );
    slots = NULL;
    slot_count = slot_capacity = free_hint = 0;
}
