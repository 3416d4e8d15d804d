/*
 * The engine's sockets: one per family for any source (never closed), and
 * one per source address a request names (bound: that bind is how a source
 * that is not ours is recognised). A socket is found or opened by
 * socket_acquire and let go by socket_release; each request in flight holds
 * a reference. A bound socket nobody holds is closed by the receive thread
 * (socket_close_idle) once SOCKET_IDLE_MS have passed, or at once when more
 * than SOCKET_IDLE_MAX are idle (the least recently used first), so any
 * number of source addresses can be used over a process's life. Also:
 * sending, and why no ICMP socket can be opened (said once per process).
 *
 * Owns struct echo_socket's life and its place in engine.sockets; the
 * receive side (echo_receive.c) and the options (echo_family.c) are
 * others'.
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
#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(icmp);
WINE_DECLARE_DEBUG_CHANNEL(winediag);

#define SOCKET_IDLE_MS   10000
#define SOCKET_IDLE_MAX  8

#define SOCKET_OF( elem ) ECHO_LIST_ENTRY( elem, struct echo_socket, entry )

static BOOL socket_is_bound( const struct echo_socket *sock )
{
    return !sock->ops->family->is_any( &sock->src );
}

static void socket_free( struct echo_socket *sock )
{
    if (sock->s != INVALID_SOCKET) closesocket( sock->s );
    receive_free( sock );
    DeleteCriticalSection( &sock->send_cs );
    HeapFree( GetProcessHeap(), 0, sock );
    WSACleanup();
}

static const char *debugstr_source( const struct echo_socket *sock )
{
    uint8_t a[ICMP_ADDR_LEN];

    if (!socket_is_bound( sock )) return "any";
    sock->ops->family->address_bytes( &sock->src, a );
    return sock->ops->family->debugstr_address( a );
}

/* Whether sock is the one for this family and source. */
static BOOL socket_is_for( const struct echo_socket *sock, int family, const SOCKADDR_INET *src )
{
    const struct family_ops *ops = sock->ops->family;
    uint8_t a[ICMP_ADDR_LEN], b[ICMP_ADDR_LEN];

    if (ops->family != family) return FALSE;
    if (ops->is_any( src )) return ops->is_any( &sock->src );
    ops->address_bytes( src, a );
    ops->address_bytes( &sock->src, b );
    return !memcmp( a, b, ICMP_ADDR_LEN ) &&
           (family != AF_INET6 || sock->src.Ipv6.sin6_scope_id == src->Ipv6.sin6_scope_id);
}

/* Says once per process, at a level shown without any debug channel, why
 * no ICMP socket can be opened and what to do about it. */
static void explain_access_denied( void )
{
    static LONG once;
    char range[64] = "";
    DWORD i;

    if (InterlockedExchange( &once, 1 )) return;
    if (!GetProcAddress( GetModuleHandleA( "ntdll.dll" ), "wine_get_version" ))
    {
        ERR_(winediag)( "cannot open a raw ICMP socket: Windows gives raw sockets only to an elevated (administrator) "
                        "process; run the program as administrator\n" );
        return;
    }
    /* under Wine: wineserver creates the socket, as a raw one (CAP_NET_RAW)
     * or, when that is refused, a Linux ping socket (the group's permission) */
    if (engine_read_unix_file( "/proc/sys/net/ipv4/ping_group_range", range, sizeof(range) ))
    {
        for (i = strlen( range ); i && (range[i - 1] == '\n' || range[i - 1] == ' '); i--) range[i - 1] = 0;
        for (i = 0; range[i]; i++) if (range[i] == '\t') range[i] = ' ';
    }
    ERR_(winediag)( "cannot open an ICMP socket: wineserver has no CAP_NET_RAW for raw sockets, and this user's "
                    "group may not open ping sockets (net.ipv4.ping_group_range is \"%s\"). Either allow ping "
                    "sockets for the group (sysctl -w net.ipv4.ping_group_range=\"0 2147483647\", or the group's "
                    "id for both numbers), or give wineserver the capability (setcap cap_net_raw+ep on the "
                    "wineserver binary, e.g. /usr/lib/wine/wineserver64). Until then echo requests fail with "
                    "ERROR_ACCESS_DENIED.\n", range[0] ? range : "?" );
}

/* Why a family's sockets cannot be opened, once that is known for the
 * process's life (no such protocol, no privilege): later requests fail at
 * once with it instead of asking wineserver again and warning each time. */
