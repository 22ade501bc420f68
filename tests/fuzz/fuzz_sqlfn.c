/*
 * fuzz_sqlfn.c - libFuzzer target for the SQL-analysis core (sqlfn/analyze.h). The first
 * byte picks the dialect, the rest is the SQL text. Checks, beyond "no crash, no leak, no
 * undefined behaviour": a result is well formed, and analysing the same text twice gives
 * the same fingerprint and the same counts.
 * Built with -DDUCKFLOW_FUZZ=ON (clang -fsanitize=fuzzer); tests/unit/test_sqlfn_replay.c
 * replays tests/fuzz/corpus/sqlfn/ through the same entry point in every normal build.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sqlfn/analyze.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_str(struct sqlfn_str s, int may_be_null)
{
    if (!s.s) {
        if (!may_be_null)
            abort();
        return;
    }
    /* touch every byte so the sanitizers see a bad pointer or length */
    volatile unsigned sum = 0;
    for (uint32_t i = 0; i < s.len; i++)
        sum += (unsigned char)s.s[i];
    (void)sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct sqlfn_ctx *cx;
    if (!cx)
        cx = sqlfn_ctx_new();
    if (!cx || size == 0)
        return 0;
    enum sqlfn_dialect d = (enum sqlfn_dialect)(data[0] % 10);
    const char *sql = (const char *)data + 1;
    size_t len = size - 1;
    struct sqlfn_result r;
    int rc = sqlfn_analyze(cx, sql, len, d, 31, &r);
    if ((rc == 0) != (r.ok == 1))
        abort();
    if (rc != 0)
        return 0;
    for (size_t i = 0; i < r.n_tables; i++)
        check_str(r.tables[i], 0);
    for (size_t i = 0; i < r.n_columns; i++) {
        check_str(r.columns[i].table, 1);
        check_str(r.columns[i].column, 0);
    }
    for (size_t i = 0; i < r.n_edges; i++) {
        check_str(r.edges[i].source, 1);
        check_str(r.edges[i].target, 0);
    }
    check_str(r.fingerprint, 0);
    size_t nt = r.n_tables, nc = r.n_columns, ne = r.n_edges;
    uint64_t h = r.fingerprint_hash;
    /* the result is invalidated by the next call: copy what is compared */
    struct sqlfn_result r2;
    if (sqlfn_analyze(cx, sql, len, d, 31, &r2) != 0 || r2.n_tables != nt || r2.n_columns != nc ||
        r2.n_edges != ne || r2.fingerprint_hash != h)
        abort();
    /* a subset of the work gives the same tables */
    if (sqlfn_analyze(cx, sql, len, d, SQLFN_WANT_TABLES, &r2) != 0 || r2.n_tables != nt)
        abort();
    return 0;
}
