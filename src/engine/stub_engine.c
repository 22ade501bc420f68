/*
 * stub_engine.c - placeholders for duck.h and task.h until the engine lands (deleted by then).
 */
#include "engine/duck.h"
#include "engine/task.h"

int df_duck_open(struct df_duck *d, const struct df_duck_config *cfg, struct df_error *err)
{
    (void)d, (void)cfg;
    return df_error_set(err, DF_EFAIL, "engine not built yet");
}
void df_duck_close(struct df_duck *d)
{
    (void)d;
}
int df_duck_exec(struct df_duck *d, const char *sql, struct df_error *err)
{
    (void)d, (void)sql;
    return df_error_set(err, DF_EFAIL, "engine not built yet");
}
int df_duck_set_variable(struct df_duck *d, const char *name, struct json_t *v,
                         struct df_error *err)
{
    (void)d, (void)name, (void)v;
    return df_error_set(err, DF_EFAIL, "engine not built yet");
}
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
