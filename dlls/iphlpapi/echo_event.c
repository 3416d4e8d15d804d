/*
 * The events of Event requests. Windows resets a request's event when the
 * request starts and signals it when it completes, through the kernel's
 * own reference to the event: a caller may close its handle meanwhile.
 * We hold a duplicate of the caller's handle for the same reason, but one
 * per event, not per request: the duplicate is kept (up to EVENT_CACHE_MAX
 * idle ones) and reused when the caller passes the same handle again,
 * once NtCompareObjects has said it is still the same event (a closed
 * handle's value is soon reused for another object). A reused event costs
 * that comparison instead of duplicating and closing a handle.
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

#include "echo_private.h"

#define EVENT_CACHE_MAX  64

struct event_ref
{
    struct echo_list entry;     /* in engine.events, idle ones least recently used first */
    HANDLE caller;              /* the caller's handle it was duplicated from */
    HANDLE dup;
    LONG refs;                  /* requests using it (engine.cs) */
    BOOL cached;                /* in engine.events */
};

#define REF_OF( elem ) ECHO_LIST_ENTRY( elem, struct event_ref, entry )

static NTSTATUS (WINAPI *pNtCompareObjects)( HANDLE, HANDLE );

static BOOL CALLBACK find_compare( INIT_ONCE *once, void *param, void **context )
{
    /* (Windows 10 and Wine; without it nothing is reused) */
    pNtCompareObjects = (void *)GetProcAddress( GetModuleHandleA( "ntdll.dll" ), "NtCompareObjects" );
    return TRUE;
}

static void ref_free( struct event_ref *ref )
{
    CloseHandle( ref->dup );
    HeapFree( GetProcessHeap(), 0, ref );
}

/* (engine.cs held) takes the cached duplicate of a handle, if there is one */
static struct event_ref *cache_take( HANDLE caller )
{
    struct echo_list *elem;

    for (elem = engine.events.prev; elem != &engine.events; elem = elem->prev)
    {
        struct event_ref *ref = REF_OF( elem );
        if (ref->caller != caller) continue;
        if (!ref->refs++) engine.event_count--;
        echo_list_remove( elem );
        echo_list_add_tail( &engine.events, elem );
        return ref;
    }
    return NULL;
}

/* (engine.cs held) a reference goes; returns an entry to close, if any */
static struct event_ref *ref_drop( struct event_ref *ref )
{
    struct echo_list *elem;

    if (--ref->refs) return NULL;
    if (!ref->cached) return ref;
    if (++engine.event_count <= EVENT_CACHE_MAX) return NULL;
    /* too many idle: the least recently used idle one goes */
    for (elem = engine.events.next; elem != &engine.events; elem = elem->next)
    {
        ref = REF_OF( elem );
        if (ref->refs) continue;
        echo_list_remove( elem );
        engine.event_count--;
        return ref;
    }
    return NULL;
}

/* The reference to the caller's event for a request, reset. */
DWORD event_acquire( HANDLE caller, struct event_ref **ret )
{
    static INIT_ONCE once = INIT_ONCE_STATIC_INIT;
    struct event_ref *ref = NULL, *stale = NULL;

    InitOnceExecuteOnce( &once, find_compare, NULL, NULL );
    if (pNtCompareObjects)
    {
        EnterCriticalSection( &engine.cs );
        ref = cache_take( caller );
        LeaveCriticalSection( &engine.cs );
        if (ref && pNtCompareObjects( caller, ref->dup ))
        {
            /* the handle names another object now: forget the old one */
            EnterCriticalSection( &engine.cs );
            echo_list_remove( &ref->entry );
            ref->cached = FALSE;
            stale = ref_drop( ref );
            LeaveCriticalSection( &engine.cs );
            if (stale) ref_free( stale );
            ref = NULL;
        }
    }
    if (!ref)
    {
        if (!(ref = HeapAlloc( GetProcessHeap(), 0, sizeof(*ref) ))) return ERROR_NOT_ENOUGH_MEMORY;
        if (!DuplicateHandle( GetCurrentProcess(), caller, GetCurrentProcess(), &ref->dup, 0, FALSE,
                              DUPLICATE_SAME_ACCESS ))
        {
            DWORD err = GetLastError();
            HeapFree( GetProcessHeap(), 0, ref );
            return err;
        }
        ref->caller = caller;
        ref->refs = 1;
        ref->cached = pNtCompareObjects != NULL;
        EnterCriticalSection( &engine.cs );
        if (ref->cached) echo_list_add_tail( &engine.events, &ref->entry );
        LeaveCriticalSection( &engine.cs );
    }
    if (!ResetEvent( ref->dup ))
    {
        DWORD err = GetLastError();   /* not an event */
        event_release( ref );
        return err;
    }
    *ret = ref;
    return 0;
}

void event_signal( struct event_ref *ref )
{
    SetEvent( ref->dup );
}

void event_release( struct event_ref *ref )
{
    struct event_ref *closing;

    EnterCriticalSection( &engine.cs );
    closing = ref_drop( ref );
    LeaveCriticalSection( &engine.cs );
    if (closing) ref_free( closing );
}
