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
#include "exec/summary.h"
#include "spec/spec.h"
#include "store/store.h"
#include "util/strbuf.h"
#include "util/timeutil.h"
#include "util/banned.h"

static void help(void)
{
    printf(
        "usage: duckflow run PIPELINE [--store URI] [--param k=v].. [-j N] [--memory SIZE]\n"
        "                    [--resume RUN] [--fail-fast] [--color auto|always|never] [--quiet]\n"
        "\n"
        "Runs every task of the pipeline on this machine, each as a child process\n"
        "(`duckflow step`), at most N at a time, and prints the run id on stdout.\n"
        "\n"
        "  --store URI      artifact store: a folder, file:///abs, s3://bucket/prefix or\n"
        "                   gs://bucket/prefix (default $DUCKFLOW_STORE, else ./.duckflow)\n"
        "  --param k=v      override a pipeline parameter (repeatable)\n"
        "  -j, --jobs N     tasks at a time (default: the number of CPUs)\n"
        "  --memory SIZE    memory budget for running tasks together, e.g. 8GB (default:\n"
        "                   80%% of available memory or the cgroup limit)\n"
        "  --resume RUN     continue run RUN ('latest': the newest run of this pipeline):\n"
        "                   tasks that committed are kept, the rest run\n"
        "  --fail-fast      start no more tasks after the first one that failed for good\n"
        "                   (running tasks finish; the rest are 'not run')\n"
        "  --color WHEN     auto (default: on a terminal, unless NO_COLOR is set), always\n"
        "                   or never\n"
        "  -q, --quiet      print only failures and the final lines\n"
        "  -h, --help       this help\n"
        "\n"
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
    static const struct option longopts[] = {
        {"store", required_argument, NULL, 's'},  {"param", required_argument, NULL, 'p'},
        {"jobs", required_argument, NULL, 'j'},   {"memory", required_argument, NULL, 'm'},
        {"resume", required_argument, NULL, 'r'}, {"quiet", no_argument, NULL, 'q'},
        {"fail-fast", no_argument, NULL, 'F'},    {"color", required_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    struct df_error err = DF_ERROR_INIT;
    struct df_run_opts o;
    struct df_param_override *ov = NULL;
    const char **params = NULL;
    size_t n_params = 0;
    struct df_pipeline *p = NULL;
    struct df_store *store = NULL;
    const char *store_opt = NULL;
    char run_id[64] = "";
    const char *color = NULL;
    int c, rc = 2, sig = 0, reported = 0;

    memset(&o, 0, sizeof(o));
    params = xcalloc((size_t)argc + 1, sizeof(*params));
    ov = xcalloc((size_t)argc + 1, sizeof(*ov));
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "j:qh", longopts, NULL)) != -1) {
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
        case 'm':
            if (df_parse_size(optarg, &o.memory_budget) != 0 || o.memory_budget == 0) {
                rc = cli_usage_error("run", "--memory wants a size like 8GB, not '%s'", optarg);
                goto out;
            }
            break;
        case 'r':
            o.resume_run = optarg;
            break;
        case 'q':
            o.quiet = 1;
            break;
        case 'F':
            o.fail_fast = 1;
            break;
        case 'C':
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
            rc = cli_usage_error("run", "unknown or incomplete option '%s'", argv[optind - 1]);
            goto out;
        }
    }
    if (optind != argc - 1) {
        rc = cli_usage_error("run", optind >= argc ? "missing PIPELINE" : "one PIPELINE only");
        goto out;
    }
    if (df_pipeline_load(argv[optind], ov, n_params, &p, &err) != 0 ||
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
