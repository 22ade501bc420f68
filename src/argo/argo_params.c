/*
 * argo_params.c - what a manifest passes as parameters: workflow parameters from the pipeline's
 * params, each step's fan-out as a loop (withSequence, withItems, withParam) with its item
 * argument, the DAG tasks that carry them, and Argo's limits on their sizes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argo/argo_internal.h"

#include "util/banned.h"

/* ---- small JSON helpers ---- */

json_t *ag_jstr(const char *s)
{
    return json_string(s);
}

json_t *ag_jstrf(const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;
    json_t *v;
    va_start(ap, fmt);
    sb_vaddf(&sb, fmt, ap);
    va_end(ap);
    v = json_stringn(sb.buf, sb.len);
    sb_release(&sb);
    return v;
}

json_t *ag_name_value(const char *name, json_t *value)
{
    json_t *o = json_object();
    json_object_set_new(o, "name", ag_jstr(name));
    json_object_set_new(o, "value", value);
    return o;
}

/* A param's value as Argo passes it (a string): strings as they are, numbers in the
 * shortest form that reads back the same, lists and objects as compact JSON. */
char *ag_param_text(const json_t *v)
{
    if (json_is_string(v))
        return xstrdup(json_string_value(v));
    if (json_is_real(v)) {
        char buf[64];
        double d = json_real_value(v);
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(buf, sizeof(buf), "%.*g", prec, d);
            if (strtod(buf, NULL) == d)
                break;
        }
        return xstrdup(buf);
    }
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    char *out = xstrdup(s ? s : "null");
    free(s);
    return out;
}

void ag_format_mib(uint64_t bytes, char *out, size_t n)
{
    const uint64_t gib = 1024ULL * 1024 * 1024, mib = 1024ULL * 1024;
    if (bytes % gib == 0)
        snprintf(out, n, "%lluGi", (unsigned long long)(bytes / gib));
    else
        snprintf(out, n, "%lluMi", (unsigned long long)((bytes + mib - 1) / mib));
}

int ag_fanout_of(const struct df_pipeline *p, size_t step, struct fanout *f, struct df_error *err)
{
    size_t cur = step;
    for (size_t hops = 0; hops <= p->n_steps; hops++) {
        const struct df_foreach *fe = &p->steps[cur].foreach;
        f->root = cur;
        switch (fe->kind) {
        case DF_FOREACH_NONE:
            f->kind = FAN_NONE;
            return 0;
        case DF_FOREACH_RANGE:
            f->kind = FAN_SEQUENCE;
            return 0;
        case DF_FOREACH_VALUES:
            f->kind = FAN_ITEMS;
            return 0;
        case DF_FOREACH_FILES:
        case DF_FOREACH_ROWS:
            f->kind = FAN_PARAM;
            return 0;
        case DF_FOREACH_EACH:
            if (fe->each_index < 0 || (size_t)fe->each_index >= p->n_steps)
                return df_error_set(err, DF_EUSAGE, "step '%s': 'each' names no step",
                                    p->steps[cur].name);
            cur = (size_t)fe->each_index;
            break;
        }
    }
    return df_error_set(err, DF_EUSAGE, "step '%s': 'each' steps map one another in a cycle",
                        p->steps[step].name);
}
int ag_tasks_per_pod(const struct df_pipeline *p, const struct fanout *f)
{
    int n = p->steps[f->root].tasks_per_pod;
    return n > 1 ? n : 1;
}

size_t df_argo_auto_pods(void)
{
    const char *e = getenv("DUCKFLOW_ARGO_AUTO_PODS");
    long v = e ? strtol(e, NULL, 10) : 0;
    return v >= 1 && v <= 1000000 ? (size_t)v : DF_ARGO_AUTO_PODS;
}

size_t df_argo_auto_groups(size_t n)
{
    size_t cap = df_argo_auto_pods();
    return n < cap ? n : cap;
}

void df_argo_auto_group(size_t n, size_t g, size_t *first, size_t *count)
{
    size_t groups = df_argo_auto_groups(n);
    if (groups == 0 || g >= groups) {
        *first = n;
        *count = 0;
        return;
    }
    /* Balanced: the pods differ by one item at most. */
    *first = (size_t)((unsigned long long)g * n / groups);
    *count = (size_t)((unsigned long long)(g + 1) * n / groups) - *first;
}

int df_argo_auto_batched(const struct df_pipeline *p, size_t step)
{
    struct fanout f;
    struct df_error err = DF_ERROR_INIT;
    if (step >= p->n_steps || ag_fanout_of(p, step, &f, &err))
        return 0;
    return f.kind != FAN_NONE && p->steps[f.root].tasks_per_pod == 0;
}

