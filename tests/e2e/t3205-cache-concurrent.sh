#!/usr/bin/env bash
# t3205: two runs committing the same cache key at once are both correct (issue 10 item
# 6). Pods of two runs (`duckflow step`, as Argo starts them) run the same tasks at the
# same moment: both miss the cache, both commit their own manifest and both write the
# cache entry (the last write wins, atomically); each run reads its own files, each
# entry names a committed manifest with that key whose files exist, and a later run
# reuses them. Then two whole `duckflow run`s started together: both succeed with the
# right results, the store verifies, and a third run reuses every task. Last, a committed
# manifest whose key is unknown (null: its task could not compute it) is rerun by a
# resume, saying why.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..26"

cat >p.yaml <<'YAML'
name: conc
defaults: {threads: 1, memory_limit: 256MB, retries: 0}
steps:
  gen:
    foreach: {range: 3}
    sql: |
      CREATE TABLE g AS
      SELECT i AS x, hash(i) % 1000 AS v
      FROM range(getvariable('item') * 400000, getvariable('item') * 400000 + 400000) t(i);
    outputs:
      g: {order_by: [x]}
  merge:
    inputs: {g: gen.g}
    sql: CREATE TABLE m AS SELECT count(*) AS n, sum(x)::BIGINT AS total FROM g;
    outputs: [m]
YAML
S=$DUCKFLOW_STORE
man() { echo "$S/conc/runs/$1/$2/0000$3/_manifest.json"; }

# 1. Pods of two runs, the same three tasks, all six at once.
pids=()
for i in 0 1 2; do
    for r in conc-a conc-b; do
        "$DUCKFLOW" step p.yaml --run $r --step gen --item $i >"$r.$i.out" 2>"$r.$i.err" &
        pids+=($!)
    done
done
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
check "all six pods succeed" test "$fails" -eq 0
both=0
same=0
entries_ok=0
for i in 0 1 2; do
    ka=$(jget "$(man conc-a gen $i)" m.cache_key)
    kb=$(jget "$(man conc-b gen $i)" m.cache_key)
    [ -n "$ka" ] && [ "$ka" = "$kb" ] && same=$((same + 1))
    ra=$(jget "$(man conc-a gen $i)" 'm.reused_from_run || ""')
    rb=$(jget "$(man conc-b gen $i)" 'm.reused_from_run || ""')
    [ -z "$ra" ] && [ -z "$rb" ] && both=$((both + 1))
    # The entry: valid JSON, this key, a manifest of one of the two runs with this key,
    # whose files are all there.
    node -e '
        const fs = require("fs"), path = require("path");
        const [S, key] = process.argv.slice(1);
        const e = JSON.parse(fs.readFileSync(`${S}/conc/cache/${key}.json`, "utf8"));
        const m = JSON.parse(fs.readFileSync(path.join(S, e.manifest), "utf8"));
        const ok = e.cache_key === key && m.cache_key === key && ["conc-a", "conc-b"].includes(e.run) &&
            e.files.length > 0 && e.files.every((f) => fs.existsSync(path.join(S, f)));
        process.exit(ok ? 0 : 1);' "$S" "$ka" && entries_ok=$((entries_ok + 1))
done
check "both runs gave each task the same key" test "$same" -eq 3
check "the same key was committed by both runs at once (both ran it)" test "$both" -ge 1
check "each cache entry names a committed manifest with that key, files present" test "$entries_ok" -eq 3
expect_ok "run conc-a verifies" "$DUCKFLOW" verify conc-a --pipeline conc
expect_ok "run conc-b verifies" "$DUCKFLOW" verify conc-b --pipeline conc
# Each run's fan-in reads its own run's tasks.
expect_ok "merge of conc-a" "$DUCKFLOW" step p.yaml --run conc-a --step merge
expect_ok "merge of conc-b (byte-identical inputs: a hit)" "$DUCKFLOW" step p.yaml --run conc-b --step merge
check "the second merge reused the first" test "$(jget "$(man conc-b merge 0)" m.reused_from_run)" = conc-a
want="1200000,719999400000"
for r in conc-a conc-b; do
    "$DUCKFLOW" query --run $r --pipeline conc --format csv "SELECT n, total FROM merge.m" >q.csv 2>q.err
    check "$r: the merge is right" test "$(tail -n 1 q.csv)" = "$want"
