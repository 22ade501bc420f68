/*
 * manifest.h - the task manifest, the store's commit point (DESIGN.md §2).
 *
 * A manifest is a JSON object written LAST by a task that succeeded:
 * {
 *   "format": 1, "pipeline": "tpch", "run": "2026...-4f2a", "step": "summary",
 *   "item_index": 3, "item_key": "00003", "item": <json>, "attempt": 2,
 *   "attempt_dir": "2-9c1e", "exit_class": "ok", "cache_key": "<sha256>",
 *   "started_at": "2026-...Z", "finished_at": "2026-...Z",
 *   "timings_ms": {"start": .., "inputs": .., "sql": .., "checks": .., "write": .., "total": ..},
 *   "peak_rss_bytes": .., "memory_limit": .., "threads": .., "spilled_bytes": ..,
 *   "inputs": [{"name": "orders", "files": [{"key": "...", "sha256": "..."}]}],
 *   "tables": {
 *     "orders_summary": {
 *       "rows": 42, "bytes": 1234,
 *       "schema": [{"name": "o_orderpriority", "type": "VARCHAR"}, ...],
 *       "files": [{"path": "2-9c1e/orders_summary/part-00000.parquet", "rows": 42,
 *                  "bytes": 1234, "sha256": "...", "partition": {"k": "v"}}]
 *     }
 *   }
 * }
 * File paths are relative to the task folder (<pipeline>/runs/<run>/<step>/<item>/), or,
 * for a task reused from another run (engine/cache.h), to "files_root": the folder of the
 * task that wrote them (the manifest then also has "reused_from_run").
 * Readers trust only files that a manifest lists.
 */
#ifndef DF_MANIFEST_H
#define DF_MANIFEST_H

#include <jansson.h>

#include "store/store.h"
#include "util/error.h"

/* Writes the manifest of a task (atomically; the commit point). */
int df_manifest_commit(struct df_store *s, const char *pipeline, const char *run, const char *step,
                       const char *item_key, json_t *manifest, struct df_error *err);

/* Reads one task's manifest; DF_ENOTFOUND when the task has not committed. Caller
 * json_decref()s *out. */
int df_manifest_read(struct df_store *s, const char *pipeline, const char *run, const char *step,
                     const char *item_key, json_t **out, struct df_error *err);

/* The manifest stored as key from its bytes: a JSON object whose keys and paths stay in
 * the store (keycheck.h); else DF_EIO naming key. Caller json_decref()s *out. */
int df_manifest_parse(const char *key, const char *data, size_t len, json_t **out,
                      struct df_error *err);
/* Sorts manifests by item index (then item key): the order of df_manifest_list_step. */
void df_manifest_sort(json_t **v, size_t n);

/* Every committed manifest of a step, as a JSON array sorted by item index (possibly
 * empty). Caller json_decref()s *out. */
int df_manifest_list_step(struct df_store *s, const char *pipeline, const char *run,
                          const char *step, json_t **out, struct df_error *err);

/* 1 when a column type a manifest records may go into SQL text (CAST(NULL AS <type>) in
 * the views of an empty table): only what DuckDB type names are made of, so a hostile
 * manifest cannot smuggle SQL in. */
int df_manifest_type_safe(const char *type);

/* "SELECT CAST(NULL AS <type>) AS <name>, ... WHERE false" appended to sql: no rows, the
 * columns a table's manifest schema records ([{name, type}]; a type that is not
 * df_manifest_type_safe as VARCHAR; no columns: one INTEGER "_empty"). What the views of a
 * table without files select (query/attach.c, store/publish.c). */
struct strbuf;
void df_manifest_empty_select(struct strbuf *sql, const json_t *schema);

/* The steps of a run with at least one committed manifest, as a JSON array of names in
 * key order (json_decref). Folders that are not identifiers are never steps. */
int df_manifest_list_steps(struct df_store *s, const char *pipeline, const char *run, json_t **out,
                           struct df_error *err);

/* The store keys of a table's files in one manifest, appended to the JSON array keys
 * (strings). Returns the number appended. */
size_t df_manifest_table_keys(json_t *manifest, const char *table, json_t *keys);

#endif
