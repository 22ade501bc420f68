/*
 * expr.c - expressions of the SQL analysis: walks an expression recording the column
 * references it makes, skipping what is not a column (function names, types, date parts,
 * lambda parameters, struct keys, named arguments) and descending into subqueries.
 */
#include "sqlfn/parse.h"

#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

static int is_date_part(struct name n)
{
    static const char *const parts[] = {
        "year",
        "years",
        "quarter",
        "month",
        "months",
        "week",
        "weeks",
        "day",
        "days",
        "hour",
        "hours",
        "minute",
        "minutes",
        "second",
        "seconds",
        "millisecond",
        "milliseconds",
        "microsecond",
        "microseconds",
        "nanosecond",
        "epoch",
        "dow",
        "doy",
        "isodow",
        "isoyear",
        "dayofweek",
        "dayofyear",
        "yy",
        "yyyy",
        "mm",
        "dd",
        "hh",
        "mi",
        "ss",
        "ms",
        "us",
        "ns",
        "qq",
        "wk",
        "ww",
        "dw",
        "weekday",
        "yearofweek",
        "weekofyear",
        "dayofmonth",
        "century",
        "decade",
        "millennium",
        "timezone",
        "timezone_hour",
        "timezone_minute",
        "isoweek",
        "y",
        "m",
        "d",
        "h",
        "q",
        "w",
        "mon",
        "mons",
        "yrs",
        "hr",
        "hrs",
        "min",
        "mins",
        "sec",
        "secs",
        "julian",
    };
    if (n.len > 16)
        return 0;
    char lo[17];
    for (uint32_t i = 0; i < n.len; i++) {
        char c = n.s[i];
        lo[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
    lo[n.len] = 0;
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
        if (!strcmp(lo, parts[i]))
            return 1;
    return 0;
}

static int is_date_fn(struct name n)
{
    if (n.len < 4)
        return 0;
    char lo[8] = {0};
    for (uint32_t i = 0; i < n.len && i < 7; i++) {
        char c = n.s[i];
        lo[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
    /* by the first letter: a function call of another name costs one compare */
    switch (lo[0]) {
    case 'd':
        return !memcmp(lo, "date", 4);
    case 't':
        return !memcmp(lo, "time", 4) || !memcmp(lo, "trunc", 5);
    case 'l':
        return !memcmp(lo, "last_da", 7);
    case 'a':
        return !memcmp(lo, "add_mon", 7);
    case 'e':
        return !memcmp(lo, "extract", 7);
    default:
        return 0;
    }
}

/* Skips a balanced run from an opening bracket at the cursor without looking inside.
 * Sets P->err when the text ends first. */
void sa_skip_balanced(struct parser *P)
{
    int depth = 0;
    for (;;) {
        const struct tok *t = cur(P);
        switch (t->type) {
        case T_LPAREN:
        case T_LBRACKET:
        case T_LBRACE:
            depth++;
            break;
        case T_RPAREN:
        case T_RBRACKET:
        case T_RBRACE:
            depth--;
            break;
        case T_EOF:
            P->err = 1;
            return;
        default:
            break;
        }
        P->i++;
        if (depth <= 0)
            return;
    }
}

/* Expects the closer `type` at the cursor after an inner walk; anything else there is
 * walked through first (syntax this analysis does not know), a mismatch is an error. */
void sa_close_with(struct parser *P, struct scope *S, int type)
{
    if (cur(P)->type != type) {
        sa_walk(P, S, EX_INPAREN, NULL);
        if (cur(P)->type != type) {
            P->err = 1;
            return;
        }
    }
    P->i++;
}

/* "(" at the cursor in an expression: a subquery or a bracketed expression list. */
void sa_paren(struct parser *P, struct scope *S, unsigned fl)
{
    P->i++;
    if (++P->depth > MAX_DEPTH) {
        P->err = 1;
        return;
    }
    const struct tok *t = cur(P);
    if (is_kw(t, KW_SELECT) || is_kw(t, KW_WITH) || (is_kw(t, KW_FROM) && P->d == SQLFN_DUCKDB)) {
        sa_parse_query(P, S, S ? S->ctes : NULL);
    } else if (t->type == T_LPAREN) {
        /* ((SELECT ...) UNION (SELECT ...)) or ((a + b)) */
        size_t j = P->i;
        while (P->t[j].type == T_LPAREN)
            j++;
        if (is_kw(&P->t[j], KW_SELECT) || is_kw(&P->t[j], KW_WITH))
            sa_parse_query(P, S, S ? S->ctes : NULL);
    }
    sa_walk(P, S, EX_INPAREN | (fl & (EX_CAST | EX_DATEFN | EX_EXTRACT)), NULL);
    if (cur(P)->type != T_RPAREN)
        P->err = 1;
    else
        P->i++;
    P->depth--;
}

/* Skips a type name after :: or AS in CAST: words, (precision), [], ARRAY<...>. */
static void skip_type(struct parser *P)
{
    int words = 0;
    for (;;) {
        const struct tok *t = cur(P);
        if (t->type == T_IDENT || t->type == T_QIDENT) {
            if (words && (kw_flags(t->kw) & KF_RES))
                break;
            if (words && !(is_kw(t, KW_TIME) || is_kw(t, KW_ZONE) || is_kw(t, KW_WITH)))
                break;
            words++;
            P->i++;
        } else if (t->type == T_DOT && words) {
            P->i++;
            words = 0;
        } else if (t->type == T_LPAREN && words) {
            sa_skip_balanced(P);
        } else if (t->type == T_LBRACKET && words) {
            sa_skip_balanced(P);
        } else if (t->type == T_OP && words && P->s[t->off] == '<') {
            int depth = 0;
            do {
                const struct tok *u = cur(P);
                if (u->type == T_EOF)
                    break;
                if (u->type == T_OP && P->s[u->off] == '<')
                    depth++;
                else if (u->type == T_OP && P->s[u->off] == '>')
                    depth -= (int)u->len;
                P->i++;
            } while (depth > 0);
        } else {
            break;
        }
    }
}

/* A semi-structured path after a column (Snowflake/Databricks col:a.b[0]). */
static void skip_path(struct parser *P)
{
    while (cur(P)->type == T_COLON) {
        P->i++;
        const struct tok *t = cur(P);
        if (t->type == T_IDENT || t->type == T_QIDENT || t->type == T_NUMBER || t->type == T_STRING)
            P->i++;
        for (;;) {
            t = cur(P);
            if (t->type == T_DOT && (peek(P, 1)->type == T_IDENT || peek(P, 1)->type == T_QIDENT)) {
                P->i += 2;
            } else if (t->type == T_LBRACKET) {
                sa_skip_balanced(P);
            } else {
                break;
            }
        }
    }
}

static int is_lambda(const struct parser *P, struct name n)
{
    for (int i = 0; i < P->nlambda; i++)
        if (name_ieq(P->lambda[i], n))
            return 1;
    return 0;
}

static void push_lambda(struct parser *P, struct name n)
{
    if (P->nlambda < MAX_LAMBDA)
        P->lambda[P->nlambda++] = n;
}

/* The state of one sa_walk: its flags, the SELECT item it fills (or NULL), and what the
 * previous token was. The handlers below return WALK_NEXT to go on, WALK_STOP at the end
 * of the expression. */
struct walk {
    unsigned fl;
    struct item *it;
    int case_depth;
    int prev_value; /* the previous token ends a value (a ':' path or an alias may follow) */
    int first;      /* the token starts an item (after a comma) */
    size_t when;    /* after CASE ... WHEN: where the condition starts (lineage roles) */
};

enum { WALK_NEXT = 0, WALK_STOP = 1 };

static void count_atom(struct walk *w)
{
    if (w->it)
        w->it->ntok++;
}

/* A token that is not a word: brackets, literals, operators, casts, paths, stars. */
static int walk_punct(struct parser *P, struct scope *S, struct walk *w, const struct tok *t,
                      int was_first)
{
    switch (t->type) {
    case T_EOF:
    case T_SEMI:
    case T_RPAREN:
    case T_RBRACKET:
    case T_RBRACE:
        return WALK_STOP;
    case T_COMMA:
        if ((w->fl & EX_COMMA) && !(w->fl & EX_INPAREN))
            return WALK_STOP;
        P->i++;
        w->prev_value = 0;
        w->first = 1;
        return WALK_NEXT;
    case T_LPAREN:
        sa_paren(P, S, 0);
        w->prev_value = 1;
        count_atom(w);
        return WALK_NEXT;
    case T_LBRACKET:
        P->i++;
        sa_walk(P, S, EX_INPAREN, NULL);
        sa_close_with(P, S, T_RBRACKET);
        w->prev_value = 1;
        count_atom(w);
        return WALK_NEXT;
    case T_LBRACE: /* struct literal {'a': x} or {a: x}: keys are not columns */
        P->i++;
        sa_walk(P, S, EX_INPAREN | EX_BRACE, NULL);
        sa_close_with(P, S, T_RBRACE);
        w->prev_value = 1;
        count_atom(w);
        return WALK_NEXT;
    case T_STRING:
        if ((w->fl & EX_BRACE) && peek(P, 1)->type == T_COLON) {
            P->i += 2;
            return WALK_NEXT;
        }
        /* fall through */
    case T_NUMBER:
    case T_PARAM:
    case T_TEMPLATE:
        P->i++;
        w->prev_value = 1;
        count_atom(w);
        return WALK_NEXT;
    case T_DCOLON:
        P->i++;
        skip_type(P);
        w->prev_value = 1;
        return WALK_NEXT;
    case T_COLON:
        if (P->paths && w->prev_value)
            skip_path(P);
        else
            P->i++;
        return WALK_NEXT;
    case T_STAR:
        if (w->it && was_first && w->it->ntok == 0 && (w->fl & EX_ITEM)) {
            P->i++;
            w->it->star = 1;
            w->it->ntok++;
            sa_add_ref(P, S, NULL, 0, 1, (uint32_t)P->i, NULL);
            w->prev_value = 1;
            return WALK_NEXT;
        }
        P->i++;
        w->prev_value = 0;
        return WALK_NEXT;
    case T_ARROW:
    case T_FATARROW:
    case T_OP:
    case T_DOT:
        P->i++;
        w->prev_value = 0;
        count_atom(w);
        return WALK_NEXT;
    default:
        P->i++;
        return WALK_NEXT;
    }
}

/* AS after a value: an alias of the SELECT item, or the type of a CAST. */
static void walk_as(struct parser *P, struct walk *w)
{
    P->i++;
    if (w->fl & EX_CAST) { /* the type, up to the closing bracket */
        while (!P->err && cur(P)->type != T_RPAREN && cur(P)->type != T_EOF &&
               cur(P)->type != T_SEMI) {
            if (cur(P)->type == T_LPAREN || cur(P)->type == T_LBRACKET)
                sa_skip_balanced(P);
            else
                P->i++;
        }
        return;
    }
    if (cur(P)->type == T_IDENT || cur(P)->type == T_QIDENT || cur(P)->type == T_STRING) {
        if (w->it && !(w->fl & EX_INPAREN)) {
            w->it->alias = sa_tok_name(P, cur(P));
            w->it->aliaspos = (uint32_t)P->i;
            w->it->has_alias = 1;
            w->it->ntok--;
        }
        P->i++;
    } else if (cur(P)->type == T_LPAREN) {
        sa_skip_balanced(P);
    }
    w->prev_value = 1;
}

/* A reserved word: a function-like keyword, a clause keyword that ends the expression,
 * or a keyword inside it (CASE, AS, INTERVAL, IS, ...). */
static int walk_keyword(struct parser *P, struct scope *S, struct walk *w, const struct tok *t,
                        unsigned kf)
{
    unsigned kw = t->kw;
    if ((kf & KF_FN) && peek(P, 1)->type == T_LPAREN) {
        P->i++;
        unsigned sub = 0;
        if (kw == KW_CAST || kw == KW_TRY_CAST || kw == KW_SAFE_CAST)
            sub = EX_CAST;
        P->in_exists = kw == KW_EXISTS;
        sa_paren(P, S, sub);
        P->in_exists = 0;
        w->prev_value = 1;
        count_atom(w);
        return WALK_NEXT;
    }
    if ((kf & KF_TERM) && !(w->fl & EX_INPAREN)) {
        if (!(kf & KF_CASE) || w->case_depth == 0)
            return WALK_STOP;
    }
    count_atom(w);
    switch (kw) {
    case KW_CASE:
        w->case_depth++;
        P->i++;
        w->prev_value = 0;
        return WALK_NEXT;
    case KW_END:
        if (w->case_depth > 0)
            w->case_depth--;
        P->i++;
        w->prev_value = 1;
        return WALK_NEXT;
    case KW_AS:
        walk_as(P, w);
        return WALK_NEXT;
    case KW_INTERVAL:
        P->i++;
        if (cur(P)->type == T_STRING || cur(P)->type == T_NUMBER) {
            P->i++;
            if (cur(P)->type == T_IDENT && is_date_part(sa_tok_name(P, cur(P)))) {
                P->i++;
                if (is_kw(cur(P), KW_TO) && cur(P)[1].type == T_IDENT)
                    P->i += 2;
            }
            w->prev_value = 1;
        }
        return WALK_NEXT;
    case KW_IS:
        P->i++;
        accept_kw(P, KW_NOT);
        if (accept_kw(P, KW_DISTINCT))
            accept_kw(P, KW_FROM);
        w->prev_value = 0;
        return WALK_NEXT;
    case KW_AT:
        P->i++;
        if (is_kw(cur(P), KW_TIME) && is_kw(peek(P, 1), KW_ZONE))
            P->i += 2;
        w->prev_value = 0;
        return WALK_NEXT;
    case KW_COLLATE:
        P->i++;
        if (cur(P)->type == T_IDENT || cur(P)->type == T_QIDENT || cur(P)->type == T_STRING)
            P->i++;
        w->prev_value = 1;
        return WALK_NEXT;
    case KW_NULLS:
        P->i++;
        if (is_kw(cur(P), KW_FIRST) || is_kw(cur(P), KW_LAST))
            P->i++;
        w->prev_value = 1;
        return WALK_NEXT;
    case KW_OVER:
        P->i++;
        if (cur(P)->type == T_IDENT || cur(P)->type == T_QIDENT)
            P->i++;
        if (cur(P)->type == T_LPAREN) { /* PARTITION BY / ORDER BY: a window's columns */
            size_t b = P->i;
            sa_paren(P, S, 0);
            sa_mark_role(P, b, P->i, ROLE_WINDOW);
        }
        w->prev_value = 1;
        return WALK_NEXT;
    case KW_WHEN:
        P->i++;
        w->when = P->i;
        w->prev_value = 0;
        return WALK_NEXT;
    case KW_THEN:
        if (w->when)
            sa_mark_role(P, w->when, P->i, ROLE_COND);
        w->when = 0;
        P->i++;
        w->prev_value = 0;
        return WALK_NEXT;
    case KW_WITHIN:
        P->i++;
        accept_kw(P, KW_GROUP);
        return WALK_NEXT;
    case KW_NULL:
    case KW_TRUE:
    case KW_FALSE:
    case KW_CURRENT_DATE:
    case KW_CURRENT_TIMESTAMP:
    case KW_CURRENT_TIME:
    case KW_CURRENT_USER:
    case KW_SESSION_USER:
    case KW_LOCALTIME:
    case KW_LOCALTIMESTAMP:
    case KW_SYSDATE:
        P->i++;
        w->prev_value = 1;
        return WALK_NEXT;
    case KW_SELECT:
    case KW_WITH:
        /* only reached inside brackets: a query after other tokens */
        if (kw == KW_WITH && !sa_cte_ahead(t)) {
            P->i++;
            return WALK_NEXT;
        }
        sa_parse_query(P, S, S ? S->ctes : NULL);
        w->prev_value = 1;
        return WALK_NEXT;
    default:
        P->i++;
        w->prev_value = 0;
        return WALK_NEXT;
    }
}

/* A word that is not reserved, before it is read as a name: struct keys, typed literals
 * (DATE '...'), named arguments and lambda parameters. Returns 1 when it was one of those
 * (and consumed). */
static int walk_name_form(struct parser *P, struct walk *w, const struct tok *t)
{
    const struct tok *nx = peek(P, 1);
    if ((w->fl & EX_BRACE) && nx->type == T_COLON) { /* {key: value} */
        P->i += 2;
        return 1;
    }
    if (t->type == T_IDENT && nx->type == T_STRING) { /* DATE '2020-01-01' */
        P->i += 2;
        w->prev_value = 1;
        count_atom(w);
        return 1;
    }
    if (nx->type == T_FATARROW) { /* named argument */
        P->i += 2;
        return 1;
    }
    if (nx->type == T_ARROW && peek(P, 2)->type != T_STRING &&
        peek(P, 2)->type != T_NUMBER) { /* x -> x + 1 */
        push_lambda(P, sa_tok_name(P, t));
        P->i += 2;
        return 1;
    }
    if (is_kw(t, KW_LAMBDA) && (nx->type == T_IDENT)) { /* lambda x, y: ... */
        P->i++;
        while (cur(P)->type == T_IDENT || cur(P)->type == T_COMMA) {
            if (cur(P)->type == T_IDENT)
                push_lambda(P, sa_tok_name(P, cur(P)));
            P->i++;
        }
        if (cur(P)->type == T_COLON)
            P->i++;
        return 1;
    }
    return 0;
}

/* A name: a function call, an implicit alias, or a column reference. */
static void walk_name(struct parser *P, struct scope *S, struct walk *w, const struct tok *t)
{
    if (walk_name_form(P, w, t))
        return;
    struct item *it = w->it;
    unsigned fl = w->fl;
    uint32_t pos = (uint32_t)P->i;
    struct name parts[MAX_PARTS];
    int star = 0;
    int n = sa_read_chain(P, parts, &star, NULL);
    if (n == 0) {
        P->i++;
        return;
    }
    if (cur(P)->type == T_LPAREN) { /* function call */
        unsigned sub = 0;
        if (n == 1 && is_kw(t, KW_EXTRACT))
            sub = EX_EXTRACT;
        else if (is_date_fn(parts[n < MAX_PARTS ? n - 1 : MAX_PARTS - 1]))
            sub = EX_DATEFN;
        sa_paren(P, S, sub);
        w->prev_value = 1;
        count_atom(w);
        return;
    }
    if (it && (fl & EX_ITEM) && !(fl & EX_INPAREN) && w->prev_value && n == 1 && !star) {
        /* SELECT a b: b is an implicit alias */
        it->alias = parts[0];
        it->aliaspos = pos;
        it->has_alias = 1;
        w->prev_value = 1;
        return;
    }
    w->prev_value = 1;
    if (n == 1 && is_lambda(P, parts[0]))
        return;
    if (n == 1 && (fl & (EX_DATEFN | EX_EXTRACT)) && is_date_part(parts[0])) {
        if (fl & EX_EXTRACT)
            w->fl &= ~(unsigned)EX_EXTRACT;
        return;
    }
    if (it) {
        if (it->ntok == 0 && !star) {
            it->col = parts[n <= MAX_PARTS ? n - 1 : MAX_PARTS - 1];
            it->colpos = pos;
            it->simple = 1;
        }
        if (star && it->ntok == 0) {
            it->star = 1;
            it->nq = n < MAX_PARTS ? n : MAX_PARTS;
            memcpy(it->q, parts, sizeof(parts[0]) * (size_t)it->nq);
        }
        it->ntok++;
    }
    sa_add_ref(P, S, parts, n, star, pos, NULL);
    if (P->paths && cur(P)->type == T_COLON)
        skip_path(P);
}

/* Walks an expression, recording column references in S, until a closer, a terminator at
 * depth 0 (a clause keyword, or a comma with EX_COMMA), or the end. */
void sa_walk(struct parser *P, struct scope *S, unsigned fl, struct item *it)
{
    struct walk w = {fl, it, 0, 0, 1, 0};
    int nlambda0 = P->nlambda;
    if (++P->depth > MAX_DEPTH) {
        P->err = 1;
        return;
    }
    while (!P->err) {
        const struct tok *t = cur(P);
        int was_first = w.first;
        w.first = 0;
        if (t->type != T_IDENT && t->type != T_QIDENT) {
            if (walk_punct(P, S, &w, t, was_first) == WALK_STOP)
                break;
            continue;
        }
        unsigned kf = tkflags(t);
        if (kf & KF_RES) {
            if (walk_keyword(P, S, &w, t, kf) == WALK_STOP)
                break;
            continue;
        }
        walk_name(P, S, &w, t);
    }
    P->nlambda = nlambda0;
    P->depth--;
}
