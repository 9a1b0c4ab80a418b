/*
 * roster.c - loads roster.yaml into a struct roster (see roster.h).
 *
 * Three passes, as in OpenSMTPD's parse.y: the YAML tree (yamltree.c), a
 * walk that checks each value where it stands (type, form, unknown keys), and
 * a pass over the whole that checks meaning (duplicates, references, at least
 * one on-call coordinator). Every problem is reported with its line and
 * column; the roster is returned only when there were none.
 */
#include "roster.h"
#include "diag.h"
#include "parse.h"
#include "resources.h"
#include "twins.h"
#include "tz.h"
#include "yamltree.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct rload {
    struct roster *r;
    struct diag_file file;
    const char *zoneinfo;
    /* The YAML node each loaded entry came from, for positions in check_whole(). */
    const struct ynode **peer_nodes, **coord_nodes, **blocked_nodes;
    /* Per topic, the last peer (1-based) that listed it: a repeat in one peer's list. */
    size_t *topic_seen;
};

/* Checks that every key of `map` is in the NULL-terminated `allowed`. */
static void only_keys(struct rload *L, const struct ynode *map, const char *what,
                      const char *const *allowed)
{
    size_t i, j;

    for (i = 0; i < YMAP_PAIRS(map); i++) {
        const struct ynode *k = YMAP_KEY(map, i);
        for (j = 0; allowed[j]; j++)
            if (!strcmp(allowed[j], k->str))
                break;
        if (!allowed[j])
            diag_at(&L->file, k, "unknown key \"%s\" in %s", k->str, what);
    }
}

/* A non-empty scalar, or NULL with a diagnostic (at `at` when n is missing). */
static const char *need_str(struct rload *L, const struct ynode *map, const char *key,
                            const char *what)
{
    const struct ynode *n = ymap_get(map, key);

    if (!n || ynode_is_null(n)) {
        diag_at(&L->file, n ? n : map, "%s: missing %s", what, key);
        return NULL;
    }
    if (n->kind != YNODE_SCALAR || n->len == 0) {
        diag_at(&L->file, n, "%s: %s must be a single value", what, key);
        return NULL;
    }
    return n->str;
}

static const struct ynode *opt_seq(struct rload *L, const struct ynode *map, const char *key,
                                   const char *what)
{
    const struct ynode *n = ymap_get(map, key);

    if (!n || ynode_is_null(n))
        return NULL;
    if (n->kind != YNODE_SEQ) {
        diag_at(&L->file, n, "%s: %s must be a list, e.g. [a, b]", what, key);
        return NULL;
    }
    return n;
}

static int opt_bool(struct rload *L, const struct ynode *map, const char *key, int def)
{
    const struct ynode *n = ymap_get(map, key);
    const char *why;
    int v;

    if (!n)
        return def;
    if (n->kind != YNODE_SCALAR || parse_bool(n->str, &v, &why)) {
        diag_at(&L->file, n, "%s must be true or false", key);
        return def;
    }
    return v;
}

static int valid_id(const char *s)
{
    const char *why;

    return !parse_id(s, &why);
}

static char *lower_dup(const char *s)
{
    char *d = strdup(s), *p;

    if (d)
        for (p = d; *p; p++)
            *p = (char)tolower((unsigned char)*p);
    return d;
}

static const struct tz *zone(struct rload *L, const struct ynode *n)
{
    struct roster *r = L->r;
    struct tz **zs, *z;
    char err[256];
    size_t i;

    for (i = 0; i < r->nzones; i++)
        if (!strcmp(tz_name(r->zones[i]), n->str))
            return r->zones[i];
    z = tz_load(n->str, L->zoneinfo, err, sizeof(err));
    if (!z) {
        diag_at(&L->file, n, "%s (use an IANA name such as America/New_York)", err);
        return NULL;
    }
    zs = realloc(r->zones, (r->nzones + 1) * sizeof(*zs));
    if (!zs) {
        tz_free(z);
        diag_at(&L->file, n, "out of memory");
        return NULL;
    }
    zs[r->nzones++] = z;
    r->zones = zs;
    return z;
}

static int lang_intern(struct rload *L, const struct ynode *n)
{
    struct roster *r = L->r;
    size_t i, len = n->len;

    if (n->kind != YNODE_SCALAR || len < 2 || len > 3) {
        diag_at(&L->file, n, "language must be a 2- or 3-letter code such as en or es");
        return -1;
    }
    for (i = 0; i < len; i++) {
        if (!islower((unsigned char)n->str[i])) {
            diag_at(&L->file, n, "language must be a lower-case code such as en or es");
            return -1;
        }
    }
    for (i = 0; i < r->nlangs; i++)
        if (!strcmp(r->langs[i], n->str))
            return (int)i;
    if (r->nlangs == ROSTER_LANG_MAX) {
        diag_at(&L->file, n, "too many languages (at most %d)", ROSTER_LANG_MAX);
        return -1;
    }
    r->langs[r->nlangs] = strdup(n->str);
    if (!r->langs[r->nlangs]) {
        diag_at(&L->file, n, "out of memory");
        return -1;
    }
    return (int)r->nlangs++;
}

/* A topic's id as need_str() would take it, or NULL. */
static const char *topic_id_of(const struct ynode *t)
{
    const struct ynode *id = t->kind == YNODE_MAP ? ymap_get(t, "id") : NULL;

    if (!id || ynode_is_null(id) || id->kind != YNODE_SCALAR || id->len == 0)
        return NULL;
    return id->str;
}

