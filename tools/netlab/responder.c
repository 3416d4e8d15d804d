/*
 * labtool respond ADDR DELAY_MS: answers every echo request to ADDR after
 * DELAY_MS milliseconds (the lab's stand-in for a slow link: this kernel has
 * no netem). The namespace ignores echo itself (icmp_echo_ignore_all), so
 * this is the only answer. Runs until killed. An IPv6 ADDR: responder6.c.
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

#include "icmp4_packet.h"
#include "labnet.h"

#define QUEUE 4096
#define MAX_MSG 65536

struct due
{
    int64_t when;
    uint32_t to;
    size_t len;
    uint8_t *msg;           /* the reply's ICMP message */
};

static struct due queue[QUEUE];
static unsigned int head, tail;   /* FIFO: the delay is the same for all */

static void send_due( int s, int64_t now )
{
    while (head != tail && queue[head % QUEUE].when <= now)
    {
        struct due *d = &queue[head % QUEUE];
        struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = d->to };
        if (sendto( s, d->msg, d->len, 0, (struct sockaddr *)&sin, sizeof(sin) ) < 0)
            fprintf( stderr, "respond: sendto %s: %s\n", lab_ntoa( d->to ), strerror( errno ) );
        free( d->msg );
        head++;
    }
}

int lab_respond( int argc, char **argv )
{
    static uint8_t buf[MAX_MSG];
    uint32_t addr;
    int64_t delay_us;
    int s;

    if (argc < 3) lab_die( "usage: labtool respond ADDR DELAY_MS\n" );
    if (lab_is_addr6( argv[1] )) return lab_respond6( argc, argv );
    addr = lab_addr( argv[1] );
    delay_us = (int64_t)atoi( argv[2] ) * 1000;
    s = lab_icmp_socket( addr );
    printf( "respond: answering echo to %s after %s ms\n", argv[1], argv[2] );
    for (;;)
    {
        int timeout = -1;
        struct pollfd pfd = { .fd = s, .events = POLLIN };
        struct lab_packet p;
        ssize_t n;

        if (head != tail)
        {
            int64_t wait = queue[head % QUEUE].when - lab_now_us();
            timeout = wait <= 0 ? 0 : (int)((wait + 999) / 1000);
        }
        if (poll( &pfd, 1, timeout ) > 0 && (n = recv( s, buf, sizeof(buf), 0 )) > 0 &&
            lab_split( buf, (size_t)n, &p ) && p.type == ICMP4_ECHO_REQUEST_TYPE && p.dst == addr &&
            p.icmp_len >= ICMP_HDR_LEN && tail - head < QUEUE)
        {
            struct due *d = &queue[tail % QUEUE];
            uint16_t sum;

            if (!(d->msg = malloc( p.icmp_len ))) lab_die( "out of memory\n" );
            memcpy( d->msg, p.icmp, p.icmp_len );
            d->msg[0] = ICMP4_ECHO_REPLY_TYPE;
            d->msg[2] = d->msg[3] = 0;
            sum = icmp_checksum( d->msg, p.icmp_len );
            memcpy( d->msg + 2, &sum, 2 );
            d->len = p.icmp_len;
            d->to = p.src;
            d->when = lab_now_us() + delay_us;
            tail++;
        }
        send_due( s, lab_now_us() );
    }
}
