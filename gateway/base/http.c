/*
 * http.c - see http.h.
 *
 * libmicrohttpd calls the access handler several times per request: once
 * with the headers, then with each piece of the body, then once more with
 * nothing. A per-request struct (created in the URI log callback, which is
 * the only place the raw URI is visible) gathers the body under its cap; the
 * final call dispatches to the handler and queues its response.
 *
 * A handler may park its request (http_park): the connection is suspended,
 * and once another thread resumes it libmicrohttpd calls the access handler
 * again, which calls the handler again with the parked state. The server
 * counts parked requests so that http_stop() never stops the daemon with one
 * still suspended (libmicrohttpd forbids it).
 *
 * Parking takes two calls. libmicrohttpd (0.9.75) keeps a suspended
 * connection's poll state as it was when it was suspended: suspended in the
 * call that completes the request, the connection is still "reading", so
 * once resumed it is read before the handler is called again, and a client
 * that half-closed after its request (shutdown(SHUT_WR): a read of 0 bytes)
 * is taken for gone: the connection is closed and the stored webhook never
 * answered. So the call that parks returns without suspending; the request
 * then counts as complete and waiting for the application (nothing is read
 * in that state), libmicrohttpd calls the access handler again at once, and
 * only that call suspends. A resume that comes before it (the commit was
 * quick) is kept and answered by that call instead.
 */
#include "http.h"
#include "http_conns.h"
#include "http_frame.h"
#include "http_log.h"
#include "log.h"

#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct http_server {
    struct MHD_Daemon *d;
    http_handler_fn fn;
    void *arg;
    size_t max_body;
    int port;
    int can_park;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned parked;          /* under mu: parked and not yet answered */
    int stopping;             /* under mu: no more parking */
    struct http_log log;      /* libmicrohttpd's own messages */
    struct http_conns *conns; /* who is connected, doing what: limits and deadlines */
};

/* Where a parked request is (see the top of this file). */
enum park {
    PARK_NONE,      /* not parked */
    PARK_PENDING,   /* parked by the handler, not yet suspended */
    PARK_SUSPENDED, /* suspended: libmicrohttpd waits for http_resume() */
    PARK_RESUMED,   /* http_resume() came: the next call answers it */
    PARK_ORPHANED,  /* the connection ended before it was suspended: http_resume() frees it */
};

/* One request (libmicrohttpd's per-request pointer), and a parked request's token. */
struct http_ctx {
    struct http_server *s;
    struct MHD_Connection *conn;
    struct http_conn *guard; /* its connection in s->conns */
    char *raw_uri;
    struct buf body;
    int too_big;
    int parking;    /* the handler parked it in this call */
    int parked;     /* counted in s->parked (the daemon's thread's copy of park != NONE) */
    enum park park; /* under s->mu */
    void *state;
    void (*free_state)(void *state);
};

/* The accept policy: limits, and room made at the limit (http_conns.h). */
static enum MHD_Result admit(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    struct http_server *s = cls;

    return http_conns_admit(s->conns, addr, addrlen) ? MHD_YES : MHD_NO;
}

static void connection_event(void *cls, struct MHD_Connection *c, void **socket_context,
                             enum MHD_ConnectionNotificationCode code)
{
    struct http_server *s = cls;
    const union MHD_ConnectionInfo *fd, *addr;

    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        fd = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        addr = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        *socket_context =
            fd ? http_conns_open(s->conns, fd->connect_fd, addr ? addr->client_addr : NULL) : NULL;
    } else {
        http_conns_close(s->conns, *socket_context);
        *socket_context = NULL;
    }
}

static struct http_conn *guard_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *i =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

    return i ? i->socket_context : NULL;
}

static void *uri_logger(void *cls, const char *uri, struct MHD_Connection *c)
{
    struct http_server *s = cls;
    struct http_ctx *ctx = calloc(1, sizeof(*ctx));
    struct http_conn *guard = guard_of(c);

    /* The request line is in: its headers have header_ms. */
    http_conns_phase(s->conns, guard, HTTP_HEADERS);
    if (!ctx)
        return NULL;
    ctx->s = s;
    ctx->conn = c;
    ctx->guard = guard;
    ctx->raw_uri = strdup(uri ? uri : "/");
    ctx->body.max = s->max_body;
    return ctx;
}

