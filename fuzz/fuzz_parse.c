/*
 * fuzz_parse.c - the value parsers of config and roster files: durations,
 * phone numbers, times, dates, weekdays, integers, booleans, listen
 * addresses (and whether one is loopback, checked against libcurl's reading
 * of it; the same bytes as a URL the simulator may be asked to fetch) and
 * ${VAR} expansion. The first byte picks the parser. Every refusal must say
 * why; every success must give a value in range.
 */
#include "fuzz.h"
#include "parse.h"
#include "sim_reach.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *fake_env(const char *name)
{
    return strcmp(name, "SET") ? NULL : (char *)"value";
}

/*
 * Whether `peerline sim --listen` takes the host as loopback, and whether
 * libcurl, reading it back from a URL, agrees: every host the listen check
 * calls loopback must be loopback where a request to it would go.
 */
static void listen_loopback(const char *host, int port)
{
    const char *why = NULL;
    char url[300];

    if (parse_loopback(host, &why)) {
        if (!why)
            abort();
        return;
    }
    snprintf(url, sizeof(url), "http://%s%s%s:%d/", strchr(host, ':') ? "[" : "", host,
             strchr(host, ':') ? "]" : "", port);
    if (!sim_reach_loopback(url))
        abort();
}

/* A URL: allowed only under public_url or at a loopback host, and a refusal says why. */
static void reach(const char *url)
{
    const char *why = NULL;
    int ok = sim_reach_allowed("http://127.0.0.1:8080", url, &why);

    if (!ok && !why)
        abort();
    if (ok && strncmp(url, "http://127.0.0.1:8080", 21) && !sim_reach_loopback(url))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s, host[256], missing[64], *out = NULL;
    const char *why = NULL;
    int64_t v64 = 0;
    long long ll = 0;
    int v = 0, port = 0, rc;

    if (size < 1)
        return 0;
    s = fuzz_cstr(data + 1, size - 1);
    if (!s)
        return 0;
    switch (data[0] % 9) {
    case 0:
        rc = parse_duration(s, &v64, &why);
        if (!rc && v64 < 0)
            abort();
        break;
    case 1:
        rc = parse_e164(s, &why);
        if (!rc && (s[0] != '+' || strlen(s) > 16))
            abort();
        break;
    case 2:
        rc = parse_hhmm(s, &v, &why);
        if (!rc && (v < 0 || v > 24 * 60))
            abort();
        break;
    case 3:
        rc = parse_date(s, &v64, &why);
        break;
    case 4:
        rc = parse_weekday(s, &v, &why);
        if (!rc && (v < 0 || v > 6))
            abort();
        break;
    case 5:
        rc = parse_int(s, -1000, 1000, &ll, &why);
        if (!rc && (ll < -1000 || ll > 1000))
            abort();
        break;
    case 6:
        rc = parse_bool(s, &v, &why);
        break;
    case 7:
        rc = parse_listen(s, host, sizeof(host), &port, 0, &why);
        if (!rc && (port < 1 || port > 65535))
            abort();
        if (!rc)
            listen_loopback(host, port);
        /* The same bytes as a URL the simulator was asked to fetch. */
        reach(s);
        break;
    default:
        rc = parse_env_expand(s, fake_env, &out, missing, sizeof(missing), &why);
        free(out);
        break;
    }
    if (rc && !why)
        abort();
    free(s);
    return 0;
}
