/*
 * The ICMP echo API: IcmpCreateFile, Icmp6CreateFile, IcmpCloseHandle,
 * IcmpSendEcho, IcmpSendEcho2, IcmpSendEcho2Ex, Icmp6SendEcho2,
 * IcmpParseReplies and Icmp6ParseReplies. Each checks its arguments in the
 * order Windows does, hands a request to the echo engine (echo_engine.h),
 * and turns what became of it into the function's result and last error
 * (the only place in the DLL that sets one).
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

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#define PIO_APC_ROUTINE_DEFINED
#include "ntstatus.h"
#define WIN32_NO_STATUS
#include "winsock2.h"
#include "ws2ipdef.h"
#include "windef.h"
#include "winbase.h"
#include "winternl.h"
#include "iphlpapi.h"
#include "icmpapi.h"
#include "icmpv6_reply.h"
#include "wine/debug.h"

#include "icmp_packet.h"
#include "icmp_reply.h"
#include "icmp_handle.h"
#include "echo_engine.h"

WINE_DEFAULT_DEBUG_CHANNEL(icmp);

C_ASSERT( sizeof(ICMPV6_ECHO_REPLY36) == ICMPV6_ECHO_REPLY_SIZE );
C_ASSERT( offsetof(ICMPV6_ECHO_REPLY36, Address.sin6_addr) == ICMPV6_REPLY_ADDR_OFFSET );
C_ASSERT( offsetof(ICMPV6_ECHO_REPLY36, Address.sin6_scope_id) == ICMPV6_REPLY_SCOPE_OFFSET );
C_ASSERT( offsetof(ICMPV6_ECHO_REPLY36, Status) == ICMPV6_REPLY_STATUS_OFFSET );
C_ASSERT( offsetof(ICMPV6_ECHO_REPLY36, RoundTripTime) == ICMPV6_REPLY_RTT_OFFSET );
C_ASSERT( ICMP_MAX_DATA == 65500 );

/***********************************************************************
 *              IcmpCreateFile (IPHLPAPI.@)
 */
HANDLE WINAPI IcmpCreateFile( void )
{
    return icmp_handle_alloc( AF_INET );
}

/***********************************************************************
 *              Icmp6CreateFile (IPHLPAPI.@)
 */
HANDLE WINAPI Icmp6CreateFile( void )
{
    return icmp_handle_alloc( AF_INET6 );
}

/***********************************************************************
 *              IcmpCloseHandle (IPHLPAPI.@)
 */
BOOL WINAPI IcmpCloseHandle( HANDLE handle )
{
    if (!icmp_handle_free( handle ))
    {
        SetLastError( ERROR_INVALID_HANDLE );
        return FALSE;
    }
    return TRUE;
}

/***********************************************************************
 *              IcmpParseReplies (IPHLPAPI.@)
 */
DWORD WINAPI IcmpParseReplies( void *reply, DWORD reply_size )
{
    ICMP_ECHO_REPLY *r = reply;
    DWORD count;

    if (!r || reply_size < sizeof(*r))
    {
        SetLastError( ERROR_INVALID_PARAMETER );
        return 0;
    }
    if (!(count = r->Reserved))
    {
        SetLastError( r->Status );
        return 0;
    }
    r->Reserved = 0;
    return count;
}

/***********************************************************************
 *              Icmp6ParseReplies (IPHLPAPI.@)
 */
DWORD WINAPI Icmp6ParseReplies( void *reply, DWORD reply_size )
{
    const ICMPV6_ECHO_REPLY36 *r = reply;

    if (!r || reply_size < sizeof(*r))
    {
        SetLastError( ERROR_INVALID_PARAMETER );
        return 0;
    }
    if (r->Status)
    {
        SetLastError( r->Status );
        return 0;
    }
    return 1;
}

/* The first checks both families make: a handle of the family, and a
 * reply buffer that holds the reply struct. */
static BOOL check_handle_reply( HANDLE handle, int family, const void *reply, DWORD reply_size, DWORD struct_size )
{
    return icmp_handle_family( handle ) == family && reply && reply_size >= struct_size;
}

