/*
 * query.h - SQL over what a run produced (`duckflow query`, `duckflow report`).
 *
 * A run is read from its committed manifests only (DESIGN.md §2: readers trust only files
 * a manifest lists), never from the pipeline file, so a run made on Argo reads the same.
 *
 * Lifecycle:
 *   1. df_run_resolve() (store/runs.h) turns --pipeline/--run (either may be NULL;
 *      "published", "latest" or a run id) into a pipeline and a run id;
 *   2. df_run_load() reads every step's manifests into a struct df_run_info;
 *   3. df_query_attach() makes, in an open DuckDB, a schema per step with a view per
 *      output table (`merge.totals`) and the schema `_run` with the run's own records
 *      (`_run.tasks`, `_run.files`, `_run.tables`, `_run.run`);
 *   4. df_query_run() runs the user's SQL and prints the last statement's result;
 *   5. df_run_info_free().
 */
#ifndef DF_QUERY_H
#define DF_QUERY_H

#include <jansson.h>
#include <stdio.h>

#include "engine/duck.h"
#include "query/format.h"
#include "store/runs.h"
#include "store/store.h"
#include "util/error.h"

struct df_run_step {
    char *name;
    json_t *manifests;   /* array of committed manifests, by item index; owned */
    char *first_started; /* earliest started_at of its tasks ("" when unknown); owned */
};

struct df_run_info {
    char *pipeline;
    char *run;
    json_t *run_json;          /* the run record (run.json), or NULL when there is none */
    struct df_run_step *steps; /* ordered by first_started, then name */
    size_t n_steps;
};

/* Reads run.json (if any) and every step's manifests. *out is freed with
 * df_run_info_free(). */
int df_run_load(struct df_store *s, const char *pipeline, const char *run, struct df_run_info **out,
                struct df_error *err);
void df_run_info_free(struct df_run_info *r);

/* After a failed query: when err is DuckDB's Catalog Error and the SQL names a step with
 * no committed task in the run, replaces it with "step 'merge' has no committed task in
 * run R (merge[0] failed: sql_error; see 'duckflow logs R merge[0]')". */
void df_query_explain_missing(const struct df_run_info *r, const char *sql, struct df_error *err);

/*
 * Where files of a non-local store are downloaded before DuckDB reads them:
 * $DUCKFLOW_CACHE, else $XDG_CACHE_HOME/duckflow, else ~/.cache/duckflow, else
 * /tmp/duckflow-cache; followed by a folder per store (a hash of its URI). Malloc'd.
 */
char *df_query_cache_dir(const struct df_store *s);

/*
 * Creates the schemas and views of the run in d. Local stores are read in place; other
 * stores' files are downloaded into cache_dir (df_query_cache_dir() when NULL) first,
 * keeping files already there with the size the manifest names (a committed file never
 * changes: attempt folders are unique). A table with no files gets an empty view with the
 * schema recorded in the manifest.
 * sql (may be NULL): for a non-local store, only tables the text names as step.table
 * (any case, quotes and spaces around the dot allowed) are downloaded; the view of any
 * other table has its recorded columns and fails with a message naming it when read.
 * NULL downloads every table.
 */
int df_query_attach(struct df_duck *d, struct df_store *s, const struct df_run_info *r,
                    const char *cache_dir, const char *sql, struct df_error *err);

/* The same into catalog (the current one, already USEd; NULL: unqualified names): step
 * schemas and views are created as catalog.step.table. */
int df_query_attach_catalog(struct df_duck *d, struct df_store *s, const struct df_run_info *r,
                            const char *catalog, const char *cache_dir, const char *sql,
                            struct df_error *err);

/*
 * Several pipelines at once: for each name in pipelines (a JSON array of strings), the
 * run df_run_resolve(pipeline, run) picks is attached as the catalog <pipeline> (an
 * in-memory database with its step schemas, views and _run). The default catalog stays
 * the empty `memory`, so names are three-part: tpch.merge.totals.
 */
int df_query_attach_pipelines(struct df_duck *d, struct df_store *s, json_t *pipelines,
                              const char *run, const char *sql, struct df_error *err);

struct df_query_out {
    enum df_format format;
    FILE *out;               /* where table/CSV/JSON go (stdout or the --output file) */
    const char *output_path; /* parquet: the file COPY writes (required); else NULL */
    size_t max_width;        /* table cells; 0 = DF_FMT_DEFAULT_WIDTH */
};

/*
 * Runs the statements of sql in order and prints the result of the last one in
 * o->format. Errors: no statement (DF_EUSAGE), DuckDB's message for a failing statement
 * (DF_EFAIL, prefixed with "statement N" when there are several), parquet without a
 * query as the last statement (DF_EUSAGE), a write error (DF_EIO).
 */
int df_query_run(struct df_duck *d, const char *sql, const struct df_query_out *o,
                 struct df_error *err);

/* Text report of a run: per-step summary and per-task table. */
int df_report_text(const struct df_run_info *r, FILE *out, struct df_error *err);
/* The same as one self-contained HTML page (inline CSS, no external links), with a bar
 * per task on a shared time axis. */
int df_report_html(const struct df_run_info *r, FILE *out, struct df_error *err);

#endif
