/*
 * s3_objects.c - S3 objects (see s3_client.h): HEAD, GET into memory or into a file
 * (resumed with a Range pinned to the ETag, verified by length and MD5), PUT from memory
 * or a file with Content-MD5 and ETag checks, multipart uploads with parallel parts, and
 * DELETE. Built on s3_request() (s3_client.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/s3_internal.h"
#include "store/s3_xml.h"
#include "store/store.h"
#include "util/fs.h"
#include "util/banned.h"

/* ---- hashing ---- */

struct digests {
    unsigned char md5[16];
    char md5_hex[33];
    char md5_b64[32];
    char sha_hex[65];
};

/* MD5 (and SHA-256 when sha) of fd[off, off+len). */
static int hash_range(int fd, uint64_t off, uint64_t len, int sha, struct digests *d)
{
    EVP_MD_CTX *m = EVP_MD_CTX_new(), *s = sha ? EVP_MD_CTX_new() : NULL;
    EVP_DigestInit_ex(m, EVP_md5(), NULL);
    if (s)
        EVP_DigestInit_ex(s, EVP_sha256(), NULL);
    size_t bufsz = 1024 * 1024;
    char *buf = xmalloc(bufsz);
    uint64_t done = 0;
    int rc = 0;
    while (done < len) {
        size_t want = len - done < bufsz ? (size_t)(len - done) : bufsz;
        ssize_t n = pread(fd, buf, want, (off_t)(off + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = -1;
            break;
        }
        EVP_DigestUpdate(m, buf, (size_t)n);
        if (s)
            EVP_DigestUpdate(s, buf, (size_t)n);
        done += (uint64_t)n;
    }
    free(buf);
    unsigned n = 16;
    EVP_DigestFinal_ex(m, d->md5, &n);
    s3_to_hex(d->md5, 16, d->md5_hex);
    s3_to_base64(d->md5, 16, d->md5_b64, sizeof(d->md5_b64));
    d->sha_hex[0] = '\0';
    if (s) {
        unsigned char md[32];
        n = 32;
        EVP_DigestFinal_ex(s, md, &n);
        s3_to_hex(md, 32, d->sha_hex);
    }
    EVP_MD_CTX_free(m);
    EVP_MD_CTX_free(s);
    return rc;
}

static void hash_mem(const void *data, size_t len, struct digests *d)
{
    unsigned n = 16;
    EVP_Digest(data, len, d->md5, &n, EVP_md5(), NULL);
    s3_to_hex(d->md5, 16, d->md5_hex);
    s3_to_base64(d->md5, 16, d->md5_b64, sizeof(d->md5_b64));
    unsigned char md[32];
    n = 32;
    EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
    s3_to_hex(md, 32, d->sha_hex);
}

/* The ETag of a single PUT is the MD5 of the body, except under SSE-KMS. */
static int check_put_etag(struct s3_client *c, const char *key, const struct resp *rs,
                          const char *md5_hex, struct df_error *err)
{
    if (strcmp(rs->sse, "aws:kms") == 0 || strncmp(rs->sse, "aws:kms", 7) == 0)
        return 0;
    if (strcasecmp(rs->etag, md5_hex) != 0) {
        char *what = s3_describe(c, key);
        df_error_set(err, DF_EIO,
                     "%s: upload not verified: ETag '%s' is not the MD5 '%s' of "
                     "what was sent",
                     what, rs->etag, md5_hex);
        free(what);
        return -1;
    }
    return 0;
}

/* ---- object operations ---- */

int s3_head(struct s3_client *c, const char *key, struct s3_head *hd, struct df_error *err)
{
    struct req r = REQ_INIT("HEAD", key);
    struct resp rs = {0};
    sb_init(&rs.errbody);
    int rc = s3_request(c, &r, &rs, err);
    if (rc == 0) {
        hd->size = rs.content_length;
        snprintf(hd->etag, sizeof(hd->etag), "%s", rs.etag);
    }
    sb_release(&rs.errbody);
    return rc;
}

int s3_get_bytes(struct s3_client *c, const char *key, uint64_t range_from, uint64_t range_len,
                 size_t max, char **data, size_t *len, struct df_error *err)
{
    struct strbuf out = STRBUF_INIT;
    struct req r = REQ_INIT("GET", key);
    struct resp rs = {0};
    sb_init(&rs.errbody);
    r.out = &out;
    r.out_max = max;
    if (range_len > 0)
        snprintf(r.range, sizeof(r.range), "bytes=%" PRIu64 "-%" PRIu64, range_from,
                 range_from + range_len - 1);
    int rc = -1;
    /* A short or corrupt body (the MD5 of a whole read against a plain ETag) is read again,
     * within the same attempt budget as any other failure. */
    for (int attempt = 0; attempt < c->max_attempts; attempt++) {
        df_error_clear(err);
        rc = s3_request(c, &r, &rs, err);
        if (rc != 0)
            break;
        char *what = s3_describe(c, key);
        if (rs.has_length && rs.content_length != out.len)
            rc = df_error_set(err, DF_EIO, "%s: got %zu bytes of %" PRIu64, what, out.len,
                              rs.content_length);
        if (rc == 0 && range_len == 0 && s3_is_md5_etag(rs.etag) &&
            strncmp(rs.sse, "aws:kms", 7) != 0) {
            struct digests d;
            hash_mem(out.buf, out.len, &d);
            if (strcasecmp(d.md5_hex, rs.etag) != 0)
                rc =
                    df_error_set(err, DF_EIO, "%s: download corrupt: MD5 '%s' is not the ETag '%s'",
                                 what, d.md5_hex, rs.etag);
        }
        free(what);
        if (rc == 0)
            break;
        s3_backoff(c, attempt);
    }
    if (rc == 0) {
        *len = out.len;
        *data = sb_detach(&out);
    }
    sb_release(&out);
    sb_release(&rs.errbody);
    return rc;
}

/* One download into a temporary file: what has arrived so far and what it must match. */
struct download {
    const char *what, *tmp;
    int fd;
    EVP_MD_CTX *md5;
    EVP_MD_CTX *sha; /* the SHA-256 of the bytes as they stream in (NULL: not checked) */
    char etag[128], sse[32];
    uint64_t have, total;
    int known_total;
};

/* Creates the hidden temporary beside path (same file system, so the rename is atomic),
 * named like the local store's temporaries. Returns its name (free()) and *fd, or NULL. */
static char *open_download_temp(const char *path, const char *what, int *fd, struct df_error *err)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup(".");
    if (dir[0] && fs_mkdirs(dir, err) != 0) {
        df_error_prefix(err, "%s", what);
        free(dir);
        return NULL;
    }
    char *tmp = xasprintf("%s/.df-tmp.%s.XXXXXX", dir, slash ? slash + 1 : path);
    free(dir);
    *fd = mkostemp(tmp, O_CLOEXEC);
    if (*fd < 0) {
        df_error_errno(err, "%s: cannot create '%s'", what, tmp);
        free(tmp);
        return NULL;
    }
    return tmp;
}

