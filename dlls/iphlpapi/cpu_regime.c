/*
 * Whether a CPU is to spare (cpu_regime.h). Pure C.
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

#include <string.h>

#include "cpu_regime.h"

void regime_init( struct cpu_regime *r )
{
    memset( r, 0, sizeof(*r) );
    r->backoff_next = 1;
}

void regime_sample( struct cpu_regime *r, uint32_t usable_milli, uint64_t idle, uint64_t spun, uint64_t window )
{
    uint32_t spins = __atomic_exchange_n( &r->spins, 0, __ATOMIC_ACQ_REL );
    uint32_t misses = __atomic_exchange_n( &r->misses, 0, __ATOMIC_ACQ_REL );
    uint64_t available = 0;
    int spare;

    if (window && idle + spun >= idle) available = (idle + spun) / window * 1000 + (idle + spun) % window * 1000 / window;
    if (available > usable_milli) available = usable_milli;   /* (host-wide counters: never more than we may use) */
    r->usable_milli = usable_milli;
    r->available_milli = (uint32_t)available;
    spare = usable_milli >= 2000 && available >= REGIME_SPARE_MILLI;

    if (spins >= REGIME_MIN_SPINS && misses * 2 > spins)
    {
        /* most spins ran out: whatever the counters say, no CPU was to spare */
        r->backoff = r->backoff_next;
        if (r->backoff_next < REGIME_BACKOFF_MAX) r->backoff_next *= 2;
    }
    else if (spins >= REGIME_MIN_SPINS && misses * 4 <= spins) r->backoff_next = 1;
    if (r->backoff)
    {
        r->backoff--;
        spare = 0;
    }
    __atomic_store_n( &r->spare, spare, __ATOMIC_RELEASE );
}

void regime_spun( struct cpu_regime *r, int hit )
{
    __atomic_add_fetch( &r->spins, 1, __ATOMIC_RELAXED );
    if (!hit) __atomic_add_fetch( &r->misses, 1, __ATOMIC_RELAXED );
}

int regime_spare( const struct cpu_regime *r )
{
    return __atomic_load_n( &r->spare, __ATOMIC_ACQUIRE );
}

/* a decimal number at *p (advanced past it); -1 if none */
static int64_t number( const char **p )
{
    int64_t v = 0;
    int digits = 0;

    while (**p == ' ' || **p == '\t') (*p)++;
    while (**p >= '0' && **p <= '9' && digits < 18) v = v * 10 + (*(*p)++ - '0'), digits++;
    return digits ? v : -1;
}

static uint32_t ratio_milli( int64_t quota, int64_t period )
{
    uint64_t milli;

    if (quota <= 0 || period <= 0) return 0;
    milli = (uint64_t)quota * 1000 / (uint64_t)period;
    if (!milli) milli = 1;   /* (a tiny quota is still a quota) */
    return milli > UINT32_MAX ? UINT32_MAX : (uint32_t)milli;
}

uint32_t regime_quota_v2( const char *cpu_max )
{
    const char *p = cpu_max;
    int64_t quota, period;

    if (!p) return 0;
    while (*p == ' ') p++;
    if (!strncmp( p, "max", 3 )) return 0;
    if ((quota = number( &p )) < 0) return 0;
    if ((period = number( &p )) < 0) period = 100000;
    return ratio_milli( quota, period );
}

uint32_t regime_quota_v1( const char *quota_text, const char *period_text )
{
    const char *q = quota_text, *p = period_text;
    int64_t quota, period;

    if (!q || !p) return 0;
    while (*q == ' ') q++;
    if (*q == '-') return 0;   /* -1: no quota */
    if ((quota = number( &q )) < 0 || (period = number( &p )) < 0) return 0;
    return ratio_milli( quota, period );
}

/* whether the comma-separated list holds the name */
static int has_controller( const char *list, size_t len, const char *name )
{
    size_t n = strlen( name );

    while (len)
    {
        const char *comma = memchr( list, ',', len );
        size_t item = comma ? (size_t)(comma - list) : len;

        if (item == n && !memcmp( list, name, n )) return 1;
        if (!comma) break;
        len -= item + 1;
        list = comma + 1;
    }
    return 0;
}

int regime_cgroup_path( const char *text, int v1, char *out, size_t size )
{
    const char *line = text;

    if (!text || !size) return 0;
    while (*line)
    {
        const char *end = strchr( line, '\n' ), *c1, *c2;
        size_t len = end ? (size_t)(end - line) : strlen( line ), path_len;

        /* "ID:CONTROLLERS:PATH" */
        c1 = memchr( line, ':', len );
        c2 = c1 ? memchr( c1 + 1, ':', len - (size_t)(c1 + 1 - line) ) : NULL;
        if (c2)
        {
            const char *controllers = c1 + 1;
            size_t clen = (size_t)(c2 - controllers);
            int match = v1 ? has_controller( controllers, clen, "cpu" ) : !clen && c1 - line == 1 && line[0] == '0';

            path_len = len - (size_t)(c2 + 1 - line);
            if (match && path_len && c2[1] == '/' && path_len < size)
            {
                memcpy( out, c2 + 1, path_len );
                out[path_len] = 0;
                return 1;
            }
        }
        if (!end) break;
        line = end + 1;
    }
    return 0;
}
