/*
 * query.c - queries of the SQL analysis: FROM clauses (tables, subqueries, table
 * functions, joins, aliases and table modifiers), WITH, SELECT with its clauses, and set
 * operations; each SELECT gets a scope with its sources and projections.
 */
#include "sqlfn/parse.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/banned.h"

/* ---- FROM clauses ---- */

/* Skips a column alias list "(a, b type, ...)" at the cursor, keeping the names of a table
 * function's outputs (up to 16) so that references to them are not taken for columns of
 * the tables beside it. */
static void alias_columns(struct parser *P, struct source *src)
{
    size_t open = P->i;
    if (src && src->kind == SRC_FUNC) {
        struct name *outs = arena_alloc(P->a, 16 * sizeof(*outs));
        uint32_t n = 0;
        size_t j = open + 1;
        while (outs && n < 16 && (P->t[j].type == T_IDENT || P->t[j].type == T_QIDENT)) {
            outs[n++] = sa_tok_name(P, &P->t[j]);
            j++;
            while (P->t[j].type != T_COMMA && P->t[j].type != T_RPAREN && P->t[j].type != T_EOF &&
                   P->t[j].type != T_LPAREN)
                j++; /* a type after the name */
            if (P->t[j].type != T_COMMA)
                break;
            j++;
        }
        src->outs = outs;
        src->nouts = n;
    }
    P->i = open;
    sa_skip_balanced(P);
}

/* Does a bracket at token j hold T-SQL table hints, t (NOLOCK) / t x (NOLOCK, INDEX(i))? */
static int table_hint(const struct parser *P, size_t j)
{
    static const char *const hints[] = {
        "nolock",   "readuncommitted", "updlock",        "holdlock",      "rowlock",
        "paglock",  "tablock",         "tablockx",       "xlock",         "readpast",
        "nowait",   "serializable",    "repeatableread", "readcommitted", "readcommittedlock",
        "noexpand", "forceseek",       "forcescan",      "snapshot",      "index"};
    const struct tok *t = &P->t[j + 1];
    if (t->type != T_IDENT && !is_kw(t, KW_INDEX))
        return 0;
    if (!(t[1].type == T_RPAREN || t[1].type == T_COMMA || t[1].type == T_LPAREN))
        return 0;
    char first = (char)(P->s[t->off] | 0x20);
    for (size_t k = 0; k < sizeof(hints) / sizeof(hints[0]); k++)
        if (hints[k][0] == first && t->len == strlen(hints[k]) &&
            !strncasecmp(P->s + t->off, hints[k], t->len))
            return 1;
    return 0;
}

/* After a statement word in alias position (FROM games go JOIN ...): does the next token
 * show that the word was an alias, not the start of another statement? */
static int alias_word(const struct tok *nx)
{
    return nx->type == T_COMMA || nx->type == T_RPAREN || nx->type == T_DOT || is_kw(nx, KW_ON) ||
           is_kw(nx, KW_USING) || (tkflags(nx) & KF_TERM) || is_kw(nx, KW_JOIN);
}

