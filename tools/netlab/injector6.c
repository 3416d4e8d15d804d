/*
 * labtool inject ADDR6 DECOY6 [DIR]: injector.c for IPv6. For every ICMPv6
 * echo request to ADDR6 whose payload starts with "HOSTILE" + a mode
 * letter, it fires forged ICMPv6 packets back at the sender while the
 * request is pending:
 *
 *   echo replies with the wrong identifier, the wrong sequence, from the
 *   wrong source (DECOY6), with a bad checksum, truncated to 4 bytes;
 *   errors quoting someone else's request (another destination,
 *   identifier and sequence), quoting ours with the wrong inner next
 *   header, type, destination or version, with inner payload lengths that
 *   cannot be, truncated (4 bytes of ICMPv6, the IPv6 header alone,
 *   nothing), with a bad checksum; a redirect, unknown error and
 *   informational types, and a copy of the request.
 *
 * None of them may complete the request. Then, by mode letter: 'S' nothing
 * more, 'A' the genuine echo reply, 'E' a genuine hop-limit-exceeded error
 * quoting the request (IP_HOP_LIMIT_EXCEEDED from ADDR6).
 *
 * Every packet is written whole (IPv6 header included, checksum ours), so
 * any source can be forged; packets go only to the sender of a request
 * that arrived here. With DIR each kind is saved once as a fuzz corpus file
 * (mode byte 2, then the ICMPv6 message as a raw ICMPv6 socket returns it).
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
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "icmp6_packet.h"
#include "labnet.h"

#define MAX_MSG 1400

struct forge6
{
    int s;                              /* IPPROTO_RAW: we write the IPv6 header */
    struct in6_addr to, self;
    const struct lab_packet6 *req;      /* the request being attacked */
    const char *save_dir;
    unsigned int sent;
};

static void put16( uint8_t *p, uint16_t v ) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

static void save6( const struct forge6 *f, const char *name, const uint8_t *msg, size_t len )
{
    char path[4096];
    FILE *out;

    if (!f->save_dir) return;
    snprintf( path, sizeof(path), "%s/forged6-%s", f->save_dir, name );
    if (!access( path, F_OK ) || !(out = fopen( path, "wb" ))) return;
    fputc( 2, out );
    fwrite( msg, 1, len, out );
    fclose( out );
}

/* writes an IPv6 header (next header ICMPv6) for payload bytes from src to dst */
static void ipv6_header( uint8_t *h, const struct in6_addr *src, const struct in6_addr *dst, size_t payload,
                         uint8_t hlim )
{
    memset( h, 0, IPV6_HDR_LEN );
    h[0] = 0x60;
    put16( h + 4, (uint16_t)payload );
    h[6] = IPV6_NEXT_HEADER_ICMPV6;
    h[7] = hlim;
    memcpy( h + 8, src, 16 );
    memcpy( h + 24, dst, 16 );
}

/* sends msg[len] from src to the requester, checksummed (or not, if corrupt) */
static void send_forged6( struct forge6 *f, const char *name, const struct in6_addr *src, uint8_t *msg, size_t len,
                          int corrupt )
{
    uint8_t pkt[IPV6_HDR_LEN + 2 * MAX_MSG];
    struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_addr = f->to };
    uint16_t sum;

    if (len > sizeof(pkt) - IPV6_HDR_LEN) return;
    msg[2] = msg[3] = 0;
    sum = lab_icmp6_checksum( src, &f->to, msg, len );
    if (corrupt) sum ^= 0x5a5a;
    put16( msg + 2, sum );
    ipv6_header( pkt, src, &f->to, len, 64 );
    memcpy( pkt + IPV6_HDR_LEN, msg, len );
    if (sendto( f->s, pkt, IPV6_HDR_LEN + len, 0, (struct sockaddr *)&sin6, sizeof(sin6) ) < 0)
        fprintf( stderr, "inject: %s: sendto: %s\n", name, strerror( errno ) );
    else
        f->sent++;
    save6( f, name, msg, len );
}

