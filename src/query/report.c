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

#include "dag/label.h"
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
    if (json_is_string(e)) {
        /* Without the "step 'S' item N: " the task puts in front: the task is named beside
         * it, and failures of several items then read the same. */
        const char *m = json_string_value(e), *step = jstr(t, "step");
        size_t n = strlen(step);
        if (!strncmp(m, "step '", 6) && !strncmp(m + 6, step, n) && m[6 + n] == '\'') {
            const char *p = m + 7 + n;
            if (!strncmp(p, " item ", 6)) {
                p += 6;
                while (*p >= '0' && *p <= '9')
                    p++;
            }
            if (!strncmp(p, ": ", 2))
                return xstrdup(p + 2);
        }
        return xstrdup(m);
    }
    if (json_is_object(e) && json_is_string(json_object_get(e, "message")))
        return xstrdup(json_string_value(json_object_get(e, "message")));
    return xstrdup("");
}

/* Per step: the labels of its committed tasks' items, by item index (see labels_init). */
struct labels {
    char ***v;
    size_t **idx;
    size_t *n;
};
static void labels_init(struct labels *l, const struct df_run_info *r);
static void labels_release(struct labels *l, const struct df_run_info *r);
static char *task_label(const struct df_run_info *r, const struct labels *l, const char *step,
                        int64_t item);

/* The text tables' item column: the item's label as the run showed it (orders[apac] ->
 * "apac"), the index when it has none, "-" for an unfanned step's one task. */
static char *item_cell(const struct df_run_info *r, const struct labels *l, const char *step,
                       int64_t item)
{
    char *t = task_label(r, l, step, item), *b = strchr(t, '['), *cell;
    size_t n = strlen(t);
    if (b && t[n - 1] == ']')
        cell = xstrndup(b + 1, (size_t)(t + n - 1 - (b + 1)));
    else if (item > 0)
        cell = xasprintf("%" PRId64, item);
    else
        cell = xstrdup("-");
    free(t);
    return cell;
}

static int uncommitted_text(const struct df_run_info *r, const struct labels *lab, FILE *out,
                            struct df_error *err)
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
        cells[1] = item_cell(r, lab, jstr(t, "step"), jint(t, "item_index"));
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
    struct labels lab;
    int rc;

    run_span(r, &t0, &t1);
    labels_init(&lab, r);
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
        labels_release(&lab, r);
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
            cells[1] = item_cell(r, &lab, t.step, jint(m, "item_index"));
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
        labels_release(&lab, r);
        return df_error_errno(err, "cannot write the report");
    }
    df_fmt_release(&f);
    rc = uncommitted_text(r, &lab, out, err);
    labels_release(&lab, r);
    return rc;
}

static const char *const css =
    "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}"
    "h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em}"
    "table{border-collapse:collapse}th,td{padding:3px 8px;border-bottom:1px solid #ddd;"
    "white-space:nowrap;vertical-align:top}th{background:#f3f3f3;text-align:left}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}td.msg{white-space:pre-wrap;font-"
    "family:ui-monospace,monospace;font-size:12px}"
    "td.bar{width:40em;padding:3px 0}"
    ".track{position:relative;height:14px;background:#f6f6f6}"
    ".att{position:absolute;top:1px;height:12px;min-width:2px;box-sizing:border-box;"
    "border:1px solid #333}"
    ".ok{background:#3a9a4a}.reused{background:#5ab4c8}"
    ".retried{background:repeating-linear-gradient(45deg,#e0a030 0 3px,#f5d090 3px 6px)}"
    ".failed{background:repeating-linear-gradient(-45deg,#c83a3a 0 3px,#f0a0a0 3px 6px)}"
    ".legend span.sw{display:inline-block;width:2em;height:12px;margin:0 .4em 0 1.2em;"
    "vertical-align:middle;border:1px solid #333}"
    ".fail{border-left:4px solid #c83a3a;padding-left:1em}code{background:#f3f3f3;padding:1px 4px}"
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}"
    ".meta{color:#666}";

static void td(struct strbuf *sb, const char *cls, char *text)
{
    sb_adds(sb, cls ? "<td class=\"n\">" : "<td>");
    df_fmt_html(sb, text);
    sb_adds(sb, "</td>");
    free(text);
}

static void th_row(struct strbuf *sb, const char *const *cols)
{
    sb_adds(sb, "<tr>");
    for (; *cols; cols++) {
        sb_adds(sb, "<th scope=\"col\">");
        df_fmt_html(sb, *cols);
        sb_adds(sb, "</th>");
    }
    sb_adds(sb, "</tr>\n");
}

