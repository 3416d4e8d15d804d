/*
 * What the ICMP conformance programs (icmp_test.c, icmp_lab.c) share: the
 * ICMP echo API's function types and pointers (loaded from the DLL under
 * test), address text, reply buffers pre-filled with FILL so that stray
 * writes show, and the checks of a successful reply and of a failure.
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

static WINETEST_UNUSED void fill_payload( BYTE *data, size_t size, BYTE seed )
{
    size_t i;
    for (i = 0; i < size; i++) data[i] = (BYTE)(seed + i * 7);
}

/* Checks a successful echo reply of data[size] from `from` in buf. */
#define check_echo(a,b,c,d) check_echo_(__LINE__, a, b, c, d)
static WINETEST_UNUSED void check_echo_( int line, const BYTE *buf, IPAddr from, const BYTE *data, WORD size )
{
    const ICMP_ECHO_REPLY *r = (const ICMP_ECHO_REPLY *)buf;

    winetest_line = line;
    winetest_ok( r->Address == from, "Address %#lx, expected %#lx\n", r->Address, from );
    winetest_ok( r->Status == IP_SUCCESS, "Status %lu\n", r->Status );
    winetest_ok( r->RoundTripTime < 1000, "RoundTripTime %lu\n", r->RoundTripTime );
    winetest_ok( r->DataSize == size, "DataSize %u, expected %u\n", r->DataSize, size );
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

/* ICMPV6_ECHO_REPLY by byte offset: the SDK packs IPV6_ADDRESS_EX to 1 byte
 * (mingw-w64's header does not): port 0, flowinfo 2, address 6, scope 22,
 * Status 28, RoundTripTime 32, data from 36 */
#define REPLY6_SIZE 36
static WINETEST_UNUSED DWORD reply6_dword( const BYTE *buf, int offset )
{
    DWORD v;
    memcpy( &v, buf + offset, sizeof(v) );
    return v;
}
#define reply6_status(b) reply6_dword( (b), 28 )
#define reply6_rtt(b)    reply6_dword( (b), 32 )
#define reply6_scope(b)  reply6_dword( (b), 22 )
#define reply6_addr(b)   ((const BYTE *)(b) + 6)

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
    winetest_ok( !buf[0] && !buf[1] && !reply6_dword( buf, 2 ), "port/flowinfo not zero\n" );
    winetest_ok( reply6_rtt( buf ) < 1000, "RoundTripTime %lu\n", reply6_rtt( buf ) );
    winetest_ok( !memcmp( buf + REPLY6_SIZE, data, size ), "reply data differs\n" );
}

/* Checks an ICMPv6 failure: the 36 bytes zeroed but Status, nothing after */
#define check_failure6(a,b,c) check_failure6_(__LINE__, a, b, c)
static WINETEST_UNUSED void check_failure6_( int line, const BYTE *buf, DWORD status, DWORD buf_size )
{
    BYTE zero[REPLY6_SIZE];
    memset( zero, 0, sizeof(zero) );
    memcpy( zero + 28, &status, 4 );
    winetest_line = line;
    winetest_ok( reply6_status( buf ) == status, "Status %lu, expected %lu\n", reply6_status( buf ), status );
    winetest_ok( !memcmp( buf, zero, REPLY6_SIZE ), "struct not zeroed but Status\n" );
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

#endif /* ICMP_COMMON_H */
