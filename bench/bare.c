/*
 * bare.c - see bare.h.
 *
 * libmicrohttpd calls the access handler once with the headers, once per
 * piece of body, and once more with nothing: then the request is whole and
 * is answered. In BARE_TWIML mode the body is consumed and dropped and no
 * per-request state exists (the request context is a shared, never-written
 * marker). In BARE_MESSAGE mode the body is gathered under a cap, parsed
 * with peerline's form parser, and the Message resource is rendered into a
 * stack buffer (a heap one only when a long body does not fit) and copied
 * into the response.
 */
#include "bare.h"
#include "buf.h"
#include "form.h"

#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BARE_MAX_BODY  (64 * 1024) /* larger POST bodies get 413 */
#define BARE_CONNS     1024u       /* simultaneous connections */
#define BARE_TIMEOUT_S 30u         /* idle connection timeout */
#define BARE_OUT_STACK 4096        /* the rendered Message resource, usually */

static const char twiml[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>";
static const char no_to[] = "{\"code\":21604,\"message\":\"A 'To' phone number is required.\","
                            "\"more_info\":\"https://www.twilio.com/docs/errors/21604\","
                            "\"status\":400}";

struct bare {
    struct MHD_Daemon *d;
    enum bare_mode mode;
    int port;
    atomic_long count;
    _Atomic int64_t first_us, last_us;
    atomic_ullong seq;  /* sids handed out */
    uint64_t sid_base;  /* the sids' first 16 hex digits: this server's, random-ish */
    pthread_mutex_t mu; /* serializes fn */
    int mu_ready;
    void (*fn)(void *arg, const char *to, const char *from, const char *body);
    void *arg;
};

struct req {
    struct buf body;
    int too_big;
};

/* The context of requests whose body is dropped: shared, never written. */
static struct req no_body;

static int64_t now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* splitmix64's finalizer: a bijection, so distinct counters give distinct sids. */
static uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void hex16(char *dst, uint64_t v)
{
    static const char digits[] = "0123456789abcdef";
    int i;

    for (i = 15; i >= 0; i--, v >>= 4)
        dst[i] = digits[v & 15];
}

/* ---- rendering: an appender that counts what would not fit ---- */

struct out {
    char *p;
    size_t len; /* bytes written, or that would have been: len >= cap means redo bigger */
    size_t cap;
};

static void out_mem(struct out *o, const char *s, size_t n)
{
    if (o->len < o->cap && n <= o->cap - o->len)
        memcpy(o->p + o->len, s, n);
    o->len += n;
}

static void out_str(struct out *o, const char *s)
{
    out_mem(o, s, strlen(s));
}

/* s as the inside of a JSON string. */
static void out_json(struct out *o, const char *s)
{
    static const char digits[] = "0123456789abcdef";
    const char *run = s;

    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        char esc[7] = {'\\', 'u', '0', '0', 0, 0, 0};
        size_t elen = 2;

        if (ch >= 0x20 && ch != '"' && ch != '\\')
            continue;
        out_mem(o, run, (size_t)(s - run));
        run = s + 1;
        if (ch == '"' || ch == '\\')
            esc[1] = (char)ch;
        else if (ch == '\n')
            esc[1] = 'n';
        else if (ch == '\r')
            esc[1] = 'r';
        else if (ch == '\t')
            esc[1] = 't';
        else {
            esc[4] = digits[ch >> 4];
            esc[5] = digits[ch & 15];
            elen = 6;
        }
        out_mem(o, esc, elen);
    }
    out_mem(o, run, (size_t)(s - run));
}

/*
 * Segments as Twilio counts them, roughly: GSM-7 when the text is ASCII
 * (160 alone, 153 per part), UCS-2 otherwise (70 alone, 67 per part).
 */
static int segments(const char *s)
{
    size_t chars = 0;
    int ascii = 1;

    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;

        if (ch >= 0x80)
            ascii = 0;
        if ((ch & 0xc0) != 0x80)
            chars++;
    }
    if (ascii)
        return chars <= 160 ? 1 : (int)((chars + 152) / 153);
    return chars <= 70 ? 1 : (int)((chars + 66) / 67);
}

/* "Thu, 14 May 2026 23:30:00 +0000", made at most once a second per thread. */
static const char *date_rfc2822(void)
{
    static _Thread_local time_t made = -1;
    static _Thread_local char text[40];
    time_t t = time(NULL);
    struct tm tm;

    if (t != made && gmtime_r(&t, &tm)) {
        strftime(text, sizeof(text), "%a, %d %b %Y %H:%M:%S +0000", &tm);
        made = t;
    }
    return text;
}

