/*
 * runrec.h - the run record <pipeline>/runs/<run>/run.json (docs/store.md describes its
 * fields): written by the executor whenever the run's state changes, read by `duckflow
 * runs`, `gc`, `query` (which run is `latest`) and `report`.
 */
#ifndef DF_EXEC_RUNREC_H
#define DF_EXEC_RUNREC_H

#include <jansson.h>
#include <stdint.h>

#include "exec/graph.h"
#include "exec/summary.h"
#include "spec/spec.h"
#include "store/store.h"
#include "util/error.h"

struct runrec_input {
    const struct df_pipeline *p;
    const struct graph *g;
    const char *run;
    const char *status;     /* "running", "succeeded", "failed", "interrupted" */
    const char *started_at; /* ISO-8601, of the run's first invocation */
    int64_t elapsed_ms;     /* of this invocation so far */
    int jobs;
    uint64_t memory_budget;
    json_t *prev;                  /* run.json of the run being resumed, or NULL */
    json_t *attempts;              /* every attempt so far (exec/summary.h attempt_log), or NULL */
    const struct tasknames *names; /* items' labels for the tasks' "label", or NULL */
    /* per step, or NULL: a resume did not select it (--select/--exclude): planned with no
     * tasks, it keeps the previous record's tasks and status (exec/runcarry.h) */
    const unsigned char *carry;
    int partial; /* --select/--exclude left steps out: the record says "partial": true */
};

/* Builds the record (caller json_decref()s). */
json_t *runrec_build(const struct runrec_input *in);
/* Builds and writes run.json atomically. */
int runrec_write(struct df_store *s, const struct runrec_input *in, struct df_error *err);

/* 1 when a run record says its run is still going: status "running" and, on this host,
 * its process is alive; on another host (or without a pid), updated within 24 hours. */
int runrec_still_running(json_t *rec);

/* df_store_list callback: puts the first key ending in "/_error.json" into the strbuf
 * ud and stops. */
int runrec_find_error_cb(const char *key, uint64_t size, void *ud);

/* Every run record in the store (of one pipeline, or all when pipeline is NULL) as a
 * JSON array, oldest first (by started_at, then run id). Records that cannot be read
 * are left out. Caller json_decref()s *out. */
/* qsort comparator over json_t * run records: by started_at, then by run id. */
int runrec_by_start(const void *a, const void *b);
int runrec_list(struct df_store *s, const char *pipeline, json_t **out, struct df_error *err);

#endif
