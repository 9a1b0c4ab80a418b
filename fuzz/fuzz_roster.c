/*
 * fuzz_roster.c - roster.yaml from hostile bytes: topics, peers, shifts,
 * time zones, dates and the cross-references between them. A bad file must
 * come back as problems, never a crash or a leak.
 */
#include "diag.h"
#include "fuzz.h"
#include "roster.h"

#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct diag *d = diag_new();
    struct roster *r;
    char path[64];
    int fd;

    if (!d)
        return 0;
    if (fuzz_file(data, size, path, &fd) == 0) {
        r = roster_load(path, NULL, d);
        if (!r && diag_count(d) == 0)
            abort();
        roster_free(r);
        close(fd);
    }
    diag_free(d);
    return 0;
}
