/*
 * reuse.c - the executor's side of content-addressed tasks (see reuse.h): keep, reuse or
 * run; the executor's memo of committed manifests that key computations read; partial
 * runs' --from; a resumed run's recorded params.
 */
#include "exec/reuse.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "dag/plan.h"
#include "engine/cache.h"
#include "exec/runrec.h"
#include "store/caps.h"
#include "store/layout.h"
#include "store/manifest.h"
#include "util/strbuf.h"
#include "util/banned.h"

struct reuse {
    const struct df_pipeline *p;
    struct df_store *store;
    const char *run;
    json_t *const *items;
    int resume, no_cache;
    const unsigned char *rerun;
    json_t **memo; /* per step: object item_key -> committed manifest */
};

struct reuse *reuse_new(const struct df_pipeline *p, struct df_store *store, const char *run,
                        json_t *const *items, int resume, int no_cache, const unsigned char *rerun)
{
    struct reuse *r = xcalloc(1, sizeof(*r));
    r->p = p;
    r->store = store;
    r->run = run;
    r->items = items;
    r->resume = resume;
    r->no_cache = no_cache;
    r->rerun = rerun;
    r->memo = xcalloc(p->n_steps ? p->n_steps : 1, sizeof(*r->memo));
    for (size_t s = 0; s < p->n_steps; s++)
        r->memo[s] = json_object();
    return r;
}

void reuse_free(struct reuse *r)
{
    if (!r)
        return;
    for (size_t s = 0; s < r->p->n_steps; s++)
        json_decref(r->memo[s]);
    free(r->memo);
    free(r);
}

static void remember(struct reuse *r, size_t step, size_t item, json_t *m)
{
    char key[DF_ITEM_KEY_MAX];
    df_item_key(item, key);
    if (m)
        json_object_set(r->memo[step], key, m);
    else
        json_object_del(r->memo[step], key);
}

/* ---- where key computations find upstream manifests ----------------------------------- */

static int memo_task(void *ud, size_t step, size_t item, json_t **m, struct df_error *err)
{
    struct reuse *r = ud;
    char key[DF_ITEM_KEY_MAX];
    json_t *v;

    df_item_key(item, key);
    if ((v = json_object_get(r->memo[step], key)) != NULL) {
        *m = json_incref(v);
        return 0;
    }
    if (df_manifest_read(r->store, r->p->name, r->run, r->p->steps[step].name, key, m, err) != 0)
        return -1;
    json_object_set(r->memo[step], key, *m);
    return 0;
}

static int memo_step(void *ud, size_t step, json_t **ms, struct df_error *err)
{
    struct reuse *r = ud;
    size_t n;

    if (!r->items[step])
        return df_error_set(err, DF_EFAIL, "step '%s' is not planned", r->p->steps[step].name);
    n = json_array_size(r->items[step]);
    *ms = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *m = NULL;
        if (memo_task(r, step, i, &m, err) != 0) {
            json_decref(*ms);
            *ms = NULL;
            if (err->code == DF_ENOTFOUND) {
                df_error_clear(err);
                df_error_set(err, DF_EFAIL, "step '%s' item %zu has not committed",
                             r->p->steps[step].name, i);
            }
            return -1;
        }
        json_array_append_new(*ms, m);
    }
    return 0;
}

/* ---- decide --------------------------------------------------------------------------- */

void reuse_decision_release(struct reuse_decision *d)
{
    free(d->from_run);
    free(d->warning);
    json_decref(d->manifest);
    memset(d, 0, sizeof(*d));
}

