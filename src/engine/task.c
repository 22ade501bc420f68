/*
 * task.c - the lifecycle of one task in this process (see task.h): resolve the item, size
 * and open DuckDB, set variables, create the input views (task_inputs.c), run the SQL and
 * the checks, write every output (task_outputs.c) under a fresh attempt folder in its own
 * scratch folder (task_scratch.c), compute the cache key and commit the manifest last. A
 * failure leaves <attempt>/_error.json (record_error_json) and no manifest.
 */
#include "engine/task.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dag/plan.h"
#include "engine/cache.h"
#include "engine/committed.h"
#include "engine/duck.h"
#include "engine/checks.h"
#include "engine/scratch.h"
#include "engine/sizing.h"
#include "engine/task_internal.h"
#include "store/layout.h"
#include "store/manifest.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/strbuf.h"
#include "util/timeutil.h"
#include "util/banned.h"

/* df_task_interrupt(): the flag, and the connection of the task running in this process. */
static pthread_mutex_t active_lock = PTHREAD_MUTEX_INITIALIZER;
static duckdb_connection active_con;
static atomic_int interrupted;

void df_task_interrupt(void)
{
    pthread_mutex_lock(&active_lock);
    atomic_store(&interrupted, 1);
    if (active_con)
        duckdb_interrupt(active_con);
    pthread_mutex_unlock(&active_lock);
}

static void set_active(duckdb_connection con)
{
    pthread_mutex_lock(&active_lock);
    active_con = con;
    pthread_mutex_unlock(&active_lock);
}

/* ---- checks ---------------------------------------------------------------------------- */

static int run_checks(struct task *t, struct df_error *err)
{
    enum df_exit_class cls = DF_CLASS_OK;
    char who[160];
    snprintf(who, sizeof(who), "step '%s' item %zu", t->s->name, t->o->item_index);
    if (df_checks_run(&t->duck, t->p, t->s, who, &t->checks, &cls, err) != 0)
        return set_failure_class(t, cls);
    return 0;
}

/* ---- the task -------------------------------------------------------------------------- */

/* Fails with DF_CLASS_INTERRUPTED once df_task_interrupt() was called. */
static int check_interrupt(struct task *t, struct df_error *err)
{
    if (!atomic_load(&interrupted))
        return 0;
    df_error_clear(err);
    df_error_set(err, DF_EFAIL, "interrupted");
    t->cls = DF_CLASS_INTERRUPTED;
    return -1;
}

static int resolve_item(struct task *t, struct df_error *err)
{
    if (df_plan_items(t->p, t->o->step, t->o->items, &t->items, err) != 0)
        return set_failure_class(t, err->code == DF_EIO      ? DF_CLASS_STORE_ERROR
                                    : err->code == DF_EUSAGE ? DF_CLASS_USAGE
                                                             : DF_CLASS_UPSTREAM);
    if (t->o->item_index >= json_array_size(t->items)) {
        df_error_set(err, DF_EUSAGE, "no item %zu (the step has %zu)", t->o->item_index,
                     json_array_size(t->items));
        return set_failure_class(t, DF_CLASS_USAGE);
    }
    t->item = json_array_get(t->items, t->o->item_index);
    df_item_key(t->o->item_index, t->item_key);
    return 0;
}

