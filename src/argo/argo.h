/*
 * argo.h - compiles a pipeline into an Argo Workflows manifest (DESIGN.md §4), and the
 * two small jobs the manifest's own pods run besides `duckflow step`: listing a dynamic
 * step's item indices for `withParam`, and recording the run's end in run.json.
 *
 * The manifest (a Workflow, a WorkflowTemplate or a CronWorkflow):
 *   - one DAG template `main` (split into nested DAG templates, groups, when it would
 *     pass 16 KiB: argo_groups.c); one task per step, a container template per shape
 *     of step, running
 *     `duckflow step <pipeline> --run {{workflow.name}} --step S --item I --attempt N
 *     --store URI --param k={{workflow.parameters.k}}..`;
 *   - fan-out: `range` -> withSequence (count from the workflow parameter when the range
 *     came from one), `values` -> withItems of {index, value}, `files` and `rows` -> an
 *     extra task `<step>-items` running `duckflow argo items`, whose stdout (a JSON list
 *     of item indices; the items themselves stay in the store's _items.json) feeds
 *     withParam; `each` mirrors the fan-out of the step it maps;
 *   - the pipeline file and its SQL files travel as `raw` input artifacts written at
 *     their paths relative to the pipeline (under /pipeline in the pod);
 *   - resources from memory_limit and threads (memory * 1.5 + 256 MiB; cpu = threads),
 *     retryStrategy from retries, activeDeadlineSeconds from timeout, an emptyDir at
 *     /scratch (TMPDIR) for spill and staging, credentials from a Kubernetes secret;
 *   - pods labelled with the pipeline and the step, running as uid 10001 (non-root);
 *   - an exit handler running `duckflow argo finish`, which writes run.json (with exit
 *     hooks, a DAG running it and then the user's templates; argo_hooks.c);
 *   - with metrics, Prometheus gauges per step template (argo_hooks.c, argo_metrics.c).
 * The result is deterministic: the same pipeline and options give the same bytes.
 */
#ifndef DF_ARGO_H
#define DF_ARGO_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "spec/spec.h"
#include "store/store.h"
#include "util/error.h"
#include "util/strbuf.h"

enum df_argo_kind {
    DF_ARGO_WORKFLOW = 0,
    DF_ARGO_TEMPLATE, /* WorkflowTemplate */
    DF_ARGO_CRON,     /* CronWorkflow */
};

/* Where the pipeline's files are put inside each pod. */
#define DF_ARGO_PIPELINE_ROOT "/pipeline"
/* The scratch emptyDir's mount point (also the pods' TMPDIR). */
#define DF_ARGO_SCRATCH "/scratch"
/* Argo's limit on a parameter value and on an output result (bytes). */
#define DF_ARGO_PARAM_MAX (256 * 1024)
/* The largest manifest `duckflow argo` prints: Kubernetes objects live in etcd, whose
 * default request limit is 1.5 MiB, and Argo adds status to the same object. */
#define DF_ARGO_MANIFEST_MAX (1024 * 1024)
/* Templates larger than this are moved by Argo 3.6+ into a ConfigMap per pod. */
#define DF_ARGO_TEMPLATE_OFFLOAD (128 * 1024)

struct df_argo_kv {
    const char *key;
    const char *value;
};

/* What `duckflow argo` was asked for; the caller owns every string. */
struct df_argo_opts {
    enum df_argo_kind kind;
    const char *image;      /* required: the duckflow image */
    const char *store;      /* required: store URI the pods use (s3://, gs://) */
    const char *name;       /* metadata name (generateName prefix for a Workflow);
                             * NULL = the pipeline's name */
    const char *namespace_; /* metadata.namespace, or NULL */
    const char *service_account;
    const char *s3_secret;        /* secret with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
                                   * (and optionally AWS_SESSION_TOKEN), or NULL */
    const char *s3_endpoint;      /* the pods' endpoint: DUCKFLOW_S3_ENDPOINT, or
                                   * DUCKFLOW_GCS_ENDPOINT for a gs:// store; or NULL */
    const char *s3_region;        /* AWS_REGION (DUCKFLOW_GCS_REGION for gs://), or NULL */
    const char *pull_policy;      /* Always, IfNotPresent, Never, or NULL */
    const char *const *schedules; /* CronWorkflow: cron expressions (at least one) */
    size_t n_schedules;
    const char *timezone; /* CronWorkflow, or NULL */
    const struct df_argo_kv *node_selector;
    size_t n_node_selector;
    const char *const *tolerations; /* "key=value:Effect", "key:Effect", "key=value", "key" */
    size_t n_tolerations;
    int parallelism;       /* spec.parallelism; 0 = none */
    uint64_t scratch_size; /* emptyDir sizeLimit in bytes; 0 = DF_ARGO_SCRATCH_DEFAULT */
    const char *command;   /* the program in the image; NULL = "duckflow" */
    uint64_t max_memory;   /* the most memory a retried pod grows to; 0 = 4x its first */
    /* Cluster options (argo_cluster.c validates them; NULL / 0 / -1 = not set). */
    const char *pod_gc;               /* podGC.strategy */
    int64_t ttl_seconds;              /* ttlStrategy.secondsAfterCompletion; 0 = none */
    int64_t ttl_success, ttl_failure; /* ttlStrategy.secondsAfterSuccess, secondsAfterFailure */
    int64_t deadline_seconds;         /* the workflow's activeDeadlineSeconds; 0 = none */
    const char *const *pull_secrets;  /* imagePullSecrets */
    size_t n_pull_secrets;
    const char *priority_class;                    /* podPriorityClassName */
    const struct df_argo_kv *labels, *annotations; /* the object's and its workflows' */
    size_t n_labels, n_annotations;
    const char *mutex;                 /* synchronization.mutexes[0].name */
    const char *semaphore;             /* "CONFIGMAP:KEY" -> synchronization.semaphores[0] */
    int64_t starting_deadline_seconds; /* CronWorkflow; 0 = none */
    int history_limit;                 /* CronWorkflow: successful and failed kept; 0 = Argo's */
    const char *concurrency_policy;    /* CronWorkflow: Allow, Forbid (default), Replace */
    int bundle_in_store;               /* the bundle was written to the store when compiling
                                        * (--upload-bundle): no `bundle` template or task */
    const json_t *affinity;            /* the pods' affinity (from the `argo:` section), or NULL */
    /* Exit hooks beside `finish` (argo_hooks.c): a template of a WorkflowTemplate,
     * "WORKFLOWTEMPLATE/TEMPLATE", or of a ClusterWorkflowTemplate,
     * "cluster/CLUSTERWORKFLOWTEMPLATE/TEMPLATE", run after `finish` when the workflow
     * succeeded (on_success) or did not (on_failure); NULL = none. */
    const char *on_success, *on_failure;
    int metrics; /* per-task Prometheus gauges (duration, rows, bytes, peak RSS) */
};