static int cmp_topic_id(const void *a, const void *b)
{
    const struct roster_topic *x = *(const struct roster_topic *const *)a;
    const struct roster_topic *y = *(const struct roster_topic *const *)b;

    return strcmp(x->id, y->id);
}

/* The topics sorted by id, for roster_topic_index()'s binary search. */
static void index_topics(struct rload *L)
{
    struct roster *r = L->r;
    size_t i;

    r->topics_by_id = calloc(r->ntopics + 1, sizeof(*r->topics_by_id));
    if (!r->topics_by_id) {
        diag_at(&L->file, NULL, "out of memory");
        return;
    }
    for (i = 0; i < r->ntopics; i++) {
        if (!r->topics[i].id) { /* out of memory, said already: no index */
            free(r->topics_by_id);
            r->topics_by_id = NULL;
            return;
        }
        r->topics_by_id[i] = &r->topics[i];
    }
    qsort(r->topics_by_id, r->ntopics, sizeof(*r->topics_by_id), cmp_topic_id);
}

static void load_topics(struct rload *L, const struct ynode *seq)
{
    static const char *const allowed[] = {"id", "label", "keywords", NULL};
    struct roster *r = L->r;
    const char **ids = calloc(seq->nkids + 1, sizeof(*ids));
    size_t *twin = calloc(seq->nkids + 1, sizeof(*twin));
    size_t i, j;

    r->topics = calloc(seq->nkids + 1, sizeof(*r->topics));
    if (!r->topics || !ids || !twin) {
        diag_at(&L->file, seq, "out of memory");
        goto done;
    }
    for (i = 0; i < seq->nkids; i++)
        ids[i] = topic_id_of(seq->kids[i]);
    if (twins_find(ids, seq->nkids, 0, twin)) {
        diag_at(&L->file, seq, "out of memory");
        goto done;
    }
    for (i = 0; i < seq->nkids; i++) {
        const struct ynode *t = seq->kids[i], *kw;
        struct roster_topic *rt = &r->topics[r->ntopics];
        const char *id, *label;

        if (t->kind != YNODE_MAP) {
            diag_at(&L->file, t, "each topic must be a mapping with id, label and keywords");
            continue;
        }
        only_keys(L, t, "topic", allowed);
        id = need_str(L, t, "id", "topic");
        if (!id)
            continue;
        if (!valid_id(id)) {
            diag_at(&L->file, ymap_get(t, "id"),
                    "topic id \"%s\" must be lower-case letters, digits, _ or -", id);
            continue;
        }
        /* The same id earlier is valid too, so it was taken (or its own twin was). */
        if (twin[i] != TWINS_NONE) {
            diag_at(&L->file, ymap_get(t, "id"), "duplicate topic id \"%s\"", id);
            continue;
        }
        label = ymap_get(t, "label") ? need_str(L, t, "label", "topic") : id;
        rt->id = strdup(id);
        rt->label = strdup(label ? label : id);
        kw = opt_seq(L, t, "keywords", "topic");
        if (kw) {
            rt->keywords = calloc(kw->nkids + 1, sizeof(char *));
            for (j = 0; rt->keywords && j < kw->nkids; j++) {
                const struct ynode *k = kw->kids[j];
                long long dummy;
                const char *why;

                if (k->kind != YNODE_SCALAR || k->len == 0) {
                    diag_at(&L->file, k, "a keyword must be a word");
                    continue;
                }
                if (!parse_int(k->str, 0, 1000000, &dummy, &why)) {
                    diag_at(&L->file, k, "keyword \"%s\" is a number; numbers are menu choices",
                            k->str);
                    continue;
                }
                rt->keywords[rt->nkeywords++] = lower_dup(k->str);
            }
        }
        r->ntopics++;
    }
    index_topics(L);
    r->general = roster_topic_index(r, "general");
done:
    free(ids);
    free(twin);
}

/* The topic id written in a topic's mapping, or "?". */
static const char *topic_node_id(const struct ynode *t)
{
    const struct ynode *id = ymap_get(t, "id");

    return id && id->kind == YNODE_SCALAR ? id->str : "?";
}

/* A keyword picks one topic: report each repeat at the repeated keyword. */
static void check_keywords(struct rload *L, const struct ynode *seq)
{
    const struct ynode **node;
    const char **word;
    size_t *owner, *twin, b, j, n = 0, total = 0;

    for (b = 0; b < seq->nkids; b++) {
        const struct ynode *kb = ymap_get(seq->kids[b], "keywords");
        if (kb && kb->kind == YNODE_SEQ)
            total += kb->nkids;
    }
    node = calloc(total + 1, sizeof(*node));
    word = calloc(total + 1, sizeof(*word));
    owner = calloc(total + 1, sizeof(*owner));
    twin = calloc(total + 1, sizeof(*twin));
    if (!node || !word || !owner || !twin) {
        diag_at(&L->file, seq, "out of memory");
        goto done;
    }
    for (b = 0; b < seq->nkids; b++) {
        const struct ynode *kb = ymap_get(seq->kids[b], "keywords");

        for (j = 0; kb && kb->kind == YNODE_SEQ && j < kb->nkids; j++) {
            if (kb->kids[j]->kind != YNODE_SCALAR)
                continue;
            node[n] = kb->kids[j];
            word[n] = kb->kids[j]->str;
            owner[n++] = b;
        }
    }
    if (twins_find(word, n, 1, twin)) {
        diag_at(&L->file, seq, "out of memory");
        goto done;
    }
    for (j = 0; j < n; j++) {
        if (twin[j] == TWINS_NONE)
            continue;
        if (owner[twin[j]] == owner[j])
            diag_at(&L->file, node[j], "keyword \"%s\" is listed twice in topic %s", word[j],
                    topic_node_id(seq->kids[owner[j]]));
        else
            diag_at(&L->file, node[j], "keyword \"%s\" is already used by topic %s", word[j],
                    topic_node_id(seq->kids[owner[twin[j]]]));
    }
done:
    free(node);
    free(word);
    free(owner);
    free(twin);
}

