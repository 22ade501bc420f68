/*
 * test_sigv4.c - the SigV4 signer against the examples AWS publishes (S3 header
 * authentication examples and the SigV4 test suite), plus URI and query encoding.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "store/sigv4.h"

#define S3_SECRET    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define SUITE_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define AKID         "AKIAIOSFODNN7EXAMPLE"

static void s3_get_object_example(void **state)
{
    (void)state;
    struct df_sigv4_header h[] = {
        {"host", "examplebucket.s3.amazonaws.com"},
        {"range", "bytes=0-9"},
        {"x-amz-content-sha256", DF_SIGV4_EMPTY_SHA256},
        {"x-amz-date", "20130524T000000Z"},
    };
    struct df_sigv4_input in = {
        "GET", "/test.txt", "", h, 4, DF_SIGV4_EMPTY_SHA256, "20130524T000000Z", "us-east-1", "s3"};
    struct strbuf out = STRBUF_INIT;
    df_sigv4_authorization(&in, AKID, S3_SECRET, &out);
    assert_string_equal(
        out.buf, "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
                 "aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
                 "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    sb_release(&out);
}

static void s3_put_object_example(void **state)
{
    (void)state;
    const char *body_hash = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072";
    char check[65];
    struct df_sigv4_header h[] = {
        {"x-amz-storage-class", "REDUCED_REDUNDANCY"}, {"host", "examplebucket.s3.amazonaws.com"},
        {"date", "Fri, 24 May 2013 00:00:00 GMT"},     {"x-amz-date", "20130524T000000Z"},
        {"x-amz-content-sha256", body_hash},
    };
    struct strbuf path = STRBUF_INIT;
    df_uri_encode(&path, "/test$file.text", 15, 1);
    assert_string_equal(path.buf, "/test%24file.text");
    struct df_sigv4_input in = {"PUT",     path.buf,           "",          h,   5,
                                body_hash, "20130524T000000Z", "us-east-1", "s3"};
    struct strbuf out = STRBUF_INIT;
    df_sigv4_authorization(&in, AKID, S3_SECRET, &out);
    const char *sig = strstr(out.buf, "Signature=");
    assert_non_null(sig);
    memcpy(check, sig + 10, 64);
    check[64] = '\0';
    assert_string_equal(check, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
    assert_non_null(strstr(
        out.buf, "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class"));
    sb_release(&out);
    sb_release(&path);
}

static void s3_list_objects_example(void **state)
{
    (void)state;
    struct df_query q = DF_QUERY_INIT;
    df_query_add(&q, "prefix", "J");
    df_query_add(&q, "max-keys", "2");
    struct strbuf qs = STRBUF_INIT;
    df_query_canonical(&q, &qs);
    assert_string_equal(qs.buf, "max-keys=2&prefix=J");
    struct df_sigv4_header h[] = {
        {"host", "examplebucket.s3.amazonaws.com"},
        {"x-amz-date", "20130524T000000Z"},
        {"x-amz-content-sha256", DF_SIGV4_EMPTY_SHA256},
    };
    struct df_sigv4_input in = {
        "GET", "/", qs.buf, h, 3, DF_SIGV4_EMPTY_SHA256, "20130524T000000Z", "us-east-1", "s3"};
    struct strbuf out = STRBUF_INIT;
    df_sigv4_authorization(&in, AKID, S3_SECRET, &out);
    assert_non_null(strstr(
        out.buf, "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"));
    sb_release(&out);
    sb_release(&qs);
    df_query_release(&q);
}

/* The SigV4 test suite's get-vanilla case, step by step. */
static void suite_get_vanilla(void **state)
{
    (void)state;
    struct df_sigv4_header h[] = {
        {"host", "example.amazonaws.com"},
        {"x-amz-date", "20150830T123600Z"},
    };
    struct df_sigv4_input in = {
        "GET", "/", "", h, 2, DF_SIGV4_EMPTY_SHA256, "20150830T123600Z", "us-east-1", "service"};
    struct strbuf creq = STRBUF_INIT, sh = STRBUF_INIT, sts = STRBUF_INIT;
    df_sigv4_canonical_request(&in, &creq, &sh);
    assert_string_equal(creq.buf,
                        "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
                        "host;x-amz-date\n" DF_SIGV4_EMPTY_SHA256);
    df_sigv4_string_to_sign(&in, creq.buf, &sts);
    assert_string_equal(sts.buf,
                        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/"
                        "aws4_request\n"
                        "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
    char sig[65];
    df_sigv4_signature(SUITE_SECRET, "20150830", "us-east-1", "service", sts.buf, sig);
    assert_string_equal(sig, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    sb_release(&creq);
    sb_release(&sh);
    sb_release(&sts);
}

static void header_values_are_trimmed(void **state)
{
    (void)state;
    struct df_sigv4_header h[] = {{"my-header1", "  value1  "}, {"my-header2", "\"a   b   c\""}};
    struct df_sigv4_input in = {"GET", "/", "", h, 2, "x", "20150830T123600Z", "r", "s"};
    struct strbuf creq = STRBUF_INIT, sh = STRBUF_INIT;
    df_sigv4_canonical_request(&in, &creq, &sh);
    assert_non_null(strstr(creq.buf, "my-header1:value1\nmy-header2:\"a b c\"\n"));
    sb_release(&creq);
    sb_release(&sh);
}

static void encoding_rules(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    const char *s = "a b/c~d-e_f.g+h=i&j%\xe1\x88\xb4";
    df_uri_encode(&sb, s, strlen(s), 1);
    assert_string_equal(sb.buf, "a%20b/c~d-e_f.g%2Bh%3Di%26j%25%E1%88%B4");
    sb_reset(&sb);
    df_uri_encode(&sb, "a/b", 3, 0);
    assert_string_equal(sb.buf, "a%2Fb");
    sb_release(&sb);

    /* Sorted by encoded name then value; value-less sub-resources become "name=". */
    struct df_query q = DF_QUERY_INIT;
    df_query_add(&q, "prefix", "runs/a b");
    df_query_add(&q, "list-type", "2");
    df_query_add(&q, "uploads", NULL);
    df_query_add(&q, "foo", "b");
    df_query_add(&q, "foo", "a");
    df_query_add(&q, "continuation-token", "x/y+z=");
    struct strbuf qs = STRBUF_INIT;
    df_query_canonical(&q, &qs);
    assert_string_equal(qs.buf, "continuation-token=x%2Fy%2Bz%3D&foo=a&foo=b&list-type=2&"
                                "prefix=runs%2Fa%20b&uploads=");
    sb_release(&qs);
    df_query_release(&q);
}

static void amz_date_format(void **state)
{
    (void)state;
    char d[17];
    df_sigv4_amz_date(1369353600LL, d);
    assert_string_equal(d, "20130524T000000Z");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(s3_get_object_example),     cmocka_unit_test(s3_put_object_example),
        cmocka_unit_test(s3_list_objects_example),   cmocka_unit_test(suite_get_vanilla),
        cmocka_unit_test(header_values_are_trimmed), cmocka_unit_test(encoding_rules),
        cmocka_unit_test(amz_date_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
