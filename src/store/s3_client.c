/*
 * s3_client.c - the S3 client's transport (see s3_client.h): the client and its curl
 * handle pool, one request (URL, SigV4 signing, headers, curl set-up, sending, classifying
 * the response) and retries with backoff. Objects are in s3_objects.c, listings in
 * s3_list.c.
 */
#include "store/s3_client.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "store/s3_internal.h"
#include "store/s3_xml.h"
#include "util/banned.h"

/* ---- small helpers ---- */

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

void s3_to_hex(const unsigned char *md, unsigned n, char *out)
{
    static const char d[] = "0123456789abcdef";
    for (unsigned i = 0; i < n; i++) {
        out[2 * i] = d[md[i] >> 4];
        out[2 * i + 1] = d[md[i] & 15];
    }
    out[2 * n] = '\0';
}

void s3_to_base64(const unsigned char *md, unsigned n, char *out, size_t cap)
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
    if (rc != 0 || df_curl_check_ca_bundle(err) != 0)
        goto fail;
    {
        const char *ca = df_curl_ca_bundle(NULL);
        c->ca_file = ca ? xstrdup(ca) : NULL;
    }

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
                "credentials from %s, CA bundle %s\n",
                c->bucket, c->scheme, c->host, c->path_style ? "path" : "virtual-host", c->region,
                df_creds_provider_source(c->creds), c->ca_file ? c->ca_file : "libcurl's default");
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
    free(c->ca_file);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

/* ---- one request ---- */

void s3_resp_reset(struct resp *r)
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
        ssize_t n;
        do
            n = pread(r->fd, buf, want, (off_t)(r->off + x->pos));
        while (n < 0 && errno == EINTR);
        if (n <= 0) {
            /* Kept here: by the time curl returns, errno is whatever curl did last. */
            x->rs->source_errno = n < 0 ? errno : 0;
            return CURL_READFUNC_ABORT;
        }
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
        if (r->out_sha256)
            EVP_DigestUpdate(r->out_sha256, ptr, n);
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
        rs->etag_is_md5 = s3_is_md5_etag(rs->etag);
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

/* The request's host, path (URI-encoded), canonical query string and full URL. */
static void request_target(const struct s3_client *c, const struct req *r, struct strbuf *host,
                           struct strbuf *path, struct strbuf *qs, struct strbuf *url)
{
    if (c->path_style) {
        sb_adds(host, c->host);
        sb_adds(path, c->base_path);
        sb_addc(path, '/');
        df_uri_encode(path, c->bucket, strlen(c->bucket), 0);
        if (r->key) {
            sb_addc(path, '/');
            df_uri_encode(path, r->key, strlen(r->key), 1);
        }
    } else {
        sb_addf(host, "%s.%s", c->bucket, c->host);
        sb_adds(path, c->base_path);
        sb_addc(path, '/');
        if (r->key)
            df_uri_encode(path, r->key, strlen(r->key), 1);
    }
    if (r->query)
        df_query_canonical(r->query, qs);
    sb_addf(url, "%s://%s%s", c->scheme, host->buf, path->buf);
    if (qs->len)
        sb_addf(url, "?%s", qs->buf);
}

/* x-amz-content-sha256: given, the SHA-256 of a memory body, or UNSIGNED for files. */
static void payload_hash(const struct req *r, char payload[65])
{
    if (r->payload_hash)
        snprintf(payload, 65, "%s", r->payload_hash);
    else if (r->mem || r->len == 0) {
        unsigned char md[32];
        unsigned n = 32;
        EVP_Digest(r->mem ? r->mem : "", r->mem ? r->len : 0, md, &n, EVP_sha256(), NULL);
        s3_to_hex(md, 32, payload);
    } else
        snprintf(payload, 65, "%s", DF_SIGV4_UNSIGNED);
}

/* Signs the request (SigV4 at the server's idea of the time) and returns the headers to
 * send: exactly the signed ones, Authorization, and Content-Type when set. */
/* Appends s to *l; clears *ok when curl cannot (the list so far is kept, to be freed). */
static void append_header(struct curl_slist **l, const char *s, int *ok)
{
    struct curl_slist *n = curl_slist_append(*l, s);
    if (n)
        *l = n;
    else
        *ok = 0;
}

