/*
 * The native unit tests: the one list of them, and the harness. Built by
 * `make unit` from the DLL's own sources three times: plain, with
 * ASan/UBSan, and with ThreadSanitizer (where the engine's threads meet).
 *
 *   unit_tests [--list] [NAME...]     runs all tests, or the ones named
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

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "unit.h"

int unit_passed, unit_failed;

void unit_check( int cond, const char *file, int line, const char *fmt, ... )
{
    va_list args;

    if (cond)
    {
        __atomic_add_fetch( &unit_passed, 1, __ATOMIC_RELAXED );
        return;
    }
    __atomic_add_fetch( &unit_failed, 1, __ATOMIC_RELAXED );
    printf( "%s:%d: Test failed: ", file, line );
    va_start( args, fmt );
    vprintf( fmt, args );
    va_end( args );
    printf( "\n" );
}

static const struct
{
    const char *name;
    void (*func)( void );
}
tests[] =
{
    { "checksum", test_checksum },
    { "error_mapping", test_error_mapping },
    { "parse_reply", test_parse_reply },
    { "parse_hostile", test_parse_hostile },
    { "parse_errors", test_parse_errors },
    { "match", test_match },
    { "reply_layout", test_reply_layout },
    { "icmp6", test_icmp6 },
    { "timer_heap", test_timer_heap },
    { "pending_table", test_pending_table },
    { "flow_alone", test_flow_alone },
    { "flow_shared", test_flow_shared },
    { "flow_reclaim", test_flow_reclaim },
    { "flow_hostile", test_flow_hostile },
    { "flow_startup", test_flow_startup },
    { "flow_dead_owners", test_flow_dead_owners },
    { "flow_stuck", test_flow_stuck },
    { "flow_large", test_flow_large },
    { "apc_list", test_apc_list },
    { "cpu_regime", test_cpu_regime },
    { "handoff_model", test_handoff_model },
    { "handoff_deadlines", test_handoff_deadlines },
    { "handoff_late", test_handoff_late },
    { "threads_pending", test_threads_pending },
    { "threads_flow", test_threads_flow },
    { "threads_flow_start", test_threads_flow_start },
    { "threads_apc", test_threads_apc },
};

int main( int argc, char **argv )
{
    unsigned int i;
    int a, ran = 0;

    if (argc > 1 && !strcmp( argv[1], "--list" ))
    {
        for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) printf( "%s\n", tests[i].name );
        return 0;
    }
    for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
    {
        for (a = 1; a < argc; a++) if (!strcmp( argv[a], tests[i].name )) break;
        if (argc > 1 && a == argc) continue;
        tests[i].func();
        ran++;
    }
    if (!ran)
    {
        printf( "unit: no test named so (--list)\n" );
        return 2;
    }
    printf( "unit: %d passed, %d failed\n", unit_passed, unit_failed );
    return unit_failed ? 1 : 0;
}
