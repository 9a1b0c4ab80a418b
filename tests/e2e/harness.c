/*
 * harness.c - see harness.h.
 */
#include "harness.h"
#include "buf.h"
#include "form.h"
#include "pg.h"
#include "twilio.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char default_roster[] =
    "line_name: Test Line\n"
    "timezone: America/New_York\n"
    "topics:\n"
    "  - id: anxiety\n"
    "    label: Anxiety and stress\n"
    "    keywords: [anxious, panic]\n"
    "  - id: grief\n"
    "    label: Grief and loss\n"
    "    keywords: [grief, died]\n"
    "  - id: general\n"
    "    label: Something else\n"
    "peers:\n"
    "  - id: alex\n"
    "    name: Alex\n"
    "    phone: \"" ALEX "\"\n"
    "    topics: [anxiety, general]\n"
    "    languages: [en, es]\n"
    "    max_conversations: 2\n"
    "    shifts:\n"
    "      - {days: [sun, mon, tue, wed, thu, fri, sat], start: \"00:00\", end: \"12:00\"}\n"
    "      - {days: [sun, mon, tue, wed, thu, fri, sat], start: \"12:00\", end: \"00:00\"}\n"
    "  - id: blair\n"
    "    name: Blair\n"
    "    phone: \"" BLAIR "\"\n"
    "    topics: [grief, general]\n"
    "    shifts:\n"
    "      - {days: [sun, mon, tue, wed, thu, fri, sat], start: \"00:00\", end: \"12:00\"}\n"
    "      - {days: [sun, mon, tue, wed, thu, fri, sat], start: \"12:00\", end: \"00:00\"}\n"
    "coordinators:\n"
    "  - id: sam\n"
    "    name: Sam\n"
    "    phone: \"" SAM "\"\n"
    "    on_call: true\n";

void line_sleep(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/*
 * Ports. Binding port 0 and closing the socket (what this harness once did)
 * hands out a port of the kernel's ephemeral range that nothing holds until
 * the server binds it: meanwhile that call, in another test binary or in
 * this one for the other server, can hand out the same port again, and the
 * first server up answers for both. A line whose gateway lost its port so
 * was served by another test's gateway or simulator (a 404 for its texts).
 *
 * So each port is claimed, for the rest of this process's life, with a
 * lock file held by flock (given up only when the process ends, however it
 * ends), below the ephemeral range (no port 0, no client's connect() ever
 * picks one there), and checked free by bind before each line uses it. A
 * line gives its ports back to this process when it stops; its gateway,
 * restarted, gets the same port again; no other process takes it meanwhile.
 */
#define PORT_DIR "/tmp/peerline-e2e-ports"

static struct {
    int port;
    int used; /* by a line now */
} claimed[16];
static size_t nclaimed;
static pthread_mutex_t port_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_t start_thread; /* the thread that started the line: the test's own */

/* The ports to claim from: below the ephemeral range (above it if that starts too low). */
static void port_window(int *lo, int *hi)
{
    int low = 32768, high = 60999;
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");

    if (f) {
        if (fscanf(f, "%d %d", &low, &high) != 2)
            low = 32768, high = 60999;
        fclose(f);
    }
    if (low > 2048) {
        *lo = low - 4096 < 1024 ? 1024 : low - 4096;
        *hi = low - 1;
    } else {
        *lo = high + 1;
        *hi = 65535;
    }
}

/* 1 when a server (which binds with SO_REUSEADDR, as libmicrohttpd does) could bind port. */
static int bindable(int port)
{
    struct sockaddr_in a = {0};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, ok;

    if (fd < 0)
        return 0;
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)port);
    ok = !setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) &&
         !bind(fd, (struct sockaddr *)&a, sizeof(a));
    close(fd);
    return ok;
}

/* Claims a port no other process has claimed, for good: 0, or -1 when none is left. */
static int claim_port(int *port)
{
    char path[64];
    int lo, hi, p, fd;

    if (nclaimed == sizeof(claimed) / sizeof(claimed[0]))
        return -1;
    port_window(&lo, &hi);
    if (mkdir(PORT_DIR, 01777) == 0)
        chmod(PORT_DIR, 01777); /* every user's tests claim here */
    for (p = lo; p <= hi; p++) {
        snprintf(path, sizeof(path), PORT_DIR "/%d", p);
        /* Not O_CREAT first: /tmp may refuse it on a file another user made. */
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
            continue;
        if (flock(fd, LOCK_EX | LOCK_NB) == 0 && bindable(p)) {
            /* Held by fd, never closed: the kernel lets go when this process ends. */
            claimed[nclaimed].port = p;
            claimed[nclaimed++].used = 1;
            *port = p;
            return 0;
        }
        close(fd);
    }
    return -1;
}

/* A port for a line: one this process claimed and no line uses, else a new claim. */
static int take_port(void)
{
    size_t i;
    int port = -1;

    pthread_mutex_lock(&port_mu);
    for (i = 0; i < nclaimed && port < 0; i++) {
        /* Free by bind (a claim keeps harnesses off it, not every other program). */
        if (!claimed[i].used && bindable(claimed[i].port)) {
            claimed[i].used = 1;
            port = claimed[i].port;
        }
    }
    if (port < 0 && claim_port(&port))
        fprintf(stderr, "line: no port left to claim under " PORT_DIR "\n");
    pthread_mutex_unlock(&port_mu);
    return port;
}

int line_free_port(void)
{
    return take_port();
}

char *line_big_roster(int npeers)
{
    const char *coords = strstr(default_roster, "coordinators:\n");
    struct buf b = BUF_INIT(0);
    int i;

    buf_append(&b, default_roster, (size_t)(coords - default_roster));
    for (i = 0; i < npeers; i++)
        buf_printf(&b, "  - {id: p%05d, name: Pat, phone: \"+1444%07d\", topics: [general]}\n", i,
                   i);
    if (buf_puts(&b, coords)) {
        buf_free(&b);
        return NULL;
    }
    return buf_take(&b);
}

