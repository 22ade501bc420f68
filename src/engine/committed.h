/*
 * committed.h - `duckflow step` (an Argo pod, a task run by hand) for a task its run has
 * committed already: a committed manifest is not rewritten behind the run's back. Same
 * key: nothing to do (an `argo retry` of a pod that committed and then died); another key:
 * the task runs again, unless the run is its pipeline's published run, which does not
 * change that way (docs/run.md "Resume"): then it is refused. --no-cache runs it again
 * (asked for), and so does a key that cannot be computed (the task then says why it
 * cannot run). The local executor passes --no-cache (it has looked itself, and never
 * starts a task it has committed: it removes a stale manifest first), so its tasks read
 * nothing here.
 */
#ifndef DF_ENGINE_COMMITTED_H
#define DF_ENGINE_COMMITTED_H

#include "spec/spec.h"
#include "store/store.h"
#include "util/error.h"

/* key: the task's cache key, or NULL when it could not be computed; no_cache: --no-cache.
 * 1: committed with that key, nothing to do; 0: run the task; -1: refused (DF_EUSAGE in
 * err, naming the run). */
int df_task_committed(const struct df_pipeline *p, struct df_store *store, const char *run,
                      size_t step, size_t item_index, const char *key, int no_cache,
                      struct df_error *err);

#endif
