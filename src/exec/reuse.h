/*
 * reuse.h - what the local executor decides before it starts a task (docs/run.md "Task
 * identity and the cache"): keep the task's manifest from an earlier invocation of the run
 * when its key still matches, reuse a committed task of an earlier run through the cache,
 * or run it (saying why when a committed task went stale). A kept or reused task starts no
 * process and opens no DuckDB. Also: resolving the steps a partial run does not select,
 * and reading the params a resumed run was started with.
 */
#ifndef DF_EXEC_REUSE_H
#define DF_EXEC_REUSE_H

#include <jansson.h>
#include <stddef.h>

#include "spec/spec.h"
#include "store/store.h"
#include "util/error.h"

struct reuse;

enum reuse_verdict {
    REUSE_RUN = 0, /* start a process (reason says why when a committed task is stale) */
    REUSE_KEPT,    /* committed by an earlier invocation of this run, key unchanged */
    REUSE_HIT,     /* committed now from the cache (from_run: the run that made it) */
};

struct reuse_decision {
    enum reuse_verdict verdict;
    const char *reason; /* REUSE_RUN of a stale committed task: "sql changed", ... */
    char *from_run;     /* REUSE_HIT: malloc'd run id */
    json_t *manifest;   /* KEPT / HIT: the task's manifest (new reference) */
    char *warning;      /* a damaged cache entry (malloc'd), or NULL */
};

/* items: the executor's per-step item arrays (filled as steps are planned). rerun: per
 * step, 1 to ignore the cache and kept tasks (--rerun); NULL for none. */
struct reuse *reuse_new(const struct df_pipeline *p, struct df_store *store, const char *run,
                        json_t *const *items, int resume, int no_cache, const unsigned char *rerun);
void reuse_free(struct reuse *r);

/* Decides for task (step, item_index) whose dependencies have all committed. Never fails:
 * trouble computing a key or reading the cache means REUSE_RUN (the task then fails or
 * succeeds on its own). Release d with reuse_decision_release(). */
void reuse_decide(struct reuse *r, size_t step, size_t item_index, struct reuse_decision *d);
void reuse_decision_release(struct reuse_decision *d);

/* Reuses task (step, item_index) from run `from` (its committed manifest), for a partial
 * run's unselected steps. DF_ENOTFOUND when that run has not committed the task. */
int reuse_from_run(struct reuse *r, const char *from, size_t step, size_t item_index,
                   json_t **manifest, struct df_error *err);

/* Copies <from>/<step>/_items.json into this run (a dynamic step that a partial run takes
 * from --from). 0 when copied or when `from` has none. */
int reuse_copy_items(struct reuse *r, const char *from, size_t step, struct df_error *err);

/*
 * --resume: the pipeline is loaded again with the params run.json recorded (a resumed run
 * keeps them), and *args gets them as "k=v" strings for the tasks. A --param that differs
 * from the record is DF_EUSAGE naming both values. `resume` may be "latest". When the run
 * or its record cannot be found nothing changes (the executor reports it); any other
 * failure to read the record is an error (never a resume with the default params).
 */
int reuse_resume_params(const char *path, struct df_store *store, const char *resume,
                        const struct df_param_override *given, size_t n_given,
                        struct df_pipeline **p, char ***args, size_t *n_args, struct df_error *err);

#endif
