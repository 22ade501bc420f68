/*
 * cmd_report.c - `duckflow report RUN`: per-task timings, rows, bytes, peak memory and
 * exit class of a run, from its manifests, as text tables or a self-contained HTML page.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "exec/runrec.h"
#include "query/query.h"
#include "util/banned.h"

enum { OPT_HTML = 256 };

const struct cli_opt cli_opts_report[] = {
    {'s', "store", "URI",
     "the store (default $DUCKFLOW_STORE, else ./.duckflow in\nthe current folder)"},
    {'P', "pipeline", "P", "the pipeline, when the store holds several"},
    {OPT_HTML, "html", "FILE",
     "write one self-contained HTML page (inline CSS, no\nscripts or external links, a time "
     "bar per task) to FILE\n('-' for stdout) instead of the text tables"},
    {CLI_OPT_HELP},
    {0, NULL, NULL, NULL},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: duckflow report [RUN|published|latest] [--store URI] [--pipeline P] [--html "
               "FILE]\n\n"
               "Shows a run's tasks from their manifests: per step, tasks, rows, bytes, wall\n"
               "time, slowest task, peak memory and spill; per task, attempt, exit class,\n"
               "timings (total, sql, write), rows, bytes, files, peak RSS and memory limit.\n"
               "RUN defaults to 'published', the run the pipeline published (its last\n"
               "successful run, or the one `duckflow publish` set; the latest run when none\n"
               "is); 'latest' is the run whose run.json started last, whatever its state.\n\n"
               "options:\n");
    cli_print_options(f, cli_opts_report);
    fprintf(f, "\nExit codes: 0 ok, 2 bad usage, 3 store error or run not found.\n");
}

int cmd_report(int argc, char **argv)
{
    struct df_error err = DF_ERROR_INIT;
    struct cli_run r = CLI_RUN_INIT;
    struct df_run_info *info = NULL;
    const char *store_opt = NULL, *pipeline = NULL, *html = NULL, *run = NULL;
    FILE *out = stdout;
    int c, rc = 0;

    while ((c = cli_getopt("report", argc, argv, cli_opts_report, 0)) != -1) {
        switch (c) {
        case 's':
            store_opt = optarg;
            break;
        case 'P':
            pipeline = optarg;
            break;
        case OPT_HTML:
            html = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            return 2;
        }
    }
    if (argc - optind > 1)
        return cli_usage_error("report", "expected at most one run id");
    if (optind < argc)
        run = argv[optind];
    if (cli_run_open(&r, store_opt, pipeline, run, 0, &err) != 0 ||
        df_run_load(r.store, r.pipeline, r.run, &info, &err) != 0) {
        rc = cli_fail(&err);
        goto out;
    }
    /* The same state `runs` shows: a run whose record says running but whose executor is
     * gone is abandoned (exec/runrec.h). */
    {
        const char *st = json_string_value(json_object_get(info->run_json, "status"));
        if (st && !strcmp(st, "running") && !runrec_still_running(info->run_json))
            json_object_set_new(info->run_json, "status", json_string("abandoned"));
    }
    if (html && strcmp(html, "-") != 0) {
        out = fopen(html, "w");
        if (!out) {
            df_error_errno(&err, "cannot write '%s'", html);
            rc = cli_fail(&err);
            goto out;
        }
    }
    if ((html ? df_report_html(info, out, &err) : df_report_text(info, out, &err)) != 0)
        rc = cli_fail(&err);
    if (out != stdout) {
        if (fclose(out) != 0 && rc == 0) {
            df_error_errno(&err, "cannot write '%s'", html);
            rc = cli_fail(&err);
        }
    }
out:
    df_run_info_free(info);
    cli_run_release(&r);
    return rc;
}
