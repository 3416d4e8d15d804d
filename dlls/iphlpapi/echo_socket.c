/*
 * Sockets: one ops table per family and socket kind, opening a raw ICMP or
 * ICMPv6 socket (bound when a request names its source: that bind is how a
 * source that is not ours is recognised), telling a Linux ping socket from
 * a raw one, setting options only when a request asks for something the
 * socket does not already have, sending, and the one place Winsock's error
 * codes become Win32 ones.
 *
 * Owns struct echo_socket's send side and the socket list; must not touch
 * requests or the receive side of a socket (echo_receive.c).
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

#include <stdlib.h>
#include <string.h>

#include "echo_private.h"
#include "icmp4_packet.h"
#include "icmp6_packet.h"
#include "icmp_reply.h"
#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(icmp);
WINE_DECLARE_DEBUG_CHANNEL(winediag);

C_ASSERT( sizeof(ICMP_ECHO_REPLY) == (sizeof(void *) == 8 ? ICMP_ECHO_REPLY64_SIZE : ICMP_ECHO_REPLY32_SIZE) );
C_ASSERT( MAX_OPT_SIZE == IPV4_MAX_OPT_LEN );

DWORD win32_error_from_wsa( int err )
{
    switch (err)
    {
    case 0:                     return ERROR_SUCCESS;
    case WSAEACCES:             return ERROR_ACCESS_DENIED;
    case WSAEADDRNOTAVAIL:      return ERROR_INVALID_NETNAME;
    case WSAEAFNOSUPPORT:
    case WSAEPFNOSUPPORT:
    case WSAEPROTONOSUPPORT:
    case WSAESOCKTNOSUPPORT:
    case WSAEOPNOTSUPP:         return ERROR_NOT_SUPPORTED;
    case WSAENETUNREACH:        return ERROR_NETWORK_UNREACHABLE;
    case WSAEHOSTUNREACH:       return ERROR_HOST_UNREACHABLE;
    case WSAEMSGSIZE:           return ERROR_BAD_LENGTH;
    case WSAENOBUFS:
    case WSA_NOT_ENOUGH_MEMORY: return ERROR_NOT_ENOUGH_MEMORY;
    case WSAEMFILE:             return ERROR_TOO_MANY_OPEN_FILES;
    case WSAEINVAL:
    case WSAEFAULT:             return ERROR_INVALID_PARAMETER;
    case WSA_IO_PENDING:        return ERROR_IO_PENDING;
    case WSANOTINITIALISED:
    case WSASYSNOTREADY:        return ERROR_NOT_READY;
    default:                    return ERROR_GEN_FAILURE;
    }
}

static DWORD last_wsa_error( void )
{
    return win32_error_from_wsa( WSAGetLastError() );
}

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
    /* no DF unless asked: the platform default may be path MTU discovery */
    setsockopt( sock->s, IPPROTO_IP, IP_DONTFRAGMENT, (char *)&off, sizeof(off) );
    return ping ? &ipv4_ping_ops : &ipv4_raw_ops;
}

