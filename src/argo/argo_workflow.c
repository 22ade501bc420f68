/*
 * argo_workflow.c - the manifest's outer shape: task and template names, the workflow spec (pod
 * settings, volumes, the DAG), the Workflow / WorkflowTemplate / CronWorkflow object
 * around it, and rendering it as YAML or JSON (see argo.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argo/argo_internal.h"
#include <ctype.h>
#include "argo/yamlemit.h"

#include "util/banned.h"

void df_argo_name(const char *step, char *out, size_t n)
{
    size_t j = 0;
    const size_t max = n - 1 < 40 ? n - 1 : 40;

    for (size_t i = 0; step[i] && j < max; i++) {
        unsigned char c = (unsigned char)step[i];
        if (isalnum(c))
            out[j++] = (char)tolower(c);
        else if (j > 0 && out[j - 1] != '-')
            out[j++] = '-';
    }
    while (j > 0 && out[j - 1] == '-')
        j--;
    out[j] = '\0';
    if (j == 0) {
        snprintf(out, n, "step");
    } else if (isdigit((unsigned char)out[0])) {
        /* Argo refuses a DAG task with dependencies whose name begins with a digit. */
        char tmp[64];
        snprintf(tmp, sizeof(tmp), "s-%s", out);
        tmp[max < sizeof(tmp) - 1 ? max : sizeof(tmp) - 1] = '\0';
        while (strlen(tmp) > 0 && tmp[strlen(tmp) - 1] == '-')
            tmp[strlen(tmp) - 1] = '\0';
        snprintf(out, n, "%s", tmp);
    }
}

static int names_has(const struct names *ns, const char *s)
{
    for (size_t i = 0; i < ns->n; i++)
        if (!strcmp(ns->v[i], s))
            return 1;
    return 0;
}

/* Adds base (or base-2, base-3, ...) and returns the name taken (owned by ns). */
static const char *names_take(struct names *ns, const char *base)
{
    char *name = xstrdup(base);
    for (int k = 2; names_has(ns, name); k++) {
        free(name);
        name = xasprintf("%s-%d", base, k);
    }
    if (ns->n == ns->alloc) {
        ns->alloc = ns->alloc ? 2 * ns->alloc : 16;
        ns->v = xrealloc(ns->v, ns->alloc * sizeof(*ns->v));
    }
    ns->v[ns->n++] = name;
    return name;
}

const char *ag_names_take(struct ctx *c, const char *base)
{
    return names_take(&c->names, base);
}

static void names_release(struct names *ns)
{
    for (size_t i = 0; i < ns->n; i++)
        free(ns->v[i]);
    free(ns->v);
}

static int build_names(struct ctx *c, struct df_error *err)
{
    const struct df_pipeline *p = c->p;
    char base[64];

    names_take(&c->names, "main");
    names_take(&c->names, "finish");
    names_take(&c->names, "bundle");
    names_take(&c->names, AG_EXIT_TEMPLATE);
    c->task = xcalloc(p->n_steps ? p->n_steps : 1, sizeof(*c->task));
    c->items = xcalloc(p->n_steps ? p->n_steps : 1, sizeof(*c->items));
    for (size_t i = 0; i < p->n_steps; i++) {
        df_argo_name(p->steps[i].name, base, sizeof(base));
        c->task[i] = names_take(&c->names, base);
    }
    for (size_t i = 0; i < p->n_steps; i++) {
        struct fanout f;
        if (ag_fanout_of(p, i, &f, err))
            return -1;
        if (f.kind == FAN_PARAM && f.root == i) {
            char *b = xasprintf("%s-items", c->task[i]);
            c->items[i] = names_take(&c->names, b);
            free(b);
        }
    }
    return 0;
}

int df_argo_task_step(const struct df_pipeline *p, const char *task)
{
    struct ctx c;
    struct df_error err = DF_ERROR_INIT;
    int found = -1;

    memset(&c, 0, sizeof(c));
    c.p = p;
    if (build_names(&c, &err) == 0)
        for (size_t i = 0; i < p->n_steps && found < 0; i++)
            if (!strcmp(c.task[i], task))
                found = (int)i;
    names_release(&c.names);
    free((void *)c.task);
    free((void *)c.items);
    return found;
}

