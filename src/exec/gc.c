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
#include "exec/storeindex.h"
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
static int run_state(const struct df_store_index *ix, const char *pipeline, size_t plen,
                     const char *run, size_t rlen)
{
    json_t *r = df_index_run(ix, pipeline, plen, run, rlen);
    return r ? runrec_still_running(r) : -1;
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
static int abort_stale_uploads(struct df_store *s, const char *prefix,
                               const struct df_store_index *ix, int dry_run, df_gc_cb cb, void *ud,
                               struct df_gc_stats *stats, struct df_error *err)
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
        if (run_state(ix, key, pl, key + pl + 6, rl) == 0) {
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

struct leftovers {
    df_gc_cb cb;
    void *ud;
    struct df_gc_stats *stats;
};

/* df_remove_run_ix's report for a removed run's leftovers: counted as gc's own. */
static void leftovers_cb(const char *pl, const char *run, size_t files, uint64_t bytes, size_t kept,
                         const char *why, void *ud)
{
    struct leftovers *l = ud;
    (void)kept;
    if (why || !files)
        return;
    l->stats->files += files;
    l->stats->bytes += bytes;
    l->stats->leftovers++;
    if (l->cb) {
        char *folder = df_key_run(pl, run);
        l->cb(folder, files, bytes, 0, NULL, l->ud);
        free(folder);
    }
}

/* The end of run key's run: the first index after i whose key is outside it. */
static size_t run_end(const struct df_store_index *ix, size_t i)
{
    const char *key = ix->keys[i].key;
    size_t rl = parts_len(key, 3), j = i;
    if (!rl)
        return i + 1;
    while (j < ix->nkeys && !strncmp(ix->keys[j].key, key, rl) && ix->keys[j].key[rl] == '/')
        j++;
    return j;
}

int df_gc_ix(struct df_store *s, const struct df_store_index *ix, const char *pipeline,
             json_t *skip, int dry_run, df_gc_cb cb, void *ud, struct df_gc_stats *stats,
             struct df_error *err)
{
    struct df_refs refs;
    struct df_retention_stats rst;
    struct leftovers lo = {cb, ud, stats};
    const struct df_index_key *k = ix->keys;
    json_t *skipset = df_run_set(skip), *removed = json_array(), *excluded, *removedset;
    char *prefix = pipeline ? xasprintf("%s/", pipeline) : xstrdup("");
    char *skipped_run = NULL, *state_run = NULL;
    size_t i = 0, tl = strlen(DF_RUN_TOMBSTONE), x;
    json_t *v;
    int rc = -1, state = -1;

    memset(stats, 0, sizeof(*stats));
    memset(&rst, 0, sizeof(rst));
    /* Runs removed earlier whose files were kept (a tombstone): what nothing names any
     * more goes now. Their own manifests protect nothing, like the runs being removed. */
    for (x = 0; x < ix->nkeys; x++) {
        const char *key = k[x].key;
        size_t pl = parts_len(key, 1), n = strlen(key), rl = parts_len(key, 3);
        if (pl && !strncmp(key + pl, "/runs/", 6) && rl && !parts_len(key, 4) && n > tl + 1 &&
            !strcmp(key + n - tl, DF_RUN_TOMBSTONE) && key[n - tl - 1] == '/' &&
            !df_run_set_has_key(skipset, key))
            json_array_append_new(removed, json_pack("{s:s%, s:s%}", "pipeline", key, pl, "run",
                                                     key + pl + 6, n - tl - 1 - (pl + 6)));
    }
    removedset = df_run_set(removed);
    excluded = json_array();
    json_array_extend(excluded, removed);
    if (skip)
        json_array_extend(excluded, skip);
    df_refs_from_index(ix, excluded, &refs);
    json_decref(excluded);
    json_array_foreach(removed, x, v)
    {
        if (df_remove_run_ix(s, ix, json_string_value(json_object_get(v, "pipeline")),
                             json_string_value(json_object_get(v, "run")), &refs, dry_run,
                             leftovers_cb, &lo, &rst, err) != 0)
            goto out;
    }
    while (i < ix->nkeys) {
        /* A task folder: <pipeline>/runs/<run>/<step>/<item>. */
        const char *key = k[i].key;
        size_t tlen = parts_len(key, 5), j, rl, pl;
        char *task, *winner = NULL;
        int has_manifest = 0, bad_manifest = 0, judge = 1;

        pl = parts_len(key, 1);
        if (!tlen || !pl || strncmp(key + pl, "/runs/", 6) != 0) {
            i++;
            continue;
        }
        rl = parts_len(key, 3) - (pl + 6);
        /* A run's tasks are contiguous: look its state up once. */
        if (!state_run || strlen(state_run) != parts_len(key, 3) ||
            strncmp(state_run, key, parts_len(key, 3)) != 0) {
            if (df_run_set_has_key(skipset, key) || df_run_set_has_key(removedset, key)) {
                i = run_end(ix, i);
                continue;
            }
            free(state_run);
            state_run = xstrndup(key, parts_len(key, 3));
            state = run_state(ix, key, pl, key + pl + 6, rl);
        }
        task = xstrndup(key, tlen);
        for (j = i; j < ix->nkeys && !strncmp(k[j].key, task, tlen) && k[j].key[tlen] == '/'; j++)
            if (!strcmp(k[j].key + tlen, "/_manifest.json"))
                has_manifest = 1;
        if (has_manifest) {
            const char *w = df_refs_winner(&refs, task);
            if (w)
                winner = xstrdup(w);
            else
                bad_manifest = 1;
        } else if (state != 0) {
            /* Still running, or no run record: not ours to judge. */
            judge = 0;
        }
        /* Walk the task's attempt folders (contiguous: the keys are sorted). */
        while (i < j) {
            const char *a = k[i].key + tlen + 1, *e = strchr(a, '/');
            size_t alen = e ? (size_t)(e - a) : 0, files = 0, fl;
            uint64_t bytes = 0;
            size_t start = i;
            int drop;

            if (!e || !is_attempt(a, alen)) {
                i++;
                continue;
            }
            fl = tlen + 1 + alen;
            while (i < j && !strncmp(k[i].key, k[start].key, fl) && k[i].key[fl] == '/') {
                files++;
                bytes += k[i].size;
                i++;
            }
            drop =
                !bad_manifest && !(winner && strlen(winner) == alen && !strncmp(winner, a, alen));
            if (drop) {
                /* A folder that holds a named file stays, whoever judges it. */
                char *fprefix = xstrndup(k[start].key, fl + 1);
                drop = !df_refs_any_under(&refs, fprefix);
                free(fprefix);
            }
            if (drop && !judge) {
                /* Something gc would remove in a run it cannot judge: say so once per run
                 * (a run whose leftovers are all named by others is not worth a word). */
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
                drop = 0;
            }
            if (!drop)
                continue;
            if (!dry_run)
                for (size_t y = start; y < i; y++)
                    if (df_store_remove(s, k[y].key, err) != 0) {
                        free(task);
                        free(winner);
                        goto out;
                    }
            stats->folders++;
            stats->files += files;
            stats->bytes += bytes;
            if (cb) {
                char *folder = xstrndup(k[start].key, fl);
                cb(folder, files, bytes, 0, NULL, ud);
                free(folder);
            }
        }
        i = j;
        free(task);
        free(winner);
    }
    rc = abort_stale_uploads(s, prefix, ix, dry_run, cb, ud, stats, err);
out:
    free(skipped_run);
    free(prefix);
    free(state_run);
    json_decref(skipset);
    json_decref(removed);
    json_decref(removedset);
    df_refs_release(&refs);
    return rc;
}

int df_gc_ex(struct df_store *s, const char *pipeline, json_t *skip, int dry_run, df_gc_cb cb,
             void *ud, struct df_gc_stats *stats, struct df_error *err)
{
    struct df_store_index ix;
    int rc;
    memset(stats, 0, sizeof(*stats));
    if (df_index_build(s, pipeline, &ix, err) != 0)
        return -1;
    rc = df_gc_ix(s, &ix, pipeline, skip, dry_run, cb, ud, stats, err);
    df_index_release(&ix);
    return rc;
}

int df_gc(struct df_store *s, const char *pipeline, int dry_run, df_gc_cb cb, void *ud,
          struct df_gc_stats *stats, struct df_error *err)
{
    return df_gc_ex(s, pipeline, NULL, dry_run, cb, ud, stats, err);
}
