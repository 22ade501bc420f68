/*
 * s3_client.c - the S3 client (see s3_client.h): request signing and sending, retries,
 * verification, multipart uploads and listings.
 */
#include "store/s3_client.h"
#include "store/store.h"

#define CURL_DISABLE_TYPECHECK /* curl is called through curl_lazy.h's pointers */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/creds.h"
#include "store/curl_lazy.h"
#include "store/s3_xml.h"
#include "store/sigv4.h"
#include "util/fs.h"
#include "util/strbuf.h"
#include "util/banned.h"

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

/* ---- small helpers ---- */

static int is_md5_etag(const char *etag);

static long env_long(const char *name, long dflt)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return dflt;
    char *end;
    long x = strtol(v, &end, 10);
    return *end == '\0' && x >= 0 ? x : dflt;
}

static uint64_t env_size(const char *name, uint64_t dflt)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return dflt;
    char *end;
    unsigned long long x = strtoull(v, &end, 10);
    if (end == v)
        return dflt;
    if (*end == 'k' || *end == 'K')
        x *= 1024ULL;
    else if (*end == 'm' || *end == 'M')
        x *= MIB;
    else if (*end == 'g' || *end == 'G')
        x *= 1024ULL * MIB;
    return x ? (uint64_t)x : dflt;
}

static const char *env_first(const char *a, const char *b, const char *c)
{
    const char *names[] = {a, b, c};
    for (int i = 0; i < 3; i++) {
        if (!names[i])
            continue;
        const char *v = getenv(names[i]);
        if (v && *v)
            return v;
    }
    return NULL;
}

static void to_hex(const unsigned char *md, unsigned n, char *out)
{
    static const char d[] = "0123456789abcdef";
    for (unsigned i = 0; i < n; i++) {
        out[2 * i] = d[md[i] >> 4];
        out[2 * i + 1] = d[md[i] & 15];
    }
    out[2 * n] = '\0';
}

static void to_base64(const unsigned char *md, unsigned n, char *out, size_t cap)
{
    unsigned char tmp[64];
    int k = EVP_EncodeBlock(tmp, md, (int)n);
    snprintf(out, cap, "%.*s", k, (const char *)tmp);
}

char *s3_describe(const struct s3_client *c, const char *key)
{
    return xasprintf("%s://%s/%s", c->gcs ? "gs" : "s3", c->bucket, key ? key : "");
}

static CURL *handle_get(struct s3_client *c)
{
    CURL *h = NULL;
    pthread_mutex_lock(&c->lock);
    if (c->npool > 0)
        h = c->pool[--c->npool];
    pthread_mutex_unlock(&c->lock);
    if (h)
        curl_easy_reset(h);
    else
        h = curl_easy_init();
    return h;
}

static void handle_put(struct s3_client *c, CURL *h, int broken)
{
    if (!h)
        return;
    if (broken) { /* a dropped or timed-out connection: start afresh */
        curl_easy_cleanup(h);
        return;
    }
    pthread_mutex_lock(&c->lock);
    if (c->npool == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 16;
        c->pool = xrealloc(c->pool, c->cap * sizeof(*c->pool));
    }
    c->pool[c->npool++] = h;
    pthread_mutex_unlock(&c->lock);
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    /* With CURLOPT_NOSIGNAL (needed with threads) a peer that drops a TLS connection can
     * raise SIGPIPE inside OpenSSL's write; a dropped connection must be a retryable error,
     * not the death of the process. Only a default disposition is replaced. */
    struct sigaction sa;
    if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
        sa.sa_handler = SIG_IGN;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = 0;
        sigaction(SIGPIPE, &sa, NULL);
    }
}

/* Splits "scheme://host[:port][/path]" into parts; -1 when malformed. */
static int parse_endpoint(struct s3_client *c, const char *ep, struct df_error *err)
{
    const char *p = strstr(ep, "://");
    if (!p || (strncmp(ep, "http://", 7) != 0 && strncmp(ep, "https://", 8) != 0))
        return df_error_set(err, DF_EUSAGE, "s3 endpoint '%s': expected http:// or https://", ep);
    c->scheme = xstrndup(ep, (size_t)(p - ep));
    const char *h = p + 3;
    const char *slash = strchr(h, '/');
    c->host = slash ? xstrndup(h, (size_t)(slash - h)) : xstrdup(h);
    if (!*c->host)
        return df_error_set(err, DF_EUSAGE, "s3 endpoint '%s': no host", ep);
    struct strbuf bp = STRBUF_INIT;
    if (slash)
        sb_adds(&bp, slash);
    while (bp.len > 0 && bp.buf[bp.len - 1] == '/')
        bp.buf[--bp.len] = '\0';
    c->base_path = sb_detach(&bp);
    return 0;
}

static int is_ip_or_local(const char *host)
{
    if (strncmp(host, "localhost", 9) == 0 || host[0] == '[')
        return 1;
    for (const char *p = host; *p && *p != ':'; p++)
        if (!((*p >= '0' && *p <= '9') || *p == '.'))
            return 0;
    return 1;
}

