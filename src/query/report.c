/*
 * report.c - `duckflow report`: a run's tasks from their manifests, as text tables or one
 * self-contained HTML page (inline CSS, no scripts, no external links) with a bar per task
 * on the run's time axis.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "query/query.h"
#include "util/strbuf.h"
#include "util/timeutil.h"
#include "util/banned.h"

/* "2026-11-27T12:00:00.123Z" -> milliseconds since the epoch, or -1. */
static int64_t iso_ms(const char *s)
{
    struct tm tm;
    int y, mo, d, h, mi, sec, ms = 0, n = 0;
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6)
        return -1;
    if (s[n] == '.') {
        int digits = 0;
        for (const char *p = s + n + 1; *p >= '0' && *p <= '9'; p++, digits++)
            if (digits < 3)
                ms = ms * 10 + (*p - '0');
        for (; digits < 3; digits++)
            ms *= 10;
    }
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    return (int64_t)timegm(&tm) * 1000 + ms;
}

static int64_t jint(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? (int64_t)json_integer_value(v)
           : json_is_real(v)  ? (int64_t)json_real_value(v)
                              : -1;
}

static const char *jstr(json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    return v ? v : "";
}

/* What a report shows of one task. */
struct task_row {
    const char *step;
    const char *item;
    int64_t attempt, rows, bytes, files, total_ms, sql_ms, write_ms, peak, spilled, mem_limit;
    const char *klass;
    int64_t start, end; /* epoch ms, -1 unknown */
    int reused;         /* reused from an earlier run through the cache: klass says which */
    char klass_buf[96];
};

static void task_row(const char *step, json_t *m, struct task_row *t)
{
    json_t *tables = json_object_get(m, "tables"), *tb;
    json_t *timings = json_object_get(m, "timings_ms");
    const char *name;

    memset(t, 0, sizeof(*t));
    t->step = step;
    t->item = jstr(m, "item_key");
    t->attempt = jint(m, "attempt");
    t->klass = json_string_value(json_object_get(m, "exit_class"));
    if (!t->klass)
        t->klass = "ok";
    if (json_string_value(json_object_get(m, "reused_from_run"))) {
        t->reused = 1;
        snprintf(t->klass_buf, sizeof(t->klass_buf), "reused from %s", jstr(m, "reused_from_run"));
        t->klass = t->klass_buf;
    }
    json_object_foreach(tables, name, tb)
    {
        t->rows += jint(tb, "rows") > 0 ? jint(tb, "rows") : 0;
        t->bytes += jint(tb, "bytes") > 0 ? jint(tb, "bytes") : 0;
        t->files += (int64_t)json_array_size(json_object_get(tb, "files"));
    }
    t->total_ms = jint(timings, "total");
    t->sql_ms = jint(timings, "sql");
    t->write_ms = jint(timings, "write");
    t->peak = jint(m, "peak_rss_bytes");
    t->spilled = jint(m, "spilled_bytes");
    t->mem_limit = jint(m, "memory_limit");
    t->start = iso_ms(json_string_value(json_object_get(m, "started_at")));
    t->end = iso_ms(json_string_value(json_object_get(m, "finished_at")));
    if (t->total_ms < 0 && t->start >= 0 && t->end >= t->start)
        t->total_ms = t->end - t->start;
}

static char *size_text(int64_t v)
{
    char buf[32];
    if (v < 0)
        return xstrdup("-");
    df_format_size((uint64_t)v, buf, sizeof(buf));
    return xstrdup(buf);
}

static char *dur_text(int64_t ms)
{
    char buf[32];
    if (ms < 0)
        return xstrdup("-");
    df_format_duration(ms, buf, sizeof(buf));
    return xstrdup(buf);
}

static char *num_text(int64_t v)
{
    return v < 0 ? xstrdup("-") : xasprintf("%" PRId64, v);
}

/* Per-step sums over its tasks. */
struct step_sum {
    int64_t tasks, rows, bytes, files, max_total, sum_total, max_peak, spilled, start, end;
    int64_t retried, not_ok;
};

static void step_sum(const struct df_run_step *st, struct step_sum *s)
{
    size_t i;
    json_t *m;
    memset(s, 0, sizeof(*s));
    s->start = s->end = -1;
    json_array_foreach(st->manifests, i, m)
    {
        struct task_row t;
        task_row(st->name, m, &t);
        s->tasks++;
        s->rows += t.rows;
        s->bytes += t.bytes;
        s->files += t.files;
        if (t.total_ms > s->max_total)
            s->max_total = t.total_ms;
        if (t.total_ms > 0)
            s->sum_total += t.total_ms;
        if (t.peak > s->max_peak)
            s->max_peak = t.peak;
        if (t.spilled > 0)
            s->spilled += t.spilled;
        if (t.attempt > 1)
            s->retried++;
        if (strcmp(t.klass, "ok") != 0 && !t.reused)
            s->not_ok++;
        if (t.start >= 0 && (s->start < 0 || t.start < s->start))
            s->start = t.start;
        if (t.end > s->end)
            s->end = t.end;
    }
}

