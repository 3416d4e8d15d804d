/*
 * Conformance tests for the IPv4 ICMP echo API (IcmpCreateFile,
 * IcmpCloseHandle, IcmpSendEcho, IcmpSendEcho2, IcmpSendEcho2Ex,
 * IcmpParseReplies), in the Wine test style. Each test checks a row of
 * BEHAVIOR.md; the same binary runs against any implementation:
 *
 *   icmp_test.exe [--dll PATH|system] [--icmp PATH] [--lab] [--unpriv] [--results FILE] [--list] [test]
 *
 * --dll system (the default) tests the iphlpapi.dll the OS provides; a path
 * tests that file (under Wine with WINEDLLOVERRIDES=iphlpapi=n; the mapped
 * image is compared with the file). --icmp loads that icmp.dll after the
 * target, checks that each of its exports forwards into the target, and runs
 * the tests through icmp.dll. --lab says the program runs in the
 * private namespace made by tests/run-conformance.sh, whose loopback has:
 *   127.0.0.3   silent (echo requests dropped)
 *   127.0.0.4   REJECT icmp-net-unreachable      (3/0)
 *   127.0.0.5   REJECT icmp-host-unreachable     (3/1)
 *   127.0.0.6   REJECT icmp-proto-unreachable    (3/2)
 *   127.0.0.7   REJECT icmp-port-unreachable     (3/3)
 *   127.0.0.8   REJECT icmp-net-prohibited       (3/9)
 *   127.0.0.9   REJECT icmp-host-prohibited      (3/10)
 *   127.0.0.10  REJECT icmp-admin-prohibited     (3/13)
 *   127.0.0.11  dropped on output: sending fails locally (EPERM)
 * Without --lab the tests that need those are skipped. --unpriv says Wine
 * runs without CAP_NET_RAW, so that wineserver opens Linux ping sockets,
 * which never show a reply's IP header: the checks of reply IP options are
 * skipped then. --results FILE writes every check (tests/icmp_results.h).
 * Only loopback addresses are ever sent to.
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

#ifndef STATUS_SUCCESS
#define STATUS_SUCCESS           ((NTSTATUS)0)
#endif
#ifndef STATUS_INVALID_PARAMETER
#define STATUS_INVALID_PARAMETER ((NTSTATUS)0xc000000d)
#endif

static int lab;
static int unpriv;

#define SILENT    addr( "127.0.0.3" )

static int need_lab( void )
{
    if (!lab) skip( "needs the loopback lab (--lab): silent and rejecting addresses\n" );
    return lab;
}

/* ---- handles ---- */

static void test_handles( void )
{
    HANDLE h1, h2;
    BOOL ret;

    h1 = pIcmpCreateFile();
    ok( h1 != INVALID_HANDLE_VALUE && h1 != NULL, "IcmpCreateFile returned %p\n", h1 );
    h2 = pIcmpCreateFile();
    ok( h2 != INVALID_HANDLE_VALUE && h2 != h1, "second handle %p, first %p\n", h2, h1 );
    ok( pIcmpCloseHandle( h1 ), "IcmpCloseHandle failed %lu\n", GetLastError() );
    ok( pIcmpCloseHandle( h2 ), "IcmpCloseHandle failed %lu\n", GetLastError() );

    SetLastError( 0xdeadbeef );
    ret = pIcmpCloseHandle( INVALID_HANDLE_VALUE );
    ok( !ret && GetLastError() == ERROR_INVALID_HANDLE, "INVALID_HANDLE_VALUE: %d, error %lu\n", ret, GetLastError() );
    SetLastError( 0xdeadbeef );
    ret = pIcmpCloseHandle( NULL );
    ok( !ret && GetLastError() == ERROR_INVALID_HANDLE, "NULL: %d, error %lu\n", ret, GetLastError() );
}

/* ---- argument checks, in order ---- */

static DWORD call2ex( HANDLE h, HANDLE event, PIO_APC_ROUTINE apc, IPAddr src, IPAddr dst, void *data, WORD size,
                      void *reply, DWORD reply_size )
{
    SetLastError( 0xdeadbeef );
    return pIcmpSendEcho2Ex( h, event, apc, NULL, src, dst, data, size, NULL, reply, reply_size, 1000 );
}

static LONG apc_calls;
static void NTAPI counting_apc( void *context, IO_STATUS_BLOCK *iosb, ULONG reserved )
{
    InterlockedIncrement( &apc_calls );
}

static void test_bad_handles( void )
{
    BYTE data[32], *buf = alloc_reply( 256 );
    HANDLE event = CreateEventA( NULL, TRUE, FALSE, NULL ), closed = pIcmpCreateFile();
    HANDLE bogus[4];
    DWORD ret;
    int i;

    pIcmpCloseHandle( closed );
    bogus[0] = INVALID_HANDLE_VALUE;
    bogus[1] = event;
    bogus[2] = closed;
    bogus[3] = (HANDLE)(ULONG_PTR)0x12345678;
    fill_payload( data, sizeof(data), 1 );

    for (i = 0; i < 4; i++)
    {
        ret = call2ex( bogus[i], NULL, NULL, 0, LOCALHOST, data, sizeof(data), buf, 256 );
        ok( !ret && GetLastError() == ERROR_INVALID_PARAMETER, "handle %d (%p): %lu, error %lu\n", i, bogus[i],
            ret, GetLastError() );
        ret = pIcmpSendEcho( bogus[i], LOCALHOST, data, sizeof(data), NULL, buf, 256, 1000 );
        ok( !ret && GetLastError() == ERROR_INVALID_PARAMETER, "IcmpSendEcho handle %d: %lu, error %lu\n", i,
            ret, GetLastError() );
        ret = call2ex( bogus[i], event, NULL, 0, LOCALHOST, data, sizeof(data), buf, 256 );
        ok( !ret && GetLastError() == ERROR_INVALID_PARAMETER, "async handle %d: %lu, error %lu\n", i, ret,
            GetLastError() );
        ok( WaitForSingleObject( event, 0 ) == WAIT_TIMEOUT, "event signalled after an argument error\n" );
    }
    ok( touched( buf, 0, 256 ) == -1, "buffer written by failed calls\n" );
    CloseHandle( event );
    free( buf );
}

static void test_arg_order( void )
{
    BYTE data[32], *buf = alloc_reply( 512 );
    HANDLE h = pIcmpCreateFile(), event = CreateEventA( NULL, TRUE, FALSE, NULL );
    IPAddr nonlocal = addr( "198.18.255.254" );   /* bound to, never sent to */
    DWORD ret;

    fill_payload( data, sizeof(data), 2 );
    apc_calls = 0;

    /* bad handle wins over everything */
    ret = call2ex( INVALID_HANDLE_VALUE, NULL, NULL, 0, 0, data, sizeof(data), NULL, 0 );
    ok( !ret && GetLastError() == ERROR_INVALID_PARAMETER, "all bad: %lu, error %lu\n", ret, GetLastError() );
    /* NULL reply buffer */
    ret = call2ex( h, NULL, NULL, 0, LOCALHOST, data, sizeof(data), NULL, 512 );
    ok( !ret && GetLastError() == ERROR_INVALID_PARAMETER, "NULL reply: %lu, error %lu\n", ret, GetLastError() );
    ret = call2ex( h, NULL, NULL, 0, 0, data, sizeof(data), NULL, 512 );
    ok( !ret && GetLastError() == ERROR_INVALID_PARAMETER, "NULL reply before dest 0: error %lu\n", GetLastError() );
    /* ReplySize below the struct, 0 included */
    ret = call2ex( h, NULL, NULL, 0, LOCALHOST, data, sizeof(data), buf, 0 );
    ok( !ret && GetLastError() == ERROR_INVALID_PARAMETER, "ReplySize 0: %lu, error %lu\n", ret, GetLastError() );
    ret = call2ex( h, NULL, NULL, 0, LOCALHOST, NULL, 0, buf, REPLY_SIZE - 1 );
    ok( !ret && GetLastError() == ERROR_INVALID_PARAMETER, "ReplySize struct-1: %lu, error %lu\n", ret,
        GetLastError() );
    ret = call2ex( h, NULL, NULL, 0, 0, data, sizeof(data), buf, REPLY_SIZE - 1 );
    ok( !ret && GetLastError() == ERROR_INVALID_PARAMETER, "small reply before dest 0: error %lu\n", GetLastError() );
    /* destination 0.0.0.0 */
    ret = call2ex( h, NULL, NULL, 0, 0, data, sizeof(data), buf, 512 );
    ok( !ret && GetLastError() == ERROR_INVALID_NETNAME, "dest 0: %lu, error %lu\n", ret, GetLastError() );
    ret = call2ex( h, NULL, NULL, 0, 0, data, sizeof(data), buf, REPLY_SIZE );
    ok( !ret && GetLastError() == ERROR_INVALID_NETNAME, "dest 0 before size for data: error %lu\n",
        GetLastError() );
    /* source that is not an address of this machine */
    /* (Wine's builtin never checks the source, and sends with a buffer too
     * small for the data: the asynchronous calls below then complete) */
    ret = call2ex( h, NULL, NULL, nonlocal, LOCALHOST, data, sizeof(data), buf, 512 );
    todo_builtin ok( !ret && GetLastError() == ERROR_INVALID_NETNAME, "non-local source: %lu, error %lu\n", ret,
                     GetLastError() );
    ret = call2ex( h, NULL, NULL, nonlocal, LOCALHOST, data, sizeof(data), buf, REPLY_SIZE );
    todo_builtin ok( !ret && GetLastError() == ERROR_INVALID_NETNAME, "source before size for data: error %lu\n",
                     GetLastError() );
    /* reply buffer too small for the data */
    ret = call2ex( h, NULL, NULL, 0, LOCALHOST, data, sizeof(data), buf, REPLY_SIZE + sizeof(data) - 1 );
    ok( !ret && GetLastError() == IP_GENERAL_FAILURE, "struct + size - 1: %lu, error %lu\n", ret, GetLastError() );
    ret = call2ex( h, NULL, NULL, 0, LOCALHOST, data, sizeof(data), buf, REPLY_SIZE );
    todo_builtin ok( !ret && GetLastError() == IP_GENERAL_FAILURE, "struct only: %lu, error %lu\n", ret, GetLastError() );

    /* asynchronous calls with argument errors: no event, no APC */
    ret = call2ex( h, event, NULL, 0, 0, data, sizeof(data), buf, 512 );
    ok( !ret && GetLastError() == ERROR_INVALID_NETNAME, "async dest 0: error %lu\n", GetLastError() );
    ret = call2ex( h, event, NULL, 0, LOCALHOST, data, sizeof(data), buf, REPLY_SIZE );
    todo_builtin ok( !ret && GetLastError() == IP_GENERAL_FAILURE, "async short buffer: error %lu\n", GetLastError() );
    ret = call2ex( h, NULL, counting_apc, 0, 0, data, sizeof(data), buf, 512 );
    ok( !ret && GetLastError() == ERROR_INVALID_NETNAME, "apc dest 0: error %lu\n", GetLastError() );
    ret = call2ex( h, NULL, counting_apc, nonlocal, LOCALHOST, data, sizeof(data), buf, 512 );
    todo_builtin
    {
        ok( !ret && GetLastError() == ERROR_INVALID_NETNAME, "apc non-local source: error %lu\n", GetLastError() );
        ok( WaitForSingleObject( event, 100 ) == WAIT_TIMEOUT, "event signalled after argument errors\n" );
        SleepEx( 100, TRUE );
        ok( apc_calls == 0, "%ld APCs after argument errors\n", apc_calls );
        ok( touched( buf, 0, 512 ) == -1, "buffer written by failed calls (byte %d)\n", touched( buf, 0, 512 ) );
    }

    pIcmpCloseHandle( h );
    CloseHandle( event );
    free( buf );
}

/* ---- synchronous echo ---- */