/* Modifiers after a table reference, and its alias. */
void sa_table_suffix(struct parser *P, struct scope *S, struct source *src)
{
    for (int guard = 0; guard < 64 && !P->err; guard++) {
        const struct tok *t = cur(P);
        /* the everyday end of an item: a comma, a bracket, the end (no keyword, no alias) */
        if (t->type != T_IDENT && t->type != T_QIDENT && t->type != T_STRING)
            return;
        const struct tok *nx = peek(P, 1);
        switch (t->kw) { /* the keywords that start a suffix, checked below */
        case KW_FOR:
        case KW_AT:
        case KW_BEFORE:
        case KW_CHANGES:
        case KW_TABLESAMPLE:
        case KW_SAMPLE:
        case KW_USING:
        case KW_WITH:
        case KW_USE:
        case KW_IGNORE:
        case KW_FORCE:
        case KW_PIVOT:
        case KW_UNPIVOT:
        case KW_MATCH_RECOGNIZE:
            break;
        default: /* no keyword, AS or another keyword: an alias or the end of the item */
            goto alias;
        }
        if (is_kw(t, KW_FOR) &&
            (is_kw(nx, KW_SYSTEM_TIME) || is_kw(nx, KW_TIMESTAMP) || is_kw(nx, KW_VERSION))) {
            P->i += 2;
            accept_kw(P, KW_AS);
            if (cur(P)->type == T_IDENT && is_kw(cur(P), KW_OF))
                P->i++;
            sa_walk(P, S, EX_COMMA, NULL);
            continue;
        }
        if ((is_kw(t, KW_AT) || is_kw(t, KW_BEFORE) || is_kw(t, KW_CHANGES)) &&
            nx->type == T_LPAREN) {
            P->i++;
            sa_paren(P, S, 0);
            continue;
        }
        if (is_kw(t, KW_TABLESAMPLE) || (is_kw(t, KW_SAMPLE) && nx->type == T_LPAREN)) {
            P->i++;
            if (cur(P)->type == T_IDENT && peek(P, 1)->type == T_LPAREN)
                P->i++;
            if (cur(P)->type == T_LPAREN)
                sa_skip_balanced(P);
            if (cur(P)->type == T_IDENT && peek(P, 1)->type == T_LPAREN) { /* REPEATABLE */
                P->i++;
                sa_skip_balanced(P);
            }
            continue;
        }
        if (is_kw(t, KW_USING) && is_kw(nx, KW_SAMPLE)) {
            P->i += 2;
            while (!P->err) {
                const struct tok *u = cur(P);
                if (u->type == T_EOF || u->type == T_SEMI || u->type == T_RPAREN ||
                    u->type == T_COMMA || (tkflags(u) & KF_TERM))
                    break;
                if (u->type == T_LPAREN)
                    sa_skip_balanced(P);
                else
                    P->i++;
            }
            continue;
        }
        if (is_kw(t, KW_WITH) && nx->type == T_LPAREN) { /* T-SQL table hints */
            P->i++;
            sa_skip_balanced(P);
            continue;
        }
        if (is_kw(t, KW_WITH) && (is_kw(nx, KW_ORDINALITY) || is_kw(nx, KW_OFFSET))) {
            P->i += 2;
            if (accept_kw(P, KW_AS) || is_name_tok(cur(P)))
                P->i++;
            continue;
        }
        if ((is_kw(t, KW_USE) || is_kw(t, KW_IGNORE) || is_kw(t, KW_FORCE)) &&
            (is_kw(nx, KW_INDEX) || is_kw(nx, KW_KEY))) {
            P->i += 2;
            if (is_kw(cur(P), KW_FOR)) {
                P->i++;
                if (cur(P)->type == T_IDENT)
                    P->i++;
                accept_kw(P, KW_BY);
            }
            if (cur(P)->type == T_LPAREN)
                sa_skip_balanced(P);
            continue;
        }
        if (is_kw(t, KW_PIVOT) || is_kw(t, KW_UNPIVOT)) {
            P->i++;
            if (is_kw(cur(P), KW_INCLUDE) || is_kw(cur(P), KW_EXCLUDE)) {
                P->i++;
                accept_kw(P, KW_NULLS);
            }
            /* the PIVOT body reads the source's columns; its result hides them */
            struct scope *T = sa_new_scope(P, NULL, S ? S->ctes : NULL);
            if (src && T) {
                struct source *copy = sa_add_source(P, T, src->kind);
                if (copy) {
                    *copy = *src;
                    copy->next = NULL;
                }
                src->kind = SRC_FUNC;
                src->has_alias = 0;
            }
            if (cur(P)->type == T_LPAREN)
                sa_paren(P, T ? T : S, 0);
            continue;
        }
        if (is_kw(t, KW_MATCH_RECOGNIZE) && nx->type == T_LPAREN) {
            P->i++;
            sa_skip_balanced(P);
            continue;
        }
    alias:;
        /* alias */
        int explicit_as = 0;
        if (is_kw(t, KW_AS)) {
            explicit_as = 1;
            P->i++;
            t = cur(P);
            nx = peek(P, 1);
        }
        if (explicit_as && cur(P)->type == T_LPAREN) { /* AS (a, b) */
            if (src)
                src->renamed = 1;
            alias_columns(P, src);
            continue;
        }
        if (t->type == T_QIDENT || (t->type == T_STRING && explicit_as) ||
            (t->type == T_IDENT && explicit_as) ||
            (t->type == T_IDENT && !(kw_flags(t->kw) & KF_RES) &&
             (explicit_as || t->kw == KW_NONE ||
              (nx->type != T_LPAREN && (!(kw_flags(t->kw) & KF_STMT) || alias_word(nx)))) &&
             !(t->kw == KW_SAMPLE || t->kw == KW_MATCH_CONDITION || t->kw == KW_CLONE ||
               (t->kw == KW_BEFORE && nx->type == T_LPAREN) ||
               (t->kw == KW_CHANGES && nx->type == T_LPAREN) ||
               ((t->kw == KW_USE || t->kw == KW_IGNORE || t->kw == KW_FORCE) &&
                (is_kw(nx, KW_INDEX) || is_kw(nx, KW_KEY)))))) {
            if (src) {
                src->alias = sa_tok_name(P, t);
                src->has_alias = 1;
            }
            P->i++;
            if (cur(P)->type == T_LPAREN && table_hint(P, P->i)) {
                sa_skip_balanced(P);
            } else if (cur(P)->type == T_LPAREN) { /* column aliases t(a, b) */
                if (src)
                    src->renamed = 1;
                alias_columns(P, src);
            }
            continue;
        }
        if (explicit_as) {
            P->err = 1;
            return;
        }
        return;
    }
}

static int alias_in_scope(const struct scope *S, struct name nm)
{
    for (const struct source *src = S->src; src; src = src->next)
        if (src->has_alias && name_ieq(src->alias, nm))
            return 1;
    return 0;
}

