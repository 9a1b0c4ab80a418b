/*
 * harness.h - end-to-end tests drive real processes: a `peerline serve`
 * and a `peerline sim` on loopback ports no other test process can take
 * (claimed under /tmp/peerline-e2e-ports: see harness.c), with a generated
 * config and roster in a fresh temporary directory and a real SQLite file.
 *
 * Tests act as the phones: line_text() makes a phone text one of the line's
 * numbers (the simulator delivers it as a signed webhook), and line_expect()
 * waits for a text the provider received for a phone, from a given number,
 * containing some words. Everything asserted is what a person would see on
 * their phone.
 *
 * The provider is Twilio, or Telnyx when the environment has
 * PEERLINE_E2E_PROVIDER=telnyx (tests/run.sh runs the SMS suite both ways):
 * the config, the simulator's wire and the webhooks change, and nothing a
 * test asserts on the phones does. A test about Twilio's own wire format
 * skips itself under Telnyx (line_provider_telnyx()).
 */
#ifndef PEERLINE_HARNESS_H
#define PEERLINE_HARNESS_H

#include <stddef.h>
#include <sys/types.h>

#define LINE_NUMBER "+15005550006"
#define POOL_A      "+15005550007"
#define POOL_B      "+15005550008"
#define ALEX        "+15551230001" /* peer: anxiety, general; en, es; 2 chats */
#define BLAIR       "+15551230002" /* peer: grief, general; 1 chat */
#define SAM         "+15551239999" /* coordinator */
#define TOKEN       "test-auth-token"
#define API_KEY     "test-api-key" /* Telnyx's bearer key */

struct line {
    char dir[256];
    char config[300];
    char roster[300];
    char gateway_log[300];
    char signing_key[300]; /* Telnyx: the simulator's --telnyx-signing-key file */
    char public_key[48];   /* Telnyx: provider.public_key (base64), "" for Twilio */
    int gw_port, sim_port;
    pid_t gw, sim;
    char db[256]; /* the config's database: a file name, or a PostgreSQL URI */
    /* A second instance on the same database (line_start_second), listening on its own port. */
    char config2[300];
    char gateway2_log[300];
    int gw2_port;
    pid_t gw2;
    /* What the phones texted (long enough to be telling): never to be found in a log. */
    char *said[512];
    size_t nsaid;
};

struct line_opts {
    const char *roster;       /* roster YAML; NULL: the default two-peer roster */
    const char *roster_extra; /* appended to the default roster (e.g. a blocked: list) */
    const char *extra_config; /* appended to the generated config */
    const char *provider;     /* more provider: keys, each "  key: value\n" */
    const char *limits;       /* limits: keys; NULL: relay_gap 0 (relays go at once) */
    const char *retry;        /* more retry: keys, each "  key: value\n" */
    int no_pool;              /* 1: no pool numbers (the line number alone) */
    int telnyx;               /* 1: Telnyx whatever PEERLINE_E2E_PROVIDER says */
};

/*
 * 1 when PEERLINE_E2E_DB=pg: each line gets a database of its own on a
 * throwaway PostgreSQL cluster (tests/pg.h) this process starts once and
 * stops at exit; line_query, line_exec and line_db_contains read it.
 */
int line_on_postgres(void);
/* The cluster's URI of a fresh, empty database (starting the cluster first). */
int line_pg_database(char *uri, size_t n);
/* The process's cluster (NULL when none was started): to restart it. */
struct pg_cluster *line_pg_cluster(void);

/*
 * A second `peerline serve` for the line: the same config, roster and
 * database (PostgreSQL), the same public_url (both stand behind one
 * address, as behind a load balancer), its own listening port. 0, or -1.
 */
int line_start_second(struct line *l);
void line_kill_second(struct line *l);
/*
 * An inbound text as Twilio posts it, signed for the line's public_url, to
 * the instance listening on port: the HTTP status (0: no answer). sid may be
 * NULL (a fresh one).
 */
long line_text_via(struct line *l, int port, const char *from, const char *to, const char *body,
                   const char *sid);