static void labels_init(struct labels *l, const struct df_run_info *r)
{
    size_t k = r->n_steps ? r->n_steps : 1;
    l->v = xcalloc(k, sizeof(*l->v));
    l->idx = xcalloc(k, sizeof(*l->idx));
    l->n = xcalloc(k, sizeof(*l->n));
    for (size_t i = 0; i < r->n_steps; i++) {
        json_t *items = json_array(), *m;
        size_t j;
        l->idx[i] = xcalloc(json_array_size(r->steps[i].manifests) + 1, sizeof(size_t));
        json_array_foreach(r->steps[i].manifests, j, m)
        {
            json_t *it = json_object_get(m, "item");
            json_array_append(items, it ? it : json_null());
            l->idx[i][j] = (size_t)jint(m, "item_index");
        }
        l->v[i] = df_item_labels(items, &l->n[i]);
        json_decref(items);
    }
}

static void labels_release(struct labels *l, const struct df_run_info *r)
{
    for (size_t i = 0; i < r->n_steps; i++) {
        df_item_labels_free(l->v[i], l->n[i]);
        free(l->idx[i]);
    }
    free(l->v);
    free(l->idx);
    free(l->n);
}

/* "merge", "orders[apac]", or "orders[2]" when the item's label is not known. */
static char *task_label(const struct df_run_info *r, const struct labels *l, const char *step,
                        int64_t item)
{
    json_t *tasks = json_object_get(r->run_json, "tasks"), *rt;
    size_t q;
    /* run.json says how the run named it (exec/summary.h), failed tasks included. */
    json_array_foreach(tasks, q, rt) if (!strcmp(jstr(rt, "step"), step) &&
                                         jint(rt, "item_index") == item &&
                                         *jstr(rt, "label")) return xstrdup(jstr(rt, "label"));
    for (size_t i = 0; i < r->n_steps; i++) {
        if (strcmp(r->steps[i].name, step))
            continue;
        for (size_t j = 0; j < l->n[i]; j++)
            if ((int64_t)l->idx[i][j] == item)
                return l->v[i][j][0] ? xasprintf("%s[%s]", step, l->v[i][j]) : xstrdup(step);
    }
    {
        /* An unfanned step has one task, item 0. */
        json_t *steps = json_object_get(r->run_json, "steps"), *st;
        size_t k;
        json_array_foreach(steps, k, st) if (!strcmp(jstr(st, "name"), step) &&
                                             jint(json_object_get(st, "tasks"), "total") == 1 &&
                                             item == 0) return xstrdup(step);
    }
    return xasprintf("%s[%" PRId64 "]", step, item);
}

static const char *step_status_of(const struct df_run_info *r, const char *step)
{
    json_t *steps = json_object_get(r->run_json, "steps"), *st;
    size_t k;
    json_array_foreach(steps, k, st) if (!strcmp(jstr(st, "name"), step)) return jstr(st, "status");
    for (size_t i = 0; i < r->n_steps; i++)
        if (!strcmp(r->steps[i].name, step))
            return "succeeded";
    return "unknown";
}

/* The DAG as inline SVG: steps laid out in columns by depth, coloured by status, with the
 * status also written under each name. */
