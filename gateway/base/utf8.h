/*
 * utf8.h - strict UTF-8 decoding (RFC 3629: no overlongs, no surrogates,
 * nothing above U+10FFFF). Everything peerline stores or relays is valid
 * UTF-8; input that is not is refused at the edge.
 */
#ifndef PEERLINE_UTF8_H
#define PEERLINE_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Decodes one code point from s[0..len). Returns its byte length (1-4) and
 * sets *cp, or 0 when the bytes there are not valid UTF-8.
 */
size_t utf8_next(const char *s, size_t len, uint32_t *cp);

/* 1 when all of s[0..len) is valid UTF-8 without NUL bytes. */
int utf8_valid(const char *s, size_t len);

/*
 * The byte length of the first max_chars characters (code points) of
 * s[0..len), all of it when it has no more: a cut there never splits a
 * character of valid UTF-8. A byte that does not decode counts as one
 * character, as sms_chars() counts it.
 */
size_t utf8_prefix(const char *s, size_t len, size_t max_chars);

/*
 * Copies src into dst (n bytes, NUL included) as valid UTF-8: whole
 * characters only (a cut never splits one), a byte that does not decode as
 * '?'. For text from outside that is stored (PostgreSQL refuses text that
 * is not UTF-8). Returns the bytes written, NUL not counted.
 */
size_t utf8_copy(char *dst, size_t n, const char *src);

#endif
