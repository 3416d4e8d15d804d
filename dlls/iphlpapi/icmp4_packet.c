/*
 * ICMPv4 half of the packet core (see icmp4_packet.h).
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

#include "byteorder.h"
#include "icmp4_packet.h"

size_t icmp4_build_echo( uint8_t *out, size_t out_len, uint16_t id, uint16_t seq,
                         const void *data, size_t data_len )
{
    size_t len = icmp_build_echo( out, out_len, ICMP4_ECHO_REQUEST_TYPE, id, seq, data, data_len );
    uint16_t sum;

    if (!len) return 0;
    sum = icmp_checksum( out, len );
    memcpy( out + 2, &sum, sizeof(sum) );
    return len;
}

uint32_t icmp4_error_status( uint8_t type, uint8_t code )
{
    switch (type)
    {
    case ICMP4_UNREACH_TYPE:
        switch (code)
        {
        case 0: case 6: case 9: case 11:
            return ICMP_STATUS_DEST_NET_UNREACH;
        case 2:
            return ICMP_STATUS_DEST_PROT_UNREACH;
        case 3:
            return ICMP_STATUS_DEST_PORT_UNREACH;
        case 4:
            return ICMP_STATUS_PACKET_TOO_BIG;
        case 5:
            return ICMP_STATUS_BAD_ROUTE;
        default: /* 1, 7, 8, 10, 12-15 and unknown codes */
            return ICMP_STATUS_DEST_HOST_UNREACH;
        }
    case ICMP4_TIMXCEED_TYPE:
        return code == 1 ? ICMP_STATUS_TTL_EXPIRED_REASSEM : ICMP_STATUS_TTL_EXPIRED_TRANSIT;
    case ICMP4_PARAMPROB_TYPE:
        return ICMP_STATUS_PARAM_PROBLEM;
    case ICMP4_QUENCH_TYPE:
        return ICMP_STATUS_SOURCE_QUENCH;
    default:
        return 0;
    }
}

/* Validates an IPv4 header at pkt; returns its length (IHL * 4) and the
 * usable packet length (bounded by both len and the header's total length),
 * or 0 if this is not a whole, unfragmented IPv4 ICMP packet. */
static size_t ipv4_header( const uint8_t *pkt, size_t len, size_t *pkt_len, int quoted )
{
    size_t hlen, tot_len;

    if (len < IPV4_MIN_HDR_LEN) return 0;
    if (pkt[0] >> 4 != 4) return 0;
    hlen = (size_t)(pkt[0] & 0x0f) * 4;
    if (hlen < IPV4_MIN_HDR_LEN || hlen > len) return 0;
    if (pkt[9] != 1 /* IPPROTO_ICMP */) return 0;
    tot_len = load_be16( pkt + 2 );
    if (tot_len < hlen) return 0;
    if (!quoted)
    {
        /* a received packet is reassembled: no offset, no more-fragments */
        if (load_be16( pkt + 6 ) & 0x3fff) return 0;
        if (tot_len < len) len = tot_len;   /* trailing link padding */
    }
    *pkt_len = len;
    return hlen;
}

/* The echo request an error quotes: its IP header and at least the 8 bytes
 * of our request's header. */
static enum icmp_kind parse_quoted( const uint8_t *quoted, size_t qlen, struct icmp_packet *out )
{
    const uint8_t *qicmp;
    size_t qhlen;

    if (!(qhlen = ipv4_header( quoted, qlen, &qlen, 1 ))) return ICMP_KIND_IGNORE;
    if (qlen - qhlen < ICMP_HDR_LEN) return ICMP_KIND_IGNORE;
    qicmp = quoted + qhlen;
    if (qicmp[0] != ICMP4_ECHO_REQUEST_TYPE || qicmp[1] != 0) return ICMP_KIND_IGNORE;
    memcpy( out->quoted_dst, quoted + 16, 4 );
    out->id = load_be16( qicmp + 4 );
    out->seq = load_be16( qicmp + 6 );
    return out->kind = ICMP_KIND_ERROR;
}

enum icmp_kind icmp4_parse( const uint8_t *pkt, size_t len, struct icmp_packet *out )
{
    size_t hlen, icmp_len;
    const uint8_t *icmp;

    memset( out, 0, sizeof(*out) );
    out->family = 4;
    if (!(hlen = ipv4_header( pkt, len, &len, 0 ))) return ICMP_KIND_IGNORE;

    icmp = pkt + hlen;
    icmp_len = len - hlen;
    if (icmp_len < ICMP_HDR_LEN) return ICMP_KIND_IGNORE;
    if (icmp_checksum( icmp, icmp_len ) != 0) return ICMP_KIND_IGNORE;

    memcpy( out->src, pkt + 12, 4 );
    out->tos = pkt[1];
    out->ttl = pkt[8];
    out->flags = (uint8_t)(load_be16( pkt + 6 ) >> 13);
    out->options_size = (uint8_t)(hlen - IPV4_MIN_HDR_LEN);
    out->options = out->options_size ? pkt + IPV4_MIN_HDR_LEN : NULL;
    out->type = icmp[0];
    out->code = icmp[1];

    if (out->type == ICMP4_ECHO_REPLY_TYPE)
    {
        if (out->code != 0) return ICMP_KIND_IGNORE;
        out->id = load_be16( icmp + 4 );
        out->seq = load_be16( icmp + 6 );
        out->data = icmp + ICMP_HDR_LEN;
        out->data_size = icmp_len - ICMP_HDR_LEN;
        out->status = ICMP_STATUS_SUCCESS;
        return out->kind = ICMP_KIND_ECHO_REPLY;
    }
    if (!(out->status = icmp4_error_status( out->type, out->code ))) return ICMP_KIND_IGNORE;
    return parse_quoted( icmp + ICMP_HDR_LEN, icmp_len - ICMP_HDR_LEN, out );
}
