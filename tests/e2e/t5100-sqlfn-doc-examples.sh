#!/usr/bin/env bash
# t5100: the examples of docs/sql-functions.md (catalogs, column lineage, access kinds) run
# through `duckflow query`: each "SELECT f(...);" line followed by a "-- result" line in a
# sql block of those sections gives that result (cast to VARCHAR); and a catalog of the
# wrong type (maps of other types and subqueries included) is an error naming the
# argument, for every function, while a NULL catalog is as none.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
doc="$DUCKFLOW_TOP/docs/sql-functions.md"
# the examples: pairs of lines, from the "## Catalogs" heading to "## Speed"
python3 - "$doc" >examples.tsv <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
on = False
for i, line in enumerate(lines):
    if line.startswith("## Catalogs"):
        on = True
    elif line.startswith("## Speed"):
        on = False
    if on and line.startswith("SELECT ") and line.endswith(";") and i + 1 < len(lines) \
            and lines[i + 1].startswith("-- "):
        print(line[len("SELECT "):-1] + "\t" + lines[i + 1][3:])
PY
n=$(wc -l <examples.tsv)
echo "1..$((n * 2 + 1 + 8 * 16))"
cat >p.yaml <<'YAML'
name: sqlfn-docs
steps:
  one:
    sql: CREATE TABLE t AS SELECT 1 AS x
    outputs: [t]
YAML
expect_ok "a run to query" "$DUCKFLOW" run p.yaml
k=0
while IFS=$'\t' read -r expr want; do
    k=$((k + 1))
    expect_ok "doc example $k runs" "$DUCKFLOW" query --format csv "SELECT ($expr)::VARCHAR AS v"
    cp "$out" "$SCRATCH/.out.keep"
    printf '%s\n' "$want" >want.txt
    check "doc example $k gives what the doc says" python3 -c '
import csv, sys
got = list(csv.reader(open(sys.argv[1])))[-1][0]
want = open(sys.argv[2]).read().rstrip("\n")
if got != want:
    sys.exit("want: %s\ngot:  %s" % (want, got))' "$SCRATCH/.out.keep" want.txt
done < <(cat examples.tsv)
for f in sql_tables sql_columns sql_lineage sql_column_lineage sql_table_access \
    sql_fingerprint sql_fingerprint_hash sql_statement_type; do
    for bad in 42 "'t'" "{'t': ['a']}" "MAP {'t': 1}" "MAP {'t': 'a'}" "MAP {1: ['a']}" \
        "(SELECT MAP {'t': 1})"; do
        check "$f: a catalog $bad (not a MAP(VARCHAR, VARCHAR[])) is an error" bash -c \
            '! "$DUCKFLOW" query "SELECT '"$f('SELECT a FROM t', 'ansi', $bad"')" 2>bad.err'
        expect_match "$f: catalog $bad: an error naming the argument, not DuckDB's cast" \
            "$f: argument 3 \\(catalog\\) must be a MAP\\(VARCHAR, VARCHAR\\[\\]\\)" bad.err
    done
    expect_ok "$f: a NULL catalog is as none" "$DUCKFLOW" query --format csv \
        "SELECT ($f('SELECT a FROM t', 'ansi', NULL) IS NOT DISTINCT FROM $f('SELECT a FROM t', 'ansi'))::VARCHAR AS v"
    expect_match "$f: a NULL catalog gives what no catalog gives" '^true$' "$out"
done