/* memory_limit, threads and the spill budget for this task. */
static void size_task(struct task *t)
{
    struct df_host_limits h;
    const char *root = getenv("DUCKFLOW_CGROUP_ROOT");
    const char *slots_env = getenv("DUCKFLOW_TASK_SLOTS");
    long slots = slots_env ? strtol(slots_env, NULL, 10) : 1;
    int64_t free_bytes;

    if (slots < 1)
        slots = 1;
    df_host_limits_read(root && *root ? root : "/sys/fs/cgroup", "/proc/self/cgroup", &h);
    t->memory_limit = t->s->limits.memory_limit;
    if (!t->memory_limit)
        t->memory_limit = df_sizing_memory_limit(h.memory / (uint64_t)slots);
    t->threads = t->s->limits.threads;
    if (!t->threads) {
        t->threads = h.cpus / (int)slots;
        if (t->threads < 1)
            t->threads = 1;
    }
    if (t->o->threads_override > 0)
        t->threads = t->o->threads_override;
    free_bytes = fs_free_bytes(t->scratch);
    free_bytes = df_scratch_cap(free_bytes, t->s->limits.scratch, t->scratch);
    t->scratch_size = df_scratch_size(t->s->limits.scratch);
    t->max_temp = df_sizing_spill_budget(free_bytes > 0 ? (uint64_t)free_bytes : 0);
    /* DuckDB reads 0 as "no room": spilling then fails as spill_full, which a retry
     * elsewhere may fix. */
    if (t->max_temp == 0)
        t->max_temp = 1;
}

static int open_duck(struct task *t, struct df_error *err)
{
    struct df_duck_config cfg = DF_DUCK_CONFIG_INIT;
    const char *k;
    json_t *v;

    cfg.memory_limit = t->memory_limit;
    cfg.threads = t->threads;
    cfg.temp_dir = t->spill_dir;
    cfg.max_temp_size = t->max_temp;
    cfg.keep_order = 0;
    if (df_duck_open(&t->duck, &cfg, err) != 0)
        return set_failure_class(t, DF_CLASS_CRASH);
    /* Only the variables the step reads (engine/cache.h): each costs a statement. */
    json_t *read = df_cache_vars_read(t->s);
    int rc = 0;
    json_object_foreach(t->p->params, k, v)
    {
        if ((!read || json_object_get(read, k)) &&
            (rc = df_duck_set_variable(&t->duck, k, v, err)) != 0)
            break;
    }
    if (rc == 0 && (!read || json_object_get(read, "item")))
        rc = df_duck_set_variable(&t->duck, "item", t->item, err);
    if (rc == 0 && (!read || json_object_get(read, "item_index"))) {
        json_t *idx = json_integer((json_int_t)t->o->item_index);
        rc = df_duck_set_variable(&t->duck, "item_index", idx, err);
        json_decref(idx);
    }
    json_decref(read);
    return rc != 0 ? set_failure_class(t, DF_CLASS_SQL_ERROR) : 0;
}

/* Writes <attempt>/_error.json, what tells the executor a sql_error from a check_failed
 * (both exit 1). 0, or -1 with e2 saying why it could not be written. */
static int record_error_json(struct task *t, const struct df_error *err, struct df_error *e2)
{
    json_t *j;
    char *text, *key;
    int rc = -1;

    if (!t->attempt_key || !t->s)
        return 0;
    j = json_object();
    json_object_set_new(j, "class", json_string(df_exit_class_name(t->cls)));
    json_object_set_new(j, "message", json_string(err->msg));
    json_object_set_new(j, "attempt", json_integer(t->o->attempt));
    json_object_set_new(j, "attempt_dir", json_string(t->attempt_dir));
    json_object_set_new(j, "step", json_string(t->s->name));
    json_object_set_new(j, "item_index", json_integer((json_int_t)t->o->item_index));
    /* What `_run.checks` shows of a task that failed (query/failchecks.h). */
    if (t->item)
        json_object_set(j, "item", t->item);
    if (t->checks && json_array_size(t->checks))
        json_object_set(j, "checks", t->checks);
    text = json_dumps(j, JSON_COMPACT);
    key = xasprintf("%s/_error.json", t->attempt_key);
    if (!text)
        df_error_set(e2, DF_EIO, "cannot encode '%s'", key);
    else
        rc = df_store_put_bytes(t->store, key, text, strlen(text), e2);
    free(key);
    free(text);
    json_decref(j);
    return rc;
}

/* When the task's steps began and ended (df_now_ms), for the manifest's timings_ms. */
struct task_times {
    int64_t t0, start, inputs, sql, checks, write, total;
};