/* Appends t to templates unless an equal one is there (templates are shared by every
 * step of the same shape: the step's name comes in as a parameter); returns the name of
 * the template that holds it (owned by templates). t's "name" is set here. */
static const char *share_template(struct ctx *c, json_t *templates, json_t *t, const char *base)
{
    size_t k;
    json_t *have;
    const char *name;

    json_array_foreach(templates, k, have)
    {
        json_t *copy = json_copy(have);
        int same;
        json_object_del(copy, "name");
        same = json_equal(copy, t);
        json_decref(copy);
        if (same) {
            json_decref(t);
            return json_string_value(json_object_get(have, "name"));
        }
    }
    name = names_take(&c->names, base);
    have = json_object(); /* the name first, as people read templates */
    json_object_set_new(have, "name", ag_jstr(name));
    json_object_update(have, t);
    json_decref(t);
    json_array_append_new(templates, have);
    return name;
}

static json_t *workflow_spec(struct ctx *c, struct df_error *err)
{
    const struct df_pipeline *p = c->p;
    const struct df_argo_opts *o = c->o;
    json_t *spec = json_object(), *templates = json_array(), *tasks = json_array();
    json_t *main_t = json_object(), *dag = json_object();
    unsigned char *glue = NULL; /* per task: kept in the group of the next (argo_groups.c) */
    size_t n_glue = 0;

    json_object_set_new(spec, "entrypoint", ag_jstr("main"));
    /* With exit hooks the handler is a DAG running `finish`, then the hooks. */
    json_object_set_new(spec, "onExit",
                        ag_jstr(o->on_success || o->on_failure ? AG_EXIT_TEMPLATE : "finish"));
    ag_cluster_spec(o, spec);
    if (o->service_account)
        json_object_set_new(spec, "serviceAccountName", ag_jstr(o->service_account));
    if (o->parallelism > 0)
        json_object_set_new(spec, "parallelism", json_integer(o->parallelism));
    if (o->n_node_selector) {
        json_t *ns = json_object();
        for (size_t i = 0; i < o->n_node_selector; i++)
            json_object_set_new(ns, o->node_selector[i].key, ag_jstr(o->node_selector[i].value));
        json_object_set_new(spec, "nodeSelector", ns);
    }
    if (o->n_tolerations) {
        json_t *tol = json_array();
        for (size_t i = 0; i < o->n_tolerations; i++) {
            json_t *t = df_argo_toleration(o->tolerations[i], err);
            if (!t) {
                json_decref(tol);
                goto fail;
            }
            json_array_append_new(tol, t);
        }
        json_object_set_new(spec, "tolerations", tol);
    }
    {
        /* The image runs as this non-root user (Dockerfile); fsGroup makes the emptyDir
         * and the artifact files readable by it. */
        json_t *sc = json_object();
        json_object_set_new(sc, "runAsNonRoot", json_true());
        json_object_set_new(sc, "runAsUser", json_integer(10001));
        json_object_set_new(sc, "runAsGroup", json_integer(10001));
        json_object_set_new(sc, "fsGroup", json_integer(10001));
        {
            json_t *sp = json_object();
            json_object_set_new(sp, "type", ag_jstr("RuntimeDefault"));
            json_object_set_new(sc, "seccompProfile", sp);
        }
        json_object_set_new(spec, "securityContext", sc);
    }
    {
        json_t *pm = json_object(), *labels = json_object();
        char pl[64];
        df_argo_name(p->name, pl, sizeof(pl));
        json_object_set_new(labels, "app.kubernetes.io/name", ag_jstr("duckflow"));
        json_object_set_new(labels, "duckflow.io/pipeline", ag_jstr(pl));
        json_object_set_new(pm, "labels", labels);
        json_object_set_new(spec, "podMetadata", pm);
    }
    if (json_object_size(p->params)) {
        json_t *args = json_object(), *params = json_array(), *v;
        const char *k;
        json_object_foreach(p->params, k, v)
        {
            char *text = ag_param_text(v);
            json_array_append_new(params, ag_name_value(k, ag_jstr(text)));
            free(text);
        }
        json_object_set_new(args, "parameters", params);
        json_object_set_new(spec, "arguments", args);
    }
    /* The templates first: steps of one shape share one (the step comes in as a
     * parameter), so a task learns its template's name from here. */
    json_array_append_new(templates, json_object()); /* main, filled below */
    for (size_t i = 0; i < p->n_steps; i++) {
        struct fanout f;
        if (ag_fanout_of(p, i, &f, err))
            goto fail;
        if (c->items[i])
            c->items_tmpl[i] = share_template(c, templates, ag_items_template(c, i), "items");
        c->tmpl[i] = share_template(c, templates, ag_step_template(c, i, &f), "step");
    }
    if (!c->o->bundle_in_store)
        json_array_append_new(templates, ag_bundle_template(c));
    json_array_append_new(templates, ag_finish_template(c));
    {
        json_t *exit_t = ag_exit_template(o);
        if (exit_t)
            json_array_append_new(templates, exit_t);
    }

    /* The DAG, in dependency order after the bundle; each dynamic step's items task just
     * before it. */
    glue = xcalloc(2 * p->n_steps + 1, 1);
    if (!c->o->bundle_in_store) {
        json_array_append_new(tasks, ag_bundle_task());
        n_glue++;
    }
    for (size_t k = 0; k < p->n_steps; k++) {
        size_t i = p->order ? p->order[k] : k;
        struct fanout f;
        if (ag_fanout_of(p, i, &f, err))
            goto fail;
        if (c->items[i]) {
            json_array_append_new(tasks, ag_items_task(c, i));
            glue[n_glue++] = 1;
        }
        json_array_append_new(tasks, ag_step_task(c, i, &f));
        n_glue++;
    }
    json_object_set_new(main_t, "name", ag_jstr("main"));
    /* Like `duckflow run`: a failed task fails its dependents while independent work
     * goes on. */
    json_object_set_new(dag, "failFast", json_false());
    json_object_set_new(dag, "tasks", tasks);
    tasks = NULL;
    json_object_set_new(main_t, "dag", dag);
    dag = NULL;
    json_array_set_new(templates, 0, json_incref(main_t));
    /* Every template under 16 KiB: a DAG larger than that becomes nested groups. */
    if (ag_split_dag(c, templates, main_t, glue, err))
        goto fail;
    json_decref(main_t);
    main_t = NULL;
    free(glue);
    json_object_set_new(spec, "templates", templates);
    return spec;
fail:
    free(glue);
    json_decref(tasks);
    json_decref(dag);
    json_decref(main_t);
    json_decref(templates);
    json_decref(spec);
    return NULL;
}

