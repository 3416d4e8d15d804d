/*
 * The events of Event requests. Windows resets a request's event when the
 * request starts and signals it when it completes, through the kernel's
 * own reference to the event, which ends with the request: a caller may
 * close its handle meanwhile, and a named event closed by its last user
 * is gone. We hold a duplicate of the caller's handle for the same reason.
 *
 * A handle that is not an event (a semaphore, a mutex, a file) fails as on
 * Windows, whose I/O manager refuses it (STATUS_OBJECT_TYPE_MISMATCH,
 * ERROR_INVALID_HANDLE), and nothing of it is kept.
 *
 * An unnamed event's duplicate is kept after its request (up to
 * EVENT_CACHE_MAX idle ones, the least recently used go first) and reused
 * when the caller passes the same handle again, once NtCompareObjects has
 * said it is still the same event (a closed handle's value is soon reused
 * for another object): a reused event costs that comparison instead of
 * duplicating and closing a handle. Keeping it is invisible: nobody else
 * can open an unnamed event. A named one's duplicate is closed with its
 * request, as Windows' reference ends (CreateEvent of the same name then
 * makes a new event, as it would on Windows).
 *
 * The cache is a hash table under a lock of its own, taken for a few
 * instructions (never across a wineserver call): a lookup does not scan.
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
#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(icmp);

#define EVENT_CACHE_MAX  64
#define EVENT_BUCKETS    256     /* a power of two */

struct event_ref
{
    struct echo_list hash_entry;    /* in its bucket, while cached */
    struct echo_list idle_entry;    /* in cache.idle, while cached and no request uses it */
    HANDLE caller;                  /* the caller's handle it was duplicated from */
    HANDLE dup;
    LONG refs;                      /* requests using it (cache.lock) */
    BOOL cached;                    /* findable by its caller handle (cache.lock) */
};

static struct
{
    SRWLOCK lock;
    struct echo_list buckets[EVENT_BUCKETS];
    struct echo_list idle;          /* least recently used first */
    unsigned int idle_count;
} cache;   /* (zeroed: SRWLOCK_INIT) */

static NTSTATUS (WINAPI *pNtCompareObjects)( HANDLE, HANDLE );

static BOOL CALLBACK cache_init( INIT_ONCE *once, void *param, void **context )
{
    unsigned int i;

    for (i = 0; i < EVENT_BUCKETS; i++) echo_list_init( &cache.buckets[i] );
    echo_list_init( &cache.idle );
    /* (Windows 10 and Wine; without it nothing is reused) */
    pNtCompareObjects = (void *)GetProcAddress( GetModuleHandleA( "ntdll.dll" ), "NtCompareObjects" );
    return TRUE;
}

static struct echo_list *bucket( HANDLE caller )
{
    ULONG_PTR v = (ULONG_PTR)caller >> 2;   /* (handle values are multiples of 4) */
    return &cache.buckets[(v ^ (v >> 8)) & (EVENT_BUCKETS - 1)];
}

static void ref_free( struct event_ref *ref )
{
    CloseHandle( ref->dup );
    HeapFree( GetProcessHeap(), 0, ref );
}

/* (cache.lock held) no longer findable */
static void uncache( struct event_ref *ref )
{
    if (!ref->cached) return;
    echo_list_remove( &ref->hash_entry );
    if (!ref->refs)
    {
        echo_list_remove( &ref->idle_entry );
        cache.idle_count--;
    }
    ref->cached = FALSE;
}

/* (cache.lock held) the cached duplicate of a handle, with a reference */
static struct event_ref *cache_take( HANDLE caller )
{
    struct echo_list *head = bucket( caller ), *elem;

    for (elem = head->next; elem != head; elem = elem->next)
    {
        struct event_ref *ref = ECHO_LIST_ENTRY( elem, struct event_ref, hash_entry );

        if (ref->caller != caller) continue;
        if (!ref->refs++)
        {
            echo_list_remove( &ref->idle_entry );
            cache.idle_count--;
        }
        return ref;
    }
    return NULL;
}

/* (cache.lock held) a reference goes; returns an entry to close, if any */
static struct event_ref *ref_drop( struct event_ref *ref )
{
    struct echo_list *elem;

    if (--ref->refs) return NULL;
    if (!ref->cached) return ref;
    echo_list_add_tail( &cache.idle, &ref->idle_entry );
    if (++cache.idle_count <= EVENT_CACHE_MAX) return NULL;
    /* too many idle: the least recently used one goes */
    elem = echo_list_head( &cache.idle );
    ref = ECHO_LIST_ENTRY( elem, struct event_ref, idle_entry );
    uncache( ref );
    return ref;
}

static void release( struct event_ref *ref )
{
    struct event_ref *closing;

    AcquireSRWLockExclusive( &cache.lock );
    closing = ref_drop( ref );
    ReleaseSRWLockExclusive( &cache.lock );
    if (closing) ref_free( closing );
}

/* Whether the object has a name (then its duplicate is not kept). */
static BOOL has_name( HANDLE handle )
{
    union { OBJECT_NAME_INFORMATION info; BYTE bytes[256]; } name;
    ULONG len = 0;
    NTSTATUS status = NtQueryObject( handle, ObjectNameInformation, &name, sizeof(name), &len );

    if (status) return status != STATUS_INVALID_HANDLE;   /* (a name too long for the buffer is a name) */
    return name.info.Name.Length != 0;
}

/* The reference to the caller's event for a request, reset. */
DWORD event_acquire( HANDLE caller, struct event_ref **ret )
{
    static INIT_ONCE once = INIT_ONCE_STATIC_INIT;
    struct event_ref *ref = NULL, *stale = NULL;

    InitOnceExecuteOnce( &once, cache_init, NULL, NULL );
    if (pNtCompareObjects)
    {
        AcquireSRWLockExclusive( &cache.lock );
        ref = cache_take( caller );
        ReleaseSRWLockExclusive( &cache.lock );
        if (ref && pNtCompareObjects( caller, ref->dup ))
        {
            /* the handle names another object now: forget the old one */
            AcquireSRWLockExclusive( &cache.lock );
            uncache( ref );
            stale = ref_drop( ref );
            ReleaseSRWLockExclusive( &cache.lock );
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
        ref->cached = FALSE;
        echo_list_init( &ref->hash_entry );
        echo_list_init( &ref->idle_entry );
        /* (reset first: a handle that is not an event is refused before anything is kept) */
        if (!ResetEvent( ref->dup ))
        {
            DWORD err = GetLastError();
            TRACE( "%p is not an event: %lu\n", caller, err );
            ref_free( ref );
            return err;
        }
        if (pNtCompareObjects && !has_name( ref->dup ))
        {
            AcquireSRWLockExclusive( &cache.lock );
            ref->cached = TRUE;
            echo_list_add_tail( bucket( caller ), &ref->hash_entry );
            ReleaseSRWLockExclusive( &cache.lock );
        }
        *ret = ref;
        return 0;
    }
    if (!ResetEvent( ref->dup ))   /* (an event we hold: cannot fail but for lack of resources) */
    {
        DWORD err = GetLastError();
        release( ref );
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
    release( ref );
}
