/*
 * test_util.c - unit tests of src/util: errors, strbuf, sizes, durations, hashes, files,
 * JSON arrays.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/error.h"
#include "util/exitclass.h"
#include "util/fs.h"
#include "util/globstar.h"
#include "util/hash.h"
#include "util/jsonarr.h"
#include "util/strbuf.h"
#include "util/suggest.h"
#include "util/timeutil.h"
#include "util/uri.h"

static void error_keeps_first_and_prefixes(void **state)
{
    struct df_error err = DF_ERROR_INIT;
    (void)state;
    assert_int_equal(df_error_set(&err, DF_EIO, "cannot read '%s'", "x"), -1);
    df_error_set(&err, DF_EFAIL, "second");
    df_error_prefix(&err, "step '%s'", "merge");
    assert_int_equal(err.code, DF_EIO);
    assert_string_equal(err.msg, "step 'merge': cannot read 'x'");
}

static void error_message_is_one_line(void **state)
{
    struct df_error err = DF_ERROR_INIT;
    (void)state;
    df_error_set(&err, DF_EFAIL, "a\nb\r\nc");
    assert_null(strchr(err.msg, '\n'));
}

static void strbuf_grows_and_quotes(void **state)
{
    struct strbuf sb = STRBUF_INIT;
    (void)state;
    assert_string_equal(sb.buf, "");
    for (int i = 0; i < 1000; i++)
        sb_addf(&sb, "%d,", i);
    assert_true(sb.len > 1000);
    sb_reset(&sb);
    sb_add_sql_string(&sb, "it's");
    sb_addc(&sb, ' ');
    sb_add_sql_ident(&sb, "a\"b");
    assert_string_equal(sb.buf, "'it''s' \"a\"\"b\"");
    char *s = sb_detach(&sb);
    assert_string_equal(sb.buf, "");
    free(s);
}

static void sizes_parse(void **state)
{
    uint64_t v;
    (void)state;
    assert_int_equal(df_parse_size("1GB", &v), 0);
    assert_true(v == 1000000000ULL);
    assert_int_equal(df_parse_size("512MiB", &v), 0);
    assert_true(v == 512ULL << 20);
    assert_int_equal(df_parse_size("100", &v), 0);
    assert_true(v == 100);
    assert_int_equal(df_parse_size("1.5gb", &v), 0);
    assert_true(v == 1500000000ULL);
    assert_int_equal(df_parse_size("lots", &v), -1);
    assert_int_equal(df_parse_size("-1GB", &v), -1);
    assert_int_equal(df_parse_size("1XB", &v), -1);
    assert_int_equal(df_parse_size("", &v), -1);
}

static void durations_parse(void **state)
{
    int64_t ms;
    (void)state;
    assert_int_equal(df_parse_duration("10m", &ms), 0);
    assert_int_equal(ms, 600000);
    assert_int_equal(df_parse_duration("1h30m", &ms), 0);
    assert_int_equal(ms, 5400000);
    assert_int_equal(df_parse_duration("500ms", &ms), 0);
    assert_int_equal(ms, 500);
    assert_int_equal(df_parse_duration("90", &ms), 0);
    assert_int_equal(ms, 90000);
    assert_int_equal(df_parse_duration("ten", &ms), -1);
    assert_int_equal(df_parse_duration("5x", &ms), -1);
}

static void sha256_known_value(void **state)
{
    char hex[DF_SHA256_HEX];
    (void)state;
    df_sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    /* The other FIPS 180-4 examples: empty, two blocks, and a million 'a' fed in pieces
     * that straddle the 64-byte blocks. */
    df_sha256_hex("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    df_sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    {
        static char a[1000000];
        struct df_sha256 *h = df_sha256_new();
        size_t off = 0, step = 1;
        memset(a, 'a', sizeof(a));
        while (off < sizeof(a)) {
            size_t n = step < sizeof(a) - off ? step : sizeof(a) - off;
            df_sha256_update(h, a + off, n);
            off += n;
            step = step * 3 % 1031 + 1;
        }
        df_sha256_final(h, hex);
        assert_string_equal(hex,
                            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    }
}

