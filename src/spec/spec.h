/*
 * spec.h - the pipeline file (DESIGN.md §1) as C structures, parsed with libyaml and
 * validated before anything runs.
 *
 * Lifecycle:
 *   1. df_pipeline_load() reads the YAML file and every SQL file it names, applies
 *      `--param` overrides (type-checked against the defaults), resolves every reference
 *      (steps, tables, params) and orders the steps; any problem is one error
 *      "FILE:LINE:COL: message" with code DF_EUSAGE, and nothing is returned.
 *   2. Callers read the structures; nothing in them changes after loading.
 *   3. df_pipeline_free() releases everything.
 *
 * Ownership: the pipeline owns every string, array and json_t below it.
 */
#ifndef DF_SPEC_H
#define DF_SPEC_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "spec/loc.h"
#include "util/error.h"

/* One `inputs:` entry: a view over an earlier step's table or over external files. */
struct df_input {
    char *name;      /* view name in the task's DuckDB */
    char *step;      /* set for `step.table` sources, else NULL */
    char *table;     /* the table of that step */
    int step_index;  /* index of `step` in pipeline->steps, -1 for external sources */
    char *uri;       /* external: a local path (made absolute against the pipeline's folder),
                      * glob, file://, s3:// or gs:// URI; NULL for step sources */
    char *format;    /* external: "parquet", "csv" or "json" (from `format:` or the extension) */
    json_t *options; /* external: reader options object (`options:`), or NULL */
    struct df_loc loc;
};

/* One `outputs:` entry: a table the SQL leaves behind, written as Parquet. */
struct df_output {
    char *name;
    char **partition_by; /* Hive partitioning columns */
    size_t n_partition_by;
    char **order_by; /* ORDER BY expressions, as written */
    size_t n_order_by;
    uint64_t file_size; /* bytes per file before a new one starts; 0 = no limit */
    char *compression;  /* "zstd" (default), "snappy", "gzip", "lz4", "uncompressed" */
    struct df_loc loc;
};

/* One `checks:` entry: a query that must return no rows. */
struct df_check {
    char *name;
    char *sql;
    struct df_loc loc;
    struct df_loc sql_at; /* added: where the SQL text's first line starts in the pipeline file
                           * (the line after `|` for a block scalar; its column is then the
                           * block's indentation + 1) */
    int warn;             /* `severity: warn`: a failing check is recorded and printed, the
                           * task still commits (default `error`: the task fails) */
};

enum df_foreach_kind {
    DF_FOREACH_NONE = 0, /* one task */
    DF_FOREACH_RANGE,    /* {range: N | param} -> 0..N-1 */
    DF_FOREACH_VALUES,   /* {values: [..]} */
    DF_FOREACH_EACH,     /* {each: step} */
    DF_FOREACH_FILES,    /* {files: source, per_task: K} */
    DF_FOREACH_ROWS,     /* {rows: SQL} */
};

struct df_foreach {
    enum df_foreach_kind kind;
    int64_t range;      /* RANGE: the count, after params are applied */
    char *range_param;  /* RANGE: the param it came from, or NULL for a literal */
    json_t *values;     /* VALUES: JSON array of the items */
    char *each;         /* EACH: the mapped step */
    int each_index;     /* EACH: its index in pipeline->steps */
    char *files_source; /* FILES: an input name of this step, or `step.table` */
    int64_t per_task;   /* FILES: files per task (default 1) */
    char *rows_sql;     /* ROWS: the query over the step's inputs */
    struct df_loc loc;  /* where the kind's value is written */
    /* Added: resolved forms of the above. */
    char *values_param;    /* VALUES: the list param it came from, or NULL for a literal list */
    int files_input;       /* FILES: index in the step's inputs when the source names one, or -1 */
    int files_step;        /* FILES: index of the step whose table is listed, -1 for external */
    char *files_table;     /* FILES: that step's table, or NULL for an external input */
    struct df_loc rows_at; /* ROWS: where the query's text starts (as df_check.sql_at) */
};

/* Per-task resources; 0 (or -1 for retries) means "not set": the engine derives memory
 * and threads from the container, the executor uses its own defaults for the rest. */
struct df_limits {
    uint64_t memory_limit; /* bytes */
    int threads;
    int retries;        /* extra attempts after a failure; -1 = unset */
    int64_t timeout_ms; /* 0 = none */
    uint64_t scratch;   /* `scratch: SIZE`: the task's spill and staging room; 0 = unset */
};

