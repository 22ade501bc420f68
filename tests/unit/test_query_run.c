/*
 * test_query_run.c - unit tests of src/query run lookup, loading and SQL over a run: a
 * local store made in a temporary folder (run records and manifests written here, one
 * Parquet file written through DuckDB), then df_run_resolve / df_run_load /
 * df_query_attach / df_query_run with results captured in memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/duck.h"
#include "query/query.h"
#include "store/store.h"
#include "util/fs.h"
#include "util/strbuf.h"

struct fixture {
    char *root;
    struct df_store *store;
};

static void write_text(const char *root, const char *rel, const char *text)
{
    struct df_error err = DF_ERROR_INIT;
    char *path = xasprintf("%s/%s", root, rel);
    char *dir = xstrdup(path);
    *strrchr(dir, '/') = '\0';
    assert_int_equal(fs_mkdirs(dir, &err), 0);
    assert_int_equal(fs_write_atomic(path, text, strlen(text), &err), 0);
    free(dir);
    free(path);
}

static char *manifest(const char *run, const char *step, int index, const char *started,
                      const char *file)
{
    return xasprintf(
        "{\"format\":1,\"pipeline\":\"p\",\"run\":\"%s\",\"step\":\"%s\",\"item_index\":%d,"
        "\"item_key\":\"0000%d\",\"attempt\":1,\"attempt_dir\":\"1-abcd\",\"exit_class\":\"ok\","
        "\"started_at\":\"%s\",\"finished_at\":\"%s\",\"timings_ms\":{\"total\":5},"
        "\"peak_rss_bytes\":1000,\"tables\":{\"t\":{\"rows\":3,\"bytes\":10,"
        "\"schema\":[{\"name\":\"id\",\"type\":\"BIGINT\"}],\"files\":[%s]}}}",
        run, step, index, index, started, started, file);
}

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof(*f));
    struct df_error err = DF_ERROR_INIT;
    struct df_duck d = DF_DUCK_INIT;
    struct strbuf sql = STRBUF_INIT;
    char *m, *dir, *file, *rec;

    f->root = fs_mkdtemp(NULL, "test-query", &err);
    assert_non_null(f->root);
    write_text(f->root, "p/runs/r1/run.json",
               "{\"status\":\"succeeded\",\"started_at\":\"2026-01-01T10:00:00.000Z\"}");
    write_text(f->root, "p/runs/r2/run.json",
               "{\"status\":\"failed\",\"started_at\":\"2026-01-01T09:00:00.000Z\"}");
    /* r1: step gen with a 3-row file in item 0 and none in item 1 */
    dir = xasprintf("%s/p/runs/r1/gen/00000/1-abcd/t", f->root);
    assert_int_equal(fs_mkdirs(dir, &err), 0);
    assert_int_equal(df_duck_open(&d, NULL, &err), 0);
    file = xasprintf("%s/part-00000.parquet", dir);
    sb_adds(&sql, "COPY (SELECT range AS id FROM range(3)) TO ");
    sb_add_sql_string(&sql, file);
    sb_adds(&sql, " (FORMAT parquet)");
    if (df_duck_exec(&d, sql.buf, &err) != 0)
        fail_msg("%s", err.msg);
    df_duck_close(&d);
    /* Readers check a local file's size against its record: give the real one. */
    rec = xasprintf("{\"path\":\"1-abcd/t/part-00000.parquet\",\"rows\":3,\"bytes\":%lld}",
                    (long long)fs_file_size(file));
    m = manifest("r1", "gen", 0, "2026-01-01T10:00:01.000Z", rec);
    free(rec);
    write_text(f->root, "p/runs/r1/gen/00000/_manifest.json", m);
    free(m);
    m = manifest("r1", "gen", 1, "2026-01-01T10:00:02.000Z", "");
    write_text(f->root, "p/runs/r1/gen/00001/_manifest.json", m);
    free(m);
    m = manifest("r1", "early", 0, "2026-01-01T10:00:00.500Z", "");
    write_text(f->root, "p/runs/r1/early/00000/_manifest.json", m);
    free(m);
    assert_int_equal(df_store_open(f->root, &f->store, &err), 0);
    sb_release(&sql);
    free(file);
    free(dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    struct df_error err = DF_ERROR_INIT;
    df_store_free(f->store);
    fs_remove_tree(f->root, &err);
    free(f->root);
    free(f);
    return 0;
}

static void resolves_latest_and_named_runs(void **state)
{
    struct fixture *f = *state;
    struct df_error err = DF_ERROR_INIT;
    char *pl = NULL, *run = NULL;

    /* r1 started after r2 although r2 sorts later by id */
    assert_int_equal(df_run_resolve(f->store, NULL, NULL, &pl, &run, &err), 0);
    assert_string_equal(pl, "p");
    assert_string_equal(run, "r1");
    free(pl);
    free(run);
    assert_int_equal(df_run_resolve(f->store, "p", "r2", &pl, &run, &err), 0);
    assert_string_equal(run, "r2");
    free(pl);
    free(run);
    assert_int_equal(df_run_resolve(f->store, NULL, "r9", &pl, &run, &err), -1);
    assert_int_equal(err.code, DF_ENOTFOUND);
    assert_non_null(strstr(err.msg, "run 'r9' not found"));
    assert_null(pl);
    df_error_clear(&err);
    assert_int_equal(df_run_resolve(f->store, NULL, "../x", &pl, &run, &err), -1);
    assert_int_equal(err.code, DF_EUSAGE);
}

