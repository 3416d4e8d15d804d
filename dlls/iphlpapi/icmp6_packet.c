/*
 * ICMPv6 half of the packet core (see icmp6_packet.h).
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
#include "icmp6_packet.h"

size_t icmp6_build_echo( uint8_t *out, size_t out_len, uint16_t id, uint16_t seq,
                         const void *data, size_t data_len )
{
    return icmp_build_echo( out, out_len, ICMP6_ECHO_REQUEST_TYPE, id, seq, data, data_len );
}

uint32_t icmp6_error_status( uint8_t type, uint8_t code )
{
    switch (type)
    {
    case ICMP6_UNREACH_TYPE:
        switch (code)
        {
        case 0: return ICMP_STATUS_DEST_NO_ROUTE;
        case 1: return ICMP_STATUS_DEST_PROHIBITED;
        case 2: return ICMP_STATUS_SCOPE_MISMATCH;
        case 3: return ICMP_STATUS_DEST_ADDR_UNREACH;
        case 4: return ICMP_STATUS_DEST_PORT_UNREACH;
        case 5: return ICMP_STATUS_ICMP_ERROR;
        case 6: return ICMP_STATUS_DEST_UNREACHABLE;
        case 7: return ICMP_STATUS_BAD_HEADER;
        default: return ICMP_STATUS_DEST_ADDR_UNREACH;
        }
    case ICMP6_TOO_BIG_TYPE:
        return ICMP_STATUS_PACKET_TOO_BIG;
    case ICMP6_TIME_EXCEEDED_TYPE:
        return code == 0 ? ICMP_STATUS_HOP_LIMIT_EXCEEDED :
               code == 1 ? ICMP_STATUS_REASSEMBLY_TIME : ICMP_STATUS_TIME_EXCEEDED;
    case ICMP6_PARAMPROB_TYPE:
        return ICMP_STATUS_PARAMETER_PROBLEM;
    default:
        return 0;
    }
}

/* The request an error quotes: an IPv6 header straight followed by our echo request. */
static enum icmp_kind parse_quoted( const uint8_t *inner, size_t len, struct icmp_packet *out )
{
    const uint8_t *echo = inner + IPV6_HDR_LEN;

    if (len < IPV6_HDR_LEN + ICMP_HDR_LEN) return ICMP_KIND_IGNORE;
    if ((inner[0] >> 4) != 6 || inner[6] != IPV6_NEXT_HEADER_ICMPV6) return ICMP_KIND_IGNORE;
    if (echo[0] != ICMP6_ECHO_REQUEST_TYPE || echo[1] != 0) return ICMP_KIND_IGNORE;
    memcpy( out->quoted_dst, inner + 24, ICMP_ADDR_LEN );
    out->id = load_be16( echo + 4 );
    out->seq = load_be16( echo + 6 );
    return out->kind = ICMP_KIND_ERROR;
}

enum icmp_kind icmp6_parse( const uint8_t *msg, size_t len, const uint8_t src[ICMP_ADDR_LEN],
                            struct icmp_packet *out )
{
    memset( out, 0, sizeof(*out) );
    out->family = 6;
    if (len < ICMP_HDR_LEN) return ICMP_KIND_IGNORE;
    memcpy( out->src, src, ICMP_ADDR_LEN );
    out->type = msg[0];
    out->code = msg[1];

    if (out->type == ICMP6_ECHO_REPLY_TYPE)
    {
        if (out->code) return ICMP_KIND_IGNORE;
        out->id = load_be16( msg + 4 );
        out->seq = load_be16( msg + 6 );
        out->data = msg + ICMP_HDR_LEN;
        out->data_size = len - ICMP_HDR_LEN;
        return out->kind = ICMP_KIND_ECHO_REPLY;
    }
    if (!(out->status = icmp6_error_status( out->type, out->code ))) return ICMP_KIND_IGNORE;
    return parse_quoted( msg + ICMP_HDR_LEN, len - ICMP_HDR_LEN, out );
}