/* A stopped line's port, for this process's next line (still claimed). */
static void give_back_port(int port)
{
    size_t i;

    pthread_mutex_lock(&port_mu);
    for (i = 0; i < nclaimed; i++)
        if (claimed[i].port == port)
            claimed[i].used = 0;
    pthread_mutex_unlock(&port_mu);
}

/*
 * Whose server answers on a port, from /proc (Linux): a 200 from /healthz
 * says that some server is up there, not that it is this line's.
 */

/* The inode of the socket listening on TCP port (IPv4 or IPv6), or 0 when none is. */
static unsigned long listener(int port)
{
    static const char *const tables[] = {"/proc/net/tcp", "/proc/net/tcp6"};
    char row[512];
    unsigned long inode = 0, ino;
    unsigned lport, state;
    size_t i;

    for (i = 0; i < 2 && !inode; i++) {
        FILE *f = fopen(tables[i], "r");
        if (!f)
            continue;
        while (!inode && fgets(row, sizeof(row), f)) {
            /* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
            if (sscanf(row, " %*s %*[0-9A-Fa-f]:%x %*s %x %*s %*s %*s %*s %*s %lu", &lport, &state,
                       &ino) == 3 &&
                lport == (unsigned)port && state == 0x0A) /* TCP_LISTEN */
                inode = ino;
        }
        fclose(f);
    }
    return inode;
}

/* 1 when process pid has the socket inode open. */
static int holds(pid_t pid, unsigned long inode)
{
    char dir[64], path[320], link[64], want[40];
    struct dirent *e;
    DIR *d;
    int found = 0;
    ssize_t n;

    snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
    snprintf(want, sizeof(want), "socket:[%lu]", inode);
    if (pid <= 0 || !(d = opendir(dir)))
        return 0;
    while (!found && (e = readdir(d))) {
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        n = readlink(path, link, sizeof(link) - 1);
        if (n > 0) {
            link[n] = '\0';
            found = !strcmp(link, want);
        }
    }
    closedir(d);
    return found;
}

/* The process holding the socket inode (0: none this process may look into). */
static pid_t holder(unsigned long inode)
{
    struct dirent *e;
    DIR *d = opendir("/proc");
    pid_t pid = 0;

    while (d && !pid && (e = readdir(d))) {
        char *end;
        long p = strtol(e->d_name, &end, 10);
        if (*end == '\0' && p > 0 && holds((pid_t)p, inode))
            pid = (pid_t)p;
    }
    if (d)
        closedir(d);
    return pid;
}

/* "pid N (its command line)" into out, to name a stranger. */
static void describe(pid_t pid, char *out, size_t n)
{
    char path[64], cmd[200] = "";
    size_t len = 0, i;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
    if ((f = fopen(path, "r"))) {
        len = fread(cmd, 1, sizeof(cmd) - 1, f);
        fclose(f);
    }
    for (i = 0; i + 1 < len; i++)
        if (cmd[i] == '\0')
            cmd[i] = ' ';
    cmd[len] = '\0';
    if (pid > 0)
        snprintf(out, n, "pid %d (%s)", (int)pid, cmd);
    else
        snprintf(out, n, "a process this test cannot see");
}

/*
 * 0 when the server listening on port is process pid (the line's `what`);
 * otherwise -1, with who serves the port instead in why.
 */
static int served_by(int port, pid_t pid, const char *what, char *why, size_t n)
{
    unsigned long inode = listener(port);
    pid_t other;
    char who[256];

    /*
     * Only a listener positively held by another process is a stranger: where
     * /proc does not show sockets or their holders (some sandboxes), the
     * answer that came is taken as this line's.
     */
    if (!inode || holds(pid, inode) || (other = holder(inode)) <= 0 || other == pid)
        return 0;
    describe(other, who, sizeof(who));
    snprintf(why, n, "port %d, the %s's, is served by %s, not by this line's %s (pid %d)", port,
             what, who, what, (int)pid);
    return -1;
}

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

static const char *binary(void)
{
    const char *b = getenv("PEERLINE_BIN");

    return b ? b : "build/peerline";
}

static pid_t spawn(const char *log, char *const argv[])
{
    pid_t pid = fork();

    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        /*
         * PEERLINE_VALGRIND=1 runs every peerline process under valgrind: any
         * error or definite leak it reports lands in the log and fails the test.
         */
        if (getenv("PEERLINE_VALGRIND")) {
            char *vg[32] = {"valgrind",
                            "--quiet",
                            "--error-exitcode=99",
                            "--leak-check=full",
                            "--errors-for-leak-kinds=definite",
                            "--show-leak-kinds=definite",
                            (char *)binary()};
            int i, n = 7;
            for (i = 1; argv[i] && n < 31; i++)
                vg[n++] = argv[i];
            vg[n] = NULL;
            execvp("valgrind", vg);
            _exit(127);
        }
        execv(binary(), argv);
        _exit(127);
    }
    return pid;
}

static size_t collect(char *p, size_t size, size_t n, void *arg)
{
    if (buf_append(arg, p, size * n))
        return 0;
    return size * n;
}

