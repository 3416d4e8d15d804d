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

struct echo_request
{
    LONG refs;                    /* async: the sender's and the completion's */
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
    IPAddr src;                   /* 0 for the default, unbound socket */
    /* receive side: receive thread only */
    WSAOVERLAPPED ov;
    BOOL posted;
    DWORD rx_flags;
    struct sockaddr_in from;
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
    req->written = icmp4_write_reply( req->reply, req->reply_size, (ULONG_PTR)req->reply,
                                      sizeof(void *) == 8, res );
    TRACE( "seq %u completed: status %u, address %s, rtt %u, %lu bytes\n", req->key.seq,
           res->status, debugstr_ip( res->address ), res->rtt_ms, req->written );

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
    if (timer_heap_insert( &engine.timers, &req->timer )) return FALSE;
    req->key.id = engine.id;
    req->key.seq = seq;
    engine.pending[seq] = req;
    engine.pending_count++;
    req->pending = TRUE;
    *wake = req->timer.deadline < engine.wake_at;
    if (*wake) engine.wake_at = req->timer.deadline;
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

/* Opens a raw ICMP socket, bound to src if non-zero. Returns an error code
 * (ERROR_ACCESS_DENIED without privilege, ERROR_INVALID_NETNAME if src is
 * not local) or 0. */
static DWORD socket_open( IPAddr src, struct icmp_socket **ret )
{
    struct icmp_socket *sock;
    int len, rcvbuf = 1 << 20;
    DWORD off = FALSE, err;

    if (!(sock = HeapAlloc( GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof(*sock) ))) return ERROR_NOT_ENOUGH_MEMORY;
    sock->src = src;
    sock->s = WSASocketW( AF_INET, SOCK_RAW, IPPROTO_ICMP, NULL, 0, WSA_FLAG_OVERLAPPED );
    if (sock->s == INVALID_SOCKET)
    {
        err = WSAGetLastError();
        WARN( "cannot open a raw ICMP socket: %lu\n", err );
        socket_free( sock );
        return err == WSAEACCES ? ERROR_ACCESS_DENIED : err == WSAEAFNOSUPPORT ? ERROR_NOT_SUPPORTED : err;
    }
    if (src)
    {
        struct sockaddr_in addr;
        memset( &addr, 0, sizeof(addr) );
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = src;
        if (bind( sock->s, (struct sockaddr *)&addr, sizeof(addr) ))
        {
            err = WSAGetLastError();
            TRACE( "cannot bind to %s: %lu\n", debugstr_ip( src ), err );
            socket_free( sock );
            return err == WSAEADDRNOTAVAIL ? ERROR_INVALID_NETNAME : err;
        }
    }
    /* Without CAP_NET_RAW, Wine quietly opens a Linux ping socket instead:
     * the kernel rewrites our identifier (Wine maps back only its last few)
     * and keeps ICMP errors to itself. Such a socket refuses IP_HDRINCL. */
    {
        DWORD hdrincl = FALSE;
        sock->ping_socket = setsockopt( sock->s, IPPROTO_IP, IP_HDRINCL, (char *)&hdrincl, sizeof(hdrincl) ) != 0;
        if (sock->ping_socket) TRACE( "a ping socket (IP_HDRINCL refused: %d)\n", WSAGetLastError() );
    }
    len = sizeof(sock->default_ttl);
    if (getsockopt( sock->s, IPPROTO_IP, IP_TTL, (char *)&sock->default_ttl, &len ) || !sock->default_ttl)
        sock->default_ttl = 128;
    sock->ttl = sock->default_ttl;
    /* no DF unless asked: the platform default may be path MTU discovery */
    setsockopt( sock->s, IPPROTO_IP, IP_DONTFRAGMENT, (char *)&off, sizeof(off) );
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
static DWORD socket_apply_options( struct icmp_socket *sock, const struct echo_params *p )
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

/* ---- receive thread ---- */

static void process_packet( struct icmp_socket *sock, const BYTE *pkt, DWORD len, const LARGE_INTEGER *when )
{
    struct icmp4_packet p;
    struct echo_request *req;
    struct icmp_result res;

    if (icmp4_parse( pkt, len, &p ) == ICMP_KIND_IGNORE) return;

    EnterCriticalSection( &engine.cs );
    req = engine.pending[p.seq];
    if (!req || !icmp4_match( &p, &req->key ))
    {
        LeaveCriticalSection( &engine.cs );
        TRACE( "ignoring type %u code %u seq %u id %#x from %s\n", p.type, p.code, p.seq, p.id, debugstr_ip( p.src ) );
        return;
    }
    unregister_request( req );
    LeaveCriticalSection( &engine.cs );

    icmp4_result_from_packet( &p, (uint32_t)qpc_to_ms( when->QuadPart - req->sent.QuadPart ), &res );
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

/* Starts the engine and opens the default socket (cs held). */
static DWORD engine_start( void )
{
    struct icmp_socket *sock;
    HMODULE pinned;
    HANDLE thread;
    WSADATA wsa;
    DWORD err;

    if (engine.started) return 0;
    if ((err = WSAStartup( MAKEWORD(2, 2), &wsa ))) return err;
    if ((err = socket_open( 0, &sock )))
    {
        WSACleanup();
        return err;
    }
    if (!engine.pending && !(engine.pending = HeapAlloc( GetProcessHeap(), HEAP_ZERO_MEMORY,
                                                         SEQ_SPACE * sizeof(*engine.pending) )))
    {
        socket_free( sock );
        return ERROR_NOT_ENOUGH_MEMORY;
    }
    if (!(engine.wake = CreateEventW( NULL, FALSE, FALSE, NULL )))
    {
        socket_free( sock );
        return GetLastError();
    }
    engine.sockets[0] = sock;
    engine.socket_count = 1;
    engine.id = (USHORT)GetCurrentProcessId();
    engine.next_seq = (USHORT)(GetTickCount() ^ (GetCurrentProcessId() << 4));
    engine.wake_at = ~(ULONGLONG)0;

    /* the receive thread and queued APCs run our code: stay loaded */
    GetModuleHandleExW( GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_PIN,
                        (const WCHAR *)module, &pinned );
    if (!(thread = CreateThread( NULL, 0, receive_thread, NULL, 0, NULL )))
    {
        err = GetLastError();
        engine.socket_count = 0;
        socket_free( sock );
        CloseHandle( engine.wake );
        return err;
    }
    CloseHandle( thread );
    engine.started = TRUE;
    TRACE( "engine started, id %#x\n", engine.id );
    return 0;
}

/* Finds or opens the socket for a source address (cs held). */
static DWORD get_socket( IPAddr src, struct icmp_socket **ret )
{
    unsigned int i;
    DWORD err;

    for (i = 0; i < engine.socket_count; i++)
        if (engine.sockets[i]->src == src) break;
    if (i < engine.socket_count)
    {
        *ret = engine.sockets[i];
        return 0;
    }
    if (engine.socket_count == MAX_SOCKETS) return IP_NO_RESOURCES;
    if ((err = socket_open( src, ret ))) return err;
    engine.sockets[engine.socket_count++] = *ret;
    SetEvent( engine.wake );  /* the receive thread listens on it from now on */
    return 0;
}

/* ---- sending ---- */

static DWORD send_request( struct icmp_socket *sock, struct echo_request *req, const struct echo_params *p )
{
    struct sockaddr_in addr;
    BYTE stack_packet[ICMP_HDR_LEN + 256], *packet = stack_packet;
    size_t len;
    DWORD status;
    BOOL wake;

    EnterCriticalSection( &engine.send_cs );
    if ((status = socket_apply_options( sock, p )))
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

    if (p->data_size > sizeof(stack_packet) - ICMP_HDR_LEN &&
        !(packet = HeapAlloc( GetProcessHeap(), 0, ICMP_HDR_LEN + p->data_size )))
        status = ERROR_NOT_ENOUGH_MEMORY;
    else
    {
        len = icmp4_build_echo( packet, ICMP_HDR_LEN + p->data_size, req->key.id, req->key.seq,
                                p->data, p->data_size );
        memset( &addr, 0, sizeof(addr) );
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = p->dst;
        TRACE( "seq %u: %u bytes to %s, ttl %d tos %d df %d, %u option bytes, timeout %lu\n", req->key.seq,
               p->data_size, debugstr_ip( p->dst ), sock->ttl, sock->tos, sock->df, p->options_size, p->timeout );
        if (sendto( sock->s, (char *)packet, (int)len, 0, (struct sockaddr *)&addr, sizeof(addr) ) < 0)
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
    struct icmp_socket *sock;
    struct echo_request sync_req, *req;
    DWORD err;

    /* the source is checked by binding the raw socket we send from (cached
     * per source): Wine's UDP bind accepts addresses that are not local */
    EnterCriticalSection( &engine.cs );
    if (!(err = engine_start())) err = get_socket( p->src, &sock );
    LeaveCriticalSection( &engine.cs );
    if (err == ERROR_INVALID_NETNAME)
    {
        SetLastError( err );
        return 0;
    }
    if (p->reply_size < sizeof(ICMP_ECHO_REPLY) + p->data_size)
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
    req->key.dst = p->dst;
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

    EnterCriticalSection( &engine.cs );
    while (!sync_req.done) SleepConditionVariableCS( &sync_req.cv, &engine.cs, INFINITE );
    LeaveCriticalSection( &engine.cs );

    if (sync_req.reply_count)
    {
        SetLastError( 0 );
        return sync_req.reply_count;
    }
    SetLastError( sync_req.status );
    return 0;
}
