/*
 * duck_echo.c - what a step's statements return when they do not make tables: a SELECT,
 * EXPLAIN, PRAGMA or CALL in a step's SQL prints its first rows on stderr, so they land
 * in the task log (<attempt>/_log.txt, issue 13) instead of vanishing.
 *
 * And DuckDB's warnings. The C API of DuckDB 1.4 has no way to receive them: duckdb.h has
 * no warning or log callback (a duckdb_result carries an error only; the C++ API's
 * WarningManager::SetWarningCallback is not exported to C). What DuckDB prints itself on
 * stdout/stderr is already in the task log (the descriptors are redirected,
 * cli/tasklog.c). The rest goes through DuckDB's logger: the task's connection enables it
 * at level WARN (memory storage), and after each statement the entries of level WARN and
 * above are printed as "duckdb warning (TYPE): MESSAGE" and the log is emptied. The query
 * reads the table function duckdb_logs(), not the view of that name: binding the view
 * the first time costs DuckDB about 5 M instructions (over 1 ms of CPU per task). It has
 * no WHERE and no ORDER BY (0.9 M instructions a statement): the level is tested here,
 * and the entries come in the order they were logged.
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

void df_duck_warnings_enable(duckdb_connection con)
{
    duckdb_result r;
    /* A DuckDB without the logger only loses the warnings. */
    duckdb_query(con, "CALL enable_logging(level = 'WARN')", &r);
    duckdb_destroy_result(&r);
}

void df_duck_echo_warnings(duckdb_connection con)
{
    duckdb_result r;
    idx_t rows;

    if (duckdb_query(con, "SELECT type, log_level, message FROM duckdb_logs()", &r) ==
        DuckDBError) {
        duckdb_destroy_result(&r);
        return;
    }
    rows = duckdb_row_count(&r);
    for (idx_t i = 0; i < rows; i++) {
        char *type = duckdb_value_varchar(&r, 0, i), *level = duckdb_value_varchar(&r, 1, i);
        char *msg = duckdb_value_varchar(&r, 2, i);
        if (level && strcmp(level, "WARN") && strcmp(level, "ERROR") && strcmp(level, "FATAL")) {
            duckdb_free(type);
            duckdb_free(level);
            duckdb_free(msg);
            continue;
        }
        fprintf(stderr, "duckdb %s (%s): %s\n",
                level && !strcmp(level, "WARN") ? "warning"
                : level                         ? level
                                                : "log",
                type && *type ? type : "-", msg ? msg : "");
        duckdb_free(type);
        duckdb_free(level);
        duckdb_free(msg);
    }
    duckdb_destroy_result(&r);
    if (rows) {
        duckdb_query(con, "CALL truncate_duckdb_logs()", &r);
        duckdb_destroy_result(&r);
    }
}
