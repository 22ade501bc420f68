#!/usr/bin/env bash
# t7040: the pipeline file and its SQL reach the pods byte for byte, whatever they hold:
# UTF-8, tabs, trailing spaces, lines YAML would read as syntax (---, ..., key: value,
# - item, # x), words YAML 1.1 reads as booleans, several or no final newlines, CRLF line
# ends, leading spaces and control characters (those force a double-quoted scalar instead
# of a block scalar). Both YAML 1.1 and 1.2 readers get the same bytes back, and the
# replayed tasks compute what a local run computes. Text holding {{ draws a warning.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..17"
sup="$DUCKFLOW_TOP/tests/support/argo"
mkdir -p t/sql
cat >t/pipeline.yaml <<'YAML'
# Text that is hard to carry in YAML: it must reach the pods byte for byte.
name: yaml_text
description: "yes: Grüße — “quoted” text, a tab\there"
params:
  on: "off"
  label: "  leading spaces, 0755, ~, 1e3, 12:30 # not a comment"
steps:
  block:
    sql: sql/block.sql
    outputs: [a]
  quoted:
    sql: sql/quoted.sql
    outputs: [b]
  inline:
    sql: |
      -- inline SQL in the pipeline file: {{ not.a.tag }}
      CREATE TABLE c AS SELECT getvariable('label') AS label, getvariable('on') AS flag;
    outputs: [c]


YAML
printf -- '-- block.sql: Grüße, 世界 — “quotes”\tand a tab, trailing spaces   \n-- ---\n-- ...\n-- key: value\n-- - list item\n\n\nCREATE TABLE a AS\nSELECT '"'"'yes'"'"' AS y, '"'"'on: off'"'"' AS o, '"'"'# hash'"'"' AS h, '"'"'\tindented'"'"' AS t,\n       '"'"'   '"'"' AS spaces, '"'"'Grüße'"'"' AS u;\n\n\n' >t/sql/block.sql
printf '  -- quoted.sql: leading spaces, CRLF line ends, a DEL \177, no final newline\r\nCREATE TABLE b AS SELECT '"'"'line one'"'"' AS l, 2 AS two' >t/sql/quoted.sql

expect_ok "compile" "$DUCKFLOW" argo t/pipeline.yaml --image duckflow:test --store "$SCRATCH/argo"
cp "$out" t.yaml
expect_match "warns about {{ in the pipeline file" "'pipeline.yaml' contains '\{\{'" "$errout"
expect_ok "validates (YAML 1.1 and 1.2 agree)" node "$sup/validate.js" t.yaml
expect_match "block.sql is a block scalar keeping its final newlines" '^ +data: \|\+$' t.yaml
expect_match "quoted.sql is double-quoted with escapes" '^ +data: "  -- quoted\.sql: .*\\x7f.*\\r\\n' t.yaml
for v in 1.1 1.2; do
    check "YAML $v readers get every file back byte for byte" node -e '
        const YAML = require(process.argv[1] + "/node_modules/yaml");
        const fs = require("fs");
        const d = YAML.parse(fs.readFileSync("t.yaml", "utf8"), { version: process.argv[2] });
        const want = { "/pipeline/pipeline.yaml": "t/pipeline.yaml", "/pipeline/sql/block.sql": "t/sql/block.sql",
                       "/pipeline/sql/quoted.sql": "t/sql/quoted.sql" };
        let n = 0;
        for (const t of d.spec.templates) for (const a of (t.inputs && t.inputs.artifacts) || []) {
            if (!Buffer.from(a.raw.data, "utf8").equals(fs.readFileSync(want[a.path]))) process.exit(1);
            n++;
        }
        process.exit(n === 3 ? 0 : 1); /* in the bundle template only */' "$DUCKFLOW_TOP" "$v"
done
check "params that look like other types stay strings" node -e '
    const YAML = require(process.argv[1] + "/node_modules/yaml");
    const d = YAML.parse(require("fs").readFileSync("t.yaml", "utf8"), { version: "1.1" });
    const p = Object.fromEntries(d.spec.arguments.parameters.map((x) => [x.name, x.value]));
    process.exit(p.on === "off" && p.label === "  leading spaces, 0755, ~, 1e3, 12:30 # not a comment" ? 0 : 1);' "$DUCKFLOW_TOP"

expect_ok "replay" node "$sup/replay.js" t.yaml --duckflow "$DUCKFLOW" --name yaml-text-1 --uid uid-1 --workdir "$SCRATCH/pods"
source "$sup/runid.sh"
rid=$(argo_run_id yaml-text-1 uid-1)
expect_ok "local run" "$DUCKFLOW" run t/pipeline.yaml --store "$SCRATCH/local"
run=$(tail -n 1 "$out")
expect_ok "same tables" "$sup/compare.sh" "$DUCKFLOW" "$SCRATCH/argo" "$rid" "$SCRATCH/local" "$run" "$SCRATCH/cmp"
expect_ok "the label param arrived whole" "$DUCKFLOW" query --store "$SCRATCH/argo" --run "$rid" --format csv "SELECT label = '  leading spaces, 0755, ~, 1e3, 12:30 # not a comment' AND flag = 'off' FROM inline.c"
expect_match "true" '^true$' "$out"

# Text YAML cannot carry at all is refused, not mangled.
mkdir -p bin/sql
printf 'name: binary\nsteps:\n  a:\n    sql: sql/a.sql\n    outputs: [t]\n' >bin/pipeline.yaml
printf -- '-- \377\376 not UTF-8\nCREATE TABLE t AS SELECT 1 AS x\n' >bin/sql/a.sql
expect_ok "the loader accepts it" "$DUCKFLOW" validate bin/pipeline.yaml
expect_code 2 "a SQL file that is not UTF-8 cannot travel in a manifest" "$DUCKFLOW" argo bin/pipeline.yaml --image i --store s3://b/p
expect_match "names the file" "a\.sql' is not UTF-8 text" "$errout"
cp "$out" last.out
check "nothing on stdout" test ! -s last.out
