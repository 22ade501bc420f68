/*
 * creds.c - the AWS credential chain and web identity refresh (see creds.h).
 */
#include "store/creds.h"
#include "util/crypto_lazy.h"
#include "store/curl_lazy.h"

#define CURL_DISABLE_TYPECHECK /* curl is called through curl_lazy.h's pointers */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/s3_xml.h"
#include "util/fs.h"
#include "util/strbuf.h"
#include "util/banned.h"

#define TOKEN_MAX (64 * 1024)

struct df_creds_provider {
    pthread_mutex_t lock;
    struct df_creds cur;
    char source[160];
    /* web identity */
    int web;
    char *role_arn, *token_file, *session_name, *sts_endpoint, *region;
    long long fetched; /* when cur was obtained */
    int stale;
    int sts_calls;
};

static void wipe_free(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

void df_creds_release(struct df_creds *c)
{
    if (!c)
        return;
    free(c->access_key);
    wipe_free(c->secret);
    wipe_free(c->token);
    c->access_key = c->secret = c->token = NULL;
    c->expires = 0;
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static char *home_file(const char *rel)
{
    const char *h = env("HOME");
    return h ? xasprintf("%s/%s", h, rel) : NULL;
}

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    size_t i = 0;
    while (s[i] == ' ' || s[i] == '\t')
        i++;
    if (i)
        memmove(s, s + i, n - i + 1);
}

char *df_aws_ini_get(const char *path, const char *section, const char *key)
{
    FILE *f = path ? fopen(path, "r") : NULL;
    if (!f)
        return NULL;
    char line[4096];
    int in = 0;
    char *val = NULL;
    while (!val && fgets(line, sizeof(line), f)) {
        trim(line);
        if (line[0] == '#' || line[0] == ';' || line[0] == '\0')
            continue;
        if (line[0] == '[') {
            char *end = strchr(line, ']');
            if (!end)
                continue;
            *end = '\0';
            char *name = line + 1;
            trim(name);
            /* "profile   x" and "profile x" are the same section. */
            if (strncmp(name, "profile", 7) == 0 && (name[7] == ' ' || name[7] == '\t')) {
                char *p = name + 7;
                while (*p == ' ' || *p == '\t')
                    p++;
                char *norm = xasprintf("profile %s", p);
                in = strcmp(norm, section) == 0;
                free(norm);
            } else {
                in = strcmp(name, section) == 0;
            }
            continue;
        }
        if (!in)
            continue;
        char *eq = strchr(line, '=');
        if (!eq)
            continue;
        *eq = '\0';
        char *k = line, *v = eq + 1;
        trim(k);
        trim(v);
        if (strcmp(k, key) == 0)
            val = xstrdup(v);
    }
    OPENSSL_cleanse(line, sizeof(line));
    fclose(f);
    return val;
}

static char *cred_file(void)
{
    const char *p = env("AWS_SHARED_CREDENTIALS_FILE");
    return p ? xstrdup(p) : home_file(".aws/credentials");
}

static char *config_file(void)
{
    const char *p = env("AWS_CONFIG_FILE");
    return p ? xstrdup(p) : home_file(".aws/config");
}

static const char *profile_name(void)
{
    const char *p = env("AWS_PROFILE");
    return p ? p : "default";
}

/* key from the config file's section for profile (which is [default] or [profile x]). */
static char *config_get(const char *cfg, const char *profile, const char *key)
{
    char *v = NULL;
    char *sec = xasprintf("profile %s", profile);
    v = df_aws_ini_get(cfg, sec, key);
    if (!v && strcmp(profile, "default") == 0)
        v = df_aws_ini_get(cfg, "default", key);
    free(sec);
    return v;
}

char *df_aws_region(void)
{
    const char *r = env("AWS_REGION");
    if (!r)
        r = env("AWS_DEFAULT_REGION");
    if (r)
        return xstrdup(r);
    char *cfg = config_file();
    char *v = config_get(cfg, profile_name(), "region");
    free(cfg);
    return v ? v : xstrdup("us-east-1");
}

static long long parse_iso8601(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    if (!s || sscanf(s, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                     &tm.tm_min, &tm.tm_sec) != 6)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (long long)timegm(&tm);
}

static size_t collect(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct strbuf *sb = ud;
    if (sb->len + size * nmemb > 1024 * 1024)
        return 0;
    sb_add(sb, ptr, size * nmemb);
    return size * nmemb;
}

/* One AssumeRoleWithWebIdentity call; fills p->cur. Called with p->lock held. */
static int assume_role(struct df_creds_provider *p, struct df_error *err)
{
    char *token = NULL;
    size_t tlen = 0;
    struct df_error e2 = DF_ERROR_INIT;
    if (fs_read_file(p->token_file, TOKEN_MAX, &token, &tlen, &e2) != 0)
        return df_error_set(err, DF_EIO, "web identity token file '%s': %s", p->token_file, e2.msg);
    trim(token);

    struct strbuf body = STRBUF_INIT, resp = STRBUF_INIT;
    sb_adds(&body, "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&DurationSeconds=3600");
    struct {
        const char *k, *v;
    } kv[] = {{"RoleArn", p->role_arn},
              {"RoleSessionName", p->session_name},
              {"WebIdentityToken", token}};
    for (size_t i = 0; i < 3; i++) {
        char *enc = curl_easy_escape(NULL, kv[i].v, 0);
        sb_addf(&body, "&%s=%s", kv[i].k, enc ? enc : "");
        curl_free(enc);
    }
    wipe_free(token);

    int rc = -1;
    long status = 0;
    for (int attempt = 0; attempt < 4; attempt++) {
        CURL *h = curl_easy_init();
        if (!h) {
            df_error_set(err, DF_EIO, "sts: cannot create a curl handle");
            break;
        }
        struct curl_slist *hdrs = NULL, *h2;
        CURLcode cc = CURLE_OK;
        if ((h2 = curl_slist_append(hdrs, "Content-Type: application/x-www-form-urlencoded")))
            hdrs = h2;
        if (h2 && (h2 = curl_slist_append(hdrs, "Accept: application/xml")))
            hdrs = h2;
        sb_reset(&resp);
        /* Every option's result counts (the first failure is the request's). */
        const struct {
            CURLoption opt;
            int kind; /* 0 string, 1 long, 2 pointer, 3 function */
            const void *p;
            long l;
        } opts[] = {
            {CURLOPT_URL, 0, p->sts_endpoint, 0},
            {CURLOPT_POSTFIELDS, 0, body.buf, 0},
            {CURLOPT_POSTFIELDSIZE, 1, NULL, (long)body.len},
            {CURLOPT_HTTPHEADER, 2, hdrs, 0},
            {CURLOPT_WRITEDATA, 2, &resp, 0},
            {CURLOPT_TIMEOUT, 1, NULL, 30L},
            {CURLOPT_NOSIGNAL, 1, NULL, 1L},
        };
        for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]) && cc == CURLE_OK; i++)
            cc = opts[i].kind == 1 ? curl_easy_setopt(h, opts[i].opt, opts[i].l)
                                   : curl_easy_setopt(h, opts[i].opt, opts[i].p);
        if (cc == CURLE_OK)
            cc = curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
        if (cc == CURLE_OK && df_curl_ca_bundle(NULL))
            cc = curl_easy_setopt(h, CURLOPT_CAINFO, df_curl_ca_bundle(NULL));
        if (!h2 || cc != CURLE_OK) {
            curl_slist_free_all(hdrs);
            curl_easy_cleanup(h);
            df_error_set(err, DF_EIO, "sts: cannot set up the request: %s",
                         h2 ? curl_easy_strerror(cc) : "cannot build its headers");
            break;
        }
        cc = curl_easy_perform(h);
        status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        curl_slist_free_all(hdrs);
        curl_easy_cleanup(h);
        p->sts_calls++;
        if (cc == CURLE_OK && status == 200) {
            char *ak = df_xml_text(resp.buf, resp.len, "AccessKeyId", NULL);
            char *sk = df_xml_text(resp.buf, resp.len, "SecretAccessKey", NULL);
            char *st = df_xml_text(resp.buf, resp.len, "SessionToken", NULL);
            char *ex = df_xml_text(resp.buf, resp.len, "Expiration", NULL);
            if (!ak || !sk) {
                free(ak);
                wipe_free(sk);
                wipe_free(st);
                free(ex);
                df_error_set(err, DF_EIO, "sts '%s': answer without credentials", p->sts_endpoint);
                break;
            }
            df_creds_release(&p->cur);
            p->cur.access_key = ak;
            p->cur.secret = sk;
            p->cur.token = st;
            p->cur.expires = parse_iso8601(ex);
            free(ex);
            p->fetched = (long long)time(NULL);
            p->stale = 0;
            rc = 0;
            break;
        }
        int retry = cc != CURLE_OK || status >= 500 || status == 429;
        if (!retry || attempt == 3) {
            char *code = df_xml_text(resp.buf, resp.len, "Code", NULL);
            char *msg = df_xml_text(resp.buf, resp.len, "Message", NULL);
            if (cc != CURLE_OK)
                df_error_set(err, DF_EIO, "sts '%s': %s", p->sts_endpoint, curl_easy_strerror(cc));
            else
                df_error_set(err, DF_EIO,
                             "sts '%s': AssumeRoleWithWebIdentity for role '%s' "
                             "failed: HTTP %ld %s%s%s",
                             p->sts_endpoint, p->role_arn, status, code ? code : "",
                             msg ? ": " : "", msg ? msg : "");
            free(code);
            free(msg);
            break;
        }
        struct timespec ts = {0, (long)(200000000L << attempt)};
        nanosleep(&ts, NULL);
    }
    OPENSSL_cleanse(body.buf, body.len);
    sb_release(&body);
    sb_release(&resp);
    return rc;
}

