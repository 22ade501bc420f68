/*
 * stub_plan.c - placeholders for plan.h until planning lands (deleted by then).
 */
#include <stdio.h>

#include "dag/plan.h"

void df_item_key(size_t index, char key[DF_ITEM_KEY_MAX])
{
    snprintf(key, DF_ITEM_KEY_MAX, "%05zu", index);
}
int df_plan_is_static(const struct df_pipeline *p, size_t step)
{
    (void)p, (void)step;
    return 1;
}
int df_plan_items(const struct df_pipeline *p, size_t step, struct df_store *store,
                  const char *run_id, json_t **items, struct df_error *err)
{
    (void)p, (void)step, (void)store, (void)run_id, (void)items;
    return df_error_set(err, DF_EUSAGE, "planning not built yet");
}
