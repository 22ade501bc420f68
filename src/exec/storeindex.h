/*
 * storeindex.h - one pass over a store (or one pipeline's folder) for the commands that
 * judge many runs at once: `gc` (with and without --keep-runs/--older-than) and `runs rm`.
 *
 * df_index_build lists the folder ONCE and reads each run record, manifest and cache entry
 * ONCE (a run's record and manifests from its _manifests.json, store/runindex.h, while the
 * listing shows them unchanged: one read per run instead of one per task), keeping only
 * the members those commands use (store/jsonpick.h: the rest of each document is skipped
 * by a scanner, not parsed). Retention, removal and gc then work from the index, so their
 * cost is one listing plus one GET per run (its _manifests.json; its run.json and
 * manifests where it is missing or stale) and cache entry: O(runs), whatever the policy.
 */
#ifndef DF_EXEC_STOREINDEX_H
#define DF_EXEC_STOREINDEX_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/error.h"

struct df_index_key {
    char *key;
    uint64_t size;
};

struct df_index_doc {
    const char *key; /* points into the index's keys */
    json_t *doc;     /* the picked members; NULL when it did not parse or vanished */
};

struct df_store_index {
    struct df_index_key *keys; /* every key under the folder, sorted */
    size_t nkeys, akeys;
    json_t *runs;      /* run records (picked members), oldest first: started_at, then run */
    json_t *run_by_id; /* "<pipeline>/<run>" -> the record in runs (borrowed) */
    struct df_index_doc *manifests; /* <pl>/runs/<run>/<step>/<item>/_manifest.json */
    size_t nmanifests;
    struct df_index_doc *entries; /* <pl>/cache/<key>.json */
    size_t nentries;
    size_t manifests_indexed; /* of manifests, how many came from a run's _manifests.json */
};

/* Builds the index of pipeline's folder (NULL: the whole store). A read that fails for
 * another reason than a key that vanished since the listing is an error. */
int df_index_build(struct df_store *s, const char *pipeline, struct df_store_index *out,
                   struct df_error *err);
void df_index_release(struct df_store_index *ix);

/* The keys starting with prefix: [*from, *to). */
void df_index_range(const struct df_store_index *ix, const char *prefix, size_t *from, size_t *to);

/* The run record of pipeline's run (picked members), or NULL. */
json_t *df_index_run(const struct df_store_index *ix, const char *pipeline, size_t plen,
                     const char *run, size_t rlen);

#endif
