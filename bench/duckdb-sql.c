/*
 * duckdb-sql.c - a tiny stand-alone driver that runs SQL in ONE embedded DuckDB: the
 * single-process baseline of the benchmarks (bench/tpch.sh, bench/assets-diff.sh), the bare
 * "open DuckDB and SELECT 1" process of bench/overhead.sh, and a handy way to try example
 * SQL without a pipeline. Built by the bench scripts against deps/duckdb (not part of the
 * duckflow build):
 *
 *   cc -O2 -o duckdb-sql bench/duckdb-sql.c -Ideps/duckdb/include -Ldeps/duckdb/lib \
 *      -lduckdb -Wl,-rpath,deps/duckdb/lib
 *
 *   duckdb-sql [-m MEMORY_LIMIT] [-t THREADS] [-T TEMP_DIR] [-v name=value]... [-p]
 *              (-c SQL | FILE)...
 *
 * -v sets a DuckDB variable (getvariable('name')): integers become BIGINT, the rest VARCHAR.
 * -p prints the rows of each file's last statement, tab-separated, to stdout.
 * Exit status 0, or 1 with DuckDB's message on stderr.
 */
#include <duckdb.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what, const char *msg)
{
    fprintf(stderr, "duckdb-sql: %s: %s\n", what, msg ? msg : "unknown error");
    return 1;
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0, n;
    if (!f)
        return NULL;
    do {
        if (cap - len < 65536) {
            cap = cap ? cap * 2 : 65536;
            buf = realloc(buf, cap + 1);
            if (!buf)
                abort();
        }
        n = fread(buf + len, 1, cap - len, f);
        len += n;
    } while (n > 0);
    fclose(f);
    buf[len] = '\0';
    return buf;
}

static int set_variable(duckdb_connection con, const char *assign)
{
    const char *eq = strchr(assign, '=');
    char *name, *end, sql[512];
    duckdb_prepared_statement ps = NULL;
    duckdb_result res;
    duckdb_value v;
    long long iv;
    int rc = 0;

    if (!eq || eq == assign || (size_t)(eq - assign) > 200)
        return fail(assign, "expected name=value");
    name = strndup(assign, (size_t)(eq - assign));
    snprintf(sql, sizeof(sql), "SET VARIABLE \"%s\" = $1", name);
    free(name);
    errno = 0;
    iv = strtoll(eq + 1, &end, 10);
    if (eq[1] && !*end && !errno)
        v = duckdb_create_int64(iv);
    else
        v = duckdb_create_varchar(eq + 1);
    if (duckdb_prepare(con, sql, &ps) != DuckDBSuccess) {
        rc = fail(assign, duckdb_prepare_error(ps));
    } else if (duckdb_bind_value(ps, 1, v) != DuckDBSuccess) {
        rc = fail(assign, "cannot bind value");
    } else {
        if (duckdb_execute_prepared(ps, &res) != DuckDBSuccess)
            rc = fail(assign, duckdb_result_error(&res));
        duckdb_destroy_result(&res);
    }
    duckdb_destroy_value(&v);
    duckdb_destroy_prepare(&ps);
    return rc;
}

static void print_result(duckdb_result *res)
{
    idx_t cols = duckdb_column_count(res), rows = duckdb_row_count(res);
    for (idx_t c = 0; c < cols; c++)
        printf("%s%s", c ? "\t" : "", duckdb_column_name(res, c));
    printf("\n");
    for (idx_t r = 0; r < rows; r++) {
        for (idx_t c = 0; c < cols; c++) {
            char *s = duckdb_value_is_null(res, c, r) ? NULL : duckdb_value_varchar(res, c, r);
            printf("%s%s", c ? "\t" : "", s ? s : "NULL");
            duckdb_free(s);
        }
        printf("\n");
    }
}

