/*
 * executor.c - df_run(): the local executor (see executor.h and docs/run.md).
 *
 * One loop, git's run_processes_parallel shape: plan what can be planned, start the
 * next tasks the graph allows ("next task"), poll the children's output pipes and a
 * self-pipe that signal handlers write to, reap the children that ended and record
 * what their end means ("task finished"), enforce timeouts, refresh progress and
 * run.json. Scheduling rules live in graph.c; processes in child.c.
 */
#include "store/caps.h"
#include "exec/executor.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dag/label.h"
#include "dag/plan.h"
#include "dag/select.h"
#include "engine/items.h"
#include "exec/child.h"
#include "exec/graph.h"
#include "exec/owner.h"
#include "exec/resumeguard.h"
#include "exec/reuse.h"
#include "exec/progress.h"
#include "exec/reserve.h"
#include "exec/summary.h"
#include "exec/runrec.h"
#include "exec/sweep.h"
#include "store/layout.h"
#include "store/manifest.h"
#include "store/lineage.h"
#include "store/publish.h"
#include "store/runindex.h"
#include "store/runs.h"
#include "util/exitclass.h"
#include "util/fs.h"
#include "util/strbuf.h"
#include "util/timeutil.h"
#include "util/banned.h"

#define RUNJSON_EVERY_MS 500

/* Signal plumbing: handlers only set a flag and write a byte to a pipe the loop polls. */
extern char **environ;

static volatile sig_atomic_t got_signal;
static volatile sig_atomic_t n_signals;
static int wake_w = -1;

static void on_signal(int sig)
{
    int saved = errno;
    if (sig != SIGCHLD) {
        got_signal = sig;
        n_signals++;
    }
    if (wake_w >= 0) {
        ssize_t r = write(wake_w, "x", 1);
        (void)r;
    }
    errno = saved;
}

struct executor {
    const struct df_pipeline *p;
    struct df_store *store;
    const struct df_run_opts *o;
    const char *run;
    struct graph g;
    struct graph_step_def *defs;
    json_t **items; /* per step, once planned */
    int jobs;
    uint64_t budget;
    int64_t grace_ms;
    int64_t t0;
    char started_at[40];
    int resume;
    json_t *prev; /* run.json of the run being resumed */
    int dirty;
    int64_t last_write;
    int interrupted; /* the signal, once one arrived */
    int progress_shown;
    int store_failed; /* writing run.json failed at least once */
    int last_failed;  /* the latest write of run.json failed: it is not the run's state */
    int slots;        /* DUCKFLOW_TASK_SLOTS of the tasks: jobs x the executor's own */
    char **env;       /* the tasks' environment: ours with DUCKFLOW_TASK_SLOTS set */
    char store_msg[sizeof(((struct df_error *)0)->msg)];
    /* Content-addressed tasks (exec/reuse.h): */
    struct reuse *reuse;
    struct df_owner *owner;
    unsigned char *rerun;        /* per step: --rerun */
    unsigned char *selected;     /* per step: in --select/--exclude's selection; NULL = all */
    unsigned char *needed;       /* per step: not selected, but a selected step needs it */
    unsigned char *not_selected; /* per step: neither selected nor needed (summary) */
    struct tasknames names;      /* items' labels, for every line a person reads */
    struct progress pr;          /* the terminal view (exec/progress.c) */
    int stopping;                /* --fail-fast: a task failed for good, start nothing more */
    json_t *attempts;            /* every attempt, for run.json (exec/summary.h attempt_log) */
    json_t *warnings;            /* failed warn checks of committed tasks (summary.h) */
};

/* "merge", or "orders[apac]" for fan-out steps (exec/summary.c). */
static void task_name(const struct executor *x, const struct gtask *t, char *out, size_t n)
{
    tasknames_get(&x->names, t->step, t->item_index, out, n);
}

static void clear_progress(struct executor *x)
{
    if (x->progress_shown) {
        progress_clear(&x->pr);
        x->progress_shown = 0;
    }
}

static void show_progress(struct executor *x)
{
    if (!x->o->progress || x->o->quiet)
        return;
    progress_show(&x->pr, &x->names, &x->g, df_now_ms() - x->t0, x->jobs);
    x->progress_shown = 1;
}

/* Prints a line to the log (stderr), keeping the progress line out of the way. */
static void say(struct executor *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct executor *x, const char *fmt, ...)
{
    va_list ap;
    if (!x->o->log)
        return;
    clear_progress(x);
    va_start(ap, fmt);
    vfprintf(x->o->log, fmt, ap);
    va_end(ap);
    fputc('\n', x->o->log);
    fflush(x->o->log);
}

/* The task's output, every line prefixed with its name. */
static void print_output(struct executor *x, const char *name, const char *text)
{
    const char *p = text;
    if (!x->o->log || !*text)
        return;
    clear_progress(x);
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        fprintf(x->o->log, "%s: %.*s\n", name, (int)n, p);
        p += n + (e ? 1 : 0);
    }
    fflush(x->o->log);
}

static void save_run_json(struct executor *x, const char *status, int force)
{
    struct df_error err = DF_ERROR_INIT;
    int64_t now = df_now_ms();
    struct runrec_input in;

    if (!force && (!x->dirty || now - x->last_write < RUNJSON_EVERY_MS))
        return;
    memset(&in, 0, sizeof(in));
    in.p = x->p;
    in.g = &x->g;
    in.run = x->run;
    in.status = status;
    in.started_at = x->started_at;
    in.elapsed_ms = now - x->t0;
    in.jobs = x->jobs;
    in.memory_budget = x->budget;
    in.prev = x->prev;
    in.attempts = x->attempts;
    in.names = &x->names;
    in.carry = x->resume ? x->not_selected : NULL;
    in.partial = x->not_selected != NULL;
    if (runrec_write(x->store, &in, &err) != 0) {
        if (!x->store_failed)
            snprintf(x->store_msg, sizeof(x->store_msg), "%s", err.msg);
        x->store_failed = 1;
        x->last_failed = 1;
    } else {
        x->last_failed = 0;
    }
    x->dirty = 0;
    x->last_write = now;
}

/* Rows and bytes of every table in a manifest. */
static void manifest_totals(json_t *m, uint64_t *rows, uint64_t *bytes)
{
    const char *name;
    json_t *t;
    *rows = *bytes = 0;
    json_object_foreach(json_object_get(m, "tables"), name, t)
    {
        *rows += (uint64_t)json_integer_value(json_object_get(t, "rows"));
        *bytes += (uint64_t)json_integer_value(json_object_get(t, "bytes"));
    }
}

