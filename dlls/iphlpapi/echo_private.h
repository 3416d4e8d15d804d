/*
 * What the echo engine's files share, and nothing else includes.
 *
 * Layers, each file calling only the ones below it (no file calls back
 * up; where a lower layer must reach a higher one it is handed a function
 * pointer, as libuv hands callbacks to its I/O watchers):
 *
 *   echo_main.c      the engine's entry points for icmp_api.c: starting
 *                    it once, opening a request's socket, submitting;
 *                    DllMain's hooks; what a thread's end reaps
 *   echo_loop.c      the receive thread: one loop of reading the sockets
 *                    it receives on, expiring deadlines, delivering,
 *                    housekeeping, waiting
 *   echo_request.c   a request's whole life: creation, registration,
 *                    sending, the synchronous caller's wait (leading the
 *                    receive itself), matching replies, deadlines, the
 *                    one completion function, delivery, freeing, and what
 *                    becomes of a dead thread's calls
 *   echo_receive.c   the receive side of a socket: posting, reaping and
 *                    cancelling the receive of whoever receives on it,
 *                    telling flow control how far the sockets are read
 *                    (who receives is rx_handoff.c's decision)
 *   echo_socket.c    the socket list: opening and binding, references,
 *                    closing the ones no longer needed, sending
 *   echo_family.c    per family and socket kind (ops tables), options
 *   echo_apc.c       APC delivery to a requesting thread (apc_list.c)
 *   echo_event.c     the events of Event requests
 *   echo_flow.c      flow control across the prefix (flow_budget.c)
 *   echo_thread.c    thread records: TLS, the death watch
 *   echo_error.c     Winsock -> Win32 errors, Win32 errors -> IP_STATUS
 *   echo_engine.c    the engine's state (struct echo_engine), its clock,
 *                    whether a CPU is to spare (cpu_regime.c), test hooks
 *
 * and the pure bookkeeping they use, built natively too (tests/unit):
 * rx_handoff.c (who receives on a socket, who waits, who is woken: every
 * interleaving checked by tests/unit/handoff_model.c), pending_table.c,
 * timer_heap.c, flow_budget.c, apc_list.c, cpu_regime.c (echo_sync.h,
 * echo_list.h), beside the packet core (icmp_packet.h).
 *
 * Locks, in the only order they may be taken:
 *   the loader lock (DllMain)
 *   -> echo_socket.send_cs (a socket's options and the send itself)
 *   -> engine.cs (socket list and references, the receive hand-off,
 *      synchronous callers, completions, thread records' calls)
 *   -> engine.pending.lock -> engine.flow.lock -> engine.apc.lock
 *   -> the event cache's lock
 * The last four belong to the pure modules and echo_event.c; each is
 * taken for a few instructions and never held across a call out. No
 * engine lock is held across a call that may take the loader lock
 * (pinning the DLL, creating a thread) or wait for another thread, except
 * condition variables (which release the lock they wait with); wineserver
 * calls (send, receive, SetEvent, NtQueueApcThread, CloseHandle) are made
 * with no engine lock but send_cs.
 *
 * Any thread may die anywhere outside a lock: what a thread hands to
 * another it hands under engine.cs in one step (a request taken out of
 * the table is completed in that same step, or put on the receive
 * thread's delivery list), and every thread's end is watched
 * (echo_thread.c).
 *
 * Errors: engine functions return Win32 error codes (0 for success),
 * Winsock's turned into them at the socket boundary (echo_error.c); an
 * IP_STATUS is only ever the status a request completes with. Only
 * icmp_api.c calls SetLastError.
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
#include "echo_list.h"
#include "pending_table.h"
#include "flow_budget.h"
#include "apc_list.h"
#include "rx_handoff.h"
#include "cpu_regime.h"
#include "echo_engine.h"

#define ECHO_RX_BUFFER      (65536 + 64)
#define ECHO_RCVBUF         (1 << 20)   /* SO_RCVBUF asked for (ICMP_ECHO_SO_RCVBUF overrides it) */
#define ECHO_MIN_TIMEOUT    16          /* ms: shorter timeouts wait this long (echo_request.c) */
#define RX_GRACE_MS         20          /* ms: the receive thread takes a socket left alone this long (echo_loop.c) */
#define ECHO_LATE_READS     64          /* packets a leader reads after its deadline, at most (echo_request.c) */

