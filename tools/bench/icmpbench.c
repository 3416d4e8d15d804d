/*
 * icmpbench: one benchmark scenario against one ICMP implementation, in the
 * network lab (tools/netlab/netlab; run by tools/bench/run-bench.sh):
 *
 *   icmpbench.exe [--dll PATH|system] SCENARIO
 *
 *   seq          2,000 sequential synchronous IcmpSendEcho to the host
 *   sweep-N-apc, sweep-N-event
 *                N requests issued at once (APC or one event each) to 250
 *                lab addresses; also the engine's threads and committed
 *                private bytes at the peak, per outstanding request
 *   silent       10,000 requests to the silent host, Timeout 2 s (APC)
 *   spread       200 requests to the silent host, Timeout 500 ms (APC)
 *   threads      16 threads x synchronous calls on one shared handle, 3 s
 *   burst-1, burst-250
 *                10,000 APC requests issued back to back from one thread to
 *                the host, or to the 250 sweep addresses, with a desktop's
 *                receive buffer (ICMP_ECHO_SO_RCVBUF=212992): successes, and
 *                the packets the kernel dropped at our raw sockets (the
 *                client namespace's /proc/net/raw, read through Wine's Z:)
 *   count-N      N sequential synchronous echoes and nothing else (the
 *                runner counts wineserver requests from a +server log)
 *   multi-apc-1, multi-apc-250, multi-event-1, multi-event-250
 *                one of several processes started together (--signal FILE
 *                when its burst is done, --wait FILE before it ends): a
 *                burst of 10,000 APC or Event requests to the host or the
 *                250 sweep addresses, desktop receive buffer
 *   --dll floor  seq and count-N over a bare raw socket (sendto, then a
 *                blocking recv): the Winsock floor
 *   seq6, burst6-1
 *                seq and burst-1 over IPv6 (Icmp6SendEcho2 to fd00:3::2);
 *                the runner starts them under the ICMPv6-capable wineserver
 *                (tools/wineserver); "unsupported=1" without Icmp6 functions
 *
 * Prints one line "bench: SCENARIO key=value ..." (times in microseconds
 * unless named _ms). Only lab addresses (198.18.0.0/15, fd00::/8) are sent to.
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
#include "proc_stats.h"

#define HOST   htonl( 0xc6120302 )   /* 198.18.3.2 */
#define SILENT htonl( 0xc6120502 )   /* 198.18.5.2 */
#define SWEEP_BASE 0xc6120a01u       /* 198.18.10.1 ... 198.18.10.250 */
#define DATA_SIZE 32
#define BUF_SIZE (max( sizeof(ICMP_ECHO_REPLY), REPLY6_SIZE ) + DATA_SIZE + 8)   /* either family's reply */

static LARGE_INTEGER freq;

static double now_us( void )
{
    LARGE_INTEGER t;
    QueryPerformanceCounter( &t );
    return (double)t.QuadPart * 1e6 / (double)freq.QuadPart;
}

static int cmp_double( const void *a, const void *b )
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* the q-quantile of v[n] (sorts v) */
static double quantile( double *v, int n, double q )
{
    if (!n) return 0;
    qsort( v, n, sizeof(*v), cmp_double );
    return v[(int)(q * (n - 1) + 0.5)];
}

/* ---- 1: sequential synchronous echoes ---- */

static void bench_seq( void )
{
    enum { N = 2000 };
    static double t[N];
    BYTE data[DATA_SIZE], buf[BUF_SIZE];
    HANDLE h = pIcmpCreateFile();
    int i, ok_count = 0;

    memset( data, 0x5a, sizeof(data) );
    for (i = 0; i < 20; i++) pIcmpSendEcho( h, HOST, data, sizeof(data), NULL, buf, sizeof(buf), 1000 );  /* warm up */
    for (i = 0; i < N; i++)
    {
        double start = now_us();
        if (pIcmpSendEcho( h, HOST, data, sizeof(data), NULL, buf, sizeof(buf), 1000 ) == 1) ok_count++;
        t[i] = now_us() - start;
    }
    printf( "bench: seq ok=%d median=%.1f p90=%.1f\n", ok_count, quantile( t, N, 0.5 ), quantile( t, N, 0.9 ) );
    pIcmpCloseHandle( h );
}