/* Forgets what arrived (and, when forget_etag, which object it was): the next attempt
 * starts from byte 0. -1 when the temporary cannot be truncated. */
static int download_restart(struct download *d, int forget_etag, struct df_error *err)
{
    d->have = 0;
    if (forget_etag)
        d->etag[0] = '\0';
    EVP_DigestInit_ex(d->md5, EVP_md5(), NULL);
    if (d->sha)
        EVP_DigestInit_ex(d->sha, EVP_sha256(), NULL);
    if (ftruncate(d->fd, 0) != 0)
        return df_error_errno(err, "%s: cannot truncate '%s'", d->what, d->tmp);
    return 0;
}

/* Remembers the object a first (unranged) answer describes. */
static void download_pin(struct download *d, const struct resp *rs)
{
    snprintf(d->etag, sizeof(d->etag), "%s", rs->etag);
    snprintf(d->sse, sizeof(d->sse), "%s", rs->sse);
    d->total = rs->content_length;
    d->known_total = rs->has_length;
}

/* Checks a download that ended: its length, and its MD5 against a plain ETag. Empty bad
 * when it is whole and intact. */
static void download_verify(struct download *d, char *bad, size_t cap)
{
    bad[0] = '\0';
    if (d->known_total && d->have != d->total)
        snprintf(bad, cap, "got %" PRIu64 " bytes of %" PRIu64, d->have, d->total);
    if (!bad[0] && s3_is_md5_etag(d->etag) && strncmp(d->sse, "aws:kms", 7) != 0) {
        unsigned char md[16];
        unsigned n = 16;
        char hex[33];
        EVP_DigestFinal_ex(d->md5, md, &n);
        s3_to_hex(md, 16, hex);
        if (strcasecmp(hex, d->etag) != 0)
            snprintf(bad, cap, "download corrupt: MD5 '%s' is not the ETag '%s'", hex, d->etag);
    }
}

