#!/usr/bin/env bash
# t4103: `duckflow views` over a store of several pipelines, without --pipeline (issue 13
# points 2-3): each pipeline's published run in a catalog named after the pipeline, as
# `duckflow query` does, so a stock DuckDB joins `rr.b.u` with `other.b.u` and gets what
# duckflow query gets; --format json prints one object per pipeline (with its catalog);
# --pipeline P keeps the two-part names; a run id of one pipeline still works.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..14"
S="$DUCKFLOW_STORE"

cat >a.yaml <<'YAML'
name: rr
steps:
  a:
    sql: CREATE TABLE t AS SELECT range AS k, range * 10 AS v FROM range(5);
    outputs: [t]
YAML
sed 's/name: rr/name: other/; s/range \* 10/range * 100/' a.yaml >b.yaml
expect_ok "pipeline rr" "$DUCKFLOW" run -q a.yaml
RA=$(cat "$out")
expect_ok "pipeline other" "$DUCKFLOW" run -q b.yaml

expect_ok "views without --pipeline" "$DUCKFLOW" views
cp "$out" all.sql
expect_match "a catalog per pipeline" "^ATTACH IF NOT EXISTS ':memory:' AS \"other\";$" all.sql
expect_match "views named catalog.step.table" '^CREATE OR REPLACE VIEW "rr"."a"."t" AS ' all.sql
q='SELECT x.k, x.v, y.v FROM rr.a.t x JOIN other.a.t y USING (k) ORDER BY x.k'
expect_ok "duckflow query joins the two" "$DUCKFLOW" query --format csv "$q"
tail -n +2 "$out" >df.csv
check "five rows" test "$(wc -l <df.csv)" -eq 5
if cc -std=c11 -O0 -o duckrun "$DUCKFLOW_TOP/tests/support/duckrun/duckrun.c" \
    -I"$DUCKFLOW_TOP/deps/duckdb/include" -L"$DUCKFLOW_TOP/deps/duckdb/lib" -lduckdb \
    -Wl,-rpath,"$(readlink -f "$DUCKFLOW_TOP/deps/duckdb/lib")" 2>cc.err; then
    expect_ok "a stock DuckDB runs the views and the same join" ./duckrun all.sql "$q"
    cp "$out" plain.csv
    check "same rows as duckflow query" cmp plain.csv df.csv
else
    echo "ok 7 - # SKIP no C compiler for the stock DuckDB runner"
    echo "ok 8 - # SKIP no C compiler for the stock DuckDB runner"
    _n=$((_n + 2))
fi
expect_ok "--format json" "$DUCKFLOW" views --format json
cp "$out" all.json
check "one object per pipeline, with its catalog" node -e '
    const a = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    process.exit(Array.isArray(a) && a.length === 2 && a.map((x) => x.catalog).join() === "other,rr" &&
                 a.every((x) => x.tables.length === 1 && x.tables[0].files.length === 1) ? 0 : 1);' all.json
expect_ok "--pipeline rr keeps two-part names" "$DUCKFLOW" views --pipeline rr
expect_match "(no catalog)" '^CREATE OR REPLACE VIEW "a"."t" AS ' "$out"
expect_ok "a run id picks its pipeline" "$DUCKFLOW" views "$RA"
