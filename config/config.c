/*
 * config.c - loads peerline.yaml through one table of keys (see config.h).
 *
 * The walk is generic: for every key in the file find its row (dotted name),
 * parse the value with its type's parser (parsers[], one small function a
 * type) into the struct at the row's offset, and remember it was seen. Rows
 * not seen get their default; rows without a default are required. Problems
 * are collected, never fatal, so `peerline check` can list them all.
 */
#include "config.h"
#include "diag.h"
#include "parse.h"
#include "twins.h"
#include "yamltree.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONFIG_MAX_BYTES (4u << 20)

enum ctype {
    CT_SECTION,  /* a nested mapping */
    CT_STR,      /* text */
    CT_SECRET,   /* text that must not be empty, inline or file:PATH */
    CT_LISTEN,   /* HOST:PORT into listen_host/listen_port */
    CT_URL,      /* http(s)://..., trailing '/' removed */
    CT_PATH,     /* resolved against the config's directory */
    CT_DATABASE, /* a SQLite file path (as CT_PATH) or a postgresql:// URI (inline or file:PATH) */
    CT_PHONE,    /* E.164 */
    CT_PHONES,   /* list of E.164: the pool */
    CT_DURATION, /* int64 ms */
    CT_INT,      /* long long */
    CT_KIND,     /* twilio | telnyx */
    CT_LEVEL,    /* debug | info | warn | error */
    CT_TOKENS,   /* mapping coordinator id -> token */
    CT_TOKEN,    /* a secret: "" (none), at least min characters, or file:PATH */
    CT_SID,      /* Twilio account SID: AC + 32 hex */
    CT_BOOL,     /* int 0/1 */
    CT_CHOICE,   /* int: the index of the value in the row's choices ("a|b") */
    CT_LIST,     /* struct config_list of words; the default is "a|b|c" */
    CT_LANGS,    /* CT_LIST of 2-3 letter language codes */
    CT_TEXTS,    /* texts: LANG: NAME: text */
    CT_NTYPES
};

#define ANY_PROVIDER (-1)

struct ckey {
    const char *name; /* dotted path */
    enum ctype type;
    size_t off;          /* into struct config */
    long long min, max;  /* CT_INT, CT_DURATION (ms) */
    const char *def;     /* NULL: required (unless provider-specific and other kind) */
    int provider;        /* ANY_PROVIDER or the only kind this key belongs to */
    const char *choices; /* CT_CHOICE: the values allowed, "a|b" */
};

#define OFF(f) offsetof(struct config, f)

/*
 * What the tripwire listens for unless crisis.phrases says otherwise:
 * English and Spanish, matched as whole words, any case, accents ignored.
 */
#define DEFAULT_CRISIS_PHRASES                                                                     \
    "suicide|suicidal|kill myself|killing myself|kms|end my life|ending my life|take my own "      \
    "life|want to die|wanna die|better off dead|overdose|overdosed|overdosing|hurt "               \
    "myself|hurting "                                                                              \
    "myself|cut myself|cutting myself|self harm|self-harm|no reason to live|end it all|"           \
    "don't want to live|dont want to live|suicidio|suicidarme|matarme|quitarme la vida|"           \
    "acabar con mi vida|quiero morir|me quiero morir|no quiero vivir|sobredosis|hacerme dano|"     \
    "lastimarme|cortarme"
#define DAY_MS (86400LL * 1000)
/* Bearer tokens are at least this long. */
#define TOKEN_MIN 16