/* For a resume: the highest attempt number any earlier invocation used per task, so new
 * attempts get numbers of their own (and their _error.json is found unambiguously). */
struct attempt_scan {
    int *base; /* per item: the highest attempt number found */
    size_t n;
    size_t plen;
};

static int scan_attempt(const char *key, uint64_t size, void *ud)
{
    struct attempt_scan *a = ud;
    const char *rest = key + a->plen, *slash = strchr(rest, '/');
    char *end;
    unsigned long item, att;
    (void)size;
    if (!slash)
        return 0;
    item = strtoul(rest, &end, 10);
    if (end != slash)
        return 0;
    att = strtoul(slash + 1, &end, 10);
    if (end == slash + 1 || *end != '-')
        return 0;
    if (item < a->n && att < 1000000 && (int)att > a->base[item])
        a->base[item] = (int)att;
    return 0;
}

/* A fan-out that found no items fails its step (class no_items) unless it allows that. */
static int empty_fails(struct executor *x, size_t s)
{
    const struct df_step *st = &x->p->steps[s];
    char *what, *msg;

    if (st->foreach.kind == DF_FOREACH_NONE || st->foreach.kind == DF_FOREACH_EACH ||
        st->allow_empty)
        return 0;
    what = df_foreach_describe(&st->foreach);
    msg = xasprintf("%s found no items (add 'allow_empty: true' to the step to run it with no "
                    "tasks)",
                    what);
    graph_step_plan_failed(&x->g, s, DF_CLASS_NO_ITEMS, msg);
    say(x, "%sfailed%s  %s (no_items): %s", x->pr.color ? "\033[31m" : "",
        x->pr.color ? "\033[0m" : "", st->name, msg);
    free(what);
    free(msg);
    x->dirty = 1;
    return 1;
}

/* For a resume: the highest attempt number earlier invocations used per item of step s
 * (from the previous record, then the attempt folders), into base[n]. -1 with err set
 * when the folders cannot be listed. */
static int earlier_attempts(struct executor *x, size_t s, int *base, size_t n, struct df_error *err)
{
    const struct df_step *st = &x->p->steps[s];
    /* Attempts an earlier invocation recorded (an attempt killed before it wrote anything
     * leaves no folder to find), then the folders themselves. */
    char *stepkey = df_key_step(x->p->name, x->run, st->name);
    char *prefix = xasprintf("%s/", stepkey);
    struct attempt_scan a = {base, n, strlen(prefix)};
    size_t k;
    json_t *rec;
    int rc = 0;

    json_array_foreach(json_object_get(x->prev, "tasks"), k, rec)
    {
        const char *rs = json_string_value(json_object_get(rec, "step"));
        json_int_t ri = json_integer_value(json_object_get(rec, "item_index"));
        json_int_t ra = json_integer_value(json_object_get(rec, "attempts"));
        if (rs && !strcmp(rs, st->name) && ri >= 0 && (size_t)ri < n && ra > 0 && ra < 1000000 &&
            ra > base[ri])
            base[ri] = (int)ra;
    }
    if (df_store_list(x->store, prefix, scan_attempt, &a, err) != 0) {
        /* New attempt numbers rely on this listing: without it they could reuse an
         * earlier attempt's number (and find its _error.json). */
        df_error_prefix(err, "cannot resume run '%s': listing the attempts of step '%s'", x->run,
                        st->name);
        rc = -1;
    }
    free(prefix);
    free(stepkey);
    return rc;
}

static int plan_step(struct executor *x, size_t s, struct df_error *err)
{
    struct df_error e = DF_ERROR_INIT;
    json_t *items = NULL;
    const struct df_step *st = &x->p->steps[s];
    int *base = NULL;
    size_t n;

    if (df_step_items(x->p, s, x->store, x->run, &items, &e) != 0 || !json_is_array(items)) {
        if (!e.code)
            df_error_set(&e, DF_EFAIL, "planning did not return a list of items");
        df_error_prefix(&e, "step '%s': cannot plan its items", st->name);
        graph_step_plan_failed(&x->g, s,
                               e.code == DF_EIO ? DF_CLASS_STORE_ERROR : DF_CLASS_SQL_ERROR, e.msg);
        say(x, "duckflow: %s", e.msg);
        json_decref(items);
        x->dirty = 1;
        return 0;
    }
    n = json_array_size(items);
    if (n == 0 && empty_fails(x, s)) {
        json_decref(items);
        return 0;
    }
    /* Tasks committed by an earlier invocation are kept when their key still matches:
     * decided when each becomes ready (skip_task), once what it reads is final. New
     * attempts get numbers of their own: found before the step is planned, so a step
     * whose attempts cannot be listed stays unplanned and the run's record keeps the
     * tasks it had (exec/runcarry.h). */
    if (x->resume && n) {
        base = xcalloc(n, sizeof(*base));
        if (earlier_attempts(x, s, base, n, err) != 0) {
            graph_step_plan_failed(&x->g, s, DF_CLASS_STORE_ERROR, err->msg);
            json_decref(items);
            free(base);
            x->dirty = 1;
            return -1;
        }
    }
    x->items[s] = items;
    tasknames_plan(&x->names, s, items);
    graph_plan_step(&x->g, s, n);
    for (size_t i = 0; base && i < n; i++)
        x->g.tasks[x->g.steps[s].tasks[i]]->attempt_base = base[i];
    free(base);
    x->dirty = 1;
    return 0;
}

/* Plans every step whose items can be known now. Returns the number planned, -1 on a
 * store error while resuming. */
static int plan_ready(struct executor *x, struct df_error *err)
{
    int planned = 0;
    for (size_t k = 0; k < x->p->n_steps; k++) {
        size_t s = x->p->order[k];
        enum df_foreach_kind kind = x->p->steps[s].foreach.kind;
        int dynamic = kind == DF_FOREACH_FILES || kind == DF_FOREACH_ROWS;
        if (!graph_step_plannable(&x->g, s, dynamic))
            continue;
        if (plan_step(x, s, err) != 0)
            return -1;
        planned++;
    }
    return planned;
}

static int step_threads(const struct executor *x, const struct gtask *t)
{
    int th = x->p->steps[t->step].limits.threads;
    if (t->threads_override > 0)
        return t->threads_override;
    if (th > 0)
        return th;
    /* Unset: the task sizes itself from its share of the machine's cores. */
    th = df_default_jobs() / (x->slots > 0 ? x->slots : 1);
    return th > 0 ? th : 1;
}

/* Before a task starts: keep it (committed by an earlier invocation, key unchanged),
 * reuse it from an earlier run through the cache, or let it run. Returns 1 when it needs
 * no process. */
