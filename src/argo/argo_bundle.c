/*
 * argo_bundle.c - the pipeline's bundle in the store: the pipeline file, its SQL files and
 * the small local inputs a manifest ships, written once by the workflow's first pod (the
 * only template that carries them) under <pipeline>/bundles/<hash>/ and read back by every
 * other pod, which checks each file's sha256 and the bundle's hash (see argo.h).
 *
 * Layout: <pipeline>/bundles/<hash>/files/<path> per file (path as the file sits under
 * /pipeline in a pod) and <pipeline>/bundles/<hash>/_bundle.json, written last:
 *   {"format": 1, "hash": H, "pipeline": "<path of the pipeline file>",
 *    "files": [{"path": P, "size": N, "sha256": S}, ...]}
 * The hash covers every file's path and bytes (not the params, which a submit may change),
 * so a bundle is written once per version of the files, whatever the workflow.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argo/argo_internal.h"
#include "util/fs.h"
#include "util/hash.h"

#include "util/banned.h"

#define BUNDLE_INDEX_MAX (16 * 1024 * 1024)

/* The path of a shipped file under /pipeline in a pod ("sql/a.sql", "_/shared/x.sql"). */
static char *bundle_path(const struct ship *s, const struct shipped *f)
{
    char *pp = ag_pod_path(s, f->rel);
    const size_t root = strlen(DF_ARGO_PIPELINE_ROOT) + 1;
    char *out = xstrdup(strlen(pp) > root ? pp + root : pp);
    free(pp);
    return out;
}

static void hash_file(struct df_sha256 *h, const char *path, const char *data, size_t len)
{
    char n[32];
    snprintf(n, sizeof(n), "%zu", len);
    df_sha256_update(h, path, strlen(path) + 1);
    df_sha256_update(h, n, strlen(n) + 1);
    df_sha256_update(h, data, len);
}

void ag_bundle_hash(const struct ship *s, char out[65])
{
    struct df_sha256 *h = df_sha256_new();
    for (size_t i = 0; i < s->n; i++) {
        char *bp = bundle_path(s, &s->v[i]);
        hash_file(h, bp, s->v[i].data, s->v[i].len);
        free(bp);
    }
    df_sha256_final(h, out);
}

char *ag_bundle_pipeline_path(const struct ship *s)
{
    return bundle_path(s, &s->v[0]);
}

static int valid_hash(const char *h)
{
    if (!h || strlen(h) != 64)
        return 0;
    for (const char *c = h; *c; c++)
        if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
            return 0;
    return 1;
}

int df_argo_bundle_hash(const struct df_pipeline *p, char out[65], struct df_error *err)
{
    struct ship s;
    memset(&s, 0, sizeof(s));
    if (ag_collect_files(p, &s, NULL, err)) {
        ag_ship_release(&s);
        return -1;
    }
    ag_bundle_hash(&s, out);
    ag_ship_release(&s);
    return 0;
}

int df_argo_bundle_put(const struct df_pipeline *p, struct df_store *store, const char *hash,
                       struct df_error *err)
{
    struct ship s;
    char got[65], *key = NULL, *idx_key, *text = NULL;
    json_t *idx = NULL, *files;
    int rc = -1;

    if (!valid_hash(hash))
        return df_error_set(err, DF_EUSAGE, "bundle '%s' is not a sha256 in hex", hash ? hash : "");
    memset(&s, 0, sizeof(s));
    idx_key = xasprintf("%s/bundles/%s/_bundle.json", p->name, hash);
    if (ag_collect_files(p, &s, NULL, err))
        goto done;
    ag_bundle_hash(&s, got);
    if (strcmp(got, hash)) {
        df_error_set(err, DF_EUSAGE,
                     "the pipeline's files make bundle %.12s, not %.12s as the manifest says; "
                     "compile the manifest again",
                     got, hash);
        goto done;
    }
    {
        /* Once per version: a bundle already there (its index is written last) stays. */
        char *data = NULL;
        size_t len = 0;
        if (df_store_get_bytes(store, idx_key, BUNDLE_INDEX_MAX, &data, &len, err) == 0) {
            free(data);
            rc = 0;
            goto done;
        }
        if (err->code != DF_ENOTFOUND)
            goto done;
        df_error_clear(err);
    }
    idx = json_object();
    files = json_array();
    json_object_set_new(idx, "format", json_integer(1));
    json_object_set_new(idx, "hash", json_string(hash));
    for (size_t i = 0; i < s.n; i++) {
        char *bp = bundle_path(&s, &s.v[i]), sha[DF_SHA256_HEX];
        json_t *f = json_object();
        if (i == 0)
            json_object_set_new(idx, "pipeline", json_string(bp));
        df_sha256_hex(s.v[i].data, s.v[i].len, sha);
        json_object_set_new(f, "path", json_string(bp));
        json_object_set_new(f, "size", json_integer((json_int_t)s.v[i].len));
        json_object_set_new(f, "sha256", json_string(sha));
        json_array_append_new(files, f);
        free(key);
        key = xasprintf("%s/bundles/%s/files/%s", p->name, hash, bp);
        free(bp);
        if (df_store_put_bytes(store, key, s.v[i].data, s.v[i].len, err))
            goto done;
    }
    json_object_set_new(idx, "files", files);
    text = json_dumps(idx, JSON_INDENT(1));
    if (df_store_put_bytes(store, idx_key, text, strlen(text), err))
        goto done;
    rc = 0;
done:
    if (rc && err->code != DF_EUSAGE)
        df_error_prefix(err, "bundle %.12s", hash);
    free(text);
    free(key);
    free(idx_key);
    json_decref(idx);
    ag_ship_release(&s);
    return rc;
}

