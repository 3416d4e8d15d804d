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

/* Loads the six IPv4 entry points from first (if it has them) or module;
 * returns 0 if any is missing. */
static WINETEST_UNUSED int load_icmp_exports( HMODULE first, HMODULE module )
{
#define LOAD(name) (p##name = (fn##name)icmp_proc( first, module, #name ))
    return LOAD(IcmpCreateFile) && LOAD(IcmpCloseHandle) && LOAD(IcmpParseReplies) && LOAD(IcmpSendEcho) &&
           LOAD(IcmpSendEcho2) && LOAD(IcmpSendEcho2Ex);
#undef LOAD
}

#endif /* ICMP_COMMON_H */
