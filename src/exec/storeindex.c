/*
 * storeindex.c - one listing and one read per document for gc and retention (see
 * storeindex.h); documents are picked by store/jsonpick.c, and a run's manifests come
 * from its _manifests.json (store/runindex.c) when the listing shows them unchanged.
 */
#include "exec/storeindex.h"

#include <stdlib.h>
#include <string.h>

#include "exec/runrec.h"
#include "store/caps.h"
#include "store/jsonpick.h"
#include "store/runindex.h"
#include "util/strbuf.h"
#include "util/banned.h"

static const char *const entry_members[] = {"manifest", "files", NULL};

/* What gc needs of a cache entry: the manifest and the files it names. */
static json_t *entry_pick(const char *data, size_t len)
{
    return df_json_pick(data, len, entry_members);
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

/* Reads key and picks what gc needs; *doc NULL when the key vanished or does not parse. */
static int read_pick(struct df_store *s, const char *key, size_t cap,
                     json_t *(*pick)(const char *, size_t), json_t **doc, struct df_error *err)
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
    *doc = pick(data, len);
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

static size_t lower_bound(const struct df_store_index *ix, const char *key);

/* The _manifests.json of the run being read (store/runindex.h). */
struct run_index {
    char *run;   /* "<pipeline>/runs/<run>/" */
    size_t len;  /* its length */
    json_t *doc; /* the file, NULL when the run has none (or it does not parse) */
};

/* Loads the _manifests.json of the run of ix->keys[i] (a key under <pipeline>/runs/<run>/)
 * into ri, once per run and only when the listing holds one. */
static int run_index_load(struct df_store *s, const struct df_store_index *ix, size_t i,
                          struct run_index *ri, struct df_error *err)
{
    const char *key = ix->keys[i].key, *p = key;
    size_t rl;

    for (int k = 0; k < 3; k++) /* "<pipeline>/runs/<run>/" */
        p = strchr(p, '/') + 1;
    rl = (size_t)(p - key);
    if (!ri->run || ri->len != rl || strncmp(ri->run, key, rl) != 0) {
        char *ikey = xasprintf("%.*s%s", (int)rl, key, DF_RUN_MANIFESTS), *data = NULL;
        size_t at = lower_bound(ix, ikey), len = 0;
        free(ri->run);
        json_decref(ri->doc);
        ri->run = xstrndup(key, rl);
        ri->len = rl;
        ri->doc = NULL;
        if (at < ix->nkeys && !strcmp(ix->keys[at].key, ikey)) {
            if (df_store_get_bytes(s, ikey, DF_CAP_MANIFEST, &data, &len, err) == 0) {
                ri->doc = df_run_index_parse(data, len);
            } else if (err->code == DF_ENOTFOUND) {
                df_error_clear(err);
            } else {
                free(data);
                free(ikey);
                return -1;
            }
        }
        free(data);
        free(ikey);
    }
    return 0;
}

/* The picked manifest of ix->keys[i] (a manifest) from its run's _manifests.json when the
 * listing shows it unchanged (df_run_index_manifest), else *doc = NULL. */
static int indexed_manifest(struct df_store *s, const struct df_store_index *ix, size_t i,
                            struct run_index *ri, json_t **doc, struct df_error *err)
{
    const char *key = ix->keys[i].key;
    char **folders = NULL, *tprefix, *task;
    size_t tl, nf = 0, af = 0, j;
    json_t *m;

    *doc = NULL;
    if (run_index_load(s, ix, i, ri, err) != 0)
        return -1;
    if (!ri->doc)
        return 0;
    /* The folders under the task's folder now: each must have been there then. */
    tl = strlen(key) - strlen("_manifest.json");
    tprefix = xstrndup(key, tl);
    for (j = lower_bound(ix, tprefix); j < ix->nkeys && !strncmp(ix->keys[j].key, tprefix, tl);
         j++) {
        const char *f = ix->keys[j].key + tl, *e = strchr(f, '/');
        if (!e || (nf && strlen(folders[nf - 1]) == (size_t)(e - f) &&
                   !strncmp(folders[nf - 1], f, (size_t)(e - f))))
            continue;
        if (nf == af) {
            af = af ? 2 * af : 4;
            folders = xrealloc(folders, af * sizeof(*folders));
        }
        folders[nf++] = xstrndup(f, (size_t)(e - f));
    }
    task = xstrndup(key + ri->len, tl - ri->len - 1);
    m = df_run_index_manifest(ri->doc, task, ix->keys[i].size, folders, nf);
    if (m)
        *doc = json_incref(m);
    for (j = 0; j < nf; j++)
        free(folders[j]);
    free(folders);
    free(task);
    free(tprefix);
    return 0;
}

int df_index_build(struct df_store *s, const char *pipeline, struct df_store_index *ix,
                   struct df_error *err)
{
    char *prefix = pipeline ? xasprintf("%s/", pipeline) : xstrdup("");
    json_t **recs = NULL;
    size_t nrecs = 0;
    struct run_index ri = {NULL, 0, NULL};
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
            /* From the run's _manifests.json while run.json has the size it had then. */
            if (run_index_load(s, ix, i, &ri, err) != 0)
                goto out;
            doc = df_run_index_record(ri.doc, ix->keys[i].size);
            if (doc)
                json_incref(doc);
            else if (read_pick(s, key, DF_CAP_RUN_JSON, df_run_record_pick, &doc, err) != 0)
                goto out;
            if (doc && json_string_value(json_object_get(doc, "pipeline")) &&
                json_string_value(json_object_get(doc, "run")))
                recs[nrecs++] = doc;
            else
                json_decref(doc);
        } else if (!strncmp(slash, "/runs/", 6) && sl == 5 &&
                   ends_with(key, n, "/_manifest.json")) {
            if (indexed_manifest(s, ix, i, &ri, &doc, err) != 0)
                goto out;
            if (doc)
                ix->manifests_indexed++;
            else if (read_pick(s, key, DF_CAP_MANIFEST, df_manifest_pick, &doc, err) != 0)
                goto out;
            push_doc(&ix->manifests, &ix->nmanifests, key, doc);
        } else if (!strncmp(slash, "/cache/", 7) && sl == 2 && ends_with(key, n, ".json")) {
            if (read_pick(s, key, DF_CAP_MANIFEST, entry_pick, &doc, err) != 0)
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
    free(ri.run);
    json_decref(ri.doc);
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
