/*
 * items.h - items of dynamic fan-out (`files` and `rows`), computed from committed sources
 * in the store, and df_step_items(): any step's items in a run, the engine supplying the
 * dynamic ones to the plan (dag/plan.h) through its resolver. They live in the engine
 * because `rows` runs a query over the step's inputs in DuckDB.
 */
#ifndef DF_ITEMS_H
#define DF_ITEMS_H

#include <jansson.h>

#include "dag/plan.h"
#include "spec/spec.h"
#include "store/store.h"

/*
 * The items of a `files` or `rows` step as a JSON array (caller json_decref()s):
 *   files: each item is {"files": [<store key or external path>, ...]} (K per group, in
 *          name order), plus "partition": {...} with the Hive partition values every file of
 *          the group shares (omitted when none);
 *   rows:  each item is the row's value (a struct -> JSON object when several columns).
 * Fails with DF_EFAIL when a source step has not committed, DF_EIO for the store.
 */
int df_dynamic_items(const struct df_pipeline *p, size_t step, struct df_store *store,
                     const char *run_id, json_t **items, struct df_error *err);

/* The engine's resolver of one run (pass &resolver to df_plan_items() or as
 * df_task_opts.items): a dynamic step's items are read from <run>/<step>/_items.json when it
 * exists, else computed (df_dynamic_items) and written there. */
struct df_run_items {
    struct df_items_resolver resolver;
    struct df_store *store;
    const char *run_id;
};
void df_run_items_init(struct df_run_items *ri, struct df_store *store, const char *run_id);

/*
 * The step's items in run run_id (caller json_decref()s): df_plan_items() with the
 * engine's resolver. A dynamic step's items are read from <run>/<step>/_items.json when it
 * exists, else computed (df_dynamic_items) and written there. Errors: DF_EIO for the
 * store, DF_EFAIL when a source step has no committed output yet, DF_EUSAGE without a
 * store or run id for a dynamic step.
 */
int df_step_items(const struct df_pipeline *p, size_t step, struct df_store *store,
                  const char *run_id, json_t **items, struct df_error *err);

/* A dynamic step's list as the run stored it, or (none stored) as planning would compute it
 * now (df_dynamic_items), without writing it: for looking before a run changes anything.
 * Errors as df_step_items (DF_EIO also for a stored list that is not a JSON list). */
int df_items_stored_or_computed(const struct df_pipeline *p, size_t step, struct df_store *store,
                                const char *run_id, json_t **items, struct df_error *err);

/*
 * Before resuming run_id: every dynamic step's stored list (<run>/<step>/_items.json) that
 * exists must be a JSON list, so a damaged one refuses the resume (DF_EIO, naming the key
 * and what is wrong) before anything is recorded, instead of failing the step's planning
 * and rewriting the run's record from a partial graph. One read per dynamic step.
 */
int df_items_check_stored(const struct df_pipeline *p, struct df_store *store, const char *run_id,
                          struct df_error *err);

#endif
