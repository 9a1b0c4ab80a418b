/*
 * loadcase.h - shared by the loader tests (test_config.c, test_roster.c):
 * write a YAML text to a file in a mkdtemp() directory, load it with the
 * loader under test, and compare every diagnostic, in order, with the
 * expected "FILE:LINE:COL: message" lines.
 *
 * Header-only on purpose: each test binary links the library objects and
 * its one test file, and these helpers are the tests' own.
 */
#ifndef PEERLINE_LOADCASE_H
#define PEERLINE_LOADCASE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"

#define LOADCASE_UNUSED __attribute__((unused))

static char g_dir[64];   /* the test directory, made by loadcase_setup */
static char g_path[128]; /* the one file every case is written to */

/* Loads the file at path; returns the loaded thing or NULL, problems in d. */
typedef void *(*loadcase_fn)(const char *path, struct diag *d);

/* One expected problem: line 0 is the whole-file form "FILE: message". */
struct want {
    int line, col;
    const char *msg;
};

#define MAX_WANT 16

/* A file with mistakes: nothing loaded, exactly the listed problems, in that order. */
struct bad_case {
    const char *what;
    const char *yaml;
    struct want want[MAX_WANT];
};

#define NCASES(a) (sizeof(a) / sizeof((a)[0]))

static LOADCASE_UNUSED int loadcase_setup(const char *filename)
{
    snprintf(g_dir, sizeof(g_dir), "/tmp/peerline-loadcase.XXXXXX");
    if (!mkdtemp(g_dir))
        return -1;
    snprintf(g_path, sizeof(g_path), "%s/%s", g_dir, filename);
    return 0;
}

static LOADCASE_UNUSED int loadcase_teardown(void)
{
    unlink(g_path);
    return rmdir(g_dir);
}

static LOADCASE_UNUSED void write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* Writes `yaml` to g_path and loads it; *d gets the diagnostics. */
static LOADCASE_UNUSED void *loadcase_text(loadcase_fn load, const char *yaml, struct diag **d)
{
    void *x;

    write_file(g_path, yaml, strlen(yaml));
    *d = diag_new();
    assert_non_null(*d);
    x = load(g_path, *d);
    unlink(g_path);
    return x;
}

/* Loads a file that must be clean; prints the problems when it is not. */
static LOADCASE_UNUSED void *loadcase_ok(loadcase_fn load, const char *yaml)
{
    struct diag *d;
    void *x = loadcase_text(load, yaml, &d);

    if (diag_count(d)) {
        diag_print(d, stderr);
        fail_msg("%zu unexpected problem(s), first: %s", diag_count(d), diag_get(d, 0));
    }
    assert_non_null(x);
    diag_free(d);
    return x;
}

/*
 * Compares problem i of d with w; on a difference writes both into why
 * (and returns -1), so the caller can free everything before failing.
 */
static LOADCASE_UNUSED int diag_differs(const struct diag *d, size_t i, const struct want *w,
                                        char *why, size_t whylen)
{
    char exp[1024];

    if (w->line > 0)
        snprintf(exp, sizeof(exp), "%s:%d:%d: %s", g_path, w->line, w->col, w->msg);
    else
        snprintf(exp, sizeof(exp), "%s: %s", g_path, w->msg);
    if (!strcmp(diag_get(d, i), exp))
        return 0;
    snprintf(why, whylen, "problem %zu is\n  \"%s\"\nexpected\n  \"%s\"", i, diag_get(d, i), exp);
    return -1;
}

static LOADCASE_UNUSED size_t count_want(const struct want *w)
{
    size_t n = 0;

    while (n < MAX_WANT && w[n].msg)
        n++;
    return n;
}

/* Runs each case: nothing may load, and the problems must be exactly the wanted ones. */
static LOADCASE_UNUSED void loadcase_bad(loadcase_fn load, void (*release)(void *),
                                         const struct bad_case *cases, size_t n)
{
    size_t i, j;

    for (i = 0; i < n; i++) {
        struct diag *d;
        void *x = loadcase_text(load, cases[i].yaml, &d);
        size_t nw = count_want(cases[i].want);
        char why[2560] = "";

        if (diag_count(d) != nw)
            snprintf(why, sizeof(why), "%zu problem(s), expected %zu", diag_count(d), nw);
        for (j = 0; !*why && j < nw; j++)
            diag_differs(d, j, &cases[i].want[j], why, sizeof(why));
        if (!*why && x)
            snprintf(why, sizeof(why), "loaded although it has problems");
        if (*why)
            diag_print(d, stderr);
        release(x);
        diag_free(d);
        if (*why)
            fail_msg("%s: %s", cases[i].what, why);
    }
}

#endif