json_t *df_argo_toleration(const char *spec, struct df_error *err)
{
    const char *colon = strrchr(spec, ':');
    const char *eq = strchr(spec, '=');
    char *key = NULL, *value = NULL, *effect = NULL;
    json_t *t;

    if (colon && eq && colon < eq)
        colon = NULL; /* a ':' inside the key, e.g. "example.com/x:y=z" has no effect */
    if (colon) {
        effect = xstrdup(colon + 1);
        if (strcmp(effect, "NoSchedule") && strcmp(effect, "PreferNoSchedule") &&
            strcmp(effect, "NoExecute")) {
            df_error_set(err, DF_EUSAGE,
                         "toleration '%s': effect '%s' is not NoSchedule, PreferNoSchedule "
                         "or NoExecute",
                         spec, effect);
            free(effect);
            return NULL;
        }
    }
    if (eq) {
        key = xstrndup(spec, (size_t)(eq - spec));
        value = xstrndup(eq + 1, (size_t)((colon ? colon : spec + strlen(spec)) - eq - 1));
    } else {
        key = xstrndup(spec, (size_t)((colon ? colon : spec + strlen(spec)) - spec));
    }
    if (!*key || strpbrk(key, " \t") || (value && strpbrk(value, " \t:="))) {
        df_error_set(err, DF_EUSAGE,
                     "toleration '%s' is not key=value:Effect, key:Effect or key=value", spec);
        free(key);
        free(value);
        free(effect);
        return NULL;
    }
    t = json_object();
    json_object_set_new(t, "key", ag_jstr(key));
    json_object_set_new(t, "operator", ag_jstr(value ? "Equal" : "Exists"));
    if (value)
        json_object_set_new(t, "value", ag_jstr(value));
    if (effect)
        json_object_set_new(t, "effect", ag_jstr(effect));
    free(key);
    free(value);
    free(effect);
    return t;
}