/* What one attempt's outcome o means for the download: S3_OK when it is complete and
 * verified, S3_RETRY to go on (resuming or from the start), S3_FATAL as perform() said;
 * -2 when the temporary cannot be truncated (err set). e gets the attempt's error. */
static int download_step(struct download *d, int o, int resumed, const struct resp *rs,
                         struct df_error *e, struct df_error *err)
{
    if (o == S3_OK && resumed &&
        (rs->status != 206 || !rs->has_range || rs->range_start != d->have)) {
        /* the server ignored the range: start over */
        snprintf(e->msg, sizeof(e->msg), "%s: resumed download answered without the range",
                 d->what);
        e->code = DF_EIO;
        return download_restart(d, 1, err) != 0 ? -2 : S3_RETRY;
    }
    if (o == S3_OK) {
        char bad[256];
        if (!resumed) {
            download_pin(d, rs);
        } else if (rs->has_range) {
            d->total = rs->total;
            d->known_total = 1;
        }
        d->have += rs->written;
        /* Verify before accepting; a corrupt or short body is downloaded again. */
        download_verify(d, bad, sizeof(bad));
        if (!bad[0])
            return S3_OK;
        e->code = DF_EIO;
        snprintf(e->msg, sizeof(e->msg), "%s: %s", d->what, bad);
        return download_restart(d, 1, err) != 0 ? -2 : S3_RETRY;
    }
    if (resumed && rs->status == 412) {
        /* the object changed since the first bytes: start over */
        return download_restart(d, 1, err) != 0 ? -2 : S3_RETRY;
    }
    if (!resumed && rs->status >= 200 && rs->status < 300)
        download_pin(d, rs); /* dropped mid-body after headers: keep what arrived, resume */
    if (rs->status == 0 || (rs->status >= 200 && rs->status < 300))
        d->have += rs->written;
    if (!d->etag[0] && d->have > 0 && download_restart(d, 0, err) != 0)
        return -2; /* nothing to pin a resume to */
    return o;
}

/* 1 when the download's SHA-256 (hashed while it streamed) is want; *got gets it. */
static int download_sha_matches(struct download *d, const char *want, char got[65])
{
    unsigned char md[32];
    unsigned n = 32;
    EVP_DigestFinal_ex(d->sha, md, &n);
    s3_to_hex(md, 32, got);
    return strcasecmp(got, want) == 0;
}

int s3_get_file(struct s3_client *c, const char *key, const char *path, struct df_error *err)
{
    return s3_get_file_checked(c, key, path, NULL, err);
}

