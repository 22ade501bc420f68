/*
 * runrec.c - building, writing, judging and listing run records (see runrec.h).
 */
#include "store/caps.h"
#include "exec/runrec.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dag/plan.h"
#include "exec/runcarry.h"
#include "store/layout.h"
#include "util/strbuf.h"
#include "util/timeutil.h"
#include "util/banned.h"

static const char *state_name(enum gstate s)
{
    switch (s) {
    case G_WAITING:
        return "waiting";
    case G_RUNNING:
        return "running";
    case G_BACKOFF:
        return "retrying";
    case G_DONE:
        return "done";
    case G_FAILED:
        return "failed";
    case G_UPSTREAM:
        return "upstream_failed";
    case G_INTERRUPTED:
        return "interrupted";
    }
    return "unknown";
}

static const char *step_status(const struct graph *g, size_t s)
{
    const struct gstep *st = &g->steps[s];
    size_t done, failed, running;

    if (graph_step_succeeded(g, s))
        return "succeeded";
    if (st->failed && graph_step_finished(g, s))
        return st->cls == DF_CLASS_UPSTREAM      ? "upstream_failed"
               : st->cls == DF_CLASS_INTERRUPTED ? "interrupted"
                                                 : "failed";
    if (!st->planned)
        return "pending";
    graph_step_counts(g, s, &done, &failed, &running);
    return running || done || failed ? "running" : "pending";
}

/* The status the previous record gave step, else dflt. */
static const char *prev_step_status(json_t *prev, const char *step, const char *dflt)
{
    size_t i;
    json_t *st;
    json_array_foreach(json_object_get(prev, "steps"), i, st)
    {
        const char *name = json_string_value(json_object_get(st, "name"));
        const char *status = json_string_value(json_object_get(st, "status"));
        if (name && status && !strcmp(name, step))
            return status;
    }
    return dflt;
}

static char *hostname(void)
{
    char h[256];
    if (gethostname(h, sizeof(h)) != 0)
        return xstrdup("");
    h[sizeof(h) - 1] = '\0';
    return xstrdup(h);
}

