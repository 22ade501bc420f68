#!/usr/bin/env bash
# t8003: `duckflow step --run RUN`, `duckflow items --run RUN` and `duckflow argo items`
# (what every Argo pod runs) refuse a run removed by `runs rm` (its tombstone
# _removed.json) as `run --resume` and `query` do: exit 2, saying it was removed, and
# nothing is written into what is left of it (no task folder, no _items.json). A run that
# was not removed still works, and the items of a static step, which need no store, are
# printed whatever the run.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..20"

cat >p.yaml <<'YAML'
name: gone
defaults: {threads: 1, retries: 0}
steps:
  a:
    foreach: {range: 2}
    sql: CREATE TABLE t AS SELECT CAST(getvariable('item') AS INTEGER) AS k
    outputs: [t]
  per_row:
    inputs: {t: a.t}
    foreach: {rows: SELECT DISTINCT k FROM t ORDER BY k}
    sql: CREATE TABLE r AS SELECT getvariable('item') AS k
    outputs: [r]
YAML

expect_ok "a run" "$DUCKFLOW" run -q p.yaml
R=$(cat "$out")
expect_ok "a second run, published" "$DUCKFLOW" run -q p.yaml
expect_ok "runs rm removes the first" "$DUCKFLOW" runs rm "$R"
check "it leaves a tombstone" test -f "$DUCKFLOW_STORE/gone/runs/$R/_removed.json"
find "$DUCKFLOW_STORE" | sort >before.txt

said() { cp "$errout" said.txt; }
expect_code 2 "step --run <removed run>" "$DUCKFLOW" step p.yaml --run "$R" --step a --item 0
said
check "  says the run was removed, in one line" \
    test "$(grep -c "^duckflow: run '$R' of 'gone' was removed from store '.*' (runs rm or gc)" said.txt)" -eq 1 -a "$(wc -l <said.txt)" -eq 1
expect_code 2 "step --run <removed run> of the dynamic step" "$DUCKFLOW" step p.yaml --run "$R" --step per_row --item 0
expect_code 2 "items --run <removed run> of the dynamic step" "$DUCKFLOW" items p.yaml --run "$R" --step per_row
said
check "  says the run was removed" grep -q "^duckflow: run '$R' of 'gone' was removed from store" said.txt
check "  and prints no list" test ! -s "$out"
expect_code 2 "argo items --run <removed run> (an Argo pod's items task)" \
    "$DUCKFLOW" argo items p.yaml --run "$R" --step per_row --store "$DUCKFLOW_STORE"
said
check "  says the run was removed, in one line" \
    test "$(grep -c "^duckflow: run '$R' of 'gone' was removed from store" said.txt)" -eq 1 -a "$(wc -l <said.txt)" -eq 1
check "  and prints no list" test ! -s "$out"
find "$DUCKFLOW_STORE" | sort >after.txt
check "nothing was written into the removed run" cmp before.txt after.txt

expect_ok "items of a static step need no store: printed" "$DUCKFLOW" items p.yaml --run "$R" --step a
check "  the list" test "$(cat "$out")" = '[0,1]'

# Another run id, never removed: step and items work.
expect_ok "step of a run that was not removed" "$DUCKFLOW" step p.yaml --run r-kept --step a --item 0
expect_ok "  its second task" "$DUCKFLOW" step p.yaml --run r-kept --step a --item 1
expect_ok "items of it" "$DUCKFLOW" items p.yaml --run r-kept --step per_row
expect_ok "argo items of it" "$DUCKFLOW" argo items p.yaml --run r-kept --step per_row --store "$DUCKFLOW_STORE"
