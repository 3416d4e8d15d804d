/*
 * Stress, lifecycle, leak and isolation tests of an ICMP echo implementation
 * (Wine-style harness, same --dll and --lab conventions as icmp_test.exe):
 *
 *   icmp_stress.exe [--dll PATH|system] [--lab] [--scale N] [--list] [test]
 *
 * --scale divides the request counts (1 = the full sizes of the issue:
 * 16 threads x 2,000 requests, 100,000 requests for the leak test); the
 * suite runner uses a size that fits CI. Only loopback addresses are used;
 * with --lab, 127.0.0.3 is silent.
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
#include <tlhelp32.h>
#include <psapi.h>
#include "proc_stats.h"
#include "dll_heap.h"

static int lab, scale = 1;
static const char *dll_arg = "system", *self_path;
#define LOCALHOST2 addr( "127.0.0.2" )
#define SILENT     addr( "127.0.0.3" )

static BOOL heap_counted;   /* the DLL's heap blocks are counted (dll_heap.h) */
static int count( int full ) { return full / scale > 0 ? full / scale : 1; }

static DWORD sync_echo( HANDLE h, IPAddr dst, BYTE *data, WORD size, UCHAR ttl, BYTE *buf, DWORD buf_size )
{
    IP_OPTION_INFORMATION opts;
    memset( &opts, 0, sizeof(opts) );
    opts.Ttl = ttl;
    return pIcmpSendEcho2( h, NULL, NULL, NULL, dst, data, size, &opts, buf, buf_size, 5000 );
}

static int reply_is( const BYTE *buf, const BYTE *data, WORD size )
{
    const ICMP_ECHO_REPLY *r = (const ICMP_ECHO_REPLY *)buf;
    return r->Status == IP_SUCCESS && r->DataSize == size && !memcmp( r->Data, data, size );
}

/* ---- 16 threads x 2,000 synchronous requests on one handle ---- */

struct worker
{
    HANDLE h;
    int id, n, good, wrong;
};

static DWORD CALLBACK shared_handle_worker( void *arg )
{
    struct worker *w = arg;
    BYTE data[100], buf[sizeof(ICMP_ECHO_REPLY) + 100];
    int i;

    for (i = 0; i < w->n; i++)
    {
        WORD size = (WORD)(16 + (w->id * 5 + i) % 84);
        fill_payload( data, size, w->id << 16 | i );
        if (sync_echo( w->h, (i & 1) ? LOCALHOST : LOCALHOST2, data, size, (UCHAR)(1 + (w->id + i) % 255), buf,
                       sizeof(buf) ) == 1 && reply_is( buf, data, size ))
            w->good++;
        else w->wrong++;
    }
    return 0;
}

static void test_threads_shared_handle( void )
{
    enum { THREADS = 16 };
    struct worker w[THREADS];
    HANDLE threads[THREADS], h = pIcmpCreateFile();
    int i, good = 0, n = count( 2000 );

    for (i = 0; i < THREADS; i++)
    {
        w[i].h = h; w[i].id = i; w[i].n = n; w[i].good = w[i].wrong = 0;
        threads[i] = CreateThread( NULL, 0, shared_handle_worker, &w[i], 0, NULL );
    }
    WaitForMultipleObjects( THREADS, threads, TRUE, INFINITE );
    for (i = 0; i < THREADS; i++)
    {
        ok( w[i].good == n, "thread %d: %d of %d replies were its own (%d not)\n", i, w[i].good, n, w[i].wrong );
        good += w[i].good;
        CloseHandle( threads[i] );
    }
    trace( "%d echoes on one handle from %d threads\n", good, THREADS );
    pIcmpCloseHandle( h );
}

/* ---- 64 threads, each its own handle ---- */

static DWORD CALLBACK own_handle_worker( void *arg )
{
    struct worker *w = arg;
    w->h = pIcmpCreateFile();
    shared_handle_worker( w );
    pIcmpCloseHandle( w->h );
    return 0;
}

static void test_threads_own_handles( void )
{
    enum { THREADS = 64 };
    static struct worker w[THREADS];
    HANDLE threads[THREADS];
    int i, n = count( 200 );

    for (i = 0; i < THREADS; i++)
    {
        w[i].id = 100 + i; w[i].n = n; w[i].good = w[i].wrong = 0;
        threads[i] = CreateThread( NULL, 0, own_handle_worker, &w[i], 0, NULL );
    }
    WaitForMultipleObjects( THREADS, threads, TRUE, INFINITE );
    for (i = 0; i < THREADS; i++)
    {
        ok( w[i].good == n, "thread %d: %d of %d replies were its own\n", i, w[i].good, n );
        CloseHandle( threads[i] );
    }
}

/* ---- mixed synchronous, event and APC load ---- */

struct async_req
{
    BYTE data[48];
    BYTE buf[REPLY6_SIZE + 48 + 16];   /* (room for either family's reply) */
    LONG calls;
    int expect_timeout;
};

static void NTAPI counting_apc( void *context, IO_STATUS_BLOCK *iosb, ULONG reserved )
{
    struct async_req *r = context;
    InterlockedIncrement( &r->calls );
}

struct mixed_arg
{
    HANDLE h;
    int id, n, good;
};

static DWORD CALLBACK mixed_event_worker( void *arg )
{
    struct mixed_arg *m = arg;
    struct async_req *r = calloc( 1, sizeof(*r) );
    HANDLE event = CreateEventA( NULL, FALSE, FALSE, NULL );
    int i;

    for (i = 0; i < m->n; i++)
    {
        fill_payload( r->data, sizeof(r->data), m->id << 16 | i );
        if (!pIcmpSendEcho2( m->h, event, NULL, NULL, LOCALHOST, r->data, sizeof(r->data), NULL, r->buf,
                             sizeof(r->buf), 5000 ) && GetLastError() == ERROR_IO_PENDING &&
            WaitForSingleObject( event, 10000 ) == WAIT_OBJECT_0 && reply_is( r->buf, r->data, sizeof(r->data) ))
            m->good++;
    }
    CloseHandle( event );
    free( r );
    return 0;
}

static DWORD CALLBACK mixed_apc_worker( void *arg )
{
    struct mixed_arg *m = arg;
    int batch = 50, i, j, done;
    struct async_req *r = calloc( batch, sizeof(*r) );

    for (i = 0; i < m->n; i += batch)
    {
        for (j = 0; j < batch; j++)
        {
            r[j].calls = 0;
            fill_payload( r[j].data, sizeof(r[j].data), m->id << 16 | (i + j) );
            pIcmpSendEcho2( m->h, NULL, counting_apc, &r[j], LOCALHOST2, r[j].data, sizeof(r[j].data), NULL,
                            r[j].buf, sizeof(r[j].buf), 5000 );
        }
        /* every request must have completed before its buffer is reused */
        for (done = 0; done < 1500; done++)
        {
            int all = 1;
            SleepEx( 10, TRUE );
            for (j = 0; j < batch; j++) if (!r[j].calls) all = 0;
            if (all) break;
        }
        if (done == 1500) return 0;  /* never completed: keep the buffers, report the shortfall */
        for (j = 0; j < batch; j++)
            if (r[j].calls == 1 && reply_is( r[j].buf, r[j].data, sizeof(r[j].data) )) m->good++;
    }
    free( r );
    return 0;
}

static void test_mixed_load( void )
{
    enum { EACH = 4 };
    struct worker w[EACH];
    struct mixed_arg m[2 * EACH];
    HANDLE threads[3 * EACH], h = pIcmpCreateFile();
    int i, n = count( 1000 );

    for (i = 0; i < EACH; i++)
    {
        w[i].h = h; w[i].id = 300 + i; w[i].n = n; w[i].good = w[i].wrong = 0;
        threads[i] = CreateThread( NULL, 0, shared_handle_worker, &w[i], 0, NULL );
    }
    for (i = 0; i < 2 * EACH; i++)
    {
        m[i].h = h; m[i].id = 400 + i; m[i].n = n; m[i].good = 0;
        threads[EACH + i] = CreateThread( NULL, 0, i < EACH ? mixed_event_worker : mixed_apc_worker, &m[i], 0, NULL );
    }
    WaitForMultipleObjects( 3 * EACH, threads, TRUE, INFINITE );
    for (i = 0; i < EACH; i++) ok( w[i].good == n, "sync worker %d: %d of %d\n", i, w[i].good, n );
    for (i = 0; i < 2 * EACH; i++)
        ok( m[i].good == n, "%s worker %d: %d of %d\n", i < EACH ? "event" : "apc", i, m[i].good, n );
    for (i = 0; i < 3 * EACH; i++) CloseHandle( threads[i] );
    pIcmpCloseHandle( h );
}

/* ---- lifecycle ---- */

/* waits, alertably and 10 s at most, until each of r[n] completed */
static void wait_completions( struct async_req *r, int n )
{
    int i, waited, all = 0;

    for (waited = 0; waited < 1000 && !all; waited++)
    {
        SleepEx( 10, TRUE );
        for (i = 0, all = 1; i < n; i++) if (!r[i].calls) { all = 0; break; }
    }
}

/* scribbles over every completed buffer, gives stragglers time, then
 * checks each request completed exactly once and nothing wrote afterwards */
static void check_once_and_untouched( struct async_req *r, int n )
{
    int i, once = 0, intact = 0;

    for (i = 0; i < n; i++) memset( r[i].buf, 0x77, sizeof(r[i].buf) );
    SleepEx( 1500, TRUE );
    for (i = 0; i < n; i++)
    {
        size_t j;
        if (r[i].calls == 1) once++;
        for (j = 0; j < sizeof(r[i].buf); j++) if (r[i].buf[j] != 0x77) break;
        if (j == sizeof(r[i].buf)) intact++;
    }
    ok( once == n, "%d of %d completed exactly once\n", once, n );
    ok( intact == n, "%d of %d buffers untouched after completion\n", intact, n );
}

/* IcmpCloseHandle with 1,000 requests pending: each completes exactly once,
 * and nothing touches a buffer after its completion */
static void test_close_with_pending( void )
{
    int n = count( 1000 ), i;
    struct async_req *r = calloc( n, sizeof(*r) );
    HANDLE h = pIcmpCreateFile();
    DWORD pending = 0;

    for (i = 0; i < n; i++)
    {
        fill_payload( r[i].data, sizeof(r[i].data), 7000 + i );
        r[i].expect_timeout = lab && (i % 2);
        if (!pIcmpSendEcho2( h, NULL, counting_apc, &r[i], r[i].expect_timeout ? SILENT : LOCALHOST, r[i].data,
                             sizeof(r[i].data), NULL, r[i].buf, sizeof(r[i].buf), 800 ) &&
            GetLastError() == ERROR_IO_PENDING)
            pending++;
    }
    ok( pIcmpCloseHandle( h ), "close failed\n" );
    ok( pending == (DWORD)n, "%lu of %d pending\n", pending, n );
    wait_completions( r, n );
    check_once_and_untouched( r, n );
    free( r );
}

