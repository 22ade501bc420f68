/*
 * storeindex.c - one listing and one read per document for gc and retention (see
 * storeindex.h), and the member-picking JSON scanner that keeps the reads cheap.
 */
#include "exec/storeindex.h"

#include <stdlib.h>
#include <string.h>

#include "exec/runrec.h"
#include "store/caps.h"
#include "util/strbuf.h"
#include "util/banned.h"

/* Members of a run record retention and gc look at (runrec_still_running, ages). */
static const char *const run_members[] = {"pipeline",   "run",        "status",      "host", "pid",
                                          "updated_at", "started_at", "finished_at", NULL};
/* Members of a manifest that name its files and its attempt (df_manifest_table_keys). */
static const char *const manifest_members[] = {"pipeline",   "run",         "step", "item_key",
                                               "files_root", "attempt_dir", NULL};
static const char *const entry_members[] = {"manifest", "files", NULL};

/* ---- the scanner ---- */

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* p at the opening quote: the byte after the closing one, or NULL. */
static const char *skip_string(const char *p, const char *end)
{
    for (p++; p < end;) {
        const char *q = memchr(p, '"', (size_t)(end - p));
        const char *b;
        size_t n;
        if (!q)
            return NULL;
        /* the quote closes the string unless an odd number of backslashes precede it */
        for (b = q, n = 0; b > p && b[-1] == '\\'; b--)
            n++;
        if (n % 2 == 0)
            return q + 1;
        p = q + 1;
    }
    return NULL;
}

/* p at a value: the byte after it, or NULL. */
static const char *skip_value(const char *p, const char *end)
{
    int depth = 0;
    if (p >= end)
        return NULL;
    if (*p != '{' && *p != '[' && *p != '"') {
        while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n' &&
               *p != '\t' && *p != '\r')
            p++;
        return p;
    }
    while (p < end) {
        if (*p == '"') {
            p = skip_string(p, end);
            if (!p)
                return NULL;
            if (depth == 0)
                return p;
            continue;
        }
        if (*p == '{' || *p == '[')
            depth++;
        else if (*p == '}' || *p == ']') {
            if (--depth == 0)
                return p + 1;
        }
        p++;
    }
    return NULL;
}

static int wanted(const char *name, size_t n, const char *const *names)
{
    for (; *names; names++)
        if (strlen(*names) == n && !memcmp(*names, name, n))
            return 1;
    return 0;
}

/* Calls cb with each member of the JSON object in [p, end) (name raw, without quotes, and
 * the value's span), unparsed. -1 when it is not an object or cb fails, else 0. */
typedef int (*member_cb)(const char *name, size_t n, const char *v, const char *ve, void *ud);
static int each_member(const char *p, const char *end, member_cb cb, void *ud)
{
    p = skip_ws(p, end);
    if (p >= end || *p != '{')
        return -1;
    p = skip_ws(p + 1, end);
    if (p < end && *p == '}')
        return 0;
    for (;;) {
        const char *k, *ke, *v, *ve;
        p = skip_ws(p, end);
        if (p >= end || *p != '"')
            return -1;
        k = p + 1;
        if (!(ke = skip_string(p, end)))
            return -1;
        p = skip_ws(ke, end);
        if (p >= end || *p != ':')
            return -1;
        v = skip_ws(p + 1, end);
        if (!(ve = skip_value(v, end)) || ve == v)
            return -1;
        if (cb(k, (size_t)(ke - 1 - k), v, ve, ud) != 0)
            return -1;
        p = skip_ws(ve, end);
        if (p < end && *p == ',') {
            p++;
            continue;
        }
        return p < end && *p == '}' ? 0 : -1;
    }
}

/* The same for the elements of a JSON array. */
static int each_element(const char *p, const char *end,
                        int (*cb)(const char *v, const char *ve, void *ud), void *ud)
{
    p = skip_ws(p, end);
    if (p >= end || *p != '[')
        return -1;
    p = skip_ws(p + 1, end);
    if (p < end && *p == ']')
        return 0;
    for (;;) {
        const char *v = skip_ws(p, end), *ve;
        if (!(ve = skip_value(v, end)) || ve == v || cb(v, ve, ud) != 0)
            return -1;
        p = skip_ws(ve, end);
        if (p < end && *p == ',') {
            p++;
            continue;
        }
        return p < end && *p == ']' ? 0 : -1;
    }
}

struct pick {
    json_t *out;
    const char *const *names;
};

