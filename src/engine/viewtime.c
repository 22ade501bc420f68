/*
 * viewtime.c - splits the COPY of a view output into computing and writing by DuckDB's
 * profile of that COPY (see viewtime.h).
 */
#include <string.h>

#include "engine/viewtime.h"
#include "util/banned.h"

static int run(duckdb_connection con, const char *sql)
{
    duckdb_result res;
    int ok = duckdb_query(con, sql, &res) == DuckDBSuccess;
    duckdb_destroy_result(&res);
    return ok;
}

/* A table description exists for a table only (of a view: "is not a table"). The output
 * is known to exist here, so no description means a view. Asking duckdb_views() instead
 * makes DuckDB create its default views first: 41 M instructions, about 10 ms of CPU per
 * task. */
int df_viewtime_is_view(duckdb_connection con, const char *name)
{
    duckdb_table_description d = NULL;
    int is_view = duckdb_table_description_create(con, NULL, name, &d) != DuckDBSuccess;
    duckdb_table_description_destroy(&d);
    return is_view;
}

int df_viewtime_begin(duckdb_connection con)
{
    return run(con, "PRAGMA enable_profiling = 'no_output'");
}

static double metric(duckdb_profiling_info n, const char *key)
{
    duckdb_value v = duckdb_profiling_info_get_value(n, key);
    double d = 0;
    if (v) {
        d = duckdb_get_double(v);
        duckdb_destroy_value(&v);
    }
    return d;
}

static int is_copy_operator(duckdb_profiling_info n)
{
    duckdb_value v = duckdb_profiling_info_get_value(n, "OPERATOR_TYPE");
    char *s = v ? duckdb_get_varchar(v) : NULL;
    int copy = s && strstr(s, "COPY_TO_FILE") != NULL;
    duckdb_free(s);
    if (v)
        duckdb_destroy_value(&v);
    return copy;
}

/* Sums operator time in the tree under n: all of it, and the COPY operators' own. */
static void sum_tree(duckdb_profiling_info n, double *all, double *copy)
{
    double t = metric(n, "OPERATOR_TIMING");
    idx_t i, k = duckdb_profiling_info_get_child_count(n);

    *all += t;
    if (is_copy_operator(n))
        *copy += t;
    for (i = 0; i < k; i++)
        sum_tree(duckdb_profiling_info_get_child(n, i), all, copy);
}

int64_t df_viewtime_end(duckdb_connection con, int64_t wall_ms)
{
    duckdb_profiling_info root = duckdb_get_profiling_info(con);
    double all = 0, copy = 0;
    int64_t part = 0;

    if (root)
        sum_tree(root, &all, &copy);
    if (all > 0 && copy <= all)
        part = (int64_t)((double)wall_ms * (all - copy) / all + 0.5);
    run(con, "PRAGMA disable_profiling");
    if (part < 0)
        part = 0;
    return part > wall_ms ? wall_ms : part;
}