static int skip_task(struct executor *x, struct gtask *t)
{
    struct reuse_decision d;
    char name[160];

    reuse_decide(x->reuse, t->step, t->item_index, &d);
    task_name(x, t, name, sizeof(name));
    if (d.warning)
        say(x, "duckflow: warning: %s", d.warning);
    if (d.verdict == REUSE_RUN) {
        t->rerun_reason = d.reason;
        if (d.reason && !x->o->quiet)
            say(x, "rerun   %s: %s", name, d.reason);
        reuse_decision_release(&d);
        return 0;
    }
    graph_task_resumed(&x->g, t);
    manifest_totals(d.manifest, &t->rows, &t->bytes);
    if (d.verdict == REUSE_HIT) {
        free(t->reused_from);
        t->reused_from = d.from_run;
        d.from_run = NULL;
        if (!x->o->quiet && !x->o->progress)
            say(x, "reused  %s from run %s", name, t->reused_from);
    }
    x->dirty = 1;
    reuse_decision_release(&d);
    return 1;
}

static void start_task(struct executor *x, struct gtask *t, int64_t now)
{
    const struct df_step *st = &x->p->steps[t->step];
    struct df_error err = DF_ERROR_INIT;
    char idx[32], att[32], threads[32], name[160];
    const char **argv;
    size_t n = 0;

    graph_task_started(&x->g, t, now);
    x->dirty = 1;
    free(t->error);
    t->error = NULL;
    t->timed_out = 0;
    t->term_at = 0;
    t->deadline = st->limits.timeout_ms > 0 ? now + st->limits.timeout_ms : 0;
    snprintf(idx, sizeof(idx), "%zu", t->item_index);
    snprintf(att, sizeof(att), "%d", t->attempt_base + t->attempts);
    snprintf(threads, sizeof(threads), "%d", t->threads_override);
    /* argv is built whole before fork (nothing may allocate in the child). */
    argv = xcalloc(17 + 2 * x->o->n_param_args, sizeof(*argv));
    argv[n++] = x->o->self_exe;
    argv[n++] = "step";
    argv[n++] = x->p->path;
    argv[n++] = "--run";
    argv[n++] = x->run;
    argv[n++] = "--step";
    argv[n++] = st->name;
    argv[n++] = "--item";
    argv[n++] = idx;
    argv[n++] = "--attempt";
    argv[n++] = att;
    argv[n++] = "--store";
    argv[n++] = x->store->uri;
    for (size_t i = 0; i < x->o->n_param_args; i++) {
        argv[n++] = "--param";
        argv[n++] = x->o->param_args[i];
    }
    if (t->threads_override > 0) {
        argv[n++] = "--threads";
        argv[n++] = threads;
    }
    argv[n++] = "--no-cache"; /* skip_task looked the cache up already */
    argv[n] = NULL;
    attempt_log_started(x->attempts, x->p, t, t->attempt_base + t->attempts);
    t->proc = child_start_env((char *const *)argv, x->env, &err);
    free(argv);
    if (!t->proc) {
        task_name(x, t, name, sizeof(name));
        t->error = xstrdup(err.msg);
        graph_task_finished(&x->g, t, DF_CLASS_CRASH, df_now_ms());
        say(x, "duckflow: %s: %s", name, err.msg);
    }
}

/* The _error.json of this attempt ({"class": .., "message": ..}), or NULL. */
static json_t *read_attempt_error(struct executor *x, const struct gtask *t)
{
    struct df_error err = DF_ERROR_INIT;
    char key[DF_ITEM_KEY_MAX];
    char *task, *prefix;
    struct strbuf found = STRBUF_INIT;
    json_t *j = NULL;

    df_item_key(t->item_index, key);
    task = df_key_task(x->p->name, x->run, x->p->steps[t->step].name, key);
    prefix = xasprintf("%s/%d-", task, t->attempt_base + t->attempts);
    free(task);
    /* The attempt folder is "<n>-<tag>": find its _error.json. */
    if (df_store_list(x->store, prefix, runrec_find_error_cb, &found, &err) == 0 && found.len) {
        char *data = NULL;
        size_t len = 0;
        if (df_store_get_bytes(x->store, found.buf, DF_CAP_ERROR_JSON, &data, &len, &err) == 0)
            j = json_loadb(data, len, 0, NULL);
        free(data);
    }
    sb_release(&found);
    free(prefix);
    if (j && !json_is_object(j)) {
        json_decref(j);
        j = NULL;
    }
    return j;
}

/* The last non-empty line of text that is not a warning (the task's error line; a
 * warning printed after it, e.g. that its log could not be stored, is not why it failed),
 * else the last non-empty line; copied. */
