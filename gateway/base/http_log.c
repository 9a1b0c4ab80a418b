/*
 * http_log.c - see http_log.h.
 */
#include "http_log.h"
#include "log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* Windows are measured on the monotonic clock: setting the wall clock opens none. */
static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int http_log_init(struct http_log *l)
{
    memset(l, 0, sizeof(*l));
    return pthread_mutex_init(&l->mu, NULL) ? -1 : 0;
}

void http_log_destroy(struct http_log *l)
{
    pthread_mutex_destroy(&l->mu);
}

/* Appends s to out at *n, as far as room allows (room keeps one byte for the NUL). */
static void put(char *out, size_t room, size_t *n, const char *s)
{
    while (*s && *n < room)
        out[(*n)++] = *s++;
}

char *http_log_clean(const char *msg, char *out, size_t outlen)
{
    size_t n = 0, room = outlen - 1, i;
    const char *p = msg ? msg : "";
    char digits[LOG_MASK_LEN], masked[LOG_MASK_LEN];

    if (room > HTTP_LOG_MSG_MAX)
        room = HTTP_LOG_MSG_MAX;
    while (*p && n < room) {
        unsigned char c = (unsigned char)*p;
        size_t run = strspn(p + (c == '+'), "0123456789");
        if (run >= 7) { /* a number: masked as log_mask_phone masks one, never whole */
            snprintf(digits, sizeof(digits), "+%.*s", (int)(run > 20 ? 20 : run), p + (c == '+'));
            put(out, room, &n, log_mask_phone(digits, masked));
            p += run + (c == '+');
            continue;
        }
        if (c < ' ' || c == 0x7f)
            c = ' ';
        else if (c == '"')
            c = '\'';
        else if (c == '\\')
            c = '/';
        out[n++] = (char)c;
        p++;
    }
    while (n && out[n - 1] == ' ') /* libmicrohttpd ends its messages with a newline */
        n--;
    if (*p && outlen > 4) {
        if (n > outlen - 4)
            n = outlen - 4;
        for (i = 0; i < 3; i++)
            out[n++] = '.';
    }
    out[n] = '\0';
    return out;
}

void http_log_mhd(void *cls, const char *fmt, va_list ap)
{
    struct http_log *l = cls;
    char raw[1024], clean[HTTP_LOG_MSG_MAX + 4];
    unsigned long dropped = 0;
    int64_t now = mono_ms();
    int pass;

    pthread_mutex_lock(&l->mu);
    if (now - l->window_start >= HTTP_LOG_WINDOW_MS) {
        l->window_start = now;
        l->in_window = 0;
    }
    pass = l->in_window < HTTP_LOG_BURST;
    if (pass) {
        l->in_window++;
        dropped = l->suppressed;
        l->suppressed = 0;
    } else {
        l->suppressed++;
    }
    pthread_mutex_unlock(&l->mu);
    if (!pass)
        return;
    if (dropped)
        log_warnx("http.server_suppressed", "count=%lu window_ms=%d", dropped, HTTP_LOG_WINDOW_MS);
    vsnprintf(raw, sizeof(raw), fmt, ap);
    log_warnx("http.server", "msg=\"%s\"", http_log_clean(raw, clean, sizeof(clean)));
}
