#!/usr/bin/env bash
# t3400: retention (issue 13 point 4, issue 10 item 8): `runs rm`, `gc --keep-runs`,
# `gc --older-than`, each with --dry-run and bytes; never the published run or a running
# one; files a kept run's manifest or a cache entry names survive both run removal and
# attempt gc; bad input exits 2.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..61"

cat >p.yaml <<'YAML'
name: ret
params:
  n: 2
  bad: 0
defaults:
  threads: 1
  memory_limit: 256MB
  retries: 0
steps:
  gen:
    foreach: {range: n}
    sql: CREATE TABLE t AS SELECT getvariable('item') AS i, range AS r FROM range(10);
    outputs: [t]
  total:
    inputs: {t: gen.t}
    sql: CREATE TABLE s AS SELECT count(*) AS c FROM t;
    outputs: [s]
    checks:
      - name: not bad
        sql: SELECT 1 WHERE getvariable('bad') = 1
YAML
S="$DUCKFLOW_STORE"
runs=()
for n in 1 2 3 4; do
    "$DUCKFLOW" run -q p.yaml --param n=$n >run.out 2>run.err
    runs+=("$(cat run.out)")
done
"$DUCKFLOW" run -q p.yaml --param n=5 --param bad=1 >run.out 2>run.err
FAILED=$(cat run.out)
R1=${runs[0]} R2=${runs[1]} R3=${runs[2]} R4=${runs[3]}
check "five runs" test -n "$R1$R2$R3$R4$FAILED"
nfiles() { find "$S/ret/runs/$1" -type f | wc -l; }
check "R1 has files" test "$(nfiles "$R1")" -gt 3

# Bad input.
expect_code 2 "--keep-runs 0 is refused" "$DUCKFLOW" gc --keep-runs 0
expect_match "pointing at runs rm" "use 'duckflow runs rm" "$errout"
expect_code 2 "--keep-runs x" "$DUCKFLOW" gc --keep-runs x
expect_code 2 "a duration that does not parse" "$DUCKFLOW" gc --older-than 3x
expect_code 2 "a bare number is not a duration" "$DUCKFLOW" gc --older-than 30
expect_code 2 "a zero age is refused" "$DUCKFLOW" gc --older-than 0s
expect_match "says the age must be above zero" "must be above zero" "$errout"
zero_err=$(cat "$errout")
check "and not that it does not parse" sh -c '! printf %s "$1" | grep -q "takes a duration"' _ "$zero_err"
expect_code 2 "runs rm of an unknown run" "$DUCKFLOW" runs rm r-nope
expect_code 2 "runs rm of the published run" "$DUCKFLOW" runs rm "$R4"
expect_match "says why" "is the published run" "$errout"
expect_code 2 "runs rm without a run" "$DUCKFLOW" runs rm

