/*
 * fingerprint.c - the normalised text of a statement, for grouping a query log by query
 * shape: literals (strings, numbers, parameters, TRUE/FALSE, signed numbers) become "?",
 * IN lists and array literals of literals collapse to one "?", repeated literal-only
 * VALUES rows collapse to the first, keywords are upper case, unquoted identifiers (and
 * keywords used as names: kw_as_name) are folded like the dialect folds them, comments go and white
 * space becomes one space between tokens (none inside brackets or around dots). One pass over the
 * tokens.
 */
#include "sqlfn/internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "util/banned.h"

static int is_lit(const struct tok *t)
{
    return t->type == T_STRING || t->type == T_NUMBER || t->type == T_PARAM ||
           (t->type == T_IDENT && (t->kw == KW_TRUE || t->kw == KW_FALSE));
}

static int is_sign(const char *s, const struct tok *t)
{
    return t->type == T_OP && t->len == 1 && (s[t->off] == '-' || s[t->off] == '+');
}

static int value_like(const struct tok *t)
{
    switch (t->type) {
    case T_IDENT:
        return !(kw_flags(t->kw) & KF_RES) || t->kw == KW_NULL || t->kw == KW_END ||
               t->kw == KW_TRUE || t->kw == KW_FALSE;
    case T_QIDENT:
    case T_STRING:
    case T_NUMBER:
    case T_PARAM:
    case T_TEMPLATE:
    case T_RPAREN:
    case T_RBRACKET:
        return 1;
    default:
        return 0;
    }
}

/* Is tokens[i] (an opening bracket) a literal-only list? Returns the index of its closer,
 * or 0 when it is not. *count receives the number of items. */
static size_t literal_list(const char *s, const struct tok *v, size_t n, size_t i, int close,
                           size_t *count)
{
    size_t j = i + 1;
    *count = 0;
    for (;;) {
        if (j < n && is_sign(s, &v[j]) && j + 1 < n && v[j + 1].type == T_NUMBER)
            j++;
        if (j >= n || !is_lit(&v[j]))
            return 0;
        j++;
        (*count)++;
        /* a cast of a literal ('x'::date) is still a literal */
        if (j + 1 < n && v[j].type == T_DCOLON && v[j + 1].type == T_IDENT)
            j += 2;
        if (j < n && v[j].type == T_COMMA) {
            j++;
            continue;
        }
        if (j < n && v[j].type == close)
            return j;
        return 0;
    }
}

/* Token types by what the fingerprint does around them. */
enum {
    FP_NS_AFTER = 1,  /* no space after: ( [ . :: */
    FP_NS_BEFORE = 2, /* no space before: ) ] , . :: */
    FP_LIT = 4,       /* a literal: ? */
    FP_OPEN = 8,      /* ( or [: maybe a literal-only list */
};

static const unsigned char fp_type[T_OP + 1] = {
    [T_STRING] = FP_LIT,
    [T_NUMBER] = FP_LIT,
    [T_PARAM] = FP_LIT,
    [T_LPAREN] = FP_NS_AFTER | FP_OPEN,
    [T_LBRACKET] = FP_NS_AFTER | FP_OPEN,
    [T_DOT] = FP_NS_AFTER | FP_NS_BEFORE,
    [T_DCOLON] = FP_NS_AFTER | FP_NS_BEFORE,
    [T_RPAREN] = FP_NS_BEFORE,
    [T_RBRACKET] = FP_NS_BEFORE,
    [T_COMMA] = FP_NS_BEFORE,
};

/* Is keyword token v[i] used as a name, so that it folds like one rather than being
 * written upper case as a keyword? A name part next to a dot (f.last, default.t,
 * s.function) whatever the keyword; a non-reserved keyword as an alias (AS last, but not
 * the type of CAST(x AS date) or AS decimal(10, 2), nor AS OF a literal), or where only a value or
 * a name can stand: after SELECT, DISTINCT, a comma, FROM, JOIN, WHERE, AND, OR, ON, BY, SET or an
 * operator, and before a comma, an operator, a closing bracket, the end, or a clause
 * keyword (SELECT last FROM t; ORDER BY last), or alone in brackets or first in a list
 * (avg(value), cube(type, key)) - while NULLS LAST, ROWS ... PRECEDING,
 * EXTRACT(EPOCH FROM d) or INTERVAL 1 DAY stay keywords. v[n] is T_EOF. */
