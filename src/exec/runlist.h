/*
 * runlist.h - runs that have no run.json: tasks run one by one with `duckflow step` (by
 * hand, or by an Argo workflow before its finish step). `duckflow runs` lists them beside
 * the executor's runs, with what their store keys tell: tasks committed (a manifest) and
 * tasks whose last attempt failed (an _error.json and no manifest).
 */
#ifndef DF_EXEC_RUNLIST_H
#define DF_EXEC_RUNLIST_H

#include <jansson.h>

#include "store/store.h"
#include "util/error.h"

/* Appends to runs (a JSON array of run records, as runrec_list gives) one object per run
 * under the store (of one pipeline, or all when pipeline is NULL) that has no run.json:
 * {"pipeline", "run", "status": "steps", "tasks_done", "tasks_failed", "tasks_total"}.
 * Ordered by pipeline and run id, after the existing entries. */
int runlist_add_step_runs(struct df_store *s, const char *pipeline, json_t *runs,
                          struct df_error *err);

/* Counts of a run record's tasks by what happened to them: done, failed (ran and
 * failed for good), not run (a dependency failed, or never started), interrupted. */
struct run_counts {
    long long total, done, failed, not_run, interrupted, running;
};
void runlist_counts(json_t *rec, struct run_counts *c);

#endif