# A cache entry names R1's task files (as a reusing run's would): they must survive.
M1=$(ls "$S"/ret/runs/"$R1"/gen/00000/_manifest.json)
F1=$(ls "$S"/ret/runs/"$R1"/gen/00000/*/t/*.parquet)
mkdir -p "$S/ret/cache"
printf '{"format":1,"cache_key":"k1","pipeline":"ret","step":"gen","run":"%s","item_key":"00000","manifest":"%s","files":["%s"]}\n' \
    "$R1" "ret/runs/$R1/gen/00000/_manifest.json" "${F1#$S/}" >"$S/ret/cache/k1.json"
# A stray attempt folder next to the committed one, also named by a cache entry: gc keeps it.
mkdir -p "$S/ret/runs/$R2/gen/00000/9-beef/t"
cp "$F1" "$S/ret/runs/$R2/gen/00000/9-beef/t/part-00000.parquet"
printf '{"format":1,"cache_key":"k2","pipeline":"ret","step":"gen","run":"%s","item_key":"00000","manifest":"x","files":["%s"]}\n' \
    "$R2" "ret/runs/$R2/gen/00000/9-beef/t/part-00000.parquet" >"$S/ret/cache/k2.json"
# And one no one names: gc removes it.
mkdir -p "$S/ret/runs/$R2/gen/00000/8-dead/t"
cp "$F1" "$S/ret/runs/$R2/gen/00000/8-dead/t/part-00000.parquet"

expect_ok "gc --dry-run" "$DUCKFLOW" gc --dry-run
cp "$out" gc-dry.out
expect_match "would remove the unnamed attempt" "^would remove ret/runs/$R2/gen/00000/8-dead " gc-dry.out
check "not the one a cache entry names" bash -c "! grep -q 9-beef gc-dry.out"
expect_ok "gc" "$DUCKFLOW" gc
check "the named attempt is still there" test -f "$S/ret/runs/$R2/gen/00000/9-beef/t/part-00000.parquet"
check "the unnamed one is gone" test ! -e "$S/ret/runs/$R2/gen/00000/8-dead"

before=$(nfiles "$R1")
expect_ok "runs rm --dry-run" "$DUCKFLOW" runs rm "$R1" --dry-run
expect_match "says what would go, with bytes and what stays" \
    "^would remove run ret/$R1 \([0-9]+ files, [0-9.]+ [kM]?B; [0-9]+ files kept" "$out"
check "dry run removed nothing" test "$(nfiles "$R1")" -eq "$before"
expect_ok "runs rm" "$DUCKFLOW" runs rm "$R1"
expect_match "total" "^removed 1 run, [0-9]+ files, " "$out"
check "the cache entry's manifest survives" test -f "$M1"
check "and its file" test -f "$F1"
check "the rest of the run is gone" test "$(nfiles "$R1")" -lt "$before"
check "run.json is gone" test ! -e "$S/ret/runs/$R1/run.json"
expect_ok "runs no longer lists it" "$DUCKFLOW" runs
check "R1 not listed" bash -c "! grep -q '$R1' '$out'"

# Policies: keep the newest 2 (R4 published and FAILED); R2, R3 go.
expect_ok "gc --keep-runs 2 --dry-run" "$DUCKFLOW" gc --keep-runs 2 --dry-run
cp "$out" keep.out
expect_match "R2 would go" "^would remove run ret/$R2 " keep.out
expect_match "R3 would go" "^would remove run ret/$R3 " keep.out
check "R4 and the failed run stay" bash -c "! grep -qE '$R4|$FAILED' keep.out"
expect_match "a total with bytes" "^would remove 2 runs, [0-9]+ files, [0-9.]+ [kM]?B" keep.out
check "nothing removed yet" test -f "$S/ret/runs/$R2/run.json"
expect_ok "gc --older-than 1h keeps runs younger than that" "$DUCKFLOW" gc --older-than 1h
check "R2 still there" test -f "$S/ret/runs/$R2/run.json"
expect_ok "gc --keep-runs 2" "$DUCKFLOW" gc --keep-runs 2
check "R2 and R3 gone" test ! -e "$S/ret/runs/$R2/run.json" -a ! -e "$S/ret/runs/$R3/run.json"
check "the attempt a cache entry names is still there" test -f "$S/ret/runs/$R2/gen/00000/9-beef/t/part-00000.parquet"
expect_ok "the published run still reads" "$DUCKFLOW" query --format csv 'SELECT c FROM total.s'
expect_match "R4: 40 rows" '^40$' "$out"
# --older-than 1ms: everything finished is old; the published run stays, said on stderr.
expect_ok "gc --older-than 1ms" "$DUCKFLOW" gc --older-than 1ms
expect_match "keeps the published run" "keeping run 'ret/$R4': published" "$errout"
check "the failed run is gone" test ! -e "$S/ret/runs/$FAILED/run.json"

# A run whose executor is alive (this shell's pid on this host) is never removed.
mkdir -p "$S/ret/runs/r-live"
printf '{"format":1,"pipeline":"ret","run":"r-live","status":"running","host":"%s","pid":%d,"started_at":"2020-01-01T00:00:00.000Z","updated_at":"2020-01-01T00:00:00.000Z"}\n' \
    "$(hostname)" $$ >"$S/ret/runs/r-live/run.json"
expect_code 2 "runs rm of a running run" "$DUCKFLOW" runs rm r-live
expect_match "says it is running" "is still running" "$errout"
expect_ok "gc --older-than 1ms keeps it" "$DUCKFLOW" gc --older-than 1ms
expect_match "and says so" "keeping run 'ret/r-live': still running" "$errout"
check "its record stays" test -f "$S/ret/runs/r-live/run.json"

# Real reuse through the cache (issue 10): run 2 lists run 1's files; removing run 1 keeps
# them, and run 2 still reads, through duckflow and its views.
cat >reuse.yaml <<'YAML'
name: reuse
steps:
  gen:
    foreach: {range: 2}
    sql: CREATE TABLE t AS SELECT getvariable('item') AS i, range AS r FROM range(3);
    outputs: [t]
  total:
    inputs: {t: gen.t}
    sql: CREATE TABLE s AS SELECT count(*) AS c FROM t;
    outputs: [s]
YAML
expect_ok "reuse: run 1" "$DUCKFLOW" run -q reuse.yaml
U1=$(cat "$out")
expect_ok "reuse: run 2 reuses every task" "$DUCKFLOW" run -q reuse.yaml
U2=$(cat "$out")
check "run 2's manifests name run 1's files" grep -q "\"files_root\": *\"reuse/runs/$U1/" "$S/reuse/runs/$U2/total/00000/_manifest.json"
expect_ok "runs rm run 1" "$DUCKFLOW" runs rm "$U1"
expect_match "keeps the 3 manifests and 3 files run 2 shares" "^removed run reuse/$U1 \([0-9]+ files, .*; 6 files kept" "$out"
expect_ok "run 2 still reads" "$DUCKFLOW" query --pipeline reuse --format csv 'SELECT count(*) FROM gen.t'
expect_match "6 rows" '^6$' "$out"
expect_ok "gc afterwards" "$DUCKFLOW" gc --pipeline reuse
check "run 1's shared files are still there" test "$(find "$S/reuse/runs/$U1" -name '*.parquet' | wc -l)" -eq 3
