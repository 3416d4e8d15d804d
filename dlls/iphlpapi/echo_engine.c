/*
 * Echo engine (see echo_engine.h).
 *
 * Sending happens on the caller's thread: the request is entered in the
 * pending table and the timer heap, then sent on the shared socket. One
 * receive thread per process waits on the sockets' overlapped receives and on
 * the earliest deadline, matches what arrives against the pending table by
 * sequence number, and completes requests: a sleeping synchronous caller is
 * woken through a condition variable, an event is signalled, or an APC is
 * queued to the thread that made the request.
 *
 * IPv4 and IPv6 share this one flow; what differs (socket family, options,
 * building, parsing, matching, the reply layout) is in one ops table per
 * family (ipv4_ops, ipv6_ops). Sequence numbers are shared by both.
 *
 * Locks: send_cs (socket option state and the send itself) is taken before
 * cs (pending table, timers, socket list); the receive thread takes only cs.
 */
#include <stdarg.h>
#include <string.h>

#define PIO_APC_ROUTINE_DEFINED
#include "ntstatus.h"
#define WIN32_NO_STATUS
#include "winsock2.h"
#include "ws2tcpip.h"
#include "windef.h"
#include "winbase.h"
#include "winternl.h"
#include "ipexport.h"
#include "wine/debug.h"

#include "icmpcore.h"
#include "timerheap.h"
#include "echo_engine.h"

WINE_DEFAULT_DEBUG_CHANNEL(icmp);

#define MAX_SOCKETS   32          /* the default socket plus bound sources */
#define SEQ_SPACE     65536
#define RX_BUFFER     (65536 + 64)

C_ASSERT( IP_REQ_TIMED_OUT == ICMP_STATUS_REQ_TIMED_OUT );
C_ASSERT( IP_GENERAL_FAILURE == ICMP_STATUS_GENERAL_FAILURE );
C_ASSERT( IP_TTL_EXPIRED_TRANSIT == ICMP_STATUS_TTL_EXPIRED_TRANSIT );
C_ASSERT( IP_SOURCE_QUENCH == ICMP_STATUS_SOURCE_QUENCH );
C_ASSERT( sizeof(ICMP_ECHO_REPLY) == (sizeof(void *) == 8 ? ICMP_ECHO_REPLY64_SIZE : ICMP_ECHO_REPLY32_SIZE) );

enum completion { COMPLETE_WAKE, COMPLETE_EVENT, COMPLETE_APC };

/* The thread an APC goes to, shared by its requests and its TLS slot. */
struct thread_ref
{
    HANDLE handle;
    LONG refs;
};

struct icmp_socket;

/* A packet parsed by either family. */
union parsed_packet
{
    struct icmp4_packet v4;
    struct icmp6_packet v6;
};

/* What differs between ICMPv4 and ICMPv6. */
struct family_ops
{
    int family, protocol;
    DWORD reply_struct_size;      /* ICMP_ECHO_REPLY or ICMPV6_ECHO_REPLY */
    /* sets the request's options on the socket (send_cs held) */
    DWORD (*apply_options)( struct icmp_socket *sock, const struct echo_params *p );
    size_t (*build)( uint8_t *out, size_t len, uint16_t id, uint16_t seq, const void *data, size_t size );
    /* where to send: fills addr, returns its length */
    int (*dest)( const struct echo_params *p, SOCKADDR_IN6 *addr );
    void (*set_key)( struct icmp_request_key *key, const struct echo_params *p );
    /* parses what the socket received; the sequence it names, or -1 to ignore */
    int (*parse)( struct icmp_socket *sock, const BYTE *pkt, DWORD len, union parsed_packet *out );
    int (*match)( const union parsed_packet *pkt, const struct icmp_request_key *key );
    void (*result)( const union parsed_packet *pkt, uint32_t rtt_ms, struct icmp_result *res );
    size_t (*write_reply)( BYTE *buf, DWORD size, const struct icmp_result *res );
    const char *(*debugstr_dst)( const struct echo_params *p );
};

struct echo_request
{
    LONG refs;                    /* async: the sender's and the completion's */
    const struct family_ops *ops;
    struct timer_node timer;
    struct icmp_request_key key;
    LARGE_INTEGER sent;
    BOOL pending;                 /* in the pending table and timer heap */
    BOOL done;                    /* COMPLETE_WAKE: the caller may return */
    enum completion how;
    BYTE *reply;
    DWORD reply_size;
    DWORD written;
    DWORD reply_count;
    DWORD status;
    CONDITION_VARIABLE cv;
    HANDLE event;                 /* our duplicate of the caller's event */
    PIO_APC_ROUTINE apc;
    void *apc_context;
    struct thread_ref *thread;
    IO_STATUS_BLOCK iosb;         /* what the APC is given */
};

