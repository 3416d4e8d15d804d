/*
 * ICMP packet core: building echo requests, parsing what a raw ICMP socket
 * receives, matching it to a pending request, mapping ICMP errors to
 * IP_STATUS codes, and writing the Windows reply layout.
 *
 * Pure C: no Win32 or Winsock calls, so the same code is linked into the
 * PE DLL and into native unit tests, sanitizer builds and fuzzers.
 *
 * All addresses are IPv4 addresses in network byte order (as IPAddr is);
 * identifiers and sequence numbers are in host order.
 */
#ifndef ICMPCORE_H
#define ICMPCORE_H

#include <stddef.h>
#include <stdint.h>

/* IP_STATUS values (ipexport.h); checked against the SDK header in the DLL. */
enum icmp_status
{
    ICMP_STATUS_SUCCESS             = 0,
    ICMP_STATUS_BUF_TOO_SMALL       = 11001,
    ICMP_STATUS_DEST_NET_UNREACH    = 11002,
    ICMP_STATUS_DEST_HOST_UNREACH   = 11003,
    ICMP_STATUS_DEST_PROT_UNREACH   = 11004,
    ICMP_STATUS_DEST_PORT_UNREACH   = 11005,
    ICMP_STATUS_NO_RESOURCES        = 11006,
    ICMP_STATUS_BAD_OPTION          = 11007,
    ICMP_STATUS_HW_ERROR            = 11008,
    ICMP_STATUS_PACKET_TOO_BIG      = 11009,
    ICMP_STATUS_REQ_TIMED_OUT       = 11010,
    ICMP_STATUS_BAD_REQ             = 11011,
    ICMP_STATUS_BAD_ROUTE           = 11012,
    ICMP_STATUS_TTL_EXPIRED_TRANSIT = 11013,
    ICMP_STATUS_TTL_EXPIRED_REASSEM = 11014,
    ICMP_STATUS_PARAM_PROBLEM       = 11015,
    ICMP_STATUS_SOURCE_QUENCH       = 11016,
    /* IPv6 names (Windows SDK ipexport.h; Wine 8's lacks them) */
    ICMP_STATUS_DEST_NO_ROUTE       = 11002,
    ICMP_STATUS_DEST_ADDR_UNREACH   = 11003,
    ICMP_STATUS_DEST_PROHIBITED     = 11004,
    ICMP_STATUS_HOP_LIMIT_EXCEEDED  = 11013,
    ICMP_STATUS_REASSEMBLY_TIME     = 11014,
    ICMP_STATUS_PARAMETER_PROBLEM   = 11015,
    ICMP_STATUS_DEST_UNREACHABLE    = 11040,
    ICMP_STATUS_TIME_EXCEEDED       = 11041,
    ICMP_STATUS_BAD_HEADER          = 11042,
    ICMP_STATUS_ICMP_ERROR          = 11044,
    ICMP_STATUS_SCOPE_MISMATCH      = 11045,
    ICMP_STATUS_GENERAL_FAILURE     = 11050,
};

#define ICMP_HDR_LEN        8       /* type, code, checksum, id, sequence */
#define IPV4_MIN_HDR_LEN    20
#define IPV4_MAX_OPT_LEN    40
#define ICMP_MAX_DATA       65500   /* largest RequestSize accepted */

/* ICMPv4 message types the core knows */
#define ICMP4_ECHO_REPLY_TYPE   0
#define ICMP4_UNREACH_TYPE      3
#define ICMP4_QUENCH_TYPE       4
#define ICMP4_REDIRECT_TYPE     5
#define ICMP4_ECHO_REQUEST_TYPE 8
#define ICMP4_TIMXCEED_TYPE     11
#define ICMP4_PARAMPROB_TYPE    12

/* RFC 1071 Internet checksum of len bytes; the result is ready to be stored
 * in a header as is (it is computed in memory order). */
uint16_t icmp_checksum( const void *data, size_t len );

