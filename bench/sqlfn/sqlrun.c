/*
 * sqlrun.c - a tiny DuckDB shell for the sqlfn benchmarks and scripts: opens an in-memory
 * database, registers the SQL-analysis functions, runs each argument as SQL, prints the
 * rows of each result tab-separated on stdout and the wall and CPU time of each statement
 * on stderr ("time <wall seconds> <cpu seconds> <first 60 characters of the SQL>"); the
 * CPU time is the whole process's, which with DuckDB's threads = 1 is the query's.
 *   sqlrun [-t THREADS] SQL...
 * Built by bench/sqlfn/build.sh against a build folder's libduckflow_core.a.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <duckdb.h>

#include "sqlfn/sqlfn.h"

static double clock_of(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    duckdb_database db = NULL;
    duckdb_connection con = NULL;
    int argi = 1, rc = 0;
    const char *threads = NULL;
    if (argc > 2 && !strcmp(argv[1], "-t")) {
        threads = argv[2];
        argi = 3;
    }
    if (argi >= argc || !strcmp(argv[argi], "--help")) {
        printf("usage: sqlrun [-t THREADS] SQL...\n");
        return argi >= argc ? 2 : 0;
    }
    if (duckdb_open(NULL, &db) != DuckDBSuccess || duckdb_connect(db, &con) != DuckDBSuccess) {
        fprintf(stderr, "sqlrun: cannot open duckdb\n");
        return 3;
    }
    struct df_error err = DF_ERROR_INIT;
    if (df_sqlfn_register(con, &err) != 0) {
        fprintf(stderr, "sqlrun: %s\n", err.msg);
        return 1;
    }
    if (threads) {
        char q[64];
        snprintf(q, sizeof(q), "SET threads = %d", atoi(threads));
        duckdb_query(con, q, NULL);
    }
    for (; argi < argc && rc == 0; argi++) {
        duckdb_result res;
        double t0 = clock_of(CLOCK_MONOTONIC), c0 = clock_of(CLOCK_PROCESS_CPUTIME_ID);
        if (duckdb_query(con, argv[argi], &res) != DuckDBSuccess) {
            fprintf(stderr, "sqlrun: %s\n", duckdb_result_error(&res));
            rc = 1;
        } else {
            double t1 = clock_of(CLOCK_MONOTONIC), c1 = clock_of(CLOCK_PROCESS_CPUTIME_ID);
            fprintf(stderr, "time %.3f %.3f %.60s\n", t1 - t0, c1 - c0, argv[argi]);
            idx_t ncol = duckdb_column_count(&res);
            idx_t nrow = duckdb_row_count(&res);
            for (idx_t r = 0; r < nrow; r++) {
                for (idx_t c = 0; c < ncol; c++) {
                    char *v = duckdb_value_varchar(&res, c, r);
                    printf("%s%s", c ? "\t" : "", v ? v : "NULL");
                    duckdb_free(v);
                }
                printf("\n");
            }
            duckdb_destroy_result(&res);
        }
    }
    duckdb_disconnect(&con);
    duckdb_close(&db);
    return rc;
}
