/*
 * ICMPv6 packet core: echo request building, parsing what a raw ICMPv6
 * socket receives, matching, the IPv6 status table and the
 * ICMPV6_ECHO_REPLY layout. Pure C (see include/icmpcore.h).
 */
#include <string.h>

#include "icmpcore.h"

static uint16_t load_be16( const uint8_t *p )
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static void store_le32( uint8_t *p, uint32_t v )
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

size_t icmp6_build_echo( uint8_t *out, size_t out_len, uint16_t id, uint16_t seq,
                         const void *data, size_t data_len )
{
    if (out_len < ICMP_HDR_LEN || out_len - ICMP_HDR_LEN < data_len) return 0;
    out[0] = ICMP6_ECHO_REQUEST_TYPE;
    out[1] = 0;
    out[2] = out[3] = 0;
    out[4] = (uint8_t)(id >> 8);
    out[5] = (uint8_t)id;
    out[6] = (uint8_t)(seq >> 8);
    out[7] = (uint8_t)seq;
    if (data_len) memcpy( out + ICMP_HDR_LEN, data, data_len );
    return ICMP_HDR_LEN + data_len;
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

enum icmp_kind icmp6_parse( const uint8_t *msg, size_t len, const uint8_t src[16], struct icmp6_packet *out )
{
    const uint8_t *inner, *echo;

    memset( out, 0, sizeof(*out) );
    if (len < ICMP_HDR_LEN) return ICMP_KIND_IGNORE;
    memcpy( out->src, src, 16 );
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
    /* the quoted packet: an IPv6 header straight followed by our echo request */
    if (len < ICMP_HDR_LEN + IPV6_HDR_LEN + ICMP_HDR_LEN) return ICMP_KIND_IGNORE;
    inner = msg + ICMP_HDR_LEN;
    echo = inner + IPV6_HDR_LEN;
    if ((inner[0] >> 4) != 6 || inner[6] != 58 /* ICMPv6 */) return ICMP_KIND_IGNORE;
    if (echo[0] != ICMP6_ECHO_REQUEST_TYPE || echo[1] != 0) return ICMP_KIND_IGNORE;
    memcpy( out->quoted_dst, inner + 24, 16 );
    out->id = load_be16( echo + 4 );
    out->seq = load_be16( echo + 6 );
    return out->kind = ICMP_KIND_ERROR;
}

int icmp6_match( const struct icmp6_packet *pkt, const struct icmp_request_key *key )
{
    if (!key->ipv6 || pkt->seq != key->seq) return 0;
    switch (pkt->kind)
    {
    case ICMP_KIND_ECHO_REPLY:
        if (memcmp( pkt->src, key->dst6, 16 )) return 0;
        if (!key->ping_socket) return pkt->id == key->id;
        return pkt->data_size == key->payload_size &&
               icmp_payload_hash( pkt->data, pkt->data_size ) == key->payload_hash;
    case ICMP_KIND_ERROR:
        return pkt->id == key->id && !memcmp( pkt->quoted_dst, key->dst6, 16 );
    default:
        return 0;
    }
}

void icmp6_result_from_packet( const struct icmp6_packet *pkt, uint32_t rtt_ms, struct icmp_result *res )
{
    memset( res, 0, sizeof(*res) );
    res->status = pkt->status;
    memcpy( res->address6, pkt->src, 16 );
    res->rtt_ms = rtt_ms;
    res->reply_count = 1;
    if (pkt->kind == ICMP_KIND_ECHO_REPLY)
    {
        res->data = pkt->data;
        res->data_size = pkt->data_size;
    }
}

size_t icmp6_write_reply( uint8_t *buf, size_t buf_size, const struct icmp_result *res )
{
    size_t data = 0;

    if (buf_size < ICMPV6_ECHO_REPLY_SIZE) return 0;
    memset( buf, 0, ICMPV6_ECHO_REPLY_SIZE );
    store_le32( buf + 28, res->status );
    if (!res->reply_count) return ICMPV6_ECHO_REPLY_SIZE;
    /* IPV6_ADDRESS_EX: sin6_port 0, sin6_flowinfo 0, sin6_addr, sin6_scope_id */
    memcpy( buf + 6, res->address6, 16 );
    store_le32( buf + 22, res->scope_id );
    store_le32( buf + 32, res->rtt_ms );
    if (res->data_size)
    {
        data = res->data_size;
        if (data > buf_size - ICMPV6_ECHO_REPLY_SIZE) data = buf_size - ICMPV6_ECHO_REPLY_SIZE;
        memcpy( buf + ICMPV6_ECHO_REPLY_SIZE, res->data, data );
    }
    return ICMPV6_ECHO_REPLY_SIZE + data;
}
