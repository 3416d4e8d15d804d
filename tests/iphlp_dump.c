/*
 * iphlp_dump: prints what GetAdaptersInfo, GetAdaptersAddresses, GetIfTable2,
 * GetBestRoute2 and GetNetworkParams return (the fields that do not change
 * from one call to the next), and where iphlpapi.dll and those functions come
 * from. The drop-in test runs it with and without our DLL installed: the
 * results must be the same, and with ours they must come through its forwards.
 * It imports iphlpapi.dll the ordinary way, like any program.
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
#include <netioapi.h>

static const char *ip4( const void *p )
{
    static char buf[4][16];
    static int n;
    const BYTE *b = p;
    char *s = buf[n++ % 4];
    snprintf( s, 16, "%u.%u.%u.%u", b[0], b[1], b[2], b[3] );
    return s;
}

static void print_sockaddr( const SOCKADDR *sa )
{
    if (!sa) printf( "(null)" );
    else if (sa->sa_family == AF_INET) printf( "%s", ip4( &((const SOCKADDR_IN *)sa)->sin_addr ) );
    else if (sa->sa_family == AF_INET6)
    {
        const BYTE *b = ((const SOCKADDR_IN6 *)sa)->sin6_addr.s6_addr;
        int i;
        for (i = 0; i < 16; i += 2) printf( "%s%02x%02x", i ? ":" : "", b[i], b[i + 1] );
    }
    else printf( "family %u", sa->sa_family );
}

static void module_of( const char *what, const void *addr )
{
    HMODULE mod = NULL;
    char path[MAX_PATH] = "?";

    GetModuleHandleExA( GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                        addr, &mod );
    if (mod) GetModuleFileNameA( mod, path, sizeof(path) );
    printf( "origin %s: %s%s\n", what, path,
            mod && !memcmp( (const BYTE *)mod + 0x40, "Wine builtin DLL", 16 ) ? " (Wine builtin)" : "" );
}

int main( int argc, char **argv )
{
    ULONG size = 0, ret, i;
    IP_ADAPTER_INFO *info;
    IP_ADAPTER_ADDRESSES *aa, *a;
    MIB_IF_TABLE2 *table;
    FIXED_INFO *fixed;
    SOCKADDR_INET dst, src;
    MIB_IPFORWARD_ROW2 route;
    int origins = argc > 1 && !strcmp( argv[1], "--origins" );

    if (origins)
    {
        /* GetProcAddress follows forwards the way the loader does for imports */
        HMODULE iphlpapi = GetModuleHandleA( "iphlpapi.dll" );
        module_of( "iphlpapi.dll", iphlpapi );
        module_of( "GetAdaptersInfo", (void *)GetProcAddress( iphlpapi, "GetAdaptersInfo" ) );
        module_of( "GetIfTable2", (void *)GetProcAddress( iphlpapi, "GetIfTable2" ) );
        module_of( "IcmpSendEcho", (void *)GetProcAddress( iphlpapi, "IcmpSendEcho" ) );
        return 0;
    }

    ret = GetAdaptersInfo( NULL, &size );
    printf( "GetAdaptersInfo size query: %lu\n", ret );
    info = malloc( size ? size : 1 );
    ret = GetAdaptersInfo( info, &size );
    printf( "GetAdaptersInfo: %lu\n", ret );
    for (; ret == NO_ERROR && info; info = info->Next)
        printf( "  adapter %lu %s type %u addr %s mask %s gw %s dhcp %u\n", info->Index, info->AdapterName,
                info->Type, info->IpAddressList.IpAddress.String, info->IpAddressList.IpMask.String,
                info->GatewayList.IpAddress.String, info->DhcpEnabled );

    size = 0;
    ret = GetAdaptersAddresses( AF_UNSPEC, 0, NULL, NULL, &size );
    aa = malloc( size ? size : 1 );
    ret = GetAdaptersAddresses( AF_UNSPEC, 0, NULL, aa, &size );
    printf( "GetAdaptersAddresses: %lu\n", ret );
    for (a = aa; ret == NO_ERROR && a; a = a->Next)
    {
        IP_ADAPTER_UNICAST_ADDRESS *u;
        printf( "  %s if %lu type %lu mtu %lu oper %u:", a->AdapterName, a->IfIndex, a->IfType, a->Mtu,
                a->OperStatus );
        for (u = a->FirstUnicastAddress; u; u = u->Next)
        {
            printf( " " );
            print_sockaddr( u->Address.lpSockaddr );
            printf( "/%u", u->OnLinkPrefixLength );
        }
        printf( "\n" );
    }

    ret = GetIfTable2( &table );
    printf( "GetIfTable2: %lu\n", ret );
    for (i = 0; ret == NO_ERROR && i < table->NumEntries; i++)
    {
        MIB_IF_ROW2 *r = &table->Table[i];
        printf( "  if %lu luid %llx type %lu mtu %lu oper %u admin %u phys %02x%02x%02x%02x%02x%02x alias %ls\n",
                r->InterfaceIndex, (unsigned long long)r->InterfaceLuid.Value, r->Type, r->Mtu, r->OperStatus,
                r->AdminStatus, r->PhysicalAddress[0], r->PhysicalAddress[1], r->PhysicalAddress[2],
                r->PhysicalAddress[3], r->PhysicalAddress[4], r->PhysicalAddress[5], r->Alias );
    }
    if (ret == NO_ERROR) FreeMibTable( table );

    memset( &dst, 0, sizeof(dst) );
    dst.Ipv4.sin_family = AF_INET;
    dst.Ipv4.sin_addr.s_addr = htonl( 0x7f000001 );
    memset( &route, 0, sizeof(route) );
    memset( &src, 0, sizeof(src) );
    ret = GetBestRoute2( NULL, 0, NULL, &dst, 0, &route, &src );
    printf( "GetBestRoute2 127.0.0.1: %lu", ret );
    if (ret == NO_ERROR)
    {
        printf( " if %lu prefix %s/%u next hop %s source %s", route.InterfaceIndex,
                ip4( &route.DestinationPrefix.Prefix.Ipv4.sin_addr ), route.DestinationPrefix.PrefixLength,
                ip4( &route.NextHop.Ipv4.sin_addr ), ip4( &src.Ipv4.sin_addr ) );
    }
    printf( "\n" );

    size = 0;
    GetNetworkParams( NULL, &size );
    fixed = malloc( size ? size : 1 );
    ret = GetNetworkParams( fixed, &size );
    printf( "GetNetworkParams: %lu", ret );
    if (ret == NO_ERROR)
    {
        IP_ADDR_STRING *dns;
        printf( " host %s domain %s node type %u dns", fixed->HostName, fixed->DomainName, fixed->NodeType );
        for (dns = &fixed->DnsServerList; dns; dns = dns->Next) printf( " %s", dns->IpAddress.String );
    }
    printf( "\n" );
    return 0;
}
