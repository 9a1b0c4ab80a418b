/*
 * parse.c - see parse.h. Hand-written, bounded scanners: every loop stops at
 * a NUL or a limit, and numbers are accumulated with explicit overflow checks
 * instead of atoi/strtol so that "99999999999999999999s" is an error.
 */
#include "parse.h"
#include "tz.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_DURATION_MS (3650LL * 86400 * 1000)

int parse_duration(const char *s, int64_t *ms, const char **why)
{
    int64_t total = 0;
    const char *p = s;

    if (!s || !*s) {
        *why = "empty duration (write e.g. 90s, 5m, 2h or 14d)";
        return -1;
    }
    while (*p) {
        int64_t n = 0, unit;
        int digits = 0;

        while (isdigit((unsigned char)*p)) {
            n = n * 10 + (*p - '0');
            if (n > MAX_DURATION_MS) {
                *why = "duration is too long (at most 3650d)";
                return -1;
            }
            p++;
            digits++;
        }
        if (!digits) {
            *why = "duration must be a number and a unit, e.g. 90s, 5m, 2h, 14d";
            return -1;
        }
        switch (*p) {
        case 's':
            unit = 1000;
            break;
        case 'm':
            unit = 60 * 1000;
            if (p[1] == 's') { /* "ms": milliseconds */
                unit = 1;
                p++;
            }
            break;
        case 'h':
            unit = 3600 * 1000;
            break;
        case 'd':
            unit = 86400 * 1000;
            break;
        case '\0':
            *why = "duration needs a unit: ms, s, m, h or d (e.g. 90s)";
            return -1;
        default:
            *why = "unknown duration unit (use ms, s, m, h or d)";
            return -1;
        }
        p++;
        if (n > MAX_DURATION_MS / unit || total + n * unit > MAX_DURATION_MS) {
            *why = "duration is too long (at most 3650d)";
            return -1;
        }
        total += n * unit;
    }
    *ms = total;
    return 0;
}

int parse_e164(const char *s, const char **why)
{
    size_t i, n;

    if (!s || s[0] != '+') {
        *why = "phone number must be in E.164 form: + then country code and number, no spaces";
        return -1;
    }
    n = strlen(s + 1);
    for (i = 1; s[i]; i++) {
        if (!isdigit((unsigned char)s[i])) {
            *why = "phone number must be in E.164 form: only digits after the +";
            return -1;
        }
    }
    if (n < 7 || n > 15) {
        *why = "phone number must have 7 to 15 digits after the + (E.164)";
        return -1;
    }
    if (s[1] == '0') {
        *why = "phone number cannot start with +0 (E.164 country codes start 1-9)";
        return -1;
    }
    return 0;
}

int parse_hhmm(const char *s, int *minutes, const char **why)
{
    int h, m;

    if (!s || strlen(s) != 5 || !isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
        s[2] != ':' || !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4])) {
        *why = "time must be HH:MM in 24-hour form, e.g. \"18:00\"";
        return -1;
    }
    h = (s[0] - '0') * 10 + (s[1] - '0');
    m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 23 || m > 59) {
        *why = "time out of range (00:00 to 23:59)";
        return -1;
    }
    *minutes = h * 60 + m;
    return 0;
}

static int digits_at(const char *s, int n, int *out)
{
    int v = 0, i;

    for (i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int parse_date(const char *s, int64_t *days, const char **why)
{
    int y, m, d;

    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-' || digits_at(s, 4, &y) ||
        digits_at(s + 5, 2, &m) || digits_at(s + 8, 2, &d)) {
        *why = "date must be YYYY-MM-DD, e.g. 2027-06-30";
        return -1;
    }
    if (!tz_valid_date(y, m, d)) {
        *why = "no such calendar date";
        return -1;
    }
    *days = tz_days_from_civil(y, m, d);
    return 0;
}

int parse_weekday(const char *s, int *wday, const char **why)
{
    static const char *const full[] = {"sunday",   "monday", "tuesday", "wednesday",
                                       "thursday", "friday", "saturday"};
    int i;

    if (s) {
        for (i = 0; i < 7; i++) {
            if (!strcasecmp(s, full[i]) || (strlen(s) == 3 && !strncasecmp(s, full[i], 3))) {
                *wday = i;
                return 0;
            }
        }
    }
    *why = "day must be one of mon, tue, wed, thu, fri, sat, sun";
    return -1;
}

int parse_int(const char *s, long long min, long long max, long long *out, const char **why)
{
    long long v = 0;
    int neg = 0;
    const char *p = s;

    if (!s || !*s) {
        *why = "expected a whole number";
        return -1;
    }
    if (*p == '-') {
        neg = 1;
        p++;
    }
    if (!*p) {
        *why = "expected a whole number";
        return -1;
    }
    for (; *p; p++) {
        if (!isdigit((unsigned char)*p)) {
            *why = "expected a whole number";
            return -1;
        }
        if (v > (9223372036854775807LL - (*p - '0')) / 10) {
            *why = "number out of range";
            return -1;
        }
        v = v * 10 + (*p - '0');
    }
    if (neg)
        v = -v;
    if (v < min || v > max) {
        *why = "number out of range";
        return -1;
    }
    *out = v;
    return 0;
}

int parse_id(const char *s, const char **why)
{
    size_t i;

    *why = "must be 1 to 32 lower-case letters, digits, _ or -";
    if (!s || !*s || strlen(s) > 32)
        return -1;
    for (i = 0; s[i]; i++)
        if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && s[i] != '_' &&
            s[i] != '-')
            return -1;
    return 0;
}

