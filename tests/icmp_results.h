/*
 * --results FILE for the conformance programs (icmp_test.c, icmp_lab.c):
 * the first record says what ran where (Windows build or Wine version,
 * architecture, which DLL), and the ICMP echo functions the tests call are
 * wrapped so that each check's record carries the values last observed:
 * return value, last error and, when the call filled a reply, its Status,
 * Address, RTT class, DataSize, Ttl, Tos, Flags and OptionsSize. The
 * wrappers keep the last error as the real function left it. Record format:
 * tests/wintest.h; reader: tools/compare-results.
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
#ifndef ICMP_RESULTS_H
#define ICMP_RESULTS_H

/* (included by icmp_common.h once the function pointers exist) */

/* the marker our DLL carries (dlls/iphlpapi/iphlpapi_main.c) */
#define RESULTS_OURS_MARKER "icmp-echo iphlpapi.dll version "

static fnIcmpSendEcho real_IcmpSendEcho;
static fnIcmpSendEcho2 real_IcmpSendEcho2;
static fnIcmpSendEcho2Ex real_IcmpSendEcho2Ex;
static fnIcmpParseReplies real_IcmpParseReplies;
static fnIcmp6SendEcho2 real_Icmp6SendEcho2;
static fnIcmp6ParseReplies real_Icmp6ParseReplies;

/* a round trip time as a class that is the same on every machine that
 * behaves alike: loopback and the lab answer within milliseconds (0 or 1
 * depending on the clock), the lab's delayed host in hundreds */
static const char *results_rtt_class( ULONG rtt )
{
    return rtt < 10 ? "<10ms" : rtt < 1000 ? "<1s" : ">=1s";
}

static void results_observe_reply( const char *call, DWORD ret, DWORD err, const void *buf, DWORD size )
{
    const ICMP_ECHO_REPLY *r = buf;

    if (ret && buf && size >= sizeof(*r))
        winetest_observe( "\"call\": \"%s\", \"ret\": %lu, \"error\": %lu, \"Status\": %lu, \"Address\": \"%s\", "
                          "\"RTT\": \"%s\", \"DataSize\": %u, \"Ttl\": %u, \"Tos\": %u, \"Flags\": %u, "
                          "\"OptionsSize\": %u", call, ret, err, r->Status,
                          inet_ntoa( *(const struct in_addr *)&r->Address ), results_rtt_class( r->RoundTripTime ),
                          r->DataSize, r->Options.Ttl, r->Options.Tos, r->Options.Flags, r->Options.OptionsSize );
    else
        winetest_observe( "\"call\": \"%s\", \"ret\": %lu, \"error\": %lu", call, ret, err );
}

static void results_observe_reply6( const char *call, DWORD ret, DWORD err, const void *buf, DWORD size )
{
    const ICMPV6_ECHO_REPLY36 *r = buf;
    char text[64] = "?";

    if (ret && buf && size >= sizeof(*r))
    {
        inet_ntop( AF_INET6, (void *)r->Address.sin6_addr, text, sizeof(text) );
        winetest_observe( "\"call\": \"%s\", \"ret\": %lu, \"error\": %lu, \"Status\": %lu, \"Address\": \"%s\", "
                          "\"RTT\": \"%s\"", call, ret, err, r->Status, text,
                          results_rtt_class( r->RoundTripTime ) );
    }
    else
        winetest_observe( "\"call\": \"%s\", \"ret\": %lu, \"error\": %lu", call, ret, err );
}

/* records what a call returned (its reply, or NULL when the call has not
 * filled it yet: asynchronous calls) and leaves the last error as the call
 * did; returns ret */
static DWORD results_after( const char *call, DWORD ret, const void *reply, DWORD size, int v6 )
{
    DWORD err = GetLastError();

    if (v6) results_observe_reply6( call, ret, err, reply, size );
    else results_observe_reply( call, ret, err, reply, size );
    SetLastError( err );
    return ret;
}

static DWORD WINAPI results_IcmpSendEcho( HANDLE h, IPAddr dst, void *data, WORD size, IP_OPTION_INFORMATION *opts,
                                          void *reply, DWORD reply_size, DWORD timeout )
{
    return results_after( "IcmpSendEcho", real_IcmpSendEcho( h, dst, data, size, opts, reply, reply_size, timeout ),
                          reply, reply_size, 0 );
}

static DWORD WINAPI results_IcmpSendEcho2( HANDLE h, HANDLE event, PIO_APC_ROUTINE apc, void *ctx, IPAddr dst,
                                           void *data, WORD size, IP_OPTION_INFORMATION *opts, void *reply,
                                           DWORD reply_size, DWORD timeout )
{
    return results_after( "IcmpSendEcho2", real_IcmpSendEcho2( h, event, apc, ctx, dst, data, size, opts, reply,
                                                               reply_size, timeout ),
                          event || apc ? NULL : reply, reply_size, 0 );
}

static DWORD WINAPI results_IcmpSendEcho2Ex( HANDLE h, HANDLE event, PIO_APC_ROUTINE apc, void *ctx, IPAddr src,
                                             IPAddr dst, void *data, WORD size, IP_OPTION_INFORMATION *opts,
                                             void *reply, DWORD reply_size, DWORD timeout )
{
    return results_after( "IcmpSendEcho2Ex", real_IcmpSendEcho2Ex( h, event, apc, ctx, src, dst, data, size, opts,
                                                                   reply, reply_size, timeout ),
                          event || apc ? NULL : reply, reply_size, 0 );
}

