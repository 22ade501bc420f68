/*
 * sizing.h - how big a task's DuckDB may be where it runs: memory and threads from the
 * cgroup of the process (v2, else v1), else from the machine, with headroom; the spill
 * budget from the free space of the scratch file system.
 *
 * Headroom: DuckDB's memory_limit bounds only its buffer manager; the process also holds
 * query-execution state outside it, allocator slack, the Parquet writer's buffers, libcurl
 * and the rest of the program. A task gets DF_SIZING_MEMORY_PERCENT of the memory it may
 * use, so that it spills instead of meeting the kernel's OOM killer.
 */
#ifndef DF_SIZING_H
#define DF_SIZING_H

#include <stdint.h>

#define DF_SIZING_MEMORY_PERCENT 65 /* DuckDB's share of the container's (or machine's) memory */
#define DF_SIZING_SPILL_PERCENT  90 /* share of the scratch file system's free space to spill */
#define DF_SIZING_SPILL_MARGIN   (256ull << 20) /* ... leaving at least this much free */

struct df_host_limits {
    uint64_t memory;        /* bytes the process may use: cgroup limit, else physical memory */
    int cpus;               /* CPUs it may use: cgroup quota rounded up, else online CPUs */
    int memory_from_cgroup; /* 1 when memory came from a cgroup limit */
    int cpus_from_cgroup;   /* 1 when cpus came from a cgroup quota */
    int cgroup_version;     /* 2, 1, or 0 when no cgroup file system was found */
};

/*
 * Reads the limits of this process. cgroup_root is where the cgroup file system is mounted
 * ("/sys/fs/cgroup"; a test folder in tests), self_cgroup the process's membership file
 * ("/proc/self/cgroup"). v2 is recognised by <root>/cgroup.controllers: memory.max (and
 * memory.high) and cpu.max of the process's cgroup and each ancestor, the smallest wins.
 * v1: <root>/memory/<path>/memory.limit_in_bytes and <root>/cpu/<path>/cpu.cfs_quota_us /
 * cpu.cfs_period_us (the path as /proc/self/cgroup names it, else the mount's own files,
 * as inside a container). "max", -1 and values of 2^62 and more mean no limit. Limits are
 * capped by the machine's. Never fails.
 */
void df_host_limits_read(const char *cgroup_root, const char *self_cgroup,
                         struct df_host_limits *out);

/* DuckDB's memory_limit for a process that may use `memory` bytes (the headroom above);
 * never below 32 MiB. */
uint64_t df_sizing_memory_limit(uint64_t memory);

/* max_temp_directory_size for a spill folder on a file system with free_bytes free
 * (DF_SIZING_SPILL_PERCENT of it, keeping DF_SIZING_SPILL_MARGIN); 0 when nothing is left
 * to spill into. */
uint64_t df_sizing_spill_budget(uint64_t free_bytes);

#endif
