/*
 * argo_hooks.c - what a manifest does for the people who watch it run: user exit hooks
 * beside `finish` (a template of a WorkflowTemplate or ClusterWorkflowTemplate run after
 * `finish` when the workflow succeeded or failed; the one `onExit` becomes a small DAG
 * running both), and per-task Prometheus gauges (duration from Argo, rows, bytes and peak
 * RSS from files the pod writes, read as output parameters). See argo.h and docs/argo.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argo/argo_internal.h"

#include "util/banned.h"

/* An Argo template name: [A-Za-z0-9][-A-Za-z0-9]*, at most 128 characters (the
 * controller's rule for template and task names). */
static int template_name(const char *s, size_t n)
{
    if (n == 0 || n > 128)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || c != '-'))
            return 0;
    }
    return 1;
}

/* Splits ref into its parts: *cluster, the object's name (into name) and the template's
 * (a pointer into ref). 0, or -1 when malformed. */
static int hook_parts(const char *ref, int *cluster, char *name, size_t name_n, const char **tmpl)
{
    const char *s = ref, *slash;
    *cluster = 0;
    if (!strncmp(s, "cluster/", 8)) {
        *cluster = 1;
        s += 8;
    }
    slash = strchr(s, '/');
    if (!slash || strchr(slash + 1, '/') || (size_t)(slash - s) >= name_n)
        return -1;
    memcpy(name, s, (size_t)(slash - s));
    name[slash - s] = '\0';
    *tmpl = slash + 1;
    return 0;
}

int ag_hook_check(const char *option, const char *ref, struct df_error *err)
{
    char name[256];
    const char *tmpl;
    int cluster;

    if (!ref)
        return 0;
    if (hook_parts(ref, &cluster, name, sizeof(name), &tmpl))
        return df_error_set(err, DF_EUSAGE,
                            "%s '%s' is not WORKFLOWTEMPLATE/TEMPLATE or "
                            "cluster/CLUSTERWORKFLOWTEMPLATE/TEMPLATE",
                            option, ref);
    if (!ag_k8s_name(name))
        return df_error_set(err, DF_EUSAGE,
                            "%s '%s': '%s' is not a Kubernetes name (DNS-1123 subdomain: "
                            "lower-case letters, digits, '-' and '.')",
                            option, ref, name);
    if (!template_name(tmpl, strlen(tmpl)))
        return df_error_set(err, DF_EUSAGE,
                            "%s '%s': '%s' is not an Argo template name (letters, digits "
                            "and '-', starting with a letter or digit, at most 128)",
                            option, ref, tmpl);
    return 0;
}

static json_t *hook_task(const char *task, const char *ref, const char *when)
{
    json_t *t = json_object(), *tr = json_object();
    char name[256];
    const char *tmpl;
    int cluster;

    hook_parts(ref, &cluster, name, sizeof(name), &tmpl); /* checked by ag_hook_check */
    json_object_set_new(tr, "name", ag_jstr(name));
    json_object_set_new(tr, "template", ag_jstr(tmpl));
    if (cluster)
        json_object_set_new(tr, "clusterScope", json_true());
    json_object_set_new(t, "name", ag_jstr(task));
    json_object_set_new(t, "templateRef", tr);
    /* After `finish` (so run.json is there to read), whatever became of it: a hook that
     * reports a failure must not wait on the record of it. */
    json_object_set_new(t, "depends",
                        ag_jstr("finish.Succeeded || finish.Failed || finish.Errored"));
    json_object_set_new(t, "when", ag_jstr(when));
    return t;
}

json_t *ag_exit_template(const struct df_argo_opts *o)
{
    json_t *t, *dag, *tasks, *fin;

    if (!o->on_success && !o->on_failure)
        return NULL;
    t = json_object();
    dag = json_object();
    tasks = json_array();
    fin = json_object();
    json_object_set_new(fin, "name", ag_jstr("finish"));
    json_object_set_new(fin, "template", ag_jstr("finish"));
    json_array_append_new(tasks, fin);
    if (o->on_success)
        json_array_append_new(
            tasks, hook_task("on-success", o->on_success, "{{workflow.status}} == Succeeded"));
    /* Failed and Error alike. */
    if (o->on_failure)
        json_array_append_new(
            tasks, hook_task("on-failure", o->on_failure, "{{workflow.status}} != Succeeded"));
    json_object_set_new(dag, "tasks", tasks);
    json_object_set_new(t, "name", ag_jstr(AG_EXIT_TEMPLATE));
    json_object_set_new(t, "dag", dag);
    return t;
}

/* ---- metrics ---- */

static const struct {
    const char *output; /* the output parameter, also the file's name */
    const char *metric;
    const char *help;
} gauges[] = {
    {NULL, "duckflow_task_duration_seconds", "Seconds the last pod of a duckflow step took"},
    {"rows", "duckflow_task_rows", "Rows the last pod of a duckflow step wrote"},
    {"bytes", "duckflow_task_bytes", "Bytes of files the last pod of a duckflow step wrote"},
    {"rss", "duckflow_task_peak_rss_bytes",
     "Peak resident memory of the last pod of a duckflow step"},
};

static json_t *metric_labels(struct ctx *c)
{
    json_t *labels = json_array(), *l;
    char pl[64];

    df_argo_name(c->p->name, pl, sizeof(pl));
    l = json_object();
    json_object_set_new(l, "key", ag_jstr("pipeline"));
    json_object_set_new(l, "value", ag_jstr(pl));
    json_array_append_new(labels, l);
    l = json_object();
    json_object_set_new(l, "key", ag_jstr("step"));
    json_object_set_new(l, "value", ag_jstr("{{inputs.parameters.step}}"));
    json_array_append_new(labels, l);
    return labels;
}

void ag_metrics_add(struct ctx *c, json_t *t)
{
    json_t *outputs = json_object(), *params = json_array();
    json_t *metrics = json_object(), *prom = json_array();

    for (size_t i = 0; i < sizeof(gauges) / sizeof(gauges[0]); i++) {
        json_t *m = json_object(), *g = json_object();
        json_object_set_new(m, "name", ag_jstr(gauges[i].metric));
        json_object_set_new(m, "help", ag_jstr(gauges[i].help));
        json_object_set_new(m, "labels", metric_labels(c));
        if (gauges[i].output) {
            /* The pod writes the file after its task committed; a pod that failed has
             * nothing to say, and its default 0 is not emitted. */
            json_t *p = json_object(), *vf = json_object();
            json_object_set_new(vf, "path", ag_jstrf("%s/%s", AG_METRICS_DIR, gauges[i].output));
            json_object_set_new(vf, "default", ag_jstr("0"));
            json_object_set_new(p, "name", ag_jstr(gauges[i].output));
            json_object_set_new(p, "valueFrom", vf);
            json_array_append_new(params, p);
            json_object_set_new(m, "when", ag_jstr("{{status}} == Succeeded"));
            json_object_set_new(g, "value",
                                ag_jstrf("{{outputs.parameters.%s}}", gauges[i].output));
        } else {
            json_object_set_new(g, "value", ag_jstr("{{duration}}"));
        }
        json_object_set_new(g, "realtime", json_false());
        json_object_set_new(m, "gauge", g);
        json_array_append_new(prom, m);
    }
    json_object_set_new(outputs, "parameters", params);
    json_object_set_new(t, "outputs", outputs);
    json_object_set_new(metrics, "prometheus", prom);
    json_object_set_new(t, "metrics", metrics);
}