static char *last_line(const char *text)
{
    const char *end = text + strlen(text), *start, *last = NULL, *last_end = NULL;
    for (;;) {
        while (end > text && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
            end--;
        start = end;
        while (start > text && start[-1] != '\n')
            start--;
        if (start == end)
            break;
        if (!last) {
            last = start;
            last_end = end;
        }
        if (strncmp(start, "duckflow: warning: ", 19) != 0)
            return xstrndup(start, (size_t)(end - start));
        end = start;
    }
    return last ? xstrndup(last, (size_t)(last_end - last)) : NULL;
}

static const char *signal_name(int sig)
{
    switch (sig) {
    case SIGKILL:
        return "SIGKILL";
    case SIGTERM:
        return "SIGTERM";
    case SIGINT:
        return "SIGINT";
    case SIGSEGV:
        return "SIGSEGV";
    case SIGABRT:
        return "SIGABRT";
    case SIGBUS:
        return "SIGBUS";
    default:
        return "a signal";
    }
}

static void task_ended(struct executor *x, struct gtask *t)
{
    struct child *c = t->proc;
    enum df_exit_class cls;
    char name[160], el[32];
    char *out = child_output(c), *msg = NULL;
    int64_t now = df_now_ms();
    int retry, attempt = t->attempt_base + t->attempts;

    task_name(x, t, name, sizeof(name));
    if (t->interrupted) {
        cls = DF_CLASS_INTERRUPTED;
    } else if (t->timed_out) {
        cls = DF_CLASS_TIMEOUT;
        msg = xasprintf("ran past its timeout of %" PRId64 " ms and was killed",
                        x->p->steps[t->step].limits.timeout_ms);
    } else if (!c->exited) {
        /* The kernel's OOM killer sends SIGKILL: the usual reason a task dies by it. */
        cls = c->signal == SIGKILL ? DF_CLASS_KILLED_MEMORY : DF_CLASS_CRASH;
        msg = xasprintf("killed by %s (signal %d)", signal_name(c->signal), c->signal);
    } else {
        cls = df_exit_class_from_status(c->exit_code);
    }
    if (cls != DF_CLASS_OK && !msg) {
        json_t *e = read_attempt_error(x, t);
        const char *ec = json_string_value(json_object_get(e, "class"));
        const char *em = json_string_value(json_object_get(e, "message"));
        if (!ec)
            ec = json_string_value(json_object_get(e, "exit_class"));
        if (!em)
            em = json_string_value(json_object_get(e, "error"));
        /* Exit status 1 is shared by sql_error and check_failed: the file tells. */
        if (ec && df_exit_class_parse(ec) > 0 && cls != DF_CLASS_INTERRUPTED)
            cls = (enum df_exit_class)df_exit_class_parse(ec);
        if (em)
            msg = xstrdup(em);
        json_decref(e);
        /* No _error.json: the task's own error line, without the "duckflow: " its
         * `duckflow step` put in front (the failure lines add theirs). */
        if (!msg && (msg = last_line(out)) && !strncmp(msg, "duckflow: ", 10))
            memmove(msg, msg + 10, strlen(msg + 10) + 1);
        if (!msg)
            msg = xasprintf("exited with status %d", c->exit_code);
    }
    if (cls == DF_CLASS_OK) {
        /* Exit 0 must mean committed: trust the manifest, not the status. */
        struct df_error err = DF_ERROR_INIT;
        char key[DF_ITEM_KEY_MAX];
        json_t *m = NULL;
        df_item_key(t->item_index, key);
        if (df_manifest_read(x->store, x->p->name, x->run, x->p->steps[t->step].name, key, &m,
                             &err) == 0) {
            manifest_totals(m, &t->rows, &t->bytes);
            summary_note_warnings(x->warnings, t, m);
            json_decref(m);
        } else {
            cls = err.code == DF_ENOTFOUND ? DF_CLASS_CRASH : DF_CLASS_STORE_ERROR;
            msg = err.code == DF_ENOTFOUND ? xstrdup("exited 0 but committed no manifest")
                                           : xstrdup(err.msg);
        }
    }
    t->proc = NULL;
    free(t->error);
    t->error = msg;
    if (cls == DF_CLASS_KILLED_MEMORY) {
        int th = step_threads(x, t) / 2;
        t->threads_override = th > 0 ? th : 1;
    }
    attempt_log_ended(x->attempts, x->p, t, attempt, cls);
    retry = graph_task_finished(&x->g, t, cls, now);
    x->dirty = 1;
    df_format_duration(now - t->started_ms, el, sizeof(el));

    if (cls != DF_CLASS_OK)
        summary_drop_error_line(out, t->error); /* told once, on the line below */
    if (cls != DF_CLASS_OK || !x->o->quiet)
        print_output(x, name, out);
    if (cls == DF_CLASS_OK) {
        if (!x->o->quiet && !x->o->progress)
            say(x, "ok      %s in %s", name, el);
    } else if (cls == DF_CLASS_INTERRUPTED) {
        say(x, "stopped %s (interrupted)", name);
    } else {
        /* One line per failed attempt: the summary tells the whole message once. */
        struct strbuf line = STRBUF_INIT;
        struct summary_where w = {x->run, x->o->store_uri};
        summary_attempt_line(&line, &x->names, &x->g, t, &w, attempt, retry, now, x->pr.color);
        say(x, "%s", line.buf);
        sb_release(&line);
        if (!retry && x->o->fail_fast && !x->stopping) {
            x->stopping = 1;
            say(x, "duckflow: --fail-fast: starting no more tasks; %zu running finish",
                x->g.running);
        }
    }
    free(out);
    child_free(c);
}

static void interrupt_all(struct executor *x, int sig)
{
    x->interrupted = sig;
    graph_interrupt(&x->g);
    for (size_t i = 0; i < x->g.n_tasks; i++) {
        struct gtask *t = x->g.tasks[i];
        if (t->state != G_RUNNING || !t->proc)
            continue;
        t->interrupted = 1;
        child_kill(t->proc, sig);
        /* Children that ignore the forwarded signal get SIGKILL after the grace. */
        t->term_at = df_now_ms();
    }
    x->dirty = 1;
}

static void enforce_timeouts(struct executor *x, int64_t now)
{
    for (size_t i = 0; i < x->g.n_tasks; i++) {
        struct gtask *t = x->g.tasks[i];
        if (t->state != G_RUNNING || !t->proc)
            continue;
        if (t->term_at) {
            if (now - t->term_at >= x->grace_ms) {
                child_kill(t->proc, SIGKILL);
                t->term_at = now; /* repeat each grace period until reaped */
            }
        } else if (t->deadline && now >= t->deadline) {
            t->timed_out = 1;
            child_kill(t->proc, SIGTERM);
            t->term_at = now;
        }
    }
}

/* How long poll may sleep: until the next retry, deadline, kill or progress refresh. */
static int poll_timeout(const struct executor *x, int64_t now)
{
    int64_t wake = now + (x->o->progress ? 250 : 1000);
    int64_t r = graph_next_retry(&x->g);
    if (r < wake)
        wake = r;
    for (size_t i = 0; i < x->g.n_tasks; i++) {
        const struct gtask *t = x->g.tasks[i];
        if (t->state != G_RUNNING)
            continue;
        if (t->term_at && t->term_at + x->grace_ms < wake)
            wake = t->term_at + x->grace_ms;
        else if (!t->term_at && t->deadline && t->deadline < wake)
            wake = t->deadline;
    }
    if (x->dirty && x->last_write + RUNJSON_EVERY_MS < wake)
        wake = x->last_write + RUNJSON_EVERY_MS;
    wake -= now;
    return wake < 5 ? 5 : wake > 1000 ? 1000 : (int)wake;
}

static void wait_once(struct executor *x, int wake_r)
{
    struct pollfd *fds = xcalloc(x->g.running + 1, sizeof(*fds));
    struct gtask **who = xcalloc(x->g.running + 1, sizeof(*who));
    nfds_t n = 0;
    char buf[64];

    fds[n].fd = wake_r;
    fds[n++].events = POLLIN;
    for (size_t i = 0; i < x->g.n_tasks && n <= x->g.running; i++) {
        struct gtask *t = x->g.tasks[i];
        if (t->state != G_RUNNING || !t->proc || t->proc->fd < 0)
            continue;
        who[n] = t;
        fds[n].fd = t->proc->fd;
        fds[n++].events = POLLIN;
    }
    if (poll(fds, n, poll_timeout(x, df_now_ms())) > 0) {
        if (fds[0].revents)
            while (read(wake_r, buf, sizeof(buf)) > 0)
                ;
        for (nfds_t i = 1; i < n; i++)
            if (fds[i].revents)
                child_read(who[i]->proc);
    }
    free(fds);
    free(who);
}

static void reap_all(struct executor *x)
{
    for (size_t i = 0; i < x->g.n_tasks; i++) {
        struct gtask *t = x->g.tasks[i];
        if (t->state == G_RUNNING && t->proc && child_reap(t->proc))
            task_ended(x, t);
    }
}

static int create_run(struct executor *x, char run_id[64], struct df_error *err)
{
    const struct df_run_opts *o = x->o;
    char *data = NULL, *key;
    size_t len;

    if (!o->resume_run) {
        df_new_run_id(run_id, 64);
        return 0;
    }
    if (!strcmp(o->resume_run, "latest")) {
        /* The run of this pipeline whose run.json started last. */
        json_t *runs = NULL;
        const char *last;
        if (runrec_list(x->store, x->p->name, &runs, err) != 0) {
            df_error_prefix(err, "cannot resume the latest run");
            return -1;
        }
        last = json_string_value(
            json_object_get(json_array_get(runs, json_array_size(runs) - 1), "run"));
        if (!last || !df_valid_run_id(last) || strlen(last) >= 64) {
            json_decref(runs);
            return df_error_set(err, DF_EUSAGE, "cannot resume: pipeline '%s' has no runs",
                                x->p->name);
        }
        snprintf(run_id, 64, "%s", last);
        json_decref(runs);
    } else if (!df_valid_run_id(o->resume_run) || strlen(o->resume_run) >= 64) {
        return df_error_set(err, DF_EUSAGE, "invalid run id '%s'", o->resume_run);
    } else {
        snprintf(run_id, 64, "%s", o->resume_run);
    }
    {
        int removed = 0;
        if (df_run_removed(x->store, x->p->name, run_id, &removed, err) != 0)
            return -1;
        if (removed)
            return df_error_set(err, DF_EUSAGE,
                                "cannot resume run '%s' of '%s': it was removed (runs rm or gc)",
                                run_id, x->p->name);
    }
    key = df_key_run_json(x->p->name, run_id);
    if (df_store_get_bytes(x->store, key, DF_CAP_RUN_JSON, &data, &len, err) != 0) {
        if (err->code == DF_ENOTFOUND) {
            df_error_clear(err);
            df_error_set(err, DF_EUSAGE, "cannot resume run '%s': no such run of pipeline '%s'",
                         run_id, x->p->name);
        } else {
            df_error_prefix(err, "cannot resume run '%s'", run_id);
        }
        free(key);
        return -1;
    }
    free(key);
    x->prev = json_loadb(data, len, 0, NULL);
    free(data);
    if (!json_is_object(x->prev)) {
        json_decref(x->prev);
        x->prev = NULL;
        return df_error_set(err, DF_EIO, "cannot resume run '%s': its run.json is damaged", run_id);
    }
    {
        const char *h = json_string_value(json_object_get(x->prev, "spec_hash"));
        if (h && strcmp(h, x->p->spec_hash) != 0)
            say(x,
                "duckflow: note: the pipeline changed since run '%s' started; committed "
                "tasks whose key changed run again, and the rest with the new definition",
                run_id);
    }
    x->resume = 1;
    /* A damaged stored list of items refuses the resume before anything changes. */
    if (df_items_check_stored(x->p, x->store, run_id, err) != 0)
        return -1;
    /* Nor does one that would change the published run (docs/operations.md). */
    if (resume_guard_published(x->p, x->store, run_id, x->selected, x->rerun, err) != 0)
        return -1;
    /* Its manifests may change without a new attempt folder (a task committed from the
     * cache again): gc must read them until the run's end lists them anew. */
    if (df_run_index_forget(x->store, x->p->name, run_id, err) != 0) {
        df_error_prefix(err, "cannot resume run '%s'", run_id);
        return -1;
    }
    return 0;
}

static void summary(struct executor *x, const char *status)
{
    struct summary_input in;

    if (!x->o->summary)
        return;
    clear_progress(x);
    memset(&in, 0, sizeof(in));
    in.p = x->p;
    in.g = &x->g;
    in.names = &x->names;
    in.run = x->run;
    in.status = status;
    in.elapsed_ms = df_now_ms() - x->t0;
    in.store_uri = x->o->store_uri;
    in.param_args = x->o->param_args;
    in.n_param_args = x->o->n_param_args;
    in.quiet = x->o->quiet;
    in.color = x->pr.color;
    in.stopped = x->stopping;
    in.not_selected = x->not_selected;
    in.warnings = x->warnings;
    in.prev = x->prev;
    in.carry = x->resume ? x->not_selected : NULL;
    summary_print(x->o->summary, &in);
    if (x->o->reported_out)
        *x->o->reported_out = 1;
}

static void set_handlers(struct sigaction old[3], int install)
{
    static const int sigs[3] = {SIGINT, SIGTERM, SIGCHLD};
    for (int i = 0; i < 3; i++) {
        if (install) {
            struct sigaction sa;
            memset(&sa, 0, sizeof(sa));
            sa.sa_handler = on_signal;
            sigemptyset(&sa.sa_mask);
            sa.sa_flags = SA_RESTART | (sigs[i] == SIGCHLD ? SA_NOCLDSTOP : 0);
            sigaction(sigs[i], &sa, &old[i]);
        } else {
            sigaction(sigs[i], &old[i], NULL);
        }
    }
}

/* The tasks' environment: this process's, with DUCKFLOW_TASK_SLOTS=<slots>. A task whose
 * step sets no memory_limit (or threads) sizes DuckDB from the machine divided by its
 * slots, matching the executor's budget of budget / jobs per such task. An executor that
 * itself runs with DUCKFLOW_TASK_SLOTS=M (one of M runs sharing the machine) passes
 * jobs x M. Built once, before any fork. */
static void build_task_env(struct executor *x)
{
    const char *own = getenv("DUCKFLOW_TASK_SLOTS");
    long m = own ? strtol(own, NULL, 10) : 1;
    size_t n = 0, k = 0;

    if (m < 1 || m > 1 << 16)
        m = 1;
    x->slots = x->jobs * (int)m;
    while (environ && environ[n])
        n++;
    x->env = xcalloc(n + 2, sizeof(*x->env));
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "DUCKFLOW_TASK_SLOTS=", 20) != 0)
            x->env[k++] = environ[i];
    x->env[k++] = xasprintf("DUCKFLOW_TASK_SLOTS=%d", x->slots);
    x->env[k] = NULL;
}

