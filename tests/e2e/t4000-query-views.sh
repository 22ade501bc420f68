#!/usr/bin/env bash
# t4000: `duckflow query` over a hand-made store (manifests written here, Parquet written by
# `duckflow query --format parquet`): a schema per step and a view per table over every
# committed task's files, an empty view with the recorded schema, uncommitted files
# ignored, _run records, --run / latest / --pipeline.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..27"
S="$SCRATCH/store"
export DUCKFLOW_STORE="$S"

# manifest STEP INDEX TAG STARTED TABLE ROWS -> a committed task whose TABLE has one file
manifest() {
    local run=$1 step=$2 i=$3 tag=$4 started=$5 table=$6 rows=$7
    local dir="$S/p1/runs/$run/$step/0000$i"
    local bytes
    bytes=$(stat -c %s "$dir/$tag/$table/part-00000.parquet") # readers check the size
    cat >"$dir/_manifest.json" <<EOF
{"format":1,"pipeline":"p1","run":"$run","step":"$step","item_index":$i,"item_key":"0000$i",
 "item":$i,"attempt":1,"attempt_dir":"$tag","exit_class":"ok","started_at":"$started",
 "finished_at":"$started","timings_ms":{"start":2,"inputs":1,"sql":30,"checks":0,"write":5,"total":40},
 "peak_rss_bytes":123456789,"memory_limit":1000000000,"threads":1,"spilled_bytes":0,
 "tables":{"$table":{"rows":$rows,"bytes":$bytes,"schema":[{"name":"id","type":"BIGINT"}],
   "files":[{"path":"$tag/$table/part-00000.parquet","rows":$rows,"bytes":$bytes,"sha256":"0"}]},
  "nothing":{"rows":0,"bytes":0,"schema":[{"name":"k","type":"DECIMAL(15,2)"},{"name":"v","type":"VARCHAR[]"}],"files":[]}}}
EOF
}
parquet() { # FILE SQL
    mkdir -p "$(dirname "$1")"
    "$DUCKFLOW" query --run r1 --format parquet --output "$1" "$2"
}

mkdir -p "$S/p1/runs/r1" "$S/p1/runs/r0"
echo '{"status":"succeeded","started_at":"2026-11-27T10:00:00.000Z"}' >"$S/p1/runs/r1/run.json"
# r0 sorts first by id but started later: `latest` must pick it.
echo '{"status":"succeeded","started_at":"2026-11-27T11:00:00.000Z"}' >"$S/p1/runs/r0/run.json"
for i in 0 1 2; do
    parquet "$S/p1/runs/r1/gen/0000$i/1-aaa$i/t/part-00000.parquet" \
        "SELECT $i * 10 + range AS id FROM range(4)"
    manifest r1 gen "$i" "1-aaa$i" "2026-11-27T10:00:0$i.000Z" t 4
done
# an attempt that never committed: its file must stay invisible
parquet "$S/p1/runs/r1/gen/00003/1-dead/t/part-00000.parquet" "SELECT 999 AS id"
parquet "$S/p1/runs/r0/other/00000/1-bbbb/u/part-00000.parquet" "SELECT 7 AS id"
manifest r0 other 0 1-bbbb "2026-11-27T11:00:01.000Z" u 1

expect_ok "query a view over every committed chunk" \
    "$DUCKFLOW" query --run r1 --format csv "SELECT count(*) AS n, sum(id) AS s, max(id) AS m FROM gen.t"
expect_match "12 rows from 3 chunks, the uncommitted file ignored" '^12,138,23$' "$out"

expect_ok "empty view with the recorded schema" \
    "$DUCKFLOW" query --run r1 --format csv \
    "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema='gen' AND table_name='nothing' ORDER BY ordinal_position"
expect_match "decimal column" '^k,"DECIMAL\(15,2\)"$' "$out"
expect_match "list column" '^v,VARCHAR\[\]$' "$out"
expect_ok "empty view has no rows" "$DUCKFLOW" query --run r1 --format csv "SELECT count(*) AS n FROM gen.nothing"
expect_match "zero rows" '^0$' "$out"

expect_ok "_run.tasks has a row per committed task" \
    "$DUCKFLOW" query --run r1 --format csv \
    "SELECT count(*), sum(rows), max(peak_rss_bytes), min(sql_ms), max(started_at) FROM _run.tasks"
expect_match "three tasks, their rows and timings" '^3,12,123456789,30,2026-11-27 10:00:02$' "$out"
expect_ok "_run.files lists each file with its local path" \
    "$DUCKFLOW" query --run r1 --format csv \
    "SELECT count(*), count(DISTINCT path) FILTER (WHERE path LIKE '%/part-00000.parquet') FROM _run.files"
expect_match "three files" '^3,3$' "$out"
expect_ok "_run.tables sums per table" \
    "$DUCKFLOW" query --run r1 --format csv "SELECT step, \"table\", tasks, rows FROM _run.tables ORDER BY ALL"
expect_match "gen.t" '^gen,t,3,12$' "$out"
expect_match "gen.nothing" '^gen,nothing,3,0$' "$out"
expect_ok "_run.run holds the run record" \
    "$DUCKFLOW" query --run r1 --format csv "SELECT pipeline, run, status FROM _run.run"
expect_match "record" '^p1,r1,succeeded$' "$out"

expect_ok "latest is the run that started last" \
    "$DUCKFLOW" query --format csv "SELECT run FROM _run.run"
expect_match "r0 started last" '^r0$' "$out"
expect_ok "--run latest is the same" "$DUCKFLOW" query --run latest --format csv "SELECT sum(id) FROM other.u"
expect_match "r0's table" '^7$' "$out"
expect_code 1 "a step of another run is not there" "$DUCKFLOW" query --run r1 "FROM other.u"

mkdir -p "$S/p2/runs/x1"
echo '{"status":"succeeded","started_at":"2026-11-27T12:00:00.000Z"}' >"$S/p2/runs/x1/run.json"
expect_code 2 "report over several pipelines needs --pipeline" "$DUCKFLOW" report
expect_match "the error names the pipelines" "several pipelines \('p1', 'p2'\).*--pipeline" "$errout"
expect_ok "--pipeline picks one" "$DUCKFLOW" query --pipeline p1 --run r1 --format csv "SELECT count(*) FROM gen.t"
expect_match "p1's data" '^12$' "$out"
expect_ok "a run id unique in the store needs no --pipeline" \
    "$DUCKFLOW" query --run x1 --format csv "SELECT pipeline FROM _run.run"
expect_match "p2" '^p2$' "$out"