/* an echo reply copying the request, for the caller to spoil */
static size_t reply_of6( const struct lab_packet6 *req, uint8_t *msg )
{
    memcpy( msg, req->icmp, req->icmp_len );
    msg[0] = ICMP6_ECHO_REPLY_TYPE;
    return req->icmp_len;
}

/* the quote a router makes of the request: its IPv6 header as it arrived,
 * then (the start of) the echo request */
static size_t quote_of6( const struct forge6 *f, uint8_t *q, size_t max )
{
    const struct lab_packet6 *req = f->req;
    size_t len = IPV6_HDR_LEN + req->icmp_len;

    if (len > max) len = max;
    ipv6_header( q, &req->src, &req->dst, req->icmp_len, (uint8_t)(req->hlim < 0 ? 64 : req->hlim) );
    memcpy( q + IPV6_HDR_LEN, req->icmp, len - IPV6_HDR_LEN );
    return len;
}

/* an ICMPv6 error type/code (4 bytes of parameter) quoting quote[qlen] */
static size_t error_of6( uint8_t type, uint8_t code, const uint8_t *quote, size_t qlen, uint8_t *msg )
{
    memset( msg, 0, 8 );
    msg[0] = type;
    msg[1] = code;
    memcpy( msg + 8, quote, qlen );
    return 8 + qlen;
}

static void attack6( struct forge6 *f, const struct in6_addr *decoy )
{
    const struct lab_packet6 *req = f->req;
    uint8_t msg[2 * MAX_MSG], q[MAX_MSG], bad[MAX_MSG];
    size_t len, qlen = quote_of6( f, q, 256 );
    const size_t echo = IPV6_HDR_LEN;   /* the quoted request, in q */

    if (req->icmp_len > MAX_MSG - IPV6_HDR_LEN) return;

    len = reply_of6( req, msg ); put16( msg + 4, (uint16_t)(req->id ^ 0x5555) );
    send_forged6( f, "reply-wrong-id", &f->self, msg, len, 0 );
    len = reply_of6( req, msg ); put16( msg + 6, (uint16_t)(req->seq ^ 0x8000) );
    send_forged6( f, "reply-wrong-seq", &f->self, msg, len, 0 );
    len = reply_of6( req, msg );
    send_forged6( f, "reply-wrong-source", decoy, msg, len, 0 );
    len = reply_of6( req, msg );
    send_forged6( f, "reply-bad-checksum", &f->self, msg, len, 1 );
    len = reply_of6( req, msg );
    send_forged6( f, "reply-truncated", &f->self, msg, 4, 0 );

    /* someone else's request: another destination, identifier and sequence */
    memcpy( bad, q, qlen ); memcpy( bad + 24, decoy, 16 );
    put16( bad + echo + 4, (uint16_t)(req->id + 77) ); put16( bad + echo + 6, (uint16_t)(req->seq + 77) );
    send_forged6( f, "error-foreign", &f->self, msg, error_of6( 3, 0, bad, qlen, msg ), 0 );
    /* ours, spoilt */
    memcpy( bad, q, qlen ); bad[6] = IPPROTO_UDP;
    send_forged6( f, "error-inner-udp", &f->self, msg, error_of6( 3, 0, bad, qlen, msg ), 0 );
    memcpy( bad, q, qlen ); bad[echo] = ICMP6_ECHO_REPLY_TYPE;
    send_forged6( f, "error-inner-echo-reply", &f->self, msg, error_of6( 3, 0, bad, qlen, msg ), 0 );
    memcpy( bad, q, qlen ); memcpy( bad + 24, decoy, 16 );
    send_forged6( f, "error-inner-wrong-dst", &f->self, msg, error_of6( 1, 3, bad, qlen, msg ), 0 );
    memcpy( bad, q, qlen ); bad[0] = 0x45;
    send_forged6( f, "error-inner-version-4", &f->self, msg, error_of6( 3, 0, bad, qlen, msg ), 0 );
    /* inner lengths that cannot be (robustness: a sequence nobody uses) */
    memcpy( bad, q, qlen ); put16( bad + 4, 0 ); put16( bad + echo + 6, (uint16_t)(req->seq ^ 0x8000) );
    send_forged6( f, "error-inner-length-0", &f->self, msg, error_of6( 3, 0, bad, qlen, msg ), 0 );
    memcpy( bad, q, qlen ); put16( bad + 4, 0xffff ); put16( bad + echo + 6, (uint16_t)(req->seq ^ 0x8000) );
    send_forged6( f, "error-inner-length-65535", &f->self, msg, error_of6( 3, 0, bad, qlen, msg ), 0 );
    /* truncated quotes */
    send_forged6( f, "error-quote-4", &f->self, msg, error_of6( 3, 0, q, echo + 4, msg ), 0 );
    send_forged6( f, "error-quote-ip-only", &f->self, msg, error_of6( 3, 0, q, echo, msg ), 0 );
    send_forged6( f, "error-quote-nothing", &f->self, msg, error_of6( 1, 3, q, 0, msg ), 0 );
    send_forged6( f, "error-bad-checksum", &f->self, msg, error_of6( 3, 0, q, qlen, msg ), 1 );
    /* types that are no answer: a redirect, unknown error and informational types, the request itself */
    send_forged6( f, "redirect", &f->self, msg, error_of6( 137, 0, q, qlen, msg ), 0 );
    send_forged6( f, "unknown-error-type", &f->self, msg, error_of6( 99, 0, q, qlen, msg ), 0 );
    send_forged6( f, "unknown-info-type", &f->self, msg, error_of6( 200, 0, q, qlen, msg ), 0 );
    memcpy( msg, req->icmp, req->icmp_len );
    send_forged6( f, "echo-request-copy", &f->self, msg, req->icmp_len, 0 );
}

