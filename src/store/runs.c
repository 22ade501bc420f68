/*
 * runs.c - the runs of a store and picking one (see runs.h). A sorted listing of keys
 * gives each <pipeline>/runs/<run>/ once; only run.json and published.json are read.
 * A run folder holding a tombstone (DF_RUN_TOMBSTONE) is a removed run's leftovers, not a
 * run: never picked, and named, an error saying it was removed.
 */
#include "store/runs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/caps.h"
#include "store/layout.h"
#include "store/publish.h"
#include "util/names.h"
#include "util/jsonarr.h"
#include "util/strbuf.h"
#include "util/banned.h"

struct run_ref {
    char *pipeline;
    char *run;
    int has_record; /* run.json exists */
    int removed;    /* a tombstone (DF_RUN_TOMBSTONE): what `runs rm` or gc kept of it */
};

struct run_list {
    struct run_ref *v;
    size_t n, alloc;
};

/* Collects each distinct <pipeline>/runs/<run>/ seen in a sorted listing. */
static int collect_run(const char *key, uint64_t size, void *ud)
{
    struct run_list *l = ud;
    const char *r, *rest;
    size_t pn, rn;
    (void)size;

    if (!df_key_split_run(key, &pn, &r, &rn, &rest))
        return 0;
    if (!l->n || strncmp(l->v[l->n - 1].pipeline, key, pn) != 0 || l->v[l->n - 1].pipeline[pn] ||
        strncmp(l->v[l->n - 1].run, r, rn) != 0 || l->v[l->n - 1].run[rn]) {
        if (l->n == l->alloc) {
            l->alloc = l->alloc ? 2 * l->alloc : 16;
            l->v = xrealloc(l->v, l->alloc * sizeof(*l->v));
        }
        l->v[l->n].pipeline = xstrndup(key, pn);
        l->v[l->n].run = xstrndup(r, rn);
        l->v[l->n].has_record = 0;
        l->v[l->n].removed = 0;
        l->n++;
    }
    if (!strcmp(rest, "run.json"))
        l->v[l->n - 1].has_record = 1;
    else if (!strcmp(rest, DF_RUN_TOMBSTONE))
        l->v[l->n - 1].removed = 1;
    return 0;
}

static void run_list_release(struct run_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].pipeline);
        free(l->v[i].run);
    }
    free(l->v);
}

int df_run_record_read(struct df_store *s, const char *pipeline, const char *run, json_t **out,
                       struct df_error *err)
{
    char *key = df_key_run_json(pipeline, run), *data = NULL;
    size_t len = 0;
    json_error_t jerr;
    int rc = 0;

    *out = NULL;
    if (df_store_get_bytes(s, key, DF_CAP_RUN_JSON, &data, &len, err) != 0) {
        if (err->code == DF_ENOTFOUND) {
            df_error_clear(err);
        } else {
            rc = -1;
        }
    } else {
        *out = json_loadb(data, len, 0, &jerr);
        if (!*out || !json_is_object(*out)) {
            char *where = df_store_describe(s, key);
            json_decref(*out);
            *out = NULL;
            rc = df_error_set(err, DF_EIO, "run record '%s' is not a JSON object", where);
            free(where);
        }
    }
    free(data);
    free(key);
    return rc;
}

static const char *record_started(json_t *rec)
{
    const char *v = json_string_value(json_object_get(rec, "started_at"));
    return v ? v : "";
}