static const struct ckey keys[] = {
    {"listen", CT_LISTEN, 0, 0, 0, "127.0.0.1:8080", ANY_PROVIDER, NULL},
    {"public_url", CT_URL, OFF(public_url), 0, 0, "http://127.0.0.1:8080", ANY_PROVIDER, NULL},
    {"database", CT_DATABASE, OFF(database), 0, 0, "var/peerline.db", ANY_PROVIDER, NULL},
    {"roster", CT_PATH, OFF(roster), 0, 0, "roster.yaml", ANY_PROVIDER, NULL},
    {"spool", CT_PATH, OFF(spool), 0, 0, NULL, ANY_PROVIDER, NULL}, /* default: database.spool */
    {"log_level", CT_LEVEL, OFF(log_level), 0, 0, "info", ANY_PROVIDER, NULL},
    {"provider", CT_SECTION, 0, 0, 0, "", ANY_PROVIDER, NULL},
    {"provider.kind", CT_KIND, OFF(provider.kind), 0, 0, "twilio", ANY_PROVIDER, NULL},
    {"provider.account_sid", CT_SID, OFF(provider.account_sid), 0, 0, NULL, PROVIDER_TWILIO, NULL},
    {"provider.auth_token", CT_SECRET, OFF(provider.auth_token), 0, 0, NULL, PROVIDER_TWILIO, NULL},
    {"provider.api_key", CT_SECRET, OFF(provider.api_key), 0, 0, NULL, PROVIDER_TELNYX, NULL},
    {"provider.public_key", CT_SECRET, OFF(provider.public_key), 0, 0, NULL, PROVIDER_TELNYX, NULL},
    {"provider.messaging_profile_id", CT_STR, OFF(provider.messaging_profile_id), 0, 0, "",
     PROVIDER_TELNYX, NULL},
    {"provider.api_base", CT_URL, OFF(provider.api_base), 0, 0, NULL, ANY_PROVIDER, NULL},
    {"provider.line_number", CT_PHONE, OFF(provider.line_number), 0, 0, NULL, ANY_PROVIDER, NULL},
    {"provider.pool", CT_PHONES, OFF(provider.pool), 0, 0, "", ANY_PROVIDER, NULL},
    {"provider.send_rate", CT_INT, OFF(provider.send_rate), 0, 1000, "1", ANY_PROVIDER, NULL},
    {"admin", CT_SECTION, 0, 0, 0, "", ANY_PROVIDER, NULL},
    {"admin.token", CT_TOKEN, OFF(admin.token), TOKEN_MIN, 0, "", ANY_PROVIDER, NULL},
    {"admin.coordinator_tokens", CT_TOKENS, 0, 0, 0, "", ANY_PROVIDER, NULL},
    {"timers", CT_SECTION, 0, 0, 0, "", ANY_PROVIDER, NULL},
    {"timers.offer_timeout", CT_DURATION, OFF(timers.offer_timeout), 1000, DAY_MS, "2m",
     ANY_PROVIDER, NULL},
    {"timers.queue_update", CT_DURATION, OFF(timers.queue_update), 1000, DAY_MS, "5m", ANY_PROVIDER,
     NULL},
    {"timers.max_wait", CT_DURATION, OFF(timers.max_wait), 1000, 7 * DAY_MS, "1h", ANY_PROVIDER,
     NULL},
    {"timers.idle_timeout", CT_DURATION, OFF(timers.idle_timeout), 1000, 7 * DAY_MS, "30m",
     ANY_PROVIDER, NULL},
    {"timers.peer_silence", CT_DURATION, OFF(timers.peer_silence), 1000, DAY_MS, "10m",
     ANY_PROVIDER, NULL},
    {"timers.rematch_window", CT_DURATION, OFF(timers.rematch_window), 0, 365 * DAY_MS, "14d",
     ANY_PROVIDER, NULL},
    {"timers.cooldown", CT_DURATION, OFF(timers.cooldown), 0, DAY_MS, "2m", ANY_PROVIDER, NULL},
    {"retention", CT_SECTION, 0, 0, 0, "", ANY_PROVIDER, NULL},
    {"retention.purge_every", CT_DURATION, OFF(retention.purge_every), 1000, 7 * DAY_MS, "1d",
     ANY_PROVIDER, NULL},
    {"retention.message_days", CT_INT, OFF(retention.message_days), 1, 3650, "30", ANY_PROVIDER,
     NULL},
    {"retention.hash_key", CT_TOKEN, OFF(retention.hash_key), 32, 0, "", ANY_PROVIDER, NULL},
    {"reconcile", CT_SECTION, 0, 0, 0, "", ANY_PROVIDER, NULL},
    {"reconcile.every", CT_DURATION, OFF(reconcile.every), 0, DAY_MS, "5m", ANY_PROVIDER, NULL},
    {"reconcile.window", CT_DURATION, OFF(reconcile.window), 60 * 1000, 7 * DAY_MS, "2h",
     ANY_PROVIDER, NULL},
    {"retry", CT_SECTION, 0, 0, 0, "", ANY_PROVIDER, NULL},
    {"retry.max_attempts", CT_INT, OFF(retry.max_attempts), 1, 100, "10", ANY_PROVIDER, NULL},
    {"retry.first_delay", CT_DURATION, OFF(retry.first_delay), 100, 3600000, "2s", ANY_PROVIDER,
     NULL},
    {"retry.max_delay", CT_DURATION, OFF(retry.max_delay), 1000, DAY_MS, "5m", ANY_PROVIDER, NULL},
    {"retry.max_age", CT_DURATION, OFF(retry.max_age), 60000, 7 * DAY_MS, "2h", ANY_PROVIDER, NULL},
    {"retry.request_timeout", CT_DURATION, OFF(retry.request_timeout), 1000, 120000, "15s",
     ANY_PROVIDER, NULL},
    {"retry.concurrency", CT_INT, OFF(retry.concurrency), 1, 256, "8", ANY_PROVIDER, NULL},
    {"provider.opt_out_scope", CT_CHOICE, OFF(provider.opt_out_scope), 0, 0, "number", ANY_PROVIDER,
     "number|line"},
    {"provider.opt_out_reply", CT_CHOICE, OFF(provider.provider_confirms_opt_out), 0, 0, "peerline",
     ANY_PROVIDER, "peerline|provider"},
    {"provider.help_reply", CT_CHOICE, OFF(provider.provider_answers_help), 0, 0, "peerline",
     ANY_PROVIDER, "peerline|provider"},
    {"crisis", CT_SECTION, 0, 0, 0, "", ANY_PROVIDER, NULL},
    {"crisis.phrases", CT_LIST, OFF(crisis.phrases), 0, 0, DEFAULT_CRISIS_PHRASES, ANY_PROVIDER,
     NULL},
    {"crisis.crisis_line", CT_STR, OFF(crisis.crisis_line), 0, 0, "988", ANY_PROVIDER, NULL},
    {"crisis.emergency", CT_STR, OFF(crisis.emergency), 0, 0, "911", ANY_PROVIDER, NULL},
    {"crisis.safety_every", CT_DURATION, OFF(crisis.safety_every), 0, DAY_MS, "5m", ANY_PROVIDER,
     NULL},
    {"crisis.alert_every", CT_DURATION, OFF(crisis.alert_every), 0, DAY_MS, "10m", ANY_PROVIDER,
     NULL},
    {"crisis.ack_within", CT_DURATION, OFF(crisis.ack_within), 1000, DAY_MS, "5m", ANY_PROVIDER,
     NULL},
    {"limits", CT_SECTION, 0, 0, 0, "", ANY_PROVIDER, NULL},
    {"limits.relay_gap", CT_DURATION, OFF(limits.relay_gap), 0, 60000, "2s", ANY_PROVIDER, NULL},
    {"limits.flood_after", CT_INT, OFF(limits.flood_after), 2, 100000, "20", ANY_PROVIDER, NULL},
    {"endings", CT_SECTION, 0, 0, 0, "", ANY_PROVIDER, NULL},
    {"endings.last_word", CT_DURATION, OFF(endings.last_word), 0, DAY_MS, "2m", ANY_PROVIDER, NULL},
    {"endings.rating", CT_BOOL, OFF(endings.rating), 0, 0, "true", ANY_PROVIDER, NULL},
    {"endings.rating_window", CT_DURATION, OFF(endings.rating_window), 1000, 7 * DAY_MS, "30m",
     ANY_PROVIDER, NULL},
    {"trainees", CT_SECTION, 0, 0, 0, "", ANY_PROVIDER, NULL},
    {"trainees.shadow_urgent", CT_BOOL, OFF(trainees.shadow_urgent), 0, 0, "false", ANY_PROVIDER,
     NULL},
    {"voice", CT_SECTION, 0, 0, 0, "", ANY_PROVIDER, NULL},
    {"voice.ring_timeout", CT_DURATION, OFF(voice.ring_timeout), 10000, 300000, "45s", ANY_PROVIDER,
     NULL},
    {"voice.max_ring", CT_INT, OFF(voice.max_ring), 1, 20, "5", ANY_PROVIDER, NULL},
    {"voice.crisis_number", CT_STR, OFF(voice.crisis_number), 0, 0, "", ANY_PROVIDER, NULL},
    {"voice.hold_audio", CT_STR, OFF(voice.hold_audio), 0, 0, "", ANY_PROVIDER, NULL},
    {"voice.speech", CT_BOOL, OFF(voice.speech), 0, 0, "false", ANY_PROVIDER, NULL},
    {"voice.voicemail_max", CT_DURATION, OFF(voice.voicemail_max), 10000, 600000, "2m",
     ANY_PROVIDER, NULL},
    {"languages", CT_LANGS, OFF(languages), 0, 0, "en|es", ANY_PROVIDER, NULL},
    {"texts", CT_TEXTS, 0, 0, 0, "", ANY_PROVIDER, NULL},
    {"http", CT_SECTION, 0, 0, 0, "", ANY_PROVIDER, NULL},
    {"http.connection_limit", CT_INT, OFF(http.connection_limit), 4, 100000, "512", ANY_PROVIDER,
     NULL},
    {"http.connection_timeout", CT_DURATION, OFF(http.connection_timeout), 1000, 600000, "30s",
     ANY_PROVIDER, NULL},
    {"http.per_ip_limit", CT_INT, OFF(http.per_ip_limit), 0, 100000, NULL, ANY_PROVIDER, NULL},
    {"http.idle_timeout", CT_DURATION, OFF(http.idle_timeout), 1000, 600000, "5s", ANY_PROVIDER,
     NULL},
    {"http.header_timeout", CT_DURATION, OFF(http.header_timeout), 1000, 600000, "10s",
     ANY_PROVIDER, NULL},
    {"http.body_timeout", CT_DURATION, OFF(http.body_timeout), 1000, 600000, "10s", ANY_PROVIDER,
     NULL},
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

struct cload {
    struct config *c;
    struct diag_file file;
    char *(*getenv_fn)(const char *);
    int seen[NKEYS];
};

char *config_resolve_path(const char *dir, const char *rel)
{
    size_t dl, rl;
    char *p;

    if (!rel)
        return NULL;
    if (rel[0] == '/' || !dir || !*dir)
        return strdup(rel);
    dl = strlen(dir);
    rl = strlen(rel);
    p = malloc(dl + rl + 2);
    if (!p)
        return NULL;
    memcpy(p, dir, dl);
    p[dl] = '/';
    memcpy(p + dl + 1, rel, rl + 1);
    return p;
}

static const struct ckey *find_key(const char *name)
{
    size_t i;

    for (i = 0; i < NKEYS; i++)
        if (!strcmp(keys[i].name, name))
            return &keys[i];
    return NULL;
}

/* Scalar text with ${VAR} resolved; NULL (and a diagnostic) on failure. */
static char *scalar(struct cload *L, const struct ynode *n, const char *name)
{
    char missing[128] = "", *out = NULL;
    const char *why;

    if (n->kind != YNODE_SCALAR) {
        diag_at(&L->file, n, "%s must be a single value", name);
        return NULL;
    }
    if (parse_env_expand(n->str, L->getenv_fn, &out, missing, sizeof(missing), &why)) {
        if (*missing)
            diag_at(&L->file, n, "%s: environment variable %s is not set", name, missing);
        else
            diag_at(&L->file, n, "%s: %s", name, why);
        return NULL;
    }
    return out;
}

/* A limit written as people write durations: the largest unit that divides it. */
static const char *format_duration(long long ms, char *out, size_t n)
{
    static const struct {
        long long ms;
        const char *unit;
    } units[] = {{86400000LL, "d"}, {3600000LL, "h"}, {60000LL, "m"}, {1000LL, "s"}};
    size_t i;

    for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (ms && ms % units[i].ms == 0) {
            snprintf(out, n, "%lld%s", ms / units[i].ms, units[i].unit);
            return out;
        }
    }
    snprintf(out, n, ms ? "%lldms" : "%llds", ms);
    return out;
}

