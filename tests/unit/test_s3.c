/*
 * test_s3.c - the S3 store backend against the loopback test server
 * (tests/support/s3/front.js: s3rver behind a SigV4-verifying, fault-injecting front),
 * which this binary starts on 127.0.0.1 and stops when done. Covers every client
 * operation, retries under injected faults, resumed downloads, multipart aborts, a task
 * killed mid-upload, wrong credentials and web identity through the STS stand-in.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "store/s3.h"
#include "store/s3_client.h"
#include "store/store.h"
#include "util/fs.h"
#include "util/strbuf.h"

static pid_t server_pid;
static char endpoint[256];
static char *workdir;

#define SECRET "duckflow-test-secret"

/* ---- the server ---- */

static char *top_dir(void)
{
    const char *t = getenv("DUCKFLOW_TOP");
    if (t && *t)
        return xstrdup(t);
    /* __FILE__ is tests/unit/test_s3.c under the source tree */
    char *f = xstrdup(__FILE__);
    char *p = strstr(f, "/tests/unit/");
    if (p)
        *p = '\0';
    return f;
}

static int start_server(void **state)
{
    (void)state;
    struct df_error err = DF_ERROR_INIT;
    workdir = fs_mkdtemp(NULL, "test-s3", &err);
    if (!workdir)
        return -1;
    char *top = top_dir();
    char *script = xasprintf("%s/tests/support/s3/front.js", top);
    char *portfile = xasprintf("%s/endpoint", workdir);
    server_pid = fork();
    if (server_pid == 0) {
        setenv("S3_FRONT_KEYS", "duckflow-test:" SECRET, 1);
        setenv("S3_FRONT_BUCKETS", "duckflow,other", 1);
        setenv("S3_FRONT_WEB_TOKEN", "pod-token-123", 1);
        setenv("TMPDIR", workdir, 1);
        if (!freopen("/dev/null", "w", stdout))
            _exit(127);
        execlp("node", "node", "--openssl-legacy-provider", script, "--port-file", portfile,
               (char *)NULL);
        _exit(127);
    }
    int ok = -1;
    for (int i = 0; i < 300; i++) { /* 30 s */
        char *data = NULL;
        size_t len;
        struct df_error e = DF_ERROR_INIT;
        if (fs_read_file(portfile, 1024, &data, &len, &e) == 0) {
            while (len > 0 && (data[len - 1] == '\n'))
                data[--len] = '\0';
            snprintf(endpoint, sizeof(endpoint), "%s", data);
            free(data);
            ok = 0;
            break;
        }
        struct timespec ts = {0, 100000000L};
        nanosleep(&ts, NULL);
    }
    free(top);
    free(script);
    free(portfile);
    if (ok != 0)
        return -1;
    setenv("AWS_ENDPOINT_URL", endpoint, 1);
    setenv("AWS_ACCESS_KEY_ID", "duckflow-test", 1);
    setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
    setenv("AWS_REGION", "us-east-1", 1);
    setenv("DUCKFLOW_S3_RETRY_BASE_MS", "5", 1);
    setenv("DUCKFLOW_S3_RETRY_MAX_MS", "200", 1);
    setenv("DUCKFLOW_S3_ALLOW_SMALL_PARTS", "1", 1);
    setenv("DUCKFLOW_S3_PART_SIZE", "256K", 1);
    setenv("DUCKFLOW_S3_MULTIPART_THRESHOLD", "1M", 1);
    setenv("DUCKFLOW_S3_TIMEOUT", "5", 1);
    return 0;
}

static int stop_server(void **state)
{
    (void)state;
    if (server_pid > 0) {
        kill(server_pid, SIGTERM);
        waitpid(server_pid, NULL, 0);
    }
    struct df_error err = DF_ERROR_INIT;
    if (workdir)
        fs_remove_tree(workdir, &err);
    free(workdir);
    return 0;
}

static size_t sink(char *p, size_t s, size_t n, void *ud)
{
    sb_add(ud, p, s * n);
    return s * n;
}

/* POSTs/GETs the front's control endpoint; returns the body (free()). */
static char *control(const char *what, const char *json)
{
    struct strbuf out = STRBUF_INIT;
    char *url = xasprintf("%s/_front/%s", endpoint, what);
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &out);
    if (json)
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, json);
    assert_int_equal(curl_easy_perform(h), CURLE_OK);
    curl_easy_cleanup(h);
    free(url);
    return sb_detach(&out);
}