static void run_span(const struct df_run_info *r, int64_t *start, int64_t *end)
{
    *start = *end = -1;
    for (size_t i = 0; i < r->n_steps; i++) {
        struct step_sum s;
        step_sum(&r->steps[i], &s);
        if (s.start >= 0 && (*start < 0 || s.start < *start))
            *start = s.start;
        if (s.end > *end)
            *end = s.end;
    }
}

static const char *run_status(const struct df_run_info *r)
{
    const char *s = r->run_json ? json_string_value(json_object_get(r->run_json, "status")) : NULL;
    return s ? s : "unknown";
}

static void free_cells(char **cells, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(cells[i]);
}

/* Tasks the run record knows that have no manifest (failed, not run, still running). */
static size_t uncommitted(const struct df_run_info *r, json_t **out)
{
    json_t *tasks = r->run_json ? json_object_get(r->run_json, "tasks") : NULL, *t;
    size_t i;
    *out = json_array();
    json_array_foreach(tasks, i, t)
    {
        const char *state = json_string_value(json_object_get(t, "state"));
        if (state && strcmp(state, "done") != 0)
            json_array_append(*out, t);
    }
    return json_array_size(*out);
}

static char *task_error(json_t *t)
{
    json_t *e = json_object_get(t, "error");
    if (json_is_string(e))
        return xstrdup(json_string_value(e));
    if (json_is_object(e) && json_is_string(json_object_get(e, "message")))
        return xstrdup(json_string_value(json_object_get(e, "message")));
    return xstrdup("");
}

static int uncommitted_text(const struct df_run_info *r, FILE *out, struct df_error *err)
{
    static const char *const cols[] = {"step", "item", "state", "attempts", "class", "error"};
    static const enum df_col_kind kinds[] = {DF_COL_TEXT,   DF_COL_TEXT, DF_COL_TEXT,
                                             DF_COL_NUMBER, DF_COL_TEXT, DF_COL_TEXT};
    json_t *list, *t;
    struct df_fmt f;
    char *cells[6];
    size_t i;
    int rc = 0;

    if (!uncommitted(r, &list)) {
        json_decref(list);
        return 0;
    }
    fprintf(out, "\ntasks without a manifest (from run.json):\n");
    df_fmt_begin(&f, DF_FORMAT_TABLE, out, 6, cols, kinds, 100);
    json_array_foreach(list, i, t)
    {
        const char *klass = json_string_value(json_object_get(t, "exit_class"));
        cells[0] = xstrdup(jstr(t, "step"));
        cells[1] = xstrdup(jstr(t, "item_key"));
        cells[2] = xstrdup(jstr(t, "state"));
        cells[3] = num_text(jint(t, "attempts"));
        cells[4] = xstrdup(klass ? klass : "-");
        cells[5] = task_error(t);
        df_fmt_row(&f, (const char *const *)cells);
        free_cells(cells, 6);
    }
    if (df_fmt_end(&f) != 0)
        rc = df_error_errno(err, "cannot write the report");
    df_fmt_release(&f);
    json_decref(list);
    return rc;
}