static int is_hex(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (!strchr("0123456789abcdefABCDEF", s[i]) || !s[i])
            return 0;
    return 1;
}

/*
 * A token as written, or read from the file "file:PATH" names (relative to
 * the config; trailing white space dropped), so a token can live in a
 * systemd credential. NULL (reported) when unreadable or too short.
 */
static char *token_value(struct cload *L, const struct ynode *v, const char *name, long long min)
{
    char *tok = scalar(L, v, name), *path, buf[1024];
    size_t n = 0;
    FILE *f;

    if (!tok || strncmp(tok, "file:", 5))
        goto check;
    path = config_resolve_path(L->c->dir, tok + 5);
    f = path ? fopen(path, "r") : NULL;
    if (!f) {
        diag_at(&L->file, v, "%s: cannot read %s: %s", name, path ? path : tok + 5,
                strerror(errno));
        free(path);
        free(tok);
        return NULL;
    }
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    free(path);
    while (n && strchr(" \t\r\n", buf[n - 1]))
        n--;
    buf[n] = '\0';
    free(tok);
    tok = strdup(buf);
    if (!tok) {
        diag_at(&L->file, v, "%s: out of memory", name);
        return NULL;
    }
check:
    if (tok && *tok && strlen(tok) < (size_t)min) {
        diag_at(&L->file, v, "%s is too short (at least %lld characters)", name, min);
        free(tok);
        return NULL;
    }
    return tok;
}

/*
 * ---- One parser per value type; parsers[] below picks it by the row's type ----
 *
 * Each gets the row, the value's node and, for the types written as a single
 * value, its text with ${VAR} resolved: val, the parser's to keep or free
 * (NULL for the other types, which read the node as they need).
 */

/* Where the row's value goes in struct config. */
static void *field(struct cload *L, const struct ckey *k)
{
    return (char *)L->c + k->off;
}

/* The row's string becomes s; the one it replaces is freed. */
static void keep(struct cload *L, const struct ckey *k, char *s)
{
    char **dst = field(L, k);

    free(*dst);
    *dst = s;
}

/*
 * The twins (twins.h) of n values, each written at nodes[i]: every repeat is
 * found by sorting, never by comparing each value with every earlier one.
 * NULL, said, when memory ran out.
 */
static size_t *value_twins(struct cload *L, const struct ckey *k, const char *const *values,
                           size_t n, const struct ynode *at)
{
    size_t *twin = calloc(n + 1, sizeof(*twin));

    if (!twin || twins_find(values, n, 0, twin)) {
        diag_at(&L->file, at, "%s: out of memory", k->name);
        free(twin);
        return NULL;
    }
    return twin;
}

