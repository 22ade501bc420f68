/*
 * sqlerr.h - a DuckDB error placed where a person looks: DuckDB reports a position as
 * "LINE n:" plus a context line and a caret, counted inside the statement it was given;
 * this maps it to FILE:LINE:COL of the .sql file (or of the inline block in the pipeline
 * file) and keeps DuckDB's message with its newlines, context line and caret:
 *
 *   sql/long.sql:9:12: Binder Error: Referenced column "nope" not found in FROM clause!
 *   Candidate bindings: "x"
 *
 *   LINE 3:     nope
 *               ^
 *
 * No DuckDB calls here (pure text), so it is unit-tested on its own.
 */
#ifndef DF_ENGINE_SQLERR_H
#define DF_ENGINE_SQLERR_H

#include <stddef.h>

#include "util/strbuf.h"

struct df_sql_where {
    const char *origin; /* file name for messages, or NULL: no location */
    const char *sql;    /* the whole script the statement came from */
    size_t stmt_off;    /* byte offset of the statement's first token in sql */
    int stmt_relative;  /* 1: DuckDB's LINE counts from the statement's first line (it was
                         * given the statement); 0: from the script's (the parser saw all) */
    int first_line;     /* line in origin of sql's first line (1-based) */
    int first_col;      /* column in origin where sql's lines start (1-based) */
};

/* Appends "ORIGIN:LINE:COL: MESSAGE" to sb: msg as DuckDB wrote it (trailing blank lines
 * dropped), the position from its "LINE n:" context when there is one, else the
 * statement's start. */
void df_sql_error_format(struct strbuf *sb, const char *msg, const struct df_sql_where *w);

/* Just the position df_sql_error_format() prints: *line and *col (1-based) in w's origin. */
void df_sql_error_where(const char *msg, const struct df_sql_where *w, int *line, int *col);

#endif
