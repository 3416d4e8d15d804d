/*
 * The network lab tools' shared helpers (labnet.h): raw sockets, address
 * text, the clock, dying with a message, and splitting a received packet.
 * Linux only.
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
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "labnet.h"

void lab_die( const char *fmt, ... )
{
    va_list args;
    va_start( args, fmt );
    fputs( "labtool: ", stderr );
    vfprintf( stderr, fmt, args );
    va_end( args );
    exit( 1 );
}

uint32_t lab_addr( const char *text )
{
    struct in_addr a;
    if (inet_pton( AF_INET, text, &a ) != 1) lab_die( "bad IPv4 address '%s'\n", text );
    return a.s_addr;
}

const char *lab_ntoa( uint32_t addr )
{
    static char bufs[4][INET_ADDRSTRLEN];
    static unsigned int next;
    char *b = bufs[next++ % 4];
    struct in_addr a = { addr };
    inet_ntop( AF_INET, &a, b, INET_ADDRSTRLEN );
    return b;
}

int64_t lab_now_us( void )
{
    struct timespec ts;
    clock_gettime( CLOCK_MONOTONIC, &ts );
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int lab_split( const uint8_t *pkt, size_t len, struct lab_packet *p )
{
    size_t tot;

    memset( p, 0, sizeof(*p) );
    if (len < 20 || pkt[0] >> 4 != 4 || pkt[9] != IPPROTO_ICMP) return 0;
    p->ip = pkt;
    p->ip_len = (size_t)(pkt[0] & 15) * 4;
    tot = (size_t)pkt[2] << 8 | pkt[3];
    if (p->ip_len < 20 || tot > len || tot < p->ip_len + 4) return 0;
    memcpy( &p->src, pkt + 12, 4 );
    memcpy( &p->dst, pkt + 16, 4 );
    p->tos = pkt[1];
    p->ttl = pkt[8];
    p->df = (pkt[6] & 0x40) != 0;
    p->icmp = pkt + p->ip_len;
    p->icmp_len = tot - p->ip_len;
    p->type = p->icmp[0];
    p->code = p->icmp[1];
    if (p->icmp_len >= 8)
    {
        p->id = (uint16_t)(p->icmp[4] << 8 | p->icmp[5]);
        p->seq = (uint16_t)(p->icmp[6] << 8 | p->icmp[7]);
        p->data = p->icmp + 8;
        p->data_len = p->icmp_len - 8;
    }
    return 1;
}

int lab_icmp_socket( uint32_t bind_src )
{
    int s = socket( AF_INET, SOCK_RAW, IPPROTO_ICMP );
    if (s < 0) lab_die( "raw ICMP socket: %s\n", strerror( errno ) );
    if (bind_src)
    {
        struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = bind_src };
        if (bind( s, (struct sockaddr *)&sin, sizeof(sin) ))
            lab_die( "bind %s: %s\n", lab_ntoa( bind_src ), strerror( errno ) );
    }
    return s;
}

int lab_hdrincl_socket( void )
{
    int s = socket( AF_INET, SOCK_RAW, IPPROTO_RAW );   /* implies IP_HDRINCL */
    if (s < 0) lab_die( "raw IP socket: %s\n", strerror( errno ) );
    return s;
}

