/*
 * summary.c - task names, colours and the end-of-run summary of `duckflow run` (see
 * summary.h). Each failure is told once: grouped by step, class and message, with at
 * most three of the group's tasks named.
 */
#include "exec/summary.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "dag/label.h"
#include "exec/runcarry.h"
#include "util/exitclass.h"
#include "util/timeutil.h"
#include "util/banned.h"

#define GROUP_NAMES 3 /* tasks named per failure group */

void tasknames_init(struct tasknames *tn, const struct df_pipeline *p)
{
    size_t n = p->n_steps ? p->n_steps : 1;
    tn->p = p;
    tn->labels = xcalloc(n, sizeof(*tn->labels));
    tn->n = xcalloc(n, sizeof(*tn->n));
}

void tasknames_release(struct tasknames *tn)
{
    if (!tn->labels)
        return;
    for (size_t s = 0; s < tn->p->n_steps; s++)
        df_item_labels_free(tn->labels[s], tn->n[s]);
    free(tn->labels);
    free(tn->n);
    tn->labels = NULL;
    tn->n = NULL;
}

void tasknames_plan(struct tasknames *tn, size_t s, const json_t *items)
{
    df_item_labels_free(tn->labels[s], tn->n[s]);
    tn->labels[s] = df_item_labels(items, &tn->n[s]);
}

void tasknames_get(const struct tasknames *tn, size_t step, size_t item, char *out, size_t n)
{
    const char *name = tn->p->steps[step].name;
    if (tn->p->steps[step].foreach.kind == DF_FOREACH_NONE)
        snprintf(out, n, "%s", name);
    else if (tn->labels && tn->labels[step] && item < tn->n[step])
        snprintf(out, n, "%s[%s]", name, tn->labels[step][item]);
    else
        snprintf(out, n, "%s[%zu]", name, item);
}

json_t *attempt_log_new(json_t *prev_run_json)
{
    json_t *prev = json_object_get(prev_run_json, "attempts");
    return json_is_array(prev) ? json_deep_copy(prev) : json_array();
}

void attempt_log_started(json_t *log, const struct df_pipeline *p, const struct gtask *t,
                         int attempt)
{
    char now[40];
    df_iso_now(now, sizeof(now));
    json_array_append_new(log,
                          json_pack("{s:s, s:I, s:i, s:s, s:n, s:n}", "step",
                                    p->steps[t->step].name, "item_index", (json_int_t)t->item_index,
                                    "attempt", attempt, "started_at", now, "finished_at", "class"));
}

void attempt_log_ended(json_t *log, const struct df_pipeline *p, const struct gtask *t, int attempt,
                       enum df_exit_class cls)
{
    char now[40];
    df_iso_now(now, sizeof(now));
    /* The latest record of this attempt: search from the end. */
    for (size_t i = json_array_size(log); i-- > 0;) {
        json_t *a = json_array_get(log, i);
        const char *st = json_string_value(json_object_get(a, "step"));
        if (st && !strcmp(st, p->steps[t->step].name) &&
            json_integer_value(json_object_get(a, "item_index")) == (json_int_t)t->item_index &&
            json_integer_value(json_object_get(a, "attempt")) == attempt &&
            json_is_null(json_object_get(a, "finished_at"))) {
            json_object_set_new(a, "finished_at", json_string(now));
            json_object_set_new(a, "class", json_string(df_exit_class_name(cls)));
            return;
        }
    }
}

void colors_init(struct colors *c, int on)
{
    c->ok = on ? "\033[32m" : "";
    c->fail = on ? "\033[31m" : "";
    c->run = on ? "\033[33m" : "";
    c->reuse = on ? "\033[36m" : "";
    c->dim = on ? "\033[2m" : "";
    c->bold = on ? "\033[1m" : "";
    c->off = on ? "\033[0m" : "";
}

int colors_wanted(const char *mode, int is_tty)
{
    const char *nc = getenv("NO_COLOR");
    if (mode && !strcmp(mode, "always"))
        return 1;
    if (mode && !strcmp(mode, "never"))
        return 0;
    return is_tty && !(nc && *nc);
}

