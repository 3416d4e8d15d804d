/*
 * How real programs call the ICMP echo API (BEHAVIOR.md's callers), written
 * once and run by both conformance programs with their own destinations:
 * icmp_test.c on loopback, icmp_lab.c in the routed lab. Each case says what
 * the caller must see: the Status and the Address it came from (0 for a
 * timeout).
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
#ifndef ICMP_CALLERS_H
#define ICMP_CALLERS_H

#include "icmp_common.h"

struct caller_case
{
    const char *name;
    IPAddr dst;
    UCHAR ttl;
    DWORD timeout;
    DWORD status;               /* what the caller must read */
    IPAddr from;                /* the answer's sender; 0 when Status is IP_REQ_TIMED_OUT */
};

/* Checks what a caller read in buf for one case (data[size] was sent). */
#define check_caller_result(a,b,c,d) check_caller_result_(__LINE__, a, b, c, d)
static WINETEST_UNUSED void check_caller_result_( int line, const struct caller_case *c, const BYTE *buf,
                                                  const BYTE *data, WORD size )
{
    const ICMP_ECHO_REPLY *r = (const ICMP_ECHO_REPLY *)buf;
    WORD expect_size = c->status == IP_SUCCESS ? size : 0;

    winetest_line = line;
    winetest_ok( r->Status == c->status, "%s: Status %lu, expected %lu\n", c->name, r->Status, c->status );
    winetest_ok( r->Address == c->from, "%s: Address %#lx, expected %#lx\n", c->name, r->Address, c->from );
    winetest_ok( r->DataSize == expect_size, "%s: DataSize %u, expected %u\n", c->name, r->DataSize, expect_size );
    if (c->status == IP_SUCCESS && r->DataSize == size)
        winetest_ok( !memcmp( r->Data, data, size ), "%s: reply data differs\n", c->name );
    if (c->status != IP_REQ_TIMED_OUT) winetest_ok( r->Options.Ttl != 0, "%s: reply Ttl 0\n", c->name );
}

/* ---- .NET Ping: IcmpSendEcho2 with a manual-reset event waited through
 * RegisterWaitForSingleObject, TTL from the caller and DF, a 0xFFFF + 256
 * byte buffer, the struct and Data read directly (never IcmpParseReplies) */

struct dotnet_wait
{
    HANDLE done;
    LONG fired;
};

static void CALLBACK dotnet_callback( void *context, BOOLEAN timed_out )
{
    struct dotnet_wait *w = context;
    if (!timed_out) InterlockedIncrement( &w->fired );
    SetEvent( w->done );
}

/* one Ping.Send(): pending, the wait callback fires once, then the result */
static WINETEST_UNUSED void caller_dotnet( HANDLE h, const struct caller_case *c, BYTE *buf, DWORD size )
{
    IP_OPTION_INFORMATION opts;
    struct dotnet_wait w;
    BYTE data[32];
    HANDLE event = CreateEventA( NULL, TRUE, FALSE, NULL ), wait;
    DWORD ret;

    fill_payload( data, sizeof(data), 16 );
    w.done = CreateEventA( NULL, TRUE, FALSE, NULL );
    w.fired = 0;
    ok( RegisterWaitForSingleObject( &wait, event, dotnet_callback, &w, INFINITE, WT_EXECUTEONLYONCE ),
        "%s: RegisterWaitForSingleObject failed\n", c->name );
    memset( &opts, 0, sizeof(opts) );
    opts.Ttl = c->ttl;
    opts.Flags = IP_FLAG_DF;
    memset( buf, 0, size );
    SetLastError( 0xdeadbeef );
    ret = pIcmpSendEcho2( h, event, NULL, NULL, c->dst, data, sizeof(data), &opts, buf, size, c->timeout );
    ok( !ret && GetLastError() == ERROR_IO_PENDING, "%s: returned %lu, error %lu\n", c->name, ret, GetLastError() );
    ok( WaitForSingleObject( w.done, c->timeout + 10000 ) == WAIT_OBJECT_0 && w.fired == 1,
        "%s: the wait callback fired %ld times\n", c->name, w.fired );
    UnregisterWaitEx( wait, INVALID_HANDLE_VALUE );
    check_caller_result( c, buf, data, sizeof(data) );
    CloseHandle( event );
    CloseHandle( w.done );
}

/* ---- WinMTR: one thread per hop, synchronous IcmpSendEcho2 on one shared
 * handle, the hop's TTL and DF, a buffer of struct + data + 8; each probe's
 * answer must be the hop's (TTL expired from a router counts as its reply) */

struct winmtr_hop
{
    HANDLE h;
    const struct caller_case *c;
    int probes, answers, wrong;
};

static DWORD CALLBACK winmtr_thread( void *arg )
{
    struct winmtr_hop *hop = arg;
    BYTE data[64], buf[sizeof(ICMP_ECHO_REPLY) + 64 + 8];
    ICMP_ECHO_REPLY *r = (ICMP_ECHO_REPLY *)buf;
    IP_OPTION_INFORMATION opts;
    DWORD ret, expect_ret = hop->c->status == IP_REQ_TIMED_OUT ? 0 : 1;
    int i;

    memset( &opts, 0, sizeof(opts) );
    opts.Ttl = hop->c->ttl;
    opts.Flags = IP_FLAG_DF;
    memset( data, 0, sizeof(data) );
    for (i = 0; i < hop->probes; i++)
    {
        ret = pIcmpSendEcho2( hop->h, NULL, NULL, NULL, hop->c->dst, data, sizeof(data), &opts, buf, sizeof(buf),
                              hop->c->timeout );
        if (ret == expect_ret && r->Status == hop->c->status && r->Address == hop->c->from) hop->answers++;
        else hop->wrong++;
    }
    return 0;
}

/* runs every hop at once, `probes` probes each, and checks each hop's answers */
static WINETEST_UNUSED void caller_winmtr( const struct caller_case *hops, int count, int probes )
{
    struct winmtr_hop *hop = calloc( count, sizeof(*hop) );
    HANDLE *threads = calloc( count, sizeof(*threads) ), h = pIcmpCreateFile();
    int i;

    for (i = 0; i < count; i++)
    {
        hop[i].h = h;
        hop[i].c = &hops[i];
        hop[i].probes = probes;
        threads[i] = CreateThread( NULL, 0, winmtr_thread, &hop[i], 0, NULL );
    }
    for (i = 0; i < count; i++)
    {
        WaitForSingleObject( threads[i], INFINITE );
        CloseHandle( threads[i] );
        ok( hop[i].answers == probes && !hop[i].wrong, "%s: %d of %d answers, %d wrong\n", hops[i].name,
            hop[i].answers, probes, hop[i].wrong );
    }
    pIcmpCloseHandle( h );
    free( threads );
    free( hop );
}

#endif /* ICMP_CALLERS_H */
