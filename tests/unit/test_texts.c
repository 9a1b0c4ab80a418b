/*
 * test_texts.c - gateway/engine/texts.c: the texts a texter and a peer read.
 * Every template exists in English and Spanish with the same placeholders;
 * English is plain GSM-7 ASCII; rendering fills placeholders; and the
 * segment budget of SPEC 5.5 holds with the longest names a roster allows.
 * Overrides in peerline.yaml are checked: unknown names, placeholders that
 * differ from English's, a language missing templates, a text over budget,
 * each reported with its line and column.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "diag.h"
#include "roster.h"
#include "sms.h"
#include "texts.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static char dir[64];

/* The longest names a roster may hold: 30-character line, 24-character peer, 40-character topic. */
static const char roster_yaml[] =
    "line_name: Riverside Peer Support Line NY\n"
    "timezone: America/New_York\n"
    "topics:\n"
    "  - {id: school, label: \"Relationships, family, friends or school\"}\n"
    "peers:\n"
    "  - {id: mg, name: Maria-Guadalupe-Fernande, phone: \"+15551230001\", topics: [school]}\n"
    "coordinators:\n"
    "  - {id: sam, name: Sam, phone: \"+15551239999\", on_call: true}\n";

static const char config_head[] = "provider:\n"
                                  "  account_sid: AC0123456789abcdef0123456789abcdef\n"
                                  "  auth_token: secret\n"
                                  "  line_number: \"+123456789012345\"\n";

static void write_file(const char *name, const char *text)
{
    char path[128];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

struct loaded {
    struct config *c;
    struct roster *r;
    struct texts *t;
    struct diag *d;
};

/* Loads config_head + extra and the long-names roster; t is NULL when texts_new refused. */
static void load(struct loaded *l, const char *extra)
{
    char cfg[4096], path[128];

    snprintf(cfg, sizeof(cfg), "%s%s", config_head, extra);
    write_file("peerline.yaml", cfg);
    write_file("roster.yaml", roster_yaml);
    snprintf(path, sizeof(path), "%s/peerline.yaml", dir);
    l->d = diag_new();
    l->c = config_load(path, NULL, l->d);
    assert_non_null(l->c);
    l->r = roster_load(l->c->roster, NULL, l->d);
    assert_non_null(l->r);
    l->t = texts_new(l->c, l->d);
}

static void unload(struct loaded *l)
{
    texts_free(l->t);
    roster_free(l->r);
    config_free(l->c);
    diag_free(l->d);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/test_texts.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[128];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) ? -1 : 0;
}

/* The set of {placeholders} of a text, as one sorted string. */
static void placeholders(const char *t, char *out, size_t n)
{
    char found[32][32];
    size_t k = 0, i, j, len = 0;

    while ((t = strchr(t, '{')) && k < 32) {
        const char *close = strchr(t, '}');
        if (!close)
            break;
        snprintf(found[k], sizeof(found[k]), "%.*s", (int)(close - t + 1), t);
        for (j = 0; j < k && strcmp(found[j], found[k]); j++)
            ;
        if (j == k)
            k++;
        t = close + 1;
    }
    for (i = 1; i < k; i++) /* insertion sort */
        for (j = i; j > 0 && strcmp(found[j - 1], found[j]) > 0; j--) {
            char tmp[32];
            memcpy(tmp, found[j], 32);
            memcpy(found[j], found[j - 1], 32);
            memcpy(found[j - 1], tmp, 32);
        }
    out[0] = '\0';
    for (i = 0; i < k && len + strlen(found[i]) < n; i++)
        len += (size_t)snprintf(out + len, n - len, "%s", found[i]);
}

static void every_template_in_both_languages(void **state)
{
    struct loaded l;
    int id;

    (void)state;
    load(&l, "");
    assert_non_null(l.t);
    for (id = 0; id < TX_COUNT; id++) {
        const char *en = texts_template(l.t, (enum text_id)id, "en");
        const char *es = texts_template(l.t, (enum text_id)id, "es");
        char pe[256], ps[256];
        size_t i;

        if (!en[0] || !es[0])
            fail_msg("%s is missing in %s", texts_name((enum text_id)id), en[0] ? "es" : "en");
        if (id != TX_LANG_OFFER && !strcmp(en, es))
            fail_msg("%s is not translated", texts_name((enum text_id)id));
        placeholders(en, pe, sizeof(pe));
        placeholders(es, ps, sizeof(ps));
        if (strcmp(pe, ps))
            fail_msg("%s: English has %s, Spanish %s", texts_name((enum text_id)id), pe, ps);
        /* English: plain ASCII, GSM-7, no curly quotes or emoji. */
        for (i = 0; en[i]; i++)
            if ((unsigned char)en[i] >= 0x80)
                fail_msg("%s: byte 0x%02x in English", texts_name((enum text_id)id),
                         (unsigned char)en[i]);
        assert_true(sms_is_gsm7(en));
        /* Spanish: no curly quotes (U+2018/2019/201C/201D start with e2 80) and no emoji. */
        assert_null(strstr(es, "\xe2\x80"));
        assert_null(strstr(es, "\xf0\x9f"));
        assert_int_equal(texts_id(texts_name((enum text_id)id)), id);
    }
    assert_int_equal(texts_id("no_such_template"), -1);
    assert_string_equal(texts_lang(l.t, "es"), "es");
    assert_string_equal(texts_lang(l.t, "fr"), "en"); /* not offered: the default */
    assert_string_equal(texts_lang(l.t, NULL), "en");
    unload(&l);
}