static void dag_svg(struct strbuf *sb, const struct df_run_info *r)
{
    json_t *steps = json_object_get(r->run_json, "steps"), *st;
    size_t n = json_array_size(steps), k;
    int *depth, *row, maxd = 0, *count;
    const int W = 150, H = 44, GX = 60, GY = 16;

    if (!n)
        return;
    depth = xcalloc(n, sizeof(int));
    row = xcalloc(n, sizeof(int));
    count = xcalloc(n + 1, sizeof(int));
    /* run.json lists steps in file order; deps may come later: iterate to a fixpoint. */
    for (size_t pass = 0; pass < n; pass++)
        json_array_foreach(steps, k, st)
        {
            size_t d;
            json_t *dep;
            json_array_foreach(json_object_get(st, "deps"), d, dep)
            {
                for (size_t j = 0; j < n; j++)
                    if (!strcmp(jstr(json_array_get(steps, j), "name"), json_string_value(dep)) &&
                        depth[j] + 1 > depth[k] && depth[j] + 1 < (int)n)
                        depth[k] = depth[j] + 1;
            }
        }
    json_array_foreach(steps, k, st)
    {
        row[k] = count[depth[k]]++;
        if (depth[k] > maxd)
            maxd = depth[k];
    }
    {
        int maxrow = 0;
        for (int d = 0; d <= maxd; d++)
            if (count[d] > maxrow)
                maxrow = count[d];
        sb_addf(sb,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-labelledby=\"dagt\" "
                "width=\"%d\" height=\"%d\" font-family=\"system-ui,sans-serif\" "
                "font-size=\"12\"><title id=\"dagt\">The pipeline's steps by depth, coloured by "
                "status</title>\n",
                (maxd + 1) * (W + GX), maxrow * (H + GY));
    }
    json_array_foreach(steps, k, st)
    {
        size_t d;
        json_t *dep;
        json_array_foreach(json_object_get(st, "deps"), d, dep)
        {
            for (size_t j = 0; j < n; j++)
                if (!strcmp(jstr(json_array_get(steps, j), "name"), json_string_value(dep)))
                    sb_addf(sb,
                            "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\" "
                            "stroke-width=\"1.5\"/>\n",
                            depth[j] * (W + GX) + W, row[j] * (H + GY) + H / 2, depth[k] * (W + GX),
                            row[k] * (H + GY) + H / 2);
        }
    }
    json_array_foreach(steps, k, st)
    {
        const char *status = jstr(st, "status");
        const char *fill = !strcmp(status, "succeeded")         ? "#3a9a4a"
                           : !strcmp(status, "failed")          ? "#c83a3a"
                           : !strcmp(status, "upstream_failed") ? "#bbbbbb"
                           : !strcmp(status, "interrupted")     ? "#e0a030"
                                                                : "#dddddd";
        const char *text =
            !strcmp(status, "succeeded") || !strcmp(status, "failed") ? "#fff" : "#222";
        int x = depth[k] * (W + GX), y = row[k] * (H + GY);
        sb_addf(sb,
                "<g><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"5\" fill=\"%s\" "
                "stroke=\"#333\"/><text x=\"%d\" y=\"%d\" fill=\"%s\" font-weight=\"bold\">",
                x, y, W, H, fill, x + 8, y + 18, text);
        df_fmt_html(sb, jstr(st, "name"));
        sb_addf(sb, "</text><text x=\"%d\" y=\"%d\" fill=\"%s\">", x + 8, y + 35, text);
        df_fmt_html(sb, status);
        sb_adds(sb, "</text></g>\n");
    }
    sb_adds(sb, "</svg>\n");
    free(depth);
    free(row);
    free(count);
}

/* An attempt's colour class: ok, reused (committed by an earlier invocation), retried (it
 * failed and a later attempt followed) or failed (the task's last attempt failed). */
static const char *attempt_kind(json_t *attempts, size_t i)
{
    json_t *a = json_array_get(attempts, i), *b;
    const char *cls = jstr(a, "class");
    size_t j;
    if (!strcmp(cls, "ok"))
        return "ok";
    json_array_foreach(attempts, j,
                       b) if (j > i && !strcmp(jstr(a, "step"), jstr(b, "step")) &&
                              jint(a, "item_index") == jint(b, "item_index")) return "retried";
    return "failed";
}

static void bar(struct strbuf *sb, int64_t t0, int64_t span, int64_t start, int64_t end,
                const char *kind, int64_t attempt)
{
    double left, width;
    char *d;
    if (!span || start < 0)
        return;
    if (end < start)
        end = start;
    left = 100.0 * (double)(start - t0) / (double)span;
    width = 100.0 * (double)(end - start) / (double)span;
    d = dur_text(end - start);
    sb_addf(sb,
            "<div class=\"att %s\" style=\"left:%.2f%%;width:%.2f%%\" title=\"attempt %" PRId64
            ": %s, %s\"><span class=\"sr\">attempt %" PRId64 " %s</span></div>",
            kind, left, width, attempt, kind, d, attempt, kind);
    free(d);
}

/* 1. What failed, first: every failure once, grouped by step, class and message, and the
 * command that resumes the run. */