static void add_dep(json_t *deps, const char *name)
{
    size_t k;
    json_t *d;
    json_array_foreach(deps, k, d)
    {
        if (!strcmp(json_string_value(d), name))
            return;
    }
    json_array_append_new(deps, ag_jstr(name));
}

/* The step's own dependencies (inputs and `after`) as task names. */
json_t *ag_step_deps(struct ctx *c, size_t i)
{
    const struct df_step *st = &c->p->steps[i];
    json_t *deps = json_array();
    for (size_t k = 0; k < st->n_deps; k++)
        if (st->deps[k] < c->p->n_steps)
            add_dep(deps, c->task[st->deps[k]]);
    for (size_t k = 0; k < st->n_after; k++) {
        int j = df_pipeline_step_index(c->p, st->after[k]);
        if (j >= 0)
            add_dep(deps, c->task[j]);
    }
    return deps;
}

json_t *ag_step_task(struct ctx *c, size_t i, const struct fanout *f)
{
    const struct df_step *root = &c->p->steps[f->root];
    json_t *t = json_object(), *deps = ag_step_deps(c, i);
    const char *item_ref = "{{item}}";
    const int per_pod = ag_tasks_per_pod(c->p, f);

    json_object_set_new(t, "name", ag_jstr(c->task[i]));
    json_object_set_new(t, "template", ag_jstr(c->tmpl[i]));
    if (f->kind == FAN_PARAM)
        add_dep(deps, c->items[f->root]);
    /* Every pod reads the bundle the first one writes. */
    if (!json_array_size(deps) && !c->o->bundle_in_store)
        json_array_append_new(deps, ag_jstr("bundle"));
    if (json_array_size(deps))
        json_object_set_new(t, "dependencies", deps);
    else
        json_decref(deps);
    switch (f->kind) {
    case FAN_NONE:
        break;
    case FAN_SEQUENCE: {
        /* With tasks_per_pod N the loop runs over groups of N items (the last may be
         * short): pod g runs items g*N .. g*N+N-1. */
        json_t *seq = json_object();
        const int automatic = root->tasks_per_pod == 0;
        if (root->foreach.range_param && automatic)
            /* At most the automatic number of pods, whatever value the param gets at
             * submit time (the pods split the items among them: argo.h). */
            json_object_set_new(seq, "count",
                                ag_jstrf("{{=sprig.min(asInt(workflow.parameters.%s), %zu)}}",
                                         root->foreach.range_param, df_argo_auto_pods()));
        else if (automatic)
            json_object_set_new(
                seq, "count",
                ag_jstrf("%zu", df_argo_auto_groups(
                                    root->foreach.range > 0 ? (size_t)root->foreach.range : 0)));
        else if (root->foreach.range_param && per_pod > 1)
            json_object_set_new(seq, "count",
                                ag_jstrf("{{=sprig.div(asInt(workflow.parameters.%s) + %d, %d)}}",
                                         root->foreach.range_param, per_pod - 1, per_pod));
        else if (root->foreach.range_param)
            json_object_set_new(seq, "count",
                                ag_jstrf("{{workflow.parameters.%s}}", root->foreach.range_param));
        else
            json_object_set_new(
                seq, "count",
                ag_jstrf("%lld", ((long long)root->foreach.range + per_pod - 1) / per_pod));
        json_object_set_new(t, "withSequence", seq);
        break;
    }
    case FAN_ITEMS: {
        /* The values travel in the bundle: the loop passes their indices only, so a node
         * of Argo's status carries a number, not the value. */
        json_t *seq = json_object();
        const size_t n = json_array_size(root->foreach.values);
        json_object_set_new(seq, "count",
                            ag_jstrf("%zu", root->tasks_per_pod == 0
                                                ? df_argo_auto_groups(n)
                                                : (n + (size_t)per_pod - 1) / (size_t)per_pod));
        json_object_set_new(t, "withSequence", seq);
        break;
    }
    case FAN_PARAM:
        json_object_set_new(t, "withParam",
                            ag_jstrf("{{tasks.%s.outputs.result}}", c->items[f->root]));
        break;
    }
    {
        json_t *args = json_object(), *params = json_array();
        json_array_append_new(params, ag_name_value("step", ag_jstr(c->task[i])));
        if (f->kind != FAN_NONE)
            json_array_append_new(params, ag_name_value("item", ag_jstr(item_ref)));
        json_object_set_new(args, "parameters", params);
        json_object_set_new(t, "arguments", args);
    }
    return t;
}

