/*
 * format.h - printing query results: an aligned text table, CSV or JSON lines, from rows
 * of strings (NULL for SQL NULL). No DuckDB types here, so the formats are tested in
 * isolation (tests/unit/test_query_format.c); query.c feeds it.
 *
 * Lifecycle:
 *   1. df_fmt_begin() with the format, the stream and the columns;
 *   2. df_fmt_row() per row (CSV and JSON print at once; the table buffers rows, since
 *      column widths depend on every row);
 *   3. df_fmt_end() prints what is buffered and reports write errors;
 *   4. df_fmt_release() frees everything (also after an error).
 */
#ifndef DF_QUERY_FORMAT_H
#define DF_QUERY_FORMAT_H

#include <stddef.h>
#include <stdio.h>

#include "util/strbuf.h"

enum df_format {
    DF_FORMAT_TABLE = 0, /* aligned columns, psql-like, "(N rows)" footer */
    DF_FORMAT_CSV,       /* RFC 4180, header line, NULL as an empty field */
    DF_FORMAT_JSON,      /* one JSON object per line */
    DF_FORMAT_PARQUET,   /* only through COPY (query.c); not printable here */
};

/* "table", "csv", "json", "parquet" -> the format, or -1. */
int df_format_parse(const char *name);

/* How a column's values are written: numbers right-aligned in tables and bare in JSON,
 * booleans bare in JSON, everything else as text. */
enum df_col_kind {
    DF_COL_TEXT = 0,
    DF_COL_NUMBER,
    DF_COL_BOOL,
};

#define DF_FMT_DEFAULT_WIDTH 60 /* widest table cell, in characters, before "..." */

struct df_fmt {
    enum df_format format;
    FILE *out;
    size_t ncols;
    char **names;           /* owned */
    enum df_col_kind *kind; /* owned */
    size_t max_width;       /* table: cells wider than this are cut and end in "..." */
    char **cells;           /* table: buffered rows, ncols per row; NULL = SQL NULL; owned */
    size_t nrows, alloc;
    size_t rows_written;
};

/* Starts a result with ncols columns named names[] of kinds kind[] (NULL: all text).
 * Copies what it needs. max_width 0 means DF_FMT_DEFAULT_WIDTH. CSV prints its header
 * here. */
void df_fmt_begin(struct df_fmt *f, enum df_format format, FILE *out, size_t ncols,
                  const char *const *names, const enum df_col_kind *kind, size_t max_width);
/* Adds a row of ncols cells (NULL = SQL NULL). */
void df_fmt_row(struct df_fmt *f, const char *const *cells);
/* Finishes: prints the buffered table and its footer. Returns 0, or -1 when writing failed
 * (then errno tells why). */
int df_fmt_end(struct df_fmt *f);
/* Frees what f holds; f can be begun again. */
void df_fmt_release(struct df_fmt *f);

/* Building blocks, exported for the tests and the HTML report. */

/* Appends s as one CSV field, quoted when it holds a comma, quote, CR, LF or starts or
 * ends with a space. */
void df_fmt_csv_field(struct strbuf *sb, const char *s);
/* Appends s as a JSON string literal with quotes; invalid UTF-8 bytes become U+FFFD. */
void df_fmt_json_string(struct strbuf *sb, const char *s);
/* Appends s with &, <, >, " and ' escaped for HTML text and attribute values. */
void df_fmt_html(struct strbuf *sb, const char *s);
/* Display width of s in characters (UTF-8 code points). */
size_t df_fmt_width(const char *s);
/* Appends s for a table cell: control characters shown as \n, \t, \r or '?', at most
 * max characters, the last three of a cut cell being "...". */
void df_fmt_cell(struct strbuf *sb, const char *s, size_t max);
/* 1 when s is a JSON number as written by DuckDB for a numeric column (no inf/nan). */
int df_fmt_is_json_number(const char *s);

#endif
