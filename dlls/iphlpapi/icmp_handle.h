/*
 * ICMP handles returned by IcmpCreateFile / Icmp6CreateFile (icmp_handle.c).
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

#ifndef ICMP_HANDLE_H
#define ICMP_HANDLE_H

/* Returns a new handle for the address family, or INVALID_HANDLE_VALUE. */
HANDLE icmp_handle_alloc( int family );
/* The family of a live handle, or 0 for anything else (closed, foreign, bogus). */
int icmp_handle_family( HANDLE handle );
/* Closes a live handle; FALSE if it is not one. Pending requests go on. */
BOOL icmp_handle_free( HANDLE handle );
/* DLL_PROCESS_DETACH: frees the table (unless the process exits) */
void icmp_handle_process_detach( void *reserved );

#endif /* ICMP_HANDLE_H */
