#!/usr/bin/env bash
# t4910: the documents stand on their own. No document of the repository cites a file
# outside it (the design notes DESIGN.md, ../shared, a machine's /work paths), and the
# user documents docs/run.md and docs/tasks.md name no source files or internal
# functions (those belong in comments and DEVELOPERS.md).
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..4"

cd "$DUCKFLOW_TOP" || exit 1
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files '*.md' >"$SCRATCH/docs.txt"
else
    find . -name '*.md' -not -path './node_modules/*' -not -path './deps/*' \
        -not -path './build*' | sed 's|^\./||' >"$SCRATCH/docs.txt"
fi
check "there are documents to read" test "$(wc -l <"$SCRATCH/docs.txt")" -ge 10
xargs grep -nE 'DESIGN\.md|\.\./shared|/work/' <"$SCRATCH/docs.txt" >"$SCRATCH/outside.txt"
sed 's/^/# /' "$SCRATCH/outside.txt" | head -n 20
check "no document cites a file outside the repository" test ! -s "$SCRATCH/outside.txt"
grep -nE '\bsrc/|\b[a-z_]+\.[ch]\b|\bdf_[a-z_]+\(' docs/run.md docs/tasks.md >"$SCRATCH/internals.txt"
sed 's/^/# /' "$SCRATCH/internals.txt" | head -n 20
check "docs/run.md and docs/tasks.md name no source files or functions" \
    test ! -s "$SCRATCH/internals.txt"
check "README links the tutorial" grep -q 'docs/tutorial.md' README.md
