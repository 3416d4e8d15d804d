/*
 * Writes the Vista+ ICMP_ECHO_REPLY layout into a caller's buffer, for
 * 32-bit (28-byte struct) and 64-bit (40-byte struct) processes.
 * Pure C (see include/icmpcore.h); no Win32 calls.
 *
 * 64-bit: Address 0, Status 4, RoundTripTime 8, DataSize 12, Reserved 14,
 *         Data 16 (8 bytes), Ttl 24, Tos 25, Flags 26, OptionsSize 27,
 *         padding 28-31, OptionsData 32 (8 bytes).
 * 32-bit: the same up to Reserved, Data 16 (4 bytes), Ttl 20, Tos 21,
 *         Flags 22, OptionsSize 23, OptionsData 24 (4 bytes).
 */
#include <string.h>

#include "icmpcore.h"

static void store_le( uint8_t *p, uint64_t v, int bytes )
{
    int i;
    for (i = 0; i < bytes; i++) p[i] = (uint8_t)(v >> (8 * i));
}

size_t icmp4_write_reply( uint8_t *buf, size_t buf_size, uint64_t user_base, int ptr64,
                          const struct icmp_result *res )
{
    const size_t struct_size = icmp_reply_struct_size( ptr64 );
    const int ptr_bytes = ptr64 ? 8 : 4;
    const size_t opts_at = ptr64 ? 24 : 20;          /* Ttl, Tos, Flags, OptionsSize */
    const size_t opts_ptr_at = ptr64 ? 32 : 24;
    size_t avail, opt_space = 0, data_size = 0;
    uint8_t options_size = 0;
    uint8_t hdr[ICMP_ECHO_REPLY64_SIZE];

    if (!buf || buf_size < struct_size) return 0;

    memset( hdr, 0, sizeof(hdr) );
    store_le( hdr + 4, res->status, 4 );

    if (res->reply_count)
    {
        avail = buf_size - struct_size;
        options_size = res->options ? res->options_size : 0;
        opt_space = ((size_t)options_size + 3) & ~(size_t)3;
        if (opt_space > avail) options_size = 0, opt_space = 0;
        data_size = res->data ? res->data_size : 0;
        if (data_size > avail - opt_space) data_size = avail - opt_space;
        if (data_size > 0xffff) data_size = 0xffff;

        memcpy( hdr + 0, &res->address, 4 );  /* already network order */
        store_le( hdr + 8, res->rtt_ms, 4 );
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
