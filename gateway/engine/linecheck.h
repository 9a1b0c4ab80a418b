/*
 * linecheck.h - the one judgement of a line's two files: what `peerline
 * check` refuses, `serve` will not start on and a reload keeps out.
 *
 * Each file is first checked on its own by its loader (config_load,
 * roster_load, and texts_new for the config's templates). Then the pair, by
 * linecheck_pair(): the roster against the config (crosscheck_files: tokens
 * naming real coordinators, no person holding one of the line's numbers)
 * and every text the line sends within its segment budget with the roster's
 * names filled in (texts_check: a 5,000-character line_name makes the
 * welcome five full texts), and the roster's resources in every language
 * the line ships and offers, each within its budget (rescheck.h). `check`,
 * `serve` at start and every reload call it, so no path lets in what
 * another refuses.
 */
#ifndef PEERLINE_LINECHECK_H
#define PEERLINE_LINECHECK_H

#include <stddef.h>

struct config;
struct diag;
struct roster;
struct texts;

/* A config, its templates and a roster, as a line runs them. */
struct line_files {
    struct config *cfg;
    struct texts *texts;
    struct roster *roster;
};

/* Checks the pair (t NULL: the texts are not); adds each problem to d and returns how many. */
size_t linecheck_pair(const struct config *c, const struct texts *t, const struct roster *r,
                      struct diag *d);

/*
 * Loads config_path, its templates and the roster it names, each checked,
 * then the pair (linecheck_pair). 0 with *out filled (free with
 * linecheck_free); -1 with every problem in d and *out empty.
 */
int linecheck_load(const char *config_path, struct line_files *out, struct diag *d);

void linecheck_free(struct line_files *f);

#endif
