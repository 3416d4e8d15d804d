/*
 * labtool capture FILE [DIR]: writes one line per echo request arriving in
 * this namespace (whatever its destination), so tests can check what went on
 * the wire:
 *
 *   echo src=A dst=A ttl=N tos=N df=0|1 id=N seq=N size=N opts=HEX|- data=HEX
 *
 * opts is the IP options as received, data the first 16 payload bytes.
 * Each line is flushed at once; runs until killed.
 *
 * With DIR, the first packet of each other ICMP type/code that arrives (echo
 * replies, TTL expiry, each unreachable, fragmentation needed, forgeries...)
 * is also saved there as a fuzz corpus file: a mode byte 0, then the packet
 * exactly as a raw socket returns it.
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
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "icmp4_packet.h"
#include "labnet.h"

static void hex( FILE *f, const uint8_t *p, size_t len )
{
    size_t i;
    if (!len) fputc( '-', f );
    for (i = 0; i < len; i++) fprintf( f, "%02x", p[i] );
}

static void save_first( const char *dir, const struct lab_packet *p, const uint8_t *pkt, size_t len )
{
    static unsigned char seen[256][256];
    char path[4096];
    FILE *f;

    if (seen[p->type][p->code]) return;
    seen[p->type][p->code] = 1;
    snprintf( path, sizeof(path), "%s/lab-%u-%u", dir, p->type, p->code );
    if (!(f = fopen( path, "wb" ))) return;
    fputc( 0, f );
    fwrite( pkt, 1, len, f );
    fclose( f );
}

int lab_capture( int argc, char **argv )
{
    static uint8_t buf[65536];
    FILE *f;
    int s;

    if (argc < 2) lab_die( "usage: labtool capture FILE [DIR]\n" );
    if (!(f = fopen( argv[1], "w" ))) lab_die( "cannot write %s\n", argv[1] );
    s = lab_icmp_socket( 0 );
    for (;;)
    {
        struct lab_packet p;
        ssize_t n = recv( s, buf, sizeof(buf), 0 );

        if (n <= 0 || !lab_split( buf, (size_t)n, &p )) continue;
        if (p.type != ICMP4_ECHO_REQUEST_TYPE)
        {
            if (argc > 2) save_first( argv[2], &p, buf, (size_t)n );
            continue;
        }
        if (p.icmp_len < 8) continue;
        fprintf( f, "echo src=%s dst=%s ttl=%u tos=%u df=%u id=%u seq=%u size=%zu opts=", lab_ntoa( p.src ),
                 lab_ntoa( p.dst ), p.ttl, p.tos, p.df, p.id, p.seq, p.data_len );
        hex( f, p.ip + 20, p.ip_len - 20 );
        fputs( " data=", f );
        hex( f, p.data, p.data_len < 16 ? p.data_len : 16 );
        fputc( '\n', f );
        fflush( f );
    }
}
