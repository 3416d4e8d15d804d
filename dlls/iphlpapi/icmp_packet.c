/*
 * ICMPv4 packet core: request building, parsing, matching, status mapping.
 * Pure C (see include/icmpcore.h); no Win32 or Winsock calls.
 */
#include <string.h>

#include "icmpcore.h"

static uint16_t load_be16( const uint8_t *p )
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t load_ne32( const uint8_t *p )
{
    uint32_t v;
    memcpy( &v, p, sizeof(v) );
    return v;
}

static void store_be16( uint8_t *p, uint16_t v )
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

uint16_t icmp_checksum( const void *data, size_t len )
{
    const uint8_t *p = data;
    uint32_t sum = 0;

    /* sum 16-bit big-endian words; the folded complement is then stored
     * big-endian, which is byte-order independent. */
    while (len > 1)
    {
        sum += load_be16( p );
        p += 2;
        len -= 2;
    }
    if (len) sum += (uint32_t)p[0] << 8;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    sum = ~sum & 0xffff;
    /* return the value whose in-memory bytes are the big-endian checksum */
    {
        uint8_t b[2];
        uint16_t r;
        store_be16( b, (uint16_t)sum );
        memcpy( &r, b, sizeof(r) );
        return r;
    }
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

size_t icmp4_build_echo( uint8_t *out, size_t out_len, uint16_t id, uint16_t seq,
                         const void *data, size_t data_len )
{
    uint16_t sum;

    if (out_len < ICMP_HDR_LEN || out_len - ICMP_HDR_LEN < data_len) return 0;
    out[0] = ICMP4_ECHO_REQUEST_TYPE;
    out[1] = 0;
    out[2] = out[3] = 0;
    store_be16( out + 4, id );
    store_be16( out + 6, seq );
    if (data_len) memcpy( out + ICMP_HDR_LEN, data, data_len );
    sum = icmp_checksum( out, ICMP_HDR_LEN + data_len );
    memcpy( out + 2, &sum, sizeof(sum) );
    return ICMP_HDR_LEN + data_len;
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

enum icmp_kind icmp4_parse( const uint8_t *pkt, size_t len, struct icmp4_packet *out )
{
    size_t hlen, icmp_len, qhlen, qlen;
    const uint8_t *icmp, *quoted, *qicmp;

    memset( out, 0, sizeof(*out) );
    if (!(hlen = ipv4_header( pkt, len, &len, 0 ))) return ICMP_KIND_IGNORE;

    icmp = pkt + hlen;
    icmp_len = len - hlen;
    if (icmp_len < ICMP_HDR_LEN) return ICMP_KIND_IGNORE;
    if (icmp_checksum( icmp, icmp_len ) != 0) return ICMP_KIND_IGNORE;

    out->src = load_ne32( pkt + 12 );
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

    /* the quoted datagram: its IP header and at least the 8 bytes of our
     * echo request header */
    quoted = icmp + ICMP_HDR_LEN;
    qlen = icmp_len - ICMP_HDR_LEN;
    if (!(qhlen = ipv4_header( quoted, qlen, &qlen, 1 ))) return ICMP_KIND_IGNORE;
    if (qlen - qhlen < ICMP_HDR_LEN) return ICMP_KIND_IGNORE;
    qicmp = quoted + qhlen;
    if (qicmp[0] != ICMP4_ECHO_REQUEST_TYPE || qicmp[1] != 0) return ICMP_KIND_IGNORE;

    out->quoted_dst = load_ne32( quoted + 16 );
    out->id = load_be16( qicmp + 4 );
    out->seq = load_be16( qicmp + 6 );
    return out->kind = ICMP_KIND_ERROR;
}

int icmp4_match( const struct icmp4_packet *pkt, const struct icmp_request_key *key )
{
    if (pkt->seq != key->seq) return 0;
    switch (pkt->kind)
    {
    case ICMP_KIND_ECHO_REPLY:
        if (pkt->src != key->dst) return 0;
        if (!key->ping_socket) return pkt->id == key->id;
        return pkt->data_size == key->payload_size &&
               icmp_payload_hash( pkt->data, pkt->data_size ) == key->payload_hash;
    case ICMP_KIND_ERROR:
        return pkt->id == key->id && pkt->quoted_dst == key->dst;
    default:
        return 0;
    }
}

void icmp4_result_from_packet( const struct icmp4_packet *pkt, uint32_t rtt_ms, struct icmp_result *res )
{
    memset( res, 0, sizeof(*res) );
    res->status = pkt->status;
    res->address = pkt->src;
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
