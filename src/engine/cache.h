/*
 * cache.h - content-addressed tasks (docs/run.md "Task identity and the cache"):
 * a task's cache key, the cache entries <pipeline>/cache/<key>.json, and reusing a
 * committed task of an earlier run instead of running it.
 *
 * The key is a sha256 over parts, each hashed on its own so that a changed key can say
 * why ("rerun: sql changed"):
 *   definition  the step's name, inputs (sources, formats, options), outputs (partition_by,
 *               order_by, file_size, compression) and foreach;
 *   sql         the step's SQL text;
 *   checks      the checks' names, SQL and severity (when warn);
 *   params      the params the step's SQL, checks and output order_by expressions read
 *               (the literal names passed to getvariable; every param when a name is
 *               computed or the SQL calls duckdb_variables());
 *   item        the task's item (and its index when the SQL reads item_index); for
 *               `foreach files` over a step's table the group's checksums instead;
 *   inputs      for every input, what it reads: upstream files by sha256 (and Hive
 *               partition), local files by path + size + mtime (globs expanded as the
 *               task does, "**" included: util/globstar.h), object-store files by
 *               key + size + ETag;
 *   versions    the output-format version (DF_CACHE_OUTPUT_FORMAT) and DuckDB's version.
 * Not in it: memory_limit, threads, timeout, retries, the run id, attempt numbers, paths
 * of upstream files (two byte-identical outputs give the same downstream key).
 *
 * A cache entry (written after a task's manifest commit; docs/store.md):
 *   {"format": 1, "cache_key": K, "pipeline": P, "step": S, "run": R, "item_key": I,
 *    "manifest": "<P>/runs/<R>/<S>/<I>/_manifest.json",
 *    "files": ["<every store key the manifest lists>", ...], "created_at": ISO}
 */
#ifndef DF_ENGINE_CACHE_H
#define DF_ENGINE_CACHE_H

#include <jansson.h>
#include <stddef.h>

#include "dag/plan.h"
#include "spec/spec.h"
#include "store/store.h"
#include "util/error.h"
#include "util/hash.h"

/* Bump when the way outputs are written changes (their bytes would differ). */
#define DF_CACHE_OUTPUT_FORMAT 1

/* Where the key computation finds upstream manifests of the run. NULL callbacks (or a
 * NULL struct) read them from the store. Both return new references. */
struct df_cache_src {
    /* The manifest of (step, item_index); DF_ENOTFOUND when not committed. */
    int (*task_manifest)(void *ud, size_t step, size_t item_index, json_t **m,
                         struct df_error *err);
    /* Every manifest of step, sorted by item index. */
    int (*step_manifests)(void *ud, size_t step, json_t **ms, struct df_error *err);
    void *ud;
    /* Without step_manifests: how many tasks a fan-in must find (dynamic steps' items;
     * engine/items.h). */
    const struct df_items_resolver *items;
};

/* The step's definition as JSON: what decides its output besides its SQL, params, item
 * and input files (memory, threads, timeout and retries do not). */
json_t *df_cache_step_definition(const struct df_step *s);

struct df_cache_key {
    char key[DF_SHA256_HEX];
    json_t *parts; /* {"definition": hex, "sql": hex, ...} */
};

/*
 * Computes the key of task (step, item_index) whose item is `item`, reading upstream
 * manifests of run_id through src. Errors: DF_EFAIL when an upstream task has not
 * committed, DF_EIO for the store.
 */
int df_cache_key_compute(const struct df_pipeline *p, size_t step, size_t item_index, json_t *item,
                         struct df_store *store, const char *run_id, const struct df_cache_src *src,
                         struct df_cache_key *out, struct df_error *err);
void df_cache_key_release(struct df_cache_key *k);

/* Why a committed task's key no longer matches: "sql changed", "params changed", ... from
 * the manifest's "cache_parts" (or "its cache key changed" for an older manifest). */
const char *df_cache_stale_reason(json_t *manifest, const struct df_cache_key *k);

/* The params a step reads (see above): a JSON object name -> value. Caller decrefs. */
json_t *df_cache_params_read(const struct df_pipeline *p, const struct df_step *s);

/* The variables a task of s reads (the literal names its SQL, checks, `rows` query and
 * output ORDER BY expressions pass to getvariable), as an object name -> true, or NULL when it may
 * read any (a computed name, duckdb_variables()). The task sets only these (each SET VARIABLE costs
 * DuckDB a statement); the key covers the same params. */
json_t *df_cache_vars_read(const struct df_step *s);

/*
 * Looks key up in <pipeline>/cache/: on a hit *source is the committed manifest it names
 * (checked: same pipeline, same key, its files present on a local store). A missing entry
 * is a miss (0, *source NULL); an entry that is damaged or points at a missing manifest is
 * a miss too, with *warning set (malloc'd, one line). -1 only for store errors.
 */
int df_cache_lookup(struct df_store *store, const struct df_pipeline *p, const char *key,
                    json_t **source, char **warning, struct df_error *err);

/*
 * Commits, as task (step, item_index) of run_id, a manifest that reuses `source` (a
 * manifest of an earlier run, or of the run `--from` names): it lists the same files
 * (nothing is copied) and records "reused_from_run" and "files_root". `k` may be NULL (no
 * key known: --from without a key). *out (may be NULL) gets the committed manifest.
 */
int df_cache_reuse(struct df_store *store, const struct df_pipeline *p, const char *run_id,
                   size_t step, size_t item_index, json_t *item, json_t *source,
                   const struct df_cache_key *k, json_t **out, struct df_error *err);

/* Writes the cache entry of a committed manifest (after its commit). */
int df_cache_entry_write(struct df_store *store, json_t *manifest, struct df_error *err);

/* The store key of the cache entry for key ("<pipeline>/cache/<key>.json"). Malloc'd. */
char *df_cache_entry_key(const char *pipeline, const char *key);

#endif
