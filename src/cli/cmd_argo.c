/*
 * cmd_argo.c - `duckflow argo`: prints a pipeline as an Argo Workflows manifest (a
 * Workflow, a WorkflowTemplate with --template, a CronWorkflow with --cron). The two
 * helpers the manifest's pods run, `argo items` and `argo finish`, live in
 * cmd_argo_items.c and cmd_argo_finish.c.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argo/argo.h"
#include "cli/cli.h"
#include "cli/cmd_argo.h"
#include "spec/spec.h"
#include "store/store.h"
#include "util/fs.h"
#include "util/strbuf.h"
#include "util/timeutil.h"

#include "util/banned.h"

enum {
    O_IMAGE = 256,
    O_TEMPLATE,
    O_CRON,
    O_TIMEZONE,
    O_NAME,
    O_NAMESPACE,
    O_SA,
    O_SECRET,
    O_ENDPOINT,
    O_REGION,
    O_PULL,
    O_NODESEL,
    O_TOL,
    O_PAR,
    O_SCRATCH,
    O_COMMAND,
    O_MAXMEM,
    O_PODGC,
    O_TTL,
    O_DEADLINE,
    O_PULLSECRET,
    O_PRIORITY,
    O_LABEL,
    O_ANNOTATION,
    O_MUTEX,
    O_SEMAPHORE,
    O_STARTDL,
    O_HISTORY,
    O_CONCURRENCY,
    O_UPLOAD,
    O_TTL_OK,
    O_TTL_FAIL,
    O_ON_SUCCESS,
    O_ON_FAILURE,
    O_METRICS,
};

const struct cli_opt cli_opts_argo[] = {
    {O_IMAGE, "image", "IMAGE", "the duckflow image the pods run (required)"},
    {CLI_OPT_STORE_WITH("the store the pods use: s3://bucket/prefix or\ngs://bucket/prefix "
                        "(required)")},
    {O_TEMPLATE, "template", NULL, "print a WorkflowTemplate"},
    {O_CRON, "cron", "SCHEDULE", "print a CronWorkflow (repeat for more schedules)"},
    {O_TIMEZONE, "timezone", "TZ", "the CronWorkflow's time zone, e.g. Europe/Paris"},
    {O_NAME, "name", "NAME",
     "object name (Workflow: generateName prefix);\ndefault: the pipeline's name"},
    {O_NAMESPACE, "namespace", "NS", "metadata.namespace"},
    {O_SA, "service-account", "SA", "the pods' service account (e.g. one with an IRSA role)"},
    {O_SECRET, "s3-secret", "NAME",
     "Kubernetes secret holding AWS_ACCESS_KEY_ID and\nAWS_SECRET_ACCESS_KEY "
     "(AWS_SESSION_TOKEN optional)"},
    {O_ENDPOINT, "s3-endpoint", "URL", "the endpoint for the pods (MinIO; for gs:// the GCS one)"},
    {O_REGION, "s3-region", "REGION", "the signing region for the pods"},
    {O_PULL, "pull-policy", "POLICY", "Always, IfNotPresent or Never"},
    {CLI_OPT_PARAM_WITH("override a param's default (the manifest's\nworkflow parameter; "
                        "`argo submit -p` overrides again)")},
    {O_NODESEL, "node-selector", "K=V", "schedule pods on matching nodes (repeatable)"},
    {O_TOL, "toleration", "SPEC", "key=value:Effect, key:Effect or key=value (repeatable)"},
    {O_PAR, "parallelism", "N", "at most N pods at once"},
    {O_SCRATCH, "scratch-size", "SIZE", "size of each pod's /scratch emptyDir (default 20GiB)"},
    {O_COMMAND, "command", "PATH", "the duckflow program in the image (default duckflow)"},
    {O_MAXMEM, "max-memory", "SIZE",
     "the most memory a retried pod grows to (each retry\nasks 1.5x the last; default 4x the "
     "first attempt's)"},
    {O_PODGC, "pod-gc", "STRATEGY",
     "delete pods: OnPodCompletion, OnPodSuccess,\nOnWorkflowCompletion or OnWorkflowSuccess"},
    {O_TTL, "ttl", "DURATION", "delete the workflow this long after it completes\n(ttlStrategy)"},
    {O_TTL_OK, "ttl-success", "DURATION", "likewise after it succeeded (secondsAfterSuccess)"},
    {O_TTL_FAIL, "ttl-failure", "DURATION", "likewise after it failed (secondsAfterFailure)"},
    {O_ON_SUCCESS, "on-success", "WFT/TEMPLATE",
     "exit hook: run this template of a WorkflowTemplate\n(cluster/CWFT/TEMPLATE: of a "
     "ClusterWorkflowTemplate)\nafter `finish` when the workflow succeeded"},
    {O_ON_FAILURE, "on-failure", "WFT/TEMPLATE", "likewise when it failed or errored"},
    {O_METRICS, "metrics", NULL,
     "per-task Prometheus gauges: duration, rows, bytes,\npeak RSS (labels pipeline, step)"},
    {O_DEADLINE, "active-deadline", "DURATION", "stop the whole workflow after this long"},
    {O_PULLSECRET, "image-pull-secret", "NAME", "a secret for pulling the image (repeatable)"},
    {O_PRIORITY, "priority-class", "NAME", "the pods' PriorityClass"},
    {O_LABEL, "label", "K=V", "a label of the object and of the workflows it starts\n(repeatable)"},
    {O_ANNOTATION, "annotation", "K=V", "an annotation, likewise (repeatable)"},
    {O_MUTEX, "mutex", "NAME", "run one workflow holding this mutex at a time"},
    {O_SEMAPHORE, "semaphore", "CONFIGMAP:KEY", "hold this semaphore while running"},
    {O_STARTDL, "starting-deadline", "DURATION", "CronWorkflow: skip a run missed by longer"},
    {O_HISTORY, "history-limit", "N", "CronWorkflow: keep N succeeded and N failed workflows"},
    {O_CONCURRENCY, "concurrency-policy", "POLICY",
     "CronWorkflow: Forbid (default), Allow or Replace"},
    {O_UPLOAD, "upload-bundle", NULL,
     "write the pipeline's files to the store now (needs\nwrite access here): the manifest "
     "then carries\nno `bundle` template (large pipelines)"},
    {'o', "output", "FORMAT", "yaml (default) or json"},
    {CLI_OPT_HELP},
    {0, NULL, NULL, NULL}};

void cmd_argo_usage(FILE *f)
{
    fprintf(f, "usage: duckflow argo PIPELINE --image IMAGE --store URI [options]\n"
               "       duckflow argo items PIPELINE --run RUN --step STEP --store URI\n"
               "                           [--param K=V]..\n"
               "       duckflow argo finish PIPELINE --run RUN --status STATUS --store URI\n"
               "                            [--created-at TIME] [--bundle HASH] [--param K=V]..\n"
               "       duckflow argo bundle PIPELINE --bundle HASH --store URI\n"
               "       duckflow argo step PIPELINE-NAME --bundle HASH [--tasks-per-pod N]\n"
               "                          [--metrics-dir DIR] [duckflow step's options]\n\n"
               "Prints the pipeline as an Argo Workflows manifest on stdout. Each pod runs\n"
               "`duckflow step` against the store: one task, or several of a fan-out's items\n"
               "(tasks_per_pod; a fan-out without it runs in at most 2,000 pods). A DAG over\n"
               "16 KiB is split into nested DAG groups. The pipeline file and its SQL travel in\n"
               "the first pod's template only (`argo bundle` writes them to the store under\n"
               "<pipeline>/bundles/<hash>/); every other pod reads them from there (with\n"
               "--bundle, PIPELINE is the pipeline's name). Submit the manifest with\n"
               "`argo submit` or `kubectl create -f`.\n\n"
               "options:\n");
    cli_print_options(f, cli_opts_argo);
    fprintf(f, "\nThe run id on Argo is the workflow's name plus 8 hex digits of a digest of its\n"
               "uid (argo retry continues the run, argo resubmit starts a new one). Pods get\n"
               "memory memory_limit * 1.5 + 256Mi and cpu = threads, retries become a\n"
               "retryStrategy, timeout activeDeadlineSeconds. Exit codes: 0 ok, 2 bad usage or\n"
               "pipeline, 3 a file cannot be read.\n");
}

struct list {
    const char **v;
    size_t n;
};

static void list_add(struct list *l, const char *s)
{
    l->v = xrealloc((void *)l->v, (l->n + 1) * sizeof(*l->v));
    l->v[l->n++] = s;
}

struct kv_list {
    struct df_argo_kv *v;
    size_t n;
};

/* What the command line says, before it becomes struct df_argo_opts. The strings point
 * into argv. */
