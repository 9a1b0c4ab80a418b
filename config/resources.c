/*
 * resources.c - see resources.h.
 *
 * One walk over the list, each entry checked where it stands, then one pass
 * for repeated ids (by sorting: twins.h). Topic ids are resolved to the
 * roster's topic indices here, so #res reads no strings at run time.
 */
#include "resources.h"
#include "diag.h"
#include "parse.h"
#include "roster.h"
#include "twins.h"
#include "yamltree.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Characters (code points) of UTF-8 text: every byte that does not continue one. */
static size_t chars(const char *s)
{
    size_t n = 0;

    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* A scalar with something besides spaces in it. */
static int has_words(const struct ynode *n)
{
    const char *s;

    if (n->kind != YNODE_SCALAR || ynode_is_null(n))
        return 0;
    for (s = n->str; *s; s++)
        if (!isspace((unsigned char)*s))
            return 1;
    return 0;
}

static int valid_lang(const char *s)
{
    size_t i, len = strlen(s);

    if (len < 2 || len > 3)
        return 0;
    for (i = 0; i < len; i++)
        if (s[i] < 'a' || s[i] > 'z')
            return 0;
    return 1;
}

static void only_keys(struct diag_file *f, const struct ynode *m)
{
    static const char *const allowed[] = {"id", "label", "topics", "text", NULL};
    size_t i, j;

    for (i = 0; i < YMAP_PAIRS(m); i++) {
        const struct ynode *k = YMAP_KEY(m, i);
        for (j = 0; allowed[j] && strcmp(allowed[j], k->str); j++)
            ;
        if (!allowed[j])
            diag_at(f, k, "unknown key \"%s\" in resource (id, label, topics, text)", k->str);
    }
}

/* A non-empty single value under key, or NULL with a problem at the entry (who: its id). */
static const char *need_str(struct diag_file *f, const struct ynode *m, const char *key,
                            const char *who)
{
    const struct ynode *n = ymap_get(m, key);

    if (!n || ynode_is_null(n)) {
        diag_at(f, n ? n : m, "resource%s%s: missing %s", who ? " " : "", who ? who : "", key);
        return NULL;
    }
    if (n->kind != YNODE_SCALAR || n->len == 0) {
        diag_at(f, n, "resource%s%s: %s must be a single value", who ? " " : "", who ? who : "",
                key);
        return NULL;
    }
    return n->str;
}

static int topic_of(const struct roster *r, const char *id)
{
    size_t i;

    for (i = 0; i < r->ntopics; i++)
        if (r->topics[i].id && !strcmp(r->topics[i].id, id))
            return (int)i;
    return -1;
}

static void load_topics(struct diag_file *f, const struct ynode *seq, const struct roster *r,
                        struct roster_resource *res, const char *who)
{
    size_t i, j;

    if (seq->kind != YNODE_SEQ || seq->nkids == 0) {
        diag_at(f, seq,
                "resource %s: topics must be a list of topic ids, e.g. [grief] (leave it out "
                "for every topic)",
                who);
        return;
    }
    res->topics = calloc(seq->nkids, sizeof(*res->topics));
    if (!res->topics) {
        diag_at(f, seq, "out of memory");
        return;
    }
    for (i = 0; i < seq->nkids; i++) {
        const struct ynode *t = seq->kids[i];
        int ti = t->kind == YNODE_SCALAR ? topic_of(r, t->str) : -1;

        if (ti < 0) {
            diag_at(f, t, "unknown topic \"%s\"", t->kind == YNODE_SCALAR ? t->str : "?");
            continue;
        }
        for (j = 0; j < res->ntopics && res->topics[j] != ti; j++)
            ;
        if (j < res->ntopics) {
            diag_at(f, t, "topic \"%s\" is listed twice", t->str);
            continue;
        }
        res->topics[res->ntopics++] = ti;
    }
}

static void load_texts(struct diag_file *f, const struct ynode *m, struct roster_resource *res,
                       const char *who)
{
    size_t i;

    if (m->kind != YNODE_MAP || YMAP_PAIRS(m) == 0) {
        diag_at(f, m, "resource %s: text must map each language to its text, e.g. en: \"...\"",
                who);
        return;
    }
    res->texts = calloc(YMAP_PAIRS(m), sizeof(*res->texts));
    if (!res->texts) {
        diag_at(f, m, "out of memory");
        return;
    }
    for (i = 0; i < YMAP_PAIRS(m); i++) {
        const struct ynode *k = YMAP_KEY(m, i), *v = YMAP_VAL(m, i);
        struct roster_resource_text *t = &res->texts[res->ntexts];

        if (!valid_lang(k->str)) {
            diag_at(f, k,
                    "resource %s: language \"%s\" must be a 2- or 3-letter lower-case code such "
                    "as en or es",
                    who, k->str);
            continue;
        }
        if (!has_words(v)) {
            diag_at(f, v, "resource %s: the %s text is %s", who, k->str,
                    v->kind == YNODE_SCALAR ? "empty" : "not text");
            continue;
        }
        t->lang = strdup(k->str);
        t->text = strdup(v->str);
        t->line = v->line;
        t->col = v->col;
        if (!t->lang || !t->text) {
            free(t->lang);
            free(t->text);
            diag_at(f, v, "out of memory");
            continue;
        }
        res->ntexts++;
    }
}

static void load_one(struct diag_file *f, const struct ynode *m, const struct roster *r,
                     struct roster_resource *res)
{
    const struct ynode *n;
    const char *s, *why, *who = "?";
    size_t i;

    res->line = m->line;
    res->col = m->col;
    only_keys(f, m);
    if ((s = need_str(f, m, "id", NULL))) {
        if (parse_id(s, &why))
            diag_at(f, ymap_get(m, "id"),
                    "resource id \"%s\" must be lower-case letters, digits, _ or -", s);
        res->id = strdup(s);
        if (!res->id)
            diag_at(f, m, "out of memory");
        who = s;
    }
    if ((s = need_str(f, m, "label", who))) {
        if (chars(s) > RESOURCE_LABEL_MAX)
            diag_at(f, ymap_get(m, "label"),
                    "resource %s: label is %zu characters (at most %d: peers read it in lists)",
                    who, chars(s), RESOURCE_LABEL_MAX);
        res->label = strdup(s);
        if (!res->label)
            diag_at(f, m, "out of memory");
    }
    if ((n = ymap_get(m, "topics")) && !ynode_is_null(n))
        load_topics(f, n, r, res, who);
    n = ymap_get(m, "text");
    if (!n || ynode_is_null(n)) {
        diag_at(f, n ? n : m, "resource %s: missing text (each language's words, e.g. en: \"...\")",
                who);
        return;
    }
    /* Where `text:` is written: a missing language is reported there. */
    for (i = 0; i < YMAP_PAIRS(m); i++)
        if (!strcmp(YMAP_KEY(m, i)->str, "text")) {
            res->text_line = YMAP_KEY(m, i)->line;
            res->text_col = YMAP_KEY(m, i)->col;
        }
    load_texts(f, n, res, who);
}

/* Each repeated id, at the repeat. */
static void check_repeats(struct diag_file *f, const struct ynode **nodes,
                          const struct roster_resource *res, size_t n)
{
    const char **ids = calloc(n + 1, sizeof(*ids));
    size_t *twin = calloc(n + 1, sizeof(*twin)), i;

    if (!ids || !twin) {
        diag_at(f, NULL, "out of memory");
        goto done;
    }
    for (i = 0; i < n; i++)
        ids[i] = res[i].id;
    if (twins_find(ids, n, 0, twin)) {
        diag_at(f, NULL, "out of memory");
        goto done;
    }
    for (i = 0; i < n; i++)
        if (twin[i] != TWINS_NONE)
            diag_at(f, ymap_get(nodes[i], "id"), "duplicate resource id \"%s\"", res[i].id);
done:
    free(ids);
    free(twin);
}

void resources_load(struct diag_file *f, const struct ynode *seq, struct roster *r)
{
    const struct ynode **nodes;
    size_t i;

    if (seq->kind != YNODE_SEQ) {
        diag_at(f, seq, "roster: resources must be a list of resources (id, label, text)");
        return;
    }
    nodes = calloc(seq->nkids + 1, sizeof(*nodes));
    r->resources = calloc(seq->nkids + 1, sizeof(*r->resources));
    if (!nodes || !r->resources) {
        diag_at(f, seq, "out of memory");
        free(nodes);
        return;
    }
    for (i = 0; i < seq->nkids; i++) {
        if (seq->kids[i]->kind != YNODE_MAP) {
            diag_at(f, seq->kids[i], "each resource must be a mapping with id, label and text");
            continue;
        }
        nodes[r->nresources] = seq->kids[i];
        load_one(f, seq->kids[i], r, &r->resources[r->nresources++]);
    }
    check_repeats(f, nodes, r->resources, r->nresources);
    free(nodes);
}

void resources_free(struct roster_resource *res, size_t n)
{
    size_t i, j;

    for (i = 0; res && i < n; i++) {
        free(res[i].id);
        free(res[i].label);
        free(res[i].topics);
        for (j = 0; j < res[i].ntexts; j++) {
            free(res[i].texts[j].lang);
            free(res[i].texts[j].text);
        }
        free(res[i].texts);
    }
    free(res);
}

const struct roster_resource *resources_find(const struct roster_resource *res, size_t n,
                                             const char *id)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (res[i].id && !strcasecmp(res[i].id, id))
            return &res[i];
    return NULL;
}

const char *resource_text(const struct roster_resource *res, const char *lang)
{
    size_t i;

    for (i = 0; lang && i < res->ntexts; i++)
        if (!strcmp(res->texts[i].lang, lang))
            return res->texts[i].text;
    return NULL;
}

int resource_fits_topic(const struct roster_resource *res, int t)
{
    size_t i;

    if (!res->ntopics)
        return 1;
    for (i = 0; i < res->ntopics; i++)
        if (res->topics[i] == t)
            return 1;
    return 0;
}
