/*
 * texts.c - see texts.h.
 *
 * A struct texts is, for each offered language, a table of TX_COUNT
 * template pointers: the shipped table's, replaced one by one by the
 * config's overrides (which stay owned by the config). Rendering is a single
 * pass over the template.
 */
#include "texts.h"
#include "buf.h"
#include "config.h"
#include "diag.h"
#include "resources.h"
#include "roster.h"
#include "sms.h"
#include "texts_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LANGS 16

struct texts {
    const char *codes[MAX_LANGS];
    const char *table[MAX_LANGS][TX_COUNT];
    size_t n;
};

static const char *const names[TX_COUNT] = {
    [TX_WELCOME] = "welcome",
    [TX_MENU] = "menu",
    [TX_MENU_AGAIN] = "menu_again",
    [TX_QUEUED] = "queued",
    [TX_STILL_QUEUED] = "still_queued",
    [TX_LEFT_QUEUE] = "left_queue",
    [TX_NOT_IN_CHAT] = "not_in_chat",
    [TX_INTRO_TEXTER] = "intro_texter",
    [TX_INTRO_PEER] = "intro_peer",
    [TX_OFFER] = "offer",
    [TX_OFFER_WAITING] = "offer_waiting",
    [TX_OFFER_GONE] = "offer_gone",
    [TX_OFFER_WITHDRAWN] = "offer_withdrawn",
    [TX_PASSED] = "passed",
    [TX_ALREADY_IN_CHAT] = "already_in_chat",
    [TX_BYE_TEXTER] = "bye_texter",
    [TX_TEXTER_LEFT] = "texter_left",
    [TX_END_TEXTER] = "end_texter",
    [TX_END_PEER] = "end_peer",
    [TX_CLOSED_NUMBER] = "closed_number",
    [TX_STOP_CONFIRM] = "stop_confirm",
    [TX_START_CONFIRM] = "start_confirm",
    [TX_HELP] = "help",
    [TX_PEER_HELP] = "peer_help",
    [TX_PEER_STEPPED_AWAY] = "peer_stepped_away",
    [TX_RELAY_FAILED_TEXTER] = "relay_failed_texter",
    [TX_RELAY_FAILED_PEER] = "relay_failed_peer",
    [TX_POOL_STRANGER] = "pool_stranger",
    [TX_NO_PICTURES] = "no_pictures",
    [TX_PICTURE_NOT_PASSED] = "picture_not_passed",
    [TX_CLOSED_BY_LINE] = "closed_by_line",
    [TX_TEXTER_UNREACHABLE] = "texter_unreachable",
    [TX_TROUBLE] = "trouble",
    [TX_QUEUED_ESTIMATE] = "queued_estimate",
    [TX_QUEUED_NO_SHIFT] = "queued_no_shift",
    [TX_QUEUED_NO_ONE] = "queued_no_one",
    [TX_QUEUE_UPDATE] = "queue_update",
    [TX_QUEUE_UPDATE_ESTIMATE] = "queue_update_estimate",
    [TX_UPDATE_NO_SHIFT] = "update_no_shift",
    [TX_UPDATE_NO_ONE] = "update_no_one",
    [TX_MAX_WAIT] = "max_wait",
    [TX_NUDGE_PEER] = "nudge_peer",
    [TX_SILENT_PEER_REQUEUED] = "silent_peer_requeued",
    [TX_IDLE_CLOSED_TEXTER] = "idle_closed_texter",
    [TX_IDLE_CLOSED_PEER] = "idle_closed_peer",
    [TX_IDLE_URGENT_PEER] = "idle_urgent_peer",
    [TX_MISSED_OFFERS] = "missed_offers",
    [TX_ON] = "on",
    [TX_OFF] = "off",
    [TX_OFF_UNTIL_ON] = "off_until_on",
    [TX_STATUS] = "status",
    [TX_TRANSFERRED_TEXTER] = "transferred_texter",
    [TX_TRANSFERRED_PEER] = "transferred_peer",
    [TX_TRANSFER_UNKNOWN] = "transfer_unknown",
    [TX_ESCALATED_PEER] = "escalated_peer",
    [TX_ALERT_ESCALATE] = "alert_escalate",
    [TX_ALERT_IDLE] = "alert_idle",
    [TX_ACKED] = "acked",
    [TX_NO_ALERT] = "no_alert",
    [TX_TAKE_REF_REFUSED] = "take_ref_refused",
    [TX_STAFF_HELP] = "staff_help",
    [TX_ONLY_IN_CHAT] = "only_in_chat",
    [TX_SAFETY] = "safety",
    [TX_ALERT_CRISIS] = "alert_crisis",
    [TX_ALERT_CRISIS_OPTED_OUT] = "alert_crisis_opted_out",
    [TX_ALERT_CRISIS_BLOCKED] = "alert_crisis_blocked",
    [TX_ALERT_UNACKED] = "alert_unacked",
    [TX_ALERT_URGENT_BYE] = "alert_urgent_bye",
    [TX_ALERT_PEER_OPTOUT] = "alert_peer_optout",
    [TX_ALERT_CRISIS_UNHANDLED] = "alert_crisis_unhandled",
    [TX_ALERT_SIGNATURES] = "alert_signatures",
    [TX_LINE_CLOSED_TEXTER] = "line_closed_texter",
    [TX_LANG_OFFER] = "lang_offer",
    [TX_LANG_SET] = "lang_set",
    [TX_FLOOD] = "flood",
    [TX_RATING_ASK] = "rating_ask",
    [TX_RATING_THANKS] = "rating_thanks",
    [TX_TEXTER_BYE_PEER] = "texter_bye_peer",
    [TX_LAST_WORD_SENT] = "last_word_sent",
    [TX_OFFER_URGENT] = "offer_urgent",
    [TX_STATE_ON_SHIFT] = "state_on_shift",
    [TX_STATE_OFF_SHIFT] = "state_off_shift",
    [TX_STATE_ON_UNTIL] = "state_on_until",
    [TX_STATE_OFF_UNTIL] = "state_off_until",
    [TX_STATE_ON] = "state_on",
    [TX_STATE_OFF] = "state_off",
    [TX_STATE_COORDINATOR] = "state_coordinator",
    [TX_ALERT_VOICEMAIL] = "alert_voicemail",
    [TX_ALERT_MISSED_CALL] = "alert_missed_call",
    [TX_ALERT_CRISIS_CALL] = "alert_crisis_call",
    [TX_MISSED_CALL] = "missed_call",
    [TX_CALLBACK_STARTED] = "callback_started",
    [TX_CALLBACK_REFUSED] = "callback_refused",
    [TX_RELAY_SHORTENED] = "relay_shortened",
    [TX_REPLY_SHORTENED] = "reply_shortened",
    [TX_DEBRIEF_OFFER] = "debrief_offer",
    [TX_DEBRIEF_ASKED] = "debrief_asked",
    [TX_ALERT_DEBRIEF] = "alert_debrief",
    [TX_ALERT_DEBRIEF_NO_CHAT] = "alert_debrief_no_chat",
    [TX_NOTE_SAVED] = "note_saved",
    [TX_NOTE_SHORTENED] = "note_shortened",
    [TX_NOTE_USAGE] = "note_usage",
    [TX_NOTE_NOT_TAKEN] = "note_not_taken",
    [TX_NOTES_HEADING] = "notes_heading",
    [TX_NOTE_LINE] = "note_line",
    [TX_RES_LIST] = "res_list",
    [TX_RES_NONE] = "res_none",
    [TX_RES_SENT] = "res_sent",
    [TX_SHADOW_INTRO] = "shadow_intro",
    [TX_SHADOW_TEXTER] = "shadow_texter",
    [TX_SHADOW_PEER] = "shadow_peer",
    [TX_SUGGESTION] = "suggestion",
    [TX_SUGGESTION_SENT] = "suggestion_sent",
    [TX_SHADOW_READ_ONLY] = "shadow_read_only",
    [TX_SHADOW_END_CLOSED] = "shadow_end_closed",
    [TX_SHADOW_END_REQUEUED] = "shadow_end_requeued",
    [TX_SHADOW_END_URGENT] = "shadow_end_urgent",
    [TX_SHADOW_END_PRIVATE] = "shadow_end_private",
    [TX_SHADOW_END_UNSHADOW] = "shadow_end_unshadow",
    [TX_SHADOW_STOPPED_PEER] = "shadow_stopped_peer",
    [TX_SHADOW_PRIVATE_PEER] = "shadow_private_peer",
    [TX_PRIVATE_TEXTER] = "private_texter",
    [TX_NOT_SHADOWING] = "not_shadowing",
    [TX_SUGGEST_WHERE] = "suggest_where",
    [TX_TRAINEE_HELP] = "trainee_help",
    [TX_NONE] = "none",
};

