/*
 * What the echo engine's files share, and nothing else includes:
 *
 *   echo_engine.c      engine state, starting it (once), clocks, DllMain hooks
 *   echo_socket.c      sockets: the ops table per family and socket kind,
 *                      opening, binding, options, sending, Winsock -> Win32
 *   echo_request.c     requests: the pending table, timers, the send path,
 *                      the synchronous wait
 *   echo_receive.c     the receive thread: receiving, matching, expiring
 *   echo_flow.c        flow control: the budget of receive-buffer bytes
 *                      that requests in flight may fill
 *   echo_completion.c  finishing a request: the reply buffer, waking the
 *                      caller, signalling the event
 *   echo_apc.c         APC completions: the threads they go to, one APC per
 *                      burst of completions, what an exiting thread leaves
 *
 * Locks, in the only order they may be taken: the loader lock (DllMain),
 * then engine.send_cs (socket option state and the send itself), then
 * engine.cs (pending table, timer heap, socket list, flow budget, wake_at),
 * then engine.apc_cs (queued APCs and their threads). The receive thread
 * takes engine.cs and engine.apc_cs only. No engine lock is held across a
 * call that may take the loader lock (GetModuleHandleEx, thread creation)
 * or that waits for another thread, except the flow budget's condition
 * variable (which releases engine.cs while it waits); a completion signals
 * its caller (SetEvent, NtQueueApcThread) without engine.cs held.
 *
 * Errors: engine functions return Win32 error codes (0 for success).
 * Winsock's codes are turned into them in one place, at the socket
 * boundary (win32_error_from_wsa); IP_STATUS values appear only as the
 * status a request completes with (ip_status_from_error, the packet core).
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

#ifndef ECHO_PRIVATE_H
#define ECHO_PRIVATE_H

#include <stdarg.h>
#include <stdint.h>

#define PIO_APC_ROUTINE_DEFINED
#include "ntstatus.h"
#define WIN32_NO_STATUS
#include "winsock2.h"
#include "ws2tcpip.h"
#include "windef.h"
#include "winbase.h"
#include "winternl.h"
#include "ipexport.h"

#include "icmp_packet.h"
#include "timer_heap.h"
#include "echo_engine.h"

#define ECHO_MAX_SOCKETS  32            /* the default socket per family plus bound sources */
#define ECHO_SEQ_SPACE    65536
#define ECHO_RX_BUFFER    (65536 + 64)
#define ECHO_RCVBUF       (1 << 20)     /* SO_RCVBUF asked for (ICMP_ECHO_SO_RCVBUF overrides it) */
#define ECHO_MIN_TIMEOUT  16            /* ms: shorter timeouts wait this long (see echo_request.c) */

/* a doubly linked list through LIST_ENTRY (winnt.h) */
static inline void list_init( LIST_ENTRY *head )
{
    head->Flink = head->Blink = head;
}

static inline void list_add_tail( LIST_ENTRY *head, LIST_ENTRY *entry )
{
    entry->Flink = head;
    entry->Blink = head->Blink;
    head->Blink->Flink = entry;
    head->Blink = entry;
}

static inline void list_remove( LIST_ENTRY *entry )
{
    entry->Blink->Flink = entry->Flink;
    entry->Flink->Blink = entry->Blink;
    entry->Flink = entry->Blink = entry;
}

static inline BOOL list_empty( const LIST_ENTRY *head )
{
    return head->Flink == head;
}

struct echo_socket;

/* What differs between IPv4 and IPv6 (ipv4_family, ipv6_family in
 * echo_socket.c). */
