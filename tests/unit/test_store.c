/*
 * test_store.c - unit tests of the local store backend and the manifest commit protocol:
 * URI dispatch, atomic puts, listing order and prefix semantics, missing keys, removal,
 * batch transfers, and manifest commit/read/list round trips.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/layout.h"
#include "store/manifest.h"
#include "store/runindex.h"
#include "store/store.h"
#include "util/fs.h"
#include "util/strbuf.h"

struct fixture {
    char *dir;
    struct df_store *s;
};

static int setup(void **state)
{
    struct df_error err = DF_ERROR_INIT;
    struct fixture *f = xcalloc(1, sizeof(*f));
    f->dir = fs_mkdtemp(NULL, "df-test-store", &err);
    assert_non_null(f->dir);
    char *root = fs_join(f->dir, "store");
    assert_int_equal(df_store_open(root, &f->s, &err), 0);
    free(root);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    df_store_free(f->s);
    fs_remove_tree(f->dir, NULL);
    free(f->dir);
    free(f);
    return 0;
}

static void put(struct df_store *s, const char *key, const char *text)
{
    struct df_error err = DF_ERROR_INIT;
    assert_int_equal(df_store_put_bytes(s, key, text, strlen(text), &err), 0);
}

struct listed {
    struct strbuf sb;
    int stop_after;
    int seen;
};

static int list_cb(const char *key, uint64_t size, void *ud)
{
    struct listed *l = ud;
    sb_addf(&l->sb, "%s=%llu;", key, (unsigned long long)size);
    l->seen++;
    return l->stop_after && l->seen >= l->stop_after;
}

static char *list_all(struct df_store *s, const char *prefix)
{
    struct df_error err = DF_ERROR_INIT;
    struct listed l = {STRBUF_INIT, 0, 0};
    assert_int_equal(df_store_list(s, prefix, list_cb, &l, &err), 0);
    return sb_detach(&l.sb);
}

static void open_dispatches_by_uri(void **state)
{
    struct fixture *f = *state;
    struct df_error err = DF_ERROR_INIT;
    struct df_store *s = NULL;
    char *uri = xasprintf("file://%s/x", f->dir);

    assert_int_equal(df_store_open(uri, &s, &err), 0);
    assert_string_equal(s->ops->scheme, "file");
    char *want = xasprintf("%s/x", f->dir);
    assert_string_equal(s->uri, want);
    df_store_free(s);
    free(want);
    free(uri);

    /* NULL means $DUCKFLOW_STORE. */
    setenv("DUCKFLOW_STORE", f->dir, 1);
    assert_int_equal(df_store_open(NULL, &s, &err), 0);
    assert_string_equal(s->uri, f->dir);
    df_store_free(s);
    unsetenv("DUCKFLOW_STORE");

    /* Relative paths become absolute. */
    assert_int_equal(df_store_open("rel/store/", &s, &err), 0);
    assert_true(s->uri[0] == '/');
    assert_non_null(strstr(s->uri, "/rel/store"));
    assert_int_not_equal(s->uri[strlen(s->uri) - 1], '/');
    df_store_free(s);

    assert_int_equal(df_store_open("ftp://x/y", &s, &err), -1);
    assert_int_equal(err.code, DF_EUSAGE);
    assert_null(s);
    df_error_clear(&err);
    assert_int_equal(df_store_open("file://relative", &s, &err), -1);
    assert_int_equal(err.code, DF_EUSAGE);
    df_store_free(NULL);
}