/* Coordinators' bearer tokens: a mapping of coordinator id to token. */
static void set_tokens(struct cload *L, const struct ckey *k, const struct ynode *n, char *val)
{
    struct config *c = L->c;
    const struct ynode **at;
    const char **values;
    size_t i, *twin;

    (void)val;
    if (n->kind != YNODE_MAP) {
        if (!ynode_is_null(n))
            diag_at(&L->file, n, "%s must be a mapping (coordinator id: token)", k->name);
        return;
    }
    c->admin.coordinator_tokens = calloc(YMAP_PAIRS(n) + 1, sizeof(struct config_token));
    at = calloc(YMAP_PAIRS(n) + 1, sizeof(*at));
    values = calloc(YMAP_PAIRS(n) + 1, sizeof(*values));
    if (!c->admin.coordinator_tokens || !at || !values) {
        diag_at(&L->file, n, "%s: out of memory", k->name);
        goto done;
    }
    for (i = 0; i < YMAP_PAIRS(n); i++) {
        const struct ynode *id = YMAP_KEY(n, i), *v = YMAP_VAL(n, i);
        char what[160];
        char *tok;

        snprintf(what, sizeof(what), "token for coordinator %s", id->str);
        tok = token_value(L, v, what, TOKEN_MIN);
        if (!tok)
            continue;
        if (!*tok) {
            diag_at(&L->file, v, "%s is empty", what);
            free(tok);
            continue;
        }
        at[c->admin.ntokens] = v;
        values[c->admin.ntokens] = tok;
        c->admin.coordinator_tokens[c->admin.ntokens].id = strdup(id->str);
        c->admin.coordinator_tokens[c->admin.ntokens].token = tok;
        c->admin.ntokens++;
    }
    twin = value_twins(L, k, values, c->admin.ntokens, n);
    for (i = 0; twin && i < c->admin.ntokens; i++)
        if (twin[i] != TWINS_NONE)
            diag_at(&L->file, at[i], "token for coordinator %s is the same as %s's",
                    c->admin.coordinator_tokens[i].id, c->admin.coordinator_tokens[twin[i]].id);
    free(twin);
done:
    free(at);
    free(values);
}

static int add_item(struct config_list *l, char *v)
{
    char **items = realloc(l->items, (l->n + 2) * sizeof(char *));

    if (!items)
        return -1;
    l->items = items;
    l->items[l->n++] = v;
    l->items[l->n] = NULL;
    return 0;
}

static int valid_lang(const char *s)
{
    size_t i, n = strlen(s);

    if (n < 2 || n > 3)
        return 0;
    for (i = 0; i < n; i++)
        if (s[i] < 'a' || s[i] > 'z')
            return 0;
    return 1;
}

/* A list of words (CT_LIST), or of language codes (CT_LANGS); a repeat is said and dropped. */
static void set_list(struct cload *L, const struct ckey *k, const struct ynode *n, char *val)
{
    struct config_list *l = field(L, k);
    const struct ynode **at;
    size_t i, kept, *twin;

    (void)val;
    if (n->kind != YNODE_SEQ) {
        diag_at(&L->file, n, "%s must be a list, e.g. [a, b]", k->name);
        return;
    }
    if (n->nkids == 0) {
        diag_at(&L->file, n, "%s must not be empty", k->name);
        return;
    }
    at = calloc(n->nkids + 1, sizeof(*at));
    if (!at) {
        diag_at(&L->file, n, "%s: out of memory", k->name);
        return;
    }
    for (i = 0; i < n->nkids; i++) {
        char *v = scalar(L, n->kids[i], k->name);

        if (!v)
            continue;
        if (!*v || (k->type == CT_LANGS && !valid_lang(v))) {
            diag_at(&L->file, n->kids[i], "%s: \"%s\" is not %s", k->name, v,
                    k->type == CT_LANGS ? "a language code such as en or es" : "a word or phrase");
            free(v);
            continue;
        }
        at[l->n] = n->kids[i];
        if (add_item(l, v)) {
            free(v);
            diag_at(&L->file, n, "%s: out of memory", k->name);
            break;
        }
    }
    twin = value_twins(L, k, (const char *const *)l->items, l->n, n);
    for (i = kept = 0; twin && i < l->n; i++) {
        if (twin[i] != TWINS_NONE) {
            diag_at(&L->file, at[i], "%s: \"%s\" is listed twice", k->name, l->items[i]);
            free(l->items[i]);
            continue;
        }
        l->items[kept++] = l->items[i];
    }
    if (twin && l->items) { /* NULL: every value was refused */
        l->n = kept;
        l->items[kept] = NULL;
    }
    free(twin);
    free(at);
}

/* A default list written "a|b|c". */
static void default_list(struct cload *L, const struct ckey *k)
{
    struct config_list *l = field(L, k);
    const char *p = k->def;

    while (*p) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        char *v = malloc(len + 1);

        if (!v || add_item(l, v)) {
            free(v);
            diag_at(&L->file, NULL, "%s: out of memory", k->name);
            return;
        }
        memcpy(v, p, len);
        v[len] = '\0';
        p += len + (bar ? 1 : 0);
    }
}

/* texts: LANG: NAME: "text" - kept as written; gateway/engine/texts.c checks names and
 * placeholders. */
static void set_texts(struct cload *L, const struct ckey *k, const struct ynode *n, char *val)
{
    struct config *c = L->c;
    size_t i, j, total = 0;

    (void)k;
    (void)val;
    if (ynode_is_null(n))
        return;
    if (n->kind != YNODE_MAP) {
        diag_at(&L->file, n, "texts must be a mapping: LANGUAGE: {TEMPLATE: text}");
        return;
    }
    for (i = 0; i < YMAP_PAIRS(n); i++)
        if (YMAP_VAL(n, i)->kind == YNODE_MAP)
            total += YMAP_PAIRS(YMAP_VAL(n, i));
    c->texts = calloc(total + 1, sizeof(*c->texts));
    if (!c->texts) {
        diag_at(&L->file, n, "texts: out of memory");
        return;
    }
    for (i = 0; i < YMAP_PAIRS(n); i++) {
        const struct ynode *lk = YMAP_KEY(n, i), *lv = YMAP_VAL(n, i);

        if (!valid_lang(lk->str)) {
            diag_at(&L->file, lk, "texts: \"%s\" is not a language code such as en or es", lk->str);
            continue;
        }
        if (lv->kind != YNODE_MAP) {
            diag_at(&L->file, lv, "texts.%s must be a mapping of template names to texts", lk->str);
            continue;
        }
        for (j = 0; j < YMAP_PAIRS(lv); j++) {
            const struct ynode *tk = YMAP_KEY(lv, j), *tv = YMAP_VAL(lv, j);
            struct config_text *t = &c->texts[c->ntexts];
            char *text;

            if (tv->kind != YNODE_SCALAR) {
                diag_at(&L->file, tv, "texts.%s.%s must be a text", lk->str, tk->str);
                continue;
            }
            text = strdup(tv->str); /* no ${VAR} here: a template may say "$5" */
            t->lang = strdup(lk->str);
            t->name = strdup(tk->str);
            if (!text || !t->lang || !t->name) {
                free(text);
                free(t->lang);
                free(t->name);
                diag_at(&L->file, tv, "texts: out of memory");
                return;
            }
            t->text = text;
            t->line = tv->line;
            t->col = tv->col;
            c->ntexts++;
        }
    }
}