/* The request's signed headers, or NULL when curl could not build the list. */
static struct curl_slist *signed_headers(struct s3_client *c, const struct req *r,
                                         const struct df_creds *cr, const char *host,
                                         const char *path, const char *qs)
{
    /* Same headers on the wire as signed (curl would otherwise add its own Host). */
    static const char *const wire[] = {"Host",        "x-amz-content-sha256",
                                       "x-amz-date",  "x-amz-security-token",
                                       "Content-MD5", "Range",
                                       "If-Match",    "If-None-Match"};
    struct strbuf auth = STRBUF_INIT, hv = STRBUF_INIT;
    struct curl_slist *hdrs = NULL;
    int ok = 1;
    char payload[65], amz_date[17];
    struct df_sigv4_header sh[10];
    size_t nh = 0;

    payload_hash(r, payload);
    pthread_mutex_lock(&c->lock);
    long long offset = c->clock_offset;
    pthread_mutex_unlock(&c->lock);
    df_sigv4_amz_date((long long)time(NULL) + offset, amz_date);
    sh[nh++] = (struct df_sigv4_header){"host", host};
    sh[nh++] = (struct df_sigv4_header){"x-amz-content-sha256", payload};
    sh[nh++] = (struct df_sigv4_header){"x-amz-date", amz_date};
    if (cr->token)
        sh[nh++] = (struct df_sigv4_header){"x-amz-security-token", cr->token};
    if (r->content_md5)
        sh[nh++] = (struct df_sigv4_header){"content-md5", r->content_md5};
    if (r->range[0])
        sh[nh++] = (struct df_sigv4_header){"range", r->range};
    if (r->if_match)
        sh[nh++] = (struct df_sigv4_header){"if-match", r->if_match};
    if (r->cond_name)
        sh[nh++] = (struct df_sigv4_header){r->cond_name, r->cond_value};
    struct df_sigv4_input in = {r->method, path, qs, sh, nh, payload, amz_date, c->region, "s3"};
    df_sigv4_authorization(&in, cr->access_key, cr->secret, &auth);

    for (size_t i = 0; i < nh; i++) {
        const char *name = sh[i].name;
        for (size_t j = 0; j < sizeof(wire) / sizeof(*wire); j++)
            if (strcasecmp(wire[j], sh[i].name) == 0)
                name = wire[j];
        sb_reset(&hv);
        sb_addf(&hv, "%s: %s", name, sh[i].value);
        append_header(&hdrs, hv.buf, &ok);
    }
    sb_reset(&hv);
    sb_addf(&hv, "Authorization: %s", auth.buf);
    append_header(&hdrs, hv.buf, &ok);
    OPENSSL_cleanse(hv.buf, hv.len);
    OPENSSL_cleanse(auth.buf, auth.len);
    append_header(&hdrs, "Expect:", &ok);
    if (r->content_type) {
        sb_reset(&hv);
        sb_addf(&hv, "Content-Type: %s", r->content_type);
        append_header(&hdrs, hv.buf, &ok);
    }
    sb_release(&auth);
    sb_release(&hv);
    if (!ok) {
        curl_slist_free_all(hdrs);
        return NULL;
    }
    return hdrs;
}

