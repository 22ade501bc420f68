/*
 * spec_resolve.c - the second pass of df_pipeline_load(): references between steps
 * (inputs, after, each, files), params used by foreach, each step's deps, cycle detection
 * and the topological order.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "spec/spec_internal.h"
#include "util/strbuf.h"
#include "util/banned.h"

static void list_outputs(struct strbuf *sb, const struct df_step *s)
{
    if (s->n_outputs == 0) {
        sb_adds(sb, "it has no outputs");
        return;
    }
    sb_adds(sb, "its outputs: ");
    for (size_t i = 0; i < s->n_outputs; i++)
        sb_addf(sb, "%s%s", i ? ", " : "", s->outputs[i].name);
}

/* step `si` must output `table`; where/loc describe the reference for the message. */
static int need_output(struct loader *L, size_t si, const char *table, const char *where,
                       struct df_loc loc)
{
    const struct df_step *s = &L->p->steps[si];
    struct strbuf sb = STRBUF_INIT;

    if (df_step_output(s, table))
        return 0;
    list_outputs(&sb, s);
    spec_fail(L, loc, "%s: step '%s' has no output '%s' (%s)", where, s->name, table, sb.buf);
    sb_release(&sb);
    return -1;
}

static void add_dep(struct df_step *s, int d)
{
    if (d < 0)
        return;
    for (size_t i = 0; i < s->n_deps; i++)
        if (s->deps[i] == (size_t)d)
            return;
    s->deps[s->n_deps++] = (size_t)d;
}

static int resolve_foreach(struct loader *L, struct df_step *s)
{
    struct df_pipeline *p = L->p;
    struct df_foreach *f = &s->foreach;
    const json_t *v;

    switch (f->kind) {
    case DF_FOREACH_RANGE:
        if (!f->range_param)
            return 0;
        v = json_object_get(p->params, f->range_param);
        if (!v)
            return spec_fail(L, f->loc,
                             "unknown param '%s' in foreach range (declare it under "
                             "params)",
                             f->range_param);
        if (!json_is_integer(v))
            return spec_fail(L, f->loc, "foreach range: param '%s' is not an integer",
                             f->range_param);
        if (json_integer_value(v) < 0 || json_integer_value(v) > DF_SPEC_MAX_ITEMS)
            return spec_fail(L, f->loc, "foreach range: param '%s' is %lld, out of range (0 to %d)",
                             f->range_param, (long long)json_integer_value(v), DF_SPEC_MAX_ITEMS);
        f->range = json_integer_value(v);
        return 0;
    case DF_FOREACH_VALUES:
        if (!f->values_param)
            return 0;
        v = json_object_get(p->params, f->values_param);
        if (!v)
            return spec_fail(L, f->loc,
                             "unknown param '%s' in foreach values (declare it "
                             "under params)",
                             f->values_param);
        if (!json_is_array(v))
            return spec_fail(L, f->loc, "foreach values: param '%s' is not a list",
                             f->values_param);
        if (json_array_size(v) > DF_SPEC_MAX_ITEMS)
            return spec_fail(L, f->loc, "foreach values: param '%s' lists more than %d items",
                             f->values_param, DF_SPEC_MAX_ITEMS);
        f->values = json_deep_copy(v);
        return 0;
    case DF_FOREACH_EACH:
        f->each_index = df_pipeline_step_index(p, f->each);
        if (f->each_index < 0)
            return spec_fail(L, f->loc, "foreach each: unknown step '%s'", f->each);
        return 0;
    case DF_FOREACH_FILES: {
        const char *dot;
        for (size_t i = 0; i < s->n_inputs; i++) {
            if (strcmp(s->inputs[i].name, f->files_source) != 0)
                continue;
            f->files_input = (int)i;
            f->files_step = s->inputs[i].step_index;
            if (s->inputs[i].table)
                f->files_table = xstrdup(s->inputs[i].table);
            return 0;
        }
        dot = strchr(f->files_source, '.');
        if (dot && !strchr(dot + 1, '.')) {
            char *step = xstrndup(f->files_source, (size_t)(dot - f->files_source));
            int si = df_pipeline_step_index(p, step);
            free(step);
            if (si >= 0) {
                if (need_output(L, (size_t)si, dot + 1, "foreach files", f->loc) < 0)
                    return -1;
                f->files_step = si;
                f->files_table = xstrdup(dot + 1);
                return 0;
            }
        }
        return spec_fail(L, f->loc,
                         "foreach files: '%s' is neither an input of step '%s' nor "
                         "step.table of a known step",
                         f->files_source, s->name);
    }
    default:
        return 0;
    }
}

