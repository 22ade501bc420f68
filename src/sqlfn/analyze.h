/*
 * analyze.h - the SQL-analysis core behind sql_tables, sql_columns, sql_lineage,
 * sql_fingerprint and sql_statement_type: a single-pass tokenizer plus a light recursive
 * scope analysis, with no DuckDB in it (register.c is the DuckDB glue).
 *
 * Lifecycle:
 *   1. sqlfn_ctx_new() once per thread (a context is not shared between threads; the
 *      functions keep no global mutable state, so one context per thread is thread-safe).
 *   2. sqlfn_analyze() per text; the result points into the context's arena and into the
 *      analysed text, and stays valid until the next sqlfn_analyze() or sqlfn_ctx_free().
 *   3. sqlfn_ctx_free().
 * Memory per text is bounded (SQLFN_MAX_ARENA); a text that needs more is "cannot be
 * analysed", like a text that does not lex or parse.
 */
#ifndef DF_SQLFN_ANALYZE_H
#define DF_SQLFN_ANALYZE_H

#include <stddef.h>
#include <stdint.h>

/* Dialects: they decide quoting, comments, string escapes and case folding (see
 * docs/sql-functions.md for the table). */
enum sqlfn_dialect {
    SQLFN_ANSI = 0,
    SQLFN_SNOWFLAKE,
    SQLFN_BIGQUERY,
    SQLFN_REDSHIFT,
    SQLFN_POSTGRES,
    SQLFN_DATABRICKS, /* also "spark" */
    SQLFN_DUCKDB,
    SQLFN_TSQL,
    SQLFN_MYSQL,
    SQLFN_SQLITE,
};

/* Bytes of arena one text may use before it counts as unanalysable. */
#define SQLFN_MAX_ARENA ((size_t)256 << 20)

/* What sqlfn_analyze computes (bit flags). */
enum {
    SQLFN_WANT_TABLES = 1,  /* tables, with their lineage edges and access kinds */
    SQLFN_WANT_COLUMNS = 2, /* column references */
    SQLFN_WANT_FINGERPRINT = 4,
    SQLFN_WANT_TYPE = 8,
    SQLFN_WANT_HASH = 16,    /* fingerprint_hash; implies SQLFN_WANT_FINGERPRINT */
    SQLFN_WANT_LINEAGE = 32, /* column lineage; implies SQLFN_WANT_TABLES and _COLUMNS */
    /* also the fingerprint (and with SQLFN_WANT_HASH its hash) of the text read as ansi,
     * into ansi_fingerprint, when that costs no second tokenization: the text lexes as
     * ansi exactly as in the dialect asked for (a call without a dialect beside calls
     * with one then finds it computed) */
    SQLFN_WANT_ANSI_FP = 64,
    /* the tables alone, without lineage edges and access kinds (sql_tables); implied by
     * SQLFN_WANT_TABLES */
    SQLFN_WANT_TABLE_LIST = 128,
};

/* A string that is not NUL-terminated; s == NULL means SQL NULL. */
struct sqlfn_str {
    const char *s;
    uint32_t len;
};

struct sqlfn_column {
    struct sqlfn_str table; /* s == NULL when the column cannot be attributed */
    struct sqlfn_str column;
};

struct sqlfn_edge {
    struct sqlfn_str source; /* s == NULL: the statement writes the target from no table
                                (INSERT ... VALUES, CREATE TABLE (cols), UPDATE ... SET 1) */
    struct sqlfn_str target;
};

/* A column-level lineage edge, in OpenLineage's vocabulary (ColumnLineageDatasetFacet):
 * type "DIRECT" with subtype "IDENTITY", "TRANSFORMATION" or "AGGREGATION" (the target
 * column's value is computed from the source column), or "INDIRECT" with "JOIN", "FILTER",
 * "GROUP_BY", "SORT", "WINDOW" or "CONDITIONAL" (the source column decides which rows or
 * values). target_column is NULL for an INDIRECT edge that affects the whole target (a
 * join, filter, grouping or sort); source_table is NULL when the text cannot tell. */