int df_report_text(const struct df_run_info *r, FILE *out, struct df_error *err)
{
    static const char *const step_cols[] = {"step",         "tasks",  "retried", "rows",
                                            "bytes",        "files",  "wall",    "slowest task",
                                            "max peak RSS", "spilled"};
    static const enum df_col_kind step_kinds[] = {
        DF_COL_TEXT,   DF_COL_NUMBER, DF_COL_NUMBER, DF_COL_NUMBER, DF_COL_NUMBER,
        DF_COL_NUMBER, DF_COL_NUMBER, DF_COL_NUMBER, DF_COL_NUMBER, DF_COL_NUMBER};
    static const char *const task_cols[] = {"step",  "item",     "attempt",   "class",  "start",
                                            "total", "sql",      "write",     "rows",   "bytes",
                                            "files", "peak RSS", "mem limit", "spilled"};
    static const enum df_col_kind task_kinds[] = {
        DF_COL_TEXT,   DF_COL_TEXT,   DF_COL_NUMBER, DF_COL_TEXT,   DF_COL_NUMBER,
        DF_COL_NUMBER, DF_COL_NUMBER, DF_COL_NUMBER, DF_COL_NUMBER, DF_COL_NUMBER,
        DF_COL_NUMBER, DF_COL_NUMBER, DF_COL_NUMBER, DF_COL_NUMBER};
    struct df_fmt f;
    int64_t t0, t1;
    char *cells[14];
    char *wall;

    run_span(r, &t0, &t1);
    wall = dur_text(t0 >= 0 && t1 >= t0 ? t1 - t0 : -1);
    fprintf(out, "pipeline %s, run %s: %s, %s from the first task's start to the last one's end\n",
            r->pipeline, r->run, run_status(r), wall);
    free(wall);
    fprintf(out, "\nsteps:\n");
    df_fmt_begin(&f, DF_FORMAT_TABLE, out, 10, step_cols, step_kinds, 0);
    for (size_t i = 0; i < r->n_steps; i++) {
        struct step_sum s;
        step_sum(&r->steps[i], &s);
        cells[0] = xstrdup(r->steps[i].name);
        cells[1] = num_text(s.tasks);
        cells[2] = num_text(s.retried);
        cells[3] = num_text(s.rows);
        cells[4] = size_text(s.bytes);
        cells[5] = num_text(s.files);
        cells[6] = dur_text(s.start >= 0 && s.end >= s.start ? s.end - s.start : -1);
        cells[7] = dur_text(s.max_total);
        cells[8] = size_text(s.max_peak);
        cells[9] = size_text(s.spilled);
        df_fmt_row(&f, (const char *const *)cells);
        free_cells(cells, 10);
    }
    if (df_fmt_end(&f) != 0) {
        df_fmt_release(&f);
        return df_error_errno(err, "cannot write the report");
    }
    df_fmt_release(&f);
    fprintf(out, "\ntasks:\n");
    df_fmt_begin(&f, DF_FORMAT_TABLE, out, 14, task_cols, task_kinds, 0);
    for (size_t i = 0; i < r->n_steps; i++) {
        size_t j;
        json_t *m;
        json_array_foreach(r->steps[i].manifests, j, m)
        {
            struct task_row t;
            task_row(r->steps[i].name, m, &t);
            cells[0] = xstrdup(t.step);
            cells[1] = xstrdup(t.item);
            cells[2] = num_text(t.attempt);
            cells[3] = xstrdup(t.klass);
            cells[4] = t.start >= 0 && t0 >= 0 ? xasprintf("+%.3fs", (double)(t.start - t0) / 1000)
                                               : xstrdup("-");
            cells[5] = dur_text(t.total_ms);
            cells[6] = dur_text(t.sql_ms);
            cells[7] = dur_text(t.write_ms);
            cells[8] = num_text(t.rows);
            cells[9] = size_text(t.bytes);
            cells[10] = num_text(t.files);
            cells[11] = size_text(t.peak);
            cells[12] = size_text(t.mem_limit);
            cells[13] = size_text(t.spilled);
            df_fmt_row(&f, (const char *const *)cells);
            free_cells(cells, 14);
        }
    }
    if (df_fmt_end(&f) != 0) {
        df_fmt_release(&f);
        return df_error_errno(err, "cannot write the report");
    }
    df_fmt_release(&f);
    return uncommitted_text(r, out, err);
}

static const char *const css =
    "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}"
    "h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em}"
    "table{border-collapse:collapse}th,td{padding:3px 8px;border-bottom:1px solid #ddd;"
    "white-space:nowrap}th{background:#f3f3f3;text-align:left}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "td.bar{width:40em;padding:3px 0}"
    ".track{position:relative;height:12px;background:#f6f6f6}"
    ".fill{position:absolute;top:0;height:12px;background:#4a7fc1;min-width:1px}"
    ".fill.bad{background:#c14a4a}.meta{color:#666}";

static void td(struct strbuf *sb, const char *cls, char *text)
{
    sb_adds(sb, cls ? "<td class=\"n\">" : "<td>");
    df_fmt_html(sb, text);
    sb_adds(sb, "</td>");
    free(text);
}

