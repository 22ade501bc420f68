#!/usr/bin/env bash
# runend.sh - memory and time of the end of a run (df_run_end_outputs: lineage end events,
# views.sql, _manifests.json, published.json) for a run of N tasks (default 10,000). One
# real run of `foreach: {range: 3}` with trivial SQL, then its task 0 copied to N items
# (manifests and run.json rewritten to name their item; the Parquet file hard-linked), so
# the store holds what a 10,000-task run leaves without running 10,000 processes. The
# driver (bench/ops/runend.c) links against BUILD's library and prints the resident memory
# before the call, the peak during it, wall and CPU; best (lowest peak) of 3.
#   bench/ops/runend.sh BUILD [N]
# With BASELINE="DIR..." (other build trees, e.g. of earlier commits, with their
# libduckflow_core.a), the same is measured with each of those libraries over the same
# store, in the same go. Run it under the benchmark lock:
#   flock /work/.bench.lock nice -n -10 bench/ops/runend.sh build 10000
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
n=${2:-10000}
work=$(mktemp -d "${TMPDIR:-/tmp}/df-runend.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

driver() { # BUILD OUT
    cc -std=c11 -O2 -D_GNU_SOURCE -I"$top/src" -o "$2" "$here/runend.c" "$1/libduckflow_core.a" \
        -L"$top/deps/duckdb/lib" -Wl,-rpath,"$top/deps/duckdb/lib" -lduckdb \
        $(pkg-config --libs yaml-0.1 jansson libcurl) -lcrypto -lpthread -lm -ldl
}
driver "$build" "$work/runend"
nb=0
for b in ${BASELINE:-}; do
    nb=$((nb + 1))
    driver "$(cd "$b" && pwd)" "$work/runend-base$nb"
done

cat >p.yaml <<'YAML'
name: wide
defaults: {threads: 1, retries: 0}
steps:
  fan:
    foreach: {range: 3}
    sql: CREATE TABLE t AS SELECT CAST(getvariable('item') AS INTEGER) AS k, 'x' AS v
    outputs: [t]
YAML
"$build/duckflow" run -q p.yaml --store "$work/store" >run.id 2>run.err
run=$(cat run.id)
R="$work/store/wide/runs/$run"

python3 - "$R" "$n" <<'PY'
import json, os, shutil, sys
R, n = sys.argv[1], int(sys.argv[2])
src = os.path.join(R, "fan", "00000")
man = json.load(open(os.path.join(src, "_manifest.json")))
adir = man["attempt_dir"]
rec = json.load(open(os.path.join(R, "run.json")))
task0 = next(t for t in rec["tasks"] if t["item_index"] == 0)
for i in range(n):
    key = "%05d" % i
    d = os.path.join(R, "fan", key)
    if i >= 3:
        os.makedirs(os.path.join(d, adir), exist_ok=True)
        for root, _, files in os.walk(os.path.join(src, adir)):
            rel = os.path.relpath(root, src)
            os.makedirs(os.path.join(d, rel), exist_ok=True)
            for f in files:
                os.link(os.path.join(root, f), os.path.join(d, rel, f))
        m = dict(man, item_index=i, item_key=key, item=i)
        with open(os.path.join(d, "_manifest.json"), "w") as f:
            json.dump(m, f, indent=1)
tasks = [dict(task0, item_index=i, item_key=key, label="fan[%d]" % i)
         for i, key in ((i, "%05d" % i) for i in range(n))]
rec["tasks"] = tasks
rec["tasks_total"] = rec["tasks_done"] = n
for s in rec["steps"]:
    s["tasks"].update(total=n, done=n)
with open(os.path.join(R, "run.json"), "w") as f:
    json.dump(rec, f, indent=1)
PY

echo "run end of a $n-task run ($(du -sh "$R" | cut -f1) in the store; manifests $(du -ch "$R"/fan/*/_manifest.json | tail -1 | cut -f1))"
best() { # DRIVER: the lowest peak of 3
    local i line out=""
    for i in 1 2 3; do
        line=$("$1" "$work/store" wide "$run")
        if [ -z "$out" ] || [ "$(echo "$line" | sed 's/.*peak_kib=\([0-9]*\).*/\1/')" -lt \
            "$(echo "$out" | sed 's/.*peak_kib=\([0-9]*\).*/\1/')" ]; then
            out=$line
        fi
    done
    echo "$out"
}
nb=0
for b in ${BASELINE:-}; do
    nb=$((nb + 1))
    echo "baseline $b: $(best "$work/runend-base$nb")"
done
echo "this build: $(best "$work/runend")"