/* Frees what build_task_env allocated (the slots entry is the last one). */
static void free_task_env(struct executor *x)
{
    size_t k = 0;
    if (!x->env)
        return;
    while (x->env[k])
        k++;
    if (k)
        free(x->env[k - 1]);
    free(x->env);
    x->env = NULL;
}

/* --rerun, --select/--exclude and --from, checked before anything is created. */
static int cache_options(struct executor *x, struct df_error *err)
{
    const struct df_pipeline *p = x->p;
    const struct df_run_opts *o = x->o;
    size_t n = p->n_steps ? p->n_steps : 1;

    x->rerun = xcalloc(n, 1);
    for (size_t i = 0; i < o->n_rerun; i++) {
        int si = df_pipeline_step_index(p, o->rerun[i]);
        const char *near = df_select_closest(p, o->rerun[i]);
        if (si < 0)
            return df_error_set(err, DF_EUSAGE, "--rerun: no step '%s' in pipeline '%s'%s%s%s",
                                o->rerun[i], p->name, near ? " (did you mean '" : "",
                                near ? near : "", near ? "'?)" : "");
        x->rerun[si] = 1;
    }
    if (o->n_select || o->n_exclude) {
        x->selected = xcalloc(n, 1);
        x->needed = xcalloc(n, 1);
        if (df_select_steps(p, o->select, o->n_select, o->exclude, o->n_exclude, x->selected,
                            err) != 0)
            return -1;
        /* Every unselected step upstream of a selected one: its outputs must come from
         * the cache or from --from. */
        for (size_t k = p->n_steps; k-- > 0;) {
            size_t s = p->order[k];
            if (!x->selected[s] && !x->needed[s])
                continue;
            for (size_t d = 0; d < p->steps[s].n_deps; d++)
                if (!x->selected[p->steps[s].deps[d]])
                    x->needed[p->steps[s].deps[d]] = 1;
        }
    } else if (o->from_run) {
        return df_error_set(err, DF_EUSAGE, "--from needs --select or --exclude");
    }
    if (o->from_run) {
        char *key, *data = NULL;
        size_t len = 0;
        struct df_error e = DF_ERROR_INIT;
        if (!df_valid_run_id(o->from_run) || strlen(o->from_run) >= 64)
            return df_error_set(err, DF_EUSAGE, "--from: invalid run id '%s'", o->from_run);
        key = df_key_run_json(p->name, o->from_run);
        if (df_store_get_bytes(x->store, key, DF_CAP_RUN_JSON, &data, &len, &e) != 0) {
            free(key);
            if (e.code == DF_ENOTFOUND)
                return df_error_set(err, DF_EUSAGE, "--from: no run '%s' of pipeline '%s'",
                                    o->from_run, p->name);
            *err = e;
            return -1;
        }
        free(data);
        free(key);
    }
    return 0;
}

