/*
 * Native unit tests of the pure packet core (dlls/iphlpapi/icmp_packet.c,
 * icmp4_packet.c, icmp6_packet.c, icmp_reply.c): checksum, request
 * building, parsing, ICMP error mapping, matching and reply layout.
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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "icmp4_packet.h"
#include "icmp6_packet.h"
#include "icmp_reply.h"
#include "unit.h"

static uint32_t ip( const char *s )
{
    struct in_addr a;
    inet_pton( AF_INET, s, &a );
    return a.s_addr;
}

static void put16( uint8_t *p, uint16_t v ) { p[0] = v >> 8; p[1] = (uint8_t)v; }

/* an IPv4 address as the core stores it (the first 4 of 16 bytes), and back */
static uint32_t get4( const uint8_t *addr )
{
    uint32_t v;
    memcpy( &v, addr, 4 );
    return v;
}

static void set4( uint8_t *addr, uint32_t v )
{
    memset( addr, 0, ICMP_ADDR_LEN );
    memcpy( addr, &v, 4 );
}

/* Builds an IPv4 header (+options) carrying an ICMP message; returns length. */
static size_t make_ip( uint8_t *out, uint32_t src, uint32_t dst, uint8_t ttl, uint8_t tos, uint16_t frag,
                       const uint8_t *opts, size_t opt_len, const uint8_t *icmp, size_t icmp_len )
{
    size_t hlen = 20 + ((opt_len + 3) & ~3u);
    memset( out, 0, hlen );
    out[0] = 0x40 | (uint8_t)(hlen / 4);
    out[1] = tos;
    put16( out + 2, (uint16_t)(hlen + icmp_len) );
    put16( out + 6, frag );
    out[8] = ttl;
    out[9] = 1;
    memcpy( out + 12, &src, 4 );
    memcpy( out + 16, &dst, 4 );
    if (opt_len) memcpy( out + 20, opts, opt_len );
    memcpy( out + hlen, icmp, icmp_len );
    return hlen + icmp_len;
}

static size_t make_reply( uint8_t *out, uint16_t id, uint16_t seq, const void *data, size_t len )
{
    size_t n = icmp4_build_echo( out, 8 + len, id, seq, data, len );
    uint16_t sum;
    out[0] = ICMP4_ECHO_REPLY_TYPE;
    out[2] = out[3] = 0;
    sum = icmp_checksum( out, n );
    memcpy( out + 2, &sum, 2 );
    return n;
}

/* An ICMP error of type/code quoting an echo request (id, seq) to dst. */
static size_t make_error( uint8_t *out, uint8_t type, uint8_t code, uint32_t src_of_req, uint32_t dst,
                          uint16_t id, uint16_t seq, size_t quote_len )
{
    uint8_t req[64], quoted[128];
    size_t rlen = icmp4_build_echo( req, sizeof(req), id, seq, "abcdefghijklmnop", 16 );
    size_t qlen = make_ip( quoted, src_of_req, dst, 1, 0, 0, NULL, 0, req, rlen );
    uint16_t sum;

    if (quote_len < qlen) qlen = quote_len;
    memset( out, 0, 8 );
    out[0] = type;
    out[1] = code;
    memcpy( out + 8, quoted, qlen );
    sum = icmp_checksum( out, 8 + qlen );
    memcpy( out + 2, &sum, 2 );
    return 8 + qlen;
}

