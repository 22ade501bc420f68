/*
 * gc.c - removing attempt folders no manifest names (see gc.h).
 *
 * One listing of the store (sorted, so a task's keys are contiguous), then per task:
 * which attempt won, and which folders go. Deletion is key by key through the store
 * interface, so local folders and object stores behave alike.
 */
#include "exec/gc.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "exec/retention.h"
#include "exec/runrec.h"
#include "exec/sweep.h"
#include "store/s3.h"
#include "store/layout.h"
#include "util/strbuf.h"
#include "util/banned.h"

struct key {
    char *key;
    uint64_t size;
};

struct keys {
    struct key *v;
    size_t n, alloc;
};

static int collect(const char *key, uint64_t size, void *ud)
{
    struct keys *k = ud;
    if (k->n == k->alloc) {
        k->alloc = k->alloc ? 2 * k->alloc : 1024;
        k->v = xrealloc(k->v, k->alloc * sizeof(*k->v));
    }
    k->v[k->n].key = xstrdup(key);
    k->v[k->n].size = size;
    k->n++;
    return 0;
}

/* Length of the first n '/'-separated parts of key (without the trailing '/'), or 0 when
 * key has fewer than n + 1 parts (the n parts must be followed by more). */
static size_t parts_len(const char *key, int n)
{
    const char *p = key;
    for (int i = 0; i < n; i++) {
        p = strchr(p, '/');
        if (!p)
            return 0;
        p++;
    }
    return (size_t)(p - key - 1);
}

/* 1 when s[0..n) looks like an attempt folder name "<digits>-<tag>". */
static int is_attempt(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    if (i == 0 || i + 1 >= n || s[i] != '-')
        return 0;
    for (i++; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') ||
              (s[i] >= 'A' && s[i] <= 'Z')))
            return 0;
    return 1;
}

/* Status of a run, looked up in the run records: 1 still running, 0 finished, -1 no
 * record. */
static int run_state(json_t *runs, const char *pipeline, size_t plen, const char *run, size_t rlen)
{
    size_t i;
    json_t *r;
    json_array_foreach(runs, i, r)
    {
        const char *p = json_string_value(json_object_get(r, "pipeline"));
        const char *id = json_string_value(json_object_get(r, "run"));
        if (p && id && strlen(p) == plen && !strncmp(p, pipeline, plen) && strlen(id) == rlen &&
            !strncmp(id, run, rlen))
            return runrec_still_running(r);
    }
    return -1;
}

static int collect_upload(const char *key, const char *upload_id, void *ud)
{
    (void)upload_id;
    return collect(key, 0, ud);
}

static int by_key(const void *a, const void *b)
{
    return strcmp(((const struct key *)a)->key, ((const struct key *)b)->key);
}

/* Aborts the incomplete multipart uploads under prefix that belong to finished runs, one
 * attempt folder at a time. Every upload of a committed attempt completed before its
 * manifest, so in a finished run an incomplete one can only be a killed attempt's. Runs
 * still running, or without a run record, are left alone (as for folders). Local stores
 * have none. */
static int abort_stale_uploads(struct df_store *s, const char *prefix, json_t *runs, int dry_run,
                               df_gc_cb cb, void *ud, struct df_gc_stats *stats,
                               struct df_error *err)
{
    struct keys u = {NULL, 0, 0};
    size_t i = 0;
    int rc = -1;