static DWORD socket_create( struct echo_socket *sock )
{
    const struct family_ops *ops = sock->ops->family;
    DWORD *known = &engine.create_error[ops->family == AF_INET6], err;

    EnterCriticalSection( &engine.cs );
    err = *known;
    LeaveCriticalSection( &engine.cs );
    if (err) return err;
    sock->s = WSASocketW( ops->family, SOCK_RAW, ops->protocol, NULL, 0, WSA_FLAG_OVERLAPPED );
    if (sock->s != INVALID_SOCKET) return 0;
    err = WSAGetLastError();
    WARN( "cannot open a raw %s socket: %lu\n", ops->family == AF_INET6 ? "ICMPv6" : "ICMP", err );
    if (err == WSAEPROTONOSUPPORT && ops->family == AF_INET6)
        /* stock Wine's server maps no IPPROTO_ICMPV6 to the host (every
         * release up to at least Wine 10; tools/wineserver has the patch) */
        FIXME( "this Wine cannot open ICMPv6 sockets: Icmp6SendEcho2 fails with ERROR_NOT_SUPPORTED\n" );
    err = win32_error_from_wsa( err );
    if (err == ERROR_ACCESS_DENIED) explain_access_denied();
    if (err == ERROR_NOT_SUPPORTED || err == ERROR_ACCESS_DENIED)
    {
        EnterCriticalSection( &engine.cs );
        *known = err;
        LeaveCriticalSection( &engine.cs );
    }
    return err;
}

/* Opens a raw socket of the family for the source `src` (any, or bound to
 * it); the source's error is ERROR_INVALID_NETNAME when it is not ours. */
static DWORD socket_open( int family, const SOCKADDR_INET *src, struct echo_socket **ret )
{
    struct echo_socket *sock;
    int rcvbuf = flow_rcvbuf();
    WSADATA wsa;
    DWORD err;

    if ((err = WSAStartup( MAKEWORD(2, 2), &wsa ))) return win32_error_from_wsa( err );
    if (!(sock = HeapAlloc( GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof(*sock) )))
    {
        WSACleanup();
        return ERROR_NOT_ENOUGH_MEMORY;
    }
    InitializeCriticalSection( &sock->send_cs );
    sock->s = INVALID_SOCKET;
    sock->refs = 2;   /* the list's and the caller's */
    sock->ops = family_default_ops( family );
    sock->src = *src;
    sock->src.si_family = family;
    if ((err = socket_create( sock ))) goto failed;
    if (socket_is_bound( sock ) && bind( sock->s, (struct sockaddr *)&sock->src, sock->ops->family->sockaddr_len ))
    {
        err = win32_error_from_wsa( WSAGetLastError() );
        TRACE( "cannot bind to the source: %lu\n", err );
        goto failed;
    }
    sock->ops = sock->ops->family->setup( sock );
    sock->ttl = sock->default_ttl;
    /* (the queue's size rules the flow budget: what was granted, or, if the
     * size could not be set, what the socket has) */
    if (setsockopt( sock->s, SOL_SOCKET, SO_RCVBUF, (char *)&rcvbuf, sizeof(rcvbuf) ))
    {
        int len = sizeof(rcvbuf);
        WARN( "SO_RCVBUF %d refused: %d\n", rcvbuf, WSAGetLastError() );
        if (getsockopt( sock->s, SOL_SOCKET, SO_RCVBUF, (char *)&rcvbuf, &len )) rcvbuf = 0;
        flow_queue( rcvbuf, FALSE );
    }
    else flow_queue( rcvbuf, TRUE );
    err = ERROR_NOT_ENOUGH_MEMORY;
    if (!receive_init( sock )) goto failed;
    TRACE( "%s socket %p for source %s\n", sock->ops->name, sock, debugstr_source( sock ) );
    *ret = sock;
    return 0;

failed:
    socket_free( sock );
    return err;
}

/* engine.cs held */
static struct echo_socket *socket_find( int family, const SOCKADDR_INET *src )
{
    struct echo_list *elem;

    for (elem = engine.sockets.next; elem != &engine.sockets; elem = elem->next)
        if (socket_is_for( SOCKET_OF( elem ), family, src )) return SOCKET_OF( elem );
    return NULL;
}

/* engine.cs held */
void socket_addref_locked( struct echo_socket *sock )
{
    if (sock->refs++ == 1 && socket_is_bound( sock )) engine.idle_bound--;
}

void socket_addref( struct echo_socket *sock )
{
    EnterCriticalSection( &engine.cs );
    socket_addref_locked( sock );
    LeaveCriticalSection( &engine.cs );
}

/* Finds or opens the socket for a family and source address, with a
 * reference for the caller. Called without engine locks. */
DWORD socket_acquire( const SOCKADDR_INET *src, int family, struct echo_socket **ret )
{
    struct echo_socket *sock, *found;
    DWORD err;

    EnterCriticalSection( &engine.cs );
    if ((*ret = socket_find( family, src ))) socket_addref_locked( *ret );
    LeaveCriticalSection( &engine.cs );
    if (*ret) return 0;

    if ((err = socket_open( family, src, &sock ))) return err;
    EnterCriticalSection( &engine.cs );
    if ((found = socket_find( family, src ))) socket_addref_locked( found );   /* another thread was quicker */
    else
    {
        echo_list_add_tail( &engine.sockets, &sock->entry );
        flow_set_sockets( &engine.flow, ++engine.socket_count );
    }
    LeaveCriticalSection( &engine.cs );
    if (found)
    {
        socket_free( sock );
        sock = found;
    }
    *ret = sock;
    return 0;
}