static void html_failures(struct strbuf *sb, const struct df_run_info *r, const struct labels *lab)
{
    json_t *list = NULL;
    size_t i;

    if (uncommitted(r, &list)) {
        size_t n = json_array_size(list);
        char *seen = xcalloc(n, 1);
        const char *file = jstr(r->run_json, "pipeline_file");
        sb_adds(sb, "<section class=\"fail\" aria-labelledby=\"failed\"><h2 id=\"failed\">What "
                    "failed</h2>\n<table><caption class=\"sr\">failures grouped by step, class "
                    "and message</caption>");
        {
            static const char *const cols[] = {"tasks", "step", "class", "message", "logs", NULL};
            th_row(sb, cols);
        }
        for (i = 0; i < n; i++) {
            json_t *a = json_array_get(list, i);
            char *msg = task_error(a);
            struct strbuf names = STRBUF_INIT;
            size_t count = 0, shown = 0;
            char *first = NULL;
            if (seen[i] || !strcmp(jstr(a, "state"), "upstream_failed")) {
                free(msg);
                continue;
            }
            for (size_t j = i; j < n; j++) {
                json_t *b = json_array_get(list, j);
                char *m2 = task_error(b);
                if (!seen[j] && !strcmp(jstr(a, "step"), jstr(b, "step")) &&
                    !strcmp(jstr(a, "exit_class"), jstr(b, "exit_class")) && !strcmp(msg, m2) &&
                    !strcmp(jstr(a, "state"), jstr(b, "state"))) {
                    char *l = task_label(r, lab, jstr(b, "step"), jint(b, "item_index"));
                    seen[j] = 1;
                    count++;
                    if (shown < 3) {
                        sb_addf(&names, "%s%s", shown ? ", " : "", l);
                        shown++;
                    }
                    if (!first)
                        first = xstrdup(l);
                    free(l);
                }
                free(m2);
            }
            if (count > shown)
                sb_addf(&names, " and %zu more", count - shown);
            sb_adds(sb, "<tr>");
            td(sb, "n", xasprintf("%zu", count));
            td(sb, NULL, xstrdup(jstr(a, "step")));
            td(sb, NULL,
               xstrdup(json_is_string(json_object_get(a, "exit_class")) ? jstr(a, "exit_class")
                                                                        : jstr(a, "state")));
            sb_adds(sb, "<td class=\"msg\">");
            df_fmt_html(sb, msg);
            sb_adds(sb, "<br>");
            df_fmt_html(sb, names.buf);
            sb_adds(sb, "</td><td><code>duckflow logs ");
            df_fmt_html(sb, r->run);
            /* Quoted for a shell: brackets are glob characters. */
            sb_adds(sb, first && strpbrk(first, "[] ") ? " '" : " ");
            df_fmt_html(sb, first ? first : "");
            sb_adds(sb, first && strpbrk(first, "[] ") ? "'</code></td></tr>\n"
                                                       : "</code></td></tr>\n");
            sb_release(&names);
            free(first);
            free(msg);
        }
        sb_adds(sb, "</table>\n<p>Resume it (committed tasks are kept): <code>duckflow run ");
        df_fmt_html(sb, *file ? file : "PIPELINE");
        sb_adds(sb, " --resume ");
        df_fmt_html(sb, r->run);
        sb_adds(sb, "</code> (with the same <code>--store</code> and <code>--param</code> "
                    "values)</p></section>\n");
        free(seen);
    }
    json_decref(list);
}

/* One row of the timeline: the task (label, owned), its number of attempts and their
 * bars (released). */
static void timeline_row(struct strbuf *sb, char *label, int64_t n_att, struct strbuf *bars)
{
    sb_adds(sb, "<tr>");
    td(sb, NULL, label);
    td(sb, "n", xasprintf("%" PRId64, n_att));
    sb_adds(sb, "<td class=\"bar\"><div class=\"track\">");
    sb_add(sb, bars->buf, bars->len);
    sb_adds(sb, "</div></td></tr>\n");
    sb_release(bars);
}

/* 3. The timeline: every attempt, in its own colour, with a legend; attempts on the axis
 * from t0 over span ms. */