/* Runs every statement of sql; prints the last one's rows when print is set. */
static int run_sql(duckdb_connection con, const char *what, const char *sql, int print)
{
    duckdb_extracted_statements stmts = NULL;
    idx_t n = duckdb_extract_statements(con, sql, &stmts);
    int rc = 0;

    if (n == 0) {
        rc = fail(what, duckdb_extract_statements_error(stmts));
        duckdb_destroy_extracted(&stmts);
        return rc;
    }
    for (idx_t i = 0; i < n && !rc; i++) {
        duckdb_prepared_statement ps = NULL;
        duckdb_result res;
        if (duckdb_prepare_extracted_statement(con, stmts, i, &ps) != DuckDBSuccess) {
            rc = fail(what, duckdb_prepare_error(ps));
        } else {
            if (duckdb_execute_prepared(ps, &res) != DuckDBSuccess)
                rc = fail(what, duckdb_result_error(&res));
            else if (print && i == n - 1)
                print_result(&res);
            duckdb_destroy_result(&res);
        }
        duckdb_destroy_prepare(&ps);
    }
    duckdb_destroy_extracted(&stmts);
    return rc;
}

static int set_option(duckdb_config cfg, const char *name, const char *value)
{
    if (duckdb_set_config(cfg, name, value) != DuckDBSuccess)
        return fail(name, "bad value");
    return 0;
}

int main(int argc, char **argv)
{
    duckdb_database db = NULL;
    duckdb_connection con = NULL;
    duckdb_config cfg = NULL;
    char *open_err = NULL;
    int rc = 0, print = 0, i;

    if (argc < 2 || !strcmp(argv[1], "--help")) {
        fprintf(argc < 2 ? stderr : stdout,
                "usage: duckdb-sql [-m MEMORY_LIMIT] [-t THREADS] [-T TEMP_DIR] "
                "[-v name=value]... [-p] (-c SQL | FILE)...\n");
        return argc < 2 ? 2 : 0;
    }
    if (duckdb_create_config(&cfg) != DuckDBSuccess)
        return fail("config", "cannot create");
    for (i = 1; i < argc - 1 && argv[i][0] == '-' && strcmp(argv[i], "-c"); i++) {
        if (!strcmp(argv[i], "-p")) {
            print = 1;
            continue;
        }
        if (!strcmp(argv[i], "-m"))
            rc = set_option(cfg, "memory_limit", argv[++i]);
        else if (!strcmp(argv[i], "-t"))
            rc = set_option(cfg, "threads", argv[++i]);
        else if (!strcmp(argv[i], "-T"))
            rc = set_option(cfg, "temp_directory", argv[++i]);
        else if (!strcmp(argv[i], "-v"))
            i++; /* after the database is open */
        else
            rc = fail(argv[i], "unknown option");
        if (rc)
            goto out;
    }
    if (duckdb_open_ext(NULL, &db, cfg, &open_err) != DuckDBSuccess) {
        rc = fail("open", open_err);
        goto out;
    }
    if (duckdb_connect(db, &con) != DuckDBSuccess) {
        rc = fail("connect", "cannot connect");
        goto out;
    }
    for (i = 1; i < argc && !rc; i++) {
        if (!strcmp(argv[i], "-v") && i + 1 < argc) {
            rc = set_variable(con, argv[++i]);
        } else if (!strcmp(argv[i], "-m") || !strcmp(argv[i], "-t") || !strcmp(argv[i], "-T")) {
            i++;
        } else if (!strcmp(argv[i], "-p")) {
            continue;
        } else if (!strcmp(argv[i], "-c") && i + 1 < argc) {
            rc = run_sql(con, "-c", argv[i + 1], print);
            i++;
        } else {
            char *sql = read_all(argv[i]);
            if (!sql) {
                rc = fail(argv[i], strerror(errno));
                break;
            }
            rc = run_sql(con, argv[i], sql, print);
            free(sql);
        }
    }
out:
    duckdb_free(open_err);
    duckdb_disconnect(&con);
    duckdb_close(&db);
    duckdb_destroy_config(&cfg);
    if (fflush(stdout) != 0)
        rc = 1;
    return rc;
}
