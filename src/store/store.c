/*
 * store.c - the backend-neutral half of the store (see store.h): picking a backend from a
 * URI, the thin wrappers over the ops table, prefix removal, and the parallel batch
 * transfers (get_many/put_many) that run a backend's single-key ops on a small pthread
 * pool. Backends only promise that their ops are thread-safe for distinct keys.
 */
#include "store/store.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"
#include "util/banned.h"

int df_store_open(const char *uri, struct df_store **out, struct df_error *err)
{
    *out = NULL;
    if (!uri || !*uri) {
        uri = getenv("DUCKFLOW_STORE");
        if (!uri || !*uri)
            uri = "./.duckflow";
    }
    if (!strncmp(uri, "s3://", 5) || !strncmp(uri, "gs://", 5))
        return df_store_s3_open(uri, out, err);
    if (!strncmp(uri, "file://", 7)) {
        const char *path = uri + 7;
        /* file:///abs or file://localhost/abs; any other host is not this machine. */
        if (!strncmp(path, "localhost/", 10))
            path += 9;
        if (path[0] != '/')
            return df_error_set(err, DF_EUSAGE,
                                "store '%s': a file:// URI needs an absolute path (file:///abs)",
                                uri);
        return df_store_local_open(path, out, err);
    }
    if (strstr(uri, "://"))
        return df_error_set(err, DF_EUSAGE,
                            "store '%s': unknown scheme (use a folder, file://, s3:// or gs://)",
                            uri);
    return df_store_local_open(uri, out, err);
}

void df_store_free(struct df_store *s)
{
    if (!s)
        return;
    s->ops->free(s);
}

int df_store_put_file(struct df_store *s, const char *key, const char *path, struct df_error *err)
{
    return s->ops->put_file(s, key, path, err);
}

int df_store_put_bytes(struct df_store *s, const char *key, const void *data, size_t len,
                       struct df_error *err)
{
    return s->ops->put_bytes(s, key, data, len, err);
}

int df_store_put_bytes_new(struct df_store *s, const char *key, const void *data, size_t len,
                           struct df_error *err)
{
    if (!s->ops->put_bytes_new)
        return df_error_set(err, DF_EIO, "the %s store cannot create '%s' conditionally",
                            s->ops->scheme, key);
    return s->ops->put_bytes_new(s, key, data, len, err);
}

int df_store_etag(struct df_store *s, const char *key, char *out, size_t n, struct df_error *err)
{
    if (n)
        out[0] = '\0';
    if (!s->ops->etag)
        return 0;
    return s->ops->etag(s, key, out, n, err);
}

int df_store_get_file(struct df_store *s, const char *key, const char *path, struct df_error *err)
{
    return s->ops->get_file(s, key, path, err);
}

int df_store_get_file_checked(struct df_store *s, const char *key, const char *path,
                              const char *sha256, struct df_error *err)
{
    if (s->ops->get_file_checked && sha256 && *sha256)
        return s->ops->get_file_checked(s, key, path, sha256, err);
    return s->ops->get_file(s, key, path, err);
}

int df_store_get_bytes(struct df_store *s, const char *key, size_t max, char **data, size_t *len,
                       struct df_error *err)
{
    *data = NULL;
    if (len)
        *len = 0;
    return s->ops->get_bytes(s, key, max, data, len, err);
}

int df_store_list(struct df_store *s, const char *prefix, df_store_list_cb cb, void *ud,
                  struct df_error *err)
{
    return s->ops->list(s, prefix ? prefix : "", cb, ud, err);
}

int df_store_remove(struct df_store *s, const char *key, struct df_error *err)
{
    return s->ops->remove(s, key, err);
}

struct keylist {
    char **keys;
    size_t n, alloc;
};

static int collect_key(const char *key, uint64_t size, void *ud)
{
    struct keylist *kl = ud;
    (void)size;
    if (kl->n == kl->alloc) {
        kl->alloc = kl->alloc ? kl->alloc * 2 : 64;
        kl->keys = xrealloc(kl->keys, kl->alloc * sizeof(*kl->keys));
    }
    kl->keys[kl->n++] = xstrdup(key);
    return 0;
}

