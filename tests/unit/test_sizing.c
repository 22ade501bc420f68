/*
 * test_sizing.c - unit tests of src/engine/sizing.c against fake cgroup trees (v2, v1,
 * nested, unlimited, none) built in a scratch folder, and of the headroom rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/scratch.h"
#include "engine/sizing.h"
#include "util/fs.h"
#include "util/strbuf.h"

struct fake {
    char *root; /* the fake cgroup mount */
    char *self; /* the fake /proc/self/cgroup */
    char *top;
};

static void put(const char *dir, const char *name, const char *text)
{
    struct df_error err = DF_ERROR_INIT;
    char *path = fs_join(dir, name);
    assert_int_equal(fs_mkdirs(dir, &err), 0);
    assert_int_equal(fs_write_atomic(path, text, strlen(text), &err), 0);
    free(path);
}

static int setup(void **state)
{
    struct df_error err = DF_ERROR_INIT;
    struct fake *f = calloc(1, sizeof(*f));
    f->top = fs_mkdtemp(NULL, "df-sizing", &err);
    if (!f->top)
        return -1;
    f->root = fs_join(f->top, "cgroup");
    f->self = fs_join(f->top, "self-cgroup");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fake *f = *state;
    struct df_error err = DF_ERROR_INIT;
    fs_remove_tree(f->top, &err);
    free(f->root);
    free(f->self);
    free(f->top);
    free(f);
    return 0;
}

static uint64_t machine_memory(void)
{
    return (uint64_t)sysconf(_SC_PHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE);
}

static void v2_container_root(void **state)
{
    struct fake *f = *state;
    struct df_host_limits h;
    put(f->root, "cgroup.controllers", "cpu memory\n");
    put(f->root, "memory.max", "536870912\n");
    put(f->root, "cpu.max", "150000 100000\n");
    put(f->top, "self-cgroup", "0::/\n");
    df_host_limits_read(f->root, f->self, &h);
    assert_int_equal(h.cgroup_version, 2);
    assert_int_equal(h.memory, 536870912ull);
    assert_int_equal(h.memory_from_cgroup, 1);
    /* 1.5 CPUs round up to 2, unless the machine has fewer. */
    assert_int_equal(h.cpus, sysconf(_SC_NPROCESSORS_ONLN) >= 2 ? 2 : 1);
}

static void v2_nested_smallest_wins(void **state)
{
    struct fake *f = *state;
    struct df_host_limits h;
    char *mid = fs_join(f->root, "kubepods"), *leaf = fs_join(f->root, "kubepods/pod1/ctr");
    put(f->root, "cgroup.controllers", "cpu memory\n");
    put(f->root, "memory.max", "max\n");
    put(f->root, "cpu.max", "max 100000\n");
    put(mid, "memory.max", "268435456\n");
    put(mid, "cpu.max", "100000 100000\n");
    put(leaf, "memory.max", "1073741824\n");
    put(leaf, "memory.high", "max\n");
    put(leaf, "cpu.max", "max 100000\n");
    put(f->top, "self-cgroup", "0::/kubepods/pod1/ctr\n");
    df_host_limits_read(f->root, f->self, &h);
    assert_int_equal(h.cgroup_version, 2);
    assert_int_equal(h.memory, 268435456ull);
    assert_int_equal(h.cpus, 1);
    assert_int_equal(h.cpus_from_cgroup, sysconf(_SC_NPROCESSORS_ONLN) > 1);
    free(mid);
    free(leaf);
}

static void v2_unlimited_is_the_machine(void **state)
{
    struct fake *f = *state;
    struct df_host_limits h;
    put(f->root, "cgroup.controllers", "cpu memory\n");
    put(f->root, "memory.max", "max\n");
    put(f->root, "cpu.max", "max 100000\n");
    put(f->top, "self-cgroup", "0::/\n");
    df_host_limits_read(f->root, f->self, &h);
    assert_int_equal(h.memory, machine_memory());
    assert_int_equal(h.memory_from_cgroup, 0);
    assert_int_equal(h.cpus_from_cgroup, 0);
    assert_true(h.cpus >= 1);
}

static void v1_by_membership_path(void **state)
{
    struct fake *f = *state;
    struct df_host_limits h;
    char *mem = fs_join(f->root, "memory/docker/abc"), *cpu = fs_join(f->root, "cpu,cpuacct");
    char *memroot = fs_join(f->root, "memory");
    put(memroot, "memory.limit_in_bytes", "9223372036854771712\n");
    put(mem, "memory.limit_in_bytes", "805306368\n");
    put(cpu, "cpu.cfs_quota_us", "100000\n");
    put(cpu, "cpu.cfs_period_us", "100000\n");
    put(f->top, "self-cgroup",
        "12:pids:/docker/abc\n4:memory:/docker/abc\n3:cpu,cpuacct:/\n0::/\n");
    df_host_limits_read(f->root, f->self, &h);
    assert_int_equal(h.cgroup_version, 1);
    assert_int_equal(h.memory, 805306368ull);
    assert_int_equal(h.cpus, 1);
    free(mem);
    free(cpu);
    free(memroot);
}