int lab_inject6( int argc, char **argv )
{
    static uint8_t buf[65536];
    struct in6_addr self = lab_addr6( argv[1] ), decoy = lab_addr6( argv[2] );
    struct forge6 f = { 0 };
    unsigned int requests = 0;
    int s = lab_icmp6_socket( &self );

    f.s = lab_hdrincl6_socket();
    f.self = self;
    f.save_dir = argc > 3 ? argv[3] : NULL;
    printf( "inject: forging at whoever sends \"HOSTILE\" ICMPv6 echo requests to %s\n", argv[1] );
    for (;;)
    {
        struct lab_packet6 p;
        char mode;

        if (!lab_recv6( s, buf, sizeof(buf), &p ) || p.type != ICMP6_ECHO_REQUEST_TYPE ||
            memcmp( &p.dst, &self, sizeof(self) ) || p.data_len < 8 || memcmp( p.data, "HOSTILE", 7 ))
            continue;
        mode = (char)p.data[7];
        f.to = p.src;
        f.req = &p;
        f.sent = 0;
        attack6( &f, &decoy );
        if (mode == 'A')
        {
            uint8_t msg[MAX_MSG];
            struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_addr = p.src };
            if (p.icmp_len <= sizeof(msg))   /* (the raw ICMPv6 socket checksums it) */
                sendto( s, msg, reply_of6( &p, msg ), 0, (struct sockaddr *)&sin6, sizeof(sin6) );
        }
        else if (mode == 'E')
        {
            uint8_t msg[2 * MAX_MSG], q[MAX_MSG];
            send_forged6( &f, "genuine-hop-limit-exceeded", &self, msg,
                          error_of6( 3, 0, q, quote_of6( &f, q, 1232 - 8 ), msg ), 0 );
        }
        requests++;
        printf( "inject: request %u (seq %u from %s, mode %c): %u packets\n", requests, p.seq, lab_ntop6( &p.src ),
                mode, f.sent );
    }
}
