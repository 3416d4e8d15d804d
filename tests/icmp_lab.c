/*
 * Conformance scenarios in the routed network lab (tools/netlab/netlab),
 * Wine test style, against any implementation:
 *
 *   icmp_lab.exe [--dll PATH|system] [--capture FILE] [--unpriv] [--icmpv6-server] [--list] [test]
 *
 * The program runs in the lab's client namespace (198.18.0.2 and 198.18.1.2,
 * fd00::2 and fd00:1::2; see tools/netlab/netlab for the map). The v6_*
 * tests need a wineserver that maps ICMPv6 (tools/wineserver);
 * --icmpv6-server says it does, so that failing to open an ICMPv6 socket
 * fails them instead of skipping them. --capture names the file that
 * `labtool capture` writes in the host namespace: what arrived on the wire.
 * --unpriv says Wine runs without CAP_NET_RAW and gives the DLL a Linux ping
 * socket: ICMP errors never reach it, so every error the lab provokes is
 * expected as IP_REQ_TIMED_OUT instead (asserted, not skipped).
 *
 * Every scenario also prints "row: <scenario> ret=.. err=.. status=..
 * addr=.. size=.. rtt=.. ttl=.. tos=.. flags=.. opts=.." lines, which
 * tests/run-lab.sh puts side by side for two implementations.
 * Only lab addresses (198.18.0.0/15, fd00::/8) are ever sent to.
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
#include "icmp_common.h"
#include "icmp_callers.h"
#include "proc_stats.h"
#include <ws2tcpip.h>

static int unpriv;
static const char *capture_file;
static DWORD last_err;   /* GetLastError() right after the last echo() or IcmpParseReplies */
static CRITICAL_SECTION row_cs;

#define CLIENT0   addr( "198.18.0.2" )
#define CLIENT1   addr( "198.18.1.2" )
#define ROUTER1   addr( "198.18.0.1" )   /* router1, as the client sees it */
#define ROUTER2   addr( "198.18.2.2" )   /* router2, toward the client */
#define HOST      addr( "198.18.3.2" )
#define FAR_HOST  addr( "198.18.4.2" )   /* behind the 1280-byte MTU link */
#define SILENT    addr( "198.18.5.2" )   /* the injector's address */
#define DELAYED   addr( "198.18.5.3" )   /* answered after 50 ms */
#define DELAYED5  addr( "198.18.5.4" )   /* answered after 5 ms */
#define BLACKHOLE addr( "198.18.8.1" )
#define DELAY_MS  50

/* what an ICMP error becomes through a ping socket */
static DWORD error_status( DWORD status )
{
    return unpriv ? IP_REQ_TIMED_OUT : status;
}

static const char *ntoa( IPAddr a )
{
    static char bufs[4][16];
    static LONG next;
    char *b = bufs[InterlockedIncrement( &next ) % 4];
    const BYTE *p = (const BYTE *)&a;
    snprintf( b, 16, "%u.%u.%u.%u", p[0], p[1], p[2], p[3] );
    return b;
}

/* one side-by-side row: what a call returned and wrote */
static void row( const char *scenario, DWORD ret, DWORD err, const BYTE *buf )
{
    const ICMP_ECHO_REPLY *r = (const ICMP_ECHO_REPLY *)buf;
    EnterCriticalSection( &row_cs );
    if (r->Status == 0xcccccccc && r->Address == 0xcccccccc)   /* still FILL: nothing written */
        printf( "row: %s ret=%lu err=%lu buffer=untouched\n", scenario, ret, ret ? 0 : err );
    else
        printf( "row: %s ret=%lu err=%lu status=%lu addr=%s size=%u rtt=%s ttl=%u tos=%u flags=%u opts=%u\n",
                scenario, ret, ret ? 0 : err, r->Status, ntoa( r->Address ), r->DataSize,
                r->Status == IP_SUCCESS || r->Status == IP_REQ_TIMED_OUT ? "-" :
                r->RoundTripTime < 1000 ? "<1000" : ">=1000",
                r->Options.Ttl, r->Options.Tos, r->Options.Flags, r->Options.OptionsSize );
    fflush( stdout );
    LeaveCriticalSection( &row_cs );
}

/* a synchronous IcmpSendEcho2Ex with these options */
static DWORD echo( HANDLE h, IPAddr src, IPAddr dst, const BYTE *data, WORD size, UCHAR ttl, UCHAR tos,
                   UCHAR flags, BYTE *buf, DWORD buf_size, DWORD timeout )
{
    IP_OPTION_INFORMATION opts;
    DWORD ret;

    memset( &opts, 0, sizeof(opts) );
    opts.Ttl = ttl;
    opts.Tos = tos;
    opts.Flags = flags;
    SetLastError( 0xdeadbeef );
    ret = pIcmpSendEcho2Ex( h, NULL, NULL, NULL, src, dst, (void *)data, size, &opts, buf, buf_size, timeout );
    last_err = GetLastError();
    return ret;
}

/* IcmpParseReplies (or Icmp6ParseReplies) on a completed asynchronous request */
static DWORD parse_by( DWORD (WINAPI *fn)( void *, DWORD ), BYTE *buf, DWORD size )
{
    DWORD ret;
    SetLastError( 0xdeadbeef );
    ret = fn( buf, size );
    last_err = GetLastError();
    return ret;
}

static DWORD parse( BYTE *buf, DWORD size )
{
    return parse_by( pIcmpParseReplies, buf, size );
}

/* Checks an ICMP error reply: 1 returned, Status, the sender, no data. */
/* (ret and last_err are those of the call, or of IcmpParseReplies for an
 * asynchronous request, which has then reset Reserved to 0) */
#define check_error(a,b,c,d,e) check_error_(__LINE__, a, b, c, d, e, 1000, 1)
#define check_parsed(a,b,c,d,e) check_error_(__LINE__, a, b, c, d, e, 1000, 0)
#define check_error_slow(a,b,c,d,e,f) check_error_(__LINE__, a, b, c, d, e, f, 1)
static void check_error_( int line, const char *what, DWORD ret, const BYTE *buf, DWORD status, IPAddr from,
                          DWORD max_rtt, USHORT reserved )
{
    const ICMP_ECHO_REPLY *r = (const ICMP_ECHO_REPLY *)buf;

    winetest_line = line;
    if (unpriv)
    {
        winetest_ok( !ret && last_err == IP_REQ_TIMED_OUT, "%s: returned %lu, error %lu (ping socket: "
                     "expected a timeout)\n", what, ret, last_err );
        winetest_ok( r->Status == IP_REQ_TIMED_OUT, "%s: Status %lu\n", what, r->Status );
        return;
    }
    winetest_ok( ret == 1, "%s: returned %lu, error %lu\n", what, ret, last_err );
    winetest_ok( r->Status == status, "%s: Status %lu, expected %lu\n", what, r->Status, status );
    winetest_ok( r->Address == from, "%s: Address %s, expected %s\n", what, ntoa( r->Address ), ntoa( from ) );
    winetest_ok( r->DataSize == 0, "%s: DataSize %u\n", what, r->DataSize );
    /* (Wine's builtin leaves Reserved 0 after a synchronous call) */
    todo_if( reserved && target_is_builtin )
        winetest_ok( r->Reserved == reserved, "%s: Reserved %u\n", what, r->Reserved );
    winetest_ok( r->RoundTripTime < max_rtt, "%s: RoundTripTime %lu\n", what, r->RoundTripTime );
}

/* ---- IPv6 helpers (the v6_* tests; tests/run-lab.sh runs them under the
 * ICMPv6-capable wineserver of tools/wineserver, --icmpv6-server) ---- */

static int icmpv6_server;   /* the server maps ICMPv6: sockets must open */

#define HOST6      "fd00:3::2"
#define ROUTER1_6  "fd00:0::1"   /* router1, as the client sees it */
#define ROUTER2_6  "fd00:2::2"   /* router2, toward the client */
#define FAR6       "fd00:4::2"   /* behind the 1280-byte MTU link */
#define SILENT6    "fd00:5::2"   /* the injector's address */
#define DELAYED6   "fd00:5::3"   /* answered after 50 ms */
#define BLACKHOLE6 "fd00:8::1"

static const char *ntop6( const BYTE *a )
{
    static char bufs[4][48];
    static LONG next;
    char *b = bufs[InterlockedIncrement( &next ) % 4];
    struct sockaddr_in6 sin6;
    DWORD len = 48;

    memset( &sin6, 0, sizeof(sin6) );
    sin6.sin6_family = AF_INET6;
    memcpy( &sin6.sin6_addr, a, 16 );
    if (WSAAddressToStringA( (struct sockaddr *)&sin6, sizeof(sin6), NULL, b, &len )) strcpy( b, "?" );
    return b;
}

/* a side-by-side row of an IPv6 result */
static void row6( const char *scenario, DWORD ret, DWORD err, const BYTE *buf )
{
    EnterCriticalSection( &row_cs );
    if (reply6_status( buf ) == 0xcccccccc)   /* still FILL: nothing written */
        printf( "row: %s ret=%lu err=%lu buffer=untouched\n", scenario, ret, ret ? 0 : err );
    else
        printf( "row: %s ret=%lu err=%lu status=%lu addr=%s rtt=%s\n", scenario, ret, ret ? 0 : err,
                reply6_status( buf ), ntop6( reply6_addr( buf ) ),
                reply6_status( buf ) == IP_SUCCESS || reply6_status( buf ) == IP_REQ_TIMED_OUT ? "-" :
                reply6_rtt( buf ) < 1000 ? "<1000" : ">=1000" );
    fflush( stdout );
    LeaveCriticalSection( &row_cs );
}

/* a synchronous Icmp6SendEcho2 from src (NULL: any) with hop limit hlim (0: no options) */
static DWORD echo6( HANDLE h, const char *src, const char *dst, const BYTE *data, WORD size, UCHAR hlim, BYTE *buf,
                    DWORD buf_size, DWORD timeout )
{
    struct sockaddr_in6 s6 = addr6( src ? src : "::" ), d6 = addr6( dst );
    IP_OPTION_INFORMATION opts;
    DWORD ret;

    memset( &opts, 0, sizeof(opts) );
    opts.Ttl = hlim;
    SetLastError( 0xdeadbeef );
    ret = pIcmp6SendEcho2( h, NULL, NULL, NULL, src ? &s6 : NULL, &d6, (void *)data, size, hlim ? &opts : NULL, buf,
                           buf_size, timeout );
    last_err = GetLastError();
    return ret;
}

static DWORD parse6( BYTE *buf, DWORD size )
{
    return parse_by( pIcmp6ParseReplies, buf, size );
}

/* An Icmp6 handle for a v6 test, or NULL (skipped: the target has no
 * Icmp6 functions; failed: the server should map ICMPv6 and does not). */
static HANDLE open6( void )
{
    BYTE buf[REPLY6_SIZE + 8];
    HANDLE h;

    if (!pIcmp6CreateFile || !pIcmp6SendEcho2 || !pIcmp6ParseReplies ||
        (h = pIcmp6CreateFile()) == INVALID_HANDLE_VALUE)
    {
        skip( "the target has no working Icmp6 functions\n" );
        return NULL;
    }
    if (echo6( h, NULL, HOST6, NULL, 0, 0, buf, sizeof(buf), 2000 ) == 1) return h;
    if (last_err == ERROR_NOT_SUPPORTED && !icmpv6_server)
        skip( "this Wine's server maps no ICMPv6 (run with the ICMPv6-capable one, --icmpv6-server)\n" );
    else ok( 0, "the first echo to %s failed: %lu\n", HOST6, last_err );
    pIcmpCloseHandle( h );
    return NULL;
}

#define check_echo6_lab(a,b,c,d,e,f) check_echo6_lab_(__LINE__, a, b, c, d, e, f)
static void check_echo6_lab_( int line, const char *what, DWORD ret, const BYTE *buf, const char *from,
                              const BYTE *data, WORD size )
{
    struct sockaddr_in6 f = addr6( from );

    winetest_line = line;
    winetest_ok( ret == 1, "%s: returned %lu, error %lu\n", what, ret, last_err );
    winetest_ok( reply6_status( buf ) == IP_SUCCESS, "%s: Status %lu\n", what, reply6_status( buf ) );
    winetest_ok( !memcmp( reply6_addr( buf ), &f.sin6_addr, 16 ), "%s: Address %s, expected %s\n", what,
                 ntop6( reply6_addr( buf ) ), from );
    winetest_ok( !memcmp( buf + REPLY6_SIZE, data, size ), "%s: reply data differs\n", what );
}

/* an ICMPv6 error: 1 returned, Status, from the sender, the struct alone;
 * through a ping socket a timeout instead */
#define check_error6(a,b,c,d,e,f) check_error6_(__LINE__, a, b, c, d, e, f)
static void check_error6_( int line, const char *what, DWORD ret, const BYTE *buf, DWORD status, const char *from,
                           DWORD max_rtt )
{
    struct sockaddr_in6 f = addr6( from );

    winetest_line = line;
    if (unpriv)
    {
        winetest_ok( !ret && last_err == IP_REQ_TIMED_OUT, "%s: returned %lu, error %lu (ping socket: expected a "
                     "timeout)\n", what, ret, last_err );
        winetest_ok( reply6_status( buf ) == IP_REQ_TIMED_OUT, "%s: Status %lu\n", what, reply6_status( buf ) );
        return;
    }
    winetest_ok( ret == 1, "%s: returned %lu, error %lu\n", what, ret, last_err );
    winetest_ok( reply6_status( buf ) == status, "%s: Status %lu, expected %lu\n", what, reply6_status( buf ), status );
    winetest_ok( !memcmp( reply6_addr( buf ), &f.sin6_addr, 16 ), "%s: Address %s, expected %s\n", what,
                 ntop6( reply6_addr( buf ) ), from );
    winetest_ok( reply6_rtt( buf ) < max_rtt, "%s: RoundTripTime %u\n", what, reply6_rtt( buf ) );
    winetest_ok( touched( buf, REPLY6_SIZE, 256 ) == -1, "%s: written after the struct\n", what );
}

/* ---- what arrived on the wire (labtool capture, in the host namespace) ---- */

struct wire
{
    char src[16];
    unsigned int ttl, tos, df, size;
    char opts[128];
};

/* a payload whose first 16 bytes no other request of this run has */
static void tag_payload( BYTE *data, WORD size )
{
    static LONG counter;
    char tag[17];
    fill_payload( data, size, 77 );
    snprintf( tag, sizeof(tag), "W%05lx%010lx", GetCurrentProcessId() & 0xfffff,
              (unsigned long)InterlockedIncrement( &counter ) ^ (GetTickCount() << 8) );
    memcpy( data, tag, size < 16 ? size : 16 );
}

/* the capture line (either family) of the request carrying data, waiting
 * up to 3 s for it; NULL if it never came (the text is valid until the next call) */
