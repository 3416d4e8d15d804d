/*
 * libFuzzer target: everything that reads a received packet. The input is
 * taken as what a raw IPv4 ICMP socket returned (or, when the first byte has
 * bit 1 set, what a raw ICMPv6 socket returned): parsed, matched against a
 * request key made from its own bytes (so matching paths are reached), and,
 * when it parses, written into reply buffers of every size around the
 * struct, for both layouts, checking that nothing is written past the bytes
 * reported and never past the buffer.
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
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "icmp4_packet.h"
#include "icmp6_packet.h"
#include "icmp_reply.h"

#define GUARD 0xa5

/* Random bytes rarely carry a valid checksum: when the first input byte is
 * odd, the rest is parsed with its ICMP checksum (outer, and the quoted
 * request's) recomputed, so the fuzzer reaches everything behind it. */
static void fix_checksums( uint8_t *pkt, size_t len )
{
    size_t hlen, qhlen;
    uint16_t sum;

    if (len < 20 || (pkt[0] >> 4) != 4) return;
    hlen = (size_t)(pkt[0] & 15) * 4;
    if (hlen < 20 || hlen + 8 > len) return;
    if (len - hlen >= 8 + 20)
    {
        uint8_t *q = pkt + hlen + 8;
        qhlen = (size_t)(q[0] & 15) * 4;
        if (qhlen >= 20 && hlen + 8 + qhlen + 8 <= len)
        {
            q[qhlen + 2] = q[qhlen + 3] = 0;
            sum = icmp_checksum( q + qhlen, len - hlen - 8 - qhlen );
            memcpy( q + qhlen + 2, &sum, 2 );
        }
    }
    pkt[hlen + 2] = pkt[hlen + 3] = 0;
    sum = icmp_checksum( pkt + hlen, len - hlen );
    memcpy( pkt + hlen + 2, &sum, 2 );
}

static void check_write( const struct icmp_result *res, size_t buf_size, int ptr64 )
{
    uint8_t *buf = malloc( buf_size + 64 );
    size_t n, i;

    memset( buf, GUARD, buf_size + 64 );
    n = icmp4_write_reply( buf, buf_size, 0x10000, ptr64, res );
    if (n > buf_size) abort();
    for (i = n; i < buf_size + 64; i++) if (buf[i] != GUARD) abort();
    free( buf );
}

static int fuzz_one( const uint8_t *data, size_t size );

/* a parsed packet must lie inside the input, match the request it
 * describes, and never one of another sequence */
static void check_parsed( const struct icmp_packet *p, const uint8_t *data, size_t size, icmp_echo_check check )
{
    struct icmp_request_key key;

    if (p->options && (p->options < data || p->options + p->options_size > data + size)) abort();
    if (p->data && (p->data < data || p->data + p->data_size > data + size)) abort();
    memset( &key, 0, sizeof(key) );
    key.family = p->family;
    key.id = p->id;
    key.seq = p->seq;
    memcpy( key.dst, p->kind == ICMP_KIND_ERROR ? p->quoted_dst : p->src, ICMP_ADDR_LEN );
    key.payload_size = (uint16_t)p->data_size;
    key.payload_hash = icmp_payload_hash( p->data, p->data_size );
    if (!icmp_match( p, &key, check )) abort();
    key.seq++;
    if (icmp_match( p, &key, check )) abort();
}

/* ICMPv6: parse, match, write the 36-byte layout at every size around it */
static int fuzz_one6( const uint8_t *data, size_t size )
{
    static const uint8_t src[16] = { 0xfd, 0, 0, 3, [15] = 2 };
    struct icmp_packet p;
    struct icmp_result res;
    uint8_t *buf;
    size_t s, n, i;

    if (icmp6_parse( data, size, src, &p ) == ICMP_KIND_IGNORE) return 0;
    check_parsed( &p, data, size, icmp_echo_check_id );
    icmp_result_from_packet( &p, 1, &res );
    if (p.kind == ICMP_KIND_ERROR && res.data_size) abort();
    for (s = ICMPV6_ECHO_REPLY_SIZE - 1; s < ICMPV6_ECHO_REPLY_SIZE + 48 + p.data_size; s += s < 100 ? 1 : 97)
    {
        buf = malloc( s + 64 );
        memset( buf, GUARD, s + 64 );
        n = icmp6_write_reply( buf, s, &res );
        if (n > s) abort();
        for (i = n; i < s + 64; i++) if (buf[i] != GUARD) abort();
        free( buf );
    }
    return 0;
}

int LLVMFuzzerTestOneInput( const uint8_t *data, size_t size );
int LLVMFuzzerTestOneInput( const uint8_t *data, size_t size )
{
    uint8_t *copy;
    int ret;

    if (!size) return 0;
    if (data[0] & 2)
    {
        copy = malloc( size - 1 ? size - 1 : 1 );
        memcpy( copy, data + 1, size - 1 );
        ret = fuzz_one6( copy, size - 1 );
        free( copy );
        return ret;
    }
    if (!(data[0] & 1)) return fuzz_one( data + 1, size - 1 );
    copy = malloc( size - 1 ? size - 1 : 1 );  /* exact size: ASan sees overreads */
    memcpy( copy, data + 1, size - 1 );
    fix_checksums( copy, size - 1 );
    ret = fuzz_one( copy, size - 1 );
    free( copy );
    return ret;
}

static int fuzz_one( const uint8_t *data, size_t size )
{
    struct icmp_packet p;
    struct icmp_result res;
    size_t s;
    int ptr64;

    if (icmp4_parse( data, size, &p ) == ICMP_KIND_IGNORE) return 0;
    /* (the low bit of the first byte chooses the ping socket's check) */
    check_parsed( &p, data, size, (data[0] & 1) ? icmp_echo_check_payload : icmp_echo_check_id );

    icmp_result_from_packet( &p, 1, &res );
    if (p.kind == ICMP_KIND_ERROR && res.data_size) abort();   /* errors carry no echo data */
    for (ptr64 = 0; ptr64 <= 1; ptr64++)
    {
        size_t base = icmp_reply_struct_size( ptr64 );
        for (s = base ? base - 1 : 0; s < base + 48; s++) check_write( &res, s, ptr64 );
        check_write( &res, base + p.data_size + 40, ptr64 );
    }
    return 0;
}
