#!/usr/bin/env bash
# cache.sh - what content-addressed tasks save (docs/run.md "Task identity and the cache").
#   1. examples/assets-diff at N assets in SHARDS shards (2 x SHARDS + 1 tasks), run once,
#      then run again unchanged: every task reused by the executor itself (no process, no
#      DuckDB). Reports the rerun's wall and CPU, and CPU per reused task. The rerun's cost
#      depends on the number of tasks and files, not on the rows: SHARDS=128 has the
#      reference size's 257 tasks and files at any N.
#   2. examples/assets-daily at N assets in SHARDS shards: the run for day 1 (snapshots of
#      days 0 and 1, diffs, summary) against the run for day 2 (day 1's snapshots reused).
#   3. Resume after editing the last step's SQL: only that step runs.
#   bench/cache.sh BUILD [N] [SHARDS] [DAILY_N] [DAILY_SHARDS]   (defaults 165000 128 2000000 8)
# CACHE_PARTS="diff daily" (default both) picks parts: diff = 1 and 3, daily = 2; day1 and
# day2 are the two halves of 2, for long sizes: call once with day1 and once with day2 and
# the same CACHE_STORE (each under its own hold of the lock). The day-2 call reads day 1's
# figures from $CACHE_STORE/.day1-time to print the ratio.
# DAILY_PIPELINE=FILE runs another copy of assets-daily (a baseline: e.g. with zstd snapshots).
# CACHE_STORE=DIR keeps the store in DIR (not removed; a second call with it reruns against
# the same store, e.g. a rerun at 165M with a newer build).
# Results: BUILD/bench-results/cache$CACHE_TAG.md. Take `flock /work/.bench.lock` around it.
source "$(dirname "$0")/common.sh"
n=${2:-165000}
shards=${3:-128}
dn=${4:-2000000}
dshards=${5:-8}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/duckflow-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
store=${CACHE_STORE:-$tmp/store}
parts=${CACHE_PARTS:-diff daily}
has() { case " $parts " in *" $1 "*) return 0 ;; esac; return 1; }

# timed LABEL CMD... -> appends "LABEL wall_s cpu_s" to $tmp/t (CPU: user + sys of the
# whole process tree, from GNU time).
timed() {
    local label=$1
    shift
    /usr/bin/time -f "%e %U %S" -o "$tmp/time" "$@" >"$tmp/out" 2>"$tmp/err" || {
        echo "bench: '$label' failed:" >&2
        tail -n 5 "$tmp/err" >&2
        exit 1
    }
    awk -v l="$label" '{ printf "%s %.2f %.2f\n", l, $1, $2 + $3 }' "$tmp/time" >>"$tmp/t"
}
val() { awk -v l="$1" -v c="$2" '$1 == l { print $c }' "$tmp/t"; }

ad="$top/examples/assets-diff/pipeline.yaml"
if has diff; then
timed first "$DF" run "$ad" --store "$store" --param n="$n" --param shards="$shards" -j 2 --quiet
timed rerun "$DF" run "$ad" --store "$store" --param n="$n" --param shards="$shards" -j 2 --quiet
tasks=$((2 * shards + 1))
reused=$(grep -oE '\(([0-9]+) tasks? reused' "$tmp/err" | grep -oE '[0-9]+' || echo 0)

# 3. Resume after editing the last step's SQL: a copy of the example whose summary changes.
cp -r "$top/examples/assets-diff" "$tmp/ad"
timed edit-first "$DF" run "$tmp/ad/pipeline.yaml" --store "$store" --param n="$n" --param shards="$shards" -j 2 --quiet
run=$(cat "$tmp/out")
sed -i 's/^SELECT change, count(\*) AS assets$/SELECT change, count(*) AS assets, 1 AS edited/' "$tmp/ad/sql/summary.sql"
timed edit-resume "$DF" run "$tmp/ad/pipeline.yaml" --store "$store" --resume "$run" -j 2
ran_after_edit=$(grep -cE '^ok +' "$tmp/err" || true)
fi

# 2. The daily example.
dl=${DAILY_PIPELINE:-$top/examples/assets-daily/pipeline.yaml}
if has daily || has day1; then
timed day1 "$DF" run "$dl" --store "$store" --param day=1 --param n="$dn" --param shards="$dshards" -j 2 --quiet
[ -z "${CACHE_STORE:-}" ] || grep '^day1 ' "$tmp/t" >"$store/.day1-time"
fi
if has daily || has day2; then
[ -e "$tmp/t" ] && grep -q '^day1 ' "$tmp/t" || cat "$store/.day1-time" >>"$tmp/t"
timed day2 "$DF" run "$dl" --store "$store" --param day=2 --param n="$dn" --param shards="$dshards" -j 2 --quiet
day2_reused=$(grep -oE '\(([0-9]+) tasks? reused' "$tmp/err" | grep -oE '[0-9]+' || echo 0)
fi

{
    echo "| what | wall | CPU (user+sys) | note |"
    echo "|---|---|---|---|"
    if has diff; then
        echo "| assets-diff n=$n shards=$shards, first run ($tasks tasks) | $(val first 2) s | $(val first 3) s | |"
        echo "| the same, unchanged, again | **$(val rerun 2) s** | $(val rerun 3) s | $reused of $tasks tasks reused; $(awk -v c="$(val rerun 3)" -v t="$tasks" 'BEGIN { printf "%.2f", c * 1000 / t }') ms CPU per task, executor start-up included |"
        echo "| a copy of it (same keys), again | $(val edit-first 2) s | $(val edit-first 3) s | $(awk -v c="$(val edit-first 3)" -v t="$tasks" 'BEGIN { printf "%.2f", c * 1000 / t }') ms CPU per task |"
        echo "| resume after editing summary.sql | $(val edit-resume 2) s | $(val edit-resume 3) s | tasks that ran: $ran_after_edit |"
    fi
    if has daily || has day1 || has day2; then
        echo "| assets-daily n=$dn shards=$dshards, day 1 | $(val day1 2) s | $(val day1 3) s | |"
    fi
    if has daily || has day2; then
        echo "| assets-daily, day 2 | **$(val day2 2) s** ($(awk -v a="$(val day2 2)" -v b="$(val day1 2)" 'BEGIN { printf "%.0f%%", a * 100 / b }') of day 1) | $(val day2 3) s ($(awk -v a="$(val day2 3)" -v b="$(val day1 3)" 'BEGIN { printf "%.0f%%", a * 100 / b }')) | $day2_reused snapshot tasks reused |"
    fi
} | tee "$results/cache${CACHE_TAG:-}.md"
