#!/usr/bin/env bash
# t3208: what the cache key covers, part by part (issue 10 item 1; docs/run.md "Task
# identity and the cache"). One pipeline is varied one thing at a time; each variant runs
# with --no-cache and the parts of a task's key (manifest `cache_parts`) are compared with
# the baseline's: the step's SQL, its outputs' options, its inputs' reader options, its
# foreach, its checks (severity included), the params its SQL and order_by read (literal
# names; every param when a name is computed or duckdb_variables() is called), its item,
# upstream bytes, a local file's size or mtime (also deep under a `**` glob) change exactly the part
# named; memory_limit, threads, timeout, retries and an unread param change nothing; the
# versions part is the output-format version and DuckDB's own version.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..24"

mkdir -p data/deep/er
printf 'k,v\n1,10\n2,20\n' >data/ext.csv
printf 'k,v\n3,30\n' >data/deep/er/more.csv
base() {
    cat <<'YAML'
name: keyparts
params: {scale: 2, unread: 1, other: 5}
defaults: {threads: 1, memory_limit: 256MB, retries: 1, timeout: 10m}
steps:
  up:
    foreach: {values: [1, 2]}
    inputs:
      e: {uri: data/ext.csv, format: csv, options: {header: true}}
    sql: CREATE TABLE t AS SELECT k, v * getvariable('scale') * getvariable('item') AS v FROM e;
    outputs:
      t: {order_by: [k]}
    checks:
      - name: some rows
        sql: SELECT 1 WHERE (SELECT count(*) FROM t) = 0
  down:
    inputs:
      u: up.t
      d: {uri: "data/**/*.csv", format: csv}
    sql: CREATE TABLE s AS SELECT (SELECT sum(v) FROM u)::BIGINT AS total, (SELECT count(*) FROM d) AS deep;
    outputs: [s]
YAML
}
base >base.yaml
S="$DUCKFLOW_STORE/keyparts/runs"
runit() { # YAML -> run id (every task runs)
    "$DUCKFLOW" run "$1" --no-cache -j 1 >run.out 2>run.err || { cat run.err >&2; return 1; }
    tail -n 1 run.out
}
changed() { # RUN STEP ITEMKEY -> the parts of the key that differ from the baseline's ("-": none)
    node -e '
        const fs = require("fs");
        const [a, b] = process.argv.slice(1).map((f) => JSON.parse(fs.readFileSync(f, "utf8")));
        const d = Object.keys(a.cache_parts).filter((k) => a.cache_parts[k] !== b.cache_parts[k]);
        if (d.length === 0 && a.cache_key !== b.cache_key) d.push("KEY");
        console.log(d.length ? d.sort().join(",") : "-");' \
        "$S/$B/$2/$3/_manifest.json" "$S/$1/$2/$3/_manifest.json"
}
variant() { # WHAT EXPECT-up[0] EXPECT-down (a sed script edits the baseline; optional 4th: shell to run first)
    local what=$1 want_up=$2 want_down=$3 script=$4
    base | sed -e "$script" >v.yaml
    r=""
    r=$(runit v.yaml) || r=none
    check "$what: up[0] changes '$want_up', down '$want_down'" \
        test "$(changed "$r" up 00000 2>/dev/null) $(changed "$r" down 00000 2>/dev/null)" = "$want_up $want_down"
}

B=$(runit base.yaml)
check "the baseline ran" test -n "$B"
check "its manifests have the seven parts" test "$(jget "$S/$B/up/00000/_manifest.json" 'Object.keys(m.cache_parts).sort().join()')" = \
    "checks,definition,inputs,item,params,sql,versions"

# Not in the key: resources and retries, a param nobody reads.
variant "memory_limit, threads, timeout, retries" - - \
    's/defaults: .*/defaults: {threads: 2, memory_limit: 300MB, retries: 0, timeout: 20m}/'
