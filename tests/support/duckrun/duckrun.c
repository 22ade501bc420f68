/*
 * duckrun.c - a stock DuckDB for tests: no duckflow code, no duckflow SQL functions, just
 * libduckdb. `duckrun SETUP.sql QUERY` runs the statements of SETUP.sql, then QUERY, and
 * prints QUERY's rows as comma-separated values (NULL as empty). Tests use it to show that
 * the SQL `duckflow views` prints works without duckflow (compiled by the test itself).
 */
#include <stdio.h>
#include <stdlib.h>

#include "duckdb.h"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf)
        buf[n] = '\0';
    fclose(f);
    return buf;
}

int main(int argc, char **argv)
{
    duckdb_database db;
    duckdb_connection con;
    duckdb_result res;
    char *setup;
    int rc = 0;

    if (argc != 3) {
        fprintf(stderr, "usage: duckrun SETUP.sql QUERY\n");
        return 2;
    }
    setup = slurp(argv[1]);
    if (!setup) {
        fprintf(stderr, "duckrun: cannot read %s\n", argv[1]);
        return 2;
    }
    if (duckdb_open(NULL, &db) == DuckDBError || duckdb_connect(db, &con) == DuckDBError) {
        fprintf(stderr, "duckrun: cannot open duckdb\n");
        return 3;
    }
    if (duckdb_query(con, setup, &res) == DuckDBError) {
        fprintf(stderr, "duckrun: setup: %s\n", duckdb_result_error(&res));
        rc = 1;
    }
    duckdb_destroy_result(&res);
    if (rc == 0 && duckdb_query(con, argv[2], &res) == DuckDBError) {
        fprintf(stderr, "duckrun: %s\n", duckdb_result_error(&res));
        duckdb_destroy_result(&res);
        rc = 1;
    } else if (rc == 0) {
        idx_t rows = duckdb_row_count(&res), cols = duckdb_column_count(&res);
        for (idx_t r = 0; r < rows; r++) {
            for (idx_t c = 0; c < cols; c++) {
                char *v = duckdb_value_varchar(&res, c, r);
                printf("%s%s", c ? "," : "", v ? v : "");
                duckdb_free(v);
            }
            putchar('\n');
        }
        duckdb_destroy_result(&res);
    }
    duckdb_disconnect(&con);
    duckdb_close(&db);
    free(setup);
    return rc;
}