/* a thread exits with APCs pending: they are dropped, nothing crashes */
static DWORD CALLBACK apc_then_exit( void *arg )
{
    struct async_req *r = arg;
    HANDLE h = pIcmpCreateFile();
    int i;
    for (i = 0; i < 50; i++)
        pIcmpSendEcho2( h, NULL, counting_apc, &r[i], (i & 1) && lab ? SILENT : LOCALHOST, r[i].data,
                        sizeof(r[i].data), NULL, r[i].buf, sizeof(r[i].buf), 300 );
    pIcmpCloseHandle( h );
    return 0;
}

static void test_thread_exit_with_apcs( void )
{
    struct async_req *r = calloc( 50 * 8, sizeof(*r) );
    HANDLE threads[8], h = pIcmpCreateFile();
    BYTE data[32], buf[sizeof(ICMP_ECHO_REPLY) + 32];
    int i, calls = 0;

    for (i = 0; i < 8; i++) threads[i] = CreateThread( NULL, 0, apc_then_exit, r + 50 * i, 0, NULL );
    WaitForMultipleObjects( 8, threads, TRUE, INFINITE );
    for (i = 0; i < 8; i++) CloseHandle( threads[i] );
    SleepEx( 800, TRUE );
    for (i = 0; i < 50 * 8; i++) calls += r[i].calls;
    ok( calls == 0, "%d APCs ran although their threads had exited\n", calls );
    fill_payload( data, sizeof(data), 99 );
    ok( sync_echo( h, LOCALHOST, data, sizeof(data), 0, buf, sizeof(buf) ) == 1 && reply_is( buf, data, sizeof(data) ),
        "the engine does not answer any more\n" );
    pIcmpCloseHandle( h );
    free( r );
}

/* handles closed while other threads send on them */
static HANDLE volatile shared_handles[8];
static LONG volatile stop_flag;

static DWORD CALLBACK sender_on_shared( void *arg )
{
    BYTE data[16], buf[sizeof(ICMP_ECHO_REPLY) + 16];
    LONG *bad = arg;
    unsigned int i = 0;

    fill_payload( data, sizeof(data), 5 );
    while (!stop_flag)
    {
        DWORD ret = sync_echo( shared_handles[i++ % 8], LOCALHOST, data, sizeof(data), 0, buf, sizeof(buf) );
        if (!ret && GetLastError() != ERROR_INVALID_PARAMETER) InterlockedIncrement( bad );
        if (ret && !reply_is( buf, data, sizeof(data) )) InterlockedIncrement( bad );
    }
    return 0;
}

static void test_close_while_sending( void )
{
    HANDLE threads[4];
    LONG bad = 0;
    int i, rounds = count( 400 );

    for (i = 0; i < 8; i++) shared_handles[i] = pIcmpCreateFile();
    stop_flag = 0;
    for (i = 0; i < 4; i++) threads[i] = CreateThread( NULL, 0, sender_on_shared, &bad, 0, NULL );
    for (i = 0; i < rounds; i++)
    {
        HANDLE old = shared_handles[i % 8];
        shared_handles[i % 8] = pIcmpCreateFile();
        pIcmpCloseHandle( old );
        Sleep( 1 );
    }
    stop_flag = 1;
    WaitForMultipleObjects( 4, threads, TRUE, INFINITE );
    for (i = 0; i < 4; i++) CloseHandle( threads[i] );
    for (i = 0; i < 8; i++) pIcmpCloseHandle( shared_handles[i] );
    ok( bad == 0, "%ld calls failed otherwise than ERROR_INVALID_PARAMETER or got a wrong reply\n", bad );
}

/* FreeLibrary with requests pending: the DLL pins itself once its engine
 * runs, so it stays mapped and the requests complete */
static void test_freelibrary_pending( void )
{
    struct target_dll t;
    HMODULE extra;
    HANDLE h, events[20];
    struct async_req *r = calloc( 20, sizeof(*r) );
    int i, signalled = 0;

    if (!target_load( dll_arg, &t ))
    {
        ok( 0, "cannot load %s again\n", dll_arg );
        free( r );
        return;
    }
    extra = t.module;   /* a second reference, dropped below with requests pending */
    h = pIcmpCreateFile();
    for (i = 0; i < 20; i++)
    {
        events[i] = CreateEventA( NULL, TRUE, FALSE, NULL );
        pIcmpSendEcho2( h, events[i], NULL, NULL, (i & 1) && lab ? SILENT : LOCALHOST, r[i].data,
                        sizeof(r[i].data), NULL, r[i].buf, sizeof(r[i].buf), 400 );
    }
    ok( FreeLibrary( extra ), "FreeLibrary failed\n" );
    ok( FreeLibrary( extra ), "second FreeLibrary failed\n" );  /* our main reference too */
    for (i = 0; i < 20; i++)
    {
        if (WaitForSingleObject( events[i], 5000 ) == WAIT_OBJECT_0) signalled++;
        CloseHandle( events[i] );
    }
    ok( signalled == 20, "%d of 20 requests completed after FreeLibrary\n", signalled );
    ok( GetModuleHandleA( "iphlpapi.dll" ) != NULL, "the DLL was unloaded with its engine running\n" );
    pIcmpCloseHandle( h );
    free( r );
}

/* process exit with requests pending: a child sends and exits at once */
static int child_exit_pending( void )
{
    static struct async_req r[200];
    HANDLE h = pIcmpCreateFile(), event = CreateEventA( NULL, TRUE, FALSE, NULL );
    int i;
    for (i = 0; i < 200; i++)
        pIcmpSendEcho2( h, (i & 1) ? event : NULL, (i & 1) ? NULL : counting_apc, &r[i],
                        (i & 2) && lab ? SILENT : LOCALHOST, r[i].data, sizeof(r[i].data), NULL, r[i].buf,
                        sizeof(r[i].buf), 2000 );
    ExitProcess( 42 );
}

/* Adds a test hook of the DLL (ICMP_ECHO_TEST_FAULTS, comma-separated) to
 * those set (a run with schedule jitter keeps its own); the previous value
 * goes to saved. */
static void add_faults( const char *faults, char *saved, DWORD size )
{
    char value[512] = "";
    DWORD got = GetEnvironmentVariableA( "ICMP_ECHO_TEST_FAULTS", value, sizeof(value) );

    if (got >= sizeof(value)) got = 0, value[0] = 0;
    if (saved) snprintf( saved, size, "%s", value );
    snprintf( value + got, sizeof(value) - got, "%s%s", got ? "," : "", faults );
    SetEnvironmentVariableA( "ICMP_ECHO_TEST_FAULTS", value );
}

static void restore_faults( const char *saved )
{
    SetEnvironmentVariableA( "ICMP_ECHO_TEST_FAULTS", saved[0] ? saved : NULL );
}

/* runs this program with args; env (ICMP_ECHO_TEST_FAULTS=VALUE or NULL) adds to the DLL's test hooks */
static DWORD run_child_env( const char *args, const char *env, DWORD timeout, DWORD *exit_code )
{
    char cmd[1024], saved[512];
    const char *eq = env ? strchr( env, '=' ) : NULL;
    STARTUPINFOA si;
    PROCESS_INFORMATION pi;
    DWORD ret;

    snprintf( cmd, sizeof(cmd), "\"%s\" --dll \"%s\" %s %s", self_path, dll_arg, lab ? "--lab" : "", args );
    if (eq) add_faults( eq + 1, saved, sizeof(saved) );
    memset( &si, 0, sizeof(si) );
    si.cb = sizeof(si);
    ret = CreateProcessA( NULL, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi );
    if (eq) restore_faults( saved );
    if (!ret) return GetLastError();
    ret = WaitForSingleObject( pi.hProcess, timeout );
    if (ret != WAIT_OBJECT_0) TerminateProcess( pi.hProcess, 1 );
    GetExitCodeProcess( pi.hProcess, exit_code );
    CloseHandle( pi.hProcess );
    CloseHandle( pi.hThread );
    return ret;
}

static DWORD run_child( const char *args, DWORD timeout, DWORD *exit_code )
{
    return run_child_env( args, NULL, timeout, exit_code );
}

static void test_process_exit_pending( void )
{
    DWORD code = 0, ret = run_child( "--child-exit", 20000, &code );
    ok( ret == WAIT_OBJECT_0, "child did not exit: %lu\n", ret );
    ok( code == 42, "child exit code %lu\n", code );
}

/* two processes ping the same host at once with different payloads */
static int child_isolation( int seed )
{
    BYTE data[64], buf[sizeof(ICMP_ECHO_REPLY) + 64];
    HANDLE h = pIcmpCreateFile();
    int i, n = count( 1000 ), good = 0;

    for (i = 0; i < n; i++)
    {
        fill_payload( data, sizeof(data), seed * 100000 + i );
        if (sync_echo( h, LOCALHOST, data, sizeof(data), 0, buf, sizeof(buf) ) == 1 && reply_is( buf, data, sizeof(data) ))
            good++;
    }
    pIcmpCloseHandle( h );
    printf( "child %d: %d of %d\n", seed, good, n );
    return good == n ? 0 : 1;
}

static DWORD CALLBACK isolation_child_thread( void *arg )
{
    DWORD code = 99;
    char args[64];
    snprintf( args, sizeof(args), "--child-isolation %d", (int)(ULONG_PTR)arg );
    if (run_child( args, 120000, &code ) != WAIT_OBJECT_0) code = 98;
    return code;
}

static void test_process_isolation( void )
{
    HANDLE threads[2];
    DWORD codes[2];
    int i;

    for (i = 0; i < 2; i++) threads[i] = CreateThread( NULL, 0, isolation_child_thread, (void *)(ULONG_PTR)(i + 1), 0, NULL );
    WaitForMultipleObjects( 2, threads, TRUE, INFINITE );
    for (i = 0; i < 2; i++)
    {
        GetExitCodeThread( threads[i], &codes[i] );
        ok( codes[i] == 0, "process %d got replies that were not its own (exit %lu)\n", i + 1, codes[i] );
        CloseHandle( threads[i] );
    }
}

