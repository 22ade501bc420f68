/*
 * sqlerr.c - mapping DuckDB's "LINE n:" context to FILE:LINE:COL (see sqlerr.h).
 */
#include "engine/sqlerr.h"

#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

/* Byte offset of the start of line `line` (0-based) of s, or of its end. */
static size_t line_start(const char *s, int line)
{
    size_t off = 0;
    for (int i = 0; i < line && s[off]; i++) {
        const char *nl = strchr(s + off, '\n');
        if (!nl)
            return strlen(s);
        off = (size_t)(nl - s) + 1;
    }
    return off;
}

/* 0-based line of byte off in s. */
static int line_of(const char *s, size_t off)
{
    int n = 0;
    for (size_t i = 0; i < off && s[i]; i++)
        n += s[i] == '\n';
    return n;
}

/*
 * Finds DuckDB's context: "LINE n: <text>\n<spaces>^". Sets *line (DuckDB's n), *col
 * (0-based, in the displayed text) and the displayed text. Returns a pointer to "LINE",
 * or NULL.
 */
static const char *find_context(const char *msg, int *line, int *col, const char **text,
                                size_t *text_len)
{
    const char *at = msg, *ctx = NULL;
    while ((at = strstr(at, "LINE ")) != NULL) {
        if (at == msg || at[-1] == '\n')
            ctx = at; /* the last one wins */
        at += 5;
    }
    if (!ctx)
        return NULL;
    {
        char *end;
        long n = strtol(ctx + 5, &end, 10);
        const char *nl, *caret;
        size_t prefix;
        if (end == ctx + 5 || n < 1 || n > 10000000 || end[0] != ':' || end[1] != ' ')
            return NULL;
        prefix = (size_t)(end + 2 - ctx);
        nl = strchr(end, '\n');
        if (!nl)
            return NULL;
        caret = nl + 1;
        while (*caret == ' ')
            caret++;
        if (*caret != '^' || (size_t)(caret - nl - 1) < prefix)
            return NULL;
        *line = (int)n;
        *col = (int)((size_t)(caret - nl - 1) - prefix);
        *text = end + 2;
        *text_len = (size_t)(nl - (end + 2));
    }
    return ctx;
}

void df_sql_error_where(const char *msg, const struct df_sql_where *w, int *out_line, int *out_col)
{
    const char *sql = w->sql ? w->sql : "";
    size_t stmt_off = w->stmt_off <= strlen(sql) ? w->stmt_off : 0;
    size_t bol = stmt_off;
    int line, col, dline = 0, dcol = 0;
    const char *text = NULL;
    size_t text_len = 0;

    if (!msg)
        msg = "unknown duckdb error";
    while (bol > 0 && sql[bol - 1] != '\n')
        bol--;
    /* The statement's start, when DuckDB says nothing more precise. */
    line = line_of(sql, stmt_off);
    col = (int)(stmt_off - bol);
    if (find_context(msg, &dline, &dcol, &text, &text_len)) {
        int l0 = (w->stmt_relative ? line : 0) + dline - 1;
        size_t ls = line_start(sql, l0), le = ls;
        while (sql[le] && sql[le] != '\n')
            le++;
        if (w->stmt_relative && dline == 1)
            ls = stmt_off; /* DuckDB's first line starts with the statement */
        line = l0;
        col = (int)(ls - line_start(sql, l0)) + dcol;
        if (text_len > 3 && !strncmp(text, "...", 3)) {
            /* A long line is shown as a window "...<text>...": find the window's text in
             * the source line to learn where it starts. */
            size_t want = text_len - 3, found = (size_t)-1;
            if (want > 3 && !strncmp(text + text_len - 3, "...", 3))
                want -= 3;
            if (want > 24)
                want = 24;
            for (size_t i = ls; want && i + want <= le; i++)
                if (!strncmp(sql + i, text + 3, want)) {
                    found = i;
                    break;
                }
            if (found != (size_t)-1)
                col = (int)(found - line_start(sql, l0)) + dcol - 3;
        }
        if (col < 0)
            col = 0;
    }
    *out_line = w->first_line + line;
    *out_col = w->first_col + col;
}

void df_sql_error_format(struct strbuf *sb, const char *msg, const struct df_sql_where *w)
{
    size_t mlen;
    int line, col;

    if (!msg)
        msg = "unknown duckdb error";
    df_sql_error_where(msg, w, &line, &col);
    mlen = strlen(msg);
    while (mlen > 0 && (msg[mlen - 1] == '\n' || msg[mlen - 1] == ' '))
        mlen--;
    if (w->origin)
        sb_addf(sb, "%s:%d:%d: ", w->origin, line, col);
    sb_add(sb, msg, mlen);
}