static void faults(const char *json)
{
    free(control("faults", json));
}

/* A number from the front's stats JSON, e.g. stat("\"drops\"") or stat("\"UploadPart\""). */
static long stat_of(const char *name)
{
    char *s = control("stats", NULL);
    char *p = strstr(s, name);
    long v = p ? strtol(p + strlen(name) + 1, NULL, 10) : -1;
    free(s);
    return v;
}

/* ---- helpers ---- */

static struct df_store *open_store(const char *uri)
{
    struct df_store *s = NULL;
    struct df_error err = DF_ERROR_INIT;
    int rc = df_store_s3_open(uri, &s, &err);
    if (rc != 0)
        fprintf(stderr, "# open: %s\n", err.msg);
    assert_int_equal(rc, 0);
    return s;
}

static char *make_file(const char *name, size_t size, unsigned seed)
{
    char *path = xasprintf("%s/%s", workdir, name);
    char *buf = xmalloc(size ? size : 1);
    for (size_t i = 0; i < size; i++) {
        seed = seed * 1103515245u + 12345u;
        buf[i] = (char)(seed >> 16);
    }
    struct df_error err = DF_ERROR_INIT;
    assert_int_equal(fs_write_atomic(path, buf, size, &err), 0);
    free(buf);
    return path;
}

static int same_file(const char *a, const char *b)
{
    char *x = NULL, *y = NULL;
    size_t nx = 0, ny = 0;
    struct df_error err = DF_ERROR_INIT;
    int ok = fs_read_file(a, 1 << 30, &x, &nx, &err) == 0 &&
             fs_read_file(b, 1 << 30, &y, &ny, &err) == 0 && nx == ny && memcmp(x, y, nx) == 0;
    free(x);
    free(y);
    return ok;
}

struct names {
    struct strbuf all;
    int n;
};

static int collect(const char *key, uint64_t size, void *ud)
{
    struct names *nm = ud;
    sb_addf(&nm->all, "%s=%llu;", key, (unsigned long long)size);
    nm->n++;
    return 0;
}

static int count_upload(const char *key, const char *id, void *ud)
{
    (void)key, (void)id;
    (*(int *)ud)++;
    return 0;
}

static int uploads_under(struct df_store *s, const char *prefix)
{
    int n = 0;
    struct df_error err = DF_ERROR_INIT;
    assert_int_equal(df_store_list_uploads(s, prefix, count_upload, &n, &err), 0);
    return n;
}

/* ---- tests ---- */

static void bytes_roundtrip_and_missing(void **state)
{
    (void)state;
    faults("{}");
    struct df_store *s = open_store("s3://duckflow/t1//root/");
    assert_string_equal(s->uri, "s3://duckflow/t1/root");
    assert_null(s->ops->local_path(s, "x"));
    struct df_error err = DF_ERROR_INIT;
    const char *keys[] = {"plain.txt", "dir/a b+c=d&e?f#g~h.txt", "uni/\xc3\xbc\xe2\x82\xac.json",
                          "empty"};
    for (size_t i = 0; i < 4; i++) {
        const char *data = i == 3 ? "" : keys[i];
        assert_int_equal(s->ops->put_bytes(s, keys[i], data, strlen(data), &err), 0);
        char *got = NULL;
        size_t len = 0;
        assert_int_equal(s->ops->get_bytes(s, keys[i], 1 << 20, &got, &len, &err), 0);
        assert_int_equal(len, strlen(data));
        assert_string_equal(got, data);
        free(got);
    }
    char *got = NULL;
    size_t len = 0;
    assert_int_equal(s->ops->get_bytes(s, "plain.txt", 3, &got, &len, &err), -1);
    assert_non_null(strstr(err.msg, "larger than"));
    df_error_clear(&err);
    assert_int_equal(s->ops->get_bytes(s, "nope/missing.json", 100, &got, &len, &err), -1);
    assert_int_equal(err.code, DF_ENOTFOUND);
    assert_non_null(strstr(err.msg, "bucket 'duckflow'"));
    assert_non_null(strstr(err.msg, "key 't1/root/nope/missing.json'"));
    df_error_clear(&err);
    char *dst = xasprintf("%s/never", workdir);
    assert_int_equal(s->ops->get_file(s, "nope", dst, &err), -1);
    assert_int_equal(err.code, DF_ENOTFOUND);
    assert_false(fs_exists(dst));
    free(dst);
    df_error_clear(&err);
    /* keys the local store refuses are refused here too */
    const char *badkeys[] = {"", "/abs", "a//b", "a/../b", "./a", "a/"};
    for (size_t i = 0; i < 6; i++) {
        df_error_clear(&err);
        assert_int_equal(s->ops->put_bytes(s, badkeys[i], "x", 1, &err), -1);
        assert_int_equal(err.code, DF_EUSAGE);
    }
    df_error_clear(&err);
    /* downloads create the target's folder */
    char *deep = xasprintf("%s/new/deep/dir/plain.txt", workdir);
    assert_int_equal(s->ops->get_file(s, "plain.txt", deep, &err), 0);
    assert_true(fs_exists(deep));
    free(deep);
    /* a missing bucket names the bucket */
    struct df_store *nb = open_store("s3://no-such-bucket/x");
    assert_int_equal(nb->ops->put_bytes(nb, "k", "v", 1, &err), -1);
    assert_non_null(strstr(err.msg, "no-such-bucket"));
    df_error_clear(&err);
    nb->ops->free(nb);
    s->ops->free(s);
}