/* ---- threads that exit with APCs queued: their requests are freed ---- */

/* Waits until the requests sent so far have been sent: an APC request of
 * our own, queued behind any that wait for room in the flow budget (first
 * come, first sent), completes after them. */
static void drain_engine( void )
{
    struct async_req r;
    HANDLE h = pIcmpCreateFile();
    DWORD start = clock_ms();

    memset( &r, 0, sizeof(r) );
    if (!pIcmpSendEcho2( h, NULL, counting_apc, &r, LOCALHOST, r.data, 16, NULL, r.buf, sizeof(r.buf), 30000 ) &&
        GetLastError() == ERROR_IO_PENDING)
        while (!r.calls && clock_ms() - start < 30000) SleepEx( 50, TRUE );
    pIcmpCloseHandle( h );
}

/* sends n APC requests, lets their APCs be queued (the replies come back
 * while it sleeps, not alertable), then exits without ever running them */
static DWORD CALLBACK queue_apcs_and_exit( void *arg )
{
    struct async_req *r = arg;
    HANDLE h = pIcmpCreateFile();
    int i;

    for (i = 0; i < 100; i++)
        pIcmpSendEcho2( h, NULL, counting_apc, &r[i], LOCALHOST, r[i].data, 16, NULL, r[i].buf, sizeof(r[i].buf),
                        2000 );
    Sleep( 50 );
    pIcmpCloseHandle( h );
    return 0;
}

/* n requests from threads of 100 requests each, 8 threads at a time */
static void apcs_of_exiting_threads( struct async_req *r, int n )
{
    HANDLE threads[8];
    int i, j;

    for (i = 0; i < n; i += 800)
    {
        int count = 0;
        for (j = 0; j < 8 && i + j * 100 < n; j++)
            threads[count++] = CreateThread( NULL, 0, queue_apcs_and_exit, r + i + j * 100, 0, NULL );
        WaitForMultipleObjects( count, threads, TRUE, INFINITE );
        for (j = 0; j < count; j++) CloseHandle( threads[j] );
    }
    drain_engine();
    Sleep( 500 );   /* the last replies are in, and their APCs dropped */
}

static void test_exited_thread_apcs( void )
{
    int n = count( 20000 ), i, calls = 0;
    struct async_req *r = calloc( n, sizeof(*r) );
    SIZE_T before, after;
    LONG blocks;

    for (i = 0; i < n; i++) fill_payload( r[i].data, 16, 9000 + i );
    apcs_of_exiting_threads( r, 800 );   /* warm-up: the engine, its tables */
    /* What the DLL holds is counted at its heap imports: the process's
     * committed memory (traced) follows the heap's high-water mark, which
     * under Wine 10 depends on how many requests queue at once, so on how
     * fast that Wine drains the socket (it grew by 8, 2.2, 5.7, 1.3 MiB in
     * successive rounds, then by 0 four rounds running). */
    blocks = dll_heap_blocks;
    before = private_bytes();
    apcs_of_exiting_threads( r, n );
    after = private_bytes();
    blocks = dll_heap_blocks - blocks;
    trace( "%d APC requests of exited threads: the DLL's heap blocks %+ld, private bytes %Iu -> %Iu\n", n, blocks,
           before, after );
    for (i = 0; i < n; i++) calls += r[i].calls;
    ok( calls == 0, "%d APCs ran although their threads had exited\n", calls );
    if (heap_counted) ok( blocks < 32, "the DLL holds %ld more heap blocks after %d requests\n", blocks, n );
    else skip( "the DLL's heap blocks cannot be counted (no kernel32 heap imports)\n" );
    free( r );
}

/* ---- the receive thread keeps expiring timers whatever the socket does ---- */

/* (a child whose receives all fail: ICMP_ECHO_TEST_FAULTS=recv) */
static int child_failing_receives( void )
{
    enum { N = 50 };
    static struct async_req r[N];
    HANDLE h = pIcmpCreateFile(), events[N];
    DWORD start = clock_ms(), ret;
    int i, timed_out = 0;

    for (i = 0; i < N; i++)
    {
        events[i] = CreateEventA( NULL, TRUE, FALSE, NULL );
        pIcmpSendEcho2( h, events[i], NULL, NULL, LOCALHOST, r[i].data, 16, NULL, r[i].buf, sizeof(r[i].buf), 300 );
    }
    ret = pIcmpSendEcho2( h, NULL, NULL, NULL, LOCALHOST, r[0].data, 16, NULL, r[0].buf, sizeof(r[0].buf), 300 );
    if (!ret && GetLastError() == IP_REQ_TIMED_OUT) timed_out++;
    for (i = 0; i < N; i++)
        if (WaitForSingleObject( events[i], 5000 ) == WAIT_OBJECT_0 &&
            ((ICMP_ECHO_REPLY *)r[i].buf)->Status == IP_REQ_TIMED_OUT)
            timed_out++;
    printf( "child: %d of %d timed out in %lu ms\n", timed_out, N + 1, clock_ms() - start );
    return timed_out == N + 1 ? 0 : 1;
}

static void test_failing_receives( void )
{
    DWORD code = 99, ret = run_child_env( "--child-failing-receives", "ICMP_ECHO_TEST_FAULTS=recv", 30000, &code );

    ok( ret == WAIT_OBJECT_0, "the child never ended: %lu\n", ret );
    ok( code == 0, "requests did not time out while every receive failed (exit %lu)\n", code );
}

/* ---- 5,000 LoadLibrary / FreeLibrary cycles ---- */

/* the lowest free TLS index: it must not climb as the DLL comes and goes */
static DWORD tls_level( void )
{
    DWORD index = TlsAlloc();
    TlsFree( index );
    return index;
}

/* one cycle; with `use`, an echo (which starts the engine: the DLL then stays) */
static BOOL load_cycle( const char *path, BOOL use )
{
    HMODULE module = LoadLibraryA( path );
    BYTE data[8] = { 0 }, buf[sizeof(ICMP_ECHO_REPLY) + 8];
    HANDLE h;
    BOOL good;

    if (!module || !load_icmp_exports( NULL, module )) return FALSE;
    h = pIcmpCreateFile();
    good = h != INVALID_HANDLE_VALUE &&
           (!use || pIcmpSendEcho( h, LOCALHOST, data, sizeof(data), NULL, buf, sizeof(buf), 2000 ) == 1);
    pIcmpCloseHandle( h );
    FreeLibrary( module );
    return good;
}

/* (a child that has not loaded the DLL yet) */
static int child_load_cycles( void )
{
    char path[MAX_PATH];
    DWORD tls0, tls1, tls2;
    SIZE_T bytes0, bytes1;
    HMODULE module;
    int i, n = count( 5000 ), bad = 0;

    if (strcmp( dll_arg, "system" )) GetFullPathNameA( dll_arg, sizeof(path), path, NULL );
    else strcpy( path, "iphlpapi.dll" );
    load_cycle( path, FALSE );   /* warm-up: the loader's own tables */
    tls0 = tls_level();
    bytes0 = private_bytes();
    for (i = 0; i < n; i++) if (!load_cycle( path, FALSE )) bad++;
    tls1 = tls_level();
    bytes1 = private_bytes();
    for (i = 0; i < n; i++) if (!load_cycle( path, TRUE )) bad++;
    tls2 = tls_level();
    printf( "child: %d cycles without use: TLS index %lu -> %lu, private KiB %lu -> %lu; "
            "%d with use: TLS index -> %lu; %d failed\n", n, tls0, tls1, (unsigned long)(bytes0 / 1024),
            (unsigned long)(bytes1 / 1024), n, tls2, bad );
    if (bad || tls1 != tls0 || tls2 > tls1 + 1 || bytes1 > bytes0 + 1024 * 1024) return 1;
    /* ICMP still works, and so does a forwarded function where the forward can be resolved */
    if (!load_cycle( path, TRUE )) return 2;
    module = LoadLibraryA( path );
    if (GetProcAddress( module, "GetAdaptersInfo" ))
    {
        DWORD (WINAPI *pGetAdaptersInfo)( void *, ULONG * ) = (void *)GetProcAddress( module, "GetAdaptersInfo" );
        ULONG size = 0;
        DWORD err = pGetAdaptersInfo( NULL, &size );
        printf( "child: GetAdaptersInfo -> %lu, size %lu\n", err, size );
        if (err != ERROR_BUFFER_OVERFLOW && err != ERROR_NO_DATA) return 3;
    }
    else printf( "child: GetAdaptersInfo cannot be resolved here (no iphlpapi_orig.dll): not called\n" );
    return 0;
}

static void test_load_cycles( void )
{
    DWORD code = 99, ret = run_child( "--child-load-cycles", 600000, &code );

    ok( ret == WAIT_OBJECT_0, "the child never ended: %lu\n", ret );
    ok( code == 0, "load/unload cycles leaked or broke the DLL (exit %lu: 1 leak, 2 no echo, 3 forward broken)\n",
        code );
}

/* ---- leaks: handles, threads and private bytes return to their level ---- */

/* handles in use: GetProcessHandleCount where it works (Windows); under
 * Wine, which reports 0, the value of the next handle created (handles are
 * given out lowest free first, so leaked ones push it up) */
static DWORD handle_level( void )
{
    DWORD count = 0;
    HANDLE h;

    if (GetProcessHandleCount( GetCurrentProcess(), &count ) && count) return count;
    h = CreateEventA( NULL, FALSE, FALSE, NULL );
    CloseHandle( h );
    return (DWORD)(ULONG_PTR)h / 4;
}

/* n requests in batches, a third each APC, event and synchronous; returns
 * how many did not complete with the echo. Buffers are reused only once
 * every request of the batch has completed. */