struct argo_args {
    struct df_argo_opts o;
    struct df_param_override *ov;
    size_t n_ov;
    struct kv_list nodesel, labels, annots;
    struct list cron, tol, pulls;
    int template, json, upload;
};

static void argo_args_release(struct argo_args *a)
{
    df_param_overrides_free(a->ov, a->n_ov);
    free(a->nodesel.v);
    free(a->labels.v);
    free(a->annots.v);
    free((void *)a->pulls.v);
    free((void *)a->cron.v);
    free((void *)a->tol.v);
}

/* --node-selector, --label, --annotation KEY=VALUE: 0, or 2 after the usage error. The key
 * is cut out in place: arg is ours (argv) for the whole run. */
static int kv_add(struct kv_list *l, const char *option, char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg)
        return cli_usage_error("argo", "--%s '%s' is not KEY=VALUE", option, arg);
    arg[eq - arg] = '\0';
    l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
    l->v[l->n].key = arg;
    l->v[l->n].value = eq + 1;
    l->n++;
    return 0;
}

/* A whole number from lo to hi, or -1. */
static long number(const char *arg, long lo, long hi)
{
    char *end;
    long n = strtol(arg, &end, 10);
    return *end || end == arg || n < lo || n > hi ? -1 : n;
}

/* One option (id c, value arg) into a: 0, or the exit code after printing the error. */
static int parse_option(struct argo_args *a, int c, char *arg)
{
    struct df_argo_opts *o = &a->o;
    struct df_error err = DF_ERROR_INIT;
    int64_t ms;
    long n;

    switch (c) {
    case O_IMAGE:
        o->image = arg;
        break;
    case 's':
        o->store = arg;
        break;
    case O_TEMPLATE:
        a->template = 1;
        break;
    case O_UPLOAD:
        a->upload = 1;
        break;
    case O_CRON:
        list_add(&a->cron, arg);
        break;
    case O_TIMEZONE:
        o->timezone = arg;
        break;
    case O_NAME:
        o->name = arg;
        break;
    case O_NAMESPACE:
        o->namespace_ = arg;
        break;
    case O_SA:
        o->service_account = arg;
        break;
    case O_SECRET:
        o->s3_secret = arg;
        break;
    case O_ENDPOINT:
        o->s3_endpoint = arg;
        break;
    case O_REGION:
        o->s3_region = arg;
        break;
    case O_PULL:
        if (strcmp(arg, "Always") && strcmp(arg, "IfNotPresent") && strcmp(arg, "Never"))
            return cli_usage_error("argo",
                                   "--pull-policy '%s' is not Always, IfNotPresent or Never", arg);
        o->pull_policy = arg;
        break;
    case 'p':
        return cli_add_param("argo", arg, &a->ov, &a->n_ov);
    case O_NODESEL:
        return kv_add(&a->nodesel, "node-selector", arg);
    case O_LABEL:
        return kv_add(&a->labels, "label", arg);
    case O_ANNOTATION:
        return kv_add(&a->annots, "annotation", arg);
    case O_TTL:
    case O_TTL_OK:
    case O_TTL_FAIL:
    case O_DEADLINE:
    case O_STARTDL:
        if (df_parse_duration(arg, &ms) || ms < 1000)
            return cli_usage_error(
                "argo", "'%s' is not a duration of a second or more (e.g. 90s, 2h)", arg);
        *(c == O_TTL        ? &o->ttl_seconds
          : c == O_TTL_OK   ? &o->ttl_success
          : c == O_TTL_FAIL ? &o->ttl_failure
          : c == O_DEADLINE ? &o->deadline_seconds
                            : &o->starting_deadline_seconds) = (ms + 999) / 1000;
        break;
    case O_ON_SUCCESS:
        o->on_success = arg;
        break;
    case O_ON_FAILURE:
        o->on_failure = arg;
        break;
    case O_METRICS:
        o->metrics = 1;
        break;
    case O_HISTORY:
        if ((n = number(arg, 1, 1000)) < 0)
            return cli_usage_error("argo", "--history-limit '%s' is not a number from 1 to 1000",
                                   arg);
        o->history_limit = (int)n;
        break;
    case O_PODGC:
        o->pod_gc = arg;
        break;
    case O_PULLSECRET:
        list_add(&a->pulls, arg);
        break;
    case O_PRIORITY:
        o->priority_class = arg;
        break;
    case O_MUTEX:
        o->mutex = arg;
        break;
    case O_SEMAPHORE:
        o->semaphore = arg;
        break;
    case O_CONCURRENCY:
        o->concurrency_policy = arg;
        break;
    case O_TOL: {
        json_t *t = df_argo_toleration(arg, &err);
        if (!t)
            return cli_usage_error("argo", "%s", err.msg);
        json_decref(t);
        list_add(&a->tol, arg);
        break;
    }
    case O_PAR:
        if ((n = number(arg, 1, 1000000)) < 0)
            return cli_usage_error("argo", "--parallelism '%s' is not a positive number", arg);
        o->parallelism = (int)n;
        break;
    case O_SCRATCH:
        if (df_parse_size(arg, &o->scratch_size) || o->scratch_size == 0)
            return cli_usage_error("argo", "--scratch-size '%s' is not a size like 20GiB", arg);
        break;
    case O_COMMAND:
        o->command = arg;
        break;
    case O_MAXMEM:
        if (df_parse_size(arg, &o->max_memory) || o->max_memory == 0)
            return cli_usage_error("argo", "--max-memory '%s' is not a size like 64GiB", arg);
        break;
    case 'o':
        if (!strcmp(arg, "json"))
            a->json = 1;
        else if (strcmp(arg, "yaml"))
            return cli_usage_error("argo", "--output '%s' is not yaml or json", arg);
        break;
    default:
        return 2;
    }
    return 0;
}

