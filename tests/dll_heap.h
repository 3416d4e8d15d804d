/*
 * The heap blocks one DLL holds, counted at its own imports: its import
 * table's HeapAlloc / HeapFree / HeapReAlloc (kernel32) are pointed at
 * counting wrappers. A leak check on them sees exactly what that DLL
 * allocated and did not free, whatever the heap does with the memory:
 * Wine 10's heap keeps groups of blocks (its low-fragmentation heap) and
 * Winsock's data of terminated threads, so its busy bytes and the
 * process's committed memory move with the load's timing, not with leaks.
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
#ifndef DLL_HEAP_H
#define DLL_HEAP_H

#include <windows.h>
#include <string.h>

/* blocks and bytes the DLL holds, counted from when the hooks went in */
static volatile LONG dll_heap_blocks;
static volatile LONG64 dll_heap_bytes;
static void *(WINAPI *real_heap_alloc)( HANDLE, DWORD, SIZE_T );
static BOOL (WINAPI *real_heap_free)( HANDLE, DWORD, void * );
static void *(WINAPI *real_heap_realloc)( HANDLE, DWORD, void *, SIZE_T );

static void * WINAPI counted_heap_alloc( HANDLE heap, DWORD flags, SIZE_T size )
{
    void *p = real_heap_alloc( heap, flags, size );

    if (p)
    {
        InterlockedIncrement( &dll_heap_blocks );
        InterlockedAdd64( &dll_heap_bytes, (LONG64)HeapSize( heap, 0, p ) );
    }
    return p;
}

static BOOL WINAPI counted_heap_free( HANDLE heap, DWORD flags, void *p )
{
    SIZE_T size = p ? HeapSize( heap, 0, p ) : 0;
    BOOL ret = real_heap_free( heap, flags, p );

    if (ret && p)
    {
        InterlockedDecrement( &dll_heap_blocks );
        InterlockedAdd64( &dll_heap_bytes, -(LONG64)size );
    }
    return ret;
}

static void * WINAPI counted_heap_realloc( HANDLE heap, DWORD flags, void *p, SIZE_T size )
{
    SIZE_T old = p ? HeapSize( heap, 0, p ) : 0;
    void *ret = real_heap_realloc( heap, flags, p, size );

    if (ret) InterlockedAdd64( &dll_heap_bytes, (LONG64)HeapSize( heap, 0, ret ) - (LONG64)old );
    return ret;
}

static BOOL hook_slot( ULONG_PTR *slot, void *hook, void **real )
{
    DWORD old;

    if (!VirtualProtect( slot, sizeof(*slot), PAGE_READWRITE, &old )) return FALSE;
    *real = (void *)*slot;
    *slot = (ULONG_PTR)hook;
    VirtualProtect( slot, sizeof(*slot), old, &old );
    return TRUE;
}

/* points module's kernel32 heap imports at the counters; FALSE when it
 * imports them from elsewhere (then its blocks are not counted) */
static __attribute__((unused)) BOOL dll_heap_hook( HMODULE module )
{
    BYTE *base = (BYTE *)module;
    IMAGE_NT_HEADERS *nt = (IMAGE_NT_HEADERS *)(base + ((IMAGE_DOS_HEADER *)base)->e_lfanew);
    IMAGE_DATA_DIRECTORY *dir = &nt->OptionalHeader.DataDirectory[IMAGE_DIRECTORY_ENTRY_IMPORT];
    IMAGE_IMPORT_DESCRIPTOR *imp;

    if (!dir->VirtualAddress) return FALSE;
    for (imp = (IMAGE_IMPORT_DESCRIPTOR *)(base + dir->VirtualAddress); imp->Name; imp++)
    {
        IMAGE_THUNK_DATA *names, *slots;

        if (_stricmp( (const char *)(base + imp->Name), "kernel32.dll" ) || !imp->OriginalFirstThunk) continue;
        names = (IMAGE_THUNK_DATA *)(base + imp->OriginalFirstThunk);
        slots = (IMAGE_THUNK_DATA *)(base + imp->FirstThunk);
        for (; names->u1.AddressOfData; names++, slots++)
        {
            const char *name;

            if (IMAGE_SNAP_BY_ORDINAL( names->u1.Ordinal )) continue;
            name = (const char *)((IMAGE_IMPORT_BY_NAME *)(base + names->u1.AddressOfData))->Name;
            if (!strcmp( name, "HeapAlloc" ))
                hook_slot( (ULONG_PTR *)&slots->u1.Function, counted_heap_alloc, (void **)&real_heap_alloc );
            else if (!strcmp( name, "HeapFree" ))
                hook_slot( (ULONG_PTR *)&slots->u1.Function, counted_heap_free, (void **)&real_heap_free );
            else if (!strcmp( name, "HeapReAlloc" ))
                hook_slot( (ULONG_PTR *)&slots->u1.Function, counted_heap_realloc, (void **)&real_heap_realloc );
        }
    }
    /* (a DLL may lack HeapReAlloc; without HeapAlloc and HeapFree nothing is counted) */
    return real_heap_alloc && real_heap_free;
}

#endif /* DLL_HEAP_H */
