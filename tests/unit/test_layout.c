/*
 * test_layout.c - unit tests of the store layout: key builders and name validators.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "store/layout.h"

#define EQ_FREE(expr, want)                                                                        \
    do {                                                                                           \
        char *got_ = (expr);                                                                       \
        assert_string_equal(got_, want);                                                           \
        free(got_);                                                                                \
    } while (0)

static void keys(void **state)
{
    (void)state;
    EQ_FREE(df_key_runs("tpch"), "tpch/runs/");
    EQ_FREE(df_key_run("tpch", "R"), "tpch/runs/R");
    EQ_FREE(df_key_run_json("tpch", "R"), "tpch/runs/R/run.json");
    EQ_FREE(df_key_step("tpch", "R", "gen"), "tpch/runs/R/gen");
    EQ_FREE(df_key_items("tpch", "R", "gen"), "tpch/runs/R/gen/_items.json");
    EQ_FREE(df_key_task("tpch", "R", "gen", "00003"), "tpch/runs/R/gen/00003");
    EQ_FREE(df_key_manifest("tpch", "R", "gen", "00003"), "tpch/runs/R/gen/00003/_manifest.json");
    EQ_FREE(df_key_attempt("tpch", "R", "gen", "00003", "2-9c1e"), "tpch/runs/R/gen/00003/2-9c1e");
}

static void pipeline_names(void **state)
{
    (void)state;
    assert_true(df_valid_pipeline_name("tpch-summary_2"));
    assert_false(df_valid_pipeline_name(""));
    assert_false(df_valid_pipeline_name(NULL));
    assert_false(df_valid_pipeline_name("Tpch"));
    assert_false(df_valid_pipeline_name("a/b"));
    assert_false(df_valid_pipeline_name("a b"));
    assert_false(df_valid_pipeline_name(".."));
}

static void idents(void **state)
{
    (void)state;
    assert_true(df_valid_ident("orders"));
    assert_true(df_valid_ident("_x9"));
    assert_true(df_valid_ident("Orders_Summary"));
    assert_false(df_valid_ident("9x"));
    assert_false(df_valid_ident("a-b"));
    assert_false(df_valid_ident(""));
    assert_false(df_valid_ident(NULL));
    assert_false(df_valid_ident("a.b"));
    assert_false(df_valid_ident("a\"b"));
}

static void run_ids(void **state)
{
    (void)state;
    assert_true(df_valid_run_id("20261126T033000Z-4f2a"));
    assert_true(df_valid_run_id("wf-abc.1_x"));
    assert_false(df_valid_run_id("."));
    assert_false(df_valid_run_id(".."));
    assert_false(df_valid_run_id(""));
    assert_false(df_valid_run_id(NULL));
    assert_false(df_valid_run_id("a/b"));
    assert_false(df_valid_run_id("a b"));
}

/* df_key_split_run: what every reader of a listing takes a run's keys apart with. */
static void split_run(void **state)
{
    const char *run = NULL, *rest = NULL;
    size_t pn = 0, rn = 0;
    (void)state;
    assert_int_equal(df_key_split_run("tpch/runs/r1/merge/0/_manifest.json", &pn, &run, &rn, &rest),
                     1);
    assert_int_equal(pn, 4);
    assert_int_equal(rn, 2);
    assert_memory_equal(run, "r1", 2);
    assert_string_equal(rest, "merge/0/_manifest.json");
    assert_int_equal(df_key_split_run("p/runs/r/", &pn, &run, &rn, &rest), 1);
    assert_string_equal(rest, "");
    /* not in a run: no runs/ folder, runs/ deeper down, no run name, no slash after it */
    assert_int_equal(df_key_split_run("p/published.json", &pn, &run, &rn, &rest), 0);
    assert_int_equal(df_key_split_run("p/x/runs/r/run.json", &pn, &run, &rn, &rest), 0);
    assert_int_equal(df_key_split_run("p/runs//run.json", &pn, &run, &rn, &rest), 0);
    assert_int_equal(df_key_split_run("p/runs/r", &pn, &run, &rn, &rest), 0);
    assert_int_equal(df_key_split_run("/runs/r/run.json", &pn, &run, &rn, &rest), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keys),    cmocka_unit_test(pipeline_names), cmocka_unit_test(idents),
        cmocka_unit_test(run_ids), cmocka_unit_test(split_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
