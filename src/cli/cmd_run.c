/*
 * cmd_run.c - `duckflow run PIPELINE`: loads the pipeline, opens the store and hands the
 * rest to the executor (src/exec). Prints the run id on stdout; progress, task output
 * and the summary go to stderr.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/sqlcheck.h"
#include "cli/cli.h"
#include "exec/executor.h"
#include "exec/reuse.h"
#include "exec/summary.h"
#include "spec/spec.h"
#include "store/store.h"
#include "util/strbuf.h"
#include "util/timeutil.h"
#include "util/banned.h"

enum {
    OPT_MEMORY = 256,
    OPT_RESUME,
    OPT_FAIL_FAST,
    OPT_COLOR,
    OPT_NO_CACHE,
    OPT_RERUN,
    OPT_SELECT,
    OPT_EXCLUDE,
    OPT_FROM
};

const struct cli_opt cli_opts_run[] = {
    {'s', "store", "URI",
     "artifact store: a folder, file:///abs, s3://bucket/prefix or\ngs://bucket/prefix "
     "(default $DUCKFLOW_STORE, else ./.duckflow)"},
    {'p', "param", "k=v", "override a pipeline parameter (repeatable)"},
    {'j', "jobs", "N", "tasks at a time (default: the number of CPUs)"},
    {OPT_MEMORY, "memory", "SIZE",
     "memory budget for running tasks together, e.g. 8GB (default:\n80% of available memory "
     "or the cgroup limit)"},
    {OPT_RESUME, "resume", "RUN",
     "continue run RUN ('latest': the newest run of this pipeline)\nwith the params it was "
     "started with; committed tasks whose key\nstill matches are kept, the rest run; "
     "steps it does not plan\n(a step above failed, not selected) keep their recorded "
     "tasks\n('carried' in the summary)"},
    {OPT_NO_CACHE, "no-cache", NULL, "run every task, reusing nothing from earlier runs"},
    {OPT_RERUN, "rerun", "STEP", "run STEP's tasks even when the cache has them (repeatable)"},
    {OPT_SELECT, "select", "SEL",
     "run only these steps: s, s+ (and downstream), +s (and\nupstream), +s+; several separated "
     "by spaces or repeated"},
    {OPT_EXCLUDE, "exclude", "SEL", "leave these steps out (same grammar)"},
    {OPT_FROM, "from", "RUN",
     "unselected steps' outputs come from RUN when the cache\ndoes not have them"},
    {OPT_FAIL_FAST, "fail-fast", NULL,
     "start no more tasks after the first one that failed for good\n(running tasks finish; the "
     "rest are 'not run')"},
    {OPT_COLOR, "color", "WHEN",
     "auto (default: on a terminal, unless NO_COLOR is set), always\nor never"},
    {'q', "quiet", NULL, "print only failures and the final lines"},
    {CLI_OPT_HELP},
    {0, NULL, NULL, NULL},
};

static void help(void)
{
    printf("usage: duckflow run [PIPELINE] [--store URI] [--param k=v].. [-j N]\n"
           "                    [--memory SIZE] [--resume RUN] [--fail-fast]\n"
           "                    [--color auto|always|never] [--quiet] [--no-cache]\n"
           "                    [--rerun STEP].. [--select SEL].. [--exclude SEL]..\n"
           "                    [--from RUN]\n"
           "\n"
           "Runs every task of the pipeline on this machine, each as a child process\n"
           "(`duckflow step`), at most N at a time, and prints the run id on stdout.\n"
           "Without PIPELINE, runs ./pipeline.yaml. A task whose cache key matches a committed\n"
           "task of an earlier run of the pipeline is reused, not run.\n"
           "\n");
    cli_print_options(stdout, cli_opts_run);
    printf("\n"
           "exit codes: 0 every task succeeded, 1 a task or check failed, 2 bad usage or\n"
           "invalid pipeline, 3 store or I/O error, 130/143 interrupted by SIGINT/SIGTERM\n");
}

/* Stopped by a signal: end by that signal, as git does (default handler, unblocked,
 * raised again), so a shell loop or a supervisor sees "killed by SIGINT", not exit 130. */
static void reraise(int sig)
{
    struct sigaction sa;
    sigset_t set;

    fflush(NULL);
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_DFL;
    sigaction(sig, &sa, NULL);
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
}

