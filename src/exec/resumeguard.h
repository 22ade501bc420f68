/*
 * resumeguard.h - a resume never changes the published run (docs/operations.md): before
 * anything in the store changes, `run --resume RUN` of the pipeline's published run is
 * refused when it would run again or drop a committed task (its key changed, --rerun), run
 * a task the run has not committed (its step plans more items now), or fail to plan a
 * step (a dynamic step whose stored list was removed is planned again, here without
 * writing it: its query may fail now, and the run would be recorded failed). `duckflow
 * step` has its own guard (engine/committed.h).
 * A new run reuses every unchanged task through the cache, so it is the cheap way on.
 */
#ifndef DF_EXEC_RESUMEGUARD_H
#define DF_EXEC_RESUMEGUARD_H

#include "spec/spec.h"
#include "store/store.h"
#include "util/error.h"

/* 0 when run is not the published run of p, or when resuming it keeps every committed
 * task and runs none (above); else DF_EUSAGE naming the run, the task or step and why. selected:
 * per step, 1 when the resume runs it (NULL: every step); rerun: per step, 1 for --rerun (NULL:
 * none). Reads only; a task whose key cannot be computed here is left to the run. */
int resume_guard_published(const struct df_pipeline *p, struct df_store *store, const char *run,
                           const unsigned char *selected, const unsigned char *rerun,
                           struct df_error *err);

#endif