/* The pool: a list of E.164 numbers. */
static void set_phones(struct cload *L, const struct ckey *k, const struct ynode *n, char *val)
{
    struct config *c = L->c;
    const struct ynode **at;
    size_t i, *twin;

    (void)val;
    if (ynode_is_null(n))
        return;
    if (n->kind != YNODE_SEQ) {
        diag_at(&L->file, n, "%s must be a list of E.164 numbers", k->name);
        return;
    }
    c->provider.pool = calloc(n->nkids + 1, sizeof(char *));
    at = calloc(n->nkids + 1, sizeof(*at));
    if (!c->provider.pool || !at) {
        diag_at(&L->file, n, "%s: out of memory", k->name);
        free(at);
        return;
    }
    for (i = 0; i < n->nkids; i++) {
        const char *why;
        char *v = scalar(L, n->kids[i], k->name);

        if (!v)
            continue;
        if (parse_e164(v, &why)) {
            diag_at(&L->file, n->kids[i], "%s: %s", k->name, why);
            free(v);
            continue;
        }
        at[c->provider.npool] = n->kids[i];
        c->provider.pool[c->provider.npool++] = v;
    }
    twin = value_twins(L, k, (const char *const *)c->provider.pool, c->provider.npool, n);
    for (i = 0; twin && i < c->provider.npool; i++)
        if (twin[i] != TWINS_NONE)
            diag_at(&L->file, at[i], "%s: a number is listed twice", k->name);
    free(twin);
    free(at);
}

static void walk(struct cload *L, const struct ynode *map, const char *prefix);

/* A nested mapping: its keys are walked under this one's name. */
static void set_section(struct cload *L, const struct ckey *k, const struct ynode *n, char *val)
{
    (void)val;
    if (n->kind == YNODE_MAP)
        walk(L, n, k->name);
    else if (!ynode_is_null(n))
        diag_at(&L->file, n, "%s must be a mapping", k->name);
}

static void set_str(struct cload *L, const struct ckey *k, const struct ynode *n, char *val)
{
    (void)n;
    keep(L, k, val);
}

/* Provider credentials: inline, ${VAR} or file:PATH, and never empty. */
static void set_secret(struct cload *L, const struct ckey *k, const struct ynode *n, char *val)
{
    char *tok = token_value(L, n, k->name, 0);

    (void)val;
    if (tok && !*tok) {
        diag_at(&L->file, n, "%s is empty", k->name);
        free(tok);
        return;
    }
    if (tok)
        keep(L, k, tok);
}

static void set_listen(struct cload *L, const struct ckey *k, const struct ynode *n, char *val)
{
    struct config *c = L->c;
    const char *why;

    if (parse_listen(val, c->listen_host, sizeof(c->listen_host), &c->listen_port, 1, &why))
        diag_at(&L->file, n, "%s: %s", k->name, why);
    free(val);
}

static void set_url(struct cload *L, const struct ckey *k, const struct ynode *n, char *val)
{
    size_t len = strlen(val);

    if (strncmp(val, "http://", 7) && strncmp(val, "https://", 8)) {
        diag_at(&L->file, n, "%s must start with http:// or https://", k->name);
        free(val);
        return;
    }
    if (strchr(val, '?') || strchr(val, '#') || strchr(val, ' ')) {
        diag_at(&L->file, n, "%s must be a plain base URL (no spaces, query or fragment)", k->name);
        free(val);
        return;
    }
    while (len > 8 && val[len - 1] == '/')
        val[--len] = '\0';
    keep(L, k, val);
}

static void set_path(struct cload *L, const struct ckey *k, const struct ynode *n, char *val)
{
    if (!*val)
        diag_at(&L->file, n, "%s is empty", k->name);
    else
        keep(L, k, config_resolve_path(L->c->dir, val));
    free(val);
}

/* How many '@' the URI's authority (between "://" and the next '/' or '?') holds. */
static int uri_ats(const char *v)
{
    const char *p = strstr(v, "://") + 3;
    int n = 0;

    for (; *p && *p != '/' && *p != '?'; p++)
        n += *p == '@';
    return n;
}

/* 1 when v is a libpq URI (SPEC section 10). */
static int is_pg_uri(const char *v)
{
    return !strncmp(v, "postgresql://", 13) || !strncmp(v, "postgres://", 11);
}

/*
 * database: a file path (SQLite), or a PostgreSQL URI, which may carry a
 * password and so may also come from a file (file:PATH, like a secret).
 */
static void set_database(struct cload *L, const struct ckey *k, const struct ynode *n, char *val)
{
    char *v = token_value(L, n, k->name, 0);

    (void)val;
    if (!v)
        return;
    if (!*v)
        diag_at(&L->file, n, "%s is empty", k->name);
    else if (is_pg_uri(v) && strpbrk(v, " \t\r\n"))
        diag_at(&L->file, n, "%s: a postgresql:// URI has no white space", k->name);
    else if (is_pg_uri(v) && uri_ats(v) > 1)
        /* libpq would take what follows the first '@' as the host, and say so: half a password. */
        diag_at(&L->file, n, "%s: an '@' in the user name or password must be written %%40",
                k->name);
    else if (is_pg_uri(v))
        keep(L, k, strdup(v));
    else if (n->str && !strncmp(n->str, "file:", 5))
        diag_at(&L->file, n, "%s: only a postgresql:// URI may be read from a file", k->name);
    else
        keep(L, k, config_resolve_path(L->c->dir, v));
    free(v);
}

static void set_phone(struct cload *L, const struct ckey *k, const struct ynode *n, char *val)
{
    const char *why;

    if (parse_e164(val, &why)) {
        diag_at(&L->file, n, "%s: %s", k->name, why);
        free(val);
        return;
    }
    keep(L, k, val);
}

static void set_duration(struct cload *L, const struct ckey *k, const struct ynode *n, char *val)
{
    char lo[32], hi[32];
    const char *why;
    int64_t ms;

    if (parse_duration(val, &ms, &why))
        diag_at(&L->file, n, "%s: %s", k->name, why);
    else if (ms < k->min || ms > k->max)
        diag_at(&L->file, n, "%s must be between %s and %s", k->name,
                format_duration(k->min, lo, sizeof(lo)), format_duration(k->max, hi, sizeof(hi)));
    else
        *(int64_t *)field(L, k) = ms;
    free(val);
}

