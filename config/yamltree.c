/*
 * yamltree.c - see yamltree.h. A recursive descent over libyaml events with
 * an explicit depth limit; every allocation failure and every refusal is a
 * diagnostic, and a tree is returned only when no problem was found.
 */
#include "yamltree.h"
#include "diag.h"
#include "twins.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <yaml.h>

#define YTREE_MAX_DEPTH 32

struct ybuild {
    yaml_parser_t parser;
    const char *file;
    struct diag *d;
    int failed; /* a diagnostic was added */
};

void ytree_free(struct ynode *n)
{
    size_t i;

    if (!n)
        return;
    for (i = 0; i < n->nkids; i++)
        ytree_free(n->kids[i]);
    free(n->kids);
    free(n->str);
    free(n);
}

static void yfail(struct ybuild *b, const yaml_mark_t *m, const char *msg)
{
    diag_add(b->d, b->file, (int)m->line + 1, (int)m->column + 1, "%s", msg);
    b->failed = 1;
}

/* Fetches the next event; on a syntax error records it and returns -1. */
static int next_event(struct ybuild *b, yaml_event_t *ev)
{
    if (diag_cancelled(b->d)) {
        diag_add(b->d, b->file, 0, 0, "not read to the end: the server is stopping");
        b->failed = 1;
        return -1;
    }
    if (yaml_parser_parse(&b->parser, ev))
        return 0;
    if (b->parser.problem) {
        const yaml_mark_t *m = &b->parser.problem_mark;
        if (b->parser.context)
            diag_add(b->d, b->file, (int)m->line + 1, (int)m->column + 1, "YAML syntax: %s %s",
                     b->parser.problem, b->parser.context);
        else
            diag_add(b->d, b->file, (int)m->line + 1, (int)m->column + 1, "YAML syntax: %s",
                     b->parser.problem);
    } else {
        diag_add(b->d, b->file, 0, 0, "YAML syntax error");
    }
    b->failed = 1;
    return -1;
}

/* Appends kid; the room doubles (*cap), so a long list is not copied once per item. */
static int add_kid(struct ynode *parent, struct ynode *kid, size_t *cap)
{
    if (parent->nkids == *cap) {
        size_t more = *cap ? *cap * 2 : 4;
        struct ynode **k = realloc(parent->kids, more * sizeof(*k));
        if (!k)
            return -1;
        parent->kids = k;
        *cap = more;
    }
    parent->kids[parent->nkids++] = kid;
    return 0;
}

/*
 * Reports every key of the finished mapping n that repeats an earlier one,
 * at the repeat. Sorted, not pairwise: a mapping of 200,000 keys is checked
 * in n log n comparisons. 1 when there was any (or no memory to look).
 */
static int duplicate_keys(struct ybuild *b, const struct ynode *n)
{
    size_t i, pairs = YMAP_PAIRS(n);
    const char **keys = malloc((pairs ? pairs : 1) * sizeof(*keys));
    size_t *twin = malloc((pairs ? pairs : 1) * sizeof(*twin));
    int found = 0;

    if (!keys || !twin) {
        diag_add(b->d, b->file, n->line, n->col, "out of memory");
        found = 1;
        goto done;
    }
    for (i = 0; i < pairs; i++)
        keys[i] = YMAP_KEY(n, i)->str;
    if (twins_find(keys, pairs, 0, twin)) {
        diag_add(b->d, b->file, n->line, n->col, "out of memory");
        found = 1;
        goto done;
    }
    for (i = 0; i < pairs; i++) {
        const struct ynode *k = YMAP_KEY(n, i);
        if (twin[i] == TWINS_NONE)
            continue;
        diag_add(b->d, b->file, k->line, k->col, "duplicate key \"%.100s\"", k->str);
        found = 1;
    }
done:
    if (found)
        b->failed = 1;
    free(keys);
    free(twin);
    return found;
}

