/*
 * task.h - one task in this process: what `duckflow step` runs, locally as a child of
 * `duckflow run` and on Argo as a pod.
 *
 * df_task_run():
 *   1. resolves the item (plan.h, with opts->items for dynamic steps) and picks a fresh
 *      attempt folder;
 *   2. opens DuckDB with the step's memory_limit and threads (derived from the cgroup
 *      when unset) and a spill folder in the task's scratch folder;
 *   3. sets params and item as DuckDB variables;
 *   4. creates one view per input over exactly the files the upstream manifests list
 *      (staged into scratch when the store is not local);
 *   5. runs the SQL statement by statement, then the checks;
 *   6. writes each output with COPY ... TO zstd Parquet under the attempt folder;
 *   7. commits the manifest LAST.
 * On failure it writes <attempt>/_error.json (class and message) and commits nothing.
 */
#ifndef DF_TASK_H
#define DF_TASK_H

#include <stddef.h>

#include "dag/plan.h"
#include "spec/spec.h"
#include "store/store.h"
#include "util/error.h"
#include "util/exitclass.h"

struct df_task_opts {
    const char *run_id;
    size_t step;          /* index into pipeline->steps */
    size_t item_index;    /* 0 for steps without foreach */
    int attempt;          /* 1-based attempt number, as given by the executor or Argo */
    const char *scratch;  /* folder for spill and staging; NULL = a fresh one under $TMPDIR */
    int threads_override; /* > 0 replaces the step's threads (a retry after a kill) */
    const struct df_items_resolver *items; /* finds dynamic steps' items: the engine's
                                            * (engine/items.h, df_run_items_init); NULL:
                                            * static steps only */
    int leave_open; /* 1: the caller exits right after a committed task, so DuckDB is
                     * not closed: the kernel reclaims its memory at once, where closing
                     * frees every buffer one by one (tens of ms for a big task) */
    int no_cache;   /* 1: do not look the task's key up in the cache (the executor did, or
                     * --no-cache); its cache entry is still written */
    /* Called once the attempt folder is chosen (its key, no trailing '/'), before anything
     * runs: the task log streams there (cli/tasklog.c). NULL: not called. */
    void (*on_attempt)(const char *attempt_key, void *ud);
    void *on_attempt_ud;
};

struct df_task_result {
    enum df_exit_class cls;
    char attempt_dir[32];
};

/* Runs the task. Returns 0 when committed; -1 with err (code: DF_EFAIL for SQL and check
 * failures, DF_EIO for the store) and res->cls saying why. */
int df_task_run(const struct df_pipeline *p, struct df_store *store, const struct df_task_opts *o,
                struct df_task_result *res, struct df_error *err);

/*
 * Asks the df_task_run() running in this process to stop: a running DuckDB query is
 * interrupted and the task fails at its next step with class DF_CLASS_INTERRUPTED (no
 * manifest; scratch removed). Safe to call from another thread (e.g. one that waits for
 * SIGTERM with sigwait); not async-signal-safe. Stays in force for the process's life.
 */
void df_task_interrupt(void);

#endif
