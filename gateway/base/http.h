/*
 * http.h - a small HTTP server on libmicrohttpd for the gateway and the
 * simulator: whole requests in, whole responses out.
 *
 * It owns what every endpoint needs and none should repeat: the raw request
 * URI (signatures cover the query exactly as sent), a hard cap on bodies
 * (413 before the body is read when Content-Length says so), requests whose
 * framing is ambiguous refused before their body (400, and the connection
 * closed: http_frame.h), connection limits and deadlines against crowds and
 * slow clients (http_conns.h), and bounded header memory.
 * Handlers run on libmicrohttpd's threads; one that must wait for another
 * thread (the webhooks wait for their group commit) parks the request
 * instead of blocking (libmicrohttpd's suspend/resume).
 */
#ifndef PEERLINE_HTTP_H
#define PEERLINE_HTTP_H

#include <stddef.h>

#include "buf.h"

struct MHD_Connection;

struct http_request {
    const char *method;
    const char *path;    /* without the query */
    const char *raw_uri; /* path and query exactly as received */
    const char *body;    /* NUL-terminated for convenience; may contain NULs */
    size_t body_len;
    struct MHD_Connection *conn;
    void *parked; /* on the call after http_resume(): what http_park() was given, else NULL */
    struct http_ctx *ctx;
};

struct http_response {
    int status;
    const char *content_type; /* static string */
    struct buf body;
    const char *header_name; /* one optional extra header (static strings) */
    const char *header_value;
    int drop;  /* 1: close the connection without answering (the simulator's outages) */
    int close; /* 1: close the connection once answered (Connection: close) */
};

typedef void (*http_handler_fn)(void *arg, const struct http_request *req,
                                struct http_response *res);

struct http_opts {
    const char *host;      /* numeric address or name */
    int port;              /* 0: any free port (see http_port) */
    size_t max_body;       /* bytes; larger bodies get 413 */
    unsigned conn_limit;   /* simultaneous connections (at the limit, the longest idle
                              makes room: http_conns.h); 0: 512 */
    unsigned timeout_s;    /* libmicrohttpd's inactivity timeout (a stalled answer) */
    int thread_per_conn;   /* 1: one thread per connection (handlers may block) */
    unsigned threads;      /* >1: a pool of this many polling threads */
    unsigned per_ip_limit; /* connections per client address (IPv6: /64); 0: none (behind a
                              proxy every client is 127.0.0.1) */
    unsigned idle_ms;      /* deadlines (http_conns.h); 0: none: no request under way, */
    unsigned header_ms;    /* headers after the request line, */
    unsigned body_ms;      /* body after the headers */
};

struct http_server;

struct http_server *http_start(const struct http_opts *o, http_handler_fn fn, void *arg, char *err,
                               size_t errlen);
/* The bound port (useful with port 0). */
int http_port(const struct http_server *s);
/*
 * Stops accepting, waits for handlers in progress and for parked requests to
 * be resumed and answered (whoever holds their tokens must still be running),
 * frees.
 */
void http_stop(struct http_server *s);

/* A request header (case-insensitive name), or NULL. */
const char *http_header(const struct http_request *r, const char *name);
/* A decoded query argument, or NULL. */
const char *http_query(const struct http_request *r, const char *name);

/*
 * Parks a request: the handler returns without answering, the connection
 * waits without holding a thread, and after http_resume() (from any thread)
 * the handler is called again for the same request with req->parked ==
 * state. The server frees state with free_state when the request ends,
 * whatever happened. Returns the token for http_resume(), or NULL when the
 * request cannot be parked (the server is stopping, or runs a thread per
 * connection): the handler must then answer before it returns.
 */
struct http_ctx *http_park(const struct http_request *req, void *state,
                           void (*free_state)(void *state));
/* Wakes a parked request, exactly once. */
void http_resume(struct http_ctx *token);

/* Convenience: a plain-text response. (An HTML page: page.h.) */
void http_text(struct http_response *res, int status, const char *text);

#endif
