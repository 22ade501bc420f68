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

#endif