json_t *runrec_build(const struct runrec_input *in)
{
    const struct df_pipeline *p = in->p;
    const struct graph *g = in->g;
    json_t *rec = json_object(), *steps = json_array(), *tasks = json_array();
    json_t *carried = json_array(); /* tasks of steps not planned by this invocation */
    int ended = strcmp(in->status, "running") != 0;
    size_t total = 0, done = 0, failed = 0, reused = 0;
    char now[40], *host = hostname(), *file;
    const char *slash = strrchr(p->path, '/');
    int64_t elapsed = in->elapsed_ms;

    df_iso_now(now, sizeof(now));
    if (in->prev) {
        json_t *pe = json_object_get(in->prev, "elapsed_ms");
        if (json_is_integer(pe))
            elapsed += json_integer_value(pe);
    }
    file = xasprintf("%s/%s", p->dir, slash ? slash + 1 : p->path);
    json_object_set_new(rec, "format", json_integer(1));
    json_object_set_new(rec, "pipeline", json_string(p->name));
    json_object_set_new(rec, "run", json_string(in->run));
    json_object_set_new(rec, "status", json_string(in->status));
    json_object_set_new(rec, "executor", json_string("local"));
    json_object_set_new(rec, "pipeline_file", json_string(file));
    json_object_set_new(rec, "spec_hash", json_string(p->spec_hash));
    json_object_set_new(rec, "params", p->params ? json_deep_copy(p->params) : json_object());
    json_object_set_new(rec, "started_at", json_string(in->started_at));
    json_object_set_new(rec, "updated_at", json_string(now));
    json_object_set_new(rec, "finished_at",
                        strcmp(in->status, "running") ? json_string(now) : json_null());
    json_object_set_new(rec, "elapsed_ms", json_integer(elapsed));
    json_object_set_new(rec, "host", json_string(host));
    json_object_set_new(rec, "pid", json_integer((json_int_t)getpid()));
    json_object_set_new(rec, "jobs", json_integer(in->jobs));
    json_object_set_new(rec, "memory_budget", json_integer((json_int_t)in->memory_budget));
    if (in->prev && json_object_get(in->prev, "run"))
        json_object_set_new(rec, "resumed", json_true());
    if (in->partial) /* never published: `duckflow publish` refuses it too */
        json_object_set_new(rec, "partial", json_true());

    for (size_t s = 0; s < p->n_steps; s++) {
        const struct gstep *st = &g->steps[s];
        size_t d, f, r;
        uint64_t rows = 0, bytes = 0;
        int64_t el = 0;
        size_t n = st->n_tasks;
        json_t *js;

        graph_step_counts(g, s, &d, &f, &r);
        for (size_t i = 0; i < st->n_tasks; i++) {
            const struct gtask *t = g->tasks[st->tasks[i]];
            rows += t->rows;
            bytes += t->bytes;
            el += t->elapsed_ms;
        }
        int carry = in->prev && (!st->planned || (in->carry && in->carry[s]));
        const char *status = step_status(g, s);
        if (carry) {
            /* A resume that has not planned this step (yet, or ever: its planning or a
             * step above it failed) keeps the tasks the previous record had. */
            struct runcarry c;
            runcarry_step(in->prev, p->steps[s].name, ended, carried, &c);
            n = c.total;
            d = c.done;
            f = c.failed;
            rows = c.rows;
            bytes = c.bytes;
            el = c.time_ms;
            reused += c.reused;
            if (st->planned) /* not selected: as the previous record had it */
                status = prev_step_status(in->prev, p->steps[s].name, status);
        }
        total += n;
        done += d;
        failed += f;
        js = json_pack("{s:s, s:s, s:b, s:{s:I, s:I, s:I, s:I}, s:I, s:I, s:I}", "name",
                       p->steps[s].name, "status", status, "planned", st->planned, "tasks", "total",
                       (json_int_t)n, "done", (json_int_t)d, "failed", (json_int_t)f, "running",
                       (json_int_t)r, "rows", (json_int_t)rows, "bytes", (json_int_t)bytes,
                       "task_time_ms", (json_int_t)el);
        json_object_set_new(js, "exit_class",
                            st->failed ? json_string(df_exit_class_name(st->cls)) : json_null());
        if (st->error)
            json_object_set_new(js, "error", json_string(st->error));
        {
            /* The steps it depends on, for the report's DAG. */
            json_t *deps = json_array();
            for (size_t d2 = 0; d2 < p->steps[s].n_deps; d2++)
                json_array_append_new(deps, json_string(p->steps[p->steps[s].deps[d2]].name));
            json_object_set_new(js, "deps", deps);
        }
        json_array_append_new(steps, js);
    }
    for (size_t i = 0; i < g->n_tasks; i++) {
        const struct gtask *t = g->tasks[i];
        char key[DF_ITEM_KEY_MAX];
        int ended = t->state != G_WAITING && t->state != G_RUNNING;
        json_t *jt;

        df_item_key(t->item_index, key);
        jt = json_pack(
            "{s:s, s:I, s:s, s:s, s:i, s:I, s:I, s:I, s:b}", "step", p->steps[t->step].name,
            "item_index", (json_int_t)t->item_index, "item_key", key, "state", state_name(t->state),
            "attempts", t->attempt_base + t->attempts, "elapsed_ms", (json_int_t)t->elapsed_ms,
            "rows", (json_int_t)t->rows, "bytes", (json_int_t)t->bytes, "resumed", t->resumed);
        json_object_set_new(jt, "exit_class",
                            ended ? json_string(df_exit_class_name(t->cls)) : json_null());
        json_object_set_new(jt, "error", t->error ? json_string(t->error) : json_null());
        if (t->threads_override > 0)
            json_object_set_new(jt, "threads", json_integer(t->threads_override));
        json_object_set_new(jt, "reused_from_run",
                            t->reused_from ? json_string(t->reused_from) : json_null());
        if (t->rerun_reason)
            json_object_set_new(jt, "rerun_reason", json_string(t->rerun_reason));
        reused += t->reused_from != NULL;
        if (in->names) {
            char label[256];
            tasknames_get(in->names, t->step, t->item_index, label, sizeof(label));
            json_object_set_new(jt, "label", json_string(label));
        }
        json_array_append_new(tasks, jt);
    }
    json_array_extend(tasks, carried);
    json_decref(carried);
    json_object_set_new(rec, "tasks_total", json_integer((json_int_t)total));
    json_object_set_new(rec, "tasks_done", json_integer((json_int_t)done));
    json_object_set_new(rec, "tasks_failed", json_integer((json_int_t)failed));
    json_object_set_new(rec, "tasks_reused", json_integer((json_int_t)reused));
    json_object_set_new(rec, "steps", steps);
    if (in->attempts)
        json_object_set(rec, "attempts", in->attempts);
    json_object_set_new(rec, "tasks", tasks);
    free(host);
    free(file);
    return rec;
}

int runrec_write(struct df_store *s, const struct runrec_input *in, struct df_error *err)
{
    json_t *rec = runrec_build(in);
    char *text = json_dumps(rec, JSON_INDENT(1));
    char *key = df_key_run_json(in->p->name, in->run);
    int rc;

    if (!text)
        rc = df_error_set(err, DF_EFAIL, "cannot encode '%s'", key);
    else
        rc = df_store_put_bytes(s, key, text, strlen(text), err);
    free(text);
    free(key);
    json_decref(rec);
    return rc;
}

