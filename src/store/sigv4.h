/*
 * sigv4.h - AWS Signature Version 4 (header form) over OpenSSL HMAC-SHA256, plus the
 * RFC 3986 encoding and canonical query strings it needs. Used for S3 and GCS (XML API
 * with HMAC keys) requests and for STS calls. Pure functions: no I/O, no clock.
 *
 * Signing a request:
 *   1. Collect the headers to sign in a struct df_sigv4_input (names in lower case, values
 *      as sent; at least "host" and "x-amz-date", usually "x-amz-content-sha256").
 *   2. df_sigv4_authorization() returns the Authorization header value.
 */
#ifndef DF_SIGV4_H
#define DF_SIGV4_H

#include <stddef.h>

#include "util/strbuf.h"

#define DF_SIGV4_UNSIGNED "UNSIGNED-PAYLOAD"
/* sha256("") in hex: the payload hash of a request without a body. */
#define DF_SIGV4_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct df_sigv4_header {
    const char *name;  /* lower case */
    const char *value; /* trimmed and inner runs of spaces squeezed when canonicalised */
};

struct df_sigv4_input {
    const char *method;          /* "GET", "PUT", ... */
    const char *canonical_path;  /* already encoded: df_uri_encode(path, keep '/') */
    const char *canonical_query; /* from df_query_canonical(), "" when none */
    const struct df_sigv4_header *headers;
    size_t nheaders;          /* any order; sorted by name when signing */
    const char *payload_hash; /* hex sha256 of the body, or DF_SIGV4_UNSIGNED */
    const char *amz_date;     /* "YYYYMMDDTHHMMSSZ", the x-amz-date value */
    const char *region;       /* "us-east-1" */
    const char *service;      /* "s3", "sts" */
};

/* Appends s[0..n) percent-encoded per RFC 3986: unreserved A-Z a-z 0-9 - . _ ~ kept,
 * every other byte as %XX (upper-case hex); '/' kept when keep_slash. */
void df_uri_encode(struct strbuf *sb, const char *s, size_t n, int keep_slash);

/* A query string under construction: add raw (unencoded) names and values, then build
 * the canonical form (each part encoded, sorted by name then value, joined with '&'),
 * which is also what the request must send, so that what is signed is what is sent. */
struct df_query {
    char **names;
    char **values;
    size_t n, alloc;
};
#define DF_QUERY_INIT                                                                              \
    {                                                                                              \
        NULL, NULL, 0, 0                                                                           \
    }
/* value NULL means "name=" (S3 sub-resources such as "uploads" are sent as "uploads="). */
void df_query_add(struct df_query *q, const char *name, const char *value);
/* Appends the canonical query string to sb (nothing when q is empty). */
void df_query_canonical(const struct df_query *q, struct strbuf *sb);
void df_query_release(struct df_query *q);

/* The canonical request (AWS's step 1), appended to out; also the "a;b;c" list of signed
 * header names to signed_headers. */
void df_sigv4_canonical_request(const struct df_sigv4_input *in, struct strbuf *out,
                                struct strbuf *signed_headers);
/* The string to sign for a canonical request (step 2), appended to out. */
void df_sigv4_string_to_sign(const struct df_sigv4_input *in, const char *canonical_request,
                             struct strbuf *out);
/* The hex signature of string_to_sign with secret (step 3): sig must hold 65 bytes. */
void df_sigv4_signature(const char *secret, const char *date8, const char *region,
                        const char *service, const char *string_to_sign, char sig[65]);
/* The full Authorization header value ("AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
 * Signature=...") appended to out. The secret is used and never copied anywhere. */
void df_sigv4_authorization(const struct df_sigv4_input *in, const char *access_key,
                            const char *secret, struct strbuf *out);
/* Formats t (seconds since the epoch, UTC) as "YYYYMMDDTHHMMSSZ"; out holds 17 bytes. */
void df_sigv4_amz_date(long long t, char out[17]);

#endif