/* The checks on the request data both families make, after the address
 * checks; an error for the caller, or 0. */
static DWORD check_request_data( const void *data, WORD size )
{
    if (size > ICMP_MAX_DATA) return IP_GENERAL_FAILURE;
    if (size && !data) return ERROR_INVALID_PARAMETER;
    return 0;
}

static DWORD fail( DWORD err )
{
    SetLastError( err );
    return 0;
}

/* What both families do after their own checks, in Windows' order: a
 * source that is not ours (found by binding the socket it is sent from),
 * then the reply buffer's room for the data, then whatever else kept the
 * socket from opening; then the request is sent. Returns what
 * IcmpSendEcho2Ex returns, with the last error set. */
static DWORD submit_echo( struct echo_params *p, const SOCKADDR_INET *src, void *data, WORD data_size,
                          void *reply, DWORD reply_size, DWORD timeout, HANDLE event, PIO_APC_ROUTINE apc,
                          void *apc_context )
{
    struct echo_socket *sock = NULL;
    struct echo_outcome out;
    DWORD err, struct_size = p->dst.si_family == AF_INET6 ? sizeof(ICMPV6_ECHO_REPLY36) : sizeof(ICMP_ECHO_REPLY);

    p->data = data;
    p->data_size = data_size;
    p->reply = reply;
    p->reply_size = reply_size;
    p->timeout = timeout;
    p->event = event;
    p->apc = event ? NULL : apc;  /* with an event the APC is ignored */
    p->apc_context = apc_context;

    err = echo_engine_open( src, p->dst.si_family, &sock );
    if (err == ERROR_INVALID_NETNAME) return fail( err );
    if (reply_size < struct_size + data_size)
    {
        if (!err) echo_engine_close( sock );
        return fail( IP_GENERAL_FAILURE );
    }
    if (err || (err = echo_engine_submit( sock, p, &out ))) return fail( err );
    if (out.pending) return fail( ERROR_IO_PENDING );
    if (!out.reply_count) return fail( out.status );
    SetLastError( 0 );
    return out.reply_count;
}

/* Reads a caller's IPv6 sockaddr into out: NULL and :: mean "any". Windows
 * reads only the address of a sockaddr whose family is 0 (.NET passes 28
 * zero bytes as the source, Wine's Windows-checked tests ::1 with family 0
 * as the destination); FALSE for any other family but AF_INET6. */
static BOOL read_sockaddr6( const struct sockaddr_in6 *in, SOCKADDR_INET *out )
{
    memset( out, 0, sizeof(*out) );
    out->Ipv6.sin6_family = AF_INET6;
    if (!in) return TRUE;
    if (in->sin6_family != AF_INET6 && in->sin6_family != AF_UNSPEC) return FALSE;
    out->Ipv6.sin6_addr = in->sin6_addr;
    out->Ipv6.sin6_scope_id = in->sin6_scope_id;
    return TRUE;
}

/***********************************************************************
 *              Icmp6SendEcho2 (IPHLPAPI.@)
 */
DWORD WINAPI Icmp6SendEcho2( HANDLE handle, HANDLE event, PIO_APC_ROUTINE apc, void *apc_context,
                             struct sockaddr_in6 *src, struct sockaddr_in6 *dst, void *request, WORD request_size,
                             IP_OPTION_INFORMATION *options, void *reply, DWORD reply_size, DWORD timeout )
{
    struct echo_params p;
    SOCKADDR_INET source;
    DWORD err;

    TRACE( "(%p, %p, %p, %p, %p, %p, %p, %u, %p, %p, %lu, %lu)\n", handle, event, apc, apc_context,
           src, dst, request, request_size, options, reply, reply_size, timeout );
    memset( &p, 0, sizeof(p) );
    if (!check_handle_reply( handle, AF_INET6, reply, reply_size, sizeof(ICMPV6_ECHO_REPLY36) ) || !dst)
        return fail( ERROR_INVALID_PARAMETER );
    if (!read_sockaddr6( dst, &p.dst ) || IN6_IS_ADDR_UNSPECIFIED( &p.dst.Ipv6.sin6_addr ))
        return fail( ERROR_INVALID_NETNAME );
    if (!read_sockaddr6( src, &source )) return fail( ERROR_INVALID_NETNAME );
    if ((err = check_request_data( request, request_size ))) return fail( err );
    if (options)
    {
        /* only the hop limit applies; 0 completes with IP_GENERAL_FAILURE,
         * unsent, and an APC is told STATUS_INVALID_PARAMETER */
        p.ttl = options->Ttl;
        if (!options->Ttl)
        {
            p.unsent_status = IP_GENERAL_FAILURE;
            p.unsent_iosb_status = STATUS_INVALID_PARAMETER;
        }
    }
    return submit_echo( &p, &source, request, request_size, reply, reply_size, timeout, event, apc, apc_context );
}

