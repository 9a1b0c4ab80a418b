/*
 * http_conns.h - who is connected to the HTTP server, what each connection
 * is doing and since when: the guards against slow clients and crowds.
 *
 * libmicrohttpd has one connection limit (split evenly between its
 * threads), an optional per-address limit (every IPv6 address its own),
 * and one timeout that any byte resets, so 512 idle keep-alive connections
 * from one address shut everyone else out, /healthz included, and a client
 * that trickles a byte of its headers or body every few seconds holds its
 * connection for ever. Here instead:
 *
 * - a limit on connections at once; at the limit a new connection is let
 *   in by closing the connection idle the longest (no request under way),
 *   else the oldest request still arriving after a second; a request being
 *   handled or answered (a webhook parked for its commit) is never closed.
 *   So whoever connects next, a health check or a provider, gets in;
 * - an optional limit on connections from one address (an IPv6 client's
 *   /64, which one client holds whole);
 * - deadlines, not idle timers: a connection with no request under way
 *   (new, or kept alive after an answer) is closed after idle_ms; a request
 *   whose headers have not all arrived header_ms after its request line,
 *   or whose body has not body_ms after its headers, is closed.
 *
 * Connections are closed with shutdown(), under the table's lock, on a
 * socket libmicrohttpd still holds (it closes it only after telling
 * http_conns_close()); libmicrohttpd then sees the end of the stream and
 * cleans up as for any client that went away. Deadlines are checked by a
 * thread of the table's own every HTTP_CONNS_TICK_MS.
 */
#ifndef PEERLINE_HTTP_CONNS_H
#define PEERLINE_HTTP_CONNS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define HTTP_CONNS_TICK_MS    100
#define HTTP_CONNS_GRACE_MS   1000  /* a request younger than this is never closed for room */
#define HTTP_CONNS_SUMMARY_MS 10000 /* at most one http.guard log line this often */
#define HTTP_CONNS_KEY_LEN    17    /* family byte + up to 16 address bytes */

struct http_conns_opts {
    unsigned limit;    /* connections at once; 0: none */
    unsigned per_addr; /* from one IPv4 address or IPv6 /64; 0: none */
    unsigned idle_ms;  /* no request under way; 0: no deadline */
    unsigned header_ms;
    unsigned body_ms;
};

/* What a connection is doing. */
enum http_phase {
    HTTP_WAITING,  /* no request under way: new, or kept alive after an answer */
    HTTP_HEADERS,  /* its request line is in, its headers are arriving */
    HTTP_BODY,     /* its headers are in, its body is arriving */
    HTTP_HANDLING, /* the whole request is in: handled, parked or being answered */
};

/* Counts since the table was made. */
struct http_conns_stats {
    unsigned open; /* connections now, closing ones not counted */
    unsigned long refused_full, refused_addr, evicted, cut_idle, cut_headers, cut_body;
};

struct http_conns;
struct http_conn;

/* NULL when out of memory or the deadline thread cannot start. */
struct http_conns *http_conns_new(const struct http_conns_opts *o);
/* After the server has closed every connection (each given to http_conns_close). */
void http_conns_free(struct http_conns *t);

/*
 * The accept policy: 1 to let a connection from addr in (closing another
 * to make room when at the limit), 0 to refuse it.
 */
int http_conns_admit(struct http_conns *t, const struct sockaddr *addr, socklen_t addrlen);
/* A connection accepted: its socket and address. NULL when out of memory (it is not guarded). */
struct http_conn *http_conns_open(struct http_conns *t, int fd, const struct sockaddr *addr);
/* It is closed (NULL: nothing to do). */
void http_conns_close(struct http_conns *t, struct http_conn *c);
/* It moves on to phase p (NULL: nothing to do). */
void http_conns_phase(struct http_conns *t, struct http_conn *c, enum http_phase p);

void http_conns_stats(struct http_conns *t, struct http_conns_stats *out);

/*
 * The address an address limit counts by: the family, then an IPv4
 * address whole (also one mapped into IPv6, ::ffff:a.b.c.d), or an IPv6
 * address's first 64 bits. Returns the key's length, 0 for other families.
 */
size_t http_conns_addr_key(const struct sockaddr *addr, unsigned char key[HTTP_CONNS_KEY_LEN]);

#endif