int cmd_run(int argc, char **argv)
{
    struct df_error err = DF_ERROR_INIT;
    struct df_run_opts o;
    struct df_param_override *ov = NULL;
    const char **params = NULL;
    size_t n_params = 0, n_resume_args = 0;
    char **resume_args = NULL;
    struct df_pipeline *p = NULL;
    struct df_store *store = NULL;
    const char *store_opt = NULL;
    char run_id[64] = "";
    const char *color = NULL;
    int c, rc = 2, sig = 0, reported = 0;

    memset(&o, 0, sizeof(o));
    o.rerun = xcalloc((size_t)argc + 1, sizeof(*o.rerun));
    o.select = xcalloc((size_t)argc + 1, sizeof(*o.select));
    o.exclude = xcalloc((size_t)argc + 1, sizeof(*o.exclude));
    params = xcalloc((size_t)argc + 1, sizeof(*params));
    ov = xcalloc((size_t)argc + 1, sizeof(*ov));
    optind = 1;
    while ((c = cli_getopt("run", argc, argv, cli_opts_run, 0)) != -1) {
        char *end;
        switch (c) {
        case 's':
            store_opt = optarg;
            break;
        case 'p': {
            const char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg) {
                rc = cli_usage_error("run", "--param wants key=value, not '%s'", optarg);
                goto out;
            }
            params[n_params] = optarg;
            ov[n_params].key = xstrndup(optarg, (size_t)(eq - optarg));
            ov[n_params].value = eq + 1;
            n_params++;
            break;
        }
        case 'j': {
            long j = strtol(optarg, &end, 10);
            if (*end || j < 1 || j > 4096) {
                rc = cli_usage_error("run", "-j wants a number of tasks, not '%s'", optarg);
                goto out;
            }
            o.jobs = (int)j;
            break;
        }
        case OPT_MEMORY:
            if (df_parse_size(optarg, &o.memory_budget) != 0 || o.memory_budget == 0) {
                rc = cli_usage_error("run", "--memory wants a size like 8GB, not '%s'", optarg);
                goto out;
            }
            break;
        case OPT_RESUME:
            o.resume_run = optarg;
            break;
        case 'q':
            o.quiet = 1;
            break;
        case OPT_NO_CACHE:
            o.no_cache = 1;
            break;
        case OPT_RERUN:
            o.rerun[o.n_rerun++] = optarg;
            break;
        case OPT_SELECT:
            o.select[o.n_select++] = optarg;
            break;
        case OPT_EXCLUDE:
            o.exclude[o.n_exclude++] = optarg;
            break;
        case OPT_FROM:
            o.from_run = optarg;
            break;
        case OPT_FAIL_FAST:
            o.fail_fast = 1;
            break;
        case OPT_COLOR:
            if (strcmp(optarg, "auto") && strcmp(optarg, "always") && strcmp(optarg, "never")) {
                rc = cli_usage_error("run", "--color is auto, always or never, not '%s'", optarg);
                goto out;
            }
            color = optarg;
            break;
        case 'h':
            help();
            rc = 0;
            goto out;
        default:
            rc = 2;
            goto out;
        }
    }
    if (optind < argc - 1) {
        rc = cli_usage_error("run", "one PIPELINE only");
        goto out;
    }
    if (optind >= argc && !cli_default_pipeline()) {
        rc = cli_usage_error("run", "missing PIPELINE (and no ./pipeline.yaml here)");
        goto out;
    }
    if (df_pipeline_load(optind < argc ? argv[optind] : cli_default_pipeline(), ov, n_params, &p,
                         &err) != 0 ||
        df_pipeline_check_sql(p, 0, &err) != 0) {
        rc = cli_fail(&err);
        goto out;
    }
    if (df_store_open(store_opt, &store, &err) != 0) {
        rc = cli_fail(&err);
        goto out;
    }
    o.self_exe = cli_self_exe();
    o.store_uri = store_opt;
    o.param_args = params;
    o.n_param_args = n_params;
    /* A resumed run keeps the params it was started with (run.json). */
    if (o.resume_run && reuse_resume_params(argv[optind], store, o.resume_run, ov, n_params, &p,
                                            &resume_args, &n_resume_args, &err) != 0) {
        rc = cli_fail(&err);
        goto out;
    }
    if (resume_args) {
        o.param_args = (const char **)resume_args;
        o.n_param_args = n_resume_args;
    }
    o.progress = cli_stderr_tty() && !o.quiet;
    o.summary = stderr;
    o.log = stderr;
    o.signal_out = &sig;
    o.color = colors_wanted(color, cli_stderr_tty());
    o.reported_out = &reported;
    rc = df_run(p, store, &o, run_id, &err);
    if (run_id[0])
        printf("%s\n", run_id);
    if (rc == 0)
        rc = 0;
    else if (sig)
        rc = 128 + sig; /* if re-raising it below does not end us */
    else if (reported && err.code == DF_EFAIL)
        rc = 1; /* the summary told every failure and how to resume: no repeat */
    else
        rc = cli_fail(&err);
out:
    for (size_t i = 0; i < n_resume_args; i++)
        free(resume_args[i]);
    free(resume_args);
    free(o.rerun);
    free(o.select);
    free(o.exclude);
    for (size_t i = 0; i < n_params; i++)
        free((char *)ov[i].key);
    free(ov);
    free(params);
    df_store_free(store);
    df_pipeline_free(p);
    if (sig)
        reraise(sig);
    return rc;
}