/* One HTTP call; returns the status (0 on network error) and the body in *out. */
static long http(const char *method, const char *url, const char *content_type, const char *body,
                 const char *signature, struct buf *out)
{
    struct curl_slist *h = NULL;
    char hdr[256];
    long status = 0;
    CURL *c = curl_easy_init();

    if (!c)
        return 0;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    if (content_type) {
        snprintf(hdr, sizeof(hdr), "Content-Type: %s", content_type);
        h = curl_slist_append(h, hdr);
    }
    if (signature) {
        snprintf(hdr, sizeof(hdr), "X-Twilio-Signature: %s", signature);
        h = curl_slist_append(h, hdr);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return status;
}

/* 0 once the process pid answers /healthz on port as the line's `what`, or -1 (told why). */
static int wait_healthy(int port, pid_t pid, const char *what, int timeout_ms)
{
    char url[64], why[512];
    int waited;

    snprintf(url, sizeof(url), "http://127.0.0.1:%d/healthz", port);
    for (waited = 0; waited < timeout_ms; waited += 20) {
        struct buf b = BUF_INIT(0);
        long st = http("GET", url, NULL, NULL, NULL, &b);
        buf_free(&b);
        if (st == 200 && served_by(port, pid, what, why, sizeof(why))) {
            fprintf(stderr, "line: the %s's /healthz answered, but %s\n", what, why);
            return -1;
        }
        if (st == 200)
            return 0;
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return -1; /* it exited */
        line_sleep(20);
    }
    return -1;
}

/* Copies a log to stderr, to explain a failed start. */
static void dump(const char *path)
{
    char line[512];
    FILE *f = fopen(path, "r");

    if (!f)
        return;
    while (fgets(line, sizeof(line), f))
        fprintf(stderr, "  | %s", line);
    fclose(f);
}

static void stop_pid(pid_t pid);

int line_provider_telnyx(void)
{
    const char *p = getenv("PEERLINE_E2E_PROVIDER");

    return p && !strcmp(p, "telnyx");
}

int line_is_telnyx(const struct line *l)
{
    return l->public_key[0] != '\0';
}

/*
 * A fresh Ed25519 key pair for a Telnyx line: the private seed (base64) into
 * the file l->signing_key for the simulator, the public key (base64) into
 * l->public_key for the gateway's config. 0 or -1.
 */
static int telnyx_keys(struct line *l)
{
    unsigned char seed[32], pub[32];
    char b64[48];
    size_t n = sizeof(seed), m = sizeof(pub);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
    EVP_PKEY *pk = NULL;
    int fd = -1, rc = -1;

    if (!ctx || EVP_PKEY_keygen_init(ctx) != 1 || EVP_PKEY_keygen(ctx, &pk) != 1 ||
        EVP_PKEY_get_raw_private_key(pk, seed, &n) != 1 ||
        EVP_PKEY_get_raw_public_key(pk, pub, &m) != 1 || n != 32 || m != 32)
        goto fail;
    EVP_EncodeBlock((unsigned char *)l->public_key, pub, 32);
    EVP_EncodeBlock((unsigned char *)b64, seed, 32);
    snprintf(l->signing_key, sizeof(l->signing_key), "%s/telnyx.key", l->dir);
    fd = open(l->signing_key, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || write(fd, b64, strlen(b64)) != (ssize_t)strlen(b64) || write(fd, "\n", 1) != 1)
        goto fail;
    rc = 0;
fail:
    if (fd >= 0 && close(fd))
        rc = -1;
    OPENSSL_cleanse(seed, sizeof(seed));
    OPENSSL_cleanse(b64, sizeof(b64));
    EVP_PKEY_free(pk);
    EVP_PKEY_CTX_free(ctx);
    return rc;
}

/* The provider's credentials in the config: Twilio's, or Telnyx's (with fresh keys). */
static int provider_keys(struct line *l, const struct line_opts *o, char *out, size_t n)
{
    if (!o->telnyx && !line_provider_telnyx()) {
        snprintf(out, n,
                 "  kind: twilio\n"
                 "  account_sid: AC0123456789abcdef0123456789abcdef\n"
                 "  auth_token: " TOKEN "\n");
        return 0;
    }
    if (telnyx_keys(l))
        return -1;
    snprintf(out, n,
             "  kind: telnyx\n"
             "  api_key: " API_KEY "\n"
             "  public_key: \"%s\"\n",
             l->public_key);
    return 0;
}

/* Starts the simulator (its log: sim.log in the line's directory). */
static void start_sim(struct line *l)
{
    char listen[64], sim_log[320];
    char *argv[] = {
        "peerline",     "sim", "-c", l->config, "--listen", listen, "--telnyx-signing-key",
        l->signing_key, NULL};

    snprintf(sim_log, sizeof(sim_log), "%s/sim.log", l->dir);
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", l->sim_port);
    if (!line_is_telnyx(l))
        argv[6] = NULL;
    l->sim = spawn(sim_log, argv);
}

int line_start_gateway(struct line *l)
{
    char *argv[] = {"peerline", "serve", "-c", l->config, NULL};

    l->gw = spawn(l->gateway_log, argv);
    /* 30 s: a 50,000-peer roster takes over 10 s to load under AddressSanitizer. */
    return l->gw > 0 ? wait_healthy(l->gw_port, l->gw, "gateway", 30000) : -1;
}

int line_start(struct line *l, const struct line_opts *o)
{
    struct line_opts none = {0};
    char cfg[4096], sim_log[320], creds[256], spool[64];

    memset(l, 0, sizeof(*l));
    if (!o)
        o = &none;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    snprintf(l->dir, sizeof(l->dir), "/tmp/peerline-e2e-XXXXXX");
    if (!mkdtemp(l->dir))
        return -1;
    snprintf(l->config, sizeof(l->config), "%s/peerline.yaml", l->dir);
    snprintf(l->roster, sizeof(l->roster), "%s/roster.yaml", l->dir);
    snprintf(l->gateway_log, sizeof(l->gateway_log), "%s/gateway.log", l->dir);
    snprintf(sim_log, sizeof(sim_log), "%s/sim.log", l->dir);
    start_thread = pthread_self();
    l->gw_port = take_port();
    l->sim_port = take_port();
    if (l->gw_port < 0 || l->sim_port < 0 || provider_keys(l, o, creds, sizeof(creds)))
        goto fail;
    snprintf(l->db, sizeof(l->db), "peerline.db");
    if (line_on_postgres() && line_pg_database(l->db, sizeof(l->db)))
        goto fail;
    /* On PostgreSQL each instance names its own spool file. */
    snprintf(spool, sizeof(spool), "%s", line_on_postgres() ? "spool: peerline.spool\n" : "");
    snprintf(cfg, sizeof(cfg),
             "listen: 127.0.0.1:%d\n"
             "public_url: http://127.0.0.1:%d\n"
             "database: %s\n"
             "%s"
             "roster: roster.yaml\n"
             "provider:\n"
             "%s"
             "  api_base: http://127.0.0.1:%d\n"
             "  line_number: \"" LINE_NUMBER "\"\n"
             "  pool: %s\n"
             "  send_rate: 0\n"
             "%s"
             "limits:\n"
             "%s"
             "retry:\n"
             "  first_delay: 200ms\n"
             "  max_delay: 1s\n"
             "%s"
             "%s",
             l->gw_port, l->gw_port, l->db, spool, creds, l->sim_port,
             o->no_pool ? "[]" : "[\"" POOL_A "\", \"" POOL_B "\"]", o->provider ? o->provider : "",
             o->limits ? o->limits : "  relay_gap: 0s\n", o->retry ? o->retry : "",
             o->extra_config ? o->extra_config : "");
    if (write_file(l->config, cfg))
        goto fail;
    if (o->roster) {
        if (write_file(l->roster, o->roster))
            goto fail;
    } else {
        char roster[4096];
        snprintf(roster, sizeof(roster), "%s%s", default_roster,
                 o->roster_extra ? o->roster_extra : "");
        if (write_file(l->roster, roster))
            goto fail;
    }
    start_sim(l);
    if (l->sim <= 0 || wait_healthy(l->sim_port, l->sim, "simulator", 10000) ||
        line_start_gateway(l)) {
        dump(sim_log);
        dump(l->gateway_log);
        goto fail;
    }
    return 0;
fail:
    (void)line_stop(l); /* and its ports back */
    return -1;
}

static void stop_pid(pid_t pid)
{
    int i;

    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    /* Valgrind's leak check at exit takes a while: give it 30 s rather than 5. */
    for (i = 0; i < (getenv("PEERLINE_VALGRIND") ? 3000 : 500); i++) {
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return;
        line_sleep(10);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

/*
 * 0 when a log has no sanitizer report and no unmasked phone number ("+"
 * and seven or more digits in a row); otherwise prints the line and -1.
 */
static int log_is_clean(const char *path)
{
    char line[4096];
    FILE *f = fopen(path, "r");
    int clean = 0;

    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f)) {
        const char *p;
        int bad = strstr(line, "Sanitizer") || strstr(line, "runtime error") ||
                  (line[0] == '=' && line[1] == '=' && strstr(line, "== ")); /* valgrind */

        for (p = line; !bad && (p = strchr(p, '+')); p++)
            bad = strspn(p + 1, "0123456789") >= 7;
        if (bad) {
            fprintf(stderr, "%s: %s", path, line);
            clean = -1;
        }
    }
    fclose(f);
    return clean;
}

/* 0 when no line of the log holds any of the texts the phones sent; else prints and -1. */
static int log_has_no_text(const struct line *l, const char *path)
{
    char line[4096];
    FILE *f = fopen(path, "r");
    int clean = 0;
    size_t i;

    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f)) {
        for (i = 0; i < l->nsaid; i++) {
            if (strstr(line, l->said[i])) {
                fprintf(stderr, "%s: message text \"%s\" in: %s", path, l->said[i], line);
                clean = -1;
            }
        }
    }
    fclose(f);
    return clean;
}

