/*
 * failchecks.h - what `_run.checks` shows of tasks that did not commit. A task that
 * failed leaves no manifest, only <attempt>/_error.json, which records its item and the
 * result of every check that ran (engine/task.c). df_failed_task_errors() finds, in a
 * run, the _error.json of the last attempt of each task without a manifest.
 */
#ifndef DF_QUERY_FAILCHECKS_H
#define DF_QUERY_FAILCHECKS_H

#include <jansson.h>

#include "query/query.h"
#include "store/store.h"
#include "util/error.h"

/* *out: a JSON object, step name -> array of _error.json objects ({"item_index",
 * "item_key", "item", "checks", ...}) by item index; empty when the run's record says it
 * succeeded (every task committed), so a succeeded run costs no listing. Unreadable
 * records are left out. Errors: the store's (*out is still an object). */
int df_failed_task_errors(struct df_store *s, const struct df_run_info *r, json_t **out,
                          struct df_error *err);

#endif
