#!/usr/bin/env bash
# t1903: scripts/check-clang-warnings.py, clang's warnings in `make test`: every src/**/*.c
# compiled with `clang -fsyntax-only` and the build's own flags (compile_commands.json)
# passes, and a va_list function without a format attribute, which clang's
# -Wformat-nonliteral (-Wformat=2) rejects and gcc accepts (the clang fuzz build in .ci/run
# failed on it), fails the check naming file:line, in a file the build knows and in a new
# one. Skips when clang is not installed (a bare machine: scripts/setup.sh installs it
# with DUCKFLOW_SETUP_FUZZ=1) or the build has no compile_commands.json.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
checker="$DUCKFLOW_TOP/scripts/check-clang-warnings.py"
build=${DUCKFLOW_BUILD:-$(dirname "$DUCKFLOW")}
if ! command -v "${CLANG:-clang}" >/dev/null 2>&1; then
    echo "1..0 # SKIP clang is not installed (DUCKFLOW_SETUP_FUZZ=1 scripts/setup.sh installs it)"
    exit 0
fi
if [ ! -f "$build/compile_commands.json" ]; then
    echo "1..0 # SKIP $build has no compile_commands.json (configure it with CMake)"
    exit 0
fi
echo "1..6"

expect_ok "the tree passes" python3 "$checker" "$build"
expect_match "  saying how much it checked" '^check-clang-warnings: [0-9]+ files, no warning from .*clang' "$out"

# The copy gets the bug in an existing file and in a new one; both are named. (Only those
# two are compiled again, with the rest of the copy on the include path.)
cp -r "$DUCKFLOW_TOP/src" "$SCRATCH/src"
cat >>"$SCRATCH/src/util/strbuf.c" <<'C'
void zz_vlog(struct strbuf *sb, const char *fmt, va_list ap);
void zz_vlog(struct strbuf *sb, const char *fmt, va_list ap)
{
    sb_vaddf(sb, fmt, ap); /* zz-old */
}
C
cat >"$SCRATCH/src/util/zz_new.c" <<'C'
/* zz_new.c - a file the build has not seen. */
#include "util/strbuf.h"

void zz_vlog2(struct strbuf *sb, const char *fmt, va_list ap);
void zz_vlog2(struct strbuf *sb, const char *fmt, va_list ap)
{
    sb_vaddf(sb, fmt, ap); /* zz-new */
}
C
old=$(grep -n 'zz-old' "$SCRATCH/src/util/strbuf.c" | cut -d: -f1)
new=$(grep -n 'zz-new' "$SCRATCH/src/util/zz_new.c" | cut -d: -f1)
expect_code 1 "a va_list function without a format attribute fails" \
    python3 "$checker" "$build" "$SCRATCH/src" util/strbuf.c util/zz_new.c
expect_match "  naming file:line of the known file and the warning" \
    "^src/util/strbuf.c:$old:[0-9]+: error: format string is not a string literal \[-Werror,-Wformat-nonliteral\]" "$out"
expect_match "  and of the new file" "^src/util/zz_new.c:$new:[0-9]+: error: format string is not a string literal" "$out"
expect_match "  counting them" '^check-clang-warnings: 2 of 2 files fail' "$out"
