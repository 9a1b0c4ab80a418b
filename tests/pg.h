/*
 * pg.h - a throwaway PostgreSQL cluster for tests and benchmarks: initdb
 * into a fresh temporary directory (fsync on, as in production), a server
 * on a free loopback port, one database "peerline", and a URI to it.
 *
 * The server binaries come from PEERLINE_PG_BINDIR (`make test` sets it),
 * else the newest /usr/lib/postgresql/N/bin. As root they run as the
 * `postgres` user (initdb refuses root). Without PostgreSQL installed,
 * pg_start fails with a message saying so: a test needing it fails, never
 * skips (`make test` installs it).
 *
 * If the process using a cluster dies without pg_stop (a crash, a timeout),
 * a small guardian process it started stops that server and removes its
 * directory, so nothing is left running on a shared machine.
 */
#ifndef PEERLINE_TESTS_PG_H
#define PEERLINE_TESTS_PG_H

#include <stddef.h>

struct pg_cluster;

/* A running cluster (about 1.5 s), or NULL with a message in err. */
struct pg_cluster *pg_start(char *err, size_t n);
/* postgresql://postgres@127.0.0.1:PORT/peerline (no password: trust). */
const char *pg_uri(const struct pg_cluster *c);
int pg_port(const struct pg_cluster *c);
/*
 * Stops the server with pg_ctl's mode ("fast", "immediate" or "smart") and
 * starts it again on the same port: 0, or -1 with a message on stderr.
 * Every connection is cut.
 */
int pg_restart(struct pg_cluster *c, const char *mode);
/* Stops the server (fast), removes its directory and frees c. NULL is a no-op. */
void pg_stop(struct pg_cluster *c);

#endif
