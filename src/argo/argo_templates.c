/*
 * argo_templates.c - the container templates of a manifest: one per step, one per dynamic step's
 * items task, and the exit handler `finish`; their containers, env, resources, retries.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argo/argo_internal.h"

#include "util/banned.h"

static json_t *artifacts(struct ctx *c)
{
    json_t *arts = json_array();
    for (size_t i = 0; i < c->files.n; i++) {
        const struct shipped *f = &c->files.v[i];
        json_t *a = json_object();
        char *path = ag_pod_path(&c->files, f->rel);
        json_object_set_new(a, "name", i == 0 ? ag_jstr("pipeline") : ag_jstrf("file-%zu", i));
        json_object_set_new(a, "path", ag_jstr(path));
        json_t *raw = json_object();
        json_object_set_new(raw, "data", json_stringn(f->data, f->len));
        json_object_set_new(a, "raw", raw);
        json_array_append_new(arts, a);
        free(path);
    }
    return arts;
}

static uint64_t scratch_bytes(struct ctx *c, const struct df_limits *l);

static json_t *env_list(struct ctx *c, uint64_t scratch)
{
    const struct df_argo_opts *o = c->o;
    json_t *env = json_array();

    json_array_append_new(env, ag_name_value("TMPDIR", ag_jstr(DF_ARGO_SCRATCH)));
    /* The root file system is read-only: anything that writes under $HOME writes to
     * scratch. */
    json_array_append_new(env, ag_name_value("HOME", ag_jstr(DF_ARGO_SCRATCH)));
    /* The scratch emptyDir's size: statvfs in the pod sees the node's disk, not this. */
    json_array_append_new(
        env, ag_name_value("DUCKFLOW_SCRATCH_SIZE", ag_jstrf("%llu", (unsigned long long)scratch)));
    /* A cap of the automatic batching other than the default (DUCKFLOW_ARGO_AUTO_PODS when
     * compiling, for tests) goes to the pods, which split the items by it (argo.h). */
    if (df_argo_auto_pods() != DF_ARGO_AUTO_PODS)
        json_array_append_new(
            env, ag_name_value("DUCKFLOW_ARGO_AUTO_PODS", ag_jstrf("%zu", df_argo_auto_pods())));
    if (o->s3_secret) {
        static const char *const keys[] = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                           "AWS_SESSION_TOKEN"};
        for (size_t i = 0; i < 3; i++) {
            json_t *e = json_object(), *ref = json_object(), *from = json_object();
            json_object_set_new(ref, "name", ag_jstr(o->s3_secret));
            json_object_set_new(ref, "key", ag_jstr(keys[i]));
            if (i == 2)
                json_object_set_new(ref, "optional", json_true());
            json_object_set_new(from, "secretKeyRef", ref);
            json_object_set_new(e, "name", ag_jstr(keys[i]));
            json_object_set_new(e, "valueFrom", from);
            json_array_append_new(env, e);
        }
    }
    /* duckflow's own endpoint variables (docs/s3.md): they steer the store and nothing
     * else (AWS_ENDPOINT_URL would also redirect the SDK-style lookups of other services). */
    int gcs = !strncmp(o->store, "gs://", 5);
    if (o->s3_endpoint)
        json_array_append_new(env,
                              ag_name_value(gcs ? "DUCKFLOW_GCS_ENDPOINT" : "DUCKFLOW_S3_ENDPOINT",
                                            ag_jstr(o->s3_endpoint)));
    if (o->s3_region)
        json_array_append_new(
            env, ag_name_value(gcs ? "DUCKFLOW_GCS_REGION" : "AWS_REGION", ag_jstr(o->s3_region)));
    return env;
}

/* A pod's memory (request = limit) for DuckDB's memory_limit: DuckDB's limit bounds its
 * buffer manager only, so half as much again for everything else it allocates, plus the
 * process and the store client. */
static uint64_t pod_memory(uint64_t memory_limit)
{
    return memory_limit + memory_limit / 2 + (uint64_t)MEMORY_OVERHEAD_MIB * 1024 * 1024;
}