static void test_sync_echo( void )
{
    static const char *targets[] = { "127.0.0.1", "127.0.0.2", "127.1.2.3" };
    BYTE data[32], *buf = alloc_reply( 1024 );
    HANDLE h = pIcmpCreateFile();
    DWORD ret;
    size_t i;

    fill_payload( data, sizeof(data), 3 );
    for (i = 0; i < ARRAY_SIZE(targets); i++)
    {
        memset( buf, FILL, 1024 );
        SetLastError( 0xdeadbeef );
        ret = pIcmpSendEcho( h, addr( targets[i] ), data, sizeof(data), NULL, buf, 1024, 2000 );
        ok( ret == 1, "%s: IcmpSendEcho returned %lu, error %lu\n", targets[i], ret, GetLastError() );
        ok( GetLastError() == 0, "%s: last error %lu\n", targets[i], GetLastError() );
        if (ret) check_sync_echo( buf, addr( targets[i] ), data, sizeof(data) );
        /* nothing written past struct + data although ReplySize says 1024 */
        ok( touched( buf, REPLY_SIZE + sizeof(data), 1024 ) == -1, "%s: byte %d written past the reply\n",
            targets[i], touched( buf, REPLY_SIZE + sizeof(data), 1024 ) );
    }

    /* IcmpSendEcho2 and IcmpSendEcho2Ex, synchronous */
    memset( buf, FILL, 1024 );
    ret = pIcmpSendEcho2( h, NULL, NULL, NULL, LOCALHOST, data, sizeof(data), NULL, buf, 1024, 2000 );
    ok( ret == 1, "IcmpSendEcho2 returned %lu, error %lu\n", ret, GetLastError() );
    if (ret) check_sync_echo( buf, LOCALHOST, data, sizeof(data) );
    memset( buf, FILL, 1024 );
    ret = pIcmpSendEcho2Ex( h, NULL, NULL, NULL, 0, LOCALHOST, data, sizeof(data), NULL, buf, 1024, 2000 );
    ok( ret == 1, "IcmpSendEcho2Ex returned %lu, error %lu\n", ret, GetLastError() );
    if (ret) check_sync_echo( buf, LOCALHOST, data, sizeof(data) );

    pIcmpCloseHandle( h );
    free( buf );
}

static void test_sizes( void )
{
    BYTE *data = malloc( 65535 ), *buf;
    HANDLE h = pIcmpCreateFile();
    static const WORD sizes[] = { 0, 1, 7, 8, 255, 1472, 1473, 8000, 65500 };
    DWORD ret, size;
    size_t i;

    fill_payload( data, 65535, 4 );
    /* ReplySize exactly struct + RequestSize succeeds: no 8 extra bytes, no IOSB space */
    for (i = 0; i < ARRAY_SIZE(sizes); i++)
    {
        size = REPLY_SIZE + sizes[i];
        buf = alloc_reply( size );
        SetLastError( 0xdeadbeef );
        ret = pIcmpSendEcho( h, LOCALHOST, data, sizes[i], NULL, buf, size, 2000 );
        ok( ret == 1, "size %u: returned %lu, error %lu\n", sizes[i], ret, GetLastError() );
        if (ret) check_sync_echo( buf, LOCALHOST, data, sizes[i] );
        ok( touched( buf, size, size + 64 ) == -1, "size %u: wrote past ReplySize\n", sizes[i] );
        free( buf );
    }

    /* RequestSize 0 with RequestData NULL */
    buf = alloc_reply( 256 );
    ret = pIcmpSendEcho( h, LOCALHOST, NULL, 0, NULL, buf, 256, 2000 );
    ok( ret == 1, "NULL data, size 0: returned %lu, error %lu\n", ret, GetLastError() );
    if (ret) check_sync_echo( buf, LOCALHOST, data, 0 );
    free( buf );

    /* above 65500 bytes: IP_GENERAL_FAILURE (unsure on Windows: perhaps ERROR_INVALID_PARAMETER) */
    buf = alloc_reply( REPLY_SIZE + 65535 );
    SetLastError( 0xdeadbeef );
    ret = pIcmpSendEcho( h, LOCALHOST, data, 65501, NULL, buf, REPLY_SIZE + 65535, 2000 );
    todo_builtin ok( !ret && (GetLastError() == IP_GENERAL_FAILURE || broken(GetLastError() == ERROR_INVALID_PARAMETER)),
                     "65501 bytes: returned %lu, error %lu\n", ret, GetLastError() );
    free( buf );

    pIcmpCloseHandle( h );
    free( data );
}

static void test_timeout_values( void )
{
    BYTE data[16], *buf = alloc_reply( 256 );
    HANDLE h = pIcmpCreateFile();
    DWORD ret;

    fill_payload( data, sizeof(data), 5 );
    /* Vista and later accept any Timeout: 0 too, and a loopback echo then
     * succeeds (Wine's iphlpapi tests, checked on Windows: "in windows >=
     * vista the timeout can't be invalid"); older Windows refused 0 with
     * ERROR_INVALID_PARAMETER */
    SetLastError( 0xdeadbeef );
    ret = pIcmpSendEcho( h, LOCALHOST, data, sizeof(data), NULL, buf, 256, 0 );
    ok( ret == 1 || broken(!ret && GetLastError() == ERROR_INVALID_PARAMETER),
        "Timeout 0: returned %lu, error %lu\n", ret, GetLastError() );
    if (ret) check_sync_echo( buf, LOCALHOST, data, sizeof(data) );
    /* the same through an event */
    {
        HANDLE event = CreateEventA( NULL, TRUE, FALSE, NULL );
        memset( buf, FILL, 256 );
        ret = pIcmpSendEcho2( h, event, NULL, NULL, LOCALHOST, data, sizeof(data), NULL, buf, 256, 0 );
        ok( !ret && GetLastError() == ERROR_IO_PENDING, "Timeout 0, event: returned %lu, error %lu\n", ret,
            GetLastError() );
        ok( WaitForSingleObject( event, 3000 ) == WAIT_OBJECT_0, "Timeout 0, event: not signalled\n" );
        check_echo( buf, LOCALHOST, data, sizeof(data) );
        CloseHandle( event );
    }
    memset( buf, FILL, 256 );
    SetLastError( 0xdeadbeef );
    ret = pIcmpSendEcho( h, LOCALHOST, data, sizeof(data), NULL, buf, 256, 0xffffffff );
    ok( ret == 1 || broken(!ret && GetLastError() == ERROR_INVALID_PARAMETER),
        "Timeout INFINITE: returned %lu, error %lu\n", ret, GetLastError() );
    if (ret) check_sync_echo( buf, LOCALHOST, data, sizeof(data) );
    pIcmpCloseHandle( h );
    free( buf );
}

/* ---- IcmpParseReplies ---- */

static void test_parse_replies( void )
{
    BYTE data[32], *buf = alloc_reply( 256 );
    ICMP_ECHO_REPLY *r = (ICMP_ECHO_REPLY *)buf;
    HANDLE h = pIcmpCreateFile();
    DWORD ret;

    fill_payload( data, sizeof(data), 6 );
    ret = pIcmpSendEcho( h, LOCALHOST, data, sizeof(data), NULL, buf, 256, 2000 );
    ok( ret == 1, "IcmpSendEcho returned %lu\n", ret );
    ret = pIcmpParseReplies( buf, 256 );
    todo_builtin ok( ret == 1, "IcmpParseReplies returned %lu\n", ret );
    ok( r->Reserved == 0, "Reserved %u after parsing\n", r->Reserved );
    SetLastError( 0xdeadbeef );
    ret = pIcmpParseReplies( buf, 256 );
    ok( ret == 0 && GetLastError() == 0, "second parse: %lu, error %lu (Status 0)\n", ret, GetLastError() );

    memset( buf, 0, REPLY_SIZE );
    r->Status = IP_REQ_TIMED_OUT;
    SetLastError( 0xdeadbeef );
    ret = pIcmpParseReplies( buf, 256 );
    ok( ret == 0 && GetLastError() == IP_REQ_TIMED_OUT, "timed-out buffer: %lu, error %lu\n", ret,
        GetLastError() );
    r->Status = IP_DEST_HOST_UNREACHABLE;
    r->Reserved = 1;
    ret = pIcmpParseReplies( buf, 256 );
    ok( ret == 1 && r->Reserved == 0, "error reply: %lu, Reserved %u\n", ret, r->Reserved );

    pIcmpCloseHandle( h );
    free( buf );
}

/* ---- options ---- */

struct options32
{
    UCHAR Ttl, Tos, Flags, OptionsSize;
    ULONG OptionsData;   /* a 32-bit pointer */
};

static void test_options( void )
{
    BYTE data[32], *buf = alloc_reply( 512 ), rr[40], ts[40], *page;
    ICMP_ECHO_REPLY *r = (ICMP_ECHO_REPLY *)buf;
    IP_OPTION_INFORMATION opts;
    struct options32 *opts32;
    HANDLE h = pIcmpCreateFile();
    DWORD ret;
    BYTE *options;

    fill_payload( data, sizeof(data), 7 );

    /* TTL 0 means the default; TTL 1 and 255 reach loopback */
    memset( &opts, 0, sizeof(opts) );
    ret = pIcmpSendEcho( h, LOCALHOST, data, sizeof(data), &opts, buf, 512, 2000 );
    ok( ret == 1, "Ttl 0: returned %lu, error %lu\n", ret, GetLastError() );
    opts.Ttl = 1;
    ret = pIcmpSendEcho( h, LOCALHOST, data, sizeof(data), &opts, buf, 512, 2000 );
    ok( ret == 1, "Ttl 1: returned %lu, error %lu\n", ret, GetLastError() );
    if (ret) check_sync_echo( buf, LOCALHOST, data, sizeof(data) );
    opts.Ttl = 255;
    opts.Flags = IP_FLAG_DF;
    ret = pIcmpSendEcho( h, LOCALHOST, data, sizeof(data), &opts, buf, 512, 2000 );
    ok( ret == 1, "Ttl 255 DF: returned %lu, error %lu\n", ret, GetLastError() );
    if (ret) check_sync_echo( buf, LOCALHOST, data, sizeof(data) );

    /* TOS: the reply carries it back on Linux loopback */
    memset( &opts, 0, sizeof(opts) );
    opts.Tos = 0x10;
    memset( buf, FILL, 512 );
    ret = pIcmpSendEcho( h, LOCALHOST, data, sizeof(data), &opts, buf, 512, 2000 );
    ok( ret == 1, "Tos: returned %lu, error %lu\n", ret, GetLastError() );
    if (ret)
    {
        check_sync_echo( buf, LOCALHOST, data, sizeof(data) );
        ok( r->Options.Tos == 0x10 || broken( r->Options.Tos == 0 ), "reply Tos %#x\n", r->Options.Tos );
        ok( !(r->Options.Flags & ~IP_FLAG_DF), "reply Flags %#x\n", r->Options.Flags );
    }

    if (unpriv)
    {
        skip( "reply IP options: a Linux ping socket (--unpriv) does not show the reply's IP header\n" );
        goto no_reply_options;
    }

    /* record route: the reply carries options, padded to 4, data after them */
    memset( rr, 0, sizeof(rr) );
    rr[0] = IP_OPT_RR;
    rr[1] = 39;
    rr[2] = 4;
    memset( &opts, 0, sizeof(opts) );
    opts.OptionsData = rr;
    opts.OptionsSize = 39;
    memset( buf, FILL, 512 );
    ret = pIcmpSendEcho( h, LOCALHOST, data, sizeof(data), &opts, buf, 512, 2000 );
    ok( ret == 1, "record route: returned %lu, error %lu\n", ret, GetLastError() );
    if (ret)
    {
        options = r->Options.OptionsData;
        check_sync_echo( buf, LOCALHOST, data, sizeof(data) );
        todo_builtin ok( r->Options.OptionsSize >= 39 && r->Options.OptionsSize <= 40, "reply OptionsSize %u\n",
                         r->Options.OptionsSize );
        ok( options == buf + REPLY_SIZE, "OptionsData %p, buffer %p\n", options, buf );
        if (options == buf + REPLY_SIZE)
        {
            todo_builtin ok( options[0] == IP_OPT_RR && options[1] == 39, "reply option %#x len %u\n", options[0],
                             options[1] );
            ok( options[2] > 4, "record route pointer %u: no hop recorded\n", options[2] );
        }
        ok( touched( buf, REPLY_SIZE + 40 + sizeof(data), 512 ) == -1, "wrote past the reply\n" );
    }

    /* timestamp */
    memset( ts, 0, sizeof(ts) );
    ts[0] = IP_OPT_TS;
    ts[1] = 36;
    ts[2] = 5;
    ts[3] = 0;  /* timestamps only */
    opts.OptionsData = ts;
    opts.OptionsSize = 36;
    memset( buf, FILL, 512 );
    ret = pIcmpSendEcho( h, LOCALHOST, data, sizeof(data), &opts, buf, 512, 2000 );
    ok( ret == 1, "timestamp: returned %lu, error %lu\n", ret, GetLastError() );
    if (ret)
    {
        check_sync_echo( buf, LOCALHOST, data, sizeof(data) );
        todo_builtin ok( r->Options.OptionsSize == 36, "reply OptionsSize %u\n", r->Options.OptionsSize );
        if (r->Options.OptionsSize) ok( r->Options.OptionsData[0] == IP_OPT_TS, "option %#x\n", r->Options.OptionsData[0] );
    }

no_reply_options:
    /* OptionsSize 0: OptionsData is never read. A 64-bit caller may pass the
     * 8-byte IP_OPTION_INFORMATION32 at the very end of readable memory. */
    page = VirtualAlloc( NULL, 0x2000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE );
    VirtualProtect( page + 0x1000, 0x1000, PAGE_NOACCESS, &ret );
    opts32 = (struct options32 *)(page + 0x1000 - sizeof(*opts32));
    opts32->Ttl = 64;
    opts32->Tos = 0;
    opts32->Flags = IP_FLAG_DF;
    opts32->OptionsSize = 0;
    opts32->OptionsData = 0xdeadbeef;
    ret = pIcmpSendEcho( h, LOCALHOST, data, sizeof(data), (IP_OPTION_INFORMATION *)opts32, buf, 512, 2000 );
    ok( ret == 1, "32-bit options struct: returned %lu, error %lu\n", ret, GetLastError() );
    opts.OptionsSize = 0;
    opts.OptionsData = (BYTE *)(ULONG_PTR)0xdeadbeef;
    ret = pIcmpSendEcho( h, LOCALHOST, data, sizeof(data), &opts, buf, 512, 2000 );
    ok( ret == 1, "garbage OptionsData with size 0: returned %lu, error %lu\n", ret, GetLastError() );
    VirtualFree( page, 0, MEM_RELEASE );

    /* more than 40 bytes of options cannot be sent */
    {
        BYTE big[44];
        memset( big, IP_OPT_NOP, sizeof(big) );
        opts.OptionsData = big;
        opts.OptionsSize = sizeof(big);
        SetLastError( 0xdeadbeef );
        ret = pIcmpSendEcho( h, LOCALHOST, data, sizeof(data), &opts, buf, 512, 2000 );
        /* unknown on Windows, whose IP options are at most 40 bytes too */
        ok( !ret && (GetLastError() == IP_BAD_OPTION || broken(GetLastError() == ERROR_INVALID_PARAMETER) ||
                     broken(GetLastError() == IP_GENERAL_FAILURE)),
            "44 option bytes: returned %lu, error %lu\n", ret, GetLastError() );
    }

    pIcmpCloseHandle( h );
    free( buf );
}