/* ---- a process's first echo beside its second: what starting the engine
 * costs (ours waits until the threads it starts run: echo_main.c) ---- */

static void bench_first( void )
{
    BYTE data[DATA_SIZE], buf[BUF_SIZE];
    HANDLE h = pIcmpCreateFile();
    double start, first, second;
    int ok_count = 0;

    memset( data, 0x5a, sizeof(data) );
    start = now_us();
    if (pIcmpSendEcho( h, HOST, data, sizeof(data), NULL, buf, sizeof(buf), 1000 ) == 1) ok_count++;
    first = now_us() - start;
    start = now_us();
    if (pIcmpSendEcho( h, HOST, data, sizeof(data), NULL, buf, sizeof(buf), 1000 ) == 1) ok_count++;
    second = now_us() - start;
    printf( "bench: first ok=%d first_us=%.1f second_us=%.1f\n", ok_count, first, second );
    pIcmpCloseHandle( h );
}

/* ---- the Winsock floor: one thread, a bare raw socket, sendto then a
 * blocking recv (what any implementation over Winsock needs at least) ---- */

static SOCKET floor_socket = INVALID_SOCKET;
static USHORT floor_seq;

static int floor_open( void )
{
    DWORD timeout = 1000;
    WSADATA wsa;

    WSAStartup( MAKEWORD(2, 2), &wsa );
    floor_socket = socket( AF_INET, SOCK_RAW, IPPROTO_ICMP );
    if (floor_socket == INVALID_SOCKET) return 0;
    setsockopt( floor_socket, SOL_SOCKET, SO_RCVTIMEO, (char *)&timeout, sizeof(timeout) );
    return 1;
}

static USHORT floor_checksum( const BYTE *p, int len )
{
    DWORD sum = 0;
    int i;

    for (i = 0; i + 1 < len; i += 2) sum += p[i] | p[i + 1] << 8;
    if (len & 1) sum += p[len - 1];
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (USHORT)~sum;
}

/* one echo request to the host and its reply; 1 if answered */
static int floor_echo( const BYTE *data )
{
    BYTE pkt[8 + DATA_SIZE], in[1500];
    USHORT id = (USHORT)GetCurrentProcessId(), seq = ++floor_seq, sum;
    struct sockaddr_in to;
    int n, hdr;

    memset( &to, 0, sizeof(to) );
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = HOST;
    memset( pkt, 0, 8 );
    pkt[0] = 8;
    pkt[4] = id >> 8, pkt[5] = (BYTE)id, pkt[6] = seq >> 8, pkt[7] = (BYTE)seq;
    memcpy( pkt + 8, data, DATA_SIZE );
    sum = floor_checksum( pkt, sizeof(pkt) );
    memcpy( pkt + 2, &sum, 2 );
    if (sendto( floor_socket, (char *)pkt, sizeof(pkt), 0, (struct sockaddr *)&to, sizeof(to) ) < 0) return 0;
    for (;;)
    {
        if ((n = recv( floor_socket, (char *)in, sizeof(in), 0 )) <= 0) return 0;
        hdr = (in[0] & 15) * 4;
        if (n >= hdr + 8 && in[hdr] == 0 && in[hdr + 4] == pkt[4] && in[hdr + 5] == pkt[5] && in[hdr + 6] == pkt[6] &&
            in[hdr + 7] == pkt[7])
            return 1;
    }
}

