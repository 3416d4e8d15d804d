/*
 * The ICMP echo API entry points: argument checks in the order Windows makes
 * them, then the echo engine.
 */
#include <stdarg.h>
#include <string.h>

#define PIO_APC_ROUTINE_DEFINED
#include "winsock2.h"
#include "ws2ipdef.h"
#include "windef.h"
#include "winbase.h"
#include "winternl.h"
#include "iphlpapi.h"
#include "icmpapi.h"
#include "wine/debug.h"

#include "icmpcore.h"
#include "icmp_handle.h"
#include "echo_engine.h"

WINE_DEFAULT_DEBUG_CHANNEL(icmp);

BOOL WINAPI DllMain( HINSTANCE instance, DWORD reason, void *reserved )
{
    switch (reason)
    {
    case DLL_PROCESS_ATTACH:
        return echo_engine_process_attach( instance );
    case DLL_THREAD_DETACH:
        echo_engine_thread_detach();
        break;
    }
    return TRUE;
}

HANDLE WINAPI IcmpCreateFile( void )
{
    return icmp_handle_alloc( AF_INET );
}

HANDLE WINAPI Icmp6CreateFile( void )
{
    return icmp_handle_alloc( AF_INET6 );
}

BOOL WINAPI IcmpCloseHandle( HANDLE handle )
{
    if (!icmp_handle_free( handle ))
    {
        SetLastError( ERROR_INVALID_HANDLE );
        return FALSE;
    }
    return TRUE;
}

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

/* The checks on the request data both families make, after the address
 * checks; an error code or 0. */
static DWORD check_request( const void *request, WORD request_size )
{
    if (request_size > ICMP_MAX_DATA) return IP_GENERAL_FAILURE;
    if (request_size && !request) return ERROR_INVALID_PARAMETER;
    return 0;
}

/* Completes p with what both families pass the same way, and sends it. */
static DWORD send_echo( struct echo_params *p, void *request, WORD request_size, void *reply, DWORD reply_size,
                           DWORD timeout, HANDLE event, PIO_APC_ROUTINE apc, void *apc_context )
{
    p->data = request;
    p->data_size = request_size;
    p->reply = reply;
    p->reply_size = reply_size;
    p->timeout = timeout;
    p->event = event;
    p->apc = event ? NULL : apc;  /* with an event the APC is ignored */
    p->apc_context = apc_context;
    return echo_send( p );
}

/* ICMPV6_ECHO_REPLY: Status at offset 28 */
DWORD WINAPI Icmp6ParseReplies( void *reply, DWORD reply_size )
{
    DWORD status;

    if (!reply || reply_size < ICMPV6_ECHO_REPLY_SIZE)
    {
        SetLastError( ERROR_INVALID_PARAMETER );
        return 0;
    }
    memcpy( &status, (BYTE *)reply + 28, sizeof(status) );
    if (status)
    {
        SetLastError( status );
        return 0;
    }
    return 1;
}

/* Reads a caller's IPv6 sockaddr into out: NULL, family 0 with all-zero
 * bytes (.NET passes 28 zero bytes) and :: all mean "any". FALSE if it is
 * neither any nor an AF_INET6 address. */
static BOOL read_sockaddr6( const struct sockaddr_in6 *in, SOCKADDR_IN6 *out )
{
    memset( out, 0, sizeof(*out) );
    out->sin6_family = AF_INET6;
    if (!in) return TRUE;
    if (in->sin6_family != AF_INET6)
    {
        static const BYTE zero[sizeof(*in)];
        return !memcmp( in, zero, sizeof(*in) );
    }
    out->sin6_addr = in->sin6_addr;
    out->sin6_scope_id = in->sin6_scope_id;
    return TRUE;
}