/* A FROM item that starts with a name: a table, a CTE, a table function, or a path into an
 * earlier source. */
static struct source *from_name(struct parser *P, struct scope *S, int write, const struct tok *t)
{
    struct source *src = NULL;
    struct name parts[MAX_PARTS], full;
    int n;
    if ((t->type == T_IDENT || t->type == T_QIDENT || t->type == T_TEMPLATE) &&
        t[1].type != T_DOT) {
        /* one part, as sa_read_chain reads it */
        parts[0] = full = sa_tok_name(P, t);
        P->i++;
        n = 1;
    } else {
        n = sa_read_chain(P, parts, NULL, &full);
    }
    int hint = cur(P)->type == T_LPAREN && table_hint(P, P->i);
    if (n == 1 && cur(P)->type == T_LPAREN && peek(P, 1)->type == T_STRING &&
        peek(P, 2)->type == T_RPAREN && parts[0].len == 10 &&
        !strncasecmp(parts[0].s, "identifier", 10)) {
        /* Snowflake IDENTIFIER('db.t'): the table named by the string */
        P->i++;
        full = sa_tok_name(P, cur(P));
        parts[0] = full;
        P->i += 2;
    } else if (hint) {
        sa_skip_balanced(P);
    }
    if (cur(P)->type == T_LPAREN && !hint) { /* table function */
        sa_paren(P, S, 0);
        src = sa_add_source(P, S, SRC_FUNC);
        if (src) {
            src->alias = parts[n < MAX_PARTS ? n - 1 : MAX_PARTS - 1];
        }
    } else if (n >= 2 && S && alias_in_scope(S, parts[0])) {
        /* FROM t AS c, c.items AS i: navigation into an earlier source (Redshift SUPER,
         * BigQuery arrays), not a table */
        src = sa_add_source(P, S, SRC_FUNC);
    } else {
        struct cte *c = n == 1 && S ? sa_find_cte(S, S->ctes, parts[0]) : NULL;
        if (c) {
            src = sa_add_source(P, S, SRC_DERIVED);
            if (src) {
                src->derived = c->body;
                src->alias = c->name;
                src->renamed = c->renamed;
            }
        } else {
            src = sa_add_source(P, S, SRC_TABLE);
            if (src) {
                src->table = full;
                src->alias = parts[n < MAX_PARTS ? n - 1 : MAX_PARTS - 1];
            }
            if (write != 2)
                sa_record_table(P, full, write);
        }
    }
    return src;
}

struct source *sa_from_item(struct parser *P, struct scope *S, int write)
{
    const struct tok *first = cur(P);
    if (first->type == T_IDENT && first->kw == KW_NONE) {
        /* the everyday item, a table's name: none of the other forms starts with a word
         * that is no keyword */
        struct source *src = from_name(P, S, write, first);
        sa_table_suffix(P, S, src);
        return src;
    }
    while (accept_kw(P, KW_LATERAL) || accept_kw(P, KW_ONLY))
        ;
    if (is_kw(cur(P), KW_ROWS) && is_kw(peek(P, 1), KW_FROM)) /* ROWS FROM (f(), g()) */
        P->i += 2;
    const struct tok *t = cur(P);
    struct source *src = NULL;
    if (t->type == T_LPAREN) {
        size_t j = P->i + 1;
        while (P->t[j].type == T_LPAREN)
            j++;
        const struct tok *in = &P->t[j];
        int subquery = starts_query(in) && !is_kw(in, KW_TABLE);
        if (subquery && j > P->i + 1) {
            /* ((SELECT ...) JOIN t ...) is a join whose first item is a subquery; ((SELECT
             * ...) UNION ...) and ((SELECT ...)) are subqueries */
            size_t k = P->i + 1;
            int depth = 0;
            for (; P->t[k].type != T_EOF; k++) {
                if (P->t[k].type == T_LPAREN)
                    depth++;
                else if (P->t[k].type == T_RPAREN && --depth == 0)
                    break;
            }
            const struct tok *after = &P->t[k + 1];
            if (!(after->type == T_RPAREN || is_kw(after, KW_UNION) || is_kw(after, KW_EXCEPT) ||
                  is_kw(after, KW_INTERSECT) || is_kw(after, KW_MINUS) || is_kw(after, KW_ORDER) ||
                  is_kw(after, KW_LIMIT)))
                subquery = 0;
        }
        if (subquery) {
            P->i++;
            if (++P->depth > MAX_DEPTH) {
                P->err = 1;
                return NULL;
            }
            struct scope *sub = sa_parse_query(P, S, S ? S->ctes : NULL);
            P->depth--;
            sa_close_with(P, S, T_RPAREN);
            src = sa_add_source(P, S, SRC_DERIVED);
            if (src)
                src->derived = sub;
        } else {
            P->i++;
            if (++P->depth > MAX_DEPTH) {
                P->err = 1;
                return NULL;
            }
            sa_parse_from_list(P, S, write);
            P->depth--;
            sa_close_with(P, S, T_RPAREN);
            /* (a JOIN b) AS j: the alias names the whole join */
            sa_table_suffix(P, S, NULL);
            return NULL;
        }
    } else if ((is_kw(t, KW_TABLE) || is_kw(t, KW_UNNEST)) && peek(P, 1)->type == T_LPAREN) {
        P->i++;
        sa_paren(P, S, 0);
        src = sa_add_source(P, S, SRC_FUNC);
    } else if (is_kw(t, KW_VALUES)) {
        P->i++;
        while (cur(P)->type == T_LPAREN && !P->err) {
            sa_paren(P, S, 0);
            if (cur(P)->type == T_COMMA && peek(P, 1)->type == T_LPAREN)
                P->i++;
        }
        src = sa_add_source(P, S, SRC_FUNC);
    } else if (t->type == T_STRING || t->type == T_PARAM) {
        P->i++;
        if (cur(P)->type == T_LPAREN) /* @stage (FILE_FORMAT => ...) */
            sa_skip_balanced(P);
        src = sa_add_source(P, S, SRC_FUNC);
    } else if (is_name_tok(t) ||
               ((kw_flags(t->kw) & KF_FN) && t->type == T_IDENT && peek(P, 1)->type == T_LPAREN)) {
        src = from_name(P, S, write, t);
    } else {
        return NULL;
    }
    sa_table_suffix(P, S, src);
    return src;
}

