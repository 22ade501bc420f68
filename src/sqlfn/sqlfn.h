/*
 * sqlfn.h - SQL-analysis functions for query logs (DESIGN.md §5), registered in every
 * task's DuckDB and in `duckflow query`: sql_tables, sql_columns, sql_lineage,
 * sql_fingerprint, sql_statement_type.
 */
#ifndef DF_SQLFN_H
#define DF_SQLFN_H

#include <duckdb.h>

#include "util/error.h"

/* Registers every function on the connection. */
int df_sqlfn_register(duckdb_connection con, struct df_error *err);

#endif
