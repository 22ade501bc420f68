#!/usr/bin/env bash
# t8008: a pipeline over the 1,000-step limit is refused at the first step past it (file,
# line and column of step 1,001, its name, the limit and the count), not at the first
# step of the file; 1,000 steps are accepted.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..5"
gen() { # N: a pipeline of N steps, one a line from line 3
    { echo "name: many"; echo "steps:"
      for i in $(seq 0 $(($1 - 1))); do echo "  s$i: {sql: \"CREATE TABLE t AS SELECT $i AS x\", outputs: [t]}"; done
    } >"p$1.yaml"
}
gen 1000
gen 1003
expect_ok "1,000 steps are accepted" "$DUCKFLOW" validate p1000.yaml
expect_code 2 "1,003 steps are refused" "$DUCKFLOW" validate p1003.yaml
expect_match "  at step 1,001 (line 1003), naming it, the limit and the count" \
    "^duckflow: p1003\.yaml:1003:3: step 's1000': more than 1000 steps \(the pipeline has 1003\)$" "$errout"
check "  in one line" test "$(wc -l <"$errout")" -eq 1
expect_code 2 "duckflow run refuses it the same way" "$DUCKFLOW" run p1003.yaml
