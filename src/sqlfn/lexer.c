/*
 * lexer.c - the single-pass SQL tokenizer of the analysis core, its keyword table and the
 * bounded arena the analysis allocates from. One pass over the bytes, a 256-entry class
 * table, no regexes and no allocation per token (the token array grows by doubling and is
 * reused from text to text).
 */
#include "sqlfn/internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "util/banned.h"

/* ---- arena ---- */

struct arena_block {
    struct arena_block *next;
    size_t cap;
    max_align_t data[]; /* cap bytes */
};

#define ARENA_FIRST_BLOCK ((size_t)16 << 10)

void *arena_alloc_slow(struct arena *a, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    struct arena_block *b = a->head;
    if (b && (size_t)(a->lim - a->cur) >= n) {
        void *p = a->cur;
        a->cur += n;
        return p;
    }
    size_t cap = b ? b->cap * 2 : ARENA_FIRST_BLOCK;
    if (cap < n)
        cap = n;
    size_t max = a->max ? a->max : SQLFN_MAX_ARENA;
    if (a->total + cap > max) {
        if (a->total + n > max)
            return NULL;
        cap = n;
    }
    struct arena_block *nb = malloc(sizeof(*nb) + cap);
    if (!nb)
        return NULL;
    nb->next = b;
    nb->cap = cap;
    a->head = nb;
    a->total += cap;
    a->cur = (char *)nb->data + n;
    a->lim = (char *)nb->data + cap;
    return nb->data;
}