static int resolve_step(struct loader *L, size_t si)
{
    struct df_pipeline *p = L->p;
    struct df_step *s = &p->steps[si];

    for (size_t i = 0; i < s->n_inputs; i++) {
        struct df_input *in = &s->inputs[i];
        char where[128];
        if (!in->step)
            continue;
        in->step_index = df_pipeline_step_index(p, in->step);
        snprintf(where, sizeof(where), "input '%s'", in->name);
        if (in->step_index < 0)
            return spec_fail(L, in->loc, "%s: unknown step '%s'", where, in->step);
        if (need_output(L, (size_t)in->step_index, in->table, where, in->loc) < 0)
            return -1;
    }
    for (size_t i = 0; i < s->n_outputs; i++)
        for (size_t j = 0; j < s->n_inputs; j++)
            if (!strcasecmp(s->outputs[i].name, s->inputs[j].name))
                return spec_fail(L, s->outputs[i].loc,
                                 "output '%s' has the name of an input of step '%s'",
                                 s->outputs[i].name, s->name);
    if (resolve_foreach(L, s) < 0)
        return -1;
    for (size_t i = 0; i < s->n_after; i++)
        if (df_pipeline_step_index(p, s->after[i]) < 0)
            return spec_fail(L, s->after_locs[i], "after: unknown step '%s'", s->after[i]);

    s->deps = xcalloc(s->n_inputs + s->n_after + 3, sizeof(*s->deps));
    for (size_t i = 0; i < s->n_inputs; i++)
        add_dep(s, s->inputs[i].step_index);
    for (size_t i = 0; i < s->n_after; i++)
        add_dep(s, df_pipeline_step_index(p, s->after[i]));
    if (s->foreach.kind == DF_FOREACH_EACH)
        add_dep(s, s->foreach.each_index);
    if (s->foreach.kind == DF_FOREACH_FILES)
        add_dep(s, s->foreach.files_step);
    return 0;
}

/* Called with every step not placed waiting on another unplaced step: walks deps from
 * `start` until a step repeats and reports that loop in data-flow order. */
static int report_cycle(struct loader *L, const char *placed, size_t start)
{
    struct df_pipeline *p = L->p;
    size_t *path = xcalloc(p->n_steps + 1, sizeof(*path));
    size_t n = 0, cur = start, m = 0;
    struct strbuf sb = STRBUF_INIT;
    int found = 0;

    while (!found) {
        const struct df_step *s = &p->steps[cur];
        path[n++] = cur;
        for (size_t i = 0; i < s->n_deps; i++) {
            if (placed[s->deps[i]])
                continue;
            cur = s->deps[i];
            break;
        }
        for (size_t j = 0; j < n; j++)
            if (path[j] == cur) {
                m = j;
                found = 1;
            }
    }
    /* path[j+1] is a dep of path[j], so data flows from path[m] to path[n-1] and down. */
    sb_adds(&sb, p->steps[path[m]].name);
    for (size_t j = n; j-- > m;)
        sb_addf(&sb, " -> %s", p->steps[path[j]].name);
    spec_fail(L, p->steps[path[m]].loc, "cycle in steps: %s", sb.buf);
    sb_release(&sb);
    free(path);
    return -1;
}

static int order_steps(struct loader *L)
{
    struct df_pipeline *p = L->p;
    char *placed = xcalloc(p->n_steps, 1);
    int rc = 0;

    /* Repeatedly the first ready step in file order: a stable order readers can predict. */
    p->order = xcalloc(p->n_steps, sizeof(*p->order));
    for (size_t k = 0; k < p->n_steps && rc == 0; k++) {
        size_t pick = p->n_steps, first_waiting = p->n_steps;
        for (size_t i = 0; i < p->n_steps && pick == p->n_steps; i++) {
            const struct df_step *s = &p->steps[i];
            int ready = 1;
            if (placed[i])
                continue;
            if (first_waiting == p->n_steps)
                first_waiting = i;
            for (size_t d = 0; d < s->n_deps && ready; d++)
                ready = placed[s->deps[d]];
            if (ready)
                pick = i;
        }
        if (pick == p->n_steps) {
            rc = report_cycle(L, placed, first_waiting);
            break;
        }
        placed[pick] = 1;
        p->order[k] = pick;
    }
    free(placed);
    return rc;
}

int spec_resolve(struct loader *L)
{
    for (size_t i = 0; i < L->p->n_steps; i++)
        if (resolve_step(L, i) < 0)
            return -1;
    return order_steps(L);
}