static const char *capture_line( const BYTE *data )
{
    static char text[1 << 20];
    char needle[64], *line;
    int i, tries;

    if (!capture_file) return NULL;
    strcpy( needle, " data=" );
    for (i = 0; i < 16; i++) sprintf( needle + 6 + i * 2, "%02x", data[i] );
    for (tries = 0; tries < 30; tries++)
    {
        HANDLE f = CreateFileA( capture_file, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                                NULL, OPEN_EXISTING, 0, NULL );
        LARGE_INTEGER size, from;
        DWORD got = 0;
        if (f != INVALID_HANDLE_VALUE)
        {
            /* the newest lines: the capture grows by megabytes in the bursts */
            if (GetFileSizeEx( f, &size ) && size.QuadPart > (LONGLONG)sizeof(text) - 1)
            {
                from.QuadPart = size.QuadPart - (sizeof(text) - 1);
                SetFilePointerEx( f, from, NULL, FILE_BEGIN );
            }
            ReadFile( f, text, sizeof(text) - 1, &got, NULL );
            CloseHandle( f );
        }
        text[got] = 0;
        if ((line = strstr( text, needle )))
        {
            while (line > text && line[-1] != '\n') line--;
            return line;
        }
        Sleep( 100 );
    }
    return NULL;
}

/* finds the capture line of the IPv4 request carrying data */
static int find_on_wire( const BYTE *data, struct wire *w )
{
    const char *line = capture_line( data );

    memset( w, 0, sizeof(*w) );
    return line && sscanf( line, "echo src=%15s dst=%*s ttl=%u tos=%u df=%u id=%*u seq=%*u size=%u opts=%127s",
                           w->src, &w->ttl, &w->tos, &w->df, &w->size, w->opts ) == 6;
}

static int need_capture( void )
{
    if (!capture_file) skip( "needs the lab's capture file (--capture)\n" );
    return capture_file != NULL;
}

/* ---- TTL expiry at each router ---- */

struct apc_record
{
    LONG calls;
    NTSTATUS status;
    ULONG_PTR information;
};

static void NTAPI record_apc( void *context, IO_STATUS_BLOCK *iosb, ULONG reserved )
{
    struct apc_record *rec = context;
    rec->calls++;
    rec->status = iosb->Status;
    rec->information = iosb->Information;
}

static void test_ttl_expired( void )
{
    static const struct { UCHAR ttl; const char *hop; } hops[] = { { 1, "198.18.0.1" }, { 2, "198.18.2.2" } };
    BYTE data[32], *buf = alloc_reply( 256 );
    HANDLE h = pIcmpCreateFile(), event = CreateEventA( NULL, TRUE, FALSE, NULL );
    struct apc_record rec;
    IP_OPTION_INFORMATION opts;
    DWORD ret, i;
    char what[64];

    fill_payload( data, sizeof(data), 1 );
    for (i = 0; i < ARRAY_SIZE(hops); i++)
    {
        memset( buf, FILL, 256 );
        ret = echo( h, 0, HOST, data, sizeof(data), hops[i].ttl, 0, 0, buf, 256, 2000 );
        sprintf( what, "ttl %u", hops[i].ttl );
        check_error( what, ret, buf, IP_TTL_EXPIRED_TRANSIT, addr( hops[i].hop ) );
        ok( touched( buf, REPLY_SIZE, 256 ) == -1, "%s: byte %d written after the struct\n", what,
            touched( buf, REPLY_SIZE, 256 ) );
        sprintf( what, "ttl-%u-sync", hops[i].ttl );
        row( what, ret, last_err, buf );
    }
    /* TTL 3 reaches the host */
    memset( buf, FILL, 256 );
    ret = echo( h, 0, HOST, data, sizeof(data), 3, 0, 0, buf, 256, 2000 );
    ok( ret == 1, "ttl 3: returned %lu, error %lu\n", ret, GetLastError() );
    if (ret) check_sync_echo( buf, HOST, data, sizeof(data) );
    row( "ttl-3-sync", ret, last_err, buf );

    /* event */
    memset( &opts, 0, sizeof(opts) );
    opts.Ttl = 1;
    memset( buf, FILL, 256 );
    ret = pIcmpSendEcho2Ex( h, event, NULL, NULL, 0, HOST, data, sizeof(data), &opts, buf, 256, 2000 );
    ok( !ret && GetLastError() == ERROR_IO_PENDING, "event: returned %lu, error %lu\n", ret, GetLastError() );
    ok( WaitForSingleObject( event, 5000 ) == WAIT_OBJECT_0, "event not signalled\n" );
    ret = parse( buf, 256 );
    check_parsed( "ttl 1 event", ret, buf, IP_TTL_EXPIRED_TRANSIT, ROUTER1 );
    row( "ttl-1-event", ret, last_err, buf );

    /* APC: Information is the struct alone (no data in an error reply) */
    memset( &rec, 0, sizeof(rec) );
    memset( buf, FILL, 256 );
    opts.Ttl = 2;
    ret = pIcmpSendEcho2Ex( h, NULL, record_apc, &rec, 0, HOST, data, sizeof(data), &opts, buf, 256, 2000 );
    ok( !ret && GetLastError() == ERROR_IO_PENDING, "apc: returned %lu, error %lu\n", ret, GetLastError() );
    for (i = 0; i < 50 && !rec.calls; i++) SleepEx( 100, TRUE );
    ok( rec.calls == 1, "APC called %ld times\n", rec.calls );
    ok( rec.status == 0, "iosb Status %#lx\n", rec.status );
    ok( rec.information == REPLY_SIZE, "iosb Information %Iu\n", rec.information );
    ret = parse( buf, 256 );
    check_parsed( "ttl 2 apc", ret, buf, IP_TTL_EXPIRED_TRANSIT, ROUTER2 );
    row( "ttl-2-apc", ret, last_err, buf );

    pIcmpCloseHandle( h );
    CloseHandle( event );
    free( buf );
}

/* ---- every unreachable the lab makes ---- */

static void test_unreachables( void )
{
    static const struct { const char *dst, *from, *name; DWORD status; DWORD timeout; } cases[] =
    {
        { "198.18.3.4",  "198.18.3.4", "host-reject-net-unreachable",   IP_DEST_NET_UNREACHABLE,  2000 },
        { "198.18.3.5",  "198.18.3.5", "host-reject-host-unreachable",  IP_DEST_HOST_UNREACHABLE, 2000 },
        { "198.18.3.6",  "198.18.3.6", "host-reject-proto-unreachable", IP_DEST_PROT_UNREACHABLE, 2000 },
        { "198.18.3.7",  "198.18.3.7", "host-reject-port-unreachable",  IP_DEST_PORT_UNREACHABLE, 2000 },
        { "198.18.3.8",  "198.18.3.8", "host-reject-net-prohibited",    IP_DEST_NET_UNREACHABLE,  2000 },
        { "198.18.3.9",  "198.18.3.9", "host-reject-host-prohibited",   IP_DEST_HOST_UNREACHABLE, 2000 },
        { "198.18.3.10", "198.18.3.10", "host-reject-admin-prohibited", IP_DEST_HOST_UNREACHABLE, 2000 },
        { "198.18.6.1",  "198.18.2.2", "router-host-unreachable",       IP_DEST_HOST_UNREACHABLE, 2000 },
        { "198.18.7.1",  "198.18.2.2", "router-admin-prohibited",       IP_DEST_HOST_UNREACHABLE, 2000 },
        { "198.18.9.1",  "198.18.2.2", "router-net-unreachable",        IP_DEST_NET_UNREACHABLE,  2000 },
        { "198.18.3.99", "198.18.2.2", "router-arp-fails",              IP_DEST_HOST_UNREACHABLE, 6000 },
    };
    BYTE data[32], *buf = alloc_reply( 256 );
    HANDLE h = pIcmpCreateFile();
    DWORD ret;
    size_t i;

    fill_payload( data, sizeof(data), 2 );
    for (i = 0; i < ARRAY_SIZE(cases); i++)
    {
        memset( buf, FILL, 256 );
        ret = echo( h, 0, addr( cases[i].dst ), data, sizeof(data), 0, 0, 0, buf, 256, cases[i].timeout );
        /* (router2 waits ~3 s for an ARP answer before giving up on 198.18.3.99) */
        check_error_slow( cases[i].name, ret, buf, cases[i].status, addr( cases[i].from ), cases[i].timeout );
        ok( touched( buf, REPLY_SIZE, 256 ) == -1, "%s: written after the struct\n", cases[i].name );
        row( cases[i].name, ret, last_err, buf );
    }
    pIcmpCloseHandle( h );
    free( buf );
}

/* ---- the 1280-byte MTU link ---- */

static void test_fragmentation( void )
{
    static const WORD sizes[] = { 1100, 1300, 3000, 8000 };
    BYTE *data = malloc( 8000 ), *buf = alloc_reply( 9000 );
    HANDLE h = pIcmpCreateFile();
    ICMP_ECHO_REPLY *r = (ICMP_ECHO_REPLY *)buf;
    DWORD ret, err;
    char what[64];
    size_t i;

    fill_payload( data, 8000, 3 );
    /* without DF: fragmented on the way and back, data intact. (Wine's
     * builtin sets DF when it is not asked for: its first request over the
     * link fails, with router2's error or, through a ping socket, silently;
     * the kernel then knows the path MTU and fragments the larger ones.) */
    for (i = 0; i < ARRAY_SIZE(sizes); i++)
    {
        BOOL builtin_df = target_is_builtin && sizes[i] == 1300;

        memset( buf, FILL, 9000 );
        ret = echo( h, 0, FAR_HOST, data, sizes[i], 0, 0, 0, buf, 9000, 3000 );
        sprintf( what, "no-df-%u", sizes[i] );
        todo_if( builtin_df && unpriv )
            ok( ret == 1, "%s: returned %lu, error %lu\n", what, ret, GetLastError() );
        if (builtin_df && !unpriv)
            todo_builtin ok( r->Status == IP_SUCCESS, "%s: Status %lu\n", what, r->Status );
        else if (ret) check_sync_echo( buf, FAR_HOST, data, sizes[i] );
        row( what, ret, last_err, buf );
    }
    /* DF and small enough */
    memset( buf, FILL, 9000 );
    ret = echo( h, 0, FAR_HOST, data, 1100, 0, 0, IP_FLAG_DF, buf, 9000, 3000 );
    ok( ret == 1, "df-1100: returned %lu, error %lu\n", ret, GetLastError() );
    if (ret) check_sync_echo( buf, FAR_HOST, data, 1100 );
    /* (Linux sends its echo replies without DF: its ICMP sockets never set it) */
    ok( r->Options.Flags == 0, "df-1100: reply Flags %u\n", r->Options.Flags );
    row( "df-1100", ret, last_err, buf );

    /* DF over the MTU: router2 answers fragmentation needed. The first time
     * it comes from the router; the client's kernel then knows the path MTU
     * and a second attempt fails before leaving (EMSGSIZE): same Status.
     * (Wine's builtin sends without DF when it is asked: its echo gets
     * through fragmented, so only its Status is checked, as a todo.) */
    memset( buf, FILL, 9000 );
    ret = echo( h, 0, FAR_HOST, data, 1300, 0, 0, IP_FLAG_DF, buf, 9000, 3000 );
    if (target_is_builtin)
        todo_builtin ok( r->Status == error_status( IP_PACKET_TOO_BIG ), "df-1300: Status %lu\n", r->Status );
    else if (unpriv)
    {
        /* no ICMP error through a ping socket: the kernel learns the path MTU
         * from the error, the socket does not; the request times out */
        ok( !ret && GetLastError() == IP_REQ_TIMED_OUT, "df-1300: returned %lu, error %lu\n", ret, GetLastError() );
    }
    else
    {
        check_error( "df-1300", ret, buf, IP_PACKET_TOO_BIG, ROUTER2 );
        ok( touched( buf, REPLY_SIZE, 9000 ) == -1, "df-1300: written after the struct\n" );
    }
    row( "df-1300-first", ret, last_err, buf );
    memset( buf, FILL, 9000 );
    ret = echo( h, 0, FAR_HOST, data, 1300, 0, 0, IP_FLAG_DF, buf, 9000, 3000 );
    err = last_err;
    if (target_is_builtin)
        todo_builtin ok( !ret, "df-1300 again: returned %lu, error %lu\n", ret, err );
    else if (unpriv)
        ok( !ret && (err == IP_REQ_TIMED_OUT || err == IP_PACKET_TOO_BIG), "df-1300 again: returned %lu, error %lu\n",
            ret, err );
    else
    {
        /* known path MTU: a local failure (0, IP_PACKET_TOO_BIG) or, if the
         * kernel forgot it, the router's error again (1) */
        ok( (!ret && err == IP_PACKET_TOO_BIG) || (ret == 1 && r->Address == ROUTER2),
            "df-1300 again: returned %lu, error %lu\n", ret, err );
        ok( r->Status == IP_PACKET_TOO_BIG, "df-1300 again: Status %lu\n", r->Status );
    }
    row( "df-1300-again", ret, err, buf );
    pIcmpCloseHandle( h );
    free( data );
    free( buf );
}

/* ---- silent host and black hole: timeouts ---- */

