/*
 * findtask.h - which task of a run `STEP[LABEL]` names, for commands that take a task
 * as a person saw it in progress, the summary or the report (`duckflow logs R gen[eu]`).
 * The run record's tasks carry their labels ("gen[eu]"); a run without one (made task by
 * task with `duckflow step`) is matched on the items its manifests and _error.json files
 * record (dag/label.h's label of each).
 */
#ifndef DF_QUERY_FINDTASK_H
#define DF_QUERY_FINDTASK_H

#include <jansson.h>

#include "store/store.h"
#include "util/error.h"

/* The item index of step[label] in the run (rec: its run.json, or NULL). -1 with err
 * (DF_EUSAGE) naming the labels the step has when none matches or several do. */
long df_run_find_item(struct df_store *s, const char *pipeline, const char *run, json_t *rec,
                      const char *step, const char *label, struct df_error *err);

#endif
