/*
 * analyze.c - the entry of the SQL analysis (sqlfn_analyze): tokenizes a text, computes
 * the fingerprint, then reads statement after statement (statement.c, query.c, expr.c),
 * resolves their columns (columns.c) and returns the tables, columns, lineage and
 * statement type that the SQL functions give.
 *
 * It is not a full SQL parser: it knows the clauses that introduce names and skips what it
 * does not know, so unfamiliar syntax degrades to fewer results rather than a failure.
 * A text is "cannot be analysed" (NULL results) only when it does not lex, its brackets do
 * not balance, it nests deeper than MAX_DEPTH, its first word is not a statement, or it
 * needs more than SQLFN_MAX_ARENA bytes. Every loop consumes a token or stops, and name
 * lookups go through hash sets, so time is linear in the text for all but pathological
 * shapes (thousands of sources in one FROM).
 */
#include "sqlfn/parse.h"

#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

/* ---- entry ---- */

struct sqlfn_ctx {
    struct tokens tk;
    struct arena arena;
    const struct sqlfn_catalog *cat;
};

void sqlfn_ctx_set_catalog(struct sqlfn_ctx *cx, const struct sqlfn_catalog *cat)
{
    cx->cat = cat;
}

struct sqlfn_ctx *sqlfn_ctx_new(void)
{
    struct sqlfn_ctx *cx = calloc(1, sizeof(*cx));
    return cx;
}

void sqlfn_ctx_free(struct sqlfn_ctx *cx)
{
    if (!cx)
        return;
    free(cx->tk.v);
    free(cx->tk.pad);
    arena_release(&cx->arena);
    free(cx);
}

static uint64_t fnv64(const char *s, size_t n)
{
    return hash_bytes(14695981039346656037ull, s, n, 0);
}

