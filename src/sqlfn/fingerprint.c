/*
 * fingerprint.c - the normalised text of a statement, for grouping a query log by query
 * shape: literals (strings, numbers, parameters, TRUE/FALSE, signed numbers) become "?",
 * IN lists and array literals of literals collapse to one "?", repeated literal-only
 * VALUES rows collapse to the first, keywords are upper case, unquoted identifiers (and
 * keywords used as names: kw_as_name) are folded like the dialect folds them, comments go
 * and white space becomes one space between tokens (none inside brackets or around dots).
 * One pass over the tokens, one table lookup per token (fp_info) and, for most tokens, no
 * jump that depends on what kind of token it is: at about 3 bytes per token, a mispredicted
 * jump per token would cost more than the rest of the work.
 */
#include "sqlfn/internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

/* Is *open (an opening bracket) a literal-only list? Returns its closer, or NULL when it is
 * not. *count receives the number of items. The tokens end at vend. */
static const struct tok *literal_list(const char *s, const struct tok *open, const struct tok *vend,
                                      int close, size_t *count)
{
    const struct tok *j = open + 1;
    *count = 0;
    for (;;) {
        if (j < vend && is_sign(s, j) && j + 1 < vend && j[1].type == T_NUMBER)
            j++;
        if (j >= vend || !is_lit(j))
            return NULL;
        j++;
        (*count)++;
        /* a cast of a literal ('x'::date) is still a literal */
        if (j + 1 < vend && j->type == T_DCOLON && j[1].type == T_IDENT)
            j += 2;
        if (j < vend && j->type == T_COMMA) {
            j++;
            continue;
        }
        if (j < vend && j->type == close)
            return j;
        return NULL;
    }
}

/* What the fingerprint does with a token, as bits of one word (fp_info): how it is written,
 * the space before it and after it, and when it needs the careful path (signs, literal
 * lists, ';', keywords that may be names). One lookup per token replaces a chain of tests on
 * its type and keyword, so that names, keywords and punctuation, most of the tokens, take one
 * path without jumps that depend on which of them it is. */
enum {
    /* what it wants before it: a space (none before ) ] , . ::), or a space unless it is
     * the "(" of a call */
    FI_SK_PLAIN = 1u << 0,
    FI_SK_LPAREN = 1u << 1,
    /* what it allows after it (FI_SK_* << 2): nothing after ( [ . ::, no space before the
     * "(" of a call after a name (f(x), "q"(x), count(x)) */
    FI_AL_PLAIN = 1u << 2,
    FI_AL_LPAREN = 1u << 3,
    FI_LIT = 1u << 4, /* a literal: "?" */
    /* how its bytes are folded (the byte offset of its row of folds: see put16) */
    FI_NAME = 1u << 5,   /* an unquoted name: as the dialect folds names */
    FI_KW = 1u << 6,     /* a keyword: upper case */
    FI_VALUE = 1u << 7,  /* a value (value_like): a sign after it is a binary operator */
    FI_VALUES = 1u << 8, /* the keyword VALUES: literal-only rows after it collapse */
    /* the careful path: always (FI_RARE: ';', a keyword that is not reserved: kw_as_name),
     * or when the next token is of the kind FI_IS_* >> 16 (no bit of 16 to 26 is used) */
    FI_NEED_DOT = 1u << 11, /* a reserved keyword before a dot is a name (from.x) */
    FI_NEED_NUM = 1u << 12, /* an operator before a number may be its sign */
    FI_NEED_LIT = 1u << 13, /* ( or [ before a literal may open a literal-only list */
    FI_NEED_KW = 1u << 14,  /* a dot before a keyword makes it a name (t.from) */
    FI_RARE = 1u << 15,
    FI_IS_DOT = FI_NEED_DOT << 16,
    FI_IS_NUM = FI_NEED_NUM << 16,
    FI_IS_LIT = FI_NEED_LIT << 16, /* can start a literal-only list's item: a literal, a sign */
    FI_IS_KW = FI_NEED_KW << 16,
};
/* every token, T_EOF too: as the next token, it puts FI_RARE in the careful path's test
 * (>> 16); the info of the last token written is not 0 */
#define FI_TOKEN  (1u << 31)
#define FI_SK     (FI_SK_PLAIN | FI_SK_LPAREN)
#define FI_AL_ALL (FI_AL_PLAIN | FI_AL_LPAREN)
/* most tokens: a space before, a space after */
#define FI_PLAIN (FI_TOKEN | FI_SK_PLAIN | FI_AL_ALL)