/* A parked request is answered (or gone): http_stop() may stop waiting for it. */
static void unpark(struct http_ctx *ctx)
{
    struct http_server *s = ctx->s;

    if (!ctx->parked)
        return;
    ctx->parked = 0;
    pthread_mutex_lock(&s->mu);
    s->parked--;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

static void ctx_free(struct http_ctx *ctx)
{
    if (ctx->free_state)
        ctx->free_state(ctx->state);
    free(ctx->raw_uri);
    buf_free(&ctx->body);
    free(ctx);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    struct http_ctx *ctx = *con_cls;
    struct http_server *s = cls;
    int orphaned = 0;

    (void)c;
    (void)toe;
    if (!ctx)
        return;
    *con_cls = NULL;
    http_conns_phase(s->conns, ctx->guard, HTTP_WAITING); /* until the next request line */
    /* Parked but not yet suspended: whoever holds the token still calls http_resume(). */
    pthread_mutex_lock(&s->mu);
    if (ctx->park == PARK_PENDING) {
        ctx->park = PARK_ORPHANED;
        orphaned = 1;
    }
    pthread_mutex_unlock(&s->mu);
    if (orphaned)
        return;
    unpark(ctx);
    ctx_free(ctx);
}

static enum MHD_Result queue(struct MHD_Connection *c, struct http_response *res)
{
    struct MHD_Response *r;
    enum MHD_Result ret;
    size_t len = res->body.len;
    char *body = buf_take(&res->body);

    r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    if (res->content_type)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, res->content_type);
    if (res->header_name && res->header_value)
        MHD_add_response_header(r, res->header_name, res->header_value);
    if (res->close)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    /* On every answer, pages, API, errors and /healthz alike: here, so none can miss them. */
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    ret = MHD_queue_response(c, (unsigned)res->status, r);
    MHD_destroy_response(r);
    return ret;
}

void http_text(struct http_response *res, int status, const char *text)
{
    res->status = status;
    res->content_type = "text/plain; charset=utf-8";
    buf_reset(&res->body);
    buf_puts(&res->body, text);
    buf_puts(&res->body, "\n");
}

static enum MHD_Result frame_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    (void)kind;
    http_frame_header(cls, key, value);
    return MHD_YES;
}

/*
 * A request whose headers do not say unambiguously where its body ends:
 * answered 400 and the connection closed, so nothing behind it on the
 * connection is read as a request. 1 when res holds that answer. (Not
 * libmicrohttpd's MHD_OPTION_STRICT_FOR_CLIENT: in 0.9.75 it adds only the
 * Host rule, and answers it with its header block sent twice.)
 */
static int framing_refused(struct MHD_Connection *c, const char *version, const char *target,
                           struct http_response *res)
{
    struct http_frame f;
    char msg[200];

