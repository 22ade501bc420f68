/*
 * runcarry.h - a resumed run's record keeps every task it had. A step this invocation has
 * not planned (its planning failed, a step above it failed, or it is not reached yet) has
 * no tasks in the graph; its tasks in run.json are carried from the previous record, so a
 * resume that fails early does not rewrite "succeeded 3/3" into "failed 1/1".
 */
#ifndef DF_EXEC_RUNCARRY_H
#define DF_EXEC_RUNCARRY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct runcarry {
    size_t total, done, failed, reused;
    uint64_t rows, bytes;
    int64_t time_ms;
};

/* Appends to tasks (a JSON array) a copy of every task of step in prev's "tasks", marked
 * "carried": true, and counts them into *c (zeroed first). A task the previous record
 * had running or retrying is "waiting" while ended == 0 and "interrupted" once the run
 * ended (ended != 0); waiting ones likewise. prev may be NULL (nothing carried); tasks
 * may be NULL (only counted: the run's summary, exec/summary.c). */
void runcarry_step(json_t *prev, const char *step, int ended, json_t *tasks, struct runcarry *c);

#endif