/* The {AccountSid} of /2010-04-01/Accounts/{AccountSid}/..., or a placeholder. */
static void account_of(const char *url, char *acct, size_t len)
{
    static const char prefix[] = "/2010-04-01/Accounts/";
    const char *p = url, *e;

    snprintf(acct, len, "AC00000000000000000000000000000000");
    if (strncmp(p, prefix, sizeof(prefix) - 1))
        return;
    p += sizeof(prefix) - 1;
    for (e = p; (*e >= '0' && *e <= '9') || (*e >= 'a' && *e <= 'z') || (*e >= 'A' && *e <= 'Z');
         e++)
        ;
    if (e > p && (*e == '/' || !*e) && (size_t)(e - p) < len)
        snprintf(acct, len, "%.*s", (int)(e - p), p);
}

static void render_message(struct out *o, const char *acct, const char *sid, const char *date,
                           const char *to, const char *from, const char *body)
{
    char nseg[16];

    snprintf(nseg, sizeof(nseg), "%d", segments(body));
    out_str(o, "{\"account_sid\":\"");
    out_str(o, acct);
    out_str(o, "\",\"api_version\":\"2010-04-01\",\"body\":\"");
    out_json(o, body);
    out_str(o, "\",\"date_created\":\"");
    out_str(o, date);
    out_str(o, "\",\"date_sent\":null,\"date_updated\":\"");
    out_str(o, date);
    out_str(o, "\",\"direction\":\"outbound-api\",\"error_code\":null,\"error_message\":null,"
               "\"from\":\"");
    out_json(o, from);
    out_str(o, "\",\"messaging_service_sid\":null,\"num_media\":\"0\",\"num_segments\":\"");
    out_str(o, nseg);
    out_str(o, "\",\"price\":null,\"price_unit\":\"USD\",\"sid\":\"");
    out_str(o, sid);
    out_str(o, "\",\"status\":\"queued\",\"subresource_uris\":{\"media\":\"/2010-04-01/Accounts/");
    out_str(o, acct);
    out_str(o, "/Messages/");
    out_str(o, sid);
    out_str(o, "/Media.json\"},\"to\":\"");
    out_json(o, to);
    out_str(o, "\",\"uri\":\"/2010-04-01/Accounts/");
    out_str(o, acct);
    out_str(o, "/Messages/");
    out_str(o, sid);
    out_str(o, ".json\"}");
}