int line_stop(struct line *l)
{
    char cmd[300], sim_log[320];
    int rc;
    size_t i;

    stop_pid(l->gw);
    stop_pid(l->gw2);
    stop_pid(l->sim);
    l->gw = l->gw2 = l->sim = 0;
    if (l->gw2_port)
        give_back_port(l->gw2_port);
    l->gw2_port = 0;
    give_back_port(l->gw_port);
    give_back_port(l->sim_port);
    l->gw_port = l->sim_port = 0;
    snprintf(sim_log, sizeof(sim_log), "%s/sim.log", l->dir);
    rc = log_is_clean(l->gateway_log) | log_is_clean(sim_log) | log_has_no_text(l, l->gateway_log);
    if (l->config2[0])
        rc |= log_is_clean(l->gateway2_log) | log_has_no_text(l, l->gateway2_log);
    for (i = 0; i < l->nsaid; i++)
        free(l->said[i]);
    l->nsaid = 0;
    if (getenv("PEERLINE_KEEP")) {
        fprintf(stderr, "kept %s\n", l->dir);
        return rc;
    }
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", l->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", l->dir);
    return rc;
}

int line_start_second(struct line *l)
{
    char *argv[] = {"peerline", "serve", "-c", l->config2, NULL};
    char *cfg = line_read_file(l->config), *at, *spool, listen[64], out[8192];

    if (!cfg)
        return -1;
    if (!l->gw2_port) {
        l->gw2_port = take_port();
        snprintf(l->config2, sizeof(l->config2), "%s/peerline2.yaml", l->dir);
        snprintf(l->gateway2_log, sizeof(l->gateway2_log), "%s/gateway2.log", l->dir);
    }
    /* The first line is "listen: 127.0.0.1:PORT": it differs, and so does the spool's file. */
    at = strchr(cfg, '\n');
    snprintf(listen, sizeof(listen), "listen: 127.0.0.1:%d", l->gw2_port);
    if (at && (spool = strstr(at, "spool: peerline.spool\n")))
        snprintf(out, sizeof(out), "%s%.*sspool: peerline2.spool\n%s", listen, (int)(spool - at),
                 at, spool + strlen("spool: peerline.spool\n"));
    else
        snprintf(out, sizeof(out), "%s%s", listen, at ? at : "\n");
    free(cfg);
    if (l->gw2_port < 0 || write_file(l->config2, out))
        return -1;
    l->gw2 = spawn(l->gateway2_log, argv);
    return l->gw2 > 0 ? wait_healthy(l->gw2_port, l->gw2, "second gateway", 30000) : -1;
}

void line_kill_second(struct line *l)
{
    if (l->gw2 > 0) {
        kill(l->gw2, SIGKILL);
        waitpid(l->gw2, NULL, 0);
        l->gw2 = 0;
    }
}

static long post_signed(const char *url, const char *sign_url, const char *form, char *body,
                        size_t bodylen, char *ctype, size_t ctypelen);