char *summary_first_line(const char *msg)
{
    const char *nl;
    if (!msg)
        return xstrdup("");
    nl = strchr(msg, '\n');
    return nl ? xstrndup(msg, (size_t)(nl - msg)) : xstrdup(msg);
}

/* Shell-quotes s when it holds anything but [A-Za-z0-9_./:=,+@%-]. */
static void add_arg(struct strbuf *sb, const char *s)
{
    int plain = *s != '\0';
    for (const char *c = s; *c && plain; c++)
        plain = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                strchr("_./:=,+@%-", *c);
    sb_addc(sb, ' ');
    if (plain) {
        sb_adds(sb, s);
        return;
    }
    sb_addc(sb, '\'');
    for (const char *c = s; *c; c++) {
        if (*c == '\'')
            sb_adds(sb, "'\\''");
        else
            sb_addc(sb, *c);
    }
    sb_addc(sb, '\'');
}

void summary_resume_command(const struct summary_input *in, struct strbuf *sb)
{
    sb_adds(sb, "duckflow run");
    add_arg(sb, in->p->path);
    sb_adds(sb, " --resume");
    add_arg(sb, in->run);
    if (in->store_uri) {
        sb_adds(sb, " --store");
        add_arg(sb, in->store_uri);
    }
    for (size_t i = 0; i < in->n_param_args; i++) {
        sb_adds(sb, " --param");
        add_arg(sb, in->param_args[i]);
    }
}

/* The message without the "step 'S' item N: " (or "step 'S': ") prefix a task puts on
 * its errors: the task is named beside it, and the rest is what tasks have in common. */
static const char *bare(const struct df_pipeline *p, const struct gtask *t)
{
    const char *m = t->error ? t->error : "failed", *name = p->steps[t->step].name;
    size_t n = strlen(name);
    if (strncmp(m, "step '", 6) || strncmp(m + 6, name, n) || m[6 + n] != '\'')
        return m;
    m += 7 + n;
    if (!strncmp(m, " item ", 6)) {
        const char *d = m + 6;
        while (*d >= '0' && *d <= '9')
            d++;
        if (d == m + 6)
            return t->error;
        m = d;
    }
    return !strncmp(m, ": ", 2) ? m + 2 : t->error;
}

void summary_drop_error_line(char *out, const char *msg)
{
    char *line, *at;
    if (!out || !msg || !*msg)
        return;
    line = xasprintf("duckflow: %s\n", msg);
    at = strstr(out, line);
    if (at)
        memmove(at, at + strlen(line), strlen(at + strlen(line)) + 1);
    free(line);
}

void summary_logs_command(struct strbuf *sb, const char *run, const char *store_uri,
                          const char *task)
{
    sb_adds(sb, "duckflow logs");
    if (store_uri) {
        sb_adds(sb, " --store");
        add_arg(sb, store_uri);
    }
    add_arg(sb, run);
    add_arg(sb, task);
}

void summary_attempt_line(struct strbuf *sb, const struct tasknames *tn, const struct graph *g,
                          const struct gtask *t, const struct summary_where *w, int attempt,
                          int retry, int64_t now, int color)
{
    struct colors c;
    char name[256];
    char *first = summary_first_line(bare(tn->p, t));
    size_t n = strlen(first);

    /* "check 'x' failed: 3 rows:" introduces a table the summary shows: no colon here. */
    if (n && first[n - 1] == ':')
        first[n - 1] = '\0';
    colors_init(&c, color);
    tasknames_get(tn, t->step, t->item_index, name, sizeof(name));
    if (retry) {
        char wait[32];
        df_format_duration(t->retry_at - now, wait, sizeof(wait));
        sb_addf(sb, "%sretry%s   %s (%s, attempt %d of %d): %s; next attempt in %s", c.run, c.off,
                name, df_exit_class_name(t->cls), attempt,
                t->attempt_base + g->steps[t->step].def.max_attempts, first, wait);
    } else {
        sb_addf(sb, "%sfailed%s  %s (%s, attempt %d): %s", c.fail, c.off, name,
                df_exit_class_name(t->cls), attempt, first);
    }
    if (w && w->run) {
        sb_addf(sb, " %s(log: ", c.dim);
        summary_logs_command(sb, w->run, w->store_uri, name);
        sb_addf(sb, ")%s", c.off);
    }
    free(first);
}