json_t *ag_items_task(struct ctx *c, size_t i)
{
    json_t *t = json_object(), *deps = ag_step_deps(c, i);
    json_t *args = json_object(), *params = json_array();
    json_object_set_new(t, "name", ag_jstr(c->items[i]));
    json_object_set_new(t, "template", ag_jstr(c->items_tmpl[i]));
    /* Every pod reads the bundle the first one writes. */
    if (!json_array_size(deps) && !c->o->bundle_in_store)
        json_array_append_new(deps, ag_jstr("bundle"));
    if (json_array_size(deps))
        json_object_set_new(t, "dependencies", deps);
    else
        json_decref(deps);
    json_array_append_new(params, ag_name_value("step", ag_jstr(c->task[i])));
    json_object_set_new(args, "parameters", params);
    json_object_set_new(t, "arguments", args);
    return t;
}

/* Every parameter value Argo stores: workflow arguments and withItems entries. */
int ag_check_param_sizes(const json_t *doc, struct df_error *err)
{
    const json_t *spec = json_object_get(doc, "spec");
    const json_t *ws = json_object_get(spec, "workflowSpec");
    const json_t *params, *v;
    size_t i;

    if (ws)
        spec = ws;
    params = json_object_get(json_object_get(spec, "arguments"), "parameters");
    json_array_foreach((json_t *)params, i, v)
    {
        const char *s = json_string_value(json_object_get(v, "value"));
        if (s && strlen(s) > DF_ARGO_PARAM_MAX)
            return df_error_set(err, DF_EUSAGE, "param '%s' is %zu bytes, over Argo's limit of %d",
                                json_string_value(json_object_get(v, "name")), strlen(s),
                                DF_ARGO_PARAM_MAX);
    }
    return 0;
}

json_t *ag_bundle_task(void)
{
    json_t *t = json_object();
    json_object_set_new(t, "name", ag_jstr("bundle"));
    json_object_set_new(t, "template", ag_jstr("bundle"));
    return t;
}

/* Bytes a node of Argo's status takes, compressed, with the pods' entries in
 * taskResultsCompletionStatus (tests/support/argo/nodestatus.js, docs/argo.md Limits:
 * 1,595 KB for the 20,006 nodes of 10,000 retried pods), and with the metrics' three
 * output parameters (2,164 KB). */
#define NODE_BYTES         80
#define NODE_BYTES_METRICS 108

void ag_node_status_warn(struct ctx *c, struct strbuf *warnings)
{
    const struct df_pipeline *p = c->p;
    uint64_t bytes = 0, worst_bytes = 0;
    size_t worst = 0;
    const uint64_t per_node = c->o->metrics ? NODE_BYTES_METRICS : NODE_BYTES;

    for (size_t i = 0; i < p->n_steps; i++) {
        const struct df_step *st = &p->steps[i];
        struct fanout f;
        struct df_error e = DF_ERROR_INIT;
        uint64_t tasks = 1, pods, nodes;
        if (ag_fanout_of(p, i, &f, &e))
            return;
        if (f.kind == FAN_SEQUENCE)
            tasks =
                p->steps[f.root].foreach.range > 0 ? (uint64_t)p->steps[f.root].foreach.range : 0;
        else if (f.kind == FAN_ITEMS)
            tasks = json_array_size(p->steps[f.root].foreach.values);
        else if (f.kind == FAN_PARAM)
            continue; /* known when the run lists its items */
        pods = f.kind != FAN_NONE && p->steps[f.root].tasks_per_pod == 0
                   ? df_argo_auto_groups((size_t)tasks)
                   : (tasks + (uint64_t)ag_tasks_per_pod(p, &f) - 1) /
                         (uint64_t)ag_tasks_per_pod(p, &f);
        /* A Retry node above each pod of a template with a retryStrategy; a TaskGroup
         * above a loop. */
        nodes = pods * ((st->limits.retries >= 0 ? st->limits.retries : DF_ARGO_DEFAULT_RETRIES) > 0
                            ? 2
                            : 1) +
                (f.kind != FAN_NONE);
        bytes += nodes * per_node;
        if (nodes * per_node > worst_bytes) {
            worst_bytes = nodes * per_node;
            worst = i;
        }
    }
    if (bytes > 1024 * 1024)
        ag_warn(warnings,
                "Argo's node status for this run would take about %llu KiB compressed, over "
                "the 1 MiB a workflow may hold (step '%s' alone about %llu KiB): leave its "
                "`argo: {tasks_per_pod: N}` unset (automatic batching) or make N larger, or "
                "give it `retries: 0`, or turn on Argo's node status offloading "
                "(docs/argo.md, Limits)",
                (unsigned long long)(bytes / 1024), p->steps[worst].name,
                (unsigned long long)(worst_bytes / 1024));
}
