/*
 * executor.h - `duckflow run`: the whole DAG on this machine, every task a child process
 * running this same binary as `duckflow step` (one code path for a task, whoever starts it).
 *
 * df_run():
 *   1. creates the run (or resumes one: committed tasks are kept) and writes run.json;
 *   2. plans static fan-out at once and dynamic fan-out as soon as its sources exist;
 *   3. starts tasks whose dependencies committed, at most `jobs` at a time and while the
 *      sum of running tasks' memory limits fits memory_budget;
 *   4. retries failed tasks by class, kills tasks past their timeout, fails the
 *      dependents of a failed task while independent work finishes;
 *   5. on SIGINT/SIGTERM stops and reaps every child; nothing half-committed remains;
 *   6. keeps run.json current and prints progress (stderr, on a terminal) and a summary.
 *
 * Every task runs as
 *   <self_exe> step PIPELINE --run RUN --step S --item INDEX --attempt N --store URI
 *              [--param k=v].. [--threads T]
 * with its stdout and stderr captured and printed whole, prefixed with the task's name,
 * when it ends. docs/run.md describes the behaviour in full; docs/store.md the run.json.
 */
#ifndef DF_EXECUTOR_H
#define DF_EXECUTOR_H

#include <stdint.h>
#include <stdio.h>

#include "spec/spec.h"
#include "store/store.h"
#include "util/error.h"

struct df_run_opts {
    const char *self_exe;    /* path of the duckflow binary to run tasks with */
    const char *store_uri;   /* passed to children as --store */
    const char **param_args; /* the "k=v" strings given to run, passed on to every task */
    size_t n_param_args;
    int jobs;               /* parallel tasks; 0 = number of cores */
    uint64_t memory_budget; /* bytes; 0 = most of the machine's memory */
    const char *resume_run; /* run id to resume, or NULL for a new run */
    int progress;           /* 1: live progress line on stderr */
    FILE *summary;          /* where the summary table goes (stderr), or NULL */
    /* Added by the executor: */
    FILE *log;          /* one line per finished task and the tasks' output, or NULL */
    int quiet;          /* 1: only failures' output reaches log */
    int *signal_out;    /* set to the signal that interrupted the run, else 0; may be NULL */
    int64_t grace_ms;   /* between SIGTERM and SIGKILL for a timed-out task; 0 = 5 s */
    int64_t backoff_ms; /* delay before the first retry (doubled per attempt); 0 = 250 ms */
    int fail_fast;      /* 1: start no task after the first that failed for good */
    int color;          /* 1: ANSI colours in progress, failure lines and summary */
    int *reported_out;  /* set to 1 once the summary (which tells every failure) printed */
    /* Content-addressed tasks (docs/run.md "Task identity and the cache"): */
    int no_cache;       /* 1: run every task, reuse nothing from earlier runs */
    const char **rerun; /* steps whose tasks run whatever the cache or the run holds */
    size_t n_rerun;
    const char **select; /* --select values (dbt grammar, see dag/select.h) */
    size_t n_select;
    const char **exclude; /* --exclude values */
    size_t n_exclude;
    const char *from_run; /* --from: a run whose committed outputs unselected steps take */
};

/* Runs the pipeline; writes the run id into run_id. Returns 0 when every task succeeded,
 * -1 with err->code DF_EFAIL when a task or check failed, DF_EIO for the store,
 * and DF_EFAIL with "interrupted" when stopped by a signal (see opts.signal_out).
 * A --resume of a run that does not exist is DF_EUSAGE. */
int df_run(const struct df_pipeline *p, struct df_store *store, const struct df_run_opts *o,
           char run_id[64], struct df_error *err);

/* Tasks to run at once by default: the CPUs this process may use (its affinity mask,
 * capped by a cgroup v2 CPU quota; at least 1). */
int df_default_jobs(void);
/* Memory budget by default: 80% of the smaller of MemAvailable (else MemTotal) and the
 * cgroup's memory limit, in bytes (at least 256 MiB). */
uint64_t df_default_memory_budget(void);

#endif
