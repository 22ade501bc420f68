/*
 * test_engine.c - unit tests of src/engine/duck.c: statement splitting and line numbers,
 * scripts with file:line errors, JSON values bound as variables (every JSON type), small
 * results as JSON, and the classing of DuckDB failures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "engine/duck.h"
#include "engine/task_internal.h"

static void split_counts_and_lines(void **state)
{
    const char *sql = "-- leading comment\n"
                      "CREATE TABLE t AS SELECT 1 AS a;\n"
                      "\n"
                      "/* block ; with /* nested */ semicolon ; */\n"
                      "INSERT INTO t VALUES (2);  SELECT 'a;b', \"c;d\", E'x\\';y'\n"
                      "  FROM t;\n"
                      "SELECT $$ ; $$, $tag$ ;\n ; $tag$;\n"
                      "  ;  -- only a comment here\n"
                      "SELECT 3";
    struct df_sql_piece *p = NULL;
    size_t n = 0;
    (void)state;
    df_sql_split(sql, &p, &n);
    assert_int_equal(n, 5);
    assert_int_equal(p[0].line, 1);
    assert_memory_equal(sql + p[0].offset, "CREATE TABLE", 12);
    assert_int_equal(p[1].line, 4);
    assert_memory_equal(sql + p[1].offset, "INSERT", 6);
    assert_int_equal(p[2].line, 4);
    assert_memory_equal(sql + p[2].offset, "SELECT 'a;b'", 12);
    assert_memory_equal(sql + p[2].offset + p[2].len - 6, "FROM t", 6);
    assert_int_equal(p[3].line, 6);
    assert_int_equal(p[4].line, 9);
    assert_string_equal(sql + p[4].offset, "SELECT 3");
    free(p);
}

static void split_empty_and_comments_only(void **state)
{
    struct df_sql_piece *p = NULL;
    size_t n = 7;
    (void)state;
    df_sql_split("", &p, &n);
    assert_int_equal(n, 0);
    free(p);
    df_sql_split("  -- nothing\n /* at all */ ;;\n", &p, &n);
    assert_int_equal(n, 0);
    free(p);
    /* An unterminated string runs to the end: one piece, no crash. */
    df_sql_split("SELECT 'abc; ", &p, &n);
    assert_int_equal(n, 1);
    free(p);
}

static int open_db(void **state)
{
    struct df_duck *d = calloc(1, sizeof(*d));
    struct df_duck_config cfg = DF_DUCK_CONFIG_INIT;
    struct df_error err = DF_ERROR_INIT;
    cfg.threads = 1;
    cfg.memory_limit = 256ull << 20;
    cfg.no_spill = 1;
    if (df_duck_open(d, &cfg, &err) != 0) {
        free(d);
        return -1;
    }
    *state = d;
    return 0;
}

static int close_db(void **state)
{
    df_duck_close(*state);
    df_duck_close(*state); /* twice is harmless */
    free(*state);
    return 0;
}