/***********************************************************************
 *              IcmpSendEcho2Ex (IPHLPAPI.@)
 */
DWORD WINAPI IcmpSendEcho2Ex( HANDLE handle, HANDLE event, PIO_APC_ROUTINE apc, void *apc_context,
                              IPAddr src, IPAddr dst, void *request, WORD request_size,
                              IP_OPTION_INFORMATION *options, void *reply, DWORD reply_size, DWORD timeout )
{
    SOCKADDR_INET source = { { 0 } };
    struct echo_params p;
    DWORD err;

    TRACE( "(%p, %p, %p, %p, %#lx, %#lx, %p, %u, %p, %p, %lu, %lu)\n", handle, event, apc, apc_context,
           src, dst, request, request_size, options, reply, reply_size, timeout );
    if (!check_handle_reply( handle, AF_INET, reply, reply_size, sizeof(ICMP_ECHO_REPLY) ))
        return fail( ERROR_INVALID_PARAMETER );
    if (!dst) return fail( ERROR_INVALID_NETNAME );
    if ((err = check_request_data( request, request_size ))) return fail( err );

    memset( &p, 0, sizeof(p) );
    if (options)
    {
        /* the first four bytes are the same in IP_OPTION_INFORMATION and
         * IP_OPTION_INFORMATION32; OptionsData is read only when needed */
        p.ttl = options->Ttl;
        p.tos = options->Tos;
        p.flags = options->Flags;
        p.options_size = options->OptionsSize;
        if (p.options_size > MAX_OPT_SIZE) return fail( IP_BAD_OPTION );
        if (p.options_size && !(p.options = options->OptionsData)) return fail( ERROR_INVALID_PARAMETER );
    }
    source.Ipv4.sin_family = AF_INET;
    source.Ipv4.sin_addr.s_addr = src;
    p.dst.Ipv4.sin_family = AF_INET;
    p.dst.Ipv4.sin_addr.s_addr = dst;
    return submit_echo( &p, &source, request, request_size, reply, reply_size, timeout, event, apc, apc_context );
}

/***********************************************************************
 *              IcmpSendEcho2 (IPHLPAPI.@)
 */
DWORD WINAPI IcmpSendEcho2( HANDLE handle, HANDLE event, PIO_APC_ROUTINE apc, void *apc_context,
                            IPAddr dst, void *request, WORD request_size, IP_OPTION_INFORMATION *options,
                            void *reply, DWORD reply_size, DWORD timeout )
{
    return IcmpSendEcho2Ex( handle, event, apc, apc_context, 0, dst, request, request_size,
                            options, reply, reply_size, timeout );
}

/***********************************************************************
 *              IcmpSendEcho (IPHLPAPI.@)
 */
DWORD WINAPI IcmpSendEcho( HANDLE handle, IPAddr dst, void *request, WORD request_size,
                           IP_OPTION_INFORMATION *options, void *reply, DWORD reply_size, DWORD timeout )
{
    return IcmpSendEcho2Ex( handle, NULL, NULL, NULL, 0, dst, request, request_size,
                            options, reply, reply_size, timeout );
}