/* The checks between options, then the lists into a->o: 0, or 2 after the usage error. */
static int finish_args(struct argo_args *a, int argc, int optind_)
{
    struct df_argo_opts *o = &a->o;

    if (optind_ != argc - 1)
        return cli_usage_error("argo", "expected one pipeline file");
    if (!o->image)
        return cli_usage_error("argo", "--image is required");
    if (!o->store)
        return cli_usage_error("argo", "--store is required (the pods' s3:// or gs:// store)");
    if (a->template && a->cron.n)
        return cli_usage_error("argo", "--template and --cron do not go together");
    if (o->timezone && !a->cron.n)
        return cli_usage_error("argo", "--timezone needs --cron");
    o->kind = a->cron.n ? DF_ARGO_CRON : a->template ? DF_ARGO_TEMPLATE : DF_ARGO_WORKFLOW;
    o->schedules = a->cron.v;
    o->n_schedules = a->cron.n;
    o->tolerations = a->tol.v;
    o->n_tolerations = a->tol.n;
    o->node_selector = a->nodesel.v;
    o->n_node_selector = a->nodesel.n;
    o->labels = a->labels.v;
    o->n_labels = a->labels.n;
    o->annotations = a->annots.v;
    o->n_annotations = a->annots.n;
    o->pull_secrets = a->pulls.v;
    o->n_pull_secrets = a->pulls.n;
    return 0;
}

