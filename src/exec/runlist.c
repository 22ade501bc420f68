/*
 * runlist.c - runs without a run.json, and task counts by state (see runlist.h).
 */
#include "exec/runlist.h"

#include <stdlib.h>
#include <string.h>

#include "exec/retention.h"
#include "store/layout.h"
#include "util/strbuf.h"
#include "util/banned.h"

struct step_run {
    char *pipeline, *run;
    int has_record, removed;
    long long done, failed;
    char *last_task; /* "<step>/<item>" of the last _error.json seen, to count tasks once */
};

struct scan {
    struct step_run *v;
    size_t n, alloc;
};

static int collect(const char *key, uint64_t size, void *ud)
{
    struct scan *sc = ud;
    const char *r, *rest;
    struct step_run *cur;
    size_t pn, rn;
    (void)size;

    if (!df_key_split_run(key, &pn, &r, &rn, &rest))
        return 0;
    cur = sc->n ? &sc->v[sc->n - 1] : NULL;
    if (!cur || strlen(cur->pipeline) != pn || strncmp(cur->pipeline, key, pn) ||
        strlen(cur->run) != rn || strncmp(cur->run, r, rn)) {
        if (sc->n == sc->alloc) {
            sc->alloc = sc->alloc ? 2 * sc->alloc : 16;
            sc->v = xrealloc(sc->v, sc->alloc * sizeof(*sc->v));
        }
        cur = &sc->v[sc->n++];
        memset(cur, 0, sizeof(*cur));
        cur->pipeline = xstrndup(key, pn);
        cur->run = xstrndup(r, rn);
    }
    if (!strcmp(rest, "run.json")) {
        cur->has_record = 1;
        return 0;
    }
    if (!strcmp(rest, DF_RUN_TOMBSTONE)) {
        cur->removed = 1; /* what `runs rm` kept of a removed run: not a run any more */
        return 0;
    }
    /* <step>/<item>/_manifest.json, <step>/<item>/<attempt>/_error.json */
    {
        const char *s1 = strchr(rest, '/'), *s2 = s1 ? strchr(s1 + 1, '/') : NULL;
        if (!s1 || !s2)
            return 0;
        if (!strcmp(s2, "/_manifest.json")) {
            cur->done++;
            /* a manifest after errors of the same task: it succeeded in the end */
            if (cur->last_task && strlen(cur->last_task) == (size_t)(s2 - rest) &&
                !strncmp(cur->last_task, rest, (size_t)(s2 - rest)))
                cur->failed--;
            free(cur->last_task);
            cur->last_task = NULL;
        } else if (strlen(s2) > 12 && !strcmp(s2 + strlen(s2) - 12, "/_error.json")) {
            if (!cur->last_task || strlen(cur->last_task) != (size_t)(s2 - rest) ||
                strncmp(cur->last_task, rest, (size_t)(s2 - rest))) {
                free(cur->last_task);
                cur->last_task = xstrndup(rest, (size_t)(s2 - rest));
                cur->failed++;
            }
        }
    }
    return 0;
}

static int by_id(const void *a, const void *b)
{
    const struct step_run *x = a, *y = b;
    int c = strcmp(x->pipeline, y->pipeline);
    return c ? c : strcmp(x->run, y->run);
}

int runlist_add_step_runs(struct df_store *s, const char *pipeline, json_t *runs,
                          struct df_error *err)
{
    struct scan sc = {NULL, 0, 0};
    char *prefix = pipeline ? df_key_runs(pipeline) : xstrdup("");
    int rc = df_store_list(s, prefix, collect, &sc, err);

    if (rc == 0 && sc.n > 1)
        qsort(sc.v, sc.n, sizeof(*sc.v), by_id);
    for (size_t i = 0; i < sc.n; i++) {
        struct step_run *r = &sc.v[i];
        if (rc == 0 && !r->has_record && !r->removed && (r->done || r->failed))
            json_array_append_new(runs, json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}", "pipeline",
                                                  r->pipeline, "run", r->run, "status", "steps",
                                                  "tasks_done", (json_int_t)r->done, "tasks_failed",
                                                  (json_int_t)r->failed, "tasks_total",
                                                  (json_int_t)(r->done + r->failed)));
        free(r->pipeline);
        free(r->run);
        free(r->last_task);
    }
    free(sc.v);
    free(prefix);
    return rc;
}

void runlist_counts(json_t *rec, struct run_counts *c)
{
    json_t *tasks = json_object_get(rec, "tasks"), *t;
    size_t i;

    memset(c, 0, sizeof(*c));
    c->total = json_integer_value(json_object_get(rec, "tasks_total"));
    if (!json_is_array(tasks)) {
        /* a step-made run, or a record without tasks */
        c->done = json_integer_value(json_object_get(rec, "tasks_done"));
        c->failed = json_integer_value(json_object_get(rec, "tasks_failed"));
        return;
    }
    c->total = 0;
    json_array_foreach(tasks, i, t)
    {
        const char *st = json_string_value(json_object_get(t, "state"));
        c->total++;
        if (!st)
            continue;
        if (!strcmp(st, "done"))
            c->done++;
        else if (!strcmp(st, "failed"))
            c->failed++;
        else if (!strcmp(st, "interrupted") &&
                 json_integer_value(json_object_get(t, "attempts")) > 0)
            c->interrupted++;
        else if (!strcmp(st, "running") || !strcmp(st, "retrying"))
            c->running++;
        else
            c->not_run++; /* upstream_failed, waiting, interrupted before it started */
    }
}
