/*
 * labtool ping ADDR [COUNT]: echoes ADDR with a raw socket, one request
 * after the other: the lab's wiring check, and with COUNT > 1 the
 * benchmark's native floor (time per echo).
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <poll.h>

#include "icmp4_packet.h"
#include "labnet.h"

static int cmp_i64( const void *a, const void *b )
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int lab_ping( int argc, char **argv )
{
    uint32_t dst;
    int s, count, i, got = 0;
    uint8_t pkt[128], buf[2048], data[24];
    int64_t *took;

    if (argc < 2) lab_die( "usage: labtool ping ADDR [COUNT]\n" );
    dst = lab_addr( argv[1] );
    count = argc > 2 ? atoi( argv[2] ) : 1;
    if (count < 1 || !(took = calloc( count, sizeof(*took) ))) lab_die( "bad count\n" );
    s = lab_icmp_socket( 0 );
    memcpy( data, "netlab check ping......", sizeof(data) );
    for (i = 0; i < count; i++)
    {
        struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = dst };
        uint16_t id = (uint16_t)getpid();
        size_t len = icmp4_build_echo( pkt, sizeof(pkt), id, (uint16_t)i, data, sizeof(data) );
        int64_t start = lab_now_us(), deadline = start + 2000000;

        if (sendto( s, pkt, len, 0, (struct sockaddr *)&sin, sizeof(sin) ) < 0)
            lab_die( "sendto %s: %s\n", argv[1], strerror( errno ) );
        while (lab_now_us() < deadline)
        {
            struct pollfd pfd = { .fd = s, .events = POLLIN };
            struct lab_packet p;
            ssize_t n;

            if (poll( &pfd, 1, (int)((deadline - lab_now_us()) / 1000) + 1 ) <= 0) continue;
            if ((n = recv( s, buf, sizeof(buf), 0 )) <= 0) continue;
            if (lab_split( buf, (size_t)n, &p ) && p.type == ICMP4_ECHO_REPLY_TYPE && p.src == dst &&
                p.id == id && p.seq == (uint16_t)i)
            {
                took[got++] = lab_now_us() - start;
                if (count == 1) printf( "reply from %s seq %d ttl %u\n", argv[1], i, p.ttl );
                break;
            }
        }
    }
    close( s );
    if (count > 1 && got)
    {
        qsort( took, got, sizeof(*took), cmp_i64 );
        printf( "ping: %d/%d replies, median %lld us, p90 %lld us\n", got, count, (long long)took[(got - 1) / 2],
                (long long)took[(int)(0.9 * (got - 1) + 0.5)] );
    }
    free( took );
    return got == count ? 0 : 1;
}