struct family_ops
{
    int family;                             /* AF_INET, AF_INET6 */
    int protocol;                           /* IPPROTO_ICMP, IPPROTO_ICMPV6 */
    int sockaddr_len;
    uint8_t key_family;                     /* 4 or 6, as the packet core counts */
    DWORD reply_struct_size;                /* ICMP_ECHO_REPLY or ICMPV6_ECHO_REPLY */
    /* an address's bytes as the packet core stores them */
    void (*address_bytes)( const SOCKADDR_INET *addr, uint8_t out[ICMP_ADDR_LEN] );
    /* whether addr names any source (the default socket) */
    BOOL (*is_any)( const SOCKADDR_INET *addr );
    /* whether addr is a loopback address (our own request then reaches our sockets too) */
    BOOL (*is_loopback)( const SOCKADDR_INET *addr );
    /* reads a new socket's defaults and tells which kind Wine gave us */
    const struct socket_ops *(*setup)( struct echo_socket *sock );
    /* brings the socket's options to what a request asks (send_cs held) */
    DWORD (*set_options)( struct echo_socket *sock, const struct echo_params *p );
    size_t (*build)( uint8_t *out, size_t len, uint16_t id, uint16_t seq, const void *data, size_t size );
    /* parses what the socket received */
    enum icmp_kind (*parse)( const struct echo_socket *sock, const BYTE *pkt, DWORD len, struct icmp_packet *out );
    size_t (*write_reply)( BYTE *buf, DWORD size, const struct icmp_result *res );
    const char *(*debugstr_address)( const uint8_t addr[ICMP_ADDR_LEN] );
};

/* What differs between the kinds of socket Wine may give us: a raw socket,
 * or (without CAP_NET_RAW) a Linux ping socket. One table per family and
 * kind: ipv4_raw_ops, ipv4_ping_ops, ipv6_raw_ops, ipv6_ping_ops. */
struct socket_ops
{
    const char *name;
    const struct family_ops *family;
    icmp_echo_check echo_check;             /* how an echo reply proves it is ours */
};

struct echo_socket
{
    SOCKET s;
    const struct socket_ops *ops;
    SOCKADDR_INET src;                      /* unspecified: the family's default, unbound socket */
    /* receive side: the receive thread only */
    WSAOVERLAPPED ov;
    BOOL posted;                            /* a receive is posted */
    ULONGLONG retry_at;                     /* after a failed receive: when to post again (0: now) */
    DWORD retry_delay;                      /* ms, doubled after each failure in a row */
    DWORD rx_flags;
    SOCKADDR_INET from;
    int from_len;
    BYTE *rx;
    /* send side: under engine.send_cs */
    int default_ttl;
    int ttl, tos, df;
    BYTE options[MAX_OPT_SIZE];
    int options_size;
};

enum completion_kind
{
    COMPLETE_WAKE,                          /* a synchronous caller sleeps on the request's cv */
    COMPLETE_EVENT,                         /* signal our duplicate of the caller's event */
    COMPLETE_APC,                           /* queue the caller's APC to its thread */
};

/* The thread an APC goes to, shared by its requests and its TLS slot
 * (echo_apc.c); done, apc_queued and exiting are under engine.apc_cs. */
struct thread_ref
{
    HANDLE handle;
    LONG refs;
    LIST_ENTRY done;                        /* its completed requests whose routine has not run */
    BOOL apc_queued;                        /* our APC is queued to it and has not started */
    BOOL exiting;                           /* the thread detached: nothing more runs there */
};

struct echo_request
{
    LONG refs;                              /* asynchronous: the sender's and the completion's */
    const struct socket_ops *ops;
    struct timer_node timer;
    struct icmp_request_key key;
    LARGE_INTEGER sent;                     /* QueryPerformanceCounter just before sendto */
    BOOL pending;                           /* in the pending table (and, if async, the timer heap) */
    BOOL done;                              /* COMPLETE_WAKE: the caller may return */
    enum completion_kind how;
    BYTE *reply;
    DWORD reply_size;
    DWORD written;
    DWORD reply_count;
    DWORD status;
    CONDITION_VARIABLE cv;
    HANDLE event;                           /* our duplicate of the caller's event */
    PIO_APC_ROUTINE apc;
    void *apc_context;
    struct thread_ref *thread;
    IO_STATUS_BLOCK iosb;                   /* what the APC is given */
    NTSTATUS iosb_status;                   /* its Status (Information: the bytes written) */
    LIST_ENTRY apc_entry;                   /* in thread->done until its routine runs */
    /* flow control (echo_flow.c), under engine.cs */
    DWORD flow_charge;                      /* receive-buffer bytes held, 0 when none */
    LIST_ENTRY flow_entry;                  /* in engine.flow_held, oldest first */
    ULONGLONG flow_since;                   /* when the bytes were taken (ms) */
};

