/*
 * diag.c - see diag.h. A growable array of formatted strings.
 */
#include "diag.h"
#include "yamltree.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct diag {
    char **msgs;
    size_t n, cap;
    size_t lost; /* problems that could not be stored for lack of memory */
    const atomic_int *cancel;
};

struct diag *diag_new(void)
{
    return calloc(1, sizeof(struct diag));
}

void diag_free(struct diag *d)
{
    size_t i;

    if (!d)
        return;
    for (i = 0; i < d->n; i++)
        free(d->msgs[i]);
    free(d->msgs);
    free(d);
}

void diag_add(struct diag *d, const char *file, int line, int col, const char *fmt, ...)
{
    char msg[1024], *s = NULL;
    va_list ap;
    int len;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (!file)
        file = "-";
    if (line > 0)
        len = snprintf(NULL, 0, "%s:%d:%d: %s", file, line, col > 0 ? col : 1, msg);
    else
        len = snprintf(NULL, 0, "%s: %s", file, msg);
    if (len < 0)
        goto fail;
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8;
        char **m = realloc(d->msgs, cap * sizeof(*m));
        if (!m)
            goto fail;
        d->msgs = m;
        d->cap = cap;
    }
    s = malloc((size_t)len + 1);
    if (!s)
        goto fail;
    if (line > 0)
        snprintf(s, (size_t)len + 1, "%s:%d:%d: %s", file, line, col > 0 ? col : 1, msg);
    else
        snprintf(s, (size_t)len + 1, "%s: %s", file, msg);
    d->msgs[d->n++] = s;
    return;
fail:
    d->lost++;
}

void diag_at(struct diag_file *f, const struct ynode *n, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    diag_add(f->d, f->name, n ? n->line : 0, n ? n->col : 0, "%s", msg);
    f->errors++;
}

size_t diag_count(const struct diag *d)
{
    return d->n + d->lost;
}

void diag_set_cancel(struct diag *d, const atomic_int *flag)
{
    d->cancel = flag;
}

int diag_cancelled(const struct diag *d)
{
    return d && d->cancel && atomic_load(d->cancel);
}

const char *diag_get(const struct diag *d, size_t i)
{
    return i < d->n ? d->msgs[i] : "out of memory";
}

void diag_print(const struct diag *d, FILE *out)
{
    size_t i;

    for (i = 0; i < diag_count(d); i++)
        fprintf(out, "%s\n", diag_get(d, i));
}