int s3_get_file_checked(struct s3_client *c, const char *key, const char *path,
                        const char *want_sha256, struct df_error *err)
{
    int refetched = 0;
    char *what = s3_describe(c, key);
    struct download d;
    int fd, rc = -1;
    char *tmp = open_download_temp(path, what, &fd, err);
    char ifm[140];

    if (!tmp) {
        free(what);
        return -1;
    }
    memset(&d, 0, sizeof(d));
    d.what = what;
    d.tmp = tmp;
    d.fd = fd;
    d.md5 = EVP_MD_CTX_new();
    EVP_DigestInit_ex(d.md5, EVP_md5(), NULL);
    if (want_sha256 && *want_sha256) {
        d.sha = EVP_MD_CTX_new();
        EVP_DigestInit_ex(d.sha, EVP_sha256(), NULL);
    }
    struct resp rs = {0};
    sb_init(&rs.errbody);

    for (int attempt = 0;; attempt++) {
        struct req r = REQ_INIT("GET", key);
        r.out_fd = fd;
        r.out_base = d.have;
        r.out_md5 = d.md5;
        r.out_sha256 = d.sha;
        if (d.have > 0 && d.etag[0]) { /* resume, pinned to the same object */
            snprintf(r.range, sizeof(r.range), "bytes=%" PRIu64 "-", d.have);
            snprintf(ifm, sizeof(ifm), "\"%s\"", d.etag);
            r.if_match = ifm;
        }
        struct df_error e = DF_ERROR_INIT;
        /* A 200 to a ranged request would write from 0: perform() writes at out_base, so
         * a resumed request that is not answered 206 restarts in download_step(). */
        int o = s3_perform(c, &r, &rs, attempt, &e);
        o = download_step(&d, o, r.range[0] != '\0', &rs, &e, err);
        if (o == -2)
            break;
        if (o == S3_OK && d.sha) {
            char got[65];
            if (!download_sha_matches(&d, want_sha256, got)) {
                /* Not what the manifest names: fetch it once more from the start, then
                 * refuse it (a store error). */
                if (refetched++ == 0 && download_restart(&d, 1, err) == 0)
                    continue;
                df_error_set(err, DF_EIO,
                             "%s: checksum mismatch: SHA-256 %s is not the manifest's %s "
                             "(fetched twice)",
                             what, got, want_sha256);
                break;
            }
        }
        if (o == S3_OK) {
            rc = 0;
            break;
        }
        if (o == S3_FATAL || attempt + 1 >= c->max_attempts) {
            if (o == S3_RETRY)
                df_error_set(err, e.code, "%s (after %d attempts)", e.msg, attempt + 1);
            else
                df_error_set(err, e.code, "%s", e.msg);
            break;
        }
        s3_backoff(c, attempt);
    }
    if (close(fd) != 0 && rc == 0)
        rc = df_error_errno(err, "%s: cannot write '%s'", what, tmp);
    if (rc == 0 && rename(tmp, path) != 0)
        rc = df_error_errno(err, "%s: cannot rename '%s' to '%s'", what, tmp, path);
    if (rc != 0)
        unlink(tmp);
    EVP_MD_CTX_free(d.md5);
    EVP_MD_CTX_free(d.sha);
    sb_release(&rs.errbody);
    free(tmp);
    free(what);
    return rc;
}

int s3_put_bytes(struct s3_client *c, const char *key, const void *data, size_t len,
                 struct df_error *err)
{
    struct digests d;
    hash_mem(data, len, &d);
    struct req r = REQ_INIT("PUT", key);
    r.mem = data ? data : "";
    r.len = len;
    r.payload_hash = d.sha_hex;
    r.content_md5 = d.md5_b64;
    r.content_type = "application/octet-stream";
    struct resp rs = {0};
    sb_init(&rs.errbody);
    int rc = s3_request(c, &r, &rs, err);
    if (rc == 0)
        rc = check_put_etag(c, key, &rs, d.md5_hex, err);
    sb_release(&rs.errbody);
    return rc;
}

