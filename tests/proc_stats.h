/*
 * What a process uses, measured the same way under Wine and on Windows:
 * its thread count and its committed private memory. Shared by the stress
 * suite (leak checks) and the benchmark (engine cost per request).
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

#endif /* PROC_STATS_H */