int s3_client_new(const struct s3_client_config *cfg, struct s3_client **out, struct df_error *err)
{
    *out = NULL;
    if (df_curl_load(err) < 0)
        return -1;
    pthread_once(&curl_once, curl_init_once);
    struct s3_client *c = xcalloc(1, sizeof(*c));
    pthread_mutex_init(&c->lock, NULL);
    *out = NULL;
    c->bucket = xstrdup(cfg->bucket);
    c->gcs = cfg->gcs;
    const char *ep = cfg->endpoint;
    if (!ep && cfg->gcs)
        ep = env_first("DUCKFLOW_GCS_ENDPOINT", NULL, NULL);
    if (!ep && !cfg->gcs)
        ep = env_first("DUCKFLOW_S3_ENDPOINT", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL");
    char *region = NULL;
    if (cfg->gcs) {
        const char *r = env_first("DUCKFLOW_GCS_REGION", NULL, NULL);
        region = xstrdup(r ? r : "auto");
    } else {
        region = df_aws_region();
    }
    c->region = region;
    char *dflt = NULL;
    if (!ep) {
        dflt = cfg->gcs ? xstrdup("https://storage.googleapis.com")
                        : xasprintf("https://s3.%s.amazonaws.com", c->region);
        ep = dflt;
    }
    int rc = parse_endpoint(c, ep, err);
    free(dflt);
    if (rc != 0)
        goto fail;

    /* Virtual-host style is AWS's default; custom endpoints (MinIO, test servers, IPs)
     * and GCS use path style unless told otherwise. Bucket names with dots break TLS
     * wildcard certificates in virtual-host style, so those stay path style too. */
    const char *addr = env_first("DUCKFLOW_S3_ADDRESSING", NULL, NULL);
    if (addr && strcmp(addr, "path") == 0)
        c->path_style = 1;
    else if (addr && strcmp(addr, "virtual") == 0)
        c->path_style = 0;
    else if (addr) {
        df_error_set(err, DF_EUSAGE, "DUCKFLOW_S3_ADDRESSING '%s': expected path or virtual", addr);
        goto fail;
    } else
        c->path_style =
            cfg->gcs || cfg->endpoint || strchr(c->bucket, '.') || is_ip_or_local(c->host) ||
            env_first("DUCKFLOW_S3_ENDPOINT", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL");

    const char *sp = env_first("DUCKFLOW_S3_SIGN_PAYLOAD", NULL, NULL);
    if (sp && strcmp(sp, "on") == 0)
        c->sign_payload = 1;
    else if (sp && strcmp(sp, "off") == 0)
        c->sign_payload = 0;
    else /* as the AWS SDKs do: sign bodies on plain HTTP, rely on TLS + MD5 on HTTPS */
        c->sign_payload = strcmp(c->scheme, "http") == 0;

    const char *dbg = getenv("DUCKFLOW_DEBUG");
    c->debug = dbg && *dbg && strcmp(dbg, "0") != 0;
    c->max_attempts = (int)env_long("DUCKFLOW_S3_MAX_ATTEMPTS", 8);
    if (c->max_attempts < 1)
        c->max_attempts = 1;
    c->base_ms = env_long("DUCKFLOW_S3_RETRY_BASE_MS", 100);
    c->max_ms = env_long("DUCKFLOW_S3_RETRY_MAX_MS", 20000);
    c->timeout_s = env_long("DUCKFLOW_S3_TIMEOUT", 60);
    c->connect_timeout_s = env_long("DUCKFLOW_S3_CONNECT_TIMEOUT", 10);
    c->threshold = env_size("DUCKFLOW_S3_MULTIPART_THRESHOLD", 64 * MIB);
    c->part_size = env_size("DUCKFLOW_S3_PART_SIZE", 16 * MIB);
    if (c->part_size < 5 * MIB && !getenv("DUCKFLOW_S3_ALLOW_SMALL_PARTS"))
        c->part_size = 5 * MIB; /* S3's minimum for all parts but the last */
    c->list_page = env_long("DUCKFLOW_S3_LIST_PAGE", 0);
    c->part_parallel = (int)env_long("DUCKFLOW_S3_PART_PARALLEL", 4);
    if (c->part_parallel < 1)
        c->part_parallel = 1;

    if (df_creds_provider_new(cfg->gcs, &c->creds, err) != 0)
        goto fail;
    if (c->debug)
        fprintf(stderr,
                "duckflow: s3: bucket '%s' at %s://%s (%s style, region %s), "
                "credentials from %s\n",
                c->bucket, c->scheme, c->host, c->path_style ? "path" : "virtual-host", c->region,
                df_creds_provider_source(c->creds));
    *out = c;
    return 0;
fail:
    df_error_prefix(err, "store '%s://%s'", cfg->gcs ? "gs" : "s3", cfg->bucket);
    s3_client_free(c);
    return -1;
}

void s3_client_free(struct s3_client *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->npool; i++)
        curl_easy_cleanup(c->pool[i]);
    free(c->pool);
    df_creds_provider_free(c->creds);
    free(c->scheme);
    free(c->host);
    free(c->base_path);
    free(c->bucket);
    free(c->region);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

/* ---- one request ---- */

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
};

#define REQ_INIT(m, k)                                                                             \
    {                                                                                              \
        (m), (k), NULL, NULL, -1, 0, 0, NULL, NULL, NULL, {0}, NULL, NULL, 0, -1, 0, NULL, NULL,   \
            NULL                                                                                   \
    }

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
    struct strbuf errbody;
    char code[128];
    char message[512];
};

static void resp_reset(struct resp *r)
{
    struct strbuf eb = r->errbody;
    sb_reset(&eb);
    memset(r, 0, sizeof(*r));
    r->errbody = eb;
}

struct xfer {
    struct req *rq;
    struct resp *rs;
    uint64_t pos; /* body read position */
};

static size_t read_cb(char *buf, size_t size, size_t nmemb, void *ud)
{
    struct xfer *x = ud;
    struct req *r = x->rq;
    size_t want = size * nmemb;
    uint64_t left = r->len - x->pos;
    if (want > left)
        want = (size_t)left;
    if (want == 0)
        return 0;
    if (r->mem) {
        memcpy(buf, r->mem + x->pos, want);
    } else {
        ssize_t n = pread(r->fd, buf, want, (off_t)(r->off + x->pos));
        if (n <= 0)
            return CURL_READFUNC_ABORT;
        want = (size_t)n;
    }
    x->pos += want;
    return want;
}