static void v1_container_sees_own_mount(void **state)
{
    struct fake *f = *state;
    struct df_host_limits h;
    char *mem = fs_join(f->root, "memory"), *cpu = fs_join(f->root, "cpu");
    /* Inside a container the membership names the host's path, which is not mounted. */
    put(mem, "memory.limit_in_bytes", "134217728\n");
    put(cpu, "cpu.cfs_quota_us", "-1\n");
    put(cpu, "cpu.cfs_period_us", "100000\n");
    put(f->top, "self-cgroup", "4:memory:/kubepods/burstable/pod9/xyz\n2:cpu:/kubepods/x\n");
    df_host_limits_read(f->root, f->self, &h);
    assert_int_equal(h.cgroup_version, 1);
    assert_int_equal(h.memory, 134217728ull);
    assert_int_equal(h.cpus_from_cgroup, 0);
    free(mem);
    free(cpu);
}

static void no_cgroup_at_all(void **state)
{
    struct fake *f = *state;
    struct df_host_limits h;
    df_host_limits_read(f->root, f->self, &h); /* neither exists */
    assert_int_equal(h.cgroup_version, 0);
    assert_int_equal(h.memory, machine_memory());
    assert_true(h.cpus >= 1);
}

static void garbage_files_mean_no_limit(void **state)
{
    struct fake *f = *state;
    struct df_host_limits h;
    put(f->root, "cgroup.controllers", "\n");
    put(f->root, "memory.max", "lots\n");
    put(f->root, "cpu.max", "\n");
    put(f->top, "self-cgroup", "garbage without colons\n");
    df_host_limits_read(f->root, f->self, &h);
    assert_int_equal(h.cgroup_version, 2);
    assert_int_equal(h.memory_from_cgroup, 0);
    assert_int_equal(h.cpus_from_cgroup, 0);
}

static void headroom_rules(void **state)
{
    (void)state;
    assert_int_equal(df_sizing_memory_limit(1000ull << 20),
                     (1000ull << 20) / 100 * DF_SIZING_MEMORY_PERCENT);
    assert_int_equal(df_sizing_memory_limit(1ull << 20), 32ull << 20);
    assert_int_equal(df_sizing_spill_budget(0), 0);
    assert_int_equal(df_sizing_spill_budget(100ull << 20), 0);
    assert_int_equal(df_sizing_spill_budget(1000ull << 20), (1000ull << 20) - (256ull << 20));
    assert_int_equal(df_sizing_spill_budget(100000ull << 20),
                     (100000ull << 20) - (100000ull << 20) / 100 * 10);
}

/* The scratch size: the smaller of the step's and $DUCKFLOW_SCRATCH_SIZE; staging within
 * it adds up, one byte over fails with the sizes, no size means no cap. */
static void scratch_size_and_staging(void **state)
{
    struct df_error err = DF_ERROR_INIT;
    uint64_t staged = 0;
    (void)state;
    unsetenv("DUCKFLOW_SCRATCH_SIZE");
    assert_int_equal(df_scratch_size(0), 0);
    assert_int_equal(df_scratch_size(5000), 5000);
    setenv("DUCKFLOW_SCRATCH_SIZE", "3000", 1);
    assert_int_equal(df_scratch_size(5000), 3000);
    assert_int_equal(df_scratch_size(0), 3000);
    setenv("DUCKFLOW_SCRATCH_SIZE", "9000", 1);
    assert_int_equal(df_scratch_size(5000), 5000);
    unsetenv("DUCKFLOW_SCRATCH_SIZE");

    assert_int_equal(df_scratch_stage(1000, &staged, 600, "a", &err), 0);
    assert_int_equal(df_scratch_stage(1000, &staged, 400, "b", &err), 0);
    assert_int_equal(staged, 1000);
    assert_int_equal(df_scratch_stage(1000, &staged, 1, "2 files", &err), -1);
    assert_int_equal(staged, 1000);
    assert_non_null(strstr(err.msg, "staging 2 files needs 1 bytes of scratch, but 0 of its 1000"));
    staged = 0;
    assert_int_equal(df_scratch_stage(0, &staged, UINT64_MAX / 2, "x", &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(v2_container_root, setup, teardown),
        cmocka_unit_test_setup_teardown(v2_nested_smallest_wins, setup, teardown),
        cmocka_unit_test_setup_teardown(v2_unlimited_is_the_machine, setup, teardown),
        cmocka_unit_test_setup_teardown(v1_by_membership_path, setup, teardown),
        cmocka_unit_test_setup_teardown(v1_container_sees_own_mount, setup, teardown),
        cmocka_unit_test_setup_teardown(no_cgroup_at_all, setup, teardown),
        cmocka_unit_test_setup_teardown(garbage_files_mean_no_limit, setup, teardown),
        cmocka_unit_test(headroom_rules),
        cmocka_unit_test(scratch_size_and_staging),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
