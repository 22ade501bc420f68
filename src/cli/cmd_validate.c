/*
 * cmd_validate.c - `duckflow validate PIPELINE [--param k=v]... [--no-sql]`: loads the
 * pipeline file with every check df_pipeline_load() makes, then parses every SQL text
 * (steps, checks, foreach rows) with DuckDB's parser (engine/sqlcheck.c, which run, plan,
 * graph and argo use too), and says "ok" or prints the first problem as
 * FILE:LINE:COL: message (exit 2). Reads no data and touches no store.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "spec/spec.h"
#include "util/strbuf.h"
#include "util/banned.h"

enum { OPT_NO_SQL = 256 };

const struct cli_opt cli_opts_validate[] = {
    {CLI_OPT_PARAM},
    {OPT_NO_SQL, "no-sql", NULL, "skip the SQL syntax check"},
    {CLI_OPT_HELP},
    {0, NULL, NULL, NULL},
};

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

int cmd_validate(int argc, char **argv)
{
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
    if ((rc = cli_load_pipeline("validate", argc, argv, optind, ov, n_ov, !sql, &p)) != 0)
        goto done;
    printf("ok: pipeline '%s': %zu step%s\n", p->name, p->n_steps, p->n_steps == 1 ? "" : "s");
done:
    df_pipeline_free(p);
    df_param_overrides_free(ov, n_ov);
    return rc;
}