struct echo_socket;

/* What differs between IPv4 and IPv6 (echo_family.c). */
struct family_ops
{
    int family;                             /* AF_INET, AF_INET6 */
    int protocol;                           /* IPPROTO_ICMP, IPPROTO_ICMPV6 */
    int sockaddr_len;
    uint8_t key_family;                     /* 4 or 6, as the packet core counts */
    DWORD reply_struct_size;                /* ICMP_ECHO_REPLY or ICMPV6_ECHO_REPLY */
    DWORD max_charge_packet;                /* the largest header + echo header a reply may have */
    /* an address's bytes as the packet core stores them */
    void (*address_bytes)( const SOCKADDR_INET *addr, uint8_t out[ICMP_ADDR_LEN] );
    /* whether addr names any source (the family's default socket) */
    BOOL (*is_any)( const SOCKADDR_INET *addr );
    /* whether addr is a loopback address (our own request then reaches our sockets too) */
    BOOL (*is_loopback)( const SOCKADDR_INET *addr );
    /* reads a new socket's defaults and tells which kind Wine gave us */
    const struct socket_ops *(*setup)( struct echo_socket *sock );
    /* brings the socket's options to what a request asks (send_cs held) */
    DWORD (*set_options)( struct echo_socket *sock, const struct echo_params *p );
    size_t (*build)( uint8_t *out, size_t len, uint16_t id, uint16_t seq, const void *data, size_t size );
    /* parses what the socket received from `from` */
    enum icmp_kind (*parse)( const BYTE *pkt, DWORD len, const SOCKADDR_INET *from, struct icmp_packet *out );
    /* writes a result into buf as it will be read at user_base (the caller's
     * buffer: the layout holds pointers into it) */
    size_t (*write_reply)( BYTE *buf, DWORD size, const void *user_base, const struct icmp_result *res );
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

/* A socket's receive side. h, blocked and empty_at under engine.cs; the
 * rest belongs to whoever receives on it (h.owner), without a lock. */
struct echo_rx
{
    struct rx_handoff h;                    /* who receives, who waits (rx_handoff.c) */
    BOOL blocked;                           /* its posted receive waits and found nothing */
    ULONGLONG empty_at;                     /* when a posted receive last found the queue empty */
    BOOL posted;                            /* a receive is posted, not reaped */
    HANDLE posted_event;                    /* what it signals: engine.rx_event or lead_event */
    ULONGLONG posted_at;                    /* when it was posted */
    HANDLE lead_event;                      /* what a leader's receives signal */
    WSAOVERLAPPED ov;
    BYTE *buf;
    SOCKADDR_INET from;
    int from_len;
    DWORD flags;
    DWORD retry_delay;                      /* ms, doubled after each failure in a row */
    BOOL held;                              /* buf holds a packet read and not yet dispatched */
    DWORD held_len;
    LARGE_INTEGER held_when;
};

struct echo_socket
{
    struct echo_list entry;                 /* in engine.sockets (engine.cs) */
    LONG refs;                              /* the list's, and each user's (engine.cs) */
    ULONGLONG last_used;                    /* when a user last let it go (engine.cs) */
    SOCKET s;
    const struct socket_ops *ops;
    SOCKADDR_INET src;                      /* unspecified: the family's default, unbound socket */
    struct echo_rx rx;
    /* send side, under send_cs */
    CRITICAL_SECTION send_cs;
    int default_ttl;
    int ttl, tos, df;
    BYTE options[MAX_OPT_SIZE];
    int options_size;
};

/* a received packet, as the receive side hands it to matching */
struct rx_packet
{
    const BYTE *data;
    DWORD len;
    const SOCKADDR_INET *from;
    LARGE_INTEGER when;                     /* QueryPerformanceCounter when it was picked up */
};

/* An APC request's delivery (echo_apc.c): the routine, its arguments, and
 * how the request that holds it is freed once the routine ran or was dropped. */
struct echo_apc
{
    struct apc_entry entry;
    PIO_APC_ROUTINE routine;
    void *context;
    IO_STATUS_BLOCK iosb;
    void (*release)( struct echo_apc *apc );
};

/* A thread's record (echo_thread.c). */
struct echo_thread
{
    struct apc_thread apc;                  /* references, handle, APC lists, calls counted (apc_list.h) */
    DWORD tid;
    struct echo_list calls;                 /* its calls in progress (engine.cs): see echo_request.c */
    HANDLE wait;                            /* its death watch, or NULL */
};

/* where a test build widens the windows between threads (engine_jitter) */
enum jitter_point
{
    JITTER_REGISTERED,                      /* a request was registered, not sent yet */
    JITTER_SENT,                            /* sent, send_cs still held */
    JITTER_APC,                             /* before NtQueueApcThread */
    JITTER_LEAD,                            /* a leader between two receives */
    JITTER_COMPLETED,                       /* a completion committed, the lock let go */
    JITTER_WAIT,                            /* a waiting caller before it sleeps or leads */
    JITTER_DEATH,                           /* the death watch, before it reaps */
    JITTER_LOOP,                            /* the receive thread between two sockets */
};

struct event_ref;

struct echo_engine
{
    HINSTANCE module;
    BOOL started;                           /* the engine runs (and the DLL is pinned) */
    LARGE_INTEGER freq;
    USHORT id;                              /* identifier of every request */
    CRITICAL_SECTION cs;
    HANDLE wake;                            /* the receive thread's event: what other threads give it */
    HANDLE rx_event;                        /* what the receive thread's own receives signal */
    HANDLE loop_thread;                     /* the receive thread (kept: echo_main.c waits for its start) */
    HANDLE loop_started;                    /* set by the receive thread's first instruction */
    LONG threads_awaited;                   /* the first call's threads were waited for (echo_main.c) */
    DWORD thread_tls;                       /* struct echo_thread of the current thread */
    struct pending_table pending;
    struct pending_entry **pending_slots;
    struct flow flow;
    struct flow_shared *flow_shared;        /* the prefix's mapping, or NULL */
    struct apc_registry apc;
    struct echo_list sockets;               /* struct echo_socket, most recently let go last */
    unsigned int socket_count;
    unsigned int idle_bound;                /* bound sockets only the list holds */
    DWORD create_error[2];                  /* why IPv4 / IPv6 sockets cannot be opened, once known */
    struct echo_list deliver;               /* asynchronous requests others completed, for the receive thread (engine.cs) */
    struct echo_list deferred;              /* asynchronous requests waiting for room in the flow budget (engine.cs) */
    LONGLONG rx_reads;                      /* packets read, all sockets (interlocked) */
    ULONGLONG loop_wake_at;                 /* when the receive thread wakes by itself (interlocked) */
    struct cpu_regime regime;               /* whether a CPU is to spare (echo_engine.c) */
    ULONGLONG regime_next;                  /* when the receive thread samples it next */
    ULONGLONG sync_seen_at;                 /* when a synchronous caller last read it */
    LONG spinning;                          /* a synchronous caller spins for its reply: its thread id */
    BOOL fail_receives;                     /* test hook: every receive fails (ICMP_ECHO_TEST_FAULTS=recv) */
    DWORD send_delay_ms;                    /* test hook: widens the window after a send (send_delay=MS) */
    DWORD apc_delay_ms;                     /* test hook: ... before NtQueueApcThread (apc_delay=MS) */
    DWORD rx_grace_ms;                      /* a socket nobody receives on is taken after this (echo_loop.c) */
    DWORD jitter_seed;                      /* test hook: random yields at every hand-off (jitter=SEED) */
    int regime_forced;                      /* test hook: 1 busy, 2 spare */
    LONG jitter_count;
};

extern struct echo_engine engine;

/* echo_engine.c */
void engine_wake( void );
BOOL engine_cpu_to_spare( ULONGLONG now );
BOOL engine_regime_spare( void );
void engine_spun( BOOL hit, LONGLONG ticks );
void engine_sample_regime( ULONGLONG now, ULONGLONG *next );
BOOL engine_test_fault( const char *name );
DWORD engine_test_value( const char *name, DWORD def );
void engine_jitter( enum jitter_point point );
BOOL engine_read_unix_file( const char *path, char *buf, DWORD size );
ULONGLONG engine_qpc_to_ms( LONGLONG ticks );
ULONGLONG engine_now_ms( void );

/* echo_error.c */
DWORD win32_error_from_wsa( int err );
DWORD ip_status_from_error( DWORD err );

/* echo_thread.c */
BOOL thread_start( void (*ended)( struct echo_thread *t ) );
struct echo_thread *thread_current( void );
struct echo_thread *thread_current_if_any( void );
void thread_addref( struct echo_thread *t );
void thread_release( struct echo_thread *t );
void thread_free_record( struct echo_thread *t );
BOOL thread_detached( void );
void thread_detach( void );
void thread_sweep_dead( ULONGLONG now, ULONGLONG *next );

/* echo_family.c */
const struct socket_ops *family_default_ops( int family );

/* echo_socket.c */
DWORD socket_acquire( const SOCKADDR_INET *src, int family, struct echo_socket **ret );
void socket_addref( struct echo_socket *sock );
void socket_addref_locked( struct echo_socket *sock );
void socket_release( struct echo_socket *sock );
DWORD socket_send_echo( struct echo_socket *sock, USHORT id, USHORT seq, const struct echo_params *p );
/* the receive thread's housekeeping: closes bound sockets nobody needs */
void socket_close_idle( ULONGLONG now, ULONGLONG *next );

/* echo_receive.c (by whoever receives on the socket, no engine lock) */
enum rx_result { RX_PACKET, RX_EMPTY, RX_TIMEOUT, RX_FAILED };
BOOL receive_init( struct echo_socket *sock );
void receive_free( struct echo_socket *sock );
enum rx_result receive_thread_one( struct echo_socket *sock, struct rx_packet *pkt );
enum rx_result receive_lead_one( struct echo_socket *sock, DWORD timeout, struct rx_packet *pkt );
enum rx_result receive_lead_finish( struct echo_socket *sock, struct rx_packet *pkt );
ULONGLONG receive_read_to_locked( const struct echo_socket *sock );
void receive_cancel( struct echo_socket *sock );
void receive_publish( ULONGLONG now );

/* echo_flow.c */
DWORD flow_rcvbuf( void );
void flow_start( void );
void flow_stop( BOOL exiting );
DWORD flow_charge_for( const struct socket_ops *ops, WORD data_size, BOOL loopback );
DWORD flow_budget_for( DWORD asked );
void flow_queue( DWORD size, BOOL granted );
BOOL flow_room_now( struct flow_charge *c, DWORD bytes );
BOOL flow_wait_room( struct flow_charge *c, DWORD bytes, ULONGLONG deadline );
void flow_look( ULONGLONG now );

/* echo_apc.c */
void apc_deliver( struct echo_thread *t, struct echo_apc *apc );
void apc_thread_ended( struct echo_thread *t );

/* echo_event.c */
DWORD event_acquire( HANDLE caller_event, struct event_ref **ref );
void event_signal( struct event_ref *ref );
void event_release( struct event_ref *ref );

/* echo_request.c */
DWORD request_submit( struct echo_socket *sock, const struct echo_params *p, struct echo_outcome *out );
/* what a dispatch leaves to do once engine.cs is let go (request_after) */
struct echo_after
{
    struct echo_list garbage;               /* requests to free */
    struct echo_socket *kick;               /* a leader whose request completed elsewhere: its lead_event (a reference) */
};
void request_after_init( struct echo_after *after );
void request_after( struct echo_after *after );
/* (engine.cs held) a packet completes the request it answers; TRUE if a
 * synchronous one. Asynchronous ones go to *deliver (request_deliver_all,
 * no lock). */
BOOL request_dispatch_locked( struct echo_socket *sock, const struct rx_packet *pkt, struct echo_list *deliver,
                              struct echo_after *after );
/* (engine.cs held) wakes the synchronous caller a hand-off named */
void request_wake_locked( const struct rx_wake *wake );
ULONGLONG request_expire( ULONGLONG now, struct echo_list *deliver );
ULONGLONG request_send_deferred( ULONGLONG now );
void request_deliver_all( struct echo_list *deliver );
void request_thread_gone( struct echo_thread *t );

/* echo_loop.c */
DWORD CALLBACK loop_thread( void *arg );

#endif /* ECHO_PRIVATE_H */
