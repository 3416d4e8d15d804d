/*
 * The native unit tests' harness: CHECK() counts and reports, and the one
 * list of tests (unit_tests.c) that `unit_tests [NAME...]` runs.
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

#ifndef UNIT_H
#define UNIT_H

#include <stdio.h>

extern int unit_passed, unit_failed;

void unit_check( int cond, const char *file, int line, const char *fmt, ... )
    __attribute__((format(printf, 4, 5)));

#define CHECK(cond, ...) unit_check( (cond) != 0, __FILE__, __LINE__, __VA_ARGS__ )

/* packet_tests.c: the packet core */
void test_checksum( void );
void test_error_mapping( void );
void test_parse_reply( void );
void test_parse_hostile( void );
void test_parse_errors( void );
void test_match( void );
void test_reply_layout( void );
void test_icmp6( void );
/* engine_tests.c: the engine's bookkeeping, one thread */
void test_timer_heap( void );
void test_pending_table( void );
void test_apc_list( void );
void test_cpu_regime( void );
/* flow_tests.c: the flow budget, one thread */
void test_flow_alone( void );
void test_flow_shared( void );
void test_flow_reclaim( void );
void test_flow_hostile( void );
void test_flow_startup( void );
void test_flow_dead_owners( void );
void test_flow_stuck( void );
void test_flow_large( void );
/* handoff_model.c: the receive hand-off under every interleaving */
void test_handoff_model( void );
void test_handoff_deadlines( void );
void test_handoff_late( void );
/* thread_tests.c: the same where threads meet (also built with ThreadSanitizer) */
void test_threads_pending( void );
void test_threads_flow( void );
void test_threads_flow_start( void );
void test_threads_apc( void );

#endif /* UNIT_H */