static int seek_cb(void *ud, curl_off_t offset, int origin)
{
    struct xfer *x = ud;
    if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > x->rq->len)
        return CURL_SEEKFUNC_CANTSEEK;
    x->pos = (uint64_t)offset;
    return CURL_SEEKFUNC_OK;
}

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct xfer *x = ud;
    struct req *r = x->rq;
    struct resp *rs = x->rs;
    size_t n = size * nmemb;
    if (rs->status < 200 || rs->status >= 300) {
        if (rs->errbody.len + n <= ERR_BODY_MAX)
            sb_add(&rs->errbody, ptr, n);
        return n;
    }
    if (r->out) {
        if (r->out->len + n > r->out_max) {
            rs->sink_error = 1;
            return 0;
        }
        sb_add(r->out, ptr, n);
    } else if (r->out_fd >= 0) {
        size_t done = 0;
        while (done < n) {
            ssize_t w =
                pwrite(r->out_fd, ptr + done, n - done, (off_t)(r->out_base + rs->written + done));
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                rs->sink_error = 2;
                rs->sink_errno = errno;
                return 0;
            }
            done += (size_t)w;
        }
        /* Only a plain-MD5 ETag can be checked: skip the hashing for multipart ones. */
        if (r->out_md5 && rs->etag_is_md5)
            EVP_DigestUpdate(r->out_md5, ptr, n);
    }
    rs->written += n;
    return n;
}

static size_t header_cb(char *buf, size_t size, size_t nitems, void *ud)
{
    struct xfer *x = ud;
    struct resp *rs = x->rs;
    size_t n = size * nitems;
    char line[512];
    size_t k = n < sizeof(line) - 1 ? n : sizeof(line) - 1;
    memcpy(line, buf, k);
    line[k] = '\0';
    while (k > 0 && (line[k - 1] == '\r' || line[k - 1] == '\n'))
        line[--k] = '\0';
    if (strncmp(line, "HTTP/", 5) == 0) {
        /* a new status line (after 100 Continue or a redirect): forget earlier headers */
        const char *sp = strchr(line, ' ');
        long st = sp ? strtol(sp + 1, NULL, 10) : 0;
        rs->status = st;
        rs->etag[0] = '\0';
        rs->etag_is_md5 = 0;
        rs->has_length = rs->has_range = 0;
        return n;
    }
    char *colon = strchr(line, ':');
    if (!colon)
        return n;
    *colon = '\0';
    char *v = colon + 1;
    while (*v == ' ')
        v++;
    if (strcasecmp(line, "etag") == 0) {
        if (*v == '"')
            v++;
        size_t l = strlen(v);
        if (l > 0 && v[l - 1] == '"')
            v[--l] = '\0';
        snprintf(rs->etag, sizeof(rs->etag), "%s", v);
        rs->etag_is_md5 = is_md5_etag(rs->etag);
    } else if (strcasecmp(line, "content-length") == 0) {
        rs->content_length = strtoull(v, NULL, 10);
        rs->has_length = 1;
    } else if (strcasecmp(line, "content-range") == 0) {
        /* "bytes START-END/TOTAL" */
        unsigned long long a, b, t;
        if (sscanf(v, "bytes %llu-%llu/%llu", &a, &b, &t) == 3) {
            rs->range_start = a;
            rs->total = t;
            rs->has_range = 1;
        }
    } else if (strcasecmp(line, "x-amz-bucket-region") == 0) {
        snprintf(rs->bucket_region, sizeof(rs->bucket_region), "%s", v);
    } else if (strcasecmp(line, "date") == 0) {
        time_t t = curl_getdate(v, NULL);
        rs->server_date = t > 0 ? (long long)t : 0;
    } else if (strcasecmp(line, "x-amz-server-side-encryption") == 0) {
        snprintf(rs->sse, sizeof(rs->sse), "%s", v);
    }
    return n;
}

enum outcome { OK = 0, RETRY = 1, FATAL = -1 };

