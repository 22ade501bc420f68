/*
 * runs.h - the runs a store holds and picking one of them: by id, the published one, or
 * the latest; reading a run's record (run.json).
 * Every reader of runs (`query`, `report`, `views`, `publish`, `verify`, `logs`,
 * `runs rm`) picks a run here, so "published" and "latest" mean the same everywhere.
 * Only keys are listed and only run.json and published.json are read.
 */
#ifndef DF_STORE_RUNS_H
#define DF_STORE_RUNS_H

#include <jansson.h>

#include "store/store.h"
#include "util/error.h"

/*
 * Finds the run to read. pipeline: a pipeline name, or NULL when the store holds just
 * one (several are an error naming them all, code DF_EUSAGE). run: a run id; NULL or
 * "published" for the run <pipeline>/published.json names (when the pipeline has none,
 * its latest run, with a note on stderr); "latest" for the run whose run.json has the
 * greatest started_at (runs without run.json count by id: local ids sort by time).
 * *pipeline_out and *run_out are malloc'd.
 * Removed runs (a tombstone, DF_RUN_TOMBSTONE in store/layout.h: what `runs rm` or gc
 * kept of them) are not runs: "latest" skips them, and a run id that names only removed
 * runs is DF_EUSAGE ("run 'x' of 'p' was removed from store ..."), whatever the command.
 * Errors: an invalid pipeline name or run id: DF_EUSAGE; a store without runs, an
 * unknown pipeline or run: DF_ENOTFOUND ("run 'x' not found in store '...'"; exit 3 like
 * DF_EIO, commands that take the run as their argument report it as bad usage); a
 * published.json naming a run the store does not hold, a listing failure: DF_EIO or the
 * store's error.
 */
int df_run_resolve(struct df_store *s, const char *pipeline, const char *run, char **pipeline_out,
                   char **run_out, struct df_error *err);

/* The pipelines that have runs in the store, as a sorted JSON array of names. */
int df_run_pipelines(struct df_store *s, json_t **out, struct df_error *err);

/* The run's record (run.json) into *out (json_decref), or *out = NULL without an error
 * when the run has none. A record that is not a JSON object is DF_EIO naming it. */
int df_run_record_read(struct df_store *s, const char *pipeline, const char *run, json_t **out,
                       struct df_error *err);

/* *removed = 1 when the run's folder holds a tombstone (DF_RUN_TOMBSTONE): it was removed by
 * `runs rm` or gc. For messages of commands that name a run without df_run_resolve()
 * (`graph --run`, `run --resume`) once its run.json is missing. One GET. */
int df_run_removed(struct df_store *s, const char *pipeline, const char *run, int *removed,
                   struct df_error *err);

#endif