void arena_reset(struct arena *a)
{
    /* Keep only the oldest block (the smallest), so a huge text does not pin memory. */
    struct arena_block *b = a->head;
    while (b && b->next) {
        struct arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = b;
    a->total = b ? b->cap : 0;
    a->cur = b ? (char *)b->data : NULL;
    a->lim = b ? (char *)b->data + b->cap : NULL;
}

void arena_release(struct arena *a)
{
    struct arena_block *b = a->head;
    while (b) {
        struct arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
    a->total = 0;
    a->cur = a->lim = NULL;
}

/* ---- keywords ---- */

const char *const sqlfn_kw_names[KW_COUNT] = {NULL,
#define X(name, flags) #name,
                                              SQLFN_KEYWORDS(X)
#undef X
};

const unsigned char sqlfn_kw_flags[KW_COUNT] = {0,
#define X(name, flags) (flags),
                                                SQLFN_KEYWORDS(X)
#undef X
};

/*
 * The keyword hash table is computed at compile time? No: C cannot, so it is filled on
 * first use. Filling is idempotent and writes the same values from every thread, but to
 * stay free of data races it is guarded by a once-flag.
 */
#define KW_HASH_SIZE 1024
static uint16_t kw_hash_table[KW_HASH_SIZE];
static pthread_once_t kw_once = PTHREAD_ONCE_INIT;
/* set once the tables are filled: every text's lexing tests it (a load) instead of calling
 * pthread_once */
static atomic_int kw_ready;

/* Mixes the length and four letters (first, second, middle, last; case folded) rather than
 * every byte: no multiply chain per character while identifiers are scanned, and it still
 * spreads the keywords with at most 3 probes. len >= 2. */
static inline uint32_t kw_hash(const char *s, size_t len)
{
    uint32_t a = (unsigned char)s[0] | 0x20, b = (unsigned char)s[1] | 0x20;
    uint32_t m = (unsigned char)s[len / 2] | 0x20, z = (unsigned char)s[len - 1] | 0x20;
    uint32_t h = (a * 0x9E3779B1u) ^ (b * 0x85EBCA77u) ^ (m * 0xC2B2AE3Du) ^ (z * 0x27D4EB2Fu) ^
                 ((uint32_t)len * 0x165667B1u);
    return h ^ (h >> 15);
}

/* The second table: keywords of up to KW_WORD_MAX bytes by their bytes as two words (case
 * folded by & 0xDF, zero past the end), for the lexer's fast path, which has the bytes of a
 * name in hand: one hash of two words and one compare of two words per probe instead of
 * a hash of four bytes and a loop over the bytes. A name byte is never 0 nor 0x20, so the
 * two words tell names of different lengths apart. */
#define KW_WORD_MAX 15
/* Four times the first table's slots: a name that is no keyword (most are) finds an empty
 * slot at its first probe but for one in 17 (about 240 keywords), where 1,024 slots made it
 * one in 4 and the probe loop's exit a mispredicted branch (cachegrind --branch-sim). */
#define KW_WORD_BITS 12
#define KW_WORD_SIZE (1u << KW_WORD_BITS)
static uint16_t kw_word_table[KW_WORD_SIZE];
/* each keyword's two words, in two arrays: a probe then indexes them by k directly */
static uint64_t kw_word0[KW_COUNT], kw_word1[KW_COUNT];

/* One multiply of the words' sum: two names with the same sum only share a probe chain
 * (the words are compared in full), and the sum costs one instruction where a multiply
 * of each word cost three. */
static inline uint32_t kw_word_hash(uint64_t w0, uint64_t w1)
{
    return (uint32_t)(((w0 + w1) * 0x9E3779B97F4A7C15ull) >> (64 - KW_WORD_BITS));
}

/* Masks of the bytes of a name of n bytes in its two words, each byte's bit 5 clear: the
 * mask also folds ASCII letters to upper case. */
static uint64_t kw_masks[16][2];

/* The two case-folded words of the n (<= 15) bytes at s, when 16 bytes may be read at s. */
static inline void kw_words_of(const char *s, size_t n, uint64_t *w0, uint64_t *w1)
{
    uint64_t a, b;
    memcpy(&a, s, 8);
    memcpy(&b, s + 8, 8);
    *w0 = a & kw_masks[n][0];
    *w1 = b & kw_masks[n][1];
}

static void first_action_init(void);

static void kw_init(void)
{
    first_action_init();
    const uint64_t fold = 0xDFDFDFDFDFDFDFDFull;
    for (unsigned n = 0; n < 16; n++) {
        kw_masks[n][0] = fold & (n >= 8 ? ~(uint64_t)0 : ((uint64_t)1 << (8 * n)) - 1);
        kw_masks[n][1] = fold & (n <= 8 ? 0 : ((uint64_t)1 << (8 * (n - 8))) - 1);
    }
    for (unsigned k = 1; k < KW_COUNT; k++) {
        const char *n = sqlfn_kw_names[k];
        size_t len = strlen(n);
        uint32_t h = kw_hash(n, len) & (KW_HASH_SIZE - 1);
        while (kw_hash_table[h])
            h = (h + 1) & (KW_HASH_SIZE - 1);
        kw_hash_table[h] = (uint16_t)k;
        if (len > KW_WORD_MAX)
            continue;
        char buf[16] = {0};
        memcpy(buf, n, len);
        kw_words_of(buf, len, &kw_word0[k], &kw_word1[k]);
        h = kw_word_hash(kw_word0[k], kw_word1[k]) & (KW_WORD_SIZE - 1);
        while (kw_word_table[h])
            h = (h + 1) & (KW_WORD_SIZE - 1);
        kw_word_table[h] = (uint16_t)k;
    }
    atomic_store_explicit(&kw_ready, 1, memory_order_release);
}

/* The keyword whose two words are w0, w1 (a name of 1 to KW_WORD_MAX bytes), or KW_NONE. */
static inline unsigned kw_find_words(uint64_t w0, uint64_t w1)
{
    uint32_t h = kw_word_hash(w0, w1) & (KW_WORD_SIZE - 1);
    for (;;) {
        unsigned k = kw_word_table[h];
        if (!k || (kw_word0[k] == w0 && kw_word1[k] == w1))
            return k;
        h = (h + 1) & (KW_WORD_SIZE - 1);
    }
}

static inline unsigned kw_find(const char *s, size_t len, uint32_t hash)
{
    uint32_t h = hash & (KW_HASH_SIZE - 1);
    for (;;) {
        unsigned k = kw_hash_table[h];
        if (!k)
            return KW_NONE;
        const char *n = sqlfn_kw_names[k];
        size_t i = 0;
        /* Keyword names are upper case letters and '_'; (c & 0xDF) folds ASCII letters and
         * maps no other identifier byte onto one of them. */
        while (i < len && ((unsigned char)s[i] & 0xDF) == (unsigned char)n[i])
            i++;
        if (i == len && !n[i])
            return k;
        h = (h + 1) & (KW_HASH_SIZE - 1);
    }
}

unsigned kw_lookup(const char *s, size_t len)
{
    if (len < 2 || len > 20)
        return KW_NONE;
    pthread_once(&kw_once, kw_init);
    return kw_find(s, len, kw_hash(s, len));
}

/* ---- dialects ---- */

struct dialect_info {
    char fold;          /* 'L', 'U', 'P' */
    char dq_string;     /* "..." is a string, not an identifier */
    char backslash;     /* backslash escapes in '...' */
    char bracket_ident; /* [x] is an identifier */
    char hash_comment;  /* # starts a comment */
    char slash_comment; /* // starts a comment */
    char hash_ident;    /* #temp is an identifier */
    char triple;        /* '''...''' and """...""" strings */
    char at_stage;      /* @stage/path runs to white space */
};

static const struct dialect_info dialects[] = {
    [SQLFN_ANSI] = {'L', 0, 0, 0, 0, 0, 0, 0, 0},
    [SQLFN_SNOWFLAKE] = {'U', 0, 1, 0, 0, 1, 0, 0, 1},
    [SQLFN_BIGQUERY] = {'P', 1, 1, 0, 1, 0, 0, 1, 0},
    [SQLFN_REDSHIFT] = {'L', 0, 1, 0, 0, 0, 0, 0, 0},
    [SQLFN_POSTGRES] = {'L', 0, 0, 0, 0, 0, 0, 0, 0},
    [SQLFN_DATABRICKS] = {'L', 1, 1, 0, 0, 0, 0, 0, 0},
    [SQLFN_DUCKDB] = {'L', 0, 0, 0, 0, 0, 0, 0, 0},
    [SQLFN_TSQL] = {'P', 0, 0, 1, 0, 0, 1, 0, 0},
    [SQLFN_MYSQL] = {'P', 1, 1, 0, 1, 0, 0, 0, 0},
    [SQLFN_SQLITE] = {'L', 0, 0, 1, 0, 0, 0, 0, 0},
};

char dialect_fold(enum sqlfn_dialect d)
{
    return dialects[d].fold;
}

static int ascii_ieq(const char *a, size_t n, const char *lower)
{
    size_t i = 0;
    for (; i < n && lower[i]; i++) {
        char c = a[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c + 32);
        if (c != lower[i])
            return 0;
    }
    return i == n && !lower[i];
}

int sqlfn_dialect_parse(const char *name, size_t len, enum sqlfn_dialect *out)
{
    static const struct {
        const char *name;
        enum sqlfn_dialect d;
    } names[] = {
        {"ansi", SQLFN_ANSI},           {"", SQLFN_ANSI},
        {"snowflake", SQLFN_SNOWFLAKE}, {"bigquery", SQLFN_BIGQUERY},
        {"redshift", SQLFN_REDSHIFT},   {"postgres", SQLFN_POSTGRES},
        {"postgresql", SQLFN_POSTGRES}, {"databricks", SQLFN_DATABRICKS},
        {"spark", SQLFN_DATABRICKS},    {"spark2", SQLFN_DATABRICKS},
        {"hive", SQLFN_DATABRICKS},     {"duckdb", SQLFN_DUCKDB},
        {"tsql", SQLFN_TSQL},           {"mssql", SQLFN_TSQL},
        {"sqlserver", SQLFN_TSQL},      {"mysql", SQLFN_MYSQL},
        {"sqlite", SQLFN_SQLITE},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (ascii_ieq(name, len, names[i].name)) {
            *out = names[i].d;
            return 0;
        }
    }
    return -1;
}

/* ---- character classes ---- */

/* C_U8: a UTF-8 lead byte that may begin a Unicode space (U+00A0, U+2000..U+200B,
 * U+202F, U+205F, U+3000, U+FEFF); it is a name byte unless u8_space() says otherwise. */
enum { C_SPACE = 1, C_ID0 = 2, C_ID = 4, C_DIGIT = 8, C_U8 = 16 };

static const unsigned char cclass[256] = {
    ['\t'] = C_SPACE,
    ['\n'] = C_SPACE,
    ['\v'] = C_SPACE,
    ['\f'] = C_SPACE,
    ['\r'] = C_SPACE,
    [' '] = C_SPACE,
    ['_'] = C_ID0 | C_ID,
    ['$'] = C_ID,
#define D(c) [c] = C_ID | C_DIGIT
    D('0'),
    D('1'),
    D('2'),
    D('3'),
    D('4'),
    D('5'),
    D('6'),
    D('7'),
    D('8'),
    D('9'),
#undef D
#define L(c) [c] = C_ID0 | C_ID, [c + 32] = C_ID0 | C_ID
    L('A'),
    L('B'),
    L('C'),
    L('D'),
    L('E'),
    L('F'),
    L('G'),
    L('H'),
    L('I'),
    L('J'),
    L('K'),
    L('L'),
    L('M'),
    L('N'),
    L('O'),
    L('P'),
    L('Q'),
    L('R'),
    L('S'),
    L('T'),
    L('U'),
    L('V'),
    L('W'),
    L('X'),
    L('Y'),
    L('Z'),
#undef L
#define H8(c)                                                                                      \
    [c] = C_ID0 | C_ID, [c + 1] = C_ID0 | C_ID, [c + 2] = C_ID0 | C_ID, [c + 3] = C_ID0 | C_ID,    \
    [c + 4] = C_ID0 | C_ID, [c + 5] = C_ID0 | C_ID, [c + 6] = C_ID0 | C_ID, [c + 7] = C_ID0 | C_ID
    H8(0x80),
    H8(0x88),
    H8(0x90),
    H8(0x98),
    H8(0xA0),
    H8(0xA8),
    H8(0xB0),
    H8(0xB8),
    [0xC0] = C_ID0 | C_ID,
    [0xC1] = C_ID0 | C_ID,
    [0xC2] = C_ID0 | C_U8,
    [0xC3] = C_ID0 | C_ID,
    [0xC4] = C_ID0 | C_ID,
    [0xC5] = C_ID0 | C_ID,
    [0xC6] = C_ID0 | C_ID,
    [0xC7] = C_ID0 | C_ID,
    H8(0xC8),
    H8(0xD0),
    H8(0xD8),
    [0xE0] = C_ID0 | C_ID,
    [0xE1] = C_ID0 | C_ID,
    [0xE2] = C_ID0 | C_U8,
    [0xE3] = C_ID0 | C_U8,
    [0xE4] = C_ID0 | C_ID,
    [0xE5] = C_ID0 | C_ID,
    [0xE6] = C_ID0 | C_ID,
    [0xE7] = C_ID0 | C_ID,
    [0xE8] = C_ID0 | C_ID,
    [0xE9] = C_ID0 | C_ID,
    [0xEA] = C_ID0 | C_ID,
    [0xEB] = C_ID0 | C_ID,
    [0xEC] = C_ID0 | C_ID,
    [0xED] = C_ID0 | C_ID,
    [0xEE] = C_ID0 | C_ID,
    [0xEF] = C_ID0 | C_U8,
    H8(0xF0),
    H8(0xF8),
#undef H8
};

/* Bytes after the ASCII bytes of a name that make it more than a plain name: 1 a prefixed
 * string (N'x', U&'x', a "..." string), 2 BigQuery's dashed project name (my-project.ds.t),
 * 3 a byte >= 0x80 (the name goes on in UTF-8, or a Unicode space follows it: the byte
 * loop decides). */
#define HI16(c)                                                                                    \
    [c] = 3, [c + 1] = 3, [c + 2] = 3, [c + 3] = 3, [c + 4] = 3, [c + 5] = 3, [c + 6] = 3,         \
    [c + 7] = 3, [c + 8] = 3, [c + 9] = 3, [c + 10] = 3, [c + 11] = 3, [c + 12] = 3, [c + 13] = 3, \
    [c + 14] = 3, [c + 15] = 3
static const unsigned char after_word[256] = {
    ['\''] = 1, ['"'] = 1,  ['&'] = 1,  ['-'] = 2,  HI16(0x80), HI16(0x90),
    HI16(0xA0), HI16(0xB0), HI16(0xC0), HI16(0xD0), HI16(0xE0), HI16(0xF0),
};
#undef HI16

/* Bytes that are a token of their own in every dialect and context, by token type. */
static const unsigned char single[256] = {
    ['('] = T_LPAREN, [')'] = T_RPAREN, [','] = T_COMMA,    [';'] = T_SEMI,
    ['*'] = T_STAR,   ['?'] = T_PARAM,  [']'] = T_RBRACKET, ['}'] = T_RBRACE,
};

/* What sqlfn_lex does with a token's first byte, by one jump (a switch) instead of two
 * tests of its class (single, then C_ID0): fewer instructions and a little less time
 * (the lexer harness; cases for '.' and for the end of the text cost time again). */
enum {
    A_OTHER, /* a number, an operator, quote, comment ...: the handlers */
    A_ONE,   /* a token of its own (single) */
    A_NAME,  /* a name's first byte (C_ID0) */
};
static unsigned char first_action[256];

/* Fills first_action from the class tables (once, with the keyword tables). */
static void first_action_init(void)
{
    for (unsigned c = 0; c < 256; c++)
        first_action[c] = single[c] ? A_ONE : cclass[c] & C_ID0 ? A_NAME : A_OTHER;
}

/* The length of the Unicode space at p (a C_U8 byte), or 0 when it is none: NO-BREAK
 * SPACE, NEXT LINE, the spaces U+2000..U+200B, LINE/PARAGRAPH SEPARATOR, NARROW NO-BREAK
 * SPACE, MEDIUM MATHEMATICAL SPACE, WORD JOINER, IDEOGRAPHIC SPACE and the BOM (ZERO WIDTH
 * NO-BREAK SPACE): text pasted from documents and chat carries them between tokens. */
static size_t u8_space(const char *p, const char *end)
{
    const unsigned char *u = (const unsigned char *)p;
    size_t n = (size_t)(end - p);
    if (u[0] == 0xC2)
        return n >= 2 && (u[1] == 0xA0 || u[1] == 0x85) ? 2 : 0;
    if (n < 3)
        return 0;
    if (u[0] == 0xE2)
        return (u[1] == 0x80 && (u[2] <= 0x8B || u[2] == 0xA8 || u[2] == 0xA9 || u[2] == 0xAF)) ||
                       (u[1] == 0x81 && (u[2] == 0x9F || u[2] == 0xA0))
                   ? 3
                   : 0;
    if (u[0] == 0xE3)
        return u[1] == 0x80 && u[2] == 0x80 ? 3 : 0;
    if (u[0] == 0xEF)
        return u[1] == 0xBB && u[2] == 0xBF ? 3 : 0;
    return 0;
}

/* The end of the name bytes from p: C_ID bytes, and C_U8 lead bytes that start no space. */
static inline const char *name_end(const char *p, const char *end)
{
    for (;;) {
        while (p < end && (cclass[(unsigned char)*p] & C_ID))
            p++;
        if (p < end && (cclass[(unsigned char)*p] & C_U8) && !u8_space(p, end)) {
            p++;
            continue;
        }
        return p;
    }
}

/* ---- lexer ---- */

/* Every token takes at least one byte, so len + 1 tokens (with T_EOF) always fit: the
 * array is sized once per text and a token is stored without a check. */
static int reserve(struct tokens *tk, size_t len)
{
    size_t need = len + 3 + SQLFN_EOF_PAD; /* + 1: put_eofs writes into the slot after */
    if (need <= tk->cap)
        return 0;
    if (need > SQLFN_MAX_ARENA / sizeof(struct tok))
        return -1;
    size_t cap = tk->cap ? tk->cap : 1024;
    while (cap < need)
        cap *= 2;
    struct tok *v = realloc(tk->v, cap * sizeof(struct tok));
    if (!v)
        return -1;
    tk->v = v;
    tk->cap = cap;
    return 0;
}

/* memchr within the lexer's copy of the text: the first c in [p, end) (p <= end), or NULL.
 * The 16 bytes at p are tested at once (readable: the copy's zeros follow the text), for
 * the short strings and comments most are, where a call of memchr cost about twice the
 * instructions; a longer run goes on with memchr. */
static inline const char *lex_memchr(const char *p, const char *end, char c)
{
#if defined(__SSE2__)
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
    unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(c)));
    if (m) {
        const char *hit = p + __builtin_ctz(m);
        return hit < end ? hit : NULL;
    }
    if (end - p <= 16)
        return NULL;
    p += 16;
#endif
    return memchr(p, c, (size_t)(end - p));
}

