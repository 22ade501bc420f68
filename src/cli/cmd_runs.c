/*
 * cmd_runs.c - `duckflow runs`: the runs in a store (from their run.json records), oldest
 * first, as a table or JSON on stdout.
 */
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "exec/runlist.h"
#include "exec/runrec.h"
#include "store/layout.h"
#include "store/publish.h"
#include "store/store.h"
#include "util/strbuf.h"
#include "util/timeutil.h"
#include "util/jsonfmt.h"
#include "util/banned.h"

const struct cli_opt cli_opts_runs[] = {
    {CLI_OPT_STORE},
    {'P', "pipeline", "P", "only runs of pipeline P"},
    {'f', "format", "FMT", "text (default) or json"},
    {CLI_OPT_HELP},
    {0, NULL, NULL, NULL},
};

static void help(void)
{
    printf("usage: duckflow runs [--store URI] [--pipeline P] [--format text|json]\n"
           "       duckflow runs rm RUN... [--store URI] [--pipeline P] [--dry-run]\n"
           "\n"
           "Lists the runs in the store, oldest first: pipeline, run id, status, start time,\n"
           "duration and tasks done/total, with how many failed, were not run (a dependency\n"
           "failed, or --fail-fast) and were interrupted. A run whose run.json says running\n"
           "but whose executor is gone shows as 'abandoned'. Runs made task by task with\n"
           "`duckflow step` (no run.json) follow, with status 'steps'. The run each\n"
           "pipeline publishes (what query and report read by default) is marked\n"
           "'(published)'; a run whose --select or --exclude left steps out (never\n"
           "published) is marked '(partial)'.\n"
           "\n");
    cli_print_options(stdout, cli_opts_runs);
}

static const char *status_of(json_t *r)
{
    const char *st = json_string_value(json_object_get(r, "status"));
    if (!st)
        return "unknown";
    if (!strcmp(st, "running") && !runrec_still_running(r))
        return "abandoned";
    return st;
}

/* 1 when r is its pipeline's published run; published caches pipeline -> run id ("" when
 * none). */
static int is_published(struct df_store *s, json_t *published, json_t *r)
{
    const char *pl = json_string_value(json_object_get(r, "pipeline"));
    const char *id = json_string_value(json_object_get(r, "run"));
    json_t *have;

    if (!pl || !id)
        return 0;
    have = json_object_get(published, pl);
    if (!have) {
        struct df_error err = DF_ERROR_INIT;
        char *run = NULL;
        if (df_valid_pipeline_name(pl) && df_published_read(s, pl, &run, &err) != 0) {
            fprintf(stderr, "duckflow runs: %s\n", err.msg);
            df_error_clear(&err);
        }
        have = json_string(run ? run : "");
        json_object_set_new(published, pl, have);
        free(run);
    }
    return !strcmp(json_string_value(have), id);
}

static json_int_t int_of(json_t *r, const char *k)
{
    return json_integer_value(json_object_get(r, k));
}

/* "3/50 (1 failed, 46 not run)". */
static void describe_counts(const struct run_counts *k, char *out, size_t n)
{
    struct strbuf sb = STRBUF_INIT;
    const char *sep = " (";
    sb_addf(&sb, "%lld/%lld", k->done, k->total);
    if (k->failed) {
        sb_addf(&sb, "%s%lld failed", sep, k->failed);
        sep = ", ";
    }
    if (k->not_run) {
        sb_addf(&sb, "%s%lld not run", sep, k->not_run);
        sep = ", ";
    }
    if (k->interrupted)
        sb_addf(&sb, "%s%lld interrupted", sep, k->interrupted);
    if (k->failed || k->not_run || k->interrupted)
        sb_addc(&sb, ')');
    snprintf(out, n, "%s", sb.buf);
    sb_release(&sb);
}

