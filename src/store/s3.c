/*
 * s3.c - the S3/GCS store backend: "s3://bucket/prefix" and "gs://bucket/prefix" URIs
 * mapped onto the client in s3_client.c. Keys are relative to the prefix.
 */
#include "store/s3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/s3_client.h"
#include "store/store.h"
#include "util/strbuf.h"
#include "util/banned.h"

struct s3_store {
    struct s3_client *client;
    char *root; /* "" or "prefix/" */
};

/* The keys the local store accepts, so that both backends agree: relative, no empty,
 * "." or ".." segment. */
static int check_key(const char *key, struct df_error *err)
{
    if (!key || !*key || *key == '/')
        return df_error_set(err, DF_EUSAGE, "invalid store key '%s'", key ? key : "");
    for (const char *p = key;;) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return df_error_set(err, DF_EUSAGE, "invalid store key '%s'", key);
        if (!e)
            return 0;
        p = e + 1;
    }
}

static char *full_key(struct df_store *s, const char *key)
{
    struct s3_store *st = s->impl;
    return xasprintf("%s%s", st->root, key ? key : "");
}

static struct s3_client *client(struct df_store *s)
{
    return ((struct s3_store *)s->impl)->client;
}

static int op_put_file(struct df_store *s, const char *key, const char *path, struct df_error *err)
{
    if (check_key(key, err) != 0)
        return -1;
    char *k = full_key(s, key);
    int rc = s3_put_file(client(s), k, path, err);
    free(k);
    return rc;
}

static int op_put_bytes(struct df_store *s, const char *key, const void *data, size_t len,
                        struct df_error *err)
{
    if (check_key(key, err) != 0)
        return -1;
    char *k = full_key(s, key);
    int rc = s3_put_bytes(client(s), k, data, len, err);
    free(k);
    return rc;
}

static int op_get_file(struct df_store *s, const char *key, const char *path, struct df_error *err)
{
    if (check_key(key, err) != 0)
        return -1;
    char *k = full_key(s, key);
    int rc = s3_get_file(client(s), k, path, err);
    free(k);
    return rc;
}

static int op_get_file_checked(struct df_store *s, const char *key, const char *path,
                               const char *sha256, struct df_error *err)
{
    if (check_key(key, err) != 0)
        return -1;
    char *k = full_key(s, key);
    int rc = s3_get_file_checked(client(s), k, path, sha256, err);
    free(k);
    return rc;
}

static int op_get_bytes(struct df_store *s, const char *key, size_t max, char **data, size_t *len,
                        struct df_error *err)
{
    if (check_key(key, err) != 0)
        return -1;
    char *k = full_key(s, key);
    int rc = s3_get_bytes(client(s), k, 0, 0, max, data, len, err);
    free(k);
    return rc;
}

struct list_ctx {
    size_t skip;
    df_store_list_cb cb;
    void *ud;
};

static int strip_root(const char *key, uint64_t size, void *ud)
{
    struct list_ctx *lc = ud;
    if (strlen(key) < lc->skip)
        return 0;
    return lc->cb(key + lc->skip, size, lc->ud);
}

static int op_list(struct df_store *s, const char *prefix, df_store_list_cb cb, void *ud,
                   struct df_error *err)
{
    struct s3_store *st = s->impl;
    char *k = full_key(s, prefix);
    struct list_ctx lc = {strlen(st->root), cb, ud};
    int rc = s3_list(st->client, k, strip_root, &lc, err);
    free(k);
    return rc;
}

static int op_remove(struct df_store *s, const char *key, struct df_error *err)
{
    if (check_key(key, err) != 0)
        return -1;
    char *k = full_key(s, key);
    int rc = s3_delete(client(s), k, err);
    free(k);
    return rc;
}

static char *op_local_path(struct df_store *s, const char *key)
{
    (void)s, (void)key;
    return NULL;
}

static void op_free(struct df_store *s)
{
    if (!s)
        return;
    struct s3_store *st = s->impl;
    if (st) {
        s3_client_free(st->client);
        free(st->root);
        free(st);
    }
    free(s->uri);
    free(s);
}

static int put_new(struct df_store *s, const char *key, const void *data, size_t len, int gcs,
                   struct df_error *err)
{
    if (check_key(key, err) != 0)
        return -1;
    char *k = full_key(s, key);
    int rc = s3_put_bytes_new(client(s), k, data, len, gcs, err);
    free(k);
    return rc;
}

static int op_put_bytes_new_s3(struct df_store *s, const char *key, const void *data, size_t len,
                               struct df_error *err)
{
    return put_new(s, key, data, len, 0, err);
}

static int op_put_bytes_new_gs(struct df_store *s, const char *key, const void *data, size_t len,
                               struct df_error *err)
{
    return put_new(s, key, data, len, 1, err);
}

static int op_etag(struct df_store *s, const char *key, char *out, size_t n, struct df_error *err)
{
    struct s3_head h;
    if (check_key(key, err) != 0)
        return -1;
    char *k = full_key(s, key);
    int rc = s3_head(client(s), k, &h, err);
    free(k);
    if (rc == 0)
        snprintf(out, n, "%s", h.etag);
    return rc;
}