/* Ends a quoted run starting after the opening quote at p; `q` closes it, doubled `q`
 * escapes it, and a backslash escapes the next byte when `bs`. Returns the position after
 * the closing quote, or NULL when the text ends first. */
static const char *end_quoted(const char *p, const char *end, char q, int bs)
{
    for (;;) {
        const char *hit = lex_memchr(p, end, q);
        if (bs) {
            const char *b = lex_memchr(p, hit ? hit : end, '\\');
            if (b) {
                if (b + 1 >= end)
                    return NULL;
                p = b + 2;
                continue;
            }
        }
        if (!hit)
            return NULL;
        if (hit + 1 < end && hit[1] == q) {
            p = hit + 2;
            continue;
        }
        return hit + 1;
    }
}

static const char *find2(const char *p, const char *end, char a, char b)
{
    while (p + 1 < end) {
        const char *hit = memchr(p, a, (size_t)(end - p - 1));
        if (!hit)
            return NULL;
        if (hit[1] == b)
            return hit;
        p = hit + 1;
    }
    return NULL;
}

/* Can the n bytes at s prefix a string literal (N'', E'', B'', X'', R'', RB'', BR'',
 * _charset'')? Keywords such as OR'x' must stay keywords. */
static int string_prefix(const char *s, size_t n)
{
    if (s[0] == '_')
        return 1;
    char a = (char)(s[0] | 0x20), b = n > 1 ? (char)(s[1] | 0x20) : 0;
    if (n == 1)
        return a == 'n' || a == 'e' || a == 'b' || a == 'x' || a == 'r';
    return n == 2 && ((a == 'r' && b == 'b') || (a == 'b' && b == 'r'));
}

