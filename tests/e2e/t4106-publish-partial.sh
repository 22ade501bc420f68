#!/usr/bin/env bash
# t4106: a partial run (--select left steps out) never changes what consumers read (issue
# 13 point 1): it is not published when it ends, its run.json says "partial": true (`runs`
# marks it), and `duckflow publish` refuses it (exit 2, naming why), so a plain query never
# meets a run without the steps it asks for. Resumed without --select it runs the rest, is
# no longer partial and is published.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..17"
S="$DUCKFLOW_STORE"
cat >p.yaml <<'YAML'
name: part
params:
  n: 2
steps:
  gen:
    foreach: {range: n}
    sql: CREATE TABLE t AS SELECT getvariable('item') AS i;
    outputs: [t]
  total:
    inputs: {t: gen.t}
    sql: CREATE TABLE s AS SELECT count(*) AS c FROM t;
    outputs: [s]
YAML
expect_ok "a whole run (n=2)" "$DUCKFLOW" run -q p.yaml
R1=$(cat "$out")
expect_ok "a partial run (n=3, --select gen)" "$DUCKFLOW" run -q p.yaml --param n=3 --select gen
R2=$(cat "$out")
expect_ok "runs" "$DUCKFLOW" runs --format json
cp "$out" runs.json
check "the whole run stays published" test "$(jget runs.json 'm.filter(r=>r.published).map(r=>r.run).join()')" = "$R1"
check "runs --format json says partial" test "$(jget runs.json 'm.filter(r=>r.partial).map(r=>r.run).join()')" = "$R2"
check "run.json says partial" test "$(jget "$S/part/runs/$R2/run.json" m.partial)" = true
expect_ok "runs" "$DUCKFLOW" runs
expect_match "marks it (partial)" "^part +$R2 +succeeded \(partial\) " "$out"
check "the whole run's does not" test "$(jget "$S/part/runs/$R1/run.json" m.partial)" = undefined
expect_code 2 "publish of the partial run is refused" "$DUCKFLOW" publish "$R2"
expect_match "saying why" "run '$R2' of 'part' is partial \(--select or --exclude left steps out\)" "$errout"
expect_ok "query still reads the whole run" "$DUCKFLOW" query --format csv 'SELECT c FROM total.s'
expect_match "2 items" '^2$' "$out"
expect_ok "resume the partial run without --select" "$DUCKFLOW" run -q p.yaml --param n=3 --resume "$R2"
check "no longer partial" test "$(jget "$S/part/runs/$R2/run.json" m.partial)" = undefined
expect_ok "and published: query reads it" "$DUCKFLOW" query --format csv 'SELECT c FROM total.s'
expect_match "3 items" '^3$' "$out"
