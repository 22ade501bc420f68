/*
 * lexer.c - the single-pass SQL tokenizer of the analysis core, its keyword table and the
 * bounded arena the analysis allocates from. One pass over the bytes, a 256-entry class
 * table, no regexes and no allocation per token (the token array grows by doubling and is
 * reused from text to text).
 */
#include "sqlfn/internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

/* ---- arena ---- */

struct arena_block {
    struct arena_block *next;
    size_t cap;
    size_t used;
    max_align_t data[]; /* cap bytes */
};

#define ARENA_FIRST_BLOCK ((size_t)16 << 10)

void *arena_alloc(struct arena *a, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    struct arena_block *b = a->head;
    if (b && b->cap - b->used >= n) {
        void *p = (char *)b->data + b->used;
        b->used += n;
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
    nb->used = n;
    a->head = nb;
    a->total += cap;
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
    if (b)
        b->used = 0;
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

static void kw_init(void)
{
    for (unsigned k = 1; k < KW_COUNT; k++) {
        const char *n = sqlfn_kw_names[k];
        uint32_t h = kw_hash(n, strlen(n)) & (KW_HASH_SIZE - 1);
        while (kw_hash_table[h])
            h = (h + 1) & (KW_HASH_SIZE - 1);
        kw_hash_table[h] = (uint16_t)k;
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
    [SQLFN_REDSHIFT] = {'L', 0, 0, 0, 0, 0, 0, 0, 0},
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

enum { C_SPACE = 1, C_ID0 = 2, C_ID = 4, C_DIGIT = 8 };

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
    H8(0xC0),
    H8(0xC8),
    H8(0xD0),
    H8(0xD8),
    H8(0xE0),
    H8(0xE8),
    H8(0xF0),
    H8(0xF8),
#undef H8
};

/* ---- lexer ---- */

/* Every token takes at least one byte, so len + 1 tokens (with T_EOF) always fit: the
 * array is sized once per text and push() needs no check. */
static int reserve(struct tokens *tk, size_t len)
{
    size_t need = len + 2 + SQLFN_EOF_PAD;
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

static inline int push(struct tokens *tk, uint8_t type, size_t off, size_t len, unsigned kw)
{
    struct tok *t = &tk->v[tk->n++];
    t->off = (uint32_t)off;
    t->len = (uint32_t)len;
    t->kw = (uint16_t)kw;
    t->type = type;
    t->pad = 0;
    return 0;
}

/* Ends a quoted run starting after the opening quote at p; `q` closes it, doubled `q`
 * escapes it, and a backslash escapes the next byte when `bs`. Returns the position after
 * the closing quote, or NULL when the text ends first. */
static const char *end_quoted(const char *p, const char *end, char q, int bs)
{
    for (;;) {
        const char *hit = memchr(p, q, (size_t)(end - p));
        if (bs) {
            const char *b = memchr(p, '\\', (size_t)((hit ? hit : end) - p));
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
static int prev_is_value(const struct tokens *tk)
{
    if (!tk->n)
        return 0;
    const struct tok *t = &tk->v[tk->n - 1];
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

int sqlfn_lex(const char *s, size_t len, enum sqlfn_dialect d, struct tokens *tk)
{
    const struct dialect_info *di = &dialects[d];
    const char *p = s, *end = s + len;
    tk->n = 0;
    if (len >= UINT32_MAX || reserve(tk, len) != 0)
        return -1;
    pthread_once(&kw_once, kw_init);
    while (p < end) {
        unsigned char c = (unsigned char)*p;
        unsigned cl = cclass[c];
        if (cl & C_SPACE) {
            p++;
            while (p < end && (cclass[(unsigned char)*p] & C_SPACE))
                p++;
            continue;
        }
        const char *st = p;
        uint8_t type;
        unsigned kw = 0;
        if (cl & C_ID0) {
            p++;
            while (p < end && (cclass[(unsigned char)*p] & C_ID))
                p++;
            size_t n = (size_t)(p - st);
            /* String prefixes: N'..', E'..', B'..', X'..', R'..', U&'..', _utf8'..' */
            if (p < end && (*p == '\'' || (*p == '"' && di->dq_string)) && n <= 8 &&
                string_prefix(st, n)) {
                int bs = di->backslash;
                if (n == 1 && (st[0] == 'E' || st[0] == 'e'))
                    bs = 1;
                if ((st[0] == 'R' || st[0] == 'r' || st[n - 1] == 'r' || st[n - 1] == 'R') &&
                    d == SQLFN_BIGQUERY)
                    bs = 0;
                char q = *p;
                if (di->triple && p + 2 < end && p[1] == q && p[2] == q) {
                    const char *e = end - p >= 3 ? p + 3 : end;
                    for (;;) {
                        const char *hit = memchr(e, q, (size_t)(end - e));
                        if (!hit || end - hit < 3)
                            return -1;
                        if (hit[1] == q && hit[2] == q && (!bs || hit[-1] != '\\')) {
                            p = hit + 3;
                            break;
                        }
                        e = hit + 1;
                    }
                } else {
                    p = end_quoted(p + 1, end, q, bs);
                    if (!p)
                        return -1;
                }
                type = T_STRING;
            } else if (n == 1 && (st[0] == 'U' || st[0] == 'u') && p + 1 < end && p[0] == '&' &&
                       (p[1] == '\'' || p[1] == '"')) {
                char q = p[1];
                p = end_quoted(p + 2, end, q, 0);
                if (!p)
                    return -1;
                type = q == '"' ? T_QIDENT : T_STRING;
            } else {
                type = T_IDENT;
                kw = (n >= 2 && n <= 20) ? kw_find(st, n, kw_hash(st, n)) : KW_NONE;
            }
        } else if (cl & C_DIGIT ||
                   (c == '.' && p + 1 < end && (cclass[(unsigned char)p[1]] & C_DIGIT) &&
                    !prev_is_value(tk))) {
            if (c == '0' && p + 1 < end && (p[1] == 'x' || p[1] == 'X')) {
                p += 2;
                while (p < end && (cclass[(unsigned char)*p] & C_ID))
                    p++;
            } else {
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
                /* 1d, 10L, 2.5BD (Spark suffixes); an identifier starting with digits
                 * (MySQL's 1abc) stays one token too. */
                while (p < end && (cclass[(unsigned char)*p] & C_ID0))
                    p++;
            }
            type = T_NUMBER;
        } else {
            const char *n1 = p + 1 < end ? p + 1 : NULL;
            switch (c) {
            case '\'':
                if (di->triple && end - p >= 3 && p[1] == '\'' && p[2] == '\'') {
                    const char *e = p + 3;
                    for (;;) {
                        const char *hit = memchr(e, '\'', (size_t)(end - e));
                        if (!hit || end - hit < 3)
                            return -1;
                        if (hit[1] == '\'' && hit[2] == '\'' && hit[-1] != '\\') {
                            p = hit + 3;
                            break;
                        }
                        e = hit + 1;
                    }
                } else {
                    p = end_quoted(p + 1, end, '\'', di->backslash);
                    if (!p)
                        return -1;
                }
                type = T_STRING;
                break;
            case '"':
                if (di->dq_string) {
                    if (di->triple && end - p >= 3 && p[1] == '"' && p[2] == '"') {
                        const char *hit = find2(p + 3, end, '"', '"');
                        while (hit && !(hit + 2 < end && hit[2] == '"'))
                            hit = find2(hit + 1, end, '"', '"');
                        if (!hit)
                            return -1;
                        p = hit + 3;
                    } else {
                        p = end_quoted(p + 1, end, '"', di->backslash);
                        if (!p)
                            return -1;
                    }
                    type = T_STRING;
                } else {
                    p = end_quoted(p + 1, end, '"', 0);
                    if (!p)
                        return -1;
                    type = T_QIDENT;
                }
                break;
            case '`':
                p = end_quoted(p + 1, end, '`', 0);
                if (!p)
                    return -1;
                type = T_QIDENT;
                break;
            case '[':
                if (di->bracket_ident && n1 && *n1 != ']' &&
                    ((cclass[(unsigned char)*n1] & (C_ID0 | C_SPACE)) || *n1 == '#' || *n1 == '@' ||
                     (unsigned char)*n1 >= 0x80 || *n1 == '-' || *n1 == '(' || *n1 == '$' ||
                     (cclass[(unsigned char)*n1] & C_DIGIT)) &&
                    !prev_is_value(tk)) {
                    p = end_quoted(p + 1, end, ']', 0);
                    if (!p)
                        return -1;
                    type = T_QIDENT;
                } else {
                    p++;
                    type = T_LBRACKET;
                }
                break;
            case ']':
                p++;
                type = T_RBRACKET;
                break;
            case '-':
                if (n1 && *n1 == '-') {
                    const char *nl = memchr(p, '\n', (size_t)(end - p));
                    p = nl ? nl + 1 : end;
                    continue;
                }
                if (n1 && *n1 == '>') {
                    p += 2;
                    if (p < end && *p == '>') {
                        p++;
                        type = T_OP;
                    } else {
                        type = T_ARROW;
                    }
                } else {
                    p++;
                    type = T_OP;
                }
                break;
            case '/':
                if (n1 && *n1 == '*') {
                    int depth = 1;
                    p += 2;
                    /* Nested comments (PostgreSQL, DuckDB) are closed level by level. */
                    while (depth) {
                        const char *hit = memchr(p, '*', (size_t)(end - p));
                        const char *open = NULL;
                        if (d == SQLFN_POSTGRES || d == SQLFN_DUCKDB || d == SQLFN_REDSHIFT) {
                            const char *lim = hit ? hit : end;
                            open = find2(p, lim + (hit && hit + 1 < end), '/', '*');
                            if (open && open >= lim)
                                open = NULL;
                        }
                        if (open) {
                            depth++;
                            p = open + 2;
                            continue;
                        }
                        if (!hit || hit + 1 >= end)
                            return -1;
                        if (hit[1] == '/') {
                            depth--;
                            p = hit + 2;
                        } else {
                            p = hit + 1;
                        }
                    }
                    continue;
                }
                if (n1 && *n1 == '/' && di->slash_comment) {
                    const char *nl = memchr(p, '\n', (size_t)(end - p));
                    p = nl ? nl + 1 : end;
                    continue;
                }
                p++;
                type = T_OP;
                break;
            case '#':
                if (di->hash_comment) {
                    const char *nl = memchr(p, '\n', (size_t)(end - p));
                    p = nl ? nl + 1 : end;
                    continue;
                }
                if (di->hash_ident && n1 && (cclass[(unsigned char)*n1] & C_ID0 || *n1 == '#')) {
                    p++;
                    while (p < end && (cclass[(unsigned char)*p] & C_ID || *p == '#'))
                        p++;
                    type = T_IDENT;
                    break;
                }
                p++;
                type = T_OP;
                break;
            case '$':
                if (n1 && *n1 == '$') {
                    const char *hit = find2(p + 2, end, '$', '$');
                    if (!hit)
                        return -1;
                    p = hit + 2;
                    type = T_STRING;
                    break;
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
                                return -1;
                            if (!memcmp(hit, p, taglen)) {
                                p = hit + taglen;
                                break;
                            }
                            e = hit + 1;
                        }
                        type = T_STRING;
                        break;
                    }
                    p = q;
                    type = T_PARAM;
                    break;
                }
                p++;
                while (p < end && (cclass[(unsigned char)*p] & C_DIGIT))
                    p++;
                type = T_PARAM;
                break;
            case '@':
                p++;
                if (di->at_stage) {
                    while (p < end && !(cclass[(unsigned char)*p] & C_SPACE) && *p != '(' &&
                           *p != ')' && *p != ',' && *p != ';')
                        p++;
                } else {
                    if (p < end && *p == '@')
                        p++;
                    while (p < end && (cclass[(unsigned char)*p] & C_ID))
                        p++;
                }
                type = T_PARAM;
                break;
            case ':':
                if (n1 && *n1 == ':') {
                    p += 2;
                    type = T_DCOLON;
                } else if (n1 && *n1 == '=') {
                    p += 2;
                    type = T_OP;
                } else if (n1 && (cclass[(unsigned char)*n1] & C_ID0) && !prev_is_value(tk) &&
                           !(tk->n && (tk->v[tk->n - 1].type == T_NUMBER ||
                                       tk->v[tk->n - 1].type == T_STRING))) {
                    p++;
                    while (p < end && (cclass[(unsigned char)*p] & C_ID))
                        p++;
                    type = T_PARAM;
                } else {
                    p++;
                    type = T_COLON;
                }
                break;
            case '{':
                if (n1 && (*n1 == '{' || *n1 == '%' || *n1 == '#')) {
                    char close = *n1 == '{' ? '}' : *n1;
                    const char *hit = find2(p + 2, end, close, '}');
                    if (!hit)
                        return -1;
                    p = hit + 2;
                    if (close == '}') {
                        type = T_TEMPLATE;
                        break;
                    }
                    continue; /* {% ... %} and {# ... #} are dropped like comments */
                }
                {
                    /* {name} is a template; anything else opens a struct literal */
                    const char *q = p + 1;
                    while (q < end && (cclass[(unsigned char)*q] & (C_ID | C_SPACE) || *q == '.'))
                        q++;
                    if (q < end && *q == '}' && q > p + 1) {
                        p = q + 1;
                        type = T_TEMPLATE;
                        break;
                    }
                }
                p++;
                type = T_LBRACE;
                break;
            case '}':
                p++;
                type = T_RBRACE;
                break;
            case '(':
                p++;
                type = T_LPAREN;
                break;
            case ')':
                p++;
                type = T_RPAREN;
                break;
            case ',':
                p++;
                type = T_COMMA;
                break;
            case '.':
                p++;
                type = T_DOT;
                break;
            case ';':
                p++;
                type = T_SEMI;
                break;
            case '*':
                p++;
                type = T_STAR;
                break;
            case '?':
                p++;
                type = T_PARAM;
                break;
            case '%':
                if (n1 && *n1 == 's' && !(p + 2 < end && (cclass[(unsigned char)p[2]] & C_ID))) {
                    p += 2;
                    type = T_PARAM;
                    break;
                }
                if (n1 && *n1 == '(') {
                    const char *q = memchr(p, ')', (size_t)(end - p));
                    if (q && q + 1 < end && q[1] == 's' && q - p < 64) {
                        p = q + 2;
                        type = T_PARAM;
                        break;
                    }
                }
                p++;
                type = T_OP;
                break;
            case '=':
                if (n1 && *n1 == '>') {
                    p += 2;
                    type = T_FATARROW;
                } else {
                    p += (n1 && *n1 == '=') ? 2 : 1;
                    type = T_OP;
                }
                break;
            case '<':
            case '>':
            case '!':
            case '|':
                if (n1 && (*n1 == '=' || *n1 == '>' || (*n1 == '|' && c == '|') ||
                           (*n1 == '<' && c == '<')))
                    p += 2;
                else
                    p++;
                type = T_OP;
                break;
            default:
                p++;
                type = T_OP;
                break;
            }
        }
        if (push(tk, type, (size_t)(st - s), (size_t)(p - st), kw))
            return -1;
    }
    push(tk, T_EOF, len, 0, 0);
    /* look-ahead of a few tokens (t[1], t[2] ...) past the end reads more T_EOF, never a
     * token left from a longer text */
    for (size_t k = 0; k < SQLFN_EOF_PAD; k++)
        tk->v[tk->n + k] = tk->v[tk->n - 1];
    return 0;
}
