/*
 * common.h - what every benchmark shares: the line naming the machine the
 * figures come from, nearest-rank percentiles of sorted samples, and a
 * deterministic pseudo-random sequence (the same figures from the same seed).
 */
#ifndef PEERLINE_BENCH_COMMON_H
#define PEERLINE_BENCH_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* Prints "machine: N CPUs (nproc), MODEL" and then `extra` (may be ""), and a newline. */
void bench_print_machine(const char *extra);
/* splitmix64: the next of a deterministic sequence of 64-bit numbers from *state. */
uint64_t bench_splitmix64(uint64_t *state);
/* qsort comparator for int64_t. */
int bench_cmp_i64(const void *a, const void *b);
/* The nearest-rank p-quantile (0..1) of sorted[0..n), n > 0. */
int64_t bench_pct(const int64_t *sorted, size_t n, double p);

#endif
