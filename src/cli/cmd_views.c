/*
 * cmd_views.c - `duckflow views [RUN]`: SQL that a stock DuckDB runs unchanged to get a
 * schema per step and a view per table over exactly a run's committed files (absolute
 * URIs), or with --format json the file list per table for other readers (Polars,
 * pandas, Spark). The same SQL is in <run>/views.sql and <pipeline>/published.sql.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "store/publish.h"
#include "util/strbuf.h"
#include "util/banned.h"

const struct cli_opt cli_opts_views[] = {
    {'s', "store", "URI", "the store (default $DUCKFLOW_STORE, else ./.duckflow)"},
    {'P', "pipeline", "P", "the pipeline, when the store holds several"},
    {'f', "format", "F", "sql (default) or json"},
    {'h', "help", NULL, "this help"},
    {0, NULL, NULL, NULL}};

static void help(void)
{
    printf("usage: duckflow views [RUN|published|latest] [--store URI] [--pipeline P]\n"
           "                      [--format sql|json]\n"
           "\n"
           "Prints SQL that a stock DuckDB (CLI, Python; with httpfs for s3:// and gs://)\n"
           "runs unchanged: a schema per step and a view per output table over exactly the\n"
           "files the run's manifests commit (absolute URIs, Hive partition columns), so a\n"
           "notebook reads a run without duckflow. --format json prints the file list per\n"
           "table instead. RUN defaults to the published run. Every run also leaves this\n"
           "SQL as runs/<run>/views.sql, and the published run's as <pipeline>/published.sql.\n"
           "\n");
    cli_print_options(stdout, cli_opts_views);
    printf("\nExit codes: 0 ok, 2 bad usage, 3 store error or run not found.\n");
}

int cmd_views(int argc, char **argv)
{
    struct df_error err = DF_ERROR_INIT;
    struct cli_run r = CLI_RUN_INIT;
    struct strbuf sql = STRBUF_INIT;
    const char *store_opt = NULL, *pipeline = NULL, *format = "sql", *run = NULL;
    json_t *js = NULL;
    int c, rc = 0, as_json;

    optind = 1;
    while ((c = cli_getopt("views", argc, argv, cli_opts_views, 0)) != -1) {
        switch (c) {
        case 's':
            store_opt = optarg;
            break;
        case 'P':
            pipeline = optarg;
            break;
        case 'f':
            format = optarg;
            break;
        case 'h':
            help();
            return 0;
        default:
            return 2;
        }
    }
    if (argc - optind > 1)
        return cli_usage_error("views", "expected at most one run id");
    if (optind < argc)
        run = argv[optind];
    if (strcmp(format, "sql") != 0 && strcmp(format, "json") != 0)
        return cli_usage_error("views", "--format is sql or json, not '%s'", format);
    as_json = !strcmp(format, "json");
    if (cli_run_open(&r, store_opt, pipeline, run, 0, &err) != 0 ||
        df_views_build(r.store, r.pipeline, r.run, as_json ? NULL : &sql, as_json ? &js : NULL,
                       &err) != 0) {
        rc = cli_fail(&err);
        goto out;
    }
    if (as_json) {
        char *text = json_dumps(js, JSON_INDENT(2));
        printf("%s\n", text ? text : "{}");
        free(text);
    } else {
        fputs(sql.buf, stdout);
    }
out:
    json_decref(js);
    sb_release(&sql);
    cli_run_release(&r);
    return rc;
}
