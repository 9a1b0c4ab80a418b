/*
 * form.h - application/x-www-form-urlencoded bodies: a strict parser for
 * webhooks and an encoder for provider requests.
 *
 * The parser keeps every parameter, in order, duplicates included, because a
 * Twilio signature covers all of them. It refuses bad percent escapes, NUL
 * bytes, invalid UTF-8, empty keys and more than FORM_MAX_PARAMS pairs, and
 * says where.
 */
#ifndef PEERLINE_FORM_H
#define PEERLINE_FORM_H

#include <stddef.h>

struct buf;

#define FORM_MAX_PARAMS 256

struct form_param {
    char *key;   /* decoded, NUL-terminated */
    char *value; /* decoded, NUL-terminated */
};

struct form {
    struct form_param *params;
    size_t n;
};

/*
 * Parses body[0..len). On success fills *f (free with form_free) and returns
 * 0. On failure returns -1, leaves *f empty, and sets *why and *where (the
 * byte offset of the problem).
 */
int form_parse(const char *body, size_t len, struct form *f, const char **why, size_t *where);
void form_free(struct form *f);

/* The first value of `key`, or NULL. */
const char *form_get(const struct form *f, const char *key);

/* Appends "key=value" (with a leading '&' unless b is empty), percent-encoded. */
int form_add(struct buf *b, const char *key, const char *value);
/* The value of one hex digit (either case), -1 for any other character. */
int form_hexval(char c);

#endif
