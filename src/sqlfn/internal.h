/*
 * internal.h - shared internals of the SQL-analysis core: the bounded arena, the token
 * stream, the keyword table and the per-thread context. Not part of the public API
 * (that is analyze.h).
 */
#ifndef DF_SQLFN_INTERNAL_H
#define DF_SQLFN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sqlfn/analyze.h"

/* ---- arena: blocks that never move, reset per text, bounded by a maximum ---- */

struct arena_block;

struct arena {
    struct arena_block *head; /* current block; older blocks follow through ->next */
    size_t total;             /* bytes in all blocks */
    size_t max;               /* allocation fails once total would pass this */
    char *cur, *lim;          /* the free bytes of the current block */
};

/* arena_alloc past the current block: a new block, or NULL past the maximum. */
void *arena_alloc_slow(struct arena *a, size_t n);

/* Returns `n` bytes aligned to 8, or NULL when the arena's maximum would be passed. Inline:
 * the analysis allocates a few dozen times per text. */
static inline void *arena_alloc(struct arena *a, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    if ((size_t)(a->lim - a->cur) >= n) {
        void *p = a->cur;
        a->cur += n;
        return p;
    }
    return arena_alloc_slow(a, n);
}
/* `n`, hidden from the compiler: memset(p, 0, sa_opaque(sizeof(*p))) calls the C library's
 * memset (a few wide stores) where a known size of about 64 bytes or more makes GCC zero
 * with `rep stosq`, whose start-up took a third of the time of analyze_as and of
 * set_operand (perf, the everyday query) for the structs zeroed per text and per item. */
static inline size_t sa_opaque(size_t n)
{
    __asm__("" : "+r"(n));
    return n;
}

/* Forgets every allocation, keeping the first block for the next text. */
void arena_reset(struct arena *a);
/* Frees every block. */
void arena_release(struct arena *a);

/* ---- tokens ---- */

enum tok_type {
    T_EOF = 0,
    T_IDENT,    /* unquoted word (maybe a keyword: see kw) */
    T_QIDENT,   /* quoted identifier: "x", `x`, [x] */
    T_STRING,   /* any string literal, $$..$$ included */
    T_NUMBER,   /* numeric literal */
    T_PARAM,    /* ?, $1, :name, @name, @@name, %s, @stage/path */
    T_TEMPLATE, /* {{ ... }} or {name} */
    T_PATH,     /* a semi-structured path after a column: :a.b[0] (Snowflake, Databricks) */
    T_LPAREN,
    T_RPAREN,
    T_LBRACKET,
    T_RBRACKET,
    T_LBRACE,
    T_RBRACE,
    T_COMMA,
    T_DOT,
    T_SEMI,
    T_STAR,
    T_DCOLON,   /* :: */
    T_ARROW,    /* -> */
    T_FATARROW, /* => */
    T_COLON,
    T_OP, /* any other operator */
};

struct tok {
    uint32_t off; /* byte offset in the text */
    uint32_t len;
    uint16_t kw;   /* keyword id for T_IDENT, 0 when not a keyword and for other types */
    uint8_t type;  /* enum tok_type */
    uint8_t flags; /* T_IDENT: TF_* (what its bytes may hold); 0 for other types */
};

/* What the bytes of a T_IDENT token may hold: a clear bit is a promise (the lexer saw
 * every byte), a set one only a maybe. Folding a name skips the names it cannot change. */
enum {
    TF_UPPER = 1, /* may hold an ASCII upper-case letter */
    TF_LOWER = 2, /* may hold an ASCII lower-case letter */
};

/* ---- keywords ---- */

/* Keyword flags. */
enum {
    KF_RES = 1,   /* reserved: never a column name or an alias */
    KF_TERM = 2,  /* ends an expression at depth 0 (a clause keyword) */
    KF_FN = 4,    /* may be a function name when followed by "(" */
    KF_STMT = 8,  /* may start a statement */
    KF_CASE = 16, /* ends an expression only outside CASE ... END */
};