static void bench_floor_seq( void )
{
    enum { N = 2000 };
    static double t[N];
    BYTE data[DATA_SIZE];
    int i, ok_count = 0;

    if (!floor_open()) { printf( "bench: seq unsupported=1\n" ); return; }
    memset( data, 0x5a, sizeof(data) );
    for (i = 0; i < 20; i++) floor_echo( data );
    for (i = 0; i < N; i++)
    {
        double start = now_us();
        ok_count += floor_echo( data );
        t[i] = now_us() - start;
    }
    printf( "bench: seq ok=%d median=%.1f p90=%.1f\n", ok_count, quantile( t, N, 0.5 ), quantile( t, N, 0.9 ) );
}

static void bench_floor_count( int n )
{
    BYTE data[DATA_SIZE];
    int i, ok_count = 0;

    if (!floor_open()) { printf( "bench: count-%d unsupported=1\n", n ); return; }
    memset( data, 0x5a, sizeof(data) );
    for (i = 0; i < n; i++) ok_count += floor_echo( data );
    printf( "bench: count-%d ok=%d\n", n, ok_count );
}

/* ---- 2, 5: many requests at once ---- */

struct req
{
    double sent, done;
    HANDLE event;
    volatile LONG *completed;
    BYTE buf[BUF_SIZE];
};

static void NTAPI apc_done( void *context, IO_STATUS_BLOCK *iosb, ULONG reserved )
{
    struct req *r = context;
    r->done = now_us();
    InterlockedIncrement( r->completed );
}

/* Issues n requests to dst(i), by APC or event, waits up to wait_ms for all;
 * returns how many completed. Fills peak thread/private figures if asked. */
static int issue_all( struct req *reqs, int n, IPAddr (*dst)( int ), DWORD timeout, int use_event, DWORD wait_ms,
                      double *first_sent, DWORD *peak_threads, SIZE_T *peak_private, int *accepted )
{
    static volatile LONG completed;
    BYTE data[DATA_SIZE];
    HANDLE h = pIcmpCreateFile();
    double deadline;
    int i;

    memset( data, 0x5a, sizeof(data) );
    completed = 0;
    *accepted = 0;
    *first_sent = now_us();
    for (i = 0; i < n; i++)
    {
        DWORD ret;
        reqs[i].completed = &completed;
        reqs[i].done = 0;
        reqs[i].sent = now_us();
        if (use_event)
            ret = pIcmpSendEcho2( h, reqs[i].event, NULL, NULL, dst( i ), data, sizeof(data), NULL, reqs[i].buf,
                                  BUF_SIZE, timeout );
        else
            ret = pIcmpSendEcho2( h, NULL, apc_done, &reqs[i], dst( i ), data, sizeof(data), NULL, reqs[i].buf,
                                  BUF_SIZE, timeout );
        if (!ret && GetLastError() == ERROR_IO_PENDING) (*accepted)++;
        else reqs[i].done = -1;   /* refused: never completes */
    }
    if (peak_threads) *peak_threads = thread_count();
    if (peak_private) *peak_private = private_bytes();

    deadline = now_us() + wait_ms * 1000.0;
    if (use_event)
    {
        for (i = 0; i < n; i++)
        {
            double left = (deadline - now_us()) / 1000;
            if (reqs[i].done < 0) continue;
            if (WaitForSingleObject( reqs[i].event, left > 0 ? (DWORD)left : 0 ) == WAIT_OBJECT_0)
            {
                reqs[i].done = now_us();
                completed++;
            }
        }
    }
    else
    {
        while (completed < *accepted && now_us() < deadline) SleepEx( 10, TRUE );
    }
    pIcmpCloseHandle( h );
    return completed;
}

static IPAddr sweep_dst( int i )
{
    return htonl( SWEEP_BASE + i % 250 );
}

static IPAddr silent_dst( int i )
{
    return SILENT;
}