/* Names with escapes are never among ours: compared raw. */
static int pick_member(const char *k, size_t n, const char *v, const char *ve, void *ud)
{
    struct pick *pk = ud;
    json_t *val;
    char *name;
    if (!wanted(k, n, pk->names))
        return 0;
    val = json_loadb(v, (size_t)(ve - v), JSON_DECODE_ANY, NULL);
    if (!val)
        return -1;
    name = xstrndup(k, n);
    json_object_set_new(pk->out, name, val);
    free(name);
    return 0;
}

json_t *df_json_pick(const char *data, size_t len, const char *const *names)
{
    struct pick pk = {json_object(), names};
    if (each_member(data, data + len, pick_member, &pk) != 0) {
        json_decref(pk.out);
        return NULL;
    }
    return pk.out;
}

/* ---- a manifest's "tables", reduced to what names files ---- */

static const char *const path_member[] = {"path", NULL};
static const char *const files_member[] = {"files", NULL};

/* One element of "files": {"path": ...} alone. */
static int pick_file(const char *v, const char *ve, void *ud)
{
    json_t *f;
    if (*v != '{') { /* names no file; still has to be JSON */
        f = json_loadb(v, (size_t)(ve - v), JSON_DECODE_ANY, NULL);
        json_decref(f);
        return f ? 0 : -1;
    }
    f = df_json_pick(v, (size_t)(ve - v), path_member);
    if (!f)
        return -1;
    json_array_append_new(ud, f);
    return 0;
}

/* One member of a table: only "files" is kept. */
static int pick_files(const char *k, size_t n, const char *v, const char *ve, void *ud)
{
    json_t *files;
    if (!wanted(k, n, files_member))
        return 0;
    files = json_array();
    if (each_element(v, ve, pick_file, files) != 0) {
        json_decref(files);
        return -1;
    }
    json_object_set_new(ud, "files", files);
    return 0;
}

/* One table of "tables": {"files": [{"path"}...]}, its schema and counts skipped. */
static int pick_table(const char *k, size_t n, const char *v, const char *ve, void *ud)
{
    json_t *t = json_object();
    char *name;
    if (each_member(v, ve, pick_files, t) != 0) {
        json_decref(t);
        return -1;
    }
    name = xstrndup(k, n);
    json_object_set_new(ud, name, t);
    free(name);
    return 0;
}

static int pick_manifest_member(const char *k, size_t n, const char *v, const char *ve, void *ud)
{
    struct pick *pk = ud;
    json_t *tables;
    if (n != 6 || memcmp(k, "tables", 6) != 0)
        return pick_member(k, n, v, ve, pk);
    tables = json_object();
    if (each_member(v, ve, pick_table, tables) != 0) {
        json_decref(tables);
        return -1;
    }
    json_object_set_new(pk->out, "tables", tables);
    return 0;
}

json_t *df_manifest_pick(const char *data, size_t len, const char *const *names)
{
    struct pick pk = {json_object(), names};
    if (each_member(data, data + len, pick_manifest_member, &pk) != 0) {
        json_decref(pk.out);
        return NULL;
    }
    return pk.out;
}

/* ---- the index ---- */

static int collect(const char *key, uint64_t size, void *ud)
{
    struct df_store_index *ix = ud;
    if (ix->nkeys == ix->akeys) {
        ix->akeys = ix->akeys ? 2 * ix->akeys : 1024;
        ix->keys = xrealloc(ix->keys, ix->akeys * sizeof(*ix->keys));
    }
    ix->keys[ix->nkeys].key = xstrdup(key);
    ix->keys[ix->nkeys].size = size;
    ix->nkeys++;
    return 0;
}

static int by_key(const void *a, const void *b)
{
    return strcmp(((const struct df_index_key *)a)->key, ((const struct df_index_key *)b)->key);
}

static int slashes(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '/';
    return n;
}

static int ends_with(const char *s, size_t n, const char *suffix)
{
    size_t m = strlen(suffix);
    return n >= m && !memcmp(s + n - m, suffix, m);
}

/* Reads key and picks names; *doc NULL when the key vanished or does not parse. */
static int read_pick(struct df_store *s, const char *key, size_t cap,
                     json_t *(*pick)(const char *, size_t, const char *const *),
                     const char *const *names, json_t **doc, struct df_error *err)
{
    char *data = NULL;
    size_t len = 0;
    *doc = NULL;
    if (df_store_get_bytes(s, key, cap, &data, &len, err) != 0) {
        free(data);
        if (err->code != DF_ENOTFOUND)
            return -1;
        df_error_clear(err); /* gone since the listing */
        return 0;
    }
    *doc = pick(data, len, names);
    free(data);
    return 0;
}

static void push_doc(struct df_index_doc **v, size_t *n, const char *key, json_t *doc)
{
    if ((*n & (*n - 1)) == 0) /* 0, 1, 2, 4, ...: grow to the next power of two */
        *v = xrealloc(*v, (*n ? 2 * *n : 1) * sizeof(**v));
    (*v)[*n].key = key;
    (*v)[*n].doc = doc;
    (*n)++;
}

