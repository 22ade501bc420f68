/*
 * test_runend.c - unit tests of the end of a run (df_run_end_outputs: lineage events,
 * views.sql, _manifests.json, publishing) through a store that counts what it is asked:
 * the run's folder is listed once and run.json and each manifest are read once, where the
 * three writers used to read every manifest each (store/runsnap.h); views.sql is the
 * same text `duckflow views` builds from the store itself; a damaged manifest still fails
 * the views, naming it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store/publish.h"
#include "store/runindex.h"
#include "store/store.h"
#include "util/fs.h"
#include "util/strbuf.h"

/* A store that forwards to a local one and counts reads and listings. */
struct counting {
    struct df_store base;
    struct df_store *inner;
    int manifest_gets, run_json_gets, other_gets, lists;
};

static struct df_store *in(struct df_store *s)
{
    return ((struct counting *)s)->inner;
}

static int c_put_file(struct df_store *s, const char *key, const char *path, struct df_error *err)
{
    return df_store_put_file(in(s), key, path, err);
}

static int c_put_bytes(struct df_store *s, const char *key, const void *data, size_t len,
                       struct df_error *err)
{
    return df_store_put_bytes(in(s), key, data, len, err);
}

static int c_get_file(struct df_store *s, const char *key, const char *path, struct df_error *err)
{
    return df_store_get_file(in(s), key, path, err);
}

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), m = strlen(tail);
    return n >= m && !strcmp(s + n - m, tail);
}

static int c_get_bytes(struct df_store *s, const char *key, size_t max, char **data, size_t *len,
                       struct df_error *err)
{
    struct counting *c = (struct counting *)s;
    if (ends_with(key, "/_manifest.json"))
        c->manifest_gets++;
    else if (ends_with(key, "/run.json"))
        c->run_json_gets++;
    else
        c->other_gets++;
    return df_store_get_bytes(c->inner, key, max, data, len, err);
}

static int c_list(struct df_store *s, const char *prefix, df_store_list_cb cb, void *ud,
                  struct df_error *err)
{
    ((struct counting *)s)->lists++;
    return df_store_list(in(s), prefix, cb, ud, err);
}

static int c_remove(struct df_store *s, const char *key, struct df_error *err)
{
    return df_store_remove(in(s), key, err);
}

static char *c_local_path(struct df_store *s, const char *key)
{
    return df_store_local_path(in(s), key);
}

static void c_free(struct df_store *s)
{
    (void)s;
}

static int c_put_bytes_new(struct df_store *s, const char *key, const void *data, size_t len,
                           struct df_error *err)
{
    return df_store_put_bytes_new(in(s), key, data, len, err);
}

static const struct df_store_ops counting_ops = {
    .scheme = "file",
    .put_file = c_put_file,
    .put_bytes = c_put_bytes,
    .get_file = c_get_file,
    .get_bytes = c_get_bytes,
    .list = c_list,
    .remove = c_remove,
    .local_path = c_local_path,
    .free = c_free,
    .put_bytes_new = c_put_bytes_new,
};

struct fixture {
    char *dir;
    struct df_store *local;
    struct counting c;
};

static void put(struct df_store *s, const char *key, const char *text)
{
    struct df_error err = DF_ERROR_INIT;
    assert_int_equal(df_store_put_bytes(s, key, text, strlen(text), &err), 0);
}

/* A finished run "r1" of pipeline "p": step a with three tasks, step b with one that
 * reads a's table; attempt folders with files, and a's list of items. */
static void a_run(struct df_store *s)
{
    static const char *a_items[] = {"00000", "00001", "00002"};
    put(s, "p/runs/r1/run.json",
        "{\"format\": 1, \"pipeline\": \"p\", \"run\": \"r1\", \"status\": \"succeeded\", "
        "\"started_at\": \"2026-01-01T00:00:00.000Z\", "
        "\"finished_at\": \"2026-01-01T00:00:09.000Z\", \"steps\": ["
        "{\"name\": \"a\", \"status\": \"succeeded\", \"tasks\": {\"done\": 3, \"total\": 3}},"
        "{\"name\": \"b\", \"status\": \"succeeded\", \"tasks\": {\"done\": 1, \"total\": 1}}],"
        "\"tasks\": []}");
    put(s, "p/runs/r1/a/_items.json", "[0, 1, 2]");
    for (int i = 0; i < 3; i++) {
        char *key = xasprintf("p/runs/r1/a/%s/_manifest.json", a_items[i]);
        char *file = xasprintf("p/runs/r1/a/%s/1-ab%02d/t/part-0.parquet", a_items[i], i);
        char *text = xasprintf(
            "{\"pipeline\": \"p\", \"run\": \"r1\", \"step\": \"a\", \"item_key\": \"%s\", "
            "\"item_index\": %d, \"attempt_dir\": \"1-ab%02d\", "
            "\"started_at\": \"2026-01-01T00:00:0%d.000Z\", "
            "\"finished_at\": \"2026-01-01T00:00:0%d.500Z\", \"inputs\": [], \"tables\": "
            "{\"t\": {\"rows\": %d, \"bytes\": 100, \"schema\": [{\"name\": \"k\", \"type\": "
            "\"BIGINT\"}], \"files\": [{\"path\": \"1-ab%02d/t/part-0.parquet\", \"bytes\": "
            "100}]}}}",
            a_items[i], i, i, i + 1, i + 1, i + 1, i);
        put(s, file, "x");
        put(s, key, text);
        free(key);
        free(file);
        free(text);
    }
    put(s, "p/runs/r1/b/00000/1-cd00/u/part-0.parquet", "x");
    put(s, "p/runs/r1/b/00000/_manifest.json",
        "{\"pipeline\": \"p\", \"run\": \"r1\", \"step\": \"b\", \"item_key\": \"00000\", "
        "\"item_index\": 0, \"attempt_dir\": \"1-cd00\", "
        "\"started_at\": \"2026-01-01T00:00:05.000Z\", "
        "\"finished_at\": \"2026-01-01T00:00:06.000Z\", \"inputs\": [{\"source\": \"a.t\"}], "
        "\"tables\": {\"u\": {\"rows\": 6, \"bytes\": 90, \"schema\": [{\"name\": \"n\", "
        "\"type\": \"BIGINT\"}], \"files\": [{\"path\": \"1-cd00/u/part-0.parquet\", \"bytes\": "
        "90}]}}}");
}

