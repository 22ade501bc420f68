#!/usr/bin/env bash
# runs1000.sh - issue 13's benchmark: `duckflow views` and `gc --dry-run` (plain, and with
# --keep-runs) over a store holding N runs of examples/tpch (default 1,000), synthesised by
# copying one real run under new run ids (run.json, manifests and views rewritten to name
# their own run). Then, on the S3 test server, the request counts of the same commands for
# a few store sizes: listing cost is O(keys under the pipeline), so O(runs).
#   bench/ops/runs1000.sh BUILD [N] [S3_SIZES]
# Prints a Markdown table; wall and CPU (user+sys) per command, best of 3. With
# BASELINE=DIR (another build, e.g. of an earlier commit), the same commands of that
# binary are timed too, over the same store in the same go.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
n=${2:-1000}
s3_sizes=${3-"50 100 200"}
df="$build/duckflow"
work=$(mktemp -d "${TMPDIR:-/tmp}/df-ops-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

# One real run, then n-1 copies under new ids.
"$df" run -q "$top/examples/tpch/pipeline.yaml" --store "$work/store" --param chunks=8 \
    --param rows=1000 >seed.id 2>seed.err
seed=$(cat seed.id)
make_copies() { # STORE COUNT
    local store=$1 count=$2 i id
    for i in $(seq 1 $((count - 1))); do
        id=$(printf '20250101T%06dZ-%04x' "$i" "$i")
        cp -r "$store/tpch/runs/$seed" "$store/tpch/runs/$id"
        find "$store/tpch/runs/$id" \( -name '*.json' -o -name '*.sql' -o -name '*.jsonl' \) \
            -exec sed -i "s/$seed/$id/g" {} +
        # older than the seed, so the seed stays the newest and published; _manifests.json
        # holds the run record as the run's end left it (store/runindex.h): the same edit
        # (when the seed's build writes one)
        find "$store/tpch/runs/$id" -maxdepth 1 \( -name run.json -o -name _manifests.json \) \
            -exec sed -i "s/\"started_at\": *\"[^\"]*\"/\"started_at\": \"2025-01-01T00:00:00.000Z\"/" {} +
    done
}
make_copies "$work/store" "$n"
keys=$(find "$work/store" -type f | wc -l)

measure() { # LABEL CMD... -> "| label | wall s | cpu s |" best of 3 by wall
    local label=$1 best_w=999999 best_c=0 w c
    shift
    for _ in 1 2 3; do
        /usr/bin/time -f '%e %U %S' -o t.txt "$@" >/dev/null 2>cmd.err
        w=$(awk '{print $1}' t.txt)
        c=$(awk '{printf "%.2f", $2 + $3}' t.txt)
        if awk -v a="$w" -v b="$best_w" 'BEGIN{exit !(a < b)}'; then best_w=$w best_c=$c; fi
    done
    printf '| %s | %s | %s |\n' "$label" "$best_w" "$best_c"
}

echo "## duckflow views and gc --dry-run over $n runs of examples/tpch ($keys keys, local store)"
echo
echo "| command | wall (s) | CPU (s) |"
echo "|---|---:|---:|"
measure "runs (baseline: reads every run.json)" "$df" runs --store "$work/store"
measure "views (published run)" "$df" views --store "$work/store"
measure "views --format json" "$df" views --store "$work/store" --format json
measure "gc --dry-run" "$df" gc --store "$work/store" --dry-run
measure "gc --keep-runs 10 --dry-run" "$df" gc --store "$work/store" --keep-runs 10 --dry-run
if [ -n "${BASELINE:-}" ]; then
    old="$(cd "$BASELINE" && pwd)/duckflow"
    measure "BASELINE runs" "$old" runs --store "$work/store"
    measure "BASELINE views (published run)" "$old" views --store "$work/store"
    measure "BASELINE gc --dry-run" "$old" gc --store "$work/store" --dry-run
    measure "BASELINE gc --keep-runs 10 --dry-run" "$old" gc --store "$work/store" --keep-runs 10 \
        --dry-run
fi

[ -n "$s3_sizes" ] || exit 0
echo
echo "## Requests against the S3 test server"
echo
echo "| runs | keys | views: requests (List/Get) | gc --dry-run: requests (List/Get) | gc --keep-runs 10 --dry-run |"
echo "|---:|---:|---|---|---|"
export DUCKFLOW_TOP="$top"
source "$top/tests/support/s3/start.sh" >/dev/null
sdk() { node "$top/tests/support/s3/sdk.js" "$@"; }
reqs() { # -> "T (L/G)"
    s3_test_stats | node -e 'const s=JSON.parse(require("fs").readFileSync(0,"utf8")); const b=s.byOp;
      console.log(`${s.requests} (${b.ListObjects||0}/${b.GetObject||0})`)'
}
for size in $s3_sizes; do
    rm -rf "$work/s3store" && mkdir -p "$work/s3store/tpch/runs"
    cp -r "$work/store/tpch/runs/$seed" "$work/s3store/tpch/runs/"
    cp "$work/store/tpch/published."* "$work/s3store/tpch/"
    make_copies "$work/s3store" "$size"
    (cd "$work/s3store" && find . -type f | sed 's|^\./||' | while read -r k; do
        printf '%s\n' "$k"; done) >keys.txt
    node -e '
      const {S3Client, PutObjectCommand}=require(process.argv[1]+"/node_modules/@aws-sdk/client-s3");
      const fs=require("fs"); const c=new S3Client({endpoint:process.env.S3_TEST_ENDPOINT,forcePathStyle:true,region:"us-east-1"});
      const keys=fs.readFileSync("keys.txt","utf8").split("\n").filter(Boolean);
      (async()=>{for(let i=0;i<keys.length;i+=32) await Promise.all(keys.slice(i,i+32).map(k=>
        c.send(new PutObjectCommand({Bucket:process.env.S3_TEST_BUCKET,Key:"b"+process.argv[2]+"/"+k,Body:fs.readFileSync(process.argv[3]+"/"+k)}))));})()' \
        "$top" "$size" "$work/s3store"
    st="s3://$S3_TEST_BUCKET/b$size"
    curl -sf -X POST "$S3_TEST_ENDPOINT/_front/reset" >/dev/null
    "$df" views --store "$st" >/dev/null 2>&1
    v=$(reqs)
    curl -sf -X POST "$S3_TEST_ENDPOINT/_front/reset" >/dev/null
    "$df" gc --store "$st" --dry-run >/dev/null 2>&1
    g=$(reqs)
    curl -sf -X POST "$S3_TEST_ENDPOINT/_front/reset" >/dev/null
    "$df" gc --store "$st" --dry-run --keep-runs 10 >/dev/null 2>&1
    k=$(reqs)
    echo "| $size | $(wc -l <keys.txt) | $v | $g | $k |"
done