/* Lets go of a reference; a bound socket nobody holds becomes idle. */
void socket_release( struct echo_socket *sock )
{
    BOOL wake = FALSE;

    EnterCriticalSection( &engine.cs );
    sock->last_used = engine_now_ms();
    echo_list_remove( &sock->entry );
    echo_list_add_tail( &engine.sockets, &sock->entry );
    if (--sock->refs == 1 && socket_is_bound( sock )) wake = ++engine.idle_bound > SOCKET_IDLE_MAX;
    LeaveCriticalSection( &engine.cs );
    if (wake) engine_wake();   /* too many idle: the receive thread closes the oldest */
}

/* The receive thread: closes the bound sockets only the list holds that
 * were idle for SOCKET_IDLE_MS, and the least recently used ones beyond
 * SOCKET_IDLE_MAX; *next: when to look again. */
void socket_close_idle( ULONGLONG now, ULONGLONG *next )
{
    struct echo_list *elem, *after, closing;

    echo_list_init( &closing );
    EnterCriticalSection( &engine.cs );
    for (elem = engine.sockets.next; elem != &engine.sockets; elem = after)
    {
        struct echo_socket *sock = SOCKET_OF( elem );

        after = elem->next;
        if (sock->refs != 1 || !socket_is_bound( sock )) continue;
        if (engine.idle_bound <= SOCKET_IDLE_MAX && now < sock->last_used + SOCKET_IDLE_MS)
        {
            *next = min( *next, sock->last_used + SOCKET_IDLE_MS );
            continue;
        }
        echo_list_remove( elem );
        echo_list_add_tail( &closing, elem );
        engine.idle_bound--;
        flow_set_sockets( &engine.flow, --engine.socket_count );
    }
    LeaveCriticalSection( &engine.cs );
    while ((elem = echo_list_head( &closing )))
    {
        struct echo_socket *sock = SOCKET_OF( elem );

        echo_list_remove( elem );
        TRACE( "closing the idle socket %p for source %s\n", sock, debugstr_source( sock ) );
        receive_cancel( sock );   /* (the receive thread's: no request holds the socket) */
        socket_free( sock );
    }
}

/* sendto; but in a thread past our DLL_THREAD_DETACH (a later DLL's
 * detach, or the exe's TLS callbacks, which Wine runs after every DLL's),
 * overlapped with an event of our own: after ws2_32's own detach a plain
 * sendto would give the thread new Winsock data and an event that nothing
 * frees any more. */
static int send_packet( struct echo_socket *sock, const BYTE *packet, size_t len, const SOCKADDR_INET *dst )
{
    WSABUF buf = { (ULONG)len, (char *)packet };
    WSAOVERLAPPED ov = { 0 };
    DWORD sent, flags;
    int ret;

    if (!thread_detached())
        return sendto( sock->s, (const char *)packet, (int)len, 0, (const struct sockaddr *)dst,
                       sock->ops->family->sockaddr_len ) < 0;
    if (!(ov.hEvent = CreateEventW( NULL, TRUE, FALSE, NULL ))) return -1;
    ret = WSASendTo( sock->s, &buf, 1, &sent, 0, (const struct sockaddr *)dst, sock->ops->family->sockaddr_len,
                     &ov, NULL );
    if (ret && WSAGetLastError() == WSA_IO_PENDING)
        ret = !WSAGetOverlappedResult( sock->s, &ov, &sent, TRUE, &flags );
    CloseHandle( ov.hEvent );
    return ret;
}

/* Builds an echo request and sends it (send_cs held: the socket's options
 * are the request's); a Win32 error or 0. */
DWORD socket_send_echo( struct echo_socket *sock, USHORT id, USHORT seq, const struct echo_params *p )
{
    BYTE stack_packet[ICMP_HDR_LEN + 256], *packet = stack_packet;
    size_t len;
    DWORD err = 0;

    if (p->data_size > sizeof(stack_packet) - ICMP_HDR_LEN &&
        !(packet = HeapAlloc( GetProcessHeap(), 0, ICMP_HDR_LEN + p->data_size )))
        return ERROR_NOT_ENOUGH_MEMORY;
    len = sock->ops->family->build( packet, ICMP_HDR_LEN + p->data_size, id, seq, p->data, p->data_size );
    TRACE( "sending seq %u: %u bytes, ttl %d tos %d df %d, %u option bytes, timeout %lu\n", seq, p->data_size,
           sock->ttl, sock->tos, sock->df, p->options_size, p->timeout );
    if (send_packet( sock, packet, len, &p->dst ))
    {
        err = win32_error_from_wsa( WSAGetLastError() );
        TRACE( "seq %u: sendto failed: %lu\n", seq, err );
    }
    if (packet != stack_packet) HeapFree( GetProcessHeap(), 0, packet );
    return err;
}