static void test_silent_timeouts( void )
{
    static const DWORD timeouts[] = { 100, 500, 1000, 5000 };
    BYTE data[32], *buf = alloc_reply( 256 );
    HANDLE h = pIcmpCreateFile(), event = CreateEventA( NULL, TRUE, FALSE, NULL );
    struct apc_record rec;
    DWORD ret, start, elapsed, i;
    char what[64];

    fill_payload( data, sizeof(data), 4 );
    for (i = 0; i < ARRAY_SIZE(timeouts); i++)
    {
        memset( buf, FILL, 256 );
        start = clock_ms();
        ret = echo( h, 0, SILENT, data, sizeof(data), 0, 0, 0, buf, 256, timeouts[i] );
        elapsed = clock_ms() - start;
        ok( !ret && GetLastError() == IP_REQ_TIMED_OUT, "silent %lu ms: returned %lu, error %lu\n", timeouts[i],
            ret, GetLastError() );
        ok( elapsed + 20 >= timeouts[i] && elapsed < timeouts[i] + 1500, "silent %lu ms: took %lu ms\n",
            timeouts[i], elapsed );
        check_failure( buf, IP_REQ_TIMED_OUT, 256 );
        sprintf( what, "silent-%lu-sync", timeouts[i] );
        row( what, ret, last_err, buf );
    }
    memset( buf, FILL, 256 );
    ret = echo( h, 0, BLACKHOLE, data, sizeof(data), 0, 0, 0, buf, 256, 500 );
    ok( !ret && GetLastError() == IP_REQ_TIMED_OUT, "blackhole: returned %lu, error %lu\n", ret, GetLastError() );
    check_failure( buf, IP_REQ_TIMED_OUT, 256 );
    row( "blackhole-500-sync", ret, last_err, buf );

    memset( buf, FILL, 256 );
    start = clock_ms();
    ret = pIcmpSendEcho2Ex( h, event, NULL, NULL, 0, SILENT, data, sizeof(data), NULL, buf, 256, 500 );
    ok( !ret && GetLastError() == ERROR_IO_PENDING, "event: returned %lu, error %lu\n", ret, GetLastError() );
    ok( WaitForSingleObject( event, 5000 ) == WAIT_OBJECT_0, "event not signalled\n" );
    elapsed = clock_ms() - start;
    ok( elapsed + 20 >= 500 && elapsed < 2000, "event: took %lu ms\n", elapsed );
    check_failure( buf, IP_REQ_TIMED_OUT, 256 );
    ret = parse( buf, 256 );
    ok( !ret && GetLastError() == IP_REQ_TIMED_OUT, "parse: %lu, error %lu\n", ret, GetLastError() );
    row( "silent-500-event", ret, last_err, buf );

    memset( &rec, 0, sizeof(rec) );
    memset( buf, FILL, 256 );
    ret = pIcmpSendEcho2Ex( h, NULL, record_apc, &rec, 0, SILENT, data, sizeof(data), NULL, buf, 256, 500 );
    ok( !ret && GetLastError() == ERROR_IO_PENDING, "apc: returned %lu, error %lu\n", ret, GetLastError() );
    for (i = 0; i < 50 && !rec.calls; i++) SleepEx( 100, TRUE );
    ok( rec.calls == 1 && rec.status == 0 && rec.information == REPLY_SIZE, "APC: %ld calls, status %#lx, "
        "information %Iu\n", rec.calls, rec.status, rec.information );
    check_failure( buf, IP_REQ_TIMED_OUT, 256 );
    ret = parse( buf, 256 );
    row( "silent-500-apc", ret, last_err, buf );

    pIcmpCloseHandle( h );
    CloseHandle( event );
    free( buf );
}

/* ---- a 50 ms path (labtool respond) ---- */

static void test_delay( void )
{
    BYTE data[32], *buf = alloc_reply( 256 );
    ICMP_ECHO_REPLY *r = (ICMP_ECHO_REPLY *)buf;
    HANDLE h = pIcmpCreateFile(), event = CreateEventA( NULL, TRUE, FALSE, NULL );
    DWORD ret, i, min_rtt = ~0u, max_rtt = 0;

    fill_payload( data, sizeof(data), 5 );
    for (i = 0; i < 5; i++)
    {
        memset( buf, FILL, 256 );
        ret = echo( h, 0, DELAYED, data, sizeof(data), 0, 0, 0, buf, 256, 2000 );
        ok( ret == 1, "delayed echo %lu: returned %lu, error %lu\n", i, ret, GetLastError() );
        if (!ret) continue;
        check_sync_echo( buf, DELAYED, data, sizeof(data) );
        if (r->RoundTripTime < min_rtt) min_rtt = r->RoundTripTime;
        if (r->RoundTripTime > max_rtt) max_rtt = r->RoundTripTime;
    }
    /* the path adds exactly 50 ms: the fastest of five is 50-52 ms */
    ok( min_rtt >= DELAY_MS && min_rtt <= DELAY_MS + 2, "RoundTripTime: fastest %lu ms, expected 50-52\n", min_rtt );
    ok( max_rtt >= DELAY_MS && max_rtt < DELAY_MS + 500, "RoundTripTime: slowest %lu ms\n", max_rtt );
    trace( "delayed path: RoundTripTime %lu..%lu ms\n", min_rtt, max_rtt );
    row( "delay-50-sync", ret, last_err, buf );

    /* the same through an event */
    memset( buf, FILL, 256 );
    ret = pIcmpSendEcho2Ex( h, event, NULL, NULL, 0, DELAYED, data, sizeof(data), NULL, buf, 256, 2000 );
    ok( !ret && GetLastError() == ERROR_IO_PENDING, "event: returned %lu, error %lu\n", ret, GetLastError() );
    ok( WaitForSingleObject( event, 5000 ) == WAIT_OBJECT_0, "event not signalled\n" );
    ok( r->Status == IP_SUCCESS && r->RoundTripTime >= DELAY_MS && r->RoundTripTime < DELAY_MS + 500,
        "event: Status %lu RoundTripTime %lu\n", r->Status, r->RoundTripTime );
    ret = parse( buf, 256 );
    row( "delay-50-event", ret, last_err, buf );

    /* a timeout shorter than the path: the late reply is ignored */
    memset( buf, FILL, 256 );
    ret = echo( h, 0, DELAYED, data, sizeof(data), 0, 0, 0, buf, 256, 20 );
    ok( !ret && GetLastError() == IP_REQ_TIMED_OUT, "timeout 20: returned %lu, error %lu\n", ret, GetLastError() );
    check_failure( buf, IP_REQ_TIMED_OUT, 256 );
    row( "delay-50-timeout-20", ret, last_err, buf );
    Sleep( 100 );   /* the late reply arrives while nothing waits for it */
    memset( buf, FILL, 256 );
    ret = echo( h, 0, HOST, data, sizeof(data), 0, 0, 0, buf, 256, 2000 );
    ok( ret == 1, "echo after a late reply: returned %lu, error %lu\n", ret, GetLastError() );
    if (ret) check_sync_echo( buf, HOST, data, sizeof(data) );

    pIcmpCloseHandle( h );
    CloseHandle( event );
    free( buf );
}

/* many requests in flight on the 50 ms path at once: each gets its own
 * reply (through a ping socket too, whose identifiers Wine must map back) */
static void test_many_outstanding( void )
{
    enum { N = 200, SIZE = 24, BUF = sizeof(ICMP_ECHO_REPLY) + SIZE };
    HANDLE h = pIcmpCreateFile(), *events = calloc( N, sizeof(HANDLE) );
    BYTE *data = malloc( N * SIZE ), *bufs = malloc( N * BUF );
    DWORD ret, i, pending = 0, good = 0;

    for (i = 0; i < N; i++)
    {
        fill_payload( data + i * SIZE, SIZE, (BYTE)(i * 3) );
        memcpy( data + i * SIZE, &i, sizeof(i) );
        events[i] = CreateEventA( NULL, TRUE, FALSE, NULL );
        ret = pIcmpSendEcho2( h, events[i], NULL, NULL, DELAYED, data + i * SIZE, SIZE, NULL, bufs + i * BUF, BUF,
                              3000 );
        if (!ret && GetLastError() == ERROR_IO_PENDING) pending++;
    }
    ok( pending == N, "%lu of %u pending\n", pending, N );
    for (i = 0; i < N; i++)
    {
        ICMP_ECHO_REPLY *r = (ICMP_ECHO_REPLY *)(bufs + i * BUF);
        if (WaitForSingleObject( events[i], 10000 ) == WAIT_OBJECT_0 && r->Status == IP_SUCCESS &&
            r->Address == DELAYED && r->DataSize == SIZE && !memcmp( r->Data, data + i * SIZE, SIZE ))
            good++;
        CloseHandle( events[i] );
    }
    ok( good == N, "%lu of %u got their own reply\n", good, N );
    printf( "row: many-outstanding-200 replies=%lu\n", good );
    pIcmpCloseHandle( h );
    free( events );
    free( data );
    free( bufs );
}

/* ---- bursts: 10,000 requests at once from 16 threads, none lost ---- */

enum { BURST_TOTAL = 10000, BURST_SIZE = 32, BURST_TIMEOUT = 5000 };

struct burst_req
{
    BOOL v6;                        /* IPv6: dst6, else dst */
    IPAddr dst;
    struct sockaddr_in6 dst6;
    HANDLE event;
    LONG calls;
    BYTE data[BURST_SIZE];
    BYTE buf[max( sizeof(ICMP_ECHO_REPLY), REPLY6_SIZE ) + BURST_SIZE + 8];   /* either family's reply */
};

struct burst_thread
{
    HANDLE h, start;
    char kind;                      /* 'A' APC, 'E' event, 'S' synchronous */
    struct burst_req *reqs;
    int count;
    DWORD timeout;                  /* each request's (0: BURST_TIMEOUT) */
    double worst_call_ms;           /* out: the slowest call (asynchronous ones: its return) */
    DWORD took_ms;                  /* out: from the first call to the last completion seen */
};

static void NTAPI burst_apc( void *context, IO_STATUS_BLOCK *iosb, ULONG reserved )
{
    InterlockedIncrement( &((struct burst_req *)context)->calls );
}

static void burst_send( struct burst_thread *t, struct burst_req *r )
{
    HANDLE event = t->kind == 'E' ? r->event : NULL;
    PIO_APC_ROUTINE apc = t->kind == 'A' ? burst_apc : NULL;
    DWORD timeout = t->timeout ? t->timeout : BURST_TIMEOUT;
    LARGE_INTEGER freq, t0, t1;

    QueryPerformanceFrequency( &freq );
    QueryPerformanceCounter( &t0 );
    if (r->v6)
        pIcmp6SendEcho2( t->h, event, apc, r, NULL, &r->dst6, r->data, BURST_SIZE, NULL, r->buf, sizeof(r->buf),
                         timeout );
    else
        pIcmpSendEcho2( t->h, event, apc, r, r->dst, r->data, BURST_SIZE, NULL, r->buf, sizeof(r->buf), timeout );
    QueryPerformanceCounter( &t1 );
    if ((t1.QuadPart - t0.QuadPart) * 1000.0 / freq.QuadPart > t->worst_call_ms)
        t->worst_call_ms = (t1.QuadPart - t0.QuadPart) * 1000.0 / freq.QuadPart;
}

/* whether a burst request came back with its own reply */
static BOOL burst_reply_ok( const struct burst_req *r )
{
    const ICMP_ECHO_REPLY *reply = (const ICMP_ECHO_REPLY *)r->buf;

    if (r->v6)
        return reply6_status( r->buf ) == IP_SUCCESS && !memcmp( reply6_addr( r->buf ), &r->dst6.sin6_addr, 16 ) &&
               !memcmp( r->buf + REPLY6_SIZE, r->data, BURST_SIZE );
    return reply->Status == IP_SUCCESS && reply->Address == r->dst && reply->DataSize == BURST_SIZE &&
           !memcmp( reply->Data, r->data, BURST_SIZE );
}

/* issues all of the thread's requests back to back, then waits for them */
static DWORD CALLBACK burst_thread( void *arg )
{
    struct burst_thread *t = arg;
    DWORD timeout = t->timeout ? t->timeout : BURST_TIMEOUT, deadline, begin;
    int i, done;

    WaitForSingleObject( t->start, INFINITE );
    begin = clock_ms();
    for (i = 0; i < t->count; i++) burst_send( t, &t->reqs[i] );
    deadline = clock_ms() + 3 * timeout;
    if (t->kind == 'E')
        for (i = 0; i < t->count; i++) WaitForSingleObject( t->reqs[i].event, 3 * timeout );
    else if (t->kind == 'A')
        do
        {
            SleepEx( 50, TRUE );
            for (i = done = 0; i < t->count; i++) done += t->reqs[i].calls != 0;
        } while (done < t->count && (LONG)(clock_ms() - deadline) < 0);
    t->took_ms = clock_ms() - begin;
    return 0;
}

/* 10,000 requests at once, 6,000 APC, 3,000 Event and 1,000 synchronous
 * ones from 6 + 6 + 4 threads on one handle h, each with its own payload,
 * to dst( r, i ); the engine is given a desktop's receive buffer (212,992
 * bytes, Linux's default rmem_max; Wine's builtin ignores the variable).
 * Every one must come back. */
static void burst( const char *name, HANDLE h, void (*dst)( struct burst_req *r, int i ) )
{
    static const struct { char kind; DWORD threads, each; } plan[] = { { 'A', 6, 1000 }, { 'E', 6, 500 }, { 'S', 4, 250 } };
    struct burst_req *r = calloc( BURST_TOTAL, sizeof(*r) );
    struct burst_thread t[16];
    HANDLE threads[16], start = CreateEventA( NULL, TRUE, FALSE, NULL );
    DWORD begin, took, good = 0, i, p, k, n = 0, next = 0;

    SetEnvironmentVariableA( "ICMP_ECHO_SO_RCVBUF", "212992" );
    for (i = 0; i < BURST_TOTAL; i++)
    {
        dst( &r[i], i );
        fill_payload( r[i].data, BURST_SIZE, i );
        memcpy( r[i].data, &i, sizeof(i) );
    }
    for (p = 0; p < ARRAY_SIZE(plan); p++)
        for (k = 0; k < plan[p].threads; k++, n++)
        {
            memset( &t[n], 0, sizeof(t[n]) );
            t[n].h = h;
            t[n].start = start;
            t[n].kind = plan[p].kind;
            t[n].reqs = r + next;
            t[n].count = plan[p].each;
            if (t[n].kind == 'E') for (i = 0; i < plan[p].each; i++) r[next + i].event = CreateEventA( NULL, TRUE, FALSE, NULL );
            next += plan[p].each;
            threads[n] = CreateThread( NULL, 0, burst_thread, &t[n], 0, NULL );
        }
    begin = clock_ms();
    SetEvent( start );
    WaitForMultipleObjects( n, threads, TRUE, INFINITE );
    took = clock_ms() - begin;
    for (i = 0; i < BURST_TOTAL; i++)
    {
        if (burst_reply_ok( &r[i] )) good++;
        if (r[i].event) CloseHandle( r[i].event );
    }
    ok( good == BURST_TOTAL, "%s: %lu of %u came back\n", name, good, BURST_TOTAL );
    trace( "%s: %lu of %u in %lu ms\n", name, good, BURST_TOTAL, took );
    printf( "row: %s good=%lu\n", name, good );
    for (i = 0; i < n; i++) CloseHandle( threads[i] );
    CloseHandle( start );
    pIcmpCloseHandle( h );
    free( r );
}

static void burst_host( struct burst_req *r, int i )
{
    r->dst = HOST;
}

/* 198.18.10.1 ... 198.18.10.250, all the host's */
static void burst_sweep( struct burst_req *r, int i )
{
    r->dst = htonl( 0xc6120a01u + i % 250 );
}

static void test_burst_host( void )
{
    burst( "burst-one-host", pIcmpCreateFile(), burst_host );
}

static void test_burst_sweep( void )
{
    burst( "burst-250-hosts", pIcmpCreateFile(), burst_sweep );
}

/* BURST_TOTAL APC requests to the host back to back from this thread, with
 * a desktop's receive buffer (payloads from seed), each with Timeout
 * timeout (0: BURST_TIMEOUT); how many came back (the slowest call and how
 * long it all took in *stats, when given) */
