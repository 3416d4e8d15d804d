/*
 * libFuzzer target: the reply-layout writer with arbitrary results. The
 * first bytes choose the status, reply count, header fields, option and data
 * lengths and the buffer size; the rest supplies the option and data bytes.
 * Checks: never a write past the returned count or the buffer, the count
 * never exceeds the buffer, and the struct fields agree with what was written.
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
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "icmp_reply.h"

#define GUARD 0x5a

static uint32_t take( const uint8_t **p, size_t *left, int bytes )
{
    uint32_t v = 0;
    while (bytes-- && *left) { v = v << 8 | **p; (*p)++; (*left)--; }
    return v;
}

int LLVMFuzzerTestOneInput( const uint8_t *data, size_t size );
int LLVMFuzzerTestOneInput( const uint8_t *data, size_t size )
{
    const uint8_t *p = data;
    size_t left = size, buf_size, n, i, struct_size;
    struct icmp_result res;
    uint8_t *buf;
    int ptr64;

    memset( &res, 0, sizeof(res) );
    ptr64 = take( &p, &left, 1 ) & 1;
    res.status = take( &p, &left, 4 );
    {
        uint32_t address = take( &p, &left, 4 );
        memcpy( res.address, &address, 4 );
    }
    res.rtt_ms = take( &p, &left, 4 );
    res.reply_count = (uint16_t)take( &p, &left, 2 );
    res.ttl = (uint8_t)take( &p, &left, 1 );
    res.tos = (uint8_t)take( &p, &left, 1 );
    res.flags = (uint8_t)take( &p, &left, 1 );
    res.options_size = (uint8_t)take( &p, &left, 1 );
    buf_size = take( &p, &left, 2 );
    if (res.options_size > left) res.options_size = (uint8_t)left;
    res.options = res.options_size ? p : NULL;
    p += res.options_size;
    left -= res.options_size;
    res.data = left ? p : NULL;
    res.data_size = left;

    buf = malloc( buf_size + 64 );
    memset( buf, GUARD, buf_size + 64 );
    n = icmp4_write_reply( buf, buf_size, 0x7000, ptr64, &res );
    struct_size = icmp_reply_struct_size( ptr64 );
    if (n > buf_size) abort();
    if (buf_size < struct_size && n) abort();
    for (i = n; i < buf_size + 64; i++) if (buf[i] != GUARD) abort();
    if (n >= struct_size)
    {
        uint16_t data_size = (uint16_t)(buf[12] | buf[13] << 8);
        uint8_t opt_size = buf[ptr64 ? 27 : 23];
        size_t opt_space = ((size_t)opt_size + 3) & ~(size_t)3;
        if (!res.reply_count && n != struct_size) abort();
        if (struct_size + opt_space + data_size != n) abort();
        if (data_size && memcmp( buf + struct_size + opt_space, res.data, data_size )) abort();
    }
    free( buf );
    return 0;
}
