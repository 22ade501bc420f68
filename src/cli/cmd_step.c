/*
 * cmd_step.c - `duckflow step PIPELINE --run RUN --step S [--item I] ...`: runs one task in
 * this process (what `duckflow run` starts for every task, and what every Argo pod runs).
 * Prints nothing on stdout; a failure is one line on stderr, and the exit status tells its
 * class (df_exit_class_status) so the caller can decide on a retry without reading the store.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "engine/items.h"
#include "engine/task.h"
#include "spec/spec.h"
#include "dag/label.h"
#include "dag/plan.h"
#include "store/layout.h"
#include "store/s3.h"
#include "store/store.h"
#include "util/strbuf.h"

enum { OPT_STEP = 256, OPT_SCRATCH, OPT_NO_CACHE };

const struct cli_opt cli_opts_step[] = {
    {'r', "run", "RUN", "the run id (required)"},
    {OPT_STEP, "step", "STEP", "the step (required)"},
    {'i', "item", "ITEM", "the task's item: its index, or its label as progress shows it"},
    {'a', "attempt", "N", "the attempt number, from 1 (default 1)"},
    {CLI_OPT_STORE},
    {CLI_OPT_PARAM},
    {OPT_SCRATCH, "scratch", "DIR", "folder for spill files and staging (default $TMPDIR)"},
    {'t', "threads", "N", "DuckDB threads, replacing the step's"},
    {OPT_NO_CACHE, "no-cache", NULL, "run even when the cache has the task's key"},
    {CLI_OPT_HELP},
    {0, NULL, NULL, NULL},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: duckflow step PIPELINE --run RUN --step STEP [--item ITEM] [--attempt N]\n"
               "                     [--store URI] [--param KEY=VALUE]... [--scratch DIR]\n"
               "                     [--threads N]\n\n"
               "Runs one task of a step in this process: its inputs are the files that upstream\n"
               "manifests list, its outputs go to a fresh attempt folder, and its manifest is\n"
               "written last. Prints nothing on success.\n\n"
               "options:\n");
    cli_print_options(f, cli_opts_step);
    fprintf(f, "\nexit status: 0 committed, 1 SQL error or failed check, 2 bad usage or pipeline,\n"
               "3 store error, 13 DuckDB out of memory, 15 spill space exhausted, 19 stopped\n"
               "by SIGINT or SIGTERM, 10+N for the other failure classes.\n");
}

/* SIGINT and SIGTERM are blocked in every thread (DuckDB's and the store's inherit the
 * mask) and taken here with sigwait, so the task can interrupt DuckDB, write its
 * _error.json and remove its scratch folder instead of dying mid-write. A second signal
 * while it winds down finds the signal blocked and waits; SIGKILL still ends it. */
static sigset_t sigs; /* SIGINT and SIGTERM, blocked from before the store opens */

int cmd_step_fast_exit = 1;

static void *watch_signals(void *arg)
{
    sigset_t *set = arg;
    int sig = 0;

    if (sigwait(set, &sig) != 0)
        return NULL;
    /* DuckDB forgets an interrupt that lands between two queries (the next one starts
     * afresh), so keep interrupting until df_task_run() returns and cancels this thread
     * (usleep is a cancellation point). */
    for (;;) {
        df_task_interrupt();
        usleep(100000);
    }
    return NULL;
}

/* A non-negative integer argument, or -1. */
static long parse_count(const char *s)
{
    char *end;
    long v;
    if (!s || !*s)
        return -1;
    v = strtol(s, &end, 10);
    if (*end || v < 0)
        return -1;
    return v;
}

/* --item LABEL: the item whose label (dag/label.h) it is. */
static int resolve_label(const struct df_pipeline *p, size_t si, struct df_store *store,
                         const char *run, const char *label, struct df_task_opts *o)
{
    struct df_error err = DF_ERROR_INIT;
    json_t *items = NULL;
    long idx;

    if (df_step_items(p, si, store, run, &items, &err) != 0)
        return cli_fail(&err);
    idx = df_item_find(items, label);
    if (idx < 0) {
        size_t n = 0;
        char **labels = df_item_labels(items, &n);
        struct strbuf known = STRBUF_INIT;
        for (size_t i = 0; i < n && i < 10; i++)
            sb_addf(&known, "%s%s", i ? ", " : "", labels[i]);
        if (n > 10)
            sb_addf(&known, ", ... (%zu in all)", n);
        cli_usage_error("step", "step '%s' has no item '%s' (its items: %s)", p->steps[si].name,
                        label, n ? known.buf : "none");
        sb_release(&known);
        df_item_labels_free(labels, n);
        json_decref(items);
        return 2;
    }
    o->item_index = (size_t)idx;
    json_decref(items);
    return 0;
}

