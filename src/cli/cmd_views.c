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
#include "store/runs.h"
#include "util/strbuf.h"
#include "util/banned.h"

const struct cli_opt cli_opts_views[] = {
    {CLI_OPT_STORE},
    {'P', "pipeline", "P", "the pipeline, when the store holds several"},
    {'f', "format", "F", "sql (default) or json"},
    {CLI_OPT_HELP},
    {0, NULL, NULL, NULL},
};

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
           "A store of several pipelines without --pipeline: each pipeline's published (else\n"
           "latest) run in a catalog named after it (tpch.merge.totals), as `duckflow query`\n"
           "does; --format json then prints one object per pipeline.\n"
           "\n");
    cli_print_options(stdout, cli_opts_views);
    printf("\nExit codes: 0 ok, 2 bad usage, 3 store error or run not found.\n");
}

/* Each pipeline's run (published, else latest; or run: "published"/"latest") in a
 * catalog of its own: SQL one after the other, or a JSON array of one object each. */
static int views_of_pipelines(struct df_store *s, json_t *pipelines, const char *run, int as_json)
{
    struct df_error err = DF_ERROR_INIT;
    struct strbuf sql = STRBUF_INIT;
    json_t *all = json_array(), *v;
    size_t i;
    int rc = 0;

    json_array_foreach(pipelines, i, v)
    {
        const char *pl = json_string_value(v);
        char *p = NULL, *r = NULL;
        json_t *js = NULL;
        if (df_run_resolve(s, pl, run, &p, &r, &err) != 0 ||
            df_views_build_in(s, p, r, p, as_json ? NULL : &sql, as_json ? &js : NULL, &err) != 0) {
            df_error_prefix(&err, "pipeline '%s'", pl);
            rc = cli_fail(&err);
        } else if (js) {
            json_object_set_new(js, "catalog", json_string(p));
            json_array_append_new(all, js);
        }
        if (!as_json && rc == 0)
            sb_adds(&sql, "\n");
        free(p);
        free(r);
        if (rc != 0)
            break;
    }
    if (rc == 0 && as_json) {
        char *text = json_dumps(all, JSON_INDENT(2));
        printf("%s\n", text ? text : "[]");
        free(text);
    } else if (rc == 0) {
        fputs(sql.buf ? sql.buf : "", stdout);
    }
    json_decref(all);
    sb_release(&sql);
    return rc;
}

int cmd_views(int argc, char **argv)
{
    struct df_error err = DF_ERROR_INIT;
    struct cli_run r = CLI_RUN_INIT;
    struct strbuf sql = STRBUF_INIT;
    const char *store_opt = NULL, *pipeline = NULL, *format = "sql", *run = NULL;
    json_t *js = NULL, *pipelines = NULL;
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
    /* Several pipelines and no --pipeline: a catalog per pipeline (as query does). */
    if (!pipeline && (!run || !strcmp(run, "published") || !strcmp(run, "latest"))) {
        if (df_store_open(cli_store_uri(store_opt), &r.store, &err) != 0 ||
            df_run_pipelines(r.store, &pipelines, &err) != 0) {
            rc = cli_fail(&err);
            goto out;
        }
        if (json_array_size(pipelines) >= 2) {
            rc = views_of_pipelines(r.store, pipelines, run, as_json);
            goto out;
        }
        /* One pipeline: named, its published run is read without listing the store again. */
        if (json_array_size(pipelines) == 1)
            pipeline = json_string_value(json_array_get(pipelines, 0));
    }
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
    json_decref(pipelines);
    json_decref(js);
    sb_release(&sql);
    cli_run_release(&r);
    return rc;
}
