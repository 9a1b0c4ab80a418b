/*
 * load.h - a load generator for the HTTP benchmarks: POSTs a prepared list
 * of form bodies to one URL (or two, half the connections each) over a
 * fixed number of kept-alive connections.
 *
 * One thread runs a libcurl multi handle (curl_multi_poll loop). Each of the
 * `connections` slots owns one easy handle, set up once and reused for every
 * request it carries, so the multi handle's connection cache hands the same
 * TCP connections back request after request. Bodies and header lines are
 * the caller's memory, sent in place (no copy); they must outlive load_run.
 * Timing is measured, never asserted.
 */
#ifndef PEERLINE_LOAD_H
#define PEERLINE_LOAD_H

#include <stddef.h>
#include <stdint.h>

struct load_req {
    const char *body; /* application/x-www-form-urlencoded body */
    size_t len;
    const char *header; /* one extra full header line, e.g. "X-Twilio-Signature: abc=", or NULL */
};

struct load_opts {
    const char *url;     /* every request goes here */
    const char *userpwd; /* HTTP basic auth "user:pass", or NULL */
    int connections;     /* requests in flight at once, each on its own kept-alive connection */
    double rate;         /* requests started per second, evenly paced; 0 = as fast as possible */
    const char *url2;    /* or NULL; when set, every other connection posts here instead */
};

struct load_result {
    long sent, ok, failed;         /* ok = HTTP 2xx */
    long status[6];                /* by status class: [0] transport error, [2] 2xx, [4] 4xx, ... */
    long connects;                 /* TCP connections opened; == connections when all were reused */
    double seconds;                /* first request started to last answer */
    double per_s;                  /* ok / seconds */
    double lat_p50_us, lat_p99_us; /* per-request latency, start -> answer */
};

/*
 * Sends reqs[0..n) in order, at most o->connections at a time, request i
 * starting no earlier than t0 + i / o->rate. Fills *r and returns 0 when
 * every request was tried (individual failures are counted in *r, not
 * returned); -1 on bad options or when libcurl could not be set up.
 */
int load_run(const struct load_opts *o, const struct load_req *reqs, size_t n,
             struct load_result *r);

/* CLOCK_MONOTONIC in microseconds. */
int64_t load_now_us(void);

#endif
