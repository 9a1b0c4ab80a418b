/*
 * log.c - see log.h. Lines are formatted into one buffer and written with a
 * single fputs so lines from different threads do not interleave.
 */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static enum log_level log_min = LOG_INFO;

void log_set_level(enum log_level min)
{
    log_min = min;
}

static const char *level_name(enum log_level lvl)
{
    switch (lvl) {
    case LOG_DEBUG:
        return "debug";
    case LOG_INFO:
        return "info";
    case LOG_WARN:
        return "warn";
    case LOG_ERROR:
        return "error";
    }
    return "?";
}

static void vlog(enum log_level lvl, int errnum, const char *event, const char *fmt, va_list ap)
{
    char line[2048];
    struct timespec ts;
    struct tm tm;
    size_t n;
    int r;

    if (lvl < log_min)
        return;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    n = strftime(line, sizeof(line), "time=%Y-%m-%dT%H:%M:%S", &tm);
    r = snprintf(line + n, sizeof(line) - n, ".%03ldZ level=%s event=%s", ts.tv_nsec / 1000000,
                 level_name(lvl), event);
    if (r > 0)
        n += (size_t)r;
    if (fmt && *fmt && n < sizeof(line) - 1) {
        r = vsnprintf(line + n + 1, sizeof(line) - n - 1, fmt, ap);
        if (r > 0) { /* the caller's key=value pairs, after one space */
            line[n] = ' ';
            n += (size_t)r + 1;
        }
    }
    if (n >= sizeof(line) - 1)
        n = sizeof(line) - 2;
    if (errnum) {
        r = snprintf(line + n, sizeof(line) - n, " err=\"%s\"", strerror(errnum));
        if (r > 0)
            n += (size_t)r;
        if (n >= sizeof(line) - 1)
            n = sizeof(line) - 2;
    }
    line[n++] = '\n';
    line[n] = '\0';
    fputs(line, stderr);
}

#define LOG_BODY(lvl, errnum)                                                                      \
    do {                                                                                           \
        va_list ap;                                                                                \
        va_start(ap, fmt);                                                                         \
        vlog(lvl, errnum, event, fmt, ap);                                                         \
        va_end(ap);                                                                                \
    } while (0)

void log_debug(const char *event, const char *fmt, ...)
{
    LOG_BODY(LOG_DEBUG, 0);
}

void log_info(const char *event, const char *fmt, ...)
{
    LOG_BODY(LOG_INFO, 0);
}

void log_warnx(const char *event, const char *fmt, ...)
{
    LOG_BODY(LOG_WARN, 0);
}

void log_warn(const char *event, const char *fmt, ...)
{
    int saved = errno;
    LOG_BODY(LOG_WARN, saved);
}

void log_errorx(const char *event, const char *fmt, ...)
{
    LOG_BODY(LOG_ERROR, 0);
}

void fatalx(const char *event, const char *fmt, ...)
{
    LOG_BODY(LOG_ERROR, 0);
    exit(1);
}

void fatal(const char *event, const char *fmt, ...)
{
    int saved = errno;
    LOG_BODY(LOG_ERROR, saved);
    exit(1);
}

const char *log_mask_phone(const char *number, char buf[LOG_MASK_LEN])
{
    size_t len, i;

    if (!number) {
        snprintf(buf, LOG_MASK_LEN, "-");
        return buf;
    }
    len = strlen(number);
    if (len < 8 || len > LOG_MASK_LEN - 1 || number[0] != '+') {
        snprintf(buf, LOG_MASK_LEN, "***");
        return buf;
    }
    for (i = 0; i < len; i++) {
        if (i < 2 || i >= len - 4)
            buf[i] = number[i];
        else
            buf[i] = '*';
    }
    buf[len] = '\0';
    return buf;
}
