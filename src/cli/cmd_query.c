/*
 * cmd_query.c - `duckflow query`: SQL over a run's outputs. Resolves the run, opens
 * DuckDB, attaches a schema per step and a view per output table (src/query), runs the
 * SQL given as the argument or on stdin, and prints the last statement's result.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "engine/duck.h"
#include "query/query.h"
#include "util/fs.h"
#include "util/strbuf.h"
#include "util/banned.h"

#define SQL_MAX (64u << 20)

const struct cli_opt cli_opts_query[] = {
    {'s', "store", "URI",
     "the store (default $DUCKFLOW_STORE, else ./.duckflow in the\ncurrent folder, not the "
     "pipeline's)"},
    {'r', "run", "RUN",
     "a run id; 'published' (default): the run the pipeline\npublished (its last successful "
     "run, or the one\n`duckflow publish` set); 'latest': the run whose\nrun.json started "
     "last, whatever its state"},
    {'P', "pipeline", "P",
     "one pipeline of a store that holds several; without it\neach pipeline is a catalog: "
     "tpch.merge.totals"},
    {'f', "format", "F",
     "table (default, also when not a terminal), csv (with a\nheader), json (one object per "
     "line), parquet (needs\n--output and a query as the last statement)"},
    {'o', "output", "FILE", "write the result to FILE instead of stdout"},
    {'w', "max-width", "N",
     "widest table cell before it is cut (default " CLI_STR(DF_FMT_DEFAULT_WIDTH) ")"},
    {CLI_OPT_HELP},
    {0, NULL, NULL, NULL},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: duckflow query [--store URI] [--run RUN|published|latest] [--pipeline P]\n"
               "                      [--format table|csv|json|parquet] [--output FILE] [SQL]\n\n"
               "Runs SQL over what a run produced: a schema per step with a view per output\n"
               "table (SELECT * FROM merge.totals), and the schema _run with the run's own\n"
               "records (_run.tasks, _run.files, _run.tables, _run.run). The SQL comes from the\n"
               "argument, else from stdin; several statements run in order and the result of\n"
               "the last one is printed. Without SQL on a terminal, lists the views.\n\n"
               "options:\n");
    cli_print_options(f, cli_opts_query);
    fprintf(f, "\nPut -- before SQL that starts with '-' (a comment): duckflow query -- '-- ...'.\n"
               "Files of S3/GCS stores are downloaded into $DUCKFLOW_CACHE (default\n"
               "~/.cache/duckflow) first. Exit codes: 0 ok, 1 the SQL failed, 2 bad usage,\n"
               "3 store error or run not found.\n");
}

static const char *const list_all_sql =
    "SELECT table_catalog AS pipeline, table_schema AS schema, table_name AS name,"
    " table_type AS kind FROM information_schema.tables"
    " WHERE table_catalog NOT IN ('memory', 'system', 'temp') AND table_schema <> 'main'"
    " ORDER BY table_catalog, table_schema = '_run', table_schema, table_name";

static const char *const list_sql =
    "SELECT table_schema AS schema, table_name AS name, table_type AS kind"
    " FROM information_schema.tables"
    " WHERE table_catalog = current_database() AND table_schema <> 'main'"
    " ORDER BY table_schema = '_run', table_schema, table_name";

int cmd_query(int argc, char **argv)
{
    struct df_error err = DF_ERROR_INIT;
    struct df_duck_config cfg = DF_DUCK_CONFIG_INIT;
    struct df_duck duck = DF_DUCK_INIT;
    struct df_query_out qo = {DF_FORMAT_TABLE, stdout, NULL, 0};
    struct cli_run r = CLI_RUN_INIT;
    struct df_run_info *info = NULL;
    json_t *pipelines = NULL;
    const char *store_opt = NULL, *run = NULL, *pipeline = NULL, *output = NULL;
    char *sql = NULL;
    FILE *outf = NULL;
    int c, rc = 0, fmt;

    while ((c = cli_getopt("query", argc, argv, cli_opts_query, CLI_STOP_AT_ARG)) != -1) {
        switch (c) {
        case 's':
            store_opt = optarg;
            break;
        case 'r':
            run = optarg;
            break;
        case 'P':
            pipeline = optarg;
            break;
        case 'f':
            fmt = df_format_parse(optarg);
            if (fmt < 0)
                return cli_usage_error("query", "unknown format '%s'", optarg);
            qo.format = (enum df_format)fmt;
            break;
        case 'o':
            output = optarg;
            break;
        case 'w': {
            char *end;
            long w = strtol(optarg, &end, 10);
            if (*end || w < 4 || w > 100000)
                return cli_usage_error("query", "bad --max-width '%s'", optarg);
            qo.max_width = (size_t)w;
            break;
        }
        case 'h':
            usage(stdout);
            return 0;
        default:
            return 2;
        }
    }
    if (argc - optind > 1)
        return cli_usage_error("query", "expected one SQL argument (quote it), got %d",
                               argc - optind);
    if (qo.format == DF_FORMAT_PARQUET && !output)
        return cli_usage_error("query", "--format parquet needs --output FILE");
    if (optind < argc) {
        sql = xstrdup(argv[optind]);
    } else if (!isatty(0)) {
        size_t len = 0;
        if (fs_read_file("/dev/stdin", SQL_MAX, &sql, &len, &err) != 0) {
            df_error_prefix(&err, "cannot read SQL from stdin");
            rc = cli_fail(&err);
            goto out;
        }
    }

    if (df_store_open(cli_store_uri(store_opt), &r.store, &err) != 0) {
        rc = cli_fail(&err);
        goto out;
    }
    /* Several pipelines and no --pipeline: each one's published (or latest) run is a
     * catalog of its own. A run id still picks the one pipeline that has it. */
    if (!pipeline && (!run || !strcmp(run, "published") || !strcmp(run, "latest"))) {
        if (df_run_pipelines(r.store, &pipelines, &err) != 0) {
            rc = cli_fail(&err);
            goto out;
        }
        if (json_array_size(pipelines) < 2) {
            json_decref(pipelines);
            pipelines = NULL;
        }
    }
    if (!sql)
        sql = xstrdup(pipelines ? list_all_sql : list_sql);
    if (!pipelines && (cli_run_open(&r, NULL, pipeline, run, 0, &err) != 0 ||
                       df_run_load(r.store, r.pipeline, r.run, &info, &err) != 0)) {
        rc = cli_fail(&err);
        goto out;
    }
    cfg.keep_order = 1; /* results come out in the order the SQL asks for */
    if (df_duck_open(&duck, &cfg, &err) != 0 ||
        (pipelines ? df_query_attach_pipelines(&duck, r.store, pipelines, run, sql, &err)
                   : df_query_attach(&duck, r.store, info, NULL, sql, &err)) != 0) {
        rc = cli_fail(&err);
        goto out;
    }
    if (output && qo.format != DF_FORMAT_PARQUET) {
        outf = fopen(output, "w");
        if (!outf) {
            df_error_errno(&err, "cannot write '%s'", output);
            rc = cli_fail(&err);
            goto out;
        }
        qo.out = outf;
    }
    qo.output_path = output;
    if (df_query_run(&duck, sql, &qo, &err) != 0) {
        df_query_explain_missing(info, sql, &err);
        rc = cli_fail(&err);
        goto out;
    }
    if (outf) {
        FILE *f = outf;
        outf = NULL;
        if (fclose(f) != 0) {
            df_error_errno(&err, "cannot write '%s'", output);
            rc = cli_fail(&err);
        }
    }
out:
    if (outf)
        fclose(outf);
    df_duck_close(&duck);
    df_run_info_free(info);
    json_decref(pipelines);
    cli_run_release(&r);
    free(sql);
    return rc;
}
