/*
 * What the ICMP conformance programs (icmp_test.c, icmp_lab.c) share: the
 * ICMP echo API's function types and pointers (loaded from the DLL under
 * test), address text, reply buffers pre-filled with FILL so that stray
 * writes show, and the checks of a successful reply and of a failure.
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
#ifndef ICMP_COMMON_H
#define ICMP_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <winternl.h>
#include <iphlpapi.h>
#include <icmpapi.h>

#include "wintest.h"
#include "target_dll.h"
#include "icmpv6_reply.h"

typedef HANDLE (WINAPI *fnIcmpCreateFile)(void);
typedef BOOL (WINAPI *fnIcmpCloseHandle)(HANDLE);
typedef DWORD (WINAPI *fnIcmpParseReplies)(void *, DWORD);
typedef DWORD (WINAPI *fnIcmpSendEcho)(HANDLE, IPAddr, void *, WORD, IP_OPTION_INFORMATION *, void *, DWORD, DWORD);
typedef DWORD (WINAPI *fnIcmpSendEcho2)(HANDLE, HANDLE, PIO_APC_ROUTINE, void *, IPAddr, void *, WORD,
                                        IP_OPTION_INFORMATION *, void *, DWORD, DWORD);
typedef DWORD (WINAPI *fnIcmpSendEcho2Ex)(HANDLE, HANDLE, PIO_APC_ROUTINE, void *, IPAddr, IPAddr, void *, WORD,
                                          IP_OPTION_INFORMATION *, void *, DWORD, DWORD);

static fnIcmpCreateFile pIcmpCreateFile;
static fnIcmpCloseHandle pIcmpCloseHandle;
static fnIcmpParseReplies pIcmpParseReplies;
static fnIcmpSendEcho pIcmpSendEcho;
static fnIcmpSendEcho2 pIcmpSendEcho2;
static fnIcmpSendEcho2Ex pIcmpSendEcho2Ex;

#define REPLY_SIZE ((DWORD)sizeof(ICMP_ECHO_REPLY))
#define FILL 0xcc

/* Milliseconds on the clock the DLL's deadlines run on (QueryPerformanceCounter).
 * Every duration these tests check is measured with it, never with
 * GetTickCount: Wine's tick count is a value wineserver publishes, and on a
 * loaded machine it lags the monotonic clock (Wine 8, two CPU-bound processes
 * on 2 cores: by up to 114 ms), so a 1000 ms timeout measured with it once
 * "took 969 ms". */
static WINETEST_UNUSED DWORD clock_ms( void )
{
    LARGE_INTEGER freq, now;

    QueryPerformanceFrequency( &freq );
    QueryPerformanceCounter( &now );
    return (DWORD)(now.QuadPart / freq.QuadPart * 1000 + now.QuadPart % freq.QuadPart * 1000 / freq.QuadPart);
}

static WINETEST_UNUSED IPAddr addr( const char *s )
{
    unsigned int b[4];
    sscanf( s, "%u.%u.%u.%u", &b[0], &b[1], &b[2], &b[3] );
    return htonl( b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3] );
}

#define LOCALHOST addr( "127.0.0.1" )

static WINETEST_UNUSED BYTE *alloc_reply( DWORD size )
{
    BYTE *buf = malloc( size + 64 );
    memset( buf, FILL, size + 64 );
    return buf;
}

/* index of the first byte from..to that is not FILL, or -1 */
static WINETEST_UNUSED int touched( const BYTE *buf, size_t from, size_t to )
{
    size_t i;
    for (i = from; i < to; i++) if (buf[i] != FILL) return (int)i;
    return -1;
}

/* a payload that differs with every seed */
static WINETEST_UNUSED void fill_payload( BYTE *data, size_t size, unsigned int seed )
{
    size_t i;
    for (i = 0; i < size; i++) data[i] = (BYTE)(seed * 131 + i * 7 + (seed >> 8));
}

/* Checks a successful echo reply of data[size] from `from` in buf, after an
 * asynchronous call (check_echo) or a synchronous one (check_sync_echo:
 * Wine's builtin leaves Reserved 0 there). */