static DWORD burst_from_one_thread( DWORD seed, DWORD timeout, struct burst_thread *stats )
{
    struct burst_req *r = calloc( BURST_TOTAL, sizeof(*r) );
    struct burst_thread t;
    DWORD good = 0, i;

    SetEnvironmentVariableA( "ICMP_ECHO_SO_RCVBUF", "212992" );
    memset( &t, 0, sizeof(t) );
    t.timeout = timeout;
    t.h = pIcmpCreateFile();
    t.start = CreateEventA( NULL, TRUE, TRUE, NULL );
    t.kind = 'A';
    t.reqs = r;
    t.count = BURST_TOTAL;
    for (i = 0; i < BURST_TOTAL; i++)
    {
        r[i].dst = HOST;
        fill_payload( r[i].data, BURST_SIZE, seed + i );
        memcpy( r[i].data, &i, sizeof(i) );
    }
    burst_thread( &t );
    for (i = 0; i < BURST_TOTAL; i++) good += burst_reply_ok( &r[i] );
    pIcmpCloseHandle( t.h );
    CloseHandle( t.start );
    free( r );
    if (stats) *stats = t;
    return good;
}

/* the measurement: 10,000 APC requests back to back from one thread */
static void test_burst_one_thread( void )
{
    DWORD good = burst_from_one_thread( 0, 0, NULL );

    ok( good == BURST_TOTAL, "%lu of %u came back\n", good, BURST_TOTAL );
    printf( "row: burst-one-thread good=%lu\n", good );
}

/* ---- many synchronous callers on one handle at once ----
 *
 * WinMTR's and cnping's pattern: a thread per target, all synchronous, on
 * one handle. Each round the threads start together (a barrier) and send
 * to hosts answering at once, after 5 ms and after 50 ms: whoever reads a
 * reply, its caller must return with it at once, never at its Timeout nor
 * after some housekeeping pass. On a busy machine too (one CPU-bound
 * thread, as `make bench`'s busy regime: no CPU is then to spare, and the
 * callers receive for each other; a hog on every CPU delays the 50 ms
 * responder itself by ~100 ms, whatever DLL is tested). */

#define SYNC_THREADS  8
#define SYNC_ROUNDS   300
#define SYNC_SLACK_MS 30

struct sync_barrier
{
    CRITICAL_SECTION cs;
    CONDITION_VARIABLE cv;
    int waiting, generation, count;
};

static void barrier_wait( struct sync_barrier *b )
{
    int gen;

    EnterCriticalSection( &b->cs );
    gen = b->generation;
    if (++b->waiting == b->count)
    {
        b->waiting = 0;
        b->generation++;
        WakeAllConditionVariable( &b->cv );
    }
    else while (gen == b->generation) SleepConditionVariableCS( &b->cv, &b->cs, INFINITE );
    LeaveCriticalSection( &b->cs );
}

struct sync_caller
{
    HANDLE h;
    struct sync_barrier *barrier;
    IPAddr dst;
    DWORD delay;
    int index;
    int failed, late;
    DWORD worst_ms;
};

static DWORD CALLBACK sync_caller_thread( void *arg )
{
    struct sync_caller *c = arg;
    BYTE data[32], buf[sizeof(ICMP_ECHO_REPLY) + 32 + 8];
    LARGE_INTEGER freq, t0, t1;
    int round;

    QueryPerformanceFrequency( &freq );
    fill_payload( data, sizeof(data), 7000 + c->index );
    for (round = 0; round < SYNC_ROUNDS; round++)
    {
        DWORD ret, ms;

        barrier_wait( c->barrier );
        QueryPerformanceCounter( &t0 );
        ret = pIcmpSendEcho( c->h, c->dst, data, sizeof(data), NULL, buf, sizeof(buf), 200 );
        QueryPerformanceCounter( &t1 );
        ms = (DWORD)((t1.QuadPart - t0.QuadPart) * 1000 / freq.QuadPart);
        if (ms > c->worst_ms) c->worst_ms = ms;
        if (ret != 1 || ((ICMP_ECHO_REPLY *)buf)->Status != IP_SUCCESS) c->failed++;
        else if (ms > c->delay + SYNC_SLACK_MS) c->late++;
    }
    return 0;
}

static LONG volatile hog_stop;

static DWORD CALLBACK hog_thread( void *arg )
{
    volatile unsigned long n = 0;
    while (!hog_stop) n++;
    return 0;
}

static void sync_threads( BOOL busy )
{
    static const DWORD delays[3] = { 0, 5, DELAY_MS };
    struct sync_caller c[SYNC_THREADS];
    struct sync_barrier barrier;
    HANDLE threads[SYNC_THREADS], hog = NULL;
    int i, failed = 0, late = 0;
    DWORD worst[3] = { 0 };
    HANDLE h = pIcmpCreateFile();

    InitializeCriticalSection( &barrier.cs );
    InitializeConditionVariable( &barrier.cv );
    barrier.waiting = barrier.generation = 0;
    barrier.count = SYNC_THREADS;
    hog_stop = 0;
    if (busy) hog = CreateThread( NULL, 0, hog_thread, NULL, 0, NULL );
    for (i = 0; i < SYNC_THREADS; i++)
    {
        memset( &c[i], 0, sizeof(c[i]) );
        c[i].h = h;
        c[i].barrier = &barrier;
        c[i].index = i;
        c[i].delay = delays[i % 3];
        c[i].dst = i % 3 == 0 ? HOST : i % 3 == 1 ? DELAYED5 : DELAYED;
        threads[i] = CreateThread( NULL, 0, sync_caller_thread, &c[i], 0, NULL );
    }
    WaitForMultipleObjects( SYNC_THREADS, threads, TRUE, INFINITE );
    hog_stop = 1;
    if (hog) WaitForSingleObject( hog, INFINITE ), CloseHandle( hog );
    for (i = 0; i < SYNC_THREADS; i++)
    {
        CloseHandle( threads[i] );
        failed += c[i].failed;
        late += c[i].late;
        if (c[i].worst_ms > worst[i % 3]) worst[i % 3] = c[i].worst_ms;
    }
    ok( !failed, "%d of %d synchronous echoes failed (Timeout 200 ms)\n", failed, SYNC_THREADS * SYNC_ROUNDS );
    ok( !late, "%d of %d synchronous echoes took more than their host's delay + %d ms\n", late,
        SYNC_THREADS * SYNC_ROUNDS, SYNC_SLACK_MS );
    trace( "%d threads x %d rounds%s: slowest call to the 0 / 5 / 50 ms hosts %lu / %lu / %lu ms\n", SYNC_THREADS,
           SYNC_ROUNDS, busy ? ", busy" : "", worst[0], worst[1], worst[2] );
    printf( "row: sync-threads%s failed=%d late=%d\n", busy ? "-busy" : "", failed, late );
    pIcmpCloseHandle( h );
    DeleteCriticalSection( &barrier.cs );
}

static void test_sync_threads( void )
{
    sync_threads( FALSE );
}

static void test_sync_threads_busy( void )
{
    sync_threads( TRUE );
}

/* ---- several processes at once ---- */

#define MULTI_PROCESSES 4
#define MULTI_TIMEOUT   20000   /* each request's: the four bursts share one budget, so the last are sent seconds after their call */
#define MULTI_CALL_MS   100     /* the longest a call may take to return (asynchronous: it never waits for room) */
static int multi_child;            /* --multi-child N:PID: one of the processes, for the test's process PID */
static DWORD multi_parent;
static const char *dll_path;       /* (the children load the same DLL) */

static void multi_names( DWORD parent, char *done, char *release )
{
    sprintf( done, "Local\\icmp-lab-multi-done-%lu", parent );
    sprintf( release, "Local\\icmp-lab-multi-release-%lu", parent );
}

/* the child: its burst, then it says so and waits for the parent to have
 * read the drop counts of every process's socket; exits with what it lost */
static int multi_child_burst( void )
{
    char done_name[64], release_name[64];
    HANDLE done, release;
    struct burst_thread stats;
    DWORD good;

    multi_names( multi_parent, done_name, release_name );
    done = OpenSemaphoreA( SEMAPHORE_MODIFY_STATE, FALSE, done_name );
    release = OpenEventA( SYNCHRONIZE, FALSE, release_name );
    good = burst_from_one_thread( multi_child << 24, MULTI_TIMEOUT, &stats );
    printf( "child %d: %lu of %u came back in %lu ms, slowest call %.2f ms\n", multi_child, good, BURST_TOTAL,
            stats.took_ms, stats.worst_call_ms );
    ReleaseSemaphore( done, 1, NULL );
    WaitForSingleObject( release, 120000 );
    return min( BURST_TOTAL - good, 250 ) + (stats.worst_call_ms > MULTI_CALL_MS ? 1000 : 0);
}

/* MULTI_PROCESSES processes each send a burst of 10,000 APC requests to
 * the host at once: every raw socket of the namespace gets every reply, so
 * each process's queue takes all of theirs; none may lose any, and no call
 * waits for room (what does not fit is queued by the engine: the bursts
 * take seconds, hence MULTI_TIMEOUT; a23494d's DLL made the calls wait
 * for room instead: each child's 10,000 calls took ~5 s). */
static void test_multi_process( void )
{
    char cmd[MAX_PATH * 2 + 64], self[MAX_PATH], done_name[64], release_name[64];
    PROCESS_INFORMATION pi[MULTI_PROCESSES];
    HANDLE done, release;
    STARTUPINFOA si;
    DWORD code, i, started = 0, finished = 0;
    long drops;

    if (multi_child)
    {
        ExitProcess( multi_child_burst() );
        return;
    }
    multi_names( GetCurrentProcessId(), done_name, release_name );
    done = CreateSemaphoreA( NULL, 0, MULTI_PROCESSES, done_name );
    release = CreateEventA( NULL, TRUE, FALSE, release_name );
    GetModuleFileNameA( NULL, self, sizeof(self) );
    memset( &si, 0, sizeof(si) );
    si.cb = sizeof(si);
    for (i = 0; i < MULTI_PROCESSES; i++)
    {
        snprintf( cmd, sizeof(cmd), "\"%s\" --dll \"%s\" %s --multi-child %lu:%lu multi_process", self, dll_path,
                  unpriv ? "--unpriv" : "", i + 1, GetCurrentProcessId() );
        if (CreateProcessA( NULL, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi[started] )) started++;
    }
    ok( started == MULTI_PROCESSES, "started %lu of %u processes\n", started, MULTI_PROCESSES );
    for (i = 0; i < started; i++) finished += WaitForSingleObject( done, 150000 ) == WAIT_OBJECT_0;
    drops = raw_drops( "Z:\\proc\\net\\raw" );   /* (every process's socket is still open) */
    SetEvent( release );
    for (i = 0; i < started; i++)
    {
        if (WaitForSingleObject( pi[i].hProcess, 30000 )) TerminateProcess( pi[i].hProcess, 255 );
        GetExitCodeProcess( pi[i].hProcess, &code );
        ok( code == 0, "process %lu lost %lu of its %u replies (250: that many or more)%s\n", i + 1, code % 1000,
            BURST_TOTAL, code >= 1000 ? ", and a call took more than MULTI_CALL_MS to return" : "" );
        CloseHandle( pi[i].hProcess );
        CloseHandle( pi[i].hThread );
    }
    ok( finished == started, "%lu of %lu processes finished their burst\n", finished, started );
    trace( "%lu processes: the kernel dropped %ld packets at the namespace's raw sockets\n", started, drops );
    printf( "row: multi-process finished=%lu drops=%ld\n", finished, drops );
    CloseHandle( done );
    CloseHandle( release );
}

/* ---- the shared flow budget against hostile, stopped and large participants ----
 *
 * The page the engines of a prefix share (dlls/iphlpapi/flow_budget.h:
 * "Local\icmp-echo-flow-2", a 64-byte header whose first word is the
 * layout, then 64 slots of 64 bytes, the owner's token first) is input:
 * garbage in it, a participant stopped with bytes held, a large request
 * among small ones must cost the others nothing but a bounded wait, never
 * a lost reply, and an asynchronous call returns at once whatever the
 * budget. Children of this program (--flow-child KIND:PARENT) burst or
 * hold bytes; a burst child's exit code says what went wrong. */

#define FLOW_LAYOUT_WORD  0x776f6c6600000002ll
#define FLOW_BOUND_MS     1000   /* the longest a request may wait for a stopped or stuck participant (FLOW_STALE_MS + slack) */
#define FLOW_CALL_MS      5      /* the longest an asynchronous call may take to return */
#define FLOW_AGAIN_MS     200    /* ... once the stopped participant is left out: only scheduling */
#define FLOW_FIT          150    /* a burst that fits a desktop's budget (150 x 1,224 of 319,488 bytes)... */
#define FLOW_HOLD         400    /* ... but not beside the holder, which fills the budget */

static int flow_child;              /* --flow-child KIND:PARENT: 'b' burst, 'h' hold */
static DWORD flow_parent;

struct flow_req
{
    BYTE data[BURST_SIZE];
    BYTE buf[sizeof(ICMP_ECHO_REPLY) + BURST_SIZE + 8];
    LARGE_INTEGER sent, done;
    LONG calls;
};

static void NTAPI flow_apc( void *context, IO_STATUS_BLOCK *iosb, ULONG reserved )
{
    struct flow_req *r = context;
    QueryPerformanceCounter( &r->done );
    InterlockedIncrement( &r->calls );
}

static void flow_names( DWORD parent, char *release, char *go )
{
    sprintf( release, "Local\\icmp-lab-flow-release-%lu", parent );
    sprintf( go, "Local\\icmp-lab-flow-go-%lu", parent );
}

/* A burst: n APC requests to dst back to back, each call timed, then an
 * alertable wait for their APCs (a request's wait: from its call to its
 * APC, less its round trip; the burst is short, so that its APCs run
 * within a few ms of their completion). What went wrong is in the exit
 * code: lost replies (at most 250), +1000 if a call took more than
 * call_ms, +2000 if a request waited more than wait_ms. */
struct burst_stats
{
    int lost, slow_calls;       /* slow_calls: over 1 ms */
    double worst_call, worst_wait;
};

/* one synchronous echo to the host, the first time */
static void flow_warm_up( HANDLE h )
{
    static BOOL done;
    BYTE buf[sizeof(ICMP_ECHO_REPLY) + 8 + 8];

    if (!done) pIcmpSendEcho( h, HOST, (void *)"warm-up", 8, NULL, buf, sizeof(buf), 1000 );
    done = TRUE;
}

