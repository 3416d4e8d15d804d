/*
 * ICMP handles returned by IcmpCreateFile / Icmp6CreateFile.
 */
#ifndef ICMP_HANDLE_H
#define ICMP_HANDLE_H

/* Returns a new handle for the address family, or INVALID_HANDLE_VALUE. */
HANDLE icmp_handle_alloc( int family );
/* The family of a live handle, or 0 for anything else (closed, foreign, bogus). */
int icmp_handle_family( HANDLE handle );
/* Closes a live handle; FALSE if it is not one. Pending requests go on. */
BOOL icmp_handle_free( HANDLE handle );

#endif /* ICMP_HANDLE_H */