#define check_echo(a,b,c,d) check_echo_(__LINE__, a, b, c, d, 0)
#define check_sync_echo(a,b,c,d) check_echo_(__LINE__, a, b, c, d, 1)
static WINETEST_UNUSED void check_echo_( int line, const BYTE *buf, IPAddr from, const BYTE *data, WORD size,
                                         int sync )
{
    const ICMP_ECHO_REPLY *r = (const ICMP_ECHO_REPLY *)buf;

    winetest_line = line;
    winetest_ok( r->Address == from, "Address %#lx, expected %#lx\n", r->Address, from );
    winetest_ok( r->Status == IP_SUCCESS, "Status %lu\n", r->Status );
    winetest_ok( r->RoundTripTime < 1000, "RoundTripTime %lu\n", r->RoundTripTime );
    winetest_ok( r->DataSize == size, "DataSize %u, expected %u\n", r->DataSize, size );
    todo_if( sync && target_is_builtin )
        winetest_ok( r->Reserved == 1, "Reserved (reply count) %u\n", r->Reserved );
    winetest_ok( r->Options.Ttl != 0, "reply Ttl 0\n" );
    winetest_ok( (BYTE *)r->Data == buf + REPLY_SIZE + ((r->Options.OptionsSize + 3) & ~3),
                 "Data %p, buffer %p, OptionsSize %u\n", r->Data, buf, r->Options.OptionsSize );
    if ((BYTE *)r->Data == buf + REPLY_SIZE + ((r->Options.OptionsSize + 3) & ~3))
        winetest_ok( !memcmp( r->Data, data, size ), "reply data differs\n" );
}

/* Checks a buffer holding a failure Status: zeroed but Status, nothing after. */
#define check_failure(a,b,c) check_failure_(__LINE__, a, b, c)
static WINETEST_UNUSED void check_failure_( int line, const BYTE *buf, DWORD status, DWORD buf_size )
{
    const ICMP_ECHO_REPLY *r = (const ICMP_ECHO_REPLY *)buf;
    ICMP_ECHO_REPLY zero;

    winetest_line = line;
    memset( &zero, 0, sizeof(zero) );
    zero.Status = status;
    winetest_ok( r->Status == status, "Status %lu, expected %lu\n", r->Status, status );
    winetest_ok( !memcmp( r, &zero, sizeof(zero) ),
                 "struct not zeroed: Address %#lx RTT %lu DataSize %u Reserved %u Data %p Ttl %u\n",
                 r->Address, r->RoundTripTime, r->DataSize, r->Reserved, r->Data, r->Options.Ttl );
    winetest_ok( touched( buf, REPLY_SIZE, buf_size ) == -1, "byte %d written after the struct\n",
                 touched( buf, REPLY_SIZE, buf_size ) );
}

static FARPROC icmp_proc( HMODULE first, HMODULE module, const char *name )
{
    FARPROC proc = first ? GetProcAddress( first, name ) : NULL;
    return proc ? proc : GetProcAddress( module, name );
}

/* ---- IPv6 ---- */

typedef HANDLE (WINAPI *fnIcmp6CreateFile)(void);
typedef DWORD (WINAPI *fnIcmp6ParseReplies)(void *, DWORD);
typedef DWORD (WINAPI *fnIcmp6SendEcho2)(HANDLE, HANDLE, PIO_APC_ROUTINE, void *, struct sockaddr_in6 *,
                                         struct sockaddr_in6 *, void *, WORD, IP_OPTION_INFORMATION *, void *,
                                         DWORD, DWORD);
static fnIcmp6CreateFile pIcmp6CreateFile;
static fnIcmp6ParseReplies pIcmp6ParseReplies;
static fnIcmp6SendEcho2 pIcmp6SendEcho2;

/* ICMPV6_ECHO_REPLY as the SDK lays it out (include/icmpv6_reply.h; the
 * SDK packs IPV6_ADDRESS_EX to 1 byte, mingw-w64's header does not) */
