/*
 * http_frame.h - whether a request's headers say unambiguously where its
 * body ends (request framing), checked before the body is read.
 *
 * Behind a reverse proxy, a request the proxy and the gateway would frame
 * differently smuggles a second request past the proxy: two
 * Content-Lengths, Content-Length with Transfer-Encoding, a
 * Transfer-Encoding the gateway does not decode, "Transfer-Encoding :"
 * (a name with a space the proxy may read one way and libmicrohttpd
 * another). libmicrohttpd 0.9.75 answers all of these and keeps the
 * connection; the server refuses them with 400 and closes it.
 *
 * Refused, each with what and where ("header 3 (Content-Length): ..."):
 * a request target with a space or a control byte (libmicrohttpd reads
 * "GET /a b HTTP/1.1" as the target "/a b"); a field name that is not an
 * RFC 9110 token (empty, spaces, controls,
 * separators); more than one Content-Length, or one that is not digits;
 * more than one Transfer-Encoding, one other than "chunked", one in an
 * HTTP/1.0 request, or one with a Content-Length; no Host in an HTTP/1.1
 * request, or more than one Host.
 *
 * Fed one header at a time (as libmicrohttpd lists them), so it keeps no
 * copy of them. No allocation; pure.
 */
#ifndef PEERLINE_HTTP_FRAME_H
#define PEERLINE_HTTP_FRAME_H

#include <stddef.h>

struct http_frame {
    int http11;       /* the request says HTTP/1.1 (Host required) */
    int http10;       /* the request says HTTP/1.0 (no Transfer-Encoding) */
    unsigned headers; /* seen so far */
    unsigned content_length, transfer_encoding, host; /* how many of each */
    int bad; /* 1 once a problem is found: why holds the first */
    char why[160];
};

/*
 * Starts a request of this HTTP version ("HTTP/1.1"; NULL or another: no
 * rule of a version applies) for this request target as received (NULL:
 * not checked), which must hold no space or control byte.
 */
void http_frame_init(struct http_frame *f, const char *version, const char *target);
/*
 * One header field as libmicrohttpd hands it over: its name, and its value
 * with leading whitespace skipped (NULL reads as "").
 */
void http_frame_header(struct http_frame *f, const char *name, const char *value);
/* After the last header: 0 when the framing is unambiguous, else -1 (f->why says why). */
int http_frame_done(struct http_frame *f);

#endif
