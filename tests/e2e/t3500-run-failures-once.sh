#!/usr/bin/env bash
# t3500: each failure is told once. While running, one line per failed attempt (class,
# first line of the error); the summary groups failures by step, class and message with
# at most three tasks named; the last line is the exact command that resumes the run,
# and running it works. --fail-fast starts nothing after the first final failure.
# `runs` tells failed, not run and interrupted apart and lists runs made with `step`.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..24"

cat >p.yaml <<'YAML'
name: failures-once
params:
  regions: [eu, us, apac, latam, africa]
  broken: true
defaults: {threads: 1, memory_limit: 100MB, retries: 1}
steps:
  gen:
    foreach: {values: regions}
    sql: |
      CREATE TABLE t AS SELECT getvariable('item') AS r,
        CASE WHEN getvariable('broken') THEN error('region data missing') ELSE 1 END AS x;
    outputs: [t]
  fine:
    foreach: {range: 3}
    sql: CREATE TABLE u AS SELECT 1 AS a;
    outputs: [u]
  merge:
    inputs: {t: gen.t}
    sql: CREATE TABLE v AS SELECT count(*) AS n FROM t;
    outputs: [v]
YAML

expect_code 1 "a failing run exits 1" "$DUCKFLOW" run p.yaml -j 2
cp "$out" run.out
cp "$errout" run.err
RUN=$(cat run.out)
check "the message is printed once per attempt and once in the summary" \
    test "$(grep -c 'region data missing' run.err)" -eq 6
check "one line per failed attempt, naming the item by label" \
    grep -qE '^failed +gen\[apac\] \(sql_error, attempt 1\): .*region data missing' run.err
check "no task output repeats the error" bash -c "! grep -qE '^gen\\[' run.err"
check "the failures are grouped" grep -qE '^  5 tasks of gen \(sql_error\): .*region data missing' run.err
check "three tasks are named, the rest counted" grep -qxE '    gen\[eu\], gen\[us\], gen\[apac\] and 2 more' run.err
check "the fan-in is not run" grep -qE '^merge +0/1 .*upstream_failed: 1 not run' run.err
check "the run line counts failed and not run" \
    grep -qE "^run $RUN failed in .*: 3 of 9 tasks done, 5 failed, 1 not run" run.err
check "the last line resumes the run" test "$(tail -n 1 run.err)" = "duckflow run p.yaml --resume $RUN"
check "no 'duckflow: run failed' repeat" bash -c "! grep -q '^duckflow: run' run.err"

# The resume command, after fixing the SQL (a resumed run keeps its params: broken=true).
cmd=$(tail -n 1 run.err | sed "s|^duckflow |\"$DUCKFLOW\" |")
cp p.yaml p.orig
sed -i "s/error('region data missing')/1/" p.yaml
expect_ok "the printed command resumes the run (with the fix)" bash -c "$cmd"
cp "$out" resume.out
cp "$errout" resume.err
cp p.orig p.yaml
check "it finished the same run" grep -qx "$RUN" resume.out
check "the kept tasks are said" grep -qE '^fine +3/3 .*ok \(kept\)' resume.err

# A store given on the command line is part of the command.
expect_code 1 "with --store" "$DUCKFLOW" run p.yaml --store "$SCRATCH/other store" --param regions='["x"]'
cp "$errout" store.err
check "the command quotes what needs quoting" \
    grep -qF " --store '$SCRATCH/other store' --param 'regions=[\"x\"]'" store.err

# --fail-fast: nothing starts after gen[eu] failed for good (retries 0 here).
expect_code 1 "--fail-fast" "$DUCKFLOW" run p.yaml -j 1 --fail-fast --param broken=true
cp "$errout" ff.err
check "only the first failure ran" test "$(grep -c '^failed ' ff.err)" -eq 1
check "it says so" grep -q 'fail-fast' ff.err
check "the rest is not run" grep -qE ': [0-9]+ of 9 tasks done, 1 failed, [0-9]+ not run' ff.err

expect_ok "runs" "$DUCKFLOW" runs
cp "$out" runs.txt
check "runs: failed and not run apart" grep -qE "^failures-once +$RUN +succeeded " runs.txt
check "runs: --fail-fast run" grep -qE '^failures-once .* failed .*\(1 failed, [0-9]+ not run\)$' runs.txt

# A run made task by task with `duckflow step` is listed too.
"$DUCKFLOW" step p.yaml --run byhand --step fine --item 0 >/dev/null 2>&1
"$DUCKFLOW" step p.yaml --run byhand --step fine --item 1 >/dev/null 2>&1
"$DUCKFLOW" step p.yaml --run byhand --step gen --item 0 >/dev/null 2>&1
expect_ok "runs after duckflow step" "$DUCKFLOW" runs
cp "$out" runs2.txt
check "the step-made run is listed" grep -qE '^failures-once +byhand +steps .* 2/3 \(1 failed\)$' runs2.txt