static void flow_burst_round( IPAddr dst, int n, DWORD seed, struct burst_stats *st )
{
    struct flow_req *r = calloc( n, sizeof(*r) );
    HANDLE h = pIcmpCreateFile();
    LARGE_INTEGER freq, t0, t1;
    DWORD last;
    int i, done;

    QueryPerformanceFrequency( &freq );
    memset( st, 0, sizeof(*st) );
    /* (the process's first call starts the engine, a few ms: not a wait for room) */
    flow_warm_up( h );
    for (i = 0; i < n; i++)
    {
        fill_payload( r[i].data, BURST_SIZE, seed + i );
        QueryPerformanceCounter( &t0 );
        r[i].sent = t0;
        pIcmpSendEcho2( h, NULL, flow_apc, &r[i], dst, r[i].data, BURST_SIZE, NULL, r[i].buf, sizeof(r[i].buf), 10000 );
        QueryPerformanceCounter( &t1 );
        if ((t1.QuadPart - t0.QuadPart) * 1000.0 / freq.QuadPart > st->worst_call)
            st->worst_call = (t1.QuadPart - t0.QuadPart) * 1000.0 / freq.QuadPart;
        if ((t1.QuadPart - t0.QuadPart) * 1000 > freq.QuadPart) st->slow_calls++;
    }
    /* (every request ends within its Timeout of 10 s: one that has not 5 s
     * later is lost, and its buffer is left to the DLL that still owns it) */
    last = clock_ms();
    do
    {
        SleepEx( 5, TRUE );
        for (i = done = 0; i < n; i++) done += r[i].calls != 0;
    } while (done < n && clock_ms() - last < 15000);
    for (i = 0; i < n; i++)
    {
        const ICMP_ECHO_REPLY *reply = (const ICMP_ECHO_REPLY *)r[i].buf;
        double wait;

        if (!r[i].calls || reply->Status != IP_SUCCESS || reply->DataSize != BURST_SIZE ||
            memcmp( reply->Data, r[i].data, BURST_SIZE ))
        {
            st->lost++;
            continue;
        }
        wait = (r[i].done.QuadPart - r[i].sent.QuadPart) * 1000.0 / freq.QuadPart - reply->RoundTripTime;
        if (wait > st->worst_wait) st->worst_wait = wait;
    }
    pIcmpCloseHandle( h );
    if (done == n) free( r );
}

static int flow_burst( IPAddr dst, int n, DWORD seed, double call_ms, double wait_ms )
{
    struct burst_stats st;

    flow_burst_round( dst, n, seed, &st );
    printf( "flow child %lu: %d of %d answered, slowest call %.2f ms (%d over 1 ms), longest wait %.0f ms\n",
            GetCurrentProcessId(), n - st.lost, n, st.worst_call, st.slow_calls, st.worst_wait );
    return min( st.lost, 250 ) + (st.worst_call > call_ms ? 1000 : 0) + (st.worst_wait > wait_ms ? 2000 : 0);
}

/* beside a stopped participant: a first burst waits for it at most
 * FLOW_BOUND_MS, once; the next does not wait for it at all */
static int flow_burst_twice( void )
{
    char release_name[64], go_name[64];
    HANDLE go;
    int code;

    flow_names( flow_parent, release_name, go_name );
    if ((go = OpenEventA( SYNCHRONIZE, FALSE, go_name ))) WaitForSingleObject( go, 60000 );   /* (the holder is stopped now) */
    code = flow_burst( HOST, FLOW_FIT, GetCurrentProcessId() << 16, 1e9, FLOW_BOUND_MS );

    return code ? code : flow_burst( HOST, FLOW_FIT, (GetCurrentProcessId() << 16) + 1000, 1e9, FLOW_AGAIN_MS );
}

/* holds bytes: FLOW_HOLD requests to the 50 ms host outstanding, until released */
static int flow_hold( void )
{
    char release_name[64], go_name[64];
    struct flow_req r[FLOW_HOLD];
    HANDLE h = pIcmpCreateFile(), release;
    int i;

    flow_names( flow_parent, release_name, go_name );
    release = OpenEventA( SYNCHRONIZE, FALSE, release_name );
    memset( r, 0, sizeof(r) );
    while (WaitForSingleObjectEx( release, 0, TRUE ) != WAIT_OBJECT_0)
    {
        for (i = 0; i < FLOW_HOLD; i++)
            if (!r[i].sent.QuadPart || r[i].calls)
            {
                r[i].calls = 0;
                QueryPerformanceCounter( &r[i].sent );
                pIcmpSendEcho2( h, NULL, flow_apc, &r[i], DELAYED, r[i].data, BURST_SIZE, NULL, r[i].buf,
                                sizeof(r[i].buf), 2000 );
            }
        SleepEx( 5, TRUE );
    }
    pIcmpCloseHandle( h );
    return 0;
}

/* what a test's children may take in all: within the runner's limit of a
 * test process (TEST_TIMEOUT: 120 s, Wine's builtin 60 s), so that a DLL
 * whose children hang (the builtin loses requests) fails the test instead
 * of hanging it; ours take 2-12 s here (flow_stopped_10s: its 10 s stop) */
#define FLOW_CHILDREN_MS 40000
static DWORD flow_deadline;

static HANDLE flow_start_child( char kind )
{
    char cmd[MAX_PATH * 2 + 64], self[MAX_PATH];
    PROCESS_INFORMATION pi;
    STARTUPINFOA si;

    if (!flow_deadline) flow_deadline = clock_ms() + FLOW_CHILDREN_MS;

    GetModuleFileNameA( NULL, self, sizeof(self) );
    memset( &si, 0, sizeof(si) );
    si.cb = sizeof(si);
    snprintf( cmd, sizeof(cmd), "\"%s\" --dll \"%s\" %s --flow-child %c:%lu flow_garbage", self, dll_path,
              unpriv ? "--unpriv" : "", kind, GetCurrentProcessId() );
    if (!CreateProcessA( NULL, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi )) return NULL;
    CloseHandle( pi.hThread );
    return pi.hProcess;
}

static DWORD flow_wait_child( HANDLE process, const char *what )
{
    DWORD code = 99;
    LONG left = (LONG)(flow_deadline - clock_ms());

    if (WaitForSingleObject( process, max( left, 1000 ) )) TerminateProcess( process, 9999 );   /* (no exit code of a child) */
    GetExitCodeProcess( process, &code );
    CloseHandle( process );
    if (code == 9999) ok( 0, "%s: the child did not end in time (killed)\n", what );
    else ok( !code, "%s: exit code %lu (lost %lu%s%s)\n", what, code, code % 1000,
             code % 2000 >= 1000 ? ", an asynchronous call took more than 5 ms" : "",
             code >= 2000 ? ", a request waited beyond its bound" : "" );
    return code;
}

static int flow_large_child( void );

static volatile LONG garbage_stop;

/* writes random values over slots 40-63 of the page and its slot count, again and again */
static DWORD CALLBACK garbage_thread( void *arg )
{
    BYTE *page = arg;
    DWORD x = 12345, i;

    while (!garbage_stop)
    {
        for (i = 64 + 40 * 64; i < 64 + 64 * 64; i += 4)
        {
            x = x * 1103515245 + 12345;
            *(DWORD *)(page + i) = x;
        }
        *(LONG *)(page + 8) = (LONG)x;   /* slots_used */
        Sleep( 1 );
    }
    return 0;
}

/* Garbage over a part of the page (and over its count of slots), before
 * and during two processes' bursts of 10,000: nothing is lost. */
static void test_flow_garbage( void )
{
    HANDLE section, thread, children[2];
    BYTE *page;
    int i;

    if (flow_child)
    {
        switch (flow_child)
        {
        case 'h': ExitProcess( flow_hold() );
        /* (its own budget keeps it waiting: no bound on that) */
        case 'a': ExitProcess( flow_burst( DELAYED, 2000, GetCurrentProcessId() << 16, FLOW_CALL_MS, 1e9 ) );
        case 'l': ExitProcess( flow_large_child() );
        case 's': ExitProcess( flow_burst_twice() );
        default:  ExitProcess( flow_burst( HOST, BURST_TOTAL, GetCurrentProcessId() << 16, 1e9, 1e9 ) );
        }
        return;
    }
    section = CreateFileMappingW( INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 64 + 64 * 64, L"Local\\icmp-echo-flow-2" );
    page = section ? MapViewOfFile( section, FILE_MAP_WRITE, 0, 0, 64 + 64 * 64 ) : NULL;
    ok( page != NULL, "cannot map the page: %lu\n", GetLastError() );
    if (!page) return;
    InterlockedCompareExchange64( (LONGLONG *)page, FLOW_LAYOUT_WORD, 0 );   /* (as the first engine would) */
    SetEnvironmentVariableA( "ICMP_ECHO_SO_RCVBUF", "212992" );   /* (a desktop's budget: 319,488 bytes) */
    garbage_stop = 0;
    thread = CreateThread( NULL, 0, garbage_thread, page, 0, NULL );
    Sleep( 100 );
    for (i = 0; i < 2; i++) children[i] = flow_start_child( 'b' );
    for (i = 0; i < 2; i++) if (children[i]) flow_wait_child( children[i], "a burst beside garbage" );
    garbage_stop = 1;
    WaitForSingleObject( thread, INFINITE );
    CloseHandle( thread );
    memset( page + 64 + 40 * 64, 0, 24 * 64 );
    UnmapViewOfFile( page );
    CloseHandle( section );
}

/* A participant with bytes held, stopped (as by SIGSTOP or a debugger: every
 * thread suspended) for stop_ms while another sends two bursts that would
 * fit the budget beside it: the first waits for it at most FLOW_BOUND_MS
 * (FLOW_STALE_MS: it stops publishing), the second not at all. */
static void flow_stopped( DWORD stop_ms )
{
    NTSTATUS (WINAPI *pNtSuspendProcess)( HANDLE ) = (void *)GetProcAddress( GetModuleHandleA( "ntdll" ), "NtSuspendProcess" );
    NTSTATUS (WINAPI *pNtResumeProcess)( HANDLE ) = (void *)GetProcAddress( GetModuleHandleA( "ntdll" ), "NtResumeProcess" );
    char release_name[64], go_name[64];
    HANDLE release, go, holder, burster;

    if (!pNtSuspendProcess || !pNtResumeProcess)
    {
        skip( "no NtSuspendProcess\n" );
        return;
    }
    SetEnvironmentVariableA( "ICMP_ECHO_SO_RCVBUF", "212992" );   /* (a desktop's budget: 319,488 bytes) */
    flow_names( GetCurrentProcessId(), release_name, go_name );
    release = CreateEventA( NULL, TRUE, FALSE, release_name );
    go = CreateEventA( NULL, TRUE, FALSE, go_name );
    holder = flow_start_child( 'h' );
    burster = flow_start_child( 's' );
    Sleep( 1500 );   /* (both started; the holder holds bytes) */
    ok( !pNtSuspendProcess( holder ), "cannot stop the holder\n" );
    SetEvent( go );
    Sleep( stop_ms );
    pNtResumeProcess( holder );
    flow_wait_child( burster, "a burst beside a stopped participant" );
    SetEvent( release );
    flow_wait_child( holder, "the stopped participant" );
    CloseHandle( release );
    CloseHandle( go );
}

static void test_flow_stopped_1s( void )
{
    flow_stopped( 1000 );
}

static void test_flow_stopped_10s( void )
{
    flow_stopped( 10000 );
}

/* Asynchronous calls return at once with the budget full: a receive
 * buffer of 32 KiB holds about 20 replies, 2,000 requests to the 50 ms host. */
static void test_flow_async_return( void )
{
    SetEnvironmentVariableA( "ICMP_ECHO_SO_RCVBUF", "32768" );
    /* (a process of its own: the engine reads the variable when it starts) */
    if (!flow_child) flow_wait_child( flow_start_child( 'a' ), "2,000 asynchronous calls with the budget full" );
}

/* A 65,500-byte request among small ones, with a budget smaller than its
 * charge (sent alone) and a desktop's: it is answered, and the small ones
 * wait at most a round trip for it. */
static int flow_large_child( void )
{
    BYTE *data = malloc( 65500 ), *buf = malloc( 65500 + 256 );
    HANDLE event = CreateEventA( NULL, TRUE, FALSE, NULL ), h = pIcmpCreateFile();
    const ICMP_ECHO_REPLY *reply = (const ICMP_ECHO_REPLY *)buf;
    int code = 0, small;

    fill_payload( data, 65500, 99 );
    if (pIcmpSendEcho2( h, event, NULL, NULL, HOST, data, 65500, NULL, buf, 65500 + 256, 10000 ) ||
        GetLastError() != ERROR_IO_PENDING)
        code = 250;
    small = flow_burst( HOST, 2000, 7 << 16, 1e9, 1e9 );
    if (WaitForSingleObject( event, 10000 ) || reply->Status != IP_SUCCESS || reply->DataSize != 65500 ||
        memcmp( reply->Data, data, 65500 ))
        code = 250;
    printf( "flow child: the 65,500-byte request %s\n", code ? "failed" : "answered" );
    pIcmpCloseHandle( h );
    return code + small;
}

static void test_flow_large( void )
{
    if (!flow_child)
    {
        SetEnvironmentVariableA( "ICMP_ECHO_SO_RCVBUF", "65536" );   /* (a budget of 98,304: less than its charge) */
        flow_wait_child( flow_start_child( 'l' ), "a 65,500-byte request with a small budget" );
        SetEnvironmentVariableA( "ICMP_ECHO_SO_RCVBUF", "212992" );
        flow_wait_child( flow_start_child( 'l' ), "a 65,500-byte request with a desktop's budget" );
    }
}

/* ---- source selection on the two-address client ---- */

static void test_source_select( void )
{
    static const char *sources[] = { "198.18.0.2", "198.18.1.2" };
    BYTE data[32], *buf = alloc_reply( 256 );
    HANDLE h = pIcmpCreateFile();
    struct wire w;
    DWORD ret;
    size_t i;
    char what[64];

    for (i = 0; i < ARRAY_SIZE(sources); i++)
    {
        tag_payload( data, sizeof(data) );
        memset( buf, FILL, 256 );
        ret = echo( h, addr( sources[i] ), HOST, data, sizeof(data), 0, 0, 0, buf, 256, 2000 );
        ok( ret == 1, "from %s: returned %lu, error %lu\n", sources[i], ret, GetLastError() );
        if (ret) check_sync_echo( buf, HOST, data, sizeof(data) );
        sprintf( what, "source-%s", sources[i] );
        row( what, ret, last_err, buf );
        if (!need_capture()) continue;
        if (ok( find_on_wire( data, &w ), "from %s: the request is not in the capture\n", sources[i] ))
            todo_if( target_is_builtin && i ) /* it ignores SourceAddress: only the default source is right */
                ok( !strcmp( w.src, sources[i] ), "from %s: the host saw source %s\n", sources[i], w.src );
    }
    /* an address of the lab that is not the client's */
    memset( buf, FILL, 256 );
    ret = echo( h, HOST, HOST, data, sizeof(data), 0, 0, 0, buf, 256, 2000 );
    todo_builtin ok( !ret && GetLastError() == ERROR_INVALID_NETNAME, "non-local source: returned %lu, error %lu\n",
                     ret, GetLastError() );
    row( "source-not-local", ret, last_err, buf );
    pIcmpCloseHandle( h );
    free( buf );
}

/* ---- any number of source addresses over a process's life ---- */