void test_checksum( void )
{
    /* RFC 1071 example bytes: 00 01 f2 03 f4 f5 f6 f7 -> sum ddf2, checksum 220d */
    static const uint8_t ex[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
    uint16_t c = icmp_checksum( ex, sizeof(ex) );
    const uint8_t *b = (const uint8_t *)&c;
    uint8_t pkt[64];
    size_t n;

    CHECK( b[0] == 0x22 && b[1] == 0x0d, "checksum bytes %02x %02x", b[0], b[1] );
    n = icmp4_build_echo( pkt, sizeof(pkt), 0x1234, 0x5678, "abc", 3 );  /* odd length */
    CHECK( n == 11, "length %zu", n );
    CHECK( icmp_checksum( pkt, n ) == 0, "built packet does not verify" );
    CHECK( pkt[0] == 8 && pkt[1] == 0 && pkt[4] == 0x12 && pkt[5] == 0x34 && pkt[6] == 0x56 && pkt[7] == 0x78,
           "header fields" );
    CHECK( !memcmp( pkt + 8, "abc", 3 ), "payload" );
    CHECK( icmp4_build_echo( pkt, 10, 1, 1, "abc", 3 ) == 0, "short buffer accepted" );
    CHECK( icmp4_build_echo( pkt, 8, 1, 1, NULL, 0 ) == 8, "empty payload" );
}

void test_error_mapping( void )
{
    static const struct { uint8_t type, code; uint32_t status; } map[] =
    {
        { 3, 0, 11002 }, { 3, 1, 11003 }, { 3, 2, 11004 }, { 3, 3, 11005 }, { 3, 4, 11009 },
        { 3, 5, 11012 }, { 3, 6, 11002 }, { 3, 7, 11003 }, { 3, 8, 11003 }, { 3, 9, 11002 },
        { 3, 10, 11003 }, { 3, 11, 11002 }, { 3, 12, 11003 }, { 3, 13, 11003 }, { 3, 14, 11003 },
        { 3, 15, 11003 }, { 3, 200, 11003 }, { 11, 0, 11013 }, { 11, 1, 11014 }, { 12, 0, 11015 },
        { 12, 1, 11015 }, { 4, 0, 11016 }, { 5, 0, 0 }, { 5, 1, 0 }, { 8, 0, 0 }, { 0, 0, 0 },
        { 13, 0, 0 }, { 255, 0, 0 },
    };
    size_t i;

    for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        CHECK( icmp4_error_status( map[i].type, map[i].code ) == map[i].status, "type %u code %u -> %u",
               map[i].type, map[i].code, icmp4_error_status( map[i].type, map[i].code ) );
}

void test_parse_reply( void )
{
    uint8_t icmp[128], pkt[256], opts[8] = { 7, 7, 4, 0, 0, 0, 0, 0 };
    struct icmp_packet p;
    size_t ilen = make_reply( icmp, 0x42, 7, "hello", 5 );
    size_t n = make_ip( pkt, ip( "127.0.0.2" ), ip( "127.0.0.1" ), 63, 0x10, 0x4000, NULL, 0, icmp, ilen );

    CHECK( icmp4_parse( pkt, n, &p ) == ICMP_KIND_ECHO_REPLY, "kind %d", p.kind );
    CHECK( get4( p.src ) == ip( "127.0.0.2" ), "src" );
    CHECK( p.ttl == 63 && p.tos == 0x10, "ttl %u tos %u", p.ttl, p.tos );
    CHECK( p.flags == 2, "DF flag in host order: %u", p.flags );
    CHECK( p.id == 0x42 && p.seq == 7, "id %x seq %u", p.id, p.seq );
    CHECK( p.data_size == 5 && !memcmp( p.data, "hello", 5 ), "data" );
    CHECK( p.options_size == 0 && !p.options, "no options" );
    {
        struct icmp_result r;
        icmp_result_from_packet( &p, 3, &r );
        CHECK( r.status == 0 && get4( r.address ) == ip( "127.0.0.2" ) && r.rtt_ms == 3 && r.reply_count == 1 &&
               r.ttl == 63 && r.tos == 0x10 && r.flags == 2, "reply result fields" );
        CHECK( r.data == p.data && r.data_size == 5, "reply result data" );
    }

    /* with options (7 bytes, padded to 8 in the header) */
    n = make_ip( pkt, ip( "127.0.0.2" ), ip( "127.0.0.1" ), 64, 0, 0, opts, 7, icmp, ilen );
    CHECK( icmp4_parse( pkt, n, &p ) == ICMP_KIND_ECHO_REPLY, "kind with options" );
    CHECK( p.options_size == 8 && p.options == pkt + 20 && p.options[0] == 7, "options %u", p.options_size );
    CHECK( p.data_size == 5 && !memcmp( p.data, "hello", 5 ), "data after options" );
    CHECK( p.flags == 0, "no DF" );

    /* trailing link padding beyond total length is ignored */
    n = make_ip( pkt, ip( "127.0.0.2" ), ip( "127.0.0.1" ), 64, 0, 0, NULL, 0, icmp, ilen );
    memset( pkt + n, 0xee, 6 );
    CHECK( icmp4_parse( pkt, n + 6, &p ) == ICMP_KIND_ECHO_REPLY && p.data_size == 5, "padding" );
}

void test_parse_hostile( void )
{
    uint8_t icmp[128], pkt[256];
    struct icmp_packet p;
    size_t ilen = make_reply( icmp, 0x42, 7, "hello", 5 ), n, i;

    n = make_ip( pkt, ip( "127.0.0.2" ), ip( "127.0.0.1" ), 64, 0, 0, NULL, 0, icmp, ilen );

    /* every truncation is ignored, never read past */
    for (i = 0; i < n; i++)
    {
        uint8_t *copy = malloc( i ? i : 1 );
        memcpy( copy, pkt, i );
        CHECK( icmp4_parse( copy, i, &p ) == ICMP_KIND_IGNORE, "truncated to %zu accepted", i );
        free( copy );
    }
    /* bad checksum */
    pkt[n - 1] ^= 1;
    CHECK( icmp4_parse( pkt, n, &p ) == ICMP_KIND_IGNORE, "bad checksum accepted" );
    pkt[n - 1] ^= 1;
    /* bogus IHL: below 5, beyond the packet */
    pkt[0] = 0x44;
    CHECK( icmp4_parse( pkt, n, &p ) == ICMP_KIND_IGNORE, "IHL 4 accepted" );
    pkt[0] = 0x4f;
    CHECK( icmp4_parse( pkt, 40, &p ) == ICMP_KIND_IGNORE, "IHL 15 over a 40-byte packet accepted" );
    pkt[0] = 0x45;
    /* IPv6 version, other protocol */
    pkt[0] = 0x65;
    CHECK( icmp4_parse( pkt, n, &p ) == ICMP_KIND_IGNORE, "version 6 accepted" );
    pkt[0] = 0x45;
    pkt[9] = 17;
    CHECK( icmp4_parse( pkt, n, &p ) == ICMP_KIND_IGNORE, "UDP accepted" );
    pkt[9] = 1;
    /* total length below the header, huge total length (bounded by what was received) */
    put16( pkt + 2, 10 );
    CHECK( icmp4_parse( pkt, n, &p ) == ICMP_KIND_IGNORE, "tot_len 10 accepted" );
    put16( pkt + 2, 0xffff );
    CHECK( icmp4_parse( pkt, n, &p ) == ICMP_KIND_ECHO_REPLY && p.data_size == 5, "tot_len 65535 bounded" );
    put16( pkt + 2, (uint16_t)n );
    /* a fragment */
    put16( pkt + 6, 0x2000 );
    CHECK( icmp4_parse( pkt, n, &p ) == ICMP_KIND_IGNORE, "fragment accepted" );
    put16( pkt + 6, 0 );
    /* echo reply with nonzero code */
    icmp[1] = 1;
    icmp[2] = icmp[3] = 0;
    {
        uint16_t sum = icmp_checksum( icmp, ilen );
        memcpy( icmp + 2, &sum, 2 );
    }
    n = make_ip( pkt, ip( "127.0.0.2" ), ip( "127.0.0.1" ), 64, 0, 0, NULL, 0, icmp, ilen );
    CHECK( icmp4_parse( pkt, n, &p ) == ICMP_KIND_IGNORE, "code 1 echo reply accepted" );
    /* our own echo request seen on loopback */
    ilen = icmp4_build_echo( icmp, sizeof(icmp), 0x42, 7, "hello", 5 );
    n = make_ip( pkt, ip( "127.0.0.1" ), ip( "127.0.0.1" ), 64, 0, 0, NULL, 0, icmp, ilen );
    CHECK( icmp4_parse( pkt, n, &p ) == ICMP_KIND_IGNORE, "echo request accepted" );
}

void test_parse_errors( void )
{
    uint8_t icmp[256], pkt[512];
    struct icmp_packet p;
    size_t ilen, n;
    uint32_t us = ip( "198.18.0.1" ), far = ip( "198.18.9.9" ), router = ip( "198.18.1.1" );

    ilen = make_error( icmp, 11, 0, us, far, 0x42, 9, 1000 );
    n = make_ip( pkt, router, us, 255, 0xc0, 0, NULL, 0, icmp, ilen );
    CHECK( icmp4_parse( pkt, n, &p ) == ICMP_KIND_ERROR, "time exceeded kind" );
    CHECK( p.status == ICMP_STATUS_TTL_EXPIRED_TRANSIT, "status %u", p.status );
    CHECK( get4( p.src ) == router && get4( p.quoted_dst ) == far && p.id == 0x42 && p.seq == 9, "quoted fields" );
    CHECK( p.ttl == 255 && p.tos == 0xc0, "outer header" );
    {
        struct icmp_result r;
        icmp_result_from_packet( &p, 7, &r );
        CHECK( r.status == ICMP_STATUS_TTL_EXPIRED_TRANSIT && get4( r.address ) == router && r.rtt_ms == 7 &&
               r.reply_count == 1 && r.ttl == 255 && r.tos == 0xc0, "error result fields" );
        CHECK( !r.data && !r.data_size, "an error's result carries no echo data" );
    }

    /* quoting only IP header + 8 bytes (RFC 792 minimum) is enough */
    ilen = make_error( icmp, 3, 1, us, far, 0x42, 9, 28 );
    n = make_ip( pkt, router, us, 64, 0, 0, NULL, 0, icmp, ilen );
    CHECK( icmp4_parse( pkt, n, &p ) == ICMP_KIND_ERROR && p.status == 11003, "28-byte quote" );

    /* quote truncated inside the echo header: ignored */
    ilen = make_error( icmp, 3, 1, us, far, 0x42, 9, 27 );
    n = make_ip( pkt, router, us, 64, 0, 0, NULL, 0, icmp, ilen );
    CHECK( icmp4_parse( pkt, n, &p ) == ICMP_KIND_IGNORE, "27-byte quote accepted" );

    /* redirects are ignored whatever they quote */
    ilen = make_error( icmp, 5, 1, us, far, 0x42, 9, 1000 );
    n = make_ip( pkt, router, us, 64, 0, 0, NULL, 0, icmp, ilen );
    CHECK( icmp4_parse( pkt, n, &p ) == ICMP_KIND_IGNORE, "redirect accepted" );

    /* an error quoting a UDP packet */
    ilen = make_error( icmp, 3, 3, us, far, 0x42, 9, 1000 );
    icmp[8 + 9] = 17;
    {
        uint16_t sum;
        icmp[2] = icmp[3] = 0;
        sum = icmp_checksum( icmp, ilen );
        memcpy( icmp + 2, &sum, 2 );
    }
    n = make_ip( pkt, router, us, 64, 0, 0, NULL, 0, icmp, ilen );
    CHECK( icmp4_parse( pkt, n, &p ) == ICMP_KIND_IGNORE, "error quoting UDP accepted" );
}

void test_match( void )
{
    icmp_echo_check echo_check = icmp_echo_check_id;
    struct icmp_request_key key;
    struct icmp_packet p;

    memset( &key, 0, sizeof(key) );
    key.family = 4;
    key.id = 0x42;
    key.seq = 9;
    set4( key.dst, ip( "198.18.9.9" ) );

    memset( &p, 0, sizeof(p) );
    p.family = 4;
    p.kind = ICMP_KIND_ECHO_REPLY;
    memcpy( p.src, key.dst, ICMP_ADDR_LEN );
    p.id = 0x42;
    p.seq = 9;
    p.data = (const uint8_t *)"hello";
    p.data_size = 5;
    CHECK( icmp_match( &p, &key, echo_check ), "exact reply" );
    p.seq = 10;
    CHECK( !icmp_match( &p, &key, echo_check ), "wrong sequence" );
    p.seq = 9;
    set4( p.src, ip( "198.18.9.8" ) );
    CHECK( !icmp_match( &p, &key, echo_check ), "wrong source" );
    memcpy( p.src, key.dst, ICMP_ADDR_LEN );
    p.id = 0x43;
    CHECK( !icmp_match( &p, &key, echo_check ), "another id, same payload" );
    p.id = 0x42;
    p.data = (const uint8_t *)"hellp";
    CHECK( icmp_match( &p, &key, echo_check ), "our id, other payload (not compared, as on Windows)" );

    /* through a ping socket: the payload, not the identifier */
    echo_check = icmp_echo_check_payload;
    key.payload_hash = icmp_payload_hash( "hello", 5 );
    key.payload_size = 5;
    p.data = (const uint8_t *)"hello";
    p.id = 0x43;
    CHECK( icmp_match( &p, &key, echo_check ), "ping socket: rewritten id, same payload" );
    p.data = (const uint8_t *)"hellp";
    CHECK( !icmp_match( &p, &key, echo_check ), "ping socket: rewritten id, other payload" );
    p.data = (const uint8_t *)"hello";
    p.data_size = 4;
    CHECK( !icmp_match( &p, &key, echo_check ), "ping socket: shorter payload" );
    p.data_size = 5;
    set4( p.src, ip( "198.18.9.8" ) );
    CHECK( !icmp_match( &p, &key, echo_check ), "ping socket: wrong source" );
    memcpy( p.src, key.dst, ICMP_ADDR_LEN );
    p.seq = 10;
    CHECK( !icmp_match( &p, &key, echo_check ), "ping socket: wrong sequence" );
    echo_check = icmp_echo_check_id;

    memset( &p, 0, sizeof(p) );
    p.family = 4;
    p.kind = ICMP_KIND_ERROR;
    set4( p.src, ip( "198.18.1.1" ) );
    memcpy( p.quoted_dst, key.dst, ICMP_ADDR_LEN );
    p.id = 0x42;
    p.seq = 9;
    CHECK( icmp_match( &p, &key, echo_check ), "error quoting our request" );
    p.id = 0x43;
    CHECK( !icmp_match( &p, &key, echo_check ), "error quoting another id" );
    p.id = 0x42;
    set4( p.quoted_dst, ip( "198.18.9.8" ) );
    CHECK( !icmp_match( &p, &key, echo_check ), "error quoting another destination" );
    p.kind = ICMP_KIND_IGNORE;
    memcpy( p.quoted_dst, key.dst, ICMP_ADDR_LEN );
    CHECK( !icmp_match( &p, &key, echo_check ), "ignored kind" );
    p.kind = ICMP_KIND_ERROR;
    p.family = 6;
    CHECK( !icmp_match( &p, &key, echo_check ), "an ICMPv6 error for an IPv4 request" );
}

static uint64_t get_le( const uint8_t *p, int n )
{
    uint64_t v = 0;
    while (n--) v = v << 8 | p[n];
    return v;
}

void test_reply_layout( void )
{
    static const uint8_t opts[7] = { 7, 7, 4, 1, 2, 3, 4 };
    uint8_t buf[256];
    struct icmp_result r;
    uint64_t base = 0x10000000ull;
    size_t n;
    int ptr64;

    for (ptr64 = 0; ptr64 <= 1; ptr64++)
    {
        size_t s = ptr64 ? 40 : 28, ttl_at = ptr64 ? 24 : 20, optp_at = ptr64 ? 32 : 24;

        memset( &r, 0, sizeof(r) );
        set4( r.address, ip( "127.0.0.1" ) );
        r.rtt_ms = 3;
        r.reply_count = 1;
        r.ttl = 64;
        r.tos = 0x10;
        r.flags = 2;
        r.data = (const uint8_t *)"0123456789";
        r.data_size = 10;

        /* no options: data right after the struct */
        memset( buf, 0xcc, sizeof(buf) );
        n = icmp4_write_reply( buf, sizeof(buf), base, ptr64, &r );
        CHECK( n == s + 10, "%d: written %zu", ptr64, n );
        CHECK( get_le( buf, 4 ) == get_le( r.address, 4 ), "%d: address", ptr64 );
        CHECK( get_le( buf + 4, 4 ) == 0 && get_le( buf + 8, 4 ) == 3, "%d: status/rtt", ptr64 );
        CHECK( get_le( buf + 12, 2 ) == 10 && get_le( buf + 14, 2 ) == 1, "%d: size/reserved", ptr64 );
        CHECK( get_le( buf + 16, ptr64 ? 8 : 4 ) == base + s, "%d: Data pointer", ptr64 );
        CHECK( buf[ttl_at] == 64 && buf[ttl_at + 1] == 0x10 && buf[ttl_at + 2] == 2 && buf[ttl_at + 3] == 0,
               "%d: options", ptr64 );
        CHECK( !memcmp( buf + s, "0123456789", 10 ), "%d: data", ptr64 );
        CHECK( buf[s + 10] == 0xcc, "%d: wrote past the data", ptr64 );
        if (ptr64) CHECK( get_le( buf + 28, 4 ) == 0, "padding zeroed" );

        /* options: padded to 4, then data */
        r.options = opts;
        r.options_size = 7;
        memset( buf, 0xcc, sizeof(buf) );
        n = icmp4_write_reply( buf, sizeof(buf), base, ptr64, &r );
        CHECK( n == s + 8 + 10, "%d: written with options %zu", ptr64, n );
        CHECK( buf[ttl_at + 3] == 7, "%d: OptionsSize", ptr64 );
        CHECK( get_le( buf + optp_at, ptr64 ? 8 : 4 ) == base + s, "%d: OptionsData", ptr64 );
        CHECK( get_le( buf + 16, ptr64 ? 8 : 4 ) == base + s + 8, "%d: Data after options", ptr64 );
        CHECK( !memcmp( buf + s, opts, 7 ) && buf[s + 7] == 0, "%d: options bytes and padding", ptr64 );
        CHECK( !memcmp( buf + s + 8, "0123456789", 10 ) && buf[s + 18] == 0xcc, "%d: data bytes", ptr64 );

        /* exact-size buffer, data truncated when options take room */
        memset( buf, 0xcc, sizeof(buf) );
        n = icmp4_write_reply( buf, s + 10, base, ptr64, &r );
        CHECK( n == s + 10 && get_le( buf + 12, 2 ) == 2, "%d: truncated data %zu", ptr64, n );
        CHECK( buf[s + 10] == 0xcc, "%d: wrote past the buffer", ptr64 );
        /* options that do not fit at all are dropped */
        n = icmp4_write_reply( buf, s + 4, base, ptr64, &r );
        CHECK( n == s + 4 && buf[ttl_at + 3] == 0 && get_le( buf + 12, 2 ) == 4, "%d: options dropped", ptr64 );

        /* timeout: zeroed but Status, nothing past the struct */
        memset( &r, 0, sizeof(r) );
        r.status = ICMP_STATUS_REQ_TIMED_OUT;
        memset( buf, 0xcc, sizeof(buf) );
        n = icmp4_write_reply( buf, sizeof(buf), base, ptr64, &r );
        CHECK( n == s, "%d: timeout written %zu", ptr64, n );
        CHECK( get_le( buf + 4, 4 ) == 11010, "%d: timeout status", ptr64 );
        for (n = 0; n < s; n++) if (n < 4 || n >= 8) if (buf[n]) break;
        CHECK( n == s, "%d: byte %zu not zeroed", ptr64, n );
        CHECK( buf[s] == 0xcc, "%d: wrote past the struct", ptr64 );

        /* too small for the struct */
        CHECK( icmp4_write_reply( buf, s - 1, base, ptr64, &r ) == 0, "%d: short buffer", ptr64 );
    }
}

/* ---- ICMPv6 ---- */

static void ip6( const char *s, uint8_t out[16] )
{
    inet_pton( AF_INET6, s, out );
}

/* an ICMPv6 error type/code quoting an echo request id/seq to dst, cut to quote_len bytes */
static size_t make_error6( uint8_t *msg, uint8_t type, uint8_t code, const uint8_t dst[16], uint16_t id,
                           uint16_t seq, size_t quote_len )
{
    uint8_t q[IPV6_HDR_LEN + 16];
    memset( q, 0, sizeof(q) );
    q[0] = 0x60;
    q[6] = 58;
    q[7] = 64;
    memcpy( q + 24, dst, 16 );
    icmp6_build_echo( q + IPV6_HDR_LEN, 16, id, seq, "ab", 2 );
    memset( msg, 0, 8 );
    msg[0] = type;
    msg[1] = code;
    if (quote_len > sizeof(q)) quote_len = sizeof(q);
    memcpy( msg + 8, q, quote_len );
    return 8 + quote_len;
}

void test_icmp6( void )
{
    static const struct { uint8_t type, code; uint32_t status; } table[] =
    {
        { 1, 0, 11002 }, { 1, 1, 11004 }, { 1, 2, 11045 }, { 1, 3, 11003 }, { 1, 4, 11005 }, { 1, 5, 11044 },
        { 1, 6, 11040 }, { 1, 7, 11042 }, { 1, 8, 11003 }, { 1, 200, 11003 }, { 2, 0, 11009 }, { 3, 0, 11013 },
        { 3, 1, 11014 }, { 3, 2, 11041 }, { 4, 0, 11015 }, { 4, 2, 11015 }, { 128, 0, 0 }, { 129, 0, 0 },
        { 133, 0, 0 }, { 135, 0, 0 }, { 137, 0, 0 }, { 200, 0, 0 },
    };
    uint8_t dst[16], other[16], router[16], msg[256], buf[128];
    struct icmp_packet p;
    struct icmp_request_key key;
    struct icmp_result res;
    size_t i, n, quote;

    for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        CHECK( icmp6_error_status( table[i].type, table[i].code ) == table[i].status, "type %u code %u -> %u",
               table[i].type, table[i].code, icmp6_error_status( table[i].type, table[i].code ) );

    ip6( "fd00:3::2", dst );
    ip6( "fd00:3::9", other );
    ip6( "fd00:2::2", router );
    memset( &key, 0, sizeof(key) );
    key.family = 6;
    key.id = 0x42;
    key.seq = 7;
    memcpy( key.dst, dst, 16 );

    /* request */
    n = icmp6_build_echo( msg, sizeof(msg), 0x42, 7, "hello", 5 );
    CHECK( n == 13 && msg[0] == 128 && msg[4] == 0 && msg[5] == 0x42 && msg[7] == 7 && !memcmp( msg + 8, "hello", 5 ),
           "echo request built" );
    CHECK( !icmp6_build_echo( msg, 12, 1, 1, "hello", 5 ), "echo request: short buffer" );
    CHECK( icmp6_parse( msg, n, dst, &p ) == ICMP_KIND_IGNORE, "our own request ignored" );

    /* reply */
    msg[0] = 129;
    CHECK( icmp6_parse( msg, n, dst, &p ) == ICMP_KIND_ECHO_REPLY && p.id == 0x42 && p.seq == 7 && p.data_size == 5,
           "echo reply parsed" );
    CHECK( icmp_match( &p, &key, icmp_echo_check_id ), "echo reply matches" );
    key.seq = 8;
    CHECK( !icmp_match( &p, &key, icmp_echo_check_id ), "echo reply: other sequence" );
    key.seq = 7;
    key.id = 0x43;
    CHECK( !icmp_match( &p, &key, icmp_echo_check_id ), "echo reply: other id" );
    key.id = 0x42;
    key.family = 4;
    CHECK( !icmp_match( &p, &key, icmp_echo_check_id ), "echo reply to an IPv4 request" );
    key.family = 6;
    CHECK( icmp6_parse( msg, n, other, &p ) == ICMP_KIND_ECHO_REPLY && !icmp_match( &p, &key, icmp_echo_check_id ), "reply from elsewhere" );
    msg[1] = 1;
    CHECK( icmp6_parse( msg, n, dst, &p ) == ICMP_KIND_IGNORE, "echo reply with a code" );
    msg[1] = 0;
    for (i = 0; i < ICMP_HDR_LEN; i++)
        CHECK( icmp6_parse( msg, i, dst, &p ) == ICMP_KIND_IGNORE, "reply truncated to %zu", i );

    /* errors: every quote length up to a full one */
    for (quote = 0; quote <= IPV6_HDR_LEN + 16; quote++)
    {
        n = make_error6( msg, 3, 0, dst, 0x42, 7, quote );
        if (quote < IPV6_HDR_LEN + ICMP_HDR_LEN)
            CHECK( icmp6_parse( msg, n, router, &p ) == ICMP_KIND_IGNORE, "error quoting %zu bytes", quote );
        else
            CHECK( icmp6_parse( msg, n, router, &p ) == ICMP_KIND_ERROR && icmp_match( &p, &key, icmp_echo_check_id ) &&
                   p.status == 11013 && !memcmp( p.src, router, 16 ), "error quoting %zu bytes", quote );
    }
    n = make_error6( msg, 1, 4, other, 0x42, 7, 56 );
    CHECK( icmp6_parse( msg, n, router, &p ) == ICMP_KIND_ERROR && !icmp_match( &p, &key, icmp_echo_check_id ), "error quoting another dst" );
    n = make_error6( msg, 1, 4, dst, 0x43, 7, 56 );
    CHECK( icmp6_parse( msg, n, router, &p ) == ICMP_KIND_ERROR && !icmp_match( &p, &key, icmp_echo_check_id ), "error quoting another id" );
    n = make_error6( msg, 1, 4, dst, 0x42, 7, 56 );
    msg[8 + 6] = 17;
    CHECK( icmp6_parse( msg, n, router, &p ) == ICMP_KIND_IGNORE, "error quoting UDP" );
    n = make_error6( msg, 1, 4, dst, 0x42, 7, 56 );
    msg[8] = 0x40;
    CHECK( icmp6_parse( msg, n, router, &p ) == ICMP_KIND_IGNORE, "error quoting IPv4" );
    n = make_error6( msg, 1, 4, dst, 0x42, 7, 56 );
    msg[8 + 40] = 129;
    CHECK( icmp6_parse( msg, n, router, &p ) == ICMP_KIND_IGNORE, "error quoting an echo reply" );
    n = make_error6( msg, 137, 0, dst, 0x42, 7, 56 );
    CHECK( icmp6_parse( msg, n, router, &p ) == ICMP_KIND_IGNORE, "redirect" );

    /* reply layout: 36 bytes, address at 6, scope at 22, status 28, rtt 32, data 36 */
    CHECK( ICMPV6_REPLY_ADDR_OFFSET == 6 && ICMPV6_REPLY_SCOPE_OFFSET == 22 && ICMPV6_REPLY_STATUS_OFFSET == 28 &&
           ICMPV6_REPLY_RTT_OFFSET == 32 && ICMPV6_ECHO_REPLY_SIZE == 36, "ICMPv6 layout constants" );
    n = make_error6( msg, 1, 3, dst, 0x42, 7, 56 );
    icmp6_parse( msg, n, router, &p );
    icmp_result_from_packet( &p, 3, &res );
    res.scope_id = 5;
    memset( buf, 0xcc, sizeof(buf) );
    CHECK( icmp6_write_reply( buf, 36, &res ) == 36, "error reply size" );
    CHECK( !memcmp( buf + 6, router, 16 ) && buf[22] == 5 && buf[28] == (11003 & 0xff) && buf[29] == 11003 >> 8 &&
           buf[32] == 3 && !buf[0] && !buf[2], "error reply fields" );
    CHECK( buf[36] == 0xcc, "error reply: nothing after the struct" );
    n = icmp6_build_echo( msg, sizeof(msg), 0x42, 7, "hello", 5 );
    msg[0] = 129;
    icmp6_parse( msg, n, dst, &p );
    icmp_result_from_packet( &p, 0, &res );
    memset( buf, 0xcc, sizeof(buf) );
    CHECK( icmp6_write_reply( buf, 41, &res ) == 41 && !memcmp( buf + 36, "hello", 5 ) && buf[41] == 0xcc &&
           !buf[28] && !memcmp( buf + 6, dst, 16 ), "echo reply layout" );
    memset( buf, 0xcc, sizeof(buf) );
    CHECK( icmp6_write_reply( buf, 38, &res ) == 38 && buf[38] == 0xcc, "echo reply truncated to the buffer" );
    CHECK( !icmp6_write_reply( buf, 35, &res ), "buffer below the struct" );
    memset( &res, 0, sizeof(res) );
    res.status = 11010;
    memset( buf, 0xcc, sizeof(buf) );
    CHECK( icmp6_write_reply( buf, 100, &res ) == 36 && buf[28] == (11010 & 0xff) && !buf[6] && !buf[32] &&
           buf[36] == 0xcc, "timeout layout" );
}