/* Builds an ICMPv4 echo request (header + data) into out.
 * Returns the packet length, or 0 if out_len is too small. */
size_t icmp4_build_echo( uint8_t *out, size_t out_len, uint16_t id, uint16_t seq,
                         const void *data, size_t data_len );

/* What a received IPv4 ICMP packet says, as far as echo requests care. */
enum icmp_kind
{
    ICMP_KIND_IGNORE = 0,   /* not for us: requests, redirects, junk */
    ICMP_KIND_ECHO_REPLY,   /* an echo reply: id/seq/data describe it */
    ICMP_KIND_ERROR,        /* an error quoting an echo request: id/seq/quoted_dst describe the quoted request */
};

struct icmp4_packet
{
    enum icmp_kind kind;
    uint32_t status;          /* IP_STATUS the packet means (0 for echo reply) */
    uint32_t src;             /* sender of the packet (network order) */
    uint8_t  ttl;             /* received IP header fields */
    uint8_t  tos;
    uint8_t  flags;           /* IP flags, host order: 2 = don't fragment, 1 = more fragments */
    uint8_t  options_size;    /* received IP options */
    const uint8_t *options;
    uint8_t  type, code;
    uint16_t id, seq;         /* echo reply's, or the quoted request's */
    uint32_t quoted_dst;      /* errors: destination of the quoted request */
    const uint8_t *data;      /* echo reply payload */
    size_t   data_size;
};

/* Parses one packet as returned by a raw IPv4 ICMP socket: an IPv4 header
 * followed by an ICMP message. Verifies lengths, IHL, protocol and the ICMP
 * checksum; anything malformed or irrelevant yields ICMP_KIND_IGNORE. */
enum icmp_kind icmp4_parse( const uint8_t *pkt, size_t len, struct icmp4_packet *out );

/* IP_STATUS for an ICMPv4 error type/code, or 0 if the message is to be
 * ignored (redirects, echo requests, unknown types). */
uint32_t icmp4_error_status( uint8_t type, uint8_t code );

/* What identifies one pending request. */
struct icmp_request_key
{
    uint16_t id;              /* identifier we sent */
    uint16_t seq;             /* sequence we sent */
    uint32_t dst;             /* destination (network order) */
    int      ipv6;            /* an ICMPv6 request: dst6 instead of dst */
    uint8_t  dst6[16];
    int      ping_socket;     /* sent through a Linux ping socket: see icmp4_match */
    uint32_t payload_hash;    /* icmp_payload_hash of the data sent (ping sockets) */
    uint16_t payload_size;
};

/* 32-bit FNV-1a hash of a payload: recognises our echo data when the
 * identifier cannot be trusted. */
uint32_t icmp_payload_hash( const void *data, size_t len );

/* Whether a parsed packet completes the request described by key.
 * Echo replies: our sequence, sent by the destination, and our identifier;
 * the payload is not compared (Windows does not). Through a Linux ping
 * socket the kernel rewrites the identifier and Wine restores it only for
 * its last few requests, so there the identifier is not compared but the
 * payload must be exactly ours (the kernel already delivers only replies
 * to the socket's own identifier).
 * Errors: the quoted request has our identifier, sequence and destination. */
int icmp4_match( const struct icmp4_packet *pkt, const struct icmp_request_key *key );

/* Result of one request, to be written into the caller's reply buffer. */
struct icmp_result
{
    uint32_t status;
    uint32_t address;         /* network order */
    uint8_t  address6[16];    /* IPv6 results */
    uint32_t scope_id;
    uint32_t rtt_ms;
    uint16_t reply_count;     /* 1 when a packet answered, 0 on timeout/failure */
    uint8_t  ttl, tos, flags, options_size;
    const uint8_t *options;
    const uint8_t *data;
    size_t   data_size;
};

/* The result a matched packet gives its request: sender, status, the
 * packet's own IP header fields and options, and the echo data (none for
 * ICMP errors); rtt_ms is measured by the caller. */
