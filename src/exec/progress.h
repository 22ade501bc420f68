/*
 * progress.h - the live view of `duckflow run` on a terminal: a headline (tasks done of
 * total, elapsed, an ETA from the finished tasks' durations) and one line per step
 * (done/total, running, failed, reused, retrying), redrawn in place on stderr, coloured
 * by state unless colours are off (NO_COLOR, --color never, not a terminal). Off a
 * terminal the executor prints plain lines per task instead and this stays silent.
 */
#ifndef DF_EXEC_PROGRESS_H
#define DF_EXEC_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

#include "exec/graph.h"
#include "exec/summary.h"

struct progress {
    FILE *out;
    int color;
    int lines;     /* lines on screen now (0: nothing shown) */
    int max_steps; /* step lines at most; the rest are summed up in one line */
};

void progress_init(struct progress *pr, FILE *out, int color);
/* Redraws the view. */
void progress_show(struct progress *pr, const struct tasknames *tn, const struct graph *g,
                   int64_t elapsed_ms, int jobs);
/* Erases the view (before other output, and at the end). */
void progress_clear(struct progress *pr);

/* Estimated milliseconds until every planned task has ended: for each step, its
 * unfinished tasks times the mean duration of its finished tasks (else of all finished
 * tasks), divided among jobs. -1 while no task has finished. */
int64_t progress_eta_ms(const struct graph *g, int jobs, int64_t now_ms);

#endif
