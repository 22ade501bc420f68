/*
 * cmd_argo_step.c - `duckflow argo step PIPELINE-NAME --bundle HASH --store URI [step
 * options] [--tasks-per-pod N]`: a task's pod in an Argo manifest. Reads the pipeline's
 * bundle from the store (checked against its hash) into $TMPDIR and runs `duckflow step`
 * on it with the other options as given, so no template but the first carries the
 * pipeline's files. The manifest's shared templates pass the step as its Argo task name,
 * which is mapped back to the step here. With --tasks-per-pod N, --item G names a group:
 * the pod runs items G*N .. G*N+N-1 (those that exist) one after another, each its own
 * task with its own manifest and attempt. Without it, a fan-out whose step sets no
 * tasks_per_pod is batched automatically (argo.h): past DF_ARGO_AUTO_PODS items, --item G
 * names pod G of that many and the pod runs its share of the items the same way.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argo/argo.h"
#include "cli/cli.h"
#include "cli/cmd_argo.h"
#include "engine/items.h"
#include "util/fs.h"
#include "util/strbuf.h"

#include "util/banned.h"

/* What the pod's arguments say beyond what passes through to `duckflow step`. */
struct pod_args {
    int step_at, item_at; /* where --step's and --item's values are in args, or -1 */
    const char *run;
    long per_pod;            /* 0 = not given */
    const char *metrics_dir; /* --metrics-dir, or NULL */
    const char *store_uri;   /* --store, or NULL */
};

/* The pipeline at path with the --param overrides among args. */
static int load_pipeline(const char *cmd, char **args, int n, const char *path,
                         struct df_pipeline **p)
{
    struct df_param_override *ov = NULL;
    size_t n_ov = 0;
    struct df_error err = DF_ERROR_INIT;
    int rc = 0;

    for (int i = 0; i + 1 < n; i++)
        if (args[i] && !strcmp(args[i], "--param") &&
            (rc = cli_add_param(cmd, args[i + 1], &ov, &n_ov)) != 0)
            goto done;
    if (df_pipeline_load(path, ov, n_ov, p, &err))
        rc = cli_fail(&err);
done:
    df_param_overrides_free(ov, n_ov);
    return rc;
}

/* The exit status of a group from its items': a failure a retry may fix (not 1, SQL or
 * check, nor 2, usage) wins, so that Argo retries the pod; else the highest. */
static int group_status(int have, int rc)
{
    int retryable_have = have != 0 && have != 1 && have != 2;
    int retryable_rc = rc != 0 && rc != 1 && rc != 2;
    if (retryable_have)
        return have;
    if (retryable_rc)
        return rc;
    return rc > have ? rc : have;
}

/* Runs items first .. first+count-1 of the step, one `duckflow step` each. */
static int run_group(char **args, int n, int item_at, size_t first, size_t count)
{
    char **copy = xcalloc((size_t)n + 1, sizeof(*copy));
    int status = 0;
    for (size_t k = first; k < first + count; k++) {
        char item[32];
        int rc;
        snprintf(item, sizeof(item), "%zu", k);
        /* getopt permutes its argv: each item gets a fresh copy of the arguments. */
        memcpy(copy, args, (size_t)n * sizeof(*copy));
        copy[item_at] = item;
        optind = 0; /* getopt starts afresh for cmd_step */
        rc = cmd_step(n, copy);
        if (rc != 0)
            fprintf(stderr, "duckflow argo step: item %zu of the pod's %zu failed (exit %d)\n",
                    k - first + 1, count, rc);
        status = group_status(status, rc);
    }
    free(copy);
    return status;
}

/* --metrics-dir: the pod's rows, bytes and peak RSS for the template's gauges. A failure
 * to write them is reported and does not change the pod's status. */
static void write_metrics(const struct pod_args *pa, const struct df_pipeline *p, const char *step,
                          size_t first, size_t count)
{
    struct df_error err = DF_ERROR_INIT;
    struct df_store *store = NULL;

    if (!pa->metrics_dir)
        return;
    if (df_store_open(cli_store_uri(pa->store_uri), &store, &err) ||
        df_argo_write_metrics(store, p->name, pa->run, step, first, count, pa->metrics_dir, &err))
        fprintf(stderr, "duckflow argo step: warning: metrics not written: %s\n", err.msg);
    df_store_free(store);
}

