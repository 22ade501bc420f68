#!/usr/bin/env bash
# t7020: the manifests of every example pipeline and of each fan-out kind, as Workflow,
# WorkflowTemplate and CronWorkflow, validate against Argo's schema plus the semantic checks
# of tests/support/argo/validate.js (unknown fields, dangling dependencies, cycles,
# unresolved variables, limits). And the validator itself rejects broken manifests.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..90"
sup="$DUCKFLOW_TOP/tests/support/argo"
opts=(--image registry.example.com/duckflow:0.1.0 --store s3://bucket/duckflow
    --s3-secret duckflow-s3 --service-account duckflow --node-selector pool=batch
    --toleration dedicated=duckflow:NoSchedule --parallelism 8)

pipelines=("$sup/pipelines/fanout/pipeline.yaml" "$sup/pipelines/nested/flow/pipeline.yaml")
for p in "$DUCKFLOW_TOP"/examples/*/pipeline.yaml; do
    [ -f "$p" ] && pipelines+=("$p")
done
check "examples exist" test ${#pipelines[@]} -gt 2

for p in "${pipelines[@]}"; do
    name=$(basename "$(dirname "$p")")
    [ "$name" = flow ] && name=nested
    expect_ok "$name: workflow" "$DUCKFLOW" argo "$p" "${opts[@]}"
    cp "$out" "$name.wf.yaml"
    expect_ok "$name: template" "$DUCKFLOW" argo "$p" "${opts[@]}" --template
    cp "$out" "$name.tpl.yaml"
    expect_ok "$name: cron" "$DUCKFLOW" argo "$p" "${opts[@]}" --cron "15 2 * * *" --timezone UTC
    cp "$out" "$name.cron.yaml"
    expect_ok "$name: json" "$DUCKFLOW" argo "$p" "${opts[@]}" --output json
    cp "$out" "$name.wf.json"
    expect_ok "$name: the four manifests validate" node "$sup/validate.js" \
        "$name.wf.yaml" "$name.tpl.yaml" "$name.cron.yaml" "$name.wf.json"
    cp "$out" "$name.validated"
    for k in wf.yaml tpl.yaml cron.yaml wf.json; do
        expect_match "$name.$k validates" "^ok $name\\.$k\$" "$name.validated"
    done
    check "$name: YAML and JSON outputs are the same object" node -e '
        const YAML = require(process.argv[1] + "/node_modules/yaml");
        const fs = require("fs");
        const a = YAML.parse(fs.readFileSync(process.argv[2], "utf8"));
        const b = JSON.parse(fs.readFileSync(process.argv[3], "utf8"));
        process.exit(JSON.stringify(a) === JSON.stringify(b) ? 0 : 1);' "$DUCKFLOW_TOP" "$name.wf.yaml" "$name.wf.json"
done

# Each fan-out kind maps as designed (the fixture has all of them).
f=fanout.wf.json
check "range and values -> withSequence (values by index)" node -e '
    const d = require(process.argv[1]); const t = d.spec.templates[0].dag.tasks;
    const g = (n) => t.find((x) => x.name === n);
    const ok = g("seq").withSequence.count === "{{=sprig.min(asInt(workflow.parameters.n), 2000)}}"
        && g("fixed").withSequence.count === "2"
        && g("regions").withSequence.count === "3" && !g("regions").withItems
        && JSON.stringify(g("per-region").withSequence) === JSON.stringify(g("regions").withSequence)
        && g("by-file").withParam === "{{tasks.by-file-items.outputs.result}}"
        && g("by-row").withParam === "{{tasks.by-row-items.outputs.result}}"
        && g("after-rows").withParam === "{{tasks.by-row-items.outputs.result}}"
        && g("by-file").dependencies.includes("by-file-items")
        && g("main-2").dependencies.includes("fixed") && !g("main-2").withParam;
    process.exit(ok ? 0 : 1);' "$SCRATCH/$f"
check "resources, retries and deadlines follow the steps" node -e '
    const d = require(process.argv[1]); const ts = d.spec.templates;
    /* a task runs the template its step shares with every step of the same shape */
    const g = (n) => ts.find((x) => x.name === ts[0].dag.tasks.find((t) => t.name === n).template);
    const seq = g("seq"), last = g("main-2");
    const ok = seq.container.resources.limits.memory === "623Mi"   /* 256MB*1.5 + 256Mi */
        && seq.container.resources.requests.cpu === "1"
        && seq.retryStrategy.limit === "1" && seq.retryStrategy.retryPolicy === "Always"
        && seq.retryStrategy.backoff.duration && seq.activeDeadlineSeconds === "120"
        && last.container.resources.limits.memory === "1687Mi"    /* 1GB*1.5 + 256Mi */
        && last.container.resources.limits.cpu === "2"
        && !last.retryStrategy && last.activeDeadlineSeconds === "3600"
        && last.container.args.includes("--attempt") && last.container.args[last.container.args.indexOf("--attempt") + 1] === "1"
        && seq.retryStrategy.backoff.cap === "5m"
        && seq.podSpecPatch.includes("asInt(retries) < 1 ? \u0027623Mi\u0027 : \u0027934Mi\u0027")
        && seq.container.args[seq.container.args.indexOf("--attempt") + 1] === "{{=asInt(retries) + 1}}";
    process.exit(ok ? 0 : 1);' "$SCRATCH/$f"
