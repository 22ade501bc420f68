/*
 * sigv4.c - AWS Signature Version 4 (see sigv4.h). Every input is canonicalised here so
 * that callers send exactly what was signed: the query string comes from
 * df_query_canonical(), the path from df_uri_encode().
 */
#include "store/sigv4.h"
#include "util/crypto_lazy.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/hash.h"
#include "util/banned.h"

static const char hexdig[] = "0123456789ABCDEF";

void df_uri_encode(struct strbuf *sb, const char *s, size_t n, int keep_slash)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~' || (keep_slash && c == '/')) {
            sb_addc(sb, (char)c);
        } else {
            sb_addc(sb, '%');
            sb_addc(sb, hexdig[c >> 4]);
            sb_addc(sb, hexdig[c & 15]);
        }
    }
}

void df_query_add(struct df_query *q, const char *name, const char *value)
{
    if (q->n == q->alloc) {
        q->alloc = q->alloc ? 2 * q->alloc : 8;
        q->names = xrealloc(q->names, q->alloc * sizeof(*q->names));
        q->values = xrealloc(q->values, q->alloc * sizeof(*q->values));
    }
    struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
    df_uri_encode(&a, name, strlen(name), 0);
    if (value)
        df_uri_encode(&b, value, strlen(value), 0);
    q->names[q->n] = sb_detach(&a);
    q->values[q->n] = sb_detach(&b);
    q->n++;
}

void df_query_release(struct df_query *q)
{
    for (size_t i = 0; i < q->n; i++) {
        free(q->names[i]);
        free(q->values[i]);
    }
    free(q->names);
    free(q->values);
    q->names = q->values = NULL;
    q->n = q->alloc = 0;
}

void df_query_canonical(const struct df_query *q, struct strbuf *sb)
{
    /* Sort an index by encoded name, then encoded value (byte order, as AWS specifies). */
    size_t *idx = xmalloc((q->n ? q->n : 1) * sizeof(*idx));
    for (size_t i = 0; i < q->n; i++)
        idx[i] = i;
    for (size_t i = 1; i < q->n; i++) {
        size_t v = idx[i], j = i;
        while (j > 0) {
            int c = strcmp(q->names[idx[j - 1]], q->names[v]);
            if (c == 0)
                c = strcmp(q->values[idx[j - 1]], q->values[v]);
            if (c <= 0)
                break;
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = v;
    }
    for (size_t i = 0; i < q->n; i++) {
        if (i)
            sb_addc(sb, '&');
        sb_adds(sb, q->names[idx[i]]);
        sb_addc(sb, '=');
        sb_adds(sb, q->values[idx[i]]);
    }
    free(idx);
}

static int header_cmp(const void *a, const void *b)
{
    const struct df_sigv4_header *x = *(const struct df_sigv4_header *const *)a;
    const struct df_sigv4_header *y = *(const struct df_sigv4_header *const *)b;
    return strcmp(x->name, y->name);
}

/* Header value trimmed, inner runs of spaces squeezed to one (AWS's Trimall). */
static void add_trimmed(struct strbuf *sb, const char *v)
{
    while (*v == ' ' || *v == '\t')
        v++;
    size_t n = strlen(v);
    while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    int space = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] == ' ' || v[i] == '\t') {
            space = 1;
            continue;
        }
        if (space)
            sb_addc(sb, ' ');
        space = 0;
        sb_addc(sb, v[i]);
    }
}

void df_sigv4_canonical_request(const struct df_sigv4_input *in, struct strbuf *out,
                                struct strbuf *signed_headers)
{
    const struct df_sigv4_header **hs = xmalloc((in->nheaders ? in->nheaders : 1) * sizeof(*hs));
    for (size_t i = 0; i < in->nheaders; i++)
        hs[i] = &in->headers[i];
    qsort(hs, in->nheaders, sizeof(*hs), header_cmp);

    sb_adds(out, in->method);
    sb_addc(out, '\n');
    sb_adds(out, in->canonical_path && *in->canonical_path ? in->canonical_path : "/");
    sb_addc(out, '\n');
    sb_adds(out, in->canonical_query ? in->canonical_query : "");
    sb_addc(out, '\n');
    for (size_t i = 0; i < in->nheaders; i++) {
        sb_adds(out, hs[i]->name);
        sb_addc(out, ':');
        add_trimmed(out, hs[i]->value);
        sb_addc(out, '\n');
        if (i)
            sb_addc(signed_headers, ';');
        sb_adds(signed_headers, hs[i]->name);
    }
    sb_addc(out, '\n');
    sb_adds(out, signed_headers->buf);
    sb_addc(out, '\n');
    sb_adds(out, in->payload_hash);
    free(hs);
}

void df_sigv4_string_to_sign(const struct df_sigv4_input *in, const char *canonical_request,
                             struct strbuf *out)
{
    char hash[DF_SHA256_HEX];
    df_sha256_hex(canonical_request, strlen(canonical_request), hash);
    sb_addf(out, "AWS4-HMAC-SHA256\n%s\n%.8s/%s/%s/aws4_request\n%s", in->amz_date, in->amz_date,
            in->region, in->service, hash);
}

static void hmac(const void *key, size_t klen, const char *msg, unsigned char out[32])
{
    unsigned int n = 32;
    HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, strlen(msg), out, &n);
}

void df_sigv4_signature(const char *secret, const char *date8, const char *region,
                        const char *service, const char *string_to_sign, char sig[65])
{
    unsigned char k[32], k2[32];
    struct strbuf key = STRBUF_INIT;
    sb_adds(&key, "AWS4");
    sb_adds(&key, secret);
    hmac(key.buf, key.len, date8, k);
    /* The derived key must not outlive this call. */
    OPENSSL_cleanse(key.buf, key.len);
    sb_release(&key);
    hmac(k, 32, region, k2);
    hmac(k2, 32, service, k);
    hmac(k, 32, "aws4_request", k2);
    hmac(k2, 32, string_to_sign, k);
    static const char lower[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        sig[2 * i] = lower[k[i] >> 4];
        sig[2 * i + 1] = lower[k[i] & 15];
    }
    sig[64] = '\0';
    OPENSSL_cleanse(k, sizeof(k));
    OPENSSL_cleanse(k2, sizeof(k2));
}

void df_sigv4_authorization(const struct df_sigv4_input *in, const char *access_key,
                            const char *secret, struct strbuf *out)
{
    struct strbuf creq = STRBUF_INIT, sh = STRBUF_INIT, sts = STRBUF_INIT;
    char date8[9], sig[65];
    df_sigv4_canonical_request(in, &creq, &sh);
    df_sigv4_string_to_sign(in, creq.buf, &sts);
    memcpy(date8, in->amz_date, 8);
    date8[8] = '\0';
    df_sigv4_signature(secret, date8, in->region, in->service, sts.buf, sig);
    sb_addf(out,
            "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request,SignedHeaders=%s,Signature=%s",
            access_key, date8, in->region, in->service, sh.buf, sig);
    sb_release(&creq);
    sb_release(&sh);
    sb_release(&sts);
}

void df_sigv4_amz_date(long long t, char out[17])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}
