#!/usr/bin/env bash
# compare.sh - compares what two runs produced, table by table, through `duckflow query`:
# both runs must have the same views (a schema per step, a view per table) and every view
# the same rows (each row as JSON, sorted). One query per run keeps it quick.
#   compare.sh DUCKFLOW STORE_A RUN_A STORE_B RUN_B [OUT_DIR]
# Prints one line per table ("same step.table (N rows)"); exit status 0 when all are
# equal, 1 otherwise.
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
q=""
for v in $(tail -n +2 "$dir/views.a"); do
    # Quoted: step names may be SQL keywords (summarize).
    [ -n "$q" ] && q="$q UNION ALL "
    q="${q}SELECT '${v/\//.}' AS v, CAST(to_json(x) AS VARCHAR) AS r FROM \"${v%%/*}\".\"${v#*/}\" x"
done
[ -n "$q" ] || { echo "compare.sh: no tables" >&2; exit 1; }
q="SELECT v, r FROM ($q) ORDER BY v, r"
"$bin" query --store "$sa" --run "$ra" --format csv "$q" >"$dir/rows.a" || exit 1
"$bin" query --store "$sb" --run "$rb" --format csv "$q" >"$dir/rows.b" || exit 1
fail=0
for v in $(tail -n +2 "$dir/views.a"); do
    v=${v/\//.}
    grep "^$v," "$dir/rows.a" >"$dir/$v.a"
    grep "^$v," "$dir/rows.b" >"$dir/$v.b"
    if cmp -s "$dir/$v.a" "$dir/$v.b"; then
        echo "same $v ($(wc -l <"$dir/$v.a") rows)"
    else
        echo "DIFFERENT $v"
        diff "$dir/$v.a" "$dir/$v.b" | head -n 10
        fail=1
    fi
done
cmp -s "$dir/rows.a" "$dir/rows.b" || fail=1
exit $fail
