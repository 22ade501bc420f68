#!/usr/bin/env bash
# t7210: every pod of every manifest `duckflow argo` prints (the examples and the test
# pipelines; Workflow, WorkflowTemplate, CronWorkflow) meets the Kubernetes "restricted"
# Pod Security Standard (tests/support/argo/pss-check.js), with a read-only root file
# system and HOME and TMPDIR on the scratch volume; and the checker refuses a container
# that drops the rules.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
sup="$DUCKFLOW_TOP/tests/support/argo"
pipelines=("$sup/pipelines/fanout/pipeline.yaml" "$sup/pipelines/nested/flow/pipeline.yaml")
for p in "$DUCKFLOW_TOP"/examples/*/pipeline.yaml; do
    [ -f "$p" ] && pipelines+=("$p")
done
echo "1..$((${#pipelines[@]} * 4 + 4))"
i=0
for p in "${pipelines[@]}"; do
    i=$((i + 1))
    name="$i-$(basename "$(dirname "$p")")"
    expect_ok "$name: workflow" "$DUCKFLOW" argo "$p" --image duckflow:1 --store s3://b/p --output json
    cp "$out" "$name.wf.json"
    expect_ok "$name: template" "$DUCKFLOW" argo "$p" --image duckflow:1 --store s3://b/p --template
    cp "$out" "$name.tpl.yaml"
    expect_ok "$name: cron" "$DUCKFLOW" argo "$p" --image duckflow:1 --store s3://b/p --cron "0 3 * * *"
    cp "$out" "$name.cron.yaml"
    expect_ok "$name: every pod is restricted" node "$sup/pss-check.js" "$name.wf.json" "$name.tpl.yaml" "$name.cron.yaml"
done
check "read-only root, HOME and TMPDIR on /scratch" node -e '
    const d = require(process.argv[1]);
    const ok = d.spec.templates.filter((t) => t.container).every((t) => {
        const env = Object.fromEntries(t.container.env.map((e) => [e.name, e.value]));
        return t.container.securityContext.readOnlyRootFilesystem === true && env.HOME === "/scratch"
            && env.TMPDIR === "/scratch" && t.container.volumeMounts.some((m) => m.mountPath === "/scratch");
    });
    process.exit(ok ? 0 : 1);' "$SCRATCH/1-fanout.wf.json"
node -e '
    const fs = require("fs"); const d = JSON.parse(fs.readFileSync("1-fanout.wf.json", "utf8"));
    const t = d.spec.templates.find((x) => x.container);
    delete t.container.securityContext.capabilities;
    t.container.securityContext.allowPrivilegeEscalation = true;
    delete d.spec.securityContext.seccompProfile; delete t.container.securityContext.seccompProfile;
    (d.spec.volumes = d.spec.volumes || []).push({ name: "host", hostPath: { path: "/" } });
    fs.writeFileSync("loose.json", JSON.stringify(d));'
expect_code 1 "a loosened manifest is refused" node "$sup/pss-check.js" loose.json
cp "$errout" loose.err
expect_match "names the capability rule" "capabilities do not drop ALL" loose.err
expect_match "and the hostPath volume" "volume 'host' is of type 'hostPath'" loose.err