static int join_word(const struct tok *t)
{
    if (t->type != T_IDENT)
        return 0;
    switch (t->kw) {
    case KW_NATURAL:
    case KW_INNER:
    case KW_LEFT:
    case KW_RIGHT:
    case KW_FULL:
    case KW_OUTER:
    case KW_CROSS:
    case KW_SEMI:
    case KW_ANTI:
    case KW_ASOF:
    case KW_POSITIONAL:
    case KW_JOIN:
    case KW_STRAIGHT_JOIN:
        return 1;
    default:
        return 0;
    }
}

/* from_item {(, | JOIN) from_item [ON expr | USING (cols)]}. write_first: 1 records the
 * first table as written, 2 records nothing for it (the caller settles it). */
void sa_parse_from_list(struct parser *P, struct scope *S, int write_first)
{
    struct source *prev = sa_from_item(P, S, write_first);
    while (!P->err) {
        const struct tok *t = cur(P);
        if (t->type == T_COMMA) {
            P->i++;
            prev = sa_from_item(P, S, 0);
            continue;
        }
        if (is_kw(t, KW_LATERAL) && is_kw(peek(P, 1), KW_VIEW)) { /* Hive/Spark */
            P->i += 2;
            accept_kw(P, KW_OUTER);
            struct name parts[MAX_PARTS];
            if (sa_read_chain(P, parts, NULL, NULL) && cur(P)->type == T_LPAREN)
                sa_paren(P, S, 0);
            struct source *fsrc = sa_add_source(P, S, SRC_FUNC);
            if (is_name_tok(cur(P)) && !is_kw(cur(P), KW_AS)) {
                if (fsrc) {
                    fsrc->alias = sa_tok_name(P, cur(P));
                    fsrc->has_alias = 1;
                }
                P->i++;
            }
            if (accept_kw(P, KW_AS)) {
                if (fsrc)
                    fsrc->outs = arena_alloc(P->a, 16 * sizeof(*fsrc->outs));
                while (is_name_tok(cur(P))) {
                    if (fsrc && fsrc->outs && fsrc->nouts < 16)
                        fsrc->outs[fsrc->nouts++] = sa_tok_name(P, cur(P));
                    P->i++;
                    if (cur(P)->type == T_COMMA && is_name_tok(peek(P, 1)) &&
                        !(peek(P, 2)->type == T_DOT || peek(P, 2)->type == T_IDENT ||
                          peek(P, 2)->type == T_QIDENT))
                        P->i++;
                    else
                        break;
                }
            }
            continue;
        }
        if (join_word(t) || (is_kw(t, KW_OUTER) || is_kw(t, KW_CROSS))) {
            size_t save = P->i;
            int apply = 0;
            while (join_word(cur(P)) && !is_kw(cur(P), KW_JOIN) && !is_kw(cur(P), KW_STRAIGHT_JOIN))
                P->i++;
            if (is_kw(cur(P), KW_APPLY)) {
                apply = 1;
                P->i++;
            } else if (!accept_kw(P, KW_JOIN) && !accept_kw(P, KW_STRAIGHT_JOIN)) {
                P->i = save;
                return;
            }
            (void)apply;
            struct source *cur_src = sa_from_item(P, S, 0);
            if (is_kw(cur(P), KW_MATCH_CONDITION) && peek(P, 1)->type == T_LPAREN) {
                P->i++;
                sa_paren(P, S, 0);
            }
            if (accept_kw(P, KW_ON)) {
                size_t b = P->i;
                sa_walk(P, S, EX_COMMA, NULL);
                sa_mark_role(P, b, P->i, ROLE_JOIN);
            } else if (is_kw(cur(P), KW_USING) && peek(P, 1)->type == T_LPAREN) {
                P->i += 2;
                for (size_t j = P->i;
                     P->role && j < P->n && P->t[j].type != T_RPAREN && P->t[j].type != T_EOF; j++)
                    sa_mark_role(P, j, j + 1, ROLE_JOIN);
                while (!P->err && is_name_tok(cur(P))) {
                    struct name nm = sa_tok_name(P, cur(P));
                    uint32_t pos = (uint32_t)P->i;
                    if (prev)
                        sa_add_ref(P, S, &nm, 1, 0, pos, prev);
                    if (cur_src)
                        sa_add_ref(P, S, &nm, 1, 0, pos, cur_src);
                    if (!prev && !cur_src)
                        sa_add_ref(P, S, &nm, 1, 0, pos, NULL);
                    P->i++;
                    if (cur(P)->type == T_COMMA)
                        P->i++;
                }
                sa_close_with(P, S, T_RPAREN);
            }
            prev = cur_src;
            continue;
        }
        return;
    }
}