static void load_shifts(struct rload *L, const struct ynode *seq, struct roster_peer *p)
{
    static const char *const allowed[] = {"days", "start", "end", NULL};
    size_t i, j;

    p->shifts = calloc(seq->nkids + 1, sizeof(*p->shifts));
    if (!p->shifts) {
        diag_at(&L->file, seq, "out of memory");
        return;
    }
    for (i = 0; i < seq->nkids; i++) {
        const struct ynode *s = seq->kids[i], *days, *n;
        struct roster_shift sh = {0};
        const char *why;
        int ok = 1;

        if (s->kind != YNODE_MAP) {
            diag_at(&L->file, s, "each shift must be a mapping with days, start and end");
            continue;
        }
        only_keys(L, s, "shift", allowed);
        days = ymap_get(s, "days");
        if (!days || days->kind != YNODE_SEQ || days->nkids == 0) {
            diag_at(&L->file, days ? days : s,
                    "shift: days must be a list such as [mon, wed, fri]");
            ok = 0;
        }
        for (j = 0; days && days->kind == YNODE_SEQ && j < days->nkids; j++) {
            int wd;
            if (days->kids[j]->kind != YNODE_SCALAR ||
                parse_weekday(days->kids[j]->str, &wd, &why)) {
                diag_at(&L->file, days->kids[j], "%s",
                        "day must be one of mon, tue, wed, thu, fri, sat, sun");
                ok = 0;
                continue;
            }
            sh.days |= (uint8_t)(1u << wd);
        }
        n = ymap_get(s, "start");
        if (!n || n->kind != YNODE_SCALAR || parse_hhmm(n->str, &sh.start, &why)) {
            diag_at(&L->file, n ? n : s, "shift start: %s",
                    n ? "time must be HH:MM in 24-hour form, e.g. \"18:00\"" : "missing");
            ok = 0;
        }
        n = ymap_get(s, "end");
        if (!n || n->kind != YNODE_SCALAR || parse_hhmm(n->str, &sh.end, &why)) {
            diag_at(&L->file, n ? n : s, "shift end: %s",
                    n ? "time must be HH:MM in 24-hour form, e.g. \"23:30\"" : "missing");
            ok = 0;
        }
        if (ok && sh.start == sh.end) {
            diag_at(&L->file, n, "shift end equals its start; a shift needs a length");
            ok = 0;
        }
        if (ok)
            p->shifts[p->nshifts++] = sh;
    }
}

