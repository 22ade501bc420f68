/*
 * fingerprint.c - the normalised text of a statement, for grouping a query log by query
 * shape: literals (strings, numbers, parameters, TRUE/FALSE, signed numbers) become "?",
 * IN lists and array literals of literals collapse to one "?", repeated literal-only
 * VALUES rows collapse to the first, keywords are upper case, unquoted identifiers are
 * folded like the dialect folds them, comments go and white space becomes one space
 * between tokens (none inside brackets or around dots). One pass over the tokens.
 */
#include "sqlfn/internal.h"

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

int sqlfn_fingerprint(const char *s, const struct tokens *tk, enum sqlfn_dialect d, struct arena *a,
                      struct sqlfn_str *out)
{
    const struct tok *v = tk->v;
    size_t n = tk->n ? tk->n - 1 : 0; /* without T_EOF */
    /* every token takes at least one byte and is written with at most its length plus a
     * space, so twice the text is enough */
    size_t cap = 2 * (size_t)v[n].off + 16;
    char *buf = arena_alloc(a, cap);
    if (!buf)
        return -1;
    char fold = dialect_fold(d);
    char *o = buf;
    const struct tok *prev = NULL; /* last token written */
    int pending_semi = 0;
    for (size_t i = 0; i < n; i++) {
        const struct tok *t = &v[i];
        if (t->type == T_SEMI) {
            if (prev)
                pending_semi = 1;
            continue;
        }
        if (pending_semi) {
            *o++ = ';';
            pending_semi = 0;
            prev = NULL;
            *o++ = ' ';
        }
        /* a sign in front of a number that is not a binary operator belongs to it */
        if (is_sign(s, t) && i + 1 < n && v[i + 1].type == T_NUMBER && !(prev && value_like(prev)))
            continue;
        int space = prev != NULL;
        if (prev && (prev->type == T_LPAREN || prev->type == T_LBRACKET || prev->type == T_DOT ||
                     prev->type == T_DCOLON))
            space = 0;
        if (t->type == T_RPAREN || t->type == T_RBRACKET || t->type == T_COMMA ||
            t->type == T_DOT || t->type == T_DCOLON)
            space = 0;
        if (t->type == T_LPAREN && prev &&
            ((prev->type == T_IDENT && !(kw_flags(prev->kw) & KF_RES)) || prev->type == T_QIDENT ||
             (prev->type == T_IDENT && (kw_flags(prev->kw) & KF_FN) && prev->kw != KW_IN &&
              prev->kw != KW_VALUES)))
            space = 0;
        if (space && o > buf && o[-1] == ' ')
            space = 0;
        if (space)
            *o++ = ' ';
        /* IN (1, 2, 3) -> IN (?) ; [1, 2] -> [?] ; VALUES (1, 'a'), (2, 'b') -> VALUES (?, ?) */
        if (t->type == T_LPAREN || t->type == T_LBRACKET) {
            size_t count = 0;
            int close = t->type == T_LPAREN ? T_RPAREN : T_RBRACKET;
            size_t end = literal_list(s, v, n, i, close, &count);
            if (end) {
                int values_row = prev && prev->type == T_IDENT && prev->kw == KW_VALUES;
                *o++ = t->type == T_LPAREN ? '(' : '[';
                size_t items = values_row ? count : 1;
                for (size_t k = 0; k < items; k++) {
                    if (k) {
                        *o++ = ',';
                        *o++ = ' ';
                    }
                    *o++ = '?';
                }
                *o++ = t->type == T_LPAREN ? ')' : ']';
                i = end;
                if (values_row) { /* further literal-only rows */
                    while (i + 2 < n && v[i + 1].type == T_COMMA && v[i + 2].type == T_LPAREN) {
                        size_t c2 = 0;
                        size_t e2 = literal_list(s, v, n, i + 2, T_RPAREN, &c2);
                        if (!e2)
                            break;
                        i = e2;
                    }
                }
                prev = &v[end];
                continue;
            }
        }
        if (is_lit(t)) {
            *o++ = '?';
        } else if (t->type == T_IDENT && t->kw) {
            /* the keyword matched case-insensitively, so it has the token's length */
            const char *k = kw_name(t->kw);
            memcpy(o, k, t->len);
            o += t->len;
        } else if (t->type == T_IDENT && fold != 'P') {
            /* the bit that tells ASCII case apart, flipped in letters of the other case */
            const unsigned char *p = (const unsigned char *)s + t->off;
            unsigned char lo = fold == 'L' ? 'A' : 'a';
            for (uint32_t k = 0; k < t->len; k++) {
                unsigned char c = p[k];
                o[k] = (char)((unsigned char)(c - lo) < 26 ? c ^ 0x20 : c);
            }
            o += t->len;
        } else {
            memcpy(o, s + t->off, t->len);
            o += t->len;
        }
        prev = t;
    }
    out->s = buf;
    out->len = (uint32_t)(o - buf);
    return 0;
}
