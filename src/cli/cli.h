/*
 * cli.h - what the command files share: the command signature, option helpers and the
 * usage/error printers. Each command lives in cmd_<verb>.c with cmd_<verb>().
 */
#ifndef DF_CLI_H
#define DF_CLI_H

#include <stdio.h>

#include "spec/spec.h"
#include "util/error.h"

/* A command gets argv with argv[0] = its own name; returns the process exit code. */
typedef int (*df_cmd_fn)(int argc, char **argv);

int cmd_run(int argc, char **argv);
int cmd_step(int argc, char **argv);
int cmd_items(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_graph(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_runs(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_gc(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_argo(int argc, char **argv);

/* The path of the running binary (for spawning `duckflow step`). */
const char *cli_self_exe(void);

/* Prints "duckflow: <message>" to stderr (and where it arose under DUCKFLOW_DEBUG) and
 * returns the exit status for err->code (the error table, util/error.h). */
int cli_fail(const struct df_error *err);
/* Under DUCKFLOW_DEBUG: "duckflow: (the error arose at src/x.c:12 (io))" on stderr. */
void cli_debug_origin(const struct df_error *err);
/* Prints "duckflow <cmd>: <fmt...>" and a hint to use --help; returns 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The store URI from --store, else $DUCKFLOW_STORE, else "./.duckflow". */
const char *cli_store_uri(const char *opt);
/*
 * What the commands that work on one step of one run (`step`, `items`) check first:
 * exactly one pipeline file left in argv after the options (optind), --run and --step
 * given, a valid run id; then it loads the pipeline with the overrides and finds the step.
 * Returns 0 with *p (df_pipeline_free) and *step_index set, or the exit code after printing
 * the error.
 */
int cli_load_step(const char *cmd, int argc, char **argv, int optind, const char *run,
                  const char *step, const struct df_param_override *ov, size_t n_ov,
                  struct df_pipeline **p, int *step_index);
/* 1 when stderr is a terminal (progress, colours). */
int cli_stderr_tty(void);

#endif