long line_text_via(struct line *l, int port, const char *from, const char *to, const char *body,
                   const char *sid)
{
    static atomic_int seq;
    struct buf form = BUF_INIT(0);
    char own[40], sign[128], url[128];
    long status;

    if (!sid) {
        snprintf(own, sizeof(own), "SM%08x%024x", (unsigned)getpid(),
                 (unsigned)atomic_fetch_add(&seq, 1));
        sid = own;
    }
    form_add(&form, "MessageSid", sid);
    form_add(&form, "SmsSid", sid);
    form_add(&form, "AccountSid", "AC0123456789abcdef0123456789abcdef");
    form_add(&form, "From", from);
    form_add(&form, "To", to);
    form_add(&form, "Body", body);
    form_add(&form, "NumMedia", "0");
    form_add(&form, "NumSegments", "1");
    form_add(&form, "SmsStatus", "received");
    form_add(&form, "ApiVersion", "2010-04-01");
    snprintf(sign, sizeof(sign), "http://127.0.0.1:%d/twilio/sms", l->gw_port);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/twilio/sms", port);
    status = form.p ? post_signed(url, sign, form.p, NULL, 0, NULL, 0) : 0;
    buf_free(&form);
    return status < 0 ? 0 : status;
}

void line_kill_gateway(struct line *l)
{
    if (l->gw > 0) {
        kill(l->gw, SIGKILL);
        waitpid(l->gw, NULL, 0);
        l->gw = 0;
    }
}

static pthread_mutex_t said_mu = PTHREAD_MUTEX_INITIALIZER;

/* 1 when pid is this process or one of its children (a gateway, a simulator). */
static int ours(pid_t pid)
{
    char path[64], row[512], *p;
    int ppid = 0;
    size_t n = 0;
    FILE *f;

    if (pid <= 0)
        return 0;
    if (pid == getpid())
        return 1;
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    if ((f = fopen(path, "r"))) {
        n = fread(row, 1, sizeof(row) - 1, f);
        fclose(f);
    }
    row[n] = '\0';
    /* "pid (command) state ppid ...": the command may hold anything but its last ')' */
    p = strrchr(row, ')');
    return p && sscanf(p + 1, " %*c %d", &ppid) == 1 && ppid == (int)getpid();
}

/*
 * After an answer other than 200 to a text: fails the test, with who
 * answered, when a process that is neither this one nor its child serves
 * the line's gateway or simulator port (another test's server answered for
 * this line). Nothing there (a gateway being restarted) is not a stranger.
 * A thread other than the test's own (some tests text from several) can
 * only tell: cmocka fails a test from its own thread.
 */
static void stranger(struct line *l, long status)
{
    const int port[2] = {l->gw_port, l->sim_port};
    const char *const what[2] = {"gateway", "simulator"};
    char who[256], why[512];
    unsigned long inode;
    pid_t pid = 0;
    int i, look;

    for (i = 0; i < 2; i++) {
        /* Looked at thrice: a gateway being killed may list its socket after closing it. */
        for (look = 0; look < 3; look++) {
            if (!(inode = listener(port[i])) || ours(pid = holder(inode)))
                break;
            line_sleep(50);
        }
        if (look < 3)
            continue;
        describe(pid, who, sizeof(who));
        snprintf(why, sizeof(why),
                 "a text was answered %ld by a server that is not this line's: port %d, the "
                 "%s's, is served by %s",
                 status, port[i], what[i], who);
        if (pthread_equal(pthread_self(), start_thread))
            fail_msg("%s", why);
        fprintf(stderr, "line_text: %s\n", why);
        return;
    }
}

static long text(struct line *l, const char *from, const char *to, const char *body,
                 const char *sid, int num_media)
{
    struct buf req = BUF_INIT(0), out = BUF_INIT(0);
    char url[128];
    json_t *j;
    long status = -1;

    form_add(&req, "From", from);
    form_add(&req, "To", to);
    form_add(&req, "Body", body);
    /* Texts long enough not to match a log's own words by chance; commands are logged by name. */
    pthread_mutex_lock(&said_mu); /* tests may text from several threads at once */
    if (strlen(body) >= 8 && body[0] != '#' && l->nsaid < sizeof(l->said) / sizeof(l->said[0]))
        l->said[l->nsaid++] = strdup(body);
    pthread_mutex_unlock(&said_mu);
    if (sid)
        form_add(&req, "MessageSid", sid);
    if (num_media) {
        char n[16];
        snprintf(n, sizeof(n), "%d", num_media);
        form_add(&req, "NumMedia", n);
    }
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/sim/sms", l->sim_port);
    if (http("POST", url, "application/x-www-form-urlencoded", req.p, NULL, &out) == 200) {
        j = json_loads(out.p ? out.p : "", 0, NULL);
        status = (long)json_integer_value(json_object_get(j, "status"));
        json_decref(j);
    }
    buf_free(&req);
    buf_free(&out);
    if (status != 200)
        stranger(l, status);
    return status;
}

long line_text_sid(struct line *l, const char *from, const char *to, const char *body,
                   const char *sid)
{
    return text(l, from, to, body, sid, 0);
}

long line_text(struct line *l, const char *from, const char *to, const char *body)
{
    return text(l, from, to, body, NULL, 0);
}

long line_text_media(struct line *l, const char *from, const char *to, const char *body,
                     int num_media)
{
    return text(l, from, to, body, NULL, num_media);
}

int line_carrier_optout(struct line *l, const char *phone, const char *number)
{
    struct buf req = BUF_INIT(0), out = BUF_INIT(0);
    char url[128];
    long st;

    form_add(&req, "Phone", phone);
    form_add(&req, "Number", number);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/sim/optout", l->sim_port);
    st = http("POST", url, "application/x-www-form-urlencoded", req.p, NULL, &out);
    buf_free(&req);
    buf_free(&out);
    return st == 200 ? 0 : -1;
}

/*
 * The simulator's log of texts. A fetch that keeps failing would read as "no
 * texts", and a test that asserts nobody was texted would pass on it: after
 * a few tries the test process stops, loudly (from any thread).
 */
static json_t *messages(struct line *l)
{
    char url[128];
    json_t *j = NULL;
    int tries;

    snprintf(url, sizeof(url), "http://127.0.0.1:%d/sim/messages", l->sim_port);
    for (tries = 0; !j && tries < 5; tries++) {
        struct buf out = BUF_INIT(0);

        if (tries)
            line_sleep(200);
        if (http("GET", url, NULL, NULL, NULL, &out) == 200)
            j = json_loads(out.p ? out.p : "", 0, NULL);
        buf_free(&out);
    }
    if (!j) {
        fprintf(stderr, "harness: GET %s failed five times; stopping rather than count nothing\n",
                url);
        abort();
    }
    return j;
}