int cmd_runs(int argc, char **argv)
{
    struct df_error err = DF_ERROR_INIT;
    const char *store_opt = NULL, *pipeline = NULL, *format = "text";
    struct df_store *store = NULL;
    json_t *runs = NULL, *r, *published = NULL;
    size_t i;
    int c, rc = 2;

    if (argc > 1 && !strcmp(argv[1], "rm"))
        return cmd_runs_rm(argc - 1, argv + 1);
    optind = 1;
    while ((c = cli_getopt("runs", argc, argv, cli_opts_runs, 0)) != -1) {
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
    if (optind != argc)
        return cli_usage_error("runs", "unexpected argument '%s'", argv[optind]);
    if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0)
        return cli_usage_error("runs", "--format is text or json, not '%s'", format);
    if (pipeline && !df_valid_pipeline_name(pipeline))
        return cli_usage_error("runs", "invalid pipeline name '%s'", pipeline);
    published = json_object();
    if (df_store_open(store_opt, &store, &err) != 0 ||
        runrec_list(store, pipeline, &runs, &err) != 0 ||
        runlist_add_step_runs(store, pipeline, runs, &err) != 0) {
        rc = cli_fail(&err);
        goto out;
    }
    if (!strcmp(format, "json")) {
        json_t *outv = json_array();
        json_array_foreach(runs, i, r)
        {
            json_t *o = json_object();
            struct run_counts k;
            runlist_counts(r, &k);
            json_object_set(o, "pipeline", json_object_get(r, "pipeline"));
            json_object_set(o, "run", json_object_get(r, "run"));
            json_object_set_new(o, "status", json_string(status_of(r)));
            json_object_set(o, "started_at", json_object_get(r, "started_at"));
            json_object_set(o, "finished_at", json_object_get(r, "finished_at"));
            json_object_set_new(o, "elapsed_ms", json_integer(int_of(r, "elapsed_ms")));
            json_object_set_new(o, "tasks_total", json_integer(k.total));
            json_object_set_new(o, "tasks_done", json_integer(k.done));
            json_object_set_new(o, "tasks_failed", json_integer(k.failed));
            json_object_set_new(o, "tasks_not_run", json_integer(k.not_run));
            json_object_set_new(o, "tasks_interrupted", json_integer(k.interrupted));
            json_object_set_new(o, "tasks_reused", json_integer(int_of(r, "tasks_reused")));
            json_object_set_new(o, "published", json_boolean(is_published(store, published, r)));
            json_object_set_new(o, "partial",
                                json_boolean(json_is_true(json_object_get(r, "partial"))));
            json_array_append_new(outv, o);
        }
        char *text = df_json_dumps(outv, JSON_INDENT(2));
        printf("%s\n", text ? text : "[]");
        free(text);
        json_decref(outv);
    } else if (json_array_size(runs) == 0) {
        fprintf(stderr, "duckflow runs: no runs in '%s'%s\n", store->uri,
                cli_store_default_hint(store->uri));
    } else {
        int wp = 8, wr = 3, ws = 11;
        json_array_foreach(runs, i, r)
        {
            const char *pl = json_string_value(json_object_get(r, "pipeline"));
            const char *id = json_string_value(json_object_get(r, "run"));
            if (pl && (int)strlen(pl) > wp)
                wp = (int)strlen(pl);
            if (id && (int)strlen(id) > wr)
                wr = (int)strlen(id);
            if (is_published(store, published, r))
                ws = 21;
        }
        printf("%-*s  %-*s  %-*s  %-24s  %9s  %s\n", wp, "PIPELINE", wr, "RUN", ws, "STATUS",
               "STARTED", "DURATION", "TASKS");
        json_array_foreach(runs, i, r)
        {
            const char *pl = json_string_value(json_object_get(r, "pipeline"));
            const char *id = json_string_value(json_object_get(r, "run"));
            const char *st = json_string_value(json_object_get(r, "started_at"));
            char dur[32], tasks[160], status[48];
            struct run_counts k;
            runlist_counts(r, &k);
            if (json_object_get(r, "elapsed_ms"))
                df_format_duration(int_of(r, "elapsed_ms"), dur, sizeof(dur));
            else
                snprintf(dur, sizeof(dur), "-");
            describe_counts(&k, tasks, sizeof(tasks));
            if (int_of(r, "tasks_reused")) /* reused from earlier runs through the cache */
                snprintf(tasks + strlen(tasks), sizeof(tasks) - strlen(tasks),
                         " (%" JSON_INTEGER_FORMAT " reused)", int_of(r, "tasks_reused"));
            snprintf(status, sizeof(status), "%s%s", status_of(r),
                     is_published(store, published, r)             ? " (published)"
                     : json_is_true(json_object_get(r, "partial")) ? " (partial)"
                                                                   : "");
            printf("%-*s  %-*s  %-*s  %-24s  %9s  %s\n", wp, pl ? pl : "?", wr, id ? id : "?", ws,
                   status, st ? st : "-", dur, tasks);
        }
    }
    rc = 0;
out:
    json_decref(runs);
    json_decref(published);
    df_store_free(store);
    return rc;
}
