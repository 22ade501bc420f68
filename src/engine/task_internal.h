/*
 * task_internal.h - what the files of one task share (task.c: lifecycle; task_inputs.c;
 * task_outputs.c; task_scratch.c) and the pieces items.c and the unit tests use; not part
 * of the engine's public interface.
 */
#ifndef DF_TASK_INTERNAL_H
#define DF_TASK_INTERNAL_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "dag/plan.h"
#include "engine/duck.h"
#include "engine/task.h"
#include "spec/spec.h"
#include "store/store.h"

/* Object-store transfers (staging inputs, uploading outputs) run this many at a time. */
#define TRANSFER_PARALLEL 8

/* One task while it runs (df_task_run), or the inputs-only task of df_task_query_inputs. */
struct task {
    const struct df_pipeline *p;
    const struct df_step *s;
    struct df_store *store;
    const struct df_task_opts *o;
    json_t *items; /* the step's items; item points into it */
    json_t *item;
    char item_key[DF_ITEM_KEY_MAX];
    char attempt_dir[32];
    char *task_key;    /* <pipeline>/runs/<run>/<step>/<item> */
    char *attempt_key; /* task_key/<attempt_dir> */
    char *scratch;     /* this task's own folder, removed at the end */
    char *spill_dir;
    char *out_root; /* where outputs are written: the attempt folder itself on a local
                     * store, else scratch/out (uploaded afterwards) */
    int local;      /* 1 when the store's objects are local files */
    struct df_duck duck;
    uint64_t memory_limit;
    int threads;
    uint64_t max_temp;
    uint64_t scratch_size; /* df_scratch_size(): staging and spill share it; 0 = no cap */
    uint64_t staged_bytes; /* inputs staged into scratch so far (engine/scratch.h) */
    json_t *inputs_rec;    /* manifest "inputs" */
    json_t *tables;        /* manifest "tables" */
    json_t *checks;        /* manifest "checks": every check's result (engine/checks.h) */
    json_t *uploads;       /* [[key, path], ...] for a non-local store */
    json_t *to_sync; /* output files written into a local store, fsync'd before the manifest */
    int64_t view_ms; /* of writing outputs that are views, the part computing them
                      * (engine/viewtime.h): counted under sql, not write */
    enum df_exit_class cls;
    /* spill monitor */
    pthread_t mon;
    int mon_started;
    int mon_stop; /* under mon_lock; mon_wake wakes the sampler at once */
    pthread_mutex_t mon_lock;
    pthread_cond_t mon_wake;
    atomic_uint_fast64_t spill_peak;
};

/* Sets the class of the failure (the first one wins, like the message); returns -1. */
static inline int set_failure_class(struct task *t, enum df_exit_class c)
{
    if (t->cls == DF_CLASS_OK)
        t->cls = c;
    return -1;
}

/* task_scratch.c: owner file, sweeping dead tasks' folders, the spill sampler thread. */
void task_write_owner(const char *scratch);
void task_sweep_stale_scratch(const char *base);
void *task_spill_monitor(void *arg);
void task_stop_monitor(struct task *t);
/* Once the inputs are staged: DuckDB's spill budget (max_temp_directory_size) lowered to
 * what they left of the scratch size, so that both together stay within it. */
int task_scratch_recap(struct task *t, struct df_error *err);

/* task_inputs.c: one input (files, staging, narrowing, its view and manifest record), and
 * the view a `foreach files` over a step's table gets when no input names it. */
int task_setup_input(struct task *t, const struct df_input *in, struct df_error *err);
int task_setup_files_view(struct task *t, struct df_error *err);

/* task_outputs.c: write one output table; make written files durable (local store) or
 * upload them (other stores). */
int task_write_output(struct task *t, const struct df_output *out, struct df_error *err);
int task_sync_outputs(struct task *t, struct df_error *err);
int task_upload_outputs(struct task *t, struct df_error *err);

/* Hive partition values of a path relative to a table folder ("k=v/x=%2F/part.parquet" ->
 * {"k": "v", "x": "/"}, percent-decoded), or NULL when no folder holds '='. Works on whole
 * store keys too (every "k=v" folder counts). Caller json_decref()s. */
json_t *df_task_path_partition(const char *rel);

/* Expands an s3:// or gs:// URI (a key, or a glob over keys: * ? [..], not across '/')
 * into full URIs appended to out, in key order. Errors: DF_EIO from the store. */
int df_task_object_glob(const char *uri, json_t *out, struct df_error *err);

/*
 * Runs sql in a DuckDB set up like step's task (params as variables, item null, one view
 * per input over every committed upstream task, whose items come from `items`) and returns the rows
 * as JSON objects (df_duck_query_json). For `foreach rows`. Errors: DF_EFAIL (SQL, upstream not
 * committed), DF_EIO (store).
 */
struct df_store;
int df_task_query_inputs(const struct df_pipeline *p, size_t step, struct df_store *store,
                         const char *run_id, const struct df_items_resolver *items, const char *sql,
                         json_t **rows, struct df_error *err);

#endif
