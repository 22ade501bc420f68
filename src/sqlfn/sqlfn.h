/*
 * sqlfn.h - SQL-analysis functions for query logs (DESIGN.md §5), registered in every
 * task's DuckDB and in `duckflow query`: sql_tables, sql_columns, sql_lineage,
 * sql_fingerprint, sql_fingerprint_hash and sql_statement_type (docs/sql-functions.md).
 * The analysis itself, free of DuckDB, is in sqlfn/analyze.h.
 */
#ifndef DF_SQLFN_H
#define DF_SQLFN_H

#include "util/error.h"

/* DuckDB's connection handle (duckdb_connection), named without including duckdb.h: only
 * engine/ and sqlfn/register.c include it (scripts/check-layers.py). */
struct _duckdb_connection;

/*
 * Registers every function on the connection (for the whole database), each with a
 * 1-argument (sql) and a 2-argument (sql, dialect) overload.
 * Returns 0, or -1 with DF_EFAIL in *err when DuckDB refuses a registration (for example
 * when the functions are already registered in that database).
 */
int df_sqlfn_register(struct _duckdb_connection *con, struct df_error *err);

#endif