static void bench_sweep( int n, int use_event, const char *name )
{
    struct req *reqs = calloc( n, sizeof(*reqs) );
    DWORD threads_before = thread_count(), threads_peak;
    SIZE_T private_before, private_peak;
    double first, last = 0;
    int i, done, accepted, replies = 0;

    for (i = 0; i < n; i++) if (use_event) reqs[i].event = CreateEventA( NULL, TRUE, FALSE, NULL );
    private_before = private_bytes();
    done = issue_all( reqs, n, sweep_dst, 5000, use_event, 30000, &first, &threads_peak, &private_peak, &accepted );
    for (i = 0; i < n; i++)
    {
        if (reqs[i].done > last) last = reqs[i].done;
        if (reqs[i].done > 0 && ((ICMP_ECHO_REPLY *)reqs[i].buf)->Status == IP_SUCCESS) replies++;
        if (reqs[i].event) CloseHandle( reqs[i].event );
    }
    printf( "bench: %s requests=%d accepted=%d completed=%d replies=%d total_ms=%.1f per_request=%.2f "
            "threads_before=%lu threads_peak=%lu private_per_request=%.0f\n", name, n, accepted, done, replies,
            (last - first) / 1000, done ? (last - first) / done : 0, threads_before, threads_peak,
            private_peak > private_before ? (double)(private_peak - private_before) / n : 0.0 );
    free( reqs );
}

/* ---- 3, 4: the silent host ---- */

static void bench_silent( int n, DWORD timeout, const char *name )
{
    struct req *reqs = calloc( n, sizeof(*reqs) );
    double first, last = 0, *late = malloc( n * sizeof(double) );
    int i, done, accepted, timed_out = 0, m = 0;

    done = issue_all( reqs, n, silent_dst, timeout, 0, timeout + 10000, &first, NULL, NULL, &accepted );
    for (i = 0; i < n; i++)
    {
        if (reqs[i].done <= 0) continue;
        if (reqs[i].done > last) last = reqs[i].done;
        if (((ICMP_ECHO_REPLY *)reqs[i].buf)->Status == IP_REQ_TIMED_OUT) timed_out++;
        late[m++] = (reqs[i].done - reqs[i].sent) / 1000;   /* when it ended, from its own send, ms */
    }
    printf( "bench: %s requests=%d accepted=%d completed=%d timed_out=%d last_end_ms=%.1f end_min_ms=%.1f "
            "end_median_ms=%.1f end_max_ms=%.1f\n", name, n, accepted, done, timed_out, done ? (last - first) / 1000 : 0,
            m ? quantile( late, m, 0 ) : 0, m ? quantile( late, m, 0.5 ) : 0, m ? quantile( late, m, 1 ) : 0 );
    free( late );
    free( reqs );
}

/* ---- bursts: nothing lost ---- */

static IPAddr host_dst( int i )
{
    return HOST;
}

static void bench_burst( IPAddr (*dst)( int ), const char *name )
{
    enum { N = 10000 };
    struct req *reqs = calloc( N, sizeof(*reqs) );
    double first, last = 0;
    long drops_before, drops_after;
    int i, done, accepted, replies = 0;

    SetEnvironmentVariableA( "ICMP_ECHO_SO_RCVBUF", "212992" );
    drops_before = raw_drops( "Z:\\proc\\net\\raw" );
    done = issue_all( reqs, N, dst, 5000, 0, 30000, &first, NULL, NULL, &accepted );
    drops_after = raw_drops( "Z:\\proc\\net\\raw" );
    for (i = 0; i < N; i++)
    {
        if (reqs[i].done > last) last = reqs[i].done;
        if (reqs[i].done > 0 && ((ICMP_ECHO_REPLY *)reqs[i].buf)->Status == IP_SUCCESS) replies++;
    }
    printf( "bench: %s requests=%d accepted=%d completed=%d replies=%d drops=%ld total_ms=%.1f per_request=%.2f\n",
            name, N, accepted, done, replies, drops_before < 0 || drops_after < 0 ? -1 : drops_after - drops_before,
            (last - first) / 1000, done ? (last - first) / done : 0 );
    free( reqs );
}

