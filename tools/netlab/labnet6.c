/*
 * The network lab's IPv6 helpers (see labnet.h): raw ICMPv6 sockets,
 * receiving with the addresses and hop limit, forged headers' checksums.
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
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "labnet.h"

int lab_is_addr6( const char *text )
{
    return strchr( text, ':' ) != NULL;
}

struct in6_addr lab_addr6( const char *text )
{
    struct in6_addr a;
    if (inet_pton( AF_INET6, text, &a ) != 1) lab_die( "bad IPv6 address '%s'\n", text );
    return a;
}

const char *lab_ntop6( const struct in6_addr *a )
{
    static char bufs[4][INET6_ADDRSTRLEN];
    static unsigned int next;
    char *b = bufs[next++ % 4];
    inet_ntop( AF_INET6, a, b, INET6_ADDRSTRLEN );
    return b;
}

int lab_icmp6_socket( const struct in6_addr *bind_src )
{
    int s = socket( AF_INET6, SOCK_RAW, IPPROTO_ICMPV6 ), on = 1;

    if (s < 0) lab_die( "raw ICMPv6 socket: %s\n", strerror( errno ) );
    if (setsockopt( s, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on) ) ||
        setsockopt( s, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on, sizeof(on) ))
        lab_die( "ICMPv6 socket options: %s\n", strerror( errno ) );
    if (bind_src)
    {
        struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_addr = *bind_src };
        if (bind( s, (struct sockaddr *)&sin6, sizeof(sin6) ))
            lab_die( "bind %s: %s\n", lab_ntop6( bind_src ), strerror( errno ) );
    }
    return s;
}

int lab_recv6( int s, uint8_t *buf, size_t size, struct lab_packet6 *p )
{
    struct sockaddr_in6 from;
    union { struct cmsghdr align; char buf[256]; } control;
    struct iovec iov = { .iov_base = buf, .iov_len = size };
    struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1,
                          .msg_control = control.buf, .msg_controllen = sizeof(control.buf) };
    struct cmsghdr *c;
    ssize_t n;

    memset( p, 0, sizeof(*p) );
    p->hlim = -1;
    if ((n = recvmsg( s, &msg, 0 )) < 4 || (msg.msg_flags & MSG_TRUNC)) return 0;
    p->src = from.sin6_addr;
    for (c = CMSG_FIRSTHDR( &msg ); c; c = CMSG_NXTHDR( &msg, c ))
    {
        if (c->cmsg_level != IPPROTO_IPV6) continue;
        if (c->cmsg_type == IPV6_PKTINFO)
        {
            struct in6_pktinfo info;
            memcpy( &info, CMSG_DATA( c ), sizeof(info) );
            p->dst = info.ipi6_addr;
        }
        else if (c->cmsg_type == IPV6_HOPLIMIT) memcpy( &p->hlim, CMSG_DATA( c ), sizeof(int) );
    }
    p->icmp = buf;
    p->icmp_len = (size_t)n;
    p->type = buf[0];
    p->code = buf[1];
    if (p->icmp_len >= 8)
    {
        p->id = (uint16_t)(buf[4] << 8 | buf[5]);
        p->seq = (uint16_t)(buf[6] << 8 | buf[7]);
        p->data = buf + 8;
        p->data_len = p->icmp_len - 8;
    }
    return 1;
}

int lab_hdrincl6_socket( void )
{
    int s = socket( AF_INET6, SOCK_RAW, IPPROTO_RAW );   /* implies IPV6_HDRINCL */
    if (s < 0) lab_die( "raw IPv6 socket: %s\n", strerror( errno ) );
    return s;
}

uint16_t lab_icmp6_checksum( const struct in6_addr *src, const struct in6_addr *dst, const uint8_t *msg,
                             size_t len )
{
    uint32_t sum = 0;
    size_t i;

    for (i = 0; i < 16; i += 2)
        sum += (uint32_t)(src->s6_addr[i] << 8 | src->s6_addr[i + 1]) +
               (uint32_t)(dst->s6_addr[i] << 8 | dst->s6_addr[i + 1]);
    sum += (uint32_t)(len >> 16) + (uint32_t)(len & 0xffff) + IPPROTO_ICMPV6;
    for (i = 0; i + 1 < len; i += 2) sum += (uint32_t)(msg[i] << 8 | msg[i + 1]);
    if (len & 1) sum += (uint32_t)msg[len - 1] << 8;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}
