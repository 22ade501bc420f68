/*
 * resumeguard.c - refuses a resume that would change the published run (see
 * resumeguard.h). It computes, read-only, the key of every committed task of the run the
 * way the executor's reuse_decide() will, from the committed manifests upstream.
 */
#include "exec/resumeguard.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "dag/plan.h"
#include "engine/cache.h"
#include "engine/items.h"
#include "store/manifest.h"
#include "store/publish.h"
#include "util/strbuf.h"
#include "util/banned.h"

struct guard {
    const struct df_pipeline *p;
    struct df_store *store;
    const char *run;
    json_t **items; /* per step, NULL when not known without changing the store */
};

static int task_manifest(void *ud, size_t step, size_t item, json_t **m, struct df_error *err)
{
    struct guard *g = ud;
    char key[DF_ITEM_KEY_MAX];

    df_item_key(item, key);
    return df_manifest_read(g->store, g->p->name, g->run, g->p->steps[step].name, key, m, err);
}

static int step_manifests(void *ud, size_t step, json_t **ms, struct df_error *err)
{
    struct guard *g = ud;

    if (!g->items[step])
        return df_error_set(err, DF_EFAIL, "step '%s' is not planned", g->p->steps[step].name);
    *ms = json_array();
    for (size_t i = 0; i < json_array_size(g->items[step]); i++) {
        json_t *m = NULL;
        if (task_manifest(g, step, i, &m, err) != 0) {
            json_decref(*ms);
            *ms = NULL;
            return -1;
        }
        json_array_append_new(*ms, m);
    }
    return 0;
}

/* A dynamic step's stored list; when there is none (removed, as a damaged one must be),
 * the list the resume would plan, computed without writing it (engine/items.h): should
 * that fail, so would the resume's planning, and the published run be recorded failed. */
static int stored_items(void *ctx, const struct df_pipeline *p, size_t step, json_t **items,
                        struct df_error *err)
{
    struct guard *g = ctx;
    return df_items_stored_or_computed(p, step, g->store, g->run, items, err);
}

/* How many tasks of step s the run has committed (its manifests), or -1 when the store
 * cannot tell. */
static long committed_tasks(struct guard *g, size_t s)
{
    struct df_error e = DF_ERROR_INIT;
    json_t *ms = NULL;
    long n = -1;

    if (df_manifest_list_step(g->store, g->p->name, g->run, g->p->steps[s].name, &ms, &e) == 0)
        n = (long)json_array_size(ms);
    df_error_clear(&e);
    json_decref(ms);
    return n;
}

/* Why resuming would change committed task (s, i), or NULL when it is kept. */
static const char *task_change(struct guard *g, size_t s, size_t i, int rerun,
                               const struct df_cache_src *src, int *committed)
{
    struct df_error e = DF_ERROR_INIT;
    struct df_cache_key k;
    char ikey[DF_ITEM_KEY_MAX];
    json_t *own = NULL, *okj;
    const char *why = NULL;

    df_item_key(i, ikey);
    *committed = 0;
    if (df_manifest_read(g->store, g->p->name, g->run, g->p->steps[s].name, ikey, &own, &e) != 0) {
        /* Not committed: nothing to lose, unless the store could not tell. */
        *committed = e.code == DF_ENOTFOUND ? 0 : -1;
        df_error_clear(&e);
        return NULL;
    }
    *committed = 1;
    okj = json_object_get(own, "cache_key");
    if (rerun) {
        why = "--rerun runs it again";
    } else if (okj && df_cache_key_compute(g->p, s, i, json_array_get(g->items[s], i), g->store,
                                           g->run, src, &k, &e) == 0) {
        const char *ok = json_string_value(okj);
        if (!ok)
            why = "its cache key was unknown";
        else if (strcmp(ok, k.key) != 0)
            why = df_cache_stale_reason(own, &k);
        df_cache_key_release(&k);
    }
    df_error_clear(&e);
    json_decref(own);
    return why;
}

int resume_guard_published(const struct df_pipeline *p, struct df_store *store, const char *run,
                           const unsigned char *selected, const unsigned char *rerun,
                           struct df_error *err)
{
    struct df_error e = DF_ERROR_INIT;
    struct guard g = {p, store, run, NULL};
    struct df_items_resolver res = {stored_items, &g};
    struct df_cache_src src = {task_manifest, step_manifests, &g, NULL};
    char *published = NULL;
    char why[sizeof(e.msg) + 256];
    int rc = 0;

    if (df_published_read(store, p->name, &published, &e) != 0 || !published ||
        strcmp(published, run) != 0) {
        df_error_clear(&e);
        free(published);
        return 0; /* not the published run (or no telling): the run decides */
    }
    free(published);
    g.items = xcalloc(p->n_steps ? p->n_steps : 1, sizeof(*g.items));
    for (size_t k = 0; k < p->n_steps && rc == 0; k++) {
        size_t s = p->order[k];
        size_t n;
        long have;
        why[0] = '\0';
        if (df_plan_items(p, s, &res, &g.items[s], &e) != 0) {
            /* The resume's planning would fail, and the run be recorded failed. */
            if (!selected || selected[s])
                snprintf(why, sizeof(why), "step '%s' cannot be planned (%s)", p->steps[s].name,
                         e.msg);
            df_error_clear(&e);
            g.items[s] = NULL;
        } else if (!selected || selected[s]) {
            n = json_array_size(g.items[s]);
            for (size_t i = 0; i < n && !why[0]; i++) {
                int committed;
                const char *change = task_change(&g, s, i, rerun && rerun[s], &src, &committed);
                if (change)
                    snprintf(why, sizeof(why), "task %s[%zu] would run again (%s)",
                             p->steps[s].name, i, change);
                else if (committed == 0)
                    snprintf(why, sizeof(why),
                             "task %s[%zu] would run (the run has not committed it)",
                             p->steps[s].name, i);
            }
            if (!why[0] && (have = committed_tasks(&g, s)) > (long)n)
                snprintf(why, sizeof(why),
                         "step '%s' would drop %ld of its %ld committed tasks (it plans %zu now)",
                         p->steps[s].name, have - (long)n, have, n);
        }
        if (why[0])
            rc = df_error_set(err, DF_EUSAGE,
                              "cannot resume run '%s': it is the published run of '%s', and %s; "
                              "start a new run instead ('duckflow run %s' reuses unchanged tasks "
                              "through the cache)",
                              run, p->name, why, p->path ? p->path : p->name);
    }
    for (size_t s = 0; s < p->n_steps; s++)
        json_decref(g.items[s]);
    free(g.items);
    return rc;
}
