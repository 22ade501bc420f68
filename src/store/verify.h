/*
 * verify.h - checking a store's files against the manifests that list them.
 *
 * Two levels, by cost:
 *   - df_file_check_local(): what every local read does before it trusts a file (a task's
 *     input, a query's view): its size and mtime equal the manifest's `bytes` and
 *     `mtime_ns` (recorded when the file was written into a local store). Cheap: a stat.
 *   - df_verify(): what `duckflow verify` does: re-hashes (SHA-256) every file that every
 *     manifest of a run, or of the whole store, lists and reports each difference.
 * (Files fetched from an object store are hashed while they stream: store.h,
 * df_store_get_file_checked.)
 */
#ifndef DF_VERIFY_H
#define DF_VERIFY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/error.h"

/* 0 when the local file at path still is the one file record rec (a manifest's
 * tables.*.files[] entry) describes; else -1 with DF_EIO naming key and what changed. */
int df_file_check_local(const char *path, json_t *rec, const char *key, struct df_error *err);

/* One difference df_verify found: key, and what (e.g. "sha256 ab12... is not the
 * manifest's cd34...", "missing"). */
typedef void (*df_verify_cb)(const char *key, const char *what, void *ud);

struct df_verify_stats {
    size_t manifests, files, differ;
    uint64_t bytes;
};

/* Re-hashes every file of the run (pipeline and run set), of every run of a pipeline
 * (run NULL), or of the whole store (both NULL), against its manifest. A difference is
 * reported through cb and counted, not an error; -1 only when the store cannot be read. */
int df_verify(struct df_store *s, const char *pipeline, const char *run, df_verify_cb cb, void *ud,
              struct df_verify_stats *stats, struct df_error *err);

#endif
