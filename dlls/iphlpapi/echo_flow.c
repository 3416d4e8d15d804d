/*
 * Flow control's Win32 side (the bookkeeping and the design are in
 * flow_budget.h): the budget every process of the prefix shares lives in
 * a named section ("Local\icmp-echo-flow-<layout>", the same for 32- and
 * 64-bit processes of a Wine prefix, or of a Windows session); what one
 * request's traffic may take of a receive queue; a sender's wait for room.
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

#include "echo_private.h"
#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(icmp);

#define FLOW_DESKTOP_RMEM_MAX  212992   /* Linux's default net.core.rmem_max */
#define FLOW_SKB_OVERHEAD      1024     /* a queued packet's kernel bookkeeping (an upper bound) */

C_ASSERT( sizeof(struct flow_shared) == 16 + FLOW_MAX_SLOTS * 32 );   /* one layout for 32- and 64-bit */

static const WCHAR section_name[] = L"Local\\icmp-echo-flow-1";

static int process_alive( int32_t pid, void *context )
{
    HANDLE process = OpenProcess( SYNCHRONIZE, FALSE, pid );
    DWORD wait;

    if (!process) return GetLastError() != ERROR_INVALID_PARAMETER;   /* (no such process) */
    wait = WaitForSingleObject( process, 0 );
    CloseHandle( process );
    return wait != WAIT_OBJECT_0;
}

/* The budget: 3/4 of what Linux grants a socket that asks for a desktop's
 * net.core.rmem_max (it doubles what it is given for its bookkeeping),
 * whatever larger buffer we asked for: the queue may be no bigger. */
void flow_start( void )
{
    DWORD rcvbuf = socket_rcvbuf(), budget = 3 * min( rcvbuf, FLOW_DESKTOP_RMEM_MAX ) / 2;
    HANDLE section = CreateFileMappingW( INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, sizeof(struct flow_shared),
                                         section_name );

    /* (the handle stays open for the process's life: under Wine a section
     * whose last handle is closed loses its name, even while mapped) */
    if (section && !(engine.flow_shared = MapViewOfFile( section, FILE_MAP_WRITE, 0, 0, sizeof(struct flow_shared) )))
        CloseHandle( section );
    if (!engine.flow_shared) WARN( "no shared flow budget (%lu): this process counts only its own\n", GetLastError() );
    flow_init( &engine.flow, budget, engine.flow_shared, GetCurrentProcessId(), engine_now_ms(), process_alive, NULL );
    TRACE( "receive buffer %lu bytes asked, flow budget %lu bytes, %s\n", rcvbuf, budget,
           engine.flow.shared == engine.flow_shared ? "shared by the prefix" : "this process's own" );
}

/* At FreeLibrary of a DLL whose engine started (never: it is pinned) or
 * at process exit, nothing; a process that ends leaves its slot to be
 * freed by the others once they find it gone. */
void flow_stop( void )
{
    if (engine.flow_shared) flow_shutdown( &engine.flow );
}

/* What one request's traffic may take in a receive queue: its answer and,
 * on loopback, our own request arriving in our socket too; each counted
 * with the kernel's bookkeeping and twice its size (the kernel may keep a
 * packet in a buffer twice as large). */
DWORD flow_charge_for( const struct socket_ops *ops, WORD data_size, BOOL loopback )
{
    DWORD packet = ops->family->max_charge_packet + data_size;
    return (loopback ? 2 : 1) * (FLOW_SKB_OVERHEAD + 2 * packet);
}

static uint64_t flow_clock( void *context )
{
    return engine_now_ms();
}

/* Waits for room in the budget, then holds bytes for the request. */
void flow_take( struct flow_charge *c, DWORD bytes )
{
    static LONG warned;
    ULONGLONG start = engine_now_ms();
    enum flow_result result = flow_reserve( &engine.flow, c, bytes, flow_clock, NULL );

    if (result == FLOW_FORCED && !InterlockedExchange( &warned, 1 ))
        WARN( "flow budget still spent after %u ms: sending\n", FLOW_MAX_WAIT_MS );
    else if (result == FLOW_WAITED)
        TRACE( "waited %u ms for %lu bytes of receive buffer\n", (unsigned int)(engine_now_ms() - start), bytes );
}