static void put_get_round_trip(void **state)
{
    struct fixture *f = *state;
    struct df_error err = DF_ERROR_INIT;
    char *data = NULL;
    size_t len = 0;

    put(f->s, "p/runs/r1/a/00000/x.txt", "hello");
    assert_int_equal(df_store_get_bytes(f->s, "p/runs/r1/a/00000/x.txt", 100, &data, &len, &err),
                     0);
    assert_int_equal(len, 5);
    assert_string_equal(data, "hello");
    free(data);

    /* Overwrite replaces whole. */
    put(f->s, "p/runs/r1/a/00000/x.txt", "hi");
    assert_int_equal(df_store_get_bytes(f->s, "p/runs/r1/a/00000/x.txt", 100, &data, &len, &err),
                     0);
    assert_string_equal(data, "hi");
    free(data);

    /* Too large for max. */
    assert_int_equal(df_store_get_bytes(f->s, "p/runs/r1/a/00000/x.txt", 1, &data, &len, &err), -1);
    assert_int_equal(err.code, DF_EIO);
    assert_null(data);

    /* put_file / get_file, and local_path names the file. */
    char *src = fs_join(f->dir, "src.bin");
    char *dst = fs_join(f->dir, "out/sub/dst.bin");
    df_error_clear(&err);
    assert_int_equal(fs_write_atomic(src, "abc\0def", 7, &err), 0);
    assert_int_equal(df_store_put_file(f->s, "k/file.bin", src, &err), 0);
    assert_int_equal(df_store_get_file(f->s, "k/file.bin", dst, &err), 0);
    assert_int_equal(fs_file_size(dst), 7);
    char *lp = df_store_local_path(f->s, "k/file.bin");
    assert_non_null(lp);
    assert_int_equal(fs_file_size(lp), 7);
    /* Putting the store's own file onto itself is a no-op, not a truncation. */
    assert_int_equal(df_store_put_file(f->s, "k/file.bin", lp, &err), 0);
    assert_int_equal(fs_file_size(lp), 7);
    char *d = df_store_describe(f->s, "k/file.bin");
    assert_string_equal(d, lp);
    free(d);
    free(lp);
    free(src);
    free(dst);
}

static void missing_is_not_found(void **state)
{
    struct fixture *f = *state;
    struct df_error err = DF_ERROR_INIT;
    char *data = NULL;
    size_t len;
    char *dst = fs_join(f->dir, "never.bin");

    assert_int_equal(df_store_get_bytes(f->s, "no/such/key", 100, &data, &len, &err), -1);
    assert_int_equal(err.code, DF_ENOTFOUND);
    assert_non_null(strstr(err.msg, "'no/such/key'"));
    df_error_clear(&err);
    assert_int_equal(df_store_get_file(f->s, "no/such/key", dst, &err), -1);
    assert_int_equal(err.code, DF_ENOTFOUND);
    assert_int_equal(fs_exists(dst), 0);
    df_error_clear(&err);
    /* Removing a missing key is fine; listing a missing store is empty. */
    assert_int_equal(df_store_remove(f->s, "no/such/key", &err), 0);
    char *l = list_all(f->s, "");
    assert_string_equal(l, "");
    free(l);
    free(dst);
}

static void bad_keys_rejected(void **state)
{
    struct fixture *f = *state;
    const char *bad[] = {"", "/abs", "a/../b", "..", "a//b", "a/", "./a", "a/.df-tmp.x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct df_error err = DF_ERROR_INIT;
        assert_int_equal(df_store_put_bytes(f->s, bad[i], "x", 1, &err), -1);
        assert_int_equal(err.code, DF_EUSAGE);
    }
}

