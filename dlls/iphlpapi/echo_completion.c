/*
 * Completion: writing a request's result into the caller's reply buffer
 * and telling the caller: waking a synchronous caller, signalling an event,
 * or handing the request to echo_apc.c for its APC; the references that
 * keep an asynchronous request alive until then. Also the table of local
 * failures to the IP_STATUS a request completes with.
 *
 * Called with the request already out of the pending table and the timer
 * heap (echo_request.c); must not touch either.
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
#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(icmp);

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

/* The status a request completes with when it failed here, not on the
 * network: the send itself, or the socket's options. */
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

/* ---- completion ---- */

/* Drops a reference to an asynchronous request (synchronous ones live on
 * their caller's stack and are never freed). */
void request_release( struct echo_request *req )
{
    if (req->how != COMPLETE_WAKE && !InterlockedDecrement( &req->refs ))
        HeapFree( GetProcessHeap(), 0, req );
}

/* Writes the result into the caller's buffer and tells the caller. */
void completion_finish( struct echo_request *req, const struct icmp_result *res )
{
    req->status = res->status;
    req->reply_count = res->reply_count;
    req->written = req->ops->family->write_reply( req->reply, req->reply_size, res );
    TRACE( "completed seq %u: status %u, address %s, rtt %u, %lu bytes\n", req->key.seq, res->status,
           req->ops->family->debugstr_address( res->address ), res->rtt_ms, req->written );

    switch (req->how)
    {
    case COMPLETE_WAKE:
        EnterCriticalSection( &engine.cs );
        req->done = TRUE;
        WakeAllConditionVariable( &req->cv );
        LeaveCriticalSection( &engine.cs );
        break;
    case COMPLETE_EVENT:
        SetEvent( req->event );
        CloseHandle( req->event );
        request_release( req );
        break;
    case COMPLETE_APC:
        apc_queue( req );
        break;
    }
}

/* Completes a request with a status and no packet. */
void completion_fail( struct echo_request *req, DWORD status )
{
    struct icmp_result res;

    memset( &res, 0, sizeof(res) );
    res.status = status;
    completion_finish( req, &res );
}