/* The first row of sql as compact JSON text (caller frees). */
static char *first_row(struct df_duck *d, const char *sql)
{
    struct df_error err = DF_ERROR_INIT;
    json_t *rows = NULL;
    char *text;
    if (df_duck_query_json(d, sql, 1, &rows, &err) != 0)
        fail_msg("query failed: %s", err.msg);
    assert_int_equal(json_array_size(rows), 1);
    text = json_dumps(json_array_get(rows, 0), JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(rows);
    return text;
}

static void set_and_check(struct df_duck *d, const char *json, const char *want_type,
                          const char *want_value)
{
    struct df_error err = DF_ERROR_INIT;
    json_error_t jerr;
    json_t *v = json_loads(json, JSON_DECODE_ANY, &jerr);
    char *row;
    char want[1024];

    assert_non_null(v);
    if (df_duck_set_variable(d, "v", v, &err) != 0)
        fail_msg("set_variable(%s): %s", json, err.msg);
    json_decref(v);
    row = first_row(d, "SELECT typeof(getvariable('v')) AS t, "
                       "CAST(getvariable('v') AS VARCHAR) AS s;");
    snprintf(want, sizeof(want), "{\"t\":\"%s\",\"s\":%s}", want_type, want_value);
    assert_string_equal(row, want);
    free(row);
}

static void variables_of_every_json_type(void **state)
{
    struct df_duck *d = *state;
    set_and_check(d, "42", "BIGINT", "\"42\"");
    set_and_check(d, "-9007199254740993", "BIGINT", "\"-9007199254740993\"");
    set_and_check(d, "2.5", "DOUBLE", "\"2.5\"");
    set_and_check(d, "\"it's; DROP TABLE x\"", "VARCHAR", "\"it's; DROP TABLE x\"");
    set_and_check(d, "true", "BOOLEAN", "\"true\"");
    set_and_check(d, "false", "BOOLEAN", "\"false\"");
    set_and_check(d, "null", "INTEGER", "null"); /* DuckDB types a bare NULL */
    set_and_check(d, "[1, 2, 3]", "BIGINT[]", "\"[1, 2, 3]\"");
    set_and_check(d, "[1, 2.5, null]", "DOUBLE[]", "\"[1.0, 2.5, NULL]\"");
    set_and_check(d, "[]", "VARCHAR[]", "\"[]\"");
    set_and_check(d, "{\"files\": [\"a.parquet\"], \"partition\": {\"k\": \"v\"}}",
                  "STRUCT(files VARCHAR[], \\\"partition\\\" STRUCT(k VARCHAR))",
                  "\"{'files': [a.parquet], 'partition': {'k': v}}\"");
    set_and_check(d, "[{\"a\": 1}, {\"b\": \"x\"}]", "STRUCT(a BIGINT, b VARCHAR)[]",
                  "\"[{'a': 1, 'b': NULL}, {'a': NULL, 'b': x}]\"");
    /* No common type: the JSON text. */
    set_and_check(d, "[1, \"a\"]", "VARCHAR", "\"[1,\\\"a\\\"]\"");
    set_and_check(d, "{}", "VARCHAR", "\"{}\"");
}

static void variable_fields_are_reachable(void **state)
{
    struct df_duck *d = *state;
    struct df_error err = DF_ERROR_INIT;
    json_t *v = json_pack("{s:[s,s],s:i}", "files", "x.parquet", "y.parquet", "n", 7);
    char *row;
    assert_int_equal(df_duck_set_variable(d, "item", v, &err), 0);
    json_decref(v);
    row = first_row(d, "SELECT len(getvariable('item').files) AS n_files, "
                       "getvariable('item').n + 1 AS n");
    assert_string_equal(row, "{\"n_files\":2,\"n\":8}");
    free(row);
}

static void script_runs_in_order(void **state)
{
    struct df_duck *d = *state;
    struct df_error err = DF_ERROR_INIT;
    char *row;
    assert_int_equal(df_duck_run_script(d,
                                        "CREATE OR REPLACE TABLE s AS SELECT 1 AS a;\n"
                                        "INSERT INTO s SELECT a + 1 FROM s;\n"
                                        "-- trailing comment only\n",
                                        "x.sql", 1, &err),
                     0);
    row = first_row(d, "SELECT sum(a) AS total FROM s");
    assert_string_equal(row, "{\"total\":3}");
    free(row);
}

static void script_error_names_file_and_line(void **state)
{
    struct df_duck *d = *state;
    struct df_error err = DF_ERROR_INIT;
    const char *sql = "CREATE OR REPLACE TABLE u AS SELECT 1 AS a;\n"
                      "\n"
                      "SELECT *\n"
                      "  FROM no_such_table;\n";
    assert_int_equal(df_duck_run_script(d, sql, "sql/step.sql", 10, &err), -1);
    assert_int_equal(err.code, DF_EFAIL);
    /* Where DuckDB's caret points, with its context and caret kept. */
    assert_true(strncmp(err.msg, "sql/step.sql:13:8: ", 19) == 0);
    assert_non_null(strstr(err.msg, "no_such_table"));
    assert_non_null(strstr(err.msg, "\nLINE 2:   FROM no_such_table\n"));
    assert_int_equal(d->last_class, DF_CLASS_SQL_ERROR);
    /* The first statement ran before the failure. */
    df_error_clear(&err);
    assert_int_equal(df_duck_exec(d, "SELECT * FROM u", &err), 0);
}

static void script_parse_error_names_line(void **state)
{
    struct df_duck *d = *state;
    struct df_error err = DF_ERROR_INIT;
    const char *sql = "SELECT 1;\nSELECT 2;\n\nSELEC oops 3;\nSELECT 4;\n";
    assert_int_equal(df_duck_run_script(d, sql, "p.yaml", 5, &err), -1);
    assert_true(strncmp(err.msg, "p.yaml:8:1: ", 12) == 0);
    assert_non_null(strstr(err.msg, "syntax error"));
}

static void query_json_with_trailing_semicolon_and_comment(void **state)
{
    struct df_duck *d = *state;
    struct df_error err = DF_ERROR_INIT;
    json_t *rows = NULL;
    assert_int_equal(df_duck_query_json(d, "SELECT range AS i FROM range(3000) -- all of them\n;",
                                        0, &rows, &err),
                     0);
    assert_int_equal(json_array_size(rows), 3000);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(rows, 2999), "i")), 2999);
    json_decref(rows);
    assert_int_equal(df_duck_query_json(d, "SELECT * FROM nowhere", 0, &rows, &err), -1);
    assert_null(rows);
    assert_non_null(strstr(err.msg, "nowhere"));
}