static void load_peer(struct rload *L, const struct ynode *m, struct roster_peer *p)
{
    static const char *const allowed[] = {
        "id",       "name",   "phone",         "topics",         "languages", "max_conversations",
        "timezone", "shifts", "trained_until", "crisis_trained", "voice",     "trainee",
        "mentor",   NULL};
    struct roster *r = L->r;
    const struct ynode *n, *seq;
    const char *s, *why;
    size_t i;

    only_keys(L, m, "peer", allowed);
    if ((s = need_str(L, m, "id", "peer"))) {
        if (!valid_id(s))
            diag_at(&L->file, ymap_get(m, "id"),
                    "peer id \"%s\" must be lower-case letters, digits, _ or -", s);
        p->id = strdup(s);
    }
    if ((s = need_str(L, m, "name", "peer"))) {
        if (strlen(s) > 24 || strpbrk(s, "0123456789+@"))
            diag_at(
                &L->file, ymap_get(m, "name"),
                "peer name must be a first name (texters see it): no digits, at most 24 letters");
        p->name = strdup(s);
    }
    if ((s = need_str(L, m, "phone", "peer"))) {
        if (parse_e164(s, &why))
            diag_at(&L->file, ymap_get(m, "phone"), "peer phone: %s", why);
        p->phone = strdup(s);
    }
    /* A trainee reads along with chats of any topic: topics, if listed, narrow them. */
    p->trainee = opt_bool(L, m, "trainee", 0);
    p->mentor = -1;
    seq = opt_seq(L, m, "topics", "peer");
    if ((!seq || seq->nkids == 0) && !p->trainee) {
        diag_at(&L->file, ymap_get(m, "topics") ? ymap_get(m, "topics") : m,
                "peer %s has no topics; list at least one topic id", p->id ? p->id : "?");
    } else if (seq && seq->nkids) {
        p->topics = calloc(seq->nkids, sizeof(int));
        if (!p->topics || !L->topic_seen)
            diag_at(&L->file, seq, "out of memory");
        for (i = 0; p->topics && L->topic_seen && i < seq->nkids; i++) {
            const struct ynode *t = seq->kids[i];
            int ti = t->kind == YNODE_SCALAR ? roster_topic_index(r, t->str) : -1;
            if (ti < 0) {
                diag_at(&L->file, t, "unknown topic \"%s\"",
                        t->kind == YNODE_SCALAR ? t->str : "?");
                continue;
            }
            if (L->topic_seen[ti] == r->npeers) {
                diag_at(&L->file, t, "topic \"%s\" is listed twice", t->str);
                continue;
            }
            L->topic_seen[ti] = r->npeers;
            p->topics[p->ntopics++] = ti;
        }
    }
    seq = opt_seq(L, m, "languages", "peer");
    if (seq && seq->nkids == 0)
        diag_at(&L->file, seq, "peer languages must not be empty (default is [en])");
    for (i = 0; seq && i < seq->nkids; i++) {
        int li = lang_intern(L, seq->kids[i]);
        if (li >= 0)
            p->langs |= 1ull << li;
    }
    if (!ymap_get(m, "languages"))
        p->langs = 1; /* langs[0] is "en" */
    p->max_conversations = 1;
    if ((n = ymap_get(m, "max_conversations"))) {
        long long v;
        if (n->kind != YNODE_SCALAR || parse_int(n->str, 1, 20, &v, &why))
            diag_at(&L->file, n, "max_conversations must be a whole number from 1 to 20");
        else
            p->max_conversations = (int)v;
    }
    p->tz = r->tz;
    if ((n = ymap_get(m, "timezone"))) {
        if (n->kind != YNODE_SCALAR)
            diag_at(&L->file, n, "timezone must be an IANA name such as America/Chicago");
        else
            p->tz = zone(L, n);
    }
    if ((seq = opt_seq(L, m, "shifts", "peer")))
        load_shifts(L, seq, p);
    p->trained_until = INT64_MAX;
    if ((n = ymap_get(m, "trained_until"))) {
        if (n->kind != YNODE_SCALAR || parse_date(n->str, &p->trained_until, &why))
            diag_at(&L->file, n, "trained_until: %s",
                    n->kind == YNODE_SCALAR ? why : "must be a date");
    }
    p->crisis_trained = opt_bool(L, m, "crisis_trained", 0);
    p->voice = opt_bool(L, m, "voice", 0);
    if (p->trainee && p->voice)
        diag_at(&L->file, ymap_get(m, "voice"),
                "a trainee is never rung for calls: remove voice: true from peer %s",
                p->id ? p->id : "?");
    /* Who the mentor is can only be told once every peer is read: check_mentors(). */
    n = ymap_get(m, "mentor");
    if (n && (n->kind != YNODE_SCALAR || n->len == 0))
        diag_at(&L->file, n, "mentor must be a peer id");
}

static void load_coordinator(struct rload *L, const struct ynode *m, struct roster_coordinator *c)
{
    static const char *const allowed[] = {"id", "name", "phone", "on_call", NULL};
    const char *s, *why;

    only_keys(L, m, "coordinator", allowed);
    if ((s = need_str(L, m, "id", "coordinator"))) {
        if (!valid_id(s))
            diag_at(&L->file, ymap_get(m, "id"),
                    "coordinator id \"%s\" must be lower-case letters, digits, _ or -", s);
        c->id = strdup(s);
    }
    if ((s = need_str(L, m, "name", "coordinator"))) {
        /* A coordinator who takes a chat (#take REF) is introduced to the texter by it. */
        if (strlen(s) > 24 || strpbrk(s, "0123456789+@"))
            diag_at(&L->file, ymap_get(m, "name"),
                    "coordinator name must be a first name (texters may see it): no digits, at "
                    "most 24 letters");
        c->name = strdup(s);
    }
    if ((s = need_str(L, m, "phone", "coordinator"))) {
        if (parse_e164(s, &why))
            diag_at(&L->file, ymap_get(m, "phone"), "coordinator phone: %s", why);
        c->phone = strdup(s);
    }
    c->on_call = opt_bool(L, m, "on_call", 0);
}

static int cmp_peer_phone(const void *a, const void *b)
{
    const struct roster_peer *x = *(const struct roster_peer *const *)a;
    const struct roster_peer *y = *(const struct roster_peer *const *)b;
    return strcmp(x->phone, y->phone);
}