/* The scratch emptyDir's size for a template: the step's `scratch`, else --scratch-size,
 * else DF_ARGO_SCRATCH_DEFAULT. */
static uint64_t scratch_bytes(struct ctx *c, const struct df_limits *l)
{
    return l->scratch           ? l->scratch
           : c->o->scratch_size ? c->o->scratch_size
                                : DF_ARGO_SCRATCH_DEFAULT;
}

/* The template's own `scratch` emptyDir (each template sizes its own, so steps of
 * different `scratch` can differ). */
static void add_scratch_volume(struct ctx *c, json_t *t, const struct df_limits *l)
{
    json_t *vols = json_array(), *vol = json_object(), *ed = json_object();
    char size[32];
    ag_format_mib(scratch_bytes(c, l), size, sizeof(size));
    json_object_set_new(ed, "sizeLimit", ag_jstr(size));
    json_object_set_new(vol, "name", ag_jstr("scratch"));
    json_object_set_new(vol, "emptyDir", ed);
    json_array_append_new(vols, vol);
    json_object_set_new(t, "volumes", vols);
}

static json_t *resources(struct ctx *c, const struct df_limits *l)
{
    json_t *res = json_object(), *req = json_object(), *lim = json_object();
    char mem[32], eph[32];

    if (l->memory_limit) {
        /* DuckDB's memory_limit bounds its buffer manager only: allow half as much again
         * for everything else it allocates, plus the process and the store client. */
        uint64_t bytes = pod_memory(l->memory_limit);
        ag_format_mib(bytes, mem, sizeof(mem));
        json_object_set_new(req, "memory", ag_jstr(mem));
        json_object_set_new(lim, "memory", ag_jstr(mem));
    }
    if (l->threads > 0) {
        json_object_set_new(req, "cpu", ag_jstrf("%d", l->threads));
        json_object_set_new(lim, "cpu", ag_jstrf("%d", l->threads));
    }
    /* The scheduler counts the disk a pod needs: its scratch emptyDir plus room for its
     * logs. The task itself keeps spill and staging under the scratch size
     * (DUCKFLOW_SCRATCH_SIZE), so it fails spill_full before the kubelet evicts it. */
    ag_format_mib(scratch_bytes(c, l) + (uint64_t)EPHEMERAL_EXTRA_MIB * 1024 * 1024, eph,
                  sizeof(eph));
    json_object_set_new(req, "ephemeral-storage", ag_jstr(eph));
    json_object_set_new(lim, "ephemeral-storage", ag_jstr(eph));
    if (json_object_size(req)) {
        json_object_set_new(res, "requests", req);
        json_object_set_new(res, "limits", lim);
    } else {
        json_decref(req);
        json_decref(lim);
    }
    return res;
}

static json_t *retry_strategy(int retries)
{
    json_t *r = json_object(), *b = json_object();
    /* IntOrString fields are written as strings: Argo's JSON schema declares them so, and
     * its CRDs accept both. */
    json_object_set_new(r, "limit", ag_jstrf("%d", retries));
    json_object_set_new(r, "retryPolicy", ag_jstr("Always"));
    /* Exit 1 (SQL error, failed check) and 2 (usage) fail the same way every time. */
    json_object_set_new(
        r, "expression",
        ag_jstr("asInt(lastRetry.exitCode) != 1 && asInt(lastRetry.exitCode) != 2"));
    /* 10 s, 20 s, 40 s, ... never more than DF_ARGO_BACKOFF_CAP between two attempts. */
    json_object_set_new(b, "duration", ag_jstr("10s"));
    json_object_set_new(b, "factor", ag_jstr("2"));
    json_object_set_new(b, "cap", ag_jstr(DF_ARGO_BACKOFF_CAP));
    json_object_set_new(r, "backoff", b);
    return r;
}

/* The extra attempts of a step on Argo: its `retries`, or the local executor's default. */
static int step_retries(const struct df_limits *l)
{
    return l->retries >= 0 ? l->retries : DF_ARGO_DEFAULT_RETRIES;
}

