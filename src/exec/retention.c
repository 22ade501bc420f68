/*
 * retention.c - whole-run removal and the file references that survive it (see
 * retention.h). One listing of a pipeline's folder gives every manifest and cache entry;
 * the keys they name form a sorted set that removal consults key by key.
 */
#include "exec/retention.h"
#include "exec/reserve.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exec/runrec.h"
#include "store/caps.h"
#include "store/layout.h"
#include "store/manifest.h"
#include "store/publish.h"
#include "store/s3.h"
#include "util/strbuf.h"
#include "util/timeutil.h"
#include "util/banned.h"

static int by_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void refs_add(struct df_refs *r, const char *key)
{
    if (!key || !*key)
        return;
    if (r->n == r->alloc) {
        r->alloc = r->alloc ? 2 * r->alloc : 1024;
        r->v = xrealloc(r->v, r->alloc * sizeof(*r->v));
    }
    r->v[r->n++] = xstrdup(key);
}

static void set_finish(char **v, size_t *n)
{
    size_t out = 0;
    if (*n > 1)
        qsort(v, *n, sizeof(*v), by_str);
    for (size_t i = 0; i < *n; i++) {
        if (out && !strcmp(v[out - 1], v[i])) {
            free(v[i]);
            continue;
        }
        v[out++] = v[i];
    }
    *n = out;
}

static void refs_finish(struct df_refs *r)
{
    set_finish(r->v, &r->n);
    set_finish(r->won, &r->nw);
}

/* Index of the first of v[0..n) >= key. */
static size_t lower_bound_in(char *const *v, size_t n, const char *key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(v[mid], key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static size_t lower_bound(const struct df_refs *r, const char *key)
{
    return lower_bound_in(r->v, r->n, key);
}

const char *df_refs_winner(const struct df_refs *r, const char *task)
{
    size_t tl = strlen(task), i;
    char *prefix = xasprintf("%s/", task);
    i = lower_bound_in(r->won, r->nw, prefix);
    free(prefix);
    if (i < r->nw && !strncmp(r->won[i], task, tl) && r->won[i][tl] == '/')
        return r->won[i] + tl + 1;
    return NULL;
}

int df_refs_has(const struct df_refs *r, const char *key)
{
    size_t i = lower_bound(r, key);
    return i < r->n && !strcmp(r->v[i], key);
}

int df_refs_any_under(const struct df_refs *r, const char *prefix)
{
    size_t i = lower_bound(r, prefix);
    return i < r->n && !strncmp(r->v[i], prefix, strlen(prefix));
}

void df_refs_release(struct df_refs *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->v[i]);
    for (size_t i = 0; i < r->nw; i++)
        free(r->won[i]);
    free(r->v);
    free(r->won);
    memset(r, 0, sizeof(*r));
}

static void push(char ***v, size_t *n, size_t *alloc, const char *key)
{
    if (*n == *alloc) {
        *alloc = *alloc ? 2 * *alloc : 256;
        *v = xrealloc(*v, *alloc * sizeof(**v));
    }
    (*v)[(*n)++] = xstrdup(key);
}

/* A run.json (NULL when gone), read with its one cap. */
static int read_json(struct df_store *s, const char *key, json_t **out, struct df_error *err)
{
    char *data = NULL;
    size_t len = 0;
    *out = NULL;
    if (df_store_get_bytes(s, key, DF_CAP_RUN_JSON, &data, &len, err) != 0) {
        if (err->code != DF_ENOTFOUND)
            return -1;
        df_error_clear(err); /* gone: names nothing */
        return 0;
    }
    *out = json_loadb(data, len, 0, NULL);
    free(data);
    return 0;
}

/* "<pipeline>/<run>" -> true for each {"pipeline", "run"} of victims (NULL: none). */
json_t *df_run_set(json_t *victims)
{
    json_t *set = json_object(), *v;
    size_t i;
    json_array_foreach(victims, i, v)
    {
        const char *pl = json_string_value(json_object_get(v, "pipeline"));
        const char *run = json_string_value(json_object_get(v, "run"));
        if (pl && run) {
            char *id = xasprintf("%s/%s", pl, run);
            json_object_set_new(set, id, json_true());
            free(id);
        }
    }
    return set;
}

/* 1 when key (<pl>/runs/<run>/...) lies in a run of set (df_run_set). */
int df_run_set_has_key(json_t *set, const char *key)
{
    const char *a = strchr(key, '/'), *b, *c;
    char *id;
    int in;
    if (!set || !json_object_size(set) || !a || strncmp(a, "/runs/", 6) != 0)
        return 0;
    b = a + 6;
    c = strchr(b, '/');
    if (!c)
        return 0;
    id = xasprintf("%.*s/%.*s", (int)(a - key), key, (int)(c - b), b);
    in = json_object_get(set, id) != NULL;
    free(id);
    return in;
}

int df_refs_from_index(const struct df_store_index *ix, json_t *skip, struct df_refs *out)
{
    json_t *set = df_run_set(skip);
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < ix->nmanifests; i++) {
        json_t *m = ix->manifests[i].doc, *t, *keys;
        const char *mkey = ix->manifests[i].key, *name, *won;
        size_t k;
        if (!m || df_run_set_has_key(set, mkey))
            continue;
        refs_add(out, mkey);
        won = json_string_value(json_object_get(m, "attempt_dir"));
        if (won && *won && !strchr(won, '/')) {
            char *w = xasprintf("%.*s/%s", (int)(strlen(mkey) - 15), mkey, won);
            push(&out->won, &out->nw, &out->aw, w);
            free(w);
        }
        keys = json_array();
        json_object_foreach(json_object_get(m, "tables"), name, t)
        {
            (void)t;
            df_manifest_table_keys(m, name, keys);
        }
        for (k = 0; k < json_array_size(keys); k++)
            refs_add(out, json_string_value(json_array_get(keys, k)));
        json_decref(keys);
    }
    for (size_t i = 0; i < ix->nentries; i++) {
        json_t *e = ix->entries[i].doc, *f;
        size_t k;
        refs_add(out, json_string_value(json_object_get(e, "manifest")));
        json_array_foreach(json_object_get(e, "files"), k, f) refs_add(out, json_string_value(f));
    }
    refs_finish(out);
    json_decref(set);
    return 0;
}

