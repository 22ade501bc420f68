/*
 * lineage.h - OpenLineage run events of duckflow's own runs (issue 13 point 6).
 *
 * A run emits, as JSON lines appended to <pipeline>/runs/<run>/lineage.jsonl and, when
 * OPENLINEAGE_URL is set, POSTed one by one to $OPENLINEAGE_URL$OPENLINEAGE_ENDPOINT
 * (default endpoint /api/v1/lineage; OPENLINEAGE_API_KEY as a Bearer token;
 * OPENLINEAGE_NAMESPACE names the jobs' namespace, default "duckflow";
 * OPENLINEAGE_DISABLED=true emits nothing):
 *
 *   - job <pipeline>: START when the run starts, COMPLETE or FAIL when it ends (FAIL
 *     with an errorMessage run facet);
 *   - one job per step, <pipeline>.<step>: START (at its first task's start) and COMPLETE
 *     or FAIL, both written when the run ends; inputs are the upstream tables and files
 *     its tasks read, outputs its tables, each with a schema facet and output statistics
 *     (rows, bytes, files).
 *
 * Datasets of the store are named <pipeline>.<step>.<table> in the namespace of the store
 * URI (file:///abs/store, s3://bucket/prefix, gs://...). Run ids are UUIDs derived from
 * (pipeline, run[, step]), so a resumed run keeps them. A failing endpoint gets one retry
 * and then one warning on stderr; it never fails the run, nor does a failure to write
 * lineage.jsonl (a warning too).
 */
#ifndef DF_STORE_LINEAGE_H
#define DF_STORE_LINEAGE_H

#include "store/store.h"

/* The pipeline run's START event (started_at: ISO-8601 UTC). */
void df_lineage_run_start(struct df_store *s, const char *pipeline, const char *run,
                          const char *started_at);

/* The steps' events and the pipeline run's COMPLETE or FAIL, from run.json and the
 * manifests as the run's end read them (runsnap.h). Emits the pipeline's START first when
 * lineage.jsonl has none (Argo runs). */
struct df_run_snap;
void df_lineage_run_end(struct df_store *s, const char *pipeline, const char *run,
                        const struct df_run_snap *snap);

#endif