int df_index_build(struct df_store *s, const char *pipeline, struct df_store_index *ix,
                   struct df_error *err)
{
    char *prefix = pipeline ? xasprintf("%s/", pipeline) : xstrdup("");
    json_t **recs = NULL;
    size_t nrecs = 0;
    int rc = -1;

    memset(ix, 0, sizeof(*ix));
    ix->runs = json_array();
    ix->run_by_id = json_object();
    if (df_store_list(s, prefix, collect, ix, err) != 0)
        goto out;
    /* Listings come sorted; a store that did not sort would break the ranges. */
    for (size_t i = 1; i < ix->nkeys; i++)
        if (strcmp(ix->keys[i - 1].key, ix->keys[i].key) > 0) {
            qsort(ix->keys, ix->nkeys, sizeof(*ix->keys), by_key);
            break;
        }
    recs = xcalloc(ix->nkeys ? ix->nkeys : 1, sizeof(*recs));
    for (size_t i = 0; i < ix->nkeys; i++) {
        const char *key = ix->keys[i].key, *slash = strchr(key, '/');
        size_t n = strlen(key);
        int sl;
        json_t *doc;
        if (!slash)
            continue;
        sl = slashes(key);
        if (!strncmp(slash, "/runs/", 6) && sl == 3 && ends_with(key, n, "/run.json")) {
            if (read_pick(s, key, DF_CAP_RUN_JSON, df_json_pick, run_members, &doc, err) != 0)
                goto out;
            if (doc && json_string_value(json_object_get(doc, "pipeline")) &&
                json_string_value(json_object_get(doc, "run")))
                recs[nrecs++] = doc;
            else
                json_decref(doc);
        } else if (!strncmp(slash, "/runs/", 6) && sl == 5 &&
                   ends_with(key, n, "/_manifest.json")) {
            if (read_pick(s, key, DF_CAP_MANIFEST, df_manifest_pick, manifest_members, &doc, err) !=
                0)
                goto out;
            push_doc(&ix->manifests, &ix->nmanifests, key, doc);
        } else if (!strncmp(slash, "/cache/", 7) && sl == 2 && ends_with(key, n, ".json")) {
            if (read_pick(s, key, DF_CAP_MANIFEST, df_json_pick, entry_members, &doc, err) != 0)
                goto out;
            push_doc(&ix->entries, &ix->nentries, key, doc);
        }
    }
    if (nrecs > 1)
        qsort(recs, nrecs, sizeof(*recs), runrec_by_start);
    for (size_t i = 0; i < nrecs; i++) {
        char *id = xasprintf("%s/%s", json_string_value(json_object_get(recs[i], "pipeline")),
                             json_string_value(json_object_get(recs[i], "run")));
        json_object_set(ix->run_by_id, id, recs[i]);
        json_array_append_new(ix->runs, recs[i]);
        recs[i] = NULL;
        free(id);
    }
    nrecs = 0;
    rc = 0;
out:
    for (size_t i = 0; i < nrecs; i++)
        json_decref(recs[i]);
    free(recs);
    free(prefix);
    if (rc != 0)
        df_index_release(ix);
    return rc;
}

void df_index_release(struct df_store_index *ix)
{
    for (size_t i = 0; i < ix->nmanifests; i++)
        json_decref(ix->manifests[i].doc);
    for (size_t i = 0; i < ix->nentries; i++)
        json_decref(ix->entries[i].doc);
    for (size_t i = 0; i < ix->nkeys; i++)
        free(ix->keys[i].key);
    free(ix->manifests);
    free(ix->entries);
    free(ix->keys);
    json_decref(ix->runs);
    json_decref(ix->run_by_id);
    memset(ix, 0, sizeof(*ix));
}

static size_t lower_bound(const struct df_store_index *ix, const char *key)
{
    size_t lo = 0, hi = ix->nkeys;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(ix->keys[mid].key, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void df_index_range(const struct df_store_index *ix, const char *prefix, size_t *from, size_t *to)
{
    size_t n = strlen(prefix), i = lower_bound(ix, prefix), j = i;
    while (j < ix->nkeys && !strncmp(ix->keys[j].key, prefix, n))
        j++;
    *from = i;
    *to = j;
}

json_t *df_index_run(const struct df_store_index *ix, const char *pipeline, size_t plen,
                     const char *run, size_t rlen)
{
    char *id = xasprintf("%.*s/%.*s", (int)plen, pipeline, (int)rlen, run);
    json_t *r = json_object_get(ix->run_by_id, id);
    free(id);
    return r;
}
