/*
 * fuzz_config.c - peerline.yaml from hostile bytes: libyaml, the node tree
 * (anchors, aliases, duplicate keys, depth) and every key's checks. A bad
 * file must come back as problems, never a crash or a leak.
 */
#include "config.h"
#include "diag.h"
#include "fuzz.h"

#include <stdlib.h>
#include <unistd.h>

static char *no_env(const char *name)
{
    (void)name;
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct diag *d = diag_new();
    struct config *c;
    char path[64];
    int fd;

    if (!d)
        return 0;
    if (fuzz_file(data, size, path, &fd) == 0) {
        c = config_load(path, no_env, d);
        if (!c && diag_count(d) == 0)
            abort(); /* refused without saying why */
        config_free(c);
        close(fd);
    }
    diag_free(d);
    return 0;
}
