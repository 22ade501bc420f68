/*
 * plan.c - a step's items and task identities (see plan.h).
 *
 * Static kinds are computed from the pipeline alone. Dynamic kinds (files, rows) come
 * from the resolver the caller passes: the engine's (engine/items.h, df_step_items)
 * computes them once per run and keeps them in the store. The plan knows nothing of
 * stores, DuckDB or the engine.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dag/plan.h"
#include "util/strbuf.h"
#include "util/banned.h"

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

int df_plan_items(const struct df_pipeline *p, size_t step, const struct df_items_resolver *r,
                  json_t **items, struct df_error *err)
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
    if (!r)
        return df_error_set(err, DF_EUSAGE,
                            "step '%s': items are known only in a run (need a store and a "
                            "run id)",
                            p->steps[step].name);
    return r->items(r->ctx, p, step, items, err);
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
