#!/usr/bin/env bash
# t4002: `duckflow query` failures: SQL errors (exit 1, one line with DuckDB's message),
# an unknown run or empty store (exit 3), bad usage (exit 2), --help.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..18"
S="$SCRATCH/store"
export DUCKFLOW_STORE="$S"

expect_code 3 "an empty store has no runs" "$DUCKFLOW" query "SELECT 1"
expect_match "says so" 'no runs in store' "$errout"

mkdir -p "$S/p/runs/r1"
echo '{"status":"succeeded","started_at":"2026-11-27T10:00:00.000Z"}' >"$S/p/runs/r1/run.json"
expect_code 1 "a syntax error fails with exit 1" "$DUCKFLOW" query "SELEC 1"
expect_match "duckdb's message" '^duckflow: Parser Error: syntax error at or near "SELEC"$' "$errout"
check "one line" test "$(wc -l <"$errout")" -eq 1
expect_code 1 "an unknown table" "$DUCKFLOW" query "SELECT 1; SELECT * FROM nope"
expect_match "names the statement" '^duckflow: statement 2: Catalog Error: .*nope' "$errout"
check "one line again" test "$(wc -l <"$errout")" -eq 1
expect_code 3 "an unknown run" "$DUCKFLOW" query --run r9 "SELECT 1"
expect_match "names the run" "run 'r9' not found in store" "$errout"
expect_code 2 "a bad run id" "$DUCKFLOW" query --run ../x "SELECT 1"
expect_code 3 "an unknown pipeline" "$DUCKFLOW" query --pipeline nope "SELECT 1"
expect_code 2 "an unknown format" "$DUCKFLOW" query --format xml "SELECT 1"
expect_code 2 "parquet without --output" "$DUCKFLOW" query --format parquet "SELECT 1"
expect_code 2 "two SQL arguments" "$DUCKFLOW" query "SELECT 1" "SELECT 2"
expect_code 2 "no statement at all" "$DUCKFLOW" query " -- nothing ; "
expect_ok "--help" "$DUCKFLOW" query --help
expect_match "usage on stdout" '^usage: duckflow query' "$out"