/* Memory that df_argo_apply_section() allocates for the options it fills. */
struct df_argo_owned {
    void **v;
    size_t n;
};

/*
 * Fills every option of o that is not set (flags win, option by option) from the
 * pipeline's `argo:` section (spec.h), checking each value as its flag is checked.
 * Strings point into p (keep p alive while o is used); lists are allocated into own
 * (df_argo_owned_release()). Errors: DF_EUSAGE "FILE:LINE:COL: argo.KEY: what is wrong".
 */
int df_argo_apply_section(const struct df_pipeline *p, struct df_argo_opts *o,
                          struct df_argo_owned *own, struct df_error *err);
void df_argo_owned_release(struct df_argo_owned *own);

#define DF_ARGO_SCRATCH_DEFAULT (20ULL * 1024 * 1024 * 1024)

/*
 * Builds the manifest as a JSON tree (caller json_decref()s *out). Warnings (inputs that
 * pods cannot read, a store that is not an object store) are appended to warnings, one
 * line each, when warnings is not NULL.
 * Errors: DF_EUSAGE for bad options (a toleration that does not parse, a missing image or
 * store, no schedule for a CronWorkflow) or a pipeline that cannot be shipped (a file that
 * is not UTF-8 text); DF_EIO when a pipeline or SQL file cannot be read.
 */
int df_argo_build(const struct df_pipeline *p, const struct df_argo_opts *o, json_t **out,
                  struct strbuf *warnings, struct df_error *err);

/*
 * Builds the manifest and writes it as YAML (or as JSON when json is non-zero) into out.
 * Fails with DF_EUSAGE when the text exceeds DF_ARGO_MANIFEST_MAX or a parameter
 * exceeds DF_ARGO_PARAM_MAX.
 */
int df_argo_render(const struct df_pipeline *p, const struct df_argo_opts *o, int json,
                   struct strbuf *out, struct strbuf *warnings, struct df_error *err);

/*
 * The withParam list of a dynamic step's tasks: computes (or reads) the step's items with
 * df_plan_items(), which keeps them in the store as _items.json, and appends the JSON list
 * of their indices ("[0,1,2]") to out; with per_pod > 1, of the groups of per_pod items. Indices
 * keep the list small (5,000 items take about 24 KB; Argo allows DF_ARGO_PARAM_MAX); a list that
 * would still exceed it fails with DF_EUSAGE. Errors of df_plan_items() pass through.
 */
int df_argo_item_indices(const struct df_pipeline *p, size_t step, struct df_store *store,
                         const char *run_id, int per_pod, struct strbuf *out, struct df_error *err);

/* The end of a run on Argo, as the exit handler reports it. */
struct df_argo_finish {
    const char *run_id;          /* the workflow's name */
    const char *workflow_status; /* {{workflow.status}}: Succeeded, Failed or Error */
    const char *created_at;      /* {{workflow.creationTimestamp}} (RFC 3339), or NULL */
};