static int by_name(const void *a, const void *b)
{
    return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

/* Every distinct pipeline among the runs that match (run NULL: all), sorted by name (the
 * listing puts "orders-qa/" before "orders/"). */
static json_t *pipeline_list(const struct run_list *l, const char *run)
{
    json_t *names = json_array();
    const char *last = NULL;
    for (size_t i = 0; i < l->n; i++) {
        if (l->v[i].removed || (run && strcmp(l->v[i].run, run) != 0))
            continue;
        if (last && !strcmp(last, l->v[i].pipeline))
            continue;
        json_array_append_new(names, json_string(l->v[i].pipeline));
        last = l->v[i].pipeline;
    }
    df_json_array_sort(names, by_name);
    return names;
}

/* "'a', 'b', 'c'": pipeline_list as text. */
static char *pipeline_names(const struct run_list *l, const char *run)
{
    struct strbuf sb = STRBUF_INIT;
    json_t *names = pipeline_list(l, run), *v;
    size_t i;
    json_array_foreach(names, i, v)
        sb_addf(&sb, "%s'%s'", sb.len ? ", " : "", json_string_value(v));
    json_decref(names);
    return sb_detach(&sb);
}

int df_run_pipelines(struct df_store *s, json_t **out, struct df_error *err)
{
    struct run_list l = {NULL, 0, 0};
    int rc = df_store_list(s, "", collect_run, &l, err);

    *out = NULL;
    if (rc == 0) /* a pipeline counts when one of its runs was not removed */
        *out = pipeline_list(&l, NULL);
    run_list_release(&l);
    return rc;
}

int df_run_resolve(struct df_store *s, const char *pipeline, const char *run, char **pipeline_out,
                   char **run_out, struct df_error *err)
{
    struct run_list l = {NULL, 0, 0};
    char *prefix = NULL, *best_started = NULL, *published = NULL;
    size_t best = (size_t)-1, removed = (size_t)-1;
    int want_published = !run || !strcmp(run, "published");
    int latest = want_published || !strcmp(run, "latest"), rc = -1, several = 0;

    *pipeline_out = *run_out = NULL;
    if (pipeline && !df_valid_pipeline_name(pipeline))
        return df_error_set(err, DF_EUSAGE, "'%s' is not a valid pipeline name", pipeline);
    if (!latest && !df_valid_run_id(run))
        return df_error_set(err, DF_EUSAGE, "'%s' is not a valid run id", run);
    if (pipeline && want_published) {
        /* The common case needs no listing: the published run, if its record is there. */
        json_t *rec = NULL;
        if (df_published_read(s, pipeline, &published, err) != 0)
            goto out;
        if (published && df_run_record_read(s, pipeline, published, &rec, err) != 0)
            goto out;
        if (rec) {
            json_decref(rec);
            *pipeline_out = xstrdup(pipeline);
            *run_out = published;
            published = NULL;
            rc = 0;
            goto out;
        }
        free(published);
        published = NULL;
    }
    prefix = pipeline ? df_key_runs(pipeline) : xstrdup("");
    if (df_store_list(s, prefix, collect_run, &l, err) != 0)
        goto out;
    /* Only one pipeline may be in play when none was named. Removed runs are not runs. */
    for (size_t i = 0; i < l.n; i++) {
        if (!latest && strcmp(l.v[i].run, run) != 0)
            continue;
        if (l.v[i].removed) {
            if (removed == (size_t)-1)
                removed = i;
            continue;
        }
        if (best != (size_t)-1 && strcmp(l.v[i].pipeline, l.v[best].pipeline) != 0)
            several = 1;
        if (best == (size_t)-1)
            best = i;
    }
    if (best == (size_t)-1) {
        if (latest && pipeline)
            df_error_set(err, DF_ENOTFOUND, "no runs of pipeline '%s' in store '%s'", pipeline,
                         s->uri);
        else if (latest)
            df_error_set(err, DF_ENOTFOUND, "no runs in store '%s'", s->uri);
        else if (removed != (size_t)-1)
            df_error_set(err, DF_EUSAGE,
                         "run '%s' of '%s' was removed from store '%s' (runs rm or gc): it "
                         "cannot be read, published or resumed; `duckflow gc` removes what "
                         "is left of it",
                         run, l.v[removed].pipeline, s->uri);
        else
            df_error_set(err, DF_ENOTFOUND, "run '%s' not found in store '%s'%s%s%s", run, s->uri,
                         pipeline ? " for pipeline '" : "", pipeline ? pipeline : "",
                         pipeline ? "'" : "");
        goto out;
    }
    if (several) {
        char *names = pipeline_names(&l, latest ? NULL : run);
        df_error_set(err, DF_EUSAGE,
                     "store '%s' holds several pipelines (%s): pick one with --pipeline", s->uri,
                     names);
        free(names);
        goto out;
    }
    if (want_published) {
        /* The run published.json names; a pipeline that never published one falls back
         * to its latest run, and says so. */
        if (df_published_read(s, l.v[best].pipeline, &published, err) != 0)
            goto out;
        if (published) {
            for (size_t i = 0; i < l.n; i++)
                if (!l.v[i].removed && !strcmp(l.v[i].pipeline, l.v[best].pipeline) &&
                    !strcmp(l.v[i].run, published)) {
                    *pipeline_out = xstrdup(l.v[i].pipeline);
                    *run_out = published;
                    published = NULL;
                    rc = 0;
                    goto out;
                }
            for (size_t i = 0; i < l.n; i++)
                if (l.v[i].removed && !strcmp(l.v[i].pipeline, l.v[best].pipeline) &&
                    !strcmp(l.v[i].run, published)) {
                    df_error_set(err, DF_EIO,
                                 "the published run '%s' of '%s' was removed from store '%s': "
                                 "publish another run (duckflow publish RUN)",
                                 published, l.v[best].pipeline, s->uri);
                    goto out;
                }
            df_error_set(err, DF_EIO, "the published run '%s' of '%s' is not in store '%s'",
                         published, l.v[best].pipeline, s->uri);
            goto out;
        }
    }
    if (latest) {
        /* The run whose record started last; runs without a record rank by id below it. */
        best = (size_t)-1;
        for (size_t i = 0; i < l.n; i++) {
            json_t *rec = NULL;
            char *started;
            int cmp;
            if (l.v[i].removed)
                continue;
            if (l.v[i].has_record &&
                df_run_record_read(s, l.v[i].pipeline, l.v[i].run, &rec, err) != 0)
                goto out;
            started = xstrdup(rec ? record_started(rec) : "");
            json_decref(rec);
            cmp = best == (size_t)-1 ? 1 : strcmp(started, best_started);
            if (cmp == 0)
                cmp = strcmp(l.v[i].run, l.v[best].run);
            if (cmp > 0) {
                free(best_started);
                best_started = started;
                best = i;
            } else {
                free(started);
            }
        }
        if (want_published && l.v[best].has_record) {
            /* Stores written before publishing existed hold succeeded runs and no
             * published.json: reading the latest is what they always did. Say so only when
             * that run did not succeed. */
            json_t *rec = NULL;
            const char *st;
            if (df_run_record_read(s, l.v[best].pipeline, l.v[best].run, &rec, err) != 0)
                goto out;
            st = json_string_value(json_object_get(rec, "status"));
            if (!st || strcmp(st, "succeeded") != 0)
                fprintf(stderr,
                        "duckflow: pipeline '%s' has no published run; reading its latest "
                        "run '%s' (%s)\n",
                        l.v[best].pipeline, l.v[best].run, st ? st : "no status");
            json_decref(rec);
        }
    }
    *pipeline_out = xstrdup(l.v[best].pipeline);
    *run_out = xstrdup(l.v[best].run);
    rc = 0;
out:
    free(published);
    free(best_started);
    free(prefix);
    run_list_release(&l);
    return rc;
}

int df_run_removed(struct df_store *s, const char *pipeline, const char *run, int *removed,
                   struct df_error *err)
{
    char *run_key = df_key_run(pipeline, run), *key = xasprintf("%s/%s", run_key, DF_RUN_TOMBSTONE);
    char *data = NULL;
    size_t len = 0;
    int rc = 0;

    *removed = 0;
    if (df_store_get_bytes(s, key, 4096, &data, &len, err) == 0)
        *removed = 1;
    else if (err->code == DF_ENOTFOUND)
        df_error_clear(err);
    else
        rc = -1;
    free(data);
    free(key);
    free(run_key);
    return rc;
}
