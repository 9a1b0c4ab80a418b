/*
 * log.h - logfmt lines on stderr, and the masking every log line relies on.
 *
 * Each line is `time=... level=... event=...` followed by the caller's
 * `key=value` pairs. Two tiers of failure, as in OpenSMTPD: log_warn*() on the
 * request path (the caller decides what to do), fatal*() only at start-up or
 * on a broken invariant. The *x variants do not append strerror(errno).
 *
 * Privacy rule, enforced by review and by the e2e log scan: message text never
 * reaches a log call, and phone numbers only through log_mask_phone().
 *
 * The minimum level is the one piece of process-wide state here; it is set
 * once by main() before any thread starts.
 */
#ifndef PEERLINE_LOG_H
#define PEERLINE_LOG_H

#include <stdarg.h>

#define LOG_PRINTF(f, a) __attribute__((format(printf, f, a)))

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Room for a masked number: "+1" + stars + last four, NUL-terminated. */
#define LOG_MASK_LEN 24

void log_set_level(enum log_level min);

void log_debug(const char *event, const char *fmt, ...) LOG_PRINTF(2, 3);
void log_info(const char *event, const char *fmt, ...) LOG_PRINTF(2, 3);
void log_warnx(const char *event, const char *fmt, ...) LOG_PRINTF(2, 3);
/* As log_warnx, with err="strerror(errno)" appended. */
void log_warn(const char *event, const char *fmt, ...) LOG_PRINTF(2, 3);
void log_errorx(const char *event, const char *fmt, ...) LOG_PRINTF(2, 3);

_Noreturn void fatalx(const char *event, const char *fmt, ...) LOG_PRINTF(2, 3);
_Noreturn void fatal(const char *event, const char *fmt, ...) LOG_PRINTF(2, 3);

/*
 * Writes a masked form of `number` into `buf` and returns `buf`:
 * "+15551230001" -> "+1******0001". Anything that is not a plausible number
 * is masked whole ("***"). NULL prints as "-".
 */
const char *log_mask_phone(const char *number, char buf[LOG_MASK_LEN]);

#endif