struct icmp_socket
{
    SOCKET s;
    const struct family_ops *ops;
    IPAddr src;                   /* IPv4: 0 for the default, unbound socket */
    SOCKADDR_IN6 src6;            /* IPv6: in6addr_any for the default one */
    /* receive side: receive thread only */
    WSAOVERLAPPED ov;
    BOOL posted;
    DWORD rx_flags;
    SOCKADDR_IN6 from;            /* big enough for either family */
    int from_len;
    BYTE *rx;
    /* send side: under send_cs */
    int default_ttl;
    int ttl, tos, df;
    BYTE options[MAX_OPT_SIZE];
    int options_size;
    BOOL ping_socket;             /* Wine gave us a Linux ping socket (no CAP_NET_RAW) */
};

static struct
{
    CRITICAL_SECTION cs;
    CRITICAL_SECTION send_cs;
    BOOL started;
    USHORT id;
    USHORT next_seq;
    struct echo_request **pending;        /* indexed by sequence number */
    unsigned int pending_count;
    struct timer_heap timers;
    struct icmp_socket *sockets[MAX_SOCKETS];
    unsigned int socket_count;
    HANDLE wake;
    ULONGLONG wake_at;                    /* when the receive thread will wake by itself */
    LARGE_INTEGER freq;
} engine;

static HINSTANCE module;
static DWORD thread_tls = TLS_OUT_OF_INDEXES;

static void *heap_realloc( void *ptr, size_t size )
{
    if (!size)
    {
        HeapFree( GetProcessHeap(), 0, ptr );
        return NULL;
    }
    if (!ptr) return HeapAlloc( GetProcessHeap(), 0, size );
    return HeapReAlloc( GetProcessHeap(), 0, ptr, size );
}

static const char *debugstr_ip( IPAddr addr )
{
    const BYTE *b = (const BYTE *)&addr;
    return wine_dbg_sprintf( "%u.%u.%u.%u", b[0], b[1], b[2], b[3] );
}

static const char *debugstr_ipv6( const BYTE *a )
{
    return wine_dbg_sprintf( "%x:%x:%x:%x:%x:%x:%x:%x", a[0] << 8 | a[1], a[2] << 8 | a[3], a[4] << 8 | a[5],
                             a[6] << 8 | a[7], a[8] << 8 | a[9], a[10] << 8 | a[11], a[12] << 8 | a[13],
                             a[14] << 8 | a[15] );
}

static ULONGLONG qpc_to_ms( LONGLONG ticks )
{
    return (ULONGLONG)(ticks / engine.freq.QuadPart) * 1000 +
           (ULONGLONG)(ticks % engine.freq.QuadPart) * 1000 / engine.freq.QuadPart;
}

static ULONGLONG now_ms( void )
{
    LARGE_INTEGER now;
    QueryPerformanceCounter( &now );
    return qpc_to_ms( now.QuadPart );
}

/* ---- threads that receive APCs ---- */

static void thread_ref_release( struct thread_ref *ref )
{
    if (InterlockedDecrement( &ref->refs )) return;
    CloseHandle( ref->handle );
    HeapFree( GetProcessHeap(), 0, ref );
}

static struct thread_ref *thread_ref_current( void )
{
    struct thread_ref *ref = TlsGetValue( thread_tls );

    if (!ref)
    {
        if (!(ref = HeapAlloc( GetProcessHeap(), 0, sizeof(*ref) ))) return NULL;
        if (!DuplicateHandle( GetCurrentProcess(), GetCurrentThread(), GetCurrentProcess(),
                              &ref->handle, 0, FALSE, DUPLICATE_SAME_ACCESS ))
        {
            HeapFree( GetProcessHeap(), 0, ref );
            return NULL;
        }
        ref->refs = 1;  /* the TLS slot's */
        TlsSetValue( thread_tls, ref );
    }
    InterlockedIncrement( &ref->refs );
    return ref;
}

void echo_engine_thread_detach( void )
{
    struct thread_ref *ref;

    if (thread_tls == TLS_OUT_OF_INDEXES || !(ref = TlsGetValue( thread_tls ))) return;
    TlsSetValue( thread_tls, NULL );
    thread_ref_release( ref );
}

BOOL echo_engine_process_attach( HINSTANCE instance )
{
    module = instance;
    InitializeCriticalSection( &engine.cs );
    InitializeCriticalSection( &engine.send_cs );
    QueryPerformanceFrequency( &engine.freq );
    timer_heap_init( &engine.timers, heap_realloc );
    thread_tls = TlsAlloc();
    return thread_tls != TLS_OUT_OF_INDEXES;
}

/* ---- completion ---- */

/* Drops a reference to an asynchronous request (synchronous ones live on
 * their caller's stack and are never freed). */
static void request_release( struct echo_request *req )
{
    if (req->how != COMPLETE_WAKE && !InterlockedDecrement( &req->refs ))
        HeapFree( GetProcessHeap(), 0, req );
}

static void WINAPI apc_trampoline( ULONG_PTR arg, ULONG_PTR unused1, ULONG_PTR unused2 )
{
    struct echo_request *req = (struct echo_request *)arg;

    TRACE( "calling APC %p(%p, %p)\n", req->apc, req->apc_context, &req->iosb );
    req->apc( req->apc_context, &req->iosb, 0 );
    request_release( req );
}