/* The steps a partial run does not select: those a selected step needs come from the
 * cache, or from --from; the others get no tasks. Before anything runs. */
static int resolve_unselected(struct executor *x, struct df_error *err)
{
    const struct df_pipeline *p = x->p;
    const char *from = x->o->from_run;

    for (size_t k = 0; k < p->n_steps; k++) {
        size_t s = p->order[k], n;
        enum df_foreach_kind kind = p->steps[s].foreach.kind;
        json_t *items = NULL;

        if (x->selected[s])
            continue;
        if (!x->needed[s]) {
            if (!x->not_selected)
                x->not_selected = xcalloc(p->n_steps, 1);
            x->not_selected[s] = 1;
            x->items[s] = json_array();
            graph_plan_step(&x->g, s, 0);
            continue;
        }
        if (from && (kind == DF_FOREACH_FILES || kind == DF_FOREACH_ROWS) &&
            reuse_copy_items(x->reuse, from, s, err) != 0)
            return -1;
        if (df_step_items(p, s, x->store, x->run, &items, err) != 0) {
            df_error_prefix(err, "step '%s' is not selected, and its items cannot be planned",
                            p->steps[s].name);
            if (err->code != DF_EIO)
                err->code = DF_EUSAGE;
            return -1;
        }
        n = json_array_size(items);
        x->items[s] = items;
        graph_plan_step(&x->g, s, n);
        for (size_t i = 0; i < n; i++) {
            struct gtask *t = x->g.tasks[x->g.steps[s].tasks[i]];
            json_t *m = NULL;
            struct df_error e = DF_ERROR_INIT;
            if (skip_task(x, t))
                continue;
            if (!from) {
                return df_error_set(
                    err, DF_EUSAGE,
                    "step '%s' (item %zu) is not selected and the cache does not "
                    "have its outputs; pass --from RUN with a run that committed it",
                    p->steps[s].name, i);
            }
            if (reuse_from_run(x->reuse, from, s, i, &m, &e) != 0) {
                if (e.code != DF_ENOTFOUND && e.code != DF_EUSAGE) {
                    *err = e;
                    return -1;
                }
                return df_error_set(err, DF_EUSAGE,
                                    "step '%s' (item %zu) is not selected, and neither the cache "
                                    "nor run '%s' has its outputs",
                                    p->steps[s].name, i, from);
            }
            graph_task_resumed(&x->g, t);
            manifest_totals(m, &t->rows, &t->bytes);
            free(t->reused_from);
            t->reused_from = xstrdup(json_string_value(json_object_get(m, "reused_from_run"))
                                         ? json_string_value(json_object_get(m, "reused_from_run"))
                                         : from);
            json_decref(m);
        }
    }
    return 0;
}

/* Becomes the run's owner (exec/owner.h), then prepares reuse and a partial run. A new
 * run that cannot start leaves nothing in the store. */
static int take_run(struct executor *x, struct df_error *err)
{
    int found = 0;
    char *prefix;
    struct df_error e = DF_ERROR_INIT;

    if (df_owner_acquire(x->store, x->p->name, x->run, !x->resume, &x->owner, &found, err) != 0) {
        if (err->code == DF_EUSAGE)
            df_error_prefix(err, "cannot resume");
        else
            df_error_prefix(err, "cannot %s run '%s'", x->resume ? "resume" : "create", x->run);
        return -1;
    }
    /* A run recorded before owner records existed: its run.json tells. */
    if (x->resume && !found && runrec_still_running(x->prev)) {
        df_error_set(err, DF_EUSAGE,
                     "cannot resume run '%s': it is still running (pid %" JSON_INTEGER_FORMAT
                     " on host '%s')",
                     x->run, json_integer_value(json_object_get(x->prev, "pid")),
                     json_string_value(json_object_get(x->prev, "host"))
                         ? json_string_value(json_object_get(x->prev, "host"))
                         : "?");
        df_owner_release(x->owner);
        x->owner = NULL;
        return -1;
    }
    x->reuse = reuse_new(x->p, x->store, x->run, x->items, x->resume, x->o->no_cache, x->rerun);
    if (!x->selected || resolve_unselected(x, err) == 0)
        return 0;
    df_owner_release(x->owner);
    x->owner = NULL;
    if (!x->resume) {
        char *run_key = df_key_run(x->p->name, x->run);
        prefix = xasprintf("%s/", run_key);
        df_store_remove_prefix(x->store, prefix, &e);
        free(prefix);
        free(run_key);
    }
    return -1;
}