    if (df_store_list_uploads(s, prefix, collect_upload, &u, err) != 0) {
        /* A store without the API: housekeeping it cannot do, said once, not a failure. */
        if (df_store_error_not_implemented(err)) {
            stats->uploads_warning = xstrdup(err->msg);
            df_error_clear(err);
            rc = 0;
        }
        goto out;
    }
    if (u.n > 1)
        qsort(u.v, u.n, sizeof(*u.v), by_key);
    while (i < u.n) {
        const char *key = u.v[i].key;
        /* <pipeline>/runs/<run>/<step>/<item>/<attempt>/... */
        size_t fl = parts_len(key, 6), pl = parts_len(key, 1), rl, j, n;
        if (!fl || !pl || strncmp(key + pl, "/runs/", 6) != 0) {
            i++;
            continue;
        }
        for (j = i; j < u.n && !strncmp(u.v[j].key, key, fl) && u.v[j].key[fl] == '/'; j++)
            ;
        n = j - i;
        rl = parts_len(key, 3) - (pl + 6);
        if (run_state(runs, key, pl, key + pl + 6, rl) == 0) {
            char *folder = xstrndup(key, fl);
            char *fprefix = xasprintf("%s/", folder);
            size_t aborted = n;
            int arc = dry_run ? 0 : df_store_abort_uploads(s, fprefix, &aborted, err);
            free(fprefix);
            if (arc != 0) {
                free(folder);
                goto out;
            }
            stats->uploads += aborted;
            if (cb && aborted)
                cb(folder, 0, 0, aborted, NULL, ud);
            free(folder);
        }
        i = j;
    }
    rc = 0;
out:
    for (size_t x = 0; x < u.n; x++)
        free(u.v[x].key);
    free(u.v);
    return rc;
}

/* The run records among the listed keys (<pipeline>/runs/<run>/run.json), read into a JSON
 * array: one listing serves both (runrec_list would list the store again). */
static int read_run_records(struct df_store *s, const struct keys *k, json_t **out,
                            struct df_error *err)
{
    *out = json_array();
    for (size_t i = 0; i < k->n; i++) {
        const char *key = k->v[i].key;
        size_t pl = parts_len(key, 1), n = strlen(key);
        char *data = NULL;
        size_t len = 0;
        json_t *j;
        if (!pl || strncmp(key + pl, "/runs/", 6) != 0 || n < 9 ||
            strcmp(key + n - 9, "/run.json") != 0 || strchr(key + pl + 6, '/') != key + n - 9)
            continue;
        if (df_store_get_bytes(s, key, (size_t)16 << 20, &data, &len, err) != 0) {
            free(data);
            if (err->code != DF_ENOTFOUND)
                return -1;
            df_error_clear(err);
            continue;
        }
        j = json_loadb(data, len, 0, NULL);
        free(data);
        if (json_is_object(j))
            json_array_append_new(*out, j);
        else
            json_decref(j);
    }
    return 0;
}

/* 1 when the task key (<pipeline>/runs/<run>/...) lies in a run listed in skip. */
static int in_skipped_run(json_t *skip, const char *key)
{
    size_t i;
    json_t *v;
    json_array_foreach(skip, i, v)
    {
        const char *pl = json_string_value(json_object_get(v, "pipeline"));
        const char *run = json_string_value(json_object_get(v, "run"));
        size_t pn = pl ? strlen(pl) : 0, rn = run ? strlen(run) : 0;
        if (pl && run && !strncmp(key, pl, pn) && !strncmp(key + pn, "/runs/", 6) &&
            !strncmp(key + pn + 6, run, rn) && key[pn + 6 + rn] == '/')
            return 1;
    }
    return 0;
}

int df_gc(struct df_store *s, const char *pipeline, int dry_run, df_gc_cb cb, void *ud,
          struct df_gc_stats *stats, struct df_error *err)
{
    return df_gc_ex(s, pipeline, NULL, dry_run, cb, ud, stats, err);
}