static void render_fills_placeholders(void **state)
{
    struct loaded l;
    struct buf b = BUF_INIT(0);
    struct text_var v[] = {{"peer", "Alex"}};

    (void)state;
    load(&l, "");
    assert_int_equal(texts_render(l.t, TX_END_TEXTER, "en", v, N(v), &b), 0);
    assert_string_equal(b.p, "Alex has ended the chat. Thank you for reaching out. Text us any "
                             "time to talk again. STOP/END/QUIT stop all texts.");
    buf_reset(&b);
    assert_int_equal(texts_render(l.t, TX_END_TEXTER, "es", v, N(v), &b), 0);
    assert_non_null(strstr(b.p, "Alex terminó el chat."));
    buf_reset(&b);
    /* An unknown placeholder stays as written; a value is never expanded again. */
    v[0].value = "{line}";
    assert_int_equal(texts_render(l.t, TX_POOL_STRANGER, "en", v, N(v), &b), 0);
    assert_string_equal(b.p, "This number does not take texts. To reach {line}, text "
                             "{line_number}.");
    buf_reset(&b);
    assert_int_equal(texts_render(l.t, TX_END_TEXTER, "en", v, N(v), &b), 0);
    assert_non_null(strstr(b.p, "{line} has ended"));
    buf_free(&b);
    unload(&l);
}

static void names_of_languages_and_days(void **state)
{
    (void)state;
    assert_string_equal(texts_language_name("es", "en"), "Spanish");
    assert_string_equal(texts_language_name("es", "es"), "español");
    assert_string_equal(texts_language_name("en", "es"), "inglés");
    assert_string_equal(texts_language_name("xx", "en"), "xx");
    assert_string_equal(texts_day_name(3, "en"), "Wed");
    assert_string_equal(texts_day_name(3, "es"), "mié");
    assert_string_equal(texts_day_name(9, "en"), "?");
}

/* SPEC 5.5: with the longest names filled in, every routine text fits its budget. */
static void shipped_texts_fit_their_budget(void **state)
{
    struct loaded l;

    (void)state;
    load(&l, "");
    assert_non_null(l.t);
    texts_check(l.t, l.c, l.r, l.d);
    if (diag_count(l.d)) {
        diag_print(l.d, stderr);
        fail_msg("%zu template(s) over budget", diag_count(l.d));
    }
    unload(&l);
}

static void overrides_are_checked_where_written(void **state)
{
    struct loaded l;
    char want[512];

    (void)state;
    /* A good override takes effect. */
    load(&l, "texts:\n  en:\n    passed: \"Passed, thanks.\"\n");
    assert_non_null(l.t);
    assert_string_equal(texts_template(l.t, TX_PASSED, "en"), "Passed, thanks.");
    unload(&l);

    /* Unknown template, foreign placeholder, missing placeholder: each at its place. */
    load(&l, "texts:\n"
             "  en:\n"
             "    pased: \"typo\"\n"                       /* line 7 */
             "    on: \"You're on until {when}.\"\n"       /* line 8 */
             "    end_texter: \"The chat has ended.\"\n"); /* line 9 */
    assert_null(l.t);
    assert_int_equal(diag_count(l.d), 3);
    snprintf(want, sizeof(want), "%s/peerline.yaml:7:12: texts.en.pased: no such template", dir);
    assert_string_equal(diag_get(l.d, 0), want);
    assert_non_null(strstr(diag_get(l.d, 1), ":8:9: texts.en.on: placeholder {when} differs"));
    assert_non_null(
        strstr(diag_get(l.d, 2), ":9:17: texts.en.end_texter: placeholder {peer} differs"));
    unload(&l);

    /* A language the line offers must have every template. */
    load(&l, "languages: [en, fr]\ntexts:\n  fr:\n    passed: \"Passé, merci.\"\n");
    assert_null(l.t);
    assert_int_equal(diag_count(l.d), TX_COUNT - 1);
    assert_non_null(strstr(diag_get(l.d, 0), "language fr has no template welcome"));
    unload(&l);

    /* Too long with the roster's names: two segments in GSM-7. */
    load(&l, "texts:\n  en:\n    welcome: \"{line}: we are a line of volunteers who are "
             "trained to listen and who are not counsellors. BYE ends a chat; STOP/END/QUIT stop "
             "all texts; HELP for help.\"\n");
    assert_non_null(l.t);
    texts_check(l.t, l.c, l.r, l.d);
    assert_int_equal(diag_count(l.d), 1);
    assert_non_null(strstr(diag_get(l.d, 0), ":7:14: texts.en.welcome is 2 segments"));
    unload(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_template_in_both_languages),
        cmocka_unit_test(render_fills_placeholders),
        cmocka_unit_test(names_of_languages_and_days),
        cmocka_unit_test(shipped_texts_fit_their_budget),
        cmocka_unit_test(overrides_are_checked_where_written),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