int df_argo_build(const struct df_pipeline *p, const struct df_argo_opts *o, json_t **out,
                  struct strbuf *warnings, struct df_error *err)
{
    struct ctx c;
    json_t *doc = NULL, *meta = NULL, *labels = NULL, *annotations, *spec = NULL;
    char name[64];
    int rc = -1;

    memset(&c, 0, sizeof(c));
    c.p = p;
    c.o = o;
    *out = NULL;
    if (!o->image || !*o->image)
        return df_error_set(err, DF_EUSAGE, "an image is required (--image)");
    if (!o->store || !*o->store)
        return df_error_set(err, DF_EUSAGE, "a store is required (--store)");
    if (o->kind == DF_ARGO_CRON && o->n_schedules == 0)
        return df_error_set(err, DF_EUSAGE, "a CronWorkflow needs a schedule (--cron)");
    if (ag_cluster_check(o, err))
        return -1;
    if (strncmp(o->store, "s3://", 5) && strncmp(o->store, "gs://", 5))
        ag_warn(warnings,
                "store '%s' is not an s3:// or gs:// URI; every pod must see it at that path",
                o->store);

    if (ag_collect_files(p, &c.files, warnings, err))
        goto done;
    c.pipeline_pod_path = ag_pod_path(&c.files, c.files.v[0].rel);
    ag_bundle_hash(&c.files, c.bundle);
    {
        size_t bytes = 0;
        for (size_t i = 0; i < c.files.n; i++)
            bytes += c.files.v[i].len;
        if (bytes > DF_ARGO_TEMPLATE_OFFLOAD && !o->bundle_in_store)
            ag_warn(warnings,
                    "the pipeline's files (%zu bytes) make the bundle template larger than "
                    "Argo's %d: Argo 3.6+ moves it into a ConfigMap, which the controller's "
                    "role must be allowed to create (docs/argo.md); --upload-bundle avoids it",
                    bytes, DF_ARGO_TEMPLATE_OFFLOAD);
    }
    if (build_names(&c, err))
        goto done;
    ag_node_status_warn(&c, warnings);
    c.tmpl = xcalloc(p->n_steps ? p->n_steps : 1, sizeof(*c.tmpl));
    c.items_tmpl = xcalloc(p->n_steps ? p->n_steps : 1, sizeof(*c.items_tmpl));
    c.param_args = json_array();
    {
        const char *k;
        json_t *v;
        json_object_foreach(p->params, k, v)
        {
            json_array_append_new(c.param_args, ag_jstr("--param"));
            json_array_append_new(c.param_args, ag_jstrf("%s={{workflow.parameters.%s}}", k, k));
        }
    }

    spec = workflow_spec(&c, err);
    if (!spec)
        goto done;

