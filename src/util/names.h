/*
 * names.h - the rules for names that become SQL identifiers and folder names in the store
 * (pipelines, steps, tables, params, run ids). Below spec/ and store/, which both check
 * them: the pipeline file when it is read, the store when it builds a key.
 */
#ifndef DF_NAMES_H
#define DF_NAMES_H

/* 1 when name is a valid pipeline, step, table or param name: [a-z0-9_-]+ for pipelines,
 * [A-Za-z_][A-Za-z0-9_]* for the others (they become SQL identifiers and folder names). */
int df_valid_pipeline_name(const char *name);
int df_valid_ident(const char *name);
/* 1 when run is a safe run id: [A-Za-z0-9._-]+, not "." or "..". */
int df_valid_run_id(const char *run);

#endif
