/*
 * s3.h - what the object store backend offers beyond struct df_store_ops.
 *
 * Incomplete multipart uploads are invisible (no key exists until an upload completes)
 * but are billed and linger after a task is killed mid-upload. Whoever starts a new
 * attempt of a task (the executor) or cleans up (gc) calls df_store_abort_uploads() on
 * the task's prefix, e.g. "<pipeline>/runs/<run>/<step>/<item>/", when no other attempt
 * of that task can be running.
 */
#ifndef DF_STORE_S3_H
#define DF_STORE_S3_H

#include <stddef.h>

#include "store/store.h"

/* Aborts every incomplete multipart upload whose key starts with prefix (relative to the
 * store's root). A no-op returning 0 for stores that are not object stores. *aborted (may
 * be NULL) gets the number aborted. DF_EIO on failure. */
int df_store_abort_uploads(struct df_store *s, const char *prefix, size_t *aborted,
                           struct df_error *err);

/* Calls cb for each incomplete multipart upload under prefix (key relative to the root);
 * a no-op for local stores. For tests and `gc --dry-run`. */
int df_store_list_uploads(struct df_store *s, const char *prefix,
                          int (*cb)(const char *key, const char *upload_id, void *ud), void *ud,
                          struct df_error *err);

/* Deletes n keys (a missing key is not an error): on an object store in batches of up to
 * 1,000 keys per DeleteObjects request, on a local store one by one (df_store_remove). */
int df_store_remove_many(struct df_store *s, const char *const *keys, size_t n,
                         struct df_error *err);

#endif
