/*
 * report.c - see report.h.
 */
#include "report.h"
#include "buf.h"
#include "config.h"
#include "diag.h"
#include "parse.h"
#include "roster.h"
#include "store.h"
#include "tz.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct vec {
    int64_t *v;
    size_t n, cap;
};

struct group {
    char group[12]; /* "all", "channel", "topic", "language", "hour", "peer" */
    char key[40];
    int64_t contacts, answered, abandoned, waiting, rated, rating_sum;
    int64_t shadowed;          /* chats a trainee read along with */
    struct vec waits, lengths; /* ms */
};

/* How often one resource was sent. */
struct resource_count {
    char id[40];
    int64_t n;
};

struct report {
    const struct tz *tz;
    struct group *g;
    size_t n, cap;
    int64_t ratings[6]; /* [1..5] */
    struct store_tool_counts tools;
    struct resource_count *resources; /* resources sent, by id (in id order) */
    size_t nresources, capresources;
};

static int vec_push(struct vec *v, int64_t x)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 16;
        int64_t *p = realloc(v->v, cap * sizeof(*p));
        if (!p)
            return -1;
        v->v = p;
        v->cap = cap;
    }
    v->v[v->n++] = x;
    return 0;
}

struct report *report_new(const struct tz *tz)
{
    struct report *r = calloc(1, sizeof(*r));

    if (r)
        r->tz = tz;
    return r;
}

void report_free(struct report *r)
{
    size_t i;

    if (!r)
        return;
    for (i = 0; i < r->n; i++) {
        free(r->g[i].waits.v);
        free(r->g[i].lengths.v);
    }
    free(r->g);
    free(r->resources);
    free(r);
}

void report_add_tools(struct report *r, const struct store_tool_counts *t)
{
    r->tools = *t;
}

int report_add_resource(struct report *r, const char *id, int64_t n)
{
    if (r->nresources == r->capresources) {
        size_t cap = r->capresources ? r->capresources * 2 : 8;
        struct resource_count *v = realloc(r->resources, cap * sizeof(*v));

        if (!v)
            return -1;
        r->resources = v;
        r->capresources = cap;
    }
    snprintf(r->resources[r->nresources].id, sizeof(r->resources[0].id), "%s", id);
    r->resources[r->nresources++].n = n;
    return 0;
}

static struct group *group_of(struct report *r, const char *group, const char *key)
{
    size_t i;

    for (i = 0; i < r->n; i++)
        if (!strcmp(r->g[i].group, group) && !strcmp(r->g[i].key, key))
            return &r->g[i];
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 32;
        struct group *g = realloc(r->g, cap * sizeof(*g));
        if (!g)
            return NULL;
        r->g = g;
        r->cap = cap;
    }
    memset(&r->g[r->n], 0, sizeof(r->g[0]));
    snprintf(r->g[r->n].group, sizeof(r->g[0].group), "%s", group);
    snprintf(r->g[r->n].key, sizeof(r->g[0].key), "%s", key);
    return &r->g[r->n++];
}

static int count(struct group *g, const struct store_report_row *row)
{
    if (!g)
        return -1;
    g->contacts++;
    if (row->matched_at) {
        g->answered++;
        if (row->queued_at && vec_push(&g->waits, row->matched_at - row->queued_at))
            return -1;
        if (row->closed && row->closed_at &&
            vec_push(&g->lengths, row->closed_at - row->matched_at))
            return -1;
    } else if (row->queued_at && row->closed) {
        g->abandoned++;
    } else if (row->queued_at) {
        g->waiting++;
    }
    if (row->rating >= 1 && row->rating <= 5) {
        g->rated++;
        g->rating_sum += row->rating;
    }
    g->shadowed += row->shadowed != 0;
    return 0;
}

int report_add(struct report *r, const struct store_report_row *row)
{
    struct tz_local lt;
    char hour[8];

    tz_to_local(r->tz, row->created_at / 1000, &lt);
    snprintf(hour, sizeof(hour), "%02d", lt.hour);
    if (count(group_of(r, "all", ""), row) ||
        count(group_of(r, "topic", row->topic[0] ? row->topic : "(none)"), row) ||
        count(group_of(r, "language", row->lang[0] ? row->lang : "en"), row) ||
        count(group_of(r, "hour", hour), row) ||
        count(group_of(r, "channel", row->channel[0] ? row->channel : "sms"), row))
        return -1;
    if (row->peer_id[0] && row->matched_at && count(group_of(r, "peer", row->peer_id), row))
        return -1;
    if (row->rating >= 1 && row->rating <= 5)
        r->ratings[row->rating]++;
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return x < y ? -1 : x > y;
}

int64_t report_percentile(int64_t *v, size_t n, int p)
{
    size_t rank;

    if (!n)
        return -1;
    qsort(v, n, sizeof(*v), cmp_i64);
    rank = (n * (size_t)p + 99) / 100; /* ceil(p/100 * n), 1-based */
    return v[rank ? rank - 1 : 0];
}

