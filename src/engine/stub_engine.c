/*
 * stub_engine.c - placeholder for items.h until the engine lands (deleted by then).
 */
#include "engine/items.h"

int df_dynamic_items(const struct df_pipeline *p, size_t step, struct df_store *store,
                     const char *run_id, json_t **items, struct df_error *err)
{
    (void)p, (void)step, (void)store, (void)run_id, (void)items;
    return df_error_set(err, DF_EFAIL, "dynamic fan-out not built yet");
}
