/*
 * pg.c - throwaway PostgreSQL clusters for tests (pg.h): finds the server
 * binaries, runs initdb and pg_ctl (as `postgres` when we are root) without
 * a shell, picks a free loopback port, creates the database with libpq, and
 * keeps a guardian process that cleans up after a process that died.
 */
#define _GNU_SOURCE /* pipe2 */
#include "pg.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libpq-fe.h>

#define PG_DB_NAME "peerline"

struct pg_cluster {
    char bindir[512];
    char dir[64];  /* the mkdtemp directory: socket, logs */
    char data[96]; /* dir/data: the cluster */
    char cmdlog[96];
    char srvlog[96];
    char uri[128];
    int port;
    int drop; /* 1: run the server binaries as uid/gid */
    uid_t uid;
    gid_t gid;
    int guard;       /* the guardian's pipe (write end); -1 when none */
    pid_t guard_pid; /* the guardian; 0 when none */
};

/* The newest /usr/lib/postgresql/N/bin (by N), or PEERLINE_PG_BINDIR. */
static int find_bindir(char *out, size_t n)
{
    const char *env = getenv("PEERLINE_PG_BINDIR");
    glob_t g;
    long best = -1, v;
    size_t i;

    if (env && *env)
        return snprintf(out, n, "%s", env) >= (int)n ? -1 : 0;
    if (glob("/usr/lib/postgresql/*/bin", GLOB_ONLYDIR, NULL, &g))
        return -1;
    for (i = 0; i < g.gl_pathc; i++) {
        v = strtol(g.gl_pathv[i] + strlen("/usr/lib/postgresql/"), NULL, 10);
        if (v > best) {
            best = v;
            snprintf(out, n, "%s", g.gl_pathv[i]);
        }
    }
    globfree(&g);
    return best < 0 ? -1 : 0;
}

/* The last line of a file that has something on it, for an error message. */
static void last_line(const char *path, char *out, size_t n)
{
    char line[200];
    FILE *f = fopen(path, "r");

    if (n)
        out[0] = '\0';
    if (!f)
        return;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0])
            snprintf(out, n, "%s", line);
    }
    fclose(f);
}

/*
 * Runs bindir/argv[0] with argv, as the postgres user when c->drop, in
 * c->dir, its output appended to c->cmdlog: its exit status, or -1.
 */