static int setup_web(struct df_creds_provider *p, const char *role, const char *token_file,
                     const char *session, struct df_error *err)
{
    p->web = 1;
    p->role_arn = xstrdup(role);
    p->token_file = xstrdup(token_file);
    p->session_name = xstrdup(session ? session : "duckflow");
    p->region = df_aws_region();
    const char *ep = env("AWS_ENDPOINT_URL_STS");
    if (!ep)
        ep = env("AWS_STS_ENDPOINT_URL");
    p->sts_endpoint = ep ? xstrdup(ep) : xasprintf("https://sts.%s.amazonaws.com", p->region);
    snprintf(p->source, sizeof(p->source), "web identity (role '%s')", role);
    return assume_role(p, err);
}

int df_creds_provider_new(int gcs, struct df_creds_provider **out, struct df_error *err)
{
    struct df_creds_provider *p = xcalloc(1, sizeof(*p));
    pthread_mutex_init(&p->lock, NULL);
    *out = NULL;
    const char *ak, *sk;

    if (gcs && (ak = env("GOOGLE_HMAC_ACCESS_ID")) && (sk = env("GOOGLE_HMAC_SECRET"))) {
        p->cur.access_key = xstrdup(ak);
        p->cur.secret = xstrdup(sk);
        snprintf(p->source, sizeof(p->source), "environment (GOOGLE_HMAC_ACCESS_ID)");
        *out = p;
        return 0;
    }
    ak = env("AWS_ACCESS_KEY_ID");
    sk = env("AWS_SECRET_ACCESS_KEY");
    if (ak && sk) {
        p->cur.access_key = xstrdup(ak);
        p->cur.secret = xstrdup(sk);
        if (env("AWS_SESSION_TOKEN"))
            p->cur.token = xstrdup(env("AWS_SESSION_TOKEN"));
        snprintf(p->source, sizeof(p->source), "environment (AWS_ACCESS_KEY_ID)");
        *out = p;
        return 0;
    }

    const char *profile = profile_name();
    char *cf = cred_file(), *cfg = config_file();
    char *k = df_aws_ini_get(cf, profile, "aws_access_key_id");
    char *s = df_aws_ini_get(cf, profile, "aws_secret_access_key");
    char *t = df_aws_ini_get(cf, profile, "aws_session_token");
    const char *where = cf;
    if (!k || !s) {
        free(k);
        wipe_free(s);
        wipe_free(t);
        k = config_get(cfg, profile, "aws_access_key_id");
        s = config_get(cfg, profile, "aws_secret_access_key");
        t = config_get(cfg, profile, "aws_session_token");
        where = cfg;
    }
    if (k && s) {
        p->cur.access_key = k;
        p->cur.secret = s;
        p->cur.token = t;
        snprintf(p->source, sizeof(p->source), "profile '%s' in '%s'", profile, where);
        free(cf);
        free(cfg);
        *out = p;
        return 0;
    }
    free(k);
    wipe_free(s);
    wipe_free(t);

    int rc = -1;
    char *role = config_get(cfg, profile, "role_arn");
    char *tf = config_get(cfg, profile, "web_identity_token_file");
    char *sess = config_get(cfg, profile, "role_session_name");
    if (role && tf) {
        rc = setup_web(p, role, tf, sess, err);
    } else if (env("AWS_WEB_IDENTITY_TOKEN_FILE") && env("AWS_ROLE_ARN")) {
        rc = setup_web(p, env("AWS_ROLE_ARN"), env("AWS_WEB_IDENTITY_TOKEN_FILE"),
                       env("AWS_ROLE_SESSION_NAME"), err);
    } else if (env("AWS_PROFILE")) {
        df_error_set(err, DF_EIO, "no credentials for profile '%s' in '%s' or '%s'", profile,
                     cf ? cf : "~/.aws/credentials", cfg ? cfg : "~/.aws/config");
    } else {
        df_error_set(err, DF_EIO,
                     "no credentials found (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                     "a profile in ~/.aws/credentials, or AWS_WEB_IDENTITY_TOKEN_FILE and "
                     "AWS_ROLE_ARN)");
    }
    free(role);
    free(tf);
    free(sess);
    free(cf);
    free(cfg);
    if (rc != 0) {
        df_creds_provider_free(p);
        return -1;
    }
    *out = p;
    return 0;
}