static void out_of_memory_is_classed(void **state)
{
    struct df_duck d = DF_DUCK_INIT;
    struct df_duck_config cfg = DF_DUCK_CONFIG_INIT;
    struct df_error err = DF_ERROR_INIT;
    (void)state;
    cfg.threads = 1;
    cfg.memory_limit = 32ull << 20;
    cfg.no_spill = 1;
    assert_int_equal(df_duck_open(&d, &cfg, &err), 0);
    assert_int_equal(df_duck_exec(&d,
                                  "CREATE TABLE big AS SELECT range AS i, repeat('x', 100) AS s "
                                  "FROM range(2000000)",
                                  &err),
                     -1);
    assert_int_equal(d.last_class, DF_CLASS_OOM);
    assert_null(strchr(err.msg, '\n'));
    assert_non_null(strstr(err.msg, "Out of Memory Error"));
    df_duck_close(&d);
}

static void classify_messages(void **state)
{
    (void)state;
    assert_int_equal(df_duck_classify(DUCKDB_ERROR_OUT_OF_MEMORY,
                                      "Out of Memory Error: could not allocate block"),
                     DF_CLASS_OOM);
    assert_int_equal(df_duck_classify(DUCKDB_ERROR_INVALID,
                                      "Out of Memory Error: failed to allocate data of size 1"),
                     DF_CLASS_OOM);
    assert_int_equal(
        df_duck_classify(DUCKDB_ERROR_OUT_OF_MEMORY,
                         "Out of Memory Error: failed to offload data block of size 256.0 KiB "
                         "(1.0 GiB/1.0 GiB used). This limit was set by the "
                         "'max_temp_directory_size' setting."),
        DF_CLASS_SPILL_FULL);
    assert_int_equal(df_duck_classify(DUCKDB_ERROR_IO,
                                      "IO Error: Could not write file \"/s/.tmp/x.block\": No "
                                      "space left on device"),
                     DF_CLASS_SPILL_FULL);
    assert_int_equal(df_duck_classify(DUCKDB_ERROR_BINDER, "Binder Error: no column"),
                     DF_CLASS_SQL_ERROR);
    assert_int_equal(df_duck_classify(DUCKDB_ERROR_INVALID, NULL), DF_CLASS_SQL_ERROR);
}

static void open_reports_bad_settings(void **state)
{
    struct df_duck d = DF_DUCK_INIT;
    struct df_duck_config cfg = DF_DUCK_CONFIG_INIT;
    struct df_error err = DF_ERROR_INIT;
    (void)state;
    cfg.temp_dir = "/nonexistent/dir/for/spill";
    cfg.max_temp_size = 1ull << 20;
    cfg.keep_order = 1;
    /* A spill folder that cannot exist is only an error once DuckDB spills; opening works. */
    assert_int_equal(df_duck_open(&d, &cfg, &err), 0);
    assert_int_equal(df_duck_exec(&d, "SELECT 1", &err), 0);
    df_duck_close(&d);
}

static void partition_values_from_paths(void **state)
{
    json_t *p;
    char *text;
    (void)state;
    assert_null(df_task_path_partition("part-00000.parquet"));
    assert_null(df_task_path_partition("a/b/part-00000.parquet"));
    p = df_task_path_partition("p/k=0/s=v%2F1/part-00000.parquet");
    text = json_dumps(p, JSON_COMPACT);
    assert_string_equal(text, "{\"k\":\"0\",\"s\":\"v/1\"}");
    free(text);
    json_decref(p);
    /* A bad escape stays as written; "=x" (no key) is not a partition folder. */
    p = df_task_path_partition("=x/r=%zz%4/part.parquet");
    text = json_dumps(p, JSON_COMPACT);
    assert_string_equal(text, "{\"r\":\"%zz%4\"}");
    free(text);
    json_decref(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(split_counts_and_lines),
        cmocka_unit_test(split_empty_and_comments_only),
        cmocka_unit_test_setup_teardown(variables_of_every_json_type, open_db, close_db),
        cmocka_unit_test_setup_teardown(variable_fields_are_reachable, open_db, close_db),
        cmocka_unit_test_setup_teardown(script_runs_in_order, open_db, close_db),
        cmocka_unit_test_setup_teardown(script_error_names_file_and_line, open_db, close_db),
        cmocka_unit_test_setup_teardown(script_parse_error_names_line, open_db, close_db),
        cmocka_unit_test_setup_teardown(query_json_with_trailing_semicolon_and_comment, open_db,
                                        close_db),
        cmocka_unit_test(out_of_memory_is_classed),
        cmocka_unit_test(classify_messages),
        cmocka_unit_test(open_reports_bad_settings),
        cmocka_unit_test(partition_values_from_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
