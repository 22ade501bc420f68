/*
 * plan.c - a step's items and task identities (see plan.h).
 *
 * Static kinds are computed from the pipeline alone. Dynamic kinds (files, rows) are
 * computed once per run by df_dynamic_items() and kept in the store as
 * <run>/<step>/_items.json; every later reader (the executor, each task, Argo's items
 * task) takes the stored list, so all of them agree on which task holds which item.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dag/plan.h"
#include "engine/items.h"
#include "store/layout.h"
#include "util/strbuf.h"
#include "util/banned.h"

/* An _items.json larger than this is not a list a run can fan out over. */
#define ITEMS_MAX_BYTES (256u * 1024 * 1024)

void df_item_key(size_t index, char key[DF_ITEM_KEY_MAX])
{
    snprintf(key, DF_ITEM_KEY_MAX, "%05zu", index);
}

int df_plan_is_static(const struct df_pipeline *p, size_t step)
{
    /* `each` chains are followed iteratively; the loader rejects cycles, and the bound
     * keeps a hand-built pipeline from looping forever. */
    for (size_t hops = 0; step < p->n_steps && hops <= p->n_steps; hops++) {
        const struct df_foreach *f = &p->steps[step].foreach;
        switch (f->kind) {
        case DF_FOREACH_NONE:
        case DF_FOREACH_RANGE:
        case DF_FOREACH_VALUES:
            return 1;
        case DF_FOREACH_EACH:
            if (f->each_index < 0)
                return 0;
            step = (size_t)f->each_index;
            break;
        default:
            return 0;
        }
    }
    return 0;
}

static int static_items(const struct df_foreach *f, json_t **items)
{
    json_t *a;

    switch (f->kind) {
    case DF_FOREACH_NONE:
        a = json_array();
        json_array_append_new(a, json_null());
        *items = a;
        return 0;
    case DF_FOREACH_RANGE:
        a = json_array();
        for (int64_t i = 0; i < f->range; i++)
            json_array_append_new(a, json_integer(i));
        *items = a;
        return 0;
    case DF_FOREACH_VALUES:
        *items = f->values ? json_deep_copy(f->values) : json_array();
        return 0;
    default:
        return -1;
    }
}

/* Reads <run>/<step>/_items.json; 1 when found, 0 when missing, -1 on error. */
static int read_items(struct df_store *store, const char *key, json_t **items, struct df_error *err)
{
    struct df_error e = DF_ERROR_INIT;
    json_error_t jerr;
    char *data = NULL;
    size_t len = 0;
    json_t *j;

    if (df_store_get_bytes(store, key, ITEMS_MAX_BYTES, &data, &len, &e) < 0) {
        if (e.code == DF_ENOTFOUND)
            return 0;
        df_error_set(err, e.code ? e.code : DF_EIO, "%s", e.msg);
        return -1;
    }
    j = json_loadb(data, len, 0, &jerr);
    free(data);
    if (!j || !json_is_array(j)) {
        json_decref(j);
        return df_error_set(err, DF_EIO, "'%s' is not a json list%s%s", key, j ? "" : ": ",
                            j ? "" : jerr.text);
    }
    *items = j;
    return 1;
}

static int dynamic_items(const struct df_pipeline *p, size_t step, struct df_store *store,
                         const char *run_id, json_t **items, struct df_error *err)
{
    char *key = NULL, *text = NULL;
    json_t *computed = NULL;
    int rc = -1, found;

    if (!store || !run_id)
        return df_error_set(err, DF_EUSAGE,
                            "step '%s': items are known only in a run (need a store and a "
                            "run id)",
                            p->steps[step].name);
    key = df_key_items(p->name, run_id, p->steps[step].name);
    found = read_items(store, key, items, err);
    if (found != 0) {
        rc = found < 0 ? -1 : 0;
        goto done;
    }
    if (df_dynamic_items(p, step, store, run_id, &computed, err) < 0)
        goto done;
    if (!json_is_array(computed)) {
        df_error_set(err, DF_EFAIL, "step '%s': dynamic items are not a list", p->steps[step].name);
        goto done;
    }
    text = json_dumps(computed, JSON_COMPACT);
    if (!text) {
        df_error_set(err, DF_EFAIL, "step '%s': cannot encode items", p->steps[step].name);
        goto done;
    }
    if (df_store_put_bytes(store, key, text, strlen(text), err) < 0)
        goto done;
    /* Two processes may compute the list at once; whichever write landed last is the
     * list everyone reads from now on, so return that one rather than our own. */
    found = read_items(store, key, items, err);
    if (found < 0)
        goto done;
    if (found == 0) {
        *items = computed;
        computed = NULL;
    }
    rc = 0;
done:
    if (rc < 0)
        df_error_prefix(err, "step '%s': items", p->steps[step].name);
    json_decref(computed);
    free(text);
    free(key);
    return rc;
}