static void several_pipelines_need_a_name(void **state)
{
    struct fixture *f = *state;
    struct df_error err = DF_ERROR_INIT;
    char *pl = NULL, *run = NULL;

    write_text(f->root, "q/runs/x/run.json", "{\"started_at\":\"2026-01-02T00:00:00Z\"}");
    assert_int_equal(df_run_resolve(f->store, NULL, "latest", &pl, &run, &err), -1);
    assert_int_equal(err.code, DF_EUSAGE);
    assert_non_null(strstr(err.msg, "several pipelines"));
    df_error_clear(&err);
    assert_int_equal(df_run_resolve(f->store, "q", "latest", &pl, &run, &err), 0);
    assert_string_equal(run, "x");
    free(pl);
    free(run);
}

static void loads_steps_in_start_order(void **state)
{
    struct fixture *f = *state;
    struct df_error err = DF_ERROR_INIT;
    struct df_run_info *r = NULL;

    assert_int_equal(df_run_load(f->store, "p", "r1", &r, &err), 0);
    assert_int_equal(r->n_steps, 2);
    assert_string_equal(r->steps[0].name, "early");
    assert_string_equal(r->steps[1].name, "gen");
    assert_int_equal(json_array_size(r->steps[1].manifests), 2);
    assert_string_equal(json_string_value(json_object_get(r->run_json, "status")), "succeeded");
    df_run_info_free(r);
    df_run_info_free(NULL);
}

/* Runs sql over run r1 and returns what it printed (free()). */
static char *query(struct fixture *f, enum df_format format, const char *sql, int want_rc,
                   struct df_error *err)
{
    struct df_duck d = DF_DUCK_INIT;
    struct df_duck_config cfg = DF_DUCK_CONFIG_INIT;
    struct df_run_info *r = NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    struct df_query_out qo = {format, out, NULL, 0};

    cfg.keep_order = 1;
    assert_int_equal(df_run_load(f->store, "p", "r1", &r, err), 0);
    assert_int_equal(df_duck_open(&d, &cfg, err), 0);
    assert_int_equal(df_query_attach(&d, f->store, r, NULL, NULL, err), 0);
    assert_int_equal(df_query_run(&d, sql, &qo, err), want_rc);
    fclose(out);
    df_duck_close(&d);
    df_run_info_free(r);
    return buf;
}

static void views_and_records(void **state)
{
    struct df_error err = DF_ERROR_INIT;
    char *out;

    out = query(*state, DF_FORMAT_CSV, "SELECT count(*) AS n, sum(id) AS s FROM gen.t", 0, &err);
    assert_string_equal(out, "n,s\n3,3\n");
    free(out);
    out = query(*state, DF_FORMAT_CSV, "SELECT count(*) AS n FROM early.t", 0, &err);
    assert_string_equal(out, "n\n0\n");
    free(out);
    out = query(*state, DF_FORMAT_JSON,
                "SELECT step, item_index, rows, started_at FROM _run.tasks ORDER BY started_at", 0,
                &err);
    assert_string_equal(
        out,
        "{\"step\":\"early\",\"item_index\":0,\"rows\":3,\"started_at\":\"2026-01-01 "
        "10:00:00.5\"}\n"
        "{\"step\":\"gen\",\"item_index\":0,\"rows\":3,\"started_at\":\"2026-01-01 10:00:01\"}\n"
        "{\"step\":\"gen\",\"item_index\":1,\"rows\":3,\"started_at\":\"2026-01-01 10:00:02\"}\n");
    free(out);
}

static void statements_and_errors(void **state)
{
    struct df_error err = DF_ERROR_INIT;
    char *out;

    out = query(*state, DF_FORMAT_TABLE,
                "CREATE TABLE x AS SELECT 2 AS v; SELECT v * 21 AS a FROM x", 0, &err);
    assert_string_equal(out, "  a\n----\n 42\n(1 row)\n");
    free(out);
    out = query(*state, DF_FORMAT_CSV, "SELECT 1; SELECT * FROM missing", -1, &err);
    assert_int_equal(err.code, DF_EFAIL);
    assert_non_null(strstr(err.msg, "statement 2: Catalog Error"));
    assert_null(strchr(err.msg, '\n'));
    free(out);
    df_error_clear(&err);
    out = query(*state, DF_FORMAT_CSV, "  -- only a comment\n", -1, &err);
    assert_int_equal(err.code, DF_EUSAGE);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(resolves_latest_and_named_runs, setup, teardown),
        cmocka_unit_test_setup_teardown(several_pipelines_need_a_name, setup, teardown),
        cmocka_unit_test_setup_teardown(loads_steps_in_start_order, setup, teardown),
        cmocka_unit_test_setup_teardown(views_and_records, setup, teardown),
        cmocka_unit_test_setup_teardown(statements_and_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