/* Writes the result into the caller's buffer and completes the request,
 * which must no longer be pending. Called without cs held. */
static void complete( struct echo_request *req, const struct icmp_result *res )
{
    NTSTATUS status;

    req->status = res->status;
    req->reply_count = res->reply_count;
    req->written = req->ops->write_reply( req->reply, req->reply_size, res );
    TRACE( "seq %u completed: status %u, address %s, rtt %u, %lu bytes\n", req->key.seq, res->status,
           req->key.ipv6 ? debugstr_ipv6( res->address6 ) : debugstr_ip( res->address ), res->rtt_ms,
           req->written );

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
    {
        /* once queued, the APC may run and free req at any moment */
        struct thread_ref *thread = req->thread;
        USHORT seq = req->key.seq;

        req->iosb.Status = STATUS_SUCCESS;
        req->iosb.Information = req->written;
        status = NtQueueApcThread( thread->handle, apc_trampoline, (ULONG_PTR)req, 0, 0 );
        thread_ref_release( thread );
        if (status)
        {
            TRACE( "seq %u: requesting thread is gone (%#lx), APC dropped\n", seq, status );
            request_release( req );
        }
        break;
    }
    }
}

static void complete_status( struct echo_request *req, DWORD status )
{
    struct icmp_result res;

    memset( &res, 0, sizeof(res) );
    res.status = status;
    complete( req, &res );
}

/* ---- pending table and timers (cs held) ---- */

static BOOL register_request( struct echo_request *req, DWORD timeout, BOOL *wake )
{
    unsigned int tries;
    USHORT seq;

    if (engine.pending_count >= SEQ_SPACE) return FALSE;
    for (tries = 0; tries < SEQ_SPACE; tries++)
    {
        seq = engine.next_seq++;
        if (!engine.pending[seq]) break;
    }
    QueryPerformanceCounter( &req->sent );
    req->timer.deadline = qpc_to_ms( req->sent.QuadPart ) + timeout;
    /* a synchronous caller times itself out (echo_send): only asynchronous
     * requests go into the heap, so only they may need the receive thread
     * woken to shorten its wait (a wineserver round trip) */
    *wake = FALSE;
    if (req->how != COMPLETE_WAKE)
    {
        if (timer_heap_insert( &engine.timers, &req->timer )) return FALSE;
        *wake = req->timer.deadline < engine.wake_at;
        if (*wake) engine.wake_at = req->timer.deadline;
    }
    req->key.id = engine.id;
    req->key.seq = seq;
    engine.pending[seq] = req;
    engine.pending_count++;
    req->pending = TRUE;
    return TRUE;
}

static void unregister_request( struct echo_request *req )
{
    timer_heap_remove( &engine.timers, &req->timer );
    engine.pending[req->key.seq] = NULL;
    engine.pending_count--;
    req->pending = FALSE;
}

/* ---- sockets ---- */

static DWORD wsa_to_status( int err )
{
    switch (err)
    {
    case WSAEMSGSIZE:     return IP_PACKET_TOO_BIG;
    case WSAENETUNREACH:  return IP_DEST_NET_UNREACHABLE;
    case WSAEHOSTUNREACH: return IP_DEST_HOST_UNREACHABLE;
    case WSAENOBUFS:      return IP_NO_RESOURCES;
    default:              return IP_GENERAL_FAILURE;
    }
}

static void socket_free( struct icmp_socket *sock )
{
    if (sock->s != INVALID_SOCKET) closesocket( sock->s );
    if (sock->ov.hEvent) WSACloseEvent( sock->ov.hEvent );
    HeapFree( GetProcessHeap(), 0, sock->rx );
    HeapFree( GetProcessHeap(), 0, sock );
}

static BOOL is_any6( const SOCKADDR_IN6 *a )
{
    return IN6_IS_ADDR_UNSPECIFIED( &a->sin6_addr );
}

/* Whether sock is the one for this request's family and source. */
static BOOL socket_is_for( const struct icmp_socket *sock, const struct family_ops *ops, const struct echo_params *p )
{
    if (sock->ops != ops) return FALSE;
    if (ops->family == AF_INET) return sock->src == p->src;
    if (is_any6( &p->src6 )) return is_any6( &sock->src6 );
    return !memcmp( &sock->src6.sin6_addr, &p->src6.sin6_addr, sizeof(IN6_ADDR) ) &&
           sock->src6.sin6_scope_id == p->src6.sin6_scope_id;
}

/* Opens a raw ICMP or ICMPv6 socket, bound to the request's source if it
 * names one. Returns an error code (ERROR_ACCESS_DENIED without privilege,
 * ERROR_INVALID_NETNAME if the source is not local) or 0. */
