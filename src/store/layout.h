/*
 * layout.h - where things live in the store (DESIGN.md §2):
 *
 *   <pipeline>/runs/<run>/run.json                                  run record
 *   <pipeline>/runs/<run>/<step>/_items.json                        items of a dynamic step
 *   <pipeline>/runs/<run>/<step>/<item>/<attempt>/<table>/part-NNNNN.parquet
 *   <pipeline>/runs/<run>/<step>/<item>/<attempt>/_error.json       why an attempt failed
 *   <pipeline>/runs/<run>/<step>/<item>/_manifest.json              commit point, written LAST
 *   <pipeline>/runs/<run>/_removed.json                             tombstone of a removed run
 *
 * <item> is the item key (plan.h); <attempt> is "<n>-<4 hex>" (attempt number and a random
 * tag, so two processes running the same attempt never share a folder). Every function
 * returns a malloc'd key.
 */
#ifndef DF_LAYOUT_H
#define DF_LAYOUT_H

#include <stddef.h>

#include "util/names.h" /* df_valid_*: the names keys are made of */

/* What `runs rm` and gc leave in a removed run's folder while other runs or the cache
 * still name some of its files (exec/retention.h). A run holding it is removed: no
 * command reads it, `latest` skips it, `publish` refuses it (store/runs.h). */
#define DF_RUN_TOMBSTONE "_removed.json"

/* What gc needs of each manifest of a run, written at its end (store/runindex.h). */
#define DF_RUN_MANIFESTS "_manifests.json"

char *df_key_runs(const char *pipeline); /* "<pipeline>/runs/" */
char *df_key_run(const char *pipeline, const char *run);
char *df_key_run_json(const char *pipeline, const char *run);
char *df_key_run_manifests(const char *pipeline, const char *run); /* DF_RUN_MANIFESTS */
char *df_key_step(const char *pipeline, const char *run, const char *step);
char *df_key_items(const char *pipeline, const char *run, const char *step);
char *df_key_task(const char *pipeline, const char *run, const char *step, const char *item_key);
char *df_key_manifest(const char *pipeline, const char *run, const char *step,
                      const char *item_key);
char *df_key_attempt(const char *pipeline, const char *run, const char *step, const char *item_key,
                     const char *attempt);

/*
 * Splits a listed key "<pipeline>/runs/<run>/<rest>" (what every reader of a listing
 * looks for): 1 with the lengths of the pipeline and run names, *run pointing at the run
 * name and *rest at what follows "<run>/" (may be ""); 0 for a key outside a run. The
 * names are not checked (df_valid_* do that).
 */
int df_key_split_run(const char *key, size_t *pipeline_len, const char **run, size_t *run_len,
                     const char **rest);

#endif