/* ---- asynchronous: event ---- */

static void test_event( void )
{
    BYTE data[32], *buf = alloc_reply( 256 );
    HANDLE h = pIcmpCreateFile(), event = CreateEventA( NULL, TRUE, FALSE, NULL );
    DWORD ret;

    fill_payload( data, sizeof(data), 8 );
    apc_calls = 0;
    SetLastError( 0xdeadbeef );
    ret = pIcmpSendEcho2( h, event, NULL, NULL, LOCALHOST, data, sizeof(data), NULL, buf, 256, 2000 );
    ok( !ret && GetLastError() == ERROR_IO_PENDING, "returned %lu, error %lu\n", ret, GetLastError() );
    ok( WaitForSingleObject( event, 3000 ) == WAIT_OBJECT_0, "event not signalled\n" );
    check_echo( buf, LOCALHOST, data, sizeof(data) );
    ok( touched( buf, REPLY_SIZE + sizeof(data), 256 ) == -1, "wrote past the reply\n" );
    ret = pIcmpParseReplies( buf, 256 );
    ok( ret == 1, "IcmpParseReplies returned %lu\n", ret );

    /* event and APC: only the event */
    ResetEvent( event );
    memset( buf, FILL, 256 );
    ret = pIcmpSendEcho2Ex( h, event, counting_apc, (void *)1, 0, LOCALHOST, data, sizeof(data), NULL, buf, 256, 2000 );
    ok( !ret && GetLastError() == ERROR_IO_PENDING, "event+apc: returned %lu, error %lu\n", ret, GetLastError() );
    ok( WaitForSingleObject( event, 3000 ) == WAIT_OBJECT_0, "event not signalled\n" );
    check_echo( buf, LOCALHOST, data, sizeof(data) );
    SleepEx( 200, TRUE );
    todo_builtin ok( apc_calls == 0, "APC called %ld times although an event was given\n", apc_calls );

    /* an auto-reset event (Mozilla VPN) */
    CloseHandle( event );
    event = CreateEventA( NULL, FALSE, FALSE, NULL );
    memset( buf, FILL, 256 );
    ret = pIcmpSendEcho2Ex( h, event, NULL, NULL, 0, LOCALHOST, data, sizeof(data), NULL, buf, 256, 2000 );
    ok( !ret && GetLastError() == ERROR_IO_PENDING, "auto-reset: returned %lu, error %lu\n", ret, GetLastError() );
    ok( WaitForSingleObject( event, 3000 ) == WAIT_OBJECT_0, "auto-reset event not signalled\n" );
    ok( WaitForSingleObject( event, 0 ) == WAIT_TIMEOUT, "signalled twice\n" );
    check_echo( buf, LOCALHOST, data, sizeof(data) );

    pIcmpCloseHandle( h );
    CloseHandle( event );
    free( buf );
}

/* A caller may close its event before the request completes (Windows
 * keeps its own reference to it): the request still completes into the
 * caller's buffer, and an event created meanwhile, which may get the closed
 * handle's value, is signalled by its own request only. */
static void test_event_closed_early( void )
{
    BYTE data[32], *buf = alloc_reply( 256 ), *buf2 = alloc_reply( 256 );
    HANDLE h = pIcmpCreateFile(), first, second, other;
    DWORD ret;

    if (!need_lab()) goto done;
    fill_payload( data, sizeof(data), 21 );
    first = CreateEventA( NULL, TRUE, FALSE, NULL );
    ret = pIcmpSendEcho2( h, first, NULL, NULL, SILENT, data, sizeof(data), NULL, buf, 256, 300 );
    ok( !ret && GetLastError() == ERROR_IO_PENDING, "returned %lu, error %lu\n", ret, GetLastError() );
    CloseHandle( first );
    second = CreateEventA( NULL, TRUE, FALSE, NULL );
    trace( "the closed event's handle %p, the new event's %p\n", first, second );
    ret = pIcmpSendEcho2( h, second, NULL, NULL, LOCALHOST, data, sizeof(data), NULL, buf2, 256, 2000 );
    ok( !ret && GetLastError() == ERROR_IO_PENDING, "second: returned %lu, error %lu\n", ret, GetLastError() );
    ok( WaitForSingleObject( second, 3000 ) == WAIT_OBJECT_0, "the new event was not signalled by its request\n" );
    check_echo( buf2, LOCALHOST, data, sizeof(data) );
    ResetEvent( second );
    Sleep( 600 );   /* the first request times out meanwhile */
    ok( WaitForSingleObject( second, 0 ) == WAIT_TIMEOUT, "the closed event's request signalled the new event\n" );
    check_failure( buf, IP_REQ_TIMED_OUT, 256 );

    /* the closed handle's value taken by an object that is no event */
    first = CreateEventA( NULL, TRUE, FALSE, NULL );
    memset( buf, FILL, 256 );
    ret = pIcmpSendEcho2( h, first, NULL, NULL, SILENT, data, sizeof(data), NULL, buf, 256, 300 );
    ok( !ret && GetLastError() == ERROR_IO_PENDING, "third: returned %lu, error %lu\n", ret, GetLastError() );
    CloseHandle( first );
    other = CreateFileMappingA( INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096, NULL );
    Sleep( 600 );
    check_failure( buf, IP_REQ_TIMED_OUT, 256 );
    CloseHandle( other );
    CloseHandle( second );
done:
    pIcmpCloseHandle( h );
    free( buf );
    free( buf2 );
}

/* ---- asynchronous: APC ---- */

struct apc_record
{
    LONG calls;
    DWORD thread;
    void *context;
    NTSTATUS status;
    ULONG_PTR information;
    void *iosb;
    ULONG reserved;
};
static struct apc_record apc_rec;

static void NTAPI record_apc( void *context, IO_STATUS_BLOCK *iosb, ULONG reserved )
{
    apc_rec.calls++;
    apc_rec.thread = GetCurrentThreadId();
    apc_rec.context = context;
    apc_rec.status = iosb->Status;
    apc_rec.information = iosb->Information;
    apc_rec.iosb = iosb;
    apc_rec.reserved = reserved;
}

static void test_apc( void )
{
    BYTE data[32], *buf = alloc_reply( 256 );
    HANDLE h = pIcmpCreateFile();
    DWORD ret, i;

    fill_payload( data, sizeof(data), 9 );
    memset( &apc_rec, 0, sizeof(apc_rec) );
    SetLastError( 0xdeadbeef );
    ret = pIcmpSendEcho2( h, NULL, record_apc, (void *)0x1234, LOCALHOST, data, sizeof(data), NULL, buf, 256, 2000 );
    ok( !ret && GetLastError() == ERROR_IO_PENDING, "returned %lu, error %lu\n", ret, GetLastError() );
    Sleep( 200 );  /* not alertable: the APC must wait */
    ok( apc_rec.calls == 0, "APC ran outside an alertable wait\n" );
    for (i = 0; i < 30 && !apc_rec.calls; i++) SleepEx( 100, TRUE );
    ok( apc_rec.calls == 1, "APC called %ld times\n", apc_rec.calls );
    ok( apc_rec.thread == GetCurrentThreadId(), "APC ran on thread %lx\n", apc_rec.thread );
    ok( apc_rec.context == (void *)0x1234, "context %p\n", apc_rec.context );
    ok( apc_rec.status == 0, "iosb Status %#lx\n", apc_rec.status );
    ok( apc_rec.information == REPLY_SIZE + sizeof(data), "iosb Information %Iu\n", apc_rec.information );
    ok( (BYTE *)apc_rec.iosb < buf || (BYTE *)apc_rec.iosb >= buf + 256 + 64, "iosb %p inside the reply buffer\n",
        apc_rec.iosb );
    ok( apc_rec.reserved == 0, "reserved %lu\n", apc_rec.reserved );
    check_echo( buf, LOCALHOST, data, sizeof(data) );
    ok( touched( buf, REPLY_SIZE + sizeof(data), 256 ) == -1, "wrote past the reply\n" );

    pIcmpCloseHandle( h );
    free( buf );
}

/* An APC routine that sends another APC request and waits alertably: on
 * Windows each completion is its own APC, which runs in that nested wait. */
struct nested_apc
{
    HANDLE h;
    BYTE data[32], *buf, *inner_buf;
    LONG outer_calls, inner_calls, inner_before_return;
    DWORD send_ret, send_err, sleep_ret, sleep_ms;
};

static void NTAPI nested_inner_apc( void *context, IO_STATUS_BLOCK *iosb, ULONG reserved )
{
    struct nested_apc *n = context;
    InterlockedIncrement( &n->inner_calls );
}

static void NTAPI nested_outer_apc( void *context, IO_STATUS_BLOCK *iosb, ULONG reserved )
{
    struct nested_apc *n = context;
    DWORD start;

    InterlockedIncrement( &n->outer_calls );
    SetLastError( 0xdeadbeef );
    n->send_ret = pIcmpSendEcho2( n->h, NULL, nested_inner_apc, n, LOCALHOST, n->data, sizeof(n->data), NULL,
                                  n->inner_buf, 256, 2000 );
    n->send_err = GetLastError();
    start = clock_ms();
    n->sleep_ret = SleepEx( 3000, TRUE );
    n->sleep_ms = clock_ms() - start;
    n->inner_before_return = n->inner_calls;
}

static void test_apc_nested( void )
{
    struct nested_apc n;
    DWORD ret, i;

    memset( &n, 0, sizeof(n) );
    n.h = pIcmpCreateFile();
    n.buf = alloc_reply( 256 );
    n.inner_buf = alloc_reply( 256 );
    fill_payload( n.data, sizeof(n.data), 31 );
    ret = pIcmpSendEcho2( n.h, NULL, nested_outer_apc, &n, LOCALHOST, n.data, sizeof(n.data), NULL, n.buf, 256, 2000 );
    ok( !ret && GetLastError() == ERROR_IO_PENDING, "returned %lu, error %lu\n", ret, GetLastError() );
    for (i = 0; i < 50 && !n.outer_calls; i++) SleepEx( 100, TRUE );
    ok( n.outer_calls == 1, "outer APC called %ld times\n", n.outer_calls );
    ok( !n.send_ret && n.send_err == ERROR_IO_PENDING, "inner request: returned %lu, error %lu\n", n.send_ret,
        n.send_err );
    ok( n.sleep_ret == WAIT_IO_COMPLETION, "the routine's SleepEx returned %lu after %lu ms\n", n.sleep_ret,
        n.sleep_ms );
    ok( n.inner_before_return == 1, "inner APC ran %ld times in the routine's alertable wait\n",
        n.inner_before_return );
    ok( n.sleep_ms < 1500, "the routine's SleepEx took %lu ms\n", n.sleep_ms );
    SleepEx( 100, TRUE );
    ok( n.inner_calls == 1, "inner APC called %ld times\n", n.inner_calls );
    check_echo( n.inner_buf, LOCALHOST, n.data, sizeof(n.data) );
    pIcmpCloseHandle( n.h );
    free( n.buf );
    free( n.inner_buf );
}

/* What is not an event, given as Event, fails as on Windows (its I/O
 * manager refuses the handle: STATUS_OBJECT_TYPE_MISMATCH, which is
 * ERROR_INVALID_HANDLE), nothing is sent or written, and nothing of the
 * object is kept: a file given by mistake can be deleted at once. A named
 * event's reference ends with its request: closed by its last user, it is
 * gone, and creating it again makes a new event. */