static void copy_token(char *dst, size_t cap, const char *xml, size_t len, const char *tag)
{
    char *t = df_xml_text(xml, len, tag, NULL);
    snprintf(dst, cap, "%s", t ? t : "");
    /* one line */
    for (char *p = dst; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    free(t);
}

static int retryable_curl(CURLcode cc)
{
    switch (cc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_WEIRD_SERVER_REPLY:
        return 1;
    default:
        return 0;
    }
}

/* Sends r once. Fills rs; on failure sets err (code DF_ENOTFOUND for 404) and returns
 * RETRY when another attempt may succeed, FATAL otherwise. */
static int perform(struct s3_client *c, struct req *r, struct resp *rs, int attempt,
                   struct df_error *err)
{
    struct df_creds cr = DF_CREDS_INIT;
    struct strbuf url = STRBUF_INIT, path = STRBUF_INIT, qs = STRBUF_INIT, host = STRBUF_INIT;
    struct strbuf auth = STRBUF_INIT, hv = STRBUF_INIT;
    struct curl_slist *hdrs = NULL;
    char *what = s3_describe(c, r->key);
    int outcome = FATAL;
    CURL *h = NULL;
    int broken = 0;

    resp_reset(rs);
    if (df_creds_provider_get(c->creds, &cr, err) != 0)
        goto out;

    if (c->path_style) {
        sb_adds(&host, c->host);
        sb_adds(&path, c->base_path);
        sb_addc(&path, '/');
        df_uri_encode(&path, c->bucket, strlen(c->bucket), 0);
        if (r->key) {
            sb_addc(&path, '/');
            df_uri_encode(&path, r->key, strlen(r->key), 1);
        }
    } else {
        sb_addf(&host, "%s.%s", c->bucket, c->host);
        sb_adds(&path, c->base_path);
        sb_addc(&path, '/');
        if (r->key)
            df_uri_encode(&path, r->key, strlen(r->key), 1);
    }
    if (r->query)
        df_query_canonical(r->query, &qs);
    sb_addf(&url, "%s://%s%s", c->scheme, host.buf, path.buf);
    if (qs.len)
        sb_addf(&url, "?%s", qs.buf);

    char payload[65];
    if (r->payload_hash)
        snprintf(payload, sizeof(payload), "%s", r->payload_hash);
    else if (r->mem || r->len == 0) {
        char hex[65];
        unsigned char md[32];
        unsigned n = 32;
        EVP_Digest(r->mem ? r->mem : "", r->mem ? r->len : 0, md, &n, EVP_sha256(), NULL);
        to_hex(md, 32, hex);
        snprintf(payload, sizeof(payload), "%s", hex);
    } else
        snprintf(payload, sizeof(payload), "%s", DF_SIGV4_UNSIGNED);

    char amz_date[17];
    pthread_mutex_lock(&c->lock);
    long long offset = c->clock_offset;
    pthread_mutex_unlock(&c->lock);
    df_sigv4_amz_date((long long)time(NULL) + offset, amz_date);
    struct df_sigv4_header sh[10];
    size_t nh = 0;
    sh[nh++] = (struct df_sigv4_header){"host", host.buf};
    sh[nh++] = (struct df_sigv4_header){"x-amz-content-sha256", payload};
    sh[nh++] = (struct df_sigv4_header){"x-amz-date", amz_date};
    if (cr.token)
        sh[nh++] = (struct df_sigv4_header){"x-amz-security-token", cr.token};
    if (r->content_md5)
        sh[nh++] = (struct df_sigv4_header){"content-md5", r->content_md5};
    if (r->range[0])
        sh[nh++] = (struct df_sigv4_header){"range", r->range};
    if (r->if_match)
        sh[nh++] = (struct df_sigv4_header){"if-match", r->if_match};
    if (r->cond_name)
        sh[nh++] = (struct df_sigv4_header){r->cond_name, r->cond_value};
    struct df_sigv4_input in = {r->method, path.buf, qs.buf,    sh,  nh,
                                payload,   amz_date, c->region, "s3"};
    df_sigv4_authorization(&in, cr.access_key, cr.secret, &auth);

    /* Same headers on the wire as signed (curl would otherwise add its own Host). */
    static const char *const wire[] = {"Host",        "x-amz-content-sha256",
                                       "x-amz-date",  "x-amz-security-token",
                                       "Content-MD5", "Range",
                                       "If-Match",    "If-None-Match"};
    for (size_t i = 0; i < nh; i++) {
        const char *name = sh[i].name;
        for (size_t j = 0; j < sizeof(wire) / sizeof(*wire); j++)
            if (strcasecmp(wire[j], sh[i].name) == 0)
                name = wire[j];
        sb_reset(&hv);
        sb_addf(&hv, "%s: %s", name, sh[i].value);
        hdrs = curl_slist_append(hdrs, hv.buf);
    }
    sb_reset(&hv);
    sb_addf(&hv, "Authorization: %s", auth.buf);
    hdrs = curl_slist_append(hdrs, hv.buf);
    OPENSSL_cleanse(hv.buf, hv.len);
    OPENSSL_cleanse(auth.buf, auth.len);
    hdrs = curl_slist_append(hdrs, "Expect:");
    if (r->content_type) {
        sb_reset(&hv);
        sb_addf(&hv, "Content-Type: %s", r->content_type);
        hdrs = curl_slist_append(hdrs, hv.buf);
    }

    h = handle_get(c);
    if (!h) {
        df_error_set(err, DF_EIO, "%s: cannot create a curl handle", what);
        goto out;
    }
    struct xfer x = {r, rs, 0};
    curl_easy_setopt(h, CURLOPT_URL, url.buf);
    curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, c->connect_timeout_s);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, c->timeout_s);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
    curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 256L * 1024L);
    curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 1024L * 1024L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    int has_body = r->mem || r->fd >= 0;
    if (strcmp(r->method, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (strcmp(r->method, "PUT") == 0) {
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)(has_body ? r->len : 0));
    } else if (strcmp(r->method, "POST") == 0) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(has_body ? r->len : 0));
    } else if (strcmp(r->method, "GET") != 0) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r->method);
    }
    if (has_body || strcmp(r->method, "PUT") == 0 || strcmp(r->method, "POST") == 0) {
        curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
        curl_easy_setopt(h, CURLOPT_READDATA, &x);
        curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, seek_cb);
        curl_easy_setopt(h, CURLOPT_SEEKDATA, &x);
    }

    CURLcode cc = curl_easy_perform(h);
    if (cc == CURLE_OK) {
        long st = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &st);
        rs->status = st;
    }
    if (c->debug)
        fprintf(stderr, "duckflow: s3: %s %s %s -> %ld%s%s (attempt %d)\n", r->method, host.buf,
                r->key ? r->key : "/", cc == CURLE_OK ? rs->status : 0L, cc == CURLE_OK ? "" : " ",
                cc == CURLE_OK ? "" : curl_easy_strerror(cc), attempt + 1);

    if (cc != CURLE_OK) {
        broken = 1;
        if (rs->sink_error == 1) {
            df_error_set(err, DF_EIO, "%s: object larger than %zu bytes", what, r->out_max);
        } else if (rs->sink_error == 2) {
            df_error_set(err, DF_EIO, "%s: cannot write the download: %s", what,
                         strerror(rs->sink_errno));
        } else if (cc == CURLE_ABORTED_BY_CALLBACK || cc == CURLE_READ_ERROR) {
            df_error_set(err, DF_EIO, "%s: cannot read the upload's source: %s", what,
                         strerror(errno));
        } else {
            df_error_set(err, DF_EIO, "%s %s: %s", r->method, what, curl_easy_strerror(cc));
            outcome = retryable_curl(cc) ? RETRY : FATAL;
        }
        goto out;
    }
    if (rs->status >= 200 && rs->status < 300) {
        outcome = OK;
        goto out;
    }
    copy_token(rs->code, sizeof(rs->code), rs->errbody.buf, rs->errbody.len, "Code");
    copy_token(rs->message, sizeof(rs->message), rs->errbody.buf, rs->errbody.len, "Message");
    const char *code = rs->code;
    if (rs->status == 404) {
        df_error_set(err, DF_ENOTFOUND, "%s not found (bucket '%s', key '%s')%s%s", what, c->bucket,
                     r->key ? r->key : "", *code ? ": " : "", code);
        goto out;
    }
    if (rs->status == 403 && strcmp(code, "RequestTimeTooSkewed") != 0 &&
        strcmp(code, "ExpiredToken") != 0) {
        df_error_set(err, DF_EIO,
                     "access denied to %s (bucket '%s', key '%s'): HTTP 403 %s%s%s (credentials "
                     "from %s)",
                     what, c->bucket, r->key ? r->key : "", code, *rs->message ? ": " : "",
                     rs->message, df_creds_provider_source(c->creds));
        goto out;
    }
    if (rs->bucket_region[0] && strcmp(rs->bucket_region, c->region) != 0)
        df_error_set(err, DF_EIO,
                     "%s %s: HTTP %ld %s: the bucket is in region '%s', not '%s' "
                     "(set AWS_REGION)",
                     r->method, what, rs->status, code, rs->bucket_region, c->region);
    else
        df_error_set(err, DF_EIO, "%s %s: HTTP %ld%s%s%s%s", r->method, what, rs->status,
                     *code ? " " : "", code, *rs->message ? ": " : "", rs->message);
    if (strcmp(code, "RequestTimeTooSkewed") == 0 && rs->server_date > 0) {
        /* Sign with the server's idea of the time from now on, as the AWS SDKs do. */
        pthread_mutex_lock(&c->lock);
        c->clock_offset = rs->server_date - (long long)time(NULL);
        pthread_mutex_unlock(&c->lock);
        if (c->debug)
            fprintf(stderr, "duckflow: s3: clock skew of %llds corrected\n",
                    (long long)c->clock_offset);
    }
    if (strcmp(code, "ExpiredToken") == 0 || strcmp(code, "TokenRefreshRequired") == 0) {
        df_creds_provider_invalidate(c->creds);
        outcome = RETRY;
    } else if (rs->status >= 500 || rs->status == 429 || strcmp(code, "SlowDown") == 0 ||
               strcmp(code, "RequestTimeout") == 0 || strcmp(code, "RequestTimeTooSkewed") == 0 ||
               strcmp(code, "InternalError") == 0) {
        outcome = RETRY;
    }
