/*
 * main.c - the duckflow program: one table mapping command names to cmd_<verb>()
 * functions (git's git.c), global --help and --version, and the check that stdout was
 * written whole before exiting 0.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/suggest.h"

/* The commands: name, function, one line for --help, and the option table that drives
 * the command's parsing, its --help and `duckflow completion`. */
const struct cli_command cli_commands[] = {
    {"run", cmd_run, "run a pipeline here, tasks as child processes", cli_opts_run},
    {"step", cmd_step, "run one task of a step (Argo pods run one or more each)", cli_opts_step},
    {"items", cmd_items, "print the JSON list of a step's items", cli_opts_items},
    {"validate", cmd_validate, "check a pipeline file", cli_opts_validate},
    {"plan", cmd_plan, "show the DAG and its tasks without running", cli_opts_plan},
    {"graph", cmd_graph, "print the DAG as Mermaid or Graphviz source", cli_opts_graph},
    {"query", cmd_query, "SQL over a run's outputs", cli_opts_query},
    {"runs", cmd_runs, "list the runs in a store", cli_opts_runs},
    {"report", cmd_report, "per-task timings, rows, bytes and memory of a run", cli_opts_report},
    {"gc", cmd_gc, "remove old runs (--keep-runs, --older-than) and unused attempts", cli_opts_gc},
    {"verify", cmd_verify, "re-hash a run's files against their manifests", cli_opts_verify},
    {"publish", cmd_publish, "make a succeeded run the one query and report read",
     cli_opts_publish},
    {"views", cmd_views, "SQL views over a run's files for a stock DuckDB", cli_opts_views},
    {"logs", cmd_logs, "what one task printed (its attempt's _log.txt)", cli_opts_logs},
    {"argo", cmd_argo, "compile a pipeline into an Argo Workflows manifest", cli_opts_argo},
    {"completion", cmd_completion, "print a shell completion script (bash or zsh)",
     cli_opts_completion},
    {NULL, NULL, NULL, NULL}};
#define commands cli_commands

/*
 * Options every command that touches a store accepts: `--s3-endpoint URL` and
 * `--s3-region R` (also as `--opt=value`). They become DUCKFLOW_S3_ENDPOINT and
 * AWS_REGION for this process (the S3 backend reads DUCKFLOW_S3_ENDPOINT before AWS_ENDPOINT_URL),
 * and are taken out of argv so no command has to know about them. Returns the new argc,
 * or -1 when an option lacks its value.
 */
static int take_store_options(int argc, char **argv)
{
    static const struct {
        const char *opt, *env;
    } opts[] = {{"--s3-endpoint", "DUCKFLOW_S3_ENDPOINT"}, {"--s3-region", "AWS_REGION"}};
    int out = 0;

    for (int i = 0; i < argc; i++) {
        int taken = 0;
        if (!strcmp(argv[i], "--")) {
            while (i < argc)
                argv[out++] = argv[i++];
            break;
        }
        for (size_t k = 0; k < sizeof(opts) / sizeof(opts[0]) && !taken; k++) {
            size_t n = strlen(opts[k].opt);
            if (strncmp(argv[i], opts[k].opt, n) != 0)
                continue;
            if (argv[i][n] == '=') {
                setenv(opts[k].env, argv[i] + n + 1, 1);
                taken = 1;
            } else if (argv[i][n] == '\0') {
                if (i + 1 >= argc) {
                    fprintf(stderr, "duckflow: option '%s' needs a value\n", opts[k].opt);
                    return -1;
                }
                setenv(opts[k].env, argv[++i], 1);
                taken = 1;
            }
        }
        if (!taken)
            argv[out++] = argv[i];
    }
    argv[out] = NULL;
    return out;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: duckflow <command> [options]\n\n"
               "duckflow runs pipelines of SQL steps on DuckDB.\n\ncommands:\n");
    for (size_t i = 0; commands[i].name; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nthe store: --store URI, else $DUCKFLOW_STORE, else ./.duckflow in the current "
               "folder.\n"
               "every command that opens a store also takes --s3-endpoint URL and "
               "--s3-region REGION.\n"
               "'duckflow <command> --help' tells more about a command.\n"
               "exit codes: 0 ok, 1 a task or check failed, 2 bad usage or pipeline, "
               "3 store or I/O error\n");
}

int main(int argc, char **argv)
{
    int rc;

    /* `duckflow argo` opens no store: there the options name the pods' endpoint and
     * region, which it writes into the manifest ('argo items' and 'argo finish' do open one). */
    if (!(argc > 1 && !strcmp(argv[1], "argo") &&
          !(argc > 2 && (!strcmp(argv[2], "items") || !strcmp(argv[2], "finish")))))
        argc = take_store_options(argc, argv);
    if (argc < 0)
        return 2;
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return fclose(stdout) == 0 ? 0 : 3;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("duckflow %s\n", DUCKFLOW_VERSION);
        return fclose(stdout) == 0 ? 0 : 3;
    }
    for (size_t i = 0; commands[i].name; i++) {
        if (strcmp(argv[1], commands[i].name) != 0)
            continue;
        rc = commands[i].fn(argc - 1, argv + 1);
        /* A full disk or a closed pipe must not pass for success (git's run_builtin). */
        if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0) {
            if (errno != EPIPE)
                fprintf(stderr, "duckflow: cannot write output: %s\n", strerror(errno));
            return rc ? rc : 3;
        }
        return rc;
    }
    {
        const char *names[64];
        size_t n = 0;
        const char *hint;
        for (; commands[n].name && n < 64; n++)
            names[n] = commands[n].name;
        hint = df_suggest(argv[1], names, n);
        if (hint)
            fprintf(stderr, "duckflow: '%s' is not a command; did you mean '%s'?\n", argv[1], hint);
        else
            fprintf(stderr, "duckflow: '%s' is not a command; see 'duckflow --help'\n", argv[1]);
    }
    return 2;
}
