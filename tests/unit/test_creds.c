/*
 * test_creds.c - the AWS credential chain without a server: environment first, then the
 * shared credentials file, then the config file, AWS_PROFILE, GCS HMAC variables, the
 * region lookup, INI parsing, and errors that never show a secret.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store/creds.h"
#include "util/fs.h"
#include "util/strbuf.h"

static char *dir;

static const char *vars[] = {"AWS_ACCESS_KEY_ID",
                             "AWS_SECRET_ACCESS_KEY",
                             "AWS_SESSION_TOKEN",
                             "AWS_PROFILE",
                             "AWS_SHARED_CREDENTIALS_FILE",
                             "AWS_CONFIG_FILE",
                             "AWS_WEB_IDENTITY_TOKEN_FILE",
                             "AWS_ROLE_ARN",
                             "AWS_REGION",
                             "AWS_DEFAULT_REGION",
                             "GOOGLE_HMAC_ACCESS_ID",
                             "GOOGLE_HMAC_SECRET"};

static char *write_file(const char *name, const char *text)
{
    char *p = xasprintf("%s/%s", dir, name);
    struct df_error err = DF_ERROR_INIT;
    assert_int_equal(fs_write_atomic(p, text, strlen(text), &err), 0);
    return p;
}

static int setup(void **state)
{
    (void)state;
    struct df_error err = DF_ERROR_INIT;
    for (size_t i = 0; i < sizeof(vars) / sizeof(*vars); i++)
        unsetenv(vars[i]);
    dir = fs_mkdtemp(NULL, "test-creds", &err);
    setenv("HOME", dir, 1); /* no ~/.aws of the machine's */
    char *cred = write_file("credentials", "# comment\n[default]\naws_access_key_id = AKDEFAULT\n"
                                           "aws_secret_access_key=sdefault\n\n[dev]\n"
                                           "aws_access_key_id=AKDEV\naws_secret_access_key = sdev\n"
                                           "aws_session_token = tdev\n");
    char *cfg = write_file("config", "[default]\nregion = eu-west-3\n[profile   cfgonly]\n"
                                     "aws_access_key_id=AKCFG\naws_secret_access_key=scfg\n"
                                     "region=ap-south-1\n[profile web]\nrole_arn=arn:r\n");
    setenv("AWS_SHARED_CREDENTIALS_FILE", cred, 1);
    setenv("AWS_CONFIG_FILE", cfg, 1);
    free(cred);
    free(cfg);
    return dir ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    struct df_error err = DF_ERROR_INIT;
    fs_remove_tree(dir, &err);
    free(dir);
    return 0;
}

static void get(int gcs, const char *want_key, const char *want_secret, const char *want_token)
{
    struct df_creds_provider *p = NULL;
    struct df_error err = DF_ERROR_INIT;
    int rc = df_creds_provider_new(gcs, &p, &err);
    if (rc)
        fprintf(stderr, "# %s\n", err.msg);
    assert_int_equal(rc, 0);
    struct df_creds c = DF_CREDS_INIT;
    assert_int_equal(df_creds_provider_get(p, &c, &err), 0);
    assert_string_equal(c.access_key, want_key);
    assert_string_equal(c.secret, want_secret);
    if (want_token)
        assert_string_equal(c.token, want_token);
    else
        assert_null(c.token);
    assert_int_equal(c.expires, 0);
    df_creds_release(&c);
    df_creds_release(&c); /* twice is fine */
    df_creds_provider_free(p);
    df_creds_provider_free(NULL);
}

static void chain_order(void **state)
{
    (void)state;
    get(0, "AKDEFAULT", "sdefault", NULL); /* credentials file, [default] */
    setenv("AWS_PROFILE", "dev", 1);
    get(0, "AKDEV", "sdev", "tdev");
    setenv("AWS_PROFILE", "cfgonly", 1); /* only in the config file, as [profile x] */
    get(0, "AKCFG", "scfg", NULL);
    setenv("AWS_ACCESS_KEY_ID", "AKENV", 1); /* the environment beats the files */
    setenv("AWS_SECRET_ACCESS_KEY", "senv", 1);
    setenv("AWS_SESSION_TOKEN", "tenv", 1);
    get(0, "AKENV", "senv", "tenv");
    setenv("GOOGLE_HMAC_ACCESS_ID", "GOOG1", 1); /* only for gs:// */
    setenv("GOOGLE_HMAC_SECRET", "sgoog", 1);
    get(1, "GOOG1", "sgoog", NULL);
    get(0, "AKENV", "senv", "tenv");
    unsetenv("GOOGLE_HMAC_ACCESS_ID");
    unsetenv("GOOGLE_HMAC_SECRET");
    get(1, "AKENV", "senv", "tenv"); /* gs:// falls back to the AWS chain */
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    unsetenv("AWS_SESSION_TOKEN");
    unsetenv("AWS_PROFILE");
}

