/*
 * stub_engine.c - placeholders for task.h and items.h until the engine lands (deleted by then).
 */
#include "engine/task.h"

int df_task_run(const struct df_pipeline *p, struct df_store *store, const struct df_task_opts *o,
                struct df_task_result *res, struct df_error *err)
{
    (void)p, (void)store, (void)o, (void)res;
    return df_error_set(err, DF_EFAIL, "engine not built yet");
}

#include "engine/items.h"

int df_dynamic_items(const struct df_pipeline *p, size_t step, struct df_store *store,
                     const char *run_id, json_t **items, struct df_error *err)
{
    (void)p, (void)step, (void)store, (void)run_id, (void)items;
    return df_error_set(err, DF_EFAIL, "dynamic fan-out not built yet");
}