static void set_int(struct cload *L, const struct ckey *k, const struct ynode *n, char *val)
{
    const char *why;
    long long x;

    if (parse_int(val, k->min, k->max, &x, &why))
        diag_at(&L->file, n, "%s must be a whole number from %lld to %lld", k->name, k->min,
                k->max);
    else
        *(long long *)field(L, k) = x;
    free(val);
}

static void set_kind(struct cload *L, const struct ckey *k, const struct ynode *n, char *val)
{
    if (!strcmp(val, "twilio"))
        L->c->provider.kind = PROVIDER_TWILIO;
    else if (!strcmp(val, "telnyx"))
        L->c->provider.kind = PROVIDER_TELNYX;
    else
        diag_at(&L->file, n, "%s must be twilio or telnyx, not \"%s\"", k->name, val);
    free(val);
}

static void set_level(struct cload *L, const struct ckey *k, const struct ynode *n, char *val)
{
    if (strcmp(val, "debug") && strcmp(val, "info") && strcmp(val, "warn") &&
        strcmp(val, "error")) {
        diag_at(&L->file, n, "%s must be debug, info, warn or error", k->name);
        free(val);
        return;
    }
    keep(L, k, val);
}

/* A secret that may be left empty (none), else at least k->min characters. */
static void set_token(struct cload *L, const struct ckey *k, const struct ynode *n, char *val)
{
    char *tok = token_value(L, n, k->name, k->min);

    (void)val;
    if (tok)
        keep(L, k, tok);
}

static void set_sid(struct cload *L, const struct ckey *k, const struct ynode *n, char *val)
{
    if (strlen(val) != 34 || strncmp(val, "AC", 2) || !is_hex(val + 2, 32)) {
        diag_at(&L->file, n, "%s must be AC followed by 32 hex digits, as in the Twilio console",
                k->name);
        free(val);
        return;
    }
    keep(L, k, val);
}

static void set_bool(struct cload *L, const struct ckey *k, const struct ynode *n, char *val)
{
    const char *why;
    int b;

    if (parse_bool(val, &b, &why))
        diag_at(&L->file, n, "%s must be true or false", k->name);
    else
        *(int *)field(L, k) = b;
    free(val);
}

/* The index of the value in the row's choices, "a|b". */
static void set_choice(struct cload *L, const struct ckey *k, const struct ynode *n, char *val)
{
    const char *p = k->choices;
    int idx = 0;
    size_t vl = strlen(val);

    while (p) {
        const char *bar = strchr(p, '|');
        size_t l = bar ? (size_t)(bar - p) : strlen(p);
        if (l == vl && !strncmp(p, val, l))
            break;
        p = bar ? bar + 1 : NULL;
        idx++;
    }
    if (!p) {
        char list[64];
        snprintf(list, sizeof(list), "%s", k->choices);
        for (p = list; (p = strchr(p, '|'));)
            *(char *)p = '/';
        diag_at(&L->file, n, "%s must be one of %s", k->name, list);
    } else {
        *(int *)field(L, k) = idx;
    }
    free(val);
}

typedef void parser_fn(struct cload *L, const struct ckey *k, const struct ynode *n, char *val);

/* What a parser is given: the value's node only, or its text as well. */
enum takes { TAKES_NODE, TAKES_TEXT };

/* The parser of each value type (the rows' types, enum ctype). */
static const struct {
    parser_fn *set;
    enum takes takes;
} parsers[] = {
    [CT_SECTION] = {set_section, TAKES_NODE},   [CT_STR] = {set_str, TAKES_TEXT},
    [CT_SECRET] = {set_secret, TAKES_NODE},     [CT_LISTEN] = {set_listen, TAKES_TEXT},
    [CT_URL] = {set_url, TAKES_TEXT},           [CT_PATH] = {set_path, TAKES_TEXT},
    [CT_DATABASE] = {set_database, TAKES_NODE}, [CT_PHONE] = {set_phone, TAKES_TEXT},
    [CT_PHONES] = {set_phones, TAKES_NODE},     [CT_DURATION] = {set_duration, TAKES_TEXT},
    [CT_INT] = {set_int, TAKES_TEXT},           [CT_KIND] = {set_kind, TAKES_TEXT},
    [CT_LEVEL] = {set_level, TAKES_TEXT},       [CT_TOKENS] = {set_tokens, TAKES_NODE},
    [CT_TOKEN] = {set_token, TAKES_NODE},       [CT_SID] = {set_sid, TAKES_TEXT},
    [CT_BOOL] = {set_bool, TAKES_TEXT},         [CT_CHOICE] = {set_choice, TAKES_TEXT},
    [CT_LIST] = {set_list, TAKES_NODE},         [CT_LANGS] = {set_list, TAKES_NODE},
    [CT_TEXTS] = {set_texts, TAKES_NODE},
};

_Static_assert(sizeof(parsers) / sizeof(parsers[0]) == CT_NTYPES, "a parser for every ctype");

/* Parses one value by its row's type. */
static void set_value(struct cload *L, const struct ckey *k, const struct ynode *n)
{
    char *val = NULL;

    if (parsers[k->type].takes == TAKES_TEXT) {
        val = scalar(L, n, k->name);
        if (!val)
            return;
    }
    parsers[k->type].set(L, k, n, val);
}

static void walk(struct cload *L, const struct ynode *map, const char *prefix)
{
    size_t i;

    for (i = 0; i < YMAP_PAIRS(map); i++) {
        const struct ynode *kn = YMAP_KEY(map, i), *vn = YMAP_VAL(map, i);
        char name[256];
        const struct ckey *k;

        snprintf(name, sizeof(name), "%s%s%s", prefix, *prefix ? "." : "", kn->str);
        /* "timers.offer_timeout: 5m" at the top is not the nested key: it is unknown. */
        k = strchr(kn->str, '.') ? NULL : find_key(name);
        if (!k) {
            diag_at(&L->file, kn, "unknown key \"%s\"", name);
            continue;
        }
        L->seen[k - keys] = 1;
        set_value(L, k, vn);
    }
}

