#!/usr/bin/env bash
# t3406: a run removed by `runs rm` whose files the cache still names keeps a tombstone
# (<run>/_removed.json) and some files; it is not a run any more. Every command that names
# a run refuses it with exit 2 and says it was removed (query, report, views, logs, verify,
# publish, runs rm, graph --run, run --resume); `latest` skips it; a store whose every run
# of a pipeline was removed does not count that pipeline. Reaches the store only through
# $DUCKFLOW_STORE (and the S3 test server's sdk.js for one object), so t6402 runs it
# again on S3.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..38"
S="$DUCKFLOW_STORE"

cat >p.yaml <<'YAML'
name: rm
params:
  v: '1'
defaults:
  threads: 1
  retries: 0
steps:
  a:
    sql: CREATE TABLE t AS SELECT 1 AS x;
    outputs: [t]
  b:
    inputs: {t: a.t}
    sql: CREATE TABLE u AS SELECT x + CAST(getvariable('v') AS INTEGER) AS y FROM t;
    outputs: [u]
YAML

expect_ok "run 1 (v=1)" "$DUCKFLOW" run -q p.yaml
R1=$(cat "$out")
expect_ok "run 2 (v=2, --no-cache): published" "$DUCKFLOW" run -q p.yaml --param v=2 --no-cache
R2=$(cat "$out")
# Run 3 recomputes a (the cache entry of a names run 3's files from now on), b fails: it is
# the latest run, not the published one.
expect_code 1 "run 3 (b fails): the latest run" "$DUCKFLOW" run -q p.yaml --param v=oops --no-cache
R3=$(head -n 1 "$out")
check "run 3 is a new run ($R3)" test -n "$R3" -a "$R3" != "$R2" -a "$R3" != "$R1"

expect_ok "runs rm run 3" "$DUCKFLOW" runs rm "$R3"
expect_match "keeps a's files (the cache names them)" "kept: named by another run or the cache" "$out"

# Named: exit 2, and the message says it was removed.
# (check itself writes $out and $errout: what a command said is copied first)
said() { cp "$errout" said.txt; }
says_removed() { grep -q "run '$R3' of 'rm' was removed from store" said.txt; }
expect_code 2 "query --run <removed run>" "$DUCKFLOW" query --run "$R3" "SELECT x FROM a.t"
said
check "query says the run was removed" says_removed
expect_code 2 "report <removed run>" "$DUCKFLOW" report "$R3"
said
check "report says so" says_removed
expect_code 2 "views <removed run>" "$DUCKFLOW" views "$R3"
said
check "views says so" says_removed
expect_code 2 "logs <removed run> a" "$DUCKFLOW" logs "$R3" a
said
check "logs says so" says_removed
expect_code 2 "verify <removed run>" "$DUCKFLOW" verify "$R3"
said
check "verify says so" says_removed
expect_code 2 "publish <removed run>" "$DUCKFLOW" publish "$R3"
said
check "publish says so" says_removed
expect_code 2 "runs rm <removed run> again" "$DUCKFLOW" runs rm "$R3"
said
check "runs rm says so" says_removed
expect_code 2 "graph --run <removed run>" "$DUCKFLOW" graph p.yaml --run "$R3"
said
check "graph says it was removed" grep -q "was removed" said.txt
expect_code 2 "run --resume <removed run>" "$DUCKFLOW" run -q p.yaml --resume "$R3"
said
check "run --resume says it was removed" grep -q "it was removed" said.txt

# latest skips it: run 2 is the newest run left.
expect_ok "views latest" "$DUCKFLOW" views latest --format json
cp "$out" latest.json
check "latest is run 2, not the removed run 3" bash -c "grep -q '$R2' latest.json && ! grep -q '$R3' latest.json"
expect_ok "query --run latest reads run 2" "$DUCKFLOW" query --run latest --format csv "SELECT y FROM b.u"
cp "$out" latest.csv
check "y = 1 + 2" bash -c "tail -n 1 latest.csv | grep -qx 3"

# A pipeline whose only run was removed is not one of the store's pipelines.
sed 's/^name: rm/name: gone/' p.yaml >g.yaml
expect_ok "a failed run of pipeline 'gone' (never published), removed: a tombstone is left" \
    bash -c "'$DUCKFLOW' runs rm --pipeline gone \$('$DUCKFLOW' run -q g.yaml --param v=oops 2>/dev/null)"
expect_ok "query without --pipeline: one pipeline left" "$DUCKFLOW" query --format csv "SELECT y FROM b.u"
cp "$out" one.csv
check "reads rm's published run (y = 3)" bash -c "tail -n 1 one.csv | grep -qx 3"

# A removal that stopped before run.json (tombstone and run.json both there) removed the
# run all the same: run 4 fails (so it is the latest), then gets a tombstone by hand.
put_tombstone() { # RUN
    printf '{"removed": true}\n' >tomb.json
    case "$S" in
    s3://*)
        local b=${S#s3://}
        node "$DUCKFLOW_TOP/tests/support/s3/sdk.js" put "${b#*/}/rm/runs/$1/_removed.json" tomb.json
        ;;
    *) cp tomb.json "$S/rm/runs/$1/_removed.json" ;;
    esac
}
R4=$("$DUCKFLOW" run -q p.yaml --param v=oops 2>/dev/null | head -n 1)
check "run 4 failed and is the latest run ($R4)" test -n "$R4" -a "$R4" != "$R2" -a "$R4" != "$R3"
check "a tombstone in run 4 beside its run.json" put_tombstone "$R4"
expect_code 2 "query --run <run 4>" "$DUCKFLOW" query --run "$R4" "SELECT 1"
expect_ok "views latest" "$DUCKFLOW" views latest --format json
cp "$out" latest4.json
check "latest is run 2 again" bash -c "grep -q '$R2' latest4.json && ! grep -q '$R4' latest4.json"
expect_ok "runs" "$DUCKFLOW" runs
cp "$out" runs4.txt
check "runs does not list run 4" bash -c "! grep -q '$R4' runs4.txt"