/* The task's cache key into *ck (*have_key: it could be computed); a task the run has
 * committed already (engine/committed.h): 1 when it is done, -1 (err) when refused; then,
 * unless --no-cache, the earlier run's files reused when the cache has the key: 1 (a
 * manifest that lists them is committed, the task is done), else 0 and the task runs. */
static int cache_hit(struct task *t, struct df_cache_key *ck, int *have_key, struct df_error *err)
{
    const struct df_task_opts *o = t->o;
    struct df_error ke = DF_ERROR_INIT;
    json_t *src = NULL;
    char *warn = NULL;
    struct df_cache_src ksrc = {NULL, NULL, NULL, o->items};
    int hit;

    *have_key = df_cache_key_compute(t->p, o->step, o->item_index, t->item, t->store, o->run_id,
                                     &ksrc, ck, &ke) == 0;
    if ((hit = df_task_committed(t->p, t->store, o->run_id, o->step, o->item_index,
                                 *have_key ? ck->key : NULL, o->no_cache, err)) != 0)
        return hit < 0 ? set_failure_class(t, DF_CLASS_USAGE) : 1;
    hit = 0;
    if (*have_key && !o->no_cache) {
        /* A store error here costs a run of the task, and is said (not dropped). */
        if (df_cache_lookup(t->store, t->p, ck->key, &src, &warn, &ke) != 0)
            fprintf(stderr, "duckflow: warning: cannot look up the cache: %s: running the task\n",
                    ke.msg);
        else if (src && df_cache_reuse(t->store, t->p, o->run_id, o->step, o->item_index, t->item,
                                       src, ck, NULL, &ke) != 0)
            fprintf(stderr,
                    "duckflow: warning: cannot reuse the cached task: %s: running the task\n",
                    ke.msg);
        else
            hit = src != NULL;
    }
    json_decref(src);
    if (!hit && warn)
        fprintf(stderr, "duckflow: warning: %s\n", warn);
    free(warn);
    return hit;
}

/* The manifest of the committed task (store/manifest.h): what ran, its cache key (ck, or
 * NULL when unknown), when, for how long, with what resources, its inputs, tables and
 * checks. */
static json_t *manifest_json(const struct task *t, const struct df_cache_key *ck,
                             const char *started, const char *finished, const struct task_times *tm)
{
    json_t *m = json_object(), *timings;
    json_object_set_new(m, "format", json_integer(1));
    json_object_set_new(m, "pipeline", json_string(t->p->name));
    json_object_set_new(m, "run", json_string(t->o->run_id));
    json_object_set_new(m, "step", json_string(t->s->name));
    json_object_set_new(m, "item_index", json_integer((json_int_t)t->o->item_index));
    json_object_set_new(m, "item_key", json_string(t->item_key));
    json_object_set(m, "item", t->item);
    json_object_set_new(m, "attempt", json_integer(t->o->attempt > 0 ? t->o->attempt : 1));
    json_object_set_new(m, "attempt_dir", json_string(t->attempt_dir));
    json_object_set_new(m, "exit_class", json_string(df_exit_class_name(DF_CLASS_OK)));
    json_object_set_new(m, "cache_key", ck ? json_string(ck->key) : json_null());
    if (ck)
        json_object_set(m, "cache_parts", ck->parts);
    json_object_set_new(m, "spec_hash", json_string(t->p->spec_hash));
    json_object_set_new(m, "started_at", json_string(started));
    json_object_set_new(m, "finished_at", json_string(finished));
    timings = json_object();
    json_object_set_new(timings, "start", json_integer(tm->start - tm->t0));
    json_object_set_new(timings, "inputs", json_integer(tm->inputs - tm->start));
    /* Computing an output that is a view happens while it is written: sql, not write. */
    json_object_set_new(timings, "sql", json_integer(tm->sql - tm->inputs + t->view_ms));
    json_object_set_new(timings, "checks", json_integer(tm->checks - tm->sql));
    json_object_set_new(timings, "write", json_integer(tm->write - tm->checks - t->view_ms));
    json_object_set_new(timings, "total", json_integer(tm->total));
    json_object_set_new(m, "timings_ms", timings);
    json_object_set_new(m, "peak_rss_bytes", json_integer((json_int_t)df_peak_rss_self()));
    json_object_set_new(m, "memory_limit", json_integer((json_int_t)t->memory_limit));
    json_object_set_new(m, "threads", json_integer(t->threads));
    json_object_set_new(m, "spilled_bytes", json_integer((json_int_t)atomic_load(&t->spill_peak)));
    json_object_set(m, "inputs", t->inputs_rec);
    json_object_set(m, "tables", t->tables);
    if (t->checks && json_array_size(t->checks))
        json_object_set(m, "checks", t->checks);
    return m;
}

