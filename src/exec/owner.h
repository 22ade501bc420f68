/*
 * owner.h - one executor per run: the owner record (docs/store.md "The run's owner").
 *
 * <pipeline>/runs/<run>/_owner-NNNNNN.json, one per generation: the executor that drives a
 * run creates generation n+1 with a conditional write (df_store_put_bytes_new: local link,
 * S3 If-None-Match: *, GCS x-goog-if-generation-match: 0), so of two executors that try at
 * once exactly one wins. The record names host, pid and a heartbeat the owner refreshes
 * every DF_OWNER_HEARTBEAT_MS; it says "released" when the owner ends. A record that is
 * released, whose pid is gone (same host), or whose heartbeat is older than the stale
 * window ($DUCKFLOW_OWNER_STALE_S, default 60 s) can be taken over by the next
 * generation.
 */
#ifndef DF_EXEC_OWNER_H
#define DF_EXEC_OWNER_H

#include <stdint.h>

#include "store/store.h"
#include "util/error.h"

#define DF_OWNER_HEARTBEAT_MS 10000

struct df_owner;

/*
 * Becomes the owner of the run. Errors: DF_EUSAGE when a live executor owns it ("run 'R'
 * is driven by pid P on host H (heartbeat 3s ago)"), DF_EIO for the store. *found_any is
 * set to 1 when an earlier owner record existed (a run from before owner records has none).
 * fresh: the run is new (its id was just made), so generation 1 is created without a
 * listing first.
 */
int df_owner_acquire(struct df_store *s, const char *pipeline, const char *run, int fresh,
                     struct df_owner **out, int *found_any, struct df_error *err);
/* Refreshes the heartbeat when DF_OWNER_HEARTBEAT_MS passed since the last one. */
void df_owner_heartbeat(struct df_owner *o, int64_t now_ms);
/* Marks the record released and frees o (NULL is a no-op). */
void df_owner_release(struct df_owner *o);

#endif