#define SQLFN_KEYWORDS(X)                                                                          \
    X(SELECT, KF_RES | KF_TERM | KF_STMT)                                                          \
    X(FROM, KF_RES | KF_TERM | KF_STMT)                                                            \
    X(WHERE, KF_RES | KF_TERM)                                                                     \
    X(GROUP, KF_RES | KF_TERM)                                                                     \
    X(BY, KF_RES)                                                                                  \
    X(ORDER, KF_RES | KF_TERM)                                                                     \
    X(HAVING, KF_RES | KF_TERM)                                                                    \
    X(LIMIT, KF_RES | KF_TERM)                                                                     \
    X(OFFSET, KF_RES | KF_TERM)                                                                    \
    X(FETCH, KF_RES | KF_TERM)                                                                     \
    X(UNION, KF_RES | KF_TERM)                                                                     \
    X(INTERSECT, KF_RES | KF_TERM)                                                                 \
    X(EXCEPT, KF_RES | KF_TERM)                                                                    \
    X(MINUS, KF_RES | KF_TERM)                                                                     \
    X(ALL, KF_RES | KF_FN)                                                                         \
    X(DISTINCT, KF_RES)                                                                            \
    X(AS, KF_RES)                                                                                  \
    X(ON, KF_RES | KF_TERM)                                                                        \
    X(USING, KF_RES | KF_TERM)                                                                     \
    X(JOIN, KF_RES | KF_TERM)                                                                      \
    X(INNER, KF_RES | KF_TERM)                                                                     \
    X(LEFT, KF_RES | KF_TERM | KF_FN)                                                              \
    X(RIGHT, KF_RES | KF_TERM | KF_FN)                                                             \
    X(FULL, KF_RES | KF_TERM)                                                                      \
    X(OUTER, KF_RES | KF_TERM)                                                                     \
    X(CROSS, KF_RES | KF_TERM)                                                                     \
    X(NATURAL, KF_RES | KF_TERM)                                                                   \
    X(LATERAL, KF_RES | KF_TERM)                                                                   \
    X(ASOF, KF_RES | KF_TERM)                                                                      \
    X(POSITIONAL, KF_RES | KF_TERM)                                                                \
    X(ANTI, KF_RES | KF_TERM)                                                                      \
    X(SEMI, KF_RES | KF_TERM)                                                                      \
    X(APPLY, KF_RES)                                                                               \
    X(STRAIGHT_JOIN, KF_RES | KF_TERM)                                                             \
    X(AND, KF_RES)                                                                                 \
    X(OR, KF_RES)                                                                                  \
    X(NOT, KF_RES)                                                                                 \
    X(NULL, KF_RES)                                                                                \
    X(TRUE, KF_RES)                                                                                \
    X(FALSE, KF_RES)                                                                               \
    X(IS, KF_RES)                                                                                  \
    X(IN, KF_RES)                                                                                  \
    X(BETWEEN, KF_RES)                                                                             \
    X(LIKE, KF_RES)                                                                                \
    X(ILIKE, KF_RES)                                                                               \
    X(RLIKE, KF_RES)                                                                               \
    X(REGEXP, KF_RES | KF_FN)                                                                      \
    X(SIMILAR, KF_RES)                                                                             \
    X(ESCAPE, KF_RES)                                                                              \
    X(GLOB, KF_RES | KF_FN)                                                                        \
    X(EXISTS, KF_RES | KF_FN)                                                                      \
    X(CASE, KF_RES | KF_STMT)                                                                      \
    X(WHEN, KF_RES | KF_TERM | KF_CASE)                                                            \
    X(THEN, KF_RES | KF_TERM | KF_CASE)                                                            \
    X(ELSE, KF_RES | KF_TERM | KF_CASE | KF_STMT)                                                  \
    X(END, KF_RES | KF_TERM | KF_CASE | KF_STMT)                                                   \
    X(CAST, KF_RES | KF_FN)                                                                        \
    X(TRY_CAST, KF_RES | KF_FN)                                                                    \
    X(SAFE_CAST, KF_RES | KF_FN)                                                                   \
    X(INTERVAL, KF_RES)                                                                            \
    X(OVER, KF_RES)                                                                                \
    X(PARTITION, KF_RES)                                                                           \
    X(WINDOW, KF_RES | KF_TERM)                                                                    \
    X(QUALIFY, KF_RES | KF_TERM)                                                                   \
    X(ASC, KF_RES)                                                                                 \
    X(DESC, KF_RES | KF_STMT)                                                                      \
    X(NULLS, KF_RES)                                                                               \
    X(WITH, KF_RES | KF_TERM | KF_STMT)                                                            \
    X(RECURSIVE, KF_RES)                                                                           \
    X(INTO, KF_RES | KF_TERM)                                                                      \
    X(VALUES, KF_RES | KF_TERM | KF_FN | KF_STMT)                                                  \
    X(SET, KF_RES | KF_TERM | KF_STMT)                                                             \
    X(INSERT, KF_RES | KF_FN | KF_STMT)                                                            \
    X(UPDATE, KF_RES | KF_STMT)                                                                    \
    X(DELETE, KF_RES | KF_STMT)                                                                    \
    X(MERGE, KF_RES | KF_STMT)                                                                     \
    X(CREATE, KF_RES | KF_STMT)                                                                    \
    X(DROP, KF_RES | KF_STMT)                                                                      \
    X(ALTER, KF_RES | KF_STMT)                                                                     \
    X(TABLE, KF_RES | KF_FN | KF_STMT)                                                             \
    X(COPY, KF_RES | KF_STMT)                                                                      \
    X(TOP, KF_RES)                                                                                 \
    X(PIVOT, KF_RES | KF_TERM | KF_STMT)                                                           \
    X(UNPIVOT, KF_RES | KF_TERM | KF_STMT)                                                         \
    X(TABLESAMPLE, KF_RES | KF_TERM)                                                               \
    X(RETURNING, KF_RES | KF_TERM)                                                                 \
    X(COLLATE, KF_RES)                                                                             \
    X(ANY, KF_RES | KF_FN)                                                                         \
    X(SOME, KF_RES | KF_FN)                                                                        \
    X(ARRAY, KF_RES | KF_FN)                                                                       \
    X(UNBOUNDED, KF_RES)                                                                           \
    X(PRECEDING, KF_RES)                                                                           \
    X(FOLLOWING, KF_RES)                                                                           \
    X(CURRENT, KF_RES)                                                                             \
    X(ROWS, KF_RES)                                                                                \
    X(RANGE, KF_RES | KF_FN)                                                                       \
    X(ROW, KF_RES | KF_FN)                                                                         \
    X(ONLY, KF_RES)                                                                                \
    X(CURRENT_DATE, KF_RES | KF_FN)                                                                \
    X(CURRENT_TIMESTAMP, KF_RES | KF_FN)                                                           \
    X(CURRENT_TIME, KF_RES | KF_FN)                                                                \
    X(CURRENT_USER, KF_RES | KF_FN)                                                                \
    X(SESSION_USER, KF_RES | KF_FN)                                                                \
    X(LOCALTIME, KF_RES | KF_FN)                                                                   \
    X(LOCALTIMESTAMP, KF_RES | KF_FN)                                                              \
    X(SYSDATE, KF_RES | KF_FN)                                                                     \
    X(IGNORE, KF_RES)                                                                              \
    X(RESPECT, KF_RES)                                                                             \
    X(WITHIN, KF_RES)                                                                              \
    X(DO, KF_RES | KF_TERM)                                                                        \
    X(CONFLICT, KF_RES)                                                                            \
    X(DEFAULT, KF_RES)                                                                             \
    X(MATCHED, KF_RES)                                                                             \
    X(IF, KF_RES | KF_FN | KF_STMT)                                                                \
    X(REPLACE, KF_RES | KF_FN | KF_STMT)                                                           \
    X(CONNECT, KF_RES | KF_TERM)                                                                   \
    X(START, KF_RES | KF_TERM | KF_STMT)                                                           \
    X(PRIOR, KF_RES)                                                                               \
    X(MATCH_RECOGNIZE, KF_RES)                                                                     \
    X(FOR, KF_RES | KF_TERM | KF_STMT)                                                             \
    X(TO, KF_RES)                                                                                  \
    X(OVERWRITE, KF_RES)                                                                           \
    X(AT, KF_RES)                                                                                  \
    X(TRUNCATE, KF_RES | KF_STMT)                                                                  \
    X(BEGIN, KF_STMT)                                                                              \
    X(COMMIT, KF_STMT)                                                                             \
    X(ROLLBACK, KF_STMT)                                                                           \
    X(DECLARE, KF_STMT)                                                                            \
    X(EXPLAIN, KF_STMT)                                                                            \
    X(DESCRIBE, KF_STMT)                                                                           \
    X(SHOW, KF_STMT)                                                                               \
    X(USE, KF_STMT)                                                                                \
    X(GRANT, KF_STMT)                                                                              \
    X(REVOKE, KF_STMT)                                                                             \
    X(CALL, KF_STMT)                                                                               \
    X(EXECUTE, KF_STMT)                                                                            \
    X(EXEC, KF_STMT)                                                                               \
    X(PRAGMA, KF_STMT)                                                                             \
    X(ATTACH, KF_STMT)                                                                             \
    X(DETACH, KF_STMT)                                                                             \
    X(INSTALL, KF_STMT)                                                                            \
    X(LOAD, KF_STMT)                                                                               \
    X(VACUUM, KF_STMT)                                                                             \
    X(ANALYZE, KF_STMT)                                                                            \
    X(CHECKPOINT, KF_STMT)                                                                         \
    X(EXPORT, KF_STMT)                                                                             \
    X(IMPORT, KF_STMT)                                                                             \
    X(SUMMARIZE, KF_STMT)                                                                          \
    X(PUT, KF_STMT)                                                                                \
    X(GET, KF_STMT)                                                                                \
    X(LIST, KF_STMT)                                                                               \
    X(REMOVE, KF_STMT)                                                                             \
    X(COMMENT, KF_STMT)                                                                            \
    X(UNDROP, KF_STMT)                                                                             \
    X(OPTIMIZE, KF_STMT)                                                                           \
    X(CACHE, KF_STMT)                                                                              \
    X(UNCACHE, KF_STMT)                                                                            \
    X(REFRESH, KF_STMT)                                                                            \
    X(MSCK, KF_STMT)                                                                               \
    X(RESET, KF_STMT)                                                                              \
    X(LOCK, KF_STMT)                                                                               \
    X(UNLOCK, KF_STMT)                                                                             \
    X(PREPARE, KF_STMT)                                                                            \
    X(DEALLOCATE, KF_STMT)                                                                         \
    X(UNLOAD, KF_STMT)                                                                             \
    X(WHILE, KF_STMT)                                                                              \
    X(LOOP, KF_STMT)                                                                               \
    X(REPEAT, KF_STMT)                                                                             \
    X(RETURN, KF_STMT)                                                                             \
    X(RAISE, KF_STMT)                                                                              \
    X(LEAVE, KF_STMT)                                                                              \
    X(ITERATE, KF_STMT)                                                                            \
    X(CONTINUE, KF_STMT)                                                                           \
    X(BREAK, KF_STMT)                                                                              \
    X(ASSERT, KF_STMT)                                                                             \
    X(RENAME, KF_STMT)                                                                             \
    X(SWAP, 0)                                                                                     \
    X(SAVEPOINT, KF_STMT)                                                                          \
    X(RELEASE, KF_STMT)                                                                            \
    X(GO, KF_STMT)                                                                                 \
    X(PRINT, KF_STMT)                                                                              \
    X(THROW, KF_STMT)                                                                              \
    X(ELSEIF, KF_STMT)                                                                             \
    X(UPSERT, KF_STMT)                                                                             \
    X(ABORT, KF_STMT)                                                                              \
    X(REINDEX, KF_STMT)                                                                            \
    X(CLUSTER, KF_STMT)                                                                            \
    X(DISCARD, KF_STMT)                                                                            \
    X(LISTEN, KF_STMT)                                                                             \
    X(NOTIFY, KF_STMT)                                                                             \
    X(LET, KF_STMT)                                                                                \
    X(VIEW, 0)                                                                                     \
    X(MATERIALIZED, 0)                                                                             \
    X(SCHEMA, 0)                                                                                   \
    X(DATABASE, 0)                                                                                 \
    X(INDEX, 0)                                                                                    \
    X(FUNCTION, 0)                                                                                 \
    X(PROCEDURE, 0)                                                                                \
    X(STAGE, 0)                                                                                    \
    X(SEQUENCE, 0)                                                                                 \
    X(MACRO, 0)                                                                                    \
    X(TYPE, 0)                                                                                     \
    X(FLATTEN, 0)                                                                                  \
    X(UNNEST, 0)                                                                                   \
    X(EXCLUDE, 0)                                                                                  \
    X(SAMPLE, 0)                                                                                   \
    X(ORDINALITY, 0)                                                                               \
    X(TIES, 0)                                                                                     \
    X(PERCENT, 0)                                                                                  \
    X(SYSTEM_TIME, 0)                                                                              \
    X(VERSION, 0)                                                                                  \
    X(TIMESTAMP, 0)                                                                                \
    X(TIME, 0)                                                                                     \
    X(ZONE, 0)                                                                                     \
    X(STRUCT, 0)                                                                                   \
    X(LAMBDA, 0)                                                                                   \
    X(BEFORE, 0)                                                                                   \
    X(CHANGES, 0)                                                                                  \
    X(NAME, 0)                                                                                     \
    X(FIRST, 0)                                                                                    \
    X(LAST, 0)                                                                                     \
    X(NEXT, 0)                                                                                     \
    X(EXTRACT, 0)                                                                                  \
    X(TEMP, 0)                                                                                     \
    X(TEMPORARY, 0)                                                                                \
    X(DUPLICATE, 0)                                                                                \
    X(KEY, 0)                                                                                      \
    X(MATCH_CONDITION, 0)                                                                          \
    X(FORCE, 0)                                                                                    \
    X(INCLUDE, 0)                                                                                  \
    X(CLONE, 0)                                                                                    \
    X(VALUE, 0)                                                                                    \
    X(OF, 0)                                                                                       \
    X(DIRECTORY, 0)                                                                                \
    X(LOCAL, 0)                                                                                    \
    X(INPATH, 0)                                                                                   \
    X(DATA, 0)

