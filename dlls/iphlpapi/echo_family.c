/*
 * Everything that differs between IPv4 and IPv6, and between the kinds of
 * socket Wine may give us (raw, or a Linux ping socket without
 * CAP_NET_RAW), behind one ops table per family (ipv4_family, ipv6_family)
 * and per kind (ipv4_raw_ops, ipv4_ping_ops, ipv6_raw_ops, ipv6_ping_ops):
 * addresses, telling the kind of a new socket, setting the options a
 * request asks for only when they differ from what the socket has,
 * building, parsing and writing replies.
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

#include "echo_private.h"
#include "icmp4_packet.h"
#include "icmp6_packet.h"
#include "icmp_reply.h"
#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(icmp);

C_ASSERT( sizeof(ICMP_ECHO_REPLY) == (sizeof(void *) == 8 ? ICMP_ECHO_REPLY64_SIZE : ICMP_ECHO_REPLY32_SIZE) );
C_ASSERT( MAX_OPT_SIZE == IPV4_MAX_OPT_LEN );

/* sets one integer option if it differs from *cur */
static DWORD set_int_option( SOCKET s, int level, int name, int value, int *cur )
{
    if (value == *cur) return 0;
    if (setsockopt( s, level, name, (char *)&value, sizeof(value) )) return win32_error_from_wsa( WSAGetLastError() );
    *cur = value;
    return 0;
}

/* A family's ops table, and its two socket kinds': the raw socket (an
 * echo reply is ours by its identifier) and the Linux ping socket (the
 * kernel rewrote the identifier: by its payload). Every function of the
 * family is named after it: ipv4_is_any, ipv6_parse... */
#define DEFINE_FAMILY( p, name, core, af, proto, addr_type, key, reply_size, max_packet ) \
    static const struct family_ops p##_family = \
    { \
        .family            = af, \
        .protocol          = proto, \
        .sockaddr_len      = sizeof(addr_type), \
        .key_family        = key, \
        .reply_struct_size = reply_size, \
        .max_charge_packet = max_packet, \
        .address_bytes     = p##_address_bytes, \
        .is_any            = p##_is_any, \
        .is_loopback       = p##_is_loopback, \
        .setup             = p##_setup, \
        .set_options       = p##_set_options, \
        .build             = core##_build_echo, \
        .parse             = p##_parse, \
        .write_reply       = p##_write_reply, \
        .debugstr_address  = p##_debugstr_address, \
    }; \
    static const struct socket_ops p##_raw_ops = { name " raw", &p##_family, icmp_echo_check_id }; \
    static const struct socket_ops p##_ping_ops = { name " ping", &p##_family, icmp_echo_check_payload }

/* ---- IPv4 ---- */

static void ipv4_address_bytes( const SOCKADDR_INET *addr, uint8_t out[ICMP_ADDR_LEN] )
{
    memset( out, 0, ICMP_ADDR_LEN );
    memcpy( out, &addr->Ipv4.sin_addr, 4 );
}

static BOOL ipv4_is_any( const SOCKADDR_INET *addr )
{
    return !addr->Ipv4.sin_addr.s_addr;
}

static BOOL ipv4_is_loopback( const SOCKADDR_INET *addr )
{
    return ((const BYTE *)&addr->Ipv4.sin_addr)[0] == 127;
}

static const char *ipv4_debugstr_address( const uint8_t a[ICMP_ADDR_LEN] )
{
    return wine_dbg_sprintf( "%u.%u.%u.%u", a[0], a[1], a[2], a[3] );
}

static const struct socket_ops ipv4_raw_ops, ipv4_ping_ops;

/* Without CAP_NET_RAW, Wine quietly opens a Linux ping socket instead: the
 * kernel rewrites our identifier (Wine maps back only its last few) and
 * keeps ICMP errors to itself. Such a socket refuses IP_HDRINCL. */