static int kw_as_name(const struct tok *v, size_t i)
{
    const struct tok *p = i ? &v[i - 1] : NULL, *nx = &v[i + 1];
    if ((p && p->type == T_DOT) || nx->type == T_DOT)
        return 1;
    if (kw_flags(v[i].kw) & KF_RES)
        return 0;
    if (!p)
        return 0;
    if (p->type == T_IDENT && p->kw == KW_AS) /* not AS OF '2024-01-01' */
        return nx->type != T_RPAREN && nx->type != T_LPAREN && !(fp_type[nx->type] & FP_LIT);
    if (p->type == T_LPAREN) /* f(value), f(type, key): not EXTRACT(EPOCH FROM x) */
        return nx->type == T_COMMA || nx->type == T_RPAREN || nx->type == T_OP;
    int before = p->type == T_COMMA || p->type == T_OP ||
                 (p->type == T_IDENT &&
                  (p->kw == KW_SELECT || p->kw == KW_DISTINCT || p->kw == KW_FROM ||
                   p->kw == KW_JOIN || p->kw == KW_WHERE || p->kw == KW_AND || p->kw == KW_OR ||
                   p->kw == KW_ON || p->kw == KW_BY || p->kw == KW_SET));
    if (!before)
        return 0;
    switch (nx->type) {
    case T_COMMA:
    case T_OP:
    case T_RPAREN:
    case T_RBRACKET:
    case T_SEMI:
    case T_EOF:
        return 1;
    case T_IDENT:
        return nx->kw && (kw_flags(nx->kw) & KF_TERM);
    default:
        return 0;
    }
}

/* Keyword names upper case in 24-byte rows, copied whole (the output has the room). */
static char kw_rows[KW_COUNT][24];
static pthread_once_t kw_rows_once = PTHREAD_ONCE_INIT;
static atomic_int kw_rows_ready; /* set once filled: tested (a load) before pthread_once */

static void kw_rows_init(void)
{
    for (unsigned k = 1; k < KW_COUNT; k++) {
        const char *n = kw_name(k);
        size_t len = strlen(n);
        memcpy(kw_rows[k], n, len < 24 ? len : 24);
    }
    atomic_store_explicit(&kw_rows_ready, 1, memory_order_release);
}

/* Writes the n bytes of an identifier at p to o, folded ('L' lower, 'U' upper); `room`
 * bytes may be read from p (16 or more: whole words). */
static inline void put_folded(char *o, const unsigned char *p, uint32_t n, unsigned char lo,
                              size_t room)
{
    if (n <= 16 && room >= 16) {
        uint64_t a, b;
        memcpy(&a, p, 8);
        memcpy(&b, p + 8, 8);
        a = sa_swar_fold(a, lo);
        b = sa_swar_fold(b, lo);
        memcpy(o, &a, 8);
        memcpy(o + 8, &b, 8);
        return;
    }
    for (uint32_t k = 0; k < n; k++) {
        unsigned char c = p[k];
        o[k] = (char)((unsigned char)(c - lo) < 26 ? c ^ 0x20 : c);
    }
}

