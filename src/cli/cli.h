/*
 * cli.h - what the command files share: the command signature, option helpers and the
 * usage/error printers. Each command lives in cmd_<verb>.c with cmd_<verb>().
 */
#ifndef DF_CLI_H
#define DF_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "spec/spec.h"
#include "util/error.h"

/* A command gets argv with argv[0] = its own name; returns the process exit code. */
typedef int (*df_cmd_fn)(int argc, char **argv);

int cmd_run(int argc, char **argv);
int cmd_step(int argc, char **argv);
/* 1 (default): cmd_step exits the process right after a committed task (no teardown);
 * `argo step --tasks-per-pod` sets 0 to run several tasks in one process. */
extern int cmd_step_fast_exit;
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
int cmd_publish(int argc, char **argv);
int cmd_views(int argc, char **argv);
int cmd_logs(int argc, char **argv);
/* `duckflow runs rm` (cmd_runs_rm.c), reached through cmd_runs. */
int cmd_runs_rm(int argc, char **argv);

/* Retention output shared by `runs rm` and `gc` (cmd_runs_rm.c): a df_retention_cb whose
 * ud points at the dry-run flag, and the total line. */
struct df_retention_stats;
void cli_print_run_removed(const char *pipeline, const char *run, size_t files, uint64_t bytes,
                           size_t kept, const char *kept_reason, void *ud);
void cli_print_runs_total(const struct df_retention_stats *st, int dry);

/*
 * One option of a command. A command's options are one table (NULL name ends it) that
 * drives its parsing (cli_getopt), the options part of its --help (cli_print_options)
 * and `duckflow completion`. id is the short letter when the option has one, else a
 * value of 256 or more; a short letter means the same long option in every command
 * (README, "Options"; tests/e2e/t1901-cli-options.sh fails on a clash).
 */
struct cli_opt {
    int id;
    const char *name; /* the long name, without "--" */
    const char *arg;  /* what its value is called ("URI"), NULL for a flag */
    const char *help; /* '\n' starts a continuation line */
};

/* Rows that several commands' tables share (the same letter, name, value and help), as
 * `{CLI_OPT_STORE},` in a table. */
#define CLI_OPT_STORE   's', "store", "URI", "the store (default $DUCKFLOW_STORE, else ./.duckflow)"
#define CLI_OPT_PARAM   'p', "param", "KEY=VALUE", "override a param (typed like its default)"
#define CLI_OPT_DRY_RUN 'n', "dry-run", NULL, "print what would be removed, remove nothing"
#define CLI_OPT_HELP    'h', "help", NULL, "show this help"

/* The --store and --param rows with a command's own help: `{CLI_OPT_STORE_WITH("...")},`. */
#define CLI_OPT_STORE_WITH(help) 's', "store", "URI", help
#define CLI_OPT_PARAM_WITH(help) 'p', "param", "KEY=VALUE", help

/* A macro's value as a string literal, for help texts. */
#define CLI_STR_(x) #x
#define CLI_STR(x)  CLI_STR_(x)

#define CLI_STOP_AT_ARG 1   /* cli_getopt: stop at the first non-option (query's SQL) */
#define CLI_BAD_OPTION  '?' /* cli_getopt: an unknown option or a missing value, reported */

/* getopt_long over a table: returns the id of the next option (optarg holds its value),
 * -1 after the last, or CLI_BAD_OPTION after printing what is wrong (with "did you mean"
 * for a mistyped long option); the command then exits 2. */
int cli_getopt(const char *cmd, int argc, char **argv, const struct cli_opt *opts, int flags);
/* Prints the table as "  -s, --store URI       help" lines. */
void cli_print_options(FILE *f, const struct cli_opt *opts);

/* The option tables of the commands (cmd_<verb>.c), for main.c's registry and completion. */
extern const struct cli_opt cli_opts_run[], cli_opts_step[], cli_opts_items[], cli_opts_validate[],
    cli_opts_plan[], cli_opts_graph[], cli_opts_query[], cli_opts_runs[], cli_opts_report[],
    cli_opts_gc[], cli_opts_argo[], cli_opts_publish[], cli_opts_views[], cli_opts_logs[],
    cli_opts_runs_rm[], cli_opts_verify[];

/* `duckflow completion bash|zsh` (completion.c). */
int cmd_completion(int argc, char **argv);
extern const struct cli_opt cli_opts_completion[];