#define REPLY6_SIZE ((DWORD)sizeof(ICMPV6_ECHO_REPLY36))
#define reply6(b)        ((const ICMPV6_ECHO_REPLY36 *)(b))
#define reply6_status(b) (reply6(b)->Status)
#define reply6_rtt(b)    (reply6(b)->RoundTripTime)
#define reply6_scope(b)  (reply6(b)->Address.sin6_scope_id)
#define reply6_addr(b)   ((const BYTE *)reply6(b)->Address.sin6_addr)

static WINETEST_UNUSED struct sockaddr_in6 addr6( const char *s )
{
    struct sockaddr_in6 a;
    unsigned short w[8] = { 0 };
    const char *dbl = strstr( s, "::" );
    int i, n = 0, tail = 0;
    unsigned short t[8];

    /* a small parser for the literal forms the tests use (fd00:3::2, ::1, ::) */
    memset( &a, 0, sizeof(a) );
    a.sin6_family = AF_INET6;
    for (i = 0; s[i] && (!dbl || s + i < dbl); )
    {
        w[n++] = (unsigned short)strtoul( s + i, NULL, 16 );
        while (s[i] && s[i] != ':') i++;
        if (s[i] == ':') i++;
    }
    if (dbl)
    {
        const char *q = dbl + 2;
        while (*q)
        {
            t[tail++] = (unsigned short)strtoul( q, NULL, 16 );
            while (*q && *q != ':') q++;
            if (*q == ':') q++;
        }
        for (i = 0; i < tail; i++) w[8 - tail + i] = t[i];
    }
    for (i = 0; i < 8; i++)
    {
        a.sin6_addr.s6_addr[2 * i] = (BYTE)(w[i] >> 8);
        a.sin6_addr.s6_addr[2 * i + 1] = (BYTE)w[i];
    }
    return a;
}

/* Checks a successful ICMPv6 echo reply of data[size] from `from` */
#define check_echo6(a,b,c,d) check_echo6_(__LINE__, a, b, c, d)
static WINETEST_UNUSED void check_echo6_( int line, const BYTE *buf, const struct sockaddr_in6 *from,
                                          const BYTE *data, WORD size )
{
    winetest_line = line;
    winetest_ok( reply6_status( buf ) == IP_SUCCESS, "Status %lu\n", reply6_status( buf ) );
    winetest_ok( !memcmp( reply6_addr( buf ), &from->sin6_addr, 16 ), "Address differs\n" );
    winetest_ok( !reply6( buf )->Address.sin6_port && !reply6( buf )->Address.sin6_flowinfo,
                 "port/flowinfo not zero\n" );
    winetest_ok( reply6_rtt( buf ) < 1000, "RoundTripTime %lu\n", reply6_rtt( buf ) );
    winetest_ok( !memcmp( buf + REPLY6_SIZE, data, size ), "reply data differs\n" );
}

/* Checks an ICMPv6 failure: the 36 bytes zeroed but Status, nothing after */
#define check_failure6(a,b,c) check_failure6_(__LINE__, a, b, c)
static WINETEST_UNUSED void check_failure6_( int line, const BYTE *buf, DWORD status, DWORD buf_size )
{
    ICMPV6_ECHO_REPLY36 zero;
    memset( &zero, 0, sizeof(zero) );
    zero.Status = status;
    winetest_line = line;
    winetest_ok( reply6_status( buf ) == status, "Status %lu, expected %lu\n", reply6_status( buf ), status );
    winetest_ok( !memcmp( buf, &zero, REPLY6_SIZE ), "struct not zeroed but Status\n" );
    winetest_ok( touched( buf, REPLY6_SIZE, buf_size ) == -1, "byte %d written after the struct\n",
                 touched( buf, REPLY6_SIZE, buf_size ) );
}

/* Loads the six IPv4 entry points from first (if it has them) or module;
 * returns 0 if any is missing. */
