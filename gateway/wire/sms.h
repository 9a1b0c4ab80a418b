/*
 * sms.h - what a text costs and how a long one is cut.
 *
 * A text goes out as GSM-7 when every character is in the GSM 03.38 basic
 * or extension table (160 septets in one segment, 153 per segment when
 * concatenated), otherwise as UCS-2 (70 UTF-16 units, 67 when
 * concatenated). Providers take at most 1600 characters per API call; longer
 * bodies are split on word boundaries.
 */
#ifndef PEERLINE_SMS_H
#define PEERLINE_SMS_H

#include <stddef.h>

#define SMS_MAX_CHARS 1600

/* 1 when the whole of s (UTF-8) can be sent as GSM-7. */
int sms_is_gsm7(const char *s);

/* Segments s needs as one text (0 for an empty text). */
int sms_segments(const char *s);

/* Characters (code points) in s. */
size_t sms_chars(const char *s);

/*
 * Calls fn for each part of s no longer than max_chars characters, split at
 * the last space (or newline) before the limit, or mid-word when a single
 * word is longer. Parts are NUL-terminated copies valid during the call.
 * Returns 0, or the first non-zero value fn returned, or -1 on no memory.
 */
int sms_split(const char *s, size_t max_chars, int (*fn)(void *arg, const char *part), void *arg);

#endif