enum kw_id {
    KW_NONE = 0,
#define X(name, flags) KW_##name,
    SQLFN_KEYWORDS(X)
#undef X
        KW_COUNT
};

extern const unsigned char sqlfn_kw_flags[KW_COUNT];
extern const char *const sqlfn_kw_names[KW_COUNT];

/* Flags of a keyword id (0 for KW_NONE); kw < KW_COUNT, as every token's is. */
static inline unsigned kw_flags(unsigned kw)
{
    return sqlfn_kw_flags[kw];
}

/* The keyword's upper-case spelling ("" for KW_NONE). */
static inline const char *kw_name(unsigned kw)
{
    return kw && kw < KW_COUNT ? sqlfn_kw_names[kw] : "";
}
/* Keyword id of an identifier (case-insensitive), KW_NONE when it is none. */
unsigned kw_lookup(const char *s, size_t len);

/* ---- lexer ---- */

struct tokens {
    struct tok *v;
    size_t n;
    size_t cap;
    int neutral; /* lexing the text as ansi gives these very tokens (no dialect rule applied) */
    char *pad;   /* the lexer's copy of the text with 16 zero bytes after it (see sqlfn_lex) */
    size_t padcap;
};

/* T_EOF copies after the final one, for fixed look-ahead. */
#define SQLFN_EOF_PAD 8