/*
 * podSpecPatch for a retried step with a memory limit: the main container's memory grows
 * by DF_ARGO_MEMORY_GROWTH per retry ({{retries}}), up to max_memory (the option, else
 * DF_ARGO_MEMORY_MAX_FACTOR times the first attempt's), so an attempt the kernel killed
 * for memory (exit 137) is not retried with the same amount. Argo exposes the last exit
 * code only to retryStrategy.expression, so every retry grows, whatever failed it.
 */
static json_t *memory_patch(struct ctx *c, const struct df_limits *l, int retries)
{
    uint64_t base = pod_memory(l->memory_limit), max = c->o->max_memory, cur = base;
    struct strbuf ex = STRBUF_INIT;
    char q[32];
    json_t *v;

    if (!l->memory_limit || retries <= 0)
        return NULL;
    if (max == 0)
        max = base * DF_ARGO_MEMORY_MAX_FACTOR;
    if (max <= base)
        return NULL;
    sb_adds(&ex, "{{=");
    for (int r = 0; r < retries && cur < max; r++) {
        ag_format_mib(cur, q, sizeof(q));
        sb_addf(&ex, "asInt(retries) < %d ? '%s' : ", r + 1, q);
        cur = cur + cur / 2 > max ? max : cur + cur / 2;
    }
    ag_format_mib(cur, q, sizeof(q));
    sb_addf(&ex, "'%s'}}", q);
    v = ag_jstrf("{\"containers\":[{\"name\":\"main\",\"resources\":{\"requests\":{"
                 "\"memory\":\"%s\"},\"limits\":{\"memory\":\"%s\"}}}]}",
                 ex.buf, ex.buf);
    sb_release(&ex);
    return v;
}

/* What the "restricted" Pod Security Standard asks of every container; the root file
 * system is read-only too: tasks write to /scratch only. */
static json_t *container_security(void)
{
    json_t *sc = json_object(), *caps = json_object(), *drop = json_array(), *sp = json_object();
    json_object_set_new(sc, "allowPrivilegeEscalation", json_false());
    json_array_append_new(drop, ag_jstr("ALL"));
    json_object_set_new(caps, "drop", drop);
    json_object_set_new(sc, "capabilities", caps);
    json_object_set_new(sc, "readOnlyRootFilesystem", json_true());
    json_object_set_new(sc, "runAsNonRoot", json_true());
    json_object_set_new(sp, "type", ag_jstr("RuntimeDefault"));
    json_object_set_new(sc, "seccompProfile", sp);
    return sc;
}

/* The container of a template running `duckflow <args...>`. */
static json_t *container(struct ctx *c, json_t *args, const struct df_limits *l)
{
    json_t *ct = json_object(), *mounts = json_array(), *m = json_object();
    json_t *res;

    json_object_set_new(ct, "image", ag_jstr(c->o->image));
    if (c->o->pull_policy)
        json_object_set_new(ct, "imagePullPolicy", ag_jstr(c->o->pull_policy));
    json_t *cmd = json_array();
    json_array_append_new(cmd, ag_jstr(c->o->command ? c->o->command : "duckflow"));
    json_object_set_new(ct, "command", cmd);
    json_object_set_new(ct, "args", args);
    json_object_set_new(ct, "env", env_list(c, scratch_bytes(c, l)));
    res = resources(c, l);
    if (json_object_size(res))
        json_object_set_new(ct, "resources", res);
    else
        json_decref(res);
    json_object_set_new(m, "name", ag_jstr("scratch"));
    json_object_set_new(m, "mountPath", ag_jstr(DF_ARGO_SCRATCH));
    json_array_append_new(mounts, m);
    json_object_set_new(ct, "volumeMounts", mounts);
    json_object_set_new(ct, "securityContext", container_security());
    return ct;
}

