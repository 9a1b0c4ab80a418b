/*
 * fuzz_roster.c - roster.yaml from hostile bytes: topics, peers, shifts,
 * time zones, dates, every repeat (keys, ids, phones, keywords, blocked
 * numbers: config/twins.c) and the cross-references between them. A roster
 * that loads is then judged with a fixed config as a reload judges it
 * (linecheck_pair: tokens, the line's numbers, every text's segments with
 * its names filled in). A bad file must come back as problems, never a
 * crash or a leak.
 */
#include "config.h"
#include "diag.h"
#include "fuzz.h"
#include "linecheck.h"
#include "roster.h"
#include "texts.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char config_yaml[] = "provider:\n"
                                  "  account_sid: AC00000000000000000000000000000000\n"
                                  "  auth_token: fuzz-auth-token\n"
                                  "  line_number: \"+15005550006\"\n"
                                  "  pool: [\"+15005550007\"]\n"
                                  "admin:\n"
                                  "  coordinator_tokens: {sam: fuzz-token-for-sam-0123}\n";

static struct config *cfg;
static struct texts *texts;

/* The config every roster is judged with, loaded once (kept for the process). */
static int load_config(void)
{
    struct diag *d;
    char path[64];
    int fd;

    if (cfg)
        return 0;
    d = diag_new();
    if (!d || fuzz_file((const uint8_t *)config_yaml, strlen(config_yaml), path, &fd)) {
        diag_free(d);
        return -1;
    }
    cfg = config_load(path, NULL, d);
    texts = cfg ? texts_new(cfg, d) : NULL;
    close(fd);
    if (!cfg || !texts || diag_count(d))
        abort(); /* the fixed config itself must be good */
    diag_free(d);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct diag *d = diag_new();
    struct roster *r;
    char path[64];
    int fd;

    if (!d || load_config()) {
        diag_free(d);
        return 0;
    }
    if (fuzz_file(data, size, path, &fd) == 0) {
        r = roster_load(path, NULL, d);
        if (!r && diag_count(d) == 0)
            abort();
        if (r && diag_count(d))
            abort(); /* a roster comes back only when nothing was wrong */
        if (r)
            (void)linecheck_pair(cfg, texts, r, d);
        roster_free(r);
        close(fd);
    }
    diag_free(d);
    return 0;
}