static int leak_round( HANDLE h, int n )
{
    enum { BATCH = 192, EVENTS = BATCH / 3 };
    struct async_req *r = calloc( BATCH, sizeof(*r) );
    HANDLE events[EVENTS];
    int i, j, k, bad = 0;

    for (j = 0; j < EVENTS; j++) events[j] = CreateEventA( NULL, FALSE, FALSE, NULL );
    for (i = 0; i < n; i += BATCH)
    {
        for (j = 0; j < BATCH; j++)
        {
            r[j].calls = 0;
            fill_payload( r[j].data, 16, i + j );
            switch (j % 3)
            {
            case 0:
                pIcmpSendEcho2( h, NULL, counting_apc, &r[j], LOCALHOST, r[j].data, 16, NULL, r[j].buf,
                                sizeof(r[j].buf), 3000 );
                break;
            case 1:
                pIcmpSendEcho2( h, events[j / 3], NULL, NULL, LOCALHOST2, r[j].data, 16, NULL, r[j].buf,
                                sizeof(r[j].buf), 3000 );
                break;
            default:
                if (pIcmpSendEcho2( h, NULL, NULL, NULL, LOCALHOST, r[j].data, 16, NULL, r[j].buf, sizeof(r[j].buf),
                                    3000 ) == 1)
                    r[j].calls = 1;
                break;
            }
        }
        for (j = 0; j < EVENTS; j += 32)
            if (WaitForMultipleObjects( min( 32, EVENTS - j ), events + j, TRUE, 10000 ) != WAIT_OBJECT_0)
                return -1;  /* never completed: keep the buffers */
        for (j = 1; j < BATCH; j += 3) r[j].calls = 1;
        for (k = 0; k < 1000; k++)
        {
            int all = 1;
            SleepEx( 5, TRUE );
            for (j = 0; j < BATCH; j += 3) if (!r[j].calls) all = 0;
            if (all) break;
        }
        if (k == 1000) return -1;
        for (j = 0; j < BATCH; j++)
            if (r[j].calls != 1 || !reply_is( r[j].buf, r[j].data, 16 )) bad++;
    }
    for (j = 0; j < EVENTS; j++) CloseHandle( events[j] );
    free( r );
    return bad;
}

static void test_leaks( void )
{
    HANDLE h = pIcmpCreateFile();
    DWORD handles0, handles1, threads0, threads1;
    SIZE_T bytes0, bytes1;
    LONG blocks;
    int n = count( 100000 );

    int bad;

    ok( leak_round( h, 3000 ) == 0, "warm-up requests failed\n" );  /* engine, sockets, heaps */
    blocks = dll_heap_blocks;
    handles0 = handle_level();
    threads0 = thread_count();
    bytes0 = private_bytes();
    bad = leak_round( h, n );
    ok( bad == 0, "%d of %d requests did not complete with their echo\n", bad, n );
    handles1 = handle_level();
    threads1 = thread_count();
    bytes1 = private_bytes();
    trace( "%d requests: the DLL's heap blocks %ld -> %ld, handles %lu -> %lu, threads %lu -> %lu, "
           "private bytes %Iu -> %Iu\n", n, blocks, dll_heap_blocks, handles0, handles1, threads0, threads1,
           bytes0, bytes1 );
    ok( handles1 <= handles0 + 4, "handles grew from %lu to %lu\n", handles0, handles1 );
    ok( threads1 == threads0, "threads went from %lu to %lu\n", threads0, threads1 );
    ok( bytes1 <= bytes0 + 4 * 1024 * 1024, "private bytes grew from %Iu to %Iu\n", bytes0, bytes1 );
    blocks = dll_heap_blocks - blocks;
    if (heap_counted) ok( blocks < 32, "the DLL holds %ld more heap blocks after %d requests\n", blocks, n );
    pIcmpCloseHandle( h );
}

/* ---- IPv6 (run under a wineserver that maps ICMPv6) ---- */

static int need_icmp6_sockets( HANDLE h )
{
    struct sockaddr_in6 loop = addr6( "::1" );
    BYTE buf[REPLY6_SIZE + 8];

    if (!pIcmp6SendEcho2 || h == INVALID_HANDLE_VALUE)
    {
        skip( "the target has no Icmp6 functions\n" );
        return 0;
    }
    if (pIcmp6SendEcho2( h, NULL, NULL, NULL, NULL, &loop, NULL, 0, NULL, buf, sizeof(buf), 1000 )) return 1;
    ok( GetLastError() == ERROR_NOT_SUPPORTED, "first echo to ::1 failed: %lu\n", GetLastError() );
    skip( "this Wine cannot open ICMPv6 sockets (run under the ICMPv6-capable wineserver)\n" );
    return 0;
}

static int reply6_is( const BYTE *buf, const struct sockaddr_in6 *from, const BYTE *data, WORD size )
{
    return reply6_status( buf ) == IP_SUCCESS && !memcmp( reply6_addr( buf ), &from->sin6_addr, 16 ) &&
           !memcmp( buf + REPLY6_SIZE, data, size );
}

struct worker6
{
    HANDLE h, h4;
    int id, n, good;
};

/* synchronous IPv6 echoes of varying sizes and hop limits; with h4, an
 * IPv4 one after each (one engine, both families' sockets at once) */
static DWORD CALLBACK v6_sync_worker( void *arg )
{
    struct worker6 *w = arg;
    struct sockaddr_in6 loop = addr6( "::1" );
    BYTE data[100], buf[REPLY6_SIZE + 100], buf4[sizeof(ICMP_ECHO_REPLY) + 100];
    IP_OPTION_INFORMATION opts;
    int i;

    memset( &opts, 0, sizeof(opts) );
    for (i = 0; i < w->n; i++)
    {
        WORD size = (WORD)(16 + (w->id * 7 + i) % 84);
        BOOL good;

        fill_payload( data, size, w->id << 16 | i );
        opts.Ttl = (UCHAR)(1 + (w->id + i) % 255);
        good = pIcmp6SendEcho2( w->h, NULL, NULL, NULL, NULL, &loop, data, size, &opts, buf, sizeof(buf), 5000 ) == 1 &&
               reply6_is( buf, &loop, data, size );
        if (good && w->h4)
            good = sync_echo( w->h4, LOCALHOST, data, size, opts.Ttl, buf4, sizeof(buf4) ) == 1 &&
                   reply_is( buf4, data, size );
        if (good) w->good++;
    }
    return 0;
}

static void run_v6_workers( int threads, int n, BOOL both_families )
{
    struct worker6 *w = calloc( threads, sizeof(*w) );
    HANDLE *t = calloc( threads, sizeof(*t) ), h = pIcmp6CreateFile(), h4 = both_families ? pIcmpCreateFile() : NULL;
    int i, good = 0;

    if (!need_icmp6_sockets( h )) goto done;
    for (i = 0; i < threads; i++)
    {
        w[i].h = h; w[i].h4 = h4; w[i].id = 600 + i; w[i].n = n;
        t[i] = CreateThread( NULL, 0, v6_sync_worker, &w[i], 0, NULL );
    }
    WaitForMultipleObjects( threads, t, TRUE, INFINITE );
    for (i = 0; i < threads; i++)
    {
        ok( w[i].good == n, "thread %d: %d of %d echoes were its own\n", i, w[i].good, n );
        good += w[i].good;
        CloseHandle( t[i] );
    }
    trace( "%d IPv6%s echoes on one handle from %d threads\n", good, both_families ? " + IPv4" : "", threads );
done:
    if (h != INVALID_HANDLE_VALUE) pIcmpCloseHandle( h );
    if (h4) pIcmpCloseHandle( h4 );
    free( t );
    free( w );
}

/* 16 threads x 1,000 synchronous IPv6 echoes on one handle */
static void test_v6_threads_shared_handle( void )
{
    run_v6_workers( 16, count( 1000 ), FALSE );
}

/* 8 threads alternating IPv6 and IPv4 echoes */
static void test_v6_both_families( void )
{
    run_v6_workers( 8, count( 500 ), TRUE );
}

/* 1,000 IPv6 APC requests at once (half to the lab's silent fd00:7f::3),
 * the handle closed while they are pending: each completes exactly once,
 * with its own reply or a timeout, and no buffer is touched afterwards */
static void test_v6_close_with_pending( void )
{
    struct sockaddr_in6 loop = addr6( "::1" ), silent = addr6( "fd00:7f::3" );
    int n = count( 1000 ), i, right = 0;
    struct async_req *r = calloc( n, sizeof(*r) );
    HANDLE h = pIcmp6CreateFile();
    DWORD pending = 0;

    if (!need_icmp6_sockets( h )) goto done;
    for (i = 0; i < n; i++)
    {
        fill_payload( r[i].data, sizeof(r[i].data), 9000 + i );
        r[i].expect_timeout = lab && (i % 2);
        if (!pIcmp6SendEcho2( h, NULL, counting_apc, &r[i], NULL, r[i].expect_timeout ? &silent : &loop, r[i].data,
                              sizeof(r[i].data), NULL, r[i].buf, sizeof(r[i].buf), 800 ) &&
            GetLastError() == ERROR_IO_PENDING)
            pending++;
    }
    ok( pIcmpCloseHandle( h ), "close failed\n" );
    h = INVALID_HANDLE_VALUE;
    ok( pending == (DWORD)n, "%lu of %d pending\n", pending, n );
    wait_completions( r, n );
    for (i = 0; i < n; i++)
        if (r[i].expect_timeout ? reply6_status( r[i].buf ) == IP_REQ_TIMED_OUT :
                                  reply6_is( r[i].buf, &loop, r[i].data, sizeof(r[i].data) ))
            right++;
    ok( right == n, "%d of %d completed with their own reply or a timeout\n", right, n );
    check_once_and_untouched( r, n );
done:
    if (h != INVALID_HANDLE_VALUE) pIcmpCloseHandle( h );
    free( r );
}

/* ---- a request's life against its thread's end ---- */

/* What stays allocated: the bytes in use in the process heap (where the
 * DLL allocates; thread stacks are elsewhere), and the handle value a new
 * object gets, which climbs when handles leak (Wine and Windows give the
 * lowest free one). */
#define PROBE_SIZES 512
struct leak_probe
{
    SIZE_T heap;
    LONG dll_blocks;            /* dll_heap.h */
    ULONG_PTR handle;
    struct { SIZE_T size, count; } sizes[PROBE_SIZES];   /* busy blocks by size, for the report */
    int nsizes;
};

static void probe_count( struct leak_probe *p, SIZE_T size )
{
    int i;

    for (i = 0; i < p->nsizes; i++) if (p->sizes[i].size == size) { p->sizes[i].count++; return; }
    if (p->nsizes == PROBE_SIZES) return;
    p->sizes[p->nsizes].size = size;
    p->sizes[p->nsizes++].count = 1;
}

static SIZE_T probe_blocks( const struct leak_probe *p, SIZE_T size )
{
    int i;

    for (i = 0; i < p->nsizes; i++) if (p->sizes[i].size == size) return p->sizes[i].count;
    return 0;
}

static struct leak_probe leak_probe( void )
{
    static struct leak_probe p;   /* (large: not on a test thread's stack) */
    PROCESS_HEAP_ENTRY entry;
    HANDLE h = CreateEventA( NULL, FALSE, FALSE, NULL ), heap = GetProcessHeap();

