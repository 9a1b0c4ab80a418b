/*
 * cpu.h - where the machine's CPU time went during a benchmark phase, read
 * from /proc: the kernel's per-thread scheduler statistics (schedstat:
 * nanoseconds on a CPU and nanoseconds runnable but waiting for one) and
 * the machine's busy and idle time (/proc/stat). A phase is measured as the
 * difference of two readings. Threads that exit between the readings are
 * not counted (the gateway's threads live as long as it does).
 */
#ifndef PEERLINE_BENCH_CPU_H
#define PEERLINE_BENCH_CPU_H

#include <stdint.h>
#include <sys/types.h>

struct cpu_ns {
    int64_t run;  /* on a CPU */
    int64_t wait; /* runnable, waiting for a CPU */
};

/*
 * Adds to *out the schedstat of process pid's threads named `name` (its
 * comm, as prctl PR_SET_NAME set it), or of all its threads when name is
 * NULL: 0, or -1 when the process is gone.
 */
int cpu_threads(pid_t pid, const char *name, struct cpu_ns *out);
/* Adds to *out the schedstat of every process whose parent is `parent` (and of parent itself). */
int cpu_children(pid_t parent, struct cpu_ns *out);
/* The parent process of pid, or -1. */
pid_t cpu_parent(pid_t pid);
/* The machine: nanoseconds busy and in all, summed over its CPUs (/proc/stat): 0 or -1. */
int cpu_machine(int64_t *busy, int64_t *total);

#endif
