/*
 * stub_spec.c - placeholders for spec.h until the parser lands (deleted by then).
 */
#include "spec/spec.h"

int df_pipeline_load(const char *path, const struct df_param_override *o, size_t n,
                     struct df_pipeline **out, struct df_error *err)
{
    (void)o, (void)n, (void)out;
    return df_error_set(err, DF_EUSAGE, "%s: pipeline parser not built yet", path);
}
void df_pipeline_free(struct df_pipeline *p)
{
    (void)p;
}
const struct df_step *df_pipeline_step(const struct df_pipeline *p, const char *name)
{
    (void)p, (void)name;
    return NULL;
}
int df_pipeline_step_index(const struct df_pipeline *p, const char *name)
{
    (void)p, (void)name;
    return -1;
}
const struct df_output *df_step_output(const struct df_step *s, const char *name)
{
    (void)s, (void)name;
    return NULL;
}