/* Refresh ahead of expiry: 5 minutes early, but never more than a quarter of the
 * credentials' lifetime early (short-lived test credentials would refresh constantly). */
static int needs_refresh(const struct df_creds_provider *p, long long now)
{
    if (!p->web)
        return 0;
    if (p->stale || !p->cur.access_key)
        return 1;
    if (p->cur.expires == 0)
        return 0;
    long long life = p->cur.expires - p->fetched;
    long long margin = 300;
    if (life / 4 < margin)
        margin = life / 4;
    return now >= p->cur.expires - margin;
}

int df_creds_provider_get(struct df_creds_provider *p, struct df_creds *out, struct df_error *err)
{
    int rc = 0;
    pthread_mutex_lock(&p->lock);
    if (needs_refresh(p, (long long)time(NULL))) {
        rc = assume_role(p, err);
        /* Credentials that have not yet expired are still usable when STS is down. */
        if (rc != 0 && p->cur.access_key && !p->stale &&
            (p->cur.expires == 0 || (long long)time(NULL) < p->cur.expires)) {
            df_error_clear(err);
            rc = 0;
        }
    }
    if (rc == 0) {
        out->access_key = xstrdup(p->cur.access_key);
        out->secret = xstrdup(p->cur.secret);
        out->token = p->cur.token ? xstrdup(p->cur.token) : NULL;
        out->expires = p->cur.expires;
    }
    pthread_mutex_unlock(&p->lock);
    return rc;
}

void df_creds_provider_invalidate(struct df_creds_provider *p)
{
    pthread_mutex_lock(&p->lock);
    if (p->web)
        p->stale = 1;
    pthread_mutex_unlock(&p->lock);
}

const char *df_creds_provider_source(const struct df_creds_provider *p)
{
    return p->source;
}

int df_creds_provider_sts_calls(const struct df_creds_provider *p)
{
    return p->sts_calls;
}

void df_creds_provider_free(struct df_creds_provider *p)
{
    if (!p)
        return;
    df_creds_release(&p->cur);
    free(p->role_arn);
    free(p->token_file);
    free(p->session_name);
    free(p->sts_endpoint);
    free(p->region);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