/* The tasks run.json carries for step s from the run's previous record (runrec.c does
 * the same): a resume that has not planned s, or has not selected it. Returns how many. */
static size_t carried(const struct summary_input *in, size_t s, struct runcarry *c)
{
    memset(c, 0, sizeof(*c));
    if (in->prev && (!in->g->steps[s].planned || (in->carry && in->carry[s])))
        runcarry_step(in->prev, in->p->steps[s].name, 1, NULL, c);
    return c->total;
}

static void step_table(FILE *f, const struct summary_input *in, const struct colors *c)
{
    const struct df_pipeline *p = in->p;
    const struct graph *g = in->g;
    size_t w = 4;

    for (size_t s = 0; s < p->n_steps; s++)
        if (strlen(p->steps[s].name) > w)
            w = strlen(p->steps[s].name);
    fprintf(f, "\n%-*s  %9s  %12s  %10s  %8s  %s\n", (int)w, "step", "tasks", "rows out", "bytes",
            "time", "status");
    for (size_t k = 0; k < p->n_steps; k++) {
        size_t s = p->order[k], done = 0, failed = 0, notrun = 0, stopped = 0, reused = 0;
        size_t cached = 0; /* reused from an earlier run through the cache */
        const char *why = NULL;
        const struct gstep *st = &g->steps[s];
        uint64_t rows = 0, bytes = 0;
        int64_t first = INT64_MAX, last = 0;
        char tasks[32], rs[32], bs[32], ts[32], stat[96];
        const char *col = "";

        for (size_t i = 0; i < st->n_tasks; i++) {
            const struct gtask *t = g->tasks[st->tasks[i]];
            rows += t->rows;
            bytes += t->bytes;
            reused += t->resumed && !t->reused_from;
            cached += t->reused_from != NULL;
            if (t->rerun_reason && !why)
                why = t->rerun_reason;
            done += t->state == G_DONE;
            failed += t->state == G_FAILED;
            /* Interrupted before it started: not run. */
            notrun += t->state == G_UPSTREAM || t->state == G_WAITING ||
                      (t->state == G_INTERRUPTED && !t->attempts);
            stopped += t->state == G_INTERRUPTED && t->attempts;
            if (t->attempts && t->first_started_ms < first)
                first = t->first_started_ms;
            if (t->attempts && t->ended_ms > last)
                last = t->ended_ms;
        }
        struct runcarry cr;
        size_t n_carried = carried(in, s, &cr);

        if (n_carried) { /* as run.json has them: the previous record's */
            rows = cr.rows;
            bytes = cr.bytes;
            snprintf(tasks, sizeof(tasks), "%zu/%zu", cr.done, cr.total);
        } else if (st->planned) {
            snprintf(tasks, sizeof(tasks), "%zu/%zu", done, st->n_tasks);
        } else {
            snprintf(tasks, sizeof(tasks), "-");
        }
        snprintf(rs, sizeof(rs), "%" PRIu64, rows);
        df_format_size(bytes, bs, sizeof(bs));
        if (first != INT64_MAX && last >= first)
            df_format_duration(last - first, ts, sizeof(ts));
        else
            snprintf(ts, sizeof(ts), "-");
        if (in->not_selected && in->not_selected[s]) {
            col = c->dim;
            snprintf(stat, sizeof(stat), "not selected");
        } else if (graph_step_succeeded(g, s) && (why || cached)) {
            col = cached == st->n_tasks ? c->reuse : c->ok;
            if (why)
                snprintf(stat, sizeof(stat), "ok (rerun: %s)", why);
            else if (cached == st->n_tasks)
                snprintf(stat, sizeof(stat), "ok (reused)");
            else
                snprintf(stat, sizeof(stat), "ok (%zu reused)", cached);
        } else if (graph_step_succeeded(g, s)) {
            col = reused == st->n_tasks && st->n_tasks ? c->reuse : c->ok;
            if (reused && reused == st->n_tasks)
                snprintf(stat, sizeof(stat), "ok (kept)");
            else if (reused)
                snprintf(stat, sizeof(stat), "ok (%zu kept)", reused);
            else
                snprintf(stat, sizeof(stat), "ok");
        } else if (failed) {
            col = c->fail;
            snprintf(stat, sizeof(stat), "%s: %zu failed", df_exit_class_name(st->cls), failed);
            if (notrun)
                snprintf(stat + strlen(stat), sizeof(stat) - strlen(stat), ", %zu not run", notrun);
            if (stopped)
                snprintf(stat + strlen(stat), sizeof(stat) - strlen(stat), ", %zu interrupted",
                         stopped);
        } else if (stopped) {
            col = c->run;
            snprintf(stat, sizeof(stat), "interrupted");
            if (notrun)
                snprintf(stat + strlen(stat), sizeof(stat) - strlen(stat), ", %zu not run", notrun);
        } else if (st->failed && st->cls == DF_CLASS_INTERRUPTED && st->planned) {
            col = c->run;
            snprintf(stat, sizeof(stat), "interrupted: %zu not run", notrun);
        } else if (st->failed) {
            int notr = st->cls == DF_CLASS_UPSTREAM;
            col = notr ? c->dim : c->fail;
            if (notr && st->planned)
                snprintf(stat, sizeof(stat), "%s: %zu not run",
                         in->stopped ? "stopped (--fail-fast)" : "upstream_failed", notrun);
            else
                snprintf(stat, sizeof(stat), "%s",
                         !notr         ? df_exit_class_name(st->cls)
                         : in->stopped ? "stopped (--fail-fast): not run"
                                       : "upstream_failed: not run");
        } else {
            col = c->dim;
            snprintf(stat, sizeof(stat), "not run");
        }
        if (n_carried)
            snprintf(stat + strlen(stat), sizeof(stat) - strlen(stat), " (%zu carried)", n_carried);
        fprintf(f, "%-*s  %9s  %12s  %10s  %8s  %s%s%s\n", (int)w, p->steps[s].name, tasks,
                st->planned || n_carried ? rs : "-", st->planned || n_carried ? bs : "-", ts, col,
                stat, c->off);
    }
}