/* ---- queries ---- */

struct cte *sa_parse_with(struct parser *P, struct scope *parent, struct cte *ctes)
{
    P->i++; /* WITH */
    accept_kw(P, KW_RECURSIVE);
    while (!P->err) {
        const struct tok *t = cur(P);
        if (!(t->type == T_IDENT || t->type == T_QIDENT || t->type == T_STRING)) {
            P->err = 1;
            return ctes;
        }
        struct cte *c = sa_alloc0(P, sizeof(*c));
        if (!c)
            return ctes;
        c->name = sa_tok_name(P, t);
        P->i++;
        int no_as = cur(P)->type == T_LPAREN &&
                    (is_kw(peek(P, 1), KW_SELECT) || is_kw(peek(P, 1), KW_WITH));
        if (cur(P)->type == T_LPAREN && !no_as) {
            c->renamed = 1;
            sa_skip_balanced(P);
        }
        if (is_kw(cur(P), KW_USING) && is_kw(peek(P, 1), KW_KEY)) {
            P->i += 2;
            if (cur(P)->type == T_LPAREN)
                sa_skip_balanced(P);
        }
        if (!no_as && !accept_kw(P, KW_AS)) {
            P->err = 1;
            return ctes;
        }
        accept_kw(P, KW_NOT);
        accept_kw(P, KW_MATERIALIZED);
        c->next = ctes;
        ctes = c;
        if (cur(P)->type != T_LPAREN) {
            P->err = 1;
            return ctes;
        }
        P->i++;
        if (++P->depth > MAX_DEPTH) {
            P->err = 1;
            return ctes;
        }
        if (starts_query(cur(P)) || cur(P)->type == T_LPAREN) {
            c->body = sa_parse_query(P, parent, ctes);
        } else if (is_kw(cur(P), KW_INSERT) || is_kw(cur(P), KW_UPDATE) ||
                   is_kw(cur(P), KW_DELETE)) {
            sa_parse_statement(P, ctes); /* data-modifying CTE (PostgreSQL) */
        }
        P->depth--;
        sa_close_with(P, parent, T_RPAREN);
        if (cur(P)->type == T_COMMA) {
            P->i++;
            continue;
        }
        break;
    }
    return ctes;
}

/* Does the token range call an aggregate function? */
static int calls_aggregate(const struct parser *P, size_t b, size_t e)
{
    static const char *const aggs[] = {"sum",
                                       "count",
                                       "avg",
                                       "min",
                                       "max",
                                       "any_value",
                                       "array_agg",
                                       "string_agg",
                                       "listagg",
                                       "group_concat",
                                       "median",
                                       "stddev",
                                       "variance",
                                       "stddev_pop",
                                       "stddev_samp",
                                       "var_pop",
                                       "var_samp",
                                       "bool_and",
                                       "bool_or",
                                       "every",
                                       "approx_count_distinct",
                                       "count_if",
                                       "countif",
                                       "list",
                                       "first",
                                       "last",
                                       "arbitrary",
                                       "mode",
                                       "percentile_cont",
                                       "percentile_disc",
                                       "quantile",
                                       "approx_quantile",
                                       "corr",
                                       "covar_pop",
                                       "covar_samp",
                                       "bit_and",
                                       "bit_or",
                                       "bit_xor",
                                       "hll",
                                       "array_union_agg"};
    for (size_t j = b; j + 1 < e; j++) {
        const struct tok *t = &P->t[j];
        if (t->type != T_IDENT || P->t[j + 1].type != T_LPAREN)
            continue;
        for (size_t k = 0; k < sizeof(aggs) / sizeof(aggs[0]); k++)
            if (t->len == strlen(aggs[k]) && !strncasecmp(P->s + t->off, aggs[k], t->len))
                return 1;
    }
    return 0;
}

