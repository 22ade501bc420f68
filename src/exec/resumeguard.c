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
#include "store/caps.h"
#include "store/layout.h"
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

/* A dynamic step's stored list only: computing one would write it. */
static int stored_items(void *ctx, const struct df_pipeline *p, size_t step, json_t **items,
                        struct df_error *err)
{
    struct guard *g = ctx;
    char *key = df_key_items(p->name, g->run, p->steps[step].name), *data = NULL;
    size_t len = 0;
    int rc = df_store_get_bytes(g->store, key, DF_CAP_ITEMS, &data, &len, err);

    free(key);
    if (rc != 0)
        return -1;
    *items = json_loadb(data, len, 0, NULL);
    free(data);
    if (!json_is_array(*items)) {
        json_decref(*items);
        *items = NULL;
        return df_error_set(err, DF_EIO, "step '%s': stored items are not a list",
                            p->steps[step].name);
    }
    return 0;
}

/* Why resuming would change committed task (s, i), or NULL when it is kept. */
static const char *task_change(struct guard *g, size_t s, size_t i, int rerun,
                               const struct df_cache_src *src)
{
    struct df_error e = DF_ERROR_INIT;
    struct df_cache_key k;
    char ikey[DF_ITEM_KEY_MAX];
    json_t *own = NULL, *okj;
    const char *why = NULL;

    df_item_key(i, ikey);
    if (df_manifest_read(g->store, g->p->name, g->run, g->p->steps[s].name, ikey, &own, &e) != 0)
        return NULL; /* not committed: nothing to lose */
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
        if (df_plan_items(p, s, &res, &g.items[s], &e) != 0) {
            df_error_clear(&e);
            g.items[s] = NULL;
            continue;
        }
        if (selected && !selected[s])
            continue;
        for (size_t i = 0; i < json_array_size(g.items[s]); i++) {
            const char *why = task_change(&g, s, i, rerun && rerun[s], &src);
            if (why) {
                rc = df_error_set(err, DF_EUSAGE,
                                  "cannot resume run '%s': it is the published run of '%s', and "
                                  "task %s[%zu] would run again (%s); start a new run instead "
                                  "('duckflow run %s' reuses unchanged tasks through the cache)",
                                  run, p->name, p->steps[s].name, i, why,
                                  p->path ? p->path : p->name);
                break;
            }
        }
    }
    for (size_t s = 0; s < p->n_steps; s++)
        json_decref(g.items[s]);
    free(g.items);
    return rc;
}
