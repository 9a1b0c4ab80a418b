/*
 * bench_yardstick.c - the ceiling: how many requests a bare libmicrohttpd
 * server answers per second on this machine, driven by the benchmarks' own
 * libcurl-multi load generator (bench/bare.c, bench/load.c).
 *
 *   1. bare libmicrohttpd: BARE_TWIML behind `threads` polling threads, fed
 *      `requests` unique webhook-sized form bodies (~150 bytes, each with a
 *      fake X-Twilio-Signature) over `connections` kept-alive connections.
 *   2. bare libcurl-multi -> bare sink: the same load against BARE_MESSAGE
 *      as a stand-in Messages API (basic auth, sender-style bodies built by
 *      twilio_send_body), after checking that peerline's own
 *      twilio_parse_send accepts its answer and that two sids differ.
 *
 * Both share the machine's cores with the load generator (one thread), so
 * the numbers are the ceiling of this pairing, not of libmicrohttpd alone.
 * Run: build/bench/bench_yardstick [threads [connections [requests]]]
 * (defaults 2, 32, 200000). Timing is printed, never asserted; the run
 * fails only when a request is not answered 2xx or the sink misbehaves.
 */
#include "common.h"
#include "bare.h"
#include "buf.h"
#include "load.h"
#include "twilio.h"

#include <curl/curl.h>
#include <errno.h>
#include <microhttpd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ACCOUNT   "AC5ef8732a3c49700934481addd5ce1659"
#define TOKEN     "bench-auth-token"
#define LINE      "+15005550006"
#define BODY_MAX  256 /* room for one prepared body */
#define HDR_MAX   64  /* room for one signature header line */
#define CHECK_MAX 8192

/* ---- deterministic PRNG (splitmix64) ---- */

static uint64_t rng_state = 0x5eed1e55c0ffee11ull;

static uint64_t rng_next(void)
{
    return bench_splitmix64(&rng_state);
}

/* ---- the prepared requests ---- */

struct corpus {
    struct load_req *reqs;
    char *bodies;  /* n * BODY_MAX */
    char *headers; /* n * HDR_MAX, or NULL */
    size_t n;
};

static void corpus_free(struct corpus *c)
{
    free(c->reqs);
    free(c->bodies);
    free(c->headers);
    memset(c, 0, sizeof(*c));
}

/* Webhook bodies as Twilio posts them, each unique, with a fake signature. */
static int corpus_webhooks(struct corpus *c, size_t n)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i;

    c->n = n;
    c->reqs = calloc(n, sizeof(*c->reqs));
    c->bodies = malloc(n * BODY_MAX);
    c->headers = malloc(n * HDR_MAX);
    if (!c->reqs || !c->bodies || !c->headers)
        return -1;
    for (i = 0; i < n; i++) {
        char *body = c->bodies + i * BODY_MAX, *hdr = c->headers + i * HDR_MAX, sig[29];
        uint64_t a = rng_next(), b = rng_next();
        int len, k;

        len = snprintf(body, BODY_MAX,
                       "MessageSid=SM%016llx%016llx&AccountSid=" ACCOUNT
                       "&From=%%2B1555%07zu&To=%%2B15005550006&Body=hello+%zu&NumMedia=0",
                       (unsigned long long)a, (unsigned long long)b, 2000000 + i % 1000000, i);
        if (len < 0 || len >= BODY_MAX)
            return -1;
        for (k = 0; k < 27; k++)
            sig[k] = b64[rng_next() & 63];
        sig[27] = '=';
        sig[28] = '\0';
        snprintf(hdr, HDR_MAX, "X-Twilio-Signature: %s", sig);
        c->reqs[i].body = body;
        c->reqs[i].len = (size_t)len;
        c->reqs[i].header = hdr;
    }
    return 0;
}

/* Messages API bodies as peerline's sender builds them. */
static int corpus_sends(struct corpus *c, size_t n)
{
    struct buf b = BUF_INIT(BODY_MAX);
    size_t i;
    int rc = -1;

    c->n = n;
    c->reqs = calloc(n, sizeof(*c->reqs));
    c->bodies = malloc(n * BODY_MAX);
    if (!c->reqs || !c->bodies)
        goto done;
    for (i = 0; i < n; i++) {
        char to[16], text[32];
        struct twilio_send s = {.to = to, .from = LINE, .body = text, .validity_s = 0};

        snprintf(to, sizeof(to), "+1555%07zu", 2000000 + i % 1000000);
        snprintf(text, sizeof(text), "hello %zu", i);
        buf_reset(&b);
        if (twilio_send_body(&s, &b) || b.len >= BODY_MAX)
            goto done;
        memcpy(c->bodies + i * BODY_MAX, b.p, b.len + 1);
        c->reqs[i].body = c->bodies + i * BODY_MAX;
        c->reqs[i].len = b.len;
    }
    rc = 0;
done:
    buf_free(&b);
    return rc;
}

/* ---- the sink's checks ---- */

struct seen {
    long calls, wrong;
};

static void on_message(void *arg, const char *to, const char *from, const char *body)
{
    struct seen *s = arg;

    s->calls++;
    if (strncmp(to, "+1555", 5) || strcmp(from, LINE) || strncmp(body, "hello ", 6))
        s->wrong++;
}

static size_t collect(char *p, size_t size, size_t n, void *arg)
{
    struct buf *b = arg;

    return buf_append(b, p, size * n) ? 0 : size * n;
}