/* the i-th of the lab's 1,000 extra client addresses, 198.18.64.1 and on */
static IPAddr extra_source( unsigned int i )
{
    return htonl( 0xc6124000u + i + 1 );
}

/* One echo from each of 1,000 sources, one after another, each answered
 * (Windows sets no limit on distinct SourceAddress values), then from the
 * first again, after the engine may have closed its socket. */
static void test_many_sources( void )
{
    BYTE data[16], *buf = alloc_reply( 64 );
    HANDLE h = pIcmpCreateFile();
    unsigned int i, n = 1000, good = 0, first_bad = 0;
    DWORD ret, start = clock_ms(), bad_err = 0;

    tag_payload( data, sizeof(data) );
    for (i = 0; i <= n; i++)
    {
        IPAddr src = extra_source( i % n );
        ret = echo( h, src, HOST, data, sizeof(data), 0, 0, 0, buf, 64, 2000 );
        if (ret == 1 && ((ICMP_ECHO_REPLY *)buf)->Status == IP_SUCCESS && ((ICMP_ECHO_REPLY *)buf)->Address == HOST)
            good++;
        else if (!first_bad)
        {
            first_bad = i + 1;
            bad_err = last_err;
        }
    }
    ok( good == n + 1, "%u of %u echoes from distinct sources (and the first again) answered; the first that was "
        "not: #%u (error %lu)\n", good, n + 1, first_bad, bad_err );
    trace( "%u sources: %u answered in %lu ms\n", n + 1, good, clock_ms() - start );
    printf( "row: many-sources good=%u\n", good );
    pIcmpCloseHandle( h );
    free( buf );
}

/* ---- options on the wire, and the reply's options ---- */

/* the system's default for an integer socket option: a new UDP socket's
 * (IP_TTL: what Ttl 0 asks for; IPV6_UNICAST_HOPS: the hop limit without options) */
static DWORD socket_default( int family, int level, int name )
{
    SOCKET s = socket( family, SOCK_DGRAM, IPPROTO_UDP );
    DWORD value = 0;
    int len = sizeof(value);

    getsockopt( s, level, name, (char *)&value, &len );
    closesocket( s );
    return value;
}

static DWORD default_ttl( void )
{
    return socket_default( AF_INET, IPPROTO_IP, IP_TTL );
}

static DWORD default_hop_limit( void )
{
    return socket_default( AF_INET6, IPPROTO_IPV6, IPV6_UNICAST_HOPS );
}

/* Sends an echo to the host with an IP option (size bytes at option) and
 * checks it went on the wire as the capture's hex text `wire` begins. Returns
 * the reply's options when the reply has them as expected (reply_size
 * bytes right after the struct), else NULL; through a ping socket, whose IP
 * header Wine makes up, the reply must have none. */
static const BYTE *echo_with_option( HANDLE h, const char *what, BYTE *option, BYTE size, const char *wire,
                                     BYTE reply_size, BYTE *buf )
{
    ICMP_ECHO_REPLY *r = (ICMP_ECHO_REPLY *)buf;
    IP_OPTION_INFORMATION opts;
    BYTE data[32];
    struct wire w;
    DWORD ret;

    tag_payload( data, sizeof(data) );
    memset( buf, FILL, 512 );
    memset( &opts, 0, sizeof(opts) );
    opts.OptionsData = option;
    opts.OptionsSize = size;
    ret = pIcmpSendEcho2Ex( h, NULL, NULL, NULL, 0, HOST, data, sizeof(data), &opts, buf, 512, 2000 );
    last_err = GetLastError();
    row( what, ret, last_err, buf );
    ok( ret == 1, "%s: returned %lu, error %lu\n", what, ret, last_err );
    if (ok( find_on_wire( data, &w ), "%s: not captured\n", what ))
        todo_builtin ok( !strncmp( w.opts, wire, strlen( wire ) ), "%s: arrived as %s, expected %s...\n", what,
                         w.opts, wire );
    if (ret != 1) return NULL;
    check_sync_echo( buf, HOST, data, sizeof(data) );
    if (unpriv)
    {
        ok( r->Options.OptionsSize == 0, "%s: ping socket: reply OptionsSize %u\n", what, r->Options.OptionsSize );
        return NULL;
    }
    todo_builtin ok( r->Options.OptionsSize == reply_size, "%s: reply OptionsSize %u, expected %u\n", what,
                     r->Options.OptionsSize, reply_size );
    ok( r->Options.OptionsData == buf + REPLY_SIZE, "%s: reply OptionsData %p, buffer %p\n", what,
        r->Options.OptionsData, buf );
    if (r->Options.OptionsSize != reply_size || r->Options.OptionsData != buf + REPLY_SIZE) return NULL;
    return r->Options.OptionsData;
}

static void test_wire_options( void )
{
    /* record route with room for 9 addresses; timestamp with room for 8 */
    BYTE rr[40] = { 7, 39, 4 }, ts[40] = { 68, 36, 5, 0 };
    BYTE data[32], *buf = alloc_reply( 512 );
    ICMP_ECHO_REPLY *r = (ICMP_ECHO_REPLY *)buf;
    HANDLE h = pIcmpCreateFile();
    const BYTE *o;
    struct wire w;
    DWORD ret;

    if (!need_capture()) goto done;
    /* TTL: two routers on the way */
    tag_payload( data, sizeof(data) );
    ret = echo( h, 0, HOST, data, sizeof(data), 100, 0, 0, buf, 512, 2000 );
    ok( ret == 1, "ttl 100: returned %lu, error %lu\n", ret, GetLastError() );
    if (ok( find_on_wire( data, &w ), "ttl 100: not captured\n" ))
    {
        ok( w.ttl == 98, "ttl 100: arrived with TTL %u, expected 98\n", w.ttl );
        todo_builtin ok( w.df == 0, "no DF asked: arrived with DF\n" );
        ok( !strcmp( w.opts, "-" ), "no options asked: arrived with %s\n", w.opts );
    }
    /* the host's reply came back over the same two routers */
    ok( r->Options.Ttl == 62, "reply TTL %u, expected 62\n", r->Options.Ttl );
    row( "options-ttl-100", ret, last_err, buf );

    /* TOS and DF */
    tag_payload( data, sizeof(data) );
    memset( buf, FILL, 512 );
    ret = echo( h, 0, HOST, data, sizeof(data), 0, 0x28, IP_FLAG_DF, buf, 512, 2000 );
    ok( ret == 1, "tos/df: returned %lu, error %lu\n", ret, GetLastError() );
    if (ok( find_on_wire( data, &w ), "tos/df: not captured\n" ))
    {
        ok( w.tos == 0x28, "arrived with TOS %#x, expected 0x28\n", w.tos );
        ok( w.df == 1, "DF asked: arrived without\n" );
        ok( w.ttl == default_ttl() - 2, "default TTL: arrived with %u, expected %lu - 2\n", w.ttl, default_ttl() );
    }
    row( "options-tos-df", ret, last_err, buf );

    /* record route: each router adds its address, both ways; out: the
     * client, router1, router2, the host receiving; back: the host sending,
     * router2, router1, the client receiving */
    if ((o = echo_with_option( h, "options-record-route", rr, sizeof(rr),
                               "0727" "14" "c6120002" "c6120201" "c6120301" "c6120302", 40, buf )))
    {
        static const BYTE expect[] = { 7, 39, 36, 198, 18, 0, 2, 198, 18, 2, 1, 198, 18, 3, 1, 198, 18, 3, 2,
                                       198, 18, 3, 2, 198, 18, 2, 2, 198, 18, 0, 1, 198, 18, 0, 2 };
        ok( !memcmp( o, expect, sizeof(expect) ), "reply record route %u %u %u: %u.%u.%u.%u %u.%u.%u.%u "
            "%u.%u.%u.%u %u.%u.%u.%u %u.%u.%u.%u %u.%u.%u.%u %u.%u.%u.%u %u.%u.%u.%u\n", o[0], o[1], o[2],
            o[3], o[4], o[5], o[6], o[7], o[8], o[9], o[10], o[11], o[12], o[13], o[14], o[15], o[16], o[17],
            o[18], o[19], o[20], o[21], o[22], o[23], o[24], o[25], o[26], o[27], o[28], o[29], o[30], o[31],
            o[32], o[33], o[34] );
    }
    /* timestamp: 36 option bytes in the header (the option itself, no
     * padding), every one of its 8 slots stamped on the way */
    if ((o = echo_with_option( h, "options-timestamp", ts, sizeof(ts), "4424", 36, buf )))
        ok( o[0] == 68 && o[1] == 36 && o[2] == 37, "reply timestamp option %u, length %u, pointer %u: expected "
            "68, 36 and all 8 slots stamped (5 + 8 * 4)\n", o[0], o[1], o[2] );
done:
    pIcmpCloseHandle( h );
    free( buf );
}

/* ---- callers of BEHAVIOR.md (icmp_callers.h), in the lab ---- */

/* a router's TTL-expired answer, or what a ping socket makes of it */
static void expect_router( struct caller_case *c, IPAddr router )
{
    c->status = error_status( IP_TTL_EXPIRED_TRANSIT );
    c->from = unpriv ? 0 : router;
}

/* WinMTR: one thread per hop; hops 1 and 2 are the routers, 3 and 4 the host */
static void test_caller_winmtr( void )
{
    struct caller_case hops[] =
    {
        { "winmtr-hop-1", HOST, 1, 2000, 0, 0 },
        { "winmtr-hop-2", HOST, 2, 2000, 0, 0 },
        { "winmtr-hop-3", HOST, 3, 2000, IP_SUCCESS, HOST },
        { "winmtr-hop-4", HOST, 4, 2000, IP_SUCCESS, HOST },
    };

    expect_router( &hops[0], ROUTER1 );
    expect_router( &hops[1], ROUTER2 );
    caller_winmtr( hops, ARRAY_SIZE(hops), 5 );
}

/* .NET Ping: a reply, a router's error, a silent host, the 50 ms path */
static void test_caller_dotnet( void )
{
    struct caller_case cases[] =
    {
        { "dotnet-host", HOST, 128, 2000, IP_SUCCESS, HOST },
        { "dotnet-ttl-1", HOST, 1, 2000, 0, 0 },
        { "dotnet-silent", SILENT, 128, 1000, IP_REQ_TIMED_OUT, 0 },
        { "dotnet-delay", DELAYED, 128, 2000, IP_SUCCESS, DELAYED },
    };
    DWORD size = 0xffff + 256, i;
    BYTE *buf = malloc( size );
    HANDLE h = pIcmpCreateFile();

    expect_router( &cases[1], ROUTER1 );
    for (i = 0; i < ARRAY_SIZE(cases); i++)
    {
        caller_dotnet( h, &cases[i], buf, size );
        row( cases[i].name, 1, 0, buf );
    }
    pIcmpCloseHandle( h );
    free( buf );
}

/* ---- hostile packets (labtool inject on SILENT) ---- */

enum { HOSTILE_EACH = 10, HOSTILE_SIZE = 48, HOSTILE_BUF = 200, CANARY = 64 };

struct hostile_req
{
    char mode;                  /* S: forgeries only, A: then the answer, E: then a genuine error */
    HANDLE event;
    BYTE data[HOSTILE_SIZE];
    BYTE buf[HOSTILE_BUF + CANARY];
};

/* A hostile request's result, read for either family. */
struct hostile_result
{
    DWORD status;
    BOOL from_silent, from_nobody;   /* Address is the attacked host, or 0 / :: */
    BOOL data_ok;                    /* the request's own data, where the family puts it */
    WORD data_size;                  /* IPv4's DataSize (IPv6 has none: 0) */
    const char *from;
};

static void hostile_result( BOOL v6, const struct hostile_req *q, struct hostile_result *res );

/* 30 requests to the injector's address (10 per mode) pending while the
 * host is echoed; v6: the same over IPv6 (labtool inject on SILENT6) */
static void hostile( BOOL v6 )
{
    static const char modes[] = "SAE";
    struct sockaddr_in6 silent6 = addr6( SILENT6 );
    struct hostile_req *reqs = calloc( 3 * HOSTILE_EACH, sizeof(*reqs) );
    HANDLE h = v6 ? open6() : pIcmpCreateFile();
    BYTE data[HOSTILE_SIZE], buf[HOSTILE_BUF];
    DWORD ret, i, good[3] = { 0 }, pending = 0, host_ok = 0, clean = 0;
    const char *prefix = v6 ? "v6-" : "";
    char what[64];

    if (!h) goto done;
    for (i = 0; i < 3 * HOSTILE_EACH; i++)
    {
        struct hostile_req *q = &reqs[i];
        q->mode = modes[i % 3];
        fill_payload( q->data, HOSTILE_SIZE, (BYTE)(i + (v6 ? 100 : 0)) );
        memcpy( q->data, "HOSTILE", 7 );
        q->data[7] = (BYTE)q->mode;
        memset( q->buf, FILL, sizeof(q->buf) );
        q->event = CreateEventA( NULL, TRUE, FALSE, NULL );
        if (v6)
            ret = pIcmp6SendEcho2( h, q->event, NULL, NULL, NULL, &silent6, q->data, HOSTILE_SIZE, NULL, q->buf,
                                   HOSTILE_BUF, 1500 );
        else
            ret = pIcmpSendEcho2( h, q->event, NULL, NULL, SILENT, q->data, HOSTILE_SIZE, NULL, q->buf, HOSTILE_BUF,
                                  1500 );
        if (!ret && GetLastError() == ERROR_IO_PENDING) pending++;
    }
    ok( pending == 3 * HOSTILE_EACH, "%lu of %u pending\n", pending, 3 * HOSTILE_EACH );
    /* real traffic beside the attack */
    fill_payload( data, sizeof(data), 99 );
    for (i = 0; i < 10; i++)
    {
        if (v6) ret = echo6( h, NULL, HOST6, data, sizeof(data), 0, buf, sizeof(buf), 2000 ) == 1 &&
                      reply6_status( buf ) == IP_SUCCESS && !memcmp( buf + REPLY6_SIZE, data, sizeof(data) );
        else ret = echo( h, 0, HOST, data, sizeof(data), 0, 0, 0, buf, sizeof(buf), 2000 ) == 1 &&
                   ((ICMP_ECHO_REPLY *)buf)->Status == IP_SUCCESS &&
                   !memcmp( ((ICMP_ECHO_REPLY *)buf)->Data, data, sizeof(data) );
        host_ok += ret;
    }
    ok( host_ok == 10, "%lu of 10 echoes to the host during the attack\n", host_ok );

    for (i = 0; i < 3 * HOSTILE_EACH; i++)
    {
        struct hostile_req *q = &reqs[i];
        struct hostile_result r;
        size_t produced = v6 ? REPLY6_SIZE : REPLY_SIZE;
        int m = q->mode == 'S' ? 0 : q->mode == 'A' ? 1 : 2;

        ok( WaitForSingleObject( q->event, 10000 ) == WAIT_OBJECT_0, "request %lu never completed\n", i );
        hostile_result( v6, q, &r );
        if (m == 0)
        {
            if (r.status == IP_REQ_TIMED_OUT && r.from_nobody && !r.data_size &&
                (v6 || !((ICMP_ECHO_REPLY *)q->buf)->Reserved))
                good[0]++;
            else todo_builtin ok( 0, "forgeries only: request %lu completed with Status %lu from %s, DataSize %u\n", i,
                                  r.status, r.from, r.data_size );
        }
        else if (m == 1)
        {
            if (r.status == IP_SUCCESS && r.from_silent && r.data_ok) good[1]++;
            else todo_builtin ok( 0, "answered: request %lu got Status %lu from %s, DataSize %u\n", i, r.status,
                                  r.from, r.data_size );
            produced += HOSTILE_SIZE;
        }
        else
        {
            if (r.status == error_status( v6 ? IP_HOP_LIMIT_EXCEEDED : IP_TTL_EXPIRED_TRANSIT ) &&
                (unpriv ? r.from_nobody : r.from_silent) && !r.data_size)
                good[2]++;
            else flaky_builtin ok( 0, "genuine error: request %lu got Status %lu from %s\n", i, r.status, r.from );
        }
        /* nothing written past what the result needs, and never past ReplySize */
        if (touched( q->buf, produced, sizeof(q->buf) ) == -1) clean++;
        if (i < 3)
        {
            sprintf( what, "%shostile-%s", prefix, m == 0 ? "forgeries-only" : m == 1 ? "then-answer" : "then-error" );
            if (v6) row6( what, 1, 0, q->buf );
            else row( what, 1, 0, q->buf );
        }
        CloseHandle( q->event );
    }
    /* Wine's builtin takes a forged reply from the wrong source for the answer */
    todo_builtin
    {
        ok( good[0] == HOSTILE_EACH, "%lu of %u forgery-only requests timed out untouched\n", good[0], HOSTILE_EACH );
        ok( good[1] == HOSTILE_EACH, "%lu of %u answered requests got the genuine reply\n", good[1], HOSTILE_EACH );
    }
    /* (the builtin's forged answers sometimes beat the genuine error and write data) */
    flaky_builtin
    {
        ok( good[2] == HOSTILE_EACH, "%lu of %u requests got the genuine error\n", good[2], HOSTILE_EACH );
        ok( clean == 3 * HOSTILE_EACH, "%lu of %u buffers clean past the result\n", clean, 3 * HOSTILE_EACH );
    }
    printf( "row: %shostile-summary timed_out=%lu answered=%lu errors=%lu clean=%lu host=%lu\n", prefix, good[0],
            good[1], good[2], clean, host_ok );
    pIcmpCloseHandle( h );
done:
    free( reqs );
}