static void files_single_and_multipart(void **state)
{
    (void)state;
    faults("{}");
    struct df_store *s = open_store("s3://duckflow/t2");
    struct df_error err = DF_ERROR_INIT;
    size_t sizes[] = {0, 1000, 1048575, 3 * 1048576 + 12345};
    for (size_t i = 0; i < 4; i++) {
        char name[32], key[32];
        snprintf(name, sizeof(name), "src%zu", i);
        snprintf(key, sizeof(key), "f/%zu.parquet", i);
        char *src = make_file(name, sizes[i], (unsigned)i + 7);
        long before = stat_of("\"UploadPart\"");
        int rc = s->ops->put_file(s, key, src, &err);
        if (rc)
            fprintf(stderr, "# %s\n", err.msg);
        assert_int_equal(rc, 0);
        if (sizes[i] >= 1048576) /* multipart above the threshold: 13 parts of 256 KiB */
            assert_true(stat_of("\"UploadPart\"") - (before < 0 ? 0 : before) >= 4);
        char *dst = xasprintf("%s/dst%zu", workdir, i);
        rc = s->ops->get_file(s, key, dst, &err);
        if (rc)
            fprintf(stderr, "# %s\n", err.msg);
        assert_int_equal(rc, 0);
        assert_true(same_file(src, dst));
        free(src);
        free(dst);
    }
    assert_int_equal(uploads_under(s, ""), 0);
    /* ranged read */
    struct s3_client_config cfg = {"duckflow", NULL, 0};
    struct s3_client *c = NULL;
    assert_int_equal(s3_client_new(&cfg, &c, &err), 0);
    char *part = NULL;
    size_t len = 0;
    assert_int_equal(s3_get_bytes(c, "t2/f/1.parquet", 10, 20, 100, &part, &len, &err), 0);
    assert_int_equal(len, 20);
    char *whole = NULL;
    assert_int_equal(s3_get_bytes(c, "t2/f/1.parquet", 0, 0, 1 << 20, &whole, &len, &err), 0);
    assert_memory_equal(part, whole + 10, 20);
    struct s3_head hd;
    assert_int_equal(s3_head(c, "t2/f/3.parquet", &hd, &err), 0);
    assert_int_equal(hd.size, sizes[3]);
    assert_non_null(strchr(hd.etag, '-')); /* a multipart ETag, verified at upload */
    free(part);
    free(whole);
    s3_client_free(c);
    s->ops->free(s);
}

