/*
 * The reply layouts (see icmp_reply.h).
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

#include <string.h>

#include "byteorder.h"
#include "icmp_reply.h"

/* How much of the options and the data fit after the struct. */
static void fit_reply( const struct icmp_result *res, size_t avail, uint8_t *options_size, size_t *opt_space,
                       size_t *data_size )
{
    *options_size = res->options ? res->options_size : 0;
    *opt_space = ((size_t)*options_size + 3) & ~(size_t)3;
    if (*opt_space > avail) *options_size = 0, *opt_space = 0;
    *data_size = res->data ? res->data_size : 0;
    if (*data_size > avail - *opt_space) *data_size = avail - *opt_space;
    if (*data_size > 0xffff) *data_size = 0xffff;
}

size_t icmp4_write_reply( uint8_t *buf, size_t buf_size, uint64_t user_base, int ptr64,
                          const struct icmp_result *res )
{
    const size_t struct_size = icmp_reply_struct_size( ptr64 );
    const int ptr_bytes = ptr64 ? 8 : 4;
    const size_t opts_at = ptr64 ? 24 : 20;          /* Ttl, Tos, Flags, OptionsSize */
    const size_t opts_ptr_at = ptr64 ? 32 : 24;
    size_t opt_space = 0, data_size = 0;
    uint8_t options_size = 0;
    uint8_t hdr[ICMP_ECHO_REPLY64_SIZE];

    if (!buf || buf_size < struct_size) return 0;

    memset( hdr, 0, sizeof(hdr) );
    store_le32( hdr + 4, res->status );
    if (res->reply_count)
    {
        fit_reply( res, buf_size - struct_size, &options_size, &opt_space, &data_size );
        memcpy( hdr + 0, res->address, 4 );  /* already network order */
        store_le32( hdr + 8, res->rtt_ms );
        store_le( hdr + 12, data_size, 2 );
        store_le( hdr + 14, res->reply_count, 2 );
        store_le( hdr + 16, user_base + struct_size + opt_space, ptr_bytes );
        hdr[opts_at + 0] = res->ttl;
        hdr[opts_at + 1] = res->tos;
        hdr[opts_at + 2] = res->flags;
        hdr[opts_at + 3] = options_size;
        store_le( hdr + opts_ptr_at, user_base + struct_size, ptr_bytes );
        if (options_size)
        {
            memcpy( buf + struct_size, res->options, options_size );
            memset( buf + struct_size + options_size, 0, opt_space - options_size );
        }
        if (data_size) memmove( buf + struct_size + opt_space, res->data, data_size );
    }
    memcpy( buf, hdr, struct_size );
    return struct_size + opt_space + data_size;
}

size_t icmp6_write_reply( uint8_t *buf, size_t buf_size, const struct icmp_result *res )
{
    size_t data = 0;

    if (!buf || buf_size < ICMPV6_ECHO_REPLY_SIZE) return 0;
    memset( buf, 0, ICMPV6_ECHO_REPLY_SIZE );
    store_le32( buf + ICMPV6_REPLY_STATUS_OFFSET, res->status );
    if (!res->reply_count) return ICMPV6_ECHO_REPLY_SIZE;
    memcpy( buf + ICMPV6_REPLY_ADDR_OFFSET, res->address, ICMP_ADDR_LEN );
    store_le32( buf + ICMPV6_REPLY_SCOPE_OFFSET, res->scope_id );
    store_le32( buf + ICMPV6_REPLY_RTT_OFFSET, res->rtt_ms );
    if (res->data && res->data_size)
    {
        data = res->data_size;
        if (data > buf_size - ICMPV6_ECHO_REPLY_SIZE) data = buf_size - ICMPV6_ECHO_REPLY_SIZE;
        memcpy( buf + ICMPV6_ECHO_REPLY_SIZE, res->data, data );
    }
    return ICMPV6_ECHO_REPLY_SIZE + data;
}