/* Is the previous token a value that a ':' path or a subscript could follow? */
static int prev_is_value(const struct tok *v, const struct tok *w)
{
    if (w == v)
        return 0;
    const struct tok *t = w - 1;
    switch (t->type) {
    case T_IDENT:
        return !(kw_flags(t->kw) & KF_RES);
    case T_QIDENT:
    case T_RBRACKET:
    case T_RPAREN:
    case T_PATH:
        return 1;
    default:
        return 0;
    }
}

/* The lexer's cursor. Each handler below starts at the first byte of a token (p), moves
 * p past it and returns its type, LX_SKIP for a comment, or LX_ERR when the text ends
 * inside a string, quoted identifier or comment. */
struct lexer {
    const char *s, *p, *end;
    enum sqlfn_dialect d;
    const struct dialect_info *di;
    struct tokens *tk;
    int sens;          /* a rule of the dialect that ansi does not have decided a token */
    struct tok *v, *w; /* the tokens so far: tk->v up to w (tk->n is set at the end) */
};

enum { LX_ERR = -1, LX_SKIP = -2 };

/* Skips a comment that runs to the end of the line. Inline: out of line (GCC's choice once
 * it held lex_memchr) the lexer's loop took 6% more instructions. */
static inline int line_comment(struct lexer *L)
{
    const char *nl = lex_memchr(L->p, L->end, '\n');
    L->p = nl ? nl + 1 : L->end;
    return LX_SKIP;
}

/* A triple-quoted string '''...''' or """...""" whose opening quotes are at p. */
static int lex_triple(struct lexer *L, char q, int bs)
{
    const char *p = L->p, *end = L->end;
    const char *e = end - p >= 3 ? p + 3 : end;
    for (;;) {
        const char *hit = memchr(e, q, (size_t)(end - e));
        if (!hit || end - hit < 3)
            return LX_ERR;
        if (hit[1] == q && hit[2] == q && (!bs || hit[-1] != '\\')) {
            L->p = hit + 3;
            return T_STRING;
        }
        e = hit + 1;
    }
}

/* A word: an identifier or keyword, or a prefixed string (N'..', E'..', B'..', X'..',
 * R'..', U&'..', _utf8'..'). */
/* The number of ASCII name bytes ([0-9A-Za-z_$]) at st, 0 to 16, when 16 bytes may be
 * read there: the 16 bytes are classified at once, and *tf receives what those bytes hold
 * (TF_*). A byte >= 0x80 ends the count. Without SSE2 it is 16: the byte loop (name_end)
 * then decides every name. */
