#!/usr/bin/env bash
# t4900: docs/tutorial.md runs as written. Every ```sh block is run in order in one
# folder, with `duckflow` on PATH being the binary under test; a block whose first line
# is "# this fails (exit N)" must exit N, every other block 0. Then what the text claims
# is checked on the outputs.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..18"

mkdir -p bin
ln -sf "$DUCKFLOW" bin/duckflow
export PATH="$SCRATCH/bin:$PATH"
unset DUCKFLOW_STORE # the tutorial uses the default store, ./.duckflow

# Split the tutorial into its sh blocks.
awk -v dir="$SCRATCH" '
    /^```sh$/ { n++; f = sprintf("%s/block%02d.sh", dir, n); inb = 1; next }
    /^```$/ && inb { inb = 0; close(f); next }
    inb { print > f }
' "$DUCKFLOW_TOP/docs/tutorial.md"
blocks=$(ls block*.sh | wc -l)
check "the tutorial has its command blocks" test "$blocks" -ge 7

# All blocks run in one shell session, as a reader would type them (cd carries over).
: >all.log
status=0
for b in block*.sh; do
    want=0
    first=$(head -n 1 "$b")
    [[ $first =~ ^#\ this\ fails\ \(exit\ ([0-9]+)\) ]] && want=${BASH_REMATCH[1]}
    echo "== $b (want $want)" >>all.log
    (cd "$SCRATCH/${cwd:-}" && bash -e "$SCRATCH/$b") >>all.log 2>&1
    got=$?
    echo "== $b exit $got" >>all.log
    [ "$got" -eq "$want" ] || status=1
    # the first block makes and enters shop/
    grep -q '^mkdir -p shop && cd shop$' "$b" && cwd=shop
done
cp all.log "$SCRATCH/tutorial.log"
check "every block exits as the tutorial says" test "$status" -eq 0
S="$SCRATCH/shop"
check "the run failed on the check, as told" grep -qE "^failed +orders\[apac\] \(check_failed, attempt 1\): check 'amounts are positive' failed: 1 row \(log: duckflow logs [0-9TZ-]+[0-9a-f]{4} 'orders\[apac\]'\)$" tutorial.log
check "the summary repeats the warnings once" grep -qxE "  2 tasks of orders: check 'discounts within bounds' failed: 24 rows in all" tutorial.log
check "the summary names the log of the failed task" grep -qE "^    log: duckflow logs [0-9]{8}T[0-9]{6}Z-[0-9a-f]{4} 'orders\[apac\]'$" tutorial.log
check "the warning showed its rows" grep -qE "warning: check 'discounts within bounds' failed: 12 rows; the first 5:" tutorial.log
check "the summary's last line resumed it" grep -qE '^duckflow run pipeline.yaml --resume [0-9]{8}T[0-9]{6}Z-[0-9a-f]{4}$' tutorial.log
check "logs by label printed the failed task's check" grep -qE "^duckflow: step 'orders' item 2: check 'amounts are positive' failed: 1 row:" tutorial.log
check "runs listed it" grep -qE '^shop +[0-9T]+Z-[0-9a-f]{4} +failed .*2/4 \(1 failed, 1 not run\)' tutorial.log
check "the resume reran the changed step" grep -qE '^orders +3/3 .*ok \(rerun: sql changed\)' tutorial.log
check "one run in the store" test "$(ls "$S/.duckflow/shop/runs" | wc -l)" -eq 1
check "totals per region" grep -qE '^ *apac +\| +20 +\| +378 *$' tutorial.log
check "_run.tasks by label" grep -qx 'orders,apac,[0-9]*,20' tutorial.log
check "_run.checks: warn failed everywhere, error passed" grep -qx 'apac,discounts within bounds,warn,12,false' tutorial.log
check "the HTML report" test -s "$S/report.html"
check "it leads with nothing failed now, and shows the retried task" \
    bash -c "! grep -q 'What failed' '$S/report.html' && grep -q 'class=\"att retried\"' '$S/report.html'"
check "an Argo manifest" grep -q 'kind: Workflow' "$S/workflow.yaml"
check "argo warns that the regions list is fixed at compile time" grep -q "foreach values 'regions' is fixed when the manifest is compiled" tutorial.log
