/*
 * labtool capture FILE [DIR]: writes one line per echo request arriving in
 * this namespace (whatever its destination), so tests can check what went on
 * the wire:
 *
 *   echo src=A dst=A ttl=N tos=N df=0|1 id=N seq=N size=N opts=HEX|- data=HEX
 *   echo6 src=A6 dst=A6 hlim=N id=N seq=N size=N data=HEX
 *
 * opts is the IP options as received, data the first 16 payload bytes.
 * Each line is flushed at once; runs until killed.
 *
 * With DIR, the first packet of each other ICMP or ICMPv6 type/code that
 * arrives (echo replies, TTL expiry, each unreachable, fragmentation needed,
 * packet too big, forgeries...) is also saved there as a fuzz corpus file:
 * a mode byte (0: IPv4, the packet as a raw ICMP socket returns it; 2:
 * ICMPv6, the message as a raw ICMPv6 socket returns it), then the bytes.
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
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "icmp4_packet.h"
#include "icmp6_packet.h"
#include "labnet.h"

static void hex( FILE *f, const uint8_t *p, size_t len )
{
    size_t i;
    if (!len) fputc( '-', f );
    for (i = 0; i < len; i++) fprintf( f, "%02x", p[i] );
}

static void save_first( const char *dir, int v6, uint8_t type, uint8_t code, const uint8_t *pkt, size_t len )
{
    static unsigned char seen[2][256][256];
    char path[4096];
    FILE *f;

    if (seen[v6][type][code]) return;
    seen[v6][type][code] = 1;
    snprintf( path, sizeof(path), "%s/lab%s-%u-%u", dir, v6 ? "6" : "", type, code );
    if (!(f = fopen( path, "wb" ))) return;
    fputc( v6 ? 2 : 0, f );
    fwrite( pkt, 1, len, f );
    fclose( f );
}

static void capture4( int s, FILE *f, const char *dir )
{
    static uint8_t buf[65536];
    struct lab_packet p;
    ssize_t n = recv( s, buf, sizeof(buf), 0 );

    if (n <= 0 || !lab_split( buf, (size_t)n, &p )) return;
    if (p.type != ICMP4_ECHO_REQUEST_TYPE)
    {
        if (dir) save_first( dir, 0, p.type, p.code, buf, (size_t)n );
        return;
    }
    if (p.icmp_len < 8) return;
    fprintf( f, "echo src=%s dst=%s ttl=%u tos=%u df=%u id=%u seq=%u size=%zu opts=", lab_ntoa( p.src ),
             lab_ntoa( p.dst ), p.ttl, p.tos, p.df, p.id, p.seq, p.data_len );
    hex( f, p.ip + 20, p.ip_len - 20 );
    fputs( " data=", f );
    hex( f, p.data, p.data_len < 16 ? p.data_len : 16 );
    fputc( '\n', f );
    fflush( f );
}

static void capture6( int s, FILE *f, const char *dir )
{
    static uint8_t buf[65536];
    struct lab_packet6 p;

    if (!lab_recv6( s, buf, sizeof(buf), &p )) return;
    if (p.type != ICMP6_ECHO_REQUEST_TYPE)
    {
        if (dir) save_first( dir, 1, p.type, p.code, p.icmp, p.icmp_len );
        return;
    }
    if (p.icmp_len < 8) return;
    fprintf( f, "echo6 src=%s dst=%s hlim=%d id=%u seq=%u size=%zu data=", lab_ntop6( &p.src ), lab_ntop6( &p.dst ),
             p.hlim, p.id, p.seq, p.data_len );
    hex( f, p.data, p.data_len < 16 ? p.data_len : 16 );
    fputc( '\n', f );
    fflush( f );
}

int lab_capture( int argc, char **argv )
{
    struct pollfd pfd[2];
    const char *dir = argc > 2 ? argv[2] : NULL;
    FILE *f;

    if (argc < 2) lab_die( "usage: labtool capture FILE [DIR]\n" );
    if (!(f = fopen( argv[1], "w" ))) lab_die( "cannot write %s\n", argv[1] );
    pfd[0].fd = lab_icmp_socket( 0 );
    pfd[1].fd = lab_icmp6_socket( NULL );
    pfd[0].events = pfd[1].events = POLLIN;
    for (;;)
    {
        if (poll( pfd, 2, -1 ) <= 0) continue;
        if (pfd[0].revents & POLLIN) capture4( pfd[0].fd, f, dir );
        if (pfd[1].revents & POLLIN) capture6( pfd[1].fd, f, dir );
    }
}
