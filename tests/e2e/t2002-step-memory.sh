#!/usr/bin/env bash
# t2002: a task whose SQL needs more memory than its memory_limit spills to its scratch
# folder and succeeds; with spilling switched off the same task fails classed
# out_of_memory (exit 13), not a crash, with no manifest; with too small a spill budget it
# fails spill_full (exit 15). --threads and --scratch apply.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..14"
S="$SCRATCH/store"
export DUCKFLOW_STORE="$S"

cat >pipeline.yaml <<'YAML'
name: mem
defaults:
  memory_limit: 64MB
  threads: 1
steps:
  sort:
    sql: |
      CREATE TABLE sorted AS
        SELECT range AS i, md5(range::VARCHAR) AS s FROM range(1000000) ORDER BY s;
    outputs:
      sorted: {order_by: [s]}
    checks:
      - name: all rows
        sql: SELECT 1 WHERE (SELECT count(*) FROM sorted) <> 1000000
  nospill:
    sql: |
      SET temp_directory = '';
      CREATE TABLE sorted AS
        SELECT range AS i, md5(range::VARCHAR) AS s FROM range(1000000) ORDER BY s;
    outputs: [sorted]
  smallspill:
    sql: |
      SET max_temp_directory_size = '1MB';
      CREATE TABLE sorted AS
        SELECT range AS i, md5(range::VARCHAR) AS s FROM range(1000000) ORDER BY s;
    outputs: [sorted]
YAML

mkdir -p scratch
expect_ok "a task past its memory limit spills and commits" \
    "$DUCKFLOW" step pipeline.yaml --run r1 --step sort --scratch "$SCRATCH/scratch" --threads 2
M="$S/mem/runs/r1/sort/00000/_manifest.json"
check "manifest written" test -f "$M"
check "memory limit and threads recorded" test "$(jget "$M" 'm.memory_limit + ":" + m.threads')" = "64000000:2"
check "spilled bytes measured" test "$(jget "$M" 'm.spilled_bytes > 0')" = true
check "all rows written" test "$(jget "$M" m.tables.sorted.rows)" = 1000000
check "the task's scratch folder is removed" test -z "$(ls -A "$SCRATCH/scratch")"

expect_code 13 "without spilling the same task is out of memory (exit 13)" \
    "$DUCKFLOW" step pipeline.yaml --run r1 --step nospill
expect_match "the message is DuckDB's out-of-memory error with the line" \
    "^duckflow: step 'nospill' item 0: pipeline.yaml:18:[0-9]+: Out of Memory Error" "$errout"
check "no manifest after out of memory" test ! -e "$S/mem/runs/r1/nospill/00000/_manifest.json"
E=$(ls "$S"/mem/runs/r1/nospill/00000/*/_error.json)
check "_error.json says out_of_memory" test "$(jget "$E" m.class)" = out_of_memory

expect_code 15 "with too little spill space the task is spill_full (exit 15)" \
    "$DUCKFLOW" step pipeline.yaml --run r1 --step smallspill
expect_match "the message says so" "^duckflow: step 'smallspill' item 0: pipeline.yaml:24:[0-9]+: Out of Memory Error.*spill folder reached max_temp_directory_size" "$errout"
check "no manifest after spill_full" test ! -e "$S/mem/runs/r1/smallspill/00000/_manifest.json"
E=$(ls "$S"/mem/runs/r1/smallspill/00000/*/_error.json)
check "_error.json says spill_full" test "$(jget "$E" m.class)" = spill_full
