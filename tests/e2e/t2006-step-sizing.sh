#!/usr/bin/env bash
# t2006: a step without memory_limit or threads is sized from the cgroup of the process
# (a fake cgroup v2 and v1 tree through DUCKFLOW_CGROUP_ROOT): DuckDB gets 65% of the
# memory limit and the CPU quota rounded up; DUCKFLOW_TASK_SLOTS shares them out; the
# step's own settings and --threads win.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..12"
S="$SCRATCH/store"
export DUCKFLOW_STORE="$S"

cat >pipeline.yaml <<'YAML'
name: size
steps:
  auto:
    sql: CREATE TABLE t AS SELECT current_setting('threads') AS threads, current_setting('memory_limit') AS mem
    outputs: [t]
  fixed:
    memory_limit: 100MB
    threads: 1
    sql: CREATE TABLE t AS SELECT 1 AS x
    outputs: [t]
YAML

mkdir -p cg2 cg1/memory cg1/cpu
touch cg2/cgroup.controllers
echo 536870912 >cg2/memory.max
echo "150000 100000" >cg2/cpu.max
echo 268435456 >cg1/memory/memory.limit_in_bytes
echo 100000 >cg1/cpu/cpu.cfs_quota_us
echo 100000 >cg1/cpu/cpu.cfs_period_us
want2=$((536870912 / 100 * 65))
want1=$((268435456 / 100 * 65))
ncpu=$(nproc)
cpus2=$((ncpu < 2 ? ncpu : 2))

expect_ok "v2: sized task commits" env DUCKFLOW_CGROUP_ROOT="$SCRATCH/cg2" \
    "$DUCKFLOW" step pipeline.yaml --run r1 --step auto --no-cache
M="$S/size/runs/r1/auto/00000/_manifest.json"
check "v2: 65% of memory.max" test "$(jget "$M" m.memory_limit)" = "$want2"
check "v2: threads from cpu.max rounded up" test "$(jget "$M" m.threads)" = "$cpus2"

expect_ok "v1: sized task commits" env DUCKFLOW_CGROUP_ROOT="$SCRATCH/cg1" \
    "$DUCKFLOW" step pipeline.yaml --run r2 --step auto --no-cache
M="$S/size/runs/r2/auto/00000/_manifest.json"
check "v1: 65% of memory.limit_in_bytes" test "$(jget "$M" m.memory_limit)" = "$want1"
check "v1: one CPU" test "$(jget "$M" m.threads)" = 1

expect_ok "two task slots share the limit" env DUCKFLOW_CGROUP_ROOT="$SCRATCH/cg2" \
    DUCKFLOW_TASK_SLOTS=2 "$DUCKFLOW" step pipeline.yaml --run r3 --step auto --no-cache
check "half the memory each" test "$(jget "$S/size/runs/r3/auto/00000/_manifest.json" m.memory_limit)" = "$((536870912 / 2 / 100 * 65))"

expect_ok "--threads wins" env DUCKFLOW_CGROUP_ROOT="$SCRATCH/cg2" \
    "$DUCKFLOW" step pipeline.yaml --run r4 --step auto --no-cache --threads 3
check "three threads" test "$(jget "$S/size/runs/r4/auto/00000/_manifest.json" m.threads)" = 3

expect_ok "the step's own limits win" env DUCKFLOW_CGROUP_ROOT="$SCRATCH/cg2" \
    "$DUCKFLOW" step pipeline.yaml --run r5 --step fixed --no-cache
check "memory_limit and threads as written" \
    test "$(jget "$S/size/runs/r5/fixed/00000/_manifest.json" 'm.memory_limit + ":" + m.threads')" = "100000000:1"
