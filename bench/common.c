/*
 * common.c - see common.h.
 */
#include "common.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

void bench_print_machine(const char *extra)
{
    char line[512], model[256] = "unknown";
    FILE *f = fopen("/proc/cpuinfo", "r");

    while (f && fgets(line, sizeof(line), f)) {
        char *c = strchr(line, ':');

        if (!strncmp(line, "model name", 10) && c) {
            c++;
            while (*c == ' ' || *c == '\t')
                c++;
            c[strcspn(c, "\n")] = '\0';
            snprintf(model, sizeof(model), "%s", c);
            break;
        }
    }
    if (f)
        fclose(f);
    printf("machine: %ld CPUs (nproc), %s%s\n", sysconf(_SC_NPROCESSORS_ONLN), model, extra);
}

uint64_t bench_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

int bench_cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return x < y ? -1 : x > y;
}

int64_t bench_pct(const int64_t *sorted, size_t n, double p)
{
    size_t k = (size_t)(p * (double)n + 0.999999);

    if (k == 0)
        k = 1;
    if (k > n)
        k = n;
    return sorted[k - 1];
}
