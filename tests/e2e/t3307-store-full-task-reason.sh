#!/usr/bin/env bash
# t3307: when the store fills while tasks write, each failed task is reported with why it
# failed (its Parquet file could not be written: no space left), not with the warning it
# printed after that (its log could not be stored either). The task's _error.json cannot
# be written on a full disk, so the executor takes the task's last error line, skipping
# "duckflow: warning:" lines. In a private mount namespace the store is a small tmpfs;
# skipped where none can be made.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..5"
have_tmpfs_ns || skip_all 5 "cannot mount a tmpfs in a mount namespace here"
cat >p.yaml <<'YAML'
name: full
defaults: {threads: 1, memory_limit: 200MB, retries: 0}
steps:
  a:
    foreach: {range: 4}
    sql: |
      CREATE TABLE t AS
        SELECT md5(random()::VARCHAR) || md5(random()::VARCHAR) AS s FROM range(12000);
    outputs: [t]
YAML
mkdir -p res store
cat >inner.sh <<'SH'
set -u
mount -t tmpfs -o size=2m tmpfs store || exit 90
# The first run takes about 1.7 MB of the 2; the second (nothing reused) fills the rest.
"$DUCKFLOW" run p.yaml --store store -j 1 >res/first.out 2>res/first.err
echo $? >res/first.rc
"$DUCKFLOW" run p.yaml --store store -j 1 --no-cache >res/run.out 2>res/run.err
echo $? >res/run.rc
SH
unshare -m bash inner.sh
check "the first run fits ($(cat res/first.rc 2>/dev/null))" test "$(cat res/first.rc)" = 0
check "the second run fills the store: exit 3 ($(cat res/run.rc 2>/dev/null))" test "$(cat res/run.rc)" = 3
expect_match "a failed task is reported with its cause" \
    '^failed +a\[[0-9]\] \(store_error, attempt 1\): .*part-00000\.parquet.*No space left on device' res/run.err
check "no failure line gives a warning as the reason" \
    bash -c "! grep -E '^(failed  |  [0-9]+ tasks? of ).*\): warning:' res/run.err"
expect_match "the run's last line names the first task's cause" \
    "^duckflow: run '[^']+': cannot record its state: .*first: a\[[0-9]\] \(store_error\): .*part-00000\.parquet.*No space left" res/run.err