/* Files: the C code below LARGE_FILE, OpenSSL (loaded on first use) from it on; both must
 * give the digest of the same bytes hashed as a buffer, at lengths around the padding's
 * edges and the 256 KiB switch. */
static void sha256_file_sizes(void **state)
{
    static const size_t sizes[] = {0,   55,  56,     63,     64,     65,     119,
                                   120, 128, 131072, 262143, 262144, 262145, 1000003};
    struct df_error err = DF_ERROR_INIT;
    char *dir = fs_mkdtemp(NULL, "df-test", &err), hex[DF_SHA256_HEX], want[DF_SHA256_HEX];
    static char data[1000003];
    (void)state;
    assert_non_null(dir);
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (char)(i * 131 + i / 977);
    char *f = fs_join(dir, "x.bin");
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        assert_int_equal(fs_write_atomic(f, data, sizes[i], &err), 0);
        assert_int_equal(df_sha256_file(f, hex, &err), 0);
        df_sha256_hex(data, sizes[i], want);
        assert_string_equal(hex, want);
    }
    assert_int_equal(fs_remove_tree(dir, &err), 0);
    free(f);
    free(dir);
}

static void files_roundtrip(void **state)
{
    struct df_error err = DF_ERROR_INIT;
    char *dir = fs_mkdtemp(NULL, "df-test", &err), *data = NULL, hex[DF_SHA256_HEX];
    size_t len = 0;
    (void)state;
    assert_non_null(dir);
    char *sub = fs_join(dir, "a/b/c");
    assert_int_equal(fs_mkdirs(sub, &err), 0);
    char *f = fs_join(sub, "x.txt");
    assert_int_equal(fs_write_atomic(f, "abc", 3, &err), 0);
    assert_int_equal(fs_read_file(f, 100, &data, &len, &err), 0);
    assert_int_equal(len, 3);
    assert_string_equal(data, "abc");
    assert_int_equal(df_sha256_file(f, hex, &err), 0);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal(fs_read_file(f, 2, &data, &len, &err), -1);
    assert_int_equal(fs_remove_tree(dir, &err), 0);
    assert_false(fs_exists(dir));
    df_error_clear(&err);
    assert_int_equal(fs_read_file(f, 100, &data, &len, &err), -1);
    assert_int_equal(err.code, DF_ENOTFOUND);
    free(data);
    free(f);
    free(sub);
    free(dir);
}

static void exit_classes_roundtrip(void **state)
{
    (void)state;
    for (int c = DF_CLASS_OK; c <= DF_CLASS_USAGE; c++) {
        assert_int_equal(df_exit_class_parse(df_exit_class_name(c)), c);
        if (c != DF_CLASS_CHECK_FAILED)
            assert_int_equal(df_exit_class_from_status(df_exit_class_status(c)), c);
    }
    assert_int_equal(df_exit_class_from_status(137), DF_CLASS_KILLED_MEMORY);
    assert_false(df_exit_class_retryable(DF_CLASS_SQL_ERROR));
    assert_true(df_exit_class_retryable(DF_CLASS_OOM));
}

/* The error table: statuses per code, where an error arose, and a recode that keeps the
 * origin's code. */
static void error_table_and_origin(void **state)
{
    struct df_error err = DF_ERROR_INIT;
    char where[256];
    int line;
    (void)state;
    assert_int_equal(df_code_status(DF_OK), 0);
    assert_int_equal(df_code_status(DF_EFAIL), 1);
    assert_int_equal(df_code_status(DF_EUSAGE), 2);
    assert_int_equal(df_code_status(DF_EIO), 3);
    assert_int_equal(df_code_status(DF_ENOTFOUND), 3);
    assert_string_equal(df_code_name(DF_ENOTFOUND), "not_found");
    assert_string_equal(df_error_origin(&err, where, sizeof(where)), "");
    line = __LINE__ + 1;
    df_error_set(&err, DF_ENOTFOUND, "no such key");
    df_error_recode(&err, DF_EFAIL);
    df_error_set(&err, DF_EIO, "later errors do not replace the first");
    assert_int_equal(err.code, DF_EFAIL);
    assert_int_equal(err.origin_code, DF_ENOTFOUND);
    assert_int_equal(err.line, line);
    snprintf(where, sizeof(where), "test_util.c:%d (not_found)", line);
    assert_non_null(strstr(df_error_origin(&err, (char[256]){0}, 256), where));
    /* Each class's code and status side by side, as the table says. */
    assert_int_equal(df_exit_class_code(DF_CLASS_STORE_ERROR), DF_EIO);
    assert_int_equal(df_exit_class_code(DF_CLASS_USAGE), DF_EUSAGE);
    assert_int_equal(df_exit_class_code(DF_CLASS_TIMEOUT), DF_EFAIL);
    assert_int_equal(df_exit_class_status(DF_CLASS_OOM), 13);
    assert_int_equal(df_exit_class_status(DF_CLASS_UPSTREAM), 20);
    assert_int_equal(df_exit_class_from_status(99), DF_CLASS_CRASH);
}

