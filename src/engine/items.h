/*
 * items.h - items of dynamic fan-out (`files` and `rows`), computed from committed sources
 * in the store. plan.c calls this for those kinds; it lives in the engine because `rows`
 * runs a query over the step's inputs in DuckDB.
 */
#ifndef DF_ITEMS_H
#define DF_ITEMS_H

#include <jansson.h>

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

#endif