static void list_sorted_with_string_prefix(void **state)
{
    struct fixture *f = *state;
    char *l;

    put(f->s, "a/b/2", "22");
    put(f->s, "a/b/1", "1");
    put(f->s, "a/b-c/x", "xxx");
    put(f->s, "a/bc", "");
    put(f->s, "a/ba/y", "y");
    put(f->s, "b", "b");

    /* Byte order of whole keys: '-' < '/' < 'a' < 'c'. */
    l = list_all(f->s, "");
    assert_string_equal(l, "a/b-c/x=3;a/b/1=1;a/b/2=2;a/ba/y=1;a/bc=0;b=1;");
    free(l);
    /* A plain string prefix, not only folders. */
    l = list_all(f->s, "a/b");
    assert_string_equal(l, "a/b-c/x=3;a/b/1=1;a/b/2=2;a/ba/y=1;a/bc=0;");
    free(l);
    l = list_all(f->s, "a/b/");
    assert_string_equal(l, "a/b/1=1;a/b/2=2;");
    free(l);
    l = list_all(f->s, "a/b/1");
    assert_string_equal(l, "a/b/1=1;");
    free(l);
    l = list_all(f->s, "zzz");
    assert_string_equal(l, "");
    free(l);

    /* The callback can stop the listing. */
    struct df_error err = DF_ERROR_INIT;
    struct listed st = {STRBUF_INIT, 2, 0};
    assert_int_equal(df_store_list(f->s, "a/", list_cb, &st, &err), 0);
    assert_int_equal(st.seen, 2);
    sb_release(&st.sb);

    /* Removal, and removal of a prefix (which also drops emptied folders). */
    assert_int_equal(df_store_remove(f->s, "a/b/1", &err), 0);
    l = list_all(f->s, "a/b/");
    assert_string_equal(l, "a/b/2=2;");
    free(l);
    assert_int_equal(df_store_remove_prefix(f->s, "a/b", &err), 0);
    l = list_all(f->s, "");
    assert_string_equal(l, "b=1;");
    free(l);
    char *gone = xasprintf("%s/a", f->s->uri);
    assert_int_equal(fs_exists(gone), 0);
    free(gone);
    assert_int_equal(df_store_remove_prefix(f->s, "", &err), -1);
}

static void temporaries_are_invisible(void **state)
{
    struct fixture *f = *state;
    struct df_error err = DF_ERROR_INIT;
    char *l;

    put(f->s, "t/real", "1");
    /* A writer that died between create and rename leaves a temporary behind. */
    char *tmp = xasprintf("%s/t/.df-tmp.dead.ABC123", f->s->uri);
    assert_int_equal(fs_write_atomic(tmp, "partial", 7, &err), 0);
    l = list_all(f->s, "t/");
    assert_string_equal(l, "t/real=1;");
    free(l);
    free(tmp);
}

static void batch_transfers(void **state)
{
    struct fixture *f = *state;
    struct df_error err = DF_ERROR_INIT;
    enum { N = 40 };
    char *keys[N], *paths[N], *back[N];

    for (int i = 0; i < N; i++) {
        char text[32];
        snprintf(text, sizeof(text), "file %d", i);
        keys[i] = xasprintf("many/%02d", i);
        paths[i] = xasprintf("%s/in-%02d", f->dir, i);
        back[i] = xasprintf("%s/back/%02d", f->dir, i);
        assert_int_equal(fs_write_atomic(paths[i], text, strlen(text), &err), 0);
    }
    assert_int_equal(
        df_store_put_many(f->s, (const char *const *)keys, (const char *const *)paths, N, 4, &err),
        0);
    assert_int_equal(
        df_store_get_many(f->s, (const char *const *)keys, (const char *const *)back, N, 3, &err),
        0);
    for (int i = 0; i < N; i++) {
        char *data = NULL, want[32];
        snprintf(want, sizeof(want), "file %d", i);
        assert_int_equal(fs_read_file(back[i], 100, &data, NULL, &err), 0);
        assert_string_equal(data, want);
        free(data);
    }
    /* A missing key fails the batch with that key's error. */
    free(keys[17]);
    keys[17] = xstrdup("many/missing");
    assert_int_equal(
        df_store_get_many(f->s, (const char *const *)keys, (const char *const *)back, N, 4, &err),
        -1);
    assert_int_equal(err.code, DF_ENOTFOUND);
    assert_non_null(strstr(err.msg, "many/missing"));
    df_error_clear(&err);
    assert_int_equal(df_store_get_many(f->s, NULL, NULL, 0, 4, &err), 0);
    for (int i = 0; i < N; i++) {
        free(keys[i]);
        free(paths[i]);
        free(back[i]);
    }
}