int df_parse_age(const char *s, int64_t *out_ms)
{
    const char *p = s;
    double total = 0;

    if (!s || !*s)
        return -1;
    while (*p) {
        char *end;
        double v, unit;
        if (!isdigit((unsigned char)*p))
            return -1;
        v = strtod(p, &end);
        p = end;
        if (!strncmp(p, "ms", 2)) {
            unit = 1;
            p++;
        } else if (*p == 'w') {
            unit = 7 * 86400e3;
        } else if (*p == 'd') {
            unit = 86400e3;
        } else if (*p == 'h') {
            unit = 3600e3;
        } else if (*p == 'm') {
            unit = 60e3;
        } else if (*p == 's') {
            unit = 1e3;
        } else {
            return -1; /* a unit is required: "30" could be seconds or days */
        }
        p++;
        total += v * unit;
    }
    if (total < 1 || total > 1e15)
        return -2; /* parsed, but zero or beyond any run's age */
    *out_ms = (int64_t)total;
    return 0;
}

/* "2026-12-06T04:10:14.866Z" -> Unix milliseconds, -1 when it does not parse. */
static int64_t iso_ms(const char *t)
{
    struct tm tm;
    int ms = 0;
    char frac[8] = "";
    if (!t)
        return -1;
    memset(&tm, 0, sizeof(tm));
    if (sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec) != 6)
        return -1;
    if (sscanf(t + 19, ".%3[0-9]", frac) == 1)
        ms = atoi(frac) * (strlen(frac) == 1 ? 100 : strlen(frac) == 2 ? 10 : 1);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm) * 1000 + ms;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* When a run last did something: finished_at, else updated_at, else started_at. */
static int64_t run_age_ref(json_t *r)
{
    static const char *const fields[] = {"finished_at", "updated_at", "started_at"};
    for (size_t i = 0; i < 3; i++) {
        int64_t t = iso_ms(json_string_value(json_object_get(r, fields[i])));
        if (t >= 0)
            return t;
    }
    return -1;
}