/* The executor before its run: options and defaults, the task environment, the graph
 * of every step (retries, memory per task). Allocates what df_run()'s end releases. */
static void executor_init(struct executor *x, const struct df_pipeline *p, struct df_store *store,
                          const struct df_run_opts *o, const char *run_id)
{
    memset(x, 0, sizeof(*x));
    x->p = p;
    x->store = store;
    x->o = o;
    x->run = run_id;
    x->jobs = o->jobs > 0 ? o->jobs : df_default_jobs();
    x->budget = o->memory_budget ? o->memory_budget : df_default_memory_budget();
    x->grace_ms = o->grace_ms > 0 ? o->grace_ms : 5000;
    build_task_env(x);
    tasknames_init(&x->names, p);
    progress_init(&x->pr, stderr, o->color);
    x->t0 = df_now_ms();
    df_iso_now(x->started_at, sizeof(x->started_at));

    x->defs = xcalloc(p->n_steps ? p->n_steps : 1, sizeof(*x->defs));
    x->items = xcalloc(p->n_steps ? p->n_steps : 1, sizeof(*x->items));
    for (size_t s = 0; s < p->n_steps; s++) {
        const struct df_step *st = &p->steps[s];
        x->defs[s].deps = st->deps;
        x->defs[s].n_deps = st->n_deps;
        x->defs[s].each_of = st->foreach.kind == DF_FOREACH_EACH ? st->foreach.each_index : -1;
        x->defs[s].max_attempts = 1 + (st->limits.retries >= 0 ? st->limits.retries : 2);
        x->defs[s].memory =
            st->limits.memory_limit ? st->limits.memory_limit : x->budget / (uint64_t)x->jobs;
    }
    graph_init(&x->g, x->defs, p->n_steps, p->order);
    if (o->backoff_ms > 0)
        x->g.backoff_ms = o->backoff_ms;
}

/* The run's first record (status running) and its lineage start event; then the stale
 * uploads of killed attempts, swept once per run, here (exec/sweep.h). */
static int begin_run(struct executor *x, struct df_error *err)
{
    struct runrec_input in;
    char *run, *prefix, *said;

    memset(&in, 0, sizeof(in));
    in.p = x->p;
    in.g = &x->g;
    in.run = x->run;
    in.status = "running";
    in.started_at = x->started_at;
    in.jobs = x->jobs;
    in.memory_budget = x->budget;
    in.prev = x->prev;
    in.carry = x->resume ? x->not_selected : NULL;
    if (runrec_write(x->store, &in, err) != 0) {
        df_error_prefix(err, "cannot create run '%s'", x->run);
        return -1;
    }
    x->last_write = df_now_ms();
    df_lineage_run_start(x->store, x->p->name, x->run, x->started_at);

    run = df_key_run(x->p->name, x->run);
    prefix = xasprintf("%s/", run);
    said = df_sweep_uploads(x->store, prefix);
    if (said && !x->o->quiet)
        say(x, "%s", said);
    free(said);
    free(prefix);
    free(run);
    return 0;
}

/* The loop: reap what ended, plan the steps that can be planned, start what fits, wait
 * for a child or a signal; until every task ended, or (interrupted, --fail-fast, a store
 * failure while planning: err is set) nothing runs any more. */
static void schedule(struct executor *x, int wake_r, struct df_error *err)
{
    for (;;) {
        int64_t now = df_now_ms();
        int planned = 0;
        struct gtask *t;

        if (got_signal && !x->interrupted) {
            interrupt_all(x, got_signal);
            say(x, "duckflow: %s: stopping %zu running task%s", signal_name(got_signal),
                x->g.running, x->g.running == 1 ? "" : "s");
        }
        if (x->interrupted && n_signals > 1) {
            /* A second Ctrl-C: no more patience. */
            for (size_t i = 0; i < x->g.n_tasks; i++)
                if (x->g.tasks[i]->state == G_RUNNING && x->g.tasks[i]->proc)
                    child_kill(x->g.tasks[i]->proc, SIGKILL);
        }
        reap_all(x);
        if (x->stopping && !x->interrupted)
            graph_stop(&x->g); /* --fail-fast: what waits is not run */
        if (!x->interrupted && !x->stopping) {
            planned = plan_ready(x, err);
            if (planned < 0)
                break;
            while ((t = graph_next(&x->g, now, x->jobs, x->budget)) != NULL)
                if (!skip_task(x, t))
                    start_task(x, t, now);
        }
        if (graph_idle(&x->g))
            break;
        if (!x->g.running && !planned && graph_next_retry(&x->g) == INT64_MAX &&
            !graph_next(&x->g, now, x->jobs, x->budget)) {
            if (x->interrupted || x->stopping)
                break;
            /* Nothing runs, nothing can start, nothing can be planned: a bug, not a
             * reason to spin forever. */
            for (size_t s = 0; s < x->p->n_steps; s++)
                if (!graph_step_finished(&x->g, s))
                    graph_step_plan_failed(&x->g, s, DF_CLASS_UPSTREAM,
                                           "its dependencies never finished");
            graph_interrupt(&x->g);
            break;
        }
        enforce_timeouts(x, df_now_ms());
        save_run_json(x, "running", 0);
        df_owner_heartbeat(x->owner, df_now_ms());
        show_progress(x);
        wait_once(x, wake_r);
    }
}

/* What the run came to once nothing runs: *status ("succeeded", "failed",
 * "interrupted") and 0, or -1 with err saying why (the first failed task, the signal, the
 * step that could not be planned). err may already hold a store failure. */
