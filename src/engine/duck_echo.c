/*
 * duck_echo.c - what a step's statements return when they do not make tables: a SELECT,
 * EXPLAIN, PRAGMA or CALL in a step's SQL prints its first rows on stderr, so they land
 * in the task log (<attempt>/_log.txt, issue 13) instead of vanishing.
 */
#include <stdio.h>
#include <string.h>

#include "engine/duck.h"
#include "util/banned.h"

#define ECHO_ROWS 100
#define ECHO_CELL 200

void df_duck_echo_result(duckdb_prepared_statement stmt, duckdb_result *res, size_t index)
{
    duckdb_statement_type t = duckdb_prepared_statement_type(stmt);
    idx_t rows, cols;

    if (t != DUCKDB_STATEMENT_TYPE_SELECT && t != DUCKDB_STATEMENT_TYPE_EXPLAIN &&
        t != DUCKDB_STATEMENT_TYPE_PRAGMA && t != DUCKDB_STATEMENT_TYPE_CALL)
        return;
    rows = duckdb_row_count(res);
    cols = duckdb_column_count(res);
    if (cols == 0)
        return;
    fprintf(stderr, "statement %zu returned %llu row%s%s:\n", index + 1, (unsigned long long)rows,
            rows == 1 ? "" : "s", rows > ECHO_ROWS ? " (the first 100 follow)" : "");
    for (idx_t c = 0; c < cols; c++)
        fprintf(stderr, "%s%s", c ? " | " : "", duckdb_column_name(res, c));
    fputc('\n', stderr);
    for (idx_t r = 0; r < rows && r < ECHO_ROWS; r++) {
        for (idx_t c = 0; c < cols; c++) {
            char *v = duckdb_value_is_null(res, c, r) ? NULL : duckdb_value_varchar(res, c, r);
            fprintf(stderr, "%s%.*s%s", c ? " | " : "", ECHO_CELL, v ? v : "NULL",
                    v && strlen(v) > ECHO_CELL ? "..." : "");
            duckdb_free(v);
        }
        fputc('\n', stderr);
    }
}