done

# 2. Two whole runs started together, on a fresh store.
export DUCKFLOW_STORE="$SCRATCH/store2"
S=$DUCKFLOW_STORE
"$DUCKFLOW" run p.yaml -j 2 >r1.out 2>r1.err &
p1=$!
"$DUCKFLOW" run p.yaml -j 2 >r2.out 2>r2.err &
p2=$!
wait $p1
c1=$?
wait $p2
c2=$?
check "both runs succeed" test "$c1$c2" = 00
R1=$(tail -n 1 r1.out)
R2=$(tail -n 1 r2.out)
check "two runs" test -n "$R1" -a -n "$R2" -a "$R1" != "$R2"
ok=0
for r in "$R1" "$R2"; do
    "$DUCKFLOW" query --run "$r" --format csv "SELECT n, total FROM merge.m" >q.csv 2>q.err &&
        [ "$(tail -n 1 q.csv)" = "$want" ] && ok=$((ok + 1))
done
check "both results are right" test "$ok" -eq 2
expect_ok "the store verifies" "$DUCKFLOW" verify --pipeline conc
expect_ok "a third run" "$DUCKFLOW" run p.yaml -j 2
R3=$(tail -n 1 "$out")
expect_match "reuses every task" '^merge +1/1 .* ok \(reused\)' "$errout"
"$DUCKFLOW" query --run "$R3" --format csv "SELECT count(*) FILTER (WHERE reused_from_run IN ('$R1', '$R2')) || '/' || count(*) FROM _run.tasks" >q.csv 2>q.err
check "all 4 tasks reused from the two earlier runs" test "$(tail -n 1 q.csv)" = 4/4

# 3. A manifest whose task could not compute its key (cache_key null) is rerun on resume.
# (R1 is published again first: resuming the published run would be refused, t8010.)
"$DUCKFLOW" publish --pipeline conc "$R1" >pub.out 2>&1 || cat pub.out >&2
M="$S/conc/runs/$R3/gen/00001/_manifest.json"
node -e 'const fs = require("fs"); const m = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
    m.cache_key = null; delete m.cache_parts; fs.writeFileSync(process.argv[1], JSON.stringify(m));' "$M"
expect_ok "resume (--no-cache: no other run's copy)" "$DUCKFLOW" run p.yaml --resume "$R3" --no-cache
expect_match "reruns the task whose key was unknown, saying why" '^rerun +gen.*its cache key was unknown' "$errout"
expect_match "its byte-identical output keeps merge (early cut-off)" '^merge +1/1 .* ok \(kept\)' "$errout"
check "its new manifest has a key" bash -c "[[ '$(jget "$M" m.cache_key)' =~ ^[0-9a-f]{64}$ ]]"

# 4. A hit's files are checked against the sizes its manifest records (a stat each).
K2=$(jget "$S/conc/runs/$R3/gen/00002/_manifest.json" m.cache_key)
f=$(jget "$S/conc/cache/$K2.json" 'm.files[0]')
check "the file gen[2]'s cache entry names" test -f "$S/$f"
printf 'PAR1' >"$S/$f"
expect_ok "a run after it was truncated" "$DUCKFLOW" run p.yaml -j 2
expect_match "warns, naming it" "cache entry '.*' names '.*/gen/00002/.*', whose size differs from its manifest's: running the task" "$errout"
expect_match "gen[2] ran again" '^ok +gen\[2\] in ' "$errout"