static DWORD WINAPI results_IcmpParseReplies( void *reply, DWORD size )
{
    return results_after( "IcmpParseReplies", real_IcmpParseReplies( reply, size ), reply, size, 0 );
}

static DWORD WINAPI results_Icmp6SendEcho2( HANDLE h, HANDLE event, PIO_APC_ROUTINE apc, void *ctx,
                                            struct sockaddr_in6 *src, struct sockaddr_in6 *dst, void *data,
                                            WORD size, IP_OPTION_INFORMATION *opts, void *reply, DWORD reply_size,
                                            DWORD timeout )
{
    return results_after( "Icmp6SendEcho2", real_Icmp6SendEcho2( h, event, apc, ctx, src, dst, data, size, opts,
                                                                 reply, reply_size, timeout ),
                          event || apc ? NULL : reply, reply_size, 1 );
}

static DWORD WINAPI results_Icmp6ParseReplies( void *reply, DWORD size )
{
    return results_after( "Icmp6ParseReplies", real_Icmp6ParseReplies( reply, size ), reply, size, 1 );
}

/* whether the readable sections of the module hold `text` */
static int results_module_has( HMODULE module, const char *text )
{
    const IMAGE_NT_HEADERS *nt = target_nt_headers( (const BYTE *)module, 4096 );
    const IMAGE_SECTION_HEADER *sec;
    size_t len = strlen( text ), i, j;

    if (!nt) return 0;
    sec = IMAGE_FIRST_SECTION( nt );
    for (i = 0; i < nt->FileHeader.NumberOfSections; i++, sec++)
    {
        const char *p = (const char *)module + sec->VirtualAddress;
        size_t n = min( sec->Misc.VirtualSize, sec->SizeOfRawData );
        if (!(sec->Characteristics & IMAGE_SCN_MEM_READ) || (sec->Characteristics & IMAGE_SCN_MEM_DISCARDABLE))
            continue;
        for (j = 0; j + len <= n; j++) if (p[j] == text[0] && !memcmp( p + j, text, len )) return 1;
    }
    return 0;
}

/* the JSON members of the machine record */
static void results_machine( const struct target_dll *t, const char *program, char *out, size_t size )
{
    const char *(CDECL *wine_get_version)(void);
    RTL_OSVERSIONINFOW v;
    NTSTATUS (WINAPI *pRtlGetVersion)(RTL_OSVERSIONINFOW *);
    HMODULE ntdll = GetModuleHandleA( "ntdll.dll" );
    BOOL wow64 = FALSE;
    char os[128], kind[32], path[2 * MAX_PATH], prog[MAX_PATH], *c, *o;
    SYSTEMTIME now;

    memset( &v, 0, sizeof(v) );
    v.dwOSVersionInfoSize = sizeof(v);
    pRtlGetVersion = (void *)GetProcAddress( ntdll, "RtlGetVersion" );
    if (pRtlGetVersion) pRtlGetVersion( &v );
    wine_get_version = (void *)GetProcAddress( ntdll, "wine_get_version" );
    if (wine_get_version)
        snprintf( os, sizeof(os), "Wine %s (as Windows %lu.%lu.%lu)", wine_get_version(), v.dwMajorVersion,
                  v.dwMinorVersion, v.dwBuildNumber );
    else snprintf( os, sizeof(os), "Windows %lu.%lu.%lu", v.dwMajorVersion, v.dwMinorVersion, v.dwBuildNumber );
    IsWow64Process( GetCurrentProcess(), &wow64 );
    if (t->wine_builtin) strcpy( kind, "Wine builtin" );
    else if (results_module_has( t->module, RESULTS_OURS_MARKER )) strcpy( kind, "ours" );
    else strcpy( kind, "native" );
    /* the path as JSON text: backslashes doubled */
    for (c = (char *)t->path, o = path; *c && o < path + sizeof(path) - 3; c++)
    {
        if (*c == '\\' || *c == '"') *o++ = '\\';
        *o++ = *c;
    }
    *o = 0;
    snprintf( prog, sizeof(prog), "%s", program );
    if ((c = strrchr( prog, '\\' )) || (c = strrchr( prog, '/' ))) memmove( prog, c + 1, strlen( c + 1 ) + 1 );
    GetSystemTime( &now );
    snprintf( out, size, "\"program\": \"%s\", \"os\": \"%s\", \"arch\": \"%s\", \"wow64\": %s, "
              "\"dll\": \"%s\", \"dll_kind\": \"%s\", \"dll_path\": \"%s\", "
              "\"date\": \"%04u-%02u-%02uT%02u:%02uZ\"", prog, os, sizeof(void *) == 8 ? "x86_64" : "i386",
              wow64 ? "true" : "false", t->is_system ? "system" : "file", kind, path,
              now.wYear, now.wMonth, now.wDay, now.wHour, now.wMinute );
}

/* --results FILE: opens it, writes the machine record, wraps the functions */
static int results_start( const char *file, const struct target_dll *t, const char *program )
{
    char machine[1024];

    results_machine( t, program, machine, sizeof(machine) );
    if (!winetest_open_results( file, machine )) return 0;
#define WRAP(name) if (p##name) real_##name = p##name, p##name = results_##name
    WRAP(IcmpSendEcho);
    WRAP(IcmpSendEcho2);
    WRAP(IcmpSendEcho2Ex);
    WRAP(IcmpParseReplies);
    WRAP(Icmp6SendEcho2);
    WRAP(Icmp6ParseReplies);
#undef WRAP
    return 1;
}

#endif /* ICMP_RESULTS_H */
