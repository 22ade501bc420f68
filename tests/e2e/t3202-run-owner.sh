#!/usr/bin/env bash
# t3202: one owner per run. A --resume of a run whose executor is alive is refused (exit 2,
# naming its host and pid); after that executor is killed, the run can be resumed (the
# dead owner is taken over: generation 2 of the owner record); of two resumes started
# together exactly one drives the run and the other is refused; a record from another
# host with a stale heartbeat is taken over, one with a fresh heartbeat is not.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..16"

child_of() {
    local i
    for i in $(seq 1 600); do
        pgrep -P "$1" -f -- "$2" | head -n 1 | grep . && return 0
        sleep 0.1
    done
    return 1
}

mkdir -p data
printf 'n\n1000000000\n' >data/cfg.csv # counts far longer than the test: killed
cat >p.yaml <<'YAML'
name: owner
defaults: {memory_limit: 200MB, threads: 1, retries: 0}
steps:
  count:
    inputs: {cfg: data/cfg.csv}
    sql: |
      CREATE TABLE c AS
        WITH RECURSIVE x(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM x WHERE i < (SELECT n FROM cfg))
        SELECT count(*) AS n FROM x;
    outputs: [c]
YAML
host=$(hostname)

start_run p.yaml
kid=$(child_of $rp "--step count")
check "the task runs" test -n "$kid"
RUN=$(ls "$DUCKFLOW_STORE/owner/runs")
O="$DUCKFLOW_STORE/owner/runs/$RUN"
check "the owner record exists" test -s "$O/_owner-000001.json"
expect_code 2 "a resume of the live run is refused" "$DUCKFLOW" run p.yaml --resume "$RUN"
expect_match "naming the owner's pid and host" "run '$RUN' is driven by pid $rp on host '$host'" "$errout"
kill -KILL "$rp"
wait $tp

printf 'n\n10\n' >data/cfg.csv
expect_ok "after the executor died, --resume takes the run over" "$DUCKFLOW" run p.yaml --resume "$RUN"
check "as generation 2" test -s "$O/_owner-000002.json"
check "released at the end" test "$(jget "$O/_owner-000002.json" m.released)" = true

# Two resumes at once (of a run left unfinished): exactly one drives it.
printf 'n\n1000000000\n' >data/cfg.csv
start_run p.yaml
child_of $rp "--step count" >/dev/null
RUN2=$(ls -t "$DUCKFLOW_STORE/owner/runs" | head -n 1)
kill -KILL "$rp"
wait $tp
timeout -s KILL 60 "$DUCKFLOW" run p.yaml --resume "$RUN2" >a.out 2>a.err &
pa=$!
timeout -s KILL 60 "$DUCKFLOW" run p.yaml --resume "$RUN2" >b.out 2>b.err &
pb=$!
for _ in $(seq 1 100); do
    grep -q 'is driven by' a.err b.err 2>/dev/null && break
    sleep 0.1
done
check "one of them is refused" bash -c "cat a.err b.err | grep -c 'is driven by pid' | grep -qx 1"
sleep 0.5
alive=0
for p in $pa $pb; do kill -0 $p 2>/dev/null && alive=$((alive + 1)); done
check "the other one drives the run" test $alive -eq 1
for p in $pa $pb; do pkill -TERM -P $p 2>/dev/null; done
wait $pa
ra=$?
wait $pb
rb=$?
check "exit codes: 2 for the refused one, 143 for the stopped driver" \
    bash -c "echo '$ra $rb' | grep -qxE '2 143|143 2'"

# Records of another host: a stale heartbeat is taken over, a fresh one is not.
printf 'n\n10\n' >data/cfg.csv
last=$(ls "$DUCKFLOW_STORE/owner/runs/$RUN2" | grep -c '^_owner-')
next=$(printf '%06d' $((last + 1)))
now_ms=$(($(date +%s) * 1000))
echo "{\"host\":\"elsewhere\",\"pid\":4242,\"heartbeat_ms\":$now_ms,\"released\":false}" \
    >"$DUCKFLOW_STORE/owner/runs/$RUN2/_owner-$next.json"
expect_code 2 "a fresh record of another host is respected" "$DUCKFLOW" run p.yaml --resume "$RUN2"
expect_match "naming it" "driven by pid 4242 on host 'elsewhere'" "$errout"
echo "{\"host\":\"elsewhere\",\"pid\":4242,\"heartbeat_ms\":$((now_ms - 600000)),\"released\":false}" \
    >"$DUCKFLOW_STORE/owner/runs/$RUN2/_owner-$next.json"
expect_ok "a stale one is taken over" "$DUCKFLOW" run p.yaml --resume "$RUN2"
check "by the next generation" test -s "$DUCKFLOW_STORE/owner/runs/$RUN2/_owner-$(printf '%06d' $((last + 2))).json"
expect_ok "the run succeeded" "$DUCKFLOW" query --run "$RUN2" --format csv "SELECT n FROM count.c"
check "with the small count" test "$(tail -n 1 "$out")" = 11