/* sets one integer option if it differs from *cur */
static DWORD set_int_option( SOCKET s, int level, int name, int value, int *cur )
{
    if (value == *cur) return 0;
    if (setsockopt( s, level, name, (char *)&value, sizeof(value) )) return last_wsa_error();
    *cur = value;
    return 0;
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

static enum icmp_kind ipv4_parse( const struct echo_socket *sock, const BYTE *pkt, DWORD len, struct icmp_packet *out )
{
    return icmp4_parse( pkt, len, out );
}

static size_t ipv4_write_reply( BYTE *buf, DWORD size, const struct icmp_result *res )
{
    return icmp4_write_reply( buf, size, (ULONG_PTR)buf, sizeof(void *) == 8, res );
}

static const struct family_ops ipv4_family =
{
    .family           = AF_INET,
    .protocol         = IPPROTO_ICMP,
    .sockaddr_len     = sizeof(SOCKADDR_IN),
    .key_family       = 4,
    .reply_struct_size = sizeof(ICMP_ECHO_REPLY),
    .address_bytes    = ipv4_address_bytes,
    .is_any           = ipv4_is_any,
    .is_loopback      = ipv4_is_loopback,
    .setup            = ipv4_setup,
    .set_options      = ipv4_set_options,
    .build            = icmp4_build_echo,
    .parse            = ipv4_parse,
    .write_reply      = ipv4_write_reply,
    .debugstr_address = ipv4_debugstr_address,
};

static const struct socket_ops ipv4_raw_ops =
{
    .name       = "IPv4 raw",
    .family     = &ipv4_family,
    .echo_check = icmp_echo_check_id,
};

static const struct socket_ops ipv4_ping_ops =
{
    .name       = "IPv4 ping",
    .family     = &ipv4_family,
    .echo_check = icmp_echo_check_payload,
};

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
static enum icmp_kind ipv6_parse( const struct echo_socket *sock, const BYTE *pkt, DWORD len, struct icmp_packet *out )
{
    if (sock->from.si_family != AF_INET6) return ICMP_KIND_IGNORE;
    return icmp6_parse( pkt, len, (const uint8_t *)&sock->from.Ipv6.sin6_addr, out );
}

static size_t ipv6_write_reply( BYTE *buf, DWORD size, const struct icmp_result *res )
{
    return icmp6_write_reply( buf, size, res );
}

static const struct family_ops ipv6_family =
{
    .family           = AF_INET6,
    .protocol         = IPPROTO_ICMPV6,
    .sockaddr_len     = sizeof(SOCKADDR_IN6),
    .key_family       = 6,
    .reply_struct_size = ICMPV6_ECHO_REPLY_SIZE,
    .address_bytes    = ipv6_address_bytes,
    .is_any           = ipv6_is_any,
    .is_loopback      = ipv6_is_loopback,
    .setup            = ipv6_setup,
    .set_options      = ipv6_set_options,
    .build            = icmp6_build_echo,
    .parse            = ipv6_parse,
    .write_reply      = ipv6_write_reply,
    .debugstr_address = ipv6_debugstr_address,
};

static const struct socket_ops ipv6_raw_ops =
{
    .name       = "IPv6 raw",
    .family     = &ipv6_family,
    .echo_check = icmp_echo_check_id,
};

static const struct socket_ops ipv6_ping_ops =
{
    .name       = "IPv6 ping",
    .family     = &ipv6_family,
    .echo_check = icmp_echo_check_payload,
};

/* The ops of a family's raw socket, until a socket says otherwise. */
const struct socket_ops *socket_ops_for_family( int family )
{
    return family == AF_INET6 ? &ipv6_raw_ops : &ipv4_raw_ops;
}

/* ---- opening ---- */

/* The SO_RCVBUF every socket asks for: ECHO_RCVBUF, or ICMP_ECHO_SO_RCVBUF
 * (bytes) when set, so that tests can give the engine a desktop's small
 * receive buffer (212,992 bytes) on a machine whose net.core.rmem_max is
 * larger. */
DWORD socket_rcvbuf( void )
{
    char text[32];
    DWORD got = GetEnvironmentVariableA( "ICMP_ECHO_SO_RCVBUF", text, sizeof(text) );
    long value;

    if (!got || got >= sizeof(text) || (value = atol( text )) < 4096) return ECHO_RCVBUF;
    return value;
}

static void socket_free( struct echo_socket *sock )
{
    if (sock->s != INVALID_SOCKET) closesocket( sock->s );
    if (sock->ov.hEvent) WSACloseEvent( sock->ov.hEvent );
    HeapFree( GetProcessHeap(), 0, sock->rx );
    HeapFree( GetProcessHeap(), 0, sock );
    WSACleanup();
}

static const char *debugstr_source( const struct echo_socket *sock )
{
    uint8_t a[ICMP_ADDR_LEN];

    if (sock->ops->family->is_any( &sock->src )) return "any";
    sock->ops->family->address_bytes( &sock->src, a );
    return sock->ops->family->debugstr_address( a );
}

/* Whether sock is the one for this family and source. */
static BOOL socket_is_for( const struct echo_socket *sock, int family, const SOCKADDR_INET *src )
{
    uint8_t a[ICMP_ADDR_LEN], b[ICMP_ADDR_LEN];

    if (sock->ops->family->family != family) return FALSE;
    if (sock->ops->family->is_any( src )) return sock->ops->family->is_any( &sock->src );
    sock->ops->family->address_bytes( src, a );
    sock->ops->family->address_bytes( &sock->src, b );
    return !memcmp( a, b, ICMP_ADDR_LEN ) &&
           (family != AF_INET6 || sock->src.Ipv6.sin6_scope_id == src->Ipv6.sin6_scope_id);
}

/* Why a family's sockets cannot be opened, once that is known for the
 * process's life (no such protocol, no privilege): later requests fail at
 * once with it instead of asking wineserver again and warning each time. */
static DWORD create_error[2];   /* IPv4, IPv6 */

/* Says once per process, at a level shown without any debug channel, why
 * no ICMP socket can be opened and what to do about it. */
static void explain_access_denied( void )
{
    static LONG once;
    char range[64] = "";
    HANDLE f;
    DWORD got = 0;

    if (InterlockedExchange( &once, 1 )) return;
    if (!GetProcAddress( GetModuleHandleA( "ntdll.dll" ), "wine_get_version" ))
    {
        ERR_(winediag)( "cannot open a raw ICMP socket: Windows gives raw sockets only to an elevated (administrator) "
                        "process; run the program as administrator\n" );
        return;
    }
    /* under Wine: wineserver creates the socket, as a raw one (CAP_NET_RAW)
     * or, when that is refused, a Linux ping socket (the group's permission) */
    f = CreateFileA( "Z:\\proc\\sys\\net\\ipv4\\ping_group_range", GENERIC_READ, FILE_SHARE_READ, NULL,
                     OPEN_EXISTING, 0, NULL );
    if (f != INVALID_HANDLE_VALUE)
    {
        ReadFile( f, range, sizeof(range) - 1, &got, NULL );
        CloseHandle( f );
        range[got] = 0;
        while (got && (range[got - 1] == '\n' || range[got - 1] == ' ')) range[--got] = 0;
        for (got = 0; range[got]; got++) if (range[got] == '\t') range[got] = ' ';
    }
    ERR_(winediag)( "cannot open an ICMP socket: wineserver has no CAP_NET_RAW for raw sockets, and this user's "
                    "group may not open ping sockets (net.ipv4.ping_group_range is \"%s\"). Either allow ping "
                    "sockets for the group (sysctl -w net.ipv4.ping_group_range=\"0 2147483647\", or the group's "
                    "id for both numbers), or give wineserver the capability (setcap cap_net_raw+ep on the "
                    "wineserver binary, e.g. /usr/lib/wine/wineserver64). Until then echo requests fail with "
                    "ERROR_ACCESS_DENIED.\n", range[0] ? range : "?" );
}

static DWORD socket_create( struct echo_socket *sock )
{
    const struct family_ops *ops = sock->ops->family;
    DWORD *known = &create_error[ops->family == AF_INET6], err;

    if (*known) return *known;
    sock->s = WSASocketW( ops->family, SOCK_RAW, ops->protocol, NULL, 0, WSA_FLAG_OVERLAPPED );
    if (sock->s != INVALID_SOCKET) return 0;
    err = WSAGetLastError();
    WARN( "cannot open a raw %s socket: %lu\n", ops->family == AF_INET6 ? "ICMPv6" : "ICMP", err );
    if (err == WSAEPROTONOSUPPORT && ops->family == AF_INET6)
        /* stock Wine's server maps no IPPROTO_ICMPV6 to the host (every
         * release up to at least Wine 8; tools/wineserver has the patch) */
        FIXME( "this Wine cannot open ICMPv6 sockets: Icmp6SendEcho2 fails with ERROR_NOT_SUPPORTED\n" );
    err = win32_error_from_wsa( err );
    if (err == ERROR_ACCESS_DENIED) explain_access_denied();
    if (err == ERROR_NOT_SUPPORTED || err == ERROR_ACCESS_DENIED) *known = err;
    return err;
}

/* Opens a raw socket of the family for the source `src` (any, or bound to
 * it); the source's error is ERROR_INVALID_NETNAME when it is not ours. */
static DWORD socket_open( int family, const SOCKADDR_INET *src, struct echo_socket **ret )
{
    struct echo_socket *sock;
    int rcvbuf = socket_rcvbuf();
    WSADATA wsa;
    DWORD err;

    if ((err = WSAStartup( MAKEWORD(2, 2), &wsa ))) return win32_error_from_wsa( err );
    if (!(sock = HeapAlloc( GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof(*sock) )))
    {
        WSACleanup();
        return ERROR_NOT_ENOUGH_MEMORY;
    }
    sock->s = INVALID_SOCKET;
    sock->ops = socket_ops_for_family( family );
    sock->src = *src;
    sock->src.si_family = family;
    if ((err = socket_create( sock ))) goto failed;
    if (!sock->ops->family->is_any( &sock->src ) && bind( sock->s, (struct sockaddr *)&sock->src, sock->ops->family->sockaddr_len ))
    {
        err = last_wsa_error();
        TRACE( "cannot bind to the source: %lu\n", err );
        goto failed;
    }
    sock->ops = sock->ops->family->setup( sock );
    sock->ttl = sock->default_ttl;
    setsockopt( sock->s, SOL_SOCKET, SO_RCVBUF, (char *)&rcvbuf, sizeof(rcvbuf) );
    err = ERROR_NOT_ENOUGH_MEMORY;
    if (!(sock->ov.hEvent = WSACreateEvent()) || !(sock->rx = HeapAlloc( GetProcessHeap(), 0, ECHO_RX_BUFFER )))
        goto failed;
    TRACE( "%s socket for source %s\n", sock->ops->name, debugstr_source( sock ) );
    *ret = sock;
    return 0;

failed:
    socket_free( sock );
    return err;
}

/* Adds a new socket to the list unless another thread added one for the
 * same family and source meanwhile; *ret is the one to use. */
static DWORD socket_add( struct echo_socket *sock, struct echo_socket **ret )
{
    unsigned int i;
    DWORD err = 0;

    EnterCriticalSection( &engine.cs );
    for (i = 0; i < engine.socket_count; i++)
        if (socket_is_for( engine.sockets[i], sock->ops->family->family, &sock->src )) break;
    if (i < engine.socket_count) *ret = engine.sockets[i];
    else if (engine.socket_count == ECHO_MAX_SOCKETS) err = ERROR_TOO_MANY_OPEN_FILES;
    else engine.sockets[engine.socket_count++] = *ret = sock;
    LeaveCriticalSection( &engine.cs );
    if (*ret != sock) socket_free( sock );
    else SetEvent( engine.wake );  /* the receive thread listens on it from now on */
    return err;
}

/* Finds or opens the socket for a family and source address, starting the
 * engine with the first one. Called without engine locks. */
DWORD socket_get( const SOCKADDR_INET *src, int family, struct echo_socket **ret )
{
    struct echo_socket *sock;
    unsigned int i;
    DWORD err;

    EnterCriticalSection( &engine.cs );
    for (i = 0; i < engine.socket_count; i++)
        if (socket_is_for( engine.sockets[i], family, src )) break;
    *ret = i < engine.socket_count ? engine.sockets[i] : NULL;
    LeaveCriticalSection( &engine.cs );
    if (*ret) return 0;

    if ((err = socket_open( family, src, &sock ))) return err;
    if ((err = engine_start()))
    {
        socket_free( sock );
        return err;
    }
    return socket_add( sock, ret );
}

/* Sends one built packet (engine.send_cs held). */
DWORD socket_send( struct echo_socket *sock, const BYTE *packet, size_t len, const SOCKADDR_INET *dst )
{
    if (sendto( sock->s, (const char *)packet, (int)len, 0, (const struct sockaddr *)dst,
                sock->ops->family->sockaddr_len ) >= 0)
        return 0;
    return last_wsa_error();
}