int sqlfn_fingerprint(const char *s, const struct tokens *tk, enum sqlfn_dialect d, struct arena *a,
                      struct sqlfn_str *out)
{
    const struct tok *v = tk->v;
    size_t n = tk->n ? tk->n - 1 : 0; /* without T_EOF */
    size_t textlen = v[n].off;
    /* the lexer's copy of the text (the same bytes): 16 bytes can be read past its end, so
     * every token of up to 16 bytes is moved as whole words */
    s = tk->pad;
    size_t readable = textlen + 16;
    /* every token takes at least one byte and is written with at most its length plus a
     * space, so twice the text is enough; 64 more for whole-word writes past the end */
    size_t cap = 2 * textlen + 64;
    char *buf = arena_alloc(a, cap);
    if (!buf)
        return -1;
    if (!atomic_load_explicit(&kw_rows_ready, memory_order_acquire))
        pthread_once(&kw_rows_once, kw_rows_init);
    char fold = dialect_fold(d);
    unsigned char lo = fold == 'L' ? 'A' : 'a';
    char *o = buf;
    const struct tok *prev = NULL;  /* last token written */
    unsigned prev_fl = FP_NS_AFTER; /* nothing written yet: no space */
    /* names the fold leaves alone: no upper-case letter to lower, or no lower to upper */
    unsigned change = fold == 'L' ? TF_UPPER : TF_LOWER;
    const struct tok *vend = v + n;
    for (const struct tok *t = v; t < vend; t++) {
        unsigned ty = t->type;
        if (ty == T_SEMI) {
            /* one "; " between statements, none before the first or after the last */
            const struct tok *j = t + 1;
            while (j < vend && j->type == T_SEMI)
                j++;
            if (prev && j < vend) {
                *o++ = ';';
                *o++ = ' ';
                prev = NULL;
                prev_fl = FP_NS_AFTER;
            }
            t = j - 1;
            continue;
        }
        /* a sign in front of a number that is not a binary operator belongs to it */
        if (ty == T_OP && is_sign(s, t) && t + 1 < vend && t[1].type == T_NUMBER &&
            !(prev && value_like(prev)))
            continue;
        unsigned fl = fp_type[ty];
        if (!(prev_fl & FP_NS_AFTER) && !(fl & FP_NS_BEFORE) && o[-1] != ' ' &&
            !(ty == T_LPAREN && ((prev->type == T_IDENT && !(kw_flags(prev->kw) & KF_RES)) ||
                                 prev->type == T_QIDENT ||
                                 (prev->type == T_IDENT && (kw_flags(prev->kw) & KF_FN) &&
                                  prev->kw != KW_IN && prev->kw != KW_VALUES))))
            *o++ = ' ';
        if (ty == T_IDENT) {
            if (t->kw) {
                if (t->kw == KW_TRUE || t->kw == KW_FALSE) {
                    *o++ = '?';
                } else if (!kw_as_name(v, (size_t)(t - v))) {
                    /* the keyword matched case-insensitively, so it has the token's length */
                    memcpy(o, kw_rows[t->kw], 24);
                    o += t->len;
                } else {
                    goto name;
                }
                prev = t;
                prev_fl = fl;
                continue;
            }
        name:
            if (fold != 'P' && (t->flags & change)) {
                put_folded(o, (const unsigned char *)s + t->off, t->len, (unsigned char)lo,
                           readable - t->off);
                o += t->len;
                prev = t;
                prev_fl = fl;
                continue;
            }
        } else if (fl & FP_LIT) {
            *o++ = '?';
            prev = t;
            prev_fl = fl;
            continue;
        } else if (fl & FP_OPEN) {
            /* IN (1, 2, 3) -> IN (?) ; [1, 2] -> [?] ; VALUES (1, 'a'), (2, 'b') -> VALUES (?, ?)
             */
            size_t count = 0;
            int close = ty == T_LPAREN ? T_RPAREN : T_RBRACKET;
            size_t end = literal_list(s, v, n, (size_t)(t - v), close, &count);
            if (end) {
                int values_row = prev && prev->type == T_IDENT && prev->kw == KW_VALUES;
                *o++ = ty == T_LPAREN ? '(' : '[';
                size_t items = values_row ? count : 1;
                for (size_t k = 0; k < items; k++) {
                    if (k) {
                        *o++ = ',';
                        *o++ = ' ';
                    }
                    *o++ = '?';
                }
                *o++ = ty == T_LPAREN ? ')' : ']';
                size_t i = end;
                if (values_row) { /* further literal-only rows */
                    while (i + 2 < n && v[i + 1].type == T_COMMA && v[i + 2].type == T_LPAREN) {
                        size_t c2 = 0;
                        size_t e2 = literal_list(s, v, n, i + 2, T_RPAREN, &c2);
                        if (!e2)
                            break;
                        i = e2;
                    }
                }
                t = v + i;
                prev = &v[end];
                prev_fl = fp_type[prev->type];
                continue;
            }
        }
        /* the token as written */
        if (t->len <= 16 && readable - t->off >= 16)
            memcpy(o, s + t->off, 16);
        else
            memcpy(o, s + t->off, t->len);
        o += t->len;
        prev = t;
        prev_fl = fl;
    }
    out->s = buf;
    out->len = (uint32_t)(o - buf);
    return 0;
}