int df_store_remove_prefix(struct df_store *s, const char *prefix, struct df_error *err)
{
    struct keylist kl = {NULL, 0, 0};
    int rc;

    /* An empty prefix would wipe the whole store: never what a caller means. */
    if (!prefix || !*prefix)
        return df_error_set(err, DF_EUSAGE, "refusing to remove every key of the store");
    /* Collect first, then delete: backends need not support removal during a listing. */
    rc = df_store_list(s, prefix, collect_key, &kl, err);
    for (size_t i = 0; i < kl.n; i++) {
        if (rc == 0)
            rc = df_store_remove(s, kl.keys[i], err);
        free(kl.keys[i]);
    }
    free(kl.keys);
    return rc;
}

char *df_store_local_path(struct df_store *s, const char *key)
{
    if (!s->ops->local_path)
        return NULL;
    return s->ops->local_path(s, key);
}

char *df_store_describe(struct df_store *s, const char *key)
{
    char *p = df_store_local_path(s, key);
    if (p)
        return p;
    return xasprintf("%s/%s", s->uri, key);
}

/* The batch transfers: workers take the next index under a lock until the list is done
 * or one transfer failed; the first failure is kept whole. */
struct batch {
    struct df_store *s;
    const char *const *keys;
    const char *const *paths;
    const char *const *shas; /* expected SHA-256 per key (get), or NULL */
    size_t n, next;
    int put, failed;
    pthread_mutex_t mu;
    struct df_error err;
};

static void *batch_worker(void *arg)
{
    struct batch *b = arg;

    for (;;) {
        struct df_error e = DF_ERROR_INIT;
        size_t i;
        int rc;

        pthread_mutex_lock(&b->mu);
        if (b->failed || b->next >= b->n) {
            pthread_mutex_unlock(&b->mu);
            return NULL;
        }
        i = b->next++;
        pthread_mutex_unlock(&b->mu);
        if (b->put)
            rc = df_store_put_file(b->s, b->keys[i], b->paths[i], &e);
        else
            rc = df_store_get_file_checked(b->s, b->keys[i], b->paths[i],
                                           b->shas ? b->shas[i] : NULL, &e);
        if (rc != 0) {
            pthread_mutex_lock(&b->mu);
            if (!b->failed) {
                b->failed = 1;
                b->err = e;
            }
            pthread_mutex_unlock(&b->mu);
            return NULL;
        }
    }
}

static int batch_run(struct df_store *s, const char *const *keys, const char *const *paths,
                     const char *const *shas, size_t n, int parallel, int put, struct df_error *err)
{
    struct batch b;
    pthread_t *threads = NULL;
    size_t nthreads, started = 0;

    if (n == 0)
        return 0;
    memset(&b, 0, sizeof(b));
    b.s = s;
    b.keys = keys;
    b.paths = paths;
    b.shas = shas;
    b.n = n;
    b.put = put;
    pthread_mutex_init(&b.mu, NULL);
    nthreads = parallel > 0 ? (size_t)parallel : 1;
    if (nthreads > n)
        nthreads = n;
    if (nthreads > 64)
        nthreads = 64;
    if (nthreads > 1) {
        threads = xcalloc(nthreads, sizeof(*threads));
        /* The calling thread is worker number 0; a thread that cannot start just leaves
         * more work for the others. */
        for (size_t i = 1; i < nthreads; i++)
            if (pthread_create(&threads[started], NULL, batch_worker, &b) == 0)
                started++;
    }
    batch_worker(&b);
    for (size_t i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    free(threads);
    pthread_mutex_destroy(&b.mu);
    if (b.failed) {
        if (err && err->code == 0)
            *err = b.err;
        return -1;
    }
    return 0;
}

int df_store_get_many(struct df_store *s, const char *const *keys, const char *const *paths,
                      size_t n, int parallel, struct df_error *err)
{
    return batch_run(s, keys, paths, NULL, n, parallel, 0, err);
}

int df_store_get_many_checked(struct df_store *s, const char *const *keys, const char *const *paths,
                              const char *const *sha256s, size_t n, int parallel,
                              struct df_error *err)
{
    return batch_run(s, keys, paths, sha256s, n, parallel, 0, err);
}

int df_store_put_many(struct df_store *s, const char *const *keys, const char *const *paths,
                      size_t n, int parallel, struct df_error *err)
{
    return batch_run(s, keys, paths, NULL, n, parallel, 1, err);
}
