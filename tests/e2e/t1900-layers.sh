#!/usr/bin/env bash
# t1900: scripts/check-layers.py, the walls between the folders of src/ (DEVELOPERS.md):
# it passes on the tree as it is, and each kind of breach planted in a copy of src/ makes
# it fail and name the file, line and rule (an up include, a sideways include, a cycle
# between files, duckdb.h outside engine/ and sqlfn/register.c, curl outside store/, a
# process spawned outside exec/, argo/ opening DuckDB, a folder the table does not know).
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..19"

checker="$DUCKFLOW_TOP/scripts/check-layers.py"
expect_ok "the tree passes" python3 "$checker" "$DUCKFLOW_TOP/src"
expect_match "it says how much it checked" '^check-layers: [0-9]+ files in 10 folders, no problem' "$out"

# plant NAME FILE TEXT...: a fresh copy of src/ with TEXT appended to FILE (relative to
# src/); the copy is in $SCRATCH/NAME.
plant() {
    local name=$1 file=$2
    shift 2
    rm -rf "$SCRATCH/$name"
    cp -r "$DUCKFLOW_TOP/src" "$SCRATCH/$name"
    mkdir -p "$(dirname "$SCRATCH/$name/$file")"
    printf '%s\n' "$@" >>"$SCRATCH/$name/$file"
}

plant up dag/plan.c '#include "engine/task.h"'
expect_code 1 "an include pointing up fails" python3 "$checker" "$SCRATCH/up"
expect_match "  naming the file, the include and the rule" \
    '^src/dag/plan.c:[0-9]+: dag/ includes engine/task.h: dag/ may include only spec, util$' "$out"

plant sideways exec/graph.c '#include "query/query.h"'
expect_code 1 "a sideways include fails" python3 "$checker" "$SCRATCH/sideways"
expect_match "  naming it" '^src/exec/graph.c:[0-9]+: exec/ includes query/query.h' "$out"

plant cycle util/zz_a.h '#include "util/zz_b.h"'
printf '#include "util/zz_a.h"\n' >"$SCRATCH/cycle/util/zz_a.c"
printf '#include "util/zz_b.h"\n' >"$SCRATCH/cycle/util/zz_b.c"
printf '#include "util/zz_a.h"\n' >"$SCRATCH/cycle/util/zz_b.h"
expect_code 1 "a cycle between two files of one folder fails" python3 "$checker" "$SCRATCH/cycle"
expect_match "  spelling the cycle out" \
    '^cycle between files: src/util/zz_a.c -> src/util/zz_b.c -> src/util/zz_a.c$' "$out"

plant duck store/store.c '#include <duckdb.h>'
expect_code 1 "duckdb.h in store/ fails" python3 "$checker" "$SCRATCH/duck"
expect_match "  with the rule" \
    '^src/store/store.c:[0-9]+: includes <duckdb.h>: only engine/ and sqlfn/register.c' "$out"

plant duck2 sqlfn/analyze.c '#include <duckdb.h>'
expect_code 1 "duckdb.h in sqlfn/ outside register.c fails" python3 "$checker" "$SCRATCH/duck2"

plant http engine/duck.c '#include <curl/curl.h>'
expect_code 1 "curl outside store/ fails" python3 "$checker" "$SCRATCH/http"
expect_match "  with the rule" '^src/engine/duck.c:[0-9]+: includes <curl/curl.h>: only store/ talks HTTP' "$out"

plant spawn engine/sizing.c 'static int zz_spawn(void) { return fork(); }'
expect_code 1 "a process spawned outside exec/ fails" python3 "$checker" "$SCRATCH/spawn"
expect_match "  naming the call" '^src/engine/sizing.c:[0-9]+: calls fork\(\): only exec/ spawns processes' "$out"

plant argo argo/argo.h '#include "engine/duck.h"'
expect_code 1 "argo/ opening DuckDB fails" python3 "$checker" "$SCRATCH/argo"
expect_match "  with the rule" '^src/argo/argo.h:[0-9]+: includes engine/duck.h: argo/ never opens DuckDB' "$out"

plant folder newthing/x.c 'int zz;'
expect_code 1 "a folder the table does not know fails" python3 "$checker" "$SCRATCH/folder"

# A word in a comment or a string is not a call.
plant words engine/sizing.c '/* fork() here would be wrong */' 'static const char *zz = "system(";'
expect_ok "comments and strings are not calls" python3 "$checker" "$SCRATCH/words"