static void test_hostile( void )
{
    hostile( FALSE );
}

/* ==== IPv6 scenarios (the v6_* tests; helpers above) ==== */

/* ---- hop limit exceeded at each router ---- */

static void test_v6_hop_limit( void )
{
    static const struct { UCHAR hlim; const char *hop; } hops[] = { { 1, ROUTER1_6 }, { 2, ROUTER2_6 } };
    BYTE data[32], *buf = alloc_reply( 256 );
    HANDLE h = open6(), event = CreateEventA( NULL, TRUE, FALSE, NULL );
    struct sockaddr_in6 host = addr6( HOST6 );
    IP_OPTION_INFORMATION opts;
    struct apc_record rec;
    DWORD ret, i;
    char what[64];

    if (!h) goto done;
    fill_payload( data, sizeof(data), 61 );
    for (i = 0; i < ARRAY_SIZE(hops); i++)
    {
        memset( buf, FILL, 256 );
        ret = echo6( h, NULL, HOST6, data, sizeof(data), hops[i].hlim, buf, 256, 2000 );
        sprintf( what, "v6-hop-limit-%u-sync", hops[i].hlim );
        check_error6( what, ret, buf, IP_HOP_LIMIT_EXCEEDED, hops[i].hop, 1000 );
        row6( what, ret, last_err, buf );
    }
    memset( buf, FILL, 256 );
    ret = echo6( h, NULL, HOST6, data, sizeof(data), 3, buf, 256, 2000 );
    check_echo6_lab( "hop limit 3", ret, buf, HOST6, data, sizeof(data) );
    row6( "v6-hop-limit-3-sync", ret, last_err, buf );

    /* event */
    memset( &opts, 0, sizeof(opts) );
    opts.Ttl = 1;
    memset( buf, FILL, 256 );
    ret = pIcmp6SendEcho2( h, event, NULL, NULL, NULL, &host, data, sizeof(data), &opts, buf, 256, 2000 );
    ok( !ret && GetLastError() == ERROR_IO_PENDING, "event: returned %lu, error %lu\n", ret, GetLastError() );
    ok( WaitForSingleObject( event, 5000 ) == WAIT_OBJECT_0, "event not signalled\n" );
    ret = parse6( buf, 256 );
    ok( !ret && last_err == error_status( IP_HOP_LIMIT_EXCEEDED ), "event: parse: %lu, error %lu\n", ret, last_err );
    row6( "v6-hop-limit-1-event", ret, last_err, buf );

    /* APC: Information is the struct alone */
    memset( &rec, 0, sizeof(rec) );
    memset( buf, FILL, 256 );
    opts.Ttl = 2;
    ret = pIcmp6SendEcho2( h, NULL, record_apc, &rec, NULL, &host, data, sizeof(data), &opts, buf, 256, 2000 );
    ok( !ret && GetLastError() == ERROR_IO_PENDING, "apc: returned %lu, error %lu\n", ret, GetLastError() );
    for (i = 0; i < 50 && !rec.calls; i++) SleepEx( 100, TRUE );
    ok( rec.calls == 1 && rec.status == 0 && rec.information == REPLY6_SIZE, "APC: %ld calls, iosb %#lx %Iu\n",
        rec.calls, rec.status, rec.information );
    ok( reply6_status( buf ) == error_status( IP_HOP_LIMIT_EXCEEDED ), "apc: Status %lu\n", reply6_status( buf ) );
    row6( "v6-hop-limit-2-apc", parse6( buf, 256 ), last_err, buf );
    pIcmpCloseHandle( h );
done:
    CloseHandle( event );
    free( buf );
}

/* ---- every destination unreachable the lab makes ---- */

static void test_v6_unreachables( void )
{
    static const struct { const char *dst, *from, *name; DWORD status, timeout; } cases[] =
    {
        { "fd00:3::4",  "fd00:3::4", "v6-host-reject-no-route",         IP_DEST_NO_ROUTE,         2000 },
        { "fd00:3::5",  "fd00:3::5", "v6-host-reject-adm-prohibited",   IP_DEST_PROHIBITED,       2000 },
        { "fd00:3::6",  "fd00:3::6", "v6-host-reject-addr-unreachable", IP_DEST_ADDR_UNREACHABLE, 2000 },
        { "fd00:3::7",  "fd00:3::7", "v6-host-reject-port-unreachable", IP_DEST_PORT_UNREACHABLE, 2000 },
        { "fd00:3::8",  "fd00:3::8", "v6-host-reject-policy-fail",      IP_ICMP_ERROR,            2000 },
        { "fd00:3::9",  "fd00:3::9", "v6-host-reject-reject-route",     IP_DEST_UNREACHABLE,      2000 },
        { "fd00:6::1",  ROUTER2_6,   "v6-router-addr-unreachable",      IP_DEST_ADDR_UNREACHABLE, 2000 },
        { "fd00:7::1",  ROUTER2_6,   "v6-router-adm-prohibited",        IP_DEST_PROHIBITED,       2000 },
        { "fd00:9::1",  ROUTER2_6,   "v6-router-no-route",              IP_DEST_NO_ROUTE,         2000 },
        { "fd00:3::99", ROUTER2_6,   "v6-router-neighbour-fails",       IP_DEST_ADDR_UNREACHABLE, 6000 },
    };
    BYTE data[32], *buf = alloc_reply( 256 );
    HANDLE h = open6();
    DWORD ret;
    size_t i;

    if (!h) goto done;
    fill_payload( data, sizeof(data), 62 );
    for (i = 0; i < ARRAY_SIZE(cases); i++)
    {
        memset( buf, FILL, 256 );
        /* (router2 tries neighbour discovery for ~3 s before giving up on fd00:3::99) */
        ret = echo6( h, NULL, cases[i].dst, data, sizeof(data), 0, buf, 256, cases[i].timeout );
        check_error6( cases[i].name, ret, buf, cases[i].status, cases[i].from, cases[i].timeout );
        row6( cases[i].name, ret, last_err, buf );
    }
    pIcmpCloseHandle( h );
done:
    free( buf );
}

/* ---- the 1280-byte MTU link: packet too big, then fragmented by the client ---- */

static void test_v6_packet_too_big( void )
{
    static const WORD later[] = { 1300, 3000, 8000 };
    BYTE *data = malloc( 8000 ), *buf = alloc_reply( 9000 );
    HANDLE h = open6();
    char what[64];
    DWORD ret, i;

    if (!h) goto done;
    fill_payload( data, 8000, 63 );
    memset( buf, FILL, 9000 );
    ret = echo6( h, NULL, FAR6, data, 1100, 0, buf, 9000, 3000 );
    check_echo6_lab( "1100 bytes", ret, buf, FAR6, data, 1100 );
    row6( "v6-size-1100", ret, last_err, buf );

    /* 1300 bytes do not fit the far link: router2 answers packet too big
     * (through a ping socket the kernel keeps the error: a timeout) */
    memset( buf, FILL, 9000 );
    ret = echo6( h, NULL, FAR6, data, 1300, 0, buf, 9000, 3000 );
    check_error6( "1300 bytes, first", ret, buf, IP_PACKET_TOO_BIG, ROUTER2_6, 1000 );
    row6( "v6-size-1300-first", ret, last_err, buf );

    /* the client's kernel learnt the path MTU from it (whatever the socket)
     * and fragments from now on: data intact */
    for (i = 0; i < ARRAY_SIZE(later); i++)
    {
        memset( buf, FILL, 9000 );
        ret = echo6( h, NULL, FAR6, data, later[i], 0, buf, 9000, 3000 );
        sprintf( what, "v6-size-%u-after", later[i] );
        check_echo6_lab( what, ret, buf, FAR6, data, later[i] );
        ok( touched( buf, REPLY6_SIZE + later[i], 9000 ) == -1, "%s: written past the data\n", what );
        row6( what, ret, last_err, buf );
    }
    pIcmpCloseHandle( h );
done:
    free( data );
    free( buf );
}

/* ---- silent host and black hole ---- */

static void test_v6_silent_timeouts( void )
{
    static const DWORD timeouts[] = { 100, 500, 1000 };
    struct sockaddr_in6 silent = addr6( SILENT6 );
    BYTE data[32], *buf = alloc_reply( 256 );
    HANDLE h = open6(), event = CreateEventA( NULL, TRUE, FALSE, NULL );
    struct apc_record rec;
    DWORD ret, start, elapsed, i;
    char what[64];

    if (!h) goto done;
    fill_payload( data, sizeof(data), 64 );
    for (i = 0; i < ARRAY_SIZE(timeouts); i++)
    {
        memset( buf, FILL, 256 );
        start = clock_ms();
        ret = echo6( h, NULL, SILENT6, data, sizeof(data), 0, buf, 256, timeouts[i] );
        elapsed = clock_ms() - start;
        ok( !ret && last_err == IP_REQ_TIMED_OUT, "silent %lu ms: returned %lu, error %lu\n", timeouts[i], ret,
            last_err );
        ok( elapsed + 20 >= timeouts[i] && elapsed < timeouts[i] + 1500, "silent %lu ms: took %lu ms\n", timeouts[i],
            elapsed );
        check_failure6( buf, IP_REQ_TIMED_OUT, 256 );
        sprintf( what, "v6-silent-%lu-sync", timeouts[i] );
        row6( what, ret, last_err, buf );
    }
    memset( buf, FILL, 256 );
    ret = echo6( h, NULL, BLACKHOLE6, data, sizeof(data), 0, buf, 256, 500 );
    ok( !ret && last_err == IP_REQ_TIMED_OUT, "blackhole: returned %lu, error %lu\n", ret, last_err );
    check_failure6( buf, IP_REQ_TIMED_OUT, 256 );
    row6( "v6-blackhole-500-sync", ret, last_err, buf );

    memset( buf, FILL, 256 );
    ret = pIcmp6SendEcho2( h, event, NULL, NULL, NULL, &silent, data, sizeof(data), NULL, buf, 256, 500 );
    ok( !ret && GetLastError() == ERROR_IO_PENDING, "event: returned %lu, error %lu\n", ret, GetLastError() );
    ok( WaitForSingleObject( event, 5000 ) == WAIT_OBJECT_0, "event not signalled\n" );
    check_failure6( buf, IP_REQ_TIMED_OUT, 256 );
    row6( "v6-silent-500-event", parse6( buf, 256 ), last_err, buf );

    memset( &rec, 0, sizeof(rec) );
    memset( buf, FILL, 256 );
    ret = pIcmp6SendEcho2( h, NULL, record_apc, &rec, NULL, &silent, data, sizeof(data), NULL, buf, 256, 500 );
    ok( !ret && GetLastError() == ERROR_IO_PENDING, "apc: returned %lu, error %lu\n", ret, GetLastError() );
    for (i = 0; i < 50 && !rec.calls; i++) SleepEx( 100, TRUE );
    ok( rec.calls == 1 && rec.status == 0 && rec.information == REPLY6_SIZE, "APC: %ld calls, iosb %#lx %Iu\n",
        rec.calls, rec.status, rec.information );
    check_failure6( buf, IP_REQ_TIMED_OUT, 256 );
    row6( "v6-silent-500-apc", parse6( buf, 256 ), last_err, buf );
    pIcmpCloseHandle( h );
done:
    CloseHandle( event );
    free( buf );
}

/* ---- the 50 ms path; many requests in flight on it ---- */

