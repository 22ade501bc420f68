/*
 * s3_list.c - S3 listings (see s3_client.h): ListObjectsV2 over every page, and listing
 * and aborting incomplete multipart uploads; both page through list_pages(). Built on
 * s3_request() (s3_client.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/s3_internal.h"
#include "store/s3_xml.h"
#include "util/banned.h"

/* ---- listings ---- */

/* One kind of paged listing: what the query names, the element of each entry, and the
 * markers a truncated page names for the next one (reply element -> query parameter). */
struct page_kind {
    const char *op, *op_value;      /* the query parameter naming the listing, its value or NULL */
    int max_keys;                   /* sends c->list_page (when set) as max-keys */
    const char *entry;              /* the element of each entry: Contents, Upload */
    const char *next[2], *param[2]; /* markers, param[0] first; NULL: none */
    int need_marker;                /* a truncated page without next[0]: 1 an error, 0 the end */
    const char *what;               /* the prefix of every error */
};

/* One entry (its XML between <entry> and </entry>); non-zero stops the listing. */
typedef int (*entry_cb)(const char *xml, size_t len, void *ud);

static int list_pages(struct s3_client *c, const char *prefix, const struct page_kind *k,
                      entry_cb cb, void *ud, struct df_error *err)
{
    char *marker[2] = {NULL, NULL};
    struct strbuf body = STRBUF_INIT;
    struct resp rs = {0};
    sb_init(&rs.errbody);
    int rc = 0, stop = 0;
    while (!stop) {
        struct df_query q = DF_QUERY_INIT;
        df_query_add(&q, k->op, k->op_value);
        if (k->max_keys && c->list_page > 0) {
            char mk[24];
            snprintf(mk, sizeof(mk), "%ld", c->list_page);
            df_query_add(&q, "max-keys", mk);
        }
        df_query_add(&q, "prefix", prefix ? prefix : "");
        for (int i = 0; i < 2; i++)
            if (k->param[i] && marker[i])
                df_query_add(&q, k->param[i], marker[i]);
        struct req r = REQ_INIT("GET", NULL);
        r.query = &q;
        r.out = &body;
        r.out_max = LIST_PAGE_MAX;
        rc = s3_request(c, &r, &rs, err);
        df_query_release(&q);
        if (rc != 0)
            break;
        size_t pos = 0, s, e;
        while (!stop && df_xml_element(body.buf, body.len, k->entry, &pos, &s, &e) == 0)
            if (cb(body.buf + s, e - s, ud) != 0)
                stop = 1;
        char *trunc = df_xml_text(body.buf, body.len, "IsTruncated", NULL);
        for (int i = 0; i < 2; i++) {
            free(marker[i]);
            marker[i] = k->next[i] ? df_xml_text(body.buf, body.len, k->next[i], NULL) : NULL;
        }
        int more = trunc && strcmp(trunc, "true") == 0;
        free(trunc);
        if (!more)
            break;
        if (!marker[0] || !*marker[0]) {
            if (k->need_marker) {
                char *what = s3_describe(c, prefix);
                rc = df_error_set(err, DF_EIO,
                                  "list %s: truncated page without a continuation token", what);
                free(what);
            }
            break;
        }
    }
    if (rc != 0)
        df_error_prefix(err, "%s", k->what);
    free(marker[0]);
    free(marker[1]);
    sb_release(&body);
    sb_release(&rs.errbody);
    return rc;
}

struct list_cb {
    s3_list_cb objects;
    s3_uploads_cb uploads;
    void *ud;
};

static int object_entry(const char *xml, size_t len, void *ud)
{
    const struct list_cb *l = ud;
    char *key = df_xml_text(xml, len, "Key", NULL);
    char *size = df_xml_text(xml, len, "Size", NULL);
    int stop = key && l->objects(key, size ? strtoull(size, NULL, 10) : 0, l->ud) != 0;
    free(key);
    free(size);
    return stop;
}

static int upload_entry(const char *xml, size_t len, void *ud)
{
    const struct list_cb *l = ud;
    char *key = df_xml_text(xml, len, "Key", NULL);
    char *id = df_xml_text(xml, len, "UploadId", NULL);
    int stop = key && id && l->uploads(key, id, l->ud) != 0;
    free(key);
    free(id);
    return stop;
}

int s3_list(struct s3_client *c, const char *prefix, s3_list_cb cb, void *ud, struct df_error *err)
{
    static const struct page_kind objects = {.op = "list-type",
                                             .op_value = "2",
                                             .max_keys = 1,
                                             .entry = "Contents",
                                             .next = {"NextContinuationToken"},
                                             .param = {"continuation-token"},
                                             .need_marker = 1,
                                             .what = "list"};
    struct list_cb l = {cb, NULL, ud};
    return list_pages(c, prefix, &objects, object_entry, &l, err);
}

int s3_list_uploads(struct s3_client *c, const char *prefix, s3_uploads_cb cb, void *ud,
                    struct df_error *err)
{
    static const struct page_kind uploads = {.op = "uploads",
                                             .entry = "Upload",
                                             .next = {"NextKeyMarker", "NextUploadIdMarker"},
                                             .param = {"key-marker", "upload-id-marker"},
                                             .what = "list multipart uploads"};
    struct list_cb l = {NULL, cb, ud};
    return list_pages(c, prefix, &uploads, upload_entry, &l, err);
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