/* Prints message lines after the first, indented (DuckDB's LINE context and caret). */
static void rest_lines(FILE *f, const char *msg)
{
    const char *nl = msg ? strchr(msg, '\n') : NULL;
    while (nl) {
        const char *next = strchr(nl + 1, '\n');
        size_t n = next ? (size_t)(next - nl - 1) : strlen(nl + 1);
        if (n)
            fprintf(f, "      %.*s\n", (int)n, nl + 1);
        nl = next;
    }
}

static void failures(FILE *f, const struct summary_input *in, const struct colors *c)
{
    const struct graph *g = in->g;
    size_t n = g->n_tasks;
    char *seen = xcalloc(n ? n : 1, 1);
    int header = 0;

    for (size_t i = 0; i < n; i++) {
        const struct gtask *t = g->tasks[i];
        size_t count = 0, named = 0;
        struct strbuf names = STRBUF_INIT;
        char name[256];

        if (seen[i] || t->state != G_FAILED)
            continue;
        for (size_t j = i; j < n; j++) {
            const struct gtask *u = g->tasks[j];
            if (seen[j] || u->state != G_FAILED || u->step != t->step || u->cls != t->cls ||
                strcmp(bare(in->p, u), bare(in->p, t)))
                continue;
            seen[j] = 1;
            count++;
            if (named < GROUP_NAMES) {
                tasknames_get(in->names, u->step, u->item_index, name, sizeof(name));
                sb_addf(&names, "%s%s", named ? ", " : "", name);
                named++;
            }
        }
        if (!header) {
            fprintf(f, "\n%sfailed:%s\n", c->fail, c->off);
            header = 1;
        }
        {
            char *first = summary_first_line(bare(in->p, t));
            if (in->p->steps[t->step].foreach.kind == DF_FOREACH_NONE)
                fprintf(f, "  %s%s%s (%s): %s\n", c->bold, in->p->steps[t->step].name, c->off,
                        df_exit_class_name(t->cls), first);
            else
                fprintf(f, "  %s%zu task%s of %s%s (%s): %s\n", c->bold, count,
                        count == 1 ? "" : "s", in->p->steps[t->step].name, c->off,
                        df_exit_class_name(t->cls), first);
            rest_lines(f, bare(in->p, t));
            if (count > named)
                sb_addf(&names, " and %zu more", count - named);
            if (in->p->steps[t->step].foreach.kind != DF_FOREACH_NONE)
                fprintf(f, "    %s\n", names.buf);
            {
                struct strbuf logs = STRBUF_INIT;
                tasknames_get(in->names, t->step, t->item_index, name, sizeof(name));
                summary_logs_command(&logs, in->run, in->store_uri, name);
                fprintf(f, "    %slog:%s %s\n", c->dim, c->off, logs.buf);
                sb_release(&logs);
            }
            free(first);
        }
        sb_release(&names);
    }
    /* Steps that failed without tasks (planning, no items). */
    for (size_t k = 0; k < in->p->n_steps; k++) {
        size_t s = in->p->order[k];
        const struct gstep *st = &g->steps[s];
        if (!st->failed || !st->error || st->cls == DF_CLASS_UPSTREAM)
            continue;
        if (!header) {
            fprintf(f, "\n%sfailed:%s\n", c->fail, c->off);
            header = 1;
        }
        {
            char *first = summary_first_line(st->error);
            fprintf(f, "  %s%s%s (%s): %s\n", c->bold, in->p->steps[s].name, c->off,
                    df_exit_class_name(st->cls), first);
            rest_lines(f, st->error);
            free(first);
        }
    }
    free(seen);
}