static inline unsigned ascii_name_len(const char *st, unsigned *tf)
{
#if defined(__SSE2__)
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)st);
    /* a byte in [lo, lo + k) is one whose sum with 128 - lo is below -128 + k (signed) */
    __m128i y = _mm_or_si128(x, _mm_set1_epi8(0x20)); /* letters folded to lower case */
    __m128i let = _mm_cmplt_epi8(_mm_add_epi8(y, _mm_set1_epi8((char)(128 - 'a'))),
                                 _mm_set1_epi8((char)(-128 + 26)));
    __m128i dg = _mm_cmplt_epi8(_mm_add_epi8(x, _mm_set1_epi8((char)(128 - '0'))),
                                _mm_set1_epi8((char)(-128 + 10)));
    __m128i us =
        _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('_')), _mm_cmpeq_epi8(x, _mm_set1_epi8('$')));
    unsigned letm = (unsigned)_mm_movemask_epi8(let);
    unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(dg, us), let));
    unsigned n = (unsigned)__builtin_ctz(~m | 0x10000u);
    /* bit 5 of each byte (set in lower-case letters), moved to bit 7 */
    unsigned b5 = (unsigned)_mm_movemask_epi8(_mm_slli_epi16(x, 2));
    letm &= (1u << n) - 1;
    /* the name's lower-case letters; an upper-case one is a letter not among them */
    unsigned low = letm & b5;
    *tf = (low != letm ? TF_UPPER : 0) | (low ? TF_LOWER : 0);
    return n;
#else
    (void)st;
    *tf = TF_UPPER | TF_LOWER;
    return 16;
#endif
}

/* The end of a name of ASCII bytes starting at st (a name's first byte), when 16 bytes
 * may be read there, with *tf (TF_*; left alone otherwise). NULL when the name runs 16 bytes or
 * more or meets a byte >= 0x80: the byte loop (name_end) decides those. */
static inline const char *ascii_name_end(const char *st, unsigned *tf)
{
    unsigned f, n = ascii_name_len(st, &f);
    if (n == 16 || (unsigned char)st[n] >= 0x80)
        return NULL;
    *tf = f;
    return st + n;
}

static int lex_word(struct lexer *L, unsigned *kw, unsigned *tf)
{
    const struct dialect_info *di = L->di;
    const char *st = L->p, *end = L->end;
    const char *p = ascii_name_end(st, tf); /* 16 bytes readable: see sqlfn_lex */
    int fast = p != NULL;
    if (!fast)
        p = name_end(st + 1, end);
    /* BigQuery: a project name with dashes, unquoted (my-project.dataset.table) */
    if (L->d == SQLFN_BIGQUERY && p < end && *p == '-') {
        const char *q = p;
        while (q + 1 < end && *q == '-' && (cclass[(unsigned char)q[1]] & C_ID))
            q = name_end(q + 1, end);
        if (q > p && q < end && *q == '.') {
            p = q;
            L->sens = 1;
            fast = 0;
            *tf = TF_UPPER | TF_LOWER;
        }
    }
    size_t n = (size_t)(p - st);
    L->p = p;
    if (p < end && (*p == '\'' || (*p == '"' && di->dq_string)) && n <= 8 && string_prefix(st, n)) {
        int bs = di->backslash;
        if (n == 1 && (st[0] == 'E' || st[0] == 'e'))
            bs = 1;
        if ((st[0] == 'R' || st[0] == 'r' || st[n - 1] == 'r' || st[n - 1] == 'R') &&
            L->d == SQLFN_BIGQUERY)
            bs = 0;
        char q = *p;
        if (q == '"' || (n == 1 && (st[0] == 'E' || st[0] == 'e')) != bs)
            L->sens = 1; /* ansi: "..." is a name; a backslash escapes only in E'' */
        if (di->triple && p + 2 < end && p[1] == q && p[2] == q) {
            L->sens = 1;
            return lex_triple(L, q, bs);
        }
        L->p = end_quoted(p + 1, end, q, bs);
        return L->p ? T_STRING : LX_ERR;
    }
    if (n == 1 && (st[0] == 'U' || st[0] == 'u') && p + 1 < end && p[0] == '&' &&
        (p[1] == '\'' || p[1] == '"')) {
        char q = p[1];
        L->p = end_quoted(p + 2, end, q, 0);
        if (!L->p)
            return LX_ERR;
        return q == '"' ? T_QIDENT : T_STRING;
    }
    if (fast && n >= 2) {
        uint64_t w0, w1;
        kw_words_of(st, n, &w0, &w1);
        *kw = kw_find_words(w0, w1);
    } else {
        *kw = (n >= 2 && n <= 20) ? kw_find(st, n, kw_hash(st, n)) : KW_NONE;
    }
    return T_IDENT;
}

/* A number: 12, 1.5, .5, 1e-3, 0x1F, Spark's 1d / 10L / 2.5BD, MySQL's 1abc. */
static int lex_number(struct lexer *L)
{
    const char *p = L->p, *end = L->end;
    if (*p == '0' && p + 1 < end && (p[1] == 'x' || p[1] == 'X')) {
        p += 2;
        while (p < end && (cclass[(unsigned char)*p] & C_ID))
            p++;
        L->p = p;
        return T_NUMBER;
    }
    while (p < end && ((cclass[(unsigned char)*p] & C_DIGIT) || *p == '_'))
        p++;
    if (p < end && *p == '.' && !(p + 1 < end && p[1] == '.')) {
        p++;
        while (p < end && ((cclass[(unsigned char)*p] & C_DIGIT) || *p == '_'))
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        const char *q = p + 1;
        if (q < end && (*q == '+' || *q == '-'))
            q++;
        if (q < end && (cclass[(unsigned char)*q] & C_DIGIT)) {
            p = q;
            while (p < end && (cclass[(unsigned char)*p] & C_DIGIT))
                p++;
        }
    }
    /* 1d, 10L, 2.5BD (Spark suffixes); an identifier starting with digits (MySQL's 1abc)
     * stays one token too. */
    const char *digits = p;
    while (p < end && (cclass[(unsigned char)*p] & C_ID0))
        p++;
    /* MySQL: a name may start with digits (1abc, 2024_sales); it is one when letters
     * follow the digits */
    if (L->d == SQLFN_MYSQL && p > digits && !memchr(L->p, '.', (size_t)(digits - L->p))) {
        L->sens = 1;
        p = name_end(p, end);
        L->p = p;
        return T_IDENT;
    }
    L->p = p;
    return T_NUMBER;
}

