#!/usr/bin/env bash
# t7000: `duckflow argo` usage: help, required options, option checks, warnings, and the
# pipeline's own errors (nothing is printed on stdout when the command fails).
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..48"
pl="$DUCKFLOW_TOP/tests/support/argo/pipelines/fanout/pipeline.yaml"
req=(--image img:1 --store s3://bucket/prefix)

expect_ok "argo --help" "$DUCKFLOW" argo --help
expect_match "help names the usage" '^usage: duckflow argo PIPELINE --image' "$out"
expect_match "help lists --s3-secret" '--s3-secret NAME' "$out"
expect_match "help names automatic batching" 'at most 2,000 pods' "$out"
wide=""
expect_ok "argo step --help" "$DUCKFLOW" argo step --help
for sub in "" items finish bundle step; do
    "$DUCKFLOW" argo $sub --help >help.txt 2>&1
    wide="$wide$(awk -v c="argo${sub:+ $sub}" 'length > 80 {print c ": " $0}' help.txt)"
done
check "argo helps fit 80 columns${wide:+ (not: $wide)}" test -z "$wide"
expect_ok "argo items --help" "$DUCKFLOW" argo items --help
expect_ok "argo finish --help" "$DUCKFLOW" argo finish --help

expect_code 2 "no pipeline" "$DUCKFLOW" argo "${req[@]}"
expect_code 2 "two pipelines" "$DUCKFLOW" argo "$pl" "$pl" "${req[@]}"
expect_code 2 "no --image" "$DUCKFLOW" argo "$pl" --store s3://b/p
expect_match "says --image is required" 'image is required' "$errout"
expect_code 2 "no --store" "$DUCKFLOW" argo "$pl" --image img:1
cp "$out" last.out
check "nothing on stdout after a usage error" test ! -s last.out
expect_code 2 "bad --pull-policy" "$DUCKFLOW" argo "$pl" "${req[@]}" --pull-policy Sometimes
expect_code 2 "bad toleration effect" "$DUCKFLOW" argo "$pl" "${req[@]}" --toleration a=b:Later
expect_match "names the toleration" "toleration 'a=b:Later'" "$errout"
expect_code 2 "empty toleration key" "$DUCKFLOW" argo "$pl" "${req[@]}" --toleration =b:NoSchedule
expect_code 2 "bad node selector" "$DUCKFLOW" argo "$pl" "${req[@]}" --node-selector novalue
expect_code 2 "--template with --cron" "$DUCKFLOW" argo "$pl" "${req[@]}" --template --cron "0 * * * *"
expect_code 2 "--timezone without --cron" "$DUCKFLOW" argo "$pl" "${req[@]}" --timezone UTC
expect_code 2 "bad --parallelism" "$DUCKFLOW" argo "$pl" "${req[@]}" --parallelism 0
expect_code 2 "bad --scratch-size" "$DUCKFLOW" argo "$pl" "${req[@]}" --scratch-size lots
expect_code 2 "bad --output" "$DUCKFLOW" argo "$pl" "${req[@]}" --output xml
expect_code 2 "unknown param" "$DUCKFLOW" argo "$pl" "${req[@]}" --param nope=1
expect_code 2 "param of the wrong type" "$DUCKFLOW" argo "$pl" "${req[@]}" --param n=many

expect_code 2 "missing pipeline file" "$DUCKFLOW" argo missing.yaml "${req[@]}"
mkdir bad
printf 'name: bad\nsteps:\n  a:\n    sql: SELECT 1\n    bogus: 2\n' >bad/pipeline.yaml
expect_code 2 "invalid pipeline" "$DUCKFLOW" argo bad/pipeline.yaml "${req[@]}"
expect_match "error has file:line:col" 'pipeline.yaml:5:[0-9]+:' "$errout"

expect_ok "a valid call" "$DUCKFLOW" argo "$pl" "${req[@]}"
expect_match "prints a Workflow" '^kind: Workflow$' "$out"
cp "$errout" last.err
check "no warning for an s3 store and embeddable inputs" test ! -s last.err
expect_ok "a local store" "$DUCKFLOW" argo "$pl" --image img:1 --store /data/store
expect_match "warns about the local store" "warning: store '/data/store' is not an s3:// or gs:// URI" "$errout"

# An input pods cannot see (a glob on this machine) is a warning, not an error.
mkdir -p glob/data
printf 'a\n1\n' >glob/data/x.csv
cat >glob/pipeline.yaml <<'YAML'
name: globbed
steps:
  read:
    inputs: {x: data/*.csv}
    sql: CREATE TABLE t AS SELECT * FROM x
    outputs: [t]
YAML
expect_ok "a local glob input" "$DUCKFLOW" argo glob/pipeline.yaml "${req[@]}"
expect_match "warns that pods cannot see it" "input 'x' reads local '.*data/\*\.csv', which pods cannot see" "$errout"

# A parameter over Argo's 256 KiB limit is refused.
big=$(head -c 300000 /dev/zero | tr '\0' 'x')
printf 'name: bigparam\nparams:\n  blob: "%s"\nsteps:\n  a:\n    sql: SELECT 1\n' "$big" >big.yaml
expect_code 2 "a parameter over 256 KiB" "$DUCKFLOW" argo big.yaml "${req[@]}"
expect_match "names the parameter" "param 'blob' is 300000 bytes" "$errout"

# --s3-endpoint and --s3-region are the pods' (main.c also takes them for this process's
# own store); the shell's AWS variables never reach the manifest.
AWS_REGION=from-the-shell DUCKFLOW_S3_ENDPOINT=http://shell:9000 expect_ok "endpoint and region options" \
    "$DUCKFLOW" argo "$pl" "${req[@]}" --s3-endpoint http://minio.example.com:9000 --s3-region=eu-west-3 -o json
cp "$out" endpoint.json
check "the pods get the endpoint and region given" node -e '
    const d = require(process.argv[1]);
    for (const t of d.spec.templates) if (t.container) {
        const env = Object.fromEntries(t.container.env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));
        if (env.DUCKFLOW_S3_ENDPOINT !== "http://minio.example.com:9000" || env.AWS_REGION !== "eu-west-3") process.exit(1);
    }' "$SCRATCH/endpoint.json"
AWS_REGION=from-the-shell DUCKFLOW_S3_ENDPOINT=http://shell:9000 expect_ok "no endpoint options" "$DUCKFLOW" argo "$pl" "${req[@]}"
cp "$out" noendpoint.yaml
check "the manifest is not empty" test -s noendpoint.yaml
check "nothing from the shell's environment" bash -c "! grep -qE 'from-the-shell|shell:9000|AWS_REGION|S3_ENDPOINT' noendpoint.yaml"

# A small input outside the pipeline's folder is not shipped (the pods would look for it
# at its own path): a warning. One inside it is shipped without one.
mkdir -p outside/flow/data
printf 'a\n1\n' >outside/up.csv
printf 'a\n2\n' >outside/flow/data/in.csv
cat >outside/flow/pipeline.yaml <<'YAML'
name: outside
steps:
  read:
    inputs: {up: ../up.csv, here: data/in.csv}
    sql: CREATE TABLE t AS SELECT * FROM up UNION ALL SELECT * FROM here
    outputs: [t]
YAML
expect_ok "inputs inside and outside the folder" "$DUCKFLOW" argo outside/flow/pipeline.yaml "${req[@]}"
cp "$out" outside.yaml
expect_match "warns about the one outside" "input 'up' reads local '[^']*up\.csv', which pods cannot see" "$errout"
cp "$errout" outside.err
check "no warning about the one inside" bash -c "! grep -q \"input 'here'\" outside.err"
expect_match "ships the one inside" '^ +path: /pipeline/data/in\.csv$' outside.yaml
cp outside.yaml outside2.yaml
check "does not ship the one outside" bash -c "! grep -qE 'path: .*up\.csv' outside2.yaml"
