/*
 * ICMPv4 half of the packet core: building echo requests, parsing what a
 * raw IPv4 ICMP socket receives (IPv4 header, ICMP message, the datagram an
 * error quotes) into the shape of icmp_packet.h, and the table of ICMP
 * errors to IP_STATUS. Pure C (see icmp_packet.h).
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

#ifndef ICMP4_PACKET_H
#define ICMP4_PACKET_H

#include "icmp_packet.h"

#define IPV4_MIN_HDR_LEN    20
#define IPV4_MAX_OPT_LEN    40

/* ICMPv4 message types the core knows */
enum icmp4_type
{
    ICMP4_ECHO_REPLY_TYPE = 0, ICMP4_UNREACH_TYPE = 3, ICMP4_QUENCH_TYPE = 4, ICMP4_REDIRECT_TYPE = 5,
    ICMP4_ECHO_REQUEST_TYPE = 8, ICMP4_TIMXCEED_TYPE = 11, ICMP4_PARAMPROB_TYPE = 12,
};

/* Builds an ICMPv4 echo request (header + data) into out, checksum
 * included. Returns the packet length, or 0 if out_len is too small. */
size_t icmp4_build_echo( uint8_t *out, size_t out_len, uint16_t id, uint16_t seq,
                         const void *data, size_t data_len );

/* IP_STATUS for an ICMPv4 error type/code, or 0 if the message is to be
 * ignored (redirects, echo requests, unknown types). */
uint32_t icmp4_error_status( uint8_t type, uint8_t code );

/* Parses one packet as a raw IPv4 ICMP socket returns it: an IPv4 header
 * followed by an ICMP message. Verifies lengths, IHL, protocol and the ICMP
 * checksum; anything malformed or irrelevant yields ICMP_KIND_IGNORE.
 * Pointers in out point into pkt. */
enum icmp_kind icmp4_parse( const uint8_t *pkt, size_t len, struct icmp_packet *out );

#endif /* ICMP4_PACKET_H */
