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
/* Warns when the fan-outs whose size is known now (ranges, values; params at their values)
 * would make Argo's node status pass the 1 MiB a workflow object may hold. */
void ag_node_status_warn(struct ctx *c, struct strbuf *warnings);

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
/* One label (values set) or annotation: 0, -1 when its key is bad, -2 when its value is
 * (DF_EUSAGE naming it, `what` first: "label"). */
int ag_kv_check(const char *what, const struct df_argo_kv *kv, int values, struct df_error *err);
/* 1 when s is a Kubernetes object name (DNS-1123 subdomain). */
int ag_k8s_name(const char *s);
/* A cron schedule as Argo's controller reads it (5 fields, names, @daily, @every D). */
int ag_cron_check(const char *expr, struct df_error *err);
/* An IANA time zone (checked against /usr/share/zoneinfo where it exists). */
int ag_timezone_check(const char *tz, struct df_error *err);

/* ---- argo_hooks.c: exit hooks beside `finish`, per-task metrics ---- */
/* The name of the exit handler template when there are hooks. */
#define AG_EXIT_TEMPLATE "exit"
/* An exit hook's reference ("WFT/TEMPLATE" or "cluster/CWFT/TEMPLATE"; NULL is fine):
 * DF_EUSAGE naming option and value when malformed. */
int ag_hook_check(const char *option, const char *ref, struct df_error *err);
/* The exit handler DAG: `finish`, then each hook with its `when`. NULL without hooks. */
json_t *ag_exit_template(const struct df_argo_opts *o);
/* Adds outputs (rows, bytes, rss from the files `argo step --metrics-dir` writes) and
 * metrics.prometheus (duration, rows, bytes, peak RSS gauges labelled step and pipeline)
 * to a step's template. */
void ag_metrics_add(struct ctx *c, json_t *t);
/* Where a pod writes its metrics (under the scratch emptyDir). */
#define AG_METRICS_DIR DF_ARGO_SCRATCH "/.metrics"

/* ---- argo_groups.c: DAG templates under 16 KiB ---- */
/* The largest template (compact JSON) a manifest holds, the goal: a DAG over it
 * is split into nested groups. */
#define AG_TEMPLATE_MAX (16 * 1024)
/* AG_TEMPLATE_MAX, or the smaller DUCKFLOW_ARGO_TEMPLATE_MAX (tests split small DAGs). */
size_t ag_template_max(void);
/* Leaves main_t (a DAG template) as it is when it fits; else splits its tasks into group
 * templates inserted into templates after `main` (index 0), main_t keeping one task per
 * group. glue[k] != 0 keeps task k in the group of task k + 1 (an items task with its
 * step). DF_EUSAGE when no split fits. */
int ag_split_dag(struct ctx *c, json_t *templates, json_t *main_t, const unsigned char *glue,
                 struct df_error *err);
/* A template or task name not taken yet: base, base-2, ... (argo_workflow.c). */
const char *ag_names_take(struct ctx *c, const char *base);

/* ---- argo_bundle.c ---- */
/* The bundle's hash over the shipped files' paths and bytes (64 hex digits). */
void ag_bundle_hash(const struct ship *s, char out[65]);
/* The pipeline file's path inside the bundle. Caller free()s. */
char *ag_bundle_pipeline_path(const struct ship *s);

#endif