static DWORD socket_open( const struct family_ops *ops, const struct echo_params *p, struct icmp_socket **ret )
{
    struct icmp_socket *sock;
    int len, rcvbuf = 1 << 20;
    DWORD off = FALSE, err;

    if (!(sock = HeapAlloc( GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof(*sock) ))) return ERROR_NOT_ENOUGH_MEMORY;
    sock->ops = ops;
    if (ops->family == AF_INET) sock->src = p->src;
    else
    {
        sock->src6.sin6_family = AF_INET6;
        if (!is_any6( &p->src6 ))
        {
            sock->src6.sin6_addr = p->src6.sin6_addr;
            sock->src6.sin6_scope_id = p->src6.sin6_scope_id;
        }
    }
    sock->s = WSASocketW( ops->family, SOCK_RAW, ops->protocol, NULL, 0, WSA_FLAG_OVERLAPPED );
    if (sock->s == INVALID_SOCKET)
    {
        err = WSAGetLastError();
        WARN( "cannot open a raw ICMP socket: %lu\n", err );
        socket_free( sock );
        if (err == WSAEPROTONOSUPPORT && ops->family == AF_INET6)
        {
            /* Wine's server maps no IPPROTO_ICMPV6 to the host (up to at least Wine 8) */
            static LONG once;
            if (!InterlockedExchange( &once, 1 ))
                FIXME( "this Wine cannot open ICMPv6 sockets: Icmp6SendEcho2 fails with ERROR_NOT_SUPPORTED\n" );
        }
        if (err == WSAEACCES) return ERROR_ACCESS_DENIED;
        if (err == WSAEAFNOSUPPORT || err == WSAEPROTONOSUPPORT) return ERROR_NOT_SUPPORTED;
        return err;
    }
    if (ops->family == AF_INET ? sock->src != 0 : !is_any6( &sock->src6 ))
    {
        struct sockaddr_in addr;
        int res;

        if (ops->family == AF_INET)
        {
            memset( &addr, 0, sizeof(addr) );
            addr.sin_family = AF_INET;
            addr.sin_addr.s_addr = sock->src;
            res = bind( sock->s, (struct sockaddr *)&addr, sizeof(addr) );
        }
        else res = bind( sock->s, (struct sockaddr *)&sock->src6, sizeof(sock->src6) );
        if (res)
        {
            err = WSAGetLastError();
            TRACE( "cannot bind to the source: %lu\n", err );
            socket_free( sock );
            return err == WSAEADDRNOTAVAIL ? ERROR_INVALID_NETNAME : err;
        }
    }
    /* Without CAP_NET_RAW, Wine quietly opens a Linux ping socket instead:
     * the kernel rewrites our identifier (Wine maps back only its last few)
     * and keeps ICMP errors to itself. Such a socket refuses IP_HDRINCL. */
    if (ops->family == AF_INET)
    {
        DWORD hdrincl = FALSE;
        sock->ping_socket = setsockopt( sock->s, IPPROTO_IP, IP_HDRINCL, (char *)&hdrincl, sizeof(hdrincl) ) != 0;
        if (sock->ping_socket) TRACE( "a ping socket (IP_HDRINCL refused: %d)\n", WSAGetLastError() );
        len = sizeof(sock->default_ttl);
        if (getsockopt( sock->s, IPPROTO_IP, IP_TTL, (char *)&sock->default_ttl, &len ) || !sock->default_ttl)
            sock->default_ttl = 128;
        /* no DF unless asked: the platform default may be path MTU discovery */
        setsockopt( sock->s, IPPROTO_IP, IP_DONTFRAGMENT, (char *)&off, sizeof(off) );
    }
    else
    {
        len = sizeof(sock->default_ttl);
        if (getsockopt( sock->s, IPPROTO_IPV6, IPV6_UNICAST_HOPS, (char *)&sock->default_ttl, &len ) ||
            sock->default_ttl <= 0)
            sock->default_ttl = 128;
    }
    sock->ttl = sock->default_ttl;
    setsockopt( sock->s, SOL_SOCKET, SO_RCVBUF, (char *)&rcvbuf, sizeof(rcvbuf) );
    if (!(sock->ov.hEvent = WSACreateEvent()) || !(sock->rx = HeapAlloc( GetProcessHeap(), 0, RX_BUFFER )))
    {
        socket_free( sock );
        return ERROR_NOT_ENOUGH_MEMORY;
    }
    *ret = sock;
    return 0;
}

/* Brings the socket's IP options to what the request asks (send_cs held).
 * Only options that differ from the socket's current state are set. */
