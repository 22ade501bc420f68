/*
 * test_present.c - unit tests of what a person reads: shortest round-trip floats
 * (util/jsonfmt), item labels (dag/label), SQL error positions (engine/sqlerr) and the
 * resume command of a failed run (exec/summary).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "dag/label.h"
#include "engine/sqlerr.h"
#include "exec/summary.h"
#include "util/jsonfmt.h"
#include "util/strbuf.h"

static void floats_are_shortest(void **state)
{
    char b[64];
    (void)state;
    assert_string_equal(df_format_double(0.3, 0, b, sizeof(b)), "0.3");
    assert_string_equal(df_format_double(0.1 + 0.2, 0, b, sizeof(b)), "0.30000000000000004");
    assert_string_equal(df_format_double(2.0, 0, b, sizeof(b)), "2");
    assert_string_equal(df_format_double(2.0, 1, b, sizeof(b)), "2.0");
    assert_string_equal(df_format_double(1e100, 1, b, sizeof(b)), "1e+100");
    assert_string_equal(df_format_double(-1.5e-7, 0, b, sizeof(b)), "-1.5e-07");
}

static void json_dumps_writes_shortest_reals(void **state)
{
    json_t *v = json_pack("{s:f, s:[f, i, s], s:{}, s:n}", "max_discount", 0.3, "l", 0.1, 3, "a\"b",
                          "e", "z");
    char *c = df_json_dumps(v, JSON_COMPACT);
    char *i = df_json_dumps(v, JSON_INDENT(2));
    char *j = json_dumps(v, JSON_INDENT(2));
    (void)state;
    assert_string_equal(c, "{\"max_discount\":0.3,\"l\":[0.1,3,\"a\\\"b\"],\"e\":{},\"z\":null}");
    /* The same layout as jansson's, only the digits differ. */
    assert_int_equal(strlen(i) + 2 * 16, strlen(j));
    free(c);
    free(i);
    free(j);
    json_decref(v);
}

static void labels_name_items(void **state)
{
    char b[DF_LABEL_MAX + 32];
    json_t *items = json_loads("[\"eu\", \"us\", \"apac\"]", 0, NULL);
    json_t *files = json_loads("{\"files\": [\"s/r/o/00001/1-ab/t/part-00000.parquet\"]}", 0, NULL);
    json_t *part =
        json_loads("{\"files\": [\"x\"], \"partition\": {\"day\": \"2026-01-02\"}}", 0, NULL);
    json_t *row = json_loads("{\"region\": \"eu\", \"n\": 2}", 0, NULL);
    json_t *dup = json_loads("[\"a\", \"b\", \"a\"]", 0, NULL);
    json_t *nested = json_loads("[[1, 2]]", 0, NULL);
    char **l;
    size_t n;
    (void)state;

    df_item_label(json_array_get(items, 2), 2, b, sizeof(b));
    assert_string_equal(b, "apac");
    json_t *seven = json_integer(7);
    df_item_label(seven, 7, b, sizeof(b));
    json_decref(seven);
    assert_string_equal(b, "7");
    df_item_label(files, 1, b, sizeof(b));
    assert_string_equal(b, "part-00000.parquet");
    df_item_label(part, 0, b, sizeof(b));
    assert_string_equal(b, "2026-01-02");
    df_item_label(row, 0, b, sizeof(b));
    assert_string_equal(b, "eu,2");
    df_item_label(json_array_get(nested, 0), 0, b, sizeof(b));
    assert_string_equal(b, "0");
    df_item_label(NULL, 0, b, sizeof(b));
    assert_string_equal(b, "");

    l = df_item_labels(dup, &n);
    assert_int_equal(n, 3);
    assert_string_equal(l[2], "2"); /* not unique: indices */
    df_item_labels_free(l, n);

    assert_int_equal(df_item_find(items, "apac"), 2);
    assert_int_equal(df_item_find(items, "1"), 1);
    assert_int_equal(df_item_find(items, "mars"), -1);
    assert_int_equal(df_item_find(items, "9"), -1);
    json_decref(items);
    json_decref(files);
    json_decref(part);
    json_decref(row);
    json_decref(dup);
    json_decref(nested);
}

static void sql_errors_point_at_duckdbs_caret(void **state)
{
    struct strbuf sb = STRBUF_INIT;
    const char *sql = "CREATE TABLE a AS SELECT 1 AS x;\n"
                      "CREATE TABLE b AS\n"
                      "  SELECT x,\n"
                      "    nope\n"
                      "  FROM a;\n";
    struct df_sql_where w = {"sql/b.sql", sql, 33, 1, 10, 1};
    (void)state;

    df_sql_error_format(&sb,
                        "Binder Error: Referenced column \"nope\" not found\n\n"
                        "LINE 3:     nope\n"
                        "            ^",
                        &w);
    assert_string_equal(sb.buf, "sql/b.sql:13:5: Binder Error: Referenced column \"nope\" not "
                                "found\n\nLINE 3:     nope\n            ^");
    /* No context: the statement's start; a block scalar's indentation moves columns. */
    sb_reset(&sb);
    w.first_col = 7;
    df_sql_error_format(&sb, "Invalid Input Error: boom\n", &w);
    assert_string_equal(sb.buf, "sql/b.sql:11:7: Invalid Input Error: boom");
    /* A long line is shown as a window: found in the source line. */
    {
        struct strbuf longsql = STRBUF_INIT;
        sb_adds(&longsql, "SELECT ");
        for (int i = 0; i < 30; i++)
            sb_addf(&longsql, "c%02d, ", i);
        sb_adds(&longsql, "bad_col FROM t");
        w.sql = longsql.buf;
        w.stmt_off = 0;
        w.first_col = 1;
        sb_reset(&sb);
        df_sql_error_format(&sb,
                            "Binder Error: x\n\nLINE 1: ...c28, c29, bad_col FROM t\n"
                            "                     ^",
                            &w);
        /* "bad_col" is at byte 7 + 30 * 5 = 157 of the line: column 158. */
        assert_true(strncmp(sb.buf, "sql/b.sql:10:158: ", 18) == 0);
        sb_release(&longsql);
    }
    sb_release(&sb);
}

static void resume_command_quotes_what_it_must(void **state)
{
    struct df_pipeline p;
    struct summary_input in;
    struct strbuf sb = STRBUF_INIT;
    const char *params[] = {"regions=[\"eu\"]", "n=3", "label=it's"};
    (void)state;
    memset(&p, 0, sizeof(p));
    memset(&in, 0, sizeof(in));
    p.path = "my dir/p.yaml";
    in.p = &p;
    in.run = "20261206T040000Z-abcd";
    in.store_uri = "s3://bucket/prefix";
    in.param_args = params;
    in.n_param_args = 3;
    summary_resume_command(&in, &sb);
    assert_string_equal(sb.buf, "duckflow run 'my dir/p.yaml' --resume 20261206T040000Z-abcd "
                                "--store s3://bucket/prefix --param 'regions=[\"eu\"]' --param "
                                "n=3 --param 'label=it'\\''s'");
    sb_release(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(floats_are_shortest),
        cmocka_unit_test(json_dumps_writes_shortest_reals),
        cmocka_unit_test(labels_name_items),
        cmocka_unit_test(sql_errors_point_at_duckdbs_caret),
        cmocka_unit_test(resume_command_quotes_what_it_must),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