static json_t *manifest(const char *step, int index, const char *key)
{
    return json_pack("{s:i, s:s, s:s, s:s, s:i, s:s, s:i, s:s, s:{s:{s:i, s:[{s:s, s:i}, {s:s, "
                     "s:i}]}}}",
                     "format", 1, "pipeline", "p", "run", "r1", "step", step, "item_index", index,
                     "item_key", key, "attempt", 1, "attempt_dir", "1-abcd", "tables", "t", "rows",
                     3, "files", "path", "1-abcd/t/part-00000.parquet", "rows", 2, "path",
                     "1-abcd/t/part-00001.parquet", "rows", 1);
}

static void manifest_round_trip(void **state)
{
    struct fixture *f = *state;
    struct df_error err = DF_ERROR_INIT;
    json_t *m = NULL, *list = NULL;
    const int order[] = {2, 0, 11, 1};

    assert_int_equal(df_manifest_read(f->s, "p", "r1", "s", "00000", &m, &err), -1);
    assert_int_equal(err.code, DF_ENOTFOUND);
    df_error_clear(&err);
    assert_int_equal(df_manifest_list_step(f->s, "p", "r1", "s", &list, &err), 0);
    assert_int_equal(json_array_size(list), 0);
    json_decref(list);

    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        char key[16];
        snprintf(key, sizeof(key), "%05d", order[i]);
        json_t *w = manifest("s", order[i], key);
        assert_int_equal(df_manifest_commit(f->s, "p", "r1", "s", key, w, &err), 0);
        json_decref(w);
    }
    /* Noise that is not a manifest of this step. */
    put(f->s, "p/runs/r1/s/_items.json", "[]");
    put(f->s, "p/runs/r1/s/00003/1-ffff/t/part-00000.parquet", "x");
    put(f->s, "p/runs/r1/s/00003/1-ffff/_manifest.json", "{}");
    put(f->s, "p/runs/r1/s2/00000/_manifest.json", "{}");

    assert_int_equal(df_manifest_read(f->s, "p", "r1", "s", "00011", &m, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(m, "item_index")), 11);
    json_t *keys = json_array();
    assert_int_equal(df_manifest_table_keys(m, "t", keys), 2);
    assert_string_equal(json_string_value(json_array_get(keys, 0)),
                        "p/runs/r1/s/00011/1-abcd/t/part-00000.parquet");
    assert_string_equal(json_string_value(json_array_get(keys, 1)),
                        "p/runs/r1/s/00011/1-abcd/t/part-00001.parquet");
    assert_int_equal(df_manifest_table_keys(m, "nope", keys), 0);
    json_decref(keys);
    json_decref(m);

    assert_int_equal(df_manifest_list_step(f->s, "p", "r1", "s", &list, &err), 0);
    assert_int_equal(json_array_size(list), 4);
    const int want[] = {0, 1, 2, 11};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(json_integer_value(json_object_get(json_array_get(list, i), "item_index")),
                         want[i]);
    json_decref(list);

    /* A damaged manifest is a store error, not a crash. */
    put(f->s, "p/runs/r1/s/00005/_manifest.json", "{not json");
    assert_int_equal(df_manifest_list_step(f->s, "p", "r1", "s", &list, &err), -1);
    assert_int_equal(err.code, DF_EIO);
    assert_null(list);
}

/* A run's _manifests.json: written from the listing and the manifests; an entry is given
 * back only while the listing shows its task unchanged. */