static void add_item(struct parser *P, struct scope *S, size_t b, size_t e, const struct proj *pj,
                     int identity)
{
    S->items = sa_grow(P, S->items, &S->capitems, S->nitems, sizeof(*S->items));
    if (!S->items)
        return;
    struct sel_item *x = &S->items[S->nitems++];
    x->b = (uint32_t)b;
    x->e = (uint32_t)e + (pj && pj->star); /* a star's reference sits after it */
    x->p = pj;
    x->identity = (uint8_t)identity;
    x->agg = (uint8_t)calls_aggregate(P, b, e);
}

static void select_item_list(struct parser *P, struct scope *S)
{
    while (!P->err) {
        /* only what the walk reads before it writes, and what says which of the rest is
         * set (col with simple, alias with has_alias, q with nq) */
        struct item it;
        it.ntok = 0;
        it.simple = 0;
        it.colpos = 0;
        it.has_alias = 0;
        it.star = 0;
        it.nq = 0;
        size_t start = P->i;
        sa_walk(P, S, EX_COMMA | EX_ITEM, &it);
        const struct proj *pj = NULL;
        size_t end = P->i;
        if (it.star) {
            pj = sa_add_proj(P, S, (struct name){"*", 1}, it.colpos, 0, 1, it.q, it.nq);
            /* * EXCLUDE (a) / REPLACE (x AS a) / EXCEPT (a) / RENAME (...) */
            while (cur(P)->type == T_IDENT &&
                   (is_kw(cur(P), KW_EXCLUDE) || is_kw(cur(P), KW_REPLACE) ||
                    is_kw(cur(P), KW_EXCEPT) || is_kw(cur(P), KW_RENAME) ||
                    is_kw(cur(P), KW_ILIKE) || is_kw(cur(P), KW_LIKE))) {
                P->i++;
                if (cur(P)->type == T_LPAREN)
                    sa_skip_balanced(P);
                else if (cur(P)->type != T_EOF)
                    P->i++;
            }
        } else if (it.has_alias) {
            pj = sa_add_proj(P, S, it.alias, it.aliaspos, 1, 0, NULL, 0);
        } else if (it.simple && it.ntok == 1) {
            pj = sa_add_proj(P, S, it.col, it.colpos, 0, 0, NULL, 0);
        }
        if (P->role && S)
            add_item(P, S, start, end, pj, it.simple && it.ntok == 1);
        if (cur(P)->type == T_COMMA) {
            P->i++;
            /* a trailing comma before FROM (DuckDB, BigQuery allow it) */
            if (is_kw(cur(P), KW_FROM))
                break;
            continue;
        }
        if (P->i == start)
            break;
        break;
    }
}

void sa_expr_list(struct parser *P, struct scope *S)
{
    while (!P->err) {
        size_t start = P->i;
        sa_walk(P, S, EX_COMMA, NULL);
        if (cur(P)->type == T_COMMA) {
            P->i++;
            continue;
        }
        if (P->i == start)
            break;
        break;
    }
}

/* After SELECT ... INTO: are these variables rather than a new table? MySQL's SELECT INTO
 * always is (variables, OUTFILE, DUMPFILE); elsewhere @v, :v and a list v1, v2 are. */
static int into_variables(struct parser *P)
{
    if (P->d == SQLFN_MYSQL || cur(P)->type == T_PARAM)
        return 1;
    if (!is_name_tok(cur(P)))
        return 0;
    size_t j = P->i + 1;
    while (P->t[j].type == T_DOT && P->t[j + 1].type != T_EOF)
        j += 2;
    return P->t[j].type == T_COMMA;
}

/* WHERE, HAVING or QUALIFY at the cursor: its condition, a filter for column lineage. */
static void filter_clause(struct parser *P, struct scope *S)
{
    size_t b = ++P->i;
    sa_walk(P, S, 0, NULL);
    sa_mark_role(P, b, P->i, ROLE_FILTER);
}