static const struct socket_ops *ipv4_setup( struct echo_socket *sock )
{
    DWORD off = FALSE;
    int len = sizeof(sock->default_ttl);
    BOOL ping = setsockopt( sock->s, IPPROTO_IP, IP_HDRINCL, (char *)&off, sizeof(off) ) != 0;

    if (ping) TRACE( "a ping socket (IP_HDRINCL refused: %d)\n", WSAGetLastError() );
    if (getsockopt( sock->s, IPPROTO_IP, IP_TTL, (char *)&sock->default_ttl, &len ) || !sock->default_ttl)
        sock->default_ttl = 128;
    /* no DF unless asked: the platform default may be path MTU discovery
     * (if that cannot be said now, the first request says it: -1 is no value) */
    sock->df = -1;
    set_int_option( sock->s, IPPROTO_IP, IP_DONTFRAGMENT, FALSE, &sock->df );
    return ping ? &ipv4_ping_ops : &ipv4_raw_ops;
}

static DWORD ipv4_set_options( struct echo_socket *sock, const struct echo_params *p )
{
    DWORD err;

    if ((err = set_int_option( sock->s, IPPROTO_IP, IP_TTL, p->ttl ? p->ttl : sock->default_ttl, &sock->ttl )) ||
        (err = set_int_option( sock->s, IPPROTO_IP, IP_TOS, p->tos, &sock->tos )) ||
        (err = set_int_option( sock->s, IPPROTO_IP, IP_DONTFRAGMENT, (p->flags & IP_FLAG_DF) != 0, &sock->df )))
        return err;
    if (p->options_size == sock->options_size && !memcmp( sock->options, p->options, p->options_size )) return 0;
    if (setsockopt( sock->s, IPPROTO_IP, IP_OPTIONS, (const char *)p->options, p->options_size ))
    {
        /* the socket keeps its previous options */
        TRACE( "IP options rejected: %d\n", WSAGetLastError() );
        return ERROR_INVALID_DATA;
    }
    memcpy( sock->options, p->options, p->options_size );
    sock->options_size = p->options_size;
    return 0;
}

static enum icmp_kind ipv4_parse( const BYTE *pkt, DWORD len, const SOCKADDR_INET *from, struct icmp_packet *out )
{
    return icmp4_parse( pkt, len, out );
}

static size_t ipv4_write_reply( BYTE *buf, DWORD size, const void *user_base, const struct icmp_result *res )
{
    return icmp4_write_reply( buf, size, (ULONG_PTR)user_base, sizeof(void *) == 8, res );
}

DEFINE_FAMILY( ipv4, "IPv4", icmp4, AF_INET, IPPROTO_ICMP, SOCKADDR_IN, 4, sizeof(ICMP_ECHO_REPLY),
               IPV4_MIN_HDR_LEN + IPV4_MAX_OPT_LEN + ICMP_HDR_LEN );

/* ---- IPv6 ---- */

static void ipv6_address_bytes( const SOCKADDR_INET *addr, uint8_t out[ICMP_ADDR_LEN] )
{
    memcpy( out, &addr->Ipv6.sin6_addr, ICMP_ADDR_LEN );
}

static BOOL ipv6_is_any( const SOCKADDR_INET *addr )
{
    return IN6_IS_ADDR_UNSPECIFIED( &addr->Ipv6.sin6_addr );
}

static BOOL ipv6_is_loopback( const SOCKADDR_INET *addr )
{
    return IN6_IS_ADDR_LOOPBACK( &addr->Ipv6.sin6_addr );
}

static const char *ipv6_debugstr_address( const uint8_t a[ICMP_ADDR_LEN] )
{
    return wine_dbg_sprintf( "%x:%x:%x:%x:%x:%x:%x:%x", a[0] << 8 | a[1], a[2] << 8 | a[3], a[4] << 8 | a[5],
                             a[6] << 8 | a[7], a[8] << 8 | a[9], a[10] << 8 | a[11], a[12] << 8 | a[13],
                             a[14] << 8 | a[15] );
}