/* By token type, and per keyword its info XOR that of T_IDENT, so that fp_info is one XOR
 * for every token (only T_IDENT tokens have a keyword; kw 0 gives 0). One object: one base
 * address for both. The keywords' are filled once (kinfo_init). */
static struct {
    uint32_t type[T_OP + 1];
    uint32_t kw[KW_COUNT];
} fp_tab = {.type = {
                [T_EOF] = FI_TOKEN,
                [T_IDENT] = FI_TOKEN | FI_NAME | FI_SK_PLAIN | FI_AL_PLAIN | FI_VALUE,
                [T_QIDENT] = FI_TOKEN | FI_SK_PLAIN | FI_AL_PLAIN | FI_VALUE,
                [T_STRING] = FI_PLAIN | FI_LIT | FI_VALUE | FI_IS_LIT,
                [T_NUMBER] = FI_PLAIN | FI_LIT | FI_VALUE | FI_IS_LIT | FI_IS_NUM,
                [T_PARAM] = FI_PLAIN | FI_LIT | FI_VALUE | FI_IS_LIT,
                [T_TEMPLATE] = FI_PLAIN | FI_VALUE,
                [T_PATH] = FI_PLAIN,
                [T_LPAREN] = FI_TOKEN | FI_SK_LPAREN | FI_NEED_LIT,
                [T_RPAREN] = FI_TOKEN | FI_AL_ALL | FI_VALUE,
                [T_LBRACKET] = FI_TOKEN | FI_SK_PLAIN | FI_NEED_LIT,
                [T_RBRACKET] = FI_TOKEN | FI_AL_ALL | FI_VALUE,
                [T_LBRACE] = FI_PLAIN,
                [T_RBRACE] = FI_PLAIN,
                [T_COMMA] = FI_TOKEN | FI_AL_ALL,
                [T_DOT] = FI_TOKEN | FI_NEED_KW | FI_IS_DOT,
                [T_SEMI] = FI_TOKEN | FI_RARE,
                [T_STAR] = FI_PLAIN,
                [T_DCOLON] = FI_TOKEN,
                [T_ARROW] = FI_PLAIN,
                [T_FATARROW] = FI_PLAIN,
                [T_COLON] = FI_PLAIN,
                [T_OP] = FI_PLAIN | FI_NEED_NUM | FI_IS_LIT,
            }};

static inline uint32_t fp_info(const struct tok *t)
{
    return fp_tab.type[t->type] ^ fp_tab.kw[t->kw];
}

/* Is keyword token *t used as a name, so that it folds like one rather than being
 * written upper case as a keyword? A name part next to a dot (f.last, default.t,
 * s.function) whatever the keyword; a non-reserved keyword as an alias (AS last, but not
 * the type of CAST(x AS date) or AS decimal(10, 2), nor AS OF a literal), or where only a value or
 * a name can stand: after SELECT, DISTINCT, a comma, FROM, JOIN, WHERE, AND, OR, ON, BY, SET or an
 * operator, and before a comma, an operator, a closing bracket, the end, or a clause
 * keyword (SELECT last FROM t; ORDER BY last), or alone in brackets or first in a list
 * (avg(value), cube(type, key)) - while NULLS LAST, ROWS ... PRECEDING,
 * EXTRACT(EPOCH FROM d) or INTERVAL 1 DAY stay keywords. t is not the last token, T_EOF;
 * first: t is the first token. Out of line (the careful path calls it for a few tokens):
 * inlined, GCC kept each token's type and keyword in registers from one turn of the loop
 * over the tokens to the next for it, a copy per token. */