int s3_put_bytes_new(struct s3_client *c, const char *key, const void *data, size_t len, int gcs,
                     struct df_error *err)
{
    struct digests d;
    hash_mem(data, len, &d);
    struct req r = REQ_INIT("PUT", key);
    r.mem = data ? data : "";
    r.len = len;
    r.payload_hash = d.sha_hex;
    r.content_md5 = d.md5_b64;
    r.content_type = "application/octet-stream";
    r.cond_name = gcs ? "x-goog-if-generation-match" : "if-none-match";
    r.cond_value = gcs ? "0" : "*";
    struct resp rs = {0};
    sb_init(&rs.errbody);
    int rc = s3_request(c, &r, &rs, err);
    if (rc != 0 && rs.status == 412) {
        df_error_clear(err);
        df_error_set(err, DF_EEXIST, "'%s' exists", key);
    } else if (rc == 0) {
        rc = check_put_etag(c, key, &rs, d.md5_hex, err);
    }
    sb_release(&rs.errbody);
    return rc;
}

static int open_source(struct s3_client *c, const char *key, const char *path, uint64_t *size,
                       struct df_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        char *what = s3_describe(c, key);
        df_error_errno(err, "%s: cannot read '%s'", what, path);
        free(what);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *size = (uint64_t)st.st_size;
    return fd;
}

static int put_single(struct s3_client *c, const char *key, const char *path, int fd, uint64_t size,
                      struct df_error *err)
{
    struct digests d;
    if (hash_range(fd, 0, size, c->sign_payload, &d) != 0)
        return df_error_errno(err, "cannot read '%s'", path);
    struct req r = REQ_INIT("PUT", key);
    r.fd = fd;
    r.off = 0;
    r.len = size;
    r.payload_hash = c->sign_payload ? d.sha_hex : DF_SIGV4_UNSIGNED;
    r.content_md5 = d.md5_b64;
    r.content_type = "application/octet-stream";
    if (size == 0) {
        r.fd = -1;
        r.mem = "";
    }
    struct resp rs = {0};
    sb_init(&rs.errbody);
    int rc = s3_request(c, &r, &rs, err);
    if (rc == 0)
        rc = check_put_etag(c, key, &rs, d.md5_hex, err);
    sb_release(&rs.errbody);
    return rc;
}

/* ---- multipart ---- */

struct mpu {
    struct s3_client *c;
    const char *key;
    const char *upload_id;
    int fd;
    uint64_t size, part_size;
    int nparts;
    pthread_mutex_t lock;
    int next;   /* next part number to take (1-based) */
    int failed; /* set on the first failure: the others stop */
    struct df_error err;
    unsigned char (*md5s)[16];
    char (*etags)[128];
};

static void *part_worker(void *arg)
{
    struct mpu *m = arg;
    struct resp rs = {0};
    sb_init(&rs.errbody);
    for (;;) {
        pthread_mutex_lock(&m->lock);
        int n = m->failed || m->next > m->nparts ? 0 : m->next++;
        pthread_mutex_unlock(&m->lock);
        if (n == 0)
            break;
        uint64_t off = (uint64_t)(n - 1) * m->part_size;
        uint64_t len = m->size - off < m->part_size ? m->size - off : m->part_size;
        struct digests d;
        struct df_error e = DF_ERROR_INIT;
        int rc = 0;
        if (hash_range(m->fd, off, len, m->c->sign_payload, &d) != 0)
            rc = df_error_errno(&e, "cannot read part %d", n);
        if (rc == 0) {
            char num[16];
            snprintf(num, sizeof(num), "%d", n);
            struct df_query q = DF_QUERY_INIT;
            df_query_add(&q, "partNumber", num);
            df_query_add(&q, "uploadId", m->upload_id);
            struct req r = REQ_INIT("PUT", m->key);
            r.query = &q;
            r.fd = m->fd;
            r.off = off;
            r.len = len;
            r.payload_hash = m->c->sign_payload ? d.sha_hex : DF_SIGV4_UNSIGNED;
            r.content_md5 = d.md5_b64;
            rc = s3_request(m->c, &r, &rs, &e);
            df_query_release(&q);
            if (rc == 0 && strcasecmp(rs.etag, d.md5_hex) != 0 &&
                strncmp(rs.sse, "aws:kms", 7) != 0)
                rc = df_error_set(&e, DF_EIO,
                                  "part %d not verified: ETag '%s' is not the MD5 '%s' of what "
                                  "was sent",
                                  n, rs.etag, d.md5_hex);
            if (rc == 0) {
                memcpy(m->md5s[n - 1], d.md5, 16);
                snprintf(m->etags[n - 1], sizeof(m->etags[n - 1]), "%s", rs.etag);
            } else {
                df_error_prefix(&e, "part %d", n);
            }
        }
        if (rc != 0) {
            pthread_mutex_lock(&m->lock);
            if (!m->failed) {
                m->failed = 1;
                m->err = e;
            }
            pthread_mutex_unlock(&m->lock);
            break;
        }
    }
    sb_release(&rs.errbody);
    return NULL;
}

