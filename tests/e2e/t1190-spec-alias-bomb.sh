#!/usr/bin/env bash
# t1190: a YAML alias bomb ("billion laughs") fails fast inside a small address-space
# limit instead of expanding; reasonable anchors and aliases still work.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..8"

{
    echo 'name: lol'
    echo 'params:'
    echo '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'
    prev=a
    for n in b c d e f g h i j; do
        echo "  $n: &$n [*$prev,*$prev,*$prev,*$prev,*$prev,*$prev,*$prev,*$prev,*$prev]"
        prev=$n
    done
    echo 'steps:'
    echo '  a:'
    echo '    sql: SELECT 1'
    echo '    foreach: {values: j}'
} >bomb.yaml

# 9^10 expanded strings would need gigabytes; 1 GB of address space is plenty for the
# binary and DuckDB's library and far too little for the expansion. AddressSanitizer
# reserves terabytes of shadow address space up front, so an ASan build runs without the
# limit (the plain build of the same suite keeps it).
limit="ulimit -v 1000000;"
if ldd "$DUCKFLOW" 2>/dev/null | grep -q libasan; then
    limit=""
fi
expect_code 2 "the bomb is refused" bash -c "$limit exec '$DUCKFLOW' validate bomb.yaml"
expect_match "at the alias that passes the cap" '^duckflow: bomb.yaml:8:10: yaml aliases expand to more than 100000 nodes$' "$errout"
expect_code 2 "items refuses it too" bash -c "$limit exec '$DUCKFLOW' items bomb.yaml --run r --step a"

# Wide but shallow aliasing below the cap is fine.
cat >shared.yaml <<'YAML'
name: shared
params:
  regions: &r [eu, us, ap]
  again: *r
steps:
  a:
    sql: &q SELECT 1
    foreach: {values: regions}
  b:
    sql: *q
    foreach: {values: again}
YAML
expect_ok "small aliases are fine" "$DUCKFLOW" items shared.yaml --run r --step b
check "and resolve" test "$(cat "$out")" = '["eu","us","ap"]'

# Deep nesting is capped as well.
python_free_nest=$(printf '%0.s[' $(seq 1 500))$(printf '%0.s]' $(seq 1 500))
printf 'name: deep\nparams:\n  p: %s\nsteps:\n  a: {sql: SELECT 1}\n' "$python_free_nest" >deep.yaml
expect_code 2 "deep nesting is refused" "$DUCKFLOW" validate deep.yaml
expect_match "with its place" '^duckflow: deep.yaml:3:68: yaml nested deeper than 64 levels$' "$errout"

check "no store folder was created" test ! -e "$SCRATCH/.duckflow"
