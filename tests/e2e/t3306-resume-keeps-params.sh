#!/usr/bin/env bash
# t3306: `run --resume` keeps the params its run was started with, whatever the size of
# the run's record: run.json is read with the one cap of its kind (store/caps.h), so a
# 20 MiB record (over the 16 MiB cap the params reader once had, which then resumed with
# the pipeline's default params: every task "changed" and ran again) keeps its tasks and
# params. A record that cannot be read for another reason is an error naming the run
# (exit 3), never a resume with the default params. No reader passes a literal cap.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..10"

cat >p.yaml <<'YAML'
name: keep
params: {n: 1}
defaults: {threads: 1, memory_limit: 200MB, retries: 0}
steps:
  a:
    foreach: {range: 2}
    sql: CREATE TABLE t AS SELECT getvariable('n') AS x
    outputs: [t]
  b:
    inputs: {t: a.t}
    sql: CREATE TABLE u AS SELECT sum(x) AS s FROM t
    outputs: [u]
YAML
expect_ok "a run with n=5" "$DUCKFLOW" run p.yaml --store s -p n=5
R=$(tail -n 1 "$out")
expect_ok "a second run (published: the first may be resumed)" "$DUCKFLOW" run p.yaml --store s -p n=7
rm -r "s/keep/runs/$R/b/00000" # step b of the first run is to be done again
node -e 'const f = process.argv[1], r = JSON.parse(require("fs").readFileSync(f));
         r.pad = "x".repeat(20000000); require("fs").writeFileSync(f, JSON.stringify(r))' \
    "s/keep/runs/$R/run.json"
expect_ok "resume the first run (its run.json is 20 MB)" "$DUCKFLOW" run p.yaml --store s --resume "$R"
expect_match "step a's tasks are kept: the params are n=5, as recorded" '^a +2/2 .*ok \(kept\)' "$errout"
check "no note that the pipeline changed" bash -c "! grep -q 'pipeline changed' '$errout'"
expect_ok "query the resumed run" "$DUCKFLOW" query --store s --run "$R" --format csv 'SELECT s FROM b.u'
expect_match "b summed n=5 twice" '^10$' "$out"

# A record that exists but cannot be read: an error, not the default params.
mv "s/keep/runs/$R/run.json" run.json.saved
mkdir "s/keep/runs/$R/run.json"
expect_code 3 "resume with an unreadable run.json fails (exit 3)" \
    "$DUCKFLOW" run p.yaml --store s --resume "$R"
expect_match "naming the run and the record" "cannot resume run '$R': .*run.json" "$errout"

# One cap per record kind, defined in one place: no reader passes a size of its own.
check "no df_store_get_bytes() call passes a literal cap" \
    bash -c "! grep -rnE 'df_store_get_bytes\([^;]*<<' '$DUCKFLOW_TOP/src'"
