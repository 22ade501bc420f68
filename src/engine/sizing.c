/*
 * sizing.c - container-aware limits for a task's DuckDB (see sizing.h): cgroup v2 and v1
 * files, the machine's memory and CPUs, the spill budget.
 */
#include "engine/sizing.h"

#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/fs.h"
#include "util/strbuf.h"
#include "util/banned.h"

#define NO_LIMIT UINT64_MAX
/* cgroup v1 writes "no limit" as the largest page-aligned int64 (9223372036854771712). */
#define V1_UNLIMITED (1ull << 62)

/* The first number of a small file, or NO_LIMIT for "max", -1, a huge value or no file. */
static uint64_t read_limit(const char *path)
{
    char *text = NULL;
    size_t len = 0;
    struct df_error err = DF_ERROR_INIT;
    uint64_t v = NO_LIMIT;
    char *end;

    if (fs_read_file(path, 4096, &text, &len, &err) != 0)
        return NO_LIMIT;
    if (text[0] >= '0' && text[0] <= '9') {
        unsigned long long n = strtoull(text, &end, 10);
        if (end != text && n < V1_UNLIMITED)
            v = (uint64_t)n;
    }
    free(text);
    return v;
}

/* cpu.max "QUOTA PERIOD" (v2) or two files (v1) -> CPUs rounded up; 0 = no limit. */
static int cpus_of(uint64_t quota, uint64_t period)
{
    if (quota == NO_LIMIT || period == NO_LIMIT || quota == 0 || period == 0)
        return 0;
    return (int)((quota + period - 1) / period);
}

static int read_cpu_max(const char *path)
{
    char *text = NULL;
    size_t len = 0;
    struct df_error err = DF_ERROR_INIT;
    unsigned long long q, p;
    int cpus = 0;

    if (fs_read_file(path, 4096, &text, &len, &err) != 0)
        return 0;
    if (sscanf(text, "%llu %llu", &q, &p) == 2)
        cpus = cpus_of(q, p);
    free(text);
    return cpus;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

static int min_cpus(int a, int b)
{
    if (a <= 0)
        return b;
    if (b <= 0)
        return a;
    return a < b ? a : b;
}

/* The cgroup path of `controller` in the membership file (v2: the "0::" line, controller
 * NULL), malloc'd; "/" when not found. */
static char *membership(const char *self_cgroup, const char *controller, char **mount_name)
{
    char *text = NULL, *line, *next, *path = NULL;
    size_t len = 0;
    struct df_error err = DF_ERROR_INIT;

    if (mount_name)
        *mount_name = NULL;
    if (fs_read_file(self_cgroup, 1 << 20, &text, &len, &err) != 0)
        return xstrdup("/");
    for (line = text; line && *line; line = next) {
        char *c1, *c2;
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        c1 = strchr(line, ':');
        c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c1 = '\0';
        *c2 = '\0';
        if (!controller) {
            if (!strcmp(line, "0") && c2 == c1 + 1) {
                path = xstrdup(c2 + 1);
                break;
            }
            continue;
        }
        /* "4:memory:/x" or "3:cpu,cpuacct:/x": the list names the controllers. */
        {
            char *list = xstrdup(c1 + 1), *save = NULL, *tok;
            int found = 0;
            for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
                if (!strcmp(tok, controller))
                    found = 1;
            free(list);
            if (found) {
                path = xstrdup(c2 + 1);
                if (mount_name)
                    *mount_name = xstrdup(c1 + 1);
                break;
            }
        }
    }
    free(text);
    return path ? path : xstrdup("/");
}

/* Calls fn on <base><path> and each ancestor up to <base> itself. */
static void walk_up(const char *base, const char *path, void (*fn)(const char *dir, void *ud),
                    void *ud)
{
    char *p = xstrdup(path);
    for (;;) {
        size_t n = strlen(p);
        while (n > 0 && p[n - 1] == '/')
            p[--n] = '\0';
        char *dir = xasprintf("%s%s%s", base, n && p[0] != '/' ? "/" : "", p);
        fn(dir, ud);
        free(dir);
        if (n == 0)
            break;
        char *slash = strrchr(p, '/');
        if (!slash)
            p[0] = '\0';
        else
            *slash = '\0';
    }
    free(p);
}

struct acc {
    uint64_t memory;
    int cpus;
};

static void v2_dir(const char *dir, void *ud)
{
    struct acc *a = ud;
    char *f;

    f = fs_join(dir, "memory.max");
    a->memory = min_u64(a->memory, read_limit(f));
    free(f);
    f = fs_join(dir, "memory.high");
    a->memory = min_u64(a->memory, read_limit(f));
    free(f);
    f = fs_join(dir, "cpu.max");
    a->cpus = min_cpus(a->cpus, read_cpu_max(f));
    free(f);
}

static void v1_mem_dir(const char *dir, void *ud)
{
    struct acc *a = ud;
    char *f = fs_join(dir, "memory.limit_in_bytes");
    a->memory = min_u64(a->memory, read_limit(f));
    free(f);
}

static void v1_cpu_dir(const char *dir, void *ud)
{
    struct acc *a = ud;
    char *fq = fs_join(dir, "cpu.cfs_quota_us"), *fp = fs_join(dir, "cpu.cfs_period_us");
    a->cpus = min_cpus(a->cpus, cpus_of(read_limit(fq), read_limit(fp)));
    free(fq);
    free(fp);
}

/* v1 hierarchy of one controller: the process's path under the mount when it exists
 * there (a host, or a container sharing the host's view), else the mount's own files (a
 * container whose cgroup is mounted as the root). */
static void v1_controller(const char *root, const char *self_cgroup, const char *controller,
                          void (*fn)(const char *, void *), struct acc *a)
{
    char *mount_name = NULL, *path = membership(self_cgroup, controller, &mount_name);
    char *base = fs_join(root, mount_name ? mount_name : controller);
    char *full;

    if (!fs_exists(base)) {
        free(base);
        base = fs_join(root, controller);
    }
    full = xasprintf("%s%s", base, path);
    if (fs_exists(full))
        walk_up(base, path, fn, a);
    else
        fn(base, a);
    free(full);
    free(base);
    free(path);
    free(mount_name);
}

static int machine_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    cpu_set_t set;

    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
        int k = CPU_COUNT(&set);
        if (k > 0 && (n <= 0 || k < n))
            n = k;
    }
    return n > 0 ? (int)n : 1;
}