static int run_outcome(struct executor *x, const char **status, struct df_error *err)
{
    int rc = -1;
    size_t failed = 0, upstream = 0, first = SIZE_MAX;
    char more[64] = "";
    for (size_t i = 0; i < x->g.n_tasks; i++) {
        upstream += x->g.tasks[i]->state == G_UPSTREAM;
        if (x->g.tasks[i]->state == G_FAILED) {
            failed++;
            if (first == SIZE_MAX)
                first = i;
        }
    }
    if (upstream)
        snprintf(more, sizeof(more), ", %zu not run", upstream);
    if (err->code) {
        *status = "failed";
    } else if (x->interrupted) {
        *status = "interrupted";
        if (x->o->signal_out)
            *x->o->signal_out = x->interrupted;
        df_error_set(err, DF_EFAIL, "run '%s' interrupted by %s", x->run,
                     signal_name(x->interrupted));
    } else if (failed || upstream || !graph_idle(&x->g)) {
        *status = "failed";
        if (first != SIZE_MAX) {
            char name[160];
            task_name(x, x->g.tasks[first], name, sizeof(name));
            df_error_set(err, DF_EFAIL, "run '%s' failed: %zu task%s failed%s; first: %s (%s): %s",
                         x->run, failed, failed == 1 ? "" : "s", more, name,
                         df_exit_class_name(x->g.tasks[first]->cls),
                         x->g.tasks[first]->error ? x->g.tasks[first]->error : "failed");
        } else {
            const char *why = "a step could not be planned";
            for (size_t s = 0; s < x->p->n_steps; s++)
                if (x->g.steps[s].error) {
                    why = x->g.steps[s].error;
                    break;
                }
            df_error_set(err, DF_EFAIL, "run '%s' failed: %s", x->run, why);
        }
    } else {
        *status = "succeeded";
        rc = 0;
    }
    for (size_t s = 0; rc == 0 && s < x->p->n_steps; s++)
        if (x->g.steps[s].failed) {
            *status = "failed";
            rc = -1;
            df_error_set(err, DF_EFAIL, "run '%s' failed: %s", x->run,
                         x->g.steps[s].error ? x->g.steps[s].error : "a step failed");
        }
    return rc;
}

/* The run's last record and what a run leaves for consumers (views.sql; a succeeded run
 * is published). rc is what the run came to; returns it, or -1 when that failed. A record
 * that could not be written makes the run's error a store error (exit 3) whatever else
 * failed: the record is not what happened, and --resume repairs it. */
static int end_run(struct executor *x, const char *status, int rc, struct df_error *err)
{
    x->dirty = 1;
    save_run_json(x, status, 1);
    if (df_reserve_release(x->store, x->p->name, x->run) && x->last_failed) {
        /* A full disk: the reserve's room takes the record of how the run ended (failed),
         * which is still a store error (exit 3) below. */
        save_run_json(x, rc == 0 ? "failed" : status, 1);
        x->last_failed = 1;
    }
    /* views.sql for notebooks; a succeeded run becomes the published one (issue 13), unless
     * it is partial: a step it neither selected nor needed has no tasks of this
     * invocation (at best the previous record's, which may not match what it ran now). */
    if (!x->store_failed) {
        struct df_error e = DF_ERROR_INIT;
        int whole = x->not_selected == NULL;
        if (df_run_end_outputs(x->store, x->p->name, x->run, rc == 0 && whole, &e) != 0) {
            if (rc == 0)
                *err = e;
            else
                fprintf(stderr, "duckflow: %s\n", e.msg);
            rc = -1;
        }
    }
    if (x->last_failed || (x->store_failed && rc == 0)) {
        /* The run's record is not what happened (a full disk, a permission): whatever else
         * failed, this is a store error (exit 3), said on stderr, and --resume repairs the
         * record. */
        char besides[sizeof(err->msg) + 16] = "";
        if (err->code)
            snprintf(besides, sizeof(besides), "; besides, %s", err->msg);
        rc = -1;
        df_error_clear(err);
        df_error_set(err, DF_EIO,
                     "run '%s': cannot record its state: %s; 'duckflow run --resume %s' repairs "
                     "the record%s",
                     x->run, x->store_msg, x->run, besides);
    }
    return rc;
}

int df_run(const struct df_pipeline *p, struct df_store *store, const struct df_run_opts *o,
           char run_id[64], struct df_error *err)
{
    struct executor x;
    struct sigaction old[3];
    int wake[2] = {-1, -1}, rc = -1, handlers = 0;
    const char *status = "failed";

    run_id[0] = '\0';
    if (o->signal_out)
        *o->signal_out = 0;
    executor_init(&x, p, store, o, run_id);

    if (cache_options(&x, err) != 0 || create_run(&x, run_id, err) != 0)
        goto out;
    if (take_run(&x, err) != 0) {
        run_id[0] = x.resume ? run_id[0] : '\0';
        goto out;
    }
    x.attempts = attempt_log_new(x.prev);
    x.warnings = json_array();
    if (x.prev) {
        const char *sa = json_string_value(json_object_get(x.prev, "started_at"));
        if (sa)
            snprintf(x.started_at, sizeof(x.started_at), "%s", sa);
    }
    if (begin_run(&x, err) != 0)
        goto out;

    if (pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) {
        df_error_errno(err, "cannot create a pipe");
        goto out;
    }
    got_signal = 0;
    n_signals = 0;
    wake_w = wake[1];
    set_handlers(old, 1);
    handlers = 1;

    if (!o->quiet && o->log)
        say(&x, "run %s of '%s': %d task%s at a time", run_id, p->name, x.jobs,
            x.jobs == 1 ? "" : "s");
    df_reserve_take(store, p->name, run_id); /* room for the last record (exec/reserve.h) */
    schedule(&x, wake[0], err);
    if (err->code) {
        /* A store failure while planning: stop what runs, as for an interrupt. */
        interrupt_all(&x, SIGTERM);
        while (x.g.running) {
            enforce_timeouts(&x, df_now_ms());
            wait_once(&x, wake[0]);
            reap_all(&x);
        }
    }

    rc = run_outcome(&x, &status, err);
    rc = end_run(&x, status, rc, err);
    clear_progress(&x);
    summary(&x, status);

out:
    df_owner_release(x.owner);
    reuse_free(x.reuse);
    free(x.rerun);
    free(x.selected);
    free(x.needed);
    free(x.not_selected);
    if (handlers)
        set_handlers(old, 0);
    wake_w = -1;
    for (int i = 0; i < 2; i++)
        if (wake[i] >= 0)
            close(wake[i]);
    for (size_t s = 0; s < p->n_steps; s++)
        json_decref(x.items[s]);
    free(x.items);
    graph_release(&x.g);
    free(x.defs);
    json_decref(x.prev);
    free_task_env(&x);
    tasknames_release(&x.names);
    json_decref(x.attempts);
    json_decref(x.warnings);
    return rc;
}
