/*
 * layout.c - store keys of runs, steps, tasks, attempts and manifests (see layout.h). The
 * name validators that keep every key component a safe folder name are in util/names.c.
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

char *df_key_run_manifests(const char *pipeline, const char *run)
{
    return xasprintf("%s/runs/%s/%s", pipeline, run, DF_RUN_MANIFESTS);
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

int df_key_split_run(const char *key, size_t *pipeline_len, const char **run, size_t *run_len,
                     const char **rest)
{
    const char *slash = strchr(key, '/'), *r, *end;

    if (!slash || slash == key || strncmp(slash, "/runs/", 6) != 0)
        return 0;
    r = slash + 6;
    end = strchr(r, '/');
    if (!end || end == r)
        return 0;
    *pipeline_len = (size_t)(slash - key);
    *run = r;
    *run_len = (size_t)(end - r);
    *rest = end + 1;
    return 1;
}
