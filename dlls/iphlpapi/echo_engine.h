/*
 * The echo engine's interface for the API layer (icmp_api.c): a request
 * whose arguments icmp_api.c has checked goes in; a Win32 error, or what
 * became of the request, comes out. icmp_api.c turns that into what
 * IcmpSendEcho2Ex or Icmp6SendEcho2 return. Everything behind it is
 * private to the echo_*.c files (echo_private.h).
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

#ifndef ECHO_ENGINE_H
#define ECHO_ENGINE_H

#include <stdarg.h>
#include "windef.h"
#include "winbase.h"
#include "winternl.h"
#include "ws2def.h"
#include "ws2ipdef.h"

struct echo_socket;

struct echo_params
{
    SOCKADDR_INET dst;           /* AF_INET or AF_INET6 */
    const void *data;
    WORD data_size;
    BYTE ttl;                    /* 0: the socket's default (IPv4 TTL, IPv6 hop limit) */
    BYTE tos, flags;             /* IPv4 only */
    BYTE options_size;           /* IPv4 options, at most MAX_OPT_SIZE bytes */
    const BYTE *options;
    DWORD unsent_status;         /* not 0: the request completes with it and nothing is sent */
    NTSTATUS unsent_iosb_status; /* ... and an APC's IO_STATUS_BLOCK gets this Status */
    void *reply;
    DWORD reply_size;
    DWORD timeout;
    HANDLE event;                /* asynchronous when event or apc is set; the event wins */
    PIO_APC_ROUTINE apc;
    void *apc_context;
};

/* what became of a submitted request */
struct echo_outcome
{
    BOOL pending;                /* asynchronous: it completes later (Event or APC) */
    DWORD reply_count;           /* synchronous: replies written (status IP_SUCCESS or an ICMP error) */
    DWORD status;                /* an IP_STATUS: a synchronous request's, or why one was refused */
};

/* Opens (or finds) the socket a request from src (any when unspecified)
 * to the family is sent from, starting the engine with its first one; a
 * Win32 error, ERROR_INVALID_NETNAME when src is not an address of ours. */
DWORD echo_engine_open( const SOCKADDR_INET *src, int family, struct echo_socket **sock );
/* Lets go of an opened socket that no request used. */
void echo_engine_close( struct echo_socket *sock );
/* Sends a request from the socket (whose reference it takes over);
 * returns 0 with *out filled, or a Win32 error (nothing was sent then). A
 * synchronous request has completed when it returns. */
DWORD echo_engine_submit( struct echo_socket *sock, const struct echo_params *p, struct echo_outcome *out );

/* DllMain's calls */
BOOL echo_engine_process_attach( HINSTANCE instance );
void echo_engine_process_detach( void *reserved );
void echo_engine_thread_detach( void );

#endif /* ECHO_ENGINE_H */