static void html_timeline(struct strbuf *sb, const struct df_run_info *r, const struct labels *lab,
                          json_t *attempts, int64_t t0, int64_t span)
{
    json_t *t;
    size_t i;

    sb_adds(sb, "<h2 id=\"timeline\">Timeline</h2>\n<p class=\"legend\">every attempt on the "
                "run's time axis:<span class=\"sw ok\"></span>ok<span class=\"sw reused\">"
                "</span>reused (committed earlier)<span class=\"sw retried\"></span>failed, "
                "retried<span class=\"sw failed\"></span>failed</p>\n<table "
                "aria-describedby=\"timeline\">");
    {
        static const char *const cols[] = {"task", "attempts", "timeline", NULL};
        th_row(sb, cols);
    }
    for (size_t s = 0; s < r->n_steps; s++) {
        size_t j;
        json_t *m;
        json_array_foreach(r->steps[s].manifests, j, m)
        {
            struct task_row tr;
            int64_t item = jint(m, "item_index"), n_att = 0;
            char *l = task_label(r, lab, r->steps[s].name, item);
            struct strbuf bars = STRBUF_INIT;
            int any = 0;
            task_row(r->steps[s].name, m, &tr);
            json_array_foreach(attempts, i, t)
            {
                if (strcmp(jstr(t, "step"), r->steps[s].name) || jint(t, "item_index") != item)
                    continue;
                any = 1;
                n_att++;
                bar(&bars, t0, span, iso_ms(jstr(t, "started_at")), iso_ms(jstr(t, "finished_at")),
                    attempt_kind(attempts, i), jint(t, "attempt"));
            }
            if (!any) {
                /* Committed before this record kept attempts, or by `duckflow step`. */
                n_att = 1;
                bar(&bars, t0, span, tr.start, tr.end, attempts ? "reused" : "ok", tr.attempt);
            }
            timeline_row(sb, l, n_att, &bars);
        }
    }
    /* Tasks with no manifest: their attempts only. */
    {
        json_t *seen = json_object();
        json_array_foreach(attempts, i, t)
        {
            char *key = xasprintf("%s/%" PRId64, jstr(t, "step"), jint(t, "item_index"));
            int committed = 0;
            for (size_t s = 0; s < r->n_steps; s++) {
                size_t j;
                json_t *m;
                if (strcmp(r->steps[s].name, jstr(t, "step")))
                    continue;
                json_array_foreach(r->steps[s].manifests, j, m) committed |=
                    jint(m, "item_index") == jint(t, "item_index");
            }
            if (!committed && !json_object_get(seen, key)) {
                struct strbuf bars = STRBUF_INIT;
                size_t k;
                json_t *u;
                int64_t n_att = 0;
                json_object_set_new(seen, key, json_true());
                json_array_foreach(attempts, k, u)
                {
                    if (strcmp(jstr(u, "step"), jstr(t, "step")) ||
                        jint(u, "item_index") != jint(t, "item_index"))
                        continue;
                    n_att++;
                    bar(&bars, t0, span, iso_ms(jstr(u, "started_at")),
                        iso_ms(jstr(u, "finished_at")), attempt_kind(attempts, k),
                        jint(u, "attempt"));
                }
                timeline_row(sb, task_label(r, lab, jstr(t, "step"), jint(t, "item_index")), n_att,
                             &bars);
            }
            free(key);
        }
        json_decref(seen);
    }
    sb_adds(sb, "</table>\n");
}

/* 4. Per step and per task numbers: step totals, committed tasks, and the tasks without a
 * manifest. */