static void list_paginates_and_strips_root(void **state)
{
    (void)state;
    faults("{}");
    setenv("DUCKFLOW_S3_LIST_PAGE", "7", 1);
    struct df_store *s = open_store("s3://duckflow/t3/");
    struct df_store *other = open_store("s3://duckflow/t3x");
    struct df_error err = DF_ERROR_INIT;
    for (int i = 24; i >= 0; i--) {
        char key[64];
        snprintf(key, sizeof(key), "runs/r1/step/%05d/part.parquet", i);
        assert_int_equal(s->ops->put_bytes(s, key, key, (size_t)i, &err), 0);
    }
    assert_int_equal(s->ops->put_bytes(s, "runs/r10/x", "y", 1, &err), 0);
    assert_int_equal(other->ops->put_bytes(other, "runs/r1/zzz", "y", 1, &err), 0);
    long before = stat_of("\"ListObjects\"");
    struct names nm = {STRBUF_INIT, 0};
    assert_int_equal(s->ops->list(s, "runs/r1/", collect, &nm, &err), 0);
    assert_int_equal(nm.n, 25);
    assert_true(stat_of("\"ListObjects\"") - before >= 4); /* 25 keys, pages of 7 */
    assert_true(strncmp(nm.all.buf, "runs/r1/step/00000/part.parquet=0;", 34) == 0);
    assert_non_null(strstr(nm.all.buf, "runs/r1/step/00024/part.parquet=24;"));
    assert_true(strstr(nm.all.buf, "00003") < strstr(nm.all.buf, "00004")); /* sorted */
    sb_reset(&nm.all);
    nm.n = 0;
    assert_int_equal(s->ops->list(s, "runs/r1", collect, &nm, &err), 0);
    assert_int_equal(nm.n, 26); /* a plain string prefix: r10 too, never t3x */
    sb_release(&nm.all);
    assert_int_equal(s->ops->remove(s, "runs/r10/x", &err), 0);
    assert_int_equal(s->ops->remove(s, "runs/r10/x", &err), 0); /* missing: fine */
    char *d = NULL;
    size_t len;
    assert_int_equal(s->ops->get_bytes(s, "runs/r10/x", 10, &d, &len, &err), -1);
    assert_int_equal(err.code, DF_ENOTFOUND);
    unsetenv("DUCKFLOW_S3_LIST_PAGE");
    other->ops->free(other);
    s->ops->free(s);
}

