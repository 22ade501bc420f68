/*
 * cmd_items.c - `duckflow items PIPELINE --run RUN --step S [--store URI] [--param k=v]`:
 * prints a step's items as one JSON list on stdout (what Argo's withParam reads). Static
 * steps need no store; dynamic ones (files, rows, each over those) read or compute
 * <run>/<step>/_items.json in the store.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "dag/plan.h"
#include "engine/items.h"
#include "spec/spec.h"
#include "store/layout.h"
#include "store/store.h"
#include "util/strbuf.h"
#include "util/jsonfmt.h"
#include "util/banned.h"

enum { OPT_STEP = 256 };

const struct cli_opt cli_opts_items[] = {
    {'r', "run", "RUN", "the run id"},
    {OPT_STEP, "step", "STEP", "the step"},
    {CLI_OPT_STORE},
    {CLI_OPT_PARAM},
    {CLI_OPT_HELP},
    {0, NULL, NULL, NULL},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: duckflow items PIPELINE --run RUN --step STEP [--store URI]\n"
               "                      [--param KEY=VALUE]...\n\n"
               "Prints the items of a step as one JSON list (one entry per task, in task\n"
               "order). Items of files and rows steps come from the run's committed data in\n"
               "the store and are kept there, so every reader sees the same list.\n\n"
               "options:\n");
    cli_print_options(f, cli_opts_items);
}

int cmd_items(int argc, char **argv)
{
    struct df_error err = DF_ERROR_INIT;
    struct df_param_override *ov = NULL;
    struct df_pipeline *p = NULL;
    struct df_store *store = NULL;
    const char *run = NULL, *step = NULL, *store_opt = NULL;
    json_t *items = NULL;
    char *text = NULL;
    size_t n_ov = 0;
    int c, rc = 0, si = -1;

    while ((c = cli_getopt("items", argc, argv, cli_opts_items, 0)) != -1) {
        switch (c) {
        case 'r':
            run = optarg;
            break;
        case OPT_STEP:
            step = optarg;
            break;
        case 's':
            store_opt = optarg;
            break;
        case 'p':
            if ((rc = cli_add_param("items", optarg, &ov, &n_ov)) != 0)
                goto done;
            break;
        case 'h':
            usage(stdout);
            goto done;
        default:
            rc = 2;
            goto done;
        }
    }
    if ((rc = cli_load_step("items", argc, argv, optind, run, step, ov, n_ov, &p, &si)) != 0)
        goto done;
    /* A static step's items come from the file alone: no store is opened (or created). */
    if (!df_plan_is_static(p, (size_t)si)) {
        if (df_store_open(cli_store_uri(store_opt), &store, &err) < 0) {
            rc = cli_fail(&err);
            goto done;
        }
        if ((rc = cli_refuse_removed_run(store, p->name, run)) != 0)
            goto done;
    }
    if (df_step_items(p, (size_t)si, store, run, &items, &err) < 0) {
        rc = cli_fail(&err);
        goto done;
    }
    text = df_json_dumps(items, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!text) {
        df_error_set(&err, DF_EFAIL, "step '%s': cannot encode items as json", step);
        rc = cli_fail(&err);
        goto done;
    }
    printf("%s\n", text);
done:
    free(text);
    json_decref(items);
    df_store_free(store);
    df_pipeline_free(p);
    df_param_overrides_free(ov, n_ov);
    return rc;
}
