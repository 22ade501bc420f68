#!/usr/bin/env bash
# t3301: nothing outside a local store is read, written or deleted through it. gc meets
# symlinks planted where an attempt folder, a task folder and a file would be: it removes
# neither them nor what they point at. Manifests whose keys or paths could leave the
# store ("..", absolute, a backslash, a NUL, a control character) are refused with the
# manifest and the path named (exit 3), by query and by a downstream step.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..20"

cat >p.yaml <<'YAML'
name: conf
defaults:
  memory_limit: 200MB
  threads: 1
steps:
  make:
    foreach: {range: 2}
    sql: CREATE TABLE t AS SELECT getvariable('item') AS i;
    outputs: [t]
  after:
    inputs: {t: make.t}
    sql: CREATE TABLE u AS SELECT sum(i) AS s FROM t;
    outputs: [u]
YAML
expect_ok "a run" "$DUCKFLOW" run p.yaml
R=$(tail -n 1 "$out")
T=.duckflow/conf/runs/$R/make/00000
check "the task committed" test -f "$T/_manifest.json"

# Outside the store: a folder of files that must survive.
mkdir -p outside/deep
echo keep >outside/a.txt
echo keep >outside/deep/b.txt
ln -s "$SCRATCH/outside" "$T/9-dead"                 # where a stale attempt folder would be
ln -s "$SCRATCH/outside" ".duckflow/conf/runs/$R/make/00007" # where a task folder would be
W=$(jget "$T/_manifest.json" m.attempt_dir)
ln -s "$SCRATCH/outside/a.txt" "$T/$W/planted.txt"   # a file in the winning attempt
mkdir -p "$T/8-abcd" && echo stale >"$T/8-abcd/x.parquet" # a genuinely stale attempt

expect_ok "gc" "$DUCKFLOW" gc
check "gc removed the real stale attempt" test ! -e "$T/8-abcd"
check "the files behind the symlinked attempt folder are all there" \
    test -f outside/a.txt -a -f outside/deep/b.txt
check "the symlinks are not followed into, nor reported" bash -c "! grep -q 9-dead '$out'"
check "the winning attempt is kept" test -d "$T/$W"

# Crafted manifests: every path that could leave the store is refused.
cp "$T/_manifest.json" good.json
craft() { # JS that edits m -> writes the manifest of make/00000
    node -e 'const fs=require("fs"); const m=JSON.parse(fs.readFileSync("good.json","utf8"));
             '"$1"'; fs.writeFileSync(process.argv[1], JSON.stringify(m));' "$T/_manifest.json"
}
q() { "$DUCKFLOW" query --format csv 'SELECT count(*) FROM make.t'; }
craft 'm.tables.t.files[0].path = "../../../../../../outside/a.txt"'
expect_code 3 "query refuses a file path with '..'" q
expect_match "the manifest and the path are named" "manifest '.*make/00000/_manifest.json': a file of table 't' '\.\./\.\./.*' has a '\.' or '\.\.' part" "$errout"
craft 'm.tables.t.files[0].path = "'"$SCRATCH"'/outside/a.txt"'
expect_code 3 "an absolute file path is refused" q
expect_match "as absolute" "is absolute" "$errout"
craft 'm.tables.t.files[0].path = "x\\..\\y.parquet"'
expect_code 3 "a backslash is refused" q
expect_match "as a backslash" "holds a backslash" "$errout"
craft 'm.tables.t.files[0].path = "a\u0000b"'
expect_code 3 "a NUL is refused" q
expect_match "as a NUL" "NUL|not allowed" "$errout"
craft 'm.item_key = "../../x"'
expect_code 3 "an item key with '/' is refused" q
craft 'm.tables.t.files[0].path = "../../../../../../outside/a.txt"'
expect_code 3 "a downstream step refuses it too" "$DUCKFLOW" step p.yaml --run "$R" --step after
expect_match "naming the manifest" "manifest '.*_manifest.json'" "$errout"
cp good.json "$T/_manifest.json"
expect_ok "the good manifest reads again" q
expect_match "2 rows: the symlinked task folder is not read" '^2$' "$out"
