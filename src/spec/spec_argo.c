/*
 * spec_argo.c - the pipeline file's keys for running on Argo Workflows: the pipeline-level
 * `argo:` section (cluster options, checked for known keys here and kept as JSON with each
 * key's position; src/argo/argo_section.c checks the values when a manifest is compiled),
 * a step's `argo: {tasks_per_pod: N}` and its `scratch: SIZE` (also in `defaults`).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec/spec_internal.h"
#include "util/timeutil.h"

#include "util/banned.h"

const char *const spec_argo_fields[] = {"namespace",
                                        "serviceAccountName",
                                        "nodeSelector",
                                        "tolerations",
                                        "affinity",
                                        "imagePullSecrets",
                                        "priorityClassName",
                                        "podGC",
                                        "ttlStrategy",
                                        "activeDeadlineSeconds",
                                        "parallelism",
                                        "synchronization",
                                        "labels",
                                        "annotations",
                                        "timezone",
                                        "startingDeadlineSeconds",
                                        "historyLimit",
                                        "concurrencyPolicy",
                                        "on_success",
                                        "on_failure",
                                        "metrics",
                                        NULL};

static const char *const step_argo_fields[] = {"tasks_per_pod", NULL};

static json_t *loc_pair(const struct yt_node *v, const struct yt_node *k)
{
    json_t *at = json_array();
    json_array_append_new(at, json_integer(v->loc.line));
    json_array_append_new(at, json_integer(v->loc.col));
    if (k) {
        json_array_append_new(at, json_integer(k->loc.line));
        json_array_append_new(at, json_integer(k->loc.col));
    }
    return at;
}

/* Where each value of the map x is, as {"key": [line, col, key line, key col],
 * "key.sub": [...]}: one level down, a map's entries ("labels.team") and a list's
 * ("tolerations.0", no key position), so a bad entry is reported where it is written. */
static void add_locs(json_t *locs, const char *prefix, const struct yt_node *x)
{
    for (size_t i = 0; x->kind == YT_SEQ && prefix && i < x->n_items; i++) {
        char *key = xasprintf("%s.%zu", prefix, i);
        json_object_set_new(locs, key, loc_pair(x->items[i], NULL));
        free(key);
    }
    for (size_t i = 0; x->kind == YT_MAP && i + 1 < x->n_items; i += 2) {
        const struct yt_node *k = x->items[i], *v = x->items[i + 1];
        char *key = prefix ? xasprintf("%s.%s", prefix, k->value) : xstrdup(k->value);
        json_object_set_new(locs, key, loc_pair(v, k));
        if (!prefix)
            add_locs(locs, key, v);
        free(key);
    }
}

int spec_load_argo(struct loader *L, const struct yt_node *x)
{
    struct df_pipeline *p = L->p;

    if (!x || spec_is_null(x))
        return 0;
    if (spec_want_map(L, x, "argo") < 0 || spec_check_fields(L, x, "argo", spec_argo_fields) < 0)
        return -1;
    p->argo = spec_node_json(x);
    p->argo_locs = json_object();
    {
        json_t *at = json_array();
        json_array_append_new(at, json_integer(x->loc.line));
        json_array_append_new(at, json_integer(x->loc.col));
        json_object_set_new(p->argo_locs, "", at);
    }
    add_locs(p->argo_locs, NULL, x);
    return 0;
}

int spec_load_step_argo(struct loader *L, struct df_step *s, const struct yt_node *x)
{
    const struct yt_node *v;
    int64_t n;

    s->tasks_per_pod = 0; /* automatic (argo.h, DF_ARGO_AUTO_PODS) */
    if (!x || spec_is_null(x))
        return 0;
    if (spec_want_map(L, x, "argo") < 0 || spec_check_fields(L, x, "argo", step_argo_fields) < 0)
        return -1;
    if ((v = yt_map_get(x, "tasks_per_pod")) &&
        spec_want_int(L, v, "tasks_per_pod", 1, 100000, &n) < 0)
        return -1;
    if (v) {
        s->tasks_per_pod = (int)n;
        s->tasks_per_pod_loc = v->loc;
    }
    return 0;
}

int spec_load_scratch(struct loader *L, const struct yt_node *v, struct df_limits *lim)
{
    uint64_t bytes;

    if (v->kind != YT_SCALAR || spec_is_null(v) || df_parse_size(v->value, &bytes) < 0)
        return spec_fail(L, v->loc, "bad size '%s' for scratch (e.g. 20GiB, 500MB)",
                         v->kind == YT_SCALAR ? v->value : spec_node_kind(v));
    if (bytes < 1024ULL * 1024 || bytes > 64ULL * 1024 * 1024 * 1024 * 1024)
        return spec_fail(L, v->loc, "scratch '%s' is out of range (1MiB to 64TiB)", v->value);
    lim->scratch = bytes;
    return 0;
}
