/*
 * bare.h - the benchmarks' yardstick: a bare libmicrohttpd server, started
 * in-process, that reads each POST body whole and answers a fixed response.
 *
 * It is set up as the gateway's server is (gateway/base/http.c: internal polling
 * thread, MHD_USE_AUTO, a thread pool, a connection limit, 64 KiB per
 * connection) and does nothing else: no signature, no storage. What it
 * measures is the ceiling any libmicrohttpd endpoint can reach on the
 * machine. BARE_MESSAGE also stands in for the provider's Messages API as
 * the sink of the sender's benchmarks.
 */
#ifndef PEERLINE_BARE_H
#define PEERLINE_BARE_H

#include <stddef.h>
#include <stdint.h>

enum bare_mode {
    /* 200 text/xml, an empty TwiML <Response>: what a webhook gets. */
    BARE_TWIML,
    /*
     * 201 application/json: a Twilio Message resource with a fresh unique
     * "sid" ("SM" + 32 lowercase hex), "status": "queued" and the request's
     * To, From and Body echoed: what the Messages API answers. A body that
     * is not a form with To gets Twilio's 400 (code 21604).
     */
    BARE_MESSAGE
};

struct bare;

/*
 * Listens on host:port (0 = any free port, see bare_port) with `threads`
 * polling threads (0 or 1 = one). NULL with a message in err on failure.
 */
struct bare *bare_start(const char *host, int port, unsigned threads, enum bare_mode mode,
                        char *err, size_t errlen);
int bare_port(const struct bare *b);

/* POSTs answered so far (atomic; any thread). */
long bare_count(const struct bare *b);
/* CLOCK_MONOTONIC microseconds of the first and the last POST answered; 0 = none yet. */
int64_t bare_first_us(const struct bare *b);
int64_t bare_last_us(const struct bare *b);
/* Count, first and last back to zero (between runs, with no traffic). */
void bare_reset(struct bare *b);

/*
 * BARE_MESSAGE only: fn is called for every POST answered 201 with its
 * decoded To, From and Body fields (From and Body "" when absent), on
 * libmicrohttpd's threads but one call at a time (a mutex inside bare). The
 * strings are valid during the call only. Set it before any traffic; NULL =
 * none.
 */
void bare_on_message(struct bare *b,
                     void (*fn)(void *arg, const char *to, const char *from, const char *body),
                     void *arg);

/* Stops the server and frees b (NULL is fine). */
void bare_stop(struct bare *b);

#endif