void icmp4_result_from_packet( const struct icmp4_packet *pkt, uint32_t rtt_ms, struct icmp_result *res );

/* Sizes of ICMP_ECHO_REPLY in a 32-bit and a 64-bit process. */
#define ICMP_ECHO_REPLY32_SIZE 28
#define ICMP_ECHO_REPLY64_SIZE 40

static inline size_t icmp_reply_struct_size( int ptr64 )
{
    return ptr64 ? ICMP_ECHO_REPLY64_SIZE : ICMP_ECHO_REPLY32_SIZE;
}

/* Writes the Vista+ reply layout into buf (buf_size bytes, at address
 * user_base in the caller's process): one ICMP_ECHO_REPLY (28 bytes for
 * ptr64 == 0, 40 otherwise), the received options padded with zeros to a
 * multiple of 4, then the data. On failure (reply_count 0) only the struct
 * is written, zeroed except Status. Data that does not fit is truncated.
 * Nothing is written past the bytes produced, whose count is returned
 * (0 if buf_size cannot hold the struct). */
size_t icmp4_write_reply( uint8_t *buf, size_t buf_size, uint64_t user_base, int ptr64,
                          const struct icmp_result *res );

/* ---- ICMPv6 (icmp6_packet.c) ---- */

#define ICMP6_UNREACH_TYPE        1
#define ICMP6_TOO_BIG_TYPE        2
#define ICMP6_TIME_EXCEEDED_TYPE  3
#define ICMP6_PARAMPROB_TYPE      4
#define ICMP6_ECHO_REQUEST_TYPE   128
#define ICMP6_ECHO_REPLY_TYPE     129
#define IPV6_HDR_LEN              40
#define ICMPV6_ECHO_REPLY_SIZE    36   /* packed IPV6_ADDRESS_EX (26), 2 padding, Status, RoundTripTime */

/* What a message received on a raw ICMPv6 socket says (the kernel strips
 * the IPv6 header and has verified the checksum; the sender comes from
 * recvfrom). */
struct icmp6_packet
{
    enum icmp_kind kind;
    uint32_t status;
    uint8_t  src[16];
    uint8_t  type, code;
    uint16_t id, seq;         /* echo reply's, or the quoted request's */
    uint8_t  quoted_dst[16];  /* errors: destination of the quoted request */
    const uint8_t *data;      /* echo reply payload */
    size_t   data_size;
};

/* Builds an ICMPv6 echo request; the checksum is left 0 (a raw ICMPv6
 * socket's kernel computes it over the pseudo-header). Returns the length,
 * or 0 if out_len is too small. */
size_t icmp6_build_echo( uint8_t *out, size_t out_len, uint16_t id, uint16_t seq,
                         const void *data, size_t data_len );

/* Parses an ICMPv6 message from src; errors count only when they quote an
 * ICMPv6 echo request (inner IPv6 header whose next header is ICMPv6). */
enum icmp_kind icmp6_parse( const uint8_t *msg, size_t len, const uint8_t src[16], struct icmp6_packet *out );

/* IP_STATUS for an ICMPv6 error type/code, or 0 to ignore it. */
uint32_t icmp6_error_status( uint8_t type, uint8_t code );

/* As icmp4_match, for an IPv6 request (key->ipv6 set). */
int icmp6_match( const struct icmp6_packet *pkt, const struct icmp_request_key *key );

void icmp6_result_from_packet( const struct icmp6_packet *pkt, uint32_t rtt_ms, struct icmp_result *res );

/* Writes ICMPV6_ECHO_REPLY (36 bytes) and the data after it; on failure
 * (reply_count 0) only the struct, zeroed except Status. Nothing past the
 * bytes produced is written; returns their count (0 if buf_size < 36). */
size_t icmp6_write_reply( uint8_t *buf, size_t buf_size, const struct icmp_result *res );

#endif /* ICMPCORE_H */