static void missing_profile_is_an_error(void **state)
{
    (void)state;
    struct df_creds_provider *p = NULL;
    struct df_error err = DF_ERROR_INIT;
    setenv("AWS_PROFILE", "nope", 1);
    assert_int_equal(df_creds_provider_new(0, &p, &err), -1);
    assert_int_equal(err.code, DF_EIO);
    assert_non_null(strstr(err.msg, "profile 'nope'"));
    assert_null(p);
    /* a web identity profile whose token file is missing: an error naming the file */
    setenv("AWS_PROFILE", "web", 1);
    df_error_clear(&err);
    assert_int_equal(df_creds_provider_new(0, &p, &err), -1);
    unsetenv("AWS_PROFILE");
    /* nothing anywhere */
    char *none = xasprintf("%s/none", dir);
    char *cred = xstrdup(getenv("AWS_SHARED_CREDENTIALS_FILE"));
    setenv("AWS_SHARED_CREDENTIALS_FILE", none, 1);
    df_error_clear(&err);
    assert_int_equal(df_creds_provider_new(0, &p, &err), -1);
    assert_non_null(strstr(err.msg, "no credentials found"));
    assert_null(strstr(err.msg, "sdefault"));
    setenv("AWS_SHARED_CREDENTIALS_FILE", cred, 1);
    free(none);
    free(cred);
}

static void web_identity_config_profile(void **state)
{
    (void)state;
    /* role_arn + web_identity_token_file in a profile: STS is asked (and here refuses,
     * nothing listens on port 9), with an error that names the role, not the token */
    char *tok = write_file("tok", "secret-token-value");
    char *cfg = xasprintf("[profile w]\nrole_arn = arn:aws:iam::1:role/r\n"
                          "web_identity_token_file = %s\n",
                          tok);
    char *cfgp = write_file("config2", cfg);
    char *old = xstrdup(getenv("AWS_CONFIG_FILE"));
    setenv("AWS_CONFIG_FILE", cfgp, 1);
    setenv("AWS_PROFILE", "w", 1);
    setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9", 1);
    struct df_creds_provider *p = NULL;
    struct df_error err = DF_ERROR_INIT;
    assert_int_equal(df_creds_provider_new(0, &p, &err), -1);
    assert_non_null(strstr(err.msg, "sts"));
    assert_null(strstr(err.msg, "secret-token-value"));
    unsetenv("AWS_ENDPOINT_URL_STS");
    unsetenv("AWS_PROFILE");
    setenv("AWS_CONFIG_FILE", old, 1);
    free(old);
    free(cfg);
    free(cfgp);
    free(tok);
}

static void region_lookup(void **state)
{
    (void)state;
    char *r = df_aws_region();
    assert_string_equal(r, "eu-west-3"); /* config [default] */
    free(r);
    setenv("AWS_PROFILE", "cfgonly", 1);
    r = df_aws_region();
    assert_string_equal(r, "ap-south-1");
    free(r);
    setenv("AWS_DEFAULT_REGION", "us-west-1", 1);
    r = df_aws_region();
    assert_string_equal(r, "us-west-1");
    free(r);
    setenv("AWS_REGION", "us-east-2", 1);
    r = df_aws_region();
    assert_string_equal(r, "us-east-2");
    free(r);
    unsetenv("AWS_REGION");
    unsetenv("AWS_DEFAULT_REGION");
    unsetenv("AWS_PROFILE");
    char *v = df_aws_ini_get(getenv("AWS_CONFIG_FILE"), "profile cfgonly", "region");
    assert_string_equal(v, "ap-south-1");
    free(v);
    assert_null(df_aws_ini_get(getenv("AWS_CONFIG_FILE"), "profile cfgonly", "nokey"));
    assert_null(df_aws_ini_get("/nonexistent/file", "default", "region"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chain_order),
        cmocka_unit_test(missing_profile_is_an_error),
        cmocka_unit_test(web_identity_config_profile),
        cmocka_unit_test(region_lookup),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