static const struct {
    const char *code;
    const char *const *table;
} shipped[] = {{"en", texts_en}, {"es", texts_es}};

const char *texts_name(enum text_id id)
{
    return (unsigned)id < TX_COUNT ? names[id] : "?";
}

const char *texts_shipped(size_t i)
{
    return i < sizeof(shipped) / sizeof(shipped[0]) ? shipped[i].code : NULL;
}

int texts_id(const char *name)
{
    int i;

    for (i = 0; i < TX_COUNT; i++)
        if (!strcmp(names[i], name))
            return i;
    return -1;
}

/* 1 when `needle` ({name}, n bytes) occurs in s. */
static int has_placeholder(const char *s, const char *needle, size_t n)
{
    for (; (s = strchr(s, '{')); s++)
        if (!strncmp(s, needle, n))
            return 1;
    return 0;
}

/*
 * 1 when a and b use the same set of {placeholders}; else 0, with the first
 * one found in only one of them copied to `odd`.
 */
static int same_placeholders(const char *a, const char *b, char *odd, size_t oddlen)
{
    int pass;

    for (pass = 0; pass < 2; pass++) {
        const char *x = pass ? b : a, *y = pass ? a : b, *open;

        while ((open = strchr(x, '{'))) {
            const char *close = strchr(open, '}');
            size_t n;

            if (!close)
                break;
            n = (size_t)(close - open + 1);
            if (!has_placeholder(y, open, n)) {
                snprintf(odd, oddlen, "%.*s", (int)n, open);
                return 0;
            }
            x = close + 1;
        }
    }
    return 1;
}

