/*
 * expr.c - expressions of the SQL analysis: walks an expression recording the column
 * references it makes, skipping what is not a column (function names, types, date parts,
 * lambda parameters, struct keys, named arguments) and descending into subqueries.
 */
#include "sqlfn/parse.h"

#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

/* A date-part word: the table holds each word with its length, so that a name is compared
 * only with the words of its length and first letter (the everyday caller is a date
 * function's argument list, where most names are columns). */
#define DATE_PART(w)                                                                               \
    {                                                                                              \
        w, sizeof(w) - 1                                                                           \
    }
static int is_date_part(struct name n)
{
    static const struct {
        const char *s;
        uint32_t len;
    } parts[] = {
        DATE_PART("year"),
        DATE_PART("years"),
        DATE_PART("quarter"),
        DATE_PART("month"),
        DATE_PART("months"),
        DATE_PART("week"),
        DATE_PART("weeks"),
        DATE_PART("day"),
        DATE_PART("days"),
        DATE_PART("hour"),
        DATE_PART("hours"),
        DATE_PART("minute"),
        DATE_PART("minutes"),
        DATE_PART("second"),
        DATE_PART("seconds"),
        DATE_PART("millisecond"),
        DATE_PART("milliseconds"),
        DATE_PART("microsecond"),
        DATE_PART("microseconds"),
        DATE_PART("nanosecond"),
        DATE_PART("epoch"),
        DATE_PART("dow"),
        DATE_PART("doy"),
        DATE_PART("isodow"),
        DATE_PART("isoyear"),
        DATE_PART("dayofweek"),
        DATE_PART("dayofyear"),
        DATE_PART("yy"),
        DATE_PART("yyyy"),
        DATE_PART("mm"),
        DATE_PART("dd"),
        DATE_PART("hh"),
        DATE_PART("mi"),
        DATE_PART("ss"),
        DATE_PART("ms"),
        DATE_PART("us"),
        DATE_PART("ns"),
        DATE_PART("qq"),
        DATE_PART("wk"),
        DATE_PART("ww"),
        DATE_PART("dw"),
        DATE_PART("weekday"),
        DATE_PART("yearofweek"),
        DATE_PART("weekofyear"),
        DATE_PART("dayofmonth"),
        DATE_PART("century"),
        DATE_PART("decade"),
        DATE_PART("millennium"),
        DATE_PART("timezone"),
        DATE_PART("timezone_hour"),
        DATE_PART("timezone_minute"),
        DATE_PART("isoweek"),
        DATE_PART("y"),
        DATE_PART("m"),
        DATE_PART("d"),
        DATE_PART("h"),
        DATE_PART("q"),
        DATE_PART("w"),
        DATE_PART("mon"),
        DATE_PART("mons"),
        DATE_PART("yrs"),
        DATE_PART("hr"),
        DATE_PART("hrs"),
        DATE_PART("min"),
        DATE_PART("mins"),
        DATE_PART("sec"),
        DATE_PART("secs"),
        DATE_PART("julian"),
    };
    if (n.len > 16)
        return 0;
    char lo[16];
    uint32_t m = n.len; /* a NUL byte (in a quoted name) ends the word, as it always did */
    for (uint32_t i = 0; i < n.len; i++) {
        char c = n.s[i];
        if (!c) {
            m = i;
            break;
        }
        lo[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
    if (m == 0)
        return 0;
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
        if (parts[i].len == m && parts[i].s[0] == lo[0] && !memcmp(lo, parts[i].s, m))
            return 1;
    return 0;
}
#undef DATE_PART

static int is_date_fn(struct name n)
{
    if (n.len < 4)
        return 0;
    /* by the first letter, before any folding: a function call of another name costs one
     * compare (c | 0x20 is a letter's lower case, and no other byte gives these five) */
    unsigned char first = (unsigned char)(n.s[0] | 0x20);
    if (first != 'd' && first != 't' && first != 'l' && first != 'a' && first != 'e')
        return 0;
    char lo[8] = {0};
    for (uint32_t i = 0; i < n.len && i < 7; i++) {
        char c = n.s[i];
        lo[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
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
    /* +1 for an opening bracket, -1 for a closing one: no branch on the type */
    static const signed char delta[T_OP + 1] = {
        [T_LPAREN] = 1,  [T_LBRACKET] = 1,  [T_LBRACE] = 1,
        [T_RPAREN] = -1, [T_RBRACKET] = -1, [T_RBRACE] = -1,
    };
    int depth = 0;
    for (;;) {
        const struct tok *t = cur(P);
        if (t->type == T_EOF) {
            P->err = 1;
            return;
        }
        depth += delta[t->type];
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
 * previous token was. The handlers below return what the walk does next (see WALK_STOP). */
struct walk {
    unsigned fl;
    struct item *it;
    int case_depth;
    int prev_value; /* the previous token ends a value (a ':' path or an alias may follow) */
    int first;      /* the token starts an item (after a comma) */
    size_t when;    /* after CASE ... WHEN: where the condition starts (lineage roles) */
    int *ntok;      /* the item's atom count, or a spare one: counted without a test */
};

/* What a handler below returns: WALK_STOP at the end of the expression, else how many
 * tokens it read from the token t it was given when that is known (t + that is the token
 * at the cursor then, without cur's bounds test), or WALK_NEXT when it is not. */
enum { WALK_STOP = -1, WALK_NEXT = 0 };

static void count_atom(struct walk *w)
{
    (*w->ntok)++;
}

/* Token types by what sa_walk does with them, as bit masks of the type: the everyday
 * punctuation takes one of a few predictable tests instead of a jump table's indirect
 * jump (which mispredicted on most tokens). */
#define TBIT(x)     (1u << (x))
#define WALK_ENDS   (TBIT(T_EOF) | TBIT(T_SEMI) | TBIT(T_RPAREN) | TBIT(T_RBRACKET) | TBIT(T_RBRACE))
#define WALK_VALUES (TBIT(T_STRING) | TBIT(T_NUMBER) | TBIT(T_PARAM) | TBIT(T_TEMPLATE))
#define WALK_OPS    (TBIT(T_ARROW) | TBIT(T_FATARROW) | TBIT(T_OP) | TBIT(T_DOT))

/* A token that is not a word: brackets, literals, operators, casts, paths, stars. */
static int walk_punct(struct parser *P, struct scope *S, struct walk *w, const struct tok *t,
                      int was_first)
{
    unsigned bit = TBIT(t->type);
    if (bit & WALK_ENDS)
        return WALK_STOP;
    if (t->type == T_COMMA) {
        if ((w->fl & EX_COMMA) && !(w->fl & EX_INPAREN))
            return WALK_STOP;
        P->i++;
        w->prev_value = 0;
        w->first = 1;
        return 1;
    }
    if (bit & WALK_VALUES) {
        /* {'key': value}: a struct literal's key is not a value */
        if ((w->fl & EX_BRACE) && t->type == T_STRING && t[1].type == T_COLON) {
            P->i += 2;
            return WALK_NEXT;
        }
        P->i++;
        w->prev_value = 1;
        count_atom(w);
        return 1;
    }
    if (bit & WALK_OPS) {
        P->i++;
        w->prev_value = 0;
        count_atom(w);
        return 1;
    }
    /* a star (count(*), SELECT *) and a bracket before the rarer tokens' switch */
    if (t->type == T_STAR) {
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
    }
    if (t->type == T_LPAREN) {
        sa_paren(P, S, 0);
        w->prev_value = 1;
        count_atom(w);
        return WALK_NEXT;
    }
    switch (t->type) {
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

/* What walk_keyword does with a reserved word once it is neither a function nor the end of
 * the expression: most (AND, OR, NOT, IN, DESC, ...) are an operator, a few a value; the
 * rest have a case of their own. A table, so that the everyday words skip the switch's
 * indirect jump. */
enum { KWW_OP = 0, KWW_VALUE, KWW_OWN };
static const unsigned char walk_kw_class[KW_COUNT] = {
    [KW_NULL] = KWW_VALUE,
    [KW_TRUE] = KWW_VALUE,
    [KW_FALSE] = KWW_VALUE,
    [KW_CURRENT_DATE] = KWW_VALUE,
    [KW_CURRENT_TIMESTAMP] = KWW_VALUE,
    [KW_CURRENT_TIME] = KWW_VALUE,
    [KW_CURRENT_USER] = KWW_VALUE,
    [KW_SESSION_USER] = KWW_VALUE,
    [KW_LOCALTIME] = KWW_VALUE,
    [KW_LOCALTIMESTAMP] = KWW_VALUE,
    [KW_SYSDATE] = KWW_VALUE,
    [KW_CASE] = KWW_OWN,
    [KW_END] = KWW_OWN,
    [KW_AS] = KWW_OWN,
    [KW_INTERVAL] = KWW_OWN,
    [KW_IS] = KWW_OWN,
    [KW_AT] = KWW_OWN,
    [KW_COLLATE] = KWW_OWN,
    [KW_NULLS] = KWW_OWN,
    [KW_OVER] = KWW_OWN,
    [KW_WHEN] = KWW_OWN,
    [KW_THEN] = KWW_OWN,
    [KW_WITHIN] = KWW_OWN,
    [KW_SELECT] = KWW_OWN,
    [KW_WITH] = KWW_OWN,
};

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
    unsigned cls = walk_kw_class[kw];
    if (cls == KWW_OP) {
        P->i++;
        w->prev_value = 0;
        return 1;
    }
    if (cls == KWW_VALUE) {
        P->i++;
        w->prev_value = 1;
        return 1;
    }
    if (kw == KW_AS) { /* the most frequent of the rest: before the switch's jump */
        walk_as(P, w);
        return WALK_NEXT;
    }
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

/* The token types after a word that make walk_name_form look at it (LAMBDA aside): one test
 * of a bit settles the everyday name. */
#define NAME_FORM_NEXT ((1u << T_COLON) | (1u << T_STRING) | (1u << T_FATARROW) | (1u << T_ARROW))

/* A function call after its name (n parts, the last `fname`), at the "(". */
static void walk_call(struct parser *P, struct scope *S, struct walk *w, const struct tok *t, int n,
                      struct name fname)
{
    unsigned sub = 0;
    if (n == 1 && is_kw(t, KW_EXTRACT))
        sub = EX_EXTRACT;
    else if (is_date_fn(fname))
        sub = EX_DATEFN;
    sa_paren(P, S, sub);
    w->prev_value = 1;
    count_atom(w);
}

/* The name of a called function, for is_date_fn only: a word as written (is_date_fn
 * ignores case, so the dialect's fold, a copy for some, is not needed); a quoted one
 * unquoted. */
static struct name call_name(struct parser *P, const struct tok *t)
{
    if (t->type == T_QIDENT)
        return sa_tok_name(P, t);
    return (struct name){P->s + t->off, t->len};
}

/* The token types sa_read_chain takes as a part of a dotted name. */
#define CHAIN_PART ((1u << T_IDENT) | (1u << T_QIDENT) | (1u << T_TEMPLATE))

/* A name: a function call, an implicit alias, or a column reference. t is a word at the
 * cursor, so t[1] is the token after it (at worst the final T_EOF). */
static int walk_name(struct parser *P, struct scope *S, struct walk *w, const struct tok *t)
{
    const struct tok *nx = t + 1;
    if ((((1u << nx->type) & NAME_FORM_NEXT) | (t->kw == KW_LAMBDA)) && walk_name_form(P, w, t))
        return WALK_NEXT;
    struct item *it = w->it;
    unsigned fl = w->fl;
    uint32_t pos = (uint32_t)P->i;
    struct name parts[MAX_PARTS];
    int star = 0, n;
    int adv = WALK_NEXT; /* how far the name's reading moved from t, when it is known */
    if (nx->type != T_DOT) {
        /* one part, as sa_read_chain reads it (a word that is not reserved, or quoted) */
        P->i++;
        n = 1;
        adv = 1;
        if (nx->type == T_LPAREN) {
            walk_call(P, S, w, t, 1, call_name(P, t));
            return WALK_NEXT;
        }
        parts[0] = sa_tok_name(P, t);
    } else if (((1u << t[2].type) & CHAIN_PART) && t[3].type != T_DOT) {
        /* two parts, q.c, as sa_read_chain reads them (t[2] and t[3] are at worst the
         * T_EOF padding) */
        P->i += 3;
        n = 2;
        adv = 3;
        nx = t + 3;
        if (nx->type == T_LPAREN) {
            walk_call(P, S, w, t, 2, call_name(P, t + 2));
            return WALK_NEXT;
        }
        parts[0] = sa_tok_name(P, t);
        parts[1] = sa_tok_name(P, t + 2);
    } else {
        n = sa_read_chain(P, parts, &star, NULL);
        if (n == 0) {
            P->i++;
            return 1;
        }
        nx = cur(P);
        if (nx->type == T_LPAREN) {
            walk_call(P, S, w, t, n, parts[n < MAX_PARTS ? n - 1 : MAX_PARTS - 1]);
            return WALK_NEXT;
        }
    }
    if (it && (fl & EX_ITEM) && !(fl & EX_INPAREN) && w->prev_value && n == 1 && !star) {
        /* SELECT a b: b is an implicit alias */
        it->alias = parts[0];
        it->aliaspos = pos;
        it->has_alias = 1;
        w->prev_value = 1;
        return adv;
    }
    w->prev_value = 1;
    /* a lambda's parameter or a date part is no column (one test for both, rarely true) */
    if (n == 1 && (P->nlambda | (int)(fl & (EX_DATEFN | EX_EXTRACT)))) {
        if (P->nlambda && is_lambda(P, parts[0]))
            return adv;
        if ((fl & (EX_DATEFN | EX_EXTRACT)) && is_date_part(parts[0])) {
            if (fl & EX_EXTRACT)
                w->fl &= ~(unsigned)EX_EXTRACT;
            return adv;
        }
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
    if (P->paths && nx->type == T_COLON) {
        skip_path(P);
        return WALK_NEXT;
    }
    return adv;
}

/* Walks an expression, recording column references in S, until a closer, a terminator at
 * depth 0 (a clause keyword, or a comma with EX_COMMA), or the end. */
void sa_walk(struct parser *P, struct scope *S, unsigned fl, struct item *it)
{
    int spare = 0; /* outside w, which so stays out of memory */
    struct walk w = {fl, it, 0, 0, 1, 0, it ? &it->ntok : &spare};
    int nlambda0 = P->nlambda;
    if (++P->depth > MAX_DEPTH) {
        P->err = 1;
        return;
    }
    const struct tok *t = cur(P);
    while (!P->err) {
        int was_first = w.first;
        w.first = 0;
        int r;
        if (t->type == T_IDENT || t->type == T_QIDENT) {
            unsigned kf = tkflags(t); /* 0 for a quoted name (no keyword) */
            if (!(kf & KF_RES))
                r = walk_name(P, S, &w, t); /* one call: inlined */
            else
                r = walk_keyword(P, S, &w, t, kf);
        } else {
            r = walk_punct(P, S, &w, t, was_first);
        }
        if (r == WALK_STOP)
            break;
        t = r > 0 ? t + r : cur(P);
    }
    P->nlambda = nlambda0;
    P->depth--;
}