/*
 * Writes the run's record <pipeline>/runs/<run>/run.json in the format the executor uses
 * (docs/store.md): pipeline, run id, spec hash, params, status ("succeeded" for Argo's
 * Succeeded, "failed" for Failed and Error; "workflow_status" keeps Argo's word),
 * "executor": "argo", started_at (the workflow's creation time, else an earlier record's,
 * else now), updated_at and finished_at (now), elapsed_ms, and per step (`steps[]`) and in
 * all (`tasks_total`, `tasks_done`, `tasks_failed`) the tasks planned and committed, with
 * rows, bytes and task time summed from the committed manifests. Planned counts come from
 * the pipeline for static steps and from the stored _items.json for dynamic ones (else
 * the committed count). Fields an existing run.json holds that this does not set are
 * kept. Errors: DF_EUSAGE for a bad run id, status or time, DF_EIO for the store.
 */
int df_argo_finish_run(const struct df_pipeline *p, struct df_store *store,
                       const struct df_argo_finish *f, struct df_error *err);

/*
 * The pipeline's bundle in the store (argo_bundle.c): the files a manifest ships (the
 * pipeline file, its SQL files, small local inputs) under <pipeline>/bundles/<hash>/,
 * written by the workflow's first pod and read by every other one, so that no other
 * template carries them. The hash covers the files' paths and bytes.
 */
/* The hash of p's bundle (64 hex digits). Errors as df_argo_build()'s for the files. */
int df_argo_bundle_hash(const struct df_pipeline *p, char out[65], struct df_error *err);
/* Writes p's bundle, unless the store has it already. hash is what the manifest says; the
 * files must make it (DF_EUSAGE otherwise). DF_EIO for the store. */
int df_argo_bundle_put(const struct df_pipeline *p, struct df_store *store, const char *hash,
                       struct df_error *err);
/* Reads bundle hash of pipeline into the folder dir, checking every file's sha256 and
 * the hash; *pipeline_path receives the pipeline file's path in dir (free()). DF_EIO when
 * it is missing, damaged or the store fails; DF_EUSAGE for a malformed hash. */
int df_argo_bundle_fetch(struct df_store *store, const char *pipeline, const char *hash,
                         const char *dir, char **pipeline_path, struct df_error *err);

/*
 * `argo step --metrics-dir DIR` (argo_metrics.c): writes DIR/rows and DIR/bytes (summed
 * over the committed manifests of items first .. first+count-1 of step; tasks that did not
 * commit count nothing) and DIR/rss (the largest peak RSS, the manifests' or this
 * process's), each a decimal number, for the template's metrics. DF_EIO when they cannot
 * be written.
 */
int df_argo_write_metrics(struct df_store *store, const char *pipeline, const char *run,
                          const char *step, size_t first, size_t count, const char *dir,
                          struct df_error *err);

/*
 * Automatic pod batching. A fan-out whose step (its `each` root) does not set
 * `argo: {tasks_per_pod: N}` runs in at most DF_ARGO_AUTO_PODS pods: n items make
 * min(n, DF_ARGO_AUTO_PODS) pods, pod g running items floor(g*n/G) .. floor((g+1)*n/G)-1
 * (G pods), so a fan-out of up to DF_ARGO_AUTO_PODS items keeps one item per pod. Each
 * item stays its own task (manifest, attempt, cache entry), as with tasks_per_pod. The
 * manifest's loop count is min(n, cap) (an expression for a range param, so a value
 * given at submit time counts); a dynamic step's items pod prints the G group indices,
 * and every pod of a fan-out works out its items from n. Why 2,000: Argo keeps a Retry
 * node and a Pod node per pod (about 216 bytes compressed with --metrics, with the
 * task-results entry; 350 when every pod was retried once), and the workflow object must
 * stay under 1 MiB (docs/argo.md, Limits; tests/support/argo/nodestatus.js).
 */
#define DF_ARGO_AUTO_PODS 2000
/* DF_ARGO_AUTO_PODS, or DUCKFLOW_ARGO_AUTO_PODS (tests replay small fan-outs batched; a
 * manifest compiled with it passes it to its pods, so they split the items alike). */
size_t df_argo_auto_pods(void);
/* The pods of an automatic fan-out of n items: min(n, df_argo_auto_pods()). */
size_t df_argo_auto_groups(size_t n);
/* The items of pod g of an automatic fan-out of n items: [*first, *first + *count). */
void df_argo_auto_group(size_t n, size_t g, size_t *first, size_t *count);
/* 1 when step has a fan-out batched automatically (its root sets no tasks_per_pod). */
int df_argo_auto_batched(const struct df_pipeline *p, size_t step);

/*
 * The Argo name (template or task name) for a step name: lower case, '_' -> '-', at most
 * 40 characters, starting with a letter or digit. Not unique by itself; df_argo_build()
 * adds suffixes where two names meet. Writes into out (at least 48 bytes).
 */
void df_argo_name(const char *step, char *out, size_t n);

/* The step whose Argo task name is task (the value a shared template gets as its `step`
 * parameter), or -1. */
int df_argo_task_step(const struct df_pipeline *p, const char *task);

/*
 * Parses a toleration "key=value:Effect", "key:Effect", "key=value" or "key" (Exists when
 * no value) into a JSON object for a pod's tolerations (caller json_decref()s). Effect is
 * NoSchedule, PreferNoSchedule or NoExecute. Returns NULL with DF_EUSAGE when malformed.
 */
json_t *df_argo_toleration(const char *spec, struct df_error *err);

#endif
