/*
 * sim_reach.c - see sim_reach.h. The host is read with libcurl's own URL
 * parser (curl_url), so what is checked is exactly where the request would
 * go: "http://127.0.0.1@example.org/" is example.org, "http://[::1]:80/" is
 * ::1, a number spelled oddly is whatever libcurl makes of it.
 */
#include "sim_reach.h"
#include "parse.h"

#include <curl/curl.h>
#include <string.h>
#include <strings.h>

int sim_reach_loopback(const char *url)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    const char *why;
    int ok = 0;

    if (!u || !url || curl_url_set(u, CURLUPART_URL, url, 0) ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) || curl_url_get(u, CURLUPART_HOST, &host, 0))
        goto done;
    if (strcasecmp(scheme, "http") && strcasecmp(scheme, "https"))
        goto done;
    if (host[0] == '[') { /* an IPv6 literal comes back in its brackets */
        size_t n = strlen(host);
        if (n < 3 || host[n - 1] != ']')
            goto done;
        host[n - 1] = '\0';
        ok = !parse_loopback(host + 1, &why);
    } else {
        ok = !parse_loopback(host, &why);
    }
done:
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return ok;
}

int sim_reach_allowed(const char *public_url, const char *url, const char **why)
{
    size_t k = public_url ? strlen(public_url) : 0;

    /* Under public_url: the whole of it, then a path, a query or nothing (it may end in '/'). */
    if (url && k && !strncmp(url, public_url, k) &&
        (public_url[k - 1] == '/' || url[k] == '/' || url[k] == '?' || !url[k]))
        return 1;
    if (url && sim_reach_loopback(url))
        return 1;
    *why = "the simulator sends requests only to public_url (the gateway) or a loopback address "
           "(127.0.0.0/8, ::1, localhost)";
    return 0;
}
