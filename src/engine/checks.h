/*
 * checks.h - a step's checks, run in its task's DuckDB after its SQL. A check is a query
 * whose rows are offences: the result records how many rows it returned and shows the
 * first 5 as a small table. `severity: error` (the default) fails the task with class
 * check_failed; `severity: warn` prints a warning on stderr and the task still commits.
 * Every result goes into the manifest's "checks" (`_run.checks` in `duckflow query`).
 */
#ifndef DF_ENGINE_CHECKS_H
#define DF_ENGINE_CHECKS_H

#include <jansson.h>

#include "engine/duck.h"
#include "spec/spec.h"
#include "util/error.h"
#include "util/exitclass.h"

#define DF_CHECK_SHOW_ROWS 5 /* offending rows shown in a message */

/*
 * Runs every check of step s, all of them even after one failed, so each has a result.
 * who prefixes warnings ("step 'merge' item 0").
 * *results (always set; caller json_decref()s): [{"name", "severity", "rows", "passed"}].
 * Returns 0 when no error-severity check failed; else -1 with err "check 'NAME' failed:
 * N rows; the first K:\n<table>" for the first failed one (later failed error checks
 * named on a last line "also failed: 'b' (3 rows), ...") and *cls check_failed; or the
 * class of a check whose SQL failed, err then naming FILE:LINE of the check.
 */
int df_checks_run(struct df_duck *d, const struct df_pipeline *p, const struct df_step *s,
                  const char *who, json_t **results, enum df_exit_class *cls, struct df_error *err);

/* After the step's SQL: every declared output exists as a table or view. Else -1 with
 * err "step 'x' did not create table 'missing' (it created: t, u)" (class sql_error): the
 * tables and views the SQL made, the input views left out. */
int df_outputs_check(struct df_duck *d, const struct df_step *s, struct df_error *err);

/* Appends rows (a JSON array of objects, as df_duck_query_json returns) to sb as an
 * aligned text table with a header line; cells are the values' text (strings bare,
 * numbers shortest, NULL as NULL), at most 40 characters each. */
struct strbuf;
void df_checks_table(struct strbuf *sb, json_t *rows);

#endif