static uint64_t machine_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || size <= 0)
        return 1ull << 30;
    return (uint64_t)pages * (uint64_t)size;
}

void df_host_limits_read(const char *cgroup_root, const char *self_cgroup,
                         struct df_host_limits *out)
{
    struct acc a = {NO_LIMIT, 0};
    uint64_t mem = machine_memory();
    int cpus = machine_cpus();
    char *probe;

    memset(out, 0, sizeof(*out));
    probe = fs_join(cgroup_root, "cgroup.controllers");
    if (fs_exists(probe)) {
        char *path = membership(self_cgroup, NULL, NULL);
        out->cgroup_version = 2;
        walk_up(cgroup_root, path, v2_dir, &a);
        free(path);
    } else {
        char *m = fs_join(cgroup_root, "memory");
        char *c = fs_join(cgroup_root, "cpu");
        if (fs_exists(m) || fs_exists(c)) {
            out->cgroup_version = 1;
            v1_controller(cgroup_root, self_cgroup, "memory", v1_mem_dir, &a);
            v1_controller(cgroup_root, self_cgroup, "cpu", v1_cpu_dir, &a);
        }
        free(m);
        free(c);
    }
    free(probe);

    out->memory = mem;
    if (a.memory != NO_LIMIT && a.memory < mem) {
        out->memory = a.memory;
        out->memory_from_cgroup = 1;
    }
    out->cpus = cpus;
    if (a.cpus > 0 && a.cpus < cpus) {
        out->cpus = a.cpus;
        out->cpus_from_cgroup = 1;
    }
}

uint64_t df_sizing_memory_limit(uint64_t memory)
{
    uint64_t v = memory / 100 * DF_SIZING_MEMORY_PERCENT;
    return v < (32ull << 20) ? (32ull << 20) : v;
}

uint64_t df_sizing_spill_budget(uint64_t free_bytes)
{
    uint64_t keep = free_bytes / 100 * (100 - DF_SIZING_SPILL_PERCENT);
    if (keep < DF_SIZING_SPILL_MARGIN)
        keep = DF_SIZING_SPILL_MARGIN;
    return free_bytes > keep ? free_bytes - keep : 0;
}
