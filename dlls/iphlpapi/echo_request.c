/*
 * Requests: turning checked parameters into a request, the pending table
 * (indexed by sequence number) and the timer heap of asynchronous
 * requests, the send path (after the flow budget, echo_flow.c), and the
 * synchronous caller's wait, which times itself out so that it never needs
 * the receive thread's timers.
 *
 * A request's time runs from just before its sendto: its deadline is that
 * moment plus Timeout, and its RoundTripTime ends when the receive thread
 * picks up the answer. Timeouts below ECHO_MIN_TIMEOUT (16 ms, Windows'
 * default timer tick) wait that long: Windows accepts Timeout 0 and a
 * loopback echo then succeeds (Wine's iphlpapi tests, checked on Windows),
 * and .NET documents that with very small timeouts a reply can still be
 * received after Timeout has passed.
 *
 * Owns struct echo_request until completion; must not touch a socket's
 * receive side or its option state except through echo_socket.c.
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

/* ---- the pending table and timers (engine.cs held) ---- */

BOOL request_register( struct echo_request *req, DWORD timeout, BOOL *wake )
{
    unsigned int tries;
    USHORT seq;

    if (engine.pending_count >= ECHO_SEQ_SPACE) return FALSE;
    for (tries = 0; tries < ECHO_SEQ_SPACE; tries++)
    {
        seq = engine.next_seq++;
        if (!engine.pending[seq]) break;
    }
    QueryPerformanceCounter( &req->sent );
    req->timer.deadline = engine_qpc_to_ms( req->sent.QuadPart ) + max( timeout, ECHO_MIN_TIMEOUT );
    /* a synchronous caller times itself out (request_wait): only asynchronous
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

void request_unregister( struct echo_request *req )
{
    flow_release( req );
    timer_heap_remove( &engine.timers, &req->timer );
    engine.pending[req->key.seq] = NULL;
    engine.pending_count--;
    req->pending = FALSE;
}

/* ---- sending ---- */

/* Builds and sends the registered request (engine.send_cs held); a Win32 error or 0. */
static DWORD send_packet( struct echo_socket *sock, struct echo_request *req, const struct echo_params *p )
{
    BYTE stack_packet[ICMP_HDR_LEN + 256], *packet = stack_packet;
    uint8_t dst[ICMP_ADDR_LEN];
    size_t len;
    DWORD err;

    if (p->data_size > sizeof(stack_packet) - ICMP_HDR_LEN &&
        !(packet = HeapAlloc( GetProcessHeap(), 0, ICMP_HDR_LEN + p->data_size )))
        return ERROR_NOT_ENOUGH_MEMORY;
    len = sock->ops->family->build( packet, ICMP_HDR_LEN + p->data_size, req->key.id, req->key.seq, p->data, p->data_size );
    memcpy( dst, req->key.dst, sizeof(dst) );
    TRACE( "sending seq %u: %u bytes to %s, ttl %d tos %d df %d, %u option bytes, timeout %lu\n", req->key.seq,
           p->data_size, sock->ops->family->debugstr_address( dst ), sock->ttl, sock->tos, sock->df, p->options_size,
           p->timeout );
    if ((err = socket_send( sock, packet, len, &p->dst )))
        TRACE( "seq %u: sendto failed: %lu\n", req->key.seq, err );
    if (packet != stack_packet) HeapFree( GetProcessHeap(), 0, packet );
    return err;
}

/* Completes a request that failed here, unless a reply or its timer got there first. */
static void fail_sent_request( struct echo_request *req, DWORD status )
{
    BOOL fail;

    EnterCriticalSection( &engine.cs );
    if ((fail = req->pending)) request_unregister( req );
    LeaveCriticalSection( &engine.cs );
    if (fail) completion_fail( req, status );
}

/* Sets the options, registers and sends. Returns 0, or the IP_STATUS with
 * which the request was refused before it was registered (no completion
 * happens then; the caller reports it as the last error); otherwise the
 * request completes, perhaps already. */
static DWORD request_send( struct echo_socket *sock, struct echo_request *req, const struct echo_params *p )
{
    DWORD err, status = p->unsent_status;
    BOOL registered = FALSE, wake = FALSE;

    req->key.payload_size = p->data_size;
    req->key.payload_hash = icmp_payload_hash( p->data, p->data_size );
    if (!status) flow_reserve( req, p->data_size, sock->ops->family->is_loopback( &p->dst ) );
    EnterCriticalSection( &engine.send_cs );
    err = sock->ops->family->set_options( sock, p );
    EnterCriticalSection( &engine.cs );
    if (!err && !(registered = request_register( req, p->timeout, &wake ))) err = ERROR_NOT_ENOUGH_MEMORY;
    if (!registered) flow_release( req );
    LeaveCriticalSection( &engine.cs );
    if (err)
    {
        LeaveCriticalSection( &engine.send_cs );
        return ip_status_from_error( err );
    }
    if (wake) SetEvent( engine.wake );
    if (!status && (err = send_packet( sock, req, p ))) status = ip_status_from_error( err );
    LeaveCriticalSection( &engine.send_cs );

    if (status) fail_sent_request( req, status );
    return 0;
}

/* ---- the synchronous caller ---- */

/* Waits for the reply, or times out here: still pending at the deadline. */
static void request_wait( struct echo_request *req )
{
    EnterCriticalSection( &engine.cs );
    while (!req->done)
    {
        ULONGLONG now = engine_now_ms();
        DWORD wait = INFINITE;

        if (req->pending)
        {
            if (now >= req->timer.deadline)
            {
                request_unregister( req );
                LeaveCriticalSection( &engine.cs );
                TRACE( "seq %u timed out\n", req->key.seq );
                completion_fail( req, IP_REQ_TIMED_OUT );
                EnterCriticalSection( &engine.cs );
                continue;
            }
            wait = req->timer.deadline - now > 0x7fffffff ? 0x7fffffff : (DWORD)(req->timer.deadline - now);
        }
        /* (no longer pending: the receive thread is writing the result) */
        SleepConditionVariableCS( &req->cv, &engine.cs, wait );
    }
    LeaveCriticalSection( &engine.cs );
}

/* ---- submitting ---- */

/* Fills a request for p, with its completion; a Win32 error or 0. */
static DWORD request_init( struct echo_request *req, const struct socket_ops *ops, const struct echo_params *p )
{
    memset( req, 0, sizeof(*req) );
    req->refs = 2;  /* asynchronous: released by the completion and by the sender once sent */
    req->timer.index = TIMER_NOT_QUEUED;
    list_init( &req->flow_entry );
    list_init( &req->apc_entry );
    req->ops = ops;
    req->key.family = ops->family->key_family;
    ops->family->address_bytes( &p->dst, req->key.dst );
    req->reply = p->reply;
    req->reply_size = p->reply_size;
    req->iosb_status = p->unsent_status ? p->unsent_iosb_status : STATUS_SUCCESS;
    InitializeConditionVariable( &req->cv );

    if (p->event)
    {
        req->how = COMPLETE_EVENT;
        if (!DuplicateHandle( GetCurrentProcess(), p->event, GetCurrentProcess(), &req->event,
                              0, FALSE, DUPLICATE_SAME_ACCESS ))
            return GetLastError();
        ResetEvent( req->event );
    }
    else if (p->apc)
    {
        req->how = COMPLETE_APC;
        req->apc = p->apc;
        req->apc_context = p->apc_context;
        if (!(req->thread = thread_ref_current())) return ERROR_NOT_ENOUGH_MEMORY;
    }
    else req->how = COMPLETE_WAKE;
    return 0;
}

/* Undoes request_init for a request that never got registered. */
static void request_discard( struct echo_request *req )
{
    if (req->event) CloseHandle( req->event );
    if (req->thread) thread_ref_release( req->thread );
    if (req->how != COMPLETE_WAKE) HeapFree( GetProcessHeap(), 0, req );
}

static DWORD fail( DWORD err )
{
    SetLastError( err );
    return 0;
}

DWORD echo_request_submit( const struct echo_params *p )
{
    const struct socket_ops *ops = socket_ops_for_family( p->dst.si_family );
    struct echo_request sync_req, *req = &sync_req;
    struct echo_socket *sock;
    DWORD err;

    /* Windows' order: a source that is not ours (found by binding the
     * socket we send from), then the reply buffer's room for the data,
     * then whatever else kept the socket from opening */
    err = socket_get( &p->src, p->dst.si_family, &sock );
    if (err == ERROR_INVALID_NETNAME) return fail( err );
    if (p->reply_size < ops->family->reply_struct_size + p->data_size) return fail( IP_GENERAL_FAILURE );
    if (err) return fail( err );

    if ((p->event || p->apc) && !(req = HeapAlloc( GetProcessHeap(), 0, sizeof(*req) )))
        return fail( ERROR_NOT_ENOUGH_MEMORY );
    if ((err = request_init( req, sock->ops, p )) || (err = request_send( sock, req, p )))
    {
        request_discard( req );
        return fail( err );  /* a Win32 error from request_init, an IP_STATUS from request_send */
    }
    if (req != &sync_req)
    {
        request_release( req );
        return fail( ERROR_IO_PENDING );
    }
    request_wait( req );
    if (req->reply_count)
    {
        SetLastError( 0 );
        return req->reply_count;
    }
    return fail( req->status );
}