__attribute__((noinline)) static int kw_as_name(const struct tok *t, int first)
{
    const struct tok *p = first ? NULL : t - 1, *nx = t + 1;
    if ((p && p->type == T_DOT) || nx->type == T_DOT)
        return 1;
    if (kw_flags(t->kw) & KF_RES)
        return 0;
    if (!p)
        return 0;
    if (p->type == T_IDENT && p->kw == KW_AS) /* not AS OF '2024-01-01' */
        return nx->type != T_RPAREN && nx->type != T_LPAREN && !(fp_tab.type[nx->type] & FI_LIT);
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

/* How a token's bytes are folded, by FI_NAME / FI_KW: the ASCII letters in [lo, lo + 26)
 * flip case where the gate's bytes are 0x20. A keyword is written upper case: the lexer
 * matched it byte by byte as (c & 0xDF) against its name, upper case letters and '_', so its
 * bytes folded to upper case are its name. */
struct fp_fold {
    unsigned char add[16];  /* 0x80 - lo: x - lo < 26 becomes a signed x + add < 0x80 + 26 */
    unsigned char gate[16]; /* 0x20 or 0 */
};
_Static_assert((FI_TOKEN >> 16) == FI_RARE, "the next token's FI_TOKEN tests FI_RARE");
_Static_assert(sizeof(struct fp_fold) == FI_NAME && FI_KW == 2 * FI_NAME,
               "FI_NAME and FI_KW are the byte offsets of their rows");

/* By dialect fold ('L', 'U', 'P'), the rows of a token as written, a name, a keyword. */
static struct fp_fold fp_folds[3][3];

static void fold_row(struct fp_fold *f, unsigned char lo, unsigned char gate)
{
    memset(f->add, (unsigned char)(0x80u - lo), 16);
    memset(f->gate, gate, 16);
}

/* fp_tab.kw and fp_folds, filled once. */
static pthread_once_t kinfo_once = PTHREAD_ONCE_INIT;
static atomic_int kinfo_ready; /* set once filled: tested (a load) before pthread_once */

static void kinfo_init(void)
{
    for (unsigned k = 1; k < KW_COUNT; k++) {
        unsigned f = kw_flags(k);
        uint32_t info = FI_TOKEN | FI_SK_PLAIN;
        if (k == KW_TRUE || k == KW_FALSE) /* "?" wherever they stand */
            info |= FI_LIT | FI_IS_LIT;
        else /* reserved: a keyword unless beside a dot; else kw_as_name decides */
            info |= FI_KW | FI_IS_KW | (f & KF_RES ? FI_NEED_DOT : FI_RARE);
        /* no space before "(" after a name or a function keyword: count(x), but IN (1) */
        int call = !(f & KF_RES) || ((f & KF_FN) && k != KW_IN && k != KW_VALUES);
        info |= call ? FI_AL_PLAIN : FI_AL_ALL;
        if (!(f & KF_RES) || k == KW_NULL || k == KW_END || k == KW_TRUE || k == KW_FALSE)
            info |= FI_VALUE;
        if (k == KW_VALUES)
            info |= FI_VALUES;
        fp_tab.kw[k] = info ^ fp_tab.type[T_IDENT];
    }
    static const char folds[3] = {'L', 'U', 'P'};
    for (int k = 0; k < 3; k++) {
        fold_row(&fp_folds[k][0], 'a', 0);
        fold_row(&fp_folds[k][1], folds[k] == 'L' ? 'A' : 'a', folds[k] == 'P' ? 0 : 0x20);
        fold_row(&fp_folds[k][2], 'a', 0x20);
    }
    atomic_store_explicit(&kinfo_ready, 1, memory_order_release);
}

/* Writes the 16 bytes at src to o, folded by f. */
static inline void put16(char *o, const char *src, const struct fp_fold *f)
{
#if defined(__SSE2__)
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)src);
    __m128i y = _mm_add_epi8(x, _mm_loadu_si128((const __m128i *)(const void *)f->add));
    __m128i m = _mm_cmplt_epi8(y, _mm_set1_epi8((char)(unsigned char)(0x80u + 26u)));
    m = _mm_and_si128(m, _mm_loadu_si128((const __m128i *)(const void *)f->gate));
    _mm_storeu_si128((__m128i *)(void *)o, _mm_xor_si128(x, m));
#else
    for (int k = 0; k < 16; k++) {
        unsigned char c = (unsigned char)src[k];
        o[k] = (char)((unsigned char)(c + f->add[k]) - 0x80u < 26u ? c ^ f->gate[k] : c);
    }
#endif
}

