/*
 * Echo engine: one raw ICMP socket per process and family (plus one per
 * explicit source address), one receive thread, a pending table indexed by
 * sequence number, one timer heap, and completion by wake-up, event or APC.
 */
#ifndef ECHO_ENGINE_H
#define ECHO_ENGINE_H

#include <stdarg.h>
#include "windef.h"
#include "winbase.h"
#include "winternl.h"
#include "ipexport.h"
#include "ws2ipdef.h"

struct echo_params
{
    BOOL ipv6;                   /* ICMPv6: src6/dst6 instead of src/dst */
    IPAddr src;                  /* 0: any */
    IPAddr dst;
    SOCKADDR_IN6 src6;           /* in6addr_any: any */
    SOCKADDR_IN6 dst6;
    BOOL hop_limit_zero;         /* IPv6 options asked for hop limit 0 */
    const void *data;
    WORD data_size;
    BYTE ttl, tos, flags, options_size;
    const BYTE *options;
    void *reply;
    DWORD reply_size;
    DWORD timeout;
    HANDLE event;                /* async when event or apc is set */
    PIO_APC_ROUTINE apc;
    void *apc_context;
};

/* Sends one echo request whose arguments the API layer has checked (handle,
 * reply buffer, sizes, destination). Returns what IcmpSendEcho2Ex (or
 * Icmp6SendEcho2) returns and sets the last error. */
DWORD echo_send( const struct echo_params *params );

/* DllMain hooks */
BOOL echo_engine_process_attach( HINSTANCE instance );
void echo_engine_thread_detach( void );

#endif /* ECHO_ENGINE_H */
