/*
 * graph.h - the executor's task graph: which tasks exist, which may start now, what a
 * finished attempt means (done, retry later, failed) and how a failure reaches the tasks
 * that depend on it. Pure bookkeeping: no processes, no store, no clock of its own (the
 * caller passes `now` in milliseconds), so the scheduling rules are unit-testable.
 *
 * Rules:
 *   - A step's tasks are added once its items are known (graph_plan_step); a step with
 *     zero items is at once succeeded.
 *   - A task is ready when every dependency step succeeded (all its tasks done), except
 *     for the step it mirrors (`each`): there only the task with the same item index
 *     must be done, so chunk i of the next step can start while chunk j still runs.
 *   - Among ready tasks, those that continue an `each` chain (chunk i of a step whose
 *     chunk i upstream just finished; later steps first) start before the rest, which go
 *     in topological order: a chunk's data is read again while still in the page cache.
 *   - At most `jobs` tasks run at once, and a task starts only while the running tasks'
 *     memory plus its own fits the budget; a task too big for the budget runs alone.
 *   - A failed attempt is retried (after a backoff) while attempts remain and its class
 *     is retryable; otherwise the task fails, and every waiting task that depends on it
 *     becomes upstream_failed (steps not planned yet too), while independent work goes on.
 *
 * Lifecycle:
 *   1. graph_init() with one graph_step_def per step and a topological order;
 *   2. graph_plan_step() as items become known (graph_step_plannable() tells when the
 *      dependencies allow it), graph_task_resumed() for tasks committed earlier;
 *   3. loop: graph_next() -> graph_task_started() ... graph_task_finished();
 *   4. graph_idle() says when nothing more can happen; graph_release() frees.
 */
#ifndef DF_EXEC_GRAPH_H
#define DF_EXEC_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "util/exitclass.h"

struct child;

struct graph_step_def {
    const size_t *deps; /* steps this one needs (not copied; must outlive the graph) */
    size_t n_deps;
    int each_of;      /* -1, or the step this one mirrors item by item */
    int max_attempts; /* 1 + retries, at least 1 */
    uint64_t memory;  /* nominal bytes one running task holds */
};

enum gstate {
    G_WAITING = 0, /* not started, or waiting for a dependency */
    G_RUNNING,
    G_BACKOFF, /* an attempt failed; the next may start at retry_at */
    G_DONE,
    G_FAILED,
    G_UPSTREAM,    /* not run: a dependency failed */
    G_INTERRUPTED, /* stopped, or never started, because the run was interrupted */
};

struct gtask {
    size_t step, item_index;
    enum gstate state;
    int attempts;           /* attempts started so far */
    enum df_exit_class cls; /* class of the last attempt that ended (OK while none) */
    int64_t retry_at;       /* G_BACKOFF: earliest start of the next attempt */
    int resumed;            /* committed by an earlier invocation, not run now */
    /* Filled in by the executor; the graph only frees error. */
    int64_t started_ms, first_started_ms, ended_ms, elapsed_ms; /* elapsed: all attempts */
    int threads_override;                                       /* > 0: pass --threads */
    int attempt_base;          /* attempt numbers used by earlier invocations (resume) */
    char *error;               /* last failure, malloc'd */
    uint64_t rows, bytes;      /* from the manifest */
    struct child *proc;        /* while running */
    int64_t deadline, term_at; /* timeout bookkeeping */
    int timed_out, interrupted;
    char *reused_from;        /* the run whose files a reused task lists, malloc'd, or NULL */
    const char *rerun_reason; /* a stale committed task ran again: "sql changed", ... */
};

struct gstep {
    struct graph_step_def def;
    int planned;
    size_t *tasks; /* indices into graph.tasks, in item order */
    size_t n_tasks;
    size_t n_done, n_terminal; /* tasks in G_DONE, in any final state */
    size_t cursor;             /* every task before it has left G_WAITING/G_BACKOFF */
    int failed;                /* a task failed, the planning failed or a dependency failed */
    enum df_exit_class cls;    /* why, when failed: the first failure's class */
    char *error;               /* planning error, malloc'd, or NULL */
};

struct graph {
    struct gstep *steps;
    size_t n_steps;
    const size_t *order; /* topological order of the steps (not copied) */
    struct gtask **tasks;
    size_t n_tasks, alloc;
    size_t running;
    uint64_t running_memory;
    int64_t backoff_ms; /* first retry delay, doubled per attempt (capped at 16x) */
};

void graph_init(struct graph *g, const struct graph_step_def *defs, size_t n_steps,
                const size_t *order);
void graph_release(struct graph *g);

/* 1 when step s is not planned and every dependency that must precede planning is
 * planned (mirror) or succeeded (need_deps_done: dynamic steps read their sources). */
int graph_step_plannable(const struct graph *g, size_t s, int need_deps_done);
/* Adds n tasks (items 0..n-1) to step s. */
void graph_plan_step(struct graph *g, size_t s, size_t n);
/* The planning of step s failed: the step fails with cls and message (copied). */
void graph_step_plan_failed(struct graph *g, size_t s, enum df_exit_class cls, const char *msg);
/* Marks a task committed by an earlier run (resume). */
void graph_task_resumed(struct graph *g, struct gtask *t);

/* The next task that may start now, or NULL. */
struct gtask *graph_next(struct graph *g, int64_t now, int jobs, uint64_t budget);
void graph_task_started(struct graph *g, struct gtask *t, int64_t now);
/* Records the end of an attempt. Returns 1 when another attempt is scheduled. */
int graph_task_finished(struct graph *g, struct gtask *t, enum df_exit_class cls, int64_t now);
/* Stops everything not running: waiting and backing-off tasks become interrupted. */
void graph_interrupt(struct graph *g);

/* --fail-fast: what waits or backs off is not run (upstream_failed), steps not planned
 * yet too; running tasks go on. */
void graph_stop(struct graph *g);

/* Earliest retry_at of a backing-off task, or INT64_MAX. */
int64_t graph_next_retry(const struct graph *g);
/* 1 when no task runs or waits for anything that can still happen. */
int graph_idle(const struct graph *g);
/* 1 when step s is planned and all its tasks are done. */
int graph_step_succeeded(const struct graph *g, size_t s);
/* 1 when step s is planned (or failed) and none of its tasks can run again. */
int graph_step_finished(const struct graph *g, size_t s);
/* Counts of a step's tasks by state. */
void graph_step_counts(const struct graph *g, size_t s, size_t *done, size_t *failed,
                       size_t *running);

#endif
