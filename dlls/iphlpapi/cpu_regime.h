/*
 * Whether a CPU is to spare: it decides how a synchronous caller waits
 * (echo_request.c). With one to spare, the receive thread receives and the
 * caller spins briefly for its reply, so that no wake-up but the receive
 * thread's is on the reply's path; without, the caller receives itself
 * (spinning would only take the CPU the receive thread and wineserver
 * need).
 *
 * Decided from what the process can use and from what it observes, one
 * sample window at a time (the receive thread samples, off the reply
 * path):
 *   - the CPUs it may use: its affinity (taskset, cpusets), within its
 *     cgroup's CPU quota (cgroup v1 cpu.cfs_quota_us / cpu.cfs_period_us,
 *     v2 cpu.max, the smallest along the path); fewer than two: never;
 *   - the idle time of those CPUs over the window, plus the time our own
 *     callers spun (a spinner's CPU is not busy for anyone else): at least
 *     REGIME_SPARE_MILLI / 1000 CPUs, i.e. one for the spinner and a tenth
 *     more. What the receive thread and wineserver do for our echoes is
 *     busy time already, not to be asked for twice: synchronous echoes back
 *     to back on an idle 2-CPU machine leave 1.25 CPUs idle (with 1.5, the
 *     first rule, such a caller never spun: 2.3x slower, make bench idle);
 *     one CPU-bound process beside us leaves less than one;
 *   - whether the spins end with the reply: when most of a window's spins
 *     run out (a quota or a busy host that the idle time does not show),
 *     spinning is off for 1, 2, 4 ... 32 windows, so that such a process
 *     receives for itself, never slower than without spinning.
 * Counters that do not move (Wine without /proc/stat) read as "not spare".
 *
 * Pure C. The window's samples come from echo_engine.c; the spin counts
 * are updated atomically from any thread.
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

#ifndef CPU_REGIME_H
#define CPU_REGIME_H

#include <stddef.h>
#include <stdint.h>

#define REGIME_SPARE_MILLI   1100    /* idle + spun CPUs (x1000) for "a CPU to spare" */
#define REGIME_MIN_SPINS     8       /* spins in a window before their outcome counts */
#define REGIME_BACKOFF_MAX   32      /* windows */

struct cpu_regime
{
    int32_t spare;                  /* the decision (read by any thread) */
    uint32_t spins, misses;         /* this window's spins, and those that ran out (atomic) */
    uint32_t backoff;               /* windows left with spinning off */
    uint32_t backoff_next;          /* what the next run of misses costs */
    uint32_t usable_milli;          /* last sample's usable CPUs, x1000 (traces, tests) */
    uint32_t available_milli;       /* last sample's idle + spun CPUs, x1000 */
};

void regime_init( struct cpu_regime *r );
/* One window: the CPUs the process may use (x1000), the idle time of those
 * CPUs and the time our callers spun during it, and its length (all times
 * in the same unit; idle summed over the CPUs). */
void regime_sample( struct cpu_regime *r, uint32_t usable_milli, uint64_t idle, uint64_t spun, uint64_t window );
/* A caller's spin ended: with its reply (hit) or not. */
void regime_spun( struct cpu_regime *r, int hit );
int regime_spare( const struct cpu_regime *r );

/* The CPUs (x1000) a cgroup quota allows: v2's cpu.max ("max 100000",
 * "50000 100000"), or v1's cpu.cfs_quota_us and cpu.cfs_period_us; 0 for
 * no quota (or what cannot be read as one). */
uint32_t regime_quota_v2( const char *cpu_max );
uint32_t regime_quota_v1( const char *quota, const char *period );
/* The cgroup path (from /proc/self/cgroup's text) of the v2 hierarchy
 * (v1 = 0) or of v1's cpu controller (v1 = 1), copied into out; 0 if none. */
int regime_cgroup_path( const char *proc_self_cgroup, int v1, char *out, size_t size );

#endif /* CPU_REGIME_H */