static WINETEST_UNUSED int load_icmp_exports( HMODULE first, HMODULE module )
{
#define LOAD(name) (p##name = (fn##name)icmp_proc( first, module, #name ))
    LOAD(Icmp6CreateFile);   /* optional: checked by the IPv6 tests */
    LOAD(Icmp6ParseReplies);
    LOAD(Icmp6SendEcho2);
    return LOAD(IcmpCreateFile) && LOAD(IcmpCloseHandle) && LOAD(IcmpParseReplies) && LOAD(IcmpSendEcho) &&
           LOAD(IcmpSendEcho2) && LOAD(IcmpSendEcho2Ex);
#undef LOAD
}

#include "icmp_results.h"

/* --elevated: whether this process may test a DLL that opens raw ICMP
 * sockets (exit 0 if so). On Windows that takes an elevated token; under
 * Wine it takes a wineserver that may open them (root, or CAP_NET_RAW),
 * whatever the token says: Wine 8 gives every process an elevated token,
 * Wine 9 and later a limited one unless the program asks for more. So the
 * answer is a raw socket, opened and closed; the token is printed too. */
static WINETEST_UNUSED int process_elevated( void )
{
    TOKEN_ELEVATION elevation = { 0 };
    HANDLE token;
    SOCKET s;
    WSADATA wsa;
    DWORD size;
    BOOL ret = FALSE;

    if (OpenProcessToken( GetCurrentProcess(), TOKEN_QUERY, &token ))
    {
        ret = GetTokenInformation( token, TokenElevation, &elevation, sizeof(elevation), &size );
        CloseHandle( token );
    }
    WSAStartup( MAKEWORD(2, 2), &wsa );
    if ((s = socket( AF_INET, SOCK_RAW, IPPROTO_ICMP )) != INVALID_SOCKET) closesocket( s );
    printf( "elevated: %s (token %s, raw ICMP socket %s)\n", s != INVALID_SOCKET ? "yes" : "no",
            ret && elevation.TokenIsElevated ? "elevated" : "not elevated", s != INVALID_SOCKET ? "opened" : "refused" );
    return s != INVALID_SOCKET;
}

/* The command line both conformance programs take:
 *   [--dll PATH|system] [--results FILE] [--timeout SECONDS] [--elevated] [--list] [own options] [test]
 * `option` parses the program's own options (returns how many arguments
 * from argv[i] it used, 0 when argv[i] is not one of them); `first_module`,
 * if given, is called with the loaded target and sets the module whose
 * exports are used first (returns 0 on failure). Then runs the tests. */
static WINETEST_UNUSED int icmp_test_main( int argc, char **argv, const struct winetest_entry *tests, int count,
                                           int (*option)( int argc, char **argv, int i ),
                                           int (*first_module)( HMODULE target, HMODULE *first ) )
{
    const char *dll = "system", *only = NULL, *results = NULL;
    int timeout = 0;
    struct target_dll t;
    HMODULE first = NULL;
    int i, used;

    for (i = 1; i < argc; i++)
    {
        if (!strcmp( argv[i], "--dll" ) && i + 1 < argc) dll = argv[++i];
        else if (!strcmp( argv[i], "--results" ) && i + 1 < argc) results = argv[++i];
        else if (!strcmp( argv[i], "--elevated" )) return process_elevated() ? 0 : 1;
        else if (!strcmp( argv[i], "--timeout" ) && i + 1 < argc) timeout = atoi( argv[++i] );
        else if (!strcmp( argv[i], "--list" ))
        {
            for (i = 0; i < count; i++) printf( "%s\n", tests[i].name );
            return 0;
        }
        else if (option && (used = option( argc, argv, i ))) i += used - 1;
        else only = argv[i];
    }
    if (!target_load( dll, &t )) return 2;
    target_describe( &t, stdout );
    if (first_module && !first_module( t.module, &first )) return 2;
    if (!load_icmp_exports( first, t.module ))
    {
        printf( "%s lacks ICMP echo exports\n", t.path );
        return 2;
    }
    if (results && !results_start( results, &t, argv[0] )) return 2;
    winetest_start_watchdog( timeout );
    return winetest_main( argc, argv, tests, count, only );
}

#endif /* ICMP_COMMON_H */