/* The command table (main.c), ended by a NULL name. */
struct cli_command {
    const char *name;
    df_cmd_fn fn;
    const char *summary;
    const struct cli_opt *opts;
};
extern const struct cli_command cli_commands[];

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
/* For "no runs" errors (issue 13): when the store at uri is the default one (a folder
 * `.duckflow`, $DUCKFLOW_STORE unset), a hint that it is the current folder's, else "". */
const char *cli_store_default_hint(const char *uri);
/*
 * The run a reading command works on (`views`, `publish`, `verify`, `logs`, `report`,
 * `query`): the open store, and the pipeline and run id df_run_resolve() picked.
 *   1. struct cli_run r = CLI_RUN_INIT;
 *   2. cli_run_open(&r, store_opt, pipeline, run, &err): opens the store (--store, else
 *      $DUCKFLOW_STORE, else ./.duckflow) unless r.store is already open, then picks the
 *      run: an id, "published" or NULL (the published run), "latest";
 *   3. cli_run_release(&r), whatever cli_run_open() returned.
 * Called again on the same r, cli_run_open() picks another run in the open store
 * (`runs rm RUN...`).
 * cli_run_open() returns 0, or -1 with err set (print it with cli_fail()). With
 * CLI_RUN_ARGUMENT in flags, a run that is not in the store is bad usage (DF_EUSAGE,
 * exit 2), for commands whose argument names the run to act on; else it is DF_ENOTFOUND
 * (exit 3).
 */
struct df_store;
struct cli_run {
    struct df_store *store;
    char *pipeline; /* owned */
    char *run;      /* owned */
};
#define CLI_RUN_INIT                                                                               \
    {                                                                                              \
        NULL, NULL, NULL                                                                           \
    }
#define CLI_RUN_ARGUMENT 1
int cli_run_open(struct cli_run *r, const char *store_opt, const char *pipeline, const char *run,
                 int flags, struct df_error *err);
void cli_run_release(struct cli_run *r);

/*
 * What the commands that read a pipeline file (`validate`, `plan`, `graph`, `argo`) start
 * with: exactly one pipeline file left in argv after the options (optind), loaded with the
 * overrides, then its SQL checked (df_pipeline_check_sql; names_only: not parsed). Returns
 * 0 with *p (df_pipeline_free), or the exit code after printing the error.
 */
int cli_load_pipeline(const char *cmd, int argc, char **argv, int optind,
                      const struct df_param_override *ov, size_t n_ov, int names_only,
                      struct df_pipeline **p);

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
/* Then, once the store is open: a run removed by `runs rm` or gc (its tombstone,
 * DF_RUN_TOMBSTONE) is refused, as `run --resume` and `query` refuse it, so no task or
 * list of items is written into what is left of it. One GET. Returns 0, or the exit code
 * after printing the error (2; 3 when the store cannot be read). */
int cli_refuse_removed_run(struct df_store *store, const char *pipeline, const char *run);
/* The task log (tasklog.c): from tasklog_start() on, what this process prints is also
 * kept (the last 1 MiB); tasklog_finish() restores stdout/stderr and stores it as
 * <task>/<attempt_dir>/_log.txt (nothing when attempt_dir is empty). */
void tasklog_start(void);
/* From now on the text so far is also written to <attempt_key>/_log.live (at most once a
 * second), for `logs --follow`; tasklog_finish() removes it once _log.txt is stored. */
void tasklog_attach(struct df_store *store, const char *attempt_key);
int tasklog_finish(struct df_store *store, const char *pipeline, const char *run, const char *step,
                   size_t item_index, const char *attempt_dir);

/* "pipeline 'P' has no step 'S'" (with "did you mean" when one is close); returns 2. */
int cli_no_step(const char *cmd, const struct df_pipeline *p, const char *step);
/* "pipeline.yaml" when the current folder holds a readable one (what `run` runs without a
 * PIPELINE argument), else NULL. */
const char *cli_default_pipeline(void);
/* --param KEY=VALUE: appends the override to *ov (*n of them; free with
 * df_param_overrides_free). 0, or 2 after printing the usage error. */
int cli_add_param(const char *cmd, const char *arg, struct df_param_override **ov, size_t *n);
/* 1 when stderr is a terminal (progress, colours). */
int cli_stderr_tty(void);

#endif
