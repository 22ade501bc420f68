/*
 * types.h - how each DuckDB type goes into the store's Parquet files, so that what a
 * downstream step, `duckflow query` or another Parquet reader sees is what the step made
 * (the table is in docs/pipeline.md):
 *   - most types are written as they are and read back the same;
 *   - HUGEINT and UHUGEINT are written as DECIMAL(38,0) (DuckDB's Parquet writer would
 *     make them DOUBLE and lose digits); a value that does not fit is refused;
 *   - ENUM, BIT and BIGNUM are read back as VARCHAR (their text), TIMESTAMP_S and
 *     TIMESTAMP_MS as TIMESTAMP, a fixed-size ARRAY as a LIST: same values, another type;
 *   - UNION and TIME WITH TIME ZONE, and HUGEINT/UHUGEINT inside a nested type, are
 *     refused at write time with the column, its type and what to cast it to.
 * The manifest records df_types_reader_type() of each column: the type a reader sees.
 */
#ifndef DF_TYPES_H
#define DF_TYPES_H

#include "engine/duck.h"
#include "util/strbuf.h"

/* Appends to sql the select list that writes table (an existing DuckDB table or view)
 * into Parquet as described above ("*" when nothing needs converting). -1 with DF_EFAIL
 * naming the column when a type or a value cannot be written. When cols is not NULL, it
 * receives the table's columns as DESCRIBE gives them (a JSON array of {name, type}; the
 * caller's, also on failure, NULL when DESCRIBE failed), so the caller need not ask again. */
int df_types_select_list(struct df_duck *d, const char *table, struct strbuf *sql,
                         struct json_t **cols_out, struct df_error *err);

/* The type a Parquet reader sees for a column of DuckDB type `type` written through
 * df_types_select_list(). Malloc'd. */
char *df_types_reader_type(const char *type);

#endif