/* The provider kind is needed before provider-specific keys are judged. */
static void check_provider_keys(struct cload *L, const struct ynode *root)
{
    const struct ynode *prov = ymap_get(root, "provider");
    size_t i;

    for (i = 0; i < NKEYS; i++) {
        const struct ckey *k = &keys[i];
        const struct ynode *n;

        if (k->provider == ANY_PROVIDER || k->provider == (int)L->c->provider.kind)
            continue;
        n = ymap_get(prov, k->name + strlen("provider."));
        if (n)
            diag_at(&L->file, n, "%s is not used with provider.kind %s", k->name,
                    L->c->provider.kind == PROVIDER_TWILIO ? "twilio" : "telnyx");
    }
}

/* A listen address only this machine can reach: clients come through a proxy here. */
static int loopback_host(const char *h)
{
    const char *why;

    return parse_loopback(h, &why) == 0;
}

static void apply_defaults(struct cload *L)
{
    struct config *c = L->c;
    size_t i;

    for (i = 0; i < NKEYS; i++) {
        const struct ckey *k = &keys[i];
        struct ynode fake = {.kind = YNODE_SCALAR, .plain = 1};

        if (L->seen[i] || k->type == CT_SECTION)
            continue;
        if (k->provider != ANY_PROVIDER && k->provider != (int)c->provider.kind)
            continue;
        if (!k->def) {
            if (!strcmp(k->name, "spool")) {
                size_t n = c->database ? strlen(c->database) + 7 : 0;
                if (!n)
                    continue;                 /* the database key is wrong: said already */
                if (is_pg_uri(c->database)) { /* no file to put it beside */
                    diag_at(&L->file, NULL,
                            "spool: set it when database is a PostgreSQL URI (a file on this "
                            "instance's own disk, e.g. /var/lib/peerline/peerline.spool)");
                    continue;
                }
                c->spool = malloc(n);
                if (c->spool)
                    snprintf(c->spool, n, "%s.spool", c->database);
                else
                    diag_at(&L->file, NULL, "out of memory");
                continue;
            }
            if (!strcmp(k->name, "http.per_ip_limit")) {
                /* Behind a proxy every client is 127.0.0.1: off; else an eighth of the limit. */
                c->http.per_ip_limit =
                    loopback_host(c->listen_host) ? 0 : (c->http.connection_limit + 7) / 8;
                continue;
            }
            if (!strcmp(k->name, "provider.api_base")) {
                fake.str = c->provider.kind == PROVIDER_TWILIO ? "https://api.twilio.com"
                                                               : "https://api.telnyx.com";
                fake.len = strlen(fake.str);
                set_value(L, k, &fake);
                continue;
            }
            diag_at(&L->file, NULL, "missing required key %s", k->name);
            continue;
        }
        if (k->type == CT_TOKENS || k->type == CT_PHONES || k->type == CT_TEXTS)
            continue;
        if (k->type == CT_LIST || k->type == CT_LANGS) {
            default_list(L, k);
            continue;
        }
        fake.str = (char *)k->def;
        fake.len = strlen(k->def);
        set_value(L, k, &fake);
    }
}

static void check_meaning(struct cload *L, const struct ynode *root)
{
    struct config *c = L->c;
    const struct ynode *pool = ymap_get(ymap_get(root, "provider"), "pool");
    unsigned char key[PARSE_ED25519_KEY_LEN];
    const char *why;
    size_t i;

    if (c->provider.kind == PROVIDER_TELNYX && c->provider.public_key &&
        parse_ed25519_key(c->provider.public_key, key, &why))
        diag_at(&L->file, ymap_get(ymap_get(root, "provider"), "public_key"),
                "provider.public_key must be the base64 of a 32-byte Ed25519 public key "
                "(Telnyx portal: Keys & Credentials, Public Key)");
    for (i = 0; c->provider.line_number && pool && pool->kind == YNODE_SEQ && i < pool->nkids; i++)
        if (pool->kids[i]->kind == YNODE_SCALAR &&
            !strcmp(pool->kids[i]->str, c->provider.line_number))
            diag_at(&L->file, pool->kids[i], "provider.pool must not contain the line number");
    if (c->voice.crisis_number && *c->voice.crisis_number &&
        parse_e164(c->voice.crisis_number, &why))
        diag_at(&L->file, ymap_get(ymap_get(root, "voice"), "crisis_number"),
                "voice.crisis_number: %s (988 itself cannot be dialled through the API; give the "
                "crisis line's full E.164 number, or leave it empty to tell callers to dial 988)",
                why);
    if (c->voice.hold_audio && *c->voice.hold_audio &&
        strncmp(c->voice.hold_audio, "https://", 8) && strncmp(c->voice.hold_audio, "http://", 7))
        diag_at(&L->file, ymap_get(ymap_get(root, "voice"), "hold_audio"),
                "voice.hold_audio must be an http(s) URL of an audio file");
    if (c->http.per_ip_limit > c->http.connection_limit)
        diag_at(&L->file, ymap_get(ymap_get(root, "http"), "per_ip_limit"),
                "http.per_ip_limit must not exceed http.connection_limit");
    if (c->retry.first_delay > c->retry.max_delay)
        diag_at(&L->file, ymap_get(ymap_get(root, "retry"), "first_delay"),
                "retry.first_delay must not exceed retry.max_delay");
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *d;

    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    d = malloc((size_t)(slash - path) + 1);
    if (!d)
        return NULL;
    memcpy(d, path, (size_t)(slash - path));
    d[slash - path] = '\0';
    return d;
}

struct config *config_load(const char *path, char *(*getenv_fn)(const char *), struct diag *d)
{
    struct cload L = {.file = {.d = d, .name = path}, .getenv_fn = getenv_fn ? getenv_fn : getenv};
    struct ynode *root = NULL;
    size_t before = diag_count(d);

    L.c = calloc(1, sizeof(struct config));
    if (!L.c)
        goto fail;
    L.c->path = strdup(path);
    L.c->dir = dir_of(path);
    if (!L.c->path || !L.c->dir)
        goto fail;
    root = ytree_load_map(path, CONFIG_MAX_BYTES, d,
                          "the config must be a mapping of keys (see README: Configuration)");
    if (!root)
        goto fail;
    walk(&L, root, "");
    check_provider_keys(&L, root);
    apply_defaults(&L);
    check_meaning(&L, root);
    if (L.file.errors || diag_count(d) > before)
        goto fail;
    ytree_free(root);
    return L.c;
fail:
    ytree_free(root);
    config_free(L.c);
    return NULL;
}

static void free_list(struct config_list *l)
{
    size_t i;

    for (i = 0; i < l->n; i++)
        free(l->items[i]);
    free(l->items);
}

