/*
 * icmp-echo-helper.exe: the two jobs an installer needs done from inside a
 * Wine prefix, where a shell cannot reach (Bottles and Lutris run Windows
 * programs in a prefix, not scripts), and one question only a program in
 * the prefix can answer (`setup_icmp.sh doctor`).
 *
 *   icmp-echo-helper keep-original
 *       Our iphlpapi.dll forwards every export that is not ICMP echo to
 *       iphlpapi_orig.dll beside it: a copy of Wine's own iphlpapi.dll.
 *       This copies GetSystemDirectory()\iphlpapi.dll to iphlpapi_orig.dll
 *       when that file is Wine's (it carries Wine's builtin signature), so
 *       the x64 build does system32 and the x32 build, run in a 64-bit
 *       prefix, syswow64 (Windows' file system redirection). Run it before
 *       our iphlpapi.dll is copied in. Run again later it keeps the copy
 *       already there when iphlpapi.dll is ours by then; it refuses, and
 *       changes nothing, when iphlpapi.dll is neither Wine's nor ours.
 *
 *   icmp-echo-helper sockets
 *       Whether this prefix's wineserver opens an ICMP socket and an ICMPv6
 *       socket for a program (as a raw socket with CAP_NET_RAW, else as a
 *       Linux ping socket: Windows programs cannot tell which). One line
 *       each, "icmp: ok" or "icmp: error N" (a Winsock error: 10013 not
 *       permitted, 10043 or 10044 the protocol unknown to this wineserver).
 *
 * Exit status 0 on success, 1 on failure, 2 on bad usage.
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
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <stdio.h>
#include <string.h>

#ifndef IPPROTO_ICMPV6
#define IPPROTO_ICMPV6 58
#endif

/* what a file is, from its first bytes and, for ours, the marker string */
enum kind { KIND_MISSING, KIND_WINE, KIND_OURS, KIND_OTHER };

static enum kind file_kind( const char *path )
{
    static const char builtin[] = "Wine builtin DLL";
    static const char marker[] = "icmp-echo iphlpapi.dll version ";
    static char buf[1 << 20];
    enum kind kind = KIND_OTHER;
    DWORD got = 0, i;
    HANDLE file = CreateFileA( path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_DELETE, NULL,
                               OPEN_EXISTING, 0, NULL );

    if (file == INVALID_HANDLE_VALUE) return KIND_MISSING;
    if (ReadFile( file, buf, sizeof(buf), &got, NULL ))
    {
        if (got >= 0x40 + sizeof(builtin) - 1 && !memcmp( buf + 0x40, builtin, sizeof(builtin) - 1 ))
            kind = KIND_WINE;
        else
            for (i = 0; i + sizeof(marker) - 1 <= got; i++)
                if (!memcmp( buf + i, marker, sizeof(marker) - 1 )) { kind = KIND_OURS; break; }
    }
    CloseHandle( file );
    return kind;
}

/* whether this is a 32-bit program in a 64-bit prefix, whose system32 is syswow64 */
static int wow64( void )
{
    BOOL wow = FALSE;
    return IsWow64Process( GetCurrentProcess(), &wow ) && wow;
}

static int keep_original( void )
{
    char dir[MAX_PATH], dll[MAX_PATH + 16], orig[MAX_PATH + 16];
    UINT len = GetSystemDirectoryA( dir, MAX_PATH );

    if (!len || len >= MAX_PATH)
    {
        fprintf( stderr, "icmp-echo-helper: no system directory (error %lu)\n", GetLastError() );
        return 1;
    }
    snprintf( dll, sizeof(dll), "%s\\iphlpapi.dll", dir );
    snprintf( orig, sizeof(orig), "%s\\iphlpapi_orig.dll", dir );
    switch (file_kind( dll ))
    {
    case KIND_WINE:
        if (!CopyFileA( dll, orig, FALSE ))
        {
            fprintf( stderr, "icmp-echo-helper: cannot copy %s to %s (error %lu)\n", dll, orig, GetLastError() );
            return 1;
        }
        printf( "icmp-echo-helper: Wine's %s kept as %s%s\n", dll, orig, wow64() ? " (syswow64: a 32-bit program)" : "" );
        return 0;
    case KIND_OURS:
        if (file_kind( orig ) == KIND_WINE)
        {
            printf( "icmp-echo-helper: %s is ours already; Wine's original stays in %s\n", dll, orig );
            return 0;
        }
        fprintf( stderr, "icmp-echo-helper: %s is ours and there is no Wine original beside it (%s):"
                 " the prefix needs Wine's iphlpapi.dll back (wineboot -u does not replace ours;"
                 " setup_icmp.sh install does it)\n", dll, orig );
        return 1;
    case KIND_MISSING:
        fprintf( stderr, "icmp-echo-helper: %s does not exist: not a Wine prefix?\n", dll );
        return 1;
    default:
        fprintf( stderr, "icmp-echo-helper: %s is neither Wine's own nor ours: left alone\n", dll );
        return 1;
    }
}

static int try_socket( const char *name, int family, int protocol )
{
    SOCKET s = socket( family, SOCK_RAW, protocol );

    if (s == INVALID_SOCKET)
    {
        printf( "%s: error %d\n", name, WSAGetLastError() );
        return 1;
    }
    closesocket( s );
    printf( "%s: ok\n", name );
    return 0;
}

static int sockets( void )
{
    WSADATA data;
    int failed;

    if (WSAStartup( MAKEWORD(2, 2), &data ))
    {
        fprintf( stderr, "icmp-echo-helper: WSAStartup failed\n" );
        return 1;
    }
    failed = try_socket( "icmp", AF_INET, IPPROTO_ICMP );
    failed |= try_socket( "icmpv6", AF_INET6, IPPROTO_ICMPV6 );
    WSACleanup();
    return failed;
}

int main( int argc, char **argv )
{
    if (argc == 2 && !strcmp( argv[1], "keep-original" )) return keep_original();
    if (argc == 2 && !strcmp( argv[1], "sockets" )) return sockets();
    fprintf( stderr, "usage: icmp-echo-helper keep-original | sockets\n" );
    return 2;
}
