/*
 * icmpping: a small Windows ping that goes through a chosen ICMP echo DLL.
 *
 *   icmpping [--dll PATH|system] [-n count] [-l size] [-w timeout] [-i ttl] [-v tos] [-f] [-S srcaddr] address
 *
 * Prints replies the way Windows ping.exe does. The address is a dotted IPv4
 * address, or an IPv6 one (then Icmp6CreateFile and Icmp6SendEcho2; -i is
 * the hop limit, -v and -f do not apply); no name resolution: nothing here
 * looks names up.
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
#include <string.h>
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <iphlpapi.h>
#include <icmpapi.h>

#include "target_dll.h"
#include "icmpv6_reply.h"

typedef HANDLE (WINAPI *create_fn)(void);
typedef BOOL (WINAPI *close_fn)(HANDLE);
typedef DWORD (WINAPI *send2ex_fn)(HANDLE, HANDLE, FARPROC, void *, IPAddr, IPAddr, void *, WORD,
                                   IP_OPTION_INFORMATION *, void *, DWORD, DWORD);
typedef DWORD (WINAPI *send6_fn)(HANDLE, HANDLE, FARPROC, void *, struct sockaddr_in6 *, struct sockaddr_in6 *,
                                 void *, WORD, IP_OPTION_INFORMATION *, void *, DWORD, DWORD);

static int parse_ipv6( const char *s, struct sockaddr_in6 *out )
{
    WSADATA wsa;
    int len = sizeof(*out);

    if (!strchr( s, ':' )) return 0;
    WSAStartup( MAKEWORD(2, 2), &wsa );
    memset( out, 0, sizeof(*out) );
    return !WSAStringToAddressA( (char *)s, AF_INET6, NULL, (struct sockaddr *)out, &len );
}

static int parse_ipv4( const char *s, IPAddr *out )
{
    unsigned int b[4];
    char tail;
    if (sscanf( s, "%u.%u.%u.%u%c", &b[0], &b[1], &b[2], &b[3], &tail ) != 4) return 0;
    if (b[0] > 255 || b[1] > 255 || b[2] > 255 || b[3] > 255) return 0;
    *out = htonl( b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3] );
    return 1;
}

static const char *ipstr( IPAddr a )
{
    static char buf[16];
    const BYTE *b = (const BYTE *)&a;
    snprintf( buf, sizeof(buf), "%u.%u.%u.%u", b[0], b[1], b[2], b[3] );
    return buf;
}

static const char *status_text( DWORD status )
{
    switch (status)
    {
    case IP_DEST_NET_UNREACHABLE:   return "Destination net unreachable.";
    case IP_DEST_HOST_UNREACHABLE:  return "Destination host unreachable.";
    case IP_DEST_PROT_UNREACHABLE:  return "Destination protocol unreachable.";
    case IP_DEST_PORT_UNREACHABLE:  return "Destination port unreachable.";
    case IP_NO_RESOURCES:           return "No resources.";
    case IP_BAD_OPTION:             return "Bad option specified.";
    case IP_PACKET_TOO_BIG:         return "Packet needs to be fragmented but DF set.";
    case IP_REQ_TIMED_OUT:          return "Request timed out.";
    case IP_BAD_ROUTE:              return "Bad route specified.";
    case IP_TTL_EXPIRED_TRANSIT:    return "TTL expired in transit.";
    case IP_TTL_EXPIRED_REASSEM:    return "TTL expired during reassembly.";
    case IP_PARAM_PROBLEM:          return "Parameter problem.";
    case IP_SOURCE_QUENCH:          return "Source quench received.";
    case IP_GENERAL_FAILURE:        return "General failure.";
    case IP_DEST_UNREACHABLE:       return "Destination unreachable.";
    case IP_ICMP_ERROR:             return "ICMP error.";
    case IP_TIME_EXCEEDED:          return "Time exceeded.";
    case IP_BAD_HEADER:             return "Bad header.";
    default:                        return NULL;
    }
}

/* IPv6 names some of the same values differently */
static const char *status_text6( DWORD status )
{
    switch (status)
    {
    case IP_DEST_NO_ROUTE:          return "Destination net unreachable (no route).";
    case IP_DEST_ADDR_UNREACHABLE:  return "Destination host unreachable.";
    case IP_DEST_PROHIBITED:        return "Destination prohibited.";
    case IP_HOP_LIMIT_EXCEEDED:     return "Hop limit exceeded in transit.";
    case IP_DEST_SCOPE_MISMATCH:    return "Destination scope mismatch.";
    default:                        return status_text( status );
    }
}

static void usage( void )
{
    fprintf( stderr, "usage: icmpping [--dll PATH|system] [-n count] [-l size] [-w timeout_ms] [-i ttl]\n"
                     "                [-v tos] [-f] [-S source] address (IPv4 or IPv6)\n" );
    exit( 2 );
}

