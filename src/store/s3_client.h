/*
 * s3_client.h - an S3 (and GCS XML API) client over libcurl with our own SigV4 signing:
 * object GET (whole, ranged, to memory or to a file), PUT (memory or file), multipart
 * upload with parallel parts, HEAD, DELETE, ListObjectsV2 with pagination, and listing
 * and aborting incomplete multipart uploads. Private to the store module.
 *
 * Every request is retried with exponential backoff and full jitter on 5xx, 429,
 * SlowDown, RequestTimeout, timeouts and dropped connections; credentials near expiry
 * are refreshed, and an ExpiredToken answer refreshes them and retries. Uploads send
 * Content-MD5 and compare the returned ETag; whole downloads compare MD5 with a plain
 * ETag and always the length. Thread-safe: curl handles come from a locked pool.
 *
 * Lifecycle:
 *   1. s3_client_new() with a bucket, an endpoint and addressing style.
 *   2. s3_* calls from any number of threads.
 *   3. s3_client_free().
 *
 * Settings from the environment (read by s3_client_new):
 *   DUCKFLOW_S3_ENDPOINT / AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL   endpoint override
 *   DUCKFLOW_S3_ADDRESSING = path | virtual                         (default: see docs/s3.md)
 *   DUCKFLOW_S3_MAX_ATTEMPTS (8), DUCKFLOW_S3_RETRY_BASE_MS (100), DUCKFLOW_S3_RETRY_MAX_MS
 *   (20000), DUCKFLOW_S3_TIMEOUT (stall seconds, 60), DUCKFLOW_S3_CONNECT_TIMEOUT (10),
 *   DUCKFLOW_S3_MULTIPART_THRESHOLD (64MiB), DUCKFLOW_S3_PART_SIZE (16MiB),
 *   DUCKFLOW_S3_PART_PARALLEL (4), DUCKFLOW_S3_SIGN_PAYLOAD = auto | on | off,
 *   DUCKFLOW_DEBUG=1 (one stderr line per request: method, host, key, status).
 */
#ifndef DF_S3_CLIENT_H
#define DF_S3_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

struct s3_client;

struct s3_client_config {
    const char *bucket;
    const char *endpoint; /* "https://host[:port]"; NULL: from the environment or AWS default */
    int gcs;              /* gs://: storage.googleapis.com, path style, GOOGLE_HMAC_* keys */
};

int s3_client_new(const struct s3_client_config *cfg, struct s3_client **out, struct df_error *err);
void s3_client_free(struct s3_client *c);

/* Object metadata from HEAD. */
struct s3_head {
    uint64_t size;
    char etag[128]; /* without quotes */
};

/* 0 and *h filled; -1 with DF_ENOTFOUND when missing. */
int s3_head(struct s3_client *c, const char *key, struct s3_head *h, struct df_error *err);
/* Reads the object (at most max bytes, more is an error) into *data (free(), NUL-terminated).
 * range_from/range_len select bytes [from, from+len) when range_len > 0. */
int s3_get_bytes(struct s3_client *c, const char *key, uint64_t range_from, uint64_t range_len,
                 size_t max, char **data, size_t *len, struct df_error *err);
/* Downloads the object into path through a temporary file and a rename. Interrupted
 * transfers resume with a Range request pinned to the ETag (If-Match). */
int s3_get_file(struct s3_client *c, const char *key, const char *path, struct df_error *err);
/* PUT only when no object has the key (If-None-Match: *, or for GCS
 * x-goog-if-generation-match: 0); DF_EEXIST (store.h) when one has. */
int s3_put_bytes_new(struct s3_client *c, const char *key, const void *data, size_t len, int gcs,
                     struct df_error *err);
/* The same, hashing the bytes (SHA-256) while they stream in: a file whose hash is not
 * want_sha256 (64 hex digits; NULL or "" = not checked) is fetched once more from the
 * start, then refused (DF_EIO, both hashes named). */
int s3_get_file_checked(struct s3_client *c, const char *key, const char *path,
                        const char *want_sha256, struct df_error *err);
int s3_put_bytes(struct s3_client *c, const char *key, const void *data, size_t len,
                 struct df_error *err);
/* Single PUT below the multipart threshold, else a multipart upload with parallel parts
 * that is aborted on failure. */
int s3_put_file(struct s3_client *c, const char *key, const char *path, struct df_error *err);
/* Multipart upload regardless of size (part_size 0: the configured one). */
int s3_put_file_multipart(struct s3_client *c, const char *key, const char *path,
                          uint64_t part_size, struct df_error *err);
/* DELETE; a missing key is not an error. */
int s3_delete(struct s3_client *c, const char *key, struct df_error *err);

/* DeleteObjects: deletes up to S3_DELETE_MAX keys in one request (s3_delete.c); missing
 * keys are not errors, a key the answer lists as failed is (DF_EIO, naming it). */
#define S3_DELETE_MAX 1000
int s3_delete_batch(struct s3_client *c, const char *const *keys, size_t n, struct df_error *err);

/* ListObjectsV2 over every page; cb as in store.h (non-zero stops). */
typedef int (*s3_list_cb)(const char *key, uint64_t size, void *ud);
int s3_list(struct s3_client *c, const char *prefix, s3_list_cb cb, void *ud, struct df_error *err);

/* ListMultipartUploads under prefix, every page. */
typedef int (*s3_uploads_cb)(const char *key, const char *upload_id, void *ud);
int s3_list_uploads(struct s3_client *c, const char *prefix, s3_uploads_cb cb, void *ud,
                    struct df_error *err);
/* Aborts every incomplete multipart upload under prefix; *n (may be NULL) gets the count. */
int s3_abort_uploads(struct s3_client *c, const char *prefix, size_t *n, struct df_error *err);

/* "s3://bucket/key" (or gs://) for messages; malloc'd. */
char *s3_describe(const struct s3_client *c, const char *key);

#endif