static DWORD ipv4_apply_options( struct icmp_socket *sock, const struct echo_params *p )
{
    int ttl = p->ttl ? p->ttl : sock->default_ttl;
    int tos = p->tos;
    DWORD df = (p->flags & IP_FLAG_DF) != 0;
    int opt_size = p->options_size;

    if (ttl != sock->ttl)
    {
        if (setsockopt( sock->s, IPPROTO_IP, IP_TTL, (char *)&ttl, sizeof(ttl) )) return IP_GENERAL_FAILURE;
        sock->ttl = ttl;
    }
    if (tos != sock->tos)
    {
        if (setsockopt( sock->s, IPPROTO_IP, IP_TOS, (char *)&tos, sizeof(tos) )) return IP_GENERAL_FAILURE;
        sock->tos = tos;
    }
    if ((int)df != sock->df)
    {
        if (setsockopt( sock->s, IPPROTO_IP, IP_DONTFRAGMENT, (char *)&df, sizeof(df) )) return IP_GENERAL_FAILURE;
        sock->df = df;
    }
    if (opt_size != sock->options_size || (opt_size && memcmp( sock->options, p->options, opt_size )))
    {
        if (setsockopt( sock->s, IPPROTO_IP, IP_OPTIONS, (const char *)p->options, opt_size ))
        {
            /* the socket keeps its previous options */
            TRACE( "IP options rejected: %d\n", WSAGetLastError() );
            return IP_BAD_OPTION;
        }
        memcpy( sock->options, p->options, opt_size );
        sock->options_size = opt_size;
    }
    return 0;
}

/* IPv6: only the hop limit (Ttl) applies. */
static DWORD ipv6_apply_options( struct icmp_socket *sock, const struct echo_params *p )
{
    int hops = p->ttl ? p->ttl : sock->default_ttl;

    if (hops != sock->ttl)
    {
        if (setsockopt( sock->s, IPPROTO_IPV6, IPV6_UNICAST_HOPS, (char *)&hops, sizeof(hops) ))
            return IP_GENERAL_FAILURE;
        sock->ttl = hops;
    }
    return 0;
}

/* ---- the two families ---- */

static int ipv4_dest( const struct echo_params *p, SOCKADDR_IN6 *addr )
{
    struct sockaddr_in *sin = (struct sockaddr_in *)addr;
    memset( addr, 0, sizeof(*addr) );
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = p->dst;
    return sizeof(*sin);
}

static int ipv6_dest( const struct echo_params *p, SOCKADDR_IN6 *addr )
{
    memset( addr, 0, sizeof(*addr) );
    addr->sin6_family = AF_INET6;
    addr->sin6_addr = p->dst6.sin6_addr;
    addr->sin6_scope_id = p->dst6.sin6_scope_id;
    return sizeof(*addr);
}

static void ipv4_set_key( struct icmp_request_key *key, const struct echo_params *p )
{
    key->dst = p->dst;
}

static void ipv6_set_key( struct icmp_request_key *key, const struct echo_params *p )
{
    key->ipv6 = 1;
    memcpy( key->dst6, &p->dst6.sin6_addr, 16 );
}

static int ipv4_parse( struct icmp_socket *sock, const BYTE *pkt, DWORD len, union parsed_packet *out )
{
    return icmp4_parse( pkt, len, &out->v4 ) == ICMP_KIND_IGNORE ? -1 : out->v4.seq;
}

/* a raw ICMPv6 socket returns the message alone: the sender is in from */
static int ipv6_parse( struct icmp_socket *sock, const BYTE *pkt, DWORD len, union parsed_packet *out )
{
    if (sock->from.sin6_family != AF_INET6) return -1;
    return icmp6_parse( pkt, len, (const uint8_t *)&sock->from.sin6_addr, &out->v6 ) == ICMP_KIND_IGNORE ?
           -1 : out->v6.seq;
}

static int ipv4_match( const union parsed_packet *pkt, const struct icmp_request_key *key )
{
    return !key->ipv6 && icmp4_match( &pkt->v4, key );
}

static int ipv6_match( const union parsed_packet *pkt, const struct icmp_request_key *key )
{
    return icmp6_match( &pkt->v6, key );
}

static void ipv4_result( const union parsed_packet *pkt, uint32_t rtt_ms, struct icmp_result *res )
{
    icmp4_result_from_packet( &pkt->v4, rtt_ms, res );
}

static void ipv6_result( const union parsed_packet *pkt, uint32_t rtt_ms, struct icmp_result *res )
{
    icmp6_result_from_packet( &pkt->v6, rtt_ms, res );
}

static size_t ipv4_write_reply( BYTE *buf, DWORD size, const struct icmp_result *res )
{
    return icmp4_write_reply( buf, size, (ULONG_PTR)buf, sizeof(void *) == 8, res );
}

static size_t ipv6_write_reply( BYTE *buf, DWORD size, const struct icmp_result *res )
{
    return icmp6_write_reply( buf, size, res );
}

static const char *ipv4_debugstr_dst( const struct echo_params *p )
{
    return debugstr_ip( p->dst );
}

static const char *ipv6_debugstr_dst( const struct echo_params *p )
{
    return debugstr_ipv6( (const BYTE *)&p->dst6.sin6_addr );
}

static const struct family_ops ipv4_ops =
{
    AF_INET, IPPROTO_ICMP, sizeof(ICMP_ECHO_REPLY), ipv4_apply_options, icmp4_build_echo, ipv4_dest, ipv4_set_key,
    ipv4_parse, ipv4_match, ipv4_result, ipv4_write_reply, ipv4_debugstr_dst
};

