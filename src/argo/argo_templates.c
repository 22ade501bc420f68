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

static json_t *env_list(struct ctx *c)
{
    const struct df_argo_opts *o = c->o;
    json_t *env = json_array();

    json_array_append_new(env, ag_name_value("TMPDIR", ag_jstr(DF_ARGO_SCRATCH)));
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

static json_t *resources(const struct df_limits *l)
{
    json_t *res = json_object(), *req = json_object(), *lim = json_object();
    char mem[32];

    if (l->memory_limit) {
        /* DuckDB's memory_limit bounds its buffer manager only: allow half as much again
         * for everything else it allocates, plus the process and the store client. */
        uint64_t bytes =
            l->memory_limit + l->memory_limit / 2 + (uint64_t)MEMORY_OVERHEAD_MIB * 1024 * 1024;
        ag_format_mib(bytes, mem, sizeof(mem));
        json_object_set_new(req, "memory", ag_jstr(mem));
        json_object_set_new(lim, "memory", ag_jstr(mem));
    }
    if (l->threads > 0) {
        json_object_set_new(req, "cpu", ag_jstrf("%d", l->threads));
        json_object_set_new(lim, "cpu", ag_jstrf("%d", l->threads));
    }
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
    json_object_set_new(r, "limit", json_integer(retries));
    json_object_set_new(r, "retryPolicy", ag_jstr("Always"));
    /* Exit 1 (SQL error, failed check) and 2 (usage) fail the same way every time. */
    json_object_set_new(
        r, "expression",
        ag_jstr("asInt(lastRetry.exitCode) != 1 && asInt(lastRetry.exitCode) != 2"));
    json_object_set_new(b, "duration", ag_jstr("10s"));
    json_object_set_new(b, "factor", json_integer(2));
    json_object_set_new(r, "backoff", b);
    return r;
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
    json_object_set_new(ct, "env", env_list(c));
    res = resources(l);
    if (json_object_size(res))
        json_object_set_new(ct, "resources", res);
    else
        json_decref(res);
    json_object_set_new(m, "name", ag_jstr("scratch"));
    json_object_set_new(m, "mountPath", ag_jstr(DF_ARGO_SCRATCH));
    json_array_append_new(mounts, m);
    json_object_set_new(ct, "volumeMounts", mounts);
    return ct;
}

static void add_common_args(struct ctx *c, json_t *args)
{
    json_array_append_new(args, ag_jstr("--store"));
    json_array_append_new(args, ag_jstr(c->o->store));
    json_array_extend(args, c->param_args);
}

/* Template metadata labelling its pods with the step's task name, for
 * `kubectl get pods -l duckflow.io/step=merge` (label values allow no leading '_'). */
static json_t *step_metadata(struct ctx *c, size_t i)
{
    json_t *m = json_object(), *labels = json_object();
    json_object_set_new(labels, "duckflow.io/step", ag_jstr(c->task[i]));
    json_object_set_new(m, "labels", labels);
    return m;
}

json_t *ag_step_template(struct ctx *c, size_t i, const struct fanout *f)
{
    const struct df_step *st = &c->p->steps[i];
    json_t *t = json_object(), *inputs = json_object(), *args = json_array();

    json_object_set_new(t, "name", ag_jstr(c->task[i]));
    json_object_set_new(t, "metadata", step_metadata(c, i));
    if (f->kind != FAN_NONE) {
        json_t *params = json_array(), *pi = json_object();
        json_object_set_new(pi, "name", ag_jstr("item"));
        json_array_append_new(params, pi);
        json_object_set_new(inputs, "parameters", params);
    }
    json_object_set_new(inputs, "artifacts", artifacts(c));
    json_object_set_new(t, "inputs", inputs);
    if (st->limits.retries > 0)
        json_object_set_new(t, "retryStrategy", retry_strategy(st->limits.retries));
    if (st->limits.timeout_ms > 0)
        json_object_set_new(t, "activeDeadlineSeconds",
                            json_integer((st->limits.timeout_ms + 999) / 1000));

    json_array_append_new(args, ag_jstr("step"));
    json_array_append_new(args, ag_jstr(c->pipeline_pod_path));
    json_array_append_new(args, ag_jstr("--run"));
    json_array_append_new(args, ag_jstr("{{workflow.name}}"));
    json_array_append_new(args, ag_jstr("--step"));
    json_array_append_new(args, ag_jstr(st->name));
    json_array_append_new(args, ag_jstr("--item"));
    json_array_append_new(args, ag_jstr(f->kind == FAN_NONE ? "0" : "{{inputs.parameters.item}}"));
    json_array_append_new(args, ag_jstr("--attempt"));
    /* {{retries}} is Argo's 0-based retry number; attempts count from 1. It exists only
     * in templates with a retryStrategy. */
    json_array_append_new(args, ag_jstr(st->limits.retries > 0 ? "{{=asInt(retries) + 1}}" : "1"));
    add_common_args(c, args);
    json_object_set_new(t, "container", container(c, args, &st->limits));
    return t;
}

json_t *ag_items_template(struct ctx *c, size_t i)
{
    const struct df_step *st = &c->p->steps[i];
    json_t *t = json_object(), *inputs = json_object(), *args = json_array();

    json_object_set_new(t, "name", ag_jstr(c->items[i]));
    json_object_set_new(t, "metadata", step_metadata(c, i));
    json_object_set_new(inputs, "artifacts", artifacts(c));
    json_object_set_new(t, "inputs", inputs);
    if (st->limits.retries > 0)
        json_object_set_new(t, "retryStrategy", retry_strategy(st->limits.retries));
    if (st->limits.timeout_ms > 0)
        json_object_set_new(t, "activeDeadlineSeconds",
                            json_integer((st->limits.timeout_ms + 999) / 1000));
    json_array_append_new(args, ag_jstr("argo"));
    json_array_append_new(args, ag_jstr("items"));
    json_array_append_new(args, ag_jstr(c->pipeline_pod_path));
    json_array_append_new(args, ag_jstr("--run"));
    json_array_append_new(args, ag_jstr("{{workflow.name}}"));
    json_array_append_new(args, ag_jstr("--step"));
    json_array_append_new(args, ag_jstr(st->name));
    add_common_args(c, args);
    json_object_set_new(t, "container", container(c, args, &st->limits));
    return t;
}

json_t *ag_finish_template(struct ctx *c)
{
    json_t *t = json_object(), *inputs = json_object(), *args = json_array();
    struct df_limits l = {256ULL * 1024 * 1024, 1, 2, 0};

    json_object_set_new(t, "name", ag_jstr("finish"));
    json_object_set_new(inputs, "artifacts", artifacts(c));
    json_object_set_new(t, "inputs", inputs);
    json_object_set_new(t, "retryStrategy", retry_strategy(l.retries));
    json_array_append_new(args, ag_jstr("argo"));
    json_array_append_new(args, ag_jstr("finish"));
    json_array_append_new(args, ag_jstr(c->pipeline_pod_path));
    json_array_append_new(args, ag_jstr("--run"));
    json_array_append_new(args, ag_jstr("{{workflow.name}}"));
    json_array_append_new(args, ag_jstr("--status"));
    json_array_append_new(args, ag_jstr("{{workflow.status}}"));
    json_array_append_new(args, ag_jstr("--created-at"));
    json_array_append_new(args, ag_jstr("{{workflow.creationTimestamp}}"));
    add_common_args(c, args);
    json_object_set_new(t, "container", container(c, args, &l));
    return t;
}
