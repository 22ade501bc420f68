/*
 * duck.h - opening DuckDB the way every task and `duckflow query` need it, and running
 * SQL with errors copied out before results are destroyed.
 */
#ifndef DF_DUCK_H
#define DF_DUCK_H

#include <duckdb.h>
#include <stdint.h>

#include "util/error.h"

struct df_duck_config {
    uint64_t memory_limit;  /* bytes; 0 = DuckDB's default */
    int threads;            /* 0 = DuckDB's default */
    const char *temp_dir;   /* spill folder, or NULL */
    uint64_t max_temp_size; /* bytes; 0 = DuckDB's default */
};

#define DF_DUCK_CONFIG_INIT                                                                        \
    {                                                                                              \
        0, 0, NULL, 0                                                                              \
    }

struct df_duck {
    duckdb_database db;
    duckdb_connection con;
};

/* Opens an in-memory database with cfg, connects, and registers the SQL functions of
 * sqlfn (sql_tables, ...). Release with df_duck_close(). */
int df_duck_open(struct df_duck *d, const struct df_duck_config *cfg, struct df_error *err);
void df_duck_close(struct df_duck *d);

/* Runs one or more statements, discarding results; the error carries DuckDB's message. */
int df_duck_exec(struct df_duck *d, const char *sql, struct df_error *err);

/* Sets a DuckDB variable (SET VARIABLE name = <value>) from a JSON value, bound as a
 * prepared-statement parameter, never pasted into SQL text. */
struct json_t;
int df_duck_set_variable(struct df_duck *d, const char *name, struct json_t *value,
                         struct df_error *err);

#endif