static const struct family_ops ipv6_ops =
{
    AF_INET6, IPPROTO_ICMPV6, ICMPV6_ECHO_REPLY_SIZE, ipv6_apply_options, icmp6_build_echo, ipv6_dest,
    ipv6_set_key, ipv6_parse, ipv6_match, ipv6_result, ipv6_write_reply, ipv6_debugstr_dst
};

/* ---- receive thread ---- */

static void process_packet( struct icmp_socket *sock, const BYTE *pkt, DWORD len, const LARGE_INTEGER *when )
{
    const struct family_ops *ops = sock->ops;
    union parsed_packet p;
    struct echo_request *req;
    struct icmp_result res;
    int seq;

    if ((seq = ops->parse( sock, pkt, len, &p )) < 0) return;

    EnterCriticalSection( &engine.cs );
    req = engine.pending[seq];
    if (!req || !ops->match( &p, &req->key ))
    {
        LeaveCriticalSection( &engine.cs );
        TRACE( "ignoring a packet for seq %u (family %d)\n", seq, ops->family );
        return;
    }
    unregister_request( req );
    LeaveCriticalSection( &engine.cs );

    ops->result( &p, (uint32_t)qpc_to_ms( when->QuadPart - req->sent.QuadPart ), &res );
    if (ops->family == AF_INET6) res.scope_id = sock->from.sin6_scope_id;
    complete( req, &res );
}

/* Posts an overlapped receive; returns TRUE if a packet was received at once. */
static BOOL post_receive( struct icmp_socket *sock )
{
    WSABUF buf;
    DWORD got;
    int err;

    buf.buf = (char *)sock->rx;
    buf.len = RX_BUFFER;
    sock->rx_flags = 0;
    sock->from_len = sizeof(sock->from);
    sock->ov.Internal = STATUS_PENDING;
    sock->ov.InternalHigh = sock->ov.Offset = sock->ov.OffsetHigh = 0;
    if (!WSARecvFrom( sock->s, &buf, 1, &got, &sock->rx_flags, (struct sockaddr *)&sock->from,
                      &sock->from_len, &sock->ov, NULL ))
    {
        sock->posted = TRUE;
        return TRUE;
    }
    err = WSAGetLastError();
    if (err == WSA_IO_PENDING)
    {
        sock->posted = TRUE;
        return FALSE;
    }
    /* a truncated datagram is consumed: post again; anything else would
     * repeat, so do not spin on it */
    if (err != WSAEMSGSIZE)
    {
        WARN( "receive failed: %d\n", err );
        Sleep( 10 );
    }
    return FALSE;
}

/* Handles a posted receive if it has completed. */
static void receive_ready( struct icmp_socket *sock )
{
    LARGE_INTEGER when;
    DWORD got, flags;

    if (!sock->posted || !HasOverlappedIoCompleted( &sock->ov )) return;
    QueryPerformanceCounter( &when );
    if (!WSAGetOverlappedResult( sock->s, &sock->ov, &got, FALSE, &flags ))
    {
        if (WSAGetLastError() == WSA_IO_INCOMPLETE) return;
        got = 0;
    }
    sock->posted = FALSE;
    if (got) process_packet( sock, sock->rx, got, &when );
}

static void expire_timers( void )
{
    struct echo_request *expired = NULL, *req;
    struct timer_node *node;
    ULONGLONG now = now_ms();

    EnterCriticalSection( &engine.cs );
    while ((node = timer_heap_pop_expired( &engine.timers, now )))
    {
        req = CONTAINING_RECORD( node, struct echo_request, timer );
        unregister_request( req );
        /* chain through the (now unused) deadline field */
        req->timer.deadline = (ULONG_PTR)expired;
        expired = req;
    }
    node = timer_heap_min( &engine.timers );
    engine.wake_at = node ? node->deadline : ~(ULONGLONG)0;
    LeaveCriticalSection( &engine.cs );

    while ((req = expired))
    {
        expired = (struct echo_request *)(ULONG_PTR)req->timer.deadline;
        TRACE( "seq %u timed out\n", req->key.seq );
        complete_status( req, IP_REQ_TIMED_OUT );
    }
}

static DWORD CALLBACK receive_thread( void *arg )
{
    HANDLE handles[MAX_SOCKETS + 1];
    struct icmp_socket *socks[MAX_SOCKETS];
    unsigned int i, count;
    ULONGLONG wake_at, now;
    DWORD timeout, ret;

    for (;;)
    {
        EnterCriticalSection( &engine.cs );
        count = engine.socket_count;
        memcpy( socks, engine.sockets, count * sizeof(*socks) );
        LeaveCriticalSection( &engine.cs );

        for (i = 0; i < count; i++)
        {
            receive_ready( socks[i] );
            while (!socks[i]->posted || HasOverlappedIoCompleted( &socks[i]->ov ))
            {
                if (!socks[i]->posted) post_receive( socks[i] );
                receive_ready( socks[i] );
            }
        }

        expire_timers();

        EnterCriticalSection( &engine.cs );
        wake_at = engine.wake_at;
        LeaveCriticalSection( &engine.cs );
        now = now_ms();
        if (wake_at == ~(ULONGLONG)0) timeout = INFINITE;
        else if (wake_at <= now) continue;
        else timeout = wake_at - now > 0x7fffffff ? 0x7fffffff : (DWORD)(wake_at - now);

        handles[0] = engine.wake;
        for (i = 0; i < count; i++) handles[i + 1] = socks[i]->ov.hEvent;
        ret = WaitForMultipleObjects( count + 1, handles, FALSE, timeout );
        if (ret == WAIT_FAILED)
        {
            ERR( "wait failed: %lu\n", GetLastError() );
            Sleep( 1 );
        }
    }
    return 0;
}

