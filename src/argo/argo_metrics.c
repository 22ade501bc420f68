/*
 * argo_metrics.c - the pod's side of per-task Prometheus metrics (`duckflow argo step
 * --metrics-dir DIR`): after its tasks ran, the pod writes the rows and bytes their
 * committed manifests record and its peak resident memory into three small files, which
 * the template reads back as output parameters for its gauges (argo_hooks.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "argo/argo.h"
#include "dag/plan.h"
#include "store/manifest.h"
#include "util/fs.h"

#include "util/banned.h"

static int put(const char *dir, const char *name, long long v, struct df_error *err)
{
    char *path = fs_join(dir, name), text[32];
    int n = snprintf(text, sizeof(text), "%lld", v), rc;
    rc = fs_write_atomic(path, text, (size_t)n, err);
    free(path);
    return rc;
}

int df_argo_write_metrics(struct df_store *store, const char *pipeline, const char *run,
                          const char *step, size_t first, size_t count, const char *dir,
                          struct df_error *err)
{
    long long rows = 0, bytes = 0, rss = 0;
    struct rusage ru;

    for (size_t k = first; k < first + count; k++) {
        char key[DF_ITEM_KEY_MAX];
        struct df_error e = DF_ERROR_INIT;
        json_t *m = NULL, *t;
        const char *name;
        df_item_key(k, key);
        /* A task that did not commit has nothing to count (the gauges of a failed pod
         * are not emitted). */
        if (df_manifest_read(store, pipeline, run, step, key, &m, &e))
            continue;
        json_object_foreach(json_object_get(m, "tables"), name, t)
        {
            rows += json_integer_value(json_object_get(t, "rows"));
            bytes += json_integer_value(json_object_get(t, "bytes"));
        }
        if (json_integer_value(json_object_get(m, "peak_rss_bytes")) > rss)
            rss = json_integer_value(json_object_get(m, "peak_rss_bytes"));
        json_decref(m);
    }
    /* The process's own peak (Linux reports KiB): it ran every task of the pod. */
    if (getrusage(RUSAGE_SELF, &ru) == 0 && (long long)ru.ru_maxrss * 1024 > rss)
        rss = (long long)ru.ru_maxrss * 1024;
    if (fs_mkdirs(dir, err) || put(dir, "rows", rows, err) || put(dir, "bytes", bytes, err) ||
        put(dir, "rss", rss, err))
        return -1;
    return 0;
}