int s3_abort_upload(struct s3_client *c, const char *key, const char *upload_id,
                    struct df_error *err)
{
    struct df_query q = DF_QUERY_INIT;
    df_query_add(&q, "uploadId", upload_id);
    struct req r = REQ_INIT("DELETE", key);
    r.query = &q;
    struct resp rs = {0};
    sb_init(&rs.errbody);
    int rc = s3_request(c, &r, &rs, err);
    if (rc != 0 && err->code == DF_ENOTFOUND) { /* already gone */
        df_error_clear(err);
        rc = 0;
    }
    sb_release(&rs.errbody);
    df_query_release(&q);
    return rc;
}

/* MD5 of the concatenated part MD5s, "-N": S3's ETag for a multipart object. */
static void multipart_etag(const struct mpu *m, char out[48])
{
    unsigned char md[16];
    unsigned n = 16;
    char hex[33];
    EVP_Digest(m->md5s, (size_t)m->nparts * 16, md, &n, EVP_md5(), NULL);
    s3_to_hex(md, 16, hex);
    snprintf(out, 48, "%s-%d", hex, m->nparts);
}

/* Whether key now holds what this upload sent: right size, and the multipart ETag when the
 * store gives one in that form. */
static int completed_already(struct s3_client *c, const char *key, const struct mpu *m,
                             uint64_t size)
{
    struct s3_head hd;
    struct df_error e = DF_ERROR_INIT;
    if (s3_head(c, key, &hd, &e) != 0 || hd.size != size)
        return 0;
    char want[48];
    multipart_etag(m, want);
    return !strchr(hd.etag, '-') || strcasecmp(hd.etag, want) == 0;
}

/* Starts a multipart upload; its id into *upload_id (free()). */
static int start_upload(struct s3_client *c, const char *key, const char *what, char **upload_id,
                        struct df_error *err)
{
    struct strbuf body = STRBUF_INIT;
    struct resp rs = {0};
    struct df_query q = DF_QUERY_INIT;
    struct req r = REQ_INIT("POST", key);
    int rc;

    sb_init(&rs.errbody);
    df_query_add(&q, "uploads", NULL);
    r.query = &q;
    r.mem = "";
    r.len = 0;
    r.content_type = "application/octet-stream";
    r.out = &body;
    r.out_max = 1024 * 1024;
    rc = s3_request(c, &r, &rs, err);
    df_query_release(&q);
    if (rc == 0) {
        *upload_id = df_xml_text(body.buf, body.len, "UploadId", NULL);
        if (!*upload_id || !**upload_id)
            rc = df_error_set(err, DF_EIO, "%s: multipart upload not started: no UploadId", what);
    }
    sb_release(&body);
    sb_release(&rs.errbody);
    return rc;
}

/* Sends every part, part_parallel at a time (this thread works too); 0, or -1 with the
 * first part's error. */