struct df_step {
    char *name;
    char *sql;        /* the statements, as text */
    char *sql_file;   /* absolute path of the .sql file, or NULL when inline */
    char *sql_origin; /* for messages: the .sql path as written (joined to the folder of the
                       * pipeline path as given, so it opens from the same place), or the
                       * pipeline file as given for inline SQL */
    int sql_line;     /* line in sql_origin where the SQL text's first line is */
    struct df_input *inputs;
    size_t n_inputs;
    struct df_output *outputs;
    size_t n_outputs;
    char **after;
    size_t n_after;
    struct df_check *checks;
    size_t n_checks;
    struct df_foreach foreach;
    struct df_limits limits; /* defaults already applied */
    size_t *deps;            /* indices of the steps this one needs, without duplicates */
    size_t n_deps;
    struct df_loc loc;
    /* Added fields. */
    char *description;         /* or NULL */
    struct df_loc *after_locs; /* where each `after` entry is written (n_after) */
    struct df_loc sql_loc;     /* where the `sql:` value is written in the pipeline file */
    int sql_col;               /* column in sql_origin where the SQL text's lines start: 1 for
                                * a file, a block scalar's indentation + 1, else where the
                                * value starts (inside its quotes) */
    int allow_empty;   /* `allow_empty: true`: a fan-out that finds no items succeeds with no
                        * tasks (else the step fails with class no_items) */
    int tasks_per_pod; /* `argo: {tasks_per_pod: N}`: items one Argo pod runs in turn;
                        * 0 when not set: automatic (argo.h, DF_ARGO_AUTO_PODS) */
    struct df_loc tasks_per_pod_loc; /* where the step sets it (line 0 when it does not) */
};

struct df_pipeline {
    char *path;        /* the file as given on the command line */
    char *dir;         /* absolute folder of the file; SQL and relative inputs resolve here */
    char *name;        /* [a-z0-9_-]+ */
    char *description; /* or NULL */
    json_t *params;    /* object: name -> value (defaults with overrides applied) */
    struct df_limits defaults;
    struct df_step *steps; /* in file order */
    size_t n_steps;
    size_t *order;      /* step indices, dependencies first (a topological order) */
    char spec_hash[65]; /* sha256 over the pipeline text, every SQL file and the params */
    json_t *argo;       /* the pipeline-level `argo:` section as JSON (keys checked against
                         * spec_argo_fields, values by src/argo), or NULL */
    json_t *argo_locs;  /* where its values are: {"key": [line, col, key line, key col],
                         * "key.sub" (a map's entry, same form), "key.N" (a list's,
                         * [line, col]), "": the section} */
};

/* The keys a pipeline-level `argo:` section may have. */
extern const char *const spec_argo_fields[];

/* `--param key=value`: value is parsed to the default's type (integer, number, boolean,
 * string, list as JSON); an unknown key or a value of the wrong type is an error. */
struct df_param_override {
    const char *key;
    const char *value;
};

/*
 * Loads and validates the pipeline file at path (see the lifecycle above).
 *   overrides:  n_overrides `--param` values (may be NULL when n_overrides is 0); a later
 *               override of the same key wins.
 *   out:        the pipeline on success (free with df_pipeline_free()); untouched on error.
 * Errors: DF_EUSAGE with "FILE:LINE:COL: message" for anything wrong in the file, its SQL
 * files or the overrides (FILE is path as given); DF_EUSAGE "'path': no such pipeline file"
 * or "'path': cannot read pipeline file: ..." when the file itself cannot be read.
 * Limits: the file and each SQL file at most DF_SPEC_MAX_FILE bytes, at most
 * DF_SPEC_MAX_STEPS steps; YAML aliases may add at most 100000 nodes (yamltree.h).
 */
int df_pipeline_load(const char *path, const struct df_param_override *overrides,
                     size_t n_overrides, struct df_pipeline **out, struct df_error *err);

#define DF_SPEC_MAX_FILE  (16u * 1024 * 1024)
#define DF_SPEC_MAX_STEPS 1000
#define DF_SPEC_MAX_ITEMS 1000000 /* range N and values lists */

/*
 * Splits a `--param` argument "key=value" into o. o->key is malloc'd (release the array
 * with df_param_overrides_free()), o->value points into arg, which must outlive o.
 * Errors: DF_EUSAGE when arg has no '=' or an empty key.
 */
int df_param_override_parse(const char *arg, struct df_param_override *o, struct df_error *err);
/* Frees the keys of n overrides made by df_param_override_parse() and the array itself
 * (malloc'd by the caller); NULL is a no-op. */
void df_param_overrides_free(struct df_param_override *o, size_t n);

/* Frees everything; NULL is a no-op. */
void df_pipeline_free(struct df_pipeline *p);

/* The step called name, or NULL. */
const struct df_step *df_pipeline_step(const struct df_pipeline *p, const char *name);
int df_pipeline_step_index(const struct df_pipeline *p, const char *name);

/* The output called name of a step, or NULL. */
const struct df_output *df_step_output(const struct df_step *s, const char *name);

#endif