/* One request through plain libcurl; peerline's parser must read a sid from the answer. */
static int check_sink(const char *url, const struct load_req *q, char sid[TWILIO_SID_MAX])
{
    CURL *c = curl_easy_init();
    struct buf b = BUF_INIT(CHECK_MAX);
    struct provider_result tr;
    long code = 0;
    int rc = -1;

    if (!c)
        goto done;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_USERPWD, ACCOUNT ":" TOKEN);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, q->body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)q->len);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (curl_easy_perform(c) != CURLE_OK)
        goto done;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    twilio_parse_send(code, b.p, b.len, &tr);
    if (tr.outcome != PROVIDER_SENT) {
        fprintf(stderr, "bench: the sink's answer was refused (HTTP %ld: %s)\n", code,
                tr.error_text);
        goto done;
    }
    snprintf(sid, TWILIO_SID_MAX, "%s", tr.id);
    rc = 0;
done:
    buf_free(&b);
    if (c)
        curl_easy_cleanup(c);
    return rc;
}

/* ---- runs ---- */

static void print_detail(const struct load_result *r, const struct bare *srv)
{
    int64_t span = bare_last_us(srv) - bare_first_us(srv);

    printf("  %ld sent, %ld ok, %ld failed (2xx %ld, 4xx %ld, 5xx %ld, transport %ld); "
           "%ld connections opened; %.2f s; server counted %ld (%.0f/s)\n",
           r->sent, r->ok, r->failed, r->status[2], r->status[4], r->status[5], r->status[0],
           r->connects, r->seconds, bare_count(srv),
           span > 0 ? (double)bare_count(srv) * 1e6 / (double)span : 0.0);
}

static long parse_arg(const char *s, long lo, long hi)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    return v;
}

int main(int argc, char **argv)
{
    long threads = 2, connections = 32, nreq = 200000;
    struct corpus web = {0}, api = {0};
    struct bare *srv = NULL;
    struct load_result r;
    struct load_opts o;
    struct seen seen = {0, 0};
    char err[256], url[256], sid1[TWILIO_SID_MAX], sid2[TWILIO_SID_MAX];
    int status = 1;

    if ((argc > 1 && (threads = parse_arg(argv[1], 1, 64)) < 0) ||
        (argc > 2 && (connections = parse_arg(argv[2], 1, 1000)) < 0) ||
        (argc > 3 && (nreq = parse_arg(argv[3], 1, 10000000)) < 0) || argc > 4) {
        fprintf(stderr,
                "usage: %s [threads (1-64, default 2) [connections (1-1000, default 32) "
                "[requests (default 200000)]]]\n",
                argv[0]);
        return 2;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "bench: curl_global_init failed\n");
        return 1;
    }
    {
        char versions[128];
        snprintf(versions, sizeof(versions), "; libcurl %s, libmicrohttpd %s",
                 curl_version_info(CURLVERSION_NOW)->version, MHD_get_version());
        bench_print_machine(versions);
    }
    if (corpus_webhooks(&web, (size_t)nreq) || corpus_sends(&api, (size_t)nreq)) {
        fprintf(stderr, "bench: cannot prepare the requests (out of memory?)\n");
        goto done;
    }
    printf("%ld requests (webhook bodies ~%zu bytes), %ld connections, %ld MHD threads\n", nreq,
           web.reqs[0].len, connections, threads);

    /* 1. The webhook side: TwiML out, nothing else. */
    srv = bare_start("127.0.0.1", 0, (unsigned)threads, BARE_TWIML, err, sizeof(err));
    if (!srv) {
        fprintf(stderr, "bench: %s\n", err);
        goto done;
    }
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/webhook/sms", bare_port(srv));
    o = (struct load_opts){.url = url, .connections = (int)connections};
    if (load_run(&o, web.reqs, web.n, &r)) {
        fprintf(stderr, "bench: load_run could not run\n");
        goto done;
    }
    printf("bare libmicrohttpd: %.0f req/s (p50 %.0f us, p99 %.0f us)\n", r.per_s, r.lat_p50_us,
           r.lat_p99_us);
    print_detail(&r, srv);
    if (r.ok != nreq || bare_count(srv) != nreq) {
        fprintf(stderr, "bench: not every webhook was answered 2xx\n");
        goto done;
    }
    bare_stop(srv);

    /* 2. The provider side: a Message resource per POST, as the sender sees it. */
    srv = bare_start("127.0.0.1", 0, (unsigned)threads, BARE_MESSAGE, err, sizeof(err));
    if (!srv) {
        fprintf(stderr, "bench: %s\n", err);
        goto done;
    }
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/2010-04-01/Accounts/" ACCOUNT "/Messages.json",
             bare_port(srv));
    if (check_sink(url, &api.reqs[0], sid1) || check_sink(url, &api.reqs[1], sid2))
        goto done;
    if (!strcmp(sid1, sid2)) {
        fprintf(stderr, "bench: the sink gave the same sid twice (%s)\n", sid1);
        goto done;
    }
    printf("sink check: twilio_parse_send accepts the answer (sids %s, %s)\n", sid1, sid2);
    bare_reset(srv);
    bare_on_message(srv, on_message, &seen);
    o = (struct load_opts){
        .url = url, .userpwd = ACCOUNT ":" TOKEN, .connections = (int)connections};
    if (load_run(&o, api.reqs, api.n, &r)) {
        fprintf(stderr, "bench: load_run could not run\n");
        goto done;
    }
    printf("bare libcurl-multi -> bare sink: %.0f req/s (p50 %.0f us, p99 %.0f us)\n", r.per_s,
           r.lat_p50_us, r.lat_p99_us);
    print_detail(&r, srv);
    if (r.ok != nreq || bare_count(srv) != nreq || seen.calls != nreq || seen.wrong) {
        fprintf(stderr, "bench: the sink saw %ld messages (%ld wrong) for %ld sent\n", seen.calls,
                seen.wrong, nreq);
        goto done;
    }
    status = 0;
done:
    bare_stop(srv);
    corpus_free(&web);
    corpus_free(&api);
    curl_global_cleanup();
    return status;
}
