/*
 * gc.h - `duckflow gc`: removing attempt folders that no manifest names.
 *
 * Every attempt of a task writes under <task>/<n>-<tag>/; the manifest names the one that
 * won. The others (retries that failed, tasks killed mid-write, runs that failed) are
 * garbage. df_gc removes:
 *   - in a committed task, every attempt folder but the manifest's attempt_dir;
 *   - in a task without a manifest, every attempt folder, unless its run is still
 *     running (run.json status "running" and alive: runrec_still_running()).
 * Runs without a run.json and tasks whose manifest cannot be read are left alone (a run
 * without a run.json is only reported when it holds something gc would otherwise remove).
 * On an object store it also aborts the incomplete multipart uploads of finished runs
 * (an attempt killed mid-upload leaves one: invisible to listings, billed until aborted).
 */
#ifndef DF_EXEC_GC_H
#define DF_EXEC_GC_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "exec/storeindex.h"
#include "store/store.h"
#include "util/error.h"

/* Called once per attempt folder removed (or, with dry_run, that would be removed: files
 * and bytes it held), once per attempt folder whose incomplete uploads were aborted
 * (uploads > 0, files 0), and once per run skipped (skipped_reason set). */
typedef void (*df_gc_cb)(const char *folder, size_t files, uint64_t bytes, size_t uploads,
                         const char *skipped_reason, void *ud);

struct df_gc_stats {
    size_t folders, files;
    uint64_t bytes;
    size_t uploads; /* incomplete multipart uploads aborted (or that would be) */
    size_t runs_skipped;
    size_t leftovers;      /* removed runs (tombstoned) whose last unnamed files went */
    char *uploads_warning; /* set (free()) when the store cannot list incomplete uploads
                            * (HTTP 501): gc goes on without them (exec/sweep.h) */
};

/* Collects garbage in the whole store, or in one pipeline's runs. An attempt folder that
 * holds a file some manifest or cache entry names (df_refs_collect) is never removed. */
int df_gc(struct df_store *s, const char *pipeline, int dry_run, df_gc_cb cb, void *ud,
          struct df_gc_stats *stats, struct df_error *err);
/* The same, leaving alone the runs in skip (JSON array of {"pipeline", "run"}; NULL: none),
 * e.g. runs a retention policy removes or would remove. */
int df_gc_ex(struct df_store *s, const char *pipeline, json_t *skip, int dry_run, df_gc_cb cb,
             void *ud, struct df_gc_stats *stats, struct df_error *err);

/* The same over an index of pipeline's folder (or the store's) already built: what
 * `gc --keep-runs` uses after removing runs from the same index. Also removes what is
 * left of runs removed earlier (tombstoned, retention.h) once nothing names it. */
int df_gc_ix(struct df_store *s, const struct df_store_index *ix, const char *pipeline,
             json_t *skip, int dry_run, df_gc_cb cb, void *ud, struct df_gc_stats *stats,
             struct df_error *err);

#endif