/* the IPv6 half: Icmp6SendEcho2, as Windows ping -6 prints it */
static int ping6( HMODULE module, struct sockaddr_in6 *dst, struct sockaddr_in6 *src, const char *dst_text,
                  const char *src_text, unsigned int count, unsigned int size, unsigned int timeout, UCHAR hops )
{
    create_fn pIcmp6CreateFile = (create_fn)GetProcAddress( module, "Icmp6CreateFile" );
    close_fn pIcmpCloseHandle = (close_fn)GetProcAddress( module, "IcmpCloseHandle" );
    send6_fn pIcmp6SendEcho2 = (send6_fn)GetProcAddress( module, "Icmp6SendEcho2" );
    unsigned int received = 0, min_rtt = ~0u, max_rtt = 0, sum_rtt = 0, i;
    DWORD reply_size = sizeof(ICMPV6_ECHO_REPLY36) + size + 8, ret, err;
    char *data = malloc( size ? size : 1 ), *reply = malloc( reply_size ), addr[64];
    IP_OPTION_INFORMATION opts;
    HANDLE h;

    if (!pIcmp6CreateFile || !pIcmpCloseHandle || !pIcmp6SendEcho2)
    {
        fprintf( stderr, "the DLL lacks the ICMPv6 echo functions\n" );
        return 1;
    }
    if ((h = pIcmp6CreateFile()) == INVALID_HANDLE_VALUE)
    {
        fprintf( stderr, "Icmp6CreateFile failed: %lu\n", GetLastError() );
        return 1;
    }
    for (i = 0; i < size; i++) data[i] = 'a' + i % 23;
    memset( &opts, 0, sizeof(opts) );
    opts.Ttl = hops ? hops : 128;
    printf( "\nPinging %s ", dst_text );
    if (src_text) printf( "from %s ", src_text );
    printf( "with %u bytes of data:\n", size );
    for (i = 0; i < count; i++)
    {
        const ICMPV6_ECHO_REPLY36 *r = (const ICMPV6_ECHO_REPLY36 *)reply;
        struct sockaddr_in6 from;
        DWORD len = sizeof(addr);
        const char *text;

        if (i) Sleep( 1000 );
        ret = pIcmp6SendEcho2( h, NULL, NULL, NULL, src, dst, data, (WORD)size, &opts, reply, reply_size, timeout );
        err = GetLastError();
        if (!ret && err == ERROR_NOT_SUPPORTED)
        {
            printf( "PING: transmit failed: this Wine's server cannot open ICMPv6 sockets (see README: "
                    "the ICMPv6-capable wineserver)\n" );
            break;
        }
        if (!ret && !(text = status_text6( err ))) printf( "PING: transmit failed. General failure. (error %lu)\n", err );
        if (!ret && text) printf( "%s\n", text );
        if (!ret) continue;
        memset( &from, 0, sizeof(from) );
        from.sin6_family = AF_INET6;
        memcpy( &from.sin6_addr, r->Address.sin6_addr, 16 );
        if (WSAAddressToStringA( (struct sockaddr *)&from, sizeof(from), NULL, addr, &len )) strcpy( addr, "?" );
        if (r->Status != IP_SUCCESS)
        {
            text = status_text6( r->Status );
            printf( "Reply from %s: %s\n", addr, text ? text : "error" );
            continue;
        }
        received++;
        min_rtt = min( min_rtt, r->RoundTripTime );
        max_rtt = max( max_rtt, r->RoundTripTime );
        sum_rtt += r->RoundTripTime;
        if (r->RoundTripTime) printf( "Reply from %s: time=%ums\n", addr, r->RoundTripTime );
        else printf( "Reply from %s: time<1ms\n", addr );
        if (memcmp( reply + sizeof(*r), data, size )) printf( "    (reply data differs from the request)\n" );
    }
    pIcmpCloseHandle( h );
    printf( "\nPing statistics for %s:\n", dst_text );
    printf( "    Packets: Sent = %u, Received = %u, Lost = %u (%u%% loss),\n", count, received, count - received,
            count ? (count - received) * 100 / count : 0 );
    if (received)
    {
        printf( "Approximate round trip times in milli-seconds:\n" );
        printf( "    Minimum = %ums, Maximum = %ums, Average = %ums\n", min_rtt, max_rtt, sum_rtt / received );
    }
    return received ? 0 : 1;
}