DWORD WINAPI Icmp6SendEcho2( HANDLE handle, HANDLE event, PIO_APC_ROUTINE apc, void *apc_context,
                             struct sockaddr_in6 *src, struct sockaddr_in6 *dst, void *request, WORD request_size,
                             IP_OPTION_INFORMATION *options, void *reply, DWORD reply_size, DWORD timeout )
{
    struct echo_params p;
    DWORD err;

    TRACE( "(%p, %p, %p, %p, %p, %p, %p, %u, %p, %p, %lu, %lu)\n", handle, event, apc, apc_context,
           src, dst, request, request_size, options, reply, reply_size, timeout );

    memset( &p, 0, sizeof(p) );
    if (icmp_handle_family( handle ) != AF_INET6 || !reply || reply_size < ICMPV6_ECHO_REPLY_SIZE || !dst)
    {
        SetLastError( ERROR_INVALID_PARAMETER );
        return 0;
    }
    if (!read_sockaddr6( dst, &p.dst6 ) || IN6_IS_ADDR_UNSPECIFIED( &p.dst6.sin6_addr ))
    {
        SetLastError( ERROR_INVALID_NETNAME );
        return 0;
    }
    if (!read_sockaddr6( src, &p.src6 ))
    {
        SetLastError( ERROR_INVALID_NETNAME );
        return 0;
    }
    if ((err = check_request( request, request_size )))
    {
        SetLastError( err );
        return 0;
    }
    if (options)
    {
        /* only the hop limit applies; 0 completes with IP_GENERAL_FAILURE */
        p.ttl = options->Ttl;
        p.hop_limit_zero = !options->Ttl;
    }
    p.ipv6 = TRUE;
    return send_echo( &p, request, request_size, reply, reply_size, timeout, event, apc, apc_context );
}

DWORD WINAPI IcmpSendEcho2Ex( HANDLE handle, HANDLE event, PIO_APC_ROUTINE apc, void *apc_context,
                              IPAddr src, IPAddr dst, void *request, WORD request_size,
                              IP_OPTION_INFORMATION *options, void *reply, DWORD reply_size, DWORD timeout )
{
    struct echo_params p;
    DWORD err;

    TRACE( "(%p, %p, %p, %p, %#lx, %#lx, %p, %u, %p, %p, %lu, %lu)\n", handle, event, apc, apc_context,
           src, dst, request, request_size, options, reply, reply_size, timeout );

    if (icmp_handle_family( handle ) != AF_INET || !reply || reply_size < sizeof(ICMP_ECHO_REPLY))
    {
        SetLastError( ERROR_INVALID_PARAMETER );
        return 0;
    }
    if (!dst)
    {
        SetLastError( ERROR_INVALID_NETNAME );
        return 0;
    }
    if ((err = check_request( request, request_size )))
    {
        SetLastError( err );
        return 0;
    }

    memset( &p, 0, sizeof(p) );
    if (options)
    {
        /* the first four bytes are the same in IP_OPTION_INFORMATION and
         * IP_OPTION_INFORMATION32; OptionsData is read only when needed */
        p.ttl = options->Ttl;
        p.tos = options->Tos;
        p.flags = options->Flags;
        p.options_size = options->OptionsSize;
        if (p.options_size)
        {
            if (p.options_size > MAX_OPT_SIZE)
            {
                SetLastError( IP_BAD_OPTION );
                return 0;
            }
            if (!(p.options = options->OptionsData))
            {
                SetLastError( ERROR_INVALID_PARAMETER );
                return 0;
            }
        }
    }
    p.src = src;
    p.dst = dst;
    return send_echo( &p, request, request_size, reply, reply_size, timeout, event, apc, apc_context );
}

DWORD WINAPI IcmpSendEcho2( HANDLE handle, HANDLE event, PIO_APC_ROUTINE apc, void *apc_context,
                            IPAddr dst, void *request, WORD request_size, IP_OPTION_INFORMATION *options,
                            void *reply, DWORD reply_size, DWORD timeout )
{
    return IcmpSendEcho2Ex( handle, event, apc, apc_context, 0, dst, request, request_size,
                            options, reply, reply_size, timeout );
}

DWORD WINAPI IcmpSendEcho( HANDLE handle, IPAddr dst, void *request, WORD request_size,
                           IP_OPTION_INFORMATION *options, void *reply, DWORD reply_size, DWORD timeout )
{
    return IcmpSendEcho2Ex( handle, NULL, NULL, NULL, 0, dst, request, request_size,
                            options, reply, reply_size, timeout );
}