int cmd_argo_step(int argc, char **argv)
{
    const char *cmd = "argo step", *bundle = NULL, *store_uri = NULL, *name = NULL;
    struct df_error err = DF_ERROR_INIT;
    struct df_store *store = NULL;
    struct df_pipeline *p = NULL;
    struct pod_args pa = {-1, -1, NULL, 0, NULL, NULL};
    char **args = xcalloc((size_t)argc + 2, sizeof(*args));
    char *dir = NULL, *path = NULL;
    int n = 0, rc, si = -1;

    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        free(args);
        printf("usage: duckflow argo step PIPELINE-NAME --bundle HASH [--tasks-per-pod N]\n"
               "                          [--metrics-dir DIR] [duckflow step's options]\n\n"
               "A task's pod in a manifest `duckflow argo` printed: reads the pipeline's\n"
               "bundle from the store and runs `duckflow step` on it (see\n"
               "'duckflow step --help'). With --tasks-per-pod N, --item G runs items\n"
               "G*N .. G*N+N-1 one after another, each its own task.\n");
        return 0;
    }
    /* `step` and every option but --bundle and --tasks-per-pod pass through; the first
     * operand is the name. */
    args[n++] = "step";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--bundle") && i + 1 < argc) {
            bundle = argv[++i];
            continue;
        }
        if (!strncmp(argv[i], "--bundle=", 9)) {
            bundle = argv[i] + 9;
            continue;
        }
        if (!strcmp(argv[i], "--tasks-per-pod") && i + 1 < argc) {
            char *end;
            pa.per_pod = strtol(argv[++i], &end, 10);
            if (*end || end == argv[i] || pa.per_pod < 1 || pa.per_pod > 100000) {
                free(args);
                return cli_usage_error(cmd,
                                       "--tasks-per-pod '%s' is not a number from 1 to "
                                       "100000",
                                       argv[i]);
            }
            continue;
        }
        if (!strcmp(argv[i], "--metrics-dir") && i + 1 < argc) {
            pa.metrics_dir = argv[++i];
            continue;
        }
        if (!strcmp(argv[i], "--store") && i + 1 < argc)
            store_uri = argv[i + 1];
        else if (!strncmp(argv[i], "--store=", 8))
            store_uri = argv[i] + 8;
        if (!strcmp(argv[i], "--step") && i + 1 < argc)
            pa.step_at = n + 1;
        if (!strcmp(argv[i], "--item") && i + 1 < argc)
            pa.item_at = n + 1;
        if (!strcmp(argv[i], "--run") && i + 1 < argc)
            pa.run = argv[i + 1];
        if (i == 1 && argv[i][0] != '-') {
            name = argv[i];
            args[n++] = NULL; /* the pipeline's path, once fetched */
            continue;
        }
        args[n++] = argv[i];
    }
    pa.store_uri = store_uri;
    if (!bundle || !name) {
        free(args);
        return cli_usage_error(cmd, "expected PIPELINE-NAME --bundle HASH and step's options");
    }
    if ((pa.per_pod > 1 || pa.metrics_dir) && (pa.item_at < 0 || pa.step_at < 0 || !pa.run)) {
        free(args);
        return cli_usage_error(cmd, "--tasks-per-pod and --metrics-dir need --run, --step "
                                    "and --item");
    }
    /* The metrics are written after the task: cmd_step returns instead of exiting. */
    if (pa.metrics_dir)
        cmd_step_fast_exit = 0;
    if (df_store_open(cli_store_uri(store_uri), &store, &err)) {
        rc = cli_fail(&err);
        goto done;
    }
    if (argo_bundle_fetch(store, name, bundle, &dir, &path, &err)) {
        rc = cli_fail(&err);
        goto done;
    }
    for (int i = 0; i < n; i++)
        if (!args[i])
            args[i] = path;
    if (pa.step_at > 0 && pa.step_at < n) {
        if ((rc = load_pipeline(cmd, args, n, path, &p)) != 0)
            goto done;
        si = df_pipeline_step_index(p, args[pa.step_at]);
        if (si < 0 && (si = df_argo_task_step(p, args[pa.step_at])) >= 0)
            args[pa.step_at] = p->steps[si].name;
    }
    /* A group of items: --tasks-per-pod N, or the automatic batching of a fan-out whose
     * step sets none (argo.h), which is one item per pod up to DF_ARGO_AUTO_PODS items. */
    if (si >= 0 && pa.item_at > 0 && pa.run &&
        (pa.per_pod > 1 || (pa.per_pod == 0 && df_argo_auto_batched(p, (size_t)si)))) {
        json_t *items = NULL;
        char *end;
        unsigned long long g = strtoull(args[pa.item_at], &end, 10);
        size_t total, first, count;
        if (*end || end == args[pa.item_at]) {
            if (pa.per_pod == 0)
                goto single; /* an item named by label */
            rc = cli_usage_error(cmd, "--item '%s' is not a group number", args[pa.item_at]);
            goto done;
        }
        if (df_step_items(p, (size_t)si, store, pa.run, &items, &err)) {
            rc = cli_fail(&err);
            goto done;
        }
        total = json_array_size(items);
        json_decref(items);
        if (pa.per_pod == 0 && df_argo_auto_groups(total) == total)
            goto single; /* one item per pod: item g is the pod's */
        if (pa.per_pod == 0) {
            df_argo_auto_group(total, (size_t)g, &first, &count);
        } else {
            first = (size_t)g * (size_t)pa.per_pod;
            count = first >= total                       ? 0
                    : total - first < (size_t)pa.per_pod ? total - first
                                                         : (size_t)pa.per_pod;
        }
        df_store_free(store);
        store = NULL;
        cmd_step_fast_exit = 0; /* more tasks follow in this process */
        rc = run_group(args, n, pa.item_at, first, count);
        write_metrics(&pa, p, p->steps[si].name, first, count);
        goto done;
    }
single:
    df_store_free(store);
    store = NULL;
    /* A pod's log is its stdout: the task log goes there too (cli/tasklog.c), whatever
     * env Argo's executor sets. DUCKFLOW_LOG_STDOUT=0 in the pod turns it off. */
    setenv("DUCKFLOW_LOG_STDOUT", "1", 0);
    {
        /* Read before cmd_step: its getopt permutes args. */
        char *end;
        const char *item_arg = pa.item_at > 0 ? args[pa.item_at] : "";
        unsigned long long item = strtoull(item_arg, &end, 10);
        /* An item given by label has no index here: its counts stay 0. */
        size_t count = *end || end == item_arg ? 0 : 1;
        optind = 0; /* getopt starts afresh for cmd_step */
        rc = cmd_step(n, args);
        if (pa.metrics_dir && p && si >= 0)
            write_metrics(&pa, p, p->steps[si].name, (size_t)item, count);
    }
done:
    df_store_free(store);
    if (dir) {
        struct df_error e2 = DF_ERROR_INIT;
        fs_remove_tree(dir, &e2);
    }
    df_pipeline_free(p);
    free(dir);
    free(path);
    free(args);
    return rc;
}
