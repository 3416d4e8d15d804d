/*
 * What a process uses, measured the same way under Wine and on Windows:
 * its thread count and its committed private memory; and, under Wine on
 * Linux, the packets the kernel dropped at the raw sockets of the network
 * namespace. Shared by the stress suite (leak checks), the lab (several
 * processes at once) and the benchmark.
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
#ifndef PROC_STATS_H
#define PROC_STATS_H

#include <windows.h>
#include <tlhelp32.h>

static __attribute__((unused)) DWORD thread_count( void )
{
    HANDLE snap = CreateToolhelp32Snapshot( TH32CS_SNAPTHREAD, 0 );
    THREADENTRY32 te;
    DWORD n = 0, pid = GetCurrentProcessId();

    te.dwSize = sizeof(te);
    if (Thread32First( snap, &te ))
        do if (te.th32OwnerProcessID == pid) n++; while (Thread32Next( snap, &te ));
    CloseHandle( snap );
    return n;
}

/* committed private memory, summed region by region (PrivateUsage from
 * GetProcessMemoryInfo is 0 under Wine) */
static __attribute__((unused)) SIZE_T private_bytes( void )
{
    MEMORY_BASIC_INFORMATION mbi;
    const BYTE *p = NULL;
    SIZE_T total = 0;

    while (VirtualQuery( p, &mbi, sizeof(mbi) ) == sizeof(mbi))
    {
        if (mbi.State == MEM_COMMIT && mbi.Type == MEM_PRIVATE) total += mbi.RegionSize;
        p = (const BYTE *)mbi.BaseAddress + mbi.RegionSize;
        if (!p) break;
    }
    return total;
}

/* packets the kernel dropped at the raw sockets of this network namespace
 * (/proc/net/raw's or raw6's last column, summed), -1 if it cannot be read */
static __attribute__((unused)) long raw_drops( const char *path )
{
    static char text[1 << 16];
    HANDLE f = CreateFileA( path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL );
    DWORD got = 0, total = 0;
    long drops = 0;
    char *line, *last;

    if (f == INVALID_HANDLE_VALUE) return -1;
    while (total < sizeof(text) - 1 && ReadFile( f, text + total, sizeof(text) - 1 - total, &got, NULL ) && got)
        total += got;
    CloseHandle( f );
    text[total] = 0;
    for (line = strchr( text, '\n' ); line && line[1]; line = strchr( line + 1, '\n' ))
    {
        char *end = strchr( line + 1, '\n' );
        if (end) *end = 0;
        if ((last = strrchr( line + 1, ' ' ))) drops += atol( last + 1 );
        if (end) *end = '\n';
    }
    return drops;
}

#endif /* PROC_STATS_H */