static const struct socket_ops ipv6_raw_ops, ipv6_ping_ops;

/* The port s is bound to (after binding it to :: if bind_any), or 0. */
static USHORT ipv6_bound_port( SOCKET s, BOOL bind_any )
{
    SOCKADDR_IN6 addr;
    int len = sizeof(addr);

    memset( &addr, 0, sizeof(addr) );
    addr.sin6_family = AF_INET6;
    if (bind_any && bind( s, (struct sockaddr *)&addr, sizeof(addr) )) return 0;
    if (getsockname( s, (struct sockaddr *)&addr, &len )) return 0;
    return ntohs( addr.sin6_port );
}

/* Without CAP_NET_RAW, a Wine server that maps ICMPv6 (ours, see
 * tools/wineserver) opens a Linux ICMPv6 ping socket instead, as Wine does
 * for ICMP: the kernel rewrites our identifier and keeps ICMPv6 errors to
 * itself. Bound, a Linux raw ICMPv6 socket's port is its protocol, 58, a
 * ping socket's the identifier the kernel chose (never 0; Windows' raw
 * sockets say 0). Should a ping socket have been given 58, a second one,
 * bound while it is, cannot be given 58 too. */
static BOOL ipv6_is_ping_socket( struct echo_socket *sock )
{
    USHORT port = ipv6_bound_port( sock->s, IN6_IS_ADDR_UNSPECIFIED( &sock->src.Ipv6.sin6_addr ) );
    SOCKET other;

    if (port != IPPROTO_ICMPV6) return port != 0;
    if ((other = WSASocketW( AF_INET6, SOCK_RAW, IPPROTO_ICMPV6, NULL, 0, 0 )) == INVALID_SOCKET) return FALSE;
    port = ipv6_bound_port( other, TRUE );
    closesocket( other );
    return port != IPPROTO_ICMPV6 && port != 0;
}

static const struct socket_ops *ipv6_setup( struct echo_socket *sock )
{
    int len = sizeof(sock->default_ttl);
    BOOL ping = ipv6_is_ping_socket( sock );

    if (ping) TRACE( "an ICMPv6 ping socket\n" );
    if (getsockopt( sock->s, IPPROTO_IPV6, IPV6_UNICAST_HOPS, (char *)&sock->default_ttl, &len ) ||
        sock->default_ttl <= 0)
        sock->default_ttl = 128;
    return ping ? &ipv6_ping_ops : &ipv6_raw_ops;
}

/* only the hop limit (Ttl) applies to IPv6 */
static DWORD ipv6_set_options( struct echo_socket *sock, const struct echo_params *p )
{
    return set_int_option( sock->s, IPPROTO_IPV6, IPV6_UNICAST_HOPS, p->ttl ? p->ttl : sock->default_ttl, &sock->ttl );
}

/* a raw ICMPv6 socket returns the message alone: the sender is in `from` */
static enum icmp_kind ipv6_parse( const BYTE *pkt, DWORD len, const SOCKADDR_INET *from, struct icmp_packet *out )
{
    if (from->si_family != AF_INET6) return ICMP_KIND_IGNORE;
    return icmp6_parse( pkt, len, (const uint8_t *)&from->Ipv6.sin6_addr, out );
}

static size_t ipv6_write_reply( BYTE *buf, DWORD size, const void *user_base, const struct icmp_result *res )
{
    return icmp6_write_reply( buf, size, res );
}

DEFINE_FAMILY( ipv6, "IPv6", icmp6, AF_INET6, IPPROTO_ICMPV6, SOCKADDR_IN6, 6, ICMPV6_ECHO_REPLY_SIZE,
               IPV6_HDR_LEN + ICMP_HDR_LEN );

/* The ops of a family's raw socket, until a socket says otherwise. */
const struct socket_ops *family_default_ops( int family )
{
    return family == AF_INET6 ? &ipv6_raw_ops : &ipv4_raw_ops;
}