static void test_event_kinds( void )
{
    BYTE data[32], *buf = alloc_reply( 256 );
    HANDLE h = pIcmpCreateFile(), sem, file, event;
    char path[MAX_PATH], dir[MAX_PATH], name[64];
    DWORD ret, err;
    LONG count = -1;

    fill_payload( data, sizeof(data), 32 );

    sem = CreateSemaphoreA( NULL, 0, 10, NULL );
    SetLastError( 0xdeadbeef );
    ret = pIcmpSendEcho2( h, sem, NULL, NULL, LOCALHOST, data, sizeof(data), NULL, buf, 256, 1000 );
    err = GetLastError();
    ok( !ret && err == ERROR_INVALID_HANDLE, "a semaphore as Event: returned %lu, error %lu\n", ret, err );
    Sleep( 100 );
    ReleaseSemaphore( sem, 1, &count );
    ok( count == 0, "the semaphore's count was %ld\n", count );
    ok( buf[0] == FILL && buf[4] == FILL, "a semaphore as Event: the reply buffer was written\n" );
    CloseHandle( sem );

    GetTempPathA( sizeof(dir), dir );
    GetTempFileNameA( dir, "icm", 0, path );
    file = CreateFileA( path, GENERIC_READ | GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL );
    ok( file != INVALID_HANDLE_VALUE, "cannot create %s\n", path );
    memset( buf, FILL, 256 );
    SetLastError( 0xdeadbeef );
    ret = pIcmpSendEcho2( h, file, NULL, NULL, LOCALHOST, data, sizeof(data), NULL, buf, 256, 1000 );
    err = GetLastError();
    ok( !ret && err == ERROR_INVALID_HANDLE, "a file as Event: returned %lu, error %lu\n", ret, err );
    Sleep( 100 );
    CloseHandle( file );
    ok( DeleteFileA( path ), "the file given as Event cannot be deleted: error %lu (a handle to it was kept)\n",
        GetLastError() );

    sprintf( name, "Local\\icmp-test-named-%lu", GetCurrentProcessId() );
    event = CreateEventA( NULL, TRUE, FALSE, name );
    memset( buf, FILL, 256 );
    ret = pIcmpSendEcho2( h, event, NULL, NULL, LOCALHOST, data, sizeof(data), NULL, buf, 256, 2000 );
    ok( !ret && GetLastError() == ERROR_IO_PENDING, "named event: returned %lu, error %lu\n", ret, GetLastError() );
    ok( WaitForSingleObject( event, 3000 ) == WAIT_OBJECT_0, "named event not signalled\n" );
    check_echo( buf, LOCALHOST, data, sizeof(data) );
    CloseHandle( event );
    Sleep( 50 );   /* (the request's own reference goes just after it signalled, on Windows too) */
    SetLastError( 0xdeadbeef );
    event = CreateEventA( NULL, TRUE, TRUE, name );
    err = GetLastError();
    ok( event && err != ERROR_ALREADY_EXISTS, "the named event outlived its request and last handle (error %lu)\n",
        err );
    ok( WaitForSingleObject( event, 0 ) == WAIT_OBJECT_0, "the new event's initial state was ignored\n" );
    CloseHandle( event );

    pIcmpCloseHandle( h );
    free( buf );
}

/* ---- completion after IcmpCloseHandle and after the thread exits ---- */

static void test_close_pending( void )
{
    BYTE data[32], *buf = alloc_reply( 256 );
    HANDLE h = pIcmpCreateFile(), event = CreateEventA( NULL, TRUE, FALSE, NULL );
    DWORD ret;

    fill_payload( data, sizeof(data), 10 );
    ret = pIcmpSendEcho2( h, event, NULL, NULL, LOCALHOST, data, sizeof(data), NULL, buf, 256, 2000 );
    ok( !ret && GetLastError() == ERROR_IO_PENDING, "returned %lu, error %lu\n", ret, GetLastError() );
    ok( pIcmpCloseHandle( h ), "close failed\n" );
    ok( WaitForSingleObject( event, 3000 ) == WAIT_OBJECT_0, "event not signalled after close\n" );
    check_echo( buf, LOCALHOST, data, sizeof(data) );

    if (lab)
    {
        h = pIcmpCreateFile();
        ResetEvent( event );
        memset( buf, FILL, 256 );
        ret = pIcmpSendEcho2( h, event, NULL, NULL, SILENT, data, sizeof(data), NULL, buf, 256, 300 );
        ok( !ret && GetLastError() == ERROR_IO_PENDING, "silent: returned %lu, error %lu\n", ret, GetLastError() );
        ok( pIcmpCloseHandle( h ), "close failed\n" );
        ok( WaitForSingleObject( event, 5000 ) == WAIT_OBJECT_0, "pending request never completed after close\n" );
        check_failure( buf, IP_REQ_TIMED_OUT, 256 );
    }
    CloseHandle( event );
    free( buf );
}

struct thread_args
{
    HANDLE h, event;
    BYTE *buf;
    BYTE data[32];
    PIO_APC_ROUTINE apc;
    IPAddr dst;
    DWORD timeout;
    DWORD ret, err;
};

static DWORD CALLBACK send_and_exit( void *arg )
{
    struct thread_args *a = arg;
    a->ret = pIcmpSendEcho2( a->h, a->event, a->apc, NULL, a->dst, a->data, sizeof(a->data), NULL, a->buf,
                             256, a->timeout );
    a->err = GetLastError();
    return 0;
}

/* runs send_and_exit in a thread of its own and waits for it to end; FALSE
 * if the call never returned (the thread still uses a: keep it alive) */
static BOOL send_from_thread( struct thread_args *a )
{
    HANDLE thread = CreateThread( NULL, 0, send_and_exit, a, 0, NULL );
    DWORD ret = WaitForSingleObject( thread, 10000 );

    CloseHandle( thread );
    return ok( ret == WAIT_OBJECT_0, "the asynchronous call never returned\n" );
}

static void test_thread_exit( void )
{
    static struct thread_args a;   /* (a thread that never returns keeps using it) */

    memset( &a, 0, sizeof(a) );
    a.h = pIcmpCreateFile();
    a.event = CreateEventA( NULL, TRUE, FALSE, NULL );
    a.buf = alloc_reply( 256 );
    a.dst = LOCALHOST;
    a.timeout = 2000;
    fill_payload( a.data, sizeof(a.data), 11 );

    /* the event completes although the requesting thread is gone (Wine's
     * builtin sometimes never completes such a request, and then answers
     * nothing more) */
    if (!send_from_thread( &a )) return;
    ok( !a.ret && a.err == ERROR_IO_PENDING, "returned %lu, error %lu\n", a.ret, a.err );
    flaky_builtin
    {
        ok( WaitForSingleObject( a.event, 3000 ) == WAIT_OBJECT_0, "event not signalled\n" );
        check_echo( a.buf, LOCALHOST, a.data, sizeof(a.data) );
    }

    /* an APC for a thread that has exited is dropped, without harm */
    apc_calls = 0;
    a.event = NULL;
    a.apc = counting_apc;
    a.dst = lab ? SILENT : LOCALHOST;
    a.timeout = 200;
    memset( a.buf, FILL, 256 );
    if (!send_from_thread( &a )) return;
    ok( !a.ret && a.err == ERROR_IO_PENDING, "apc: returned %lu, error %lu\n", a.ret, a.err );
    SleepEx( 600, TRUE );
    ok( apc_calls == 0, "APC ran on the wrong thread\n" );
    flaky_builtin
    {
        if (lab) check_failure( a.buf, IP_REQ_TIMED_OUT, 256 );
        else check_echo( a.buf, LOCALHOST, a.data, sizeof(a.data) );
    }

    pIcmpCloseHandle( a.h );
    free( a.buf );
}

/* ---- timeouts (lab) ---- */

static void test_timeouts( void )
{
    BYTE data[32], *buf = alloc_reply( 256 );
    HANDLE h = pIcmpCreateFile(), event = CreateEventA( NULL, TRUE, FALSE, NULL );
    DWORD ret, start, elapsed, i;

    if (!need_lab()) goto done;
    fill_payload( data, sizeof(data), 12 );

    start = clock_ms();
    SetLastError( 0xdeadbeef );
    ret = pIcmpSendEcho( h, SILENT, data, sizeof(data), NULL, buf, 256, 500 );
    elapsed = clock_ms() - start;
    ok( !ret && GetLastError() == IP_REQ_TIMED_OUT, "sync: returned %lu, error %lu\n", ret, GetLastError() );
    ok( elapsed >= 450 && elapsed < 3000, "sync timeout took %lu ms\n", elapsed );
    check_failure( buf, IP_REQ_TIMED_OUT, 256 );
    SetLastError( 0xdeadbeef );
    ret = pIcmpParseReplies( buf, 256 );
    ok( !ret && GetLastError() == IP_REQ_TIMED_OUT, "parse: returned %lu, error %lu\n", ret, GetLastError() );

    /* event */
    memset( buf, FILL, 256 );
    ret = pIcmpSendEcho2( h, event, NULL, NULL, SILENT, data, sizeof(data), NULL, buf, 256, 300 );
    ok( !ret && GetLastError() == ERROR_IO_PENDING, "event: returned %lu, error %lu\n", ret, GetLastError() );
    ok( WaitForSingleObject( event, 5000 ) == WAIT_OBJECT_0, "timeout did not signal the event\n" );
    check_failure( buf, IP_REQ_TIMED_OUT, 256 );

    /* APC: Status 0, Information = the struct */
    memset( &apc_rec, 0, sizeof(apc_rec) );
    memset( buf, FILL, 256 );
    ret = pIcmpSendEcho2( h, NULL, record_apc, NULL, SILENT, data, sizeof(data), NULL, buf, 256, 300 );
    ok( !ret && GetLastError() == ERROR_IO_PENDING, "apc: returned %lu, error %lu\n", ret, GetLastError() );
    for (i = 0; i < 50 && !apc_rec.calls; i++) SleepEx( 100, TRUE );
    ok( apc_rec.calls == 1, "timeout APC called %ld times\n", apc_rec.calls );
    ok( apc_rec.status == 0, "iosb Status %#lx\n", apc_rec.status );
    ok( apc_rec.information == REPLY_SIZE, "iosb Information %Iu\n", apc_rec.information );
    check_failure( buf, IP_REQ_TIMED_OUT, 256 );

    /* a reply from elsewhere does not complete a request to the silent host */
    {
        BYTE *buf2 = alloc_reply( 256 );
        ResetEvent( event );
        memset( buf, FILL, 256 );
        ret = pIcmpSendEcho2( h, event, NULL, NULL, SILENT, data, sizeof(data), NULL, buf, 256, 600 );
        ok( !ret && GetLastError() == ERROR_IO_PENDING, "returned %lu\n", ret );
        ret = pIcmpSendEcho( h, LOCALHOST, data, sizeof(data), NULL, buf2, 256, 2000 );
        ok( ret == 1, "echo beside a pending one: %lu\n", ret );
        ok( WaitForSingleObject( event, 0 ) == WAIT_TIMEOUT, "silent request completed by another reply\n" );
        ok( WaitForSingleObject( event, 5000 ) == WAIT_OBJECT_0, "never completed\n" );
        check_failure( buf, IP_REQ_TIMED_OUT, 256 );
        free( buf2 );
    }
done:
    pIcmpCloseHandle( h );
    CloseHandle( event );
    free( buf );
}

static void test_many_timeouts( void )
{
    enum { N = 300 };
    HANDLE h = pIcmpCreateFile(), events[N];
    BYTE data[16], *bufs = malloc( N * 128 );
    DWORD ret, pending = 0, timed_out = 0, i, done;

    if (!need_lab()) goto done;
    fill_payload( data, sizeof(data), 13 );
    memset( bufs, FILL, N * 128 );
    for (i = 0; i < N; i++)
    {
        events[i] = CreateEventA( NULL, TRUE, FALSE, NULL );
        ret = pIcmpSendEcho2( h, events[i], NULL, NULL, SILENT, data, sizeof(data), NULL, bufs + i * 128, 128, 1000 );
        if (!ret && GetLastError() == ERROR_IO_PENDING) pending++;
    }
    ok( pending == N, "%lu of %u requests pending\n", pending, N );
    for (i = done = 0; i < N; i++)
    {
        if (WaitForSingleObject( events[i], 6000 ) == WAIT_OBJECT_0) done++;
        if (((ICMP_ECHO_REPLY *)(bufs + i * 128))->Status == IP_REQ_TIMED_OUT) timed_out++;
        CloseHandle( events[i] );
    }
    ok( done == N, "%lu of %u events signalled\n", done, N );
    todo_builtin ok( timed_out == N, "%lu of %u timed out\n", timed_out, N );
done:
    pIcmpCloseHandle( h );
    free( bufs );
}

/* ---- ICMP errors (lab) ---- */