/* Options of one transfer on handle h: URL, headers, timeouts, callbacks, method, body. */
static CURLcode setup_curl(const struct s3_client *c, CURL *h, const struct req *r, struct xfer *x,
                           const char *url, struct curl_slist *hdrs)
{
    CURLcode rc = CURLE_OK;
    /* Every option's result counts: the first that fails is the transfer's error. */
#define SET(opt, val)                                                                              \
    do {                                                                                           \
        CURLcode set_rc_ = curl_easy_setopt(h, opt, val);                                          \
        if (set_rc_ != CURLE_OK && rc == CURLE_OK)                                                 \
            rc = set_rc_;                                                                          \
    } while (0)
    SET(CURLOPT_URL, url);
    SET(CURLOPT_PATH_AS_IS, 1L);
    SET(CURLOPT_HTTPHEADER, hdrs);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_CONNECTTIMEOUT, c->connect_timeout_s);
    SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
    SET(CURLOPT_LOW_SPEED_TIME, c->timeout_s);
    SET(CURLOPT_WRITEFUNCTION, write_cb);
    SET(CURLOPT_WRITEDATA, x);
    SET(CURLOPT_HEADERFUNCTION, header_cb);
    SET(CURLOPT_HEADERDATA, x);
    SET(CURLOPT_BUFFERSIZE, 256L * 1024L);
    SET(CURLOPT_UPLOAD_BUFFERSIZE, 1024L * 1024L);
    SET(CURLOPT_TCP_KEEPALIVE, 1L);
    if (c->ca_file)
        SET(CURLOPT_CAINFO, c->ca_file);
    int has_body = r->mem || r->fd >= 0;
    if (strcmp(r->method, "HEAD") == 0) {
        SET(CURLOPT_NOBODY, 1L);
    } else if (strcmp(r->method, "PUT") == 0) {
        SET(CURLOPT_UPLOAD, 1L);
        SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t)(has_body ? r->len : 0));
    } else if (strcmp(r->method, "POST") == 0) {
        SET(CURLOPT_POST, 1L);
        SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(has_body ? r->len : 0));
    } else if (strcmp(r->method, "GET") != 0) {
        SET(CURLOPT_CUSTOMREQUEST, r->method);
    }
    if (has_body || strcmp(r->method, "PUT") == 0 || strcmp(r->method, "POST") == 0) {
        SET(CURLOPT_READFUNCTION, read_cb);
        SET(CURLOPT_READDATA, x);
        SET(CURLOPT_SEEKFUNCTION, seek_cb);
        SET(CURLOPT_SEEKDATA, x);
    }
    return rc;
#undef SET
}

/* A transfer that did not complete (cc != CURLE_OK): why, and whether to try again. */
static int classify_transfer_error(const struct req *r, const struct resp *rs, CURLcode cc,
                                   const char *what, struct df_error *err)
{
    if (rs->sink_error == 1) {
        df_error_set(err, DF_EIO, "%s: object larger than %zu bytes", what, r->out_max);
    } else if (rs->sink_error == 2) {
        df_error_set(err, DF_EIO, "%s: cannot write the download: %s", what,
                     strerror(rs->sink_errno));
    } else if (cc == CURLE_ABORTED_BY_CALLBACK || cc == CURLE_READ_ERROR) {
        df_error_set(err, DF_EIO, "%s: cannot read the upload's source: %s", what,
                     rs->source_errno ? strerror(rs->source_errno)
                                      : "it ended before its expected size");
    } else {
        df_error_set(err, DF_EIO, "%s %s: %s%s", r->method, what, curl_easy_strerror(cc),
                     cc == CURLE_PEER_FAILED_VERIFICATION
                         ? " (no trusted CA signed the server's certificate: AWS_CA_BUNDLE names "
                           "a PEM file of CAs to trust)"
                         : "");
        return retryable_curl(cc) ? S3_RETRY : S3_FATAL;
    }
    return S3_FATAL;
}

/* A completed exchange with a non-2xx status: the error (DF_ENOTFOUND for 404) and whether
 * to try again; learns the clock skew and drops expired credentials on the way. */
