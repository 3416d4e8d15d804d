/*
 * The echo engine's entry points for the API layer (icmp_api.c): one
 * request whose arguments are checked goes in, what IcmpSendEcho2Ex or
 * Icmp6SendEcho2 returns comes out. Everything behind it is private to the
 * echo_*.c files (echo_private.h).
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

struct echo_params
{
    SOCKADDR_INET src;           /* si_family as dst; the unspecified address: any source */
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

/* Sends one echo request whose handle, reply buffer and destination the
 * API layer has checked; returns what IcmpSendEcho2Ex (or Icmp6SendEcho2)
 * returns and sets the last error. */
DWORD echo_request_submit( const struct echo_params *params );

/* DllMain's calls */
BOOL echo_engine_process_attach( HINSTANCE instance );
void echo_engine_process_detach( void *reserved );
void echo_engine_thread_detach( void );

#endif /* ECHO_ENGINE_H */
