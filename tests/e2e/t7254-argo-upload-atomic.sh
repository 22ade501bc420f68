#!/usr/bin/env bash
# t7254: `duckflow argo --upload-bundle` builds and checks the whole manifest before it
# writes the bundle: a compile that fails (a param over Argo's 256 KiB, a manifest over
# 1 MiB) leaves the store untouched; one that succeeds writes the bundle once.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..9"
img=(--image img:1)
big() { # big NAME N SIZE: a pipeline with N params of SIZE bytes each
    mkdir -p "$1"
    {
        echo "name: $1"
        echo "params:"
        for i in $(seq 1 "$2"); do printf '  p%d: "%s"\n' "$i" "$(head -c "$3" /dev/zero | tr '\0' x)"; done
        echo "steps:"
        echo "  a: {sql: \"CREATE TABLE t AS SELECT getvariable('p1') AS x\", outputs: [t]}"
    } >"$1/pipeline.yaml"
}
big oneparam 1 300000
big manyparams 5 230000
big small 1 10

expect_code 2 "a param over 256 KiB fails the compile" "$DUCKFLOW" argo oneparam/pipeline.yaml \
    "${img[@]}" --store "$SCRATCH/s1" --upload-bundle
expect_match "saying which param" "param 'p1'" "$errout"
check "and writes nothing to the store" test ! -e "$SCRATCH/s1"

expect_code 2 "a manifest over 1 MiB fails the compile" "$DUCKFLOW" argo manyparams/pipeline.yaml \
    "${img[@]}" --store "$SCRATCH/s2" --upload-bundle
expect_match "saying so, without suggesting --upload-bundle again" \
    'over the 1048576 .*; shorten the params' "$errout"
check "and writes nothing to the store" test ! -e "$SCRATCH/s2"
check "nothing on stdout" test ! -s "$out"

expect_ok "a pipeline that fits compiles" "$DUCKFLOW" argo small/pipeline.yaml "${img[@]}" \
    --store "$SCRATCH/s3" --upload-bundle
check "and its bundle is in the store" bash -c 'ls "$1"/small/bundles/*/_bundle.json' _ "$SCRATCH/s3"