/* Seconds, or -1 when there is nothing to measure. */
static int64_t secs(int64_t ms)
{
    return ms < 0 ? -1 : ms / 1000;
}

/* Groups in a fixed order: all, topic, language, hour, peer; keys sorted within. */
static int cmp_group(const void *a, const void *b)
{
    static const char *const order[] = {"all", "channel", "topic", "language", "hour", "peer"};
    const struct group *x = a, *y = b;
    int i, ix = 5, iy = 5;

    for (i = 0; i < 5; i++) {
        if (!strcmp(x->group, order[i]))
            ix = i;
        if (!strcmp(y->group, order[i]))
            iy = i;
    }
    return ix != iy ? ix - iy : strcmp(x->key, y->key);
}

struct figures {
    int64_t wait_p50, wait_p90, length_p50;
    double rating_mean; /* -1: none */
};

static struct figures figures_of(const struct group *g)
{
    struct figures f;

    f.wait_p50 = secs(report_percentile(g->waits.v, g->waits.n, 50));
    f.wait_p90 = secs(report_percentile(g->waits.v, g->waits.n, 90));
    f.length_p50 = secs(report_percentile(g->lengths.v, g->lengths.n, 50));
    f.rating_mean = g->rated ? (double)g->rating_sum / (double)g->rated : -1;
    return f;
}

static int csv_num(struct buf *b, int64_t v)
{
    return v >= 0 ? buf_printf(b, ",%lld", (long long)v) : buf_puts(b, ",");
}

static int cmp_resource(const void *a, const void *b)
{
    return strcmp(((const struct resource_count *)a)->id, ((const struct resource_count *)b)->id);
}

/* Resources in byte order of their ids, whatever order the database's collation gave. */
static void sort_resources(struct report *r)
{
    if (r->nresources > 1)
        qsort(r->resources, r->nresources, sizeof(r->resources[0]), cmp_resource);
}

int report_csv(struct report *r, struct buf *out)
{
    size_t i;
    int k, bad;

    qsort(r->g, r->n, sizeof(r->g[0]), cmp_group);
    sort_resources(r);
    bad = buf_puts(out, "group,key,contacts,answered,abandoned,waiting,wait_median_s,wait_p90_s,"
                        "length_median_s,rated,rating_mean,shadowed\n");
    for (i = 0; i < r->n; i++) {
        const struct group *g = &r->g[i];
        struct figures f = figures_of(g);

        /* Keys are roster ids, language codes and hours: no commas or quotes to escape. */
        bad |=
            buf_printf(out, "%s,%s,%lld,%lld,%lld,%lld", g->group, g->key, (long long)g->contacts,
                       (long long)g->answered, (long long)g->abandoned, (long long)g->waiting);
        bad |= csv_num(out, f.wait_p50) | csv_num(out, f.wait_p90) | csv_num(out, f.length_p50);
        bad |= buf_printf(out, ",%lld,", (long long)g->rated);
        if (f.rating_mean >= 0)
            bad |= buf_printf(out, "%.2f", f.rating_mean);
        bad |= buf_printf(out, ",%lld\n", (long long)g->shadowed);
    }
    for (k = 1; k <= 5; k++)
        bad |= buf_printf(out, "rating,%d,%lld,,,,,,,,,\n", k, (long long)r->ratings[k]);
    /*
     * Peers' tools, counted like the ratings: the figure in the third column
     * (chats read along with are the groups' own "shadowed" column).
     */
    bad |= buf_printf(out, "tool,notes_written,%lld,,,,,,,,,\n", (long long)r->tools.notes);
    bad |= buf_printf(out, "tool,debriefs_offered,%lld,,,,,,,,,\n",
                      (long long)r->tools.debriefs_offered);
    bad |=
        buf_printf(out, "tool,debriefs_asked,%lld,,,,,,,,,\n", (long long)r->tools.debriefs_asked);
    for (i = 0; i < r->nresources; i++) /* roster ids: no commas or quotes */
        bad |= buf_printf(out, "resource,%s,%lld,,,,,,,,,\n", r->resources[i].id,
                          (long long)r->resources[i].n);
    return bad ? -1 : 0;
}

static json_t *num_or_null(int64_t v)
{
    return v >= 0 ? json_integer(v) : json_null();
}