int line_idle(struct line *l)
{
    int waited;

    for (waited = 0; waited < 20000; waited += 50) {
        /* Every text handled by the engine, and everything it queued sent. */
        if (line_query(l, "SELECT (SELECT COUNT(*) FROM outbox WHERE state IN"
                          " ('pending','sending')) + (SELECT COUNT(*) FROM inbound"
                          " WHERE processed_at IS NULL)") == 0)
            return 0;
        line_sleep(50);
    }
    return -1;
}

long line_mark(struct line *l)
{
    json_t *j = messages(l), *arr = json_object_get(j, "messages");
    long id = 0;
    size_t n = json_array_size(arr);

    if (n)
        id = (long)json_integer_value(json_object_get(json_array_get(arr, n - 1), "id"));
    json_decref(j);
    return id;
}

static int matches(json_t *m, long since, const char *to, const char *from, const char *needle)
{
    const char *dir = json_string_value(json_object_get(m, "direction"));
    const char *mto = json_string_value(json_object_get(m, "to"));
    const char *mfrom = json_string_value(json_object_get(m, "from"));
    const char *body = json_string_value(json_object_get(m, "body"));

    return json_integer_value(json_object_get(m, "id")) > since && dir &&
           !strcmp(dir, "outbound-api") && mto && (!to || !strcmp(mto, to)) &&
           (!from || (mfrom && !strcmp(mfrom, from))) && body && (!needle || strstr(body, needle));
}

/* Polls until a matching text exists; returns it (a new reference) or NULL. */
static json_t *find(struct line *l, long since, const char *to, const char *from,
                    const char *needle, int timeout_ms)
{
    int waited;

    for (waited = 0; waited <= timeout_ms; waited += 25) {
        json_t *j = messages(l), *arr = json_object_get(j, "messages");
        size_t i;

        for (i = 0; i < json_array_size(arr); i++) {
            json_t *m = json_array_get(arr, i);
            if (matches(m, since, to, from, needle)) {
                json_incref(m);
                json_decref(j);
                return m;
            }
        }
        json_decref(j);
        line_sleep(25);
    }
    return NULL;
}

char *line_expect(struct line *l, long since, const char *to, const char *from, const char *needle,
                  int timeout_ms)
{
    json_t *m = find(l, since, to, from, needle, timeout_ms);
    char *b = m ? strdup(json_string_value(json_object_get(m, "body"))) : NULL;

    json_decref(m);
    return b;
}

long line_find(struct line *l, long since, const char *to, const char *from, const char *needle,
               int timeout_ms)
{
    json_t *m = find(l, since, to, from, needle, timeout_ms);
    long id = m ? (long)json_integer_value(json_object_get(m, "id")) : 0;

    json_decref(m);
    return id;
}

int line_count(struct line *l, long since, const char *to, const char *from)
{
    json_t *j = messages(l), *arr = json_object_get(j, "messages");
    size_t i;
    int n = 0;

    for (i = 0; i < json_array_size(arr); i++)
        n += matches(json_array_get(arr, i), since, to, from, NULL);
    json_decref(j);
    return n;
}

int line_occurrences(struct line *l, const char *to, const char *from, const char *needle)
{
    json_t *j = messages(l), *arr = json_object_get(j, "messages");
    size_t i;
    int n = 0;

    for (i = 0; i < json_array_size(arr); i++)
        n += matches(json_array_get(arr, i), 0, to, from, needle);
    json_decref(j);
    return n;
}

char *line_all_to(struct line *l, const char *to)
{
    json_t *j = messages(l), *arr = json_object_get(j, "messages");
    struct buf b = BUF_INIT(0);
    size_t i;

    for (i = 0; i < json_array_size(arr); i++) {
        json_t *m = json_array_get(arr, i);
        if (matches(m, 0, to, NULL, NULL)) {
            buf_puts(&b, json_string_value(json_object_get(m, "body")));
            buf_puts(&b, "\n");
        }
    }
    json_decref(j);
    return buf_take(&b);
}

int line_fault(struct line *l, const char *mode, int count)
{
    struct buf out = BUF_INIT(0);
    char url[128], body[64];
    long st;

    snprintf(url, sizeof(url), "http://127.0.0.1:%d/sim/fault", l->sim_port);
    snprintf(body, sizeof(body), "mode=%s&count=%d", mode, count);
    st = http("POST", url, "application/x-www-form-urlencoded", body, NULL, &out);
    buf_free(&out);
    return st == 200 ? 0 : -1;
}

long line_sim(struct line *l, const char *method, const char *path, const char *form, char **out)
{
    struct buf b = BUF_INIT(0);
    char url[256];
    long st;

    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", l->sim_port, path);
    st = http(method, url, form ? "application/x-www-form-urlencoded" : NULL, form, NULL, &b);
    if (out)
        *out = buf_take(&b);
    buf_free(&b);
    return st;
}

