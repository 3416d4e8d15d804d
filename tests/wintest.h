/*
 * A small Wine-style test harness for Windows programs (Wine's test.h is not
 * packaged). It provides ok(), skip(), trace(), todo_wine, todo_if(),
 * flaky_if() and broken() with Wine's semantics and output lines:
 *
 *   file.c:123: Test failed: message
 *   file.c:123: Test marked todo: message
 *   file.c:123: Test succeeded inside todo block: message
 *   file.c:123: Test marked flaky: message
 *   file.c:123: Tests skipped: message
 *
 * todo: a known failure (one that passes is a failure); flaky: a check that
 * fails only sometimes (a failure is reported, and not counted as one).
 *
 * A test program defines START_TEST-style functions and a table of them:
 *
 *   static const struct winetest_entry tests[] = { { "name", func }, ... };
 *   return winetest_main( argc, argv, tests, count );
 *
 * Each test prints "summary: <name> <passed> <failed> <todo> <skipped>" and the
 * program ends with the line "N passed, N failed, N skipped".
 *
 * With --results FILE (winetest_open_results), every check is also written
 * to FILE as one JSON object per line (tools/compare-results reads them):
 *   {"machine": {...}}                       what ran where (each process
 *                                            appends one; the first counts)
 *   {"test": T, "check": C, "outcome": O, "where": "file.c:123",
 *    "message": M, "values": {...}}          one per ok() and skip()
 * C is the check's stable name: its format string, and "#n" when the test
 * reaches the same format more than once (loops), so that results of
 * different machines and versions line up whatever lines moved. O is pass,
 * fail, todo, todo-passed, flaky or skip; values are what the program last
 * observed (winetest_observe: return value, last error, reply fields).
 * Checks made from several threads at once get their "#n" in the order
 * they happen; the conformance programs' tests are single-threaded.
 * Counters are atomic: ok() may be called from any thread.
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
#ifndef WINTEST_H
#define WINTEST_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <windows.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

#define WINETEST_UNUSED __attribute__((unused))

struct winetest_entry
{
    const char *name;
    void (*func)(void);
};

static LONG winetest_passed, winetest_failed, winetest_todo, winetest_skipped;
static LONG winetest_test_passed, winetest_test_failed, winetest_test_todo, winetest_test_skipped;
static int winetest_debug = 1;
static int winetest_on_wine = -1;
static DWORD winetest_todo_tls = TLS_OUT_OF_INDEXES;   /* todo depth of the current thread */
static DWORD winetest_flaky_tls = TLS_OUT_OF_INDEXES;  /* flaky depth of the current thread */
static const char *winetest_current;
static CRITICAL_SECTION winetest_print_cs;

/* --results FILE: the records, the values last observed, and how often the
 * current test has reached each check (keyed by the format's address) */
static FILE *winetest_results;
static char winetest_observed[1024] = "{}";
static struct { const char *fmt; int count; } winetest_seen[4096];

/* where the current ok() is; plain globals on purpose: thread-local storage
 * is allocated lazily and that would clobber GetLastError() before ok()'s
 * arguments are evaluated */
static const char *volatile winetest_file;
static volatile int winetest_line;

static WINETEST_UNUSED int winetest_running_on_wine( void )
{
    if (winetest_on_wine < 0)
    {
        DWORD err = GetLastError();
        winetest_on_wine = GetProcAddress( GetModuleHandleA( "ntdll.dll" ), "wine_get_version" ) != NULL;
        SetLastError( err );
    }
    return winetest_on_wine;
}

static void winetest_print( const char *kind, const char *fmt, va_list args )
{
    const char *file = winetest_file ? winetest_file : "?";
    const char *slash = strrchr( file, '/' );

    if (slash) file = slash + 1;
    EnterCriticalSection( &winetest_print_cs );
    printf( "%s:%d: %s: ", file, winetest_line, kind );
    vprintf( fmt, args );
    fflush( stdout );
    LeaveCriticalSection( &winetest_print_cs );
}

