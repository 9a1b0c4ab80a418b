/*
 * buf.h - a growable byte buffer with a hard cap, for everything fed from the
 * network (request bodies, provider responses) and for building outbound
 * form bodies. The content is always NUL-terminated for convenience.
 */
#ifndef PEERLINE_BUF_H
#define PEERLINE_BUF_H

#include <stddef.h>

struct buf {
    char *p; /* NULL until the first append */
    size_t len;
    size_t cap;
    size_t max; /* appends that would exceed it fail; 0 = no cap */
};

#define BUF_INIT(maxbytes)                                                                         \
    {                                                                                              \
        NULL, 0, 0, (maxbytes)                                                                     \
    }

/* 0 on success; -1 when the cap would be exceeded or memory ran out. */
int buf_append(struct buf *b, const void *data, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_reset(struct buf *b);
void buf_free(struct buf *b);
/* Hands the bytes to the caller (who frees them) and empties b. */
char *buf_take(struct buf *b);

#endif