int parse_bool(const char *s, int *out, const char **why)
{
    if (s && (!strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcasecmp(s, "on"))) {
        *out = 1;
        return 0;
    }
    if (s && (!strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcasecmp(s, "off"))) {
        *out = 0;
        return 0;
    }
    *why = "expected true or false";
    return -1;
}

int parse_listen(const char *s, char *host, size_t hostlen, int *port, int allow_zero,
                 const char **why)
{
    const char *colon, *h = s;
    size_t hl;
    long long p;

    if (!s || !*s)
        goto bad;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':')
            goto bad;
        h = s + 1;
        hl = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon)
            goto bad;
        hl = (size_t)(colon - s);
    }
    if (hl == 0 || hl >= hostlen)
        goto bad;
    if (parse_int(colon + 1, allow_zero ? 0 : 1, 65535, &p, why)) {
        *why = "port must be a number from 1 to 65535";
        return -1;
    }
    memcpy(host, h, hl);
    host[hl] = '\0';
    *port = (int)p;
    return 0;
bad:
    *why = "address must be HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080";
    return -1;
}

int parse_loopback(const char *host, const char **why)
{
    unsigned char a[16];

    if (host && !strcasecmp(host, "localhost"))
        return 0;
    if (host && inet_pton(AF_INET, host, a) == 1 && a[0] == 127)
        return 0;
    if (host && inet_pton(AF_INET6, host, a) == 1) {
        static const unsigned char one[16] = {[15] = 1}, mapped[12] = {[10] = 0xff, [11] = 0xff};
        if (!memcmp(a, one, sizeof(one)) || (!memcmp(a, mapped, sizeof(mapped)) && a[12] == 127))
            return 0;
    }
    *why = "not a loopback address (127.0.0.0/8, ::1 or localhost)";
    return -1;
}

int parse_env_expand(const char *in, char *(*getenv_fn)(const char *), char **out, char *missing,
                     size_t misslen, const char **why)
{
    size_t cap = strlen(in) + 1, len = 0;
    char *buf = malloc(cap);
    const char *p = in;

    if (!buf) {
        *why = "out of memory";
        return -1;
    }
    while (*p) {
        if (p[0] == '$' && p[1] == '{') {
            const char *name = p + 2, *end = name;
            char key[128];
            const char *val;
            size_t kl, vl;

            while (*end && (isalnum((unsigned char)*end) || *end == '_'))
                end++;
            kl = (size_t)(end - name);
            if (*end != '}' || kl == 0 || kl >= sizeof(key) || isdigit((unsigned char)*name)) {
                *why = "bad ${VAR} reference (use ${NAME} with letters, digits, _)";
                goto fail;
            }
            memcpy(key, name, kl);
            key[kl] = '\0';
            val = getenv_fn(key);
            if (!val) {
                if (misslen) {
                    strncpy(missing, key, misslen - 1);
                    missing[misslen - 1] = '\0';
                }
                *why = "environment variable is not set";
                goto fail;
            }
            vl = strlen(val);
            if (len + vl + strlen(end + 1) + 1 > cap) {
                char *nb;
                cap = len + vl + strlen(end + 1) + 1;
                nb = realloc(buf, cap);
                if (!nb) {
                    *why = "out of memory";
                    goto fail;
                }
                buf = nb;
            }
            memcpy(buf + len, val, vl);
            len += vl;
            p = end + 1;
            continue;
        }
        buf[len++] = *p++;
    }
    buf[len] = '\0';
    *out = buf;
    return 0;
fail:
    free(buf);
    return -1;
}

int parse_base64(const char *s, unsigned char *out, size_t want, const char **why)
{
    unsigned char tmp[96];
    size_t n = s ? strlen(s) : 0, pad;
    int got;

    if (!n) {
        *why = "empty base64";
        return -1;
    }
    if (n % 4) {
        *why = "base64 must be padded with = to a multiple of 4 characters";
        return -1;
    }
    if (n > sizeof(tmp) / 3 * 4) {
        *why = "base64 is too long";
        return -1;
    }
    pad = (s[n - 1] == '=') + (n > 1 && s[n - 2] == '=');
    got = EVP_DecodeBlock(tmp, (const unsigned char *)s, (int)n);
    if (got < 0) {
        *why = "not base64 (letters, digits, + and /, then = padding)";
        return -1;
    }
    if ((size_t)got - pad != want) {
        *why = "base64 of the wrong number of bytes";
        return -1;
    }
    memcpy(out, tmp, want);
    return 0;
}

int parse_ed25519_key(const char *s, unsigned char key[PARSE_ED25519_KEY_LEN], const char **why)
{
    return parse_base64(s, key, PARSE_ED25519_KEY_LEN, why);
}