/* Seconds since an ISO-8601 UTC time "YYYY-MM-DDTHH:MM:SS...", or -1. */
static int64_t age_seconds(const char *iso)
{
    struct tm tm;
    int y, mo, d, h, mi, sec;
    if (!iso || sscanf(iso, "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &h, &mi, &sec) != 6)
        return -1;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    return (int64_t)(time(NULL) - timegm(&tm));
}

int runrec_still_running(json_t *rec)
{
    const char *status = json_string_value(json_object_get(rec, "status"));
    const char *host = json_string_value(json_object_get(rec, "host"));
    json_t *pid = json_object_get(rec, "pid");
    const char *upd = json_string_value(json_object_get(rec, "updated_at"));
    int64_t age;
    char *me;
    int same;

    if (!status || strcmp(status, "running") != 0)
        return 0;
    me = hostname();
    same = host && json_is_integer(pid) && !strcmp(host, me);
    free(me);
    if (same) {
        pid_t p = (pid_t)json_integer_value(pid);
        if (p <= 0)
            return 0;
        return kill(p, 0) == 0 || errno == EPERM;
    }
    age = age_seconds(upd ? upd : json_string_value(json_object_get(rec, "started_at")));
    return age < 0 || age < 24 * 3600;
}

int runrec_find_error_cb(const char *key, uint64_t size, void *ud)
{
    struct strbuf *sb = ud;
    size_t n = strlen(key);
    const char *suffix = "/_error.json";
    (void)size;
    if (n >= strlen(suffix) && !strcmp(key + n - strlen(suffix), suffix)) {
        sb_adds(sb, key);
        return 1;
    }
    return 0;
}

struct found_runs {
    char **keys;
    size_t n, alloc;
    char *removed; /* "<pipeline>/runs/<run>/" of the last tombstone seen */
};

/* Keeps "<pipeline>/runs/<run>/run.json", unless the run's folder holds a tombstone (a
 * removal that stopped before run.json: the run is removed all the same). The listing is
 * sorted and "_removed.json" sorts before "run.json". */
static int pick_run_json(const char *key, uint64_t size, void *ud)
{
    struct found_runs *f = ud;
    const char *run, *rest;
    size_t pn, rn;
    (void)size;
    if (!df_key_split_run(key, &pn, &run, &rn, &rest))
        return 0;
    if (!strcmp(rest, DF_RUN_TOMBSTONE)) {
        free(f->removed);
        f->removed = xstrndup(key, (size_t)(rest - key));
        return 0;
    }
    if (strcmp(rest, "run.json") != 0 ||
        (f->removed && !strncmp(f->removed, key, (size_t)(rest - key)) && !f->removed[rest - key]))
        return 0;
    if (f->n == f->alloc) {
        f->alloc = f->alloc ? 2 * f->alloc : 32;
        f->keys = xrealloc(f->keys, f->alloc * sizeof(*f->keys));
    }
    f->keys[f->n++] = xstrdup(key);
    return 0;
}

int runrec_by_start(const void *a, const void *b)
{
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    const char *sx = json_string_value(json_object_get(x, "started_at"));
    const char *sy = json_string_value(json_object_get(y, "started_at"));
    int c = strcmp(sx ? sx : "", sy ? sy : "");
    if (c)
        return c;
    sx = json_string_value(json_object_get(x, "run"));
    sy = json_string_value(json_object_get(y, "run"));
    return strcmp(sx ? sx : "", sy ? sy : "");
}

int runrec_list(struct df_store *s, const char *pipeline, json_t **out, struct df_error *err)
{
    struct found_runs f = {NULL, 0, 0, NULL};
    char *prefix = pipeline ? df_key_runs(pipeline) : xstrdup("");
    json_t **v = NULL;
    size_t nv = 0;
    int rc;

    *out = NULL;
    rc = df_store_list(s, prefix, pick_run_json, &f, err);
    if (rc == 0 && f.n)
        v = xcalloc(f.n, sizeof(*v));
    for (size_t i = 0; rc == 0 && i < f.n; i++) {
        struct df_error e = DF_ERROR_INIT;
        char *data = NULL;
        size_t len = 0;
        json_t *j;
        if (df_store_get_bytes(s, f.keys[i], DF_CAP_RUN_JSON, &data, &len, &e) != 0) {
            free(data);
            if (e.code != DF_ENOTFOUND) {
                *err = e;
                rc = -1;
            }
            continue;
        }
        j = json_loadb(data, len, 0, NULL);
        free(data);
        if (!json_is_object(j)) {
            json_decref(j);
            continue;
        }
        v[nv++] = j;
    }
    if (rc == 0) {
        if (nv > 1)
            qsort(v, nv, sizeof(*v), runrec_by_start);
        *out = json_array();
        for (size_t i = 0; i < nv; i++)
            json_array_append_new(*out, v[i]);
    } else {
        for (size_t i = 0; i < nv; i++)
            json_decref(v[i]);
    }
    for (size_t i = 0; i < f.n; i++)
        free(f.keys[i]);
    free(f.keys);
    free(f.removed);
    free(v);
    free(prefix);
    return rc;
}
