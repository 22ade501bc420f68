/*
 * jsonpick.h - reading only some members of a JSON document. gc and retention read every
 * run record, manifest and cache entry of a store (exec/storeindex.c), and a run's end
 * writes the picked manifests of the run (store/runindex.c): the members they use are a
 * small part of each document, so the rest is skipped by a scanner, never parsed.
 */
#ifndef DF_STORE_JSONPICK_H
#define DF_STORE_JSONPICK_H

#include <jansson.h>
#include <stddef.h>

/*
 * Parses only the top-level members of a JSON object whose names are in names (NULL
 * ended); the other members' values are skipped without being parsed. NULL when data is
 * not a JSON object.
 */
json_t *df_json_pick(const char *data, size_t len, const char *const *names);

/*
 * What gc needs of a manifest: "pipeline", "run", "step", "item_key", "files_root",
 * "attempt_dir", and "tables" reduced to what names files: {"<table>": {"files": [{"path":
 * P}...]}...}; schemas, counts and hashes are skipped unparsed (df_manifest_table_keys
 * gives the same keys as from the whole manifest). NULL when data is not a JSON object.
 */
json_t *df_manifest_pick(const char *data, size_t len);

/* What gc and retention need of a run record (run.json): "pipeline", "run", "status",
 * "host", "pid", "updated_at", "started_at", "finished_at". */
json_t *df_run_record_pick(const char *data, size_t len);

#endif
