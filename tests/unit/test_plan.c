/*
 * test_plan.c - unit tests of src/dag: item keys, which steps are static, the items of
 * every static kind (and of `each` chains over them), task counts, and the stored item
 * list of a dynamic step being read back from <run>/<step>/_items.json in a local store.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dag/plan.h"
#include "engine/items.h"
#include "spec/spec.h"
#include "store/layout.h"
#include "store/store.h"
#include "util/fs.h"
#include "util/strbuf.h"

static const char *pipeline_yaml = "name: plantest\n"
                                   "params:\n"
                                   "  n: 4\n"
                                   "  regions: [eu, us, ap]\n"
                                   "steps:\n"
                                   "  one:\n"
                                   "    sql: SELECT 1\n"
                                   "    outputs: [t]\n"
                                   "  ranged:\n"
                                   "    foreach: {range: n}\n"
                                   "    sql: SELECT 1\n"
                                   "    outputs: [t]\n"
                                   "  valued:\n"
                                   "    foreach: {values: regions}\n"
                                   "    sql: SELECT 1\n"
                                   "  literal:\n"
                                   "    foreach: {values: [1, b, {c: 2}]}\n"
                                   "    sql: SELECT 1\n"
                                   "  mapped:\n"
                                   "    foreach: {each: ranged}\n"
                                   "    sql: SELECT 1\n"
                                   "    outputs: [u]\n"
                                   "  mapped2:\n"
                                   "    foreach: {each: mapped}\n"
                                   "    sql: SELECT 1\n"
                                   "  empty:\n"
                                   "    foreach: {range: 0}\n"
                                   "    sql: SELECT 1\n"
                                   "  per_file:\n"
                                   "    foreach: {files: ranged.t, per_task: 2}\n"
                                   "    sql: SELECT 1\n"
                                   "  per_file_each:\n"
                                   "    foreach: {each: per_file}\n"
                                   "    sql: SELECT 1\n"
                                   "  per_row:\n"
                                   "    inputs: {o: one.t}\n"
                                   "    foreach: {rows: SELECT 1 FROM o}\n"
                                   "    sql: SELECT 1\n";

struct fixture {
    char *dir;
    struct df_pipeline *p;
};

static int setup(void **state)
{
    struct df_error err = DF_ERROR_INIT;
    struct fixture *f = xcalloc(1, sizeof(*f));
    char *path;

    f->dir = fs_mkdtemp(NULL, "test-plan", &err);
    assert_non_null(f->dir);
    path = fs_join(f->dir, "pipeline.yaml");
    assert_int_equal(fs_write_atomic(path, pipeline_yaml, strlen(pipeline_yaml), &err), 0);
    if (df_pipeline_load(path, NULL, 0, &f->p, &err) != 0)
        fail_msg("%s", err.msg);
    free(path);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    struct df_error err = DF_ERROR_INIT;

    df_pipeline_free(f->p);
    fs_remove_tree(f->dir, &err);
    free(f->dir);
    free(f);
    return 0;
}

static size_t idx(const struct df_pipeline *p, const char *name)
{
    int i = df_pipeline_step_index(p, name);
    assert_true(i >= 0);
    return (size_t)i;
}

/* The items of a static step, as compact JSON text. */
static char *items_text(const struct df_pipeline *p, const char *step)
{
    struct df_error err = DF_ERROR_INIT;
    json_t *items = NULL;
    char *text;

    if (df_plan_items(p, idx(p, step), NULL, &items, &err) != 0)
        fail_msg("%s", err.msg);
    text = json_dumps(items, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(items);
    return text;
}

static void item_keys_sort_in_order(void **state)
{
    char a[DF_ITEM_KEY_MAX], b[DF_ITEM_KEY_MAX];
    (void)state;
    df_item_key(0, a);
    assert_string_equal(a, "00000");
    df_item_key(3, a);
    assert_string_equal(a, "00003");
    df_item_key(99999, a);
    df_item_key(100000, b);
    assert_string_equal(b, "100000");
    assert_true(strcmp("00009", "00010") < 0);
}

static void static_and_dynamic_kinds(void **state)
{
    struct fixture *f = *state;
    const struct df_pipeline *p = f->p;

    assert_int_equal(df_plan_is_static(p, idx(p, "one")), 1);
    assert_int_equal(df_plan_is_static(p, idx(p, "ranged")), 1);
    assert_int_equal(df_plan_is_static(p, idx(p, "valued")), 1);
    assert_int_equal(df_plan_is_static(p, idx(p, "mapped2")), 1);
    assert_int_equal(df_plan_is_static(p, idx(p, "per_file")), 0);
    assert_int_equal(df_plan_is_static(p, idx(p, "per_file_each")), 0);
    assert_int_equal(df_plan_is_static(p, idx(p, "per_row")), 0);
    assert_int_equal(df_plan_task_count(p, idx(p, "one")), 1);
    assert_int_equal(df_plan_task_count(p, idx(p, "ranged")), 4);
    assert_int_equal(df_plan_task_count(p, idx(p, "valued")), 3);
    assert_int_equal(df_plan_task_count(p, idx(p, "mapped2")), 4);
    assert_int_equal(df_plan_task_count(p, idx(p, "empty")), 0);
    assert_int_equal(df_plan_task_count(p, idx(p, "per_file")), -1);
}

static void items_of_static_kinds(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *step, *want;
    } cases[] = {
        {"one", "[null]"},
        {"ranged", "[0,1,2,3]"},
        {"valued", "[\"eu\",\"us\",\"ap\"]"},
        {"literal", "[1,\"b\",{\"c\":2}]"},
        {"mapped", "[0,1,2,3]"},
        {"mapped2", "[0,1,2,3]"},
        {"empty", "[]"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *text = items_text(f->p, cases[i].step);
        assert_string_equal(text, cases[i].want);
        free(text);
    }
}

static void range_follows_param_override(void **state)
{
    struct fixture *f = *state;
    struct df_error err = DF_ERROR_INIT;
    struct df_param_override o = {"n", "2"};
    struct df_pipeline *p = NULL;
    char *path = fs_join(f->dir, "pipeline.yaml"), *text;

    assert_int_equal(df_pipeline_load(path, &o, 1, &p, &err), 0);
    text = items_text(p, "mapped");
    assert_string_equal(text, "[0,1]");
    free(text);
    df_pipeline_free(p);
    free(path);
}

static void dynamic_items_need_a_run(void **state)
{
    struct fixture *f = *state;
    struct df_error err = DF_ERROR_INIT;
    json_t *items = NULL;

    assert_int_equal(df_plan_items(f->p, idx(f->p, "per_file"), NULL, &items, &err), -1);
    assert_null(items);
    assert_int_equal(err.code, DF_EUSAGE);
    assert_non_null(strstr(err.msg, "per_file"));
    df_error_clear(&err);
    assert_int_equal(df_plan_items(f->p, 999, NULL, &items, &err), -1);
}

static void dynamic_items_come_from_the_store(void **state)
{
    struct fixture *f = *state;
    struct df_error err = DF_ERROR_INIT;
    struct df_store *store = NULL;
    char *root = fs_join(f->dir, "store");
    char *key = df_key_items("plantest", "r1", "per_file");
    const char *stored = "[{\"files\":[\"a\",\"b\"]},{\"files\":[\"c\"]}]";
    json_t *items = NULL;
    char *text;

    if (df_store_open(root, &store, &err) != 0)
        fail_msg("%s", err.msg);
    if (df_store_put_bytes(store, key, stored, strlen(stored), &err) != 0)
        fail_msg("%s", err.msg);
    /* Both the step and an `each` over it see the stored list. */
    assert_int_equal(df_step_items(f->p, idx(f->p, "per_file"), store, "r1", &items, &err), 0);
    text = json_dumps(items, JSON_COMPACT);
    assert_string_equal(text, stored);
    free(text);
    json_decref(items);
    items = NULL;
    assert_int_equal(df_step_items(f->p, idx(f->p, "per_file_each"), store, "r1", &items, &err), 0);
    assert_int_equal(json_array_size(items), 2);
    json_decref(items);
    items = NULL;

    /* A stored file that is not a list is an error, not a silent empty fan-out. */
    assert_int_equal(df_store_put_bytes(store, key, "{}", 2, &err), 0);
    assert_int_equal(df_step_items(f->p, idx(f->p, "per_file"), store, "r1", &items, &err), -1);
    assert_null(items);
    assert_non_null(strstr(err.msg, "not a json list"));

    df_store_free(store);
    free(key);
    free(root);
}

static void descriptions(void **state)
{
    struct fixture *f = *state;
    const struct df_pipeline *p = f->p;
    char *s;

    s = df_plan_describe(p, idx(p, "ranged"));
    assert_string_equal(s, "range 4 (param n)");
    free(s);
    s = df_plan_describe(p, idx(p, "one"));
    assert_string_equal(s, "one task");
    free(s);
    s = df_plan_describe(p, idx(p, "per_file"));
    assert_string_equal(s, "files ranged.t, 2 per task");
    free(s);
    assert_null(df_plan_known_when(p, idx(p, "ranged")));
    s = df_plan_known_when(p, idx(p, "per_file_each"));
    assert_string_equal(s, "ranged.t exists");
    free(s);
    s = df_plan_known_when(p, idx(p, "per_row"));
    assert_string_equal(s, "one.t exists");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(item_keys_sort_in_order),
        cmocka_unit_test_setup_teardown(static_and_dynamic_kinds, setup, teardown),
        cmocka_unit_test_setup_teardown(items_of_static_kinds, setup, teardown),
        cmocka_unit_test_setup_teardown(range_follows_param_override, setup, teardown),
        cmocka_unit_test_setup_teardown(dynamic_items_need_a_run, setup, teardown),
        cmocka_unit_test_setup_teardown(dynamic_items_come_from_the_store, setup, teardown),
        cmocka_unit_test_setup_teardown(descriptions, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