/* Starts the engine once its first socket is open: pending table, wake-up
 * event, receive thread (cs held). */
static DWORD engine_start( void )
{
    HMODULE pinned;
    HANDLE thread;

    if (!engine.pending && !(engine.pending = HeapAlloc( GetProcessHeap(), HEAP_ZERO_MEMORY,
                                                         SEQ_SPACE * sizeof(*engine.pending) )))
        return ERROR_NOT_ENOUGH_MEMORY;
    if (!engine.wake && !(engine.wake = CreateEventW( NULL, FALSE, FALSE, NULL ))) return GetLastError();
    engine.id = (USHORT)GetCurrentProcessId();
    engine.next_seq = (USHORT)(GetTickCount() ^ (GetCurrentProcessId() << 4));
    engine.wake_at = ~(ULONGLONG)0;

    /* the receive thread and queued APCs run our code: stay loaded */
    GetModuleHandleExW( GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_PIN,
                        (const WCHAR *)module, &pinned );
    if (!(thread = CreateThread( NULL, 0, receive_thread, NULL, 0, NULL ))) return GetLastError();
    CloseHandle( thread );
    engine.started = TRUE;
    TRACE( "engine started, id %#x\n", engine.id );
    return 0;
}

/* Finds or opens the socket for a family and source address, starting the
 * engine with the first one (cs held). */
static DWORD get_socket( const struct family_ops *ops, const struct echo_params *p, struct icmp_socket **ret )
{
    static BOOL wsa_started;
    struct icmp_socket *sock = NULL;
    unsigned int i;
    WSADATA wsa;
    DWORD err;

    for (i = 0; i < engine.socket_count; i++)
        if (socket_is_for( engine.sockets[i], ops, p )) break;
    if (i < engine.socket_count)
    {
        *ret = engine.sockets[i];
        return 0;
    }
    if (engine.socket_count == MAX_SOCKETS) return IP_NO_RESOURCES;
    if (!wsa_started)
    {
        if ((err = WSAStartup( MAKEWORD(2, 2), &wsa ))) return err;
        wsa_started = TRUE;
    }
    if ((err = socket_open( ops, p, &sock ))) return err;
    if (!engine.started && (err = engine_start()))
    {
        socket_free( sock );
        return err;
    }
    engine.sockets[engine.socket_count++] = *ret = sock;
    SetEvent( engine.wake );  /* the receive thread listens on it from now on */
    return 0;
}

/* ---- sending ---- */

static DWORD send_request( struct icmp_socket *sock, struct echo_request *req, const struct echo_params *p )
{
    const struct family_ops *ops = sock->ops;
    SOCKADDR_IN6 addr;
    int addr_len;
    BYTE stack_packet[ICMP_HDR_LEN + 256], *packet = stack_packet;
    size_t len;
    DWORD status;
    BOOL wake;

    EnterCriticalSection( &engine.send_cs );
    if ((status = ops->apply_options( sock, p )))
    {
        LeaveCriticalSection( &engine.send_cs );
        return status;
    }

    if ((req->key.ping_socket = sock->ping_socket))
    {
        req->key.payload_size = p->data_size;
        req->key.payload_hash = icmp_payload_hash( p->data, p->data_size );
    }
    EnterCriticalSection( &engine.cs );
    if (!register_request( req, p->timeout, &wake ))
    {
        LeaveCriticalSection( &engine.cs );
        LeaveCriticalSection( &engine.send_cs );
        return IP_NO_RESOURCES;
    }
    LeaveCriticalSection( &engine.cs );
    if (wake) SetEvent( engine.wake );

    if (p->hop_limit_zero)
        status = IP_GENERAL_FAILURE;  /* IPv6 hop limit 0: completes as a failure, nothing is sent */
    else if (p->data_size > sizeof(stack_packet) - ICMP_HDR_LEN &&
             !(packet = HeapAlloc( GetProcessHeap(), 0, ICMP_HDR_LEN + p->data_size )))
        status = ERROR_NOT_ENOUGH_MEMORY;
    else
    {
        len = ops->build( packet, ICMP_HDR_LEN + p->data_size, req->key.id, req->key.seq, p->data, p->data_size );
        addr_len = ops->dest( p, &addr );
        TRACE( "seq %u: %u bytes to %s, ttl %d tos %d df %d, %u option bytes, timeout %lu\n", req->key.seq,
               p->data_size, ops->debugstr_dst( p ), sock->ttl, sock->tos, sock->df, p->options_size, p->timeout );
        if (sendto( sock->s, (char *)packet, (int)len, 0, (struct sockaddr *)&addr, addr_len ) < 0)
        {
            int err = WSAGetLastError();
            status = wsa_to_status( err );
            TRACE( "seq %u: sendto failed %d -> status %lu\n", req->key.seq, err, status );
        }
        if (packet != stack_packet) HeapFree( GetProcessHeap(), 0, packet );
    }
    LeaveCriticalSection( &engine.send_cs );

    if (status)
    {
        /* complete it here unless a reply or the timer got there first */
        EnterCriticalSection( &engine.cs );
        if (req->pending) unregister_request( req );
        else status = 0;
        LeaveCriticalSection( &engine.cs );
        if (status) complete_status( req, status );
    }
    return 0;
}

