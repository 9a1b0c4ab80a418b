/*
 * test_generation.c - gateway/serve/generation.c: when a config a reload
 * replaced may be freed. Never while a request holds the generation that
 * was current when it began, nor while a thread says it reads it; at once
 * when neither; never the first (the sender's and the webhooks' settings).
 * Real configs and templates are loaded; ASan (make asan) would catch one
 * freed too soon.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "diag.h"
#include "generation.h"
#include "texts.h"

static char g_dir[64], g_path[128];

static int setup(void **state)
{
    static const char yaml[] = "provider:\n"
                               "  account_sid: AC00000000000000000000000000000000\n"
                               "  auth_token: token\n"
                               "  line_number: \"+15005550006\"\n";
    FILE *f;

    (void)state;
    snprintf(g_dir, sizeof(g_dir), "/tmp/peerline-generation.XXXXXX");
    if (!mkdtemp(g_dir))
        return -1;
    snprintf(g_path, sizeof(g_path), "%s/peerline.yaml", g_dir);
    f = fopen(g_path, "w");
    if (!f || fputs(yaml, f) < 0)
        return -1;
    return fclose(f);
}

static int teardown(void **state)
{
    (void)state;
    unlink(g_path);
    return rmdir(g_dir);
}

/* A config and its templates, as a reload makes them. */
static void load(struct config **c, struct texts **t)
{
    struct diag *d = diag_new();

    *c = config_load(g_path, NULL, d);
    assert_non_null(*c);
    *t = texts_new(*c, d);
    assert_non_null(*t);
    assert_int_equal(diag_count(d), 0);
    diag_free(d);
}

/* The configs a test says some thread still reads. */
static const struct config *read_by[4];

static int reading(void *arg, const struct config *cfg)
{
    size_t i;

    (void)arg;
    for (i = 0; i < 4; i++)
        if (read_by[i] == cfg)
            return 1;
    return 0;
}

static int nobody(void *arg, const struct config *cfg)
{
    (void)arg;
    (void)cfg;
    return 0;
}

static void a_held_or_read_config_is_kept_then_freed(void **state)
{
    struct generations g;
    struct generation *held;
    struct config *c0, *c1, *c2, *c3;
    struct texts *t0, *t1, *t2, *t3;

    (void)state;
    load(&c0, &t0);
    assert_int_equal(generations_init(&g, c0, t0), 0);
    assert_int_equal(atomic_load(&g.live), 1);

    /* A request began under c0; c1 replaces it: c0 is the first, kept anyway. */
    held = generation_hold(&g);
    assert_ptr_equal(held->cfg, c0);
    load(&c1, &t1);
    assert_int_equal(generations_publish(&g, c1, t1), 0);
    assert_int_equal(generations_reclaim(&g, nobody, NULL), 0);
    assert_int_equal(atomic_load(&g.live), 2);
    generation_release(&g, held);

    /* A request holds c1, a thread reads it too: c2 replaces it, c1 stays. */
    held = generation_hold(&g);
    assert_ptr_equal(held->cfg, c1);
    load(&c2, &t2);
    assert_int_equal(generations_publish(&g, c2, t2), 0);
    read_by[0] = c1;
    assert_int_equal(generations_reclaim(&g, reading, NULL), 1);
    generation_release(&g, held);
    assert_int_equal(generations_reclaim(&g, reading, NULL), 1); /* still read */
    assert_int_equal(c1->provider.npool, 0);                     /* and still readable */
    read_by[0] = NULL;
    assert_int_equal(generations_reclaim(&g, reading, NULL), 0); /* now freed */
    assert_int_equal(atomic_load(&g.live), 2);                   /* c0 and c2 */

    /* The one in use is never freed, however many times it is looked at. */
    assert_int_equal(generations_reclaim(&g, nobody, NULL), 0);
    assert_ptr_equal(g.current->cfg, c2);
    load(&c3, &t3);
    assert_int_equal(generations_publish(&g, c3, t3), 0);
    assert_int_equal(generations_reclaim(&g, nobody, NULL), 0);
    assert_int_equal(atomic_load(&g.live), 2); /* c0 and c3 */
    generations_free(&g);
}

/*
 * A request reads the config its module points at, which may be one
 * published after the request began: a request that began under c0 may be
 * reading c1 when c2 replaces it, so c1 stays until that request is done.
 */
static void a_request_keeps_every_config_published_since_it_began(void **state)
{
    struct generations g;
    struct generation *held;
    struct config *c0, *c1, *c2;
    struct texts *t0, *t1, *t2;

    (void)state;
    load(&c0, &t0);
    assert_int_equal(generations_init(&g, c0, t0), 0);
    held = generation_hold(&g); /* began under c0 */
    load(&c1, &t1);
    assert_int_equal(generations_publish(&g, c1, t1), 0); /* the request now reads c1 */
    load(&c2, &t2);
    assert_int_equal(generations_publish(&g, c2, t2), 0); /* c1 retired */
    assert_int_equal(generations_reclaim(&g, nobody, NULL), 1);
    assert_int_equal(atomic_load(&g.live), 3);
    assert_int_equal(c1->provider.npool, 0); /* still readable */
    generation_release(&g, held);
    assert_int_equal(generations_reclaim(&g, nobody, NULL), 0);
    assert_int_equal(atomic_load(&g.live), 2); /* c0 and c2 */
    generations_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_held_or_read_config_is_kept_then_freed),
        cmocka_unit_test(a_request_keeps_every_config_published_since_it_began),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