/* todo_if() and flaky_if() blocks nest: a thread's marks of one kind are a
 * stack of bits in a TLS slot; the top bit tells the block's for loop to
 * run its body once */
#define WINETEST_LOOP_BIT ((ULONG_PTR)1 << (sizeof(ULONG_PTR) * 8 - 1))

/* (TlsGetValue clears the last error, which the checks inside are about to read) */
static ULONG_PTR winetest_get_marks( DWORD tls )
{
    DWORD err = GetLastError();
    ULONG_PTR marks = tls == TLS_OUT_OF_INDEXES ? 0 : (ULONG_PTR)TlsGetValue( tls );
    SetLastError( err );
    return marks;
}

static void winetest_set_marks( DWORD tls, ULONG_PTR marks )
{
    DWORD err = GetLastError();
    TlsSetValue( tls, (void *)marks );
    SetLastError( err );
}

static int winetest_marked( DWORD tls )
{
    return (winetest_get_marks( tls ) & ~WINETEST_LOOP_BIT) != 0;
}

static WINETEST_UNUSED void winetest_push_mark( DWORD tls, int on )
{
    ULONG_PTR depth = winetest_get_marks( tls ) & ~WINETEST_LOOP_BIT;
    winetest_set_marks( tls, (depth << 1) | (on ? 1 : 0) | WINETEST_LOOP_BIT );
}

static WINETEST_UNUSED int winetest_loop_mark( DWORD tls )
{
    ULONG_PTR depth = winetest_get_marks( tls );
    if (!(depth & WINETEST_LOOP_BIT)) return 0;
    winetest_set_marks( tls, depth & ~WINETEST_LOOP_BIT );
    return 1;
}

static WINETEST_UNUSED void winetest_pop_mark( DWORD tls )
{
    winetest_set_marks( tls, (winetest_get_marks( tls ) & ~WINETEST_LOOP_BIT) >> 1 );
}

/* writes S as a JSON string */
static void winetest_json_string( FILE *f, const char *str )
{
    fputc( '"', f );
    for (; *str; str++)
    {
        unsigned char c = *str;
        if (c == '"' || c == '\\') fprintf( f, "\\%c", c );
        else if (c == '\n') fputs( "\\n", f );
        else if (c < 0x20 || c >= 0x7f) fprintf( f, "\\u%04x", c );
        else fputc( c, f );
    }
    fputc( '"', f );
}

/* how many times the current test has reached a check with format text fmt
 * (the same text in two places is one check name, so counted together) */
static int winetest_occurrence( const char *fmt )
{
    unsigned int hash = 2166136261u, i, n;
    const char *p;

    for (p = fmt; *p; p++) hash = (hash ^ (unsigned char)*p) * 16777619u;
    i = hash % ARRAY_SIZE(winetest_seen);
    for (n = 0; n < ARRAY_SIZE(winetest_seen); n++, i = (i + 1) % ARRAY_SIZE(winetest_seen))
    {
        if (!winetest_seen[i].fmt) winetest_seen[i].fmt = fmt;
        if (!strcmp( winetest_seen[i].fmt, fmt )) return ++winetest_seen[i].count;
    }
    return 0;
}

static void winetest_record( const char *outcome, const char *fmt, va_list args )
{
    const char *file = winetest_file ? winetest_file : "?", *slash = strrchr( file, '/' );
    char check[512], message[1024];
    size_t len;
    int n;

    if (!winetest_results) return;
    if (slash) file = slash + 1;
    vsnprintf( message, sizeof(message), fmt, args );
    snprintf( check, sizeof(check), "%s", fmt );
    len = strlen( check );
    while (len && check[len - 1] == '\n') check[--len] = 0;
    len = strlen( message );
    while (len && message[len - 1] == '\n') message[--len] = 0;
    EnterCriticalSection( &winetest_print_cs );
    if ((n = winetest_occurrence( fmt )) > 1)
        snprintf( check + strlen( check ), sizeof(check) - strlen( check ), "#%d", n );
    fputs( "{\"test\": ", winetest_results );
    winetest_json_string( winetest_results, winetest_current ? winetest_current : "?" );
    fputs( ", \"check\": ", winetest_results );
    winetest_json_string( winetest_results, check );
    fprintf( winetest_results, ", \"outcome\": \"%s\", \"where\": \"%s:%d\", \"message\": ", outcome, file,
             winetest_line );
    winetest_json_string( winetest_results, message );
    fprintf( winetest_results, ", \"values\": %s}\n", winetest_observed );
    fflush( winetest_results );
    LeaveCriticalSection( &winetest_print_cs );
}

