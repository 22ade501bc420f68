/*
 * runsnap.h - what the end of a run reads of the store, read once: one listing of the
 * run's folder, its run.json and each committed manifest (one GET each). The run's end
 * (df_run_end_outputs) hands it to the three writers that each read all of it before:
 * the OpenLineage end events (lineage.h), views.sql (publish.h) and _manifests.json
 * (runindex.h). Each gets what it got from its own reads, so their outputs are the same.
 */
#ifndef DF_STORE_RUNSNAP_H
#define DF_STORE_RUNSNAP_H

#include <jansson.h>
#include <stddef.h>

#include "store/store.h"
#include "util/error.h"

/* One "<step>/<item>/_manifest.json" of the listing. */
struct df_run_snap_task {
    char *task;      /* "<step>/<item>" */
    size_t step_len; /* the length of <step> in task */
    char *folders;   /* the folders under the task's folder, in listing order: a JSON list
                      * (compact), as _manifests.json holds it */
    int get_code;    /* 0 when its bytes were read, else the store's error code */
    size_t len;      /* the bytes read */
    json_t *doc;     /* of the manifest (its paths checked, as df_manifest_read's), what the
                      * readers use: names, item_index, times, inputs' sources, per table
                      * rows, bytes, schema (shared within a step) and files' path and
                      * partition; NULL: error */
    char *picked;    /* df_manifest_pick of the same bytes as compact JSON with sorted keys
                      * (_manifests.json's "manifest"); NULL when they are not an object */
    int code;        /* when doc is NULL: the error's code (get_code, or the parse's) */
    char *error;     /* and its message (malloc'd) */
};

struct df_run_snap {
    int list_code;    /* the listing failed: no task, this code and message */
    char *list_error; /* malloc'd */
    char *record;     /* run.json's bytes (NUL-terminated), NULL when not read */
    size_t record_len;
    int record_code; /* 0, or why record is NULL (DF_ENOTFOUND when there is none) */
    char *record_error;
    struct df_run_snap_task *t; /* in key order */
    size_t n;
};

/* Reads it: one listing of <pipeline>/runs/<run>/, run.json, every manifest. What fails
 * is kept in the snapshot (each reader decides what a failure means to it), so this
 * never fails. Release with df_run_snap_release(). */
void df_run_snap_take(struct df_store *s, const char *pipeline, const char *run,
                      struct df_run_snap *out);
void df_run_snap_release(struct df_run_snap *snap);

/* The steps with at least one committed manifest, in key order, names that are
 * identifiers only (df_manifest_list_steps'); -1 with the listing's error. */
int df_run_snap_steps(const struct df_run_snap *snap, json_t **out, struct df_error *err);

/* The manifests of step sorted by item index (df_manifest_list_step's: json_decref), or
 * -1 with the listing's error or the first unreadable manifest's. */
int df_run_snap_step(const struct df_run_snap *snap, const char *step, json_t **out,
                     struct df_error *err);

#endif
