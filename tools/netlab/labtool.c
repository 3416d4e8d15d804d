/*
 * labtool: the network lab's native helper (Linux), one program with a
 * command per concern:
 *
 *   labtool ping ADDR [COUNT]            echo ADDR with a raw socket, one after the
 *                                        other (lab check; with COUNT > 1 also the
 *                                        benchmark's native floor: time per echo)
 *   labtool respond ADDR DELAY_MS        answer echo requests to ADDR after a delay
 *   labtool capture FILE                 log every echo request arriving here
 *   labtool inject ADDR DECOY [DIR]      forge hostile packets at whoever pings ADDR
 *
 * Each runs inside a lab namespace (ip netns exec) and only ever sends to
 * addresses of the lab: the sender of a packet it received there, or ADDR.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <poll.h>

#include "icmpcore.h"
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

/* ---- ping: is the lab wired, and how fast is a native raw socket? ---- */

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

int main( int argc, char **argv )
{
    setvbuf( stdout, NULL, _IOLBF, 0 );
    if (argc < 2) lab_die( "usage: labtool ping|respond|capture|inject ...\n" );
    if (!strcmp( argv[1], "ping" )) return lab_ping( argc - 1, argv + 1 );
    if (!strcmp( argv[1], "respond" )) return lab_respond( argc - 1, argv + 1 );
    if (!strcmp( argv[1], "capture" )) return lab_capture( argc - 1, argv + 1 );
    if (!strcmp( argv[1], "inject" )) return lab_inject( argc - 1, argv + 1 );
    lab_die( "unknown command '%s'\n", argv[1] );
}