static int setup(void **state)
{
    struct df_error err = DF_ERROR_INIT;
    struct fixture *f = xcalloc(1, sizeof(*f));
    char *root;

    unsetenv("OPENLINEAGE_URL");
    unsetenv("OPENLINEAGE_DISABLED");
    f->dir = fs_mkdtemp(NULL, "df-test-runend", &err);
    assert_non_null(f->dir);
    root = fs_join(f->dir, "store");
    assert_int_equal(df_store_open(root, &f->local, &err), 0);
    free(root);
    f->c.base.ops = &counting_ops;
    f->c.base.uri = f->local->uri;
    f->c.inner = f->local;
    a_run(f->local);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    df_store_free(f->local);
    fs_remove_tree(f->dir, NULL);
    free(f->dir);
    free(f);
    return 0;
}

static char *get(struct df_store *s, const char *key)
{
    struct df_error err = DF_ERROR_INIT;
    char *data = NULL;
    size_t len = 0;
    assert_int_equal(df_store_get_bytes(s, key, 1 << 24, &data, &len, &err), 0);
    return data;
}

static void each_read_once(void **state)
{
    struct fixture *f = *state;
    struct df_error err = DF_ERROR_INIT;
    struct strbuf want = STRBUF_INIT;
    char *views, *index, *lineage;
    json_t *doc;

    assert_int_equal(df_run_end_outputs(&f->c.base, "p", "r1", 1, &err), 0);
    /* Four manifests, each read once (three times before: lineage, views, the index). */
    assert_int_equal(f->c.manifest_gets, 4);
    assert_int_equal(f->c.run_json_gets, 1);
    /* The run's folder once; before, also once for the steps and once per step, twice. */
    assert_int_equal(f->c.lists, 1);

    /* views.sql is what `duckflow views` builds from the store itself. */
    assert_int_equal(df_views_build(f->local, "p", "r1", &want, NULL, &err), 0);
    views = get(f->local, "p/runs/r1/views.sql");
    assert_string_equal(views, want.buf);
    assert_non_null(strstr(views, "a/00002/1-ab02/t/part-0.parquet"));
    assert_non_null(strstr(views, "b/00000/1-cd00/u/part-0.parquet"));

    /* _manifests.json lists every task with its folders and the run record. */
    index = get(f->local, "p/runs/r1/_manifests.json");
    doc = df_run_index_parse(index, strlen(index));
    assert_non_null(doc);
    assert_int_equal(json_object_size(json_object_get(doc, "tasks")), 4);
    assert_string_equal(
        json_string_value(json_array_get(
            json_object_get(json_object_get(json_object_get(doc, "tasks"), "a/00001"), "folders"),
            0)),
        "1-ab01");
    assert_non_null(json_object_get(doc, "record"));
    json_decref(doc);

    /* Lineage: the steps' outputs from the manifests (a.t: 1+2+3 rows). */
    lineage = get(f->local, "p/runs/r1/lineage.jsonl");
    assert_non_null(strstr(lineage, "\"name\":\"p.a.t\""));
    assert_non_null(strstr(lineage, "\"rowCount\":6"));
    assert_non_null(strstr(lineage, "\"name\":\"p.b.u\""));
    assert_non_null(strstr(lineage, "\"eventType\":\"COMPLETE\""));

    /* Published: it succeeded. */
    free(get(f->local, "p/published.json"));
    sb_release(&want);
    free(views);
    free(index);
    free(lineage);
}

static void damaged_manifest_fails_the_views(void **state)
{
    struct fixture *f = *state;
    struct df_error err = DF_ERROR_INIT;
    char *index;
    size_t len = 0;
    json_t *doc;

    put(f->local, "p/runs/r1/b/00000/_manifest.json", "{not json");
    assert_int_equal(df_run_end_outputs(&f->c.base, "p", "r1", 1, &err), -1);
    assert_non_null(strstr(err.msg, "manifest 'p/runs/r1/b/00000/_manifest.json' is not a JSON"));
    assert_int_equal(f->c.manifest_gets, 4);
    /* Nothing was published (the views failed first). */
    assert_int_equal(df_store_get_bytes(f->local, "p/published.json", 1 << 20, &index, &len, &err),
                     -1);
    df_error_clear(&err);
    /* The index alone leaves the damaged one out: readers read it themselves. */
    assert_int_equal(df_run_index_write(f->local, "p", "r1", &err), 0);
    index = get(f->local, "p/runs/r1/_manifests.json");
    doc = df_run_index_parse(index, strlen(index));
    assert_non_null(doc);
    assert_int_equal(json_object_size(json_object_get(doc, "tasks")), 3);
    assert_null(json_object_get(json_object_get(doc, "tasks"), "b/00000"));
    json_decref(doc);
    free(index);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(each_read_once, setup, teardown),
        cmocka_unit_test_setup_teardown(damaged_manifest_fails_the_views, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
