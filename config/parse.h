/*
 * parse.h - bounded parsers for the small values config, roster, commands and
 * webhooks carry: durations, phone numbers, clock times, dates, week days,
 * integers, booleans, listen addresses (and whether one is loopback), ${VAR}
 * references, base64 and Ed25519 public keys.
 *
 * All are pure: no I/O, no allocation except parse_env_expand(). Each returns
 * 0 on success, or -1 and sets *why to a static, human sentence fragment that
 * a caller prefixes with the place ("roster.yaml:12:9: ").
 */
#ifndef PEERLINE_PARSE_H
#define PEERLINE_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* Longest E.164 number with its '+', plus NUL. */
#define PARSE_E164_MAX 17

/*
 * "90s", "5m", "2h", "14d", "1h30m", "250ms" -> milliseconds. Units are
 * required; the total must not exceed 3650 days.
 */
int parse_duration(const char *s, int64_t *ms, const char **why);

/* "+" then 7 to 15 digits, the first not 0. */
int parse_e164(const char *s, const char **why);

/* "HH:MM", 00:00 to 23:59 -> minutes since midnight. */
int parse_hhmm(const char *s, int *minutes, const char **why);

/* "YYYY-MM-DD", a real calendar date -> days since 1970-01-01. */
int parse_date(const char *s, int64_t *days, const char **why);

/* "mon".."sun" (case-insensitive; full names too) -> 0 = Sunday .. 6. */
int parse_weekday(const char *s, int *wday, const char **why);

/* A decimal integer within [min, max]; no sign games, no trailing junk. */
int parse_int(const char *s, long long min, long long max, long long *out, const char **why);

/* A roster id (topics, peers, coordinators, resources): 1 to 32 of a-z, 0-9, _ and -. */
int parse_id(const char *s, const char **why);

/* true/false, yes/no, on/off (YAML 1.1 habits). */
int parse_bool(const char *s, int *out, const char **why);

/*
 * "127.0.0.1:8080", "[::1]:8080", "localhost:8080" -> host (without
 * brackets) and port 1-65535 (0 allowed when allow_zero).
 */
int parse_listen(const char *s, char *host, size_t hostlen, int *port, int allow_zero,
                 const char **why);

/*
 * 0 when host (as parse_listen gives it, without brackets) can only be this
 * machine's loopback: a numeric IPv4 address in 127.0.0.0/8, the IPv6 ::1
 * (or ::ffff:127.x.y.z), or the name "localhost" (any case). -1 with *why
 * for anything else: a wildcard (0.0.0.0, ::), another address, any other
 * name (it could resolve anywhere), or an unusual spelling ("127.1").
 */
int parse_loopback(const char *host, const char **why);

/* Bytes in an Ed25519 public key. */
#define PARSE_ED25519_KEY_LEN 32

/*
 * Strict base64 (RFC 4648, padded with '=', at most 128 characters) of
 * exactly `want` bytes (at most 96) -> out. Nothing is written to out on
 * failure.
 */
int parse_base64(const char *s, unsigned char *out, size_t want, const char **why);

/*
 * The base64 of an Ed25519 public key (32 bytes: Telnyx's webhook signing
 * key, provider.public_key) -> key. That is all libcrypto asks of one:
 * EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, ...) checks only the length.
 */
int parse_ed25519_key(const char *s, unsigned char key[PARSE_ED25519_KEY_LEN], const char **why);

/*
 * Replaces every ${NAME} in `in` with the environment's value, using
 * `getenv_fn` (getenv in production; tests pass their own). On success *out
 * is a new malloc'd string the caller frees. A missing variable fails with
 * its name copied into `missing` (up to misslen).
 */
int parse_env_expand(const char *in, char *(*getenv_fn)(const char *), char **out, char *missing,
                     size_t misslen, const char **why);

#endif
