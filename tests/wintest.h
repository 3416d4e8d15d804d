/*
 * A small Wine-style test harness for Windows programs (Wine's test.h is not
 * packaged). It provides ok(), skip(), trace(), todo_wine, todo_if() and
 * broken() with Wine's semantics and output lines:
 *
 *   file.c:123: Test failed: message
 *   file.c:123: Test marked todo: message
 *   file.c:123: Test succeeded inside todo block: message
 *   file.c:123: Tests skipped: message
 *
 * A test program defines START_TEST-style functions and a table of them:
 *
 *   static const struct winetest_entry tests[] = { { "name", func }, ... };
 *   return winetest_main( argc, argv, tests, count );
 *
 * Each test prints "summary: <name> <passed> <failed> <todo> <skipped>" and the
 * program ends with the line "N passed, N failed, N skipped".
 * Counters are atomic: ok() may be called from any thread.
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
        winetest_on_wine = GetProcAddress( GetModuleHandleA( "ntdll.dll" ), "wine_get_version" ) != NULL;
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

static int winetest_in_todo( void )
{
    return winetest_todo_tls != TLS_OUT_OF_INDEXES && TlsGetValue( winetest_todo_tls ) != NULL;
}

static int winetest_ok( int condition, const char *fmt, ... )
{
    va_list args;

    va_start( args, fmt );
    if (winetest_in_todo())
    {
        if (condition)
        {
            winetest_print( "Test succeeded inside todo block", fmt, args );
            InterlockedIncrement( &winetest_failed );
            InterlockedIncrement( &winetest_test_failed );
        }
        else
        {
            if (winetest_debug > 0) winetest_print( "Test marked todo", fmt, args );
            InterlockedIncrement( &winetest_todo );
            InterlockedIncrement( &winetest_test_todo );
        }
    }
    else if (!condition)
    {
        winetest_print( "Test failed", fmt, args );
        InterlockedIncrement( &winetest_failed );
        InterlockedIncrement( &winetest_test_failed );
    }
    else
    {
        if (winetest_debug > 1) winetest_print( "Test succeeded", fmt, args );
        InterlockedIncrement( &winetest_passed );
        InterlockedIncrement( &winetest_test_passed );
    }
    va_end( args );
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

static WINETEST_UNUSED void winetest_start_todo( int is_todo )
{
    ULONG_PTR depth = (ULONG_PTR)TlsGetValue( winetest_todo_tls );
    TlsSetValue( winetest_todo_tls, (void *)((depth << 1) | (is_todo ? 1 : 0)) );
}

static WINETEST_UNUSED int winetest_loop_todo( void )
{
    ULONG_PTR depth = (ULONG_PTR)TlsGetValue( winetest_todo_tls );
    int first = !(depth & 0x80000000u);
    if (first) TlsSetValue( winetest_todo_tls, (void *)(depth | 0x80000000u) );
    return first;
}

static WINETEST_UNUSED void winetest_end_todo( void )
{
    ULONG_PTR depth = (ULONG_PTR)TlsGetValue( winetest_todo_tls ) & ~(ULONG_PTR)0x80000000u;
    TlsSetValue( winetest_todo_tls, (void *)(depth >> 1) );
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
#define todo_if(c) for (winetest_start_todo( (c) ); winetest_loop_todo(); winetest_end_todo())
#define todo_wine  todo_if( winetest_running_on_wine() )

static WINETEST_UNUSED int winetest_main( int argc, char **argv, const struct winetest_entry *tests, int count,
                          const char *only )
{
    int i, ran = 0;

    InitializeCriticalSection( &winetest_print_cs );
    winetest_todo_tls = TlsAlloc();
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