static int upload_parts(struct s3_client *c, struct mpu *m, const char *what, struct df_error *err)
{
    int nthreads = c->part_parallel < m->nparts ? c->part_parallel : m->nparts;
    pthread_t *th = xcalloc((size_t)nthreads, sizeof(*th));
    char *running = xcalloc((size_t)nthreads, 1);

    for (int i = 1; i < nthreads; i++)
        running[i] = pthread_create(&th[i], NULL, part_worker, m) == 0;
    part_worker(m); /* with no thread at all, this one does every part */
    for (int i = 1; i < nthreads; i++)
        if (running[i])
            pthread_join(th[i], NULL);
    free(th);
    free(running);
    if (m->failed)
        return df_error_set(err, m->err.code, "%s: %s", what, m->err.msg);
    return 0;
}

/* How completing an upload ended. */
enum completed {
    COMPLETED,         /* done: the object's size is still to be checked */
    COMPLETED_EARLIER, /* an earlier try completed it, only its answer was lost */
    COMPLETE_FAILED,   /* not completed: the upload is to be aborted */
    COMPLETED_WRONG,   /* completed, but not with what was sent: err says why */
};

/* The ETag S3 answered the completion with ("MD5-N") against the one the parts give. */
static int check_multipart_etag(const struct mpu *m, const char *xml, size_t len, const char *what,
                                struct df_error *err)
{
    char *etag = df_xml_text(xml, len, "ETag", NULL);
    int rc = 0;

    if (etag) {
        char *e = etag;
        size_t l = strlen(e);
        if (*e == '"') {
            e++;
            l--;
        }
        if (l > 0 && e[l - 1] == '"')
            e[--l] = '\0';
        if (strchr(e, '-')) {
            char want[48];
            multipart_etag(m, want);
            if (strcasecmp(e, want) != 0)
                rc = df_error_set(err, DF_EIO, "%s: upload not verified: ETag '%s', expected '%s'",
                                  what, e, want);
        }
    }
    free(etag);
    return rc;
}

/* CompleteMultipartUpload with every part's ETag. S3 may answer 200 with an <Error> body:
 * retried like a 5xx. An answer lost after the upload completed (NoSuchUpload on the
 * retry) counts as done when the object is there as sent. */
static enum completed complete_upload(struct s3_client *c, const char *key, struct mpu *m,
                                      const char *what, struct df_error *err)
{
    struct strbuf body = STRBUF_INIT, xml = STRBUF_INIT;
    struct resp rs = {0};
    struct df_query q = DF_QUERY_INIT;
    struct req r = REQ_INIT("POST", key);
    enum completed done = COMPLETE_FAILED;
    int ok = -1;

    sb_init(&rs.errbody);
    sb_adds(&xml, "<CompleteMultipartUpload>");
    for (int i = 0; i < m->nparts; i++)
        sb_addf(&xml, "<Part><PartNumber>%d</PartNumber><ETag>\"%s\"</ETag></Part>", i + 1,
                m->etags[i]);
    sb_adds(&xml, "</CompleteMultipartUpload>");
    df_query_add(&q, "uploadId", m->upload_id);
    r.query = &q;
    r.mem = xml.buf;
    r.len = xml.len;
    r.content_type = "application/xml";
    r.out = &body;
    r.out_max = 1024 * 1024;
    for (int attempt = 0; attempt < c->max_attempts; attempt++) {
        df_error_clear(err);
        ok = s3_request(c, &r, &rs, err);
        if (ok != 0)
            break;
        char *code = df_xml_text(body.buf, body.len, "Code", NULL);
        int is_err = strstr(body.buf, "<Error>") != NULL;
        if (!is_err) {
            free(code);
            break;
        }
        ok = df_error_set(err, DF_EIO, "%s: completing the multipart upload failed: %s", what,
                          code ? code : "error");
        free(code);
        s3_backoff(c, attempt);
    }
    df_query_release(&q);
    if (ok != 0 && err->code == DF_ENOTFOUND && completed_already(c, key, m, m->size)) {
        df_error_clear(err);
        done = COMPLETED_EARLIER;
    } else if (ok == 0) {
        /* S3's multipart ETag is MD5(concatenated part MD5s)-N: checked when present. */
        done = check_multipart_etag(m, body.buf, body.len, what, err) == 0 ? COMPLETED
                                                                           : COMPLETED_WRONG;
    }
    sb_release(&body);
    sb_release(&xml);
    sb_release(&rs.errbody);
    return done;
}