out:
    handle_put(c, h, broken);
    curl_slist_free_all(hdrs);
    df_creds_release(&cr);
    sb_release(&url);
    sb_release(&path);
    sb_release(&qs);
    sb_release(&host);
    sb_release(&auth);
    sb_release(&hv);
    free(what);
    return outcome;
}

/* Full jitter: a random wait in [0, min(max, base * 2^attempt)]. */
static void backoff(struct s3_client *c, int attempt)
{
    static __thread unsigned seed;
    if (!seed)
        seed = (unsigned)time(NULL) ^ (unsigned)(uintptr_t)&seed;
    long cap = c->base_ms;
    for (int i = 0; i < attempt && cap < c->max_ms; i++)
        cap *= 2;
    if (cap > c->max_ms)
        cap = c->max_ms;
    long ms = cap > 0 ? (long)(rand_r(&seed) % (cap + 1)) : 0;
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* perform() with retries; the request must be repeatable (memory sink reset each time). */
static int request(struct s3_client *c, struct req *r, struct resp *rs, struct df_error *err)
{
    for (int attempt = 0;; attempt++) {
        struct df_error e = DF_ERROR_INIT;
        if (r->out)
            sb_reset(r->out);
        int o = perform(c, r, rs, attempt, &e);
        if (o == OK)
            return 0;
        if (o == FATAL || attempt + 1 >= c->max_attempts) {
            if (o == RETRY)
                df_error_set(err, e.code, "%s (after %d attempts)", e.msg, attempt + 1);
            else
                df_error_set(err, e.code, "%s", e.msg);
            return -1;
        }
        backoff(c, attempt);
    }
}

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
    to_hex(d->md5, 16, d->md5_hex);
    to_base64(d->md5, 16, d->md5_b64, sizeof(d->md5_b64));
    d->sha_hex[0] = '\0';
    if (s) {
        unsigned char md[32];
        n = 32;
        EVP_DigestFinal_ex(s, md, &n);
        to_hex(md, 32, d->sha_hex);
    }
    EVP_MD_CTX_free(m);
    EVP_MD_CTX_free(s);
    return rc;
}

static void hash_mem(const void *data, size_t len, struct digests *d)
{
    unsigned n = 16;
    EVP_Digest(data, len, d->md5, &n, EVP_md5(), NULL);
    to_hex(d->md5, 16, d->md5_hex);
    to_base64(d->md5, 16, d->md5_b64, sizeof(d->md5_b64));
    unsigned char md[32];
    n = 32;
    EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
    to_hex(md, 32, d->sha_hex);
}