int df_run_protected(struct df_store *s, const char *pipeline, const char *run, const char **why,
                     struct df_error *err)
{
    char *pub = NULL, *key = df_key_run_json(pipeline, run);
    json_t *rec = NULL;
    int rc = -1;

    *why = NULL;
    if (df_published_read(s, pipeline, &pub, err) != 0)
        goto out;
    if (pub && !strcmp(pub, run)) {
        *why = "it is the published run (publish another one first)";
        rc = 0;
        goto out;
    }
    if (read_json(s, key, &rec, err) != 0)
        goto out;
    if (rec && runrec_still_running(rec))
        *why = "it is still running";
    rc = 0;
out:
    json_decref(rec);
    free(pub);
    free(key);
    return rc;
}

int df_retention_select_ix(struct df_store *s, const struct df_store_index *ix,
                           const struct df_retention_opts *o, df_retention_cb cb, void *ud,
                           json_t **victims, struct df_error *err)
{
    json_t *runs = ix->runs, *pubs = json_object(), *count = json_object(), *ranks = json_object(),
           *r;
    int64_t now = wall_ms();
    size_t i;
    int rc = -1;

    *victims = json_array();
    /* Runs per pipeline, to know which are the newest keep_runs (runs are oldest first). */
    json_array_foreach(runs, i, r)
    {
        const char *pl = json_string_value(json_object_get(r, "pipeline"));
        if (pl && (!o->pipeline || !strcmp(pl, o->pipeline)))
            json_object_set_new(count, pl,
                                json_integer(json_integer_value(json_object_get(count, pl)) + 1));
    }
    json_array_foreach(runs, i, r)
    {
        const char *pl = json_string_value(json_object_get(r, "pipeline"));
        const char *id = json_string_value(json_object_get(r, "run"));
        json_t *pub;
        json_int_t rank, total;
        int64_t t;
        if (!pl || !id || !df_valid_pipeline_name(pl) || !df_valid_run_id(id) ||
            (o->pipeline && strcmp(pl, o->pipeline) != 0))
            continue;
        /* rank: how many runs of this pipeline came before this one */
        total = json_integer_value(json_object_get(count, pl));
        rank = json_integer_value(json_object_get(ranks, pl));
        json_object_set_new(ranks, pl, json_integer(rank + 1));
        if (o->keep_runs > 0 && total - rank <= o->keep_runs)
            continue;
        t = run_age_ref(r);
        if (o->older_than_ms > 0 && (t < 0 || now - t < o->older_than_ms))
            continue;
        pub = json_object_get(pubs, pl);
        if (!pub) {
            char *p = NULL;
            if (df_published_read(s, pl, &p, err) != 0)
                goto out;
            pub = json_string(p ? p : "");
            json_object_set_new(pubs, pl, pub);
            free(p);
        }
        if (!strcmp(json_string_value(pub), id)) {
            if (cb)
                cb(pl, id, 0, 0, 0, "published", ud);
            continue;
        }
        if (runrec_still_running(r)) {
            if (cb)
                cb(pl, id, 0, 0, 0, "still running", ud);
            continue;
        }
        json_array_append_new(*victims, json_pack("{s:s, s:s}", "pipeline", pl, "run", id));
    }
    rc = 0;
out:
    json_decref(pubs);
    json_decref(count);
    json_decref(ranks);
    if (rc != 0) {
        json_decref(*victims);
        *victims = NULL;
    }
    return rc;
}

