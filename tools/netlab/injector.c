/*
 * labtool inject ADDR DECOY [DIR]: the lab's hostile host. It sits on ADDR
 * (a namespace whose kernel ignores echo) and, for every echo request to ADDR
 * whose payload starts with "HOSTILE" + a mode letter, fires a burst of
 * forged packets back at the sender while the request is pending:
 *
 *   echo replies with the wrong identifier, the wrong sequence, from the
 *   wrong source (DECOY), with a bad checksum, truncated to 4 bytes;
 *   ICMP errors quoting a foreign packet, quoting ours with the wrong inner
 *   protocol, type or destination, quoting ours truncated (4 bytes, IP header
 *   only, nothing), with a bogus inner IHL (15, 2) or inner total length (0,
 *   65535), with a bad checksum; a redirect, an unknown type and an echo
 *   request that quote or copy ours.
 *
 * None of them may complete the request. Then, by mode letter:
 *   'S'  nothing more (the request must time out),
 *   'A'  the genuine echo reply (the request must succeed, data intact),
 *   'E'  a genuine time-exceeded error quoting the request (11013 from ADDR).
 *
 * With DIR, each kind of forgery is also saved once as a fuzz corpus file
 * (mode byte 0, then the packet as a raw socket would return it).
 * Packets go only to the sender of a request that arrived here.
 * IPv6 ADDR and DECOY: injector6.c.
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

#include "icmp4_packet.h"
#include "labnet.h"

struct forge
{
    int s;                          /* IP_HDRINCL socket */
    uint32_t to;
    const struct lab_packet *req;   /* the request being attacked */
    const char *save_dir;
    unsigned int sent;
};

static void put16( uint8_t *p, uint16_t v ) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

static void set_checksum( uint8_t *msg, size_t len, int corrupt )
{
    uint16_t sum;
    msg[2] = msg[3] = 0;
    sum = icmp_checksum( msg, len );
    if (corrupt) sum ^= 0x5a5a;
    memcpy( msg + 2, &sum, 2 );
}

static void save( const struct forge *f, const char *name, const uint8_t *pkt, size_t len )
{
    char path[4096];
    FILE *out;

    if (!f->save_dir) return;
    snprintf( path, sizeof(path), "%s/forged-%s", f->save_dir, name );
    if (!access( path, F_OK ) || !(out = fopen( path, "wb" ))) return;
    fputc( 0, out );
    fwrite( pkt, 1, len, out );
    fclose( out );
}

/* sends an ICMP message msg[len] from src to the requester, in an IPv4 header of ours */
static void send_forged( struct forge *f, const char *name, uint32_t src, const uint8_t *msg, size_t len )
{
    uint8_t pkt[2048];
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = f->to };
    uint16_t sum;

    if (len > sizeof(pkt) - 20) return;
    memset( pkt, 0, 20 );
    pkt[0] = 0x45;
    put16( pkt + 2, (uint16_t)(20 + len) );
    pkt[8] = 64;
    pkt[9] = IPPROTO_ICMP;
    memcpy( pkt + 12, &src, 4 );
    memcpy( pkt + 16, &f->to, 4 );
    sum = icmp_checksum( pkt, 20 );
    memcpy( pkt + 10, &sum, 2 );
    memcpy( pkt + 20, msg, len );
    if (sendto( f->s, pkt, 20 + len, 0, (struct sockaddr *)&sin, sizeof(sin) ) < 0)
        fprintf( stderr, "inject: %s: sendto: %s\n", name, strerror( errno ) );
    else
        f->sent++;
    save( f, name, pkt, 20 + len );
}

/* an echo reply copying the request, then changed by the caller */
static size_t reply_of( const struct lab_packet *req, uint8_t *msg )
{
    memcpy( msg, req->icmp, req->icmp_len );
    msg[0] = ICMP4_ECHO_REPLY_TYPE;
    set_checksum( msg, req->icmp_len, 0 );
    return req->icmp_len;
}

/* an ICMP error type/code quoting quote[qlen] */
static size_t error_of( uint8_t type, uint8_t code, const uint8_t *quote, size_t qlen, uint8_t *msg, int corrupt )
{
    memset( msg, 0, 8 );
    msg[0] = type;
    msg[1] = code;
    memcpy( msg + 8, quote, qlen );
    set_checksum( msg, 8 + qlen, corrupt );
    return 8 + qlen;
}

/* the quote a router makes of the request: its IPv4 header (as sent, TTL
 * restored to what left the client does not matter) plus 8 bytes of ICMP */
static size_t quote_of( const struct lab_packet *req, uint8_t *q )
{
    memcpy( q, req->ip, req->ip_len );
    memcpy( q + req->ip_len, req->icmp, 8 );
    return req->ip_len + 8;
}

