/*
 * task_internal.h - pieces of task.c that items.c and the unit tests share; not part of
 * the engine's public interface.
 */
#ifndef DF_TASK_INTERNAL_H
#define DF_TASK_INTERNAL_H

#include <jansson.h>

#include "spec/spec.h"

/* Hive partition values of a path relative to a table folder ("k=v/x=%2F/part.parquet" ->
 * {"k": "v", "x": "/"}, percent-decoded), or NULL when no folder holds '='. Works on whole
 * store keys too (every "k=v" folder counts). Caller json_decref()s. */
json_t *df_task_path_partition(const char *rel);

/* The step's definition as JSON (inputs, outputs, checks, foreach kind; not resources), as
 * hashed into the cache key. Caller json_decref()s. */
json_t *df_task_step_definition(const struct df_step *s);

/* Expands an s3:// or gs:// URI (a key, or a glob over keys: * ? [..], not across '/')
 * into full URIs appended to out, in key order. Errors: DF_EIO from the store. */
int df_task_object_glob(const char *uri, json_t *out, struct df_error *err);

/*
 * Runs sql in a DuckDB set up like step's task (params as variables, item null, one view
 * per input over every committed upstream task) and returns the rows as JSON objects
 * (df_duck_query_json). For `foreach rows`. Errors: DF_EFAIL (SQL, upstream not
 * committed), DF_EIO (store).
 */
struct df_store;
int df_task_query_inputs(const struct df_pipeline *p, size_t step, struct df_store *store,
                         const char *run_id, const char *sql, json_t **rows, struct df_error *err);

#endif