int report_json(struct report *r, const char *since, struct buf *out)
{
    json_t *groups = json_array(), *ratings = json_object(), *resources = json_object(), *tools,
           *root;
    char *s, key[12];
    size_t i;
    int k, rc = -1;

    qsort(r->g, r->n, sizeof(r->g[0]), cmp_group);
    sort_resources(r);
    for (i = 0; i < r->n; i++) {
        const struct group *g = &r->g[i];
        struct figures f = figures_of(g);

        json_array_append_new(
            groups,
            json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:I, s:o, s:I}", "group",
                      g->group, "key", g->key, "contacts", (json_int_t)g->contacts, "answered",
                      (json_int_t)g->answered, "abandoned", (json_int_t)g->abandoned, "waiting",
                      (json_int_t)g->waiting, "wait_median_s", num_or_null(f.wait_p50),
                      "wait_p90_s", num_or_null(f.wait_p90), "length_median_s",
                      num_or_null(f.length_p50), "rated", (json_int_t)g->rated, "rating_mean",
                      f.rating_mean >= 0 ? json_real(f.rating_mean) : json_null(), "shadowed",
                      (json_int_t)g->shadowed));
    }
    for (k = 1; k <= 5; k++) {
        snprintf(key, sizeof(key), "%d", k);
        json_object_set_new(ratings, key, json_integer(r->ratings[k]));
    }
    for (i = 0; i < r->nresources; i++)
        json_object_set_new(resources, r->resources[i].id, json_integer(r->resources[i].n));
    tools = json_pack("{s:I, s:I, s:I, s:o}", "notes_written", (json_int_t)r->tools.notes,
                      "debriefs_offered", (json_int_t)r->tools.debriefs_offered, "debriefs_asked",
                      (json_int_t)r->tools.debriefs_asked, "resources_sent", resources);
    root = json_pack("{s:s?, s:o, s:o, s:o}", "since", since, "groups", groups, "ratings", ratings,
                     "tools", tools);
    s = root ? json_dumps(root, JSON_INDENT(2)) : NULL;
    if (s && !buf_puts(out, s) && !buf_puts(out, "\n"))
        rc = 0;
    free(s);
    json_decref(root);
    return rc;
}

/* ---- the command ---- */

static int usage(void)
{
    fprintf(stderr, "usage: peerline report -c FILE [--since YYYY-MM-DD] [--format csv|json]\n");
    return 2;
}

static int add_resource(void *arg, const char *id, int64_t n)
{
    return report_add_resource(arg, id, n);
}

static int add_row(void *arg, const struct store_report_row *row)
{
    return report_add(arg, row);
}

int report_main(int argc, char **argv)
{
    const char *cfg_path = NULL, *since = NULL, *format = "csv", *why;
    struct config *cfg = NULL;
    struct roster *ro = NULL;
    struct store *st = NULL;
    struct report *rep = NULL;
    struct store_tool_counts tools;
    struct diag *d = diag_new();
    struct buf out = BUF_INIT(0);
    char err[512];
    int64_t from = 0, days;
    int i, rc = 1, y, m, dd;

    for (i = 1; i < argc; i++) {
        if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) && i + 1 < argc)
            cfg_path = argv[++i];
        else if (!strcmp(argv[i], "--since") && i + 1 < argc)
            since = argv[++i];
        else if (!strcmp(argv[i], "--format") && i + 1 < argc)
            format = argv[++i];
        else
            goto bad;
    }
    if (!cfg_path || (strcmp(format, "csv") && strcmp(format, "json")))
        goto bad;
    if (!d)
        goto done;
    cfg = config_load(cfg_path, NULL, d);
    if (cfg)
        ro = roster_load(cfg->roster, NULL, d);
    if (!cfg || !ro) {
        diag_print(d, stderr);
        goto done;
    }
    if (since) {
        if (parse_date(since, &days, &why)) {
            fprintf(stderr, "peerline report: --since: %s\n", why);
            goto done;
        }
        tz_civil_from_days(days, &y, &m, &dd);
        from = tz_from_local(ro->tz, y, m, dd, 0, 0, 0) * 1000; /* midnight, the line's zone */
    }
    if (!store_is_postgres(cfg->database) &&
        access(cfg->database, R_OK)) { /* a report never creates a database */
        fprintf(stderr, "peerline report: cannot read %s: %s\n", cfg->database, strerror(errno));
        goto done;
    }
    st = store_open(cfg->database, err, sizeof(err));
    if (!st) {
        fprintf(stderr, "peerline report: %s\n", err);
        goto done;
    }
    rep = report_new(ro->tz);
    if (!rep || store_report_rows(st, from, add_row, rep) ||
        store_tool_counts(st, from, &tools, add_resource, rep)) {
        fprintf(stderr, "peerline report: could not read the database\n");
        goto done;
    }
    report_add_tools(rep, &tools);
    if (!strcmp(format, "csv") ? report_csv(rep, &out) : report_json(rep, since, &out)) {
        fprintf(stderr, "peerline report: out of memory\n");
        goto done;
    }
    fwrite(out.p ? out.p : "", 1, out.len, stdout);
    rc = 0;
    goto done;
bad:
    rc = usage();
done:
    buf_free(&out);
    report_free(rep);
    store_close(st);
    roster_free(ro);
    config_free(cfg);
    diag_free(d);
    return rc;
}