/* A task that failed: its exit class (an interrupt's, else crash when none was set), err
 * prefixed with the task and recoded to that class's code, and the class recorded in the
 * attempt's _error.json. Returns the class. */
static enum df_exit_class task_failed(struct task *t, struct df_error *err)
{
    struct df_error e2 = DF_ERROR_INIT;

    /* Whatever failed after an interrupt failed because of it. */
    if (atomic_load(&interrupted))
        t->cls = DF_CLASS_INTERRUPTED;
    if (t->cls == DF_CLASS_OK)
        t->cls = DF_CLASS_CRASH;
    if (t->s)
        df_error_prefix(err, "step '%s' item %zu", t->s->name, t->o->item_index);
    /* The store's code says "store", everything else that failed is the task's (the
     * class table); the origin's code stays in err->origin_code. */
    df_error_recode(err, df_exit_class_code(t->cls));
    /* Unrecorded, the class could not be told apart by the executor: say so and end as
     * the store error it is. */
    if (record_error_json(t, err, &e2) != 0) {
        df_error_prefix(err, "%s (and its _error.json could not be written: %s)",
                        df_exit_class_name(t->cls), e2.msg);
        t->cls = DF_CLASS_STORE_ERROR;
        df_error_recode(err, df_exit_class_code(t->cls));
    }
    return t->cls;
}

/* Removes the task's scratch folder (an error doing so is ignored) and frees what the
 * task held. */
static void task_release(struct task *t)
{
    struct df_error e = DF_ERROR_INIT;

    if (t->scratch)
        fs_remove_tree(t->scratch, &e);
    free(t->scratch);
    free(t->spill_dir);
    free(t->out_root);
    free(t->task_key);
    free(t->attempt_key);
    json_decref(t->items);
    json_decref(t->inputs_rec);
    json_decref(t->tables);
    json_decref(t->checks);
    json_decref(t->uploads);
    json_decref(t->to_sync);
}

int df_task_run(const struct df_pipeline *p, struct df_store *store, const struct df_task_opts *o,
                struct df_task_result *res, struct df_error *err)
{
    struct task t;
    char started[40], finished[40];
    struct task_times tm = {df_now_ms(), 0, 0, 0, 0, 0, 0};
    json_t *m = NULL;
    int rc = -1, have_key = 0;
    size_t i;
    struct df_cache_key ck = {{0}, NULL};

    memset(&t, 0, sizeof(t));
    t.p = p;
    t.store = store;
    t.o = o;
    t.duck = (struct df_duck)DF_DUCK_INIT;
    t.cls = DF_CLASS_OK;
    pthread_mutex_init(&t.mon_lock, NULL);
    pthread_cond_init(&t.mon_wake, NULL);
    atomic_init(&t.spill_peak, 0);
    t.inputs_rec = json_array();
    t.tables = json_object();
    t.uploads = json_array();
    t.to_sync = json_array();
    res->cls = DF_CLASS_OK;
    res->attempt_dir[0] = '\0';
    df_iso_now(started, sizeof(started));