struct texts *texts_new(const struct config *cfg, struct diag *d)
{
    struct texts *t = calloc(1, sizeof(*t));
    size_t i, k, errors = 0;
    int id;

    if (!t) {
        diag_add(d, cfg->path, 0, 0, "out of memory");
        return NULL;
    }
    for (i = 0; i < cfg->languages.n && t->n < MAX_LANGS; i++) {
        t->codes[t->n] = cfg->languages.items[i];
        for (k = 0; k < sizeof(shipped) / sizeof(shipped[0]); k++)
            if (!strcmp(shipped[k].code, t->codes[t->n]))
                memcpy(t->table[t->n], shipped[k].table, sizeof(t->table[0]));
        t->n++;
    }
    for (i = 0; i < cfg->ntexts; i++) {
        const struct config_text *ct = &cfg->texts[i];
        char odd[64];

        for (k = 0; k < t->n && strcmp(t->codes[k], ct->lang); k++)
            ;
        id = texts_id(ct->name);
        if (k == t->n) {
            diag_add(d, cfg->path, ct->line, ct->col,
                     "texts.%s: the line does not offer language %s (add it to languages)",
                     ct->lang, ct->lang);
            errors++;
        } else if (id < 0) {
            diag_add(d, cfg->path, ct->line, ct->col, "texts.%s.%s: no such template", ct->lang,
                     ct->name);
            errors++;
        } else if (!same_placeholders(ct->text, texts_en[id], odd, sizeof(odd))) {
            diag_add(d, cfg->path, ct->line, ct->col,
                     "texts.%s.%s: placeholder %s differs from the English template's", ct->lang,
                     ct->name, odd);
            errors++;
        } else {
            t->table[k][id] = ct->text;
        }
    }
    for (k = 0; k < t->n; k++) {
        for (id = 0; id < TX_COUNT; id++) {
            if (!t->table[k][id]) {
                diag_add(d, cfg->path, 0, 0, "language %s has no template %s (texts.%s.%s)",
                         t->codes[k], names[id], t->codes[k], names[id]);
                errors++;
            }
        }
    }
    if (!t->n) {
        diag_add(d, cfg->path, 0, 0, "languages must name at least one language");
        errors++;
    }
    if (errors) {
        free(t);
        return NULL;
    }
    return t;
}

void texts_free(struct texts *t)
{
    free(t);
}

static size_t lang_index(const struct texts *t, const char *code)
{
    size_t k;

    for (k = 0; code && k < t->n; k++)
        if (!strcmp(t->codes[k], code))
            return k;
    return 0;
}

const char *texts_lang(const struct texts *t, const char *code)
{
    return t->codes[lang_index(t, code)];
}

size_t texts_languages(const struct texts *t, const char *const **codes)
{
    *codes = t->codes;
    return t->n;
}

const char *texts_template(const struct texts *t, enum text_id id, const char *lang)
{
    if ((unsigned)id >= TX_COUNT)
        return "";
    return t->table[lang_index(t, lang)][id];
}

int texts_render(const struct texts *t, enum text_id id, const char *lang,
                 const struct text_var *vars, size_t nvars, struct buf *out)
{
    return texts_fill(texts_template(t, id, lang), vars, nvars, out);
}

int texts_fill(const char *s, const struct text_var *vars, size_t nvars, struct buf *out)
{
    while (*s) {
        const char *open = strchr(s, '{'), *close;
        size_t i;

        if (!open)
            return buf_puts(out, s);
        close = strchr(open, '}');
        if (!close)
            return buf_puts(out, s);
        if (buf_append(out, s, (size_t)(open - s)))
            return -1;
        for (i = 0; i < nvars; i++) {
            if (strlen(vars[i].name) == (size_t)(close - open - 1) &&
                !strncmp(vars[i].name, open + 1, (size_t)(close - open - 1)))
                break;
        }
        if (i < nvars) {
            if (buf_puts(out, vars[i].value ? vars[i].value : ""))
                return -1;
        } else if (buf_append(out, open, (size_t)(close - open + 1))) {
            return -1;
        }
        s = close + 1;
    }
    return 0;
}

