/*
 * duck.h - opening DuckDB the way every task and `duckflow query` need it, and running
 * SQL with errors copied out before results are destroyed.
 *
 * Lifecycle:
 *   1. Fill a struct df_duck_config (DF_DUCK_CONFIG_INIT, then the fields you need).
 *   2. df_duck_open() opens an in-memory database with it and registers sqlfn.
 *   3. df_duck_exec / df_duck_run_script / df_duck_query_json / df_duck_set_variable.
 *   4. df_duck_close() (also safe on a struct that failed to open or was never opened
 *      when it was set to DF_DUCK_INIT).
 */
#ifndef DF_DUCK_H
#define DF_DUCK_H

#include <duckdb.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"
#include "util/exitclass.h"

struct df_duck_config {
    uint64_t memory_limit;  /* bytes; 0 = DuckDB's default */
    int threads;            /* 0 = DuckDB's default */
    const char *temp_dir;   /* spill folder, or NULL (DuckDB's default) */
    uint64_t max_temp_size; /* bytes; 0 = DuckDB's default */
    int no_spill;           /* 1 = no temp directory at all: past memory_limit is out of memory */
    int keep_order;         /* 1 = preserve_insertion_order true (DuckDB's default); 0 = false,
                             * which lets large COPY and aggregations stream with less memory:
                             * rows of a query without ORDER BY come in no defined order */
};

#define DF_DUCK_CONFIG_INIT                                                                        \
    {                                                                                              \
        0, 0, NULL, 0, 0, 0                                                                        \
    }

struct df_duck {
    duckdb_database db;
    duckdb_connection con;
    duckdb_error_type last_error;  /* type of the last DuckDB failure (DUCKDB_ERROR_INVALID when
                                    * the failure was not DuckDB's or nothing failed) */
    enum df_exit_class last_class; /* df_duck_classify() of the last failure, on DuckDB's whole
                                    * message (err keeps only its first part) */
};

#define DF_DUCK_INIT                                                                               \
    {                                                                                              \
        NULL, NULL, DUCKDB_ERROR_INVALID, DF_CLASS_OK                                              \
    }

/* Opens an in-memory database with cfg (NULL = all defaults), connects, and registers the
 * SQL functions of sqlfn (sql_tables, ...). Extensions are never installed from the
 * network. Release with df_duck_close(). Errors: DF_EFAIL with DuckDB's message. */
int df_duck_open(struct df_duck *d, const struct df_duck_config *cfg, struct df_error *err);
/* Disconnects and closes; leaves d as DF_DUCK_INIT. NULL or a closed d is a no-op. */
void df_duck_close(struct df_duck *d);

/* Runs one or more statements, discarding results; the error (DF_EFAIL) carries DuckDB's
 * message and d->last_error its type. */
int df_duck_exec(struct df_duck *d, const char *sql, struct df_error *err);

/*
 * Sets a DuckDB variable (SET VARIABLE name = ?) from a JSON value, bound as a
 * prepared-statement parameter, never pasted into SQL text. What getvariable(name) returns:
 *   integer -> BIGINT, real -> DOUBLE, string -> VARCHAR, true/false -> BOOLEAN,
 *   null -> NULL (DuckDB gives a bare NULL the type INTEGER),
 *   array -> LIST of the elements' common type (integers and reals -> DOUBLE[]; nulls fit
 *            any type; an empty array -> VARCHAR[]),
 *   object -> STRUCT with the object's keys in order (arrays of objects unify their keys;
 *            a key missing from one element is NULL there),
 *   anything that has no common type (e.g. [1, "a"], or {}) -> VARCHAR holding its JSON text.
 * name must be a valid identifier (layout.h df_valid_ident); the value is not.
 */
struct json_t;
int df_duck_set_variable(struct df_duck *d, const char *name, struct json_t *value,
                         struct df_error *err);

/* One statement of a SQL script, as found by df_sql_split(). */
struct df_sql_piece {
    size_t offset; /* byte offset of the statement's first token in the script */
    size_t len;    /* bytes up to (not including) its terminating ';' */
    int line;      /* 0-based line of the first token, counted from the script's start */
};

/*
 * Splits a script at top-level semicolons, skipping pieces that hold only whitespace and
 * comments. Understands '...' (with ''), E'...' (with backslash escapes), "...",
 * $tag$...$tag$, -- comments and nested block comments. *pieces is malloc'd (free()),
 * possibly NULL when *n is 0. Never fails.
 */
void df_sql_split(const char *sql, struct df_sql_piece **pieces, size_t *n);

/*
 * Runs a script statement by statement (duckdb_extract_statements, then prepare and run
 * each in turn, so later statements bind against what earlier ones created). On failure
 * err is "ORIGIN:LINE: <DuckDB's message>" where LINE = first_line + the failing
 * statement's line in the script; origin NULL leaves the location out. DF_EFAIL.
 */
int df_duck_run_script(struct df_duck *d, const char *sql, const char *origin, int first_line,
                       struct df_error *err);
/* The same with the column where the text's lines start in origin (a block scalar's
 * indentation + 1). A SQL error is then "ORIGIN:LINE:COL: <DuckDB's whole message>",
 * placed where DuckDB's LINE context and caret point (engine/sqlerr.h), with its newlines,
 * context line and caret kept. */
int df_duck_run_script_at(struct df_duck *d, const char *sql, const char *origin, int first_line,
                          int first_col, struct df_error *err);

/*
 * Runs a query (one SELECT-like statement, trailing ';' allowed) and returns its rows as a
 * JSON array of objects (column name -> value, DuckDB's to_json conversion), at most
 * max_rows of them (0 = all). Caller json_decref()s *rows. DF_EFAIL on failure.
 */
int df_duck_query_json(struct df_duck *d, const char *sql, size_t max_rows, struct json_t **rows,
                       struct df_error *err);

/* Records a DuckDB failure of a call made outside this module: d->last_error = type,
 * d->last_class from the whole message, and DF_EFAIL in err with the message's first
 * paragraph (of an out-of-memory message only its first line). */
void df_duck_fail(struct df_duck *d, duckdb_error_type type, const char *msg, struct df_error *err);

/*
 * The exit class of a DuckDB failure: out of memory -> DF_CLASS_OOM, except when the
 * spill folder is full ("max_temp_directory_size", "No space left on device") ->
 * DF_CLASS_SPILL_FULL; anything else -> DF_CLASS_SQL_ERROR.
 */
enum df_exit_class df_duck_classify(duckdb_error_type type, const char *msg);

/* Prints the first 100 rows of a statement's result on stderr when the statement is a
 * SELECT, EXPLAIN, PRAGMA or CALL (duck_echo.c): what a step's SQL shows goes to the task
 * log. index is the statement's position in its script, from 0. */
void df_duck_echo_result(duckdb_prepared_statement stmt, duckdb_result *res, size_t index);
/* DuckDB's warnings (duck_echo.c): enable its logger at level WARN on con; print the
 * entries logged since the last call on stderr ("duckdb warning (TYPE): MESSAGE"). */
void df_duck_warnings_enable(duckdb_connection con);
void df_duck_echo_warnings(duckdb_connection con);

#endif
