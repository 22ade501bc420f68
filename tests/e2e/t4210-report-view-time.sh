#!/usr/bin/env bash
# t4210: computing an output that is a view counts as sql, not write. A view output is
# computed while COPY writes it; the task splits that COPY's time by DuckDB's profile
# (engine/viewtime.h), so a heavy aggregate with a tiny result shows as sql time in
# _run.tasks and in the report, while a table output's COPY stays write time.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..7"

cat >p.yaml <<'YAML'
name: viewtime
defaults: {threads: 1, memory_limit: 500MB, retries: 0}
steps:
  clean:
    sql: |
      CREATE VIEW heavy AS
        SELECT a % 100 AS k, sum(a * 2) AS s, count(*) AS n FROM range(12000000) t(a) GROUP BY ALL;
    outputs: [heavy]
  wide:
    sql: CREATE TABLE w AS SELECT range AS id, md5(range::VARCHAR) AS h FROM range(300000);
    outputs: [w]
YAML

expect_ok "run" "$DUCKFLOW" run p.yaml
expect_ok "timings" "$DUCKFLOW" query --format csv \
    "SELECT step, sql_ms, write_ms, total_ms FROM _run.tasks ORDER BY step"
cp "$out" t.csv
IFS=, read -r _ csql cwrite ctotal < <(grep '^clean,' t.csv)
IFS=, read -r _ wsql wwrite _ < <(grep '^wide,' t.csv)
echo "# clean sql=$csql write=$cwrite total=$ctotal; wide sql=$wsql write=$wwrite"
check "the view's computation is sql time" test "$csql" -gt "$cwrite"
check "it is most of the task" test $((csql * 2)) -gt "$ctotal"
check "a table output's COPY is still write time" test "$wwrite" -gt 0
expect_ok "report" "$DUCKFLOW" report
cp "$out" report.txt
# The tasks table: step | item | attempt | class | start | total | sql | write | ...
check "the report shows the same split" awk -F'|' '
    function secs(v) { gsub(/ /, "", v); return v ~ /ms$/ ? v / 1000 : v ~ /m$/ ? v * 60 : v + 0 }
    $1 ~ /^ *clean *$/ && NF > 8 { ok = secs($7) > secs($8) }
    END { exit !ok }' report.txt
sed -n '/^tasks:/,$p' report.txt | sed 's/^/# /'