static void survives_injected_faults(void **state)
{
    (void)state;
    faults("{\"errorRate\":0.25}");
    struct df_store *s = open_store("s3://duckflow/t4");
    struct df_error err = DF_ERROR_INIT;
    char *src = make_file("faulty", 2 * 1048576 + 5, 99);
    for (int i = 0; i < 12; i++) {
        char key[32], val[32];
        snprintf(key, sizeof(key), "k%02d", i);
        snprintf(val, sizeof(val), "value %d", i);
        int rc = s->ops->put_bytes(s, key, val, strlen(val), &err);
        if (rc)
            fprintf(stderr, "# %s\n", err.msg);
        assert_int_equal(rc, 0);
        char *got = NULL;
        size_t len;
        assert_int_equal(s->ops->get_bytes(s, key, 100, &got, &len, &err), 0);
        assert_string_equal(got, val);
        free(got);
    }
    assert_int_equal(s->ops->put_file(s, "big", src, &err), 0);
    char *dst = xasprintf("%s/faulty.out", workdir);
    assert_int_equal(s->ops->get_file(s, "big", dst, &err), 0);
    assert_true(same_file(src, dst));
    assert_true(stat_of("\"faults\"") > 0);
    /* connections dropped mid-upload and mid-download: retried, resumed, identical */
    faults("{\"dropMidUpload\":2,\"dropMidDownload\":2,\"dropAfterBytes\":100000}");
    assert_int_equal(s->ops->put_file(s, "big2", src, &err), 0);
    unlink(dst);
    assert_int_equal(s->ops->get_file(s, "big2", dst, &err), 0);
    assert_true(same_file(src, dst));
    assert_true(stat_of("\"drops\"") >= 3);
    /* a CompleteMultipartUpload whose answer is lost: the retry finds the upload gone
     * (NoSuchUpload) and the object complete */
    faults("{\"dropCompleteAnswer\":1}");
    long drops = stat_of("\"drops\"");
    assert_int_equal(s->ops->put_file(s, "big3", src, &err), 0);
    assert_int_equal(stat_of("\"drops\""), drops + 1);
    unlink(dst);
    assert_int_equal(s->ops->get_file(s, "big3", dst, &err), 0);
    assert_true(same_file(src, dst));
    /* a download corrupted on the way: the MD5 check catches it and it is fetched again */
    long f0 = stat_of("\"faults\"");
    faults("{\"corruptDownload\":1}");
    char *small = make_file("small", 70000, 17);
    assert_int_equal(s->ops->put_file(s, "small", small, &err), 0);
    char *sdst = xasprintf("%s/small.out", workdir);
    assert_int_equal(s->ops->get_file(s, "small", sdst, &err), 0);
    assert_true(same_file(small, sdst));
    assert_int_equal(stat_of("\"faults\""), f0 + 1);
    faults("{\"corruptDownload\":3}");
    setenv("DUCKFLOW_S3_MAX_ATTEMPTS", "3", 1);
    struct df_store *s3 = open_store("s3://duckflow/t4");
    unlink(sdst);
    assert_int_equal(s3->ops->get_file(s3, "small", sdst, &err), -1);
    assert_non_null(strstr(err.msg, "download corrupt"));
    assert_false(fs_exists(sdst));
    df_error_clear(&err);
    faults("{\"corruptDownload\":1}");
    char *mem = NULL;
    size_t mlen = 0;
    assert_int_equal(s3->ops->get_bytes(s3, "small", 100000, &mem, &mlen, &err), 0);
    assert_int_equal(mlen, 70000);
    free(mem);
    faults("{\"corruptDownload\":3}");
    assert_int_equal(s3->ops->get_bytes(s3, "small", 100000, &mem, &mlen, &err), -1);
    assert_non_null(strstr(err.msg, "download corrupt"));
    df_error_clear(&err);
    unsetenv("DUCKFLOW_S3_MAX_ATTEMPTS");
    s3->ops->free(s3);
    free(small);
    free(sdst);
    faults("{\"dropMidDownload\":1,\"dropAfterBytes\":100000}");
    unlink(dst);
    assert_int_equal(s->ops->get_file(s, "big", dst, &err), 0);
    assert_true(same_file(src, dst));
    /* connections dropped before any answer */
    faults("{\"dropRate\":0.3}");
    for (int i = 0; i < 8; i++) {
        char key[16];
        snprintf(key, sizeof(key), "d%d", i);
        assert_int_equal(s->ops->put_bytes(s, key, key, strlen(key), &err), 0);
        char *got = NULL;
        size_t len;
        assert_int_equal(s->ops->get_bytes(s, key, 100, &got, &len, &err), 0);
        assert_string_equal(got, key);
        free(got);
    }
    /* every attempt failing: a clear error after the configured attempts */
    faults("{\"errorRate\":1}");
    setenv("DUCKFLOW_S3_MAX_ATTEMPTS", "3", 1);
    struct df_store *s2 = open_store("s3://duckflow/t4");
    assert_int_equal(s2->ops->put_bytes(s2, "x", "y", 1, &err), -1);
    assert_int_equal(err.code, DF_EIO);
    assert_non_null(strstr(err.msg, "after 3 attempts"));
    unsetenv("DUCKFLOW_S3_MAX_ATTEMPTS");
    faults("{}");
    s2->ops->free(s2);
    free(src);
    free(dst);
    s->ops->free(s);
}

static void failed_multipart_is_aborted(void **state)
{
    (void)state;
    faults("{\"failPart\":3,\"failPartTimes\":-1,\"failPartStatus\":403}");
    struct df_store *s = open_store("s3://duckflow/t5");
    struct df_error err = DF_ERROR_INIT;
    char *src = make_file("fails", 2 * 1048576, 5);
    assert_int_equal(s->ops->put_file(s, "out/part-0.parquet", src, &err), -1);
    assert_int_equal(err.code, DF_EIO);
    assert_non_null(strstr(err.msg, "part 3"));
    faults("{}");
    struct names nm = {STRBUF_INIT, 0};
    assert_int_equal(s->ops->list(s, "out/", collect, &nm, &err), 0);
    assert_int_equal(nm.n, 0);
    assert_int_equal(uploads_under(s, ""), 0);
    assert_true(stat_of("\"aborts\"") >= 1);
    sb_release(&nm.all);
    free(src);
    s->ops->free(s);
}

