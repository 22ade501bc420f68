#!/usr/bin/env bash
# t8010: resuming the published run never changes what consumers read
# (docs/operations.md). A resume of the published run that would run a committed task
# again (its SQL edited, --rerun) is refused before anything in the store changes (exit
# 2, naming the run and why, suggesting a new run); the published run still answers
# queries as before. A resume that keeps every task stays allowed. A new run reuses the
# unchanged tasks and, succeeding, becomes the published run. It used to delete gen's
# manifest: `failed (published)`, and `duckflow query` failed ("step 'gen' has no
# committed task").
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..15"

gen_use_pipeline pub 4
published() { jget "$DUCKFLOW_STORE/pub/published.json" m.run; }
snapshot() { (cd "$DUCKFLOW_STORE" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }

expect_ok "a run succeeds" "$DUCKFLOW" run pipeline.yaml
r1=$(cat "$out")
check "  and is published" test "$(published)" = "$r1"
expect_ok "a resume of it that changes nothing is allowed" "$DUCKFLOW" run pipeline.yaml --resume "$r1"
check "  it is still published" test "$(published)" = "$r1"

sed -i 's/range(4)/no_such_function(4)/' pipeline.yaml
snapshot >before.txt
expect_code 2 "a resume of the published run with gen's SQL changed is refused" \
    "$DUCKFLOW" run pipeline.yaml --resume "$r1"
expect_match "  naming the run, the task, why, and a new run" \
    "^duckflow: cannot resume run '$r1': it is the published run of 'pub', and task gen\[0\] would run again \(sql changed\); start a new run instead \('duckflow run pipeline.yaml' reuses unchanged tasks through the cache\)$" \
    "$errout"
snapshot >after.txt
check "  the store is untouched" cmp -s before.txt after.txt
expect_ok "  duckflow query still reads the published run" \
    "$DUCKFLOW" query --format csv "SELECT s FROM use.u"
expect_match "  with the same result" '^6$' "$out"

sed -i 's/no_such_function(4)/range(4)/' pipeline.yaml
expect_code 2 "a resume of the published run with --rerun is refused" \
    "$DUCKFLOW" run pipeline.yaml --resume "$r1" --rerun use
expect_match "  saying --rerun" "task use\[0\] would run again \(--rerun runs it again\)" "$errout"

sed -i 's/range(4)/range(5)/' pipeline.yaml
expect_ok "a new run with the edited SQL succeeds" "$DUCKFLOW" run pipeline.yaml
r2=$(cat "$out")
check "  and becomes the published run" test "$(published)" = "$r2" -a "$r2" != "$r1"
expect_ok "  duckflow query reads it" "$DUCKFLOW" query --format csv "SELECT s FROM use.u"
expect_match "  (the new sum)" '^10$' "$out"
