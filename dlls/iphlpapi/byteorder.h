/*
 * Byte access for the packet core: loads and stores of unaligned fields in
 * a fixed byte order. Pure C, header only; every file of the core uses
 * these and no other copy.
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

#ifndef BYTEORDER_H
#define BYTEORDER_H

#include <stdint.h>
#include <string.h>

static inline uint16_t load_be16( const uint8_t *p )
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void store_be16( uint8_t *p, uint16_t v )
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* little-endian store of the low `bytes` bytes of v (the reply layouts) */
static inline void store_le( uint8_t *p, uint64_t v, int bytes )
{
    int i;
    for (i = 0; i < bytes; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static inline void store_le32( uint8_t *p, uint32_t v )
{
    store_le( p, v, 4 );
}

#endif /* BYTEORDER_H */
