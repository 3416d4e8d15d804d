/*
 * Wine debug channels for PE builds that cannot link Wine's libwinecrt0.a.
 *
 * The 64-bit DLL links winecrt0 from libwine-dev. Debian's i386 winecrt0
 * comes only with libwine-dev:i386, which often cannot be installed beside
 * the amd64 one, so the 32-bit DLL links this file instead: under Wine it
 * hands everything to ntdll's debug functions (same output, same WINEDEBUG);
 * elsewhere (Windows) it reads WINEDEBUG itself and writes to stderr.
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
#include <stdio.h>
#include <string.h>

#include "windef.h"
#include "winbase.h"
#include "wine/debug.h"

static unsigned char (__cdecl *p_get_channel_flags)( struct __wine_debug_channel * );
static const char * (__cdecl *p_strdup)( const char * );
static int (__cdecl *p_output)( const char * );
static int (__cdecl *p_header)( enum __wine_debug_class, struct __wine_debug_channel *, const char * );
static LONG resolved;

/* fallback state, used when ntdll has no debug functions */
static char options[256];
static unsigned char default_flags = (1 << __WINE_DBCL_ERR) | (1 << __WINE_DBCL_FIXME);

static void resolve( void )
{
    HMODULE ntdll = GetModuleHandleA( "ntdll.dll" );
    DWORD len;

    if (ntdll)
    {
        p_get_channel_flags = (void *)GetProcAddress( ntdll, "__wine_dbg_get_channel_flags" );
        p_strdup = (void *)GetProcAddress( ntdll, "__wine_dbg_strdup" );
        p_output = (void *)GetProcAddress( ntdll, "__wine_dbg_output" );
        p_header = (void *)GetProcAddress( ntdll, "__wine_dbg_header" );
    }
    if (!p_get_channel_flags || !p_strdup || !p_output || !p_header)
    {
        p_get_channel_flags = NULL;
        len = GetEnvironmentVariableA( "WINEDEBUG", options, sizeof(options) );
        if (len >= sizeof(options)) options[0] = 0;
    }
    InterlockedExchange( &resolved, 1 );
}

/* WINEDEBUG items: [class]+channel, [class]-channel, +all, -all */
static unsigned char parse_flags( const char *name )
{
    unsigned char flags = default_flags;
    const char *p = options;

    while (*p)
    {
        const char *end = strchr( p, ',' ), *op = p;
        size_t len = end ? (size_t)(end - p) : strlen( p );
        unsigned char mask = 0xf;
        char item[64];

        if (len < sizeof(item))
        {
            memcpy( item, p, len );
            item[len] = 0;
            while (*op && *op != '+' && *op != '-' && op < p + len) op++;
            if (op > p)
            {
                if (!strncmp( p, "trace", op - p )) mask = 1 << __WINE_DBCL_TRACE;
                else if (!strncmp( p, "warn", op - p )) mask = 1 << __WINE_DBCL_WARN;
                else if (!strncmp( p, "err", op - p )) mask = 1 << __WINE_DBCL_ERR;
                else if (!strncmp( p, "fixme", op - p )) mask = 1 << __WINE_DBCL_FIXME;
            }
            if (op < p + len && (!strcmp( item + (op - p) + 1, name ) || !strcmp( item + (op - p) + 1, "all" )))
            {
                if (*op == '+') flags |= mask;
                else flags &= ~mask;
            }
        }
        if (!end) break;
        p = end + 1;
    }
    return flags;
}

unsigned char __cdecl __wine_dbg_get_channel_flags( struct __wine_debug_channel *channel )
{
    if (!resolved) resolve();
    if (p_get_channel_flags) return p_get_channel_flags( channel );
    return parse_flags( channel->name );
}

const char * __cdecl __wine_dbg_strdup( const char *str )
{
    static char ring[4096];
    static LONG pos;
    size_t len = strlen( str ) + 1, start;

    if (!resolved) resolve();
    if (p_get_channel_flags) return p_strdup( str );
    if (len > sizeof(ring) / 4) len = sizeof(ring) / 4;
    /* (unsigned: the position wraps past 2 GiB of output and must not go negative) */
    start = (ULONG)InterlockedExchangeAdd( &pos, (LONG)len ) % (sizeof(ring) - len);
    memcpy( ring + start, str, len - 1 );
    ring[start + len - 1] = 0;
    return ring + start;
}

int __cdecl __wine_dbg_output( const char *str )
{
    DWORD written;

    if (!resolved) resolve();
    if (p_get_channel_flags) return p_output( str );
    WriteFile( GetStdHandle( STD_ERROR_HANDLE ), str, (DWORD)strlen( str ), &written, NULL );
    return (int)written;
}

int __cdecl __wine_dbg_header( enum __wine_debug_class cls, struct __wine_debug_channel *channel,
                               const char *function )
{
    static const char * const classes[] = { "fixme", "err", "warn", "trace" };
    char buffer[128];

    if (!resolved) resolve();
    if (p_get_channel_flags) return p_header( cls, channel, function );
    if ((unsigned int)cls >= ARRAY_SIZE(classes)) return -1;
    snprintf( buffer, sizeof(buffer), "%04lx:%s:%s:%s ", GetCurrentThreadId(), classes[cls],
              channel->name, function ? function : "" );
    return __wine_dbg_output( buffer );
}