DWORD echo_send( const struct echo_params *p )
{
    const struct family_ops *ops = p->ipv6 ? &ipv6_ops : &ipv4_ops;
    struct icmp_socket *sock;
    struct echo_request sync_req, *req;
    DWORD err;

    /* the source is checked by binding the raw socket we send from (cached
     * per source): Wine's UDP bind accepts addresses that are not local */
    EnterCriticalSection( &engine.cs );
    err = get_socket( ops, p, &sock );
    LeaveCriticalSection( &engine.cs );
    if (err == ERROR_INVALID_NETNAME)
    {
        SetLastError( err );
        return 0;
    }
    if (p->reply_size < ops->reply_struct_size + p->data_size)
    {
        SetLastError( IP_GENERAL_FAILURE );
        return 0;
    }
    if (err)
    {
        SetLastError( err );
        return 0;
    }

    if (!p->event && !p->apc) req = &sync_req;
    else if (!(req = HeapAlloc( GetProcessHeap(), 0, sizeof(*req) )))
    {
        SetLastError( ERROR_NOT_ENOUGH_MEMORY );
        return 0;
    }
    memset( req, 0, sizeof(*req) );
    req->refs = 2;  /* async: released by the completion and by us once sent */
    req->timer.index = TIMER_NOT_QUEUED;
    req->ops = ops;
    ops->set_key( &req->key, p );
    req->reply = p->reply;
    req->reply_size = p->reply_size;
    InitializeConditionVariable( &req->cv );

    if (p->event)
    {
        req->how = COMPLETE_EVENT;
        if (!DuplicateHandle( GetCurrentProcess(), p->event, GetCurrentProcess(), &req->event,
                              0, FALSE, DUPLICATE_SAME_ACCESS ))
        {
            err = GetLastError();
            HeapFree( GetProcessHeap(), 0, req );
            SetLastError( err );
            return 0;
        }
        ResetEvent( req->event );
    }
    else if (p->apc)
    {
        req->how = COMPLETE_APC;
        req->apc = p->apc;
        req->apc_context = p->apc_context;
        if (!(req->thread = thread_ref_current()))
        {
            HeapFree( GetProcessHeap(), 0, req );
            SetLastError( ERROR_NOT_ENOUGH_MEMORY );
            return 0;
        }
    }
    else req->how = COMPLETE_WAKE;

    if ((err = send_request( sock, req, p )))
    {
        /* refused before it was registered: no completion happens */
        if (req->event) CloseHandle( req->event );
        if (req->thread) thread_ref_release( req->thread );
        if (req != &sync_req) HeapFree( GetProcessHeap(), 0, req );
        SetLastError( err );
        return 0;
    }

    if (req != &sync_req)
    {
        request_release( req );
        SetLastError( ERROR_IO_PENDING );
        return 0;
    }

    /* wait for the reply, or time out here: still pending at the deadline */
    EnterCriticalSection( &engine.cs );
    while (!sync_req.done)
    {
        ULONGLONG now = now_ms();
        DWORD wait = INFINITE;

        if (sync_req.pending)
        {
            if (now >= sync_req.timer.deadline)
            {
                unregister_request( &sync_req );
                LeaveCriticalSection( &engine.cs );
                TRACE( "seq %u timed out\n", sync_req.key.seq );
                complete_status( &sync_req, IP_REQ_TIMED_OUT );
                EnterCriticalSection( &engine.cs );
                continue;
            }
            wait = sync_req.timer.deadline - now > 0x7fffffff ? 0x7fffffff : (DWORD)(sync_req.timer.deadline - now);
        }
        /* (no longer pending: the receive thread is writing the result) */
        SleepConditionVariableCS( &sync_req.cv, &engine.cs, wait );
    }
    LeaveCriticalSection( &engine.cs );

    if (sync_req.reply_count)
    {
        SetLastError( 0 );
        return sync_req.reply_count;
    }
    SetLastError( sync_req.status );
    return 0;
}