void config_free(struct config *c)
{
    size_t i;

    if (!c)
        return;
    free(c->path);
    free(c->dir);
    free(c->public_url);
    free(c->database);
    free(c->spool);
    free(c->roster);
    free(c->log_level);
    free(c->voice.crisis_number);
    free(c->voice.hold_audio);
    free(c->provider.account_sid);
    free(c->provider.auth_token);
    free(c->provider.api_key);
    free(c->provider.public_key);
    free(c->provider.messaging_profile_id);
    free(c->provider.api_base);
    free(c->provider.line_number);
    for (i = 0; i < c->provider.npool; i++)
        free(c->provider.pool[i]);
    free(c->provider.pool);
    free(c->admin.token);
    free(c->retention.hash_key);
    for (i = 0; i < c->admin.ntokens; i++) {
        free(c->admin.coordinator_tokens[i].id);
        free(c->admin.coordinator_tokens[i].token);
    }
    free(c->admin.coordinator_tokens);
    free_list(&c->crisis.phrases);
    free_list(&c->languages);
    free(c->crisis.crisis_line);
    free(c->crisis.emergency);
    for (i = 0; i < c->ntexts; i++) {
        free(c->texts[i].lang);
        free(c->texts[i].name);
        free(c->texts[i].text);
    }
    free(c->texts);
    free(c);
}

int config_is_own_number(const struct config *c, const char *number)
{
    size_t i;

    if (!number)
        return 0;
    if (c->provider.line_number && !strcmp(c->provider.line_number, number))
        return 1;
    for (i = 0; i < c->provider.npool; i++)
        if (!strcmp(c->provider.pool[i], number))
            return 1;
    return 0;
}

const char *config_optout_scope(const struct config *c, const char *number)
{
    if (c->provider.opt_out_scope == OPT_OUT_PER_LINE && config_is_own_number(c, number))
        return c->provider.line_number;
    return number;
}

static int differ(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") != 0;
}

/* *dst becomes a copy of src (NULL stays NULL). */
static int dup_into(char **dst, const char *src)
{
    char *v = src ? strdup(src) : NULL;

    if (src && !v)
        return -1;
    free(*dst);
    *dst = v;
    return 0;
}

int config_keep_restart_keys(struct config *nc, const struct config *old)
{
    const struct config *o = old;
    char **pool = NULL;
    size_t i;

    if (o->provider.npool && !(pool = calloc(o->provider.npool, sizeof(*pool))))
        return -1;
    for (i = 0; i < o->provider.npool; i++)
        if (!(pool[i] = strdup(o->provider.pool[i])))
            goto fail;
    if (dup_into(&nc->public_url, o->public_url) || dup_into(&nc->database, o->database) ||
        dup_into(&nc->spool, o->spool) ||
        dup_into(&nc->provider.account_sid, o->provider.account_sid) ||
        dup_into(&nc->provider.auth_token, o->provider.auth_token) ||
        dup_into(&nc->provider.api_key, o->provider.api_key) ||
        dup_into(&nc->provider.public_key, o->provider.public_key) ||
        dup_into(&nc->provider.messaging_profile_id, o->provider.messaging_profile_id) ||
        dup_into(&nc->provider.api_base, o->provider.api_base) ||
        dup_into(&nc->provider.line_number, o->provider.line_number))
        goto fail;
    for (i = 0; i < nc->provider.npool; i++)
        free(nc->provider.pool[i]);
    free(nc->provider.pool);
    nc->provider.pool = pool;
    nc->provider.npool = o->provider.npool;
    memcpy(nc->listen_host, o->listen_host, sizeof(nc->listen_host));
    nc->listen_port = o->listen_port;
    nc->provider.kind = o->provider.kind;
    nc->provider.send_rate = o->provider.send_rate;
    nc->provider.opt_out_scope = o->provider.opt_out_scope;
    nc->provider.provider_confirms_opt_out = o->provider.provider_confirms_opt_out;
    nc->provider.provider_answers_help = o->provider.provider_answers_help;
    nc->retry = o->retry;
    nc->http = o->http;
    return 0;
fail:
    for (i = 0; pool && i < o->provider.npool; i++)
        free(pool[i]);
    free(pool);
    return -1;
}

size_t config_restart_keys(const struct config *a, const struct config *b, const char **out,
                           size_t max)
{
    size_t n = 0, i;

#define CHANGED(cond, key)                                                                         \
    do {                                                                                           \
        if ((cond) && n < max)                                                                     \
            out[n++] = (key);                                                                      \
    } while (0)
    CHANGED(differ(a->listen_host, b->listen_host) || a->listen_port != b->listen_port, "listen");
    CHANGED(differ(a->public_url, b->public_url), "public_url");
    CHANGED(differ(a->database, b->database), "database");
    CHANGED(differ(a->spool, b->spool), "spool");
    CHANGED(a->provider.kind != b->provider.kind, "provider.kind");
    CHANGED(differ(a->provider.account_sid, b->provider.account_sid), "provider.account_sid");
    CHANGED(differ(a->provider.auth_token, b->provider.auth_token), "provider.auth_token");
    CHANGED(differ(a->provider.api_key, b->provider.api_key), "provider.api_key");
    CHANGED(differ(a->provider.public_key, b->provider.public_key), "provider.public_key");
    CHANGED(differ(a->provider.messaging_profile_id, b->provider.messaging_profile_id),
            "provider.messaging_profile_id");
    CHANGED(differ(a->provider.api_base, b->provider.api_base), "provider.api_base");
    CHANGED(differ(a->provider.line_number, b->provider.line_number), "provider.line_number");
    {
        int pool = a->provider.npool != b->provider.npool;
        for (i = 0; !pool && i < a->provider.npool; i++)
            pool = differ(a->provider.pool[i], b->provider.pool[i]);
        CHANGED(pool, "provider.pool");
    }
    CHANGED(a->provider.send_rate != b->provider.send_rate, "provider.send_rate");
    CHANGED(a->provider.opt_out_scope != b->provider.opt_out_scope, "provider.opt_out_scope");
    CHANGED(a->provider.provider_confirms_opt_out != b->provider.provider_confirms_opt_out,
            "provider.opt_out_reply");
    CHANGED(a->provider.provider_answers_help != b->provider.provider_answers_help,
            "provider.help_reply");
    CHANGED(memcmp(&a->retry, &b->retry, sizeof(a->retry)) != 0, "retry");
    CHANGED(memcmp(&a->http, &b->http, sizeof(a->http)) != 0, "http");
#undef CHANGED
    return n;
}