static int has_anchor(struct ybuild *b, const yaml_event_t *ev)
{
    const yaml_char_t *anchor = NULL;

    if (ev->type == YAML_SCALAR_EVENT)
        anchor = ev->data.scalar.anchor;
    else if (ev->type == YAML_SEQUENCE_START_EVENT)
        anchor = ev->data.sequence_start.anchor;
    else if (ev->type == YAML_MAPPING_START_EVENT)
        anchor = ev->data.mapping_start.anchor;
    if (!anchor)
        return 0;
    yfail(b, &ev->start_mark, "YAML anchors (&name) are not allowed; write the value out");
    return 1;
}

/*
 * Builds the node that starts with event `ev` (which this function consumes
 * and deletes). Returns NULL on any problem (already recorded).
 */
static struct ynode *build_node(struct ybuild *b, yaml_event_t *ev, int depth)
{
    struct ynode *n = NULL;
    yaml_event_t kid;
    yaml_event_type_t end;
    size_t cap = 0;

    if (ev->type == YAML_ALIAS_EVENT) {
        yfail(b, &ev->start_mark, "YAML aliases (*name) are not allowed; write the value out");
        goto fail;
    }
    if (has_anchor(b, ev))
        goto fail;
    if (depth > YTREE_MAX_DEPTH) {
        yfail(b, &ev->start_mark, "nested too deeply");
        goto fail;
    }
    n = calloc(1, sizeof(*n));
    if (!n) {
        yfail(b, &ev->start_mark, "out of memory");
        goto fail;
    }
    n->line = (int)ev->start_mark.line + 1;
    n->col = (int)ev->start_mark.column + 1;
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        n->kind = YNODE_SCALAR;
        n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        n->len = ev->data.scalar.length;
        if (memchr(ev->data.scalar.value, '\0', n->len)) {
            yfail(b, &ev->start_mark, "text contains a NUL character");
            goto fail;
        }
        n->str = malloc(n->len + 1);
        if (!n->str) {
            yfail(b, &ev->start_mark, "out of memory");
            goto fail;
        }
        memcpy(n->str, ev->data.scalar.value, n->len);
        n->str[n->len] = '\0';
        yaml_event_delete(ev);
        return n;
    case YAML_SEQUENCE_START_EVENT:
        n->kind = YNODE_SEQ;
        end = YAML_SEQUENCE_END_EVENT;
        break;
    case YAML_MAPPING_START_EVENT:
        n->kind = YNODE_MAP;
        end = YAML_MAPPING_END_EVENT;
        break;
    default:
        yfail(b, &ev->start_mark, "unexpected YAML element");
        goto fail;
    }
    yaml_event_delete(ev);
    for (;;) {
        struct ynode *k;

        if (next_event(b, &kid))
            goto fail_nodel;
        if (kid.type == end) {
            yaml_event_delete(&kid);
            break;
        }
        if (n->kind == YNODE_MAP && (n->nkids % 2) == 0 && kid.type != YAML_SCALAR_EVENT &&
            kid.type != YAML_ALIAS_EVENT) {
            yfail(b, &kid.start_mark, "mapping keys must be plain names");
            yaml_event_delete(&kid);
            goto fail_nodel;
        }
        k = build_node(b, &kid, depth + 1);
        if (!k)
            goto fail_nodel;
        if (add_kid(n, k, &cap)) {
            ytree_free(k);
            diag_add(b->d, b->file, n->line, n->col, "out of memory");
            b->failed = 1;
            goto fail_nodel;
        }
    }
    if (n->kind == YNODE_MAP && duplicate_keys(b, n))
        goto fail_nodel;
    return n;
fail:
    yaml_event_delete(ev);
fail_nodel:
    ytree_free(n);
    return NULL;
}

struct ynode *ytree_parse(const char *buf, size_t len, const char *file, struct diag *d)
{
    struct ybuild b = {.file = file, .d = d};
    struct ynode *root = NULL;
    yaml_event_t ev;
    int docs = 0;