int main( int argc, char **argv )
{
    const char *dll = "system", *target = NULL;
    unsigned int count = 4, size = 32, timeout = 4000, i;
    unsigned int received = 0, min_rtt = ~0u, max_rtt = 0, sum_rtt = 0;
    IP_OPTION_INFORMATION opts;
    IPAddr dst = 0, src = 0;
    struct sockaddr_in6 dst6, src6;
    const char *src_text = NULL;
    struct target_dll t;
    create_fn pIcmpCreateFile;
    close_fn pIcmpCloseHandle;
    send2ex_fn pIcmpSendEcho2Ex;
    char *data, *reply;
    DWORD reply_size, ret, err;
    HANDLE h;
    int a;

    memset( &opts, 0, sizeof(opts) );
    for (a = 1; a < argc; a++)
    {
        if (!strcmp( argv[a], "--dll" ) && a + 1 < argc) dll = argv[++a];
        else if (!strcmp( argv[a], "-n" ) && a + 1 < argc) count = strtoul( argv[++a], NULL, 0 );
        else if (!strcmp( argv[a], "-l" ) && a + 1 < argc) size = strtoul( argv[++a], NULL, 0 );
        else if (!strcmp( argv[a], "-w" ) && a + 1 < argc) timeout = strtoul( argv[++a], NULL, 0 );
        else if (!strcmp( argv[a], "-i" ) && a + 1 < argc) opts.Ttl = (UCHAR)strtoul( argv[++a], NULL, 0 );
        else if (!strcmp( argv[a], "-v" ) && a + 1 < argc) opts.Tos = (UCHAR)strtoul( argv[++a], NULL, 0 );
        else if (!strcmp( argv[a], "-f" )) opts.Flags |= IP_FLAG_DF;
        else if (!strcmp( argv[a], "-S" ) && a + 1 < argc) src_text = argv[++a];
        else if (argv[a][0] == '-' || target) usage();
        else target = argv[a];
    }
    if (!target || size > 65500) usage();
    if (parse_ipv6( target, &dst6 ))
    {
        if (src_text && !parse_ipv6( src_text, &src6 )) usage();
        if (!target_load( dll, &t )) return 1;
        target_describe( &t, stdout );
        return ping6( t.module, &dst6, src_text ? &src6 : NULL, target, src_text, count, size, timeout, opts.Ttl );
    }
    if (!parse_ipv4( target, &dst ) || (src_text && !parse_ipv4( src_text, &src ))) usage();

    if (!target_load( dll, &t )) return 1;
    target_describe( &t, stdout );
    pIcmpCreateFile = (create_fn)GetProcAddress( t.module, "IcmpCreateFile" );
    pIcmpCloseHandle = (close_fn)GetProcAddress( t.module, "IcmpCloseHandle" );
    pIcmpSendEcho2Ex = (send2ex_fn)GetProcAddress( t.module, "IcmpSendEcho2Ex" );
    if (!pIcmpCreateFile || !pIcmpCloseHandle || !pIcmpSendEcho2Ex)
    {
        fprintf( stderr, "%s lacks the ICMP echo functions\n", t.path );
        return 1;
    }

    data = malloc( size ? size : 1 );
    for (i = 0; i < size; i++) data[i] = 'a' + i % 23;   /* Windows ping's payload */
    reply_size = sizeof(ICMP_ECHO_REPLY) + size + 8 + MAX_OPT_SIZE;
    reply = malloc( reply_size );

    if ((h = pIcmpCreateFile()) == INVALID_HANDLE_VALUE)
    {
        fprintf( stderr, "IcmpCreateFile failed: %lu\n", GetLastError() );
        return 1;
    }

    printf( "\nPinging %s ", ipstr( dst ) );
    if (src) printf( "from %s ", ipstr( src ) );
    printf( "with %u bytes of data:\n", size );
    for (i = 0; i < count; i++)
    {
        ICMP_ECHO_REPLY *r = (ICMP_ECHO_REPLY *)reply;
        const char *text;

        if (i) Sleep( 1000 );
        ret = pIcmpSendEcho2Ex( h, NULL, NULL, NULL, src, dst, data, (WORD)size, &opts, reply, reply_size, timeout );
        err = GetLastError();
        if (!ret)
        {
            if ((text = status_text( err ))) printf( "%s\n", text );
            else printf( "PING: transmit failed. General failure. (error %lu)\n", err );
            continue;
        }
        if (r->Status != IP_SUCCESS)
        {
            text = status_text( r->Status );
            printf( "Reply from %s: %s\n", ipstr( r->Address ), text ? text : "error" );
            continue;
        }
        received++;
        if (r->RoundTripTime < min_rtt) min_rtt = r->RoundTripTime;
        if (r->RoundTripTime > max_rtt) max_rtt = r->RoundTripTime;
        sum_rtt += r->RoundTripTime;
        printf( "Reply from %s: bytes=%u", ipstr( r->Address ), r->DataSize );
        if (r->RoundTripTime) printf( " time=%lums", r->RoundTripTime );
        else printf( " time<1ms" );
        printf( " TTL=%u\n", r->Options.Ttl );
        if (r->DataSize != size || memcmp( r->Data, data, size ))
            printf( "    (reply data differs from the request)\n" );
    }
    pIcmpCloseHandle( h );

    printf( "\nPing statistics for %s:\n", ipstr( dst ) );
    printf( "    Packets: Sent = %u, Received = %u, Lost = %u (%u%% loss),\n", count, received,
            count - received, count ? (count - received) * 100 / count : 0 );
    if (received)
    {
        printf( "Approximate round trip times in milli-seconds:\n" );
        printf( "    Minimum = %ums, Maximum = %ums, Average = %ums\n", min_rtt, max_rtt, sum_rtt / received );
    }
    return received ? 0 : 1;
}