/* The render's warnings, one for each list param that shapes a fan-out (it is offered as
 * a workflow parameter, but the list was expanded now, so -p at submit time will not
 * change it) and one for each step whose own tasks_per_pod has no effect (no foreach, or
 * `each`: the mapped step's value wins). One "duckflow argo: warning:" line each, on
 * stderr. */
static void print_warnings(const struct df_pipeline *p, struct strbuf *warnings)
{
    const char *s;

    for (size_t i = 0; i < p->n_steps; i++)
        if (p->steps[i].foreach.kind == DF_FOREACH_VALUES && p->steps[i].foreach.values_param)
            sb_addf(warnings,
                    "step '%s': foreach values '%s' is fixed when the manifest is compiled; "
                    "'argo submit -p %s=...' will not change its fan-out (compile again)\n",
                    p->steps[i].name, p->steps[i].foreach.values_param,
                    p->steps[i].foreach.values_param);
    for (size_t i = 0; i < p->n_steps; i++) {
        const struct df_step *st = &p->steps[i];
        if (st->tasks_per_pod_loc.line > 0 &&
            (st->foreach.kind == DF_FOREACH_NONE || st->foreach.kind == DF_FOREACH_EACH))
            sb_addf(warnings, "%s:%d: step '%s': tasks_per_pod has no effect %s\n", p->path,
                    st->tasks_per_pod_loc.line, st->name,
                    st->foreach.kind == DF_FOREACH_NONE
                        ? "without foreach (the step is one task)"
                        : "on an `each` step (it runs as the step it maps over does, with that "
                          "step's tasks_per_pod)");
    }
    for (s = warnings->len ? warnings->buf : ""; *s;) {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) : strlen(s);
        fprintf(stderr, "duckflow argo: warning: %.*s\n", (int)n, s);
        s += n + (nl ? 1 : 0);
    }
}

