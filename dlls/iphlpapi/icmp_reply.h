/*
 * The reply layouts written into a caller's buffer (Vista and later):
 * ICMP_ECHO_REPLY in a 32-bit (28 bytes) and a 64-bit (40 bytes) process,
 * and ICMPV6_ECHO_REPLY (36 bytes). Pure C (see icmp_packet.h); the DLL
 * ties these sizes and offsets to the SDK's structs with C_ASSERTs.
 *
 * ICMP_ECHO_REPLY, 64-bit: Address 0, Status 4, RoundTripTime 8,
 *   DataSize 12, Reserved 14, Data 16 (8 bytes), Ttl 24, Tos 25, Flags 26,
 *   OptionsSize 27, padding 28-31, OptionsData 32 (8 bytes).
 * 32-bit: the same up to Reserved, Data 16 (4 bytes), Ttl 20, Tos 21,
 *   Flags 22, OptionsSize 23, OptionsData 24 (4 bytes).
 * ICMPV6_ECHO_REPLY: IPV6_ADDRESS_EX packed to 1 byte (sin6_port 0,
 *   sin6_flowinfo 2, sin6_addr 6, sin6_scope_id 22), 2 bytes padding,
 *   Status 28, RoundTripTime 32; the data follows at 36.
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

#ifndef ICMP_REPLY_H
#define ICMP_REPLY_H

#include "icmp_packet.h"

#define ICMP_ECHO_REPLY32_SIZE   28
#define ICMP_ECHO_REPLY64_SIZE   40
#define ICMPV6_ECHO_REPLY_SIZE   36
#define ICMPV6_REPLY_ADDR_OFFSET   6
#define ICMPV6_REPLY_SCOPE_OFFSET  22
#define ICMPV6_REPLY_STATUS_OFFSET 28
#define ICMPV6_REPLY_RTT_OFFSET    32

static inline size_t icmp_reply_struct_size( int ptr64 )
{
    return ptr64 ? ICMP_ECHO_REPLY64_SIZE : ICMP_ECHO_REPLY32_SIZE;
}

/* Writes ICMP_ECHO_REPLY into buf (buf_size bytes, at address user_base in
 * the caller's process; ptr64 chooses the layout), the received options
 * padded with zeros to a multiple of 4, then the data. On failure
 * (reply_count 0) only the struct is written, zeroed except Status. Options
 * that do not fit are dropped, then data that does not fit is truncated.
 * Nothing is written past the bytes produced, whose count is returned (0 if
 * buf_size cannot hold the struct). */
size_t icmp4_write_reply( uint8_t *buf, size_t buf_size, uint64_t user_base, int ptr64,
                          const struct icmp_result *res );

/* Writes ICMPV6_ECHO_REPLY and the data after it; on failure (reply_count
 * 0) only the struct, zeroed except Status. Nothing past the bytes produced
 * is written; returns their count (0 if buf_size < 36). */
size_t icmp6_write_reply( uint8_t *buf, size_t buf_size, const struct icmp_result *res );

#endif /* ICMP_REPLY_H */