    memset( &p, 0, sizeof(p) );
    p.dll_blocks = dll_heap_blocks;
    CloseHandle( h );
    p.handle = (ULONG_PTR)h;
    HeapLock( heap );
    entry.lpData = NULL;
    while (HeapWalk( heap, &entry ))
        if (entry.wFlags & PROCESS_HEAP_ENTRY_BUSY)
        {
            p.heap += entry.cbData;
            probe_count( &p, entry.cbData );
        }
    HeapUnlock( heap );
    return p;
}

/* what grew from a to b, by block size (the largest totals first): whose
 * blocks they are shows in their sizes */
struct size_growth { SIZE_T size, bytes; };

static int by_bytes_desc( const void *x, const void *y )
{
    const struct size_growth *a = x, *b = y;
    return a->bytes < b->bytes ? 1 : a->bytes > b->bytes ? -1 : 0;
}

static void probe_report( const struct leak_probe *a, const struct leak_probe *b )
{
    static struct size_growth grew[PROBE_SIZES];
    int i, n = 0;

    for (i = 0; i < b->nsizes; i++)
    {
        SIZE_T was = probe_blocks( a, b->sizes[i].size );
        if (b->sizes[i].count > was)
        {
            grew[n].size = b->sizes[i].size;
            grew[n++].bytes = (b->sizes[i].count - was) * b->sizes[i].size;
        }
    }
    qsort( grew, n, sizeof(*grew), by_bytes_desc );
    for (i = 0; i < n && i < 8; i++)
        trace( "  +%Iu blocks of %Iu bytes\n", grew[i].bytes / grew[i].size, grew[i].size );
}

/* whether a phase of n threads left more than a control phase of as many
 * that sent only synchronous echoes (before: the probe before both). What
 * the DLL holds is its heap blocks (dll_heap.h): a leak of anything per
 * thread, or of one request in 100, is 16 blocks or more here (tried);
 * ours come back exactly. The process heap's busy bytes are traced, with the
 * block sizes that grew when they grew by more than per_thread bytes a
 * thread: Wine 10 keeps ~2 KiB of its own per such thread and its
 * low-fragmentation heap's groups of blocks (23,832 bytes each), so they
 * decide only for a DLL whose blocks cannot be counted. And the handle
 * value a new object gets, which climbs when handles leak. */
static void check_no_leak( const char *what, int n, SIZE_T per_thread, struct leak_probe before,
                           struct leak_probe control, struct leak_probe after )
{
    SIZE_T base = control.heap > before.heap ? control.heap - before.heap : 0;
    SIZE_T grown = after.heap > control.heap ? after.heap - control.heap : 0;
    LONG blocks = after.dll_blocks - control.dll_blocks;

    trace( "%d threads %s: the DLL's heap blocks %+ld (%+ld for as many with a synchronous echo); heap +%Iu bytes "
           "(+%Iu), next handle %#Ix -> %#Ix\n", n, what, blocks, control.dll_blocks - before.dll_blocks, grown, base,
           control.handle, after.handle );
    if (grown >= base + n * per_thread) probe_report( &control, &after );
    if (heap_counted)
        ok( blocks < 16, "%s: the DLL holds %ld more heap blocks than after as many synchronous echoes\n", what,
            blocks );
    else
        ok( grown < base + n * per_thread, "%s: the heap grew by %Iu bytes more than with synchronous echoes\n", what,
            grown - base );
    ok( after.handle < control.handle + 16 * 4, "%s: handles leaked: the next handle climbed from %#Ix to %#Ix\n", what,
        control.handle, after.handle );
}

struct exit_race
{
    HANDLE h;
    struct async_req r[4];
    DWORD delay;                /* ms: when it exits after sending, or (waiters) when it starts */
    int silent;                 /* its requests time out (at ~30 ms), else are answered */
    int waiter;                 /* it waits, alertable, for its four APCs */
    int got;                    /* waiter: how many of its APCs ran */
};

/* Exiters send their APC requests and exit about when they complete,
 * never alertable; waiters start about then, send answered ones and wait
 * for their APCs, which must all run: a completion handed to an exited
 * thread's freed record, or to a recycled handle, would lose them. */
static DWORD CALLBACK exit_race_thread( void *arg )
{
    struct exit_race *e = arg;
    DWORD start;
    int i;

    if (e->waiter) Sleep( e->delay );
    /* (an exiter sends one: the completion being handed over is then the
     * last thing that holds its thread's record) */
    for (i = 0; i < (e->waiter ? 4 : 1); i++)
        pIcmpSendEcho2( e->h, NULL, counting_apc, &e->r[i], e->silent ? SILENT : LOCALHOST, e->r[i].data, 16, NULL,
                        e->r[i].buf, sizeof(e->r[i].buf), e->waiter ? 2000 : 30 );
    if (!e->waiter)
    {
        if (e->delay) Sleep( e->delay );
        return 0;
    }
    for (start = clock_ms(); clock_ms() - start < 3000; )
    {
        e->got = e->r[0].calls + e->r[1].calls + e->r[2].calls + e->r[3].calls;
        if (e->got == 4) break;
        SleepEx( 10, TRUE );
    }
    return 0;
}

/* Canaries: small blocks taken from the process heap while threads exit,
 * so that memory a DLL frees there is soon one of them; a DLL that writes
 * into what it freed overwrites a canary. */
#define CANARY_COUNT 200000
#define CANARY_BYTE  0xa5
static BYTE *canaries[CANARY_COUNT];
static LONG canary_count, canary_stop;

static DWORD CALLBACK canary_thread( void *arg )
{
    while (!canary_stop && canary_count < CANARY_COUNT)
    {
        SIZE_T size = 24 + (canary_count % 6) * 8;   /* 24 to 64 bytes: the size of a small record */
        BYTE *p = HeapAlloc( GetProcessHeap(), 0, size );
        if (!p) break;
        memset( p, CANARY_BYTE, size );
        canaries[canary_count++] = p;
        if (!(canary_count % 32)) Sleep( 1 );   /* (spread over the whole test)  */
    }
    return 0;
}

static int canaries_overwritten( void )
{
    int i, bad = 0;
    for (i = 0; i < canary_count; i++)
    {
        SIZE_T j, size = 24 + (i % 6) * 8;
        for (j = 0; j < size; j++) if (canaries[i][j] != CANARY_BYTE) break;
        if (j < size) bad++;
        HeapFree( GetProcessHeap(), 0, canaries[i] );
    }
    return bad;
}

/* (a child: many threads exit while their completions are being handed to
 * them, beside threads that wait for theirs; its heap is checked at the end) */
static int child_apc_exit_race( void )
{
    enum { THREADS = 48, ROUNDS = 40 };
    static struct exit_race e[THREADS];
    HANDLE threads[THREADS], h = pIcmpCreateFile(), sprayer;
    BYTE data[16] = { 0 }, buf[sizeof(ICMP_ECHO_REPLY) + 16];
    int round, i, calls = 0, answered, starved = 0, overwritten;

    sprayer = CreateThread( NULL, 0, canary_thread, NULL, 0, NULL );
    for (round = 0; round < count( ROUNDS ); round++)
    {
        for (i = 0; i < THREADS; i++)
        {
            memset( &e[i], 0, sizeof(e[i]) );
            e[i].h = h;
            e[i].waiter = i % 3 == 2;
            e[i].silent = lab && !e[i].waiter && (i & 1);
            /* answered exiters exit at once (a loopback reply takes ~0.1 ms),
             * silent ones around their 30 ms timeout, waiters start then */
            if (e[i].waiter || e[i].silent) e[i].delay = 28 + (round + i) % 5;
            else e[i].delay = i % 4 == 0;
            threads[i] = CreateThread( NULL, 0, exit_race_thread, &e[i], 0, NULL );
        }
        WaitForMultipleObjects( THREADS, threads, TRUE, INFINITE );
        for (i = 0; i < THREADS; i++)
        {
            CloseHandle( threads[i] );
            if (e[i].waiter) starved += e[i].got != 4;
            else calls += e[i].r[0].calls + e[i].r[1].calls + e[i].r[2].calls + e[i].r[3].calls;
        }
    }
    Sleep( 300 );
    canary_stop = 1;
    WaitForSingleObject( sprayer, INFINITE );
    CloseHandle( sprayer );
    overwritten = canaries_overwritten();
    answered = pIcmpSendEcho( h, LOCALHOST, data, sizeof(data), NULL, buf, sizeof(buf), 2000 ) == 1;
    printf( "child: %d APCs ran in exited threads, %d waiting threads missed APCs, %d of %ld canaries overwritten, "
            "engine answers: %d, heap valid: %d\n", calls, starved, overwritten, canary_count, answered,
            HeapValidate( GetProcessHeap(), 0, NULL ) );
    pIcmpCloseHandle( h );
    if (!HeapValidate( GetProcessHeap(), 0, NULL )) return 3;
    return calls ? 1 : starved ? 4 : overwritten ? 5 : !answered ? 2 : 0;
}

/* Threads exit while the receive thread hands their completions to them.
 * The test hook (ICMP_ECHO_TEST_FAULTS=apc_delay=1) widens the window
 * between listing a completion and queuing its APC to a millisecond, so
 * that exits land in it; a DLL without the hook runs the same without. */
static void test_apc_exit_race( void )
{
    DWORD code = 99, ret = run_child_env( "--child-apc-exit-race", "ICMP_ECHO_TEST_FAULTS=apc_delay=1", 120000, &code );

    ok( ret == WAIT_OBJECT_0, "the child never ended: %lu\n", ret );
    ok( code == 0, "threads exiting while their APCs were queued broke the process (exit %#lx: 1 APC ran in an "
        "exited thread, 2 no more answers, 3 heap corrupted, 4 a waiting thread lost APCs, 5 freed memory written, "
        "other: crashed)\n", code );
}

/* Waits for a phase's requests to be over: until the DLL holds no more
 * heap blocks than at its start (level), the timeouts passed and the
 * engine's sweep for ended threads (every second) freed theirs; at most
 * 6 s (a leak: the check after it fails). A warm-up phase (its engine
 * start stays), or a DLL whose blocks are not counted: 2.5 s. */
static void settle( LONG level, BOOL warm_up )
{
    DWORD start = clock_ms();

    if (warm_up || !heap_counted)
    {
        Sleep( 2500 );
        return;
    }
    while (dll_heap_blocks > level && clock_ms() - start < 6000) Sleep( 20 );
}