/* SELECT ... [FROM ...] [WHERE ...] ... (or DuckDB's FROM-first form). */
static struct scope *parse_select(struct parser *P, struct scope *parent, struct cte *ctes)
{
    struct scope *S = sa_new_scope(P, parent, ctes);
    if (!S)
        return NULL;
    S->exists = P->in_exists;
    P->in_exists = 0;
    int from_first = 0;
    if (is_kw(cur(P), KW_FROM)) {
        P->i++;
        sa_parse_from_list(P, S, 0);
        from_first = 1;
        if (!is_kw(cur(P), KW_SELECT))
            sa_add_proj(P, S, (struct name){"*", 1}, (uint32_t)P->i, 0, 1, NULL, 0);
    }
    if (accept_kw(P, KW_SELECT)) {
        for (;;) {
            const struct tok *t = cur(P);
            if (t->kw == KW_NONE) /* the everyday list starts with a name or a star */
                break;
            if (is_kw(t, KW_ALL)) {
                P->i++;
            } else if (is_kw(t, KW_DISTINCT)) {
                P->i++;
                if (is_kw(cur(P), KW_ON) && peek(P, 1)->type == T_LPAREN) {
                    P->i++;
                    sa_paren(P, S, 0);
                }
            } else if (is_kw(t, KW_TOP)) {
                P->i++;
                if (cur(P)->type == T_LPAREN)
                    sa_paren(P, S, 0);
                else if (cur(P)->type != T_EOF)
                    P->i++;
                if (is_kw(cur(P), KW_PERCENT))
                    P->i++;
                if (is_kw(cur(P), KW_WITH) && is_kw(peek(P, 1), KW_TIES))
                    P->i += 2;
            } else if (is_kw(t, KW_AS) &&
                       (is_kw(peek(P, 1), KW_STRUCT) || is_kw(peek(P, 1), KW_VALUE))) {
                P->i += 2;
            } else if (is_kw(t, KW_STRAIGHT_JOIN)) {
                P->i++;
            } else {
                break;
            }
        }
        if (!is_kw(cur(P), KW_FROM))
            S->sel_begin = (uint32_t)P->i;
        select_item_list(P, S);
        S->sel_end = (uint32_t)P->i;
    }
    /* SELECT ... INTO target (T-SQL, PostgreSQL); INTO @var / :var are variables */
    if (is_kw(cur(P), KW_INTO)) {
        P->i++;
        while (is_kw(cur(P), KW_TEMP) || is_kw(cur(P), KW_TEMPORARY) ||
               (cur(P)->type == T_IDENT && peek(P, 1)->type != T_DOT &&
                (peek(P, 1)->type == T_IDENT && !(tkflags(peek(P, 1)) & KF_RES))))
            P->i++;
        if (into_variables(P)) {
            /* INTO v1, v2 / INTO @v / MySQL's INTO OUTFILE ...: no table */
            while (!P->err && cur(P)->type != T_EOF && cur(P)->type != T_SEMI &&
                   cur(P)->type != T_RPAREN && !(tkflags(cur(P)) & KF_TERM)) {
                if (cur(P)->type == T_LPAREN)
                    sa_skip_balanced(P);
                else
                    P->i++;
            }
        } else if (is_name_tok(cur(P))) {
            struct name parts[MAX_PARTS], full;
            sa_read_chain(P, parts, NULL, &full);
            const char *keep = P->access;
            P->access = "create";
            sa_record_table(P, full, 1);
            P->access = keep;
            if (!P->lin_main)
                P->lin_main = S;
        }
    }
    for (int guard = 0; guard < 64 && !P->err; guard++) {
        const struct tok *t = cur(P);
        if (t->type != T_IDENT)
            break;
        /* FROM, by far the most frequent clause, before the switch's indirect jump */
        if (t->kw == KW_FROM) {
            if (from_first)
                goto done;
            P->i++;
            sa_parse_from_list(P, S, 0);
            continue;
        }
        if (t->kw == KW_WHERE) { /* the next most frequent, before the switch's jump */
            filter_clause(P, S);
            continue;
        }
        if (t->kw == KW_GROUP || t->kw == KW_ORDER) {
            int role = t->kw == KW_GROUP ? ROLE_GROUP : ROLE_SORT;
            P->i++;
            accept_kw(P, KW_BY);
            accept_kw(P, KW_ALL);
            size_t b = P->i;
            sa_expr_list(P, S);
            sa_mark_role(P, b, P->i, role);
            if (is_kw(cur(P), KW_WITH) && cur(P)[1].type == T_IDENT &&
                !(tkflags(&cur(P)[1]) & KF_RES)) /* WITH ROLLUP */
                P->i += 2;
            continue;
        }
        switch (t->kw) {
        case KW_HAVING:
        case KW_QUALIFY:
            filter_clause(P, S);
            continue;
        case KW_WINDOW:
            P->i++;
            while (!P->err && is_name_tok(cur(P))) {
                P->i++;
                accept_kw(P, KW_AS);
                if (cur(P)->type == T_LPAREN)
                    sa_paren(P, S, 0);
                if (cur(P)->type != T_COMMA)
                    break;
                P->i++;
            }
            continue;
        case KW_LIMIT:
        case KW_OFFSET:
            P->i++;
            accept_kw(P, KW_ALL);
            sa_expr_list(P, S);
            if (is_kw(cur(P), KW_ROWS) || is_kw(cur(P), KW_ROW))
                P->i++;
            continue;
        case KW_FETCH:
            P->i++;
            while (is_kw(cur(P), KW_FIRST) || is_kw(cur(P), KW_NEXT) || is_kw(cur(P), KW_ROWS) ||
                   is_kw(cur(P), KW_ROW) || is_kw(cur(P), KW_ONLY) || is_kw(cur(P), KW_WITH) ||
                   is_kw(cur(P), KW_TIES) || is_kw(cur(P), KW_PERCENT) ||
                   cur(P)->type == T_NUMBER || cur(P)->type == T_PARAM)
                P->i++;
            continue;
        case KW_CONNECT:
        case KW_START:
            P->i++;
            accept_kw(P, KW_BY);
            accept_kw(P, KW_WITH);
            sa_walk(P, S, 0, NULL);
            continue;
        case KW_FOR: /* FOR UPDATE / FOR XML ... */
            P->i++;
            while (!P->err) {
                const struct tok *u = cur(P);
                if (u->type == T_EOF || u->type == T_SEMI || u->type == T_RPAREN ||
                    is_kw(u, KW_UNION) || is_kw(u, KW_EXCEPT) || is_kw(u, KW_INTERSECT))
                    break;
                if (u->type == T_LPAREN)
                    sa_skip_balanced(P);
                else
                    P->i++;
            }
            continue;
        default:
            goto done;
        }
    }
done:
    return S;
}

