/*
 * stub_exec.c - placeholder for executor.h until the executor lands (deleted by then).
 */
#include "exec/executor.h"

int df_run(const struct df_pipeline *p, struct df_store *store, const struct df_run_opts *o,
           char run_id[64], struct df_error *err)
{
    (void)p, (void)store, (void)o, (void)run_id;
    return df_error_set(err, DF_EFAIL, "executor not built yet");
}