struct echo_engine
{
    CRITICAL_SECTION cs;
    CRITICAL_SECTION send_cs;
    CRITICAL_SECTION apc_cs;
    HINSTANCE module;
    BOOL started;                           /* the engine runs (and the DLL is pinned) */
    DWORD thread_tls;                       /* struct thread_ref of the current thread, from the start */
    BOOL fail_receives;                     /* test hook: every receive fails (ICMP_ECHO_TEST_FAULTS=recv) */
    LARGE_INTEGER freq;
    USHORT id;                              /* identifier of every request */
    USHORT next_seq;
    struct echo_request **pending;          /* indexed by sequence number */
    unsigned int pending_count;
    struct timer_heap timers;               /* asynchronous requests */
    struct echo_socket *sockets[ECHO_MAX_SOCKETS];
    unsigned int socket_count;
    HANDLE wake;                            /* wakes the receive thread */
    ULONGLONG wake_at;                      /* when the receive thread wakes by itself */
    /* flow control (echo_flow.c) */
    DWORD flow_budget;                      /* bytes of receive buffer requests in flight may fill */
    DWORD flow_held;                        /* bytes held by requests in flight */
    LIST_ENTRY flow_requests;               /* the requests holding them, oldest first */
    CONDITION_VARIABLE flow_cv;             /* senders waiting for bytes */
    BOOL receiver_idle;                     /* the receive thread found every socket empty and waits */
    DWORD rtt_high;                         /* ms: a slowly decaying maximum of recent round trips */
};

extern struct echo_engine engine;

/* echo_engine.c */
DWORD engine_start( void );
BOOL engine_test_fault( const char *name );
ULONGLONG engine_qpc_to_ms( LONGLONG ticks );
ULONGLONG engine_now_ms( void );
void *engine_realloc( void *ptr, size_t size );

/* echo_socket.c */
const struct socket_ops *socket_ops_for_family( int family );
DWORD socket_rcvbuf( void );
DWORD socket_get( const SOCKADDR_INET *src, int family, struct echo_socket **ret );
DWORD socket_send( struct echo_socket *sock, const BYTE *packet, size_t len, const SOCKADDR_INET *dst );
DWORD win32_error_from_wsa( int err );

/* echo_request.c (engine.cs held) */
BOOL request_register( struct echo_request *req, DWORD timeout, BOOL *wake );
void request_unregister( struct echo_request *req );

/* echo_receive.c */
DWORD CALLBACK receive_thread( void *arg );

/* echo_flow.c */
void flow_init( DWORD rcvbuf );
void flow_reserve( struct echo_request *req, WORD data_size, BOOL loopback );
void flow_release( struct echo_request *req );      /* engine.cs held */
void flow_receiver_idle( BOOL idle );               /* engine.cs held */
void flow_round_trip( DWORD rtt_ms );               /* engine.cs held */

/* echo_completion.c */
void request_release( struct echo_request *req );
void completion_finish( struct echo_request *req, const struct icmp_result *res );
void completion_fail( struct echo_request *req, DWORD status );
DWORD ip_status_from_error( DWORD err );

/* echo_apc.c */
struct thread_ref *thread_ref_current( void );
void thread_ref_release( struct thread_ref *ref );
void apc_queue( struct echo_request *req );
void apc_thread_detach( void );

#endif /* ECHO_PRIVATE_H */
