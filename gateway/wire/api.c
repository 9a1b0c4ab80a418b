/*
 * api.c - see api.h.
 */
#include "api.h"
#include "buf.h"
#include "config.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <stdio.h>

struct sink {
    struct buf *out;
    size_t max;
    int over;
};

static size_t collect(char *p, size_t size, size_t n, void *arg)
{
    struct sink *s = arg;

    if (!s->out)
        return size * n;
    if (s->out->len + size * n > s->max || buf_append(s->out, p, size * n)) {
        s->over = 1;
        return 0; /* stops the transfer */
    }
    return size * n;
}

long api_request(const struct config *cfg, const char *url, const char *form, struct buf *out,
                 size_t max)
{
    struct sink sk = {out, max, 0};
    char userpwd[512];
    long status = 0;
    CURL *c = curl_easy_init();

    if (!c)
        return 0;
    snprintf(userpwd, sizeof(userpwd), "%s:%s", cfg->provider.account_sid,
             cfg->provider.auth_token);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_USERPWD, userpwd); /* curl keeps its own copy */
    OPENSSL_cleanse(userpwd, sizeof(userpwd));
    if (form == API_DELETE)
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "DELETE");
    else if (form)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sk);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)cfg->retry.request_timeout);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    if (curl_easy_perform(c) == CURLE_OK && !sk.over)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    return status;
}
