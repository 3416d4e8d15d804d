/*
 * The 36-byte ICMPV6_ECHO_REPLY of the Windows SDK's ipexport.h, under
 * names of our own (ICMPV6_ECHO_REPLY36, IPV6_ADDRESS_EX36): Wine 8's
 * headers lack it, mingw-w64 10's too, and mingw-w64 12's declare
 * ICMPV6_ECHO_REPLY_LH without the SDK's 1-byte packing of its address
 * (so a different size); and the IPv6 IP_STATUS names where the headers
 * lack them. Shared by the DLL (Wine's headers) and the test programs
 * (mingw-w64's); include it after ipexport.h or icmpapi.h.
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

#ifndef ICMPV6_REPLY_H
#define ICMPV6_REPLY_H

#include <pshpack1.h>
typedef struct _IPV6_ADDRESS_EX36
{
    USHORT sin6_port;
    ULONG  sin6_flowinfo;
    USHORT sin6_addr[8];
    ULONG  sin6_scope_id;
} IPV6_ADDRESS_EX36;
#include <poppack.h>

typedef struct icmpv6_echo_reply36
{
    IPV6_ADDRESS_EX36 Address;
    ULONG Status;
    unsigned int RoundTripTime;
} ICMPV6_ECHO_REPLY36;

#ifndef IP_DEST_NO_ROUTE
#define IP_DEST_NO_ROUTE             (IP_STATUS_BASE + 2)
#define IP_DEST_ADDR_UNREACHABLE     (IP_STATUS_BASE + 3)
#define IP_DEST_PROHIBITED           (IP_STATUS_BASE + 4)
#define IP_HOP_LIMIT_EXCEEDED        (IP_STATUS_BASE + 13)
#define IP_REASSEMBLY_TIME_EXCEEDED  (IP_STATUS_BASE + 14)
#define IP_PARAMETER_PROBLEM         (IP_STATUS_BASE + 15)
#define IP_DEST_UNREACHABLE          (IP_STATUS_BASE + 40)
#define IP_TIME_EXCEEDED             (IP_STATUS_BASE + 41)
#define IP_BAD_HEADER                (IP_STATUS_BASE + 42)
#define IP_UNRECOGNIZED_NEXT_HEADER  (IP_STATUS_BASE + 43)
#define IP_ICMP_ERROR                (IP_STATUS_BASE + 44)
#define IP_DEST_SCOPE_MISMATCH       (IP_STATUS_BASE + 45)
#endif

#endif /* ICMPV6_REPLY_H */
