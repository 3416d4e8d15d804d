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

static int winetest_ok( int condition, const char *fmt, ... )
{
    LONG *total = &winetest_passed, *this_test = &winetest_test_passed;
    const char *kind = "Test succeeded";
    int show = winetest_debug > 1;
    va_list args;

    if (!condition && winetest_marked( winetest_flaky_tls ))
    {
        kind = "Test marked flaky";
        total = &winetest_todo, this_test = &winetest_test_todo, show = 1;
    }
    else if (winetest_marked( winetest_todo_tls ))
    {
        if (condition) kind = "Test succeeded inside todo block", total = &winetest_failed,
                       this_test = &winetest_test_failed, show = 1;
        else kind = "Test marked todo", total = &winetest_todo, this_test = &winetest_test_todo,
             show = winetest_debug > 0;
    }
    else if (!condition)
    {
        kind = "Test failed";
        total = &winetest_failed, this_test = &winetest_test_failed, show = 1;
    }
    if (show)
    {
        va_start( args, fmt );
        winetest_print( kind, fmt, args );
        va_end( args );
    }
    InterlockedIncrement( total );
    InterlockedIncrement( this_test );
    return condition;
}

static WINETEST_UNUSED void winetest_skip( const char *fmt, ... )
{
    va_list args;
    va_start( args, fmt );
    winetest_print( "Tests skipped", fmt, args );
    va_end( args );
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
