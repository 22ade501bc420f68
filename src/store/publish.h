/*
 * publish.h - what consumers outside a run read (issue 13): the published run of a
 * pipeline and the plain-DuckDB views over a run's committed files.
 *
 *   <pipeline>/published.json      {"format": 1, "pipeline": P, "run": R, "published_at": T}
 *                                  replaced atomically (one put) when a run succeeds or
 *                                  `duckflow publish` names one
 *   <pipeline>/published.sql       the views.sql of the published run
 *   <pipeline>/runs/<run>/views.sql  a schema per step, a view per table over exactly the
 *                                  committed files (absolute URIs), for a stock DuckDB
 *
 * The SQL uses only read_parquet, so DuckDB without duckflow's functions runs it (with
 * httpfs for s3:// and gs://). Everything here is built from manifests, never from the
 * pipeline file, so a run made by Argo pods gets the same files.
 */
#ifndef DF_STORE_PUBLISH_H
#define DF_STORE_PUBLISH_H

#include <jansson.h>

#include "store/store.h"
#include "util/error.h"
#include "util/strbuf.h"

char *df_key_published(const char *pipeline);     /* "<pipeline>/published.json" */
char *df_key_published_sql(const char *pipeline); /* "<pipeline>/published.sql" */
char *df_key_views_sql(const char *pipeline, const char *run);

/* The published run of pipeline into *run (malloc'd), or *run = NULL when the pipeline
 * has none. A published.json that is not a JSON object naming a valid run is DF_EIO. */
int df_published_read(struct df_store *s, const char *pipeline, char **run, struct df_error *err);

/* Makes run the published run: writes published.sql (from the run's views.sql, made
 * when missing) and then published.json, each with one atomic put. Does not check the
 * run's status: callers do (only succeeded runs are published). */
int df_publish(struct df_store *s, const char *pipeline, const char *run, struct df_error *err);

/*
 * The views of a run. sql (may be NULL) gets the SQL text; json (may be NULL) gets
 * {"pipeline", "run", "store", "tables": [{"schema", "table", "hive_partitioning",
 * "columns": [{"name", "type"}], "files": [URI...]}]}. Steps in name order, tables in
 * the order the manifests list them.
 */
int df_views_build(struct df_store *s, const char *pipeline, const char *run, struct strbuf *sql,
                   json_t **json, struct df_error *err);
/* The same with every schema and view in catalog (an in-memory database the SQL attaches
 * first: `catalog.step.table`), for a store of several pipelines (`duckflow views`
 * without --pipeline); NULL: as df_views_build. */
int df_views_build_in(struct df_store *s, const char *pipeline, const char *run,
                      const char *catalog, struct strbuf *sql, json_t **json, struct df_error *err);

/* Writes <run>/views.sql. */
int df_views_write(struct df_store *s, const char *pipeline, const char *run, struct df_error *err);

/*
 * What the end of a run leaves for consumers: its OpenLineage end events (lineage.h),
 * views.sql and _manifests.json (runindex.h) always, from one listing and one read of
 * run.json and of each manifest (runsnap.h); when the run succeeded, also publishes it.
 * Called by the local executor and by `duckflow argo finish`.
 */
int df_run_end_outputs(struct df_store *s, const char *pipeline, const char *run, int succeeded,
                       struct df_error *err);

#endif
