#!/usr/bin/env bash
# t7200: every manifest `duckflow argo` prints for the examples and the test pipelines
# (Workflow, WorkflowTemplate, CronWorkflow) passes Argo's own checks
# (tests/support/argo/argo-check.js): its JSON schema (IntOrString fields as strings), the
# CRDs' openAPIV3Schema with their CEL rules (read from ../shared/argo; that part is skipped
# with a message where the folder is absent), and the controller's naming rules. A step
# named `_2nd` gets a task name Argo accepts. And each check rejects what it should.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
sup="$DUCKFLOW_TOP/tests/support/argo"
shared=${DUCKFLOW_SHARED:-$DUCKFLOW_TOP/../shared}
crds=()
if [ -f "$shared/argo/workflows.yaml" ]; then
    crds=(--crds "$shared/argo")
else
    echo "# $shared/argo is absent: the CRD and CEL checks are skipped" >&2
fi

mkdir -p digits
cat >digits/pipeline.yaml <<'YAML'
name: 1st_pipeline_with_a_name_long_enough_to_need_cutting_down_x
steps:
  _1st:
    sql: CREATE TABLE a AS SELECT 1 AS x
    outputs: [a]
  _2nd:
    inputs: {a: _1st.a}
    sql: CREATE TABLE b AS SELECT x + 1 AS x FROM a
    outputs: [b]
  _3:
    after: [_2nd]
    foreach: {range: 2}
    sql: CREATE TABLE c AS SELECT 1 AS x
    outputs: [c]
YAML
pipelines=("$sup/pipelines/fanout/pipeline.yaml" "$sup/pipelines/nested/flow/pipeline.yaml"
    "$SCRATCH/digits/pipeline.yaml")
for p in "$DUCKFLOW_TOP"/examples/*/pipeline.yaml; do
    [ -f "$p" ] && pipelines+=("$p")
done
echo "1..$((${#pipelines[@]} * 4 + 6))"

opts=(--image registry.example.com/duckflow:0.1.0 --store s3://bucket/duckflow
    --s3-secret duckflow-s3 --service-account duckflow --node-selector pool=batch
    --toleration dedicated=duckflow:NoSchedule --parallelism 8)
i=0
for p in "${pipelines[@]}"; do
    i=$((i + 1))
    name="$i-$(basename "$(dirname "$p")")"
    expect_ok "$name: workflow" "$DUCKFLOW" argo "$p" "${opts[@]}"
    cp "$out" "$name.wf.yaml"
    expect_ok "$name: template" "$DUCKFLOW" argo "$p" "${opts[@]}" --template
    cp "$out" "$name.tpl.yaml"
    expect_ok "$name: cron" "$DUCKFLOW" argo "$p" "${opts[@]}" --cron "15 2 * * *" --timezone UTC --output json
    cp "$out" "$name.cron.json"
    expect_ok "$name: schema, CRD and naming rules pass" node "$sup/argo-check.js" "${crds[@]}" \
        "$name.wf.yaml" "$name.tpl.yaml" "$name.cron.json"
done
d="3-digits.wf.yaml"
check "steps whose names begin with a digit become tasks that begin with a letter" node -e '
    const YAML = require(process.argv[1] + "/node_modules/yaml");
    const d = YAML.parse(require("fs").readFileSync(process.argv[2], "utf8"));
    const t = d.spec.templates[0].dag.tasks.map((x) => x.name).sort().join();
    process.exit(t === "bundle,s-1st,s-2nd,s-3" ? 0 : 1);' "$DUCKFLOW_TOP" "$d"

# Each check rejects what it should (mutations of the fan-out fixture's JSON manifest).
expect_ok "fanout as JSON" "$DUCKFLOW" argo "$sup/pipelines/fanout/pipeline.yaml" "${opts[@]}" --output json
cp "$out" f.json
mutate() { # FILE JS-BODY: d is the manifest, t a template with retries, k a task with dependencies
    node -e '
        const fs = require("fs"); const d = JSON.parse(fs.readFileSync("f.json", "utf8"));
        const t = d.spec.templates.find((x) => x.retryStrategy);
        const k = d.spec.templates[0].dag.tasks.find((x) => x.dependencies);
        eval(process.argv[2]);
        fs.writeFileSync(process.argv[1], JSON.stringify(d));' "$1" "$2"
}
mutate int-limit.json 't.retryStrategy.limit = 2'
expect_code 1 "schema: an integer retryStrategy.limit is refused" node "$sup/argo-check.js" --only schema int-limit.json
expect_match "names the field" 'retryStrategy/limit must be string' "$errout"
mutate digit-task.json 'k.name = "2" + k.name'
expect_code 1 "names: a task with dependencies whose name begins with a digit is refused" \
    node "$sup/argo-check.js" --only names digit-task.json
if [ ${#crds[@]} -gt 0 ]; then
    mutate unknown.json 't.retryStrategy.bogus = 1'
    node "$sup/argo-check.js" "${crds[@]}" --only crd digit-task.json unknown.json >crd.out 2>crd.err
    check "crd: the CEL rule and an unknown field are refused" bash -c \
        "grep -q 'task name cannot begin with a digit' 'crd.err' && grep -q \"unknown field 'bogus'\" crd.err"
else
    echo "ok $((_n + 1)) - crd: refusals # SKIP $shared/argo is absent"
    _n=$((_n + 1))
fi
