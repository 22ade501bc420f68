/*
 * checks.c - running a step's checks and saying what failed (see checks.h).
 */
#include "engine/checks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/jsonfmt.h"
#include "util/strbuf.h"
#include "util/banned.h"

#define CELL_MAX 40

/* Display width: UTF-8 code points. */
static size_t text_width(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

/* The text of a cell: strings bare, other values as JSON (reals shortest). malloc'd. */
static char *cell_text(json_t *v)
{
    char *t;
    if (!v || json_is_null(v))
        return xstrdup("NULL");
    if (json_is_string(v))
        t = xstrdup(json_string_value(v));
    else
        t = df_json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!t)
        t = xstrdup("?");
    for (char *c = t; *c; c++)
        if ((unsigned char)*c < 0x20)
            *c = ' ';
    if (strlen(t) > CELL_MAX)
        memcpy(t + CELL_MAX - 3, "...", 4);
    return t;
}

void df_checks_table(struct strbuf *sb, json_t *rows)
{
    json_t *first = json_array_get(rows, 0), *v;
    size_t ncols = json_object_size(first), nrows = json_array_size(rows), c = 0;
    const char **names;
    size_t *w;
    char ***cells;
    const char *k;

    if (!ncols)
        return;
    names = xcalloc(ncols, sizeof(*names));
    w = xcalloc(ncols, sizeof(*w));
    cells = xcalloc(nrows, sizeof(*cells));
    json_object_foreach(first, k, v)
    {
        names[c] = k;
        w[c] = text_width(k);
        c++;
    }
    for (size_t r = 0; r < nrows; r++) {
        cells[r] = xcalloc(ncols, sizeof(**cells));
        for (c = 0; c < ncols; c++) {
            cells[r][c] = cell_text(json_object_get(json_array_get(rows, r), names[c]));
            if (text_width(cells[r][c]) > w[c])
                w[c] = text_width(cells[r][c]);
        }
    }
    for (c = 0; c < ncols; c++)
        sb_addf(sb, "%s%s%*s", c ? " | " : "  ", names[c],
                c + 1 < ncols ? (int)(w[c] - text_width(names[c])) : 0, "");
    for (size_t r = 0; r < nrows; r++) {
        sb_addc(sb, '\n');
        for (c = 0; c < ncols; c++)
            sb_addf(sb, "%s%s%*s", c ? " | " : "  ", cells[r][c],
                    c + 1 < ncols ? (int)(w[c] - text_width(cells[r][c])) : 0, "");
    }

    for (size_t r = 0; r < nrows; r++) {
        for (c = 0; c < ncols; c++)
            free(cells[r][c]);
        free(cells[r]);
    }
    free(cells);
    free(names);
    free(w);
}

/* The number of rows the check's query returns. */
static int count_rows(struct df_duck *d, const char *sql, long long *n, struct df_error *err)
{
    struct strbuf q = STRBUF_INIT;
    json_t *rows = NULL;
    size_t len = strlen(sql);
    int rc;
    while (len && strchr(" \t\r\n;", sql[len - 1]))
        len--;
    sb_adds(&q, "SELECT count(*) AS n FROM (\n");
    sb_add(&q, sql, len);
    sb_adds(&q, "\n)");
    rc = df_duck_query_json(d, q.buf, 1, &rows, err);
    if (rc == 0)
        *n = json_integer_value(json_object_get(json_array_get(rows, 0), "n"));
    json_decref(rows);
    sb_release(&q);
    return rc;
}

