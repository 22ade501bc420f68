/*
 * cmd_validate.c - `duckflow validate PIPELINE [--param k=v]... [--no-sql]`: loads the
 * pipeline file with every check df_pipeline_load() makes, then parses every SQL text
 * (steps, checks, foreach rows) with DuckDB's parser, and says "ok" or prints the first
 * problem as FILE:LINE:COL: message (exit 2). Reads no data and touches no store.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "engine/duck.h"
#include "spec/spec.h"
#include "util/strbuf.h"
#include "util/banned.h"

enum { OPT_NO_SQL = 256 };

const struct cli_opt cli_opts_validate[] = {
    {'p', "param", "KEY=VALUE", "override a param (typed like its default)"},
    {OPT_NO_SQL, "no-sql", NULL, "skip the SQL syntax check"},
    {'h', "help", NULL, "show this help"},
    {0, NULL, NULL, NULL}};

static void usage(FILE *f)
{
    fprintf(f, "usage: duckflow validate PIPELINE [--param KEY=VALUE]... [--no-sql]\n\n"
               "Checks a pipeline file and the SQL files it names without running anything:\n"
               "fields, names, references, cycles, limits and params, then the syntax of\n"
               "every SQL statement (DuckDB's parser; tables are not looked up).\n"
               "Prints \"ok: pipeline 'NAME': N steps\" on success; otherwise the first\n"
               "problem as FILE:LINE:COL: message and exits 2.\n\n"
               "options:\n");
    cli_print_options(f, cli_opts_validate);
}

/*
 * Parses each statement of sql on its own, so a failure names its statement: line and
 * column in origin are where the failing statement starts (base_line/base_col are where
 * the text's first line starts there).
 */
static int parse_sql(struct df_duck *d, const char *sql, const char *origin, int base_line,
                     int base_col, const char *what, struct df_error *err)
{
    struct df_sql_piece *pieces = NULL;
    size_t n = 0;
    int rc = 0;

    df_sql_split(sql, &pieces, &n);
    for (size_t i = 0; i < n && rc == 0; i++) {
        duckdb_extracted_statements ext = NULL;
        char *one = xstrndup(sql + pieces[i].offset, pieces[i].len);
        const char *msg;
        size_t bol = pieces[i].offset;
        if (duckdb_extract_statements(d->con, one, &ext) == 0 &&
            (msg = duckdb_extract_statements_error(ext)) != NULL) {
            size_t mlen = strcspn(msg, "\n");
            while (bol > 0 && sql[bol - 1] != '\n')
                bol--;
            df_error_set(err, DF_EUSAGE, "%s:%d:%d: %s: statement %zu: %.*s", origin,
                         base_line + pieces[i].line, base_col + (int)(pieces[i].offset - bol), what,
                         i + 1, (int)mlen, msg);
            rc = -1;
        }
        duckdb_destroy_extracted(&ext);
        free(one);
    }
    free(pieces);
    return rc;
}

static int check_sql(const struct df_pipeline *p, struct df_error *err)
{
    struct df_duck d = DF_DUCK_INIT;
    int rc = 0;

    if (df_duck_open(&d, NULL, err) < 0) {
        df_error_prefix(err, "cannot open duckdb to check sql");
        return -1;
    }
    for (size_t i = 0; i < p->n_steps && rc == 0; i++) {
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

int cmd_validate(int argc, char **argv)
{
    struct df_error err = DF_ERROR_INIT;
    struct df_param_override *ov = NULL;
    struct df_pipeline *p = NULL;
    size_t n_ov = 0;
    int c, rc = 0, sql = 1;

    while ((c = cli_getopt("validate", argc, argv, cli_opts_validate, 0)) != -1) {
        switch (c) {
        case 'p':
            if ((rc = cli_add_param("validate", optarg, &ov, &n_ov)) != 0)
                goto done;
            break;
        case OPT_NO_SQL:
            sql = 0;
            break;
        case 'h':
            usage(stdout);
            goto done;
        default:
            rc = 2;
            goto done;
        }
    }
    if (optind != argc - 1) {
        rc = cli_usage_error("validate", "expected one pipeline file");
        goto done;
    }
    if (df_pipeline_load(argv[optind], ov, n_ov, &p, &err) < 0 || (sql && check_sql(p, &err) < 0)) {
        rc = cli_fail(&err);
        goto done;
    }
    printf("ok: pipeline '%s': %zu step%s\n", p->name, p->n_steps, p->n_steps == 1 ? "" : "s");
done:
    df_pipeline_free(p);
    df_param_overrides_free(ov, n_ov);
    return rc;
}