/* Adds a line to d's warning (printed by the executor as "duckflow: warning: ..."). */
static void add_warning(struct reuse_decision *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void add_warning(struct reuse_decision *d, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;
    if (d->warning) {
        sb_adds(&sb, d->warning);
        sb_adds(&sb, "; ");
        free(d->warning);
    }
    va_start(ap, fmt);
    sb_vaddf(&sb, fmt, ap);
    va_end(ap);
    d->warning = sb_detach(&sb);
}

/* Removes the task's manifest of this run (own): it is stale, and nothing stale stays
 * visible while the task runs again. The cache entry of its key goes too when it names
 * this manifest: should the task now fail, a later lookup of that key (the SQL edited
 * back) is a plain miss, not a warning that the entry "points at a missing manifest". */
static void drop_manifest(struct reuse *r, size_t step, const char *ikey, json_t *own,
                          struct reuse_decision *d)
{
    struct df_error e = DF_ERROR_INIT;
    char *k = df_key_manifest(r->p->name, r->run, r->p->steps[step].name, ikey);
    const char *ck = json_string_value(json_object_get(own, "cache_key"));
    if (df_store_remove(r->store, k, &e) != 0 && e.code != DF_ENOTFOUND)
        add_warning(d,
                    "cannot remove the stale manifest '%s' before its task runs again (%s): "
                    "until the task commits, readers of the run still see it",
                    k, e.msg);
    df_error_clear(&e);
    if (ck && !json_is_string(json_object_get(own, "reused_from_run"))) {
        char *ekey = df_cache_entry_key(r->p->name, ck), *data = NULL;
        size_t len = 0;
        if (df_store_get_bytes(r->store, ekey, DF_CAP_CACHE_ENTRY, &data, &len, &e) == 0) {
            json_t *entry = json_loadb(data, len, 0, NULL);
            const char *named = json_string_value(json_object_get(entry, "manifest"));
            if (named && !strcmp(named, k))
                df_store_remove(r->store, ekey, &e);
            json_decref(entry);
        }
        df_error_clear(&e);
        free(data);
        free(ekey);
    }
    free(k);
}

void reuse_decide(struct reuse *r, size_t step, size_t item_index, struct reuse_decision *d)
{
    struct df_cache_src src = {memo_task, memo_step, r, NULL};
    struct df_cache_key k;
    struct df_error e = DF_ERROR_INIT;
    json_t *item = json_array_get(r->items[step], item_index), *own = NULL, *source = NULL;
    char ikey[DF_ITEM_KEY_MAX];
    int rerun = r->rerun && r->rerun[step];

    memset(d, 0, sizeof(*d));
    d->verdict = REUSE_RUN;
    df_item_key(item_index, ikey);
    remember(r, step, item_index, NULL);
    if (r->resume &&
        df_manifest_read(r->store, r->p->name, r->run, r->p->steps[step].name, ikey, &own, &e) != 0)
        own = NULL;
    df_error_clear(&e);
    if (rerun) {
        if (own) {
            d->reason = "--rerun";
            drop_manifest(r, step, ikey, own, d);
        }
        json_decref(own);
        return;
    }
    if (df_cache_key_compute(r->p, step, item_index, item, r->store, r->run, &src, &k, &e) != 0) {
        /* The task finds out for itself (and says so) when it runs. */
        json_decref(own);
        return;
    }
    if (own) {
        json_t *okj = json_object_get(own, "cache_key");
        const char *ok = json_string_value(okj);
        /* A manifest without a key (not written by a task) cannot be checked: kept. One
         * whose task could not compute its key (null) cannot be trusted: rerun. */
        if (!okj || (ok && !strcmp(ok, k.key))) {
            d->verdict = REUSE_KEPT;
            d->manifest = own;
            remember(r, step, item_index, own);
            df_cache_key_release(&k);
            return;
        }
        d->reason = ok ? df_cache_stale_reason(own, &k) : "its cache key was unknown";
        drop_manifest(r, step, ikey, own, d);
        json_decref(own);
    }
    if (r->no_cache) {
        /* nothing to look up */
    } else if (df_cache_lookup(r->store, r->p, k.key, &source, &d->warning, &e) != 0) {
        /* The task runs (a miss costs time, not correctness), and not in silence. */
        add_warning(d, "cannot look up the cache: %s: running the task", e.msg);
        df_error_clear(&e);
    } else if (source) {
        json_t *m = NULL;
        if (df_cache_reuse(r->store, r->p, r->run, step, item_index, item, source, &k, &m, &e) ==
            0) {
            const char *from = json_string_value(json_object_get(m, "reused_from_run"));
            d->verdict = REUSE_HIT;
            d->from_run = xstrdup(from ? from : "?");
            d->manifest = m;
            remember(r, step, item_index, m);
        } else {
            add_warning(d, "cannot reuse the cached task: %s: running the task", e.msg);
            df_error_clear(&e);
        }
        json_decref(source);
    }
    df_cache_key_release(&k);
}

int reuse_from_run(struct reuse *r, const char *from, size_t step, size_t item_index,
                   json_t **manifest, struct df_error *err)
{
    struct df_cache_src src = {memo_task, memo_step, r, NULL};
    struct df_cache_key k;
    struct df_error e = DF_ERROR_INIT;
    json_t *item = json_array_get(r->items[step], item_index), *source = NULL;
    char ikey[DF_ITEM_KEY_MAX];
    int have_key, rc;

    *manifest = NULL;
    df_item_key(item_index, ikey);
    if (df_manifest_read(r->store, r->p->name, from, r->p->steps[step].name, ikey, &source, err) !=
        0)
        return -1;
    have_key =
        df_cache_key_compute(r->p, step, item_index, item, r->store, r->run, &src, &k, &e) == 0;
    rc = df_cache_reuse(r->store, r->p, r->run, step, item_index, item, source,
                        have_key ? &k : NULL, manifest, err);
    if (rc == 0)
        remember(r, step, item_index, *manifest);
    if (have_key)
        df_cache_key_release(&k);
    json_decref(source);
    return rc;
}

int reuse_copy_items(struct reuse *r, const char *from, size_t step, struct df_error *err)
{
    char *src = df_key_items(r->p->name, from, r->p->steps[step].name);
    char *dst = df_key_items(r->p->name, r->run, r->p->steps[step].name);
    char *data = NULL;
    size_t len = 0;
    int rc = df_store_get_bytes(r->store, src, DF_CAP_ITEMS, &data, &len, err);

    if (rc == 0)
        rc = df_store_put_bytes(r->store, dst, data, len, err);
    else if (err->code == DF_ENOTFOUND) {
        df_error_clear(err);
        rc = 0;
    }
    free(data);
    free(src);
    free(dst);
    return rc;
}

/* ---- --resume: the recorded params ---------------------------------------------------- */

/* The text --param would take for a JSON value. */
static char *param_text(json_t *v)
{
    if (json_is_string(v))
        return xstrdup(json_string_value(v));
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

int reuse_resume_params(const char *path, struct df_store *store, const char *resume,
                        const struct df_param_override *given, size_t n_given,
                        struct df_pipeline **p, char ***args, size_t *n_args, struct df_error *err)
{
    struct df_error e = DF_ERROR_INIT;
    char run[128];
    char *key, *data = NULL;
    size_t len = 0, n = 0;
    json_t *rec, *params, *v;
    struct df_param_override *ov;
    struct df_pipeline *np = NULL;
    const char *k;
    int rc = 0;

    *args = NULL;
    *n_args = 0;
    if (!strcmp(resume, "latest")) {
        json_t *runs = NULL;
        const char *last;
        if (runrec_list(store, (*p)->name, &runs, &e) != 0) {
            if (e.code == DF_ENOTFOUND)
                return 0; /* no run: the executor says so */
            *err = e;
            df_error_prefix(err, "cannot resume the latest run of '%s'", (*p)->name);
            return -1;
        }
        last = json_string_value(
            json_object_get(json_array_get(runs, json_array_size(runs) - 1), "run"));
        snprintf(run, sizeof(run), "%s", last ? last : "");
        json_decref(runs);
    } else {
        snprintf(run, sizeof(run), "%s", resume);
    }
    if (!run[0] || !df_valid_run_id(run))
        return 0;
    key = df_key_run_json((*p)->name, run);
    if (df_store_get_bytes(store, key, DF_CAP_RUN_JSON, &data, &len, &e) != 0) {
        free(key);
        if (e.code == DF_ENOTFOUND)
            return 0; /* no such run: the executor says so */
        /* Unread, the run's params would silently become the pipeline's defaults. */
        *err = e;
        df_error_prefix(err, "cannot resume run '%s'", run);
        return -1;
    }
    free(key);
    rec = json_loadb(data, len, 0, NULL);
    free(data);
    params = json_object_get(rec, "params");
    if (!json_is_object(params)) {
        json_decref(rec);
        return 0;
    }
    /* A --param must say what the run already has. */
    for (size_t i = 0; i < n_given; i++) {
        json_t *was = json_object_get(params, given[i].key);
        json_t *now = json_object_get((*p)->params, given[i].key);
        if (was && now && !json_equal(was, now)) {
            char *a = param_text(was);
            rc = df_error_set(err, DF_EUSAGE,
                              "--param %s=%s: run '%s' was started with %s=%s, and a resumed run "
                              "keeps its params; start a new run instead (it reuses what it can "
                              "through the cache)",
                              given[i].key, given[i].value, run, given[i].key, a);
            free(a);
            json_decref(rec);
            return rc;
        }
    }
    ov = xcalloc(json_object_size(params) + 1, sizeof(*ov));
    *args = xcalloc(json_object_size(params) + 1, sizeof(**args));
    json_object_foreach(params, k, v)
    {
        char *text;
        if (!json_object_get((*p)->params, k))
            continue; /* the pipeline no longer has it */
        text = param_text(v);
        (*args)[n] = xasprintf("%s=%s", k, text);
        ov[n].key = k;
        ov[n].value = strchr((*args)[n], '=') + 1;
        free(text);
        n++;
    }
    *n_args = n;
    if (df_pipeline_load(path, ov, n, &np, err) != 0) {
        df_error_prefix(err, "cannot load the pipeline with the params of run '%s'", run);
        rc = -1;
    } else {
        df_pipeline_free(*p);
        *p = np;
    }
    free(ov);
    json_decref(rec);
    return rc;
}