struct sqlfn_col_lineage {
    struct sqlfn_str source_table, source_column, target_table, target_column;
    const char *type, *subtype; /* static strings */
};

/* A table and how a statement touches it: "read", "insert", "update", "delete", "merge",
 * "create", "drop", "alter", "truncate" or "copy" (a static string). */
struct sqlfn_access {
    struct sqlfn_str table;
    const char *access;
};

/* The analysis of one text. Arrays are in order of first appearance, without duplicates. */
struct sqlfn_result {
    int ok; /* 0: the text cannot be analysed (every function gives NULL) */
    const struct sqlfn_str *tables;
    size_t n_tables;
    const struct sqlfn_column *columns;
    size_t n_columns;
    const struct sqlfn_edge *edges;
    size_t n_edges;
    const struct sqlfn_access *access; /* with SQLFN_WANT_TABLES */
    size_t n_access;
    const struct sqlfn_col_lineage *col_lineage; /* with SQLFN_WANT_LINEAGE */
    size_t n_col_lineage;
    struct sqlfn_str fingerprint;      /* with SQLFN_WANT_FINGERPRINT; s == NULL when the text does
                                       not tokenize (kept when only the analysis fails) */
    uint64_t fingerprint_hash;         /* with SQLFN_WANT_HASH: 64-bit FNV-1a of fingerprint */
    struct sqlfn_str ansi_fingerprint; /* with SQLFN_WANT_ANSI_FP: s == NULL when not computed */
    uint64_t ansi_fingerprint_hash;
    const char *statement_type; /* static string; NULL when there is no statement */
};

struct sqlfn_ctx;

/* A catalog: tables and their columns (sqlfn_catalog_add), for resolving columns. */
struct sqlfn_catalog;

/* Returns an empty catalog, or NULL when out of memory. */
struct sqlfn_catalog *sqlfn_catalog_new(void);

/* Adds `table` (as qualified as the user has it) with its columns; the strings are
 * copied. A table already in the catalog (compared case-insensitively) keeps its first
 * columns; NULL columns are left out. The name "$search_path" lists schemas instead, tried
 * in order for an unqualified table. Returns 0, or -1 when out of memory. */
int sqlfn_catalog_add(struct sqlfn_catalog *cat, const char *table, size_t len,
                      const struct sqlfn_str *cols, size_t ncols);

/* Frees a catalog; NULL is a no-op. */
void sqlfn_catalog_free(struct sqlfn_catalog *cat);

/* Analyses on cx use `cat` (NULL: none) until it is set again; cx does not own it. */
void sqlfn_ctx_set_catalog(struct sqlfn_ctx *cx, const struct sqlfn_catalog *cat);

/* Returns a new context, or NULL when out of memory. Free with sqlfn_ctx_free(). */
struct sqlfn_ctx *sqlfn_ctx_new(void);

/* Frees a context and everything its results point to; NULL is a no-op. */
void sqlfn_ctx_free(struct sqlfn_ctx *cx);

/*
 * Analyses `len` bytes of `sql` (need not be NUL-terminated) as `dialect`, computing what
 * the `want` flags ask for, into *out. Returns 0 when the text was analysed, -1 when it
 * cannot be (out->ok == 0 then; not an error to report: the functions give NULL).
 */
int sqlfn_analyze(struct sqlfn_ctx *cx, const char *sql, size_t len, enum sqlfn_dialect dialect,
                  unsigned want, struct sqlfn_result *out);

/*
 * Parses a dialect name (case-insensitive: ansi, snowflake, bigquery, redshift, postgres,
 * postgresql, databricks, spark, duckdb, tsql, mssql, mysql, sqlite). Returns 0 and sets
 * *out, or -1 for an unknown name.
 */
int sqlfn_dialect_parse(const char *name, size_t len, enum sqlfn_dialect *out);

#endif