int df_retention_select(struct df_store *s, const struct df_retention_opts *o, df_retention_cb cb,
                        void *ud, json_t **victims, struct df_error *err)
{
    struct df_store_index ix;
    int rc;
    *victims = NULL;
    if (df_index_build(s, o->pipeline, &ix, err) != 0)
        return -1;
    rc = df_retention_select_ix(s, &ix, o, cb, ud, victims, err);
    df_index_release(&ix);
    return rc;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

int df_remove_run_ix(struct df_store *s, const struct df_store_index *ix, const char *pl,
                     const char *run, const struct df_refs *refs, int dry_run, df_retention_cb cb,
                     void *ud, struct df_retention_stats *st, struct df_error *err)
{
    char *runkey = df_key_run(pl, run), *prefix = xasprintf("%s/", runkey);
    char *rj = df_key_run_json(pl, run), *tomb = xasprintf("%s%s", prefix, DF_RUN_TOMBSTONE);
    const char **order = NULL;
    size_t from, to, n = 0, kept = 0, files = 0;
    uint64_t bytes = 0;
    int rc = -1, has_tomb = 0;

    df_index_range(ix, prefix, &from, &to);
    order = xcalloc(to > from ? to - from + 1 : 1, sizeof(*order));
    for (size_t i = from; i < to; i++)
        if (!strcmp(ix->keys[i].key, tomb))
            has_tomb = 1;
        else if (df_refs_has(refs, ix->keys[i].key))
            kept++;
    /* Manifests first, then the rest, run.json then the tombstone last. */
    for (int pass = 0; pass < 3; pass++)
        for (size_t i = from; i < to; i++) {
            const char *key = ix->keys[i].key;
            int is_manifest = ends_with(key, "/_manifest.json");
            int is_record = !strcmp(key, rj);
            if (!strcmp(key, tomb) || df_refs_has(refs, key) || (pass == 0 && !is_manifest) ||
                (pass == 1 && (is_manifest || is_record)) || (pass == 2 && !is_record))
                continue;
            order[n++] = key;
            files++;
            bytes += ix->keys[i].size;
        }
    /* What stays (named by another run or the cache) is marked as a removed run's, so
     * `runs` does not list it and gc removes it once nothing names it (df_gc). */
    if (!dry_run && kept && !has_tomb) {
        static const char note[] = "{\"removed\": true, \"note\": \"this run was removed; its "
                                   "files that other runs or the cache name stay until gc "
                                   "finds them unnamed\"}\n";
        if (df_store_put_bytes(s, tomb, note, sizeof(note) - 1, err) != 0)
            goto fail;
    }
    if (!kept && has_tomb)
        order[n++] = tomb;
    if (!dry_run)
        df_reserve_release(s, pl, run); /* a killed run's (exec/reserve.h), not a key */
    if (!dry_run && n && df_store_remove_many(s, order, n, err) != 0)
        goto fail;
    st->runs++;
    st->files += files;
    st->bytes += bytes;
    st->files_kept += kept;
    if (cb)
        cb(pl, run, files, bytes, kept, NULL, ud);
    rc = 0;
    goto out;
fail:
    df_error_prefix(err, "cannot remove run '%s' of '%s'", run, pl);
out:
    free(order);
    free(rj);
    free(tomb);
    free(prefix);
    free(runkey);
    return rc;
}

int df_runs_remove_ix(struct df_store *s, const struct df_store_index *ix, json_t *victims,
                      int dry_run, df_retention_cb cb, void *ud, struct df_retention_stats *stats,
                      struct df_error *err)
{
    struct df_refs refs;
    size_t j;
    json_t *x;
    int rc = 0;

    memset(stats, 0, sizeof(*stats));
    /* Keys carry their pipeline: one set serves every pipeline (reuse never crosses). */
    df_refs_from_index(ix, victims, &refs);
    json_array_foreach(victims, j, x)
    {
        rc = df_remove_run_ix(s, ix, json_string_value(json_object_get(x, "pipeline")),
                              json_string_value(json_object_get(x, "run")), &refs, dry_run, cb, ud,
                              stats, err);
        if (rc != 0)
            break;
    }
    df_refs_release(&refs);
    return rc;
}

int df_runs_remove(struct df_store *s, json_t *victims, int dry_run, df_retention_cb cb, void *ud,
                   struct df_retention_stats *stats, struct df_error *err)
{
    struct df_store_index ix;
    const char *pl = NULL;
    size_t i;
    json_t *v;
    int rc;

    memset(stats, 0, sizeof(*stats));
    /* One pipeline's folder when every victim is of the same pipeline, else the store. */
    json_array_foreach(victims, i, v)
    {
        const char *p = json_string_value(json_object_get(v, "pipeline"));
        if (!i)
            pl = p;
        else if (pl && p && strcmp(pl, p) != 0)
            pl = NULL;
    }
    if (!json_array_size(victims))
        return 0;
    if (df_index_build(s, pl, &ix, err) != 0)
        return -1;
    rc = df_runs_remove_ix(s, &ix, victims, dry_run, cb, ud, stats, err);
    df_index_release(&ix);
    return rc;
}