/* ---- several processes at once: the runner starts N of these together;
 * each sends its burst, says so (creates the file `signal`), and waits for
 * the runner (the file `wait`) before it ends, so that the namespace's
 * raw sockets, each with its drop count, are all still open when the
 * runner reads them ---- */

static void bench_multi( int use_event, IPAddr (*dst)( int ), const char *signal, const char *wait_file,
                         const char *name )
{
    enum { N = 10000 };
    struct req *reqs = calloc( N, sizeof(*reqs) );
    double first, last = 0;
    DWORD start;
    HANDLE f;
    int i, done, accepted, replies = 0;

    SetEnvironmentVariableA( "ICMP_ECHO_SO_RCVBUF", "212992" );
    for (i = 0; use_event && i < N; i++) reqs[i].event = CreateEventA( NULL, TRUE, FALSE, NULL );
    done = issue_all( reqs, N, dst, 5000, use_event, 120000, &first, NULL, NULL, &accepted );
    for (i = 0; i < N; i++)
    {
        if (reqs[i].done > last) last = reqs[i].done;
        if (reqs[i].done > 0 && ((ICMP_ECHO_REPLY *)reqs[i].buf)->Status == IP_SUCCESS) replies++;
        if (reqs[i].event) CloseHandle( reqs[i].event );
    }
    if (signal && (f = CreateFileA( signal, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL )) != INVALID_HANDLE_VALUE)
        CloseHandle( f );
    for (start = GetTickCount(); wait_file && GetFileAttributesA( wait_file ) == INVALID_FILE_ATTRIBUTES &&
                                 GetTickCount() - start < 180000; )
        Sleep( 20 );
    printf( "bench: %s requests=%d accepted=%d completed=%d replies=%d total_ms=%.1f per_request=%.2f\n", name, N,
            accepted, done, replies, (last - first) / 1000, done ? (last - first) / done : 0 );
    free( reqs );
}

/* ---- IPv6: sequential echoes and a burst ---- */

/* whether the target echoes over IPv6 at all (Wine's builtin has stubs) */
static int have_icmp6( const char *name )
{
    struct sockaddr_in6 host = addr6( "fd00:3::2" );
    BYTE buf[BUF_SIZE];
    HANDLE h;
    DWORD ret = 0;

    if (pIcmp6CreateFile && pIcmp6SendEcho2 && (h = pIcmp6CreateFile()) != INVALID_HANDLE_VALUE)
    {
        ret = pIcmp6SendEcho2( h, NULL, NULL, NULL, NULL, &host, NULL, 0, NULL, buf, sizeof(buf), 1000 );
        pIcmpCloseHandle( h );
    }
    if (ret == 1) return 1;
    printf( "bench: %s unsupported=1\n", name );
    return 0;
}

static void bench_seq6( void )
{
    enum { N = 2000 };
    static double t[N];
    struct sockaddr_in6 host = addr6( "fd00:3::2" );
    BYTE data[DATA_SIZE], buf[BUF_SIZE];
    HANDLE h;
    int i, ok_count = 0;

    if (!have_icmp6( "seq6" )) return;
    h = pIcmp6CreateFile();
    memset( data, 0x5a, sizeof(data) );
    for (i = 0; i < 20; i++)   /* warm up */
        pIcmp6SendEcho2( h, NULL, NULL, NULL, NULL, &host, data, sizeof(data), NULL, buf, sizeof(buf), 1000 );
    for (i = 0; i < N; i++)
    {
        double start = now_us();
        if (pIcmp6SendEcho2( h, NULL, NULL, NULL, NULL, &host, data, sizeof(data), NULL, buf, sizeof(buf), 1000 ) == 1)
            ok_count++;
        t[i] = now_us() - start;
    }
    printf( "bench: seq6 ok=%d median=%.1f p90=%.1f\n", ok_count, quantile( t, N, 0.5 ), quantile( t, N, 0.9 ) );
    pIcmpCloseHandle( h );
}