/* A path from a bundle index that stays inside the folder it is written to. */
static int safe_path(const char *p)
{
    if (!p || !*p || p[0] == '/' || strstr(p, "//"))
        return 0;
    for (const char *s = p; *s;) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
            return 0;
        s += n + (e ? 1 : 0);
    }
    return 1;
}

int df_argo_bundle_fetch(struct df_store *store, const char *pipeline, const char *hash,
                         const char *dir, char **pipeline_path, struct df_error *err)
{
    char *idx_key = NULL, *data = NULL, *key = NULL, *local = NULL;
    size_t len = 0;
    json_t *idx = NULL, *f;
    const char *main_path;
    struct df_sha256 *h = NULL;
    char got[65];
    size_t i;
    int rc = -1;

    *pipeline_path = NULL;
    if (!valid_hash(hash))
        return df_error_set(err, DF_EUSAGE, "bundle '%s' is not a sha256 in hex", hash ? hash : "");
    idx_key = xasprintf("%s/bundles/%s/_bundle.json", pipeline, hash);
    if (df_store_get_bytes(store, idx_key, BUNDLE_INDEX_MAX, &data, &len, err)) {
        if (err->code == DF_ENOTFOUND)
            df_error_set(err, DF_EIO,
                         "bundle %.12s of '%s' is not in the store (the workflow's bundle task "
                         "writes it first)",
                         hash, pipeline);
        goto done;
    }
    idx = json_loadb(data, len, 0, NULL);
    main_path = json_string_value(json_object_get(idx, "pipeline"));
    if (!json_is_array(json_object_get(idx, "files")) || !safe_path(main_path)) {
        df_error_set(err, DF_EIO, "bundle %.12s of '%s': _bundle.json is not a bundle index", hash,
                     pipeline);
        goto done;
    }
    h = df_sha256_new();
    json_array_foreach(json_object_get(idx, "files"), i, f)
    {
        const char *path = json_string_value(json_object_get(f, "path"));
        const char *want = json_string_value(json_object_get(f, "sha256"));
        char *body = NULL, sha[DF_SHA256_HEX];
        size_t blen = 0;
        if (!safe_path(path) || !want) {
            df_error_set(err, DF_EIO, "bundle %.12s: file %zu has no safe path or sha256", hash, i);
            goto done;
        }
        free(key);
        key = xasprintf("%s/bundles/%s/files/%s", pipeline, hash, path);
        if (df_store_get_bytes(store, key, PIPELINE_FILE_MAX, &body, &blen, err))
            goto done;
        df_sha256_hex(body, blen, sha);
        if (strcmp(sha, want)) {
            df_error_set(err, DF_EIO, "bundle %.12s: '%s' does not match its sha256", hash, path);
            free(body);
            goto done;
        }
        hash_file(h, path, body, blen);
        free(local);
        local = fs_join(dir, path);
        {
            char *slash = strrchr(local, '/');
            *slash = '\0';
            int mk = fs_mkdirs(local, err);
            *slash = '/';
            if (mk || fs_write_atomic(local, body, blen, err)) {
                free(body);
                goto done;
            }
        }
        free(body);
    }
    df_sha256_final(h, got);
    h = NULL;
    if (strcmp(got, hash)) {
        df_error_set(err, DF_EIO, "bundle %.12s of '%s': its files make bundle %.12s", hash,
                     pipeline, got);
        goto done;
    }
    *pipeline_path = fs_join(dir, main_path);
    rc = 0;
done:
    if (h) {
        char tmp[65];
        df_sha256_final(h, tmp);
    }
    free(local);
    free(key);
    free(data);
    free(idx_key);
    json_decref(idx);
    return rc;
}