int df_report_html(const struct df_run_info *r, FILE *out, struct df_error *err)
{
    struct strbuf sb = STRBUF_INIT;
    int64_t t0, t1, span;

    run_span(r, &t0, &t1);
    span = t0 >= 0 && t1 > t0 ? t1 - t0 : 0;
    sb_adds(&sb, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>");
    sb_adds(&sb, "duckflow report: ");
    df_fmt_html(&sb, r->pipeline);
    sb_adds(&sb, " ");
    df_fmt_html(&sb, r->run);
    sb_adds(&sb, "</title><style>");
    sb_adds(&sb, css);
    sb_adds(&sb, "</style></head><body>\n<h1>");
    df_fmt_html(&sb, r->pipeline);
    sb_adds(&sb, " <span class=\"meta\">run ");
    df_fmt_html(&sb, r->run);
    sb_adds(&sb, "</span></h1>\n<p>status: ");
    df_fmt_html(&sb, run_status(r));
    sb_adds(&sb, ", wall time ");
    {
        char *wall = dur_text(span ? span : -1);
        df_fmt_html(&sb, wall);
        free(wall);
    }
    sb_adds(&sb, "</p>\n<h2>Steps</h2>\n<table><tr><th>step</th><th>tasks</th><th>retried</th>"
                 "<th>rows</th><th>bytes</th><th>files</th><th>wall</th><th>slowest task</th>"
                 "<th>max peak RSS</th><th>spilled</th></tr>\n");
    for (size_t i = 0; i < r->n_steps; i++) {
        struct step_sum s;
        step_sum(&r->steps[i], &s);
        sb_adds(&sb, "<tr>");
        td(&sb, NULL, xstrdup(r->steps[i].name));
        td(&sb, "n", num_text(s.tasks));
        td(&sb, "n", num_text(s.retried));
        td(&sb, "n", num_text(s.rows));
        td(&sb, "n", size_text(s.bytes));
        td(&sb, "n", num_text(s.files));
        td(&sb, "n", dur_text(s.start >= 0 && s.end >= s.start ? s.end - s.start : -1));
        td(&sb, "n", dur_text(s.max_total));
        td(&sb, "n", size_text(s.max_peak));
        td(&sb, "n", size_text(s.spilled));
        sb_adds(&sb, "</tr>\n");
    }
    sb_adds(&sb, "</table>\n<h2>Tasks</h2>\n<table><tr><th>step</th><th>item</th><th>attempt</th>"
                 "<th>class</th><th>total</th><th>sql</th><th>write</th><th>rows</th>"
                 "<th>bytes</th><th>peak RSS</th><th>spilled</th><th>timeline</th></tr>\n");
    for (size_t i = 0; i < r->n_steps; i++) {
        size_t j;
        json_t *m;
        json_array_foreach(r->steps[i].manifests, j, m)
        {
            struct task_row t;
            task_row(r->steps[i].name, m, &t);
            sb_adds(&sb, "<tr>");
            td(&sb, NULL, xstrdup(t.step));
            td(&sb, NULL, xstrdup(t.item));
            td(&sb, "n", num_text(t.attempt));
            td(&sb, NULL, xstrdup(t.klass));
            td(&sb, "n", dur_text(t.total_ms));
            td(&sb, "n", dur_text(t.sql_ms));
            td(&sb, "n", dur_text(t.write_ms));
            td(&sb, "n", num_text(t.rows));
            td(&sb, "n", size_text(t.bytes));
            td(&sb, "n", size_text(t.peak));
            td(&sb, "n", size_text(t.spilled));
            sb_adds(&sb, "<td class=\"bar\"><div class=\"track\">");
            if (span && t.start >= 0 && t.end >= t.start) {
                double left = 100.0 * (double)(t.start - t0) / (double)span;
                double width = 100.0 * (double)(t.end - t.start) / (double)span;
                sb_addf(&sb, "<div class=\"fill%s\" style=\"left:%.2f%%;width:%.2f%%\"></div>",
                        strcmp(t.klass, "ok") ? " bad" : "", left, width);
            }
            sb_adds(&sb, "</div></td></tr>\n");
        }
    }
    sb_adds(&sb, "</table>\n");
    {
        json_t *list, *t;
        size_t i;
        if (uncommitted(r, &list)) {
            sb_adds(&sb, "<h2>Tasks without a manifest</h2>\n<table><tr><th>step</th><th>item</th>"
                         "<th>state</th><th>attempts</th><th>class</th><th>error</th></tr>\n");
            json_array_foreach(list, i, t)
            {
                const char *klass = json_string_value(json_object_get(t, "exit_class"));
                sb_adds(&sb, "<tr>");
                td(&sb, NULL, xstrdup(jstr(t, "step")));
                td(&sb, NULL, xstrdup(jstr(t, "item_key")));
                td(&sb, NULL, xstrdup(jstr(t, "state")));
                td(&sb, "n", num_text(jint(t, "attempts")));
                td(&sb, NULL, xstrdup(klass ? klass : "-"));
                td(&sb, NULL, task_error(t));
                sb_adds(&sb, "</tr>\n");
            }
            sb_adds(&sb, "</table>\n");
        }
        json_decref(list);
    }
    sb_adds(&sb, "<p class=\"meta\">made by duckflow report from the run's "
                 "manifests</p>\n</body></html>\n");
    fwrite(sb.buf, 1, sb.len, out);
    sb_release(&sb);
    if (fflush(out) != 0 || ferror(out))
        return df_error_errno(err, "cannot write the report");
    return 0;
}
