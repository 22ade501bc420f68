/*
 * runindex.h - <pipeline>/runs/<run>/_manifests.json: what gc and retention need of every
 * manifest of a run (df_manifest_pick: the attempt that won, the files it names), written
 * when the run ends, so that they read one object per run instead of one per task.
 *
 *   {"format": 1, "pipeline": P, "run": R,
 *    "record": {"size": BYTES, "members": {...}},
 *    "tasks": {"<step>/<item>": {"size": BYTES, "folders": [NAME...], "manifest": {...}}}}
 *
 * "record" is the run record as the run's end left it (df_run_record_pick), trusted while
 * run.json has that size (a run.json rewritten later with the same size could only be a
 * resumed run's, which removes this file first).
 * "size" is the manifest's size and "folders" the folders under the task's folder (its
 * attempt folders) when it was written. A reader trusts a task's entry only while the
 * listing still shows it so: the manifest has that size and every folder under the task
 * is one of "folders" (gc removing losers keeps it true; a new attempt makes it false).
 * Anything else (no entry, another size, a new folder, an unreadable file) and the reader
 * reads the manifest itself, as without the file. A manifest can change without a new
 * folder only when a task is committed again from the cache (a resumed run, an Argo
 * retry's pod, `duckflow step` of a committed task): df_manifest_commit removes the file
 * first when it replaces a manifest (and `run --resume` when it starts), and the run's end
 * writes it anew.
 */
#ifndef DF_STORE_RUNINDEX_H
#define DF_STORE_RUNINDEX_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "store/layout.h"
#include "store/store.h"
#include "util/error.h"

/* DF_RUN_MANIFESTS and df_key_run_manifests() are in store/layout.h. */

/* Writes it: one listing of the run's folder, one read of run.json and of each manifest,
 * one put. */
int df_run_index_write(struct df_store *s, const char *pipeline, const char *run,
                       struct df_error *err);
/* The same from what the run's end read already (runsnap.h): one put. */
struct df_run_snap;
int df_run_index_write_snap(struct df_store *s, const char *pipeline, const char *run,
                            const struct df_run_snap *snap, struct df_error *err);

/* Removes it (a missing file is not an error). */
int df_run_index_forget(struct df_store *s, const char *pipeline, const char *run,
                        struct df_error *err);

/* The document of a _manifests.json's bytes (json_decref), or NULL when they are not one
 * (another format, not JSON). */
json_t *df_run_index_parse(const char *data, size_t len);

/*
 * The picked manifest of task ("<step>/<item>") from doc when the listing shows it
 * unchanged: the manifest's listed size is manifest_size and each of folders[0..n) (the
 * folders under the task's folder now) was recorded. Else NULL. Borrowed.
 */
json_t *df_run_index_manifest(json_t *doc, const char *task, uint64_t manifest_size,
                              char *const *folders, size_t n);

/* The picked run record (df_run_record_pick) from doc when run.json's listed size is the
 * one recorded, else NULL. Borrowed. */
json_t *df_run_index_record(json_t *doc, uint64_t run_json_size);

#endif
