/*
 * sweep.h - the sweep of stale multipart uploads, done once per run: by the executor when
 * it starts (or resumes) a run, by `duckflow argo finish` at the end of an Argo run, and
 * by `gc` (exec/gc.c). An attempt killed mid-upload leaves an incomplete upload: invisible
 * to listings, billed until aborted. The sweep is housekeeping: it never fails a run, and
 * a store that lacks the API (HTTP 501 NotImplemented) gets one warning.
 */
#ifndef DF_EXEC_SWEEP_H
#define DF_EXEC_SWEEP_H

#include "store/store.h"
#include "util/error.h"

/* Aborts the incomplete uploads under prefix (a run's folder, "<pipeline>/runs/<run>/").
 * Returns the line to log (what it aborted, or why it could not: a warning), or NULL when
 * there is nothing to say (nothing stale, or a local store). free() the result. */
char *df_sweep_uploads(struct df_store *s, const char *prefix);

/* 1 when err is an object store's "this API is not implemented" (HTTP 501). */
int df_store_error_not_implemented(const struct df_error *err);

#endif