R=$("$DUCKFLOW" run v.yaml -j 1 2>/dev/null | tail -n 1)
check "so a run with other resources reuses everything" test "$("$DUCKFLOW" query --run "$R" --format csv \
    "SELECT count(*) FILTER (reused_from_run IS NOT NULL) FROM _run.tasks" | tail -n 1)" = 3
variant "a param no step reads" - - 's/unread: 1/unread: 7/'

# The step's definition, its SQL, checks, params, item; downstream follows only when up's
# bytes change.
variant "the SQL text (same result)" sql - 's/AS v FROM e;/AS v FROM e ;/'
variant "an output's order_by" definition - 's/t: {order_by: \[k\]}/t: {order_by: [k, v]}/'
variant "an output's compression" definition inputs 's/t: {order_by: \[k\]}/t: {order_by: [k], compression: lz4}/'
variant "an output's file_size" definition - 's/t: {order_by: \[k\]}/t: {order_by: [k], file_size: 1GB}/'
variant "an output's partition_by" definition inputs 's/t: {order_by: \[k\]}/t: {order_by: [k], partition_by: [k]}/'
variant "an input's reader options" definition - 's/options: {header: true}/options: {header: true, delim: ","}/'
variant "a check's SQL" checks - 's/(SELECT count(\*) FROM t) = 0/(SELECT count(*) FROM t) < 1/'
variant "a check's severity" checks - '/name: some rows/a\        severity: warn'
variant "a param the SQL reads" params inputs 's/scale: 2/scale: 3/'
variant "the foreach (values -> range)" definition,item inputs 's/foreach: {values: \[1, 2\]}/foreach: {range: 2}/'
variant "the item (values [1, 2] -> [1, 3]): up[0] keeps its key" - inputs 's/values: \[1, 2\]/values: [1, 3]/'

# A computed param name, or duckdb_variables(): every param is in the key; so is a param an
# output's order_by reads. Compared with a run of the same pipeline (the baseline for these
# three) with another value of a param the step's SQL does not name.
for sql in "s/getvariable('scale')/getvariable('sca' || 'le')/" \
    "s/AS v FROM e;/AS v FROM e WHERE (SELECT count(*) FROM duckdb_variables()) > 0;/" \
    "s/t: {order_by: \[k\]}/t: {order_by: [k * getvariable('other')]}/"; do
    base | sed -e "$sql" >c.yaml
    B=$(runit c.yaml)
    base | sed -e "$sql" -e 's/other: 5/other: 6/' >v.yaml
    r=$(runit v.yaml) || r=none
    check "${sql:0:40}...: a param the SQL does not name changes the params part" \
        test "$(changed "$r" up 00000 2>/dev/null)" = params
done
B=$(runit base.yaml)

# External local files: size or mtime, also deep under a ** glob.
touch -d '2020-01-01' data/ext.csv
variant "an external file's mtime" inputs inputs ''
printf 'k,v\n1,10\n2,20\n3,30\n' >data/ext.csv
variant "an external file's content" inputs inputs ''
printf 'k,v\n1,10\n2,20\n' >data/ext.csv
B=$(runit base.yaml)
printf 'k,v\n3,30\n4,40\n' >data/deep/er/more.csv
variant "a file two folders below a ** glob" - inputs ''
check "and the task read it (2 + 2 rows)" test "$("$DUCKFLOW" query --run "$r" --format csv "SELECT deep FROM down.s" | tail -n 1)" = 4

# Versions: the output-format version and the DuckDB library's version.
V=$("$DUCKFLOW" query --run "$B" --format csv "SELECT library_version FROM pragma_version()" | tail -n 1)
want=$(printf '{"duckdb":"%s","output_format":1}' "$V" | sha256sum | cut -c1-64)
check "the versions part is sha256 of DuckDB's version ($V) and the output format" \
    test "$(jget "$S/$B/up/00000/_manifest.json" m.cache_parts.versions)" = "$want"