#define HELD_REQUESTS 100
struct held_thread
{
    HANDLE h, ready;
    struct async_req r[HELD_REQUESTS + 1];
    int how;                    /* HELD_* */
};

enum { HELD_CONTROL, HELD_TERMINATED, HELD_EXIT_IN_ROUTINE };

static void NTAPI exiting_apc( void *context, IO_STATUS_BLOCK *iosb, ULONG reserved )
{
    counting_apc( context, iosb, reserved );
    ExitThread( 0 );
}

/* sends 100 answered APC requests and one that times out (the control one
 * synchronous echo: Winsock keeps some memory per thread that a thread
 * which never detaches does not give back, whatever DLL sends), then
 * waits: for ever (to be terminated), or alertable (its first APC routine
 * ends it: whichever request completes first, as completions come in any
 * order once requests wait for room in the flow budget) */
static DWORD CALLBACK held_thread_proc( void *arg )
{
    struct held_thread *t = arg;
    int i;

    if (t->how == HELD_CONTROL) sync_echo( t->h, LOCALHOST, t->r[0].data, 16, 0, t->r[0].buf, sizeof(t->r[0].buf) );
    for (i = 0; i <= HELD_REQUESTS && t->how != HELD_CONTROL; i++)
        pIcmpSendEcho2( t->h, NULL, t->how == HELD_EXIT_IN_ROUTINE ? exiting_apc : counting_apc, &t->r[i],
                        i == HELD_REQUESTS && lab ? SILENT : LOCALHOST, t->r[i].data, 16, NULL, t->r[i].buf,
                        sizeof(t->r[i].buf), 200 );
    Sleep( 100 );   /* the answers are in: their APCs listed and ours queued */
    SetEvent( t->ready );
    if (t->how == HELD_EXIT_IN_ROUTINE) SleepEx( INFINITE, TRUE );
    Sleep( INFINITE );
    return 0;
}

/* n threads (8 at a time) ended as `how` says; what stays afterwards */
static struct leak_probe held_threads( struct held_thread *t, int n, int how, BOOL warm_up )
{
    HANDLE threads[8];
    LONG level = dll_heap_blocks;
    int i, j;

    for (i = 0; i < n; i += 8)
    {
        for (j = 0; j < 8; j++)
        {
            memset( &t[i + j], 0, sizeof(t[i + j]) );
            t[i + j].h = pIcmpCreateFile();
            t[i + j].ready = CreateEventA( NULL, TRUE, FALSE, NULL );
            t[i + j].how = how;
            threads[j] = CreateThread( NULL, 65536, held_thread_proc, &t[i + j], STACK_SIZE_PARAM_IS_A_RESERVATION, NULL );
        }
        for (j = 0; j < 8; j++) WaitForSingleObject( t[i + j].ready, INFINITE );
        if (how != HELD_EXIT_IN_ROUTINE) for (j = 0; j < 8; j++) TerminateThread( threads[j], 0 );
        WaitForMultipleObjects( 8, threads, TRUE, INFINITE );
        for (j = 0; j < 8; j++)
        {
            CloseHandle( threads[j] );
            CloseHandle( t[i + j].ready );
            pIcmpCloseHandle( t[i + j].h );
        }
    }
    settle( level, warm_up );
    return leak_probe();
}

/* Threads that end without detaching (TerminateThread) with APC requests
 * listed, queued and pending, or whose first APC routine ends them: their
 * requests, thread records and handles are freed, and nothing runs in a
 * terminated thread. */
static void check_held_threads( int how )
{
    int n = max( count( 120 ) / 8 * 8, 8 ), i, j, calls = 0;
    struct held_thread *t = calloc( n, sizeof(*t) );
    struct leak_probe before, control, after;

    held_threads( t, 16, how, TRUE );   /* warm-up: the engine, its tables, the heap */
    before = held_threads( t, 16, HELD_CONTROL, FALSE );
    control = held_threads( t, n, HELD_CONTROL, FALSE );
    after = held_threads( t, n, how, FALSE );
    for (i = 0; i < n; i++) for (j = 0; j <= HELD_REQUESTS; j++) calls += t[i].r[j].calls;
    ok( calls == (how == HELD_EXIT_IN_ROUTINE ? n : 0), "%d APCs ran\n", calls );
    check_no_leak( how == HELD_EXIT_IN_ROUTINE ? "ended by their first APC routine" : "terminated", n, 4096, before,
                   control, after );
    free( t );
}

static void test_terminated_thread_apcs( void )
{
    check_held_threads( HELD_TERMINATED );
}

static void test_apc_routine_exits( void )
{
    check_held_threads( HELD_EXIT_IN_ROUTINE );
}

/* ---- a sender against its own request's completion ----
 *
 * With a pause after each send (the test hook send_delay=MS), each reply
 * completes its request while the sender is still in the send: the socket
 * must stay the sender's until it is done with it, however many bound
 * sockets go idle meanwhile (beyond eight, idle ones are closed at once).
 * 16 threads, each from its own source 127.0.0.2..17, Event requests. */
#define SEND_THREADS   16
#define SEND_REQUESTS  25

struct sender
{
    HANDLE h;
    int index, good;
};

static DWORD CALLBACK sender_thread( void *arg )
{
    struct sender *s = arg;
    HANDLE event = CreateEventA( NULL, TRUE, FALSE, NULL );
    BYTE data[16], buf[sizeof(ICMP_ECHO_REPLY) + 16 + 8];
    IPAddr src = addr( "127.0.0.2" ) + ((DWORD)s->index << 24);   /* 127.0.0.(2 + index) */
    int i;

    for (i = 0; i < SEND_REQUESTS; i++)
    {
        fill_payload( data, sizeof(data), s->index * 1000 + i );
        if (pIcmpSendEcho2Ex( s->h, event, NULL, NULL, src, LOCALHOST, data, sizeof(data), NULL, buf, sizeof(buf),
                              2000 ) || GetLastError() != ERROR_IO_PENDING)
            continue;
        if (WaitForSingleObject( event, 5000 ) == WAIT_OBJECT_0 && reply_is( buf, data, sizeof(data) )) s->good++;
    }
    CloseHandle( event );
    return 0;
}

static int child_send_after_completion( void )
{
    struct sender s[SEND_THREADS];
    HANDLE threads[SEND_THREADS], h = pIcmpCreateFile();
    int i, good = 0, round;

    for (round = 0; round < 2; round++)
    {
        for (i = 0; i < SEND_THREADS; i++)
        {
            s[i].h = h;
            s[i].index = i;
            s[i].good = 0;
            threads[i] = CreateThread( NULL, 0, sender_thread, &s[i], 0, NULL );
        }
        WaitForMultipleObjects( SEND_THREADS, threads, TRUE, INFINITE );
        for (i = 0; i < SEND_THREADS; i++)
        {
            CloseHandle( threads[i] );
            good += s[i].good;
        }
        Sleep( 200 );
    }
    pIcmpCloseHandle( h );
    printf( "child: %d of %d answered, heap %s\n", good, 2 * SEND_THREADS * SEND_REQUESTS,
            HeapValidate( GetProcessHeap(), 0, NULL ) ? "valid" : "CORRUPT" );
    if (!HeapValidate( GetProcessHeap(), 0, NULL )) return 100;
    return 2 * SEND_THREADS * SEND_REQUESTS - good;
}

static void test_send_after_completion( void )
{
    DWORD code = 99, ret = run_child_env( "--child-send-after-completion", "ICMP_ECHO_TEST_FAULTS=send_delay=20", 120000,
                                          &code );
    ok( ret == WAIT_OBJECT_0, "child did not end: %lu\n", ret );
    ok( code == 0, "child: exit code %#lx (100: heap corrupt; else requests not answered)\n", code );
}

/* ---- a reply that came in time, read late ----
 *
 * A synchronous caller whose thread ran late (the test hook send_delay=40
 * pauses it after each send, past a 16 ms deadline; no CPU to spare: it
 * receives for itself; rx_grace keeps the receive thread, late too, from
 * reading for it) still gets the reply that was queued by its
 * deadline: Timeout 0 to a loopback address succeeds, as on Windows
 * (BEHAVIOR.md: never IP_REQ_TIMED_OUT), whatever the machine's load. An
 * unanswered one (the lab's silent address) still times out at once. */
static int child_late_reply( void )
{
    static const DWORD timeouts[] = { 0, 1, 10 };
    BYTE data[16], buf[sizeof(ICMP_ECHO_REPLY) + 16 + 8];
    HANDLE h = pIcmpCreateFile();
    int i, good = 0, n = 0, bad = 0;
    DWORD ret, start, took;

    for (i = 0; i < 15; i++, n++)
    {
        fill_payload( data, sizeof(data), i );
        ret = pIcmpSendEcho( h, LOCALHOST, data, sizeof(data), NULL, buf, sizeof(buf), timeouts[i % 3] );
        if (ret == 1 && reply_is( buf, data, sizeof(data) )) good++;
        else printf( "child: Timeout %lu: returned %lu, error %lu\n", timeouts[i % 3], ret, GetLastError() );
    }
    if (lab)
    {
        start = clock_ms();
        SetLastError( 0xdeadbeef );
        ret = pIcmpSendEcho( h, SILENT, data, sizeof(data), NULL, buf, sizeof(buf), 0 );
        took = clock_ms() - start;
        if (ret || GetLastError() != IP_REQ_TIMED_OUT || took > 2000)
        {
            printf( "child: silent, Timeout 0: returned %lu, error %lu after %lu ms\n", ret, GetLastError(), took );
            bad++;
        }
    }
    pIcmpCloseHandle( h );
    printf( "child: %d of %d late replies taken\n", good, n );
    return (n - good) + bad;
}

static void test_late_reply( void )
{
    DWORD code = 99, ret = run_child_env( "--child-late-reply", "ICMP_ECHO_TEST_FAULTS=busy,send_delay=40,rx_grace=60000", 60000, &code );

    ok( ret == WAIT_OBJECT_0, "child did not end: %lu\n", ret );
    ok( code == 0, "%lu late loopback replies lost (or the silent one answered; exit code %lu)\n", code, code );
}

