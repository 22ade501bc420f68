/*
 * resources.c - what this machine offers a local run: CPUs (the affinity mask, capped by
 * a cgroup v2 CPU quota) and memory (MemAvailable, capped by a cgroup v2 or v1 limit), for
 * the executor's defaults.
 */
#include "exec/executor.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "util/banned.h"

/* CPUs a cgroup v2 quota allows ("200000 100000" -> 2, rounded up), or 0 for none. */
static int cgroup_cpus(void)
{
    FILE *f = fopen("/sys/fs/cgroup/cpu.max", "re");
    long long quota, period;
    int n = 0;
    if (!f)
        return 0;
    if (fscanf(f, "%lld %lld", &quota, &period) == 2 && quota > 0 && period > 0)
        n = (int)((quota + period - 1) / period);
    fclose(f);
    return n;
}

int df_default_jobs(void)
{
    cpu_set_t set;
    long n;
    int cg = cgroup_cpus();

    if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
        n = CPU_COUNT(&set);
    else
        n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        n = 1;
    /* A container's CPU quota is a harder limit than the CPUs it can see. */
    return cg > 0 && cg < n ? cg : (int)n;
}

/* The first number in a file, or 0 ("max", missing, unreadable). */
static uint64_t read_number(const char *path)
{
    FILE *f = fopen(path, "re");
    unsigned long long v = 0;
    if (!f)
        return 0;
    if (fscanf(f, "%llu", &v) != 1)
        v = 0;
    fclose(f);
    return (uint64_t)v;
}

/* A field of /proc/meminfo in bytes, or 0. */
static uint64_t meminfo(const char *field)
{
    FILE *f = fopen("/proc/meminfo", "re");
    char line[256];
    size_t fl = strlen(field);
    uint64_t v = 0;
    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f))
        if (!strncmp(line, field, fl) && line[fl] == ':') {
            v = (uint64_t)strtoull(line + fl + 1, NULL, 10) * 1024;
            break;
        }
    fclose(f);
    return v;
}

uint64_t df_default_memory_budget(void)
{
    uint64_t mem = meminfo("MemAvailable"), cg;
    if (!mem)
        mem = meminfo("MemTotal");
    cg = read_number("/sys/fs/cgroup/memory.max");
    if (!cg)
        cg = read_number("/sys/fs/cgroup/memory/memory.limit_in_bytes");
    /* cgroup v1 reports "no limit" as a huge number. */
    if (cg && cg < ((uint64_t)1 << 60) && (!mem || cg < mem))
        mem = cg;
    if (!mem)
        mem = (uint64_t)4 << 30;
    mem = mem / 10 * 8;
    return mem < ((uint64_t)256 << 20) ? (uint64_t)256 << 20 : mem;
}
