#!/usr/bin/env bash
# t1020: `duckflow graph` as Mermaid and Graphviz dot: a node per step, table-labelled
# edges along inputs, dashed edges for `after`, external inputs as their own nodes.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..19"

cat >pipeline.yaml <<'YAML'
name: drawn
steps:
  generate:
    foreach: {range: 2}
    sql: CREATE TABLE o AS SELECT 1 AS x
    outputs: [o, l]
  subgraph:
    inputs: {o: generate.o, l: generate.l, ext: 'data/x "quoted".csv'}
    after: [cleanup]
    sql: SELECT 1
  cleanup:
    sql: SELECT 1
YAML

expect_ok "mermaid by default" "$DUCKFLOW" graph pipeline.yaml
expect_match "flowchart header" '^flowchart TD$' "$out"
expect_match "step node with fan-out" '^  s_generate\["generate<br/>range 2"\]$' "$out"
expect_match "reserved word is prefixed" '^  s_subgraph\["subgraph<br/>one task"\]$' "$out"
expect_match "edge with tables" '^  s_generate -->\|o, l\| s_subgraph$' "$out"
expect_match "after edge dashed" '^  s_cleanup -.-> s_subgraph$' "$out"
expect_match "external input escaped" '^  x_0\[/".*data/x #quot;quoted#quot;\.csv"/\] -->\|ext\| s_subgraph$' "$out"

expect_ok "dot" "$DUCKFLOW" graph pipeline.yaml --format dot
expect_match "digraph header" '^digraph "drawn" \{$' "$out"
expect_match "dot edge" '^  s_generate -> s_subgraph \[label="o, l"\];$' "$out"
expect_match "dot after edge" '^  s_cleanup -> s_subgraph \[style=dashed\];$' "$out"
expect_match "dot escapes quotes" 'label=".*data/x \\"quoted\\"\.csv"' "$out"
expect_match "closed" '^\}$' "$out"
if command -v dot >/dev/null 2>&1; then
    check "graphviz accepts it" dot -Tsvg -o graph.svg "$out"
fi

expect_ok "--help" "$DUCKFLOW" graph --help
expect_match "usage on stdout" '^usage: duckflow graph' "$out"
expect_code 2 "an unknown format" "$DUCKFLOW" graph pipeline.yaml --format png
expect_code 2 "an invalid pipeline" "$DUCKFLOW" graph /dev/null
expect_match "is reported with its place" '^duckflow: /dev/null:1:1: pipeline file is empty$' "$errout"
check "no store folder was created" test ! -e "$SCRATCH/.duckflow"