static int is_md5_etag(const char *etag)
{
    if (strlen(etag) != 32)
        return 0;
    for (const char *p = etag; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F')))
            return 0;
    return 1;
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
    int rc = request(c, &r, &rs, err);
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
        rc = request(c, &r, &rs, err);
        if (rc != 0)
            break;
        char *what = s3_describe(c, key);
        if (rs.has_length && rs.content_length != out.len)
            rc = df_error_set(err, DF_EIO, "%s: got %zu bytes of %" PRIu64, what, out.len,
                              rs.content_length);
        if (rc == 0 && range_len == 0 && is_md5_etag(rs.etag) &&
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
        backoff(c, attempt);
    }
    if (rc == 0) {
        *len = out.len;
        *data = sb_detach(&out);
    }
    sb_release(&out);
    sb_release(&rs.errbody);
    return rc;
}

int s3_get_file(struct s3_client *c, const char *key, const char *path, struct df_error *err)
{
    char *what = s3_describe(c, key);
    /* A hidden temporary beside the target (same file system, so rename is atomic),
     * named like the local store's temporaries. */
    const char *slash = strrchr(path, '/');
    char *dir = slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup(".");
    if (dir[0] && fs_mkdirs(dir, err) != 0) {
        df_error_prefix(err, "%s", what);
        free(dir);
        free(what);
        return -1;
    }
    char *tmp = xasprintf("%s/.df-tmp.%s.XXXXXX", dir, slash ? slash + 1 : path);
    free(dir);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        int rc = df_error_errno(err, "%s: cannot create '%s'", what, tmp);
        free(tmp);
        free(what);
        return rc;
    }
    EVP_MD_CTX *md5 = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md5, EVP_md5(), NULL);
    struct resp rs = {0};
    sb_init(&rs.errbody);
    char etag[128] = "", sse[32] = "";
    uint64_t have = 0, total = 0;
    int known_total = 0, rc = -1;
    char ifm[140];

    for (int attempt = 0;; attempt++) {
        struct req r = REQ_INIT("GET", key);
        r.out_fd = fd;
        r.out_base = have;
        r.out_md5 = md5;
        if (have > 0 && etag[0]) { /* resume, pinned to the same object */
            snprintf(r.range, sizeof(r.range), "bytes=%" PRIu64 "-", have);
            snprintf(ifm, sizeof(ifm), "\"%s\"", etag);
            r.if_match = ifm;
        }
        struct df_error e = DF_ERROR_INIT;
        /* A 200 to a ranged request would write from 0: perform() writes at out_base, so
         * a resumed request that is not answered 206 restarts below. */
        int o = perform(c, &r, &rs, attempt, &e);
        int resumed = r.range[0] != '\0';
        if (o == OK && resumed && (rs.status != 206 || !rs.has_range || rs.range_start != have)) {
            o = RETRY; /* the server ignored the range: start over */
            snprintf(e.msg, sizeof(e.msg), "%s: resumed download answered without the range", what);
            e.code = DF_EIO;
            have = 0;
            etag[0] = '\0';
            EVP_DigestInit_ex(md5, EVP_md5(), NULL);
            if (ftruncate(fd, 0) != 0) {
                df_error_errno(err, "%s: cannot truncate '%s'", what, tmp);
                break;
            }
        } else if (o == OK) {
            if (!resumed) {
                snprintf(etag, sizeof(etag), "%s", rs.etag);
                snprintf(sse, sizeof(sse), "%s", rs.sse);
                total = rs.content_length;
                known_total = rs.has_length;
            } else if (rs.has_range) {
                total = rs.total;
                known_total = 1;
            }
            have += rs.written;
            /* Verify before accepting; a corrupt or short body is downloaded again. */
            char bad[256] = "";
            if (known_total && have != total)
                snprintf(bad, sizeof(bad), "got %" PRIu64 " bytes of %" PRIu64, have, total);
            if (!bad[0] && is_md5_etag(etag) && strncmp(sse, "aws:kms", 7) != 0) {
                unsigned char md[16];
                unsigned n = 16;
                char hex[33];
                EVP_DigestFinal_ex(md5, md, &n);
                to_hex(md, 16, hex);
                if (strcasecmp(hex, etag) != 0)
                    snprintf(bad, sizeof(bad), "download corrupt: MD5 '%s' is not the ETag '%s'",
                             hex, etag);
            }
            if (!bad[0]) {
                rc = 0;
                break;
            }
            e.code = DF_EIO;
            snprintf(e.msg, sizeof(e.msg), "%s: %s", what, bad);
            o = RETRY;
            have = 0;
            etag[0] = '\0';
            EVP_DigestInit_ex(md5, EVP_md5(), NULL);
            if (ftruncate(fd, 0) != 0) {
                df_error_errno(err, "%s: cannot truncate '%s'", what, tmp);
                break;
            }
        } else if (resumed && rs.status == 412) {
            /* the object changed since the first bytes: start over */
            have = 0;
            etag[0] = '\0';
            EVP_DigestInit_ex(md5, EVP_md5(), NULL);
            if (ftruncate(fd, 0) != 0) {
                df_error_errno(err, "%s: cannot truncate '%s'", what, tmp);
                break;
            }
            o = RETRY;
        } else {
            if (!resumed && rs.status >= 200 && rs.status < 300) {
                /* dropped mid-body after headers: keep what arrived and resume */
                snprintf(etag, sizeof(etag), "%s", rs.etag);
                snprintf(sse, sizeof(sse), "%s", rs.sse);
                total = rs.content_length;
                known_total = rs.has_length;
            }
            if (rs.status == 0 || (rs.status >= 200 && rs.status < 300))
                have += rs.written;
            if (!etag[0] && have > 0) { /* nothing to pin a resume to */
                have = 0;
                EVP_DigestInit_ex(md5, EVP_md5(), NULL);
                if (ftruncate(fd, 0) != 0) {
                    df_error_errno(err, "%s: cannot truncate '%s'", what, tmp);
                    break;
                }
            }
        }
        if (o == FATAL || attempt + 1 >= c->max_attempts) {
            if (o == RETRY)
                df_error_set(err, e.code, "%s (after %d attempts)", e.msg, attempt + 1);
            else
                df_error_set(err, e.code, "%s", e.msg);
            break;
        }
        backoff(c, attempt);
    }
    if (close(fd) != 0 && rc == 0)
        rc = df_error_errno(err, "%s: cannot write '%s'", what, tmp);
    if (rc == 0 && rename(tmp, path) != 0)
        rc = df_error_errno(err, "%s: cannot rename '%s' to '%s'", what, tmp, path);
    if (rc != 0)
        unlink(tmp);
    EVP_MD_CTX_free(md5);
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
    int rc = request(c, &r, &rs, err);
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
    int rc = request(c, &r, &rs, err);
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
    int rc = request(c, &r, &rs, err);
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
            rc = request(m->c, &r, &rs, &e);
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