static void killed_upload_leaves_nothing_visible(void **state)
{
    (void)state;
    /* slow parts, so the child is surely mid-upload when killed */
    faults("{\"slowMs\":300}");
    char *src = make_file("killed", 3 * 1048576, 11);
    long parts0 = stat_of("\"UploadPart\"");
    pid_t pid = fork();
    if (pid == 0) {
        struct df_store *s = NULL;
        struct df_error err = DF_ERROR_INIT;
        if (df_store_s3_open("s3://duckflow/t6", &s, &err) != 0)
            _exit(2);
        s->ops->put_file(s, "run/step/0/a1/t/part-0.parquet", src, &err);
        _exit(0);
    }
    for (int i = 0; i < 200 && stat_of("\"UploadPart\"") <= parts0; i++) {
        struct timespec ts = {0, 20000000L};
        nanosleep(&ts, NULL);
    }
    struct timespec ts = {0, 200000000L};
    nanosleep(&ts, NULL);
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFSIGNALED(status));
    faults("{}");
    struct df_store *s = open_store("s3://duckflow/t6");
    struct df_error err = DF_ERROR_INIT;
    struct names nm = {STRBUF_INIT, 0};
    assert_int_equal(s->ops->list(s, "run/", collect, &nm, &err), 0);
    assert_int_equal(nm.n, 0); /* nothing visible */
    assert_int_equal(uploads_under(s, "run/step/0/"), 1);
    assert_int_equal(uploads_under(s, "run/step/1/"), 0);
    size_t n = 0;
    assert_int_equal(df_store_abort_uploads(s, "run/step/0/", &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(uploads_under(s, "run/"), 0);
    sb_release(&nm.all);
    free(src);
    s->ops->free(s);
}

static void wrong_secret_is_a_clear_error(void **state)
{
    (void)state;
    faults("{}");
    setenv("AWS_SECRET_ACCESS_KEY", "not-the-right-secret-XYZ", 1);
    setenv("DUCKFLOW_DEBUG", "1", 1);
    struct df_store *s = open_store("s3://duckflow/t7");
    struct df_error err = DF_ERROR_INIT;
    assert_int_equal(s->ops->put_bytes(s, "k", "v", 1, &err), -1);
    assert_int_equal(err.code, DF_EIO);
    assert_non_null(strstr(err.msg, "SignatureDoesNotMatch"));
    assert_non_null(strstr(err.msg, "s3://duckflow/t7/k"));
    assert_null(strstr(err.msg, "not-the-right-secret"));
    s->ops->free(s);
    setenv("AWS_ACCESS_KEY_ID", "unknown-id", 1);
    s = open_store("s3://duckflow/t7");
    df_error_clear(&err);
    char *d = NULL;
    size_t len;
    assert_int_equal(s->ops->get_bytes(s, "k", 10, &d, &len, &err), -1);
    assert_int_equal(err.code, DF_EIO);
    assert_non_null(strstr(err.msg, "InvalidAccessKeyId"));
    s->ops->free(s);
    unsetenv("DUCKFLOW_DEBUG");
    setenv("AWS_ACCESS_KEY_ID", "duckflow-test", 1);
    setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
    /* the wrong region: the answer says which one is right */
    setenv("AWS_REGION", "eu-west-1", 1);
    s = open_store("s3://duckflow/t7");
    df_error_clear(&err);
    assert_int_equal(s->ops->put_bytes(s, "k", "v", 1, &err), -1);
    assert_int_equal(err.code, DF_EIO);
    assert_non_null(strstr(err.msg, "region 'us-east-1', not 'eu-west-1'"));
    s->ops->free(s);
    setenv("AWS_REGION", "us-east-1", 1);
}

static void web_identity_refreshes(void **state)
{
    (void)state;
    faults("{\"stsDuration\":4}");
    char *tok = xasprintf("%s/token", workdir);
    struct df_error err = DF_ERROR_INIT;
    assert_int_equal(fs_write_atomic(tok, "pod-token-123\n", 14, &err), 0);
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    char *nofile = xasprintf("%s/none", workdir);
    setenv("AWS_SHARED_CREDENTIALS_FILE", nofile, 1);
    setenv("AWS_CONFIG_FILE", nofile, 1);
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", tok, 1);
    setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/duckflow", 1);
    setenv("AWS_ENDPOINT_URL_STS", endpoint, 1);
    long sts0 = stat_of("\"sts\"");
    struct df_store *s = open_store("s3://duckflow/t8");
    /* a task longer than the credentials live: ~6 s of requests over 4 s credentials */
    for (int i = 0; i < 12; i++) {
        char key[16];
        snprintf(key, sizeof(key), "w%d", i);
        int rc = s->ops->put_bytes(s, key, "v", 1, &err);
        if (rc)
            fprintf(stderr, "# %s\n", err.msg);
        assert_int_equal(rc, 0);
        struct timespec ts = {0, 500000000L};
        nanosleep(&ts, NULL);
    }
    assert_true(stat_of("\"sts\"") - sts0 >= 2);
    s->ops->free(s);
    /* a token STS refuses: a clear error at open */
    assert_int_equal(fs_write_atomic(tok, "stolen", 6, &err), 0);
    struct df_store *bad = NULL;
    assert_int_equal(df_store_s3_open("s3://duckflow/t8", &bad, &err), -1);
    assert_int_equal(err.code, DF_EIO);
    assert_non_null(strstr(err.msg, "InvalidIdentityToken"));
    assert_null(strstr(err.msg, "stolen"));
    unsetenv("AWS_WEB_IDENTITY_TOKEN_FILE");
    unsetenv("AWS_ROLE_ARN");
    unsetenv("AWS_ENDPOINT_URL_STS");
    unsetenv("AWS_SHARED_CREDENTIALS_FILE");
    unsetenv("AWS_CONFIG_FILE");
    setenv("AWS_ACCESS_KEY_ID", "duckflow-test", 1);
    setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
    faults("{}");
    free(tok);
    free(nofile);
}

struct job {
    struct df_store *s;
    int id;
    int failures;
};

static void *worker(void *arg)
{
    struct job *j = arg;
    for (int i = 0; i < 10; i++) {
        char key[64], val[64];
        struct df_error err = DF_ERROR_INIT;
        snprintf(key, sizeof(key), "thr%d/obj%d", j->id, i);
        snprintf(val, sizeof(val), "thread %d object %d", j->id, i);
        char *got = NULL;
        size_t len = 0;
        if (j->s->ops->put_bytes(j->s, key, val, strlen(val), &err) != 0 ||
            j->s->ops->get_bytes(j->s, key, 100, &got, &len, &err) != 0 || strcmp(got, val) != 0)
            j->failures++;
        free(got);
    }
    return NULL;
}

static void threads_share_a_store(void **state)
{
    (void)state;
    faults("{\"errorRate\":0.1}");
    struct df_store *s = open_store("s3://duckflow/t9");
    pthread_t th[6];
    struct job jobs[6];
    for (int i = 0; i < 6; i++) {
        jobs[i] = (struct job){s, i, 0};
        pthread_create(&th[i], NULL, worker, &jobs[i]);
    }
    for (int i = 0; i < 6; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(jobs[i].failures, 0);
    }
    faults("{}");
    struct names nm = {STRBUF_INIT, 0};
    struct df_error err = DF_ERROR_INIT;
    assert_int_equal(s->ops->list(s, "thr", collect, &nm, &err), 0);
    assert_int_equal(nm.n, 60);
    sb_release(&nm.all);
    s->ops->free(s);
}

static void virtual_host_style(void **state)
{
    (void)state;
    faults("{}");
    /* curl resolves BUCKET.localhost to the loopback address; the front reads the bucket
     * from the Host header */
    const char *port = strrchr(endpoint, ':');
    char *ep = xasprintf("http://localhost%s", port);
    setenv("DUCKFLOW_S3_ENDPOINT", ep, 1);
    setenv("DUCKFLOW_S3_ADDRESSING", "virtual", 1);
    setenv("DUCKFLOW_S3_LIST_PAGE", "2", 1);
    long v0 = stat_of("\"vhost\"");
    struct df_store *s = open_store("s3://duckflow/vh");
    struct df_error err = DF_ERROR_INIT;
    char *src = make_file("vh", 1500000, 3); /* multipart too */
    assert_int_equal(s->ops->put_file(s, "a/b c.bin", src, &err), 0);
    assert_int_equal(s->ops->put_bytes(s, "a/d", "x", 1, &err), 0);
    assert_int_equal(s->ops->put_bytes(s, "a/e", "y", 1, &err), 0);
    char *dst = xasprintf("%s/vh.out", workdir);
    assert_int_equal(s->ops->get_file(s, "a/b c.bin", dst, &err), 0);
    assert_true(same_file(src, dst));
    struct names nm = {STRBUF_INIT, 0};
    assert_int_equal(s->ops->list(s, "a/", collect, &nm, &err), 0);
    assert_int_equal(nm.n, 3);
    assert_true(stat_of("\"vhost\"") - (v0 < 0 ? 0 : v0) >= 8);
    sb_release(&nm.all);
    s->ops->free(s);
    unsetenv("DUCKFLOW_S3_ENDPOINT");
    unsetenv("DUCKFLOW_S3_ADDRESSING");
    unsetenv("DUCKFLOW_S3_LIST_PAGE");
    free(ep);
    free(src);
    free(dst);
}

static void clock_skew_is_corrected(void **state)
{
    (void)state;
    faults("{\"skewSeconds\":3600}"); /* the server's clock is an hour ahead */
    setenv("DUCKFLOW_S3_MAX_ATTEMPTS", "2", 1);
    struct df_store *s = open_store("s3://duckflow/skew");
    struct df_error err = DF_ERROR_INIT;
    int rc = s->ops->put_bytes(s, "k", "v", 1, &err);
    if (rc)
        fprintf(stderr, "# %s\n", err.msg);
    assert_int_equal(rc, 0);
    char *d = NULL;
    size_t len;
    assert_int_equal(s->ops->get_bytes(s, "k", 10, &d, &len, &err), 0);
    free(d);
    s->ops->free(s);
    unsetenv("DUCKFLOW_S3_MAX_ATTEMPTS");
    faults("{}");
}

static void gcs_uri_and_bad_uris(void **state)
{
    (void)state;
    faults("{}");
    setenv("GOOGLE_HMAC_ACCESS_ID", "duckflow-test", 1);
    setenv("GOOGLE_HMAC_SECRET", SECRET, 1);
    setenv("DUCKFLOW_GCS_ENDPOINT", endpoint, 1);
    setenv("DUCKFLOW_GCS_REGION", "us-east-1", 1); /* the front checks the signed region */
    setenv("AWS_SECRET_ACCESS_KEY", "wrong", 1);   /* the GOOGLE_HMAC_* key must win */
    struct df_store *s = open_store("gs://duckflow/gcs");
    assert_string_equal(s->ops->scheme, "gs");
    assert_string_equal(s->uri, "gs://duckflow/gcs");
    struct df_error err = DF_ERROR_INIT;
    int rc = s->ops->put_bytes(s, "a", "b", 1, &err);
    if (rc)
        fprintf(stderr, "# %s\n", err.msg);
    assert_int_equal(rc, 0);
    s->ops->free(s);
    setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
    unsetenv("GOOGLE_HMAC_ACCESS_ID");
    unsetenv("GOOGLE_HMAC_SECRET");
    unsetenv("DUCKFLOW_GCS_ENDPOINT");
    unsetenv("DUCKFLOW_GCS_REGION");
    struct df_store *bad = NULL;
    assert_int_equal(df_store_s3_open("s3://", &bad, &err), -1);
    assert_int_equal(err.code, DF_EUSAGE);
    df_error_clear(&err);
    assert_int_equal(df_store_s3_open("ftp://x/y", &bad, &err), -1);
    df_error_clear(&err);
    setenv("DUCKFLOW_S3_ENDPOINT", "localhost:9000", 1);
    assert_int_equal(df_store_s3_open("s3://b/p", &bad, &err), -1);
    assert_non_null(strstr(err.msg, "http:// or https://"));
    unsetenv("DUCKFLOW_S3_ENDPOINT");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bytes_roundtrip_and_missing),
        cmocka_unit_test(files_single_and_multipart),
        cmocka_unit_test(list_paginates_and_strips_root),
        cmocka_unit_test(survives_injected_faults),
        cmocka_unit_test(failed_multipart_is_aborted),
        cmocka_unit_test(killed_upload_leaves_nothing_visible),
        cmocka_unit_test(wrong_secret_is_a_clear_error),
        cmocka_unit_test(web_identity_refreshes),
        cmocka_unit_test(threads_share_a_store),
        cmocka_unit_test(virtual_host_style),
        cmocka_unit_test(clock_skew_is_corrected),
        cmocka_unit_test(gcs_uri_and_bad_uris),
    };
    return cmocka_run_group_tests(tests, start_server, stop_server);
}