static void test_icmp_errors( void )
{
    static const struct { const char *dst; DWORD status; } rejects[] =
    {
        { "127.0.0.4", IP_DEST_NET_UNREACHABLE },   /* 3/0 */
        { "127.0.0.5", IP_DEST_HOST_UNREACHABLE },  /* 3/1 */
        { "127.0.0.6", IP_DEST_PROT_UNREACHABLE },  /* 3/2 */
        { "127.0.0.7", IP_DEST_PORT_UNREACHABLE },  /* 3/3 */
        { "127.0.0.8", IP_DEST_NET_UNREACHABLE },   /* 3/9 */
        { "127.0.0.9", IP_DEST_HOST_UNREACHABLE },  /* 3/10 */
        { "127.0.0.10", IP_DEST_HOST_UNREACHABLE }, /* 3/13 */
    };
    BYTE data[32], *buf = alloc_reply( 256 );
    ICMP_ECHO_REPLY *r = (ICMP_ECHO_REPLY *)buf;
    HANDLE h = pIcmpCreateFile(), event = CreateEventA( NULL, TRUE, FALSE, NULL );
    DWORD ret;
    size_t i;

    if (!need_lab()) goto done;
    fill_payload( data, sizeof(data), 14 );
    for (i = 0; i < ARRAY_SIZE(rejects); i++)
    {
        memset( buf, FILL, 256 );
        SetLastError( 0xdeadbeef );
        ret = pIcmpSendEcho( h, addr( rejects[i].dst ), data, sizeof(data), NULL, buf, 256, 2000 );
        ok( ret == 1, "%s: returned %lu, error %lu\n", rejects[i].dst, ret, GetLastError() );
        ok( r->Status == rejects[i].status, "%s: Status %lu, expected %lu\n", rejects[i].dst, r->Status,
            rejects[i].status );
        /* the lab's REJECT rules answer from the rejecting address itself */
        ok( r->Address == addr( rejects[i].dst ), "%s: Address %#lx\n", rejects[i].dst, r->Address );
        todo_builtin ok( r->Reserved == 1, "%s: Reserved %u\n", rejects[i].dst, r->Reserved );
        ok( r->RoundTripTime < 1000, "%s: RoundTripTime %lu\n", rejects[i].dst, r->RoundTripTime );
        todo_builtin ok( pIcmpParseReplies( buf, 256 ) == 1, "%s: IcmpParseReplies\n", rejects[i].dst );
    }

    /* the same through an event */
    memset( buf, FILL, 256 );
    ret = pIcmpSendEcho2( h, event, NULL, NULL, addr( "127.0.0.5" ), data, sizeof(data), NULL, buf, 256, 2000 );
    ok( !ret && GetLastError() == ERROR_IO_PENDING, "event: returned %lu, error %lu\n", ret, GetLastError() );
    ok( WaitForSingleObject( event, 3000 ) == WAIT_OBJECT_0, "error did not signal the event\n" );
    ok( r->Status == IP_DEST_HOST_UNREACHABLE, "event: Status %lu\n", r->Status );
done:
    pIcmpCloseHandle( h );
    CloseHandle( event );
    free( buf );
}

/* ---- the send itself fails (lab: output dropped by the firewall) ---- */

static void test_send_failure( void )
{
    enum { N = 100 };
    BYTE data[32], *buf = alloc_reply( 256 ), *bufs;
    HANDLE h = pIcmpCreateFile(), events[N];
    IPAddr blocked = addr( "127.0.0.11" );
    DWORD ret, i, ok_count = 0;

    if (!need_lab()) goto done;
    fill_payload( data, sizeof(data), 23 );
    SetLastError( 0xdeadbeef );
    ret = pIcmpSendEcho( h, blocked, data, sizeof(data), NULL, buf, 256, 1000 );
    ok( !ret && GetLastError() == IP_GENERAL_FAILURE, "sync: returned %lu, error %lu\n", ret, GetLastError() );
    check_failure( buf, IP_GENERAL_FAILURE, 256 );

    /* asynchronous, with Timeout 0, 1 and 2 ms (which wait one timer tick,
     * see timeout_values): the failed send completes each request, exactly
     * once, before its timer could */
    bufs = malloc( N * 128 );
    memset( bufs, FILL, N * 128 );
    for (i = 0; i < N; i++)
    {
        events[i] = CreateEventA( NULL, TRUE, FALSE, NULL );
        ret = pIcmpSendEcho2( h, events[i], NULL, NULL, blocked, data, sizeof(data), NULL, bufs + i * 128, 128, i % 3 );
        if (!ret && GetLastError() == ERROR_IO_PENDING) ok_count++;
    }
    ok( ok_count == N, "%lu of %u pending\n", ok_count, N );
    for (i = ok_count = 0; i < N; i++)
    {
        ICMP_ECHO_REPLY *r = (ICMP_ECHO_REPLY *)(bufs + i * 128);
        if (WaitForSingleObject( events[i], 5000 ) == WAIT_OBJECT_0 &&
            r->Status == IP_GENERAL_FAILURE && !r->Reserved &&
            touched( bufs + i * 128, REPLY_SIZE, 128 ) == -1)
            ok_count++;
        CloseHandle( events[i] );
    }
    ok( ok_count == N, "%lu of %u completed once with a failure status\n", ok_count, N );
    free( bufs );
done:
    pIcmpCloseHandle( h );
    free( buf );
}

/* ---- source address ---- */

static void test_source( void )
{
    BYTE data[32], *buf = alloc_reply( 256 );
    HANDLE h = pIcmpCreateFile();
    DWORD ret;

    fill_payload( data, sizeof(data), 15 );
    ret = pIcmpSendEcho2Ex( h, NULL, NULL, NULL, LOCALHOST, addr( "127.0.0.1" ), data, sizeof(data), NULL, buf,
                            256, 2000 );
    ok( ret == 1, "source 127.0.0.1: returned %lu, error %lu\n", ret, GetLastError() );
    if (ret) check_sync_echo( buf, LOCALHOST, data, sizeof(data) );
    memset( buf, FILL, 256 );
    ret = pIcmpSendEcho2Ex( h, NULL, NULL, NULL, LOCALHOST, addr( "127.0.0.2" ), data, sizeof(data), NULL, buf,
                            256, 2000 );
    ok( ret == 1, "source 127.0.0.1 to 127.0.0.2: returned %lu, error %lu\n", ret, GetLastError() );
    if (ret) check_sync_echo( buf, addr( "127.0.0.2" ), data, sizeof(data) );
    pIcmpCloseHandle( h );
    free( buf );
}

/* ---- concurrency on one handle ---- */

struct worker
{
    HANDLE h;
    int id, count, good;
    IPAddr dst;
};

static DWORD CALLBACK sync_worker( void *arg )
{
    struct worker *w = arg;
    BYTE data[64], buf[sizeof(ICMP_ECHO_REPLY) + 64];
    ICMP_ECHO_REPLY *r = (ICMP_ECHO_REPLY *)buf;
    IP_OPTION_INFORMATION opts;
    int i;

    memset( &opts, 0, sizeof(opts) );
    for (i = 0; i < w->count; i++)
    {
        fill_payload( data, sizeof(data), (BYTE)(w->id * 31 + i) );
        opts.Ttl = (UCHAR)(1 + (w->id + i) % 64);
        if (pIcmpSendEcho( w->h, w->dst, data, sizeof(data), &opts, buf, sizeof(buf), 3000 ) == 1 &&
            r->Status == IP_SUCCESS && r->DataSize == sizeof(data) && !memcmp( r->Data, data, sizeof(data) ))
            w->good++;
    }
    return 0;
}

static void test_threads_one_handle( void )
{
    enum { THREADS = 8, COUNT = 25 };
    struct worker w[THREADS];
    HANDLE threads[THREADS], h = pIcmpCreateFile();
    int i;

    for (i = 0; i < THREADS; i++)
    {
        w[i].h = h;
        w[i].id = i;
        w[i].count = COUNT;
        w[i].good = 0;
        w[i].dst = addr( i % 2 ? "127.0.0.1" : "127.0.0.2" );
        threads[i] = CreateThread( NULL, 0, sync_worker, &w[i], 0, NULL );
    }
    WaitForMultipleObjects( THREADS, threads, TRUE, INFINITE );
    for (i = 0; i < THREADS; i++)
    {
        ok( w[i].good == COUNT, "thread %d: %d of %d replies were its own\n", i, w[i].good, COUNT );
        CloseHandle( threads[i] );
    }
    pIcmpCloseHandle( h );
}


/* ---- IPv6: Icmp6CreateFile, Icmp6SendEcho2, Icmp6ParseReplies ---- */

static int need_icmp6( void )
{
    if (!pIcmp6CreateFile || !pIcmp6SendEcho2 || !pIcmp6ParseReplies)
        skip( "the target has no Icmp6 functions\n" );
    return pIcmp6CreateFile && pIcmp6SendEcho2 && pIcmp6ParseReplies;
}

/* Whether this system gives programs raw ICMPv6 sockets. Wine's server maps
 * no IPPROTO_ICMPV6 to the host (WSAEPROTONOSUPPORT, up to at least Wine 8):
 * an implementation over Winsock can then only fail, and must fail cleanly,
 * with ERROR_NOT_SUPPORTED and the buffer untouched (checked here). */
static int need_icmpv6_sockets( HANDLE h )
{
    struct sockaddr_in6 loop = addr6( "::1" );
    BYTE data[8] = { 0 }, buf[REPLY6_SIZE + 8 + 64];
    WSADATA wsa;
    SOCKET s;
    DWORD ret;
    int err;

    WSAStartup( MAKEWORD(2, 2), &wsa );
    s = WSASocketW( AF_INET6, SOCK_RAW, IPPROTO_ICMPV6, NULL, 0, 0 );
    if (s != INVALID_SOCKET)
    {
        closesocket( s );
        return 1;
    }
    err = WSAGetLastError();
    if (err != WSAEPROTONOSUPPORT || !winetest_running_on_wine()) return 1;   /* (Windows: no privilege needed) */
    memset( buf, FILL, sizeof(buf) );
    SetLastError( 0xdeadbeef );
    ret = pIcmp6SendEcho2( h, NULL, NULL, NULL, NULL, &loop, data, sizeof(data), NULL, buf, REPLY6_SIZE + 8, 1000 );
    ok( !ret && GetLastError() == ERROR_NOT_SUPPORTED, "no ICMPv6 sockets: returned %lu, error %lu\n", ret,
        GetLastError() );
    ok( touched( buf, 0, sizeof(buf) ) == -1, "no ICMPv6 sockets: buffer written\n" );
    skip( "this Wine cannot open raw ICMPv6 sockets (its server knows no IPPROTO_ICMPV6): "
          "IPv6 echoes cannot be tested here\n" );
    return 0;
}