static int abort_upload(struct s3_client *c, const char *key, const char *upload_id,
                        struct df_error *err)
{
    struct df_query q = DF_QUERY_INIT;
    df_query_add(&q, "uploadId", upload_id);
    struct req r = REQ_INIT("DELETE", key);
    r.query = &q;
    struct resp rs = {0};
    sb_init(&rs.errbody);
    int rc = request(c, &r, &rs, err);
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
    to_hex(md, 16, hex);
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

static int put_multipart(struct s3_client *c, const char *key, int fd, uint64_t size,
                         uint64_t part_size, struct df_error *err)
{
    char *what = s3_describe(c, key);
    struct strbuf body = STRBUF_INIT, xml = STRBUF_INIT;
    char *upload_id = NULL;
    struct resp rs = {0};
    sb_init(&rs.errbody);
    struct mpu m;
    memset(&m, 0, sizeof(m));
    pthread_mutex_init(&m.lock, NULL);
    int rc = -1;

    if (part_size == 0)
        part_size = c->part_size;
    uint64_t nparts = size == 0 ? 1 : (size + part_size - 1) / part_size;
    while (nparts > 10000) { /* S3's limit: grow the parts instead */
        part_size *= 2;
        nparts = (size + part_size - 1) / part_size;
    }

    /* initiate */
    {
        struct df_query q = DF_QUERY_INIT;
        df_query_add(&q, "uploads", NULL);
        struct req r = REQ_INIT("POST", key);
        r.query = &q;
        r.mem = "";
        r.len = 0;
        r.content_type = "application/octet-stream";
        r.out = &body;
        r.out_max = 1024 * 1024;
        int ok = request(c, &r, &rs, err);
        df_query_release(&q);
        if (ok != 0)
            goto out;
        upload_id = df_xml_text(body.buf, body.len, "UploadId", NULL);
        if (!upload_id || !*upload_id) {
            df_error_set(err, DF_EIO, "%s: multipart upload not started: no UploadId", what);
            goto out;
        }
    }

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
    int nthreads = c->part_parallel < m.nparts ? c->part_parallel : m.nparts;
    pthread_t *th = xcalloc((size_t)nthreads, sizeof(*th));
    char *running = xcalloc((size_t)nthreads, 1);
    for (int i = 1; i < nthreads; i++)
        running[i] = pthread_create(&th[i], NULL, part_worker, &m) == 0;
    part_worker(&m); /* this thread works too; with no thread at all it does every part */
    for (int i = 1; i < nthreads; i++)
        if (running[i])
            pthread_join(th[i], NULL);
    free(th);
    free(running);
    if (m.failed) {
        df_error_set(err, m.err.code, "%s: %s", what, m.err.msg);
        goto abort;
    }

    /* complete */
    sb_adds(&xml, "<CompleteMultipartUpload>");
    for (int i = 0; i < m.nparts; i++)
        sb_addf(&xml, "<Part><PartNumber>%d</PartNumber><ETag>\"%s\"</ETag></Part>", i + 1,
                m.etags[i]);
    sb_adds(&xml, "</CompleteMultipartUpload>");
    {
        struct df_query q = DF_QUERY_INIT;
        df_query_add(&q, "uploadId", upload_id);
        struct req r = REQ_INIT("POST", key);
        r.query = &q;
        r.mem = xml.buf;
        r.len = xml.len;
        r.content_type = "application/xml";
        r.out = &body;
        r.out_max = 1024 * 1024;
        int ok = -1;
        /* S3 may answer 200 with an <Error> body: retry those like a 5xx. */
        for (int attempt = 0; attempt < c->max_attempts; attempt++) {
            df_error_clear(err);
            ok = request(c, &r, &rs, err);
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
            backoff(c, attempt);
        }
        df_query_release(&q);
        if (ok != 0 && err->code == DF_ENOTFOUND && completed_already(c, key, &m, size)) {
            /* An earlier try completed it and only its answer was lost (NoSuchUpload now). */
            df_error_clear(err);
            rc = 0;
            goto out;
        }
        if (ok != 0)
            goto abort;
        char *etag = df_xml_text(body.buf, body.len, "ETag", NULL);
        /* S3's multipart ETag is MD5(concatenated part MD5s)-N: check it when present. */
        if (etag) {
            char *e = etag;
            size_t l = strlen(e);
            if (*e == '"') {
                e++;
                l--;
            }
            if (l > 0 && e[l - 1] == '"')
                e[--l] = '\0';
            const char *dash = strchr(e, '-');
            if (dash) {
                char want[48];
                multipart_etag(&m, want);
                if (strcasecmp(e, want) != 0) {
                    df_error_set(err, DF_EIO, "%s: upload not verified: ETag '%s', expected '%s'",
                                 what, e, want);
                    free(etag);
                    goto out; /* completed, but wrong: the caller sees the error */
                }
            }
        }
        free(etag);
    }
    /* The object must now be there with the right size. */
    {
        struct s3_head hd;
        if (s3_head(c, key, &hd, err) != 0)
            goto out;
        if (hd.size != size) {
            df_error_set(err, DF_EIO, "%s: upload not verified: size %" PRIu64 ", sent %" PRIu64,
                         what, hd.size, size);
            goto out;
        }
    }
    rc = 0;
    goto out;
abort : {
    struct df_error e2 = DF_ERROR_INIT;
    if (abort_upload(c, key, upload_id, &e2) != 0 && c->debug)
        fprintf(stderr, "duckflow: s3: abort of the multipart upload of %s failed: %s\n", what,
                e2.msg);
}
out:
    free(m.md5s);
    free(m.etags);
    pthread_mutex_destroy(&m.lock);
    free(upload_id);
    sb_release(&body);
    sb_release(&xml);
    sb_release(&rs.errbody);
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
    int rc = request(c, &r, &rs, err);
    if (rc != 0 && err->code == DF_ENOTFOUND) {
        df_error_clear(err);
        rc = 0;
    }
    sb_release(&rs.errbody);
    return rc;
}

/* ---- listings ---- */

int s3_list(struct s3_client *c, const char *prefix, s3_list_cb cb, void *ud, struct df_error *err)
{
    char *token = NULL;
    struct strbuf body = STRBUF_INIT;
    struct resp rs = {0};
    sb_init(&rs.errbody);
    int rc = 0, stop = 0;
    while (!stop) {
        struct df_query q = DF_QUERY_INIT;
        df_query_add(&q, "list-type", "2");
        if (c->list_page > 0) {
            char mk[24];
            snprintf(mk, sizeof(mk), "%ld", c->list_page);
            df_query_add(&q, "max-keys", mk);
        }
        df_query_add(&q, "prefix", prefix ? prefix : "");
        if (token)
            df_query_add(&q, "continuation-token", token);
        struct req r = REQ_INIT("GET", NULL);
        r.query = &q;
        r.out = &body;
        r.out_max = LIST_PAGE_MAX;
        rc = request(c, &r, &rs, err);
        df_query_release(&q);
        if (rc != 0)
            break;
        size_t pos = 0, s, e;
        while (!stop && df_xml_element(body.buf, body.len, "Contents", &pos, &s, &e) == 0) {
            char *key = df_xml_text(body.buf + s, e - s, "Key", NULL);
            char *size = df_xml_text(body.buf + s, e - s, "Size", NULL);
            if (key && cb(key, size ? strtoull(size, NULL, 10) : 0, ud) != 0)
                stop = 1;
            free(key);
            free(size);
        }
        char *trunc = df_xml_text(body.buf, body.len, "IsTruncated", NULL);
        free(token);
        token = df_xml_text(body.buf, body.len, "NextContinuationToken", NULL);
        int more = trunc && strcmp(trunc, "true") == 0;
        free(trunc);
        if (!more)
            break;
        if (!token || !*token) {
            char *what = s3_describe(c, prefix);
            rc = df_error_set(err, DF_EIO, "list %s: truncated page without a continuation token",
                              what);
            free(what);
            break;
        }
    }
    if (rc != 0)
        df_error_prefix(err, "list");
    free(token);
    sb_release(&body);
    sb_release(&rs.errbody);
    return rc;
}

int s3_list_uploads(struct s3_client *c, const char *prefix, s3_uploads_cb cb, void *ud,
                    struct df_error *err)
{
    char *key_marker = NULL, *id_marker = NULL;
    struct strbuf body = STRBUF_INIT;
    struct resp rs = {0};
    sb_init(&rs.errbody);
    int rc = 0, stop = 0;
    while (!stop) {
        struct df_query q = DF_QUERY_INIT;
        df_query_add(&q, "uploads", NULL);
        df_query_add(&q, "prefix", prefix ? prefix : "");
        if (key_marker)
            df_query_add(&q, "key-marker", key_marker);
        if (id_marker)
            df_query_add(&q, "upload-id-marker", id_marker);
        struct req r = REQ_INIT("GET", NULL);
        r.query = &q;
        r.out = &body;
        r.out_max = LIST_PAGE_MAX;
        rc = request(c, &r, &rs, err);
        df_query_release(&q);
        if (rc != 0)
            break;
        size_t pos = 0, s, e;
        while (!stop && df_xml_element(body.buf, body.len, "Upload", &pos, &s, &e) == 0) {
            char *key = df_xml_text(body.buf + s, e - s, "Key", NULL);
            char *id = df_xml_text(body.buf + s, e - s, "UploadId", NULL);
            if (key && id && cb(key, id, ud) != 0)
                stop = 1;
            free(key);
            free(id);
        }
        char *trunc = df_xml_text(body.buf, body.len, "IsTruncated", NULL);
        free(key_marker);
        free(id_marker);
        key_marker = df_xml_text(body.buf, body.len, "NextKeyMarker", NULL);
        id_marker = df_xml_text(body.buf, body.len, "NextUploadIdMarker", NULL);
        int more = trunc && strcmp(trunc, "true") == 0 && key_marker && *key_marker;
        free(trunc);
        if (!more)
            break;
    }
    if (rc != 0)
        df_error_prefix(err, "list multipart uploads");
    free(key_marker);
    free(id_marker);
    sb_release(&body);
    sb_release(&rs.errbody);
    return rc;
}

struct upl {
    char **keys, **ids;
    size_t n, alloc;
};

static int collect_upload(const char *key, const char *id, void *ud)
{
    struct upl *u = ud;
    if (u->n == u->alloc) {
        u->alloc = u->alloc ? 2 * u->alloc : 16;
        u->keys = xrealloc(u->keys, u->alloc * sizeof(char *));
        u->ids = xrealloc(u->ids, u->alloc * sizeof(char *));
    }
    u->keys[u->n] = xstrdup(key);
    u->ids[u->n] = xstrdup(id);
    u->n++;
    return 0;
}

int s3_abort_uploads(struct s3_client *c, const char *prefix, size_t *n, struct df_error *err)
{
    struct upl u = {0};
    int rc = s3_list_uploads(c, prefix, collect_upload, &u, err);
    size_t done = 0;
    for (size_t i = 0; rc == 0 && i < u.n; i++) {
        rc = abort_upload(c, u.keys[i], u.ids[i], err);
        if (rc == 0)
            done++;
        else
            df_error_prefix(err, "abort multipart upload of '%s'", u.keys[i]);
    }
    for (size_t i = 0; i < u.n; i++) {
        free(u.keys[i]);
        free(u.ids[i]);
    }
    free(u.keys);
    free(u.ids);
    if (n)
        *n = done;
    return rc;
}
