/*
 * committed.c - a task its run has committed already (see committed.h).
 */
#include "engine/committed.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dag/plan.h"
#include "store/manifest.h"
#include "store/publish.h"
#include "util/banned.h"

int df_task_committed(const struct df_pipeline *p, struct df_store *store, const char *run,
                      size_t step, size_t item_index, const char *key, int no_cache,
                      struct df_error *err)
{
    struct df_error e = DF_ERROR_INIT;
    const char *name = p->steps[step].name, *own_key;
    char item_key[DF_ITEM_KEY_MAX];
    json_t *m = NULL;
    char *published = NULL;
    int rc = 0;

    if (no_cache)
        return 0; /* asked to run it (the executor's tasks: it has looked already) */
    df_item_key(item_index, item_key);
    if (df_manifest_read(store, p->name, run, name, item_key, &m, &e) != 0) {
        df_error_clear(&e); /* not committed (or the store will say so when the task runs) */
        return 0;
    }
    own_key = json_string_value(json_object_get(m, "cache_key"));
    if (key && own_key && !strcmp(own_key, key)) {
        fprintf(stderr,
                "duckflow: run '%s' has committed this task already, with the same key: "
                "nothing to do\n",
                run);
        rc = 1;
    } else if (key && own_key && df_published_read(store, p->name, &published, &e) == 0 &&
               published && !strcmp(published, run)) {
        rc = df_error_set(err, DF_EUSAGE,
                          "run '%s' is the published run of '%s' and has committed this task, "
                          "which would run again (its cache key changed); start a new run "
                          "instead",
                          run, p->name);
    }
    df_error_clear(&e);
    free(published);
    json_decref(m);
    return rc;
}
