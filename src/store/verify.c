/*
 * verify.c - size/mtime checks of local reads and the re-hashing of `duckflow verify`
 * (see verify.h).
 */
#include "store/caps.h"
#include "store/verify.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/keycheck.h"
#include "store/layout.h"
#include "store/manifest.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/strbuf.h"
#include "util/banned.h"

int df_file_check_local(const char *path, json_t *rec, const char *key, struct df_error *err)
{
    struct stat st;
    json_t *bytes = json_object_get(rec, "bytes"), *mt = json_object_get(rec, "mtime_ns");

    if (stat(path, &st) != 0) {
        if (errno == ENOENT)
            return df_error_set(err, DF_EIO, "'%s' is missing although its manifest lists it", key);
        return df_error_errno(err, "cannot read '%s'", path);
    }
    if (json_is_integer(bytes) && (json_int_t)st.st_size != json_integer_value(bytes))
        return df_error_set(err, DF_EIO,
                            "'%s' changed since its manifest was written: %" PRId64
                            " bytes, the manifest says %" PRId64 " (see duckflow verify)",
                            key, (int64_t)st.st_size, (int64_t)json_integer_value(bytes));
    if (json_is_integer(mt)) {
        int64_t ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
        if (ns != (int64_t)json_integer_value(mt))
            return df_error_set(err, DF_EIO,
                                "'%s' changed since its manifest was written: modified at "
                                "%" PRId64 " ns, the manifest says %" PRId64
                                " (see duckflow verify)",
                                key, ns, (int64_t)json_integer_value(mt));
    }
    return 0;
}

struct keys {
    char **v;
    size_t n, alloc;
    size_t parts; /* how many '/'-separated parts a manifest key has here */
};

/* Keeps the manifest keys: "<...>/<step>/<item>/_manifest.json" with the expected depth. */
static int pick(const char *key, uint64_t size, void *ud)
{
    struct keys *k = ud;
    size_t parts = 1;
    (void)size;
    for (const char *p = key; *p; p++)
        parts += *p == '/';
    if (parts != k->parts || strcmp(strrchr(key, '/'), "/_manifest.json") != 0)
        return 0;
    if (k->n == k->alloc) {
        k->alloc = k->alloc ? 2 * k->alloc : 64;
        k->v = xrealloc(k->v, k->alloc * sizeof(*k->v));
    }
    k->v[k->n++] = xstrdup(key);
    return 0;
}

/* SHA-256 of key: the local file, or a download into tmpdir hashed as it streams. */
static int hash_key(struct df_store *s, const char *key, const char *tmpdir,
                    char sha[DF_SHA256_HEX], int64_t *size, struct df_error *err)
{
    char *path = df_store_local_path(s, key), *tmp = NULL;
    int rc;

    if (!path) {
        tmp = fs_join(tmpdir, "file");
        rc = df_store_get_file(s, key, tmp, err);
        path = tmp;
        tmp = NULL;
        if (rc != 0) {
            free(path);
            return rc;
        }
        tmp = path;
    }
    *size = fs_file_size(path);
    if (*size < 0 && !tmp)
        rc = df_error_set(err, DF_ENOTFOUND, "'%s' does not exist", key);
    else
        rc = df_sha256_file(path, sha, err);
    if (tmp)
        unlink(tmp);
    free(path);
    return rc;
}