/* ---- the first call returns with every thread it started running ----
 *
 * Under Wine a process that exits while one of its threads is still
 * starting can die of SIGSEGV (a 32-bit `ping -n 1` through a DLL that
 * started a thread in its one echo: 4 of 400 runs on a loaded machine). A
 * program may exit the moment its first echo returns, so no thread the
 * call created may still be starting then. The window, a few milliseconds
 * under load, is widened here: this program's TLS callback holds every new
 * thread of the child in its DLL_THREAD_ATTACH for 300 ms (that runs
 * before a thread's own first instruction), and records the threads that
 * got past it. The child makes its first call (synchronous, or an Event
 * request) and counts, at once, the process's threads that were not there
 * before and have not got past their start; none should be. The same
 * for a thread's first call made when another thread's echo started the
 * engine 6 s before (the pool lets idle threads go after 5 s). And a
 * first call made in a wait callback of the pool's (the wait thread a
 * DLL's own pool waits may need) completes: waiting for threads must not
 * wait for the caller itself. */
static volatile LONG slow_attach;           /* 300: DLL_THREAD_ATTACH takes that long (ms) */
static volatile DWORD attached[64];         /* the threads that got past it (0: a free slot) */
static volatile LONG attached_slots;

static void NTAPI slow_attach_callback( void *module, DWORD reason, void *reserved )
{
    LONG n;

    if (reason != DLL_THREAD_ATTACH || !slow_attach) return;
    Sleep( slow_attach );
    if ((n = InterlockedIncrement( &attached_slots )) <= (LONG)ARRAY_SIZE(attached)) attached[n - 1] = GetCurrentThreadId();
}

static BOOL got_past_attach( DWORD tid )
{
    unsigned int i;

    for (i = 0; i < ARRAY_SIZE(attached); i++) if (attached[i] == tid) return TRUE;
    return FALSE;
}
/* (the CRT runs the callbacks between .CRT$XLA and .CRT$XLZ; "used" keeps it) */
PIMAGE_TLS_CALLBACK slow_attach_tls __attribute__((section(".CRT$XLB"), used)) = slow_attach_callback;

/* this process's threads into ids (at most max); returns their count */
static int own_threads( DWORD *ids, int max )
{
    HANDLE snap = CreateToolhelp32Snapshot( TH32CS_SNAPTHREAD, 0 );
    THREADENTRY32 te;
    int n = 0;

    if (snap == INVALID_HANDLE_VALUE) return -1;
    te.dwSize = sizeof(te);
    for (BOOL more = Thread32First( snap, &te ); more; more = Thread32Next( snap, &te ))
        if (te.th32OwnerProcessID == GetCurrentProcessId() && n < max) ids[n++] = te.th32ThreadID;
    CloseHandle( snap );
    return n;
}

struct first_call_in_wait
{
    HANDLE h, done;
    DWORD ret, took;
};

static void CALLBACK first_call_in_wait( void *context, BOOLEAN timed_out )
{
    struct first_call_in_wait *fc = context;
    BYTE data[32], buf[sizeof(ICMP_ECHO_REPLY) + 32 + 8];
    DWORD start = clock_ms();

    fill_payload( data, sizeof(data), 2 );
    fc->ret = pIcmpSendEcho( fc->h, LOCALHOST, data, sizeof(data), NULL, buf, sizeof(buf), 5000 ) == 1 &&
              reply_is( buf, data, sizeof(data) );
    fc->took = clock_ms() - start;
    SetEvent( fc->done );
}

static int child_first_call_in_wait( void )
{
    struct first_call_in_wait fc = { pIcmpCreateFile(), CreateEventA( NULL, TRUE, FALSE, NULL ), 0, 0 };
    HANDLE set = CreateEventA( NULL, TRUE, TRUE, NULL ), wait;
    DWORD ret;

    if (!RegisterWaitForSingleObject( &wait, set, first_call_in_wait, &fc, INFINITE,
                                      WT_EXECUTEONLYONCE | WT_EXECUTEINWAITTHREAD ))
        return 98;
    ret = WaitForSingleObject( fc.done, 30000 );
    printf( "child (wait callback): the call %s in %lu ms\n", ret ? "did not return" : fc.ret ? "succeeded" : "failed",
            ret ? 30000 : fc.took );
    if (ret) ExitProcess( 96 );   /* (the callback is stuck: no orderly exit) */
    return fc.ret ? 0 : 97;
}

static DWORD CALLBACK first_echo_thread( void *h )
{
    BYTE data[32], buf[sizeof(ICMP_ECHO_REPLY) + 32 + 8];

    fill_payload( data, sizeof(data), 3 );
    return pIcmpSendEcho( h, LOCALHOST, data, sizeof(data), NULL, buf, sizeof(buf), 5000 );
}

static int child_first_call( const char *mode )
{
    DWORD before[256], after[256], start, took, ret;
    BYTE data[32], buf[sizeof(ICMP_ECHO_REPLY) + 32 + 8];
    HANDLE h = pIcmpCreateFile(), event = CreateEventA( NULL, TRUE, FALSE, NULL );
    int nb, na, i, j, starting = 0, made = 0;

    if (!strcmp( mode, "waitcb" )) return child_first_call_in_wait();
    if (!strcmp( mode, "idle" ))
    {
        /* another thread's echo started the engine and ended; the pool has
         * had 6 s without work (Wine lets idle pool threads go after 5 s) */
        HANDLE t = CreateThread( NULL, 0, first_echo_thread, h, 0, NULL );
        if (!t || WaitForSingleObject( t, 30000 )) return 98;
        CloseHandle( t );
        Sleep( 6000 );
    }
    nb = own_threads( before, ARRAY_SIZE(before) );
    fill_payload( data, sizeof(data), 1 );
    slow_attach = 300;
    start = clock_ms();
    if (!strcmp( mode, "event" ))
    {
        ret = pIcmpSendEcho2( h, event, NULL, NULL, LOCALHOST, data, sizeof(data), NULL, buf, sizeof(buf), 5000 );
        ret = !ret && GetLastError() == ERROR_IO_PENDING;
    }
    else ret = pIcmpSendEcho( h, LOCALHOST, data, sizeof(data), NULL, buf, sizeof(buf), 5000 ) == 1;
    took = clock_ms() - start;
    na = own_threads( after, ARRAY_SIZE(after) );
    for (i = 0; i < na; i++)
    {
        for (j = 0; j < nb && before[j] != after[i]; j++) ;
        if (j < nb) continue;
        made++;
        if (!got_past_attach( after[i] )) starting++;
    }
    if (!strcmp( mode, "event" ) && ret) ret = WaitForSingleObject( event, 10000 ) == WAIT_OBJECT_0;
    printf( "child (%s): the call %s in %lu ms; threads %d before, %d after: %d new, %d of them still starting\n",
            mode, ret ? "succeeded" : "failed", took, nb, na, made, starting );
    if (nb < 0 || na < 0) return 98;
    if (!ret) return 97;
    return starting;
}

static void test_first_call_threads( void )
{
    static const char *modes[] = { "sync", "event", "waitcb", "idle" };
    char args[64];
    DWORD code, ret;
    int i;

    for (i = 0; i < (int)ARRAY_SIZE(modes); i++)
    {
        code = 99;
        snprintf( args, sizeof(args), "--child-first-call %s", modes[i] );
        ret = run_child( args, 60000, &code );
        ok( ret == WAIT_OBJECT_0, "%s: child did not end: %lu\n", modes[i], ret );
        ok( code == 0, "%s: exit code %lu (below 96: threads the first call made still starting when it returned; "
            "96: it never returned; 97: the echo failed; 98: no thread snapshot or wait)\n", modes[i], code );
    }
}

/* ---- a thread terminated inside a synchronous call ----
 *
 * A thread that dies while it waits in IcmpSendEcho (TerminateThread: on
 * Windows the kernel owns its I/O) leaves nothing behind: the socket it
 * received on is taken back at once, the next echoes of the process on the
 * same handle and on a new one succeed, nothing of it stays allocated and
 * the heap is sound. Variants: the dying thread leads its socket's receive
 * (no CPU to spare: ICMP_ECHO_TEST_FAULTS=busy, and a CPU-bound thread per
 * usable CPU), it follows a leader, or it follows the receive thread (a
 * CPU to spare: =spare). */
enum { DIE_LEADER, DIE_FOLLOWER, DIE_SPARE };

static LONG volatile hog_stop;

static DWORD CALLBACK hog_thread( void *arg )
{
    volatile unsigned long n = 0;
    while (!hog_stop) n++;
    return 0;
}

static int start_hogs( HANDLE *hogs, int max )
{
    DWORD_PTR mask, system_mask;
    int n = 0;

    hog_stop = 0;
    if (!GetProcessAffinityMask( GetCurrentProcess(), &mask, &system_mask )) return 0;
    for (; mask && n < max; mask &= mask - 1) hogs[n++] = CreateThread( NULL, 0, hog_thread, NULL, 0, NULL );
    return n;
}

static void stop_hogs( HANDLE *hogs, int n )
{
    int i;

    hog_stop = 1;
    if (n) WaitForMultipleObjects( n, hogs, TRUE, INFINITE );
    for (i = 0; i < n; i++) CloseHandle( hogs[i] );
}

static DWORD CALLBACK silent_call_thread( void *arg )
{
    BYTE data[16], buf[sizeof(ICMP_ECHO_REPLY) + 16 + 8];

    fill_payload( data, sizeof(data), 77 );
    pIcmpSendEcho( arg, SILENT, data, sizeof(data), NULL, buf, sizeof(buf), 10000 );
    return 0;
}

static DWORD CALLBACK control_call_thread( void *arg )
{
    BYTE data[16], buf[sizeof(ICMP_ECHO_REPLY) + 16 + 8];

    fill_payload( data, sizeof(data), 78 );
    pIcmpSendEcho( arg, LOCALHOST, data, sizeof(data), NULL, buf, sizeof(buf), 2000 );
    Sleep( INFINITE );
    return 0;
}

/* how many of n echoes to the host succeed within 1 s each */
static int echoes_ok( HANDLE h, int n )
{
    BYTE data[16], buf[sizeof(ICMP_ECHO_REPLY) + 16 + 8];
    int i, good = 0;

    for (i = 0; i < n; i++)
    {
        fill_payload( data, sizeof(data), 500 + i );
        if (pIcmpSendEcho( h, LOCALHOST, data, sizeof(data), NULL, buf, sizeof(buf), 1000 ) == 1 &&
            reply_is( buf, data, sizeof(data) ))
            good++;
    }
    return good;
}

/* n threads each in a call of its own (control: in Sleep after one echo), terminated after 300 ms */
static struct leak_probe calls_terminated( HANDLE h, int n, BOOL control )
{
    HANDLE threads[16];
    int i;