/* Splits text into tokens (comments and whitespace dropped, a T_EOF token last).
 * Returns 0, or -1 on an unterminated string/identifier/comment or when memory runs out
 * (the token array is capped at SQLFN_MAX_ARENA bytes). */
int sqlfn_lex(const char *s, size_t len, enum sqlfn_dialect d, struct tokens *out);

/* ---- names ---- */

/* Case folding of unquoted identifiers per dialect: 'L' lower, 'U' upper, 'P' preserve. */
char dialect_fold(enum sqlfn_dialect d);

/* Flips the case of the ASCII letters of 8 bytes that lie in [lo, lo + 26): lo 'A' folds
 * to lower case, 'a' to upper case; other bytes stay. */
static inline uint64_t sa_swar_fold(uint64_t x, unsigned char lo)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    uint64_t x7 = x & ~high;
    uint64_t ge = x7 + ones * (0x80u - lo);       /* high bit: byte >= lo */
    uint64_t gt = x7 + ones * (0x80u - lo - 26u); /* high bit: byte >= lo + 26 */
    uint64_t m = ge & ~gt & ~x & high;
    return x ^ (m >> 2);
}

/* Writes the 16 bytes at src to dst with their ASCII letters in [lo, lo + 26) flipped as
 * sa_swar_fold does: a name of up to 16 bytes folded in two words, when 16 bytes may be
 * read at src and written at dst. */
static inline void sa_fold16(char *dst, const char *src, unsigned char lo)
{
    uint64_t a, b;
    memcpy(&a, src, 8);
    memcpy(&b, src + 8, 8);
    a = sa_swar_fold(a, lo);
    b = sa_swar_fold(b, lo);
    memcpy(dst, &a, 8);
    memcpy(dst + 8, &b, 8);
}

/* ---- fingerprint ---- */

/* Writes the normalised statement text for the tokens into the arena; returns 0 or -1.
 * The tokens are sqlfn_lex's of the text s, whose copy (tk->pad) it reads. */
int sqlfn_fingerprint(const char *s, const struct tokens *tk, enum sqlfn_dialect d, struct arena *a,
                      struct sqlfn_str *out);

#endif