static void verify_manifest(struct df_store *s, const char *mkey, json_t *m, const char *tmpdir,
                            df_verify_cb cb, void *ud, struct df_verify_stats *st)
{
    const char *tname;
    json_t *t;
    char *task = xstrndup(mkey, (size_t)(strrchr(mkey, '/') - mkey));

    json_object_foreach(json_object_get(m, "tables"), tname, t)
    {
        size_t i, k = 0;
        json_t *f;
        /* A reused task's files are those of the task that made them ("files_root"):
         * df_manifest_table_keys knows where (one key per file that has a path). */
        json_t *keys = json_array();
        size_t nkeys =
            json_object_get(m, "files_root") ? df_manifest_table_keys(m, tname, keys) : 0;
        json_array_foreach(json_object_get(t, "files"), i, f)
        {
            const char *path = json_string_value(json_object_get(f, "path"));
            const char *want = json_string_value(json_object_get(f, "sha256"));
            json_int_t bytes = json_integer_value(json_object_get(f, "bytes"));
            struct df_error e = DF_ERROR_INIT;
            char sha[DF_SHA256_HEX], *key, *what = NULL;
            int64_t size = -1;

            if (!path || (nkeys && !*path))
                continue;
            if (nkeys)
                key = xstrdup(k < nkeys ? json_string_value(json_array_get(keys, k)) : path);
            else
                key = xasprintf("%s/%s", task, path);
            k++;
            st->files++;
            if (hash_key(s, key, tmpdir, sha, &size, &e) != 0)
                what = e.code == DF_ENOTFOUND ? xstrdup("missing") : xstrdup(e.msg);
            else if (json_is_integer(json_object_get(f, "bytes")) && size != (int64_t)bytes)
                what = xasprintf("%" PRId64 " bytes, the manifest says %" PRId64, size,
                                 (int64_t)bytes);
            else if (want && strcmp(want, sha) != 0)
                what = xasprintf("sha256 %s is not the manifest's %s", sha, want);
            else if (!want)
                what = xstrdup("the manifest lists no sha256");
            if (size > 0)
                st->bytes += (uint64_t)size;
            if (what) {
                st->differ++;
                if (cb)
                    cb(key, what, ud);
            }
            free(what);
            free(key);
        }
        json_decref(keys);
    }
    free(task);
}

int df_verify(struct df_store *s, const char *pipeline, const char *run, df_verify_cb cb, void *ud,
              struct df_verify_stats *stats, struct df_error *err)
{
    struct keys k = {NULL, 0, 0, 0};
    char *prefix, *tmpdir = NULL;
    int rc = -1;

    memset(stats, 0, sizeof(*stats));
    if (pipeline && run) {
        char *r = df_key_run(pipeline, run);
        prefix = xasprintf("%s/", r);
        free(r);
    } else if (pipeline) {
        prefix = df_key_runs(pipeline);
    } else {
        prefix = xstrdup("");
    }
    /* <pipeline>/runs/<run>/<step>/<item>/_manifest.json */
    k.parts = 6;
    if (df_store_list(s, prefix, pick, &k, err) != 0)
        goto out;
    if (!(tmpdir = fs_mkdtemp(NULL, "duckflow-verify", err)))
        goto out;
    for (size_t i = 0; i < k.n; i++) {
        char *data = NULL;
        size_t len = 0;
        json_t *m = NULL;
        struct df_error e = DF_ERROR_INIT;
        if (df_store_get_bytes(s, k.v[i], DF_CAP_MANIFEST, &data, &len, &e) == 0)
            m = json_loadb(data, len, 0, NULL);
        free(data);
        stats->manifests++;
        if (!json_is_object(m)) {
            stats->differ++;
            if (cb)
                cb(k.v[i], e.code ? e.msg : "the manifest is not a JSON object", ud);
        } else if (df_manifest_check_paths(m, k.v[i], &e) != 0) {
            stats->differ++;
            if (cb)
                cb(k.v[i], e.msg, ud);
        } else {
            verify_manifest(s, k.v[i], m, tmpdir, cb, ud, stats);
        }
        json_decref(m);
    }
    rc = 0;
out:
    if (tmpdir) {
        struct df_error ignored = DF_ERROR_INIT;
        fs_remove_tree(tmpdir, &ignored);
    }
    for (size_t i = 0; i < k.n; i++)
        free(k.v[i]);
    free(k.v);
    free(tmpdir);
    free(prefix);
    return rc;
}