    http_frame_init(&f, version, target);
    MHD_get_connection_values(c, MHD_HEADER_KIND, frame_header, &f);
    if (!http_frame_done(&f))
        return 0;
    snprintf(msg, sizeof(msg), "bad request framing: %s", f.why);
    http_text(res, 400, msg);
    res->close = 1;
    return 1;
}

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *c, const char *url,
                                      const char *method, const char *version,
                                      const char *upload_data, size_t *upload_data_size,
                                      void **con_cls)
{
    struct http_server *s = cls;
    struct http_ctx *ctx = *con_cls;
    struct http_response res = {.status = 500, .body = BUF_INIT(0)};
    struct http_request req;
    const char *cl;

    if (!ctx)
        return MHD_NO; /* out of memory in uri_logger */
    if (*upload_data_size) {
        if (!ctx->too_big && buf_append(&ctx->body, upload_data, *upload_data_size))
            ctx->too_big = 1;
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (!ctx->body.p && !ctx->too_big) {
        /* First call: headers only. Refuse bad framing and an announced oversize body unread. */
        if (framing_refused(c, version, ctx->raw_uri, &res)) {
            http_conns_phase(s->conns, ctx->guard, HTTP_HANDLING);
            return queue(c, &res);
        }
        cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > s->max_body) {
            http_conns_phase(s->conns, ctx->guard, HTTP_HANDLING);
            http_text(&res, 413, "request body too large");
            return queue(c, &res);
        }
        if (buf_append(&ctx->body, "", 0)) /* mark the first call as seen */
            return MHD_NO;
        http_conns_phase(s->conns, ctx->guard, HTTP_BODY); /* the body has body_ms */
        return MHD_YES;
    }
    http_conns_phase(s->conns, ctx->guard, HTTP_HANDLING);
    if (ctx->too_big) {
        http_text(&res, 413, "request body too large");
        return queue(c, &res);
    }
    req.method = method;
    req.path = url;
    req.raw_uri = ctx->raw_uri;
    req.body = ctx->body.p ? ctx->body.p : "";
    req.body_len = ctx->body.len;
    req.conn = c;
    req.ctx = ctx;
    req.parked = NULL;
    if (ctx->parked) {
        /* Called again for a parked request: suspend it now, or answer it. */
        pthread_mutex_lock(&s->mu);
        if (ctx->park == PARK_PENDING) {
            ctx->park = PARK_SUSPENDED;
            MHD_suspend_connection(c);
            pthread_mutex_unlock(&s->mu);
            return MHD_YES; /* called again after http_resume() */
        }
        pthread_mutex_unlock(&s->mu);
        req.parked = ctx->state; /* PARK_RESUMED */
    }
    s->fn(s->arg, &req, &res);
    if (ctx->parking) {
        ctx->parking = 0;
        buf_free(&res.body);
        return MHD_YES; /* no answer yet: libmicrohttpd calls again at once (see the top) */
    }
    unpark(ctx);
    if (res.drop) {
        buf_free(&res.body);
        return MHD_NO; /* libmicrohttpd closes the connection unanswered */
    }
    return queue(c, &res);
}

struct http_server *http_start(const struct http_opts *o, http_handler_fn fn, void *arg, char *err,
                               size_t errlen)
{
    struct http_server *s = calloc(1, sizeof(*s));
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
    char port[8];
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, pool;
    int mu = 0, cv = 0, lg = 0;
    struct http_conns_opts copts = {0};
    unsigned limit;
    const union MHD_DaemonInfo *info;
    int gai;

    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->fn = fn;
    s->arg = arg;
    s->max_body = o->max_body;
    if (!(mu = !pthread_mutex_init(&s->mu, NULL)) || !(cv = !pthread_cond_init(&s->cv, NULL)) ||
        !(lg = !http_log_init(&s->log))) {
        snprintf(err, errlen, "cannot initialise a mutex");
        goto fail;
    }
    /* Suspending is not available with a thread per connection (nor needed there). */
    s->can_park = !o->thread_per_conn;
    snprintf(port, sizeof(port), "%d", o->port);
    gai = getaddrinfo(o->host, port, &hints, &ai);
    if (gai) {
        snprintf(err, errlen, "cannot resolve listen address %s: %s", o->host, gai_strerror(gai));
        goto fail;
    }
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    flags |= o->thread_per_conn ? MHD_USE_THREAD_PER_CONNECTION
                                : MHD_USE_AUTO | MHD_ALLOW_SUSPEND_RESUME;
    pool = !o->thread_per_conn && o->threads > 1 ? o->threads : 0;
    limit = o->conn_limit ? o->conn_limit : 512u;
    copts.limit = limit;
    copts.per_addr = o->per_ip_limit;
    copts.idle_ms = o->idle_ms;
    copts.header_ms = o->header_ms;
    copts.body_ms = o->body_ms;
    s->conns = http_conns_new(&copts);
    if (!s->conns) {
        snprintf(err, errlen, "cannot start the connection guard");
        goto fail;
    }
    s->d = MHD_start_daemon(
        flags, (uint16_t)o->port, admit, s, access_handler, s,
        /* First, so that nothing libmicrohttpd says reaches stderr as bare text. */
        MHD_OPTION_EXTERNAL_LOGGER, http_log_mhd, &s->log, MHD_OPTION_SOCK_ADDR, ai->ai_addr,
        MHD_OPTION_URI_LOG_CALLBACK, uri_logger, s, MHD_OPTION_NOTIFY_COMPLETED, completed, s,
        MHD_OPTION_NOTIFY_CONNECTION, connection_event, s,
        /*
         * The limit is ours (admit): libmicrohttpd's, split between its
         * threads, leaves room for connections closed to make room that it
         * has not cleaned up yet.
         */
        MHD_OPTION_CONNECTION_LIMIT, limit + limit / 4 + 16, MHD_OPTION_CONNECTION_TIMEOUT,
        o->timeout_s ? o->timeout_s : 30u, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
        /* A pool only when asked for one: a size of 0 makes libmicrohttpd print a warning. */
        pool > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, pool, MHD_OPTION_END);
    if (!s->d) {
        snprintf(err, errlen, "cannot listen on %s:%d (in use, or not permitted)", o->host,
                 o->port);
        goto fail;
    }
    info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : o->port;
    freeaddrinfo(ai);
    return s;
fail:
    if (ai)
        freeaddrinfo(ai);
    http_conns_free(s->conns);
    if (lg)
        http_log_destroy(&s->log);
    if (cv)
        pthread_cond_destroy(&s->cv);
    if (mu)
        pthread_mutex_destroy(&s->mu);
    free(s);
    return NULL;
}

