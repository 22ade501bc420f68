/*
 * summary.h - what `duckflow run` tells a person about a run, apart from the live
 * progress (progress.h): task names with their items' labels, the line printed for each
 * failed attempt, and the end-of-run summary (a table per step, every failure once,
 * grouped by step, class and message, and as the very last line the exact command that
 * resumes a failed or interrupted run). Reads the executor's graph; prints, never
 * decides anything.
 */
#ifndef DF_EXEC_SUMMARY_H
#define DF_EXEC_SUMMARY_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "exec/graph.h"
#include "spec/spec.h"
#include "util/strbuf.h"

/* Per step, the labels of its items once planned (dag/label.h). */
struct tasknames {
    const struct df_pipeline *p;
    char ***labels; /* [n_steps], each NULL until planned; owned */
    size_t *n;      /* [n_steps] */
};

void tasknames_init(struct tasknames *tn, const struct df_pipeline *p);
void tasknames_release(struct tasknames *tn);
/* Step s is planned with these items (a JSON array). */
void tasknames_plan(struct tasknames *tn, size_t s, const json_t *items);
/* "merge", "orders[apac]" (or "orders[2]" without a label) into out. */
void tasknames_get(const struct tasknames *tn, size_t step, size_t item, char *out, size_t n);

/* Every attempt of the run, for run.json's "attempts" (the report's timeline): one object
 * per attempt {"step", "item_index", "attempt", "started_at", "finished_at", "class"},
 * those of earlier invocations first (a resumed run keeps them). */
json_t *attempt_log_new(json_t *prev_run_json);
void attempt_log_started(json_t *log, const struct df_pipeline *p, const struct gtask *t,
                         int attempt);
void attempt_log_ended(json_t *log, const struct df_pipeline *p, const struct gtask *t, int attempt,
                       enum df_exit_class cls);

/* ANSI colours, or "" when off. */
struct colors {
    const char *ok, *fail, *run, *reuse, *dim, *bold, *off;
};
/* Colours on (1) or off (0). */
void colors_init(struct colors *c, int on);
/* 1 when colour should be used on a stream: mode "always", or "auto" (NULL) with a
 * terminal and NO_COLOR unset or empty. mode "never" is 0. */
int colors_wanted(const char *mode, int is_tty);

/* First line of a message (up to its first newline), malloc'd. */
char *summary_first_line(const char *msg);

struct summary_input {
    const struct df_pipeline *p;
    const struct graph *g;
    const struct tasknames *names;
    const char *run;
    const char *status; /* "succeeded", "failed", "interrupted" */
    int64_t elapsed_ms;
    const char *store_uri;         /* --store as given, or NULL */
    const char *const *param_args; /* "k=v" as given */
    size_t n_param_args;
    int quiet;                         /* no step table */
    int color;                         /* ANSI colours */
    int stopped;                       /* --fail-fast stopped starting tasks */
    const unsigned char *not_selected; /* per step: left out of a partial run; may be NULL */
    json_t *warnings;                  /* summary_note_warnings()' log, or NULL */
    /* A resume: the previous run record and the steps it did not select, as runrec_input
     * has them; the tasks run.json carries for steps this invocation did not plan (or did
     * not select) are counted and told as carried (exec/runcarry.h). Both may be NULL. */
    json_t *prev;
    const unsigned char *carry;
};

/* Notes in log (a JSON array) the warn-severity checks that failed in task t's committed
 * manifest m, for the summary to repeat once: [{"step", "item_index", "name", "rows"}]. */
void summary_note_warnings(json_t *log, const struct gtask *t, json_t *m);

/* Removes from a failed task's output the line its `duckflow step` printed for the error
 * ("duckflow: <msg>"), which the attempt line and the summary already tell. */
void summary_drop_error_line(char *out, const char *msg);

/* Where a task's log is read: the run and the --store as given (or NULL). */
struct summary_where {
    const char *run;
    const char *store_uri;
};

/* "duckflow logs [--store S] RUN TASK" into sb, arguments shell-quoted where needed
 * ('gen[eu]': brackets are glob characters). TASK as tasknames_get() names it. */
void summary_logs_command(struct strbuf *sb, const char *run, const char *store_uri,
                          const char *task);

/* The line for a failed attempt: "failed  gen[a] (sql_error, attempt 1): <first line of
 * the error> (log: duckflow logs RUN 'gen[a]')" or "retry   gen[a] (..., attempt 1 of 2):
 * ...; next attempt in 250ms (log: ...)", into sb. w NULL: no log part. */
void summary_attempt_line(struct strbuf *sb, const struct tasknames *tn, const struct graph *g,
                          const struct gtask *t, const struct summary_where *w, int attempt,
                          int retry, int64_t now, int color);

/* Prints the summary to f: the step table and the failed warn checks grouped by step and
 * check (tasks named as failures are), both unless quiet; the failures grouped (each
 * group with the logs command of its first task), and the final lines (for a failed or interrupted
 * run, the resume command last). */
void summary_print(FILE *f, const struct summary_input *in);

/* Appends the command that resumes the run: duckflow run PIPELINE --resume RUN
 * [--store S] [--param k=v].., each argument shell-quoted when it needs to be. */
void summary_resume_command(const struct summary_input *in, struct strbuf *sb);

#endif
