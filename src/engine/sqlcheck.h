/*
 * sqlcheck.h - what `validate` checks with DuckDB's parser, for every command that reads a
 * pipeline before running or compiling it (validate, run, plan, graph, argo): each SQL
 * text (steps, checks, foreach rows) parses, and each step and output name can be written
 * unquoted as `step.table` in DuckDB SQL (as the docs and `duckflow query` use them).
 * Nothing is run and no table is looked up.
 */
#ifndef DF_SQLCHECK_H
#define DF_SQLCHECK_H

#include "spec/spec.h"
#include "util/error.h"

/* 0, or -1 with DF_EUSAGE and the first problem as "FILE:LINE:COL: what: message". With
 * names_only, the SQL texts are not parsed (validate --no-sql). */
int df_pipeline_check_sql(const struct df_pipeline *p, int names_only, struct df_error *err);

#endif
