/*
 * s3_list.c - S3 listings (see s3_client.h): ListObjectsV2 over every page, and listing
 * and aborting incomplete multipart uploads. Built on s3_request() (s3_client.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/s3_internal.h"
#include "store/s3_xml.h"
#include "util/banned.h"

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
        rc = s3_request(c, &r, &rs, err);
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
        rc = s3_request(c, &r, &rs, err);
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
        rc = s3_abort_upload(c, u.keys[i], u.ids[i], err);
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
