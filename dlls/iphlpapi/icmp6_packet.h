/*
 * ICMPv6 half of the packet core: building echo requests, parsing what a
 * raw ICMPv6 socket receives (the kernel strips the IPv6 header and checks
 * the checksum; the sender comes from recvfrom) into the shape of
 * icmp_packet.h, and the table of ICMPv6 errors to IP_STATUS.
 * Pure C (see icmp_packet.h).
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

#ifndef ICMP6_PACKET_H
#define ICMP6_PACKET_H

#include "icmp_packet.h"

/* ICMPv6 message types the core knows */
enum icmp6_type
{
    ICMP6_UNREACH_TYPE = 1, ICMP6_TOO_BIG_TYPE = 2, ICMP6_TIME_EXCEEDED_TYPE = 3, ICMP6_PARAMPROB_TYPE = 4,
    ICMP6_ECHO_REQUEST_TYPE = 128, ICMP6_ECHO_REPLY_TYPE = 129,
};

#define IPV6_HDR_LEN              40
#define IPV6_NEXT_HEADER_ICMPV6   58

/* Builds an ICMPv6 echo request; the checksum is left 0 (a raw ICMPv6
 * socket's kernel computes it over the pseudo-header). Returns the length,
 * or 0 if out_len is too small. */
size_t icmp6_build_echo( uint8_t *out, size_t out_len, uint16_t id, uint16_t seq,
                         const void *data, size_t data_len );

/* IP_STATUS for an ICMPv6 error type/code, or 0 to ignore the message. */
uint32_t icmp6_error_status( uint8_t type, uint8_t code );

/* Parses an ICMPv6 message from src; errors count only when they quote an
 * ICMPv6 echo request (an inner IPv6 header whose next header is ICMPv6,
 * straight followed by the request). Pointers in out point into msg. */
enum icmp_kind icmp6_parse( const uint8_t *msg, size_t len, const uint8_t src[ICMP_ADDR_LEN],
                            struct icmp_packet *out );

#endif /* ICMP6_PACKET_H */
