/*
 * fuzz.h - what the libFuzzer targets in fuzz/ share: the entry point's
 * declaration (clang provides main) and a way to hand an input to a loader
 * that reads files.
 */
#ifndef PEERLINE_FUZZ_H
#define PEERLINE_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The input as a NUL-terminated string (malloc'd; the caller frees), so a
 * parser that takes C strings sees every byte up to the first NUL.
 */
char *fuzz_cstr(const uint8_t *data, size_t size);

/*
 * Writes the input to a file of its own in memory (memfd) and returns a
 * path that opens it ("/proc/self/fd/N"), in path (room for 64); *fd to
 * close after. -1 when that cannot be done.
 */
int fuzz_file(const uint8_t *data, size_t size, char path[64], int *fd);

#endif