    if (!p || o->step >= p->n_steps || !o->run_id || !df_valid_run_id(o->run_id)) {
        df_error_set(err, DF_EUSAGE, "bad task: no such step or run id");
        set_failure_class(&t, DF_CLASS_USAGE);
        goto done;
    }
    t.s = &p->steps[o->step];
    if (resolve_item(&t, err) != 0)
        goto done;
    /* The task's identity, before anything runs (engine/cache.h); a hit commits a manifest
     * that lists the earlier run's files, and the task is done. */
    switch (cache_hit(&t, &ck, &have_key, err)) {
    case 0:
        break;
    case 1:
        rc = 0;
        goto done;
    default:
        goto done;
    }

    /* 1. A fresh attempt folder: "<n>-<4 hex>". */
    {
        char hex[8] = {0};
        df_random_hex(hex, 4);
        snprintf(t.attempt_dir, sizeof(t.attempt_dir), "%d-%s", o->attempt > 0 ? o->attempt : 1,
                 hex);
        snprintf(res->attempt_dir, sizeof(res->attempt_dir), "%s", t.attempt_dir);
    }
    t.task_key = df_key_task(p->name, o->run_id, t.s->name, t.item_key);
    t.attempt_key = df_key_attempt(p->name, o->run_id, t.s->name, t.item_key, t.attempt_dir);
    if (o->on_attempt)
        o->on_attempt(t.attempt_key, o->on_attempt_ud);

    /* 2. Scratch (spill, staging), sizing, DuckDB. */
    task_sweep_stale_scratch(o->scratch);
    t.scratch = fs_mkdtemp(o->scratch, "duckflow-task", err);
    if (!t.scratch) {
        set_failure_class(&t, DF_CLASS_CRASH);
        goto done;
    }
    task_write_owner(t.scratch);
    t.spill_dir = fs_join(t.scratch, "spill");
    {
        char *probe = df_store_local_path(store, t.attempt_key);
        t.local = probe != NULL;
        if (probe) {
            t.out_root = probe;
        } else {
            t.out_root = fs_join(t.scratch, "out");
        }
    }
    size_task(&t);
    if (pthread_create(&t.mon, NULL, task_spill_monitor, &t) == 0)
        t.mon_started = 1;
    /* 3. Params and item as variables. */
    if (open_duck(&t, err) != 0)
        goto done;
    set_active(t.duck.con);
    tm.start = df_now_ms();

    /* 4. One view per input. */
    for (i = 0; i < t.s->n_inputs; i++)
        if (check_interrupt(&t, err) || task_setup_input(&t, &t.s->inputs[i], err) != 0)
            goto done;
    if (check_interrupt(&t, err) || task_setup_files_view(&t, err) != 0 ||
        task_scratch_recap(&t, err) != 0)
        goto done;
    tm.inputs = df_now_ms();

    /* 5. The SQL, then the checks. */
    if (check_interrupt(&t, err))
        goto done;
    if (t.s->sql && df_duck_run_script_at(&t.duck, t.s->sql, t.s->sql_origin, t.s->sql_line,
                                          t.s->sql_col, err)) {
        set_failure_class(&t, t.duck.last_class);
        goto done;
    }
    tm.sql = df_now_ms();
    if (df_outputs_check(&t.duck, t.s, err) != 0) {
        set_failure_class(&t, DF_CLASS_SQL_ERROR);
        goto done;
    }
    if (check_interrupt(&t, err) || run_checks(&t, err) != 0)
        goto done;
    tm.checks = df_now_ms();

    /* 6. Outputs. */
    for (i = 0; i < t.s->n_outputs; i++)
        if (check_interrupt(&t, err) || task_write_output(&t, &t.s->outputs[i], err) != 0)
            goto done;
    if (check_interrupt(&t, err) || (!t.local && task_upload_outputs(&t, err) != 0) ||
        (t.local && task_sync_outputs(&t, err) != 0))
        goto done;
    tm.write = df_now_ms();
    if (check_interrupt(&t, err))
        goto done;

