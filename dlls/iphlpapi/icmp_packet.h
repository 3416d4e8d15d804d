/*
 * The family-independent half of the packet core: IP_STATUS values, the
 * Internet checksum, the one shape a parsed packet of either family takes,
 * what identifies a pending request, matching a packet to it, and the
 * result a matched packet gives. icmp4_packet.h and icmp6_packet.h parse
 * into this shape; icmp_reply.h writes results into callers' buffers.
 *
 * Pure C: no Win32 or Winsock calls, so the same code is linked into the PE
 * DLL and into native unit tests, sanitizer builds, fuzzers and the lab's
 * tools. Addresses are 16 bytes as they travel (network order); an IPv4
 * address takes the first 4, the rest zero. Identifiers and sequence
 * numbers are in host order.
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

#ifndef ICMP_PACKET_H
#define ICMP_PACKET_H

#include <stddef.h>
#include <stdint.h>

/* IP_STATUS values (ipexport.h); the DLL checks them against the SDK
 * header with C_ASSERTs. */
enum icmp_status
{
    ICMP_STATUS_SUCCESS             = 0,
    ICMP_STATUS_BUF_TOO_SMALL       = 11001,
    ICMP_STATUS_DEST_NET_UNREACH    = 11002,
    ICMP_STATUS_DEST_HOST_UNREACH   = 11003,
    ICMP_STATUS_DEST_PROT_UNREACH   = 11004,
    ICMP_STATUS_DEST_PORT_UNREACH   = 11005,
    ICMP_STATUS_NO_RESOURCES        = 11006,
    ICMP_STATUS_BAD_OPTION          = 11007,
    ICMP_STATUS_HW_ERROR            = 11008,
    ICMP_STATUS_PACKET_TOO_BIG      = 11009,
    ICMP_STATUS_REQ_TIMED_OUT       = 11010,
    ICMP_STATUS_BAD_REQ             = 11011,
    ICMP_STATUS_BAD_ROUTE           = 11012,
    ICMP_STATUS_TTL_EXPIRED_TRANSIT = 11013,
    ICMP_STATUS_TTL_EXPIRED_REASSEM = 11014,
    ICMP_STATUS_PARAM_PROBLEM       = 11015,
    ICMP_STATUS_SOURCE_QUENCH       = 11016,
    /* IPv6 names (Windows SDK ipexport.h; Wine 8's lacks them) */
    ICMP_STATUS_DEST_NO_ROUTE       = 11002,
    ICMP_STATUS_DEST_ADDR_UNREACH   = 11003,
    ICMP_STATUS_DEST_PROHIBITED     = 11004,
    ICMP_STATUS_HOP_LIMIT_EXCEEDED  = 11013,
    ICMP_STATUS_REASSEMBLY_TIME     = 11014,
    ICMP_STATUS_PARAMETER_PROBLEM   = 11015,
    ICMP_STATUS_DEST_UNREACHABLE    = 11040,
    ICMP_STATUS_TIME_EXCEEDED       = 11041,
    ICMP_STATUS_BAD_HEADER          = 11042,
    ICMP_STATUS_ICMP_ERROR          = 11044,
    ICMP_STATUS_SCOPE_MISMATCH      = 11045,
    ICMP_STATUS_GENERAL_FAILURE     = 11050,
};

#define ICMP_HDR_LEN    8       /* type, code, checksum, identifier, sequence */
#define ICMP_MAX_DATA   65500   /* largest RequestSize accepted */
#define ICMP_ADDR_LEN   16      /* an address of either family, as stored here */

/* RFC 1071 Internet checksum of len bytes, ready to be stored in a header
 * as is (it is computed in memory order). */
uint16_t icmp_checksum( const void *data, size_t len );

/* Writes an echo request header of `type` (checksum 0) and the data into
 * out; the family's builder fills in the checksum if it must. Returns the
 * length, or 0 if out_len is too small. */
size_t icmp_build_echo( uint8_t *out, size_t out_len, uint8_t type, uint16_t id, uint16_t seq,
                        const void *data, size_t data_len );

/* 32-bit FNV-1a hash of a payload: recognises our echo data where the
 * identifier cannot be trusted (ping sockets). */
uint32_t icmp_payload_hash( const void *data, size_t len );

/* What a received packet says, as far as echo requests care. */
enum icmp_kind
{
    ICMP_KIND_IGNORE = 0,   /* not for us: requests, redirects, junk */
    ICMP_KIND_ECHO_REPLY,   /* an echo reply: id/seq/data describe it */
    ICMP_KIND_ERROR,        /* an error quoting an echo request: id/seq/quoted_dst describe that request */
};

/* A parsed packet of either family. */
struct icmp_packet
{
    enum icmp_kind kind;
    uint8_t  family;                  /* 4 or 6 */
    uint32_t status;                  /* IP_STATUS the packet means (0 for an echo reply) */
    uint8_t  src[ICMP_ADDR_LEN];      /* its sender */
    uint8_t  ttl, tos, flags;         /* IPv4 header fields (0 for IPv6: the kernel keeps its header) */
    uint8_t  options_size;            /* received IPv4 options */
    const uint8_t *options;
    uint8_t  type, code;
    uint16_t id, seq;                 /* the echo reply's, or the quoted request's */
    uint8_t  quoted_dst[ICMP_ADDR_LEN];  /* errors: destination of the quoted request */
    const uint8_t *data;              /* echo reply payload */
    size_t   data_size;
};

/* What identifies one pending request. */
struct icmp_request_key
{
    uint8_t  family;                  /* 4 or 6 */
    uint16_t id;                      /* identifier we sent */
    uint16_t seq;                     /* sequence we sent */
    uint8_t  dst[ICMP_ADDR_LEN];      /* destination */
    uint32_t payload_hash;            /* icmp_payload_hash of the data sent */
    uint16_t payload_size;
};

/* How an echo reply proves it answers the request described by key (its
 * sequence and sender are already checked). A raw socket sees every reply
 * as sent, so the identifier must be ours; the payload is not compared, as
 * on Windows. Through a Linux ping socket the kernel rewrites the
 * identifier (and Wine restores it only for its last few requests) but
 * delivers only replies to the socket's own one, so there the payload must
 * be exactly ours instead. */
typedef int (*icmp_echo_check)( const struct icmp_packet *pkt, const struct icmp_request_key *key );
int icmp_echo_check_id( const struct icmp_packet *pkt, const struct icmp_request_key *key );
int icmp_echo_check_payload( const struct icmp_packet *pkt, const struct icmp_request_key *key );

/* Whether a parsed packet completes the request described by key: same
 * family and sequence; an echo reply from the destination passing `check`;
 * an error quoting a request with our identifier, sequence and destination. */
int icmp_match( const struct icmp_packet *pkt, const struct icmp_request_key *key, icmp_echo_check check );

/* Result of one request, to be written into the caller's reply buffer. */
struct icmp_result
{
    uint32_t status;
    uint8_t  address[ICMP_ADDR_LEN];
    uint32_t scope_id;                /* IPv6 */
    uint32_t rtt_ms;
    uint16_t reply_count;             /* 1 when a packet answered, 0 on timeout or failure */
    uint8_t  ttl, tos, flags, options_size;
    const uint8_t *options;
    const uint8_t *data;
    size_t   data_size;
};

/* The result a matched packet gives its request: sender, status, the
 * packet's own IP header fields and options, and the echo data (none for
 * ICMP errors); rtt_ms is measured by the caller. */
void icmp_result_from_packet( const struct icmp_packet *pkt, uint32_t rtt_ms, struct icmp_result *res );

#endif /* ICMP_PACKET_H */