/* ---- answering ---- */

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status, const char *type,
                              const char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, mode);
    enum MHD_Result ret;

    if (!r) {
        if (mode == MHD_RESPMEM_MUST_FREE)
            free((void *)body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static void answered(struct bare *b)
{
    int64_t t = now_us(), zero = 0;

    atomic_fetch_add(&b->count, 1);
    atomic_compare_exchange_strong(&b->first_us, &zero, t);
    atomic_store(&b->last_us, t);
}

static enum MHD_Result message(struct bare *b, struct MHD_Connection *c, const char *url,
                               struct req *q)
{
    struct form f = {0};
    const char *why, *to = NULL, *from, *body;
    size_t where;
    char acct[64], sid[35], stack[BARE_OUT_STACK];
    struct out o = {stack, 0, sizeof(stack)};
    enum MHD_Result ret = MHD_NO;

    if (q->too_big) {
        ret = answer(c, 413, "text/plain", "request body too large\n", 23, MHD_RESPMEM_PERSISTENT);
        goto done;
    }
    if (!form_parse(q->body.p ? q->body.p : "", q->body.len, &f, &why, &where))
        to = form_get(&f, "To");
    if (!to) {
        ret = answer(c, 400, "application/json", no_to, sizeof(no_to) - 1, MHD_RESPMEM_PERSISTENT);
        goto done;
    }
    from = form_get(&f, "From");
    body = form_get(&f, "Body");
    from = from ? from : "";
    body = body ? body : "";
    account_of(url, acct, sizeof(acct));
    sid[0] = 'S';
    sid[1] = 'M';
    hex16(sid + 2, b->sid_base);
    hex16(sid + 18, mix(atomic_fetch_add(&b->seq, 1) + b->sid_base));
    sid[34] = '\0';
    render_message(&o, acct, sid, date_rfc2822(), to, from, body);
    if (o.len >= o.cap) { /* a long body: render again, on the heap */
        o.cap = o.len + 1;
        o.len = 0;
        o.p = malloc(o.cap);
        if (!o.p)
            goto done;
        render_message(&o, acct, sid, date_rfc2822(), to, from, body);
    }
    if (b->fn) {
        pthread_mutex_lock(&b->mu);
        b->fn(b->arg, to, from, body);
        pthread_mutex_unlock(&b->mu);
    }
    ret = answer(c, 201, "application/json; charset=utf-8", o.p, o.len,
                 o.p == stack ? MHD_RESPMEM_MUST_COPY : MHD_RESPMEM_MUST_FREE);
done:
    form_free(&f);
    return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload_data,
                               size_t *upload_data_size, void **con_cls)
{
    struct bare *b = cls;
    struct req *q = *con_cls;
    int post = !strcmp(method, MHD_HTTP_METHOD_POST);
    enum MHD_Result ret;

    (void)version;
    if (!q) { /* the headers: set up for the body */
        if (post && b->mode == BARE_MESSAGE) {
            q = calloc(1, sizeof(*q));
            if (!q)
                return MHD_NO;
            q->body.max = BARE_MAX_BODY;
        } else {
            q = &no_body;
        }
        *con_cls = q;
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (q != &no_body && !q->too_big && buf_append(&q->body, upload_data, *upload_data_size))
            q->too_big = 1;
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (!post)
        return answer(c, 405, "text/plain", "POST only\n", 10, MHD_RESPMEM_PERSISTENT);
    if (b->mode == BARE_TWIML)
        ret = answer(c, 200, "text/xml", twiml, sizeof(twiml) - 1, MHD_RESPMEM_PERSISTENT);
    else
        ret = message(b, c, url, q);
    if (ret == MHD_YES)
        answered(b);
    return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    struct req *q = *con_cls;

    (void)cls;
    (void)c;
    (void)toe;
    if (q && q != &no_body) {
        buf_free(&q->body);
        free(q);
    }
    *con_cls = NULL;
}

/* ---- the server ---- */

struct bare *bare_start(const char *host, int port, unsigned threads, enum bare_mode mode,
                        char *err, size_t errlen)
{
    struct bare *b = calloc(1, sizeof(*b));
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
    const union MHD_DaemonInfo *info;
    char portstr[8];
    int gai;

    if (!b) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (port < 0 || port > 65535) {
        snprintf(err, errlen, "bad port %d", port);
        goto fail;
    }
    b->mode = mode;
    b->sid_base = mix((uint64_t)now_us() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)b);
    if (pthread_mutex_init(&b->mu, NULL)) {
        snprintf(err, errlen, "cannot create a mutex");
        goto fail;
    }
    b->mu_ready = 1;
    snprintf(portstr, sizeof(portstr), "%d", port);
    gai = getaddrinfo(host, portstr, &hints, &ai);
    if (gai) {
        snprintf(err, errlen, "cannot resolve listen address %s: %s", host, gai_strerror(gai));
        goto fail;
    }
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    /* The pool option comes last, and only for a pool: MHD warns about a size of 0 or 1. */
    b->d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, handler, b, MHD_OPTION_SOCK_ADDR,
                            ai->ai_addr, MHD_OPTION_NOTIFY_COMPLETED, completed, b,
                            MHD_OPTION_CONNECTION_LIMIT, BARE_CONNS, MHD_OPTION_CONNECTION_TIMEOUT,
                            BARE_TIMEOUT_S, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
                            threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, threads,
                            MHD_OPTION_END);
    if (!b->d) {
        snprintf(err, errlen, "cannot listen on %s:%d (in use, or not permitted)", host, port);
        goto fail;
    }
    info = MHD_get_daemon_info(b->d, MHD_DAEMON_INFO_BIND_PORT);
    b->port = info ? info->port : port;
    freeaddrinfo(ai);
    return b;
fail:
    if (ai)
        freeaddrinfo(ai);
    if (b->mu_ready)
        pthread_mutex_destroy(&b->mu);
    free(b);
    return NULL;
}

int bare_port(const struct bare *b)
{
    return b->port;
}

long bare_count(const struct bare *b)
{
    return atomic_load(&((struct bare *)b)->count);
}

int64_t bare_first_us(const struct bare *b)
{
    return atomic_load(&((struct bare *)b)->first_us);
}

int64_t bare_last_us(const struct bare *b)
{
    return atomic_load(&((struct bare *)b)->last_us);
}

void bare_reset(struct bare *b)
{
    atomic_store(&b->count, 0);
    atomic_store(&b->first_us, 0);
    atomic_store(&b->last_us, 0);
}

void bare_on_message(struct bare *b,
                     void (*fn)(void *arg, const char *to, const char *from, const char *body),
                     void *arg)
{
    pthread_mutex_lock(&b->mu);
    b->fn = fn;
    b->arg = arg;
    pthread_mutex_unlock(&b->mu);
}

void bare_stop(struct bare *b)
{
    if (!b)
        return;
    MHD_stop_daemon(b->d);
    pthread_mutex_destroy(&b->mu);
    free(b);
}
