/*
 * retention.h - removing whole runs (`duckflow runs rm`, `gc --keep-runs N`,
 * `gc --older-than D`) and the references that keep files alive.
 *
 * Runs share files: a task reused through the cache lists files under an earlier run's
 * folder, and <pipeline>/cache/<key>.json entries name committed manifests and their
 * files (docs/store.md). So a file is removed only when no kept run's manifest and no
 * cache entry names it; a removed run's folder may keep those files (and the manifests
 * cache entries name). Never removed: the published run, a run still running (live
 * owner, runrec_still_running()).
 *
 * A removed run whose files are kept gets a tombstone, <pipeline>/runs/<run>/_removed.json
 * (DF_RUN_TOMBSTONE, store/layout.h): `runs` does not list it, no command reads it, and gc removes
 * what is left of it once nothing names it (then the tombstone too).
 *
 * Order inside a run: its manifests first (a reader never trusts a manifest whose files
 * are going), then the other keys, run.json last, so an interrupted removal is finished
 * by running it again.
 */
#ifndef DF_EXEC_RETENTION_H
#define DF_EXEC_RETENTION_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "exec/storeindex.h"
#include "store/layout.h" /* DF_RUN_TOMBSTONE */
#include "store/store.h"
#include "util/error.h"

/* A sorted set of store keys, and of "<task>/<attempt_dir>" of every manifest read (so
 * gc need not read the manifests again). */
struct df_refs {
    char **v;
    size_t n, alloc;
    char **won;
    size_t nw, aw;
};

/*
 * Every key that a manifest in the index names, and every key a cache entry names (its
 * manifest and files), except the manifests of the runs in skip (a JSON array of
 * {"pipeline", "run"} objects; NULL: none). A manifest or cache entry that could not be
 * parsed protects nothing it cannot name.
 */
int df_refs_from_index(const struct df_store_index *ix, json_t *skip, struct df_refs *out);
/* "<pipeline>/<run>" -> true for each {"pipeline", "run"} of runs (a set; json_decref). */
json_t *df_run_set(json_t *runs);
/* 1 when key (<pipeline>/runs/<run>/...) lies in a run of set (NULL: none). */
int df_run_set_has_key(json_t *set, const char *key);
/* The attempt folder name the manifest of task (its key, without "/_manifest.json")
 * names, or NULL when no readable manifest named one. Points into r. */
const char *df_refs_winner(const struct df_refs *r, const char *task);
/* 1 when key is in the set. */
int df_refs_has(const struct df_refs *r, const char *key);
/* 1 when some key of the set starts with prefix. */
int df_refs_any_under(const struct df_refs *r, const char *prefix);
void df_refs_release(struct df_refs *r);

/* "30d", "2w", "12h", "1h30m", "90s" -> milliseconds; 0 ok, -1 does not parse,
 * -2 parses but is zero (or over 30,000 years). */
int df_parse_age(const char *s, int64_t *out_ms);

struct df_retention_opts {
    const char *pipeline;  /* NULL: every pipeline */
    int keep_runs;         /* > 0: keep the newest N runs of each pipeline; 0: no limit */
    int64_t older_than_ms; /* > 0: only runs that ended (or last updated) longer ago */
    int dry_run;
};

/* Called for each run removed (or that would be, with dry_run), and for each run kept
 * for a reason worth telling (kept_reason set: "published", "still running"). */
typedef void (*df_retention_cb)(const char *pipeline, const char *run, size_t files, uint64_t bytes,
                                size_t files_kept, const char *kept_reason, void *ud);

struct df_retention_stats {
    size_t runs, files, files_kept;
    uint64_t bytes;
};

/*
 * The runs the policy drops: of each pipeline's runs with a run.json, those outside the
 * newest keep_runs (when set) and older than older_than_ms (when set; both: both must
 * hold). Published and still-running runs are never chosen. *victims gets a JSON array
 * of {"pipeline", "run"} (oldest first).
 */
int df_retention_select(struct df_store *s, const struct df_retention_opts *o, df_retention_cb cb,
                        void *ud, json_t **victims, struct df_error *err);

/* The same over an index already built (df_index_build of o->pipeline or the store). */
int df_retention_select_ix(struct df_store *s, const struct df_store_index *ix,
                           const struct df_retention_opts *o, df_retention_cb cb, void *ud,
                           json_t **victims, struct df_error *err);

/*
 * Removes the runs in victims ({"pipeline", "run"} objects), keeping every file a kept
 * run's manifest or a cache entry names. Object stores delete in batches of up to 1,000
 * keys (df_store_remove_many).
 */
int df_runs_remove(struct df_store *s, json_t *victims, int dry_run, df_retention_cb cb, void *ud,
                   struct df_retention_stats *stats, struct df_error *err);

/* The same over an index that holds the victims' pipelines (their runs' keys). */
int df_runs_remove_ix(struct df_store *s, const struct df_store_index *ix, json_t *victims,
                      int dry_run, df_retention_cb cb, void *ud, struct df_retention_stats *stats,
                      struct df_error *err);
/* Removes one run's keys that refs does not name (manifests first, run.json last), leaving a
 * tombstone when some are kept, removing it when none are. */
int df_remove_run_ix(struct df_store *s, const struct df_store_index *ix, const char *pl,
                     const char *run, const struct df_refs *refs, int dry_run, df_retention_cb cb,
                     void *ud, struct df_retention_stats *st, struct df_error *err);

/* Why run of pipeline may not be removed (NULL when it may): "it is the published run",
 * "it is still running". Used by `runs rm` to refuse. *why is static text. */
int df_run_protected(struct df_store *s, const char *pipeline, const char *run, const char **why,
                     struct df_error *err);

#endif
