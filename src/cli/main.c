/*
 * main.c - the duckflow program: one table mapping command names to cmd_<verb>()
 * functions (git's git.c), global --help and --version, and the check that stdout was
 * written whole before exiting 0.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

static const struct command {
    const char *name;
    df_cmd_fn fn;
    const char *summary;
} commands[] = {
    {"run", cmd_run, "run a pipeline here, tasks as child processes"},
    {"step", cmd_step, "run one task of a step (what each Argo pod runs)"},
    {"items", cmd_items, "print the JSON list of a step's items"},
    {"validate", cmd_validate, "check a pipeline file"},
    {"plan", cmd_plan, "show the DAG and its tasks without running"},
    {"graph", cmd_graph, "print the DAG as Mermaid or Graphviz source"},
    {"query", cmd_query, "SQL over a run's outputs"},
    {"runs", cmd_runs, "list the runs in a store"},
    {"report", cmd_report, "per-task timings, rows, bytes and memory of a run"},
    {"gc", cmd_gc, "remove attempt folders no manifest names"},
    {"argo", cmd_argo, "compile a pipeline into an Argo Workflows manifest"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: duckflow <command> [options]\n\n"
               "duckflow runs pipelines of SQL steps on DuckDB.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'duckflow <command> --help' tells more about a command.\n"
               "exit codes: 0 ok, 1 a task or check failed, 2 bad usage or pipeline, "
               "3 store or I/O error\n");
}

int main(int argc, char **argv)
{
    int rc;

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
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
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
    fprintf(stderr, "duckflow: '%s' is not a command; see 'duckflow --help'\n", argv[1]);
    return 2;
}
