/*
 * labtool respond ADDR6 DELAY_MS: responder.c for an IPv6 address: answers
 * every ICMPv6 echo request to ADDR6 after DELAY_MS milliseconds (the
 * namespace ignores ICMPv6 echo itself, net.ipv6.icmp.echo_ignore_all).
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
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "icmp6_packet.h"
#include "labnet.h"

#define QUEUE 4096
#define MAX_MSG 65536

struct due6
{
    int64_t when;
    struct in6_addr to;
    size_t len;
    uint8_t *msg;           /* the reply (the kernel computes its checksum) */
};

static struct due6 queue[QUEUE];
static unsigned int head, tail;   /* FIFO: the delay is the same for all */

static void send_due6( int s, int64_t now )
{
    while (head != tail && queue[head % QUEUE].when <= now)
    {
        struct due6 *d = &queue[head % QUEUE];
        struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_addr = d->to };
        if (sendto( s, d->msg, d->len, 0, (struct sockaddr *)&sin6, sizeof(sin6) ) < 0)
            fprintf( stderr, "respond: sendto %s: %s\n", lab_ntop6( &d->to ), strerror( errno ) );
        free( d->msg );
        head++;
    }
}

int lab_respond6( int argc, char **argv )
{
    static uint8_t buf[MAX_MSG];
    struct in6_addr addr = lab_addr6( argv[1] );
    int64_t delay_us = (int64_t)atoi( argv[2] ) * 1000;
    int s = lab_icmp6_socket( &addr );

    printf( "respond: answering ICMPv6 echo to %s after %s ms\n", argv[1], argv[2] );
    for (;;)
    {
        int timeout = -1;
        struct pollfd pfd = { .fd = s, .events = POLLIN };
        struct lab_packet6 p;

        if (head != tail)
        {
            int64_t wait = queue[head % QUEUE].when - lab_now_us();
            timeout = wait <= 0 ? 0 : (int)((wait + 999) / 1000);
        }
        if (poll( &pfd, 1, timeout ) > 0 && lab_recv6( s, buf, sizeof(buf), &p ) &&
            p.type == ICMP6_ECHO_REQUEST_TYPE && !p.code && p.icmp_len >= ICMP_HDR_LEN &&
            !memcmp( &p.dst, &addr, sizeof(addr) ) && tail - head < QUEUE)
        {
            struct due6 *d = &queue[tail % QUEUE];

            if (!(d->msg = malloc( p.icmp_len ))) lab_die( "out of memory\n" );
            memcpy( d->msg, p.icmp, p.icmp_len );
            d->msg[0] = ICMP6_ECHO_REPLY_TYPE;
            d->msg[2] = d->msg[3] = 0;
            d->len = p.icmp_len;
            d->to = p.src;
            d->when = lab_now_us() + delay_us;
            tail++;
        }
        send_due6( s, lab_now_us() );
    }
}
