#!/usr/bin/env bash
# t2101: a local store's files are checked before they are trusted. Replacing a committed
# Parquet file with another chunk's is refused by query and by a downstream step (size or
# mtime differ from the manifest: exit 3, store_error), and `duckflow verify` names it
# (exit 1). A same-size edit with the old mtime put back passes the cheap check but not
# verify's re-hash. A missing file is named too; once restored, all match again.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..20"

cat >p.yaml <<'YAML'
name: sums
defaults: {threads: 1, memory_limit: 200MB, retries: 0}
steps:
  make:
    foreach: {range: 2}
    sql: CREATE TABLE t AS SELECT range AS x FROM range(getvariable('item') * 1000, getvariable('item') * 1000 + 500 + getvariable('item') * 7);
    outputs: [t]
  total:
    inputs: {t: make.t}
    sql: CREATE TABLE n AS SELECT count(*) AS n FROM t;
    outputs: [n]
YAML
expect_ok "a run" "$DUCKFLOW" run p.yaml
R=$(tail -n 1 "$out")
expect_ok "verify the run" "$DUCKFLOW" verify "$R"
expect_match "every file matches" '^verified 3 files \(.*\) in 3 manifests: all match$' "$out"
expect_ok "verify the whole store" "$DUCKFLOW" verify

T=.duckflow/sums/runs/$R/make
f0=$T/00000/$(jget "$T/00000/_manifest.json" 'm.tables.t.files[0].path')
f1=$T/00001/$(jget "$T/00001/_manifest.json" 'm.tables.t.files[0].path')
cp -p "$f0" saved.parquet
cp "$f1" "$f0"      # another chunk's file where chunk 0's was
expect_code 3 "query refuses the replaced file" "$DUCKFLOW" query 'SELECT count(*) FROM make.t'
expect_match "naming it and what changed" "make/00000/.*part-00000.parquet' changed since its manifest was written" "$errout"
expect_code 3 "a downstream step refuses it (store error)" "$DUCKFLOW" step p.yaml --run "$R" --step total --no-cache
expect_match "the same way" "changed since its manifest was written" "$errout"
expect_code 1 "verify finds it" "$DUCKFLOW" verify "$R"
expect_match "naming the file and the hashes" "^differs: sums/runs/$R/make/00000/.*part-00000.parquet: " "$out"
expect_match "and the count" '^verified 3 files .*: some differ$' "$out"

# The same size and mtime, one byte different: only the re-hash sees it.
cp -p saved.parquet "$f0"
mt=$(stat -c '%.9Y' "$f0")
printf 'X' | dd of="$f0" bs=1 seek=100 conv=notrunc status=none
touch -d "@$mt" "$f0"
expect_ok "the cheap check passes a same-size, same-mtime edit" "$DUCKFLOW" query 'SELECT 1'
expect_code 1 "verify's re-hash catches it" "$DUCKFLOW" verify "$R"
expect_match "as a hash difference" "^differs: .*make/00000/.*: sha256 [0-9a-f]{64} is not the manifest's [0-9a-f]{64}$" "$out"

rm "$f0"
expect_code 1 "a missing file" "$DUCKFLOW" verify
expect_match "is named missing" "^differs: .*make/00000/.*part-00000.parquet: missing$" "$out"
cp -p saved.parquet "$f0"
expect_ok "restored, verify passes" "$DUCKFLOW" verify "$R"
expect_ok "and the query reads it" "$DUCKFLOW" query --format csv 'SELECT count(*) FROM make.t'
expect_match "all 1007 rows" '^1007$' "$out"
expect_code 2 "a bad run id is a usage error" "$DUCKFLOW" verify ../x