static void test_icmp6_echo( void )
{
    struct sockaddr_in6 loop = addr6( "::1" ), any = addr6( "::" );
    BYTE data[32], zero_src[28], *buf = alloc_reply( 256 );
    HANDLE h, event = CreateEventA( NULL, TRUE, FALSE, NULL );
    struct apc_record *rec = &apc_rec;
    DWORD ret, i;

    if (!need_icmp6()) goto done;
    h = pIcmp6CreateFile();
    ok( h != INVALID_HANDLE_VALUE, "Icmp6CreateFile failed: %lu\n", GetLastError() );
    if (!need_icmpv6_sockets( h ))
    {
        pIcmpCloseHandle( h );
        goto done;
    }
    fill_payload( data, sizeof(data), 40 );

    /* synchronous: 1 reply, the layout of BEHAVIOR.md, nothing past the data */
    SetLastError( 0xdeadbeef );
    ret = pIcmp6SendEcho2( h, NULL, NULL, NULL, NULL, &loop, data, sizeof(data), NULL, buf, 256, 2000 );
    ok( ret == 1, "sync: returned %lu, error %lu\n", ret, GetLastError() );
    ok( GetLastError() == 0, "sync: error %lu\n", GetLastError() );
    check_echo6( buf, &loop, data, sizeof(data) );
    ok( touched( buf, REPLY6_SIZE + sizeof(data), 256 ) == -1, "written past the data\n" );
    ok( pIcmp6ParseReplies( buf, 256 ) == 1, "Icmp6ParseReplies\n" );
    ok( pIcmp6ParseReplies( buf, 256 ) == 1, "Icmp6ParseReplies is not destructive\n" );

    /* sources: ::, 28 zero bytes (.NET), ::1 */
    memset( buf, FILL, 256 );
    ret = pIcmp6SendEcho2( h, NULL, NULL, NULL, &any, &loop, data, sizeof(data), NULL, buf, 256, 2000 );
    ok( ret == 1, "source ::: returned %lu, error %lu\n", ret, GetLastError() );
    memset( zero_src, 0, sizeof(zero_src) );
    memset( buf, FILL, 256 );
    ret = pIcmp6SendEcho2( h, NULL, NULL, NULL, (struct sockaddr_in6 *)zero_src, &loop, data, sizeof(data), NULL, buf,
                           256, 2000 );
    ok( ret == 1, "28 zero bytes as source: returned %lu, error %lu\n", ret, GetLastError() );
    memset( buf, FILL, 256 );
    ret = pIcmp6SendEcho2( h, NULL, NULL, NULL, &loop, &loop, data, sizeof(data), NULL, buf, 256, 2000 );
    ok( ret == 1, "source ::1: returned %lu, error %lu\n", ret, GetLastError() );
    check_echo6( buf, &loop, data, sizeof(data) );

    /* RequestSize 0, exact buffer */
    memset( buf, FILL, 256 );
    ret = pIcmp6SendEcho2( h, NULL, NULL, NULL, NULL, &loop, NULL, 0, NULL, buf, REPLY6_SIZE, 2000 );
    ok( ret == 1, "no data: returned %lu, error %lu\n", ret, GetLastError() );
    ok( touched( buf, REPLY6_SIZE, 256 ) == -1, "no data: written past the struct\n" );

    /* event */
    memset( buf, FILL, 256 );
    ret = pIcmp6SendEcho2( h, event, NULL, NULL, NULL, &loop, data, sizeof(data), NULL, buf, 256, 2000 );
    ok( !ret && GetLastError() == ERROR_IO_PENDING, "event: returned %lu, error %lu\n", ret, GetLastError() );
    ok( WaitForSingleObject( event, 5000 ) == WAIT_OBJECT_0, "event not signalled\n" );
    check_echo6( buf, &loop, data, sizeof(data) );

    /* APC: Information = struct + data */
    memset( rec, 0, sizeof(*rec) );
    memset( buf, FILL, 256 );
    ret = pIcmp6SendEcho2( h, NULL, record_apc, (void *)0x1234, NULL, &loop, data, sizeof(data), NULL, buf, 256, 2000 );
    ok( !ret && GetLastError() == ERROR_IO_PENDING, "apc: returned %lu, error %lu\n", ret, GetLastError() );
    for (i = 0; i < 50 && !rec->calls; i++) SleepEx( 100, TRUE );
    ok( rec->calls == 1 && rec->context == (void *)0x1234, "APC: %ld calls, context %p\n", rec->calls, rec->context );
    ok( rec->status == 0 && rec->information == REPLY6_SIZE + sizeof(data), "iosb %#lx %Iu\n", rec->status,
        rec->information );
    check_echo6( buf, &loop, data, sizeof(data) );

    /* hop limit 0: completes with IP_GENERAL_FAILURE; zeroed options are accepted */
    {
        IP_OPTION_INFORMATION opts;
        memset( &opts, 0, sizeof(opts) );
        memset( buf, FILL, 256 );
        SetLastError( 0xdeadbeef );
        ret = pIcmp6SendEcho2( h, NULL, NULL, NULL, NULL, &loop, data, sizeof(data), &opts, buf, 256, 2000 );
        ok( !ret && GetLastError() == IP_GENERAL_FAILURE, "hop limit 0: returned %lu, error %lu\n", ret,
            GetLastError() );
        check_failure6( buf, IP_GENERAL_FAILURE, 256 );
        SetLastError( 0xdeadbeef );
        ok( !pIcmp6ParseReplies( buf, 256 ) && GetLastError() == IP_GENERAL_FAILURE, "parse: error %lu\n",
            GetLastError() );
        opts.Ttl = 5;
        memset( buf, FILL, 256 );
        ret = pIcmp6SendEcho2( h, NULL, NULL, NULL, NULL, &loop, data, sizeof(data), &opts, buf, 256, 2000 );
        ok( ret == 1, "hop limit 5: returned %lu, error %lu\n", ret, GetLastError() );
    }
    pIcmpCloseHandle( h );
done:
    CloseHandle( event );
    free( buf );
}

static void test_icmp6_args( void )
{
    struct sockaddr_in6 loop = addr6( "::1" ), any = addr6( "::" ), foreign = addr6( "fd00:ffff::1" );
    BYTE data[32], *buf = alloc_reply( 256 );
    HANDLE h = NULL, h4 = pIcmpCreateFile(), event = CreateEventA( NULL, TRUE, FALSE, NULL );
    struct sockaddr_in v4;
    DWORD ret;

    if (!need_icmp6()) goto done;
    h = pIcmp6CreateFile();
    fill_payload( data, sizeof(data), 41 );
#define CALL6(hh, src, dst, size, rsize) (SetLastError( 0xdeadbeef ), \
        pIcmp6SendEcho2( hh, NULL, NULL, NULL, src, dst, data, size, NULL, buf, rsize, 1000 ))
    ret = CALL6( INVALID_HANDLE_VALUE, NULL, &loop, sizeof(data), 256 );
    ok( !ret && GetLastError() == ERROR_INVALID_PARAMETER, "bad handle: %lu %lu\n", ret, GetLastError() );
    ret = CALL6( h4, NULL, &loop, sizeof(data), 256 );
    ok( !ret && GetLastError() == ERROR_INVALID_PARAMETER, "IPv4 handle: %lu %lu\n", ret, GetLastError() );
    SetLastError( 0xdeadbeef );
    ret = pIcmpSendEcho( h, htonl( INADDR_LOOPBACK ), data, sizeof(data), NULL, buf, 256, 1000 );
    ok( !ret && GetLastError() == ERROR_INVALID_PARAMETER, "IPv6 handle to IcmpSendEcho: %lu %lu\n", ret,
        GetLastError() );
    SetLastError( 0xdeadbeef );
    ret = pIcmp6SendEcho2( h, NULL, NULL, NULL, NULL, &loop, data, sizeof(data), NULL, NULL, 256, 1000 );
    ok( !ret && GetLastError() == ERROR_INVALID_PARAMETER, "NULL reply: %lu %lu\n", ret, GetLastError() );
    ret = CALL6( h, NULL, &loop, sizeof(data), REPLY6_SIZE - 1 );
    ok( !ret && GetLastError() == ERROR_INVALID_PARAMETER, "reply below the struct: %lu %lu\n", ret, GetLastError() );
    ret = CALL6( h, NULL, &any, sizeof(data), 256 );
    ok( !ret && GetLastError() == ERROR_INVALID_NETNAME, "destination ::: %lu %lu\n", ret, GetLastError() );
    memset( &v4, 0, sizeof(v4) );
    v4.sin_family = AF_INET;
    v4.sin_addr.s_addr = htonl( INADDR_LOOPBACK );
    ret = CALL6( h, NULL, (struct sockaddr_in6 *)&v4, sizeof(data), 256 );
    ok( !ret && GetLastError() == ERROR_INVALID_NETNAME, "IPv4 destination: %lu %lu\n", ret, GetLastError() );
    memset( buf, FILL, 256 );
    ret = CALL6( h, NULL, &loop, sizeof(data), REPLY6_SIZE + sizeof(data) - 1 );
    ok( !ret && GetLastError() == IP_GENERAL_FAILURE, "reply short of the data: %lu %lu\n", ret, GetLastError() );
    ok( touched( buf, 0, 256 ) == -1, "short reply buffer written\n" );
    if (need_icmpv6_sockets( h ))
    {
        ret = CALL6( h, &foreign, &loop, sizeof(data), 256 );
        ok( !ret && GetLastError() == ERROR_INVALID_NETNAME, "non-local source: %lu %lu\n", ret, GetLastError() );
        ret = CALL6( h, NULL, &loop, sizeof(data), REPLY6_SIZE + sizeof(data) );
        ok( ret == 1, "exact reply buffer: %lu %lu\n", ret, GetLastError() );
    }
    /* an argument error with an event: not signalled */
    ResetEvent( event );
    SetLastError( 0xdeadbeef );
    ret = pIcmp6SendEcho2( h, event, NULL, NULL, NULL, &any, data, sizeof(data), NULL, buf, 256, 1000 );
    ok( !ret && GetLastError() == ERROR_INVALID_NETNAME, "event + bad destination: %lu %lu\n", ret, GetLastError() );
    ok( WaitForSingleObject( event, 100 ) == WAIT_TIMEOUT, "event signalled after an argument error\n" );
#undef CALL6
    SetLastError( 0xdeadbeef );
    ok( !pIcmp6ParseReplies( NULL, 256 ), "Icmp6ParseReplies(NULL)\n" );
    pIcmpCloseHandle( h );
done:
    pIcmpCloseHandle( h4 );
    CloseHandle( event );
    free( buf );
}

/* the IPv6 callers of BEHAVIOR.md */
static void test_icmp6_callers( void )
{
    struct sockaddr_in6 loop = addr6( "::1" );
    BYTE data[32], zero_src[28], *buf;
    HANDLE h, event;
    DWORD ret, size;

    if (!need_icmp6()) return;
    h = pIcmp6CreateFile();
    if (!need_icmpv6_sockets( h ))
    {
        pIcmpCloseHandle( h );
        return;
    }
    fill_payload( data, sizeof(data), 42 );

    /* .NET: manual-reset event, 28 zero bytes as source, TTL 128 + DF, reads offset 36 */
    {
        IP_OPTION_INFORMATION opts;
        size = 0xffff + 256;
        buf = malloc( size );
        memset( &opts, 0, sizeof(opts) );
        opts.Ttl = 128;
        opts.Flags = IP_FLAG_DF;
        memset( zero_src, 0, sizeof(zero_src) );
        event = CreateEventA( NULL, TRUE, FALSE, NULL );
        ret = pIcmp6SendEcho2( h, event, NULL, NULL, (struct sockaddr_in6 *)zero_src, &loop, data, sizeof(data),
                               &opts, buf, size, 2000 );
        ok( !ret && GetLastError() == ERROR_IO_PENDING, ".NET: returned %lu, error %lu\n", ret, GetLastError() );
        ok( WaitForSingleObject( event, 5000 ) == WAIT_OBJECT_0, ".NET: event not signalled\n" );
        ok( reply6_status( buf ) == IP_SUCCESS && !memcmp( buf + 36, data, sizeof(data) ), ".NET: Status %lu\n",
            reply6_status( buf ) );
        CloseHandle( event );
        free( buf );
    }
    /* OpenJDK: a 68-byte buffer (struct + 32), synchronous, no IOSB space */
    buf = alloc_reply( 68 );
    ret = pIcmp6SendEcho2( h, NULL, NULL, NULL, NULL, &loop, data, sizeof(data), NULL, buf, 68, 1000 );
    ok( ret == 1, "OpenJDK: returned %lu, error %lu\n", ret, GetLastError() );
    check_echo6( buf, &loop, data, sizeof(data) );
    ok( touched( buf, 68, 68 + 64 ) == -1, "OpenJDK: written past the 68 bytes\n" );
    free( buf );
    /* cloudflared: synchronous, a buffer with room for an IO_STATUS_BLOCK */
    size = REPLY6_SIZE + sizeof(data) + 8 + sizeof(IO_STATUS_BLOCK);
    buf = alloc_reply( size );
    ret = pIcmp6SendEcho2( h, NULL, NULL, NULL, NULL, &loop, data, sizeof(data), NULL, buf, size, 1000 );
    ok( ret == 1, "cloudflared: returned %lu, error %lu\n", ret, GetLastError() );
    check_echo6( buf, &loop, data, sizeof(data) );
    ok( touched( buf, REPLY6_SIZE + sizeof(data), size ) == -1, "cloudflared: IOSB space written\n" );
    free( buf );
    pIcmpCloseHandle( h );
}

/* Windows' rules that Wine's iphlpapi tests check on real Windows
 * (test_Icmp6SendEcho, testIcmp6ParseReplies; facts only, written anew):
 * a sockaddr whose family is 0 is read for its address, hop limit 0 fails
 * (asynchronously: STATUS_INVALID_PARAMETER in the IO_STATUS_BLOCK), an
 * event wins over an APC, and the exact struct + data buffer suffices. */
