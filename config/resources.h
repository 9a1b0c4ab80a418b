/*
 * resources.h - the roster's `resources:` (SPEC section 11): vetted texts
 * coordinators write once (a helpline, a local service), each with an id
 * a peer types (#res ID), a label, the topics it fits and its words in
 * each language. They are part of the roster snapshot (roster.h), so a
 * reload that changes one swaps it with everything else; nothing keeps a
 * copy.
 *
 * This file reads and checks each entry where it stands (keys, id, label,
 * topics, languages, empty texts, repeated ids), with line and column.
 * What needs the config (every language the line ships and offers, the
 * segment count) is judged with the pair, in gateway/engine/rescheck.c.
 */
#ifndef PEERLINE_RESOURCES_H
#define PEERLINE_RESOURCES_H

#include <stddef.h>

struct diag_file;
struct roster;
struct ynode;

/* A label is shown in #res lists and confirmations: at most this many characters. */
#define RESOURCE_LABEL_MAX 40

struct roster_resource_text {
    char *lang; /* a language code: "en", "es", ... */
    char *text; /* what the texter reads, never empty */
    int line, col;
};

struct roster_resource {
    char *id;    /* lower-case, unique among resources */
    char *label; /* "988 Lifeline" */
    int *topics; /* indices into roster.topics; none: every topic */
    size_t ntopics;
    struct roster_resource_text *texts;
    size_t ntexts;
    int line, col;           /* the entry, for problems found with the config */
    int text_line, text_col; /* its `text:` key */
};

/*
 * Reads the `resources:` list `seq` into r->resources (r's topics already
 * loaded). Each problem goes to f at its place; entries with problems are
 * left out.
 */
void resources_load(struct diag_file *f, const struct ynode *seq, struct roster *r);
void resources_free(struct roster_resource *res, size_t n);

/* The resource with this id, any case; NULL when there is none. */
const struct roster_resource *resources_find(const struct roster_resource *res, size_t n,
                                             const char *id);
/* Its text in language `lang`, or NULL. */
const char *resource_text(const struct roster_resource *res, const char *lang);
/* 1 when it fits topic index t (it lists t, or lists no topics). */
int resource_fits_topic(const struct roster_resource *res, int t);

#endif