int df_gc_ex(struct df_store *s, const char *pipeline, json_t *skip, int dry_run, df_gc_cb cb,
             void *ud, struct df_gc_stats *stats, struct df_error *err)
{
    struct df_refs refs;
    struct keys k = {NULL, 0, 0};
    json_t *runs = NULL;
    /* The pipeline's whole folder: its cache entries name files too. */
    char *prefix = pipeline ? xasprintf("%s/", pipeline) : xstrdup("");
    char *skipped_run = NULL, *state_run = NULL;
    const char **names = NULL;
    int rc = -1, state = -1;
    size_t i = 0;

    memset(stats, 0, sizeof(*stats));
    memset(&refs, 0, sizeof(refs));
    if (df_store_list(s, prefix, collect, &k, err) != 0 || read_run_records(s, &k, &runs, err) != 0)
        goto out;
    /* Files a manifest or a cache entry names stay, wherever they are (issue 10: runs
     * share files through the cache). One read of each manifest gives those and the
     * attempt it committed. */
    names = xcalloc(k.n ? k.n : 1, sizeof(*names));
    for (size_t x = 0; x < k.n; x++)
        names[x] = k.v[x].key;
    if (df_refs_collect_keys(s, names, k.n, NULL, &refs, err) != 0)
        goto out;
    while (i < k.n) {
        /* A task folder: <pipeline>/runs/<run>/<step>/<item>. */
        const char *key = k.v[i].key;
        size_t tlen = parts_len(key, 5), j, rl, pl;
        char *task, *winner = NULL;
        int has_manifest = 0, bad_manifest = 0;

        pl = parts_len(key, 1);
        if (!tlen || !pl || strncmp(key + pl, "/runs/", 6) != 0) {
            i++;
            continue;
        }
        if (skip && in_skipped_run(skip, key)) {
            i++;
            continue;
        }
        task = xstrndup(key, tlen);
        for (j = i; j < k.n && !strncmp(k.v[j].key, task, tlen) && k.v[j].key[tlen] == '/'; j++)
            if (!strcmp(k.v[j].key + tlen, "/_manifest.json"))
                has_manifest = 1;
        rl = parts_len(key, 3) - (pl + 6);
        /* A run's tasks are contiguous: look its state up once. */
        if (!state_run || strlen(state_run) != parts_len(key, 3) ||
            strncmp(state_run, key, parts_len(key, 3)) != 0) {
            free(state_run);
            state_run = xstrndup(key, parts_len(key, 3));
            state = run_state(runs, key, pl, key + pl + 6, rl);
        }
        if (has_manifest) {
            const char *w = df_refs_winner(&refs, task);
            if (w)
                winner = xstrdup(w);
            else
                bad_manifest = 1;
        } else if (state != 0) {
            /* Still running, or no run record: not ours to judge. Say so once per run. */
            char *run = xstrndup(key, parts_len(key, 3));
            if (!skipped_run || strcmp(skipped_run, run) != 0) {
                stats->runs_skipped++;
                if (cb)
                    cb(run, 0, 0, 0, state > 0 ? "still running" : "no run.json", ud);
                free(skipped_run);
                skipped_run = run;
            } else {
                free(run);
            }
            bad_manifest = 1;
        }
        /* Walk the task's attempt folders (contiguous: the keys are sorted). */
        while (i < j) {
            const char *a = k.v[i].key + tlen + 1, *e = strchr(a, '/');
            size_t alen = e ? (size_t)(e - a) : 0, files = 0, fl;
            uint64_t bytes = 0;
            size_t start = i;
            int drop;

            if (!e || !is_attempt(a, alen)) {
                i++;
                continue;
            }
            fl = tlen + 1 + alen;
            while (i < j && !strncmp(k.v[i].key, k.v[start].key, fl) && k.v[i].key[fl] == '/') {
                files++;
                bytes += k.v[i].size;
                i++;
            }
            drop =
                !bad_manifest && !(winner && strlen(winner) == alen && !strncmp(winner, a, alen));
            if (drop) {
                char *fprefix = xstrndup(k.v[start].key, fl + 1);
                drop = !df_refs_any_under(&refs, fprefix);
                free(fprefix);
            }
            if (!drop)
                continue;
            if (!dry_run)
                for (size_t x = start; x < i; x++)
                    if (df_store_remove(s, k.v[x].key, err) != 0) {
                        free(task);
                        free(winner);
                        goto out;
                    }
            stats->folders++;
            stats->files += files;
            stats->bytes += bytes;
            if (cb) {
                char *folder = xstrndup(k.v[start].key, fl);
                cb(folder, files, bytes, 0, NULL, ud);
                free(folder);
            }
        }
        i = j;
        free(task);
        free(winner);
    }
    rc = abort_stale_uploads(s, prefix, runs, dry_run, cb, ud, stats, err);
out:
    for (size_t x = 0; x < k.n; x++)
        free(k.v[x].key);
    free(k.v);
    free(skipped_run);
    free(prefix);
    free(state_run);
    free(names);
    json_decref(runs);
    df_refs_release(&refs);
    return rc;
}
