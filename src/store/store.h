/*
 * store.h - the artifact store: a flat namespace of keys ("tpch/runs/RUN/step/00003/...")
 * over a local folder or an object store, behind a small table of operations
 * (curl's vtls/ pattern). Nothing above this interface knows which backend it talks to.
 *
 * Keys are relative to the store's root and never start with '/'. Writes of a single key
 * are atomic: a reader sees the whole object or none (local: temporary file + rename;
 * S3: a PUT or a completed multipart upload). The commit protocol built on this is in
 * layout.h and manifest.h.
 *
 * Lifecycle:
 *   1. df_store_open(uri) picks the backend: NULL or "" means $DUCKFLOW_STORE, else
 *      "./.duckflow"; "file:///abs" and plain paths are local; "s3://bucket/prefix" and
 *      "gs://bucket/prefix" are the object store.
 *   2. Call the df_store_* operations (thread-safe for distinct keys).
 *   3. df_store_free() releases it.
 */
#ifndef DF_STORE_H
#define DF_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

struct df_store;

/* A conditional create found the key already there (df_store_put_bytes_new). */
#define DF_EEXIST 5

/* Called for each key found by df_store_list, in ascending key order; return non-zero to
 * stop (df_store_list then returns 0). */
typedef int (*df_store_list_cb)(const char *key, uint64_t size, void *ud);

struct df_store_ops {
    const char *scheme; /* "file", "s3", "gs" */
    int (*put_file)(struct df_store *s, const char *key, const char *path, struct df_error *err);
    int (*put_bytes)(struct df_store *s, const char *key, const void *data, size_t len,
                     struct df_error *err);
    int (*get_file)(struct df_store *s, const char *key, const char *path, struct df_error *err);
    int (*get_bytes)(struct df_store *s, const char *key, size_t max, char **data, size_t *len,
                     struct df_error *err);
    int (*list)(struct df_store *s, const char *prefix, df_store_list_cb cb, void *ud,
                struct df_error *err);
    int (*remove)(struct df_store *s, const char *key, struct df_error *err);
    /* The local file holding key, or NULL when objects are not local files (then callers
     * stage through get_file/put_file). Malloc'd. */
    char *(*local_path)(struct df_store *s, const char *key);
    void (*free)(struct df_store *s);
    /* Added: may be NULL. */
    /* Creates key with data only if no object has that key yet (local: link(2) of a
     * complete temporary file, failing like O_EXCL; S3: PUT with If-None-Match: *; GCS:
     * x-goog-if-generation-match: 0). An existing key fails with DF_EEXIST. */
    int (*put_bytes_new)(struct df_store *s, const char *key, const void *data, size_t len,
                         struct df_error *err);
    /* The object's ETag (quotes removed) into out; "" when the backend has none. */
    int (*etag)(struct df_store *s, const char *key, char *out, size_t n, struct df_error *err);
    /* get_file that hashes the bytes while they stream and refuses a file whose SHA-256
     * is not sha256 (object stores; NULL: get_file, unchecked). */
    int (*get_file_checked)(struct df_store *s, const char *key, const char *path,
                            const char *sha256, struct df_error *err);
};

struct df_store {
    const struct df_store_ops *ops;
    char *uri;  /* normalised: absolute folder for local, "s3://bucket/prefix" otherwise */
    void *impl; /* backend state */
};

int df_store_open(const char *uri, struct df_store **out, struct df_error *err);
void df_store_free(struct df_store *s);

/* Uploads the local file at path as key. */
int df_store_put_file(struct df_store *s, const char *key, const char *path, struct df_error *err);
/* Stores len bytes as key. */
int df_store_put_bytes(struct df_store *s, const char *key, const void *data, size_t len,
                       struct df_error *err);
/* Downloads key into the local file path (written whole or not at all). A missing key
 * fails with code DF_ENOTFOUND. */
int df_store_get_file(struct df_store *s, const char *key, const char *path, struct df_error *err);
/* Reads key (at most max bytes) into *data (free(); NUL-terminated). DF_ENOTFOUND when
 * missing. */
int df_store_get_bytes(struct df_store *s, const char *key, size_t max, char **data, size_t *len,
                       struct df_error *err);
/* Every key that starts with prefix (a plain string prefix, not only folders), sorted. */
int df_store_list(struct df_store *s, const char *prefix, df_store_list_cb cb, void *ud,
                  struct df_error *err);
/* Deletes key; a missing key is not an error. */
int df_store_remove(struct df_store *s, const char *key, struct df_error *err);
/* Deletes every key under prefix. */
int df_store_remove_prefix(struct df_store *s, const char *prefix, struct df_error *err);
/* Downloads (get) or uploads (put) n objects, at most `parallel` at a time (threads),
 * keys[i] <-> paths[i]. Stops at the first failure and reports it. */
int df_store_get_many(struct df_store *s, const char *const *keys, const char *const *paths,
                      size_t n, int parallel, struct df_error *err);
int df_store_put_many(struct df_store *s, const char *const *keys, const char *const *paths,
                      size_t n, int parallel, struct df_error *err);
/* Creates key only when it does not exist (see ops.put_bytes_new); DF_EEXIST when it does.
 * Backends without the operation fail with DF_EIO. */
int df_store_put_bytes_new(struct df_store *s, const char *key, const void *data, size_t len,
                           struct df_error *err);
/* The object's ETag into out ("" when the backend has none, e.g. local files). */
int df_store_etag(struct df_store *s, const char *key, char *out, size_t n, struct df_error *err);
/* get_file / get_many checked against the SHA-256 a manifest lists (sha256s[i] may be NULL
 * or ""): on an object store the bytes are hashed while they stream in, a mismatch is
 * fetched once more and then refused with DF_EIO naming both hashes. A local store copies
 * without hashing (local readers check size and mtime instead, see verify.h). */
int df_store_get_file_checked(struct df_store *s, const char *key, const char *path,
                              const char *sha256, struct df_error *err);
int df_store_get_many_checked(struct df_store *s, const char *const *keys, const char *const *paths,
                              const char *const *sha256s, size_t n, int parallel,
                              struct df_error *err);
/* Local file for key or NULL (see ops.local_path). free() the result. */
char *df_store_local_path(struct df_store *s, const char *key);
/* "s3://bucket/prefix/key" or the local path, for messages. free() the result. */
char *df_store_describe(struct df_store *s, const char *key);

/* Backends. */
int df_store_local_open(const char *path, struct df_store **out, struct df_error *err);
int df_store_s3_open(const char *uri, struct df_store **out, struct df_error *err);

#endif