/* --upload-bundle: writes p's bundle to the store the pods use, now. */
static int upload_bundle(const struct df_pipeline *p, const char *uri)
{
    struct df_error err = DF_ERROR_INIT;
    struct df_store *store = NULL;
    char hash[65];
    int rc = 0;

    if (df_argo_bundle_hash(p, hash, &err) || df_store_open(uri, &store, &err) ||
        df_argo_bundle_put(p, store, hash, &err))
        rc = cli_fail(&err);
    else
        fprintf(stderr, "duckflow argo: bundle %.12s of '%s' is in %s\n", hash, p->name, uri);
    df_store_free(store);
    return rc;
}

int cmd_argo(int argc, char **argv)
{
    struct argo_args a;
    struct df_error err = DF_ERROR_INIT;
    struct df_pipeline *p = NULL;
    struct strbuf out = STRBUF_INIT, warnings = STRBUF_INIT;
    struct df_argo_owned own = {NULL, 0};
    int c, rc = 0;

    if (argc > 1 && !strcmp(argv[1], "items"))
        return cmd_argo_items(argc - 1, argv + 1);
    if (argc > 1 && !strcmp(argv[1], "finish"))
        return cmd_argo_finish(argc - 1, argv + 1);
    if (argc > 1 && !strcmp(argv[1], "bundle"))
        return cmd_argo_bundle(argc - 1, argv + 1);
    if (argc > 1 && !strcmp(argv[1], "step"))
        return cmd_argo_step(argc - 1, argv + 1);

    memset(&a, 0, sizeof(a));
    while ((c = cli_getopt("argo", argc, argv, cli_opts_argo, 0)) != -1) {
        if (c == 'h') {
            cmd_argo_usage(stdout);
            goto done;
        }
        if ((rc = parse_option(&a, c, optarg)) != 0)
            goto done;
    }
    if ((rc = finish_args(&a, argc, optind)) != 0 ||
        (rc = cli_load_pipeline("argo", argc, argv, optind, a.ov, a.n_ov, 0, &p)) != 0)
        goto done;
    /* The pipeline's `argo:` section fills what the flags left unset. */
    if (df_argo_apply_section(p, &a.o, &own, &err)) {
        rc = cli_fail(&err);
        goto done;
    }
    /* Build and check the whole manifest first: a compile that fails writes nothing. */
    a.o.bundle_in_store = a.upload;
    if (df_argo_render(p, &a.o, a.json, &out, &warnings, &err)) {
        rc = cli_fail(&err);
        goto done;
    }
    if (a.upload && (rc = upload_bundle(p, a.o.store)) != 0)
        goto done;
    print_warnings(p, &warnings);
    fwrite(out.buf, 1, out.len, stdout);
done:
    sb_release(&out);
    sb_release(&warnings);
    df_argo_owned_release(&own);
    df_pipeline_free(p);
    argo_args_release(&a);
    return rc;
}