    /* 7. The manifest, last. One key scheme (engine/cache.c): a key that could not be
     * computed before the run (an upstream manifest or a listing unreadable then) is
     * computed again now; still unknown, the manifest says null (a resume reruns it). */
    if (!have_key) {
        struct df_error ke = DF_ERROR_INIT;
        struct df_cache_src ksrc = {NULL, NULL, NULL, o->items};
        have_key = df_cache_key_compute(p, o->step, o->item_index, t.item, store, o->run_id, &ksrc,
                                        &ck, &ke) == 0;
        if (!have_key)
            fprintf(stderr, "duckflow: warning: step '%s' item %zu: no cache key: %s\n", t.s->name,
                    o->item_index, ke.msg);
    }
    df_iso_now(finished, sizeof(finished));
    if (t.mon_started)
        task_stop_monitor(&t);
    tm.total = df_now_ms() - tm.t0;
    m = manifest_json(&t, have_key ? &ck : NULL, started, finished, &tm);
    if (df_manifest_commit(store, p->name, o->run_id, t.s->name, t.item_key, m, err) != 0) {
        df_error_recode(err, DF_EIO);
        set_failure_class(&t, DF_CLASS_STORE_ERROR);
        goto done;
    }
    rc = 0;
    /* After the commit: the entry that lets later runs reuse this task. */
    if (have_key) {
        struct df_error ce = DF_ERROR_INIT;
        if (df_cache_entry_write(store, m, &ce) != 0)
            fprintf(stderr, "duckflow: warning: %s\n", ce.msg);
    }

done:
    set_active(NULL);
    if (t.mon_started)
        task_stop_monitor(&t);
    pthread_cond_destroy(&t.mon_wake);
    pthread_mutex_destroy(&t.mon_lock);
    if (rc != 0 || !o->leave_open)
        df_duck_close(&t.duck);
    if (rc != 0)
        res->cls = task_failed(&t, err);
    task_release(&t);
    json_decref(m);
    df_cache_key_release(&ck);
    return rc;
}

int df_task_query_inputs(const struct df_pipeline *p, size_t step, struct df_store *store,
                         const char *run_id, const struct df_items_resolver *items, const char *sql,
                         json_t **rows, struct df_error *err)
{
    struct task t;
    struct df_task_opts o;
    struct df_error cleanup_err = DF_ERROR_INIT;
    int rc = -1;

    *rows = NULL;
    memset(&t, 0, sizeof(t));
    memset(&o, 0, sizeof(o));
    o.run_id = run_id;
    o.step = step;
    o.attempt = 1;
    o.items = items;
    t.p = p;
    t.s = &p->steps[step];
    t.store = store;
    t.o = &o;
    t.duck = (struct df_duck)DF_DUCK_INIT;
    t.item = json_null();
    df_item_key(0, t.item_key);
    t.inputs_rec = json_array();
    t.tables = json_object();
    t.uploads = json_array();
    t.to_sync = json_array();
    t.scratch = fs_mkdtemp(NULL, "duckflow-items", err);
    if (!t.scratch)
        goto done;
    t.spill_dir = fs_join(t.scratch, "spill");
    {
        char *probe = df_store_local_path(store, "probe");
        t.local = probe != NULL;
        free(probe);
    }
    size_task(&t);
    if (open_duck(&t, err) != 0)
        goto done;
    for (size_t i = 0; i < t.s->n_inputs; i++)
        if (task_setup_input(&t, &t.s->inputs[i], err) != 0)
            goto done;
    rc = df_duck_query_json(&t.duck, sql, 0, rows, err);
    if (rc != 0)
        df_error_prefix(err, "%s:%d: foreach rows", p->path, t.s->foreach.loc.line);
done:
    if (rc != 0 && err->code != DF_EIO)
        df_error_recode(err, t.cls == DF_CLASS_STORE_ERROR ? DF_EIO : DF_EFAIL);
    df_duck_close(&t.duck);
    if (t.scratch)
        fs_remove_tree(t.scratch, &cleanup_err);
    free(t.scratch);
    free(t.spill_dir);
    json_decref(t.item);
    json_decref(t.items);
    json_decref(t.inputs_rec);
    json_decref(t.tables);
    json_decref(t.checks);
    json_decref(t.uploads);
    json_decref(t.to_sync);
    return rc;
}