/* 1 when PEERLINE_E2E_PROVIDER=telnyx: lines speak Telnyx. */
int line_provider_telnyx(void);
/* 1 when this line's provider is Telnyx. */
int line_is_telnyx(const struct line *l);

/*
 * Starts simulator and gateway; 0 when both answer /healthz and the
 * processes listening on the line's ports are this line's own (told on
 * stderr when another process answered instead).
 */
int line_start(struct line *l, const struct line_opts *o);
/*
 * SIGTERM both, wait, remove the directory. Returns -1 when either log holds
 * a sanitizer report or an unmasked phone number, or the gateway's log holds
 * any text a phone sent (the test then fails).
 */
int line_stop(struct line *l);
/* kill -9 the gateway (and reap it). */
void line_kill_gateway(struct line *l);
/* Starts the gateway again on the same port (still this line's) and database; 0 as line_start. */
int line_start_gateway(struct line *l);

/*
 * A phone texts `to`. Returns the HTTP status the gateway answered the
 * webhook with. An answer other than 200 from a server that is not this
 * test's (another process on the line's port) fails the test saying so.
 */
long line_text(struct line *l, const char *from, const char *to, const char *body);
/*
 * As line_text with a chosen MessageSid (to replay one); under Telnyx it is
 * the webhook's event id (data.id), which a replay repeats.
 */
long line_text_sid(struct line *l, const char *from, const char *to, const char *body,
                   const char *sid);

/* As line_text, with NumMedia pictures attached (an MMS). */
long line_text_media(struct line *l, const char *from, const char *to, const char *body,
                     int num_media);

/* The phone opts out of our number at the carrier (sends to it then fail: 21610, 40300). */
int line_carrier_optout(struct line *l, const char *phone, const char *number);

/* The first column of the first row of `sql` run on the gateway's database (-1 on error). */
long line_query(struct line *l, const char *sql);
/* Waits (up to 20 s) until the engine has handled every text and nothing is left to send; 0, or -1.
 */
int line_idle(struct line *l);

/* The id of the newest text the simulator has seen (use as `since`). */
long line_mark(struct line *l);

/*
 * Waits up to timeout_ms for a text sent by the gateway to `to` from `from`
 * (NULL: any) with id > since whose body contains `needle` (NULL: any).
 * Returns its body (malloc'd; caller frees) or NULL on timeout.
 */
char *line_expect(struct line *l, long since, const char *to, const char *from, const char *needle,
                  int timeout_ms);

/* As line_expect, but returns the text's id in the simulator's log (0 on timeout). */
long line_find(struct line *l, long since, const char *to, const char *from, const char *needle,
               int timeout_ms);

/* How many texts the gateway sent to `to` (NULL: anyone) from `from` (NULL: any) hold needle. */
int line_occurrences(struct line *l, const char *to, const char *from, const char *needle);

/* Texts the gateway sent to `to` (from `from`, if given) with id > since. */
int line_count(struct line *l, long since, const char *to, const char *from);

/*
 * Every body the gateway sent to `to` concatenated with newlines (malloc'd),
 * to assert that something never appeared.
 */
char *line_all_to(struct line *l, const char *to);

/* Tells the simulator to fail the next `count` Messages API calls (mode "500"/"429"/"none"). */
int line_fault(struct line *l, const char *mode, int count);
/*
 * Any call to the simulator's control API (e.g. "POST", "/sim/fault",
 * "latency_ms=2000"; form NULL for a GET). Returns the HTTP status; the
 * answer's body in *out when out is not NULL (free it).
 */
long line_sim(struct line *l, const char *method, const char *path, const char *form, char **out);
/*
 * A call to the simulator's provider API (e.g. POST /v2/messages) with a
 * JSON body (NULL: none) and "Authorization: Bearer {bearer}" (NULL: no such
 * header). Returns the HTTP status (0: no answer); the answer's body in
 * *out when out is not NULL (free it).
 */
long line_sim_api(struct line *l, const char *method, const char *path, const char *bearer,
                  const char *json, char **out);
/*
 * Runs a browser test from tests/browser with node (argv[0] is the script,
 * NULL-terminated) and fails the test unless it exits 0 within timeout_ms.
 */