/* The pipeline a pod runs: its name and bundle, which the pod reads from the store. */
static void add_bundle_args(struct ctx *c, json_t *args)
{
    json_array_append_new(args, ag_jstr(c->p->name));
    json_array_append_new(args, ag_jstr("--bundle"));
    json_array_append_new(args, ag_jstr(c->bundle));
}

static void set_inputs(json_t *t, json_t *inputs)
{
    if (json_object_size(inputs))
        json_object_set_new(t, "inputs", inputs);
    else
        json_decref(inputs);
}

static void add_common_args(struct ctx *c, json_t *args)
{
    json_array_append_new(args, ag_jstr("--store"));
    json_array_append_new(args, ag_jstr(c->o->store));
    json_array_extend(args, c->param_args);
}

/* Template metadata labelling its pods with the step's task name, for
 * `kubectl get pods -l duckflow.io/step=merge` (task names are valid label values). */
static json_t *step_metadata(void)
{
    json_t *m = json_object(), *labels = json_object();
    json_object_set_new(labels, "duckflow.io/step", ag_jstr("{{inputs.parameters.step}}"));
    json_object_set_new(m, "labels", labels);
    return m;
}

/* inputs.parameters: the step (its task name), and the item for a loop. */
static json_t *step_inputs(int item)
{
    json_t *inputs = json_object(), *params = json_array(), *ps = json_object();
    json_object_set_new(ps, "name", ag_jstr("step"));
    json_array_append_new(params, ps);
    if (item) {
        json_t *pi = json_object();
        json_object_set_new(pi, "name", ag_jstr("item"));
        json_array_append_new(params, pi);
    }
    json_object_set_new(inputs, "parameters", params);
    return inputs;
}

/* What the templates of a step and of its items task share: labels, inputs, retries,
 * deadline and the memory growth of retried pods. */
static void step_common(struct ctx *c, json_t *t, const struct df_limits *l, int item)
{
    int retries = step_retries(l);
    json_t *patch;

    json_object_set_new(t, "metadata", step_metadata());
    json_object_set_new(t, "inputs", step_inputs(item));
    if (retries > 0)
        json_object_set_new(t, "retryStrategy", retry_strategy(retries));
    if (l->timeout_ms > 0)
        json_object_set_new(t, "activeDeadlineSeconds",
                            ag_jstrf("%lld", (long long)((l->timeout_ms + 999) / 1000)));
    if ((patch = memory_patch(c, l, retries)))
        json_object_set_new(t, "podSpecPatch", patch);
    add_scratch_volume(c, t, l);
}

/* A step's template, without a name: every step of the same shape (fan-out, limits)
 * shares it, and the step's task passes the step (its task name; `argo step` maps it
 * back) and the item as parameters. */
json_t *ag_step_template(struct ctx *c, size_t i, const struct fanout *f)
{
    const struct df_step *st = &c->p->steps[i];
    json_t *t = json_object(), *args = json_array();
    int retries = step_retries(&st->limits);

    step_common(c, t, &st->limits, f->kind != FAN_NONE);
    json_array_append_new(args, ag_jstr("argo"));
    json_array_append_new(args, ag_jstr("step"));
    add_bundle_args(c, args);
    json_array_append_new(args, ag_jstr("--run"));
    json_array_append_new(args, ag_jstr(DF_ARGO_RUN_ID));
    json_array_append_new(args, ag_jstr("--step"));
    json_array_append_new(args, ag_jstr("{{inputs.parameters.step}}"));
    json_array_append_new(args, ag_jstr("--item"));
    json_array_append_new(args, ag_jstr(f->kind == FAN_NONE ? "0" : "{{inputs.parameters.item}}"));
    json_array_append_new(args, ag_jstr("--attempt"));
    /* {{retries}} is Argo's 0-based retry number; attempts count from 1. It exists only
     * in templates with a retryStrategy. */
    json_array_append_new(args, ag_jstr(retries > 0 ? "{{=asInt(retries) + 1}}" : "1"));
    if (f->kind != FAN_NONE && ag_tasks_per_pod(c->p, f) > 1) {
        json_array_append_new(args, ag_jstr("--tasks-per-pod"));
        json_array_append_new(args, ag_jstrf("%d", ag_tasks_per_pod(c->p, f)));
    }
    if (c->o->metrics) {
        json_array_append_new(args, ag_jstr("--metrics-dir"));
        json_array_append_new(args, ag_jstr(AG_METRICS_DIR));
    }
    add_common_args(c, args);
    json_object_set_new(t, "container", container(c, args, &st->limits));
    if (c->o->metrics)
        ag_metrics_add(c, t);
    return t;
}