static void run_index_round_trip(void **state)
{
    struct fixture *f = *state;
    struct df_error err = DF_ERROR_INIT;
    char *data = NULL, *key = df_key_run_manifests("p", "r1");
    size_t len = 0;
    json_t *tasks, *m;
    char *now[] = {"1-abcd"}, *more[] = {"1-abcd", "2-beef"}, *none[] = {NULL};
    const char *mtext =
        "{\"pipeline\": \"p\", \"run\": \"r1\", \"step\": \"s\", "
        "\"item_key\": \"00000\", \"attempt_dir\": \"1-abcd\", \"tables\": "
        "{\"t\": {\"schema\": [], \"files\": [{\"path\": \"1-abcd/t/a.parquet\"}]}}}";

    assert_string_equal(key, "p/runs/r1/_manifests.json");
    const char *rec = "{\"pipeline\": \"p\", \"run\": \"r1\", \"status\": \"succeeded\", "
                      "\"steps\": [{\"name\": \"s\"}]}";
    put(f->s, "p/runs/r1/run.json", rec);
    put(f->s, "p/runs/r1/s/00000/1-abcd/t/a.parquet", "x");
    put(f->s, "p/runs/r1/s/00000/_manifest.json", mtext);
    put(f->s, "p/runs/r1/s/00001/_manifest.json", "{not json"); /* left out: readers look */
    assert_int_equal(df_run_index_write(f->s, "p", "r1", &err), 0);
    assert_int_equal(df_store_get_bytes(f->s, key, 1 << 20, &data, &len, &err), 0);
    tasks = df_run_index_parse(data, len);
    free(data);
    assert_non_null(tasks);
    assert_null(json_object_get(json_object_get(tasks, "tasks"), "s/00001"));
    m = df_run_index_manifest(tasks, "s/00000", strlen(mtext), now, 1);
    assert_non_null(m);
    assert_string_equal(json_string_value(json_object_get(m, "attempt_dir")), "1-abcd");
    assert_null(json_object_get(json_object_get(json_object_get(m, "tables"), "t"), "schema"));
    /* Fewer folders (gc removed some) is still the same task; another size, a new folder
     * or an unknown task is not. */
    assert_non_null(df_run_index_manifest(tasks, "s/00000", strlen(mtext), none, 0));
    assert_null(df_run_index_manifest(tasks, "s/00000", strlen(mtext) + 1, now, 1));
    assert_null(df_run_index_manifest(tasks, "s/00000", strlen(mtext), more, 2));
    assert_null(df_run_index_manifest(tasks, "s/00002", strlen(mtext), now, 1));
    /* The run record's members, while run.json keeps its size. */
    m = df_run_index_record(tasks, strlen(rec));
    assert_non_null(m);
    assert_string_equal(json_string_value(json_object_get(m, "status")), "succeeded");
    assert_null(json_object_get(m, "steps"));
    assert_null(df_run_index_record(tasks, strlen(rec) - 1));
    json_decref(tasks);
    /* Not ours: another format, not JSON. */
    const char *other = "{\"format\": 2, \"tasks\": {}}";
    assert_null(df_run_index_parse(other, strlen(other)));
    assert_null(df_run_index_parse("nope", 4));
    assert_int_equal(df_run_index_forget(f->s, "p", "r1", &err), 0);
    assert_int_equal(df_store_get_bytes(f->s, key, 1 << 20, &data, &len, &err), -1);
    assert_int_equal(err.code, DF_ENOTFOUND);
    df_error_clear(&err);
    assert_int_equal(df_run_index_forget(f->s, "p", "r1", &err), 0); /* missing: fine */
    free(key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(open_dispatches_by_uri, setup, teardown),
        cmocka_unit_test_setup_teardown(put_get_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(missing_is_not_found, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_keys_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(list_sorted_with_string_prefix, setup, teardown),
        cmocka_unit_test_setup_teardown(temporaries_are_invisible, setup, teardown),
        cmocka_unit_test_setup_teardown(batch_transfers, setup, teardown),
        cmocka_unit_test_setup_teardown(manifest_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(run_index_round_trip, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