/* packets the kernel dropped at the raw sockets of this namespace, both families */
static long raw_drops_all( void )
{
    long v4 = raw_drops( "Z:\\proc\\net\\raw" ), v6 = raw_drops( "Z:\\proc\\net\\raw6" );
    return v4 < 0 || v6 < 0 ? -1 : v4 + v6;
}

static void bench_burst6( void )
{
    enum { N = 10000 };
    static volatile LONG completed;
    struct sockaddr_in6 host = addr6( "fd00:3::2" );
    struct req *reqs;
    BYTE data[DATA_SIZE];
    double first, last = 0, deadline;
    long drops_before, drops_after;
    int i, accepted = 0, replies = 0;
    HANDLE h;

    if (!have_icmp6( "burst6-1" )) return;
    reqs = calloc( N, sizeof(*reqs) );
    SetEnvironmentVariableA( "ICMP_ECHO_SO_RCVBUF", "212992" );
    h = pIcmp6CreateFile();
    memset( data, 0x5a, sizeof(data) );
    completed = 0;
    drops_before = raw_drops_all();
    first = now_us();
    for (i = 0; i < N; i++)
    {
        reqs[i].completed = &completed;
        if (!pIcmp6SendEcho2( h, NULL, apc_done, &reqs[i], NULL, &host, data, sizeof(data), NULL, reqs[i].buf,
                              sizeof(reqs[i].buf), 5000 ) && GetLastError() == ERROR_IO_PENDING)
            accepted++;
    }
    deadline = now_us() + 30e6;
    while (completed < accepted && now_us() < deadline) SleepEx( 10, TRUE );
    drops_after = raw_drops_all();
    for (i = 0; i < N; i++)
    {
        if (reqs[i].done > last) last = reqs[i].done;
        if (reqs[i].done > 0 && reply6_status( reqs[i].buf ) == IP_SUCCESS) replies++;
    }
    printf( "bench: burst6-1 requests=%d accepted=%d completed=%ld replies=%d drops=%ld total_ms=%.1f "
            "per_request=%.2f\n", N, accepted, completed, replies,
            drops_before < 0 || drops_after < 0 ? -1 : drops_after - drops_before, (last - first) / 1000,
            completed ? (last - first) / completed : 0 );
    pIcmpCloseHandle( h );
    free( reqs );
}

/* ---- wineserver requests: N synchronous echoes, nothing else ---- */

static void bench_count( int n )
{
    BYTE data[DATA_SIZE], buf[BUF_SIZE];
    HANDLE h = pIcmpCreateFile();
    int i, ok_count = 0;

    memset( data, 0x5a, sizeof(data) );
    for (i = 0; i < n; i++)
        if (pIcmpSendEcho( h, HOST, data, sizeof(data), NULL, buf, sizeof(buf), 1000 ) == 1) ok_count++;
    printf( "bench: count-%d ok=%d\n", n, ok_count );
    pIcmpCloseHandle( h );
}

/* ---- 6: threads on one handle ---- */

static volatile LONG stop, echoes;
static HANDLE shared;

static DWORD CALLBACK thread_echo( void *arg )
{
    BYTE data[DATA_SIZE], buf[BUF_SIZE];
    memset( data, (int)(ULONG_PTR)arg, sizeof(data) );
    while (!stop)
        if (pIcmpSendEcho( shared, HOST, data, sizeof(data), NULL, buf, sizeof(buf), 1000 ) == 1 &&
            !memcmp( ((ICMP_ECHO_REPLY *)buf)->Data, data, sizeof(data) ))
            InterlockedIncrement( &echoes );
    return 0;
}

