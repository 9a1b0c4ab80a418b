/*
 * cpu.c - see cpu.h.
 */
#include "cpu.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* /proc/.../schedstat: "run_ns wait_ns slices"; added to *out. */
static int add_schedstat(const char *path, struct cpu_ns *out)
{
    long long run, wait;
    FILE *f = fopen(path, "r");
    int n;

    if (!f)
        return -1;
    n = fscanf(f, "%lld %lld", &run, &wait);
    fclose(f);
    if (n != 2)
        return -1;
    out->run += run;
    out->wait += wait;
    return 0;
}

/* The first line of a small file, without its newline; "" when unreadable. */
static void first_line(const char *path, char *out, size_t n)
{
    FILE *f = fopen(path, "r");

    out[0] = '\0';
    if (f && fgets(out, (int)n, f))
        out[strcspn(out, "\n")] = '\0';
    if (f)
        fclose(f);
}

int cpu_threads(pid_t pid, const char *name, struct cpu_ns *out)
{
    char dir[64], path[400], comm[64];
    struct dirent *e;
    DIR *d;

    snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
    d = opendir(dir);
    if (!d)
        return -1;
    while ((e = readdir(d))) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        if (name) {
            snprintf(path, sizeof(path), "%s/%s/comm", dir, e->d_name);
            first_line(path, comm, sizeof(comm));
            if (strcmp(comm, name))
                continue;
        }
        snprintf(path, sizeof(path), "%s/%s/schedstat", dir, e->d_name);
        add_schedstat(path, out);
    }
    closedir(d);
    return 0;
}

pid_t cpu_parent(pid_t pid)
{
    char path[64], line[512], *p;
    int ppid = -1;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    first_line(path, line, sizeof(line));
    /* "pid (comm) state ppid ...": comm may hold spaces and parentheses; the last ')' ends it. */
    p = strrchr(line, ')');
    if (!p || sscanf(p + 1, " %*c %d", &ppid) != 1)
        return -1;
    return (pid_t)ppid;
}

int cpu_children(pid_t parent, struct cpu_ns *out)
{
    char path[300];
    struct dirent *e;
    DIR *d = opendir("/proc");

    if (!d)
        return -1;
    while ((e = readdir(d))) {
        long pid;

        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        pid = strtol(e->d_name, NULL, 10);
        if (pid != parent && cpu_parent((pid_t)pid) != parent)
            continue;
        snprintf(path, sizeof(path), "/proc/%ld/schedstat", pid);
        add_schedstat(path, out);
    }
    closedir(d);
    return 0;
}

int cpu_machine(int64_t *busy, int64_t *total)
{
    long long v[8] = {0};
    char line[512];
    long hz = sysconf(_SC_CLK_TCK);

    first_line("/proc/stat", line, sizeof(line));
    /* cpu user nice system idle iowait irq softirq steal */
    if (hz <= 0 || sscanf(line, "cpu %lld %lld %lld %lld %lld %lld %lld %lld", &v[0], &v[1], &v[2],
                          &v[3], &v[4], &v[5], &v[6], &v[7]) != 8)
        return -1;
    *busy = (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) * (1000000000LL / hz);
    *total = *busy + (v[3] + v[4]) * (1000000000LL / hz);
    return 0;
}