    df_argo_name(o->name ? o->name : p->name, name, sizeof(name));
    doc = json_object();
    meta = json_object();
    json_object_set_new(doc, "apiVersion", ag_jstr("argoproj.io/v1alpha1"));
    json_object_set_new(doc, "kind",
                        ag_jstr(o->kind == DF_ARGO_TEMPLATE ? "WorkflowTemplate"
                                : o->kind == DF_ARGO_CRON   ? "CronWorkflow"
                                                            : "Workflow"));
    if (o->kind == DF_ARGO_WORKFLOW)
        json_object_set_new(meta, "generateName", ag_jstrf("%s-", name));
    else
        json_object_set_new(meta, "name", ag_jstr(name));
    if (o->namespace_)
        json_object_set_new(meta, "namespace", ag_jstr(o->namespace_));
    labels = json_object();
    json_object_set_new(labels, "app.kubernetes.io/name", ag_jstr("duckflow"));
    {
        char pl[64];
        df_argo_name(p->name, pl, sizeof(pl));
        json_object_set_new(labels, "duckflow.io/pipeline", ag_jstr(pl));
    }
    annotations = json_object();
    json_object_set_new(annotations, "duckflow.io/spec-hash", ag_jstr(p->spec_hash));
    ag_cluster_meta(o, labels, annotations);
    json_object_set_new(meta, "labels", json_deep_copy(labels));
    json_object_set_new(meta, "annotations", annotations);
    json_object_set_new(doc, "metadata", meta);

    if (o->kind == DF_ARGO_CRON) {
        json_t *cs = json_object(), *sched = json_array(), *wm = json_object();
        for (size_t i = 0; i < o->n_schedules; i++)
            json_array_append_new(sched, ag_jstr(o->schedules[i]));
        json_object_set_new(cs, "schedules", sched);
        if (o->timezone)
            json_object_set_new(cs, "timezone", ag_jstr(o->timezone));
        /* A run still going when the next is due makes the next wait its turn: two runs
         * of one pipeline would compete for the same memory. */
        ag_cluster_cron(o, cs);
        json_object_set_new(wm, "labels", labels);
        labels = NULL;
        if (o->n_annotations) {
            json_t *an = json_object();
            for (size_t i = 0; i < o->n_annotations; i++)
                json_object_set_new(an, o->annotations[i].key, ag_jstr(o->annotations[i].value));
            json_object_set_new(wm, "annotations", an);
        }
        json_object_set_new(cs, "workflowMetadata", wm);
        json_object_set_new(cs, "workflowSpec", spec);
        spec = NULL;
        json_object_set_new(doc, "spec", cs);
    } else {
        json_object_set_new(doc, "spec", spec);
        spec = NULL;
    }
    *out = doc;
    doc = NULL;
    rc = 0;
done:
    json_decref(labels);
    json_decref(spec);
    json_decref(doc);
    json_decref(c.param_args);
    names_release(&c.names);
    free((void *)c.task);
    free((void *)c.items);
    free((void *)c.tmpl);
    free((void *)c.items_tmpl);
    free(c.pipeline_pod_path);
    ag_ship_release(&c.files);
    return rc;
}
int df_argo_render(const struct df_pipeline *p, const struct df_argo_opts *o, int json,
                   struct strbuf *out, struct strbuf *warnings, struct df_error *err)
{
    json_t *doc = NULL;
    struct strbuf text = STRBUF_INIT;
    int rc = -1;

    if (df_argo_build(p, o, &doc, warnings, err))
        return -1;
    if (ag_check_param_sizes(doc, err))
        goto done;
    if (json) {
        char *s = json_dumps(doc, JSON_INDENT(2));
        if (!s) {
            df_error_set(err, DF_EUSAGE, "cannot encode the manifest as JSON");
            goto done;
        }
        sb_adds(&text, s);
        sb_addc(&text, '\n');
        free(s);
    } else if (df_yaml_emit(doc, &text, err)) {
        df_error_prefix(err, "manifest");
        goto done;
    }
    if (text.len > DF_ARGO_MANIFEST_MAX) {
        df_error_set(err, DF_EUSAGE,
                     "the manifest is %zu bytes, over the %d Argo and Kubernetes accept; %s",
                     text.len, DF_ARGO_MANIFEST_MAX,
                     o->bundle_in_store
                         ? "shorten the params or split the pipeline"
                         : "write the bundle to the store when compiling (--upload-bundle), or "
                           "shorten the SQL or move inputs to the store");
        goto done;
    }
    sb_add(out, text.buf, text.len);
    rc = 0;
done:
    sb_release(&text);
    json_decref(doc);
    return rc;
}