static void attack( struct forge *f, uint32_t self, uint32_t decoy )
{
    const struct lab_packet *req = f->req;
    uint8_t msg[2048], q[128];
    size_t len, qlen = quote_of( req, q ), ihl = req->ip_len;

    if (req->icmp_len > 1400) return;

    len = reply_of( req, msg ); put16( msg + 4, (uint16_t)(req->id ^ 0x5555 ) ); set_checksum( msg, len, 0 );
    send_forged( f, "reply-wrong-id", self, msg, len );
    len = reply_of( req, msg ); put16( msg + 6, (uint16_t)(req->seq ^ 0x8000) ); set_checksum( msg, len, 0 );
    send_forged( f, "reply-wrong-seq", self, msg, len );
    len = reply_of( req, msg );
    send_forged( f, "reply-wrong-source", decoy, msg, len );
    len = reply_of( req, msg ); set_checksum( msg, len, 1 );
    send_forged( f, "reply-bad-checksum", self, msg, len );
    len = reply_of( req, msg );
    send_forged( f, "reply-truncated", self, msg, 4 );

    {   /* a foreign packet: another destination, identifier and sequence */
        uint8_t foreign[128];
        memcpy( foreign, q, qlen );
        memcpy( foreign + 16, &decoy, 4 );
        put16( foreign + ihl + 4, (uint16_t)(req->id + 77) );
        put16( foreign + ihl + 6, (uint16_t)(req->seq + 77) );
        send_forged( f, "error-foreign", self, msg, error_of( 11, 0, foreign, qlen, msg, 0 ) );
    }
    {
        uint8_t bad[128];
        memcpy( bad, q, qlen ); bad[9] = IPPROTO_UDP;
        send_forged( f, "error-inner-udp", self, msg, error_of( 11, 0, bad, qlen, msg, 0 ) );
        memcpy( bad, q, qlen ); bad[ihl] = ICMP4_ECHO_REPLY_TYPE;
        send_forged( f, "error-inner-echo-reply", self, msg, error_of( 11, 0, bad, qlen, msg, 0 ) );
        memcpy( bad, q, qlen ); memcpy( bad + 16, &decoy, 4 );
        send_forged( f, "error-inner-wrong-dst", self, msg, error_of( 3, 1, bad, qlen, msg, 0 ) );
        memcpy( bad, q, qlen ); bad[0] = 0x4f;
        send_forged( f, "error-inner-ihl-15", self, msg, error_of( 11, 0, bad, qlen, msg, 0 ) );
        memcpy( bad, q, qlen ); bad[0] = 0x42;
        send_forged( f, "error-inner-ihl-2", self, msg, error_of( 11, 0, bad, qlen, msg, 0 ) );
        memcpy( bad, q, qlen ); bad[0] = 0x65;
        send_forged( f, "error-inner-version-6", self, msg, error_of( 11, 0, bad, qlen, msg, 0 ) );
        /* inner lengths that cannot be (robustness: a sequence nobody uses) */
        memcpy( bad, q, qlen ); put16( bad + 2, 0 ); put16( bad + ihl + 6, (uint16_t)(req->seq ^ 0x8000) );
        send_forged( f, "error-inner-length-0", self, msg, error_of( 11, 0, bad, qlen, msg, 0 ) );
        memcpy( bad, q, qlen ); put16( bad + 2, 0xffff ); put16( bad + ihl + 6, (uint16_t)(req->seq ^ 0x8000) );
        send_forged( f, "error-inner-length-65535", self, msg, error_of( 11, 0, bad, qlen, msg, 0 ) );
    }
    send_forged( f, "error-quote-4", self, msg, error_of( 11, 0, q, ihl + 4, msg, 0 ) );
    send_forged( f, "error-quote-ip-only", self, msg, error_of( 11, 0, q, ihl, msg, 0 ) );
    send_forged( f, "error-quote-nothing", self, msg, error_of( 3, 1, q, 0, msg, 0 ) );
    send_forged( f, "error-bad-checksum", self, msg, error_of( 11, 0, q, qlen, msg, 1 ) );
    send_forged( f, "redirect", self, msg, error_of( 5, 1, q, qlen, msg, 0 ) );
    send_forged( f, "unknown-type", self, msg, error_of( 42, 0, q, qlen, msg, 0 ) );
    memcpy( msg, req->icmp, req->icmp_len );
    send_forged( f, "echo-request-copy", self, msg, req->icmp_len );
}

int lab_inject( int argc, char **argv )
{
    static uint8_t buf[65536];
    uint32_t self, decoy;
    struct forge f = { 0 };
    int s;
    unsigned int requests = 0;

    if (argc < 3) lab_die( "usage: labtool inject ADDR DECOY [DIR]\n" );
    if (lab_is_addr6( argv[1] )) return lab_inject6( argc, argv );
    self = lab_addr( argv[1] );
    decoy = lab_addr( argv[2] );
    f.save_dir = argc > 3 ? argv[3] : NULL;
    s = lab_icmp_socket( self );
    f.s = lab_hdrincl_socket();
    printf( "inject: forging at whoever sends \"HOSTILE\" echo requests to %s\n", argv[1] );
    for (;;)
    {
        struct lab_packet p;
        ssize_t n = recv( s, buf, sizeof(buf), 0 );
        char mode;

        if (n <= 0 || !lab_split( buf, (size_t)n, &p ) || p.type != ICMP4_ECHO_REQUEST_TYPE || p.dst != self ||
            p.data_len < 8 || memcmp( p.data, "HOSTILE", 7 ))
            continue;
        mode = (char)p.data[7];
        f.to = p.src;
        f.req = &p;
        f.sent = 0;
        attack( &f, self, decoy );
        if (mode == 'A')
        {
            uint8_t msg[2048];
            struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = p.src };
            if (p.icmp_len <= sizeof(msg))
                sendto( s, msg, reply_of( &p, msg ), 0, (struct sockaddr *)&sin, sizeof(sin) );
        }
        else if (mode == 'E')
        {
            uint8_t msg[256], q[128];
            send_forged( &f, "genuine-ttl-expired", self, msg, error_of( 11, 0, q, quote_of( &p, q ), msg, 0 ) );
        }
        requests++;
        printf( "inject: request %u (seq %u from %s, mode %c): %u packets\n", requests, p.seq, lab_ntoa( p.src ),
                mode, f.sent );
    }
}
