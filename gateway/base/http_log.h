/*
 * http_log.h - what libmicrohttpd itself has to say, in the project's log.
 *
 * libmicrohttpd prints its own messages ("Server reached connection
 * limit...", "Failed to parse `Content-Length' header...") on stderr as
 * bare text lines, one per event, so a crowd or a fuzzer at the door
 * floods the log with lines no logfmt reader can parse, and a message that
 * quotes a request could carry a number. Routed here instead
 * (MHD_OPTION_EXTERNAL_LOGGER), each is one logfmt line at warn,
 * `event=http.server msg="..."`, cleaned: one line, at most
 * HTTP_LOG_MSG_MAX bytes, no quote or control byte, every run of seven or
 * more digits masked as a phone number is. And rate-limited: at most
 * HTTP_LOG_BURST lines every HTTP_LOG_WINDOW_MS; past that they are only
 * counted, and the count is logged (`event=http.server_suppressed
 * count=N`) before the next line let through.
 */
#ifndef PEERLINE_HTTP_LOG_H
#define PEERLINE_HTTP_LOG_H

#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_LOG_BURST     10
#define HTTP_LOG_WINDOW_MS 10000
#define HTTP_LOG_MSG_MAX   240

struct http_log {
    pthread_mutex_t mu;
    int64_t window_start; /* ms, monotonic */
    unsigned in_window;   /* lines logged in this window */
    unsigned long suppressed;
};

/* 0, or -1 when the mutex cannot be made. */
int http_log_init(struct http_log *l);
void http_log_destroy(struct http_log *l);
/* libmicrohttpd's MHD_LogCallback: cls is the struct http_log. */
void http_log_mhd(void *cls, const char *fmt, va_list ap);
/*
 * Writes the cleaned form of msg into out (outlen > 0; NUL-terminated,
 * at most HTTP_LOG_MSG_MAX bytes of text and a "..." when cut) and returns
 * out.
 */
char *http_log_clean(const char *msg, char *out, size_t outlen);

#endif