/* Texts whose length is the roster's or a writer's (a peer's note), not the template's. */
static int unbudgeted(int id)
{
    return id == TX_MENU || id == TX_MENU_AGAIN || id == TX_TRANSFER_UNKNOWN ||
           id == TX_ALERT_ESCALATE || id == TX_STATUS || id == TX_LANG_OFFER ||
           id == TX_NOTE_LINE || id == TX_RES_LIST || id == TX_SUGGESTION;
}

static const char *longest(const char *a, const char *b)
{
    return strlen(b) > strlen(a) ? b : a;
}

void texts_check(const struct texts *t, const struct config *cfg, const struct roster *r,
                 struct diag *d)
{
    const char *peer = "Maria-Guadalupe", *topic = "Something else";
    const char *peer_id = "maria-guadalupe";
    const char *resource = r->nresources ? "" : "A label of forty characters, the longest";
    size_t i, k;
    int id;

    for (i = 0; i < r->npeers; i++) {
        peer = longest(peer, r->peers[i].name);
        peer_id = longest(peer_id, r->peers[i].id);
    }
    for (i = 0; i < r->ncoordinators; i++) {
        peer = longest(peer, r->coordinators[i].name);
        peer_id = longest(peer_id, r->coordinators[i].id);
    }
    for (i = 0; i < r->ntopics; i++)
        topic = longest(topic, r->topics[i].label);
    for (i = 0; i < r->nresources; i++)
        resource = longest(resource, r->resources[i].label);
    for (k = 0; k < t->n; k++) {
        for (id = 0; id < TX_COUNT; id++) {
            const struct text_var v[] = {
                {"line", r->line_name},
                {"peer", peer},
                {"peer_id", peer_id},
                {"trainee", peer},
                {"topic", topic},
                {"position", "999"},
                {"wait", "23 h 59 min"},
                {"when", "23 h 59 min"},
                {"expires", "59 min"},
                {"lang", "Haitian Creole"},
                {"line_number", cfg->provider.line_number},
                {"until", "Wed 23:30"},
                {"ref", "R1ZZZ"},
                {"minutes", "59"},
                {"crisis_line", cfg->crisis.crisis_line},
                {"emergency", cfg->crisis.emergency},
                {"max", "1600"},
                {"resource", resource},
            };
            struct buf b = BUF_INIT(0);
            const char *text;
            int segs, gsm;
            size_t c;

            if (unbudgeted(id))
                continue;
            if (texts_render(t, (enum text_id)id, t->codes[k], v, sizeof(v) / sizeof(v[0]), &b))
                break;
            text = b.p ? b.p : "";
            segs = sms_segments(text);
            gsm = sms_is_gsm7(text);
            if (segs > (gsm ? 1 : 2)) {
                /* Reported where it was written, when the config wrote it. */
                for (c = 0; c < cfg->ntexts; c++)
                    if (!strcmp(cfg->texts[c].lang, t->codes[k]) &&
                        !strcmp(cfg->texts[c].name, names[id]))
                        break;
                diag_add(d, cfg->path, c < cfg->ntexts ? cfg->texts[c].line : 0,
                         c < cfg->ntexts ? cfg->texts[c].col : 0,
                         "texts.%s.%s is %d segments with the roster's longest names filled in "
                         "(at most %d; %zu characters)",
                         t->codes[k], names[id], segs, gsm ? 1 : 2, sms_chars(text));
            }
            buf_free(&b);
        }
    }
}

const char *texts_language_name(const char *code, const char *in_lang)
{
    static const char *const table[][3] = {
        {"en", "English", "inglés"}, {"es", "Spanish", "español"},
        {"fr", "French", "francés"}, {"pt", "Portuguese", "portugués"},
        {"zh", "Chinese", "chino"},  {"vi", "Vietnamese", "vietnamita"},
        {"ar", "Arabic", "árabe"},   {"ko", "Korean", "coreano"},
        {"ru", "Russian", "ruso"},   {"de", "German", "alemán"},
        {"tl", "Tagalog", "tagalo"}, {"ht", "Haitian Creole", "criollo haitiano"},
    };
    int es = in_lang && !strcmp(in_lang, "es");
    size_t i;

    for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (!strcmp(table[i][0], code))
            return table[i][es ? 2 : 1];
    return code;
}

const char *texts_day_name(int wday, const char *lang)
{
    static const char *const en[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const es[] = {"dom", "lun", "mar", "mié", "jue", "vie", "sáb"};

    if (wday < 0 || wday > 6)
        return "?";
    return lang && !strcmp(lang, "es") ? es[wday] : en[wday];
}
