#!/usr/bin/env bash
# compare.sh - compares what two runs produced, table by table, through `duckflow query`:
# every view of run A (a schema per step) must hold exactly the rows of the same view of
# run B (compared as sorted CSV), and both runs must have the same set of views.
#   compare.sh DUCKFLOW STORE_A RUN_A STORE_B RUN_B [OUT_DIR]
# Prints one line per table compared; exit status 0 when all are equal, 1 otherwise.
set -uo pipefail
bin=$1 sa=$2 ra=$3 sb=$4 rb=$5 dir=${6:-$(mktemp -d)}
mkdir -p "$dir"
views="SELECT schema_name || '/' || view_name FROM duckdb_views() WHERE NOT internal AND schema_name <> '_run' ORDER BY ALL"
"$bin" query --store "$sa" --run "$ra" --format csv "$views" >"$dir/views.a" || exit 1
"$bin" query --store "$sb" --run "$rb" --format csv "$views" >"$dir/views.b" || exit 1
if ! cmp -s "$dir/views.a" "$dir/views.b"; then
    echo "compare.sh: the runs have different tables:" >&2
    diff "$dir/views.a" "$dir/views.b" >&2
    exit 1
fi
n=0
fail=0
for v in $(tail -n +2 "$dir/views.a"); do
    # Quoted: step names may be SQL keywords (summarize).
    q="SELECT * FROM \"${v%%/*}\".\"${v#*/}\" ORDER BY ALL"
    "$bin" query --store "$sa" --run "$ra" --format csv "$q" >"$dir/${v/\//.}.a" || fail=1
    "$bin" query --store "$sb" --run "$rb" --format csv "$q" >"$dir/${v/\//.}.b" || fail=1
    f="$dir/${v/\//.}"
    if cmp -s "$f.a" "$f.b" && [ -s "$f.a" ]; then
        echo "same ${v/\//.} ($(($(wc -l <"$f.a") - 1)) rows)"
    else
        echo "DIFFERENT ${v/\//.}"
        diff "$f.a" "$f.b" | head -n 10
        fail=1
    fi
    n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "compare.sh: no tables" >&2; exit 1; }
exit $fail
