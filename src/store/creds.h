/*
 * creds.h - AWS credentials in the order the AWS tools look for them, kept fresh.
 *
 * Chain (first match wins):
 *   0. for gs:// stores only: GOOGLE_HMAC_ACCESS_ID + GOOGLE_HMAC_SECRET (GCS HMAC key)
 *   1. environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
 *   2. shared files: AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials) section [PROFILE],
 *      then AWS_CONFIG_FILE (~/.aws/config) section [profile PROFILE] ([default] for the
 *      default profile); PROFILE is AWS_PROFILE or "default". A config profile with
 *      role_arn + web_identity_token_file is a web identity source (3).
 *   3. web identity: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN (+ AWS_ROLE_SESSION_NAME)
 *      through STS AssumeRoleWithWebIdentity at AWS_ENDPOINT_URL_STS, AWS_STS_ENDPOINT_URL,
 *      else https://sts.REGION.amazonaws.com. Refreshed before they expire.
 *
 * Lifecycle:
 *   1. df_creds_provider_new() resolves the chain (and fetches web identity credentials).
 *   2. df_creds_provider_get() copies the current credentials, refreshing them first when
 *      they are near expiry; thread-safe.
 *   3. df_creds_provider_free().
 *
 * Secrets never appear in error messages or logs.
 */
#ifndef DF_CREDS_H
#define DF_CREDS_H

#include "util/error.h"

struct df_creds {
    char *access_key;  /* malloc'd */
    char *secret;      /* malloc'd; wiped by df_creds_release */
    char *token;       /* session token or NULL */
    long long expires; /* seconds since the epoch; 0 = does not expire */
};
#define DF_CREDS_INIT                                                                              \
    {                                                                                              \
        NULL, NULL, NULL, 0                                                                        \
    }

/* Wipes and frees the strings; the struct may be reused. NULL-safe. */
void df_creds_release(struct df_creds *c);

struct df_creds_provider;

/* gcs: also consult the GOOGLE_HMAC_* variables first. Fails with DF_EIO when no
 * credentials are found or STS refuses. */
int df_creds_provider_new(int gcs, struct df_creds_provider **out, struct df_error *err);
/* Fills *out (release with df_creds_release) with current credentials. */
int df_creds_provider_get(struct df_creds_provider *p, struct df_creds *out, struct df_error *err);
/* Marks refreshable credentials stale (after an ExpiredToken answer). */
void df_creds_provider_invalidate(struct df_creds_provider *p);
/* Where the credentials came from: "environment", "profile NAME", "web identity", ... */
const char *df_creds_provider_source(const struct df_creds_provider *p);
/* How many times STS was called (tests and debug logs). */
int df_creds_provider_sts_calls(const struct df_creds_provider *p);
void df_creds_provider_free(struct df_creds_provider *p);

/* The region: AWS_REGION, AWS_DEFAULT_REGION, the profile's "region" in the config file,
 * else "us-east-1". malloc'd. */
char *df_aws_region(void);

/* Reads key from section of an INI-style AWS file; malloc'd value or NULL. For tests. */
char *df_aws_ini_get(const char *path, const char *section, const char *key);

#endif
