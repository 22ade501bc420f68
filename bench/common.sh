# common.sh - sourced by the bench scripts: paths, the single-process driver (duckdb-sql,
# built here with the system compiler against the same DuckDB duckflow links), hyperfine
# helpers. BUILD is the duckflow build folder (first argument of every bench script).
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
DF="$build/duckflow"
duckdb_home=${DUCKDB_HOME:-$top/deps/duckdb}
results="$build/bench-results"
mkdir -p "$results"
[ -x "$DF" ] || { echo "bench: no duckflow binary in '$build' (make build)" >&2; exit 2; }

# The single-process baseline and bare "SELECT 1" process.
DUCKDB_SQL="$build/bench/duckdb-sql"
if [ ! -x "$DUCKDB_SQL" ] || [ "$top/bench/duckdb-sql.c" -nt "$DUCKDB_SQL" ]; then
    mkdir -p "$build/bench"
    ${CC:-cc} -O2 -std=c11 -D_GNU_SOURCE -o "$DUCKDB_SQL" "$top/bench/duckdb-sql.c" \
        -I"$duckdb_home/include" -L"$duckdb_home/lib" -lduckdb -Wl,-rpath,"$duckdb_home/lib"
fi

need_hyperfine() {
    command -v hyperfine >/dev/null || {
        echo "bench: hyperfine is missing (DUCKFLOW_SETUP_BENCH=1 scripts/setup.sh)" >&2
        exit 2
    }
}

# mean_of CSV ROW -> the mean seconds of the ROW-th command (1-based) of a hyperfine CSV.
mean_of() {
    awk -F, -v row="$2" 'NR == row + 1 { print $2 }' "$1"
}

# ratio A B -> A / B with 3 decimals
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }'
}

# timed OUT_FILE cmd... -> runs cmd under GNU time; OUT_FILE gets
# "wall_seconds max_rss_kb user_seconds system_seconds" (CPU includes reaped children, so a
# `duckflow run` counts its tasks; max RSS is of the largest single process)
timed() {
    local outf=$1
    shift
    /usr/bin/time -f '%e %M %U %S' -o "$outf" "$@"
}

machine() {
    echo "$(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo)," \
        "$(. /etc/os-release && echo "$PRETTY_NAME"), duckflow $("$DF" --version | awk '{print $2}')," \
        "DuckDB $("$DUCKDB_SQL" -c "SELECT 1" >/dev/null && "$DUCKDB_SQL" -p -c "SELECT library_version FROM pragma_version()" | tail -n 1)"
}