static void test_icmp6_windows( void )
{
    struct sockaddr_in6 loop = addr6( "::1" ), loop0 = loop, zero, foreign0 = addr6( "::ffff" );
    HANDLE h, event = CreateEventA( NULL, FALSE, FALSE, NULL );
    struct apc_record *rec = &apc_rec;
    ICMPV6_ECHO_REPLY36 parsed;
    IP_OPTION_INFORMATION opts;
    BYTE data[32], *buf;
    DWORD ret, size = REPLY6_SIZE + sizeof(data);

    if (!need_icmp6()) goto done;
    /* Icmp6ParseReplies: 1 for a zeroed struct (IP_SUCCESS), last error untouched */
    memset( &parsed, 0, sizeof(parsed) );
    SetLastError( 0xdeadbeef );
    ret = pIcmp6ParseReplies( &parsed, sizeof(parsed) );
    ok( ret == 1 && GetLastError() == 0xdeadbeef, "parse zeroed: %lu, error %lu\n", ret, GetLastError() );
    parsed.Status = 12345;
    SetLastError( 0xdeadbeef );
    ret = pIcmp6ParseReplies( &parsed, sizeof(parsed) );
    ok( !ret && GetLastError() == 12345 && parsed.Status == 12345, "parse 12345: %lu, error %lu\n", ret,
        GetLastError() );

    h = pIcmp6CreateFile();
    ok( h != INVALID_HANDLE_VALUE, "Icmp6CreateFile failed: %lu\n", GetLastError() );
    if (!need_icmpv6_sockets( h ))
    {
        pIcmpCloseHandle( h );
        goto done;
    }
    loop0.sin6_family = 0;
    foreign0.sin6_family = 0;
    memset( &zero, 0, sizeof(zero) );
    fill_payload( data, sizeof(data), 43 );
    buf = alloc_reply( size );

    /* family 0: the addresses are read; an exact-size buffer */
    SetLastError( 0xdeadbeef );
    ret = pIcmp6SendEcho2( h, NULL, NULL, NULL, &zero, &loop0, data, sizeof(data), NULL, buf, size, 1000 );
    ok( ret == 1 && GetLastError() == 0, "family 0: returned %lu, error %lu\n", ret, GetLastError() );
    check_echo6( buf, &loop, data, sizeof(data) );
    ok( !reply6_scope( buf ), "scope id %lu\n", reply6_scope( buf ) );
    ok( touched( buf, size, size + 64 ) == -1, "written past the exact buffer\n" );

    /* hop limit 0 (zeroed options), source ::1 with family 0: IP_GENERAL_FAILURE; 1 works */
    memset( &opts, 0, sizeof(opts) );
    memset( buf, FILL, size + 64 );
    SetLastError( 0xdeadbeef );
    ret = pIcmp6SendEcho2( h, NULL, NULL, NULL, &loop0, &loop0, data, sizeof(data), &opts, buf, size, 1000 );
    ok( !ret && GetLastError() == IP_GENERAL_FAILURE, "hop limit 0: returned %lu, error %lu\n", ret, GetLastError() );
    check_failure6( buf, IP_GENERAL_FAILURE, size + 64 );
    opts.Ttl = 1;
    memset( buf, FILL, size + 64 );
    ret = pIcmp6SendEcho2( h, NULL, NULL, NULL, &loop0, &loop0, data, sizeof(data), &opts, buf, size, 1000 );
    ok( ret == 1, "hop limit 1: returned %lu, error %lu\n", ret, GetLastError() );
    check_echo6( buf, &loop, data, sizeof(data) );

    /* an APC with the destination ::: refused at once, no APC */
    memset( rec, 0, sizeof(*rec) );
    SetLastError( 0xdeadbeef );
    ret = pIcmp6SendEcho2( h, NULL, record_apc, (void *)0xdeadc0de, &zero, &zero, data, sizeof(data), NULL, buf,
                           size, 1000 );
    ok( !ret && GetLastError() == ERROR_INVALID_NETNAME, "APC to ::: returned %lu, error %lu\n", ret, GetLastError() );
    SleepEx( 0, TRUE );
    ok( !rec->calls, "APC ran after an argument error\n" );

    /* an APC: it runs in the alertable wait; Information = struct + data */
    memset( buf, FILL, size + 64 );
    ret = pIcmp6SendEcho2( h, NULL, record_apc, (void *)0xdeadc0de, &zero, &loop0, data, sizeof(data), NULL, buf,
                           size, 1000 );
    ok( !ret && GetLastError() == ERROR_IO_PENDING, "APC: returned %lu, error %lu\n", ret, GetLastError() );
    ret = WaitForSingleObjectEx( event, 5000, TRUE );
    ok( ret == WAIT_IO_COMPLETION, "APC: wait returned %#lx\n", ret );
    ok( rec->calls == 1 && rec->context == (void *)0xdeadc0de, "APC: %ld calls, context %p\n", rec->calls,
        rec->context );
    ok( rec->status == STATUS_SUCCESS && rec->information == (ULONG_PTR)size, "APC: iosb %#lx %Iu\n", rec->status,
        rec->information );
    check_echo6( buf, &loop, data, sizeof(data) );

    /* an event and an APC: the event is signalled, the APC never runs */
    memset( rec, 0, sizeof(*rec) );
    memset( buf, FILL, size + 64 );
    ret = pIcmp6SendEcho2( h, event, record_apc, (void *)0xdeadc0de, &zero, &loop0, data, sizeof(data), NULL, buf,
                           size, 1000 );
    ok( !ret && GetLastError() == ERROR_IO_PENDING, "event + APC: returned %lu, error %lu\n", ret, GetLastError() );
    ret = WaitForSingleObjectEx( event, 5000, TRUE );
    ok( ret == WAIT_OBJECT_0, "event + APC: wait returned %#lx\n", ret );
    SleepEx( 100, TRUE );
    ok( !rec->calls, "event + APC: the APC ran\n" );
    check_echo6( buf, &loop, data, sizeof(data) );

    /* hop limit 0 with an APC: pending, then STATUS_INVALID_PARAMETER and
     * only the struct (Status IP_GENERAL_FAILURE, Address ::) */
    opts.Ttl = 0;
    memset( rec, 0, sizeof(*rec) );
    memset( buf, FILL, size + 64 );
    ret = pIcmp6SendEcho2( h, NULL, record_apc, (void *)0xdeadc0de, &zero, &loop0, data, sizeof(data), &opts, buf,
                           size, 1000 );
    ok( !ret && GetLastError() == ERROR_IO_PENDING, "APC, hop limit 0: returned %lu, error %lu\n", ret,
        GetLastError() );
    ret = WaitForSingleObjectEx( event, 5000, TRUE );
    ok( ret == WAIT_IO_COMPLETION, "APC, hop limit 0: wait returned %#lx\n", ret );
    ok( rec->calls == 1, "APC, hop limit 0: %ld calls\n", rec->calls );
    ok( rec->status == (NTSTATUS)STATUS_INVALID_PARAMETER && rec->information == REPLY6_SIZE,
        "APC, hop limit 0: iosb %#lx %Iu\n", rec->status, rec->information );
    check_failure6( buf, IP_GENERAL_FAILURE, size + 64 );

    /* a source that is not ours (::ffff, family 0), with an event: refused, not signalled */
    SetLastError( 0xdeadbeef );
    ret = pIcmp6SendEcho2( h, event, NULL, NULL, &foreign0, &loop0, data, sizeof(data), NULL, buf, size, 1000 );
    ok( !ret && GetLastError() == ERROR_INVALID_NETNAME, "source ::ffff: returned %lu, error %lu\n", ret,
        GetLastError() );
    ok( WaitForSingleObject( event, 100 ) == WAIT_TIMEOUT, "source ::ffff: event signalled\n" );

    ok( pIcmpCloseHandle( h ), "IcmpCloseHandle failed: %lu\n", GetLastError() );
    free( buf );
done:
    CloseHandle( event );
}

/* The loopback lab's IPv6 addresses (fd00:7f::/64 on its lo): ::2
 * answers, ::3 is silent, ::4-::9 answer with ip6tables REJECT, and
 * output to ::11 is dropped, so that sending fails */
static void test_icmp6_lab( void )
{
    static const struct { const char *dst; DWORD status; } rejects[] =
    {
        { "fd00:7f::4", IP_DEST_NO_ROUTE },           /* 1/0 no route */
        { "fd00:7f::5", IP_DEST_PROHIBITED },         /* 1/1 administratively prohibited */
        { "fd00:7f::6", IP_DEST_ADDR_UNREACHABLE },   /* 1/3 address unreachable */
        { "fd00:7f::7", IP_DEST_PORT_UNREACHABLE },   /* 1/4 port unreachable */
        { "fd00:7f::8", IP_ICMP_ERROR },              /* 1/5 source address failed policy */
        { "fd00:7f::9", IP_DEST_UNREACHABLE },        /* 1/6 reject route */
    };
    struct sockaddr_in6 answering = addr6( "fd00:7f::2" ), silent = addr6( "fd00:7f::3" ),
                        blocked = addr6( "fd00:7f::11" ), dst;
    BYTE data[32], *buf = alloc_reply( 256 );
    HANDLE h = NULL, event = CreateEventA( NULL, TRUE, FALSE, NULL );
    DWORD ret, start, elapsed, i;

    if (!need_lab() || !need_icmp6()) goto done;
    h = pIcmp6CreateFile();
    if (!need_icmpv6_sockets( h )) goto done;
    fill_payload( data, sizeof(data), 44 );

    ret = pIcmp6SendEcho2( h, NULL, NULL, NULL, NULL, &answering, data, sizeof(data), NULL, buf, 256, 2000 );
    ok( ret == 1, "fd00:7f::2: returned %lu, error %lu\n", ret, GetLastError() );
    check_echo6( buf, &answering, data, sizeof(data) );

    /* silent: synchronous, event, APC */
    memset( buf, FILL, 256 );
    start = clock_ms();
    SetLastError( 0xdeadbeef );
    ret = pIcmp6SendEcho2( h, NULL, NULL, NULL, NULL, &silent, data, sizeof(data), NULL, buf, 256, 500 );
    elapsed = clock_ms() - start;
    ok( !ret && GetLastError() == IP_REQ_TIMED_OUT, "silent: returned %lu, error %lu\n", ret, GetLastError() );
    ok( elapsed >= 450 && elapsed < 3000, "silent: the timeout took %lu ms\n", elapsed );
    check_failure6( buf, IP_REQ_TIMED_OUT, 256 );
    memset( buf, FILL, 256 );
    ret = pIcmp6SendEcho2( h, event, NULL, NULL, NULL, &silent, data, sizeof(data), NULL, buf, 256, 300 );
    ok( !ret && GetLastError() == ERROR_IO_PENDING, "silent, event: returned %lu, error %lu\n", ret, GetLastError() );
    ok( WaitForSingleObject( event, 5000 ) == WAIT_OBJECT_0, "silent: the timeout did not signal the event\n" );
    check_failure6( buf, IP_REQ_TIMED_OUT, 256 );
    memset( &apc_rec, 0, sizeof(apc_rec) );
    memset( buf, FILL, 256 );
    ret = pIcmp6SendEcho2( h, NULL, record_apc, NULL, NULL, &silent, data, sizeof(data), NULL, buf, 256, 300 );
    ok( !ret && GetLastError() == ERROR_IO_PENDING, "silent, APC: returned %lu, error %lu\n", ret, GetLastError() );
    for (i = 0; i < 50 && !apc_rec.calls; i++) SleepEx( 100, TRUE );
    ok( apc_rec.calls == 1 && apc_rec.status == STATUS_SUCCESS && apc_rec.information == REPLY6_SIZE,
        "silent, APC: %ld calls, iosb %#lx %Iu\n", apc_rec.calls, apc_rec.status, apc_rec.information );
    check_failure6( buf, IP_REQ_TIMED_OUT, 256 );

    /* destination unreachable, each code: one reply carrying the Status, from the rejecting address */
    for (i = 0; i < ARRAY_SIZE(rejects); i++)
    {
        dst = addr6( rejects[i].dst );
        memset( buf, FILL, 256 );
        SetLastError( 0xdeadbeef );
        ret = pIcmp6SendEcho2( h, NULL, NULL, NULL, NULL, &dst, data, sizeof(data), NULL, buf, 256, 2000 );
        ok( ret == 1, "%s: returned %lu, error %lu\n", rejects[i].dst, ret, GetLastError() );
        ok( reply6_status( buf ) == rejects[i].status, "%s: Status %lu, expected %lu\n", rejects[i].dst,
            reply6_status( buf ), rejects[i].status );
        ok( !memcmp( reply6_addr( buf ), &dst.sin6_addr, 16 ), "%s: Address differs\n", rejects[i].dst );
        ok( reply6_rtt( buf ) < 1000, "%s: RoundTripTime %lu\n", rejects[i].dst, (DWORD)reply6_rtt( buf ) );
        SetLastError( 0xdeadbeef );
        ok( !pIcmp6ParseReplies( buf, 256 ) && GetLastError() == rejects[i].status, "%s: parse: error %lu\n",
            rejects[i].dst, GetLastError() );
    }

    /* the send fails (output dropped): the request completes with IP_GENERAL_FAILURE */
    memset( buf, FILL, 256 );
    SetLastError( 0xdeadbeef );
    ret = pIcmp6SendEcho2( h, NULL, NULL, NULL, NULL, &blocked, data, sizeof(data), NULL, buf, 256, 1000 );
    ok( !ret && GetLastError() == IP_GENERAL_FAILURE, "blocked: returned %lu, error %lu\n", ret, GetLastError() );
    check_failure6( buf, IP_GENERAL_FAILURE, 256 );
done:
    if (h) pIcmpCloseHandle( h );
    CloseHandle( event );
    free( buf );
}

/* ---- icmp.dll (--icmp) ---- */