/* The object must now be there with the size sent. */
static int verify_size(struct s3_client *c, const char *key, uint64_t size, const char *what,
                       struct df_error *err)
{
    struct s3_head hd;
    if (s3_head(c, key, &hd, err) != 0)
        return -1;
    if (hd.size != size)
        return df_error_set(err, DF_EIO, "%s: upload not verified: size %" PRIu64 ", sent %" PRIu64,
                            what, hd.size, size);
    return 0;
}

static int put_multipart(struct s3_client *c, const char *key, int fd, uint64_t size,
                         uint64_t part_size, struct df_error *err)
{
    char *what = s3_describe(c, key);
    char *upload_id = NULL;
    struct mpu m;
    int rc = -1;

    memset(&m, 0, sizeof(m));
    pthread_mutex_init(&m.lock, NULL);
    if (part_size == 0)
        part_size = c->part_size;
    uint64_t nparts = size == 0 ? 1 : (size + part_size - 1) / part_size;
    while (nparts > 10000) { /* S3's limit: grow the parts instead */
        part_size *= 2;
        nparts = (size + part_size - 1) / part_size;
    }
    if (start_upload(c, key, what, &upload_id, err) != 0)
        goto out;
    m.c = c;
    m.key = key;
    m.upload_id = upload_id;
    m.fd = fd;
    m.size = size;
    m.part_size = part_size;
    m.nparts = (int)nparts;
    m.next = 1;
    m.md5s = xcalloc(nparts, sizeof(*m.md5s));
    m.etags = xcalloc(nparts, sizeof(*m.etags));
    if (upload_parts(c, &m, what, err) != 0)
        goto abort;
    switch (complete_upload(c, key, &m, what, err)) {
    case COMPLETED:
        rc = verify_size(c, key, size, what, err);
        goto out;
    case COMPLETED_EARLIER:
        rc = 0;
        goto out;
    case COMPLETED_WRONG:
        goto out; /* completed, but wrong: the caller sees the error */
    case COMPLETE_FAILED:
        break;
    }
abort : {
    struct df_error e2 = DF_ERROR_INIT;
    if (s3_abort_upload(c, key, upload_id, &e2) != 0 && c->debug)
        fprintf(stderr, "duckflow: s3: abort of the multipart upload of %s failed: %s\n", what,
                e2.msg);
}
out:
    free(m.md5s);
    free(m.etags);
    pthread_mutex_destroy(&m.lock);
    free(upload_id);
    free(what);
    return rc;
}

int s3_put_file_multipart(struct s3_client *c, const char *key, const char *path,
                          uint64_t part_size, struct df_error *err)
{
    uint64_t size;
    int fd = open_source(c, key, path, &size, err);
    if (fd < 0)
        return -1;
    int rc = put_multipart(c, key, fd, size, part_size, err);
    close(fd);
    return rc;
}

int s3_put_file(struct s3_client *c, const char *key, const char *path, struct df_error *err)
{
    uint64_t size;
    int fd = open_source(c, key, path, &size, err);
    if (fd < 0)
        return -1;
    int rc = size >= c->threshold ? put_multipart(c, key, fd, size, 0, err)
                                  : put_single(c, key, path, fd, size, err);
    close(fd);
    return rc;
}

int s3_delete(struct s3_client *c, const char *key, struct df_error *err)
{
    struct req r = REQ_INIT("DELETE", key);
    struct resp rs = {0};
    sb_init(&rs.errbody);
    int rc = s3_request(c, &r, &rs, err);
    if (rc != 0 && err->code == DF_ENOTFOUND) {
        df_error_clear(err);
        rc = 0;
    }
    sb_release(&rs.errbody);
    return rc;
}