static void bench_threads( void )
{
    enum { THREADS = 16 };
    HANDLE threads[THREADS];
    double start, secs;
    int i;

    shared = pIcmpCreateFile();
    stop = echoes = 0;
    start = now_us();
    for (i = 0; i < THREADS; i++) threads[i] = CreateThread( NULL, 0, thread_echo, (void *)(ULONG_PTR)(i + 1), 0, NULL );
    Sleep( 3000 );
    stop = 1;
    WaitForMultipleObjects( THREADS, threads, TRUE, 10000 );
    secs = (now_us() - start) / 1e6;
    for (i = 0; i < THREADS; i++) CloseHandle( threads[i] );
    printf( "bench: threads echoes=%ld per_second=%.0f\n", echoes, echoes / secs );
    pIcmpCloseHandle( shared );
}

int main( int argc, char **argv )
{
    const char *dll = "system", *scenario = NULL, *signal = NULL, *wait_file = NULL;
    struct target_dll t;
    int i, n;

    for (i = 1; i < argc; i++)
    {
        if (!strcmp( argv[i], "--dll" ) && i + 1 < argc) dll = argv[++i];
        else if (!strcmp( argv[i], "--signal" ) && i + 1 < argc) signal = argv[++i];
        else if (!strcmp( argv[i], "--wait" ) && i + 1 < argc) wait_file = argv[++i];
        else scenario = argv[i];
    }
    if (!scenario) { printf( "usage: icmpbench [--dll PATH|system|floor] SCENARIO\n" ); return 2; }
    InitializeCriticalSection( &winetest_print_cs );
    QueryPerformanceFrequency( &freq );
    if (!strcmp( dll, "floor" ))
    {
        if (!strcmp( scenario, "seq" )) bench_floor_seq();
        else if (sscanf( scenario, "count-%d", &n ) == 1) bench_floor_count( n );
        else printf( "bench: %s unsupported=1\n", scenario );
        return 0;
    }
    if (!target_load( dll, &t )) return 2;
    target_describe( &t, stdout );
    if (!load_icmp_exports( NULL, t.module )) return 2;

    if (!strcmp( scenario, "seq" )) bench_seq();
    else if (!strcmp( scenario, "first" )) bench_first();
    else if (sscanf( scenario, "sweep-%d", &n ) == 1 && strstr( scenario, "-apc" )) bench_sweep( n, 0, scenario );
    else if (sscanf( scenario, "sweep-%d", &n ) == 1 && strstr( scenario, "-event" )) bench_sweep( n, 1, scenario );
    else if (!strcmp( scenario, "silent" )) bench_silent( 10000, 2000, scenario );
    else if (!strcmp( scenario, "spread" )) bench_silent( 200, 500, scenario );
    else if (!strcmp( scenario, "threads" )) bench_threads();
    else if (!strcmp( scenario, "burst-1" )) bench_burst( host_dst, scenario );
    else if (!strcmp( scenario, "burst-250" )) bench_burst( sweep_dst, scenario );
    else if (sscanf( scenario, "count-%d", &n ) == 1) bench_count( n );
    else if (!strcmp( scenario, "multi-apc-1" )) bench_multi( 0, host_dst, signal, wait_file, scenario );
    else if (!strcmp( scenario, "multi-apc-250" )) bench_multi( 0, sweep_dst, signal, wait_file, scenario );
    else if (!strcmp( scenario, "multi-event-1" )) bench_multi( 1, host_dst, signal, wait_file, scenario );
    else if (!strcmp( scenario, "multi-event-250" )) bench_multi( 1, sweep_dst, signal, wait_file, scenario );
    else if (!strcmp( scenario, "seq6" )) bench_seq6();
    else if (!strcmp( scenario, "burst6-1" )) bench_burst6();
    else { printf( "unknown scenario %s\n", scenario ); return 2; }
    fflush( stdout );
    return 0;
}