/* "did you mean": close names are suggested, far ones and exact ones are not. */
static void suggestions(void **state)
{
    static const char *const cmds[] = {"run", "runs", "step", "query", "report", "completion"};
    (void)state;
    assert_int_equal(df_edit_distance("rnu", "run"), 1); /* a swap is one edit */
    assert_int_equal(df_edit_distance("", "abc"), 3);
    assert_int_equal(df_edit_distance("kitten", "sitting"), 3);
    assert_string_equal(df_suggest("rnu", cmds, 6), "run");
    assert_string_equal(df_suggest("qeury", cmds, 6), "query");
    assert_string_equal(df_suggest("compl", cmds, 6), "completion"); /* a unique prefix */
    assert_null(df_suggest("run", cmds, 6));
    assert_null(df_suggest("zzzzzz", cmds, 6));
    assert_null(df_suggest("", cmds, 6));
}

/* Paths, file:// and object URIs told apart; object URIs split into store and key. */
static void uris(void **state)
{
    char *store = NULL, *key = NULL;
    (void)state;
    assert_int_equal(df_uri_kind("/data/x.csv"), DF_URI_PATH);
    assert_int_equal(df_uri_kind("file:///data/x.csv"), DF_URI_FILE);
    assert_int_equal(df_uri_kind("s3://b/k"), DF_URI_OBJECT);
    assert_int_equal(df_uri_kind("gs://b/k"), DF_URI_OBJECT);
    assert_int_equal(df_uri_kind("http://h/x"), DF_URI_OTHER);
    assert_string_equal(df_uri_local_path("file:///a/b"), "/a/b");
    assert_string_equal(df_uri_local_path("/a/b"), "/a/b");
    assert_int_equal(df_uri_split_object("s3://bucket/a/b.parquet", &store, &key), 0);
    assert_string_equal(store, "s3://bucket");
    assert_string_equal(key, "a/b.parquet");
    free(store);
    free(key);
    assert_int_equal(df_uri_split_object("s3://bucket", &store, &key), -1);
    assert_int_equal(df_uri_split_object("plain/path", &store, &key), -1);
}

static void run_ids_sort_by_time(void **state)
{
    char a[64];
    (void)state;
    df_new_run_id(a, sizeof(a));
    assert_int_equal(strlen(a), 21);
    assert_int_equal(a[8], 'T');
    assert_int_equal(a[16], '-');
}

static int by_int(const void *a, const void *b)
{
    json_int_t x = json_integer_value(*(json_t *const *)a);
    json_int_t y = json_integer_value(*(json_t *const *)b);
    return (x > y) - (x < y);
}

static void json_arrays_sort_in_place(void **state)
{
    json_t *arr = json_pack("[i,i,i,i]", 3, 1, 4, 2), *one = json_pack("[i]", 7);
    json_t *kept = json_array_get(arr, 0);
    (void)state;
    df_json_array_sort(arr, by_int);
    assert_int_equal(json_array_size(arr), 4);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(json_integer_value(json_array_get(arr, i)), (json_int_t)i + 1);
    assert_ptr_equal(json_array_get(arr, 2), kept); /* the elements move, not copies */
    assert_int_equal(kept->refcount, 1);
    df_json_array_sort(one, by_int);
    assert_int_equal(json_integer_value(json_array_get(one, 0)), 7);
    df_json_array_sort(NULL, by_int); /* not an array: nothing to sort */
    json_decref(arr);
    json_decref(one);
}