static int run(struct pg_cluster *c, char *const argv[])
{
    char path[640];
    int fd, status;
    pid_t pid;

    snprintf(path, sizeof(path), "%s/%s", c->bindir, argv[0]);
    fd = open(c->cmdlog, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    pid = fork();
    if (pid < 0) {
        close(fd);
        return -1;
    }
    if (pid == 0) {
        /* Only async-signal-safe calls from here: the parent may have threads. */
        if (dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
            _exit(126);
        closefrom(3); /* the server must not keep the test's sockets or the guardian's pipe */
        if (chdir(c->dir))
            _exit(126);
        if (c->drop && (setgroups(1, &c->gid) || setgid(c->gid) || setuid(c->uid)))
            _exit(126);
        execv(path, argv);
        _exit(127);
    }
    close(fd);
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* A loopback port nothing listens on now (the kernel's pick). */
static int free_port(void)
{
    struct sockaddr_in a = {0};
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

    if (fd < 0)
        return -1;
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (!bind(fd, (struct sockaddr *)&a, sizeof(a)) &&
        !getsockname(fd, (struct sockaddr *)&a, &len))
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

/* initdb with fsync on (no --no-sync: the tests' durability is production's). */
static int run_initdb(struct pg_cluster *c)
{
    char *argv[] = {"initdb",   "-D", c->data, "-A",         "trust", "-U",
                    "postgres", "-E", "UTF8",  "--locale=C", NULL};

    return run(c, argv) == 0 ? 0 : -1;
}

static int server_start(struct pg_cluster *c)
{
    char opts[256];
    char *argv[] = {"pg_ctl", "-D", c->data, "-l", c->srvlog, "-w",
                    "-t",     "60", "-o",    opts, "start",   NULL};

    snprintf(opts, sizeof(opts),
             "-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=on -c max_connections=200",
             c->port, c->dir);
    return run(c, argv) == 0 ? 0 : -1;
}

static int server_stop(struct pg_cluster *c, const char *mode)
{
    char *argv[] = {"pg_ctl", "-D", c->data, "-m", (char *)mode, "-w", "-t", "60", "stop", NULL};

    return run(c, argv) == 0 ? 0 : -1;
}

/*
 * The guardian: a shell waiting on a pipe only we write to. "done" (from
 * pg_stop) lets it go; end of file (we died) makes it stop the server at
 * once (SIGQUIT: immediate shutdown) and remove the directory. It ignores
 * the signals a test runner's timeout sends to the whole group.
 */
static int guard_start(struct pg_cluster *c)
{
    static const char script[] =
        "trap '' INT TERM HUP\n"
        "read -r line\n"
        "[ \"$line\" = done ] && exit 0\n"
        "pid=$(head -n 1 \"$1/data/postmaster.pid\" 2>/dev/null)\n"
        "if [ -n \"$pid\" ] && kill -QUIT \"$pid\" 2>/dev/null; then\n"
        "    i=0\n"
        "    while kill -0 \"$pid\" 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done\n"
        "fi\n"
        "rm -rf \"$1\"\n";
    int fds[2];
    pid_t pid;

    if (pipe2(fds, O_CLOEXEC))
        return -1;
    pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        if (dup2(fds[0], 0) < 0) /* dup2 clears close-on-exec on 0 */
            _exit(126);
        closefrom(3);
        execl("/bin/sh", "sh", "-c", script, "pg-guard", c->dir, (char *)NULL);
        _exit(127);
    }
    close(fds[0]);
    c->guard = fds[1];
    c->guard_pid = pid;
    return 0;
}

/* Lets the guardian go: with done 0 it stops the server and removes the directory itself. */
static void guard_release(struct pg_cluster *c, int done)
{
    ssize_t w;

    if (c->guard >= 0) {
        if (done) {
            w = write(c->guard, "done\n", 5);
            (void)w;
        }
        close(c->guard);
        c->guard = -1;
    }
    if (c->guard_pid > 0) {
        while (waitpid(c->guard_pid, NULL, 0) < 0 && errno == EINTR)
            ;
        c->guard_pid = 0;
    }
}

static void remove_dir(const char *dir)
{
    char *argv[] = {"rm", "-rf", (char *)dir, NULL};
    pid_t pid = fork();

    if (pid == 0) {
        closefrom(3);
        execv("/bin/rm", argv);
        _exit(127);
    }
    if (pid > 0)
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
}

static int create_db(struct pg_cluster *c, char *err, size_t n)
{
    char conninfo[160];
    PGconn *conn;
    PGresult *res = NULL;
    int rc = -1;

    snprintf(conninfo, sizeof(conninfo),
             "host=127.0.0.1 port=%d user=postgres dbname=postgres connect_timeout=30", c->port);
    conn = PQconnectdb(conninfo);
    if (PQstatus(conn) != CONNECTION_OK) {
        snprintf(err, n, "pg: cannot connect to the new server: %s", PQerrorMessage(conn));
        goto fail;
    }
    res = PQexec(conn, "CREATE DATABASE " PG_DB_NAME);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        snprintf(err, n, "pg: CREATE DATABASE: %s", PQresultErrorMessage(res));
        goto fail;
    }
    rc = 0;
fail:
    PQclear(res);
    PQfinish(conn);
    return rc;
}

struct pg_cluster *pg_start(char *err, size_t n)
{
    struct pg_cluster *c = calloc(1, sizeof(*c));
    char initdb[640], tail[256];
    struct passwd *pw;
    int tries;

    if (!c) {
        snprintf(err, n, "pg: out of memory");
        return NULL;
    }
    c->guard = -1;
    if (find_bindir(c->bindir, sizeof(c->bindir))) {
        snprintf(err, n,
                 "pg: no PostgreSQL server installed (no /usr/lib/postgresql/*/bin and no "
                 "PEERLINE_PG_BINDIR): install the postgresql package (make test does)");
        free(c);
        return NULL;
    }
    snprintf(initdb, sizeof(initdb), "%s/initdb", c->bindir);
    if (access(initdb, X_OK)) {
        snprintf(err, n, "pg: no PostgreSQL server at %s (%s): install the postgresql package",
                 initdb, strerror(errno));
        free(c);
        return NULL;
    }
    if (geteuid() == 0) {
        pw = getpwnam("postgres");
        if (!pw) {
            snprintf(err, n, "pg: running as root, and there is no postgres user to run as");
            free(c);
            return NULL;
        }
        c->drop = 1;
        c->uid = pw->pw_uid;
        c->gid = pw->pw_gid;
    }
    snprintf(c->dir, sizeof(c->dir), "/tmp/peerline-pg-XXXXXX");
    if (!mkdtemp(c->dir)) {
        snprintf(err, n, "pg: mkdtemp: %s", strerror(errno));
        free(c);
        return NULL;
    }
    snprintf(c->data, sizeof(c->data), "%s/data", c->dir);
    snprintf(c->cmdlog, sizeof(c->cmdlog), "%s/commands.log", c->dir);
    snprintf(c->srvlog, sizeof(c->srvlog), "%s/server.log", c->dir);
    if (c->drop && chown(c->dir, c->uid, c->gid)) {
        snprintf(err, n, "pg: chown %s: %s", c->dir, strerror(errno));
        goto fail;
    }
    if (guard_start(c)) {
        snprintf(err, n, "pg: cannot start the guardian: %s", strerror(errno));
        goto fail;
    }
    if (run_initdb(c)) {
        last_line(c->cmdlog, tail, sizeof(tail));
        snprintf(err, n, "pg: initdb failed: %s", tail);
        goto fail;
    }
    /* A port the kernel says is free may be taken before the server binds it: try again. */
    for (tries = 0; tries < 5; tries++) {
        c->port = free_port();
        if (c->port > 0 && !server_start(c))
            break;
    }
    if (tries == 5) {
        last_line(c->srvlog, tail, sizeof(tail));
        snprintf(err, n, "pg: the server did not start: %s", tail);
        goto fail;
    }
    if (create_db(c, err, n))
        goto fail; /* the guardian stops the server */
    snprintf(c->uri, sizeof(c->uri), "postgresql://postgres@127.0.0.1:%d/" PG_DB_NAME, c->port);
    return c;
fail:
    guard_release(c, 0);
    remove_dir(c->dir);
    free(c);
    return NULL;
}

const char *pg_uri(const struct pg_cluster *c)
{
    return c->uri;
}

int pg_port(const struct pg_cluster *c)
{
    return c->port;
}

int pg_restart(struct pg_cluster *c, const char *mode)
{
    char tail[256];

    if (strcmp(mode, "fast") && strcmp(mode, "immediate") && strcmp(mode, "smart")) {
        fprintf(stderr, "pg_restart: unknown mode %s\n", mode);
        return -1;
    }
    if (server_stop(c, mode)) {
        last_line(c->cmdlog, tail, sizeof(tail));
        fprintf(stderr, "pg_restart: stop failed: %s\n", tail);
        return -1;
    }
    if (server_start(c)) {
        last_line(c->srvlog, tail, sizeof(tail));
        fprintf(stderr, "pg_restart: start failed: %s\n", tail);
        return -1;
    }
    return 0;
}

void pg_stop(struct pg_cluster *c)
{
    if (!c)
        return;
    /* Should both stops fail, the guardian kills the server. */
    guard_release(c, !server_stop(c, "fast") || !server_stop(c, "immediate"));
    remove_dir(c->dir);
    free(c);
}
