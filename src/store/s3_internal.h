/*
 * s3_internal.h - what the files of the S3 client share: the client, one request and its
 * response, and the transport calls (s3_client.c) that objects (s3_objects.c) and
 * listings (s3_list.c) are built on. Private to those files.
 */
#ifndef DF_S3_INTERNAL_H
#define DF_S3_INTERNAL_H

#define CURL_DISABLE_TYPECHECK /* curl is called through curl_lazy.h's pointers */
#include <curl/curl.h>
#include <pthread.h>
#include <stdint.h>

#include "store/creds.h"
#include "util/crypto_lazy.h"
#include "store/curl_lazy.h"
#include "store/s3_client.h"
#include "store/sigv4.h"
#include "util/strbuf.h"

#define MIB           (1024ULL * 1024ULL)
#define ERR_BODY_MAX  (64 * 1024)
#define LIST_PAGE_MAX (16 * MIB)

struct s3_client {
    char *scheme;    /* "http" or "https" */
    char *host;      /* endpoint host[:port] */
    char *base_path; /* endpoint path prefix without trailing '/', often "" */
    char *bucket;
    char *region;
    int path_style;
    int gcs;
    int sign_payload;
    int debug;
    char *ca_file; /* CURLOPT_CAINFO (df_curl_ca_bundle), NULL: libcurl's default */
    struct df_creds_provider *creds;
    /* tunables */
    int max_attempts;
    long base_ms, max_ms, timeout_s, connect_timeout_s;
    uint64_t threshold, part_size;
    int part_parallel;
    long list_page;         /* max-keys, 0: the server's default (1000) */
    long long clock_offset; /* server time - our time, learnt from RequestTimeTooSkewed */
    /* curl handle pool */
    pthread_mutex_t lock;
    CURL **pool;
    size_t npool, cap;
};

/* One request: method, key, query, body and where a 2xx body goes. */
struct req {
    const char *method; /* GET HEAD PUT POST DELETE */
    const char *key;    /* NULL: the bucket */
    const struct df_query *query;
    /* body: memory or a file range */
    const char *mem;
    int fd;
    uint64_t off, len;
    const char *payload_hash; /* NULL: computed for memory bodies / UNSIGNED for files */
    const char *content_md5;  /* base64 */
    const char *content_type;
    char range[96];
    const char *if_match;
    /* sink for 2xx bodies: memory (max bytes) or a file descriptor */
    struct strbuf *out;
    size_t out_max;
    int out_fd;
    uint64_t out_base;                  /* file offset of the first byte written */
    EVP_MD_CTX *out_md5;                /* hash of what was written, may be NULL */
    const char *cond_name, *cond_value; /* a conditional create: "if-none-match" "*" (S3) or
                                         * "x-goog-if-generation-match" "0" (GCS); signed */
    EVP_MD_CTX *out_sha256; /* SHA-256 of what was written (checked against a manifest), may
                             * be NULL */
};

#define REQ_INIT(m, k)                                                                             \
    {                                                                                              \
        (m), (k), NULL, NULL, -1, 0, 0, NULL, NULL, NULL, {0}, NULL, NULL, 0, -1, 0, NULL, NULL,   \
            NULL, NULL                                                                             \
    }

/* What came back. */
struct resp {
    long status;
    char etag[128];
    char sse[32];
    uint64_t content_length;
    int has_length;
    uint64_t range_start; /* from Content-Range */
    uint64_t total;       /* from Content-Range "/N" */
    int has_range;
    uint64_t written;
    long long server_date;  /* from the Date header, 0 when absent */
    int etag_is_md5;        /* the ETag is 32 hex digits (a single-part upload's MD5) */
    char bucket_region[64]; /* x-amz-bucket-region, sent with wrong-region answers */
    int sink_error;         /* 1 too big, 2 write failed (errno in sink_errno) */
    int sink_errno;
    int source_errno; /* why the upload's source could not be read (0: it ended early) */
    struct strbuf errbody;
    char code[128];
    char message[512];
};

/* Outcome of one attempt. */
enum outcome { S3_OK = 0, S3_RETRY = 1, S3_FATAL = -1 };

/* Clears a response for reuse (keeps its error-body buffer). */
void s3_resp_reset(struct resp *r);

/* Sends r once. Fills rs; on failure sets err (code DF_ENOTFOUND for 404) and returns
 * S3_RETRY when another attempt may succeed, S3_FATAL otherwise. */
int s3_perform(struct s3_client *c, struct req *r, struct resp *rs, int attempt,
               struct df_error *err);
/* s3_perform() with retries; the request must be repeatable. 0 or -1 with err. */
int s3_request(struct s3_client *c, struct req *r, struct resp *rs, struct df_error *err);
/* Sleeps before retry number attempt+1 (full jitter). */
void s3_backoff(struct s3_client *c, int attempt);

/* Aborts one multipart upload (s3_objects.c); an upload already gone is not an error. */
int s3_abort_upload(struct s3_client *c, const char *key, const char *upload_id,
                    struct df_error *err);

/* Lower-case hex of n bytes into out (2n+1); base64 of n bytes into out. */
void s3_to_hex(const unsigned char *md, unsigned n, char *out);
void s3_to_base64(const unsigned char *md, unsigned n, char *out, size_t cap);
/* 1 when etag is 32 hex digits (a single-part upload's MD5). */
int s3_is_md5_etag(const char *etag);

#endif