static struct scope *set_operand(struct parser *P, struct scope *parent, struct cte *ctes)
{
    const struct tok *t = cur(P);
    if (t->type == T_LPAREN) {
        P->i++;
        if (++P->depth > MAX_DEPTH) {
            P->err = 1;
            return NULL;
        }
        struct scope *s = sa_parse_query(P, parent, ctes);
        P->depth--;
        sa_close_with(P, parent, T_RPAREN);
        /* (SELECT ...) ORDER BY ... LIMIT ... */
        if (s && (is_kw(cur(P), KW_ORDER) || is_kw(cur(P), KW_LIMIT) || is_kw(cur(P), KW_OFFSET)))
            while (is_kw(cur(P), KW_ORDER) || is_kw(cur(P), KW_LIMIT) || is_kw(cur(P), KW_OFFSET)) {
                P->i++;
                accept_kw(P, KW_BY);
                sa_expr_list(P, s);
            }
        return s;
    }
    if (is_kw(t, KW_SELECT) || is_kw(t, KW_FROM))
        return parse_select(P, parent, ctes);
    if (is_kw(t, KW_VALUES)) {
        struct scope *S = sa_new_scope(P, parent, ctes);
        P->i++;
        while (!P->err && cur(P)->type == T_LPAREN) {
            sa_paren(P, S, 0);
            if (cur(P)->type == T_COMMA)
                P->i++;
        }
        return S;
    }
    if (is_kw(t, KW_TABLE)) {
        struct scope *S = sa_new_scope(P, parent, ctes);
        P->i++;
        sa_from_item(P, S, 0);
        sa_add_proj(P, S, (struct name){"*", 1}, (uint32_t)P->i, 0, 1, NULL, 0);
        return S;
    }
    if (is_kw(t, KW_WITH))
        return sa_parse_query(P, parent, ctes);
    return sa_new_scope(P, parent, ctes);
}

/* Can the keyword start a set operation ([FULL|LEFT|INNER] [OUTER] UNION, ...)? */
static int set_op_word(unsigned kw)
{
    switch (kw) {
    case KW_FULL:
    case KW_LEFT:
    case KW_INNER:
    case KW_OUTER:
    case KW_UNION:
    case KW_INTERSECT:
    case KW_EXCEPT:
    case KW_MINUS:
        return 1;
    default:
        return 0;
    }
}

struct scope *sa_parse_query(struct parser *P, struct scope *parent, struct cte *ctes)
{
    if (++P->depth > MAX_DEPTH) {
        P->err = 1;
        return NULL;
    }
    if (is_kw(cur(P), KW_WITH))
        ctes = sa_parse_with(P, parent, ctes);
    struct scope *first = set_operand(P, parent, ctes);
    while (!P->err) {
        const struct tok *t = cur(P);
        /* most queries end here: only these words go on (below) */
        if (!set_op_word(t->kw))
            break;
        /* BigQuery: [FULL|LEFT|INNER] [OUTER] UNION ALL BY NAME */
        size_t save = P->i;
        while (is_kw(cur(P), KW_FULL) || is_kw(cur(P), KW_LEFT) || is_kw(cur(P), KW_INNER) ||
               is_kw(cur(P), KW_OUTER))
            P->i++;
        t = cur(P);
        if (!(is_kw(t, KW_UNION) || is_kw(t, KW_INTERSECT) || is_kw(t, KW_EXCEPT) ||
              is_kw(t, KW_MINUS))) {
            P->i = save;
            break;
        }
        P->i++;
        while (is_kw(cur(P), KW_ALL) || is_kw(cur(P), KW_DISTINCT))
            P->i++;
        if (is_kw(cur(P), KW_BY) && is_kw(peek(P, 1), KW_NAME))
            P->i += 2;
        if (cur(P)->type == T_IDENT && !(tkflags(cur(P)) & KF_RES) &&
            (is_kw(peek(P, 1), KW_SELECT) || peek(P, 1)->type == T_LPAREN) &&
            !is_kw(cur(P), KW_VALUES))
            P->i++; /* CORRESPONDING */
        struct scope *next = set_operand(P, parent, ctes);
        if (first && next && next != first) { /* at the end of the chain: (a UNION b) UNION c */
            struct scope *tail = first;
            for (int k = 0; tail->union_next && k < 100000; k++)
                tail = tail->union_next;
            if (!tail->union_next)
                tail->union_next = next;
        }
    }
    P->depth--;
    return first;
}
