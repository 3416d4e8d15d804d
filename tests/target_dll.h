/*
 * Loading the ICMP implementation under test, and proving which one it is.
 *
 * "system" loads iphlpapi.dll by name (Wine's builtin under Wine, the native
 * one on Windows). A path loads that file; under Wine this needs
 * WINEDLLOVERRIDES=iphlpapi=n, or Wine silently maps its builtin instead, so
 * the mapped image's PE headers are compared with the file's and a mismatch
 * is an error.
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
#ifndef TARGET_DLL_H
#define TARGET_DLL_H

#include <stdio.h>
#include <string.h>
#include <windows.h>

/* Whether the implementation under test is Wine's builtin iphlpapi.dll: its
 * known failures are marked todo_builtin (flaky_builtin when they come and
 * go), the way Wine's tests mark Wine's own with todo_wine. */
static int target_is_builtin;
#define todo_builtin  todo_if( target_is_builtin )
#define flaky_builtin flaky_if( target_is_builtin )

struct target_dll
{
    HMODULE module;
    char path[MAX_PATH];      /* where the mapped image came from */
    int wine_builtin;         /* the mapped image carries Wine's builtin signature */
    int is_system;
};

static const IMAGE_NT_HEADERS *target_nt_headers( const BYTE *base, size_t size )
{
    const IMAGE_DOS_HEADER *dos = (const IMAGE_DOS_HEADER *)base;
    if (size < sizeof(*dos) || dos->e_magic != IMAGE_DOS_SIGNATURE) return NULL;
    if ((size_t)dos->e_lfanew + sizeof(IMAGE_NT_HEADERS) > size) return NULL;
    return (const IMAGE_NT_HEADERS *)(base + dos->e_lfanew);
}

/* Whether the module mapped at base was loaded from file: same file header,
 * entry point, image size and export directory. */
static int target_matches_file( HMODULE module, const char *file, char *why, size_t why_len )
{
    BYTE header[4096];
    DWORD got = 0;
    HANDLE h = CreateFileA( file, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL );
    const IMAGE_NT_HEADERS *disk, *mem;

    if (h == INVALID_HANDLE_VALUE)
    {
        snprintf( why, why_len, "cannot open %s (error %lu)", file, GetLastError() );
        return 0;
    }
    ReadFile( h, header, sizeof(header), &got, NULL );
    CloseHandle( h );
    if (!(disk = target_nt_headers( header, got )) ||
        !(mem = target_nt_headers( (const BYTE *)module, 4096 )))
    {
        snprintf( why, why_len, "no PE header" );
        return 0;
    }
    if (memcmp( &disk->FileHeader, &mem->FileHeader, sizeof(disk->FileHeader) ) ||
        disk->OptionalHeader.AddressOfEntryPoint != mem->OptionalHeader.AddressOfEntryPoint ||
        disk->OptionalHeader.SizeOfImage != mem->OptionalHeader.SizeOfImage ||
        memcmp( &disk->OptionalHeader.DataDirectory[IMAGE_DIRECTORY_ENTRY_EXPORT],
                &mem->OptionalHeader.DataDirectory[IMAGE_DIRECTORY_ENTRY_EXPORT], sizeof(IMAGE_DATA_DIRECTORY) ))
    {
        snprintf( why, why_len, "the mapped image's PE header differs from %s's "
                  "(under Wine, set WINEDLLOVERRIDES=iphlpapi=n)", file );
        return 0;
    }
    return 1;
}

/* Loads "system" or a DLL file; on failure prints why and returns 0. */
static int target_load( const char *spec, struct target_dll *t )
{
    char full[MAX_PATH], why[512];

    memset( t, 0, sizeof(*t) );
    if (!strcmp( spec, "system" ))
    {
        t->is_system = 1;
        t->module = LoadLibraryA( "iphlpapi.dll" );
    }
    else
    {
        if (!GetFullPathNameA( spec, sizeof(full), full, NULL )) strcpy( full, spec );
        t->module = LoadLibraryA( full );
    }
    if (!t->module)
    {
        fprintf( stderr, "cannot load %s: error %lu\n", spec, GetLastError() );
        return 0;
    }
    GetModuleFileNameA( t->module, t->path, sizeof(t->path) );
    t->wine_builtin = !memcmp( (const BYTE *)t->module + 0x40, "Wine builtin DLL", 16 );
    target_is_builtin = t->wine_builtin;
    if (!t->is_system && !target_matches_file( t->module, full, why, sizeof(why) ))
    {
        fprintf( stderr, "%s was not the DLL mapped: %s\n", full, why );
        return 0;
    }
    return 1;
}

static void target_describe( const struct target_dll *t, FILE *out )
{
    fprintf( out, "target: %s, mapped from %s%s%s\n", t->is_system ? "system iphlpapi" : "DLL file",
             t->path, t->wine_builtin ? " (Wine builtin)" : "",
             t->is_system ? "" : " (PE header matches the file)" );
}

#endif /* TARGET_DLL_H */
