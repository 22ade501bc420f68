/*
 * executor.h - `duckflow run`: the whole DAG on this machine, every task a child process
 * running this same binary as `duckflow step` (one code path for a task, whoever starts it).
 *
 * df_run():
 *   1. creates the run (or resumes one: committed tasks are kept) and writes run.json;
 *   2. plans static fan-out at once and dynamic fan-out as soon as its sources exist;
 *   3. starts tasks whose dependencies committed, at most `jobs` at a time and while the
 *      sum of running tasks' memory limits fits memory_budget;
 *   4. retries failed tasks by class, kills tasks past their timeout, fails the
 *      dependents of a failed task while independent work finishes;
 *   5. on SIGINT/SIGTERM stops and reaps every child; nothing half-committed remains;
 *   6. keeps run.json current and prints progress (stderr, on a terminal) and a summary.
 */
#ifndef DF_EXECUTOR_H
#define DF_EXECUTOR_H

#include <stdint.h>
#include <stdio.h>

#include "spec/spec.h"
#include "store/store.h"
#include "util/error.h"

struct df_run_opts {
    const char *self_exe;    /* path of the duckflow binary to run tasks with */
    const char *store_uri;   /* passed to children as --store */
    const char **param_args; /* the "k=v" strings given to run, passed on to every task */
    size_t n_param_args;
    int jobs;               /* parallel tasks; 0 = number of cores */
    uint64_t memory_budget; /* bytes; 0 = most of the machine's memory */
    const char *resume_run; /* run id to resume, or NULL for a new run */
    int progress;           /* 1: live progress line on stderr */
    FILE *summary;          /* where the summary table goes (stderr), or NULL */
};

/* Runs the pipeline; writes the run id into run_id. Returns 0 when every task succeeded,
 * -1 with err->code DF_EFAIL when a task or check failed, DF_EIO for the store,
 * and DF_EFAIL with "interrupted" when stopped by a signal. */
int df_run(const struct df_pipeline *p, struct df_store *store, const struct df_run_opts *o,
           char run_id[64], struct df_error *err);

#endif
