#!/usr/bin/env bash
# t6300: the S3 query cache stays inside its folder: a manifest on S3 whose file path
# climbs out with ".." is refused (exit 3, the manifest and path named); no folder is made
# outside the cache, and a file of the right size planted where the path would lead is
# not read. An absolute path is refused the same way; the honest manifest reads again.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..10"
s3_setup
S3="s3://$S3_TEST_BUCKET/t6300"
export DUCKFLOW_CACHE="$SCRATCH/a/b/c/cache"
mkdir -p "$DUCKFLOW_CACHE"

cat >p.yaml <<'YAML'
name: conf
defaults:
  memory_limit: 200MB
  threads: 1
steps:
  make:
    sql: CREATE TABLE t AS SELECT range AS i FROM range(5);
    outputs: [t]
YAML
expect_ok "a run on s3" "$DUCKFLOW" run p.yaml --store "$S3"
R=$(tail -n 1 "$out")
K="t6300/conf/runs/$R/make/00000/_manifest.json"
check "fetch the manifest" sdk get "$K" good.json
craft() {
    node -e 'const fs=require("fs"); const m=JSON.parse(fs.readFileSync("good.json","utf8"));
             '"$1"'; fs.writeFileSync("bad.json", JSON.stringify(m));' && sdk put "$K" bad.json
}
size=$(jget good.json m.tables.t.files[0].bytes)
# A file of the right size where "../../../../../../../../escape/x.parquet" would land.
mkdir -p "$SCRATCH/planted" && head -c "$size" /dev/zero >"$SCRATCH/planted/x.parquet"
craft 'm.tables.t.files[0].path = "../../../../../../../../../../../../../..'"$SCRATCH"'/planted/x.parquet"'
expect_code 3 "query refuses a path with '..'" "$DUCKFLOW" query --store "$S3" 'SELECT count(*) FROM make.t'
expect_match "naming the manifest and the path" "manifest '.*_manifest.json': a file of table 't' '\.\./.*' has a '\.' or '\.\.' part" "$errout"
craft 'm.tables.t.files[0].path = "../../escape/x.parquet"'
expect_code 3 "a shorter climb too" "$DUCKFLOW" query --store "$S3" 'SELECT count(*) FROM make.t'
check "no folder was made outside the cache" test -z "$(find "$SCRATCH" -name escape)"
craft 'm.tables.t.files[0].path = "/etc/passwd"'
expect_code 3 "an absolute path is refused" "$DUCKFLOW" query --store "$S3" 'SELECT count(*) FROM make.t'
check "put the honest manifest back" sdk put "$K" good.json
expect_ok "it reads" "$DUCKFLOW" query --store "$S3" --format csv 'SELECT count(*) FROM make.t'
expect_match "5 rows" '^5$' "$out"
