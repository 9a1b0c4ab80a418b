/*
 * e2e_simguard.c - the simulator keeps to this machine. Its control API has
 * no authentication and it signs what it sends with the line's token, so:
 * `peerline sim --listen` refuses an address that is not loopback (0.0.0.0,
 * [::], another interface) with an error that says why and what flag
 * overrides it, and exits non-zero without listening; a loopback address
 * (127.0.0.1, localhost) starts as before; with --unsafe-listen-anywhere it
 * starts on 0.0.0.0, says so in its log, and answers (here through
 * 127.0.0.1: no test traffic leaves loopback). And it sends requests only to
 * the gateway (public_url) or loopback: POST /sim/call with a Url elsewhere
 * is refused before anything is fetched, and a TwiML <Redirect> elsewhere is
 * recorded as an error on the call, not followed.
 *
 * "Elsewhere" is 0.0.0.0, which Linux connects to this machine: were the
 * guard missing, the fetch would land on this test's own server (and be
 * counted), never on the network.
 */
#include "harness.h"
#include "http.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#define CALLER "%%2B15557770001"
#define E_LINE "%%2B15005550006"

/* ---- a `peerline sim` of this test's own, on a port of its own ---- */

struct proc {
    pid_t pid;
    char log[320];
};

static void start_sim(struct line *l, const char *listen, int anywhere, struct proc *p)
{
    const char *bin = getenv("PEERLINE_BIN") ? getenv("PEERLINE_BIN") : "build/peerline";
    char *argv[12] = {"peerline", "sim", "-c", l->config, "--listen", (char *)listen};
    int n = 6;

    if (anywhere)
        argv[n++] = "--unsafe-listen-anywhere";
    if (line_is_telnyx(l)) {
        argv[n++] = "--telnyx-signing-key";
        argv[n++] = l->signing_key;
    }
    argv[n] = NULL;
    snprintf(p->log, sizeof(p->log), "%s/guard-sim.log", l->dir);
    unlink(p->log);
    p->pid = fork();
    assert_true(p->pid >= 0);
    if (p->pid == 0) {
        int fd = open(p->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execv(bin, argv);
        _exit(127);
    }
}

static size_t sink(char *p, size_t size, size_t n, void *arg)
{
    (void)p;
    (void)arg;
    return size * n;
}

/* The HTTP status of GET url (0: nothing answered). */
static long get_status(const char *url)
{
    CURL *c = curl_easy_init();
    long status = 0;

    assert_non_null(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    return status;
}

#define STARTED (-1000)

/*
 * Waits until the simulator either exits (returns its exit status) or
 * answers /healthz at probe (returns STARTED, and it keeps running). A
 * refusal is immediate and a start takes well under a second: the 30 s
 * bound only keeps a broken build from hanging the suite.
 */
static int outcome(struct proc *p, const char *probe)
{
    int status, i;

    for (i = 0; i < 600; i++) {
        pid_t w = waitpid(p->pid, &status, WNOHANG);
        if (w == p->pid) {
            p->pid = 0;
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        if (get_status(probe) == 200)
            return STARTED;
        line_sleep(50);
    }
    fail_msg("peerline sim neither exited nor answered %s in 30 s", probe);
    return 0;
}

/* SIGTERM, and its exit status. */
static int stop(struct proc *p)
{
    int status = -1;

    if (p->pid <= 0)
        return -1;
    kill(p->pid, SIGTERM);
    waitpid(p->pid, &status, 0);
    p->pid = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int log_has(const struct proc *p, const char *needle)
{
    char *log = line_read_file(p->log);
    int found = log && strstr(log, needle);

    free(log);
    return found;
}

/* ---- listening ---- */

static void refuses_to_listen_beyond_loopback(void **state)
{
    static const char *const hosts[] = {"0.0.0.0", "[::]", "192.0.2.1"};
    struct line *l = *state;
    int port = line_free_port();
    char listen[64], probe[64];
    size_t i;

    assert_true(port > 0);
    snprintf(probe, sizeof(probe), "http://127.0.0.1:%d/healthz", port);
    for (i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
        struct proc p;
        char *log;
        int rc;

        snprintf(listen, sizeof(listen), "%s:%d", hosts[i], port);
        start_sim(l, listen, 0, &p);
        rc = outcome(&p, probe);
        log = line_read_file(p.log);
        if (rc == STARTED) {
            stop(&p);
            fail_msg("peerline sim --listen %s started, with no flag", listen);
        }
        if (rc == 0 || !log || !strstr(log, "not a loopback address") ||
            !strstr(log, "--unsafe-listen-anywhere") || !strstr(log, "no authentication"))
            fail_msg("peerline sim --listen %s: exit %d, said: %s", listen, rc, log ? log : "");
        printf("# --listen %s: exit %d\n", listen, rc);
        free(log);
    }
}

static void listens_on_loopback(void **state)
{
    static const char *const hosts[] = {"127.0.0.1", "localhost"};
    struct line *l = *state;
    int port = line_free_port();
    char listen[64], probe[96];
    size_t i;

    assert_true(port > 0);
    for (i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
        struct proc p;

        snprintf(listen, sizeof(listen), "%s:%d", hosts[i], port);
        snprintf(probe, sizeof(probe), "http://%s/healthz", listen);
        start_sim(l, listen, 0, &p);
        if (outcome(&p, probe) != STARTED) {
            char *log = line_read_file(p.log);
            fail_msg("peerline sim --listen %s did not start: %s", listen, log ? log : "");
        }
        assert_false(log_has(&p, "sim.listen_anywhere"));
        assert_int_equal(stop(&p), 0);
    }
}

static void listens_anywhere_only_when_told(void **state)
{
    struct line *l = *state;
    int port = line_free_port();
    char listen[64], probe[64];
    struct proc p;

    assert_true(port > 0);
    snprintf(listen, sizeof(listen), "0.0.0.0:%d", port);
    snprintf(probe, sizeof(probe), "http://127.0.0.1:%d/healthz", port);
    start_sim(l, listen, 1, &p);
    if (outcome(&p, probe) != STARTED) {
        char *log = line_read_file(p.log);
        fail_msg("peerline sim --listen %s --unsafe-listen-anywhere did not start: %s", listen,
                 log ? log : "");
    }
    /* It says what it is doing, where an operator looks. */
    assert_true(log_has(&p, "event=sim.listen_anywhere"));
    assert_int_equal(stop(&p), 0);
}

/* ---- sending: a TwiML server in this process, counting what reaches it ---- */

static struct {
    pthread_mutex_t mu;
    int hits_voice, hits_other;
} fake = {PTHREAD_MUTEX_INITIALIZER, 0, 0};

static char redirect_doc[256];

static void serve_twiml(void *arg, const struct http_request *req, struct http_response *res)
{
    (void)arg;
    pthread_mutex_lock(&fake.mu);
    if (!strcmp(req->path, "/voice"))
        fake.hits_voice++;
    else
        fake.hits_other++;
    pthread_mutex_unlock(&fake.mu);
    res->status = 200;
    res->content_type = "text/xml";
    buf_puts(&res->body, !strcmp(req->path, "/voice")
                             ? redirect_doc
                             : "<?xml version=\"1.0\"?><Response><Hangup/></Response>");
}

static void hits(int *voice, int *other)
{
    pthread_mutex_lock(&fake.mu);
    *voice = fake.hits_voice;
    *other = fake.hits_other;
    pthread_mutex_unlock(&fake.mu);
}

/* POST /sim/call From=CALLER&To=the line&Url=url: the status; the answer in *out. */
static long place_call(struct line *l, const char *url, char **out)
{
    char *enc = curl_easy_escape(NULL, url, 0), form[512];
    long st;

    assert_non_null(enc);
    snprintf(form, sizeof(form), "From=" CALLER "&To=" E_LINE "&Url=%s", enc);
    curl_free(enc);
    st = line_sim(l, "POST", "/sim/call", form, out);
    return st;
}

static void sends_only_to_the_gateway_or_loopback(void **state)
{
    struct line *l = *state;
    struct http_opts o = {.host = "127.0.0.1",
                          .max_body = 65536,
                          .conn_limit = 16,
                          .timeout_s = 10,
                          .thread_per_conn = 1};
    struct http_server *server;
    char err[256], url[128], *body = NULL;
    int port, voice, other;
    json_t *j;

    if (line_provider_telnyx())
        skip(); /* calls are Twilio Voice */
    server = http_start(&o, serve_twiml, NULL, err, sizeof(err));
    if (!server)
        fail_msg("the TwiML server: %s", err);
    port = http_port(server);
    /* The document the loopback URL serves redirects the call away from this machine. */
    snprintf(redirect_doc, sizeof(redirect_doc),
             "<?xml version=\"1.0\"?><Response><Redirect>http://0.0.0.0:%d/elsewhere</Redirect>"
             "</Response>",
             port);

    /* A Url off loopback and outside public_url: refused, nothing fetched. */
    snprintf(url, sizeof(url), "http://0.0.0.0:%d/voice", port);
    assert_int_equal(place_call(l, url, &body), 400);
    assert_non_null(strstr(body, "only to public_url"));
    free(body);
    body = NULL;
    /* The same, spelled to fool a hand-written parser: libcurl goes to 0.0.0.0. */
    snprintf(url, sizeof(url), "http://127.0.0.1@0.0.0.0:%d/voice", port);
    assert_int_equal(place_call(l, url, &body), 400);
    free(body);
    body = NULL;
    hits(&voice, &other);
    assert_int_equal(voice + other, 0);

    /* A loopback Url is fetched; its <Redirect> off loopback is not followed. */
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/voice", port);
    assert_int_equal(place_call(l, url, &body), 200);
    j = json_loads(body, 0, NULL);
    assert_non_null(j);
    {
        const char *errors = json_dumps(json_object_get(j, "errors"), 0);
        hits(&voice, &other);
        printf("# the call: status %s, errors %s; fetched /voice %d, elsewhere %d\n",
               json_string_value(json_object_get(j, "status")), errors, voice, other);
        assert_int_equal(voice, 1);
        assert_int_equal(other, 0);
        assert_non_null(strstr(errors, "not sent"));
        free((void *)errors);
    }
    json_decref(j);
    free(body);
    http_stop(server);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(refuses_to_listen_beyond_loopback, line_setup_default,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(listens_on_loopback, line_setup_default, line_teardown),
        cmocka_unit_test_setup_teardown(listens_anywhere_only_when_told, line_setup_default,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(sends_only_to_the_gateway_or_loopback, line_setup_default,
                                        line_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