/* "**" is any number of folders, none included; other wildcards stay in one segment. */
static void globstar_matches(void **state)
{
    (void)state;
    assert_true(df_glob_has_globstar("a/**/*.csv"));
    assert_true(df_glob_has_globstar("**"));
    assert_false(df_glob_has_globstar("a/**.csv"));
    assert_true(df_glob_match("a/**/*.csv", "a/x.csv", 0));
    assert_true(df_glob_match("a/**/*.csv", "a/b/c/x.csv", 0));
    assert_false(df_glob_match("a/**/*.csv", "a/b/c/x.parquet", 0));
    assert_false(df_glob_match("a/**/*.csv", "b/x.csv", 0));
    assert_true(df_glob_match("a/**", "a/b/x", 0));
    assert_false(df_glob_match("a/**", "a", 0));
    assert_true(df_glob_match("a/*/x", "a/b/x", 0));
    assert_false(df_glob_match("a/*/x", "a/b/c/x", 0)); /* '*' never crosses a '/' */
    assert_false(df_glob_match("a/*", "a/b/x", 0));
    assert_true(df_glob_match("a/**/k=*/x", "a/k=1/x", 0));
    /* The hidden-file rule of local globs. */
    assert_true(df_glob_match("a/**/*.csv", "a/.h/x.csv", 0));
    assert_false(df_glob_match("a/**/*.csv", "a/.h/x.csv", 1));
    assert_false(df_glob_match("a/*.csv", "a/.x.csv", 1));
    assert_true(df_glob_match("a/.*.csv", "a/.x.csv", 1));
    assert_false(df_glob_match("a/**", "a/b/.x", 1));
}

static void globstar_walks_local_files(void **state)
{
    struct df_error err = DF_ERROR_INIT;
    char *dir = fs_mkdtemp(NULL, "globstar", &err), *pat, **paths;
    const char *files[] = {"x.csv", "b/y.csv", "b/c/z.csv", "b/c/z.txt", ".h/q.csv"};
    size_t n;
    (void)state;
    assert_non_null(dir);
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char *f = xasprintf("%s/%s", dir, files[i]), *slash = strrchr(f, '/');
        *slash = '\0';
        assert_int_equal(fs_mkdirs(f, &err), 0);
        *slash = '/';
        assert_int_equal(fs_write_atomic(f, "k\n", 2, &err), 0);
        free(f);
    }
    pat = xasprintf("%s/**/*.csv", dir);
    assert_int_equal(df_glob_local(pat, &paths, &n), 0);
    assert_int_equal(n, 3); /* sorted by name, the hidden folder left out */
    assert_non_null(strstr(paths[0], "/b/c/z.csv"));
    assert_non_null(strstr(paths[1], "/b/y.csv"));
    assert_non_null(strstr(paths[2], "/x.csv"));
    df_glob_free(paths, n);
    free(pat);
    pat = xasprintf("%s/*/*.csv", dir); /* no "**": glob(3), one folder down */
    assert_int_equal(df_glob_local(pat, &paths, &n), 0);
    assert_int_equal(n, 1);
    df_glob_free(paths, n);
    free(pat);
    assert_int_equal(fs_remove_tree(dir, &err), 0);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(error_keeps_first_and_prefixes),
        cmocka_unit_test(error_message_is_one_line),
        cmocka_unit_test(strbuf_grows_and_quotes),
        cmocka_unit_test(sizes_parse),
        cmocka_unit_test(durations_parse),
        cmocka_unit_test(sha256_known_value),
        cmocka_unit_test(sha256_file_sizes),
        cmocka_unit_test(files_roundtrip),
        cmocka_unit_test(exit_classes_roundtrip),
        cmocka_unit_test(error_table_and_origin),
        cmocka_unit_test(suggestions),
        cmocka_unit_test(uris),
        cmocka_unit_test(run_ids_sort_by_time),
        cmocka_unit_test(json_arrays_sort_in_place),
        cmocka_unit_test(globstar_matches),
        cmocka_unit_test(globstar_walks_local_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