int sqlfn_fingerprint(const char *s, const struct tokens *tk, enum sqlfn_dialect d, struct arena *a,
                      struct sqlfn_str *out)
{
    size_t n = tk->n ? tk->n - 1 : 0; /* without T_EOF */
    const struct tok *t = tk->v, *vend = t + n;
    size_t textlen = vend->off;
    /* the lexer's copy of the text (the same bytes): 16 bytes can be read past its end, so
     * every token is read as 16-byte words */
    s = tk->pad;
    /* every token takes at least one byte and is written with at most its length plus a
     * space, so twice the text is enough; 64 more for whole-word writes past the end */
    size_t cap = 2 * textlen + 64;
    char *buf = arena_alloc(a, cap);
    if (!buf)
        return -1;
    if (!atomic_load_explicit(&kinfo_ready, memory_order_acquire))
        pthread_once(&kinfo_once, kinfo_init);
    char fold = dialect_fold(d);
    /* by FI_NAME / FI_KW: as written, a name, a keyword */
    const char *fold_bytes = (const char *)fp_folds[fold == 'L' ? 0 : fold == 'U' ? 1 : 2];
    char *o = buf;
    uint32_t pinfo = 0; /* fp_info of the last token written; 0 at the start and after "; " */
    uint32_t info = fp_info(t);
    while (t < vend) {
        uint32_t ninfo = fp_info(t + 1); /* v[n] is T_EOF */
        /* FI_IS_* of the next token land on FI_NEED_*, its FI_TOKEN on FI_RARE */
        if (info & (ninfo >> 16)) {
            /* which token it is, by the bits that sent it here (jumps on bits of info: an
             * if-chain on its type became a jump table) */
            if (info & FI_KW) {
                if (kw_as_name(t, t == tk->v))
                    info = (info & ~(uint32_t)FI_KW) | FI_NAME;
            } else if (info & FI_NEED_NUM) { /* an operator before a number */
                /* a sign that is not a binary operator belongs to the number */
                if (is_sign(s, t) && !(pinfo & FI_VALUE))
                    goto next;
            } else if (info & FI_NEED_KW) {     /* a dot before a keyword */
                ninfo |= FI_RARE;               /* kw_as_name decides */
            } else if (!(info & FI_NEED_LIT)) { /* ';' */
                /* one "; " between statements, none before the first or after the last */
                const struct tok *j = t + 1;
                while (j < vend && j->type == T_SEMI)
                    j++;
                if (pinfo && j < vend) {
                    *o++ = ';';
                    *o++ = ' ';
                    pinfo = 0;
                }
                t = j - 1;
                goto moved;
            } else { /* ( or [ before a literal or a sign */
                unsigned ty = t->type;
                /* IN (1, 2, 3) -> IN (?) ; [1, 2] -> [?] ; VALUES (1, 'a'), (2, 'b') ->
                 * VALUES (?, ?) */
                size_t count = 0;
                int close = ty == T_LPAREN ? T_RPAREN : T_RBRACKET;
                const struct tok *end = literal_list(s, t, vend, close, &count);
                if (end) {
                    *o = ' ';
                    o += (info & (pinfo >> 2) & FI_SK) != 0;
                    int values_row = (pinfo & FI_VALUES) != 0;
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
                    t = end;
                    if (values_row) { /* further literal-only rows */
                        while (t + 2 < vend && t[1].type == T_COMMA && t[2].type == T_LPAREN) {
                            size_t c2 = 0;
                            const struct tok *e2 = literal_list(s, t + 2, vend, T_RPAREN, &c2);
                            if (!e2)
                                break;
                            t = e2;
                        }
                    }
                    pinfo = fp_tab.type[end->type];
                    goto moved;
                }
            }
        }
        /* the space before it, then the token: "?", or its bytes folded by its kind */
        *o = ' ';
        o += (info & (pinfo >> 2) & FI_SK) != 0;
        uint32_t len;
        if (info & FI_LIT) { /* few: a jump that is mostly guessed right */
            *o = '?';
            len = 1;
        } else {
            const char *src = s + t->off;
            const struct fp_fold *f =
                (const struct fp_fold *)(const void *)(fold_bytes + (info & (FI_NAME | FI_KW)));
            len = t->len;
            put16(o, src, f);
            if (len > 16) /* the rest of a long token */
                for (uint32_t k = 16; k < len; k++) {
                    unsigned char c = (unsigned char)src[k], add = f->add[0];
                    o[k] = (char)((unsigned char)(c + add) - 0x80u < 26u ? c ^ f->gate[0] : c);
                }
        }
        o += len;
        pinfo = info;
    next:
        info = ninfo;
        t++;
        continue;
    moved: /* t is the last token consumed */
        t++;
        info = fp_info(t);
    }
    out->s = buf;
    out->len = (uint32_t)(o - buf);
    return 0;
}