/* df_task_opts.on_attempt: the task log streams to the attempt folder (tasklog.c). */
static void attach_log(const char *attempt_key, void *store)
{
    tasklog_attach(store, attempt_key);
}

int cmd_step(int argc, char **argv)
{
    struct df_error err = DF_ERROR_INIT;
    struct df_param_override *ov = NULL;
    struct df_pipeline *p = NULL;
    struct df_store *store = NULL;
    struct df_task_opts o;
    struct df_task_result res = {0};
    struct df_run_items run_items;
    const char *run = NULL, *step = NULL, *store_opt = NULL, *item_label = NULL;
    size_t n_ov = 0;
    long v;
    int c, rc = 0, si = -1;

    memset(&o, 0, sizeof(o));
#if !defined(__SANITIZE_ADDRESS__)
    o.leave_open = cmd_step_fast_exit; /* sanitizer builds close everything, so leaks are
                                        * still checked */
#endif
    o.attempt = 1;
    while ((c = cli_getopt("step", argc, argv, cli_opts_step, 0)) != -1) {
        switch (c) {
        case 'r':
            run = optarg;
            break;
        case OPT_STEP:
            step = optarg;
            break;
        case 'i':
            /* A number is an index; anything else a label, resolved once items are known. */
            if ((v = parse_count(optarg)) < 0)
                item_label = optarg;
            else
                o.item_index = (size_t)v;
            break;
        case 'a':
            if ((v = parse_count(optarg)) < 1 || v > 1000000) {
                rc = cli_usage_error("step", "--attempt wants a number from 1, not '%s'", optarg);
                goto done;
            }
            o.attempt = (int)v;
            break;
        case 's':
            store_opt = optarg;
            break;
        case 'p':
            if ((rc = cli_add_param("step", optarg, &ov, &n_ov)) != 0)
                goto done;
            break;
        case OPT_SCRATCH:
            o.scratch = optarg;
            break;
        case OPT_NO_CACHE:
            o.no_cache = 1;
            break;
        case 't':
            if ((v = parse_count(optarg)) < 1 || v > 4096) {
                rc = cli_usage_error("step", "--threads wants a number from 1, not '%s'", optarg);
                goto done;
            }
            o.threads_override = (int)v;
            break;
        case 'h':
            usage(stdout);
            goto done;
        default:
            rc = 2;
            goto done;
        }
    }
    if ((rc = cli_load_step("step", argc, argv, optind, run, step, ov, n_ov, &p, &si)) != 0)
        goto done;
    /* Blocked before the store opens (its first S3 calls: credentials, a region lookup),
     * so a SIGTERM from then on ends the task as interrupted, not as a crash. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    if (df_store_open(cli_store_uri(store_opt), &store, &err) < 0) {
        rc = cli_fail(&err);
        goto done;
    }
    if ((rc = cli_refuse_removed_run(store, p->name, run)) != 0)
        goto done;
    o.run_id = run;
    o.step = (size_t)si;
    df_run_items_init(&run_items, store, run);
    o.items = &run_items.resolver;
    if (item_label && (rc = resolve_label(p, (size_t)si, store, run, item_label, &o)) != 0)
        goto done;
    {
        pthread_t watcher;
        int watching = pthread_create(&watcher, NULL, watch_signals, &sigs) == 0;
        sigset_t pending;
        /* A signal that came while the store opened: interrupted before the task starts,
         * whichever thread gets to run first. */
        if (sigpending(&pending) == 0 &&
            (sigismember(&pending, SIGINT) == 1 || sigismember(&pending, SIGTERM) == 1))
            df_task_interrupt();
        tasklog_start();
        o.on_attempt = attach_log;
        o.on_attempt_ud = store;
        c = df_task_run(p, store, &o, &res, &err);
        if (watching) {
            pthread_cancel(watcher); /* sigwait is a cancellation point */
            pthread_join(watcher, NULL);
        }
    }
    if (c != 0) {
        fprintf(stderr, "duckflow: %s\n", err.msg[0] ? err.msg : "the task failed");
        cli_debug_origin(&err);
    }
    tasklog_finish(store, p->name, run, step, o.item_index, res.attempt_dir);
    if (c == 0 && o.leave_open) {
        /* Committed: exit without tearing DuckDB down (see leave_open). */
        fflush(NULL);
        _exit(0);
    }
    if (c != 0) {
        rc = df_exit_class_status(res.cls);
        if (rc == 0)
            rc = 1;
    }
done:
    df_store_free(store);
    df_pipeline_free(p);
    df_param_overrides_free(ov, n_ov);
    return rc;
}