static void html_totals(struct strbuf *sb, const struct df_run_info *r, const struct labels *lab)
{
    static const char *const step_cols[] = {"step",         "status",       "tasks",   "retried",
                                            "rows",         "bytes",        "files",   "wall",
                                            "slowest task", "max peak RSS", "spilled", NULL};
    static const char *const task_cols[] = {"task",     "attempt", "class", "total",
                                            "sql",      "write",   "rows",  "bytes",
                                            "peak RSS", "spilled", NULL};
    json_t *list = NULL, *t;
    size_t i;

    sb_adds(sb, "<h2>Step totals</h2>\n<table>");
    th_row(sb, step_cols);
    for (size_t s = 0; s < r->n_steps; s++) {
        struct step_sum ss;
        step_sum(&r->steps[s], &ss);
        sb_adds(sb, "<tr>");
        td(sb, NULL, xstrdup(r->steps[s].name));
        td(sb, NULL, xstrdup(step_status_of(r, r->steps[s].name)));
        td(sb, "n", num_text(ss.tasks));
        td(sb, "n", num_text(ss.retried));
        td(sb, "n", num_text(ss.rows));
        td(sb, "n", size_text(ss.bytes));
        td(sb, "n", num_text(ss.files));
        td(sb, "n", dur_text(ss.start >= 0 && ss.end >= ss.start ? ss.end - ss.start : -1));
        td(sb, "n", dur_text(ss.max_total));
        td(sb, "n", size_text(ss.max_peak));
        td(sb, "n", size_text(ss.spilled));
        sb_adds(sb, "</tr>\n");
    }
    sb_adds(sb, "</table>\n<h2>Committed tasks</h2>\n<table>");
    th_row(sb, task_cols);
    for (size_t s = 0; s < r->n_steps; s++) {
        size_t j;
        json_t *m;
        json_array_foreach(r->steps[s].manifests, j, m)
        {
            struct task_row tr;
            task_row(r->steps[s].name, m, &tr);
            sb_adds(sb, "<tr>");
            td(sb, NULL, task_label(r, lab, r->steps[s].name, jint(m, "item_index")));
            td(sb, "n", num_text(tr.attempt));
            td(sb, NULL, xstrdup(tr.klass));
            td(sb, "n", dur_text(tr.total_ms));
            td(sb, "n", dur_text(tr.sql_ms));
            td(sb, "n", dur_text(tr.write_ms));
            td(sb, "n", num_text(tr.rows));
            td(sb, "n", size_text(tr.bytes));
            td(sb, "n", size_text(tr.peak));
            td(sb, "n", size_text(tr.spilled));
            sb_adds(sb, "</tr>\n");
        }
    }
    sb_adds(sb, "</table>\n");
    if (uncommitted(r, &list)) {
        static const char *const cols[] = {"task", "state", "attempts", "class", "error", NULL};
        sb_adds(sb, "<h2>Tasks without a manifest</h2>\n<table>");
        th_row(sb, cols);
        json_array_foreach(list, i, t)
        {
            const char *klass = json_string_value(json_object_get(t, "exit_class"));
            sb_adds(sb, "<tr>");
            td(sb, NULL, task_label(r, lab, jstr(t, "step"), jint(t, "item_index")));
            td(sb, NULL, xstrdup(jstr(t, "state")));
            td(sb, "n", num_text(jint(t, "attempts")));
            td(sb, NULL, xstrdup(klass ? klass : "-"));
            sb_adds(sb, "<td class=\"msg\">");
            {
                char *e = task_error(t);
                df_fmt_html(sb, e);
                free(e);
            }
            sb_adds(sb, "</td></tr>\n");
        }
        sb_adds(sb, "</table>\n");
    }
    json_decref(list);
}

int df_report_html(const struct df_run_info *r, FILE *out, struct df_error *err)
{
    struct strbuf sb = STRBUF_INIT;
    struct labels lab;
    json_t *attempts = json_object_get(r->run_json, "attempts"), *t;
    int64_t t0, t1, span;
    const char *status = run_status(r);
    size_t i;

    labels_init(&lab, r);
    run_span(r, &t0, &t1);
    json_array_foreach(attempts, i, t)
    {
        int64_t a = iso_ms(json_string_value(json_object_get(t, "started_at")));
        int64_t b = iso_ms(json_string_value(json_object_get(t, "finished_at")));
        if (a >= 0 && (t0 < 0 || a < t0))
            t0 = a;
        if (b > t1)
            t1 = b;
    }
    span = t0 >= 0 && t1 > t0 ? t1 - t0 : 0;
    sb_adds(&sb, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                 "<meta name=\"viewport\" content=\"width=device-width\"><title>");
    sb_adds(&sb, "duckflow report: ");
    df_fmt_html(&sb, r->pipeline);
    sb_adds(&sb, " ");
    df_fmt_html(&sb, r->run);
    sb_adds(&sb, "</title><style>");
    sb_adds(&sb, css);
    sb_adds(&sb, "</style></head><body>\n<main>\n<h1>");
    df_fmt_html(&sb, r->pipeline);
    sb_adds(&sb, " <span class=\"meta\">run ");
    df_fmt_html(&sb, r->run);
    sb_adds(&sb, "</span></h1>\n<p>status: <strong>");
    df_fmt_html(&sb, status);
    sb_adds(&sb, "</strong>, wall time ");
    {
        char *wall = dur_text(span ? span : -1);
        df_fmt_html(&sb, wall);
        free(wall);
    }
    sb_adds(&sb, "</p>\n");

    html_failures(&sb, r, &lab);

    /* 2. The DAG. */
    if (json_array_size(json_object_get(r->run_json, "steps"))) {
        sb_adds(&sb, "<h2>Steps</h2>\n");
        dag_svg(&sb, r);
    }

    html_timeline(&sb, r, &lab, attempts, t0, span);

    html_totals(&sb, r, &lab);
    sb_adds(&sb, "<p class=\"meta\">made by duckflow report from the run's manifests and "
                 "run.json</p>\n</main>\n</body></html>\n");
    labels_release(&lab, r);
    fwrite(sb.buf, 1, sb.len, out);
    sb_release(&sb);
    if (fflush(out) != 0 || ferror(out))
        return df_error_errno(err, "cannot write the report");
    return 0;
}