int df_checks_run(struct df_duck *d, const struct df_pipeline *p, const struct df_step *s,
                  const char *who, json_t **results, enum df_exit_class *cls, struct df_error *err)
{
    struct strbuf failed = STRBUF_INIT, also = STRBUF_INIT;
    int rc = 0;

    *results = json_array();
    /* Every check runs, so each has a result; the first failed error check is the
     * message, the others are named after it. */
    for (size_t i = 0; i < s->n_checks; i++) {
        const struct df_check *c = &s->checks[i];
        json_t *rows = NULL;
        long long n = 0;
        struct strbuf msg = STRBUF_INIT;

        if (df_duck_query_json(d, c->sql, DF_CHECK_SHOW_ROWS, &rows, err) != 0 ||
            (json_array_size(rows) > 0 && count_rows(d, c->sql, &n, err) != 0)) {
            json_decref(rows);
            df_error_prefix(err, "%s:%d: check '%s'", p->path, c->loc.line, c->name);
            *cls = d->last_class;
            sb_release(&failed);
            sb_release(&also);
            return -1;
        }
        json_array_append_new(*results, json_pack("{s:s, s:s, s:I, s:b}", "name", c->name,
                                                  "severity", c->warn ? "warn" : "error", "rows",
                                                  (json_int_t)n, "passed", n == 0));
        if (n == 0) {
            json_decref(rows);
            continue;
        }
        if (!c->warn && rc != 0) {
            /* A later failed error check: named, not shown. */
            sb_addf(&also, "%s'%s' (%lld row%s)", also.len ? ", " : "", c->name, n,
                    n == 1 ? "" : "s");
            json_decref(rows);
            continue;
        }
        sb_addf(&msg, "check '%s' failed: %lld row%s", c->name, n, n == 1 ? "" : "s");
        if ((size_t)n > json_array_size(rows))
            sb_addf(&msg, "; the first %zu", json_array_size(rows));
        sb_adds(&msg, ":\n");
        df_checks_table(&msg, rows);
        json_decref(rows);
        if (c->warn) {
            /* Printed (the executor shows a task's output), recorded, not failed. */
            fprintf(stderr, "duckflow: %s: warning: %s\n", who, msg.buf);
            sb_release(&msg);
            continue;
        }
        sb_adds(&failed, msg.buf);
        sb_release(&msg);
        rc = -1;
    }
    if (rc != 0) {
        if (also.len)
            sb_addf(&failed, "\nalso failed: %s", also.buf);
        err->code = DF_EFAIL; /* set directly: the table keeps its lines */
        snprintf(err->msg, sizeof(err->msg), "%s", failed.buf);
        *cls = DF_CLASS_CHECK_FAILED;
    }
    sb_release(&failed);
    sb_release(&also);
    return rc;
}

/* 1 when every output names a table or view the SQL can read: one prepare each (a
 * fraction of a millisecond, where a catalog query costs ~10 ms of CPU per task). */
static int outputs_bind(struct df_duck *d, const struct df_step *s)
{
    int ok = 1;
    for (size_t o = 0; o < s->n_outputs && ok; o++) {
        struct strbuf sql = STRBUF_INIT;
        duckdb_prepared_statement stmt = NULL;
        sb_adds(&sql, "SELECT * FROM ");
        sb_add_sql_ident(&sql, s->outputs[o].name);
        sb_adds(&sql, " LIMIT 0");
        ok = duckdb_prepare(d->con, sql.buf, &stmt) == DuckDBSuccess;
        duckdb_destroy_prepare(&stmt);
        sb_release(&sql);
    }
    return ok;
}

int df_outputs_check(struct df_duck *d, const struct df_step *s, struct df_error *err)
{
    json_t *rows = NULL, *r;
    size_t i;
    int rc = 0;

    if (!s->n_outputs || outputs_bind(d, s))
        return 0;
    /* Something is missing: the catalog says what the SQL did create. */
    if (df_duck_query_json(d,
                           "SELECT table_name AS name FROM information_schema.tables"
                           " WHERE table_schema = current_schema() ORDER BY table_name",
                           0, &rows, err) != 0)
        return -1;
    for (size_t o = 0; o < s->n_outputs && rc == 0; o++) {
        int found = 0;
        json_array_foreach(rows, i, r)
        {
            const char *name = json_string_value(json_object_get(r, "name"));
            found |= name && !strcasecmp(name, s->outputs[o].name);
        }
        if (!found) {
            struct strbuf made = STRBUF_INIT;
            json_array_foreach(rows, i, r)
            {
                const char *name = json_string_value(json_object_get(r, "name"));
                int input = 0;
                for (size_t k = 0; name && k < s->n_inputs; k++)
                    input |= !strcasecmp(name, s->inputs[k].name);
                if (name && !input)
                    sb_addf(&made, "%s%s", made.len ? ", " : "", name);
            }
            df_error_set(err, DF_EFAIL, "step '%s' did not create table '%s' (it created: %s)",
                         s->name, s->outputs[o].name, made.len ? made.buf : "nothing");
            sb_release(&made);
            rc = -1;
        }
    }
    json_decref(rows);
    return rc;
}