/* One analysis of the text as `dialect`. */
static int analyze_as(struct sqlfn_ctx *cx, const char *sql, size_t len, enum sqlfn_dialect dialect,
                      unsigned want, struct sqlfn_result *out)
{
    /* zeroed by a copy of fixed size (wide moves): neither memset's call nor `rep stos` */
    static const struct sqlfn_result empty;
    *out = empty;
    arena_reset(&cx->arena);
    if (sqlfn_lex(sql, len, dialect, &cx->tk) != 0)
        return -1;
    if (want & (SQLFN_WANT_FINGERPRINT | SQLFN_WANT_HASH)) {
        /* the fingerprint needs only the tokens: it stays set when the analysis below fails */
        if (sqlfn_fingerprint(sql, &cx->tk, dialect, &cx->arena, &out->fingerprint) != 0) {
            out->fingerprint.s = NULL;
            return -1;
        }
        /* only when asked for: FNV-1a is a chain of multiplies, one per byte */
        if (want & SQLFN_WANT_HASH)
            out->fingerprint_hash = fnv64(out->fingerprint.s, out->fingerprint.len);
    }
    if ((want & SQLFN_WANT_ANSI_FP) && dialect != SQLFN_ANSI && cx->tk.neutral) {
        /* the same tokens as ansi's: only the folding of names can differ */
        if (dialect_fold(dialect) == 'L' && out->fingerprint.s)
            out->ansi_fingerprint = out->fingerprint;
        else if (sqlfn_fingerprint(sql, &cx->tk, SQLFN_ANSI, &cx->arena, &out->ansi_fingerprint) !=
                 0)
            out->ansi_fingerprint.s = NULL;
        if (out->ansi_fingerprint.s && (want & SQLFN_WANT_HASH))
            out->ansi_fingerprint_hash = fnv64(out->ansi_fingerprint.s, out->ansi_fingerprint.len);
    }
    struct parser *P = arena_alloc(&cx->arena, sizeof(*P));
    if (!P)
        return -1;
    sa_zero_parser(P);
    P->s = sql;
    P->t = cx->tk.v;
    P->n = cx->tk.n;
    P->d = dialect;
    P->fold = dialect_fold(dialect);
    /* for sa_tok_name: one test of a word's flags tells whether the fold may change it (no
     * flag for 'P', which keeps every name as written) */
    P->fold_flags = P->fold == 'P' ? 0 : P->fold == 'L' ? TF_UPPER : TF_LOWER;
    P->paths = dialect == SQLFN_SNOWFLAKE || dialect == SQLFN_DATABRICKS;
    P->a = &cx->arena;
    P->cat = cx->cat;
    if (want & SQLFN_WANT_LINEAGE) {
        want |= SQLFN_WANT_TABLES | SQLFN_WANT_COLUMNS;
        P->role = arena_alloc(&cx->arena, P->n + 1);
        if (!P->role)
            return -1;
        memset(P->role, 0, P->n + 1);
    }
    P->want = want;
    if (want & (SQLFN_WANT_TABLES | SQLFN_WANT_TABLE_LIST | SQLFN_WANT_COLUMNS | SQLFN_WANT_TYPE)) {
        while (!P->err) {
            while (cur(P)->type == T_SEMI)
                P->i++;
            if (cur(P)->type == T_EOF)
                break;
            size_t start = P->i;
            sa_begin_statement(P);
            sa_parse_statement(P, NULL);
            if (P->err)
                break;
            /* leftovers this analysis does not know: scan them for queries */
            const struct tok *t = cur(P);
            if (t->type != T_SEMI && t->type != T_EOF) {
                if (t->type == T_RPAREN || t->type == T_RBRACKET || t->type == T_RBRACE) {
                    P->err = 1;
                    break;
                }
                if (!(t->type == T_IDENT && (kw_flags(t->kw) & KF_STMT) &&
                      (t->kw == KW_SELECT || t->kw == KW_INSERT || t->kw == KW_UPDATE ||
                       t->kw == KW_DELETE || t->kw == KW_MERGE || t->kw == KW_CREATE ||
                       t->kw == KW_DROP || t->kw == KW_GO)))
                    sa_scan_rest(P, NULL);
            }
            sa_end_statement(P);
            if (P->i == start)
                P->i++;
        }
    }
    if (P->err)
        return -1;
    out->ok = 1;
    out->tables = P->tables;
    out->n_tables = P->ntables;
    out->columns = P->cols;
    out->n_columns = P->ncols;
    out->edges = P->edges;
    out->n_edges = P->nedges;
    out->access = P->accs;
    out->n_access = P->naccs;
    out->col_lineage = P->lins;
    out->n_col_lineage = P->nlins;
    out->statement_type = P->stype && *P->stype ? P->stype : NULL;
    return 0;
}

/* Query logs carry texts whose dialect label is wrong (another dialect's quoting, comments
 * or escapes): a text that cannot be analysed as its label says is tried as these, in
 * order, and the first that works answers. Only failing texts pay for it. */
static const enum sqlfn_dialect fallbacks[] = {SQLFN_ANSI, SQLFN_MYSQL, SQLFN_TSQL, SQLFN_BIGQUERY};

int sqlfn_analyze(struct sqlfn_ctx *cx, const char *sql, size_t len, enum sqlfn_dialect dialect,
                  unsigned want, struct sqlfn_result *out)
{
    if ((unsigned)dialect > SQLFN_SQLITE)
        dialect = SQLFN_ANSI;
    if (analyze_as(cx, sql, len, dialect, want, out) == 0)
        return 0;
    for (size_t k = 0; k < sizeof(fallbacks) / sizeof(fallbacks[0]); k++)
        if (fallbacks[k] != dialect && analyze_as(cx, sql, len, fallbacks[k], want, out) == 0)
            return 0;
    /* none worked: the label's answer (a fingerprint when the text at least tokenizes) */
    analyze_as(cx, sql, len, dialect, want, out);
    return -1;
}