int df_plan_items(const struct df_pipeline *p, size_t step, struct df_store *store,
                  const char *run_id, json_t **items, struct df_error *err)
{
    if (!p || step >= p->n_steps)
        return df_error_set(err, DF_EUSAGE, "no step %zu in the pipeline", step);
    /* `each` has the items of the step it maps, however far the chain goes. */
    for (size_t hops = 0; p->steps[step].foreach.kind == DF_FOREACH_EACH; hops++) {
        int next = p->steps[step].foreach.each_index;
        if (next < 0 || hops > p->n_steps)
            return df_error_set(err, DF_EUSAGE, "step '%s': foreach each does not resolve",
                                p->steps[step].name);
        step = (size_t)next;
    }
    if (static_items(&p->steps[step].foreach, items) == 0)
        return 0;
    return dynamic_items(p, step, store, run_id, items, err);
}

int64_t df_plan_task_count(const struct df_pipeline *p, size_t step)
{
    const struct df_foreach *f;

    if (!df_plan_is_static(p, step))
        return -1;
    while (p->steps[step].foreach.kind == DF_FOREACH_EACH)
        step = (size_t)p->steps[step].foreach.each_index;
    f = &p->steps[step].foreach;
    if (f->kind == DF_FOREACH_RANGE)
        return f->range;
    if (f->kind == DF_FOREACH_VALUES)
        return f->values ? (int64_t)json_array_size(f->values) : 0;
    return 1;
}

char *df_plan_describe(const struct df_pipeline *p, size_t step)
{
    const struct df_foreach *f = &p->steps[step].foreach;

    switch (f->kind) {
    case DF_FOREACH_RANGE:
        if (f->range_param)
            return xasprintf("range %lld (param %s)", (long long)f->range, f->range_param);
        return xasprintf("range %lld", (long long)f->range);
    case DF_FOREACH_VALUES:
        if (f->values_param)
            return xasprintf("values (%zu, param %s)", json_array_size(f->values), f->values_param);
        return xasprintf("values (%zu)", json_array_size(f->values));
    case DF_FOREACH_EACH:
        return xasprintf("each %s", f->each);
    case DF_FOREACH_FILES:
        return xasprintf("files %s, %lld per task", f->files_source, (long long)f->per_task);
    case DF_FOREACH_ROWS:
        return xstrdup("rows of a query");
    default:
        return xstrdup("one task");
    }
}

/* "step.table" or the uri of input i, for people. */
static void add_input_source(struct strbuf *sb, const struct df_input *in)
{
    if (in->step)
        sb_addf(sb, "%s.%s", in->step, in->table);
    else
        sb_addf(sb, "'%s'", in->uri);
}

char *df_plan_known_when(const struct df_pipeline *p, size_t step)
{
    struct strbuf sb = STRBUF_INIT;
    const struct df_step *s;

    if (df_plan_is_static(p, step))
        return NULL;
    while (p->steps[step].foreach.kind == DF_FOREACH_EACH && p->steps[step].foreach.each_index >= 0)
        step = (size_t)p->steps[step].foreach.each_index;
    s = &p->steps[step];
    if (s->foreach.kind == DF_FOREACH_FILES) {
        if (s->foreach.files_input >= 0)
            add_input_source(&sb, &s->inputs[s->foreach.files_input]);
        else if (s->foreach.files_step >= 0)
            sb_addf(&sb, "%s.%s", p->steps[s->foreach.files_step].name, s->foreach.files_table);
        else
            sb_adds(&sb, s->foreach.files_source);
        sb_adds(&sb, " exists");
    } else {
        for (size_t i = 0; i < s->n_inputs; i++) {
            if (i)
                sb_adds(&sb, i + 1 == s->n_inputs ? " and " : ", ");
            add_input_source(&sb, &s->inputs[i]);
        }
        if (s->n_inputs == 0)
            sb_addf(&sb, "step '%s' runs its query", s->name);
        else
            sb_adds(&sb, s->n_inputs == 1 ? " exists" : " exist");
    }
    return sb_detach(&sb);
}