/* '...' (or '''...''' where the dialect has triple quotes). */
static int lex_single_quote(struct lexer *L)
{
    const char *p = L->p, *end = L->end;
    if (L->di->triple && end - p >= 3 && p[1] == '\'' && p[2] == '\'') {
        L->sens = 1;
        const char *e = p + 3;
        for (;;) {
            const char *hit = memchr(e, '\'', (size_t)(end - e));
            if (!hit || end - hit < 3)
                return LX_ERR;
            if (hit[1] == '\'' && hit[2] == '\'' && hit[-1] != '\\') {
                L->p = hit + 3;
                return T_STRING;
            }
            e = hit + 1;
        }
    }
    L->p = end_quoted(p + 1, end, '\'', L->di->backslash);
    if (L->p && L->di->backslash && lex_memchr(p + 1, L->p, '\\'))
        L->sens = 1;
    return L->p ? T_STRING : LX_ERR;
}

/* "...": a string in some dialects, a quoted identifier in the others. */
static int lex_double_quote(struct lexer *L)
{
    const struct dialect_info *di = L->di;
    const char *p = L->p, *end = L->end;
    if (!di->dq_string) {
        L->p = end_quoted(p + 1, end, '"', 0);
        return L->p ? T_QIDENT : LX_ERR;
    }
    L->sens = 1;
    if (di->triple && end - p >= 3 && p[1] == '"' && p[2] == '"') {
        const char *hit = find2(p + 3, end, '"', '"');
        while (hit && !(hit + 2 < end && hit[2] == '"'))
            hit = find2(hit + 1, end, '"', '"');
        if (!hit)
            return LX_ERR;
        L->p = hit + 3;
        return T_STRING;
    }
    L->p = end_quoted(p + 1, end, '"', di->backslash);
    return L->p ? T_STRING : LX_ERR;
}

/* '[': a T-SQL/SQLite quoted identifier [x], or a bracket. */
static int lex_lbracket(struct lexer *L, const char *n1)
{
    if (L->di->bracket_ident && n1 && *n1 != ']' &&
        ((cclass[(unsigned char)*n1] & (C_ID0 | C_SPACE)) || *n1 == '#' || *n1 == '@' ||
         (unsigned char)*n1 >= 0x80 || *n1 == '-' || *n1 == '(' || *n1 == '$' ||
         (cclass[(unsigned char)*n1] & C_DIGIT)) &&
        !prev_is_value(L->v, L->w)) {
        L->sens = 1;
        L->p = end_quoted(L->p + 1, L->end, ']', 0);
        return L->p ? T_QIDENT : LX_ERR;
    }
    L->p++;
    return T_LBRACKET;
}

/* '-': a "--" comment, "->" / "->>", or an operator. */
static int lex_minus(struct lexer *L, const char *n1)
{
    if (n1 && *n1 == '-')
        return line_comment(L);
    if (n1 && *n1 == '>') {
        L->p += 2;
        if (L->p < L->end && *L->p == '>') {
            L->p++;
            return T_OP;
        }
        return T_ARROW;
    }
    L->p++;
    return T_OP;
}

/* '/': a block comment (nested in PostgreSQL, Redshift and DuckDB), a "//" comment
 * (Snowflake), or an operator. */
static int lex_slash(struct lexer *L, const char *n1)
{
    const char *end = L->end;
    if (n1 && *n1 == '*') {
        int depth = 1;
        const char *p = L->p + 2;
        int nested = L->d == SQLFN_POSTGRES || L->d == SQLFN_DUCKDB || L->d == SQLFN_REDSHIFT;
        /* Nested comments are closed level by level. */
        while (depth) {
            const char *hit = memchr(p, '*', (size_t)(end - p));
            const char *open = NULL;
            if (nested) {
                const char *lim = hit ? hit : end;
                open = find2(p, lim + (hit && hit + 1 < end), '/', '*');
                if (open && open >= lim)
                    open = NULL;
            }
            if (open) {
                L->sens = 1;
                depth++;
                p = open + 2;
                continue;
            }
            if (!hit || hit + 1 >= end)
                return LX_ERR;
            if (hit[1] == '/') {
                depth--;
                p = hit + 2;
            } else {
                p = hit + 1;
            }
        }
        L->p = p;
        return LX_SKIP;
    }
    if (n1 && *n1 == '/' && L->di->slash_comment) {
        L->sens = 1;
        return line_comment(L);
    }
    L->p++;
    return T_OP;
}

/* '#': a comment (MySQL, BigQuery), a T-SQL #temp name, or an operator. */
static int lex_hash(struct lexer *L, const char *n1)
{
    if (L->di->hash_comment) {
        L->sens = 1;
        return line_comment(L);
    }
    if (L->di->hash_ident && n1 && (cclass[(unsigned char)*n1] & C_ID0 || *n1 == '#')) {
        L->sens = 1;
        const char *p = L->p + 1;
        while (p < L->end && (cclass[(unsigned char)*p] & C_ID || *p == '#'))
            p++;
        L->p = p;
        return T_IDENT;
    }
    L->p++;
    return T_OP;
}

/* '$': $$...$$ and $tag$...$tag$ strings, $name variables, $1 parameters. */
static int lex_dollar(struct lexer *L, const char *n1)
{
    const char *p = L->p, *end = L->end;
    if (n1 && *n1 == '$') {
        const char *hit = find2(p + 2, end, '$', '$');
        if (!hit)
            return LX_ERR;
        L->p = hit + 2;
        return T_STRING;
    }
    if (n1 && (cclass[(unsigned char)*n1] & C_ID0)) {
        /* $tag$ ... $tag$ (PostgreSQL), else a variable $name */
        const char *q = n1;
        while (q < end && (cclass[(unsigned char)*q] & C_ID) && *q != '$')
            q++;
        if (q < end && *q == '$') {
            size_t taglen = (size_t)(q + 1 - p);
            const char *e = q + 1;
            for (;;) {
                const char *hit = memchr(e, '$', (size_t)(end - e));
                if (!hit || (size_t)(end - hit) < taglen)
                    return LX_ERR;
                if (!memcmp(hit, p, taglen)) {
                    L->p = hit + taglen;
                    return T_STRING;
                }
                e = hit + 1;
            }
        }
        L->p = q;
        return T_PARAM;
    }
    p++;
    while (p < end && (cclass[(unsigned char)*p] & C_DIGIT))
        p++;
    L->p = p;
    return T_PARAM;
}

