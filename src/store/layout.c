/*
 * layout.c - store keys of runs, steps, tasks, attempts and manifests (see layout.h), and
 * the name validators that keep every key component a safe folder name.
 */
#include "store/layout.h"

#include <string.h>

#include "util/strbuf.h"
#include "util/banned.h"

char *df_key_runs(const char *pipeline)
{
    return xasprintf("%s/runs/", pipeline);
}

char *df_key_run(const char *pipeline, const char *run)
{
    return xasprintf("%s/runs/%s", pipeline, run);
}

char *df_key_run_json(const char *pipeline, const char *run)
{
    return xasprintf("%s/runs/%s/run.json", pipeline, run);
}

char *df_key_step(const char *pipeline, const char *run, const char *step)
{
    return xasprintf("%s/runs/%s/%s", pipeline, run, step);
}

char *df_key_items(const char *pipeline, const char *run, const char *step)
{
    return xasprintf("%s/runs/%s/%s/_items.json", pipeline, run, step);
}

char *df_key_task(const char *pipeline, const char *run, const char *step, const char *item_key)
{
    return xasprintf("%s/runs/%s/%s/%s", pipeline, run, step, item_key);
}

char *df_key_manifest(const char *pipeline, const char *run, const char *step, const char *item_key)
{
    return xasprintf("%s/runs/%s/%s/%s/_manifest.json", pipeline, run, step, item_key);
}

char *df_key_attempt(const char *pipeline, const char *run, const char *step, const char *item_key,
                     const char *attempt)
{
    return xasprintf("%s/runs/%s/%s/%s/%s", pipeline, run, step, item_key, attempt);
}

int df_valid_pipeline_name(const char *name)
{
    if (!name || !*name)
        return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
            return 0;
    return 1;
}

static int ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

int df_valid_ident(const char *name)
{
    if (!name || !ident_start(*name))
        return 0;
    for (const char *p = name + 1; *p; p++)
        if (!ident_start(*p) && !(*p >= '0' && *p <= '9'))
            return 0;
    return 1;
}

int df_valid_run_id(const char *run)
{
    if (!run || !*run || !strcmp(run, ".") || !strcmp(run, ".."))
        return 0;
    for (const char *p = run; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-'))
            return 0;
    return 1;
}
