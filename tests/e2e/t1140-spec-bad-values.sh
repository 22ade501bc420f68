#!/usr/bin/env bash
# t1140: bad values: sizes, durations, absurd numbers, bad names, unknown formats and
# compressions: exit 2, FILE:LINE:COL naming the value, no store.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..73"

bad() { # FILE LINE:COL REGEX
    expect_code 2 "$1: exit 2" "$DUCKFLOW" validate "$1"
    expect_match "$1: error at $2" "^duckflow: $1:$2: $3" "$errout"
    check "$1: one line" test "$(wc -l <"$errout")" -eq 1
}
# step FILE 'FIELDS' - a one-step pipeline whose step has extra flow-mapping fields.
step() {
    printf 'name: vals\nsteps:\n  a: {sql: SELECT 1, %s}\n' "$2" >"$1"
}

printf 'name: x\ndefaults:\n  memory_limit: 2 bananas\nsteps:\n  a: {sql: SELECT 1}\n' >size.yaml
bad size.yaml 3:17 "bad size '2 bananas' for memory_limit"
printf 'name: x\ndefaults:\n  memory_limit: 8MB\nsteps:\n  a: {sql: SELECT 1}\n' >small.yaml
bad small.yaml 3:17 "memory_limit '8MB' is out of range \(16MB to 16TiB\)"
step big.yaml 'memory_limit: 20TB'
bad big.yaml 3:36 "memory_limit '20TB' is out of range"
step dur.yaml 'timeout: a while'
bad dur.yaml 3:31 "bad duration 'a while' for timeout"
step durzero.yaml 'timeout: 0s'
bad durzero.yaml 3:31 "timeout '0s' is out of range"
step threads0.yaml 'threads: 0'
bad threads0.yaml 3:31 'threads must be between 1 and 1024, not 0$'
step threads.yaml 'threads: 4096'
bad threads.yaml 3:31 'threads must be between 1 and 1024, not 4096$'
step retries.yaml 'retries: 1000'
bad retries.yaml 3:31 'retries must be between 0 and 100, not 1000$'
step retriesneg.yaml 'retries: -2'
bad retriesneg.yaml 3:31 'retries must be between 0 and 100, not -2$'
step threadsword.yaml 'threads: many'
bad threadsword.yaml 3:31 "threads must be an integer, not 'many'$"
step range.yaml 'foreach: {range: 5000000}'
bad range.yaml 3:39 'foreach range must be between 0 and 1000000, not 5000000$'
step rangeneg.yaml 'foreach: {range: -3}'
bad rangeneg.yaml 3:39 'foreach range must be between 0 and 1000000'
step rangefloat.yaml 'foreach: {range: 2.5}'
bad rangefloat.yaml 3:39 "foreach range must be a count or a param name, not '2.5'$"
printf 'name: x\nsteps:\n  a: {sql: SELECT 1, outputs: [t]}\n  b: {sql: SELECT 1, foreach: {files: a.t, per_task: 0}}\n' >pertask.yaml
bad pertask.yaml 4:54 'per_task must be between 1 and 1000000, not 0$'
step filesize.yaml 'outputs: {t: {file_size: 10KB}}'
bad filesize.yaml 3:47 "file_size '10KB' is out of range \(1MB to 1TiB\)$"
step compression.yaml 'outputs: {t: {compression: bzip9}}'
bad compression.yaml 3:49 "unknown compression 'bzip9' \(zstd, snappy, gzip, lz4, uncompressed\)$"
step format.yaml 'inputs: {v: {uri: x.dat, format: xml}}'
bad format.yaml 3:55 "unknown format 'xml' \(parquet, csv or json\)$"

printf 'name: My_Pipeline\nsteps:\n  a: {sql: SELECT 1}\n' >pname.yaml
bad pname.yaml 1:7 "pipeline name 'My_Pipeline' is not valid"
printf 'name: x\nsteps:\n  load-data: {sql: SELECT 1}\n' >sname.yaml
bad sname.yaml 3:3 "step name 'load-data' is not valid"
printf 'name: x\nparams:\n  2fast: 1\nsteps:\n  a: {sql: SELECT 1}\n' >paramname.yaml
bad paramname.yaml 3:3 "param name '2fast' is not valid"
step oname.yaml 'outputs: [good, "bad name"]'
bad oname.yaml 3:38 "output name 'bad name' is not valid"
step iname.yaml 'inputs: {"a.b": x.csv}'
bad iname.yaml 3:31 "input name 'a.b' is not valid"
step pby.yaml 'outputs: {t: {partition_by: ["x; DROP"]}}'
bad pby.yaml 3:51 "partition_by: 'x; DROP' is not a valid name"
printf 'name: x\nparams:\n  m: {a: 1}\nsteps:\n  a: {sql: SELECT 1}\n' >parammap.yaml
bad parammap.yaml 3:6 "param 'm' must be an integer, a number, a boolean, a string or a list, not a mapping$"

check "no store folder was created" test ! -e "$SCRATCH/.duckflow"