/* '@': a Snowflake stage (@stage/path, up to white space) or a variable @name / @@name. */
static int lex_at(struct lexer *L)
{
    const char *p = L->p + 1, *end = L->end;
    if (L->di->at_stage) {
        L->sens = 1;
        while (p < end && !(cclass[(unsigned char)*p] & C_SPACE) && *p != '(' && *p != ')' &&
               *p != ',' && *p != ';')
            p++;
    } else {
        if (p < end && *p == '@')
            p++;
        while (p < end && (cclass[(unsigned char)*p] & C_ID))
            p++;
    }
    L->p = p;
    return T_PARAM;
}

/* ':': "::" casts, ":=", :name parameters, or a colon (paths, slices, labels). */
static int lex_colon(struct lexer *L, const char *n1)
{
    if (n1 && *n1 == ':') {
        L->p += 2;
        return T_DCOLON;
    }
    if (n1 && *n1 == '=') {
        L->p += 2;
        return T_OP;
    }
    if (n1 && (cclass[(unsigned char)*n1] & C_ID0) && !prev_is_value(L->v, L->w) &&
        !(L->w > L->v && (L->w[-1].type == T_NUMBER || L->w[-1].type == T_STRING))) {
        const char *p = L->p + 1;
        while (p < L->end && (cclass[(unsigned char)*p] & C_ID))
            p++;
        L->p = p;
        return T_PARAM;
    }
    L->p++;
    return T_COLON;
}

/* '{': {{ dbt }} and {name} templates, {% %} / {# #} blocks (dropped), struct literals. */
static int lex_lbrace(struct lexer *L, const char *n1)
{
    const char *p = L->p, *end = L->end;
    if (n1 && (*n1 == '{' || *n1 == '%' || *n1 == '#')) {
        char close = *n1 == '{' ? '}' : *n1;
        const char *hit = find2(p + 2, end, close, '}');
        if (!hit)
            return LX_ERR;
        L->p = hit + 2;
        return close == '}' ? T_TEMPLATE : LX_SKIP;
    }
    const char *q = p + 1;
    while (q < end && (cclass[(unsigned char)*q] & (C_ID | C_SPACE) || *q == '.'))
        q++;
    if (q < end && *q == '}' && q > p + 1) {
        L->p = q + 1;
        return T_TEMPLATE;
    }
    L->p++;
    return T_LBRACE;
}

/* '%': %s and %(name)s parameters, or the modulo operator. */
static int lex_percent(struct lexer *L, const char *n1)
{
    const char *p = L->p, *end = L->end;
    if (n1 && *n1 == 's' && !(p + 2 < end && (cclass[(unsigned char)p[2]] & C_ID))) {
        L->p += 2;
        return T_PARAM;
    }
    if (n1 && *n1 == '(') {
        const char *q = memchr(p, ')', (size_t)(end - p));
        if (q && q + 1 < end && q[1] == 's' && q - p < 64) {
            L->p = q + 2;
            return T_PARAM;
        }
    }
    L->p++;
    return T_OP;
}

/* Any byte that starts neither a word nor a number. */
static int lex_punct(struct lexer *L)
{
    unsigned char c = (unsigned char)*L->p;
    const char *n1 = L->p + 1 < L->end ? L->p + 1 : NULL;
    int one = 0; /* a one-byte token of this type */
    switch (c) {
    case '\'':
        return lex_single_quote(L);
    case '"':
        return lex_double_quote(L);
    case '`':
        L->p = end_quoted(L->p + 1, L->end, '`', 0);
        return L->p ? T_QIDENT : LX_ERR;
    case '[':
        return lex_lbracket(L, n1);
    case '-':
        return lex_minus(L, n1);
    case '/':
        return lex_slash(L, n1);
    case '#':
        return lex_hash(L, n1);
    case '$':
        return lex_dollar(L, n1);
    case '@':
        return lex_at(L);
    case ':':
        return lex_colon(L, n1);
    case '{':
        return lex_lbrace(L, n1);
    case '%':
        return lex_percent(L, n1);
    case '=':
        if (n1 && *n1 == '>') {
            L->p += 2;
            return T_FATARROW;
        }
        L->p += (n1 && *n1 == '=') ? 2 : 1;
        return T_OP;
    case '<':
    case '>':
    case '!':
    case '|':
        if (n1 &&
            (*n1 == '=' || *n1 == '>' || (*n1 == '|' && c == '|') || (*n1 == '<' && c == '<')))
            L->p += 2;
        else
            L->p++;
        return T_OP;
    case ']':
        one = T_RBRACKET;
        break;
    case '}':
        one = T_RBRACE;
        break;
    case '(':
        one = T_LPAREN;
        break;
    case ')':
        one = T_RPAREN;
        break;
    case ',':
        one = T_COMMA;
        break;
    case '.':
        one = T_DOT;
        break;
    case ';':
        one = T_SEMI;
        break;
    case '*':
        one = T_STAR;
        break;
    case '?':
        one = T_PARAM;
        break;
    default:
        one = T_OP;
        break;
    }
    L->p++;
    return one;
}

/* Writes a token with one 8-byte and one 4-byte store, where a compound literal made GCC
 * write its five fields one by one. */
static inline void tok_put(struct tok *t, uint32_t off, uint32_t len, unsigned kw, unsigned type,
                           unsigned tf)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    _Static_assert(offsetof(struct tok, len) == 4 && offsetof(struct tok, kw) == 8 &&
                       offsetof(struct tok, type) == 10 && offsetof(struct tok, flags) == 11 &&
                       sizeof(struct tok) == 12,
                   "tok_put writes struct tok's layout");
    uint64_t lo = off | (uint64_t)len << 32;
    uint32_t hi = kw | type << 16 | tf << 24;
    memcpy(t, &lo, 8);
    memcpy((char *)t + 8, &hi, 4);
#else
    *t = (struct tok){off, len, (uint16_t)kw, (uint8_t)type, (uint8_t)tf};
#endif
}

/* Writes the final T_EOF and the SQLFN_EOF_PAD copies after it: {len, 0, 0, T_EOF, 0}
 * nine times. Four tokens are 48 bytes, three vectors: six vector stores and a seventh
 * for the ninth token, whose last 4 bytes land in the slot after it (reserve() leaves
 * room for it; no reader looks past the padding). Every text pays this, where the
 * eighteen stores of nine struct copies cost twice the instructions. */
