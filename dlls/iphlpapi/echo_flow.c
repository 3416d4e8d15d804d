/*
 * Flow control's Win32 side (the bookkeeping and the design are in
 * flow_budget.h): the page every process of the prefix shares, a named
 * section ("Local\\icmp-echo-flow-2", the same for 32- and 64-bit
 * processes of a Wine prefix, or of a Windows session); the named event
 * that says this process lives (its slot's token in the name, open for the
 * process's life: under Wine and Windows a named object goes with its last
 * handle, so a dead process's is gone, whatever reuses its process id);
 * looking for other slots' owners (the receive thread's housekeeping); the
 * budget from what the sockets' queues hold; what one request's traffic
 * may take of a queue; a sender's room.
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

#include <stdio.h>
#include <stdlib.h>

#include "echo_private.h"
#include "icmp4_packet.h"
#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(icmp);

#define FLOW_DESKTOP_RMEM_MAX  212992   /* Linux's default net.core.rmem_max */
#define FLOW_SKB_OVERHEAD      1024     /* a queued packet's kernel bookkeeping (an upper bound) */

C_ASSERT( sizeof(struct flow_shared) == 64 + FLOW_MAX_SLOTS * 64 );   /* one layout for 32- and 64-bit */
C_ASSERT( sizeof(struct flow_slot) == 64 );

static const WCHAR section_name[] = L"Local\\icmp-echo-flow-2";
static HANDLE life;                     /* the named event of our slot's token */
static DWORD rmem_max;                  /* net.core.rmem_max (0: not known: not Linux) */

/* the name of a token's event */
static void life_name( int64_t token, WCHAR name[64] )
{
    static const WCHAR prefix[] = L"Local\\icmp-echo-flow-2-";
    static const char hex[] = "0123456789abcdef";
    unsigned int i, n = ARRAY_SIZE(prefix) - 1;

    memcpy( name, prefix, n * sizeof(WCHAR) );
    for (i = 0; i < 16; i++) name[n + i] = hex[((uint64_t)token >> (60 - 4 * i)) & 15];
    name[n + 16] = 0;
}

/* whether the owner of a slot lives: its event exists (1), does not (0) */
static int owner_alive( int64_t token, void *context )
{
    WCHAR name[64];
    HANDLE event;

    life_name( token, name );
    if ((event = OpenEventW( SYNCHRONIZE, FALSE, name )))
    {
        CloseHandle( event );
        return 1;
    }
    return GetLastError() == ERROR_FILE_NOT_FOUND ? 0 : -1;
}

/* a token for this process's start: its id and when it started, mixed (never 0, never negative) */
static int64_t make_token( void )
{
    LARGE_INTEGER now;
    uint64_t x;

    QueryPerformanceCounter( &now );
    x = (uint64_t)now.QuadPart ^ ((uint64_t)GetCurrentProcessId() << 40) ^ GetTickCount();
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x = ((uint64_t)GetCurrentProcessId() << 32 | (x & 0xffffffff)) & 0x7fffffffffffffffull;
    return x ? (int64_t)x : 1;
}

/* The SO_RCVBUF every socket asks for: ECHO_RCVBUF, or ICMP_ECHO_SO_RCVBUF
 * (bytes) when set, so that tests can give the engine a desktop's small
 * receive buffer (212,992 bytes) on a machine whose net.core.rmem_max is
 * larger. */
DWORD flow_rcvbuf( void )
{
    char text[32];
    DWORD got = GetEnvironmentVariableA( "ICMP_ECHO_SO_RCVBUF", text, sizeof(text) );
    long value;

    if (!got || got >= sizeof(text) || (value = atol( text )) < 4096) return ECHO_RCVBUF;
    return value;
}

/* What one request's traffic may take in a receive queue: its answer and,
 * on loopback, our own request arriving in our socket too; each counted
 * with the kernel's bookkeeping and twice its size (the kernel may keep a
 * packet in a buffer twice as large). */
static DWORD charge( DWORD packet, BOOL loopback )
{
    return (loopback ? 2 : 1) * (FLOW_SKB_OVERHEAD + 2 * packet);
}

DWORD flow_charge_for( const struct socket_ops *ops, WORD data_size, BOOL loopback )
{
    return charge( ops->family->max_charge_packet + data_size, loopback );
}