    if (!yaml_parser_initialize(&b.parser)) {
        diag_add(d, file, 0, 0, "out of memory");
        return NULL;
    }
    yaml_parser_set_input_string(&b.parser, (const unsigned char *)buf, len);
    for (;;) {
        if (next_event(&b, &ev))
            break;
        if (ev.type == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        if (ev.type == YAML_DOCUMENT_START_EVENT) {
            if (++docs > 1) {
                yfail(&b, &ev.start_mark, "only one YAML document is allowed (remove \"---\")");
                yaml_event_delete(&ev);
                break;
            }
            yaml_event_delete(&ev);
            continue;
        }
        if (ev.type == YAML_STREAM_START_EVENT || ev.type == YAML_DOCUMENT_END_EVENT) {
            yaml_event_delete(&ev);
            continue;
        }
        root = build_node(&b, &ev, 0);
        if (!root)
            break;
    }
    yaml_parser_delete(&b.parser);
    if (b.failed) {
        ytree_free(root);
        return NULL;
    }
    return root;
}

struct ynode *ytree_load(const char *path, size_t max_bytes, struct diag *d)
{
    struct ynode *root = NULL;
    struct stat st;
    char *buf = NULL;
    size_t got = 0, cap = 4096, n;
    FILE *f;

    f = fopen(path, "rb");
    if (!f) {
        diag_add(d, path, 0, 0, "cannot open: %s", strerror(errno));
        return NULL;
    }
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size > max_bytes) {
        diag_add(d, path, 0, 0, "file is larger than %zu bytes; refused", max_bytes);
        goto done;
    }
    /*
     * Sized by the file (one byte more, to see it grow), not by the limit:
     * a 4 MiB buffer for a 2 KiB roster would stay in the heap for good.
     */
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode))
        cap = (size_t)st.st_size + 1;
    for (;;) {
        char *grown;
        if (cap > max_bytes + 1)
            cap = max_bytes + 1;
        grown = realloc(buf, cap);
        if (!grown) {
            diag_add(d, path, 0, 0, "out of memory");
            goto done;
        }
        buf = grown;
        n = fread(buf + got, 1, cap - got, f);
        got += n;
        if (got < cap || cap == max_bytes + 1 || ferror(f))
            break;
        cap *= 2; /* it grew, or it is not a regular file: read on */
    }
    if (ferror(f)) {
        diag_add(d, path, 0, 0, "read error: %s", strerror(errno));
        goto done;
    }
    if (got > max_bytes) {
        diag_add(d, path, 0, 0, "file is larger than %zu bytes; refused", max_bytes);
        goto done;
    }
    root = ytree_parse(buf, got, path, d);
done:
    free(buf);
    fclose(f);
    return root;
}

struct ynode *ytree_load_map(const char *path, size_t max_bytes, struct diag *d,
                             const char *not_map)
{
    size_t before = diag_count(d);
    struct ynode *root = ytree_load(path, max_bytes, d);

    if (diag_count(d) > before)
        goto fail;
    if (!root || root->kind != YNODE_MAP) {
        diag_add(d, path, root ? root->line : 0, root ? root->col : 0, "%s", not_map);
        goto fail;
    }
    return root;
fail:
    ytree_free(root);
    return NULL;
}

const struct ynode *ymap_get(const struct ynode *map, const char *key)
{
    size_t i;

    if (!map || map->kind != YNODE_MAP)
        return NULL;
    for (i = 0; i + 1 < map->nkids; i += 2) {
        if (map->kids[i]->str && !strcmp(map->kids[i]->str, key))
            return map->kids[i + 1];
    }
    return NULL;
}

int ynode_is_null(const struct ynode *n)
{
    if (!n || n->kind != YNODE_SCALAR || !n->plain)
        return 0;
    return n->len == 0 || !strcmp(n->str, "~") || !strcasecmp(n->str, "null");
}

const char *ynode_kind_name(enum ynode_kind k)
{
    switch (k) {
    case YNODE_SCALAR:
        return "a single value";
    case YNODE_SEQ:
        return "a list";
    case YNODE_MAP:
        return "a mapping";
    }
    return "?";
}