void summary_note_warnings(json_t *log, const struct gtask *t, json_t *m)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(m, "checks"), i, c)
    {
        const char *sev = json_string_value(json_object_get(c, "severity"));
        const char *name = json_string_value(json_object_get(c, "name"));
        if (!log || !sev || strcmp(sev, "warn") || !name ||
            json_is_true(json_object_get(c, "passed")))
            continue;
        json_array_append_new(log,
                              json_pack("{s:I, s:I, s:s, s:I}", "step", (json_int_t)t->step,
                                        "item_index", (json_int_t)t->item_index, "name", name,
                                        "rows", json_integer_value(json_object_get(c, "rows"))));
    }
}

static int by_step_item(const void *a, const void *b)
{
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    json_int_t sx = json_integer_value(json_object_get(x, "step"));
    json_int_t sy = json_integer_value(json_object_get(y, "step"));
    json_int_t ix = json_integer_value(json_object_get(x, "item_index"));
    json_int_t iy = json_integer_value(json_object_get(y, "item_index"));
    return sx != sy ? (sx > sy) - (sx < sy) : (ix > iy) - (ix < iy);
}

/* The failed warn checks, once: per step and check, how many tasks and rows, up to three
 * tasks named (in item order). */
static void warnings(FILE *f, const struct summary_input *in, const struct colors *c)
{
    size_t n = json_array_size(in->warnings);
    char *seen = xcalloc(n ? n : 1, 1);
    json_t **v = xcalloc(n ? n : 1, sizeof(*v));
    int header = 0;

    for (size_t i = 0; i < n; i++)
        v[i] = json_array_get(in->warnings, i);
    qsort(v, n, sizeof(*v), by_step_item);
    for (size_t i = 0; i < n; i++) {
        json_t *w = v[i];
        size_t step = (size_t)json_integer_value(json_object_get(w, "step")), count = 0;
        const char *check = json_string_value(json_object_get(w, "name"));
        long long rows = 0;
        struct strbuf names = STRBUF_INIT;
        char name[256];

        if (seen[i] || step >= in->p->n_steps)
            continue;
        for (size_t j = i; j < n; j++) {
            json_t *u = v[j];
            if (seen[j] || (size_t)json_integer_value(json_object_get(u, "step")) != step ||
                strcmp(json_string_value(json_object_get(u, "name")), check))
                continue;
            seen[j] = 1;
            rows += json_integer_value(json_object_get(u, "rows"));
            if (count < GROUP_NAMES) {
                tasknames_get(in->names, step,
                              (size_t)json_integer_value(json_object_get(u, "item_index")), name,
                              sizeof(name));
                sb_addf(&names, "%s%s", count ? ", " : "", name);
            }
            count++;
        }
        if (names.len && count > GROUP_NAMES)
            sb_addf(&names, " and %zu more", count - GROUP_NAMES);
        if (!header++)
            fprintf(f, "\n%swarnings%s (severity warn: recorded, the tasks committed):\n", c->run,
                    c->off);
        if (in->p->steps[step].foreach.kind == DF_FOREACH_NONE)
            fprintf(f, "  %s%s%s: check '%s' failed: %lld row%s\n", c->bold,
                    in->p->steps[step].name, c->off, check, rows, rows == 1 ? "" : "s");
        else
            fprintf(f, "  %s%zu task%s of %s%s: check '%s' failed: %lld row%s in all\n    %s\n",
                    c->bold, count, count == 1 ? "" : "s", in->p->steps[step].name, c->off, check,
                    rows, rows == 1 ? "" : "s", names.buf);
        sb_release(&names);
    }
    free(v);
    free(seen);
}

