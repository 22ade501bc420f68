#!/usr/bin/env bash
# t3408: a manifest rewritten in place after its run ended (issue 13 point 4, issue 10 item
# 8): `duckflow step` of a committed task whose key changed since (the SQL was edited; run 1
# is not the published run) commits it again from the cache, naming another run's files
# with a manifest of the same size (with the same key it would do nothing: t3210). gc must not
# trust the run's _manifests.json for it any more (the listing shows the same size and no
# new folder), or removing the run whose files it now names deletes them. Store-agnostic:
# t6404 runs it again on S3.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..12"
S="$DUCKFLOW_STORE"
# has KEY: the store holds KEY (local folder or the S3 test bucket).
has() {
    case "$S" in
    s3://*) sdk ls "${S#s3://$S3_TEST_BUCKET/}/$1" | grep -q "$1" ;;
    *) test -e "$S/$1" ;;
    esac
}

cat >p.yaml <<'YAML'
name: kp
steps:
  gen:
    sql: CREATE TABLE t AS SELECT range AS r FROM range(5);
    outputs: [t]
YAML
expect_ok "run 0 runs gen" "$DUCKFLOW" run -q p.yaml
R0=$(cat "$out")
expect_ok "run 1 reuses run 0's task" "$DUCKFLOW" run -q p.yaml
R1=$(cat "$out")
sed -i 's/range(5);/range(5) ;/' p.yaml # a new key, the same rows and bytes
expect_ok "run 2 runs it again (--rerun): the cache entry names run 2" "$DUCKFLOW" run -q p.yaml --rerun gen
R2=$(cat "$out")
check "run 1 has its _manifests.json" has "kp/runs/$R1/_manifests.json"
# A person runs the committed task of run 1 again with the edited SQL: found in the cache,
# it is committed again naming run 2's files, same manifest size.
expect_ok "step of run 1's committed task" "$DUCKFLOW" step p.yaml --run "$R1" --step gen
gone=1
has "kp/runs/$R1/_manifests.json" && gone=0
check "run 1's _manifests.json is gone (gc reads the manifest itself)" test "$gone" -eq 1
expect_ok "run 3 runs gen again: no cache entry names run 2 any more" "$DUCKFLOW" run -q p.yaml --rerun gen
expect_ok "runs rm run 2" "$DUCKFLOW" runs rm "$R2"
expect_match "keeps the file run 1 now names" "^removed run kp/$R2 .*1 file kept" "$out"
expect_ok "run 1 still reads" "$DUCKFLOW" query --run "$R1" --format csv 'SELECT count(*) FROM gen.t'
expect_match "5 rows" '^5$' "$out"
expect_ok "verify run 1: every file there" "$DUCKFLOW" verify "$R1"
: "$R0"