/* The budget of a queue SO_RCVBUF says `asked` of: what Linux grants is
 * twice the smaller of that and net.core.rmem_max (Wine says what it asked
 * for, not what was granted: rmem_max is read), 3/4 of it for replies. */
DWORD flow_budget_for( DWORD asked )
{
    DWORD limit = rmem_max ? rmem_max : FLOW_DESKTOP_RMEM_MAX;
    return 3 * min( asked, limit ) / 2;
}

static const char *why_private( enum flow_private why )
{
    switch (why)
    {
    case FLOW_PRIVATE_NO_PAGE: return "no shared page";
    case FLOW_PRIVATE_LAYOUT:  return "the page holds another layout (another build of this DLL)";
    case FLOW_PRIVATE_FULL:    return "every slot of the page belongs to a live process";
    default:                   return "?";
    }
}

void flow_start( void )
{
    DWORD budget, max_charge = charge( IPV4_MIN_HDR_LEN + IPV4_MAX_OPT_LEN + ICMP_HDR_LEN + ICMP_MAX_DATA, TRUE );
    int64_t token = make_token();
    HANDLE section = NULL;
    enum flow_private why;
    char text[32];
    WCHAR name[64];

    if (engine_read_unix_file( "/proc/sys/net/core/rmem_max", text, sizeof(text) )) rmem_max = strtoul( text, NULL, 10 );
    budget = flow_budget_for( flow_rcvbuf() );
    life_name( token, name );
    /* (both handles stay open for the process's life: under Wine a section
     * whose last handle is closed loses its name, even while mapped) */
    if ((life = CreateEventW( NULL, TRUE, FALSE, name )) &&
        (section = CreateFileMappingW( INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, sizeof(struct flow_shared),
                                       section_name )) &&
        !(engine.flow_shared = MapViewOfFile( section, FILE_MAP_WRITE, 0, 0, sizeof(struct flow_shared) )))
        CloseHandle( section );
    why = flow_init( &engine.flow, budget, max_charge, engine.flow_shared, token, engine_now_ms(), owner_alive, NULL );
    if (why != FLOW_SHARED_OK)
        WARN( "no flow budget shared with the prefix's other processes (%s, %lu): this process counts only its own\n",
              why_private( why ), GetLastError() );
    TRACE( "receive buffer %lu bytes asked (rmem_max %lu), flow budget %lu bytes, %s, token %s\n", flow_rcvbuf(),
           rmem_max, budget, why == FLOW_SHARED_OK ? "shared by the prefix" : "this process's own",
           wine_dbgstr_longlong( token ) );
}

/* At FreeLibrary of a DLL whose engine never started, or at process exit
 * (no lock then: another thread may have died holding it): the slot is
 * given back. */
void flow_stop( BOOL exiting )
{
    if (!engine.flow.self) return;
    if (exiting) flow_release_slot( &engine.flow );
    else flow_shutdown( &engine.flow );
}

/* A socket's queue, SO_RCVBUF set to `size` (granted), or, that refused,
 * `size` as the socket has it (the kernel's own, doubled already): the
 * budget is 3/4 of our smallest queue. */
void flow_queue( DWORD size, BOOL granted )
{
    DWORD budget = granted ? flow_budget_for( size ) : size / 4 * 3;
    if (budget && budget < engine.flow.budget) flow_set_budget( &engine.flow, budget );
}

static uint64_t flow_clock( void *context )
{
    return engine_now_ms();
}

/* An asynchronous request: holds bytes for it if there is room now. */
BOOL flow_room_now( struct flow_charge *c, DWORD bytes )
{
    return flow_try( &engine.flow, c, bytes, engine_now_ms() ) == FLOW_NOW;
}

/* A synchronous request: waits for room until its deadline; FALSE if none came. */
BOOL flow_wait_room( struct flow_charge *c, DWORD bytes, ULONGLONG deadline )
{
    ULONGLONG start = engine_now_ms();
    enum flow_result result = flow_reserve( &engine.flow, c, bytes, deadline, flow_clock, NULL );

    if (result == FLOW_WAITED)
        TRACE( "waited %u ms for %lu bytes of receive buffer\n", (unsigned int)(engine_now_ms() - start), bytes );
    return result != FLOW_DEADLINE;
}

/* The receive thread's housekeeping: the owners of other slots looked for. */
void flow_look( ULONGLONG now )
{
    flow_housekeeping( &engine.flow, now, owner_alive, NULL );
}
