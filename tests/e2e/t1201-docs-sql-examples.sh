#!/usr/bin/env bash
# t1201: every SQL example of README.md and docs/*.md runs (tests/support/docs/
# sql_examples.py extracts them; docs/tutorial.md is run whole by t4900):
#   - each statement of a ```sql block runs through `duckflow query` against a run of
#     examples/query-popularity (`query_log` is its generate.query_log, `my_catalog` the
#     run's columns as in docs/sql-functions.md's Catalogs); a statement with a "-- result"
#     comment below it gives that result, as VARCHAR;
#   - each `duckflow query` command runs against a store of the examples it names: a run
#     of examples/tpch, or, for --pipeline and pipeline.step.table names, a store holding
#     tpch, query-popularity and a one-step "orders-qa". --store and --run RUN-ID point at
#     places the docs made up (an S3 bucket, a run id): they are dropped, --run latest and
#     published are kept. It must exit 0 and print something (or write its --output).
#   - each ```yaml block that is a whole pipeline file validates (every SQL text in it
#     parsed, as `run` does before it starts), beside examples/tpch's sql/ files.
# A block marked <!-- docs-sql: not run: REASON --> is listed as such; there are at most 2.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
python3 "$DUCKFLOW_TOP/tests/support/docs/sql_examples.py" "$DUCKFLOW_TOP" >examples.jsonl
n=$(grep -cE '"kind": "(sql|cli|pipeline)"' examples.jsonl)
echo "1..$((n + 8))"

check "the docs have SQL examples (sql blocks, duckflow query commands, pipelines)" test "$n" -ge 30
mkdir -p tpch-copy
cp -r "$DUCKFLOW_TOP/examples/tpch/sql" tpch-copy/
skips=$(grep -c '"kind": "skip"' examples.jsonl)
grep '"kind": "skip"' examples.jsonl | sed 's/^/# not run: /'
check "at most 2 blocks are marked not runnable ($skips)" test "$skips" -le 2

T="$SCRATCH/tpch-store" M="$SCRATCH/multi-store"
expect_ok "examples/tpch runs" "$DUCKFLOW" run "$DUCKFLOW_TOP/examples/tpch/pipeline.yaml" \
    --store "$T" --param chunks=2 --param rows=2000 -j 2
expect_ok "examples/tpch runs in the store of several pipelines" \
    "$DUCKFLOW" run "$DUCKFLOW_TOP/examples/tpch/pipeline.yaml" --store "$M" --param chunks=2 --param rows=2000 -j 2
expect_ok "examples/query-popularity runs there" "$DUCKFLOW" run "$DUCKFLOW_TOP/examples/query-popularity/pipeline.yaml" \
    --store "$M" --param chunks=2 --param queries=300 --param users=30 -j 2
printf 'name: orders-qa\nsteps:\n  orders:\n    sql: CREATE TABLE orders AS SELECT 1 AS id\n    outputs: [orders]\n' >orders-qa.yaml
expect_ok "and a pipeline named orders-qa" "$DUCKFLOW" run orders-qa.yaml --store "$M"

# A pipeline name the store lacks (as the docs once had) is an error, not a crash.
expect_code 1 "an unknown catalog over several pipelines fails" "$DUCKFLOW" query --store "$M" \
    'SELECT count(*) FROM popularity.popularity.table_popularity'
expect_match "naming it" 'Catalog "popularity" does not exist' "$errout"

python3 - "$DUCKFLOW" "$T" "$M" examples.jsonl "$_n" <<'PY'
import csv, io, json, os, re, subprocess, sys

duckflow, tpch, multi, path, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
SETUP = ("CREATE TEMP VIEW query_log AS FROM generate.query_log; "
         "CREATE TEMP TABLE my_catalog AS SELECT table_schema || '.' || table_name AS table_name, "
         "list(column_name ORDER BY ordinal_position) AS columns FROM information_schema.columns "
         "WHERE table_schema NOT IN ('_run', 'information_schema', 'pg_catalog') GROUP BY ALL; ")
env = dict(os.environ)
env.pop("DUCKFLOW_STORE", None)


def report(ok, what, detail=""):
    global n
    n += 1
    print(("ok %d - %s" if ok else "not ok %d - %s") % (n, what))
    if not ok:
        for line in detail.strip().split("\n")[-20:]:
            print("#   " + line)
    sys.stdout.flush()


def run(args, stdin=None, cwd=None):
    p = subprocess.run([duckflow, "query"] + args, input=stdin, capture_output=True, text=True,
                       cwd=cwd, env=env, timeout=120)
    return p.returncode, p.stdout, p.stderr


k = 0
for line in open(path):
    ex = json.loads(line)
    if ex["kind"] == "skip":
        continue
    k += 1
    where = "%s:%d" % (ex["doc"], ex["line"])
    if ex["kind"] == "pipeline":
        f = "tpch-copy/doc-%02d.yaml" % k
        open(f, "w").write(ex["yaml"])
        p = subprocess.run([duckflow, "validate", os.path.basename(f)], capture_output=True, text=True,
                           cwd="tpch-copy", env=env, timeout=120)
        report(p.returncode == 0, "%s: the pipeline validates" % where, p.stdout + p.stderr)
        continue
    if ex["kind"] == "sql":
        sql = ex["sql"]
        body = "SELECT CAST(COLUMNS(*) AS VARCHAR) FROM (%s)" % sql if ex["want"] is not None else sql
        rc, out, err = run(["--store", multi, "--pipeline", "query-popularity", "--format", "csv", SETUP + body])
        if rc != 0:
            report(False, "%s runs: %s" % (where, sql[:60]), err)
            continue
        if ex["want"] is None:
            report(True, "%s runs: %s" % (where, sql[:60]))
            continue
        rows = list(csv.reader(io.StringIO(out)))
        got = rows[1][0] if len(rows) > 1 and rows[1] else None
        report(got == ex["want"], "%s gives what the doc says: %s" % (where, sql[:60]),
               "want: %s\ngot:  %s" % (ex["want"], got))
        continue
    # a duckflow query command
    args, kept, i, output = ex["args"], [], 0, None
    while i < len(args):
        a = args[i]
        if a in ("--store", "--run") and i + 1 < len(args):
            if a == "--run" and args[i + 1] in ("latest", "published"):
                kept += args[i:i + 2]
            i += 2
            continue
        if a == "--output" and i + 1 < len(args):
            output = args[i + 1]
        kept.append(a)
        i += 1
    text = " ".join(kept) + " " + (ex["stdin"] or "")
    several = "--pipeline" in kept or re.search(r'(^|[\s,(])("[^"]+"|\w+)\.\w+\.\w+', text)
    d = "ex%02d" % k
    os.makedirs(d, exist_ok=True)
    rc, out, err = run(["--store", multi if several else tpch] + kept, ex["stdin"], cwd=d)
    made = output and os.path.isfile(os.path.join(d, output)) and os.path.getsize(os.path.join(d, output)) > 0
    what = "%s runs: duckflow query %s" % (where, " ".join(kept)[:70])
    report(rc == 0 and (out.strip() or made), what, "exit %d\n%s%s" % (rc, out[-500:], err))
PY
