/*
 * s3_delete.c - DeleteObjects: up to 1,000 keys per POST ?delete request (S3's limit),
 * for removing whole runs (`runs rm`, `gc --keep-runs`) without one request per file.
 * The body is the XML list of keys in quiet mode, sent with Content-MD5 as S3 requires;
 * the answer lists only the keys that failed.
 */
#include <stdlib.h>
#include <string.h>

#include "store/s3_internal.h"
#include "util/crypto_lazy.h"
#include "store/s3_xml.h"
#include "util/banned.h"

int s3_delete_batch(struct s3_client *c, const char *const *keys, size_t n, struct df_error *err)
{
    struct strbuf xml = STRBUF_INIT, body = STRBUF_INIT;
    struct df_query q = DF_QUERY_INIT;
    struct resp rs = {0};
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    char md5_b64[32];
    const char *e;
    int rc;

    if (n == 0)
        return 0;
    if (n > S3_DELETE_MAX)
        return df_error_set(err, DF_EFAIL, "DeleteObjects takes at most %d keys, not %zu",
                            S3_DELETE_MAX, n);
    sb_adds(&xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Delete><Quiet>true</Quiet>");
    for (size_t i = 0; i < n; i++) {
        sb_adds(&xml, "<Object><Key>");
        sb_add_markup(&xml, keys[i]);
        sb_adds(&xml, "</Key></Object>");
    }
    sb_adds(&xml, "</Delete>");
    EVP_Digest(xml.buf, xml.len, md, &mdlen, EVP_md5(), NULL);
    s3_to_base64(md, mdlen, md5_b64, sizeof(md5_b64));

    df_query_add(&q, "delete", NULL);
    struct req r = REQ_INIT("POST", NULL);
    r.query = &q;
    r.mem = xml.buf;
    r.len = xml.len;
    r.content_md5 = md5_b64;
    r.content_type = "application/xml";
    r.out = &body;
    r.out_max = 16 * MIB;
    sb_init(&rs.errbody);
    rc = s3_request(c, &r, &rs, err);
    /* A 200 answer can still list keys that were not deleted. */
    if (rc == 0 && body.buf && (e = strstr(body.buf, "<Error>")) != NULL) {
        size_t rest = body.len - (size_t)(e - body.buf);
        char *key = df_xml_text(e, rest, "Key", NULL);
        char *code = df_xml_text(e, rest, "Code", NULL);
        char *msg = df_xml_text(e, rest, "Message", NULL);
        rc = df_error_set(err, DF_EIO, "DeleteObjects: '%s' not deleted: %s%s%s", key ? key : "?",
                          code ? code : "error", msg ? ": " : "", msg ? msg : "");
        free(key);
        free(code);
        free(msg);
    }
    sb_release(&rs.errbody);
    sb_release(&body);
    sb_release(&xml);
    df_query_release(&q);
    return rc;
}
