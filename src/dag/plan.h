/*
 * plan.h - a step's items (the tasks it fans out to) and task identities.
 *
 * A task is (step, item index). Its item is a JSON value visible in SQL as
 * getvariable('item'), its index as getvariable('item_index'). A step without foreach has
 * one task, index 0, item null. The task's folder in the store is named by its item key,
 * the index zero-padded to five digits ("00003"), so folders sort in item order.
 *
 * Static kinds (none, range, values) are known from the pipeline alone; `each` has the
 * items of the mapped step; `files` and `rows` need their sources, so a resolver the
 * caller passes supplies them: the engine's (engine/items.h, df_step_items) computes the
 * list once per run and keeps it in the store as <run>/<step>/_items.json so that every
 * task (and Argo's withParam) sees the same list. The plan itself knows nothing of the
 * store, DuckDB or the engine.
 */
#ifndef DF_PLAN_H
#define DF_PLAN_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "spec/spec.h"
#include "util/error.h"

#define DF_ITEM_KEY_MAX 24

/* Writes the folder name of item index into key ("00003"). */
void df_item_key(size_t index, char key[DF_ITEM_KEY_MAX]);

/* 1 when the step's items are known without looking at the store (none, range, values,
 * and each over such a step), else 0. */
int df_plan_is_static(const struct df_pipeline *p, size_t step);

/* Supplies the items of a dynamic step (files, rows; an `each` chain already followed to
 * it) as a new JSON array. The engine implements it; see engine/items.h. */
struct df_items_resolver {
    int (*items)(void *ctx, const struct df_pipeline *p, size_t step, json_t **items,
                 struct df_error *err);
    void *ctx;
};

/*
 * The step's items as a JSON array (caller json_decref()s). Static steps are computed
 * here; dynamic ones come from r (NULL: DF_EUSAGE, "items are known only in a run").
 * Errors of r pass through.
 */
int df_plan_items(const struct df_pipeline *p, size_t step, const struct df_items_resolver *r,
                  json_t **items, struct df_error *err);

/* The number of tasks of a static step (df_plan_is_static), else -1. */
int64_t df_plan_task_count(const struct df_pipeline *p, size_t step);

/* The step's fan-out in a few words for people: "one task", "range 8 (param chunks)",
 * "values (3)", "each generate", "files generate.orders, 2 per task", "rows of a query".
 * Returns a malloc'd string. */
char *df_plan_describe(const struct df_pipeline *p, size_t step);

/* For a dynamic step, what must exist before its items are known, e.g.
 * "generate.orders exists" or "'/data/in/x.csv' exists"; NULL for a static step.
 * Returns a malloc'd string. */
char *df_plan_known_when(const struct df_pipeline *p, size_t step);

#endif
