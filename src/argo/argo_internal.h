/*
 * argo_internal.h - what the files of src/argo that build a manifest share: the build
 * context, the shipped files, fan-out kinds, and small JSON helpers. Not part of argo.h's
 * interface.
 */
#ifndef DF_ARGO_INTERNAL_H
#define DF_ARGO_INTERNAL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "argo/argo.h"

#define PIPELINE_FILE_MAX (8 * 1024 * 1024)
/* Local external inputs small enough to travel inside the manifest (each, and all). */
#define EMBED_FILE_MAX      (64 * 1024)
#define EMBED_TOTAL_MAX     (128 * 1024)
#define MEMORY_OVERHEAD_MIB 256
/* ephemeral-storage asked beyond the scratch emptyDir: the containers' logs. */
#define EPHEMERAL_EXTRA_MIB 256

/* The run id every pod passes: the workflow's name and the first 8 hex digits of the
 * sha256 of its uid, so a workflow name that comes back (argo submit --name, a
 * generateName collision, two clusters on one store) is a new run, while `argo retry`
 * (same workflow, same uid) continues the same one. */
#define DF_ARGO_RUN_ID "{{workflow.name}}-{{=sprig.trunc(8, sprig.sha256sum(workflow.uid))}}"
/* Extra attempts of a step without `retries`: the local executor's default. */
#define DF_ARGO_DEFAULT_RETRIES 2
/* The longest wait between two attempts. */
#define DF_ARGO_BACKOFF_CAP "5m"
/* A retried pod's memory grows by half per retry, up to this factor of the first
 * attempt's unless --max-memory says otherwise. */
#define DF_ARGO_MEMORY_GROWTH     1.5
#define DF_ARGO_MEMORY_MAX_FACTOR 4

struct names {
    char **v;
    size_t n, alloc;
};

struct shipped {
    char *abs;  /* normalised absolute path on this machine */
    char *rel;  /* relative to the pipeline's folder */
    char *data; /* the text */
    size_t len;
    int ups;
};

struct ship {
    struct shipped *v;
    size_t n, alloc;
    int max_ups;
    size_t embedded_bytes; /* of local input files */
};

enum fan {
    FAN_NONE,
    FAN_SEQUENCE, /* withSequence count */
    FAN_ITEMS,    /* withItems [{index, value}] */
    FAN_PARAM,    /* withParam from an items task */
};

struct fanout {
    enum fan kind;
    size_t root; /* the step whose items these are (itself unless `each`) */
};

struct ctx {
    const struct df_pipeline *p;
    const struct df_argo_opts *o;
    struct ship files;
    char *pipeline_pod_path;
    const char **task;       /* per step: its task and template name */
    const char **items;      /* per step: its items task name, or NULL for static steps */
    const char **tmpl;       /* per step: the (shared) template its task runs */
    const char **items_tmpl; /* per step: its items task's template, or NULL */
    struct names names;
    json_t *param_args; /* ["--param", "k={{workflow.parameters.k}}", ...] */
    char bundle[65];    /* the bundle's hash */
};

/* ---- argo_params.c: JSON helpers, params, fan-out, DAG tasks ---- */
json_t *ag_jstr(const char *s);
json_t *ag_jstrf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
json_t *ag_name_value(const char *name, json_t *value);
/* A param's value as Argo passes it (a string). Caller free()s. */
char *ag_param_text(const json_t *v);
/* A byte count as a Kubernetes quantity: "20Gi", or whole MiB ("1792Mi"). */
void ag_format_mib(uint64_t bytes, char *out, size_t n);
int ag_fanout_of(const struct df_pipeline *p, size_t step, struct fanout *f, struct df_error *err);
/* Items per pod of a fan-out: its root step's `argo: {tasks_per_pod: N}`, at least 1. */
int ag_tasks_per_pod(const struct df_pipeline *p, const struct fanout *f);
json_t *ag_step_deps(struct ctx *c, size_t i);
json_t *ag_step_task(struct ctx *c, size_t i, const struct fanout *f);
json_t *ag_items_task(struct ctx *c, size_t i);
/* The first task, writing the bundle. */
json_t *ag_bundle_task(void);
int ag_check_param_sizes(const json_t *doc, struct df_error *err);

/* ---- argo_templates.c: container templates ---- */
json_t *ag_step_template(struct ctx *c, size_t i, const struct fanout *f);
json_t *ag_items_template(struct ctx *c, size_t i);
json_t *ag_finish_template(struct ctx *c);
json_t *ag_bundle_template(struct ctx *c);

/* ---- argo_files.c: shipped files ---- */
void ag_warn(struct strbuf *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int ag_collect_files(const struct df_pipeline *p, struct ship *s, struct strbuf *warnings,
                     struct df_error *err);
void ag_ship_release(struct ship *s);
/* The path of a shipped file (relative to the pipeline) inside a pod. Caller free()s. */
char *ag_pod_path(const struct ship *s, const char *rel);

/* ---- argo_cluster.c: the operator's options ---- */
/* Checks them (DF_EUSAGE naming the bad value). */
int ag_cluster_check(const struct df_argo_opts *o, struct df_error *err);
/* Adds them to the workflow spec. */
void ag_cluster_spec(const struct df_argo_opts *o, json_t *spec);
/* Adds the labels and annotations to the object's metadata maps. */
void ag_cluster_meta(const struct df_argo_opts *o, json_t *labels, json_t *annotations);
/* The CronWorkflow's concurrencyPolicy, startingDeadlineSeconds and history limits. */
void ag_cluster_cron(const struct df_argo_opts *o, json_t *cs);
/* A cron schedule as Argo's controller reads it (5 fields, names, @daily, @every D). */
int ag_cron_check(const char *expr, struct df_error *err);
/* An IANA time zone (checked against /usr/share/zoneinfo where it exists). */
int ag_timezone_check(const char *tz, struct df_error *err);

/* ---- argo_bundle.c ---- */
/* The bundle's hash over the shipped files' paths and bytes (64 hex digits). */
void ag_bundle_hash(const struct ship *s, char out[65]);
/* The pipeline file's path inside the bundle. Caller free()s. */
char *ag_bundle_pipeline_path(const struct ship *s);

#endif