static int cmp_coord_phone(const void *a, const void *b)
{
    const struct roster_coordinator *x = *(const struct roster_coordinator *const *)a;
    const struct roster_coordinator *y = *(const struct roster_coordinator *const *)b;
    return strcmp(x->phone, y->phone);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *or_q(const char *s)
{
    return s ? s : "?";
}

/*
 * Who shares a number, found by sorting (twins.h) the peers' phones followed
 * by n more (coordinators' or blocked numbers, `more`): first[i], the first
 * entry with entry i's number (i itself when none before); next[i] for a
 * peer, the next peer with its number (TWINS_NONE after the last). So every
 * peer with an entry's number is first[i], next[first[i]], ... while below
 * r->npeers. 0, or -1 out of memory (said).
 */
struct phone_groups {
    size_t *first, *next;
};

static int phone_groups(struct rload *L, const char *const *more, size_t n, struct phone_groups *g)
{
    struct roster *r = L->r;
    size_t all = r->npeers + n, i;
    const char **keys = calloc(all + 1, sizeof(*keys));
    size_t *tail = calloc(all + 1, sizeof(*tail));

    g->first = calloc(all + 1, sizeof(*g->first));
    g->next = calloc(all + 1, sizeof(*g->next));
    if (!keys || !tail || !g->first || !g->next)
        goto fail;
    for (i = 0; i < r->npeers; i++)
        keys[i] = r->peers[i].phone;
    for (i = 0; i < n; i++)
        keys[r->npeers + i] = more[i];
    if (twins_find(keys, all, 0, g->first))
        goto fail;
    for (i = 0; i < all; i++) {
        if (g->first[i] == TWINS_NONE)
            g->first[i] = i;
        tail[i] = TWINS_NONE;
    }
    for (i = 0; i < r->npeers; i++) {
        size_t head = g->first[i];
        g->next[i] = TWINS_NONE;
        if (tail[head] != TWINS_NONE)
            g->next[tail[head]] = i;
        tail[head] = i;
    }
    free(keys);
    free(tail);
    return 0;
fail:
    diag_at(&L->file, NULL, "out of memory");
    free(keys);
    free(tail);
    free(g->first);
    free(g->next);
    g->first = g->next = NULL;
    return -1;
}

static void phone_groups_free(struct phone_groups *g)
{
    free(g->first);
    free(g->next);
}

/* Twins of a field of each peer (ids) or coordinator (ids, phones). NULL out of memory (said). */
static size_t *field_twins(struct rload *L, const char **keys, size_t n)
{
    size_t *twin = calloc(n + 1, sizeof(*twin));

    if (!keys || !twin || twins_find(keys, n, 0, twin)) {
        diag_at(&L->file, NULL, "out of memory");
        free(twin);
        twin = NULL;
    }
    free(keys);
    return twin;
}

static void check_peers(struct rload *L)
{
    struct roster *r = L->r;
    const char **ids = calloc(r->npeers + 1, sizeof(*ids));
    struct phone_groups g;
    size_t *by_id, i;
    int grouped = !phone_groups(L, NULL, 0, &g);

    for (i = 0; ids && i < r->npeers; i++)
        ids[i] = r->peers[i].id;
    by_id = field_twins(L, ids, r->npeers);
    for (i = 0; by_id && grouped && i < r->npeers; i++) {
        const struct roster_peer *p = &r->peers[i];

        if (by_id[i] != TWINS_NONE)
            diag_at(&L->file, ymap_get(L->peer_nodes[i], "id"), "duplicate peer id \"%s\"", p->id);
        if (g.first[i] != i)
            diag_at(&L->file, ymap_get(L->peer_nodes[i], "phone"),
                    "duplicate phone: peers %s and %s have the same number",
                    or_q(r->peers[g.first[i]].id), or_q(p->id));
    }
    free(by_id);
    if (grouped)
        phone_groups_free(&g);
}

struct id_index {
    const char *id;
    size_t i;
};

static int cmp_id_index(const void *a, const void *b)
{
    return strcmp(((const struct id_index *)a)->id, ((const struct id_index *)b)->id);
}

/*
 * A trainee's mentor: a peer of this roster who takes chats (not a trainee
 * too), and not the trainee; `mentor:` only on a trainee. Ids are looked up
 * in a sorted copy, so a roster of thousands is checked at once.
 */
static void check_mentors(struct rload *L)
{
    struct roster *r = L->r;
    struct id_index *ids = calloc(r->npeers + 1, sizeof(*ids)), key, *hit;
    size_t i, n = 0;

    if (!ids) {
        diag_at(&L->file, NULL, "out of memory");
        return;
    }
    for (i = 0; i < r->npeers; i++)
        if (r->peers[i].id)
            ids[n++] = (struct id_index){r->peers[i].id, i};
    qsort(ids, n, sizeof(*ids), cmp_id_index);
    for (i = 0; i < r->npeers; i++) {
        struct roster_peer *p = &r->peers[i];
        const struct ynode *m = ymap_get(L->peer_nodes[i], "mentor");

        if (!m || m->kind != YNODE_SCALAR || m->len == 0)
            continue;
        if (!p->trainee) {
            diag_at(&L->file, m, "mentor is only for a trainee: add trainee: true to peer %s",
                    or_q(p->id));
            continue;
        }
        key.id = m->str;
        hit = bsearch(&key, ids, n, sizeof(*ids), cmp_id_index);
        if (!hit)
            diag_at(&L->file, m, "mentor \"%s\" is not a peer in this roster", m->str);
        else if (hit->i == i)
            diag_at(&L->file, m, "peer %s cannot be their own mentor", or_q(p->id));
        else if (r->peers[hit->i].trainee)
            diag_at(&L->file, m,
                    "mentor \"%s\" is a trainee too; a mentor is a peer who takes chats", m->str);
        else
            p->mentor = (int)hit->i;
    }
    free(ids);
}

static void check_coordinators(struct rload *L)
{
    struct roster *r = L->r;
    size_t n = r->ncoordinators, i, j;
    const char **ids = calloc(n + 1, sizeof(*ids)), **phones = calloc(n + 1, sizeof(*phones));
    struct phone_groups g;
    size_t *by_id, *by_phone;
    int grouped;

    for (i = 0; ids && phones && i < n; i++) {
        ids[i] = r->coordinators[i].id;
        phones[i] = r->coordinators[i].phone;
    }
    grouped = phones && !phone_groups(L, phones, n, &g);
    by_id = field_twins(L, ids, n);
    by_phone = field_twins(L, phones, n); /* frees phones */
    for (i = 0; by_id && by_phone && grouped && i < n; i++) {
        const struct roster_coordinator *c = &r->coordinators[i];

        if (by_id[i] != TWINS_NONE)
            diag_at(&L->file, ymap_get(L->coord_nodes[i], "id"), "duplicate coordinator id \"%s\"",
                    c->id);
        if (by_phone[i] != TWINS_NONE)
            diag_at(&L->file, ymap_get(L->coord_nodes[i], "phone"),
                    "duplicate phone: coordinators %s and %s have the same number",
                    or_q(r->coordinators[by_phone[i]].id), or_q(c->id));
    }
    /* One phone is one role: a coordinator who also takes chats uses another number. */
    for (i = 0; by_id && by_phone && grouped && i < n; i++)
        for (j = g.first[r->npeers + i]; j < r->npeers; j = g.next[j])
            diag_at(&L->file, ymap_get(L->coord_nodes[i], "phone"),
                    "duplicate phone: coordinator %s and peer %s have the same number",
                    or_q(r->coordinators[i].id), or_q(r->peers[j].id));
    free(by_id);
    free(by_phone);
    if (grouped)
        phone_groups_free(&g);
}

static void check_blocked(struct rload *L)
{
    struct roster *r = L->r;
    const char **copy = calloc(r->nblocked + 1, sizeof(*copy));
    struct phone_groups g;
    int grouped = !phone_groups(L, (const char *const *)r->blocked, r->nblocked, &g);
    size_t *twice, i, j;

    for (i = 0; copy && i < r->nblocked; i++)
        copy[i] = r->blocked[i];
    twice = field_twins(L, copy, r->nblocked);
    for (i = 0; grouped && twice && i < r->nblocked; i++) {
        for (j = g.first[r->npeers + i]; j < r->npeers; j = g.next[j])
            diag_at(&L->file, L->blocked_nodes[i], "blocked number belongs to peer %s",
                    or_q(r->peers[j].id));
        if (twice[i] != TWINS_NONE)
            diag_at(&L->file, L->blocked_nodes[i], "a blocked number is listed twice");
    }
    if (grouped)
        phone_groups_free(&g);
    free(twice);
}

/*
 * Meaning across entries: duplicates and the on-call rule, at each entry's
 * position. Every repeat is found by sorting (twins.h), so rosters of
 * thousands of peers are checked in milliseconds, not minutes.
 */
static void check_whole(struct rload *L, const struct ynode *root)
{
    struct roster *r = L->r;
    const struct ynode *coords = ymap_get(root, "coordinators");
    size_t i;
    int on_call = 0;

    check_peers(L);
    check_mentors(L);
    check_coordinators(L);
    for (i = 0; i < r->ncoordinators; i++)
        on_call |= r->coordinators[i].on_call;
    if (!on_call)
        diag_at(&L->file, coords ? coords : root,
                "no coordinator is on_call: at least one must receive safety alerts");
    check_blocked(L);
}

static void build_staff(struct rload *L)
{
    struct roster *r = L->r;
    size_t i;

    r->staff = calloc(r->ncoordinators + 1, sizeof(*r->staff));
    if (!r->staff) {
        diag_at(&L->file, NULL, "out of memory");
        return;
    }
    for (i = 0; i < r->ncoordinators; i++) {
        struct roster_peer *p = &r->staff[r->nstaff];
        size_t len = strlen(r->coordinators[i].id) + 2;

        p->id = malloc(len);
        p->name = strdup(r->coordinators[i].name);
        p->phone = strdup(r->coordinators[i].phone);
        if (!p->id || !p->name || !p->phone) {
            free(p->id);
            free(p->name);
            free(p->phone);
            diag_at(&L->file, NULL, "out of memory");
            return;
        }
        snprintf(p->id, len, "@%s", r->coordinators[i].id);
        p->langs = ~0ull;
        p->max_conversations = 1;
        p->tz = r->tz;
        p->trained_until = INT64_MAX;
        p->crisis_trained = 1;
        p->mentor = -1;
        r->nstaff++;
    }
}

static void build_indexes(struct rload *L)
{
    struct roster *r = L->r;
    size_t i;

    r->peers_by_phone = calloc(r->npeers + 1, sizeof(*r->peers_by_phone));
    r->coords_by_phone = calloc(r->ncoordinators + 1, sizeof(*r->coords_by_phone));
    r->blocked_sorted = calloc(r->nblocked + 1, sizeof(char *));
    if (!r->peers_by_phone || !r->coords_by_phone || !r->blocked_sorted) {
        diag_at(&L->file, NULL, "out of memory");
        return;
    }
    for (i = 0; i < r->npeers; i++)
        r->peers_by_phone[i] = &r->peers[i];
    for (i = 0; i < r->ncoordinators; i++)
        r->coords_by_phone[i] = &r->coordinators[i];
    if (r->nblocked)
        memcpy(r->blocked_sorted, r->blocked, r->nblocked * sizeof(char *));
    qsort(r->peers_by_phone, r->npeers, sizeof(*r->peers_by_phone), cmp_peer_phone);
    qsort(r->coords_by_phone, r->ncoordinators, sizeof(*r->coords_by_phone), cmp_coord_phone);
    qsort(r->blocked_sorted, r->nblocked, sizeof(char *), cmp_str);
}

static void load_root(struct rload *L, const struct ynode *root)
{
    static const char *const allowed[] = {"line_name",    "timezone", "topics",    "peers",
                                          "coordinators", "blocked",  "resources", NULL};
    struct roster *r = L->r;
    const struct ynode *n, *seq;
    const char *s, *why;
    size_t i;

    only_keys(L, root, "the roster", allowed);
    if ((s = need_str(L, root, "line_name", "roster")))
        r->line_name = strdup(s);
    n = ymap_get(root, "timezone");
    if (!n || n->kind != YNODE_SCALAR)
        diag_at(&L->file, n ? n : root,
                "roster: timezone is required (the line's IANA zone, e.g. "
                "America/New_York)");
    else
        r->tz = zone(L, n);
    r->langs[0] = strdup("en");
    r->nlangs = 1;
    seq = opt_seq(L, root, "topics", "roster");
    if (!seq || seq->nkids == 0)
        diag_at(&L->file, seq ? seq : root, "roster: at least one topic is required");
    else {
        load_topics(L, seq);
        check_keywords(L, seq);
    }
    if ((seq = opt_seq(L, root, "peers", "roster"))) {
        L->topic_seen = calloc(r->ntopics + 1, sizeof(*L->topic_seen));
        r->peers = calloc(seq->nkids + 1, sizeof(*r->peers));
        L->peer_nodes = calloc(seq->nkids + 1, sizeof(*L->peer_nodes));
        for (i = 0; r->peers && L->peer_nodes && i < seq->nkids; i++) {
            if (seq->kids[i]->kind != YNODE_MAP) {
                diag_at(&L->file, seq->kids[i],
                        "each peer must be a mapping (id, name, phone, ...)");
                continue;
            }
            L->peer_nodes[r->npeers] = seq->kids[i];
            load_peer(L, seq->kids[i], &r->peers[r->npeers++]);
        }
    }
    seq = opt_seq(L, root, "coordinators", "roster");
    if (seq) {
        r->coordinators = calloc(seq->nkids + 1, sizeof(*r->coordinators));
        L->coord_nodes = calloc(seq->nkids + 1, sizeof(*L->coord_nodes));
        for (i = 0; r->coordinators && L->coord_nodes && i < seq->nkids; i++) {
            if (seq->kids[i]->kind != YNODE_MAP) {
                diag_at(&L->file, seq->kids[i],
                        "each coordinator must be a mapping (id, name, phone)");
                continue;
            }
            L->coord_nodes[r->ncoordinators] = seq->kids[i];
            load_coordinator(L, seq->kids[i], &r->coordinators[r->ncoordinators++]);
        }
    }
    if ((seq = opt_seq(L, root, "blocked", "roster"))) {
        r->blocked = calloc(seq->nkids + 1, sizeof(char *));
        L->blocked_nodes = calloc(seq->nkids + 1, sizeof(*L->blocked_nodes));
        for (i = 0; r->blocked && L->blocked_nodes && i < seq->nkids; i++) {
            n = seq->kids[i];
            if (n->kind != YNODE_SCALAR || parse_e164(n->str, &why)) {
                diag_at(&L->file, n, "blocked: %s",
                        n->kind == YNODE_SCALAR ? why : "must be a list of E.164 numbers");
                continue;
            }
            L->blocked_nodes[r->nblocked] = n;
            r->blocked[r->nblocked++] = strdup(n->str);
        }
    }
    if ((n = ymap_get(root, "resources")) && !ynode_is_null(n))
        resources_load(&L->file, n, r);
}

static void free_nodes(struct rload *L)
{
    free(L->topic_seen);
    free(L->peer_nodes);
    free(L->coord_nodes);
    free(L->blocked_nodes);
}

struct roster *roster_load(const char *path, const char *zoneinfo, struct diag *d)
{
    struct rload L = {.file = {.d = d, .name = path}, .zoneinfo = zoneinfo};
    struct ynode *root = NULL;
    size_t before = diag_count(d);

    L.r = calloc(1, sizeof(struct roster));
    if (L.r)
        atomic_init(&L.r->refs, 1);
    if (!L.r || !(L.r->path = strdup(path))) {
        diag_add(d, path, 0, 0, "out of memory");
        goto fail;
    }
    L.r->general = -1;
    root = ytree_load_map(path, ROSTER_MAX_BYTES, d,
                          "the roster must be a mapping (line_name, timezone, topics, peers, ...)");
    if (!root)
        goto fail;
    load_root(&L, root);
    check_whole(&L, root);
    if (!L.file.errors)
        build_indexes(&L);
    if (!L.file.errors)
        build_staff(&L);
    if (L.file.errors || diag_count(d) > before)
        goto fail;
    free_nodes(&L);
    ytree_free(root);
    return L.r;
fail:
    free_nodes(&L);
    ytree_free(root);
    roster_free(L.r);
    return NULL;
}

void roster_retain(struct roster *r)
{
    if (r)
        atomic_fetch_add(&r->refs, 1);
}

void roster_free(struct roster *r)
{
    size_t i, j;

    if (!r || atomic_fetch_sub(&r->refs, 1) > 1)
        return;
    for (i = 0; i < r->ntopics; i++) {
        free(r->topics[i].id);
        free(r->topics[i].label);
        for (j = 0; j < r->topics[i].nkeywords; j++)
            free(r->topics[i].keywords[j]);
        free(r->topics[i].keywords);
    }
    free(r->topics);
    free(r->topics_by_id);
    for (i = 0; i < r->npeers; i++) {
        free(r->peers[i].id);
        free(r->peers[i].name);
        free(r->peers[i].phone);
        free(r->peers[i].topics);
        free(r->peers[i].shifts);
    }
    free(r->peers);
    for (i = 0; i < r->ncoordinators; i++) {
        free(r->coordinators[i].id);
        free(r->coordinators[i].name);
        free(r->coordinators[i].phone);
    }
    free(r->coordinators);
    for (i = 0; i < r->nstaff; i++) {
        free(r->staff[i].id);
        free(r->staff[i].name);
        free(r->staff[i].phone);
    }
    free(r->staff);
    for (i = 0; i < r->nretired; i++) {
        free(r->retired[i].id);
        free(r->retired[i].name);
        free(r->retired[i].phone);
    }
    free(r->retired);
    for (i = 0; i < r->nblocked; i++)
        free(r->blocked[i]);
    free(r->blocked);
    resources_free(r->resources, r->nresources);
    for (i = 0; i < r->nlangs; i++)
        free(r->langs[i]);
    for (i = 0; i < r->nzones; i++)
        tz_free(r->zones[i]);
    free(r->zones);
    free(r->peers_by_phone);
    free(r->coords_by_phone);
    free(r->blocked_sorted);
    free(r->line_name);
    free(r->path);
    free(r);
}

const struct roster_peer *roster_peer_by_phone(const struct roster *r, const char *phone)
{
    size_t lo = 0, hi = r->npeers;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(phone, r->peers_by_phone[mid]->phone);
        if (!c)
            return r->peers_by_phone[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    for (lo = 0; lo < r->nretired; lo++)
        if (!strcmp(r->retired[lo].phone, phone))
            return &r->retired[lo];
    return NULL;
}

const struct roster_coordinator *roster_coordinator_by_phone(const struct roster *r,
                                                             const char *phone)
{
    size_t lo = 0, hi = r->ncoordinators;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(phone, r->coords_by_phone[mid]->phone);
        if (!c)
            return r->coords_by_phone[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

int roster_is_blocked(const struct roster *r, const char *phone)
{
    return r->nblocked &&
           bsearch(&phone, r->blocked_sorted, r->nblocked, sizeof(char *), cmp_str) != NULL;
}

const struct roster_peer *roster_peer_by_id(const struct roster *r, const char *id)
{
    size_t i;

    for (i = 0; i < r->npeers; i++)
        if (!strcmp(r->peers[i].id, id))
            return &r->peers[i];
    for (i = 0; id[0] == '@' && i < r->nstaff; i++)
        if (!strcmp(r->staff[i].id, id))
            return &r->staff[i];
    for (i = 0; i < r->nretired; i++)
        if (!strcmp(r->retired[i].id, id))
            return &r->retired[i];
    return NULL;
}

int roster_peer_is_retired(const struct roster *r, const struct roster_peer *p)
{
    return p && r->nretired && p >= r->retired && p < r->retired + r->nretired;
}

int roster_adopt(struct roster *r, const struct roster_peer *p)
{
    struct roster_peer *n = realloc(r->retired, (r->nretired + 1) * sizeof(*n));
    struct roster_peer *q;

    if (!n)
        return -1;
    r->retired = n;
    q = &n[r->nretired];
    memset(q, 0, sizeof(*q));
    q->id = strdup(p->id);
    q->name = strdup(p->name);
    q->phone = strdup(p->phone);
    q->max_conversations = p->max_conversations;
    q->tz = r->tz;                /* the old roster's zones go with it */
    q->trained_until = INT64_MAX; /* language bits are the old roster's too: none kept */
    q->mentor = -1;               /* never a trainee: a retired peer only ends their chats */
    if (!q->id || !q->name || !q->phone) {
        free(q->id);
        free(q->name);
        free(q->phone);
        return -1;
    }
    r->nretired++;
    return 0;
}

const struct roster_peer *roster_staff_by_phone(const struct roster *r, const char *phone)
{
    size_t i;

    for (i = 0; i < r->nstaff; i++)
        if (!strcmp(r->staff[i].phone, phone))
            return &r->staff[i];
    return NULL;
}

int roster_peer_index(const struct roster *r, const struct roster_peer *p)
{
    uintptr_t a = (uintptr_t)p, lo = (uintptr_t)r->peers;

    if (!p || !r->npeers || a < lo || a >= lo + r->npeers * sizeof(*r->peers))
        return -1;
    return (int)((a - lo) / sizeof(*r->peers));
}

int roster_topic_index(const struct roster *r, const char *id)
{
    size_t i, lo = 0, hi = r->ntopics;

    while (r->topics_by_id && lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(id, r->topics_by_id[mid]->id);
        if (!c)
            return (int)(r->topics_by_id[mid] - r->topics);
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    if (r->topics_by_id)
        return -1;
    for (i = 0; i < r->ntopics; i++)
        if (r->topics[i].id && !strcmp(r->topics[i].id, id))
            return (int)i;
    return -1;
}

int roster_lang_index(const struct roster *r, const char *code)
{
    size_t i;

    for (i = 0; i < r->nlangs; i++)
        if (!strcmp(r->langs[i], code))
            return (int)i;
    return -1;
}

int roster_peer_covers(const struct roster_peer *p, int t)
{
    size_t i;

    for (i = 0; i < p->ntopics; i++)
        if (p->topics[i] == t)
            return 1;
    return 0;
}