static int classify_status(struct s3_client *c, const struct req *r, struct resp *rs,
                           const char *what, struct df_error *err)
{
    copy_token(rs->code, sizeof(rs->code), rs->errbody.buf, rs->errbody.len, "Code");
    copy_token(rs->message, sizeof(rs->message), rs->errbody.buf, rs->errbody.len, "Message");
    const char *code = rs->code;
    if (rs->status == 404) {
        df_error_set(err, DF_ENOTFOUND, "%s not found (bucket '%s', key '%s')%s%s", what, c->bucket,
                     r->key ? r->key : "", *code ? ": " : "", code);
        return S3_FATAL;
    }
    if (rs->status == 403 && strcmp(code, "RequestTimeTooSkewed") != 0 &&
        strcmp(code, "ExpiredToken") != 0) {
        df_error_set(err, DF_EIO,
                     "%s %s: access denied (bucket '%s', key '%s'): HTTP 403 %s%s%s (credentials "
                     "from %s)",
                     r->method, what, c->bucket, r->key ? r->key : "", code,
                     *rs->message ? ": " : "", rs->message, df_creds_provider_source(c->creds));
        return S3_FATAL;
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
        return S3_RETRY;
    }
    /* Only what can pass is retried: a 5xx, a 429 and S3's throttling and timeout codes
     * (clock skew and an expired token once corrected above). A 501 NotImplemented never
     * passes, nor does any other 4xx: they fail at once, with the status and operation. */
    if (rs->status == 501 || strcmp(code, "NotImplemented") == 0)
        return S3_FATAL;
    if (rs->status >= 500 || rs->status == 429 || strcmp(code, "SlowDown") == 0 ||
        strcmp(code, "RequestTimeout") == 0 || strcmp(code, "RequestTimeTooSkewed") == 0 ||
        strcmp(code, "InternalError") == 0)
        return S3_RETRY;
    return S3_FATAL;
}

/* Sends r once. Fills rs; on failure sets err (code DF_ENOTFOUND for 404) and returns
 * S3_RETRY when another attempt may succeed, S3_FATAL otherwise. */
int s3_perform(struct s3_client *c, struct req *r, struct resp *rs, int attempt,
               struct df_error *err)
{
    struct df_creds cr = DF_CREDS_INIT;
    struct strbuf url = STRBUF_INIT, path = STRBUF_INIT, qs = STRBUF_INIT, host = STRBUF_INIT;
    struct curl_slist *hdrs = NULL;
    char *what = s3_describe(c, r->key);
    int outcome = S3_FATAL;
    CURL *h = NULL;
    int broken = 0;

    s3_resp_reset(rs);
    if (df_creds_provider_get(c->creds, &cr, err) != 0)
        goto out;
    request_target(c, r, &host, &path, &qs, &url);
    hdrs = signed_headers(c, r, &cr, host.buf, path.buf, qs.buf);
    if (!hdrs) {
        df_error_set(err, DF_EIO, "%s: cannot build the request's headers", what);
        goto out;
    }

    h = handle_get(c);
    if (!h) {
        df_error_set(err, DF_EIO, "%s: cannot create a curl handle", what);
        goto out;
    }
    struct xfer x = {r, rs, 0};
    CURLcode sc = setup_curl(c, h, r, &x, url.buf, hdrs);
    if (sc != CURLE_OK) {
        df_error_set(err, DF_EIO, "%s: cannot set up the request: %s", what,
                     curl_easy_strerror(sc));
        broken = 1;
        goto out;
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
        outcome = classify_transfer_error(r, rs, cc, what, err);
    } else if (rs->status >= 200 && rs->status < 300) {
        outcome = S3_OK;
    } else {
        outcome = classify_status(c, r, rs, what, err);
    }
out:
    handle_put(c, h, broken);
    curl_slist_free_all(hdrs);
    df_creds_release(&cr);
    sb_release(&url);
    sb_release(&path);
    sb_release(&qs);
    sb_release(&host);
    free(what);
    return outcome;
}

/* Full jitter: a random wait in [0, min(max, base * 2^attempt)]. */
void s3_backoff(struct s3_client *c, int attempt)
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

/* s3_perform() with retries; the request must be repeatable (memory sink reset each time). */
int s3_request(struct s3_client *c, struct req *r, struct resp *rs, struct df_error *err)
{
    for (int attempt = 0;; attempt++) {
        struct df_error e = DF_ERROR_INIT;
        if (r->out)
            sb_reset(r->out);
        int o = s3_perform(c, r, rs, attempt, &e);
        if (o == S3_OK)
            return 0;
        if (o == S3_FATAL || attempt + 1 >= c->max_attempts) {
            if (o == S3_RETRY)
                df_error_set(err, e.code, "%s (after %d attempts)", e.msg, attempt + 1);
            else
                df_error_set(err, e.code, "%s", e.msg);
            return -1;
        }
        s3_backoff(c, attempt);
    }
}

int s3_is_md5_etag(const char *etag)
{
    if (strlen(etag) != 32)
        return 0;
    for (const char *p = etag; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F')))
            return 0;
    return 1;
}