static const struct df_store_ops s3_ops = {
    "s3",      op_put_file,   op_put_bytes, op_get_file,         op_get_bytes, op_list,
    op_remove, op_local_path, op_free,      op_put_bytes_new_s3, op_etag,      op_get_file_checked,
};
static const struct df_store_ops gs_ops = {
    "gs",      op_put_file,   op_put_bytes, op_get_file,         op_get_bytes, op_list,
    op_remove, op_local_path, op_free,      op_put_bytes_new_gs, op_etag,      op_get_file_checked,
};

static int is_object_store(const struct df_store *s)
{
    return s && s->ops && (s->ops == &s3_ops || s->ops == &gs_ops);
}

int df_store_s3_open(const char *uri, struct df_store **out, struct df_error *err)
{
    *out = NULL;
    int gcs;
    const char *rest;
    if (strncmp(uri, "s3://", 5) == 0) {
        gcs = 0;
        rest = uri + 5;
    } else if (strncmp(uri, "gs://", 5) == 0) {
        gcs = 1;
        rest = uri + 5;
    } else {
        return df_error_set(err, DF_EUSAGE,
                            "store '%s': expected s3://bucket/prefix or "
                            "gs://bucket/prefix",
                            uri);
    }
    const char *slash = strchr(rest, '/');
    char *bucket = slash ? xstrndup(rest, (size_t)(slash - rest)) : xstrdup(rest);
    if (!*bucket || strchr(bucket, '?') || strchr(bucket, '#')) {
        free(bucket);
        return df_error_set(err, DF_EUSAGE, "store '%s': no bucket name", uri);
    }
    /* The prefix, without leading, trailing or doubled slashes. */
    struct strbuf root = STRBUF_INIT;
    if (slash) {
        for (const char *p = slash; *p; p++) {
            if (*p == '/' && (root.len == 0 || root.buf[root.len - 1] == '/'))
                continue;
            sb_addc(&root, *p);
        }
    }
    if (root.len && root.buf[root.len - 1] != '/')
        sb_addc(&root, '/');

    struct s3_client_config cfg = {bucket, NULL, gcs};
    struct s3_client *c = NULL;
    if (s3_client_new(&cfg, &c, err) != 0) {
        free(bucket);
        sb_release(&root);
        return -1;
    }
    struct s3_store *st = xcalloc(1, sizeof(*st));
    st->client = c;
    struct df_store *s = xcalloc(1, sizeof(*s));
    s->ops = gcs ? &gs_ops : &s3_ops;
    s->uri = root.len
                 ? xasprintf("%s://%s/%.*s", gcs ? "gs" : "s3", bucket, (int)root.len - 1, root.buf)
                 : xasprintf("%s://%s", gcs ? "gs" : "s3", bucket);
    st->root = sb_detach(&root);
    s->impl = st;
    free(bucket);
    *out = s;
    return 0;
}

struct upl_ctx {
    size_t skip;
    int (*cb)(const char *, const char *, void *);
    void *ud;
};

static int upl_strip(const char *key, const char *id, void *ud)
{
    struct upl_ctx *u = ud;
    return strlen(key) < u->skip ? 0 : u->cb(key + u->skip, id, u->ud);
}

int df_store_list_uploads(struct df_store *s, const char *prefix,
                          int (*cb)(const char *key, const char *upload_id, void *ud), void *ud,
                          struct df_error *err)
{
    if (!is_object_store(s))
        return 0;
    struct s3_store *st = s->impl;
    char *k = full_key(s, prefix);
    struct upl_ctx u = {strlen(st->root), cb, ud};
    int rc = s3_list_uploads(st->client, k, upl_strip, &u, err);
    free(k);
    return rc;
}

int df_store_abort_uploads(struct df_store *s, const char *prefix, size_t *aborted,
                           struct df_error *err)
{
    if (aborted)
        *aborted = 0;
    if (!is_object_store(s))
        return 0;
    char *k = full_key(s, prefix);
    int rc = s3_abort_uploads(client(s), k, aborted, err);
    free(k);
    return rc;
}

int df_store_remove_many(struct df_store *s, const char *const *keys, size_t n,
                         struct df_error *err)
{
    if (!is_object_store(s)) {
        for (size_t i = 0; i < n; i++)
            if (df_store_remove(s, keys[i], err) != 0)
                return -1;
        return 0;
    }
    for (size_t at = 0; at < n; at += S3_DELETE_MAX) {
        size_t m = n - at < S3_DELETE_MAX ? n - at : S3_DELETE_MAX;
        char **full = xcalloc(m, sizeof(*full));
        int rc;
        for (size_t i = 0; i < m; i++)
            full[i] = full_key(s, keys[at + i]);
        rc = s3_delete_batch(client(s), (const char *const *)full, m, err);
        for (size_t i = 0; i < m; i++)
            free(full[i]);
        free(full);
        if (rc != 0)
            return -1;
    }
    return 0;
}
