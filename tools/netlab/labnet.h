/*
 * Small helpers shared by the network lab's native tools (tools/netlab/):
 * raw ICMP and ICMPv6 sockets, address text, clocks, and a view of a
 * received packet (labnet.c: IPv4, labnet6.c: IPv6). Linux only; run inside
 * a lab namespace (tools/netlab/netlab).
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
#ifndef LABNET_H
#define LABNET_H

#include <stddef.h>
#include <stdint.h>

/* A received IPv4 packet carrying ICMP, as a raw socket returns it. */
struct lab_packet
{
    const uint8_t *ip;        /* IPv4 header */
    size_t ip_len;            /* header length (IHL * 4) */
    uint32_t src, dst;        /* network order */
    uint8_t ttl, tos, df;
    const uint8_t *icmp;      /* ICMP message */
    size_t icmp_len;
    uint8_t type, code;
    uint16_t id, seq;         /* echo request/reply fields, host order */
    const uint8_t *data;      /* echo payload */
    size_t data_len;
};

/* Splits a packet; returns 0 if it is not a well-formed IPv4 ICMP packet. */
int lab_split( const uint8_t *pkt, size_t len, struct lab_packet *p );

/* A raw ICMP socket (kernel builds the IP header), bound to src if non-zero;
 * exits with a message on failure. */
int lab_icmp_socket( uint32_t bind_src );

/* A raw socket for packets whose IPv4 header we write (IP_HDRINCL). */
int lab_hdrincl_socket( void );

uint32_t lab_addr( const char *text );       /* exits on bad text */
const char *lab_ntoa( uint32_t addr );       /* static buffer, 4 rotating */
int64_t lab_now_us( void );                  /* monotonic */
void lab_die( const char *fmt, ... ) __attribute__((noreturn, format(printf, 1, 2)));

/* ---- IPv6 (labnet6.c) ---- */

#include <netinet/in.h>

/* A received ICMPv6 message (a raw ICMPv6 socket gives the message alone;
 * the addresses and hop limit come from recvmsg). */
struct lab_packet6
{
    struct in6_addr src, dst;
    int hlim;                 /* -1 if unknown */
    const uint8_t *icmp;
    size_t icmp_len;
    uint8_t type, code;
    uint16_t id, seq;         /* echo fields, host order */
    const uint8_t *data;
    size_t data_len;
};

int lab_is_addr6( const char *text );                /* has a ':' */
struct in6_addr lab_addr6( const char *text );       /* exits on bad text */
const char *lab_ntop6( const struct in6_addr *a );   /* static buffer, 4 rotating */

/* A raw ICMPv6 socket (the kernel computes checksums), bound to src unless
 * NULL, reporting destination and hop limit; exits on failure. */
int lab_icmp6_socket( const struct in6_addr *bind_src );

/* Receives one message into buf; 0 if none or not well formed. */
int lab_recv6( int s, uint8_t *buf, size_t size, struct lab_packet6 *p );

/* A raw socket for packets whose IPv6 header we write (IPPROTO_RAW). */
int lab_hdrincl6_socket( void );

/* The ICMPv6 checksum of msg[len] from src to dst (pseudo-header included). */
uint16_t lab_icmp6_checksum( const struct in6_addr *src, const struct in6_addr *dst, const uint8_t *msg,
                             size_t len );

/* the tools' IPv6 halves */
int lab_respond6( int argc, char **argv );
int lab_inject6( int argc, char **argv );

/* the tools (one file each), which labtool.c dispatches to */
int lab_ping( int argc, char **argv );
int lab_respond( int argc, char **argv );
int lab_capture( int argc, char **argv );
int lab_inject( int argc, char **argv );

#endif /* LABNET_H */