check "credentials come from the secret, never inline" node -e '
    const d = require(process.argv[1]);
    for (const t of d.spec.templates) if (t.container) {
        const env = t.container.env;
        const id = env.find((e) => e.name === "AWS_ACCESS_KEY_ID");
        const key = env.find((e) => e.name === "AWS_SECRET_ACCESS_KEY");
        if (!id || id.value !== undefined || id.valueFrom.secretKeyRef.name !== "duckflow-s3") process.exit(1);
        if (!key || key.value !== undefined || key.valueFrom.secretKeyRef.key !== "AWS_SECRET_ACCESS_KEY") process.exit(1);
        if (!t.container.volumeMounts.some((m) => m.mountPath === "/scratch")) process.exit(1);
        if (!env.some((e) => e.name === "TMPDIR" && e.value === "/scratch")) process.exit(1);
    }' "$SCRATCH/$f"
check "the pipeline and its files travel as raw artifacts of the bundle template only" node -e '
    const d = require(process.argv[1]); const fs = require("fs");
    const t = d.spec.templates.find((x) => x.name === "bundle");
    if (d.spec.templates.some((x) => x.name !== "bundle" && x.inputs && x.inputs.artifacts)) process.exit(1);
    const paths = t.inputs.artifacts.map((a) => a.path).sort().join(",");
    const want = ["/pipeline/data/lookup.csv", "/pipeline/pipeline.yaml", "/pipeline/sql/final.sql", "/pipeline/sql/seq.sql"].join(",");
    const a = t.inputs.artifacts.find((x) => x.path === "/pipeline/sql/final.sql");
    const same = a.raw.data === fs.readFileSync(process.argv[2] + "/sql/final.sql", "utf8");
    process.exit(paths === want && same ? 0 : 1);' "$SCRATCH/$f" "$sup/pipelines/fanout"
check "SQL above the pipeline folder stays under /pipeline" node -e '
    const d = require(process.argv[1]);
    const p = d.spec.templates.find((x) => x.name === "bundle").inputs.artifacts.map((a) => a.path).sort().join(",");
    const args = d.spec.templates.find((x) => x.name === "bundle").container.args;
    process.exit(p === "/pipeline/_/pipeline.yaml,/pipeline/shared/hello.sql" && args[2] === "/pipeline/_/pipeline.yaml" ? 0 : 1);' "$SCRATCH/nested.wf.json"

# The validator is not a rubber stamp.
mutations=$(node "$sup/mutate.js" --list)
check "there are mutations" test -n "$mutations"
broken=()
for m in $mutations; do
    node "$sup/mutate.js" fanout.wf.json "$m" >"broken-$m.json"
    broken+=("broken-$m.json")
done
expect_ok "validate.js rejects every broken manifest" node "$sup/validate.js" --expect-invalid "${broken[@]}"
cp "$out" rejected.txt
for m in $mutations; do
    expect_match "validate.js rejects $m for its reason" \
        "^rejected broken-$m\\.json: .*$(node "$sup/mutate.js" --reason "$m")" rejected.txt
done
expect_code 1 "--expect-invalid fails on a valid manifest" node "$sup/validate.js" --expect-invalid fanout.wf.json
sed 's/^\(  *\)value: "5"$/\1value: yes/; s/^\(  *value: \)"3"$/\1yes/' fanout.wf.yaml >yaml11.yaml
sed -i '0,/value: "3"/s//value: yes/' yaml11.yaml
expect_code 1 "validate.js rejects YAML that 1.1 readers read differently" node "$sup/validate.js" yaml11.yaml
expect_match "says so" 'YAML 1.1 readers' "$errout"
