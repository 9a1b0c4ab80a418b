/*
 * yamltree.h - a YAML file as a small tree of scalars, sequences and
 * mappings, each node carrying its line and column.
 *
 * libyaml's event parser feeds the tree; everything a peerline file must not
 * contain is refused here, once, for both config and roster: anchors and
 * aliases (a "billion laughs" file and a confusing edit alike), more than one
 * document, duplicate keys, non-scalar keys, nesting deeper than 32, and
 * files over the caller's size cap. Scalars stay strings; the schema walkers
 * in config.c and roster.c give them meaning.
 */
#ifndef PEERLINE_YAMLTREE_H
#define PEERLINE_YAMLTREE_H

#include <stddef.h>

struct diag;

enum ynode_kind { YNODE_SCALAR, YNODE_SEQ, YNODE_MAP };

struct ynode {
    enum ynode_kind kind;
    int line, col;       /* 1-based position of the node's first character */
    int plain;           /* scalar written without quotes */
    char *str;           /* scalar text, NUL-terminated (may contain no NUL) */
    size_t len;          /* scalar length */
    struct ynode **kids; /* SEQ: items; MAP: key, value, key, value, ... */
    size_t nkids;
};

/*
 * Parses `len` bytes of `buf` (named `file` in messages). Returns the root,
 * or NULL when the document is empty or any problem was recorded in `d`
 * (check diag_count). The caller owns the tree: ytree_free().
 */
struct ynode *ytree_parse(const char *buf, size_t len, const char *file, struct diag *d);

/* Reads and parses `path`; files over max_bytes are refused unread. */
struct ynode *ytree_load(const char *path, size_t max_bytes, struct diag *d);

/*
 * ytree_load(), for a file whose top must be a mapping of keys (config and
 * roster alike): when it is anything else, or empty, `not_map` is recorded
 * (at the top's position) and NULL returned, as on any other problem.
 */
struct ynode *ytree_load_map(const char *path, size_t max_bytes, struct diag *d,
                             const char *not_map);

void ytree_free(struct ynode *n);

/* Number of key/value pairs of a mapping. */
#define YMAP_PAIRS(n)  ((n)->nkids / 2)
#define YMAP_KEY(n, i) ((n)->kids[2 * (i)])
#define YMAP_VAL(n, i) ((n)->kids[2 * (i) + 1])

/* The value under `key` in a mapping, or NULL. */
const struct ynode *ymap_get(const struct ynode *map, const char *key);

/* 1 when the scalar is a YAML null (~, null, empty, unquoted). */
int ynode_is_null(const struct ynode *n);

/* "a mapping", "a list", "text" - for messages. */
const char *ynode_kind_name(enum ynode_kind k);

#endif
