#!/usr/bin/env bash
# t3304: signals as git does them. `duckflow run` stopped by SIGTERM or SIGINT records the
# run as interrupted and then ends by that same signal (default handler, raised again),
# so its parent sees "killed by SIGTERM", not an exit status of 143. A task it starts
# ignores no signal (every disposition the executor or a library set is reset).
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..8"
cat >p.yaml <<'YAML'
name: sig
defaults: {threads: 1, memory_limit: 200MB, retries: 0}
steps:
  slow:
    sql: |
      CREATE TABLE t AS
        WITH RECURSIVE x(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM x WHERE i < 20000000)
        SELECT count(*) AS n FROM x;
    outputs: [t]
YAML
# Starts the run, waits for its task, sends SIG to the run, prints how it ended
# ("signal N" or "exit N") and the task's ignored-signal mask.
cat >drive.py <<'PY'
import os, signal, subprocess, sys, time
sig = getattr(signal, sys.argv[1])
p = subprocess.Popen([os.environ["DUCKFLOW"], "run", "p.yaml"], stdout=open("run.out", "w"),
                     stderr=open("run.err", "w"))
child = None
for _ in range(600):
    kids = subprocess.run(["pgrep", "-P", str(p.pid)], capture_output=True, text=True).stdout.split()
    if kids:
        child = kids[0]
        break
    time.sleep(0.05)
ign = "none"
if child:
    time.sleep(0.3)
    for line in open(f"/proc/{child}/status"):
        if line.startswith("SigIgn:"):
            ign = line.split()[1]
p.send_signal(sig)
rc = p.wait(timeout=60)
print(f"signal {-rc}" if rc < 0 else f"exit {rc}")
print(f"task ignores {ign}")
PY
expect_ok "drive a run and stop it with SIGTERM" python3 drive.py SIGTERM
expect_match "it ends by SIGTERM itself" "^signal $(kill -l TERM 2>/dev/null || echo 15)$|^signal 15$" "$out"
expect_match "its task ignored no signal" '^task ignores 0000000000000000$' "$out"
expect_match "the run recorded itself as interrupted" 'interrupted' run.err
expect_ok "again with SIGINT" python3 drive.py SIGINT
expect_match "it ends by SIGINT" '^signal 2$' "$out"
expect_ok "runs lists both" "$DUCKFLOW" runs
check "as interrupted" test "$(grep -c ' interrupted ' "$out")" -eq 2
