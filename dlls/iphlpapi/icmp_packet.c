/*
 * The family-independent half of the packet core (see icmp_packet.h).
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
#include "icmp_packet.h"

uint16_t icmp_checksum( const void *data, size_t len )
{
    const uint8_t *p = data;
    uint32_t sum = 0;
    uint8_t folded[2];
    uint16_t ret;

    /* sum 16-bit big-endian words; the folded complement is then stored
     * big-endian, which is byte-order independent */
    while (len > 1)
    {
        sum += load_be16( p );
        p += 2;
        len -= 2;
    }
    if (len) sum += (uint32_t)p[0] << 8;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    store_be16( folded, (uint16_t)~sum );
    memcpy( &ret, folded, sizeof(ret) );
    return ret;
}

size_t icmp_build_echo( uint8_t *out, size_t out_len, uint8_t type, uint16_t id, uint16_t seq,
                        const void *data, size_t data_len )
{
    if (out_len < ICMP_HDR_LEN || out_len - ICMP_HDR_LEN < data_len) return 0;
    out[0] = type;
    out[1] = 0;
    out[2] = out[3] = 0;
    store_be16( out + 4, id );
    store_be16( out + 6, seq );
    if (data_len) memcpy( out + ICMP_HDR_LEN, data, data_len );
    return ICMP_HDR_LEN + data_len;
}

uint32_t icmp_payload_hash( const void *data, size_t len )
{
    const uint8_t *p = data;
    uint32_t h = 2166136261u;
    size_t i;

    for (i = 0; i < len; i++)
    {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

int icmp_echo_check_id( const struct icmp_packet *pkt, const struct icmp_request_key *key )
{
    return pkt->id == key->id;
}

int icmp_echo_check_payload( const struct icmp_packet *pkt, const struct icmp_request_key *key )
{
    return pkt->data_size == key->payload_size &&
           icmp_payload_hash( pkt->data, pkt->data_size ) == key->payload_hash;
}

int icmp_match( const struct icmp_packet *pkt, const struct icmp_request_key *key, icmp_echo_check check )
{
    if (pkt->family != key->family || pkt->seq != key->seq) return 0;
    switch (pkt->kind)
    {
    case ICMP_KIND_ECHO_REPLY:
        return !memcmp( pkt->src, key->dst, ICMP_ADDR_LEN ) && check( pkt, key );
    case ICMP_KIND_ERROR:
        return pkt->id == key->id && !memcmp( pkt->quoted_dst, key->dst, ICMP_ADDR_LEN );
    default:
        return 0;
    }
}

void icmp_result_from_packet( const struct icmp_packet *pkt, uint32_t rtt_ms, struct icmp_result *res )
{
    memset( res, 0, sizeof(*res) );
    res->status = pkt->status;
    memcpy( res->address, pkt->src, ICMP_ADDR_LEN );
    res->rtt_ms = rtt_ms;
    res->reply_count = 1;
    res->ttl = pkt->ttl;
    res->tos = pkt->tos;
    res->flags = pkt->flags;
    res->options_size = pkt->options_size;
    res->options = pkt->options;
    if (pkt->kind == ICMP_KIND_ECHO_REPLY)
    {
        res->data = pkt->data;
        res->data_size = pkt->data_size;
    }
}