static inline void put_eofs(struct tok *w, uint32_t len)
{
    _Static_assert(SQLFN_EOF_PAD == 8, "nine tokens written below");
#if defined(__SSE2__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    _Static_assert(sizeof(struct tok) == 12 && offsetof(struct tok, off) == 0 && T_EOF == 0,
                   "a T_EOF token is {len, 0, 0} as three 32-bit words");
    __m128i x = _mm_cvtsi32_si128((int)len);                   /* len 0 0 0 */
    __m128i a = _mm_shuffle_epi32(x, _MM_SHUFFLE(0, 1, 1, 0)); /* len 0 0 len */
    __m128i b = _mm_shuffle_epi32(x, _MM_SHUFFLE(1, 0, 1, 1)); /* 0 0 len 0 */
    __m128i c = _mm_shuffle_epi32(x, _MM_SHUFFLE(1, 1, 0, 1)); /* 0 len 0 0 */
    char *o = (char *)w;
    _mm_storeu_si128((__m128i *)(void *)o, a);
    _mm_storeu_si128((__m128i *)(void *)(o + 16), b);
    _mm_storeu_si128((__m128i *)(void *)(o + 32), c);
    _mm_storeu_si128((__m128i *)(void *)(o + 48), a);
    _mm_storeu_si128((__m128i *)(void *)(o + 64), b);
    _mm_storeu_si128((__m128i *)(void *)(o + 80), c);
    _mm_storeu_si128((__m128i *)(void *)(o + 96), a);
#else
    const struct tok eof = {len, 0, 0, T_EOF, 0};
    for (int i = 0; i <= SQLFN_EOF_PAD; i++)
        w[i] = eof;
#endif
}

/* Copies the text to tk->pad with 16 zero bytes after it: names are then read 16 bytes at
 * a time up to the very end (the zeros end a name), where a text that cannot be read past
 * its end sent its last 16 bytes to the byte loops, a fixed cost every text paid. */
static const char *pad_copy(struct tokens *tk, const char *s, size_t len)
{
    if (len + 16 > tk->padcap) {
        size_t cap = tk->padcap ? tk->padcap : 256;
        while (cap < len + 16)
            cap *= 2;
        char *p = realloc(tk->pad, cap);
        if (!p)
            return NULL;
        tk->pad = p;
        tk->padcap = cap;
    }
    memcpy(tk->pad, s, len);
    memset(tk->pad + len, 0, 16);
    return tk->pad;
}

int sqlfn_lex(const char *text, size_t len, enum sqlfn_dialect d, struct tokens *tk)
{
    tk->n = 0;
    if (len >= UINT32_MAX || reserve(tk, len) != 0)
        return -1;
    /* tokens hold offsets: the same in the copy as in the text */
    const char *s = pad_copy(tk, text, len);
    if (!s)
        return -1;
    const char *end = s + len;
    struct lexer L = {s, s, s + len, d, &dialects[d], tk, 0, tk->v, tk->v};
    if (!atomic_load_explicit(&kw_ready, memory_order_acquire))
        pthread_once(&kw_once, kw_init);
    /* the cursor and the next token in registers: the handlers below get them in L */
    const char *p = s;
    struct tok *w = tk->v;
    unsigned after_mask = d == SQLFN_BIGQUERY ? 3 : 1; /* see after_word */
    for (;;) {
        unsigned char c = (unsigned char)*p;
        unsigned cl = cclass[c];
        if (cl & C_SPACE) {
            /* White space: mostly one space, after which the token starts, so the token is
             * lexed here rather than in a loop iteration of its own. The copy's zeros
             * after the text end a run. */
            c = (unsigned char)*++p;
            cl = cclass[c];
            if (cl & C_SPACE) {
                do
                    c = (unsigned char)*++p;
                while (cclass[c] & C_SPACE);
                cl = cclass[c];
            }
        }
        const char *st = p;
        unsigned kw = 0, tf = TF_UPPER | TF_LOWER;
        switch (first_action[c]) {
        case A_ONE: /* ( ) , ; * ? ] }: one byte, one token, in every dialect */
            tok_put(w++, (uint32_t)(p - s), 1, 0, single[c], 0);
            p++;
            continue;
        case A_NAME: {
            /* a plain name or keyword: no prefixed string (N'x', U&'x') nor BigQuery's
             * my-project follows it */
            size_t n = ascii_name_len(p, &tf);
            const char *q = p + n;
            if (n < 16 && !(after_word[(unsigned char)*q] & after_mask)) {
                uint64_t w0, w1; /* one-byte names too: skipping them cost more */
                kw_words_of(p, n, &w0, &w1);
                kw = kw_find_words(w0, w1);
                *w++ = (struct tok){(uint32_t)(p - s), (uint32_t)n, (uint16_t)kw, T_IDENT,
                                    (uint8_t)tf};
                p = q;
                continue;
            }
            tf = TF_UPPER | TF_LOWER;
            break;
        }
        default:
            break;
        }
        /* the zero after the text: the end (a zero byte in the text is an operator) */
        if (p >= end)
            break;
        if (cl & C_U8) {
            size_t sp = u8_space(p, end);
            if (sp) {
                p += sp;
                continue;
            }
        }
        int type;
        L.p = p;
        L.w = w;
        if (cl & C_ID0)
            type = lex_word(&L, &kw, &tf);
        else if (cl & C_DIGIT ||
                 (c == '.' && p + 1 < end && (cclass[(unsigned char)p[1]] & C_DIGIT) &&
                  !prev_is_value(L.v, w)))
            type = lex_number(&L);
        else if (c == '.') { /* a dot before no number: spares lex_punct's jump table */
            L.p++;
            type = T_DOT;
        } else {
            type = lex_punct(&L);
        }
        p = L.p;
        if (type == LX_SKIP)
            continue;
        if (type == LX_ERR)
            return -1;
        /* every token takes at least one byte, so reserve() made room for them all */
        tok_put(w++, (uint32_t)(st - s), (uint32_t)(p - st), kw, (unsigned)type, tf);
    }
    L.w = w;
    /* look-ahead of a few tokens (t[1], t[2] ...) past the end reads more T_EOF, never a
     * token left from a longer text */
    put_eofs(L.w, (uint32_t)len);
    tk->n = (size_t)(L.w - tk->v) + 1;
    tk->neutral = !L.sens;
    return 0;
}