static HMODULE target_module, icmp_module;
/* icmp.dll's exports (the same in Wine 8 and Windows 10) */
static const char * const icmp_exports[] =
{
    "IcmpCreateFile", "IcmpCloseHandle", "IcmpParseReplies", "IcmpSendEcho", "IcmpSendEcho2",
};

static void test_icmp_forwards( void )
{
    size_t i;

    if (!icmp_module)
    {
        skip( "no icmp.dll given (--icmp)\n" );
        return;
    }
    for (i = 0; i < ARRAY_SIZE(icmp_exports); i++)
    {
        FARPROC via_icmp = GetProcAddress( icmp_module, icmp_exports[i] );
        FARPROC direct = GetProcAddress( target_module, icmp_exports[i] );
        ok( via_icmp && via_icmp == direct, "icmp.dll %s -> %p, the target's is %p\n", icmp_exports[i],
            via_icmp, direct );
    }
    ok( !GetProcAddress( icmp_module, "IcmpSendEcho2Ex" ), "icmp.dll exports IcmpSendEcho2Ex (Windows' does not)\n" );
}

/* ---- how real programs call it ---- */

/* .NET Ping: see icmp_callers.h */
static void test_caller_dotnet( void )
{
    struct caller_case cases[] =
    {
        { "dotnet-loopback", LOCALHOST, 128, 500, IP_SUCCESS, LOCALHOST },
        { "dotnet-silent", SILENT, 128, 500, IP_REQ_TIMED_OUT, 0 },
    };
    DWORD size = 0xffff + 256, i;
    BYTE *buf = alloc_reply( size );
    HANDLE h = pIcmpCreateFile();

    for (i = 0; i < (lab ? 2 : 1); i++) caller_dotnet( h, &cases[i], buf, size );
    pIcmpCloseHandle( h );
    free( buf );
}

/* WinMTR: 30 hops to loopback, each answered by 127.0.0.1 itself */
static void test_caller_winmtr( void )
{
    enum { HOPS = 30 };
    struct caller_case hops[HOPS];
    char names[HOPS][16];
    int i;

    for (i = 0; i < HOPS; i++)
    {
        sprintf( names[i], "hop %d", i + 1 );
        hops[i].name = names[i];
        hops[i].dst = LOCALHOST;
        hops[i].ttl = (UCHAR)(i + 1);
        hops[i].timeout = 2000;
        hops[i].status = IP_SUCCESS;
        hops[i].from = LOCALHOST;
    }
    caller_winmtr( hops, HOPS, 5 );
}

/* OpenJDK isReachable: synchronous IcmpSendEcho / IcmpSendEcho2Ex, buffer struct + 32 + 8 */
static void test_caller_openjdk( void )
{
    DWORD size = REPLY_SIZE + 32 + 8, ret;
    BYTE data[32], *buf = alloc_reply( size );
    HANDLE h = pIcmpCreateFile();

    fill_payload( data, sizeof(data), 17 );
    ret = pIcmpSendEcho( h, LOCALHOST, data, sizeof(data), NULL, buf, size, 1000 );
    ok( ret == 1, "IcmpSendEcho: %lu, error %lu\n", ret, GetLastError() );
    if (ret) check_sync_echo( buf, LOCALHOST, data, sizeof(data) );
    memset( buf, FILL, size + 64 );
    ret = pIcmpSendEcho2Ex( h, NULL, NULL, NULL, LOCALHOST, LOCALHOST, data, sizeof(data), NULL, buf, size, 1000 );
    ok( ret == 1, "IcmpSendEcho2Ex: %lu, error %lu\n", ret, GetLastError() );
    if (ret) check_sync_echo( buf, LOCALHOST, data, sizeof(data) );
    if (lab)
    {
        ret = pIcmpSendEcho( h, SILENT, data, sizeof(data), NULL, buf, size, 300 );
        ok( !ret && GetLastError() == IP_REQ_TIMED_OUT, "unreachable: %lu, error %lu\n", ret, GetLastError() );
    }
    pIcmpCloseHandle( h );
    free( buf );
}

/* cloudflared: one shared handle, IcmpSendEcho with an exact-size buffer,
 * reads the data from the end of the buffer */
static void test_caller_cloudflared( void )
{
    BYTE data[56], *buf;
    DWORD size = REPLY_SIZE + sizeof(data), ret;
    HANDLE h = pIcmpCreateFile();
    int i;

    buf = alloc_reply( size );
    for (i = 0; i < 3; i++)
    {
        fill_payload( data, sizeof(data), (BYTE)(18 + i) );
        memset( buf, FILL, size );
        ret = pIcmpSendEcho( h, LOCALHOST, data, sizeof(data), NULL, buf, size, 1000 );
        ok( ret == 1, "returned %lu, error %lu\n", ret, GetLastError() );
        ok( !memcmp( buf + size - sizeof(data), data, sizeof(data) ), "data not at the end of the buffer\n" );
        ok( touched( buf, size, size + 64 ) == -1, "wrote past the exact-size buffer\n" );
    }
    pIcmpCloseHandle( h );
    free( buf );
}

/* Mozilla VPN: auto-reset event, IcmpSendEcho2Ex, IcmpParseReplies, 11010 =
 * timeout, the handle closed on another thread while requests are pending */
static DWORD CALLBACK close_handle_thread( void *arg )
{
    pIcmpCloseHandle( arg );
    return 0;
}

static void test_caller_mozillavpn( void )
{
    BYTE data[32], *buf = alloc_reply( 256 ), *buf2 = alloc_reply( 256 );
    HANDLE h = pIcmpCreateFile(), event = CreateEventA( NULL, FALSE, FALSE, NULL );
    HANDLE event2 = CreateEventA( NULL, FALSE, FALSE, NULL ), thread;
    DWORD ret;

    fill_payload( data, sizeof(data), 21 );
    ret = pIcmpSendEcho2Ex( h, event, NULL, NULL, 0, LOCALHOST, data, sizeof(data), NULL, buf, 256, 1000 );
    ok( !ret && GetLastError() == ERROR_IO_PENDING, "returned %lu, error %lu\n", ret, GetLastError() );
    ret = pIcmpSendEcho2Ex( h, event2, NULL, NULL, 0, lab ? SILENT : LOCALHOST, data, sizeof(data), NULL, buf2, 256, 400 );
    ok( !ret && GetLastError() == ERROR_IO_PENDING, "returned %lu, error %lu\n", ret, GetLastError() );
    thread = CreateThread( NULL, 0, close_handle_thread, h, 0, NULL );
    WaitForSingleObject( thread, INFINITE );
    CloseHandle( thread );
    ok( WaitForSingleObject( event, 3000 ) == WAIT_OBJECT_0, "first event not signalled\n" );
    ok( pIcmpParseReplies( buf, 256 ) == 1, "IcmpParseReplies failed, error %lu\n", GetLastError() );
    ok( WaitForSingleObject( event2, 3000 ) == WAIT_OBJECT_0, "second event not signalled\n" );
    if (lab)
    {
        SetLastError( 0xdeadbeef );
        ret = pIcmpParseReplies( buf2, 256 );
        ok( !ret && GetLastError() == IP_REQ_TIMED_OUT, "timeout parse: %lu, error %lu\n", ret, GetLastError() );
    }
    CloseHandle( event );
    CloseHandle( event2 );
    free( buf );
    free( buf2 );
}

/* Rust ping-async: IcmpSendEcho2Ex with an event, 32-bit option structs on
 * 64-bit, a 100-byte buffer */
static void test_caller_ping_async( void )
{
    BYTE data[32], *buf = alloc_reply( 100 );
    struct options32 opts32;
    HANDLE h = pIcmpCreateFile(), event = CreateEventA( NULL, TRUE, FALSE, NULL );
    DWORD ret;

    fill_payload( data, sizeof(data), 22 );
    memset( &opts32, 0, sizeof(opts32) );
    opts32.Ttl = 64;
    ret = pIcmpSendEcho2Ex( h, event, NULL, NULL, 0, LOCALHOST, data, sizeof(data),
                            (IP_OPTION_INFORMATION *)&opts32, buf, 100, 1000 );
    ok( !ret && GetLastError() == ERROR_IO_PENDING, "returned %lu, error %lu\n", ret, GetLastError() );
    ok( WaitForSingleObject( event, 3000 ) == WAIT_OBJECT_0, "event not signalled\n" );
    check_echo( buf, LOCALHOST, data, sizeof(data) );
    ok( touched( buf, REPLY_SIZE + sizeof(data), 164 ) == -1, "wrote past the reply\n" );
    pIcmpCloseHandle( h );
    CloseHandle( event );
    free( buf );
}

/* cnping: 100 threads, each with its own handle, synchronous IcmpSendEcho */
static DWORD CALLBACK cnping_thread( void *arg )
{
    struct worker *w = arg;
    BYTE data[12], buf[sizeof(ICMP_ECHO_REPLY) + 12 + 8];
    ICMP_ECHO_REPLY *r = (ICMP_ECHO_REPLY *)buf;
    int i;

    w->h = pIcmpCreateFile();
    for (i = 0; i < w->count; i++)
    {
        fill_payload( data, sizeof(data), (BYTE)(w->id + i) );
        if (pIcmpSendEcho( w->h, w->dst, data, sizeof(data), NULL, buf, sizeof(buf), 3000 ) == 1 &&
            r->Status == IP_SUCCESS && !memcmp( r->Data, data, sizeof(data) ))
            w->good++;
    }
    pIcmpCloseHandle( w->h );
    return 0;
}

static void test_caller_cnping( void )
{
    enum { THREADS = 100, COUNT = 3 };
    static struct worker w[THREADS];
    HANDLE threads[THREADS];
    int i, good = 0;

    for (i = 0; i < THREADS; i++)
    {
        w[i].id = i;
        w[i].count = COUNT;
        w[i].good = 0;
        w[i].dst = htonl( 0x7f000001 + i % 2 );
        threads[i] = CreateThread( NULL, 0, cnping_thread, &w[i], 0, NULL );
    }
    for (i = 0; i < THREADS; i++)
    {
        WaitForSingleObject( threads[i], INFINITE );
        CloseHandle( threads[i] );
        good += w[i].good;
    }
    ok( good == THREADS * COUNT, "%d of %d echoes came back to their own thread\n", good, THREADS * COUNT );
}

static const struct winetest_entry tests[] =
{
    { "icmp_forwards", test_icmp_forwards },
    { "handles", test_handles },
    { "bad_handles", test_bad_handles },
    { "arg_order", test_arg_order },
    { "sync_echo", test_sync_echo },
    { "sizes", test_sizes },
    { "timeout_values", test_timeout_values },
    { "parse_replies", test_parse_replies },
    { "options", test_options },
    { "event", test_event },
    { "event_closed_early", test_event_closed_early },
    { "apc", test_apc },
    { "apc_nested", test_apc_nested },
    { "event_kinds", test_event_kinds },
    { "close_pending", test_close_pending },
    { "thread_exit", test_thread_exit },
    { "timeouts", test_timeouts },
    { "many_timeouts", test_many_timeouts },
    { "icmp_errors", test_icmp_errors },
    { "send_failure", test_send_failure },
    { "source", test_source },
    { "threads_one_handle", test_threads_one_handle },
    { "caller_dotnet", test_caller_dotnet },
    { "caller_winmtr", test_caller_winmtr },
    { "caller_openjdk", test_caller_openjdk },
    { "caller_cloudflared", test_caller_cloudflared },
    { "caller_mozillavpn", test_caller_mozillavpn },
    { "caller_ping_async", test_caller_ping_async },
    { "caller_cnping", test_caller_cnping },
    { "icmp6_echo", test_icmp6_echo },
    { "icmp6_args", test_icmp6_args },
    { "icmp6_callers", test_icmp6_callers },
    { "icmp6_windows", test_icmp6_windows },
    { "icmp6_lab", test_icmp6_lab },
};

static const char *icmp_path;

static int test_option( int argc, char **argv, int i )
{
    if (!strcmp( argv[i], "--icmp" ) && i + 1 < argc)
    {
        icmp_path = argv[i + 1];
        return 2;
    }
    if (!strcmp( argv[i], "--lab" ))
    {
        lab = 1;
        return 1;
    }
    if (!strcmp( argv[i], "--unpriv" ))
    {
        unpriv = 1;
        return 1;
    }
    return 0;
}

/* with --icmp: that icmp.dll, loaded after the target, whose exports must forward to it */
static int load_icmp_module( HMODULE target, HMODULE *first )
{
    char full[MAX_PATH];

    target_module = target;
    if (!icmp_path) return 1;
    GetFullPathNameA( icmp_path, sizeof(full), full, NULL );
    if (!(*first = icmp_module = LoadLibraryA( full )))
    {
        printf( "cannot load %s: error %lu\n", full, GetLastError() );
        return 0;
    }
    printf( "through %s, whose exports must forward to the target\n", full );
    return 1;
}

int main( int argc, char **argv )
{
    return icmp_test_main( argc, argv, tests, ARRAY_SIZE(tests), test_option, load_icmp_module );
}