void summary_print(FILE *f, const struct summary_input *in)
{
    const struct graph *g = in->g;
    struct colors c;
    size_t failed = 0, notrun = 0, stopped = 0, reused = 0, done = 0, cached = 0;
    size_t total = g->n_tasks, n_carried = 0;
    char el[32];
    int ok = !strcmp(in->status, "succeeded");

    colors_init(&c, in->color);
    for (size_t i = 0; i < g->n_tasks; i++) {
        const struct gtask *t = g->tasks[i];
        failed += t->state == G_FAILED;
        notrun += t->state == G_UPSTREAM || t->state == G_WAITING ||
                  (t->state == G_INTERRUPTED && !t->attempts);
        stopped += t->state == G_INTERRUPTED && t->attempts;
        reused += t->resumed && !t->reused_from;
        cached += t->reused_from != NULL;
        done += t->state == G_DONE;
    }
    for (size_t s = 0; s < in->p->n_steps; s++) {
        /* Tasks of steps this invocation did not plan: the record keeps them, and so does
         * the count (the ones not done were not run now). */
        struct runcarry cr;
        size_t n = carried(in, s, &cr);
        n_carried += n;
        total += n;
        done += cr.done;
        notrun += n - cr.done;
    }
    if (!in->quiet) {
        step_table(f, in, &c);
        warnings(f, in, &c);
    }
    failures(f, in, &c);
    df_format_duration(in->elapsed_ms, el, sizeof(el));
    fprintf(f, "%srun %s %s%s%s in %s", in->quiet ? "" : "\n", in->run, ok ? c.ok : c.fail,
            in->status, c.off, el);
    if (!ok) {
        fprintf(f, ": %zu of %zu tasks done", done, total);
        if (failed)
            fprintf(f, ", %zu failed", failed);
        if (notrun)
            fprintf(f, ", %zu not run", notrun);
        if (stopped)
            fprintf(f, ", %zu interrupted", stopped);
        if (n_carried)
            fprintf(f, " (%zu carried from the previous attempt)", n_carried);
        if (in->stopped)
            fprintf(f, " (--fail-fast stopped starting tasks)");
    } else if (reused || cached || n_carried) {
        const char *sep = " (";
        const char *tasks = "s"; /* "task(s)" after the first figure only */
        size_t first = reused ? reused : cached ? cached : n_carried;
        if (first == 1)
            tasks = "";
        if (reused) {
            fprintf(f, "%s%zu task%s kept from before", sep, reused, tasks);
            sep = ", ";
            tasks = NULL;
        }
        if (cached) {
            fprintf(f, "%s%zu%s%s reused from earlier runs", sep, cached, tasks ? " task" : "",
                    tasks ? tasks : "");
            sep = ", ";
            tasks = NULL;
        }
        if (n_carried)
            fprintf(f, "%s%zu%s%s carried from the previous attempt", sep, n_carried,
                    tasks ? " task" : "", tasks ? tasks : "");
        fprintf(f, ")");
    }
    if (ok && in->not_selected) /* exec/executor.c end_run */
        fprintf(f, " (partial: not published)");
    fprintf(f, "; see 'duckflow runs' and 'duckflow query%s%s --run %s'\n",
            in->store_uri ? " --store " : "", in->store_uri ? in->store_uri : "", in->run);
    if (!ok) {
        struct strbuf cmd = STRBUF_INIT;
        summary_resume_command(in, &cmd);
        fprintf(f, "resume it (committed tasks are kept) with:\n%s\n", cmd.buf);
        sb_release(&cmd);
    }
    fflush(f);
}
