#!/usr/bin/env bash
# t3303: a run whose store fills up is accounted for. In a private mount namespace the
# store is a small tmpfs, filled while the first tasks run: the run exits 3 (a store
# error, not 1) and says on stderr that it cannot record its state and how to repair it;
# the space reserve the run made in its folder (.df-tmp.reserve) takes its last record, so
# run.json, `runs` and `report` then agree (failed, not "running" nor "abandoned"); once
# space is back, --resume finishes the run and all three say succeeded. No reserve stays
# after a run ends, full disk or not. Skipped where no mount namespace can be made.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..14"
have_tmpfs_ns || skip_all 14 "cannot mount a tmpfs in a mount namespace here"
cat >p.yaml <<'YAML'
name: full
defaults: {threads: 1, memory_limit: 200MB, retries: 0}
steps:
  a:
    foreach: {range: 3}
    sql: |
      CREATE TABLE t AS
        WITH RECURSIVE x(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM x WHERE i < 150000)
        SELECT count(*) AS n FROM x;
    outputs: [t]
  b:
    inputs: {t: a.t}
    sql: CREATE TABLE u AS SELECT sum(n) AS s FROM t;
    outputs: [u]
YAML
mkdir -p res store
cat >inner.sh <<'SH'
set -u
mount -t tmpfs -o size=1m tmpfs store || exit 90
"$DUCKFLOW" run p.yaml --store store -j 2 >res/run.out 2>res/run.err &
pid=$!
for _ in $(seq 1 300); do ls store/full/runs/*/run.json >/dev/null 2>&1 && break; sleep 0.05; done
for _ in $(seq 1 20); do ls store/full/runs/*/.df-tmp.reserve >/dev/null 2>&1 && break; sleep 0.05; done
ls store/full/runs/*/.df-tmp.reserve >res/reserve.during 2>/dev/null
dd if=/dev/zero of=store/filler bs=4k >/dev/null 2>&1
wait $pid
echo $? >res/run.rc
cp store/full/runs/*/run.json res/run.json.full
ls -a store/full/runs/*/ >res/ls.full
"$DUCKFLOW" runs --store store >res/runs.full 2>&1
"$DUCKFLOW" report --store store >res/report.full 2>&1
rm -f store/filler
"$DUCKFLOW" run p.yaml --store store --resume latest >res/resume.out 2>res/resume.err
echo $? >res/resume.rc
cp store/full/runs/*/run.json res/run.json.after
ls -a store/full/runs/*/ >res/ls.after
"$DUCKFLOW" runs --store store >res/runs.after 2>&1
"$DUCKFLOW" report --store store >res/report.after 2>&1
SH
unshare -m bash inner.sh
check "the run exits 3, a store error ($(cat res/run.rc 2>/dev/null))" test "$(cat res/run.rc)" = 3
expect_match "stderr says the state could not be recorded" "^duckflow: run '[^']+': cannot record its state: .*No space left on device.*'duckflow run --resume [^']+' repairs the record" res/run.err
full=$(jget res/run.json.full m.status)
check "run.json says how the run ended: failed ($full)" test "$full" = failed
runs_word=$(awk '$1 == "full" {print $3}' res/runs.full)
check "runs shows what run.json says ($runs_word)" test "$runs_word" = "$full"
report_word=$(sed -n 's/^pipeline full, run [^:]*: \([a-z]*\).*/\1/p' res/report.full)
check "report's header line shows it too ($report_word)" test "$report_word" = "$full"
check "the run made a space reserve in its folder" test -s res/reserve.during
check "no reserve once the run ended on the full disk" test -z "$(grep reserve res/ls.full)"
check "--resume with space back succeeds" test "$(cat res/resume.rc)" = 0
check "run.json: succeeded" test "$(jget res/run.json.after m.status)" = succeeded
expect_match "runs: succeeded" '^full +[^ ]+ +succeeded ' res/runs.after
expect_match "report: succeeded" 'succeeded' res/report.after
check "one run in the store" test "$(grep -c '^full ' res/runs.after)" -eq 1
check "no reserve after --resume" test -z "$(grep reserve res/ls.after)"
# A run on a disk with room: the reserve goes with its end.
"$DUCKFLOW" run p.yaml --store plain >res/plain.out 2>&1
check "a normal run leaves no reserve ($(ls -a plain/full/runs/*/ | tr '\n' ' '))" \
    sh -c 'ls plain/full/runs/*/run.json && test -z "$(find plain -name .df-tmp.reserve)"'
