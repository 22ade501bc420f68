#!/usr/bin/env bash
# compare.sh - what the "types survive the store" scripts (t2100 flat types, t2102 nested
# ones) share, sourced after tests/e2e/lib.sh: the SQL that compares a row read from the
# store with the same row made again downstream, and the checks over its result.
#   types_compare_sql ROW_FILE     prints SQL that makes `want` (ROW_FILE's SELECT) and
#                                  `cmp` (col, made_as, read_as, made, read, same): every
#                                  column of `t` (the row as read) beside `want`'s, by type
#                                  and as text (NULL as '<null>', which UNPIVOT would drop)
#   q SQL                          `duckflow query --format csv` without quotes
#   types_check_same N WHAT        5 results: `cmp` has N rows, all the same (WHAT says so),
#                                  none listed as changed; types.txt holds "col made -> read"
#   types_check_manifest STEP TABLE  1 result: the manifest of STEP's first task records
#                                  the types a Parquet reader sees in TABLE's first file
#   refused WHAT SQL REGEX         2 results: a step whose SQL writes a type the store
#                                  refuses fails (exit 1) with an error matching REGEX

types_compare_sql() {
    echo "CREATE TABLE want AS"
    cat "$1"
    echo ";"
    cat <<'SQL'
CREATE TABLE got_t AS SELECT * FROM (UNPIVOT (SELECT typeof(COLUMNS(*)) FROM t LIMIT 1) ON COLUMNS(*) INTO NAME col VALUE type);
CREATE TABLE got_v AS SELECT * FROM (UNPIVOT (SELECT coalesce(COLUMNS(*)::VARCHAR, '<null>') FROM t) ON COLUMNS(*) INTO NAME col VALUE v);
CREATE TABLE want_v AS SELECT * FROM (UNPIVOT (SELECT coalesce(COLUMNS(*)::VARCHAR, '<null>') FROM want) ON COLUMNS(*) INTO NAME col VALUE v);
CREATE TABLE want_t AS SELECT * FROM (UNPIVOT (SELECT typeof(COLUMNS(*)) FROM want LIMIT 1) ON COLUMNS(*) INTO NAME col VALUE type);
CREATE TABLE cmp AS
  SELECT w.col, wt.type AS made_as, gt.type AS read_as, w.v AS made, g.v AS read, w.v IS NOT DISTINCT FROM g.v AS same
  FROM want_v w JOIN got_v g USING (col) JOIN got_t gt USING (col) JOIN want_t wt USING (col);
SQL
}

q() { # csv without quotes
    set -o pipefail
    "$DUCKFLOW" query --format csv "$@" | tr -d '"'
}

types_check_same() {
    expect_ok "query the comparison" q 'SELECT count(*), count(*) FILTER (WHERE same) FROM compare.cmp'
    expect_match "$2" "^$1,$1\$" "$out"
    expect_ok "no value changed" q "SELECT col, made, read FROM compare.cmp WHERE NOT same"
    check "(none listed)" test "$(wc -l <"$out")" -eq 1
    expect_ok "types as read downstream" q "SELECT col || ' ' || made_as || ' -> ' || read_as FROM compare.cmp ORDER BY col"
    cp "$out" types.txt
}

types_check_manifest() {
    local m f
    m=$(find .duckflow -path "*/$1/00000/_manifest.json")
    f=$(dirname "$m")/$(jget "$m" "m.tables.$2.files[0].path")
    jget "$m" "m.tables.$2.schema.map(c => c.name + \" \" + c.type).join(\"\\n\")" >manifest.txt
    "$DUCKFLOW" query --format csv "SELECT column_name || ' ' || column_type FROM (DESCRIBE SELECT * FROM read_parquet('$f'))" |
        python3 -c 'import csv, sys; [print(r[0]) for r in list(csv.reader(sys.stdin))[1:]]' >parquet.txt
    check "the manifest records the reader's types" diff manifest.txt parquet.txt
}

refused() {
    printf 'name: bad\ndefaults: {retries: 0, threads: 1, memory_limit: 200MB}\nsteps:\n  w:\n    sql: "%s"\n    outputs: [x]\n' "$2" >bad.yaml
    expect_code 1 "$1 is refused" "$DUCKFLOW" run bad.yaml
    expect_match "$1: the column, its type and a cast are named" "$3" "$errout"
}