/* winetest_observe( "\"ret\": %lu, ...", ... ): the values the next checks
 * are about (a JSON object's members); kept until the next call */
static WINETEST_UNUSED void winetest_observe( const char *fmt, ... )
{
    va_list args;
    if (!winetest_results) return;
    EnterCriticalSection( &winetest_print_cs );
    winetest_observed[0] = '{';
    va_start( args, fmt );
    vsnprintf( winetest_observed + 1, sizeof(winetest_observed) - 2, fmt, args );
    va_end( args );
    strcat( winetest_observed, "}" );
    LeaveCriticalSection( &winetest_print_cs );
}

/* opens FILE for the records (appending: a runner may run each test in a
 * process of its own into one file) and writes {"machine": {MEMBERS}} */
static WINETEST_UNUSED int winetest_open_results( const char *file, const char *machine )
{
    /* (N: not inherited, so that a debugger started by a crash does not
     * keep it open) */
    if (!(winetest_results = fopen( file, "aN" )))
    {
        fprintf( stderr, "cannot write %s\n", file );
        return 0;
    }
    fprintf( winetest_results, "{\"machine\": {%s}}\n", machine );
    fflush( winetest_results );
    return 1;
}

static int winetest_ok( int condition, const char *fmt, ... )
{
    LONG *total = &winetest_passed, *this_test = &winetest_test_passed;
    const char *kind = "Test succeeded";
    int show = winetest_debug > 1;
    const char *outcome = "pass";
    DWORD err = GetLastError();
    va_list args;

    if (!condition && winetest_marked( winetest_flaky_tls ))
    {
        kind = "Test marked flaky", outcome = "flaky";
        total = &winetest_todo, this_test = &winetest_test_todo, show = 1;
    }
    else if (winetest_marked( winetest_todo_tls ))
    {
        if (condition) kind = "Test succeeded inside todo block", total = &winetest_failed,
                       this_test = &winetest_test_failed, show = 1, outcome = "todo-passed";
        else kind = "Test marked todo", total = &winetest_todo, this_test = &winetest_test_todo,
             show = winetest_debug > 0, outcome = "todo";
    }
    else if (!condition)
    {
        kind = "Test failed", outcome = "fail";
        total = &winetest_failed, this_test = &winetest_test_failed, show = 1;
    }
    if (winetest_results)
    {
        va_start( args, fmt );
        winetest_record( outcome, fmt, args );
        va_end( args );
    }
    if (show)
    {
        va_start( args, fmt );
        winetest_print( kind, fmt, args );
        va_end( args );
    }
    InterlockedIncrement( total );
    InterlockedIncrement( this_test );
    SetLastError( err );
    return condition;
}

static WINETEST_UNUSED void winetest_skip( const char *fmt, ... )
{
    va_list args;
    DWORD err = GetLastError();
    va_start( args, fmt );
    winetest_print( "Tests skipped", fmt, args );
    va_end( args );
    if (winetest_results)
    {
        va_start( args, fmt );
        winetest_record( "skip", fmt, args );
        va_end( args );
    }
    SetLastError( err );
    InterlockedIncrement( &winetest_skipped );
    InterlockedIncrement( &winetest_test_skipped );
}

