/*
 * sqlcheck.c - parsing a pipeline's SQL and its names with DuckDB before anything runs
 * (see sqlcheck.h). One in-memory DuckDB, the parser only (duckdb_extract_statements).
 */
#include "engine/sqlcheck.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/duck.h"
#include "engine/sqlerr.h"
#include "util/strbuf.h"
#include "util/banned.h"

/* NULL when sql parses, else DuckDB's message (whole, with its "LINE n:" context when it
 * has one; free()). */
static char *parse_error(struct df_duck *d, const char *sql)
{
    duckdb_extracted_statements ext = NULL;
    const char *msg;
    char *out = NULL;

    if (duckdb_extract_statements(d->con, sql, &ext) == 0 &&
        (msg = duckdb_extract_statements_error(ext)) != NULL)
        out = xstrdup(msg);
    duckdb_destroy_extracted(&ext);
    return out;
}

/*
 * Parses each statement of sql on its own, so a failure names its statement: line and
 * column in origin are where DuckDB places the error (its "LINE n:" context, as
 * engine/sqlerr.h maps a run's errors), else where the failing statement starts
 * (base_line/base_col are where the text's first line starts there). The message is
 * DuckDB's first line.
 */
static int parse_sql(struct df_duck *d, const char *sql, const char *origin, int base_line,
                     int base_col, const char *what, struct df_error *err)
{
    struct df_sql_piece *pieces = NULL;
    size_t n = 0;
    int rc = 0;

    df_sql_split(sql, &pieces, &n);
    for (size_t i = 0; i < n && rc == 0; i++) {
        char *one = xstrndup(sql + pieces[i].offset, pieces[i].len);
        char *msg = parse_error(d, one);
        if (msg) {
            struct df_sql_where w = {origin, sql, pieces[i].offset, 1, base_line, base_col};
            int line, col;
            df_sql_error_where(msg, &w, &line, &col);
            df_error_set(err, DF_EUSAGE, "%s:%d:%d: %s: statement %zu: %.*s", origin, line, col,
                         what, i + 1, (int)strcspn(msg, "\n"), msg);
            rc = -1;
        }
        free(msg);
        free(one);
    }
    free(pieces);
    return rc;
}

/* 1 when `SELECT * FROM <a>.<b>` parses. */
static int usable(struct df_duck *d, const char *a, const char *b)
{
    char *sql = xasprintf("SELECT * FROM %s.%s", a, b);
    char *msg = parse_error(d, sql);
    free(sql);
    free(msg);
    return msg == NULL;
}

/* A name close to name that parses in its place (name_step, name_1, ...). */
static char *suggest(struct df_duck *d, const char *name, int is_step)
{
    static const char *const suffixes[] = {"_step", "_table", "_1", "_2"};
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        if (i == (is_step ? 1u : 0u))
            continue;
        char *alt = xasprintf("%s%s", name, suffixes[i]);
        if (is_step ? usable(d, alt, "t") : usable(d, "s", alt))
            return alt;
        free(alt);
    }
    return xasprintf("%s_", name);
}

/* Step and output names become `step.table` in SQL: refuse any the parser cannot take
 * unquoted (a keyword such as `summarize`), with a name that works. */
static int check_names(struct df_duck *d, const struct df_pipeline *p, struct df_error *err)
{
    for (size_t i = 0; i < p->n_steps; i++) {
        const struct df_step *s = &p->steps[i];
        if (!usable(d, s->name, "t")) {
            char *alt = suggest(d, s->name, 1);
            df_error_set(err, DF_EUSAGE,
                         "%s:%d:%d: step name '%s' cannot be used unquoted in SQL as "
                         "%s.table (DuckDB reads it as a keyword); rename the step, e.g. '%s'",
                         p->path, s->loc.line, s->loc.col, s->name, s->name, alt);
            free(alt);
            return -1;
        }
        for (size_t k = 0; k < s->n_outputs; k++) {
            const struct df_output *o = &s->outputs[k];
            if (usable(d, s->name, o->name))
                continue;
            char *alt = suggest(d, o->name, 0);
            df_error_set(err, DF_EUSAGE,
                         "%s:%d:%d: step '%s': output name '%s' cannot be used unquoted in SQL "
                         "as %s.%s (DuckDB reads it as a keyword); rename it, e.g. '%s'",
                         p->path, o->loc.line, o->loc.col, s->name, o->name, s->name, o->name, alt);
            free(alt);
            return -1;
        }
    }
    return 0;
}

int df_pipeline_check_sql(const struct df_pipeline *p, int names_only, struct df_error *err)
{
    struct df_duck d = DF_DUCK_INIT;
    int rc;

    if (df_duck_open(&d, NULL, err) < 0) {
        df_error_prefix(err, "cannot open duckdb to check sql");
        return -1;
    }
    rc = check_names(&d, p, err);
    for (size_t i = 0; i < p->n_steps && rc == 0 && !names_only; i++) {
        const struct df_step *s = &p->steps[i];
        char what[160];
        snprintf(what, sizeof(what), "step '%s'", s->name);
        rc = parse_sql(&d, s->sql, s->sql_origin, s->sql_line, s->sql_col ? s->sql_col : 1, what,
                       err);
        for (size_t k = 0; k < s->n_checks && rc == 0; k++) {
            snprintf(what, sizeof(what), "step '%s': check '%s'", s->name, s->checks[k].name);
            rc = parse_sql(&d, s->checks[k].sql, p->path, s->checks[k].sql_at.line,
                           s->checks[k].sql_at.col, what, err);
        }
        if (rc == 0 && s->foreach.kind == DF_FOREACH_ROWS) {
            snprintf(what, sizeof(what), "step '%s': foreach rows", s->name);
            rc = parse_sql(&d, s->foreach.rows_sql, p->path, s->foreach.rows_at.line,
                           s->foreach.rows_at.col, what, err);
        }
    }
    df_duck_close(&d);
    return rc;
}