long line_sim_api(struct line *l, const char *method, const char *path, const char *bearer,
                  const char *json, char **out)
{
    struct buf b = BUF_INIT(0);
    struct curl_slist *h = NULL;
    char url[256], hdr[300];
    long status = 0;
    CURL *c = curl_easy_init();

    if (out)
        *out = NULL;
    if (!c)
        return 0;
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", l->sim_port, path);
    if (bearer) {
        snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", bearer);
        h = curl_slist_append(h, hdr);
    }
    if (json) {
        h = curl_slist_append(h, "Content-Type: application/json");
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    if (out)
        *out = b.p ? buf_take(&b) : strdup("");
    buf_free(&b);
    return status;
}

void line_browser(char *const argv[], int timeout_ms)
{
    char *args[16] = {"node"};
    int status = -1, waited, i;
    pid_t pid;

    if (access("tests/browser/node_modules/playwright-core", R_OK))
        fail_msg("playwright-core is not installed (make test installs it with npm ci)");
    for (i = 0; argv[i] && i < 14; i++)
        args[i + 1] = argv[i];
    args[i + 1] = NULL;
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execvp("node", args);
        _exit(127);
    }
    for (waited = 0; waited < timeout_ms; waited += 100) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            break;
        line_sleep(100);
    }
    if (waited >= timeout_ms) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        fail_msg("%s did not finish in %d s", argv[0], timeout_ms / 1000);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("%s failed (exit %d): see its messages above", argv[0],
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

long line_post_raw(struct line *l, const char *path, const char *content_type, const char *body,
                   const char *signature)
{
    struct buf out = BUF_INIT(0);
    char url[256];
    long st;

    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", l->gw_port, path);
    st = http("POST", url, content_type, body, signature, &out);
    buf_free(&out);
    return st;
}

int line_cli(struct line *l, const char *command, const char *args, char **out)
{
    struct buf b = BUF_INIT(0);
    char cmd[1024], chunk[4096];
    size_t n;
    FILE *p;
    int st;

    snprintf(cmd, sizeof(cmd), "'%s' %s -c '%s' %s 2>/dev/null", binary(), command, l->config,
             args ? args : "");
    p = popen(cmd, "r");
    if (!p)
        return -1;
    while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
        buf_append(&b, chunk, n);
    st = pclose(p);
    if (out)
        *out = b.p ? buf_take(&b) : strdup("");
    buf_free(&b);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

long line_admin(struct line *l, const char *method, const char *path, const char *token,
                char **body)
{
    struct buf out = BUF_INIT(0);
    struct curl_slist *h = NULL;
    char url[512], hdr[300];
    long status = 0;
    CURL *c = curl_easy_init();

    if (body)
        *body = NULL;
    if (!c)
        return -1;
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", l->gw_port, path);
    if (token) {
        snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", token);
        h = curl_slist_append(h, hdr);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (!strcmp(method, "POST"))
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    if (body) {
        *body = out.p ? out.p : strdup("");
        out.p = NULL;
    }
    buf_free(&out);
    return status;
}

double line_metric(struct line *l, const char *token, const char *series)
{
    char *body = NULL, *p;
    size_t n = strlen(series);
    double v = -1;

    if (line_admin(l, "GET", "/metrics", token, &body) != 200) {
        free(body);
        return -1;
    }
    for (p = body; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (!strncmp(p, series, n) && p[n] == ' ') {
            v = strtod(p + n + 1, NULL);
            break;
        }
    free(body);
    return v;
}

/*
 * Posts form to url with Twilio's signature for sign_url (the URL as the
 * gateway knows itself: its public_url): the HTTP status, 0 without one.
 * The answer's body and content type go to body and ctype when given.
 */
static long post_signed(const char *url, const char *sign_url, const char *form, char *body,
                        size_t bodylen, char *ctype, size_t ctypelen)
{
    struct buf out = BUF_INIT(0);
    struct curl_slist *h = NULL;
    char sig[TWILIO_SIG_LEN], hdr[128];
    const char *why, *ct = NULL;
    struct form f;
    size_t where;
    long status = 0;
    CURL *c;

    if (form_parse(form, strlen(form), &f, &why, &where))
        return -1;
    if (twilio_signature(TOKEN, sign_url, &f, sig)) {
        form_free(&f);
        return -1;
    }
    form_free(&f);
    c = curl_easy_init();
    if (!c)
        return -1;
    snprintf(hdr, sizeof(hdr), "X-Twilio-Signature: %s", sig);
    h = curl_slist_append(h, hdr);
    h = curl_slist_append(h, "Content-Type: application/x-www-form-urlencoded");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (curl_easy_perform(c) == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
    }
    if (body && bodylen)
        snprintf(body, bodylen, "%s", out.p ? out.p : "");
    if (ctype && ctypelen)
        snprintf(ctype, ctypelen, "%s", ct ? ct : "");
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    buf_free(&out);
    return status;
}

long line_post_signed(struct line *l, const char *path, const char *form, char *body,
                      size_t bodylen, char *ctype, size_t ctypelen)
{
    char url[512];

    if (line_is_telnyx(l))
        fail_msg("line_post_signed signs as Twilio: skip this test under Telnyx");
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", l->gw_port, path);
    return post_signed(url, url, form, body, bodylen, ctype, ctypelen);
}

/* ---- PostgreSQL (PEERLINE_E2E_DB=pg) ---- */

static struct pg_cluster *pg_cl;
static pthread_mutex_t pg_mu = PTHREAD_MUTEX_INITIALIZER;

int line_on_postgres(void)
{
    const char *v = getenv("PEERLINE_E2E_DB");

    return v && !strcmp(v, "pg");
}

static void pg_at_exit(void)
{
    pg_stop(pg_cl);
    pg_cl = NULL;
}

struct pg_cluster *line_pg_cluster(void)
{
    return pg_cl;
}

/* Runs sql on the cluster's database named in uri: the first column of its first row, or -1. */
static long pg_query(const char *uri, const char *sql, int want_row)
{
    PGconn *c = PQconnectdb(uri);
    PGresult *r = NULL;
    long n = -1;

    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "harness: cannot connect: %s", PQerrorMessage(c));
        goto done;
    }
    r = PQexec(c, sql);
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0)
        n = PQgetisnull(r, 0, 0) ? 0 : strtol(PQgetvalue(r, 0, 0), NULL, 10);
    else if (PQresultStatus(r) == PGRES_COMMAND_OK && !want_row)
        n = 0;
    else
        fprintf(stderr, "harness: %s", PQerrorMessage(c));
done:
    PQclear(r);
    PQfinish(c);
    return n;
}

int line_pg_database(char *uri, size_t n)
{
    static int seq;
    char err[256], sql[128], name[64];
    const char *base, *slash;

    pthread_mutex_lock(&pg_mu);
    if (!pg_cl) {
        pg_cl = pg_start(err, sizeof(err));
        if (pg_cl)
            atexit(pg_at_exit);
        else
            fprintf(stderr, "harness: %s\n", err);
    }
    snprintf(name, sizeof(name), "line_%d_%d", (int)getpid(), ++seq);
    pthread_mutex_unlock(&pg_mu);
    if (!pg_cl)
        return -1;
    base = pg_uri(pg_cl);
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
    if (pg_query(base, sql, 0))
        return -1;
    slash = strrchr(base, '/');
    snprintf(uri, n, "%.*s/%s", (int)(slash - base), base, name);
    return 0;
}

long line_query(struct line *l, const char *sql)
{
    char path[320];
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long n = -1;

    if (line_on_postgres())
        return pg_query(l->db, sql, 1);
    snprintf(path, sizeof(path), "%s/peerline.db", l->dir);
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

int line_rewrite(const char *path, const char *text)
{
    char tmp[600];

    snprintf(tmp, sizeof(tmp), "%s.new", path);
    if (write_file(tmp, text))
        return -1;
    return rename(tmp, path);
}

char *line_read_file(const char *path)
{
    struct buf b = BUF_INIT(0);
    char chunk[4096];
    size_t n;
    FILE *f = fopen(path, "rb");

    if (!f)
        return NULL;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        buf_append(&b, chunk, n);
    fclose(f);
    return b.p ? buf_take(&b) : strdup("");
}

int line_log_wait(struct line *l, const char *needle, int timeout_ms)
{
    int waited;

    for (waited = 0; waited <= timeout_ms; waited += 50) {
        char *log = line_read_file(l->gateway_log);
        int found = log && strstr(log, needle);
        free(log);
        if (found)
            return 1;
        line_sleep(50);
    }
    return 0;
}

int line_exec(struct line *l, const char *sql)
{
    char path[320];
    sqlite3 *db = NULL;
    int rc = -1;

    if (line_on_postgres())
        return pg_query(l->db, sql, 0) == 0 ? 0 : -1;
    snprintf(path, sizeof(path), "%s/peerline.db", l->dir);
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK) {
        sqlite3_busy_timeout(db, 10000);
        if (sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK)
            rc = 0;
        else
            fprintf(stderr, "line_exec: %s\n", sqlite3_errmsg(db));
    }
    sqlite3_close(db);
    return rc;
}

/* 1 when needle's bytes are in the file at path. */
static int file_contains(const char *path, const char *needle)
{
    FILE *f = fopen(path, "rb");
    struct buf b = BUF_INIT(0);
    char chunk[65536];
    size_t n, k, len = strlen(needle);
    int found = 0;

    if (!f)
        return 0;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        buf_append(&b, chunk, n);
    fclose(f);
    for (k = 0; !found && b.len >= len && k + len <= b.len; k++)
        found = !memcmp(b.p + k, needle, len);
    buf_free(&b);
    return found;
}

int line_db_contains(struct line *l, const char *needle)
{
    char path[320];

    /* PostgreSQL: what a dump of the database holds (its files keep dead rows until VACUUM). */
    if (line_on_postgres()) {
        const char *bindir = getenv("PEERLINE_PG_BINDIR");
        char cmd[1024];
        int found;

        snprintf(path, sizeof(path), "%s/dump.sql", l->dir);
        snprintf(cmd, sizeof(cmd), "'%s/pg_dump' -d '%s' -f '%s'", bindir ? bindir : "/usr/bin",
                 l->db, path);
        if (system(cmd)) {
            fprintf(stderr, "harness: pg_dump failed\n");
            return -1;
        }
        found = file_contains(path, needle);
        unlink(path);
        return found;
    }

    snprintf(path, sizeof(path), "%s/peerline.db", l->dir);
    if (file_contains(path, needle))
        return 1;
    snprintf(path, sizeof(path), "%s/peerline.db-wal", l->dir);
    return file_contains(path, needle);
}

long line_inbound_rows(struct line *l)
{
    return line_query(l, "SELECT COUNT(*) FROM inbound");
}

int line_setup(void **state, const struct line_opts *o)
{
    static struct line l;

    /* Once: the line's ports are claimed, so a failed start is not bad luck (see take_port). */
    if (line_start(&l, o))
        return -1;
    *state = &l;
    return 0;
}

int line_setup_default(void **state)
{
    return line_setup(state, NULL);
}

int line_teardown(void **state)
{
    return line_stop(*state);
}

void line_must_get(struct line *l, long since, const char *to, const char *from, const char *needle)
{
    char *b = line_expect(l, since, to, from, needle, 5000);

    if (!b)
        fail_msg("no text to %s from %s containing \"%s\"", to, from ? from : "any", needle);
    free(b);
}

void line_connect(struct line *l, const char *texter, const char *first, const char *peer,
                  const char *number, const char *name)
{
    char intro[96];
    long m = line_mark(l);

    assert_int_equal(line_text(l, texter, LINE_NUMBER, first), 200);
    line_must_get(l, m, texter, LINE_NUMBER, "in line");
    line_must_get(l, m, peer, number, "#take");
    m = line_mark(l);
    assert_int_equal(line_text(l, peer, number, "#take"), 200);
    snprintf(intro, sizeof(intro), "You're now texting with %s", name);
    line_must_get(l, m, texter, LINE_NUMBER, intro);
    /* And the peer's side (their "connected" and the texts so far) is out too. */
    assert_int_equal(line_idle(l), 0);
}

/* ---- raw sockets, for tests of the HTTP server itself ---- */

int line_raw_connect(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}
/* Sends len bytes (as far as the server takes them). */
void line_raw_send(int fd, const char *p, size_t len)
{
    while (len) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n <= 0)
            return;
        p += n;
        len -= (size_t)n;
    }
}
/*
 * Reads what the server sends until it closes the connection or timeout_ms
 * passes; the start of it in out (NUL-terminated). 1 when it closed.
 */
int line_raw_read(int fd, char *out, size_t outlen, int timeout_ms)
{
    char scratch[256];
    size_t got = 0;
    int waited = 0;

    out[0] = '\0';
    while (waited < timeout_ms) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int room = got + 1 < outlen;
        ssize_t n;
        if (poll(&p, 1, 100) == 0) {
            waited += 100;
            continue;
        }
        n = recv(fd, room ? out + got : scratch, room ? outlen - got - 1 : sizeof(scratch), 0);
        if (n <= 0)
            return 1;
        if (room) {
            got += (size_t)n;
            out[got] = '\0';
        }
    }
    return 0;
}