int http_port(const struct http_server *s)
{
    return s->port;
}

void http_stop(struct http_server *s)
{
    if (!s)
        return;
    /* libmicrohttpd must not be stopped with a request suspended: wait for each answer. */
    pthread_mutex_lock(&s->mu);
    s->stopping = 1;
    while (s->parked)
        pthread_cond_wait(&s->cv, &s->mu);
    pthread_mutex_unlock(&s->mu);
    MHD_stop_daemon(s->d);
    http_conns_free(s->conns);
    http_log_destroy(&s->log);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

struct http_ctx *http_park(const struct http_request *req, void *state,
                           void (*free_state)(void *state))
{
    struct http_ctx *ctx = req->ctx;
    struct http_server *s = ctx->s;

    if (!s->can_park || ctx->park != PARK_NONE)
        return NULL;
    pthread_mutex_lock(&s->mu);
    if (s->stopping) {
        pthread_mutex_unlock(&s->mu);
        return NULL;
    }
    s->parked++;
    ctx->park = PARK_PENDING;
    pthread_mutex_unlock(&s->mu);
    ctx->parked = 1;
    ctx->parking = 1;
    ctx->state = state;
    ctx->free_state = free_state;
    return ctx;
}

void http_resume(struct http_ctx *ctx)
{
    struct http_server *s = ctx->s; /* ctx may be freed once the request is answered */

    /*
     * Under s->mu: the daemon's thread suspends under it too, so a resume
     * never meets a connection half suspended; and while this holds it the
     * request is not freed, nor the daemon stopped (libmicrohttpd may answer
     * the request before MHD_resume_connection() has returned).
     */
    pthread_mutex_lock(&s->mu);
    switch (ctx->park) {
    case PARK_PENDING: /* not suspended yet: the next call answers it */
        ctx->park = PARK_RESUMED;
        break;
    case PARK_SUSPENDED:
        ctx->park = PARK_RESUMED;
        MHD_resume_connection(ctx->conn);
        break;
    case PARK_ORPHANED: /* the connection is gone: the request ends here */
        pthread_mutex_unlock(&s->mu);
        unpark(ctx);
        ctx_free(ctx);
        return;
    default:
        break;
    }
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

const char *http_header(const struct http_request *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *http_query(const struct http_request *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}