    for (i = 0; i < n; i++)
        threads[i] = CreateThread( NULL, 65536, control ? control_call_thread : silent_call_thread, h,
                                   STACK_SIZE_PARAM_IS_A_RESERVATION, NULL );
    Sleep( 300 );
    for (i = 0; i < n; i++) TerminateThread( threads[i], 0 );
    WaitForMultipleObjects( n, threads, TRUE, INFINITE );
    for (i = 0; i < n; i++) CloseHandle( threads[i] );
    Sleep( 200 );   /* (the thread pool reports the deaths) */
    return leak_probe();
}

static void terminated_in_call( int variant )
{
    HANDLE h, h2, leader = NULL, follower, hogs[64];
    struct leak_probe before, control, after;
    int nhogs = 0, good;
    char saved[512];

    if (!lab)
    {
        skip( "needs the loopback lab's silent address (run as root: tests/run-conformance.sh)\n" );
        return;
    }
    add_faults( variant == DIE_SPARE ? "spare" : "busy", saved, sizeof(saved) );
    h = pIcmpCreateFile();
    ok( echoes_ok( h, 10 ) == 10, "echoes before\n" );   /* (the engine started with the forced regime) */
    restore_faults( saved );
    if (variant != DIE_SPARE) nhogs = start_hogs( hogs, 64 );
    if (variant == DIE_FOLLOWER)
    {
        /* a leader, and behind it the caller that dies: the leader serves the others meanwhile */
        leader = CreateThread( NULL, 0, silent_call_thread, h, 0, NULL );
        Sleep( 300 );
    }
    follower = CreateThread( NULL, 0, silent_call_thread, h, 0, NULL );
    Sleep( 300 );
    TerminateThread( follower, 0 );
    WaitForSingleObject( follower, INFINITE );
    CloseHandle( follower );
    good = echoes_ok( h, 100 );
    ok( good == 100, "after a thread died in its call: %d of 100 echoes succeeded on its handle\n", good );
    if (leader)
    {
        /* and then the leader dies too */
        TerminateThread( leader, 0 );
        WaitForSingleObject( leader, INFINITE );
        CloseHandle( leader );
        good = echoes_ok( h, 100 );
        ok( good == 100, "after the leader died in its call: %d of 100 echoes succeeded\n", good );
    }
    h2 = pIcmpCreateFile();
    good = echoes_ok( h2, 20 );
    ok( good == 20, "%d of 20 echoes succeeded on a new handle\n", good );
    pIcmpCloseHandle( h2 );
    stop_hogs( hogs, nhogs );

    /* what stays: 16 threads terminated in their call, against 16 terminated after an echo */
    calls_terminated( h, 16, TRUE );   /* warm-up */
    before = calls_terminated( h, 16, TRUE );
    control = calls_terminated( h, 16, TRUE );
    after = calls_terminated( h, 16, FALSE );
    good = echoes_ok( h, 20 );
    ok( good == 20, "after 16 threads died in their calls: %d of 20 echoes succeeded\n", good );
    check_no_leak( "terminated in a synchronous call", 16, 256, before, control, after );
    ok( HeapValidate( GetProcessHeap(), 0, NULL ), "the heap is corrupt\n" );
    pIcmpCloseHandle( h );
}

static void test_terminated_leader( void )
{
    terminated_in_call( DIE_LEADER );
}

static void test_terminated_follower( void )
{
    terminated_in_call( DIE_FOLLOWER );
}

static void test_terminated_spare( void )
{
    terminated_in_call( DIE_SPARE );
}

/* A thread that issues an APC request after our DLL_THREAD_DETACH (from
 * the exe's own TLS callback, which runs after every DLL's): nothing of it
 * may stay. */
#define LATE_REQUESTS 8
static DWORD late_tls = TLS_OUT_OF_INDEXES;
static HANDLE late_handle;
static struct async_req late_reqs[1500][LATE_REQUESTS];

static BOOL late_apc;

static void NTAPI late_tls_callback( void *module, DWORD reason, void *reserved )
{
    struct async_req *r;
    int i;

    if (reason != DLL_THREAD_DETACH || late_tls == TLS_OUT_OF_INDEXES || !(r = TlsGetValue( late_tls ))) return;
    if (!late_apc) sync_echo( late_handle, LOCALHOST, r->data, 16, 0, r->buf, sizeof(r->buf) );
    else for (i = 0; i < LATE_REQUESTS; i++)
        pIcmpSendEcho2( late_handle, NULL, counting_apc, &r[i], LOCALHOST, r[i].data, 16, NULL, r[i].buf,
                        sizeof(r[i].buf), 1000 );
}
__attribute__((used, section(".CRT$XLB"))) static PIMAGE_TLS_CALLBACK late_tls_callback_ptr = late_tls_callback;

static DWORD CALLBACK late_thread( void *arg )
{
    TlsSetValue( late_tls, arg );
    return 0;
}

/* n threads one after another, each sending from its TLS callback: an APC
 * request, or (the control) a synchronous one */
static struct leak_probe late_threads( int first, int n, BOOL apc, BOOL warm_up )
{
    LONG level = dll_heap_blocks;
    int i;

    late_apc = apc;
    for (i = first; i < first + n; i++)
    {
        HANDLE thread = CreateThread( NULL, 65536, late_thread, late_reqs[i], STACK_SIZE_PARAM_IS_A_RESERVATION, NULL );
        WaitForSingleObject( thread, INFINITE );
        CloseHandle( thread );
    }
    settle( level, warm_up );
    return leak_probe();
}

/* A thread that issues APC requests after our DLL_THREAD_DETACH (from the
 * exe's own TLS callback, which runs after every DLL's): nothing of them
 * may stay, and their APCs never run. */
static void test_apc_after_detach( void )
{
    int n = min( count( 1500 ), 1500 ), i, calls = 0;
    struct leak_probe before, control, after;

    late_tls = TlsAlloc();
    late_handle = pIcmpCreateFile();
    late_threads( 0, 50, TRUE, TRUE );   /* warm-up */
    before = late_threads( 0, 50, FALSE, FALSE );
    control = late_threads( 0, n, FALSE, FALSE );
    memset( late_reqs, 0, sizeof(late_reqs) );
    after = late_threads( 0, n, TRUE, FALSE );
    for (i = 0; i < n * LATE_REQUESTS; i++) calls += late_reqs[i / LATE_REQUESTS][i % LATE_REQUESTS].calls;
    ok( !calls, "%d APCs ran\n", calls );
    check_no_leak( "sent APC requests after their detach", n, 1536, before, control, after );
    pIcmpCloseHandle( late_handle );
    TlsFree( late_tls );
    late_tls = TLS_OUT_OF_INDEXES;
}

static const struct winetest_entry tests[] =
{
    { "threads_shared_handle", test_threads_shared_handle },
    { "send_after_completion", test_send_after_completion },
    { "late_reply", test_late_reply },
    { "first_call_threads", test_first_call_threads },
    { "terminated_leader", test_terminated_leader },
    { "terminated_follower", test_terminated_follower },
    { "terminated_spare", test_terminated_spare },
    { "threads_own_handles", test_threads_own_handles },
    { "mixed_load", test_mixed_load },
    { "close_with_pending", test_close_with_pending },
    { "thread_exit_with_apcs", test_thread_exit_with_apcs },
    { "close_while_sending", test_close_while_sending },
    { "freelibrary_pending", test_freelibrary_pending },
    { "process_exit_pending", test_process_exit_pending },
    { "process_isolation", test_process_isolation },
    { "leaks", test_leaks },
    { "exited_thread_apcs", test_exited_thread_apcs },
    { "failing_receives", test_failing_receives },
    { "load_cycles", test_load_cycles },
    { "apc_exit_race", test_apc_exit_race },
    { "terminated_thread_apcs", test_terminated_thread_apcs },
    { "apc_routine_exits", test_apc_routine_exits },
    { "apc_after_detach", test_apc_after_detach },
    { "v6_threads_shared_handle", test_v6_threads_shared_handle },
    { "v6_both_families", test_v6_both_families },
    { "v6_close_with_pending", test_v6_close_with_pending },
};

int main( int argc, char **argv )
{
    const char *only = NULL;
    struct target_dll t;
    int i, child_exit = 0, child_iso = 0, child_fail = 0, child_cycles = 0, child_race = 0, child_send = 0, child_late = 0;
    const char *child_first = NULL;
    static char path[MAX_PATH];

    GetModuleFileNameA( NULL, path, sizeof(path) );
    self_path = path;
    for (i = 1; i < argc; i++)
    {
        if (!strcmp( argv[i], "--dll" ) && i + 1 < argc) dll_arg = argv[++i];
        else if (!strcmp( argv[i], "--lab" )) lab = 1;
        else if (!strcmp( argv[i], "--scale" ) && i + 1 < argc) scale = atoi( argv[++i] ) > 0 ? atoi( argv[i] ) : 1;
        else if (!strcmp( argv[i], "--child-exit" )) child_exit = 1;
        else if (!strcmp( argv[i], "--child-isolation" ) && i + 1 < argc) child_iso = atoi( argv[++i] );
        else if (!strcmp( argv[i], "--child-failing-receives" )) child_fail = 1;
        else if (!strcmp( argv[i], "--child-load-cycles" )) child_cycles = 1;
        else if (!strcmp( argv[i], "--child-apc-exit-race" )) child_race = 1;
        else if (!strcmp( argv[i], "--child-send-after-completion" )) child_send = 1;
        else if (!strcmp( argv[i], "--child-late-reply" )) child_late = 1;
        else if (!strcmp( argv[i], "--child-first-call" ) && i + 1 < argc) child_first = argv[++i];
        else if (!strcmp( argv[i], "--list" ))
        {
            for (i = 0; i < (int)ARRAY_SIZE(tests); i++) printf( "%s\n", tests[i].name );
            return 0;
        }
        else only = argv[i];
    }
    if (child_cycles) return child_load_cycles();   /* before the DLL is loaded */
    if (!target_load( dll_arg, &t )) return 2;
    if (!child_exit && !child_iso && !child_fail && !child_race && !child_send && !child_late && !child_first) target_describe( &t, stdout );
    if (!load_icmp_exports( NULL, t.module )) return 2;
    heap_counted = dll_heap_hook( t.module );
    if (child_exit) return child_exit_pending();
    if (child_iso) return child_isolation( child_iso );
    if (child_fail) return child_failing_receives();
    if (child_race) return child_apc_exit_race();
    if (child_send) return child_send_after_completion();
    if (child_late) return child_late_reply();
    if (child_first) return child_first_call( child_first );
    return winetest_main( argc, argv, tests, ARRAY_SIZE(tests), only );
}