static void test_v6_delay( void )
{
    BYTE data[32], *buf = alloc_reply( 256 );
    HANDLE h = open6();
    DWORD ret, i, min_rtt = ~0u, max_rtt = 0;

    if (!h) goto done;
    fill_payload( data, sizeof(data), 65 );
    for (i = 0; i < 5; i++)
    {
        memset( buf, FILL, 256 );
        ret = echo6( h, NULL, DELAYED6, data, sizeof(data), 0, buf, 256, 2000 );
        check_echo6_lab( "delayed", ret, buf, DELAYED6, data, sizeof(data) );
        if (!ret) continue;
        min_rtt = min( min_rtt, reply6_rtt( buf ) );
        max_rtt = max( max_rtt, reply6_rtt( buf ) );
    }
    ok( min_rtt >= DELAY_MS && min_rtt <= DELAY_MS + 2, "RoundTripTime: fastest %lu ms, expected 50-52\n", min_rtt );
    ok( max_rtt >= DELAY_MS && max_rtt < DELAY_MS + 500, "RoundTripTime: slowest %lu ms\n", max_rtt );
    row6( "v6-delay-50-sync", ret, last_err, buf );

    memset( buf, FILL, 256 );
    ret = echo6( h, NULL, DELAYED6, data, sizeof(data), 0, buf, 256, 20 );
    ok( !ret && last_err == IP_REQ_TIMED_OUT, "timeout 20: returned %lu, error %lu\n", ret, last_err );
    check_failure6( buf, IP_REQ_TIMED_OUT, 256 );
    row6( "v6-delay-50-timeout-20", ret, last_err, buf );
    Sleep( 100 );   /* the late reply arrives while nothing waits for it */
    memset( buf, FILL, 256 );
    ret = echo6( h, NULL, HOST6, data, sizeof(data), 0, buf, 256, 2000 );
    check_echo6_lab( "after a late reply", ret, buf, HOST6, data, sizeof(data) );
    pIcmpCloseHandle( h );
done:
    free( buf );
}

static void test_v6_many_outstanding( void )
{
    enum { N = 200, SIZE = 24, BUF = REPLY6_SIZE + SIZE };
    struct sockaddr_in6 delayed = addr6( DELAYED6 );
    HANDLE h = open6(), *events = calloc( N, sizeof(HANDLE) );
    BYTE *data = malloc( N * SIZE ), *bufs = malloc( N * BUF );
    DWORD ret, i, pending = 0, good = 0;

    if (!h) goto done;
    for (i = 0; i < N; i++)
    {
        fill_payload( data + i * SIZE, SIZE, (BYTE)(i * 5) );
        memcpy( data + i * SIZE, &i, sizeof(i) );
        events[i] = CreateEventA( NULL, TRUE, FALSE, NULL );
        ret = pIcmp6SendEcho2( h, events[i], NULL, NULL, NULL, &delayed, data + i * SIZE, SIZE, NULL, bufs + i * BUF,
                               BUF, 3000 );
        if (!ret && GetLastError() == ERROR_IO_PENDING) pending++;
    }
    ok( pending == N, "%lu of %u pending\n", pending, N );
    for (i = 0; i < N; i++)
    {
        BYTE *b = bufs + i * BUF;
        if (WaitForSingleObject( events[i], 10000 ) == WAIT_OBJECT_0 && reply6_status( b ) == IP_SUCCESS &&
            !memcmp( reply6_addr( b ), &delayed.sin6_addr, 16 ) && !memcmp( b + REPLY6_SIZE, data + i * SIZE, SIZE ))
            good++;
        CloseHandle( events[i] );
    }
    ok( good == N, "%lu of %u got their own reply\n", good, N );
    printf( "row: v6-many-outstanding-200 replies=%lu\n", good );
    pIcmpCloseHandle( h );
done:
    free( events );
    free( data );
    free( bufs );
}

/* ---- bursts: 10,000 at once from 16 threads (flow control, IPv6) ---- */

static void burst6_host( struct burst_req *r, int i )
{
    r->v6 = TRUE;
    r->dst6 = addr6( HOST6 );
}

/* fd00:10::1 ... fd00:10::fa, all the host's */
static void burst6_sweep( struct burst_req *r, int i )
{
    r->v6 = TRUE;
    r->dst6 = addr6( "fd00:10::" );
    r->dst6.sin6_addr.s6_addr[15] = (BYTE)(1 + i % 250);
}

static void test_v6_burst_host( void )
{
    HANDLE h = open6();
    if (h) burst( "v6-burst-one-host", h, burst6_host );
}

static void test_v6_burst_sweep( void )
{
    HANDLE h = open6();
    if (h) burst( "v6-burst-250-hosts", h, burst6_sweep );
}

/* ---- sources on the two-address client; hop limit on the wire ---- */

/* finds the capture line ("echo6 ...") of the IPv6 request carrying data */
static int find_on_wire6( const BYTE *data, char src[48], unsigned int *hlim )
{
    const char *line = capture_line( data );

    return line && sscanf( line, "echo6 src=%47s dst=%*s hlim=%u", src, hlim ) == 2;
}

static void test_v6_source_select( void )
{
    static const char *sources[] = { "fd00::2", "fd00:1::2" };
    BYTE data[32], *buf = alloc_reply( 256 );
    HANDLE h = open6();
    unsigned int hlim;
    char src[48], what[64];
    DWORD ret;
    size_t i;

    if (!h) goto done;
    for (i = 0; i < ARRAY_SIZE(sources); i++)
    {
        tag_payload( data, sizeof(data) );
        memset( buf, FILL, 256 );
        ret = echo6( h, sources[i], HOST6, data, sizeof(data), 0, buf, 256, 2000 );
        sprintf( what, "v6-source-%s", sources[i] );
        check_echo6_lab( what, ret, buf, HOST6, data, sizeof(data) );
        row6( what, ret, last_err, buf );
        if (!need_capture()) continue;
        if (ok( find_on_wire6( data, src, &hlim ), "from %s: the request is not in the capture\n", sources[i] ))
            ok( !strcmp( src, sources[i] ), "from %s: the host saw source %s\n", sources[i], src );
    }
    /* an address of the lab that is not the client's */
    memset( buf, FILL, 256 );
    ret = echo6( h, HOST6, HOST6, data, sizeof(data), 0, buf, 256, 2000 );
    ok( !ret && last_err == ERROR_INVALID_NETNAME, "non-local source: returned %lu, error %lu\n", ret, last_err );
    row6( "v6-source-not-local", ret, last_err, buf );
    pIcmpCloseHandle( h );
done:
    free( buf );
}

static void test_v6_wire_hop_limit( void )
{
    BYTE data[32], *buf = alloc_reply( 256 );
    HANDLE h = open6();
    unsigned int hlim;
    char src[48];
    DWORD ret;

    if (!h || !need_capture()) goto done;
    /* hop limit 100: two routers on the way */
    tag_payload( data, sizeof(data) );
    ret = echo6( h, NULL, HOST6, data, sizeof(data), 100, buf, 256, 2000 );
    check_echo6_lab( "hop limit 100", ret, buf, HOST6, data, sizeof(data) );
    if (ok( find_on_wire6( data, src, &hlim ), "hop limit 100: not captured\n" ))
        ok( hlim == 98, "hop limit 100: arrived with %u, expected 98\n", hlim );
    row6( "v6-options-hop-limit-100", ret, last_err, buf );
    /* no options: the system's default */
    tag_payload( data, sizeof(data) );
    memset( buf, FILL, 256 );
    ret = echo6( h, NULL, HOST6, data, sizeof(data), 0, buf, 256, 2000 );
    check_echo6_lab( "default hop limit", ret, buf, HOST6, data, sizeof(data) );
    if (ok( find_on_wire6( data, src, &hlim ), "default hop limit: not captured\n" ))
        ok( hlim == default_hop_limit() - 2, "default hop limit: arrived with %u, expected %lu - 2\n", hlim,
            default_hop_limit() );
    row6( "v6-options-default", ret, last_err, buf );
done:
    if (h) pIcmpCloseHandle( h );
    free( buf );
}

/* ---- .NET Ping over IPv6: 28 zero bytes as the source, an event, TTL 128 and DF ---- */

static void test_v6_caller_dotnet( void )
{
    static const struct { const char *name, *dst; UCHAR hlim; DWORD timeout, status; const char *from; } cases[] =
    {
        { "v6-dotnet-host", HOST6, 128, 2000, IP_SUCCESS, HOST6 },
        { "v6-dotnet-hop-1", HOST6, 1, 2000, IP_HOP_LIMIT_EXCEEDED, ROUTER1_6 },
        { "v6-dotnet-silent", SILENT6, 128, 1000, IP_REQ_TIMED_OUT, "::" },
        { "v6-dotnet-delay", DELAYED6, 128, 2000, IP_SUCCESS, DELAYED6 },
    };
    DWORD size = 0xffff + 256, i, ret, status;
    BYTE *buf = malloc( size ), zero_src[28], data[32];
    HANDLE h = open6();

    if (!h) goto done;
    fill_payload( data, sizeof(data), 66 );
    memset( zero_src, 0, sizeof(zero_src) );
    for (i = 0; i < ARRAY_SIZE(cases); i++)
    {
        struct sockaddr_in6 dst = addr6( cases[i].dst ), from = addr6( cases[i].from );
        HANDLE event = CreateEventA( NULL, TRUE, FALSE, NULL );
        IP_OPTION_INFORMATION opts;

        memset( &opts, 0, sizeof(opts) );
        opts.Ttl = cases[i].hlim;
        opts.Flags = IP_FLAG_DF;
        memset( buf, 0, size );
        ret = pIcmp6SendEcho2( h, event, NULL, NULL, (struct sockaddr_in6 *)zero_src, &dst, data, sizeof(data), &opts,
                               buf, size, cases[i].timeout );
        ok( !ret && GetLastError() == ERROR_IO_PENDING, "%s: returned %lu, error %lu\n", cases[i].name, ret,
            GetLastError() );
        ok( WaitForSingleObject( event, cases[i].timeout + 5000 ) == WAIT_OBJECT_0, "%s: not signalled\n",
            cases[i].name );
        /* .NET reads Status at offset 28 and the data at 36 */
        status = cases[i].status == IP_SUCCESS ? IP_SUCCESS : error_status( cases[i].status );
        ok( *(DWORD *)(buf + 28) == status, "%s: Status %lu, expected %lu\n", cases[i].name, *(DWORD *)(buf + 28),
            status );
        if (status == IP_SUCCESS) ok( !memcmp( buf + 36, data, sizeof(data) ), "%s: data differs\n", cases[i].name );
        if (status != IP_REQ_TIMED_OUT)
            ok( !memcmp( buf + 6, &from.sin6_addr, 16 ), "%s: Address %s\n", cases[i].name, ntop6( buf + 6 ) );
        row6( cases[i].name, 1, 0, buf );
        CloseHandle( event );
    }
    pIcmpCloseHandle( h );
done:
    free( buf );
}

/* ---- hostile packets over IPv6 (labtool inject on SILENT6) ---- */

static void hostile_result( BOOL v6, const struct hostile_req *q, struct hostile_result *res )
{
    static const BYTE nobody[16];
    const ICMP_ECHO_REPLY *r = (const ICMP_ECHO_REPLY *)q->buf;
    struct sockaddr_in6 silent6 = addr6( SILENT6 );

    if (v6)
    {
        res->status = reply6_status( q->buf );
        res->from_silent = !memcmp( reply6_addr( q->buf ), &silent6.sin6_addr, 16 );
        res->from_nobody = !memcmp( reply6_addr( q->buf ), nobody, 16 );
        res->data_ok = !memcmp( q->buf + REPLY6_SIZE, q->data, HOSTILE_SIZE );
        res->data_size = 0;
        res->from = ntop6( reply6_addr( q->buf ) );
        return;
    }
    res->status = r->Status;
    res->from_silent = r->Address == SILENT;
    res->from_nobody = !r->Address;
    res->data_size = r->DataSize;
    res->data_ok = r->DataSize == HOSTILE_SIZE && (BYTE *)r->Data == q->buf + REPLY_SIZE &&
                   !memcmp( r->Data, q->data, HOSTILE_SIZE );
    res->from = ntoa( r->Address );
}

static void test_v6_hostile( void )
{
    hostile( TRUE );
}

static const struct winetest_entry tests[] =
{
    { "ttl_expired", test_ttl_expired },
    { "unreachables", test_unreachables },
    { "fragmentation", test_fragmentation },
    { "silent_timeouts", test_silent_timeouts },
    { "delay", test_delay },
    { "many_outstanding", test_many_outstanding },
    { "burst_host", test_burst_host },
    { "burst_sweep", test_burst_sweep },
    { "burst_one_thread", test_burst_one_thread },
    { "sync_threads", test_sync_threads },
    { "sync_threads_busy", test_sync_threads_busy },
    { "multi_process", test_multi_process },
    { "flow_garbage", test_flow_garbage },
    { "flow_stopped_1s", test_flow_stopped_1s },
    { "flow_stopped_10s", test_flow_stopped_10s },
    { "flow_async_return", test_flow_async_return },
    { "flow_large", test_flow_large },
    { "source_select", test_source_select },
    { "many_sources", test_many_sources },
    { "wire_options", test_wire_options },
    { "caller_winmtr", test_caller_winmtr },
    { "caller_dotnet", test_caller_dotnet },
    { "hostile", test_hostile },
    { "v6_hop_limit", test_v6_hop_limit },
    { "v6_unreachables", test_v6_unreachables },
    { "v6_packet_too_big", test_v6_packet_too_big },
    { "v6_silent_timeouts", test_v6_silent_timeouts },
    { "v6_delay", test_v6_delay },
    { "v6_many_outstanding", test_v6_many_outstanding },
    { "v6_burst_host", test_v6_burst_host },
    { "v6_burst_sweep", test_v6_burst_sweep },
    { "v6_source_select", test_v6_source_select },
    { "v6_wire_hop_limit", test_v6_wire_hop_limit },
    { "v6_caller_dotnet", test_v6_caller_dotnet },
    { "v6_hostile", test_v6_hostile },
};

static int lab_option( int argc, char **argv, int i )
{
    if (!strcmp( argv[i], "--capture" ) && i + 1 < argc)
    {
        capture_file = argv[i + 1];
        return 2;
    }
    if (!strcmp( argv[i], "--unpriv" ))
    {
        unpriv = 1;
        return 1;
    }
    if (!strcmp( argv[i], "--icmpv6-server" ))
    {
        icmpv6_server = 1;
        return 1;
    }
    if (!strcmp( argv[i], "--flow-child" ) && i + 1 < argc)
    {
        flow_child = argv[i + 1][0];
        flow_parent = strtoul( strchr( argv[i + 1], ':' ) ? strchr( argv[i + 1], ':' ) + 1 : "0", NULL, 10 );
        return 2;
    }
    if (!strcmp( argv[i], "--multi-child" ) && i + 1 < argc)
    {
        multi_child = atoi( argv[i + 1] );
        multi_parent = strtoul( strchr( argv[i + 1], ':' ) ? strchr( argv[i + 1], ':' ) + 1 : "0", NULL, 10 );
        return 2;
    }
    return 0;
}

int main( int argc, char **argv )
{
    WSADATA wsa;
    int i;

    for (i = 1; i + 1 < argc; i++) if (!strcmp( argv[i], "--dll" )) dll_path = argv[i + 1];   /* (for multi_process) */
    if (!dll_path) dll_path = "system";
    WSAStartup( MAKEWORD(2, 2), &wsa );   /* (ntop6 formats with Winsock) */
    InitializeCriticalSection( &row_cs );
    return icmp_test_main( argc, argv, tests, ARRAY_SIZE(tests), lab_option, NULL );
}