void line_browser(char *const argv[], int timeout_ms);

/* POSTs a raw body to the gateway path with optional signature header; returns status. */
long line_post_raw(struct line *l, const char *path, const char *content_type, const char *body,
                   const char *signature);

/*
 * POSTs a form body to the gateway at path (and query), signed as Twilio
 * signs it for public_url + path. Returns the status; the answer's body and
 * Content-Type are copied into body/ctype (may be NULL). Twilio only: a test
 * that calls it skips itself under Telnyx.
 */
long line_post_signed(struct line *l, const char *path, const char *form, char *body,
                      size_t bodylen, char *ctype, size_t ctypelen);

/*
 * An admin request (GET or POST) to the gateway with a bearer token (NULL:
 * none). Returns the status; *body (if given) gets the answer (malloc'd).
 */
long line_admin(struct line *l, const char *method, const char *path, const char *token,
                char **body);
/*
 * One sample of GET /metrics, read with the bearer token: the value of the
 * series named exactly (e.g. "peerline_webhooks_total{outcome=\"stored\"}"),
 * or -1 when /metrics does not answer 200 or has no such series.
 */
double line_metric(struct line *l, const char *token, const char *series);

/*
 * Runs `peerline COMMAND -c CONFIG ARGS` against this line; *out (if given)
 * gets its standard output (malloc'd). Returns the exit status.
 */
int line_cli(struct line *l, const char *command, const char *args, char **out);

/*
 * Replaces a file of the line (its config or roster path) the way editors
 * do: written beside it, then renamed over it. 0 or -1.
 */
int line_rewrite(const char *path, const char *text);
/* The file's content (malloc'd), or NULL. */
char *line_read_file(const char *path);
/* Waits up to timeout_ms for the gateway's log to hold needle. 1 when it does. */
int line_log_wait(struct line *l, const char *needle, int timeout_ms);

/* Runs sql (e.g. an UPDATE that ages rows) on the gateway's database. 0 or -1. */
int line_exec(struct line *l, const char *sql);

/* 1 when the bytes of needle are anywhere in the database file or its WAL. */
int line_db_contains(struct line *l, const char *needle);

/* The number of rows in the gateway's inbound table. */
long line_inbound_rows(struct line *l);

/* Sleeps ms milliseconds. */
void line_sleep(int ms);

/*
 * A loopback port claimed for this process (as a line's are), for a server
 * a test starts itself; -1 when none is left.
 */
int line_free_port(void);

/*
 * The default roster (Alex, Blair, Sam) with npeers more peers, p00000 ...,
 * each "Pat" covering general, never on shift (malloc'd; NULL when out of
 * memory). 50,000 of them stay under the 4 MiB a roster may be.
 */
char *line_big_roster(int npeers);

/*
 * cmocka glue (every e2e test is a cmocka program). line_setup() starts a
 * line with the given options into *state; line_teardown() stops it and fails
 * the test when line_stop() found something in the logs.
 */
int line_setup(void **state, const struct line_opts *o);
/* line_setup with the default line: a cmocka setup function. */
int line_setup_default(void **state);
int line_teardown(void **state);

/* Fails the test unless `to` receives, from `from`, a text containing `needle` within 5 s. */
void line_must_get(struct line *l, long since, const char *to, const char *from,
                   const char *needle);

/*
 * Opens a chat: texter writes `first` (which must name a topic the peer
 * covers), the peer is offered it on `number`, takes it, and the texter is
 * introduced to `name`; returns once every text that caused is sent.
 */
void line_connect(struct line *l, const char *texter, const char *first, const char *peer,
                  const char *number, const char *name);

/*
 * Raw sockets, for tests of the HTTP server itself: a connection to
 * 127.0.0.1:port (-1 on failure), sending all of p (as far as the server
 * takes it), and reading until the server closes or timeout_ms passes (the
 * start of what came in out, NUL-terminated; 1 when it closed).
 */
int line_raw_connect(int port);
void line_raw_send(int fd, const char *p, size_t len);
int line_raw_read(int fd, char *out, size_t outlen, int timeout_ms);

#endif