static WINETEST_UNUSED void winetest_trace( const char *fmt, ... )
{
    va_list args;
    if (winetest_debug <= 0) return;
    va_start( args, fmt );
    winetest_print( "trace", fmt, args );
    va_end( args );
}

/* broken(): an outcome accepted on Windows only (never under Wine) */
static WINETEST_UNUSED int winetest_broken( int condition )
{
    return !winetest_running_on_wine() && condition;
}

#define ok         (winetest_file = __FILE__, winetest_line = __LINE__), winetest_ok
#define skip       (winetest_file = __FILE__, winetest_line = __LINE__), winetest_skip
#define trace      (winetest_file = __FILE__, winetest_line = __LINE__), winetest_trace
#define broken(x)  winetest_broken(!!(x))
#define todo_if(c) for (winetest_push_mark( winetest_todo_tls, (c) ); winetest_loop_mark( winetest_todo_tls ); \
                        winetest_pop_mark( winetest_todo_tls ))
#define todo_wine  todo_if( winetest_running_on_wine() )
#define flaky_if(c) for (winetest_push_mark( winetest_flaky_tls, (c) ); winetest_loop_mark( winetest_flaky_tls ); \
                         winetest_pop_mark( winetest_flaky_tls ))

/* --timeout SECONDS: a test process that runs longer fails its running test
 * ("timed out", also as a record) and exits with 124 (a runner without a
 * timeout of its own, like the Windows kit's run.cmd, would wait forever) */
static DWORD winetest_timeout_ms;

static DWORD WINAPI winetest_watchdog( void *arg )
{
    Sleep( winetest_timeout_ms );
    winetest_file = __FILE__, winetest_line = __LINE__;
    winetest_ok( 0, "test %s timed out after %lu s\n", winetest_current ? winetest_current : "?",
                 winetest_timeout_ms / 1000 );
    printf( "summary: %s %ld %ld %ld %ld\n", winetest_current ? winetest_current : "?", winetest_test_passed,
            winetest_test_failed, winetest_test_todo, winetest_test_skipped );
    fflush( stdout );
    if (winetest_results) fflush( winetest_results );
    TerminateProcess( GetCurrentProcess(), 124 );
    return 0;
}

static WINETEST_UNUSED void winetest_start_watchdog( DWORD seconds )
{
    HANDLE thread;
    if (!seconds) return;
    winetest_timeout_ms = seconds * 1000;
    if ((thread = CreateThread( NULL, 0, winetest_watchdog, NULL, 0, NULL ))) CloseHandle( thread );
}

static WINETEST_UNUSED int winetest_main( int argc, char **argv, const struct winetest_entry *tests, int count,
                          const char *only )
{
    int i, ran = 0;

    InitializeCriticalSection( &winetest_print_cs );
    winetest_todo_tls = TlsAlloc();
    winetest_flaky_tls = TlsAlloc();
    if (getenv( "WINETEST_DEBUG" )) winetest_debug = atoi( getenv( "WINETEST_DEBUG" ) );

    for (i = 0; i < count; i++)
    {
        if (only && strcmp( only, tests[i].name )) continue;
        winetest_current = tests[i].name;
        memset( winetest_seen, 0, sizeof(winetest_seen) );
        winetest_test_passed = winetest_test_failed = winetest_test_todo = winetest_test_skipped = 0;
        tests[i].func();
        printf( "summary: %s %ld %ld %ld %ld\n", tests[i].name, winetest_test_passed,
                winetest_test_failed, winetest_test_todo, winetest_test_skipped );
        fflush( stdout );
        ran++;
    }
    if (!ran)
    {
        printf( "no test named %s\n", only ? only : "(none)" );
        return 2;
    }
    printf( "%ld todo\n", winetest_todo );
    printf( "%ld passed, %ld failed, %ld skipped\n", winetest_passed, winetest_failed, winetest_skipped );
    fflush( stdout );
    return winetest_failed ? 1 : 0;
}

#endif /* WINTEST_H */