/* A dynamic step's items template, without a name (shared like ag_step_template's). */
json_t *ag_items_template(struct ctx *c, size_t i)
{
    const struct df_step *st = &c->p->steps[i];
    json_t *t = json_object(), *args = json_array();

    step_common(c, t, &st->limits, 0);
    json_array_append_new(args, ag_jstr("argo"));
    json_array_append_new(args, ag_jstr("items"));
    add_bundle_args(c, args);
    json_array_append_new(args, ag_jstr("--run"));
    json_array_append_new(args, ag_jstr(DF_ARGO_RUN_ID));
    json_array_append_new(args, ag_jstr("--step"));
    json_array_append_new(args, ag_jstr("{{inputs.parameters.step}}"));
    if (st->tasks_per_pod > 1) {
        json_array_append_new(args, ag_jstr("--tasks-per-pod"));
        json_array_append_new(args, ag_jstrf("%d", st->tasks_per_pod));
    }
    add_common_args(c, args);
    json_object_set_new(t, "container", container(c, args, &st->limits));
    return t;
}

json_t *ag_finish_template(struct ctx *c)
{
    json_t *t = json_object(), *inputs = json_object(), *args = json_array();
    struct df_limits l = {256ULL * 1024 * 1024, 1, 2, 0, 0};

    json_object_set_new(t, "name", ag_jstr("finish"));
    set_inputs(t, inputs);
    json_object_set_new(t, "retryStrategy", retry_strategy(l.retries));
    json_array_append_new(args, ag_jstr("argo"));
    json_array_append_new(args, ag_jstr("finish"));
    add_bundle_args(c, args);
    json_array_append_new(args, ag_jstr("--run"));
    json_array_append_new(args, ag_jstr(DF_ARGO_RUN_ID));
    json_array_append_new(args, ag_jstr("--status"));
    json_array_append_new(args, ag_jstr("{{workflow.status}}"));
    json_array_append_new(args, ag_jstr("--created-at"));
    json_array_append_new(args, ag_jstr("{{workflow.creationTimestamp}}"));
    add_common_args(c, args);
    add_scratch_volume(c, t, &l);
    json_object_set_new(t, "container", container(c, args, &l));
    return t;
}

/* The workflow's first pod: the only template that carries the pipeline's files (raw
 * artifacts under /pipeline); `duckflow argo bundle` writes them to the store once per
 * bundle hash for every other pod. */
json_t *ag_bundle_template(struct ctx *c)
{
    json_t *t = json_object(), *inputs = json_object(), *args = json_array();
    struct df_limits l = {256ULL * 1024 * 1024, 1, DF_ARGO_DEFAULT_RETRIES, 0, 0};

    json_object_set_new(t, "name", ag_jstr("bundle"));
    json_object_set_new(inputs, "artifacts", artifacts(c));
    json_object_set_new(t, "inputs", inputs);
    json_object_set_new(t, "retryStrategy", retry_strategy(l.retries));
    json_array_append_new(args, ag_jstr("argo"));
    json_array_append_new(args, ag_jstr("bundle"));
    json_array_append_new(args, ag_jstr(c->pipeline_pod_path));
    json_array_append_new(args, ag_jstr("--bundle"));
    json_array_append_new(args, ag_jstr(c->bundle));
    add_common_args(c, args);
    add_scratch_volume(c, t, &l);
    json_object_set_new(t, "container", container(c, args, &l));
    return t;
}
