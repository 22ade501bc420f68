/*
 * failchecks.c - the _error.json of tasks that did not commit, for `_run.checks` (see
 * failchecks.h).
 */
#include "query/failchecks.h"

#include <stdlib.h>
#include <string.h>

#include "store/caps.h"
#include "store/layout.h"
#include "util/jsonarr.h"
#include "util/names.h"
#include "util/strbuf.h"
#include "util/banned.h"

/* The last attempt's _error.json of each task: "<step>/<item>/<n>-<tag>/_error.json"
 * under the run's prefix, the greatest n kept. */
struct last_errors {
    size_t prefix_len;
    json_t *by_task; /* "<step>/<item>" -> {"n": attempt number, "key": store key} */
};

static int pick_error(const char *key, uint64_t size, void *ud)
{
    struct last_errors *l = ud;
    const char *rest = key + l->prefix_len, *suffix = "/_error.json";
    const char *s1 = strchr(rest, '/'), *s2 = s1 ? strchr(s1 + 1, '/') : NULL;
    const char *s3 = s2 ? strchr(s2 + 1, '/') : NULL;
    long attempt;
    char *task;
    json_t *had;

    (void)size;
    if (!s3 || strcmp(s3, suffix) != 0)
        return 0;
    task = xstrndup(rest, (size_t)(s2 - rest));
    attempt = strtol(s2 + 1, NULL, 10);
    had = json_object_get(l->by_task, task);
    if (!had || json_integer_value(json_object_get(had, "n")) < attempt)
        json_object_set_new(l->by_task, task,
                            json_pack("{s:I, s:s}", "n", (json_int_t)attempt, "key", key));
    free(task);
    return 0;
}

static int by_item_index(const void *a, const void *b)
{
    json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "item_index"));
    json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "item_index"));
    return (x > y) - (x < y);
}

/* 1 when step has a committed task with that item key in r. */
static int committed(const struct df_run_info *r, const char *step, const char *item)
{
    for (size_t i = 0; i < r->n_steps; i++) {
        size_t j;
        json_t *m;
        if (strcmp(r->steps[i].name, step) != 0)
            continue;
        json_array_foreach(r->steps[i].manifests, j, m)
        {
            const char *k = json_string_value(json_object_get(m, "item_key"));
            if (k && !strcmp(k, item))
                return 1;
        }
    }
    return 0;
}

int df_failed_task_errors(struct df_store *s, const struct df_run_info *r, json_t **out,
                          struct df_error *err)
{
    const char *status = json_string_value(json_object_get(r->run_json, "status"));
    char *runkey, *prefix;
    struct last_errors l;
    const char *task, *step;
    json_t *v, *arr;
    int rc;

    *out = json_object();
    if (status && !strcmp(status, "succeeded"))
        return 0;
    runkey = df_key_run(r->pipeline, r->run);
    prefix = xasprintf("%s/", runkey);
    l.prefix_len = strlen(prefix);
    l.by_task = json_object();
    rc = df_store_list(s, prefix, pick_error, &l, err);
    json_object_foreach(l.by_task, task, v)
    {
        const char *slash = strchr(task, '/');
        char *name = xstrndup(task, (size_t)(slash - task)), *data = NULL;
        size_t len = 0;
        struct df_error e2 = DF_ERROR_INIT;
        json_t *j = NULL;
        if (rc == 0 && df_valid_ident(name) && !committed(r, name, slash + 1) &&
            df_store_get_bytes(s, json_string_value(json_object_get(v, "key")), DF_CAP_ERROR_JSON,
                               &data, &len, &e2) == 0)
            j = json_loadb(data, len, 0, NULL);
        free(data);
        if (json_is_object(j) && json_is_integer(json_object_get(j, "item_index"))) {
            json_object_set_new(j, "item_key", json_string(slash + 1));
            if (!json_object_get(*out, name))
                json_object_set_new(*out, name, json_array());
            json_array_append_new(json_object_get(*out, name), j);
        } else {
            json_decref(j);
        }
        free(name);
    }
    json_object_foreach(*out, step, arr) df_json_array_sort(arr, by_item_index);
    json_decref(l.by_task);
    free(prefix);
    free(runkey);
    return rc;
}
