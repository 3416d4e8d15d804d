/*
 * The engine's two error maps, each the only one of its kind: Winsock's
 * codes as Win32 errors (at the socket boundary), and the Win32 errors of
 * a request that failed here as the IP_STATUS it completes with. The
 * packet core's status values are tied to the SDK's here too.
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

#include "echo_private.h"
#include "icmpv6_reply.h"

C_ASSERT( IP_SUCCESS == ICMP_STATUS_SUCCESS );
C_ASSERT( IP_DEST_NET_UNREACHABLE == ICMP_STATUS_DEST_NET_UNREACH );
C_ASSERT( IP_DEST_HOST_UNREACHABLE == ICMP_STATUS_DEST_HOST_UNREACH );
C_ASSERT( IP_DEST_PROT_UNREACHABLE == ICMP_STATUS_DEST_PROT_UNREACH );
C_ASSERT( IP_DEST_PORT_UNREACHABLE == ICMP_STATUS_DEST_PORT_UNREACH );
C_ASSERT( IP_NO_RESOURCES == ICMP_STATUS_NO_RESOURCES );
C_ASSERT( IP_BAD_OPTION == ICMP_STATUS_BAD_OPTION );
C_ASSERT( IP_PACKET_TOO_BIG == ICMP_STATUS_PACKET_TOO_BIG );
C_ASSERT( IP_REQ_TIMED_OUT == ICMP_STATUS_REQ_TIMED_OUT );
C_ASSERT( IP_BAD_ROUTE == ICMP_STATUS_BAD_ROUTE );
C_ASSERT( IP_TTL_EXPIRED_TRANSIT == ICMP_STATUS_TTL_EXPIRED_TRANSIT );
C_ASSERT( IP_TTL_EXPIRED_REASSEM == ICMP_STATUS_TTL_EXPIRED_REASSEM );
C_ASSERT( IP_PARAM_PROBLEM == ICMP_STATUS_PARAM_PROBLEM );
C_ASSERT( IP_SOURCE_QUENCH == ICMP_STATUS_SOURCE_QUENCH );
C_ASSERT( IP_GENERAL_FAILURE == ICMP_STATUS_GENERAL_FAILURE );
C_ASSERT( IP_DEST_NO_ROUTE == ICMP_STATUS_DEST_NO_ROUTE );
C_ASSERT( IP_DEST_ADDR_UNREACHABLE == ICMP_STATUS_DEST_ADDR_UNREACH );
C_ASSERT( IP_DEST_PROHIBITED == ICMP_STATUS_DEST_PROHIBITED );
C_ASSERT( IP_HOP_LIMIT_EXCEEDED == ICMP_STATUS_HOP_LIMIT_EXCEEDED );
C_ASSERT( IP_REASSEMBLY_TIME_EXCEEDED == ICMP_STATUS_REASSEMBLY_TIME );
C_ASSERT( IP_PARAMETER_PROBLEM == ICMP_STATUS_PARAMETER_PROBLEM );
C_ASSERT( IP_DEST_UNREACHABLE == ICMP_STATUS_DEST_UNREACHABLE );
C_ASSERT( IP_TIME_EXCEEDED == ICMP_STATUS_TIME_EXCEEDED );
C_ASSERT( IP_BAD_HEADER == ICMP_STATUS_BAD_HEADER );
C_ASSERT( IP_ICMP_ERROR == ICMP_STATUS_ICMP_ERROR );
C_ASSERT( IP_DEST_SCOPE_MISMATCH == ICMP_STATUS_SCOPE_MISMATCH );

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

/* The status a request completes with when it failed here, not on the
 * network (a Win32 error of the send path or of sending). */
DWORD ip_status_from_error( DWORD err )
{
    switch (err)
    {
    case ERROR_BAD_LENGTH:          return IP_PACKET_TOO_BIG;         /* DF over the local MTU */
    case ERROR_NETWORK_UNREACHABLE: return IP_DEST_NET_UNREACHABLE;
    case ERROR_HOST_UNREACHABLE:    return IP_DEST_HOST_UNREACHABLE;
    case ERROR_NOT_ENOUGH_MEMORY:   return IP_NO_RESOURCES;
    case ERROR_INVALID_DATA:        return IP_BAD_OPTION;             /* IP options the stack refuses */
    default:                        return IP_GENERAL_FAILURE;
    }
}
