/*
 * parse.h - the internals shared by the files of the SQL analysis (not a public API; that
 * is analyze.h): the scope model (sources, projections, column references, CTEs), the
 * de-duplicating pair sets, the parser state, small token helpers, and the functions one
 * stage calls in another. The stages: names.c (scopes and names, results), expr.c
 * (expressions), query.c (FROM, WITH, SELECT, set operations), statement.c (statement
 * forms, lineage), columns.c (column resolution), analyze.c (the entry).
 * Functions shared between the files carry the prefix sa_.
 */
#ifndef DF_SQLFN_PARSE_H
#define DF_SQLFN_PARSE_H

#include <stddef.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "sqlfn/internal.h"

#define MAX_DEPTH  256
#define MAX_PARTS  4
#define MAX_LAMBDA 16

struct name {
    const char *s;
    uint32_t len;
};

enum { SRC_TABLE, SRC_DERIVED, SRC_FUNC };

struct scope;
struct cat_entry;

struct source {
    struct source *next;
    struct name alias; /* explicit alias, or the CTE/table's last name part */
    struct name table; /* SRC_TABLE: the qualified name as written (folded) */
    int kind;
    int has_alias;
    struct scope *derived; /* SRC_DERIVED: the query's first SELECT scope */
    int renamed;           /* derived source with a column alias list */
    struct name *outs;     /* SRC_FUNC: output names from its alias list, t(a, b) */
    uint32_t nouts;
    const struct cat_entry *cat; /* SRC_TABLE: its catalog entry, once looked up */
    int cat_done;
};

struct proj {
    struct proj *next;
    struct name name;
    uint32_t pos;  /* token index of the alias, or of the column */
    uint8_t alias; /* the name is an explicit alias */
    uint8_t star;  /* * or q.* */
    uint8_t nq;    /* parts in the star's qualifier */
    struct name q[MAX_PARTS];
};

struct colref {
    struct colref *next;
    struct name parts[MAX_PARTS];
    uint8_t nparts;
    uint8_t star;
    uint32_t pos;
    struct source *bound; /* USING/SET columns: the source is known */
};

struct cte {
    struct cte *next;
    struct name name;
    struct scope *body;
    int renamed;
};

struct scope {
    struct scope *parent;
    struct scope *all_next;
    struct source *src, **src_tail;
    uint32_t nsrc;
    struct colref *refs, **ref_tail;
    struct proj *proj, **proj_tail;
    uint32_t nproj;
    uint32_t naliases; /* projections named by an explicit alias */
    struct cte *ctes;
    struct proj **pidx; /* lazily built hash of projection names */
    uint32_t pidx_cap;
    uint32_t sel_begin, sel_end; /* token range of the select list */
    int exists;                  /* the query of EXISTS (...): its select list is not read */
    struct sel_item *items;      /* the select list's items, for column lineage */
    size_t nitems, capitems;
    struct scope *union_next; /* the next operand of UNION / INTERSECT / EXCEPT: its items
                                 feed the same output columns, by position */
};

/* A select-list item: its tokens, its projection (NULL for an unnamed expression), and
 * how its value derives from its columns. */
struct sel_item {
    uint32_t b, e;
    const struct proj *p;
    uint8_t identity; /* a bare column */
    uint8_t agg;      /* calls an aggregate */
};

/* Roles of tokens for column lineage (INDIRECT subtypes). */
enum { ROLE_NONE, ROLE_JOIN, ROLE_FILTER, ROLE_GROUP, ROLE_SORT, ROLE_WINDOW, ROLE_COND };

/* An assignment of UPDATE / MERGE: target column = the expression's tokens in scope S. */
struct set_item {
    struct name col;
    uint32_t b, e;
    struct scope *S;
};

/* The lineage context while resolving for column lineage (parser.lin). */
struct lin_ctx {
    struct name ttable, tcol; /* tcol.s NULL: the whole target; "*": the source's name */
    const char *type, *subtype;
};

/* ---- hash set of name pairs (tables, columns, edges) ---- */

struct pair {
    struct name a, b; /* a.s == NULL for a NULL table */
    uint64_t h;
};

/* Small sets (most rows) are a dense array searched linearly; past PS_DENSE entries the
 * set becomes an open-addressing hash table. */
#define PS_DENSE 8

struct pairset {
    struct pair *slots;
    size_t cap; /* hash table size, a power of two; 0 while dense */
    size_t n;
};

static inline uint64_t hash_bytes(uint64_t h, const char *s, size_t n, int ci)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (ci && c >= 'A' && c <= 'Z')
            c = (unsigned char)(c + 32);
        h = (h ^ c) * 1099511628211ull;
    }
    return h;
}

/* Names of one source are often the very same bytes (a table's name for each of its
 * columns): equal pointers settle it without a compare. */
static inline int name_eq(struct name x, struct name y)
{
    return x.len == y.len && (x.len == 0 || x.s == y.s || memcmp(x.s, y.s, x.len) == 0);
}

static inline int name_ieq(struct name x, struct name y)
{
    if (x.len != y.len)
        return 0;
    for (uint32_t i = 0; i < x.len; i++) {
        unsigned char a = (unsigned char)x.s[i], b = (unsigned char)y.s[i];
        if (a != b) {
            if (a >= 'A' && a <= 'Z')
                a = (unsigned char)(a + 32);
            if (b >= 'A' && b <= 'Z')
                b = (unsigned char)(b + 32);
            if (a != b)
                return 0;
        }
    }
    return 1;
}

/* ---- the parser state ---- */

struct pending {
    struct scope *scope;
    struct name col;
};

struct parser {
    const char *s;
    const struct tok *t;
    size_t n;
    size_t i;
    enum sqlfn_dialect d;
    char fold;
    uint8_t fold_flags; /* the TF_* flags of a word the fold may change (set with fold) */
    int paths;          /* ':' paths after columns (Snowflake, Databricks) */
    int any_name;       /* read_chain takes reserved words too (after CREATE TABLE) */
    struct arena *a;
    const struct sqlfn_catalog *cat; /* NULL: no catalog */
    int depth;
    int err;
    unsigned want;

    /* per statement */
    struct scope *scopes, **scopes_tail;
    int nlambda;
    struct name *reads;
    size_t nreads, capreads;
    int ntargets;
    const char *access; /* access kind of the tables the statement writes or names */
    struct pair *acc;   /* per statement: (access kind, table) in order; a.s NULL: dropped */
    size_t nacc, capacc;
    int nlocs;
    struct pairset stmt_reads;
    struct pending *pend; /* ambiguous references, settled after the statement */
    size_t npend, cappend;
    uint8_t *role;          /* per token: ROLE_*, with SQLFN_WANT_LINEAGE */
    struct scope *lin_main; /* the query whose select list feeds the target */
    struct name lin_target; /* the target when no table is (COPY ... TO 'file') */
    struct name copy_src;   /* COPY of a table's columns (no query): their source */
    struct name copy_tab;   /* ... and the table whose catalog columns they are */
    struct name *tcols;     /* INSERT (cols) */
    size_t ntcols, captcols;
    struct set_item *sets; /* UPDATE/MERGE SET */
    size_t nsets, capsets;
    struct lin_ctx *lin; /* set while resolving for column lineage */
    int in_exists;       /* the next SELECT scope is an EXISTS query */

    /* results */
    struct pairset tabset, colset, edgeset;
    struct sqlfn_str *tables;
    size_t ntables, captables;
    struct sqlfn_column *cols;
    size_t ncols, capcols;
    struct sqlfn_edge *edges;
    size_t nedges, capedges;
    const char *stype;
    struct pairset accset;
    struct sqlfn_access *accs;
    size_t naccs, capaccs;
    struct pairset linset;
    struct sqlfn_col_lineage *lins;
    size_t nlins, caplins;

    /* arrays whose counts (nlambda, ntargets, nlocs) say what is set: left unset when a
     * parser starts (P_ZEROED is the size zeroed) */
    struct name lambda[MAX_LAMBDA];
    struct name targets[8];
    struct name locs[4]; /* COPY locations */
    int locs_target[4];  /* 1: the location is the COPY's target */
};

#define P_ZEROED offsetof(struct parser, lambda)

/* Zeroes the first P_ZEROED bytes of a parser, once per text: 37 inline 16-byte stores
 * and one of 8 bytes, where memset's call (size hidden by sa_opaque so that GCC does not
 * use `rep stosq`) cost ~53 instructions per text. */
static inline void sa_zero_parser(struct parser *P)
{
#if defined(__SSE2__)
    _Static_assert(P_ZEROED % 8 == 0, "whole 8-byte words zeroed");
    char *o = (char *)P;
    __m128i z = _mm_setzero_si128();
    __asm__("" : "+x"(z)); /* a value GCC does not know: no loop turned back into memset */
    size_t k = 0;
#pragma GCC unroll 64
    for (k = 0; k + 16 <= P_ZEROED; k += 16)
        _mm_storeu_si128((__m128i *)(void *)(o + k), z);
    if (P_ZEROED % 16)
        _mm_storel_epi64((__m128i *)(void *)(o + k), z);
#else
    memset(P, 0, sa_opaque(P_ZEROED));
#endif
}

/* ---- tokens ---- */

/* The token at the cursor; past the end it is the final T_EOF (a cursor that ran over the
 * end by a skip of two stays harmless). */
static inline const struct tok *cur(const struct parser *P)
{
    return &P->t[P->i < P->n ? P->i : P->n - 1];
}

static inline const struct tok *peek(const struct parser *P, size_t k)
{
    size_t j = P->i + k;
    return &P->t[j < P->n ? j : P->n - 1];
}

/* kw != KW_NONE: only T_IDENT tokens carry a keyword id */
static inline int is_kw(const struct tok *t, unsigned kw)
{
    return t->kw == kw;
}

static inline unsigned tkflags(const struct tok *t)
{
    return kw_flags(t->kw);
}

static inline int accept_kw(struct parser *P, unsigned kw)
{
    if (is_kw(cur(P), kw)) {
        P->i++;
        return 1;
    }
    return 0;
}

/* Can this token start a name (an identifier that is not a reserved word)? */
static inline int is_name_tok(const struct tok *t)
{
    return (t->type == T_IDENT && !(kw_flags(t->kw) & KF_RES)) || t->type == T_QIDENT ||
           t->type == T_TEMPLATE ||
           /* a reserved word qualifying a name: default.t, user.events */
           (t->type == T_IDENT && t[1].type == T_DOT &&
            (t[2].type == T_IDENT || t[2].type == T_QIDENT));
}

int sa_cte_ahead(const struct tok *t);

static inline int starts_query(const struct tok *t)
{
    return is_kw(t, KW_SELECT) || (is_kw(t, KW_WITH) && sa_cte_ahead(t)) || is_kw(t, KW_VALUES) ||
           is_kw(t, KW_FROM) || is_kw(t, KW_TABLE);
}

/* ---- expressions ---- */

enum {
    EX_COMMA = 1,   /* stop at a comma at depth 0 */
    EX_ITEM = 2,    /* a SELECT-list item: implicit aliases */
    EX_INPAREN = 4, /* inside brackets: only the closer ends it */
    EX_CAST = 8,    /* CAST(x AS type): skip after AS */
    EX_DATEFN = 16, /* date-part words are not columns */
    EX_EXTRACT = 32,
    EX_BRACE = 64, /* inside {...}: "key:" is not a column */
};

struct item {
    int ntok;        /* atoms at depth 0 */
    int simple;      /* the only atom was a column */
    struct name col; /* that column's last part */
    uint32_t colpos;
    struct name alias;
    uint32_t aliaspos;
    int has_alias;
    int star;
    struct name q[MAX_PARTS];
    int nq;
};

/* names.c */
void *sa_grow_slow(struct parser *P, void *old, size_t *cap, size_t n, size_t elem);
/* `old` when it has room for element n, else a copy twice as large (NULL: no memory). */
static inline void *sa_grow(struct parser *P, void *old, size_t *cap, size_t n, size_t elem)
{
    return n < *cap ? old : sa_grow_slow(P, old, cap, n, elem);
}
void *sa_alloc0(struct parser *P, size_t n);
int sa_pairset_add(struct parser *P, struct pairset *ps, struct name a, struct name b);
int sa_pairset_has(const struct pairset *ps, struct name a, struct name b);
int sa_cte_ahead(const struct tok *t);
struct name sa_tok_name_slow(struct parser *P, const struct tok *t);
/* The name a token stands for: unquoted, and folded as the dialect folds unquoted names
 * (a copy in the arena when that changes it). Inline for the common case, a name that
 * the fold leaves as written. */
static inline struct name sa_tok_name(struct parser *P, const struct tok *t)
{
    if (t->type == T_IDENT && !(t->flags & P->fold_flags))
        return (struct name){P->s + t->off, t->len};
    return sa_tok_name_slow(P, t);
}
int sa_read_chain_slow(struct parser *P, struct name *parts, int *star, struct name *full);
/* Reads a dotted name (a.b.c, a..b, t.*) at the cursor into parts (the first MAX_PARTS);
 * *star is set for a trailing .* ; returns the number of parts read (0: not a name).
 * `full`, when not NULL, receives every part joined with dots. Inline for the common
 * case, a name of one part (no dot follows; t[1] is at worst the T_EOF padding). */
static inline int sa_read_chain(struct parser *P, struct name *parts, int *star, struct name *full)
{
    const struct tok *t = cur(P);
    if (t[1].type != T_DOT &&
        (t->type == T_QIDENT || t->type == T_TEMPLATE ||
         (t->type == T_IDENT &&
          (!(kw_flags(t->kw) & KF_RES) || (kw_flags(t->kw) & KF_FN) || P->any_name)))) {
        if (star)
            *star = 0;
        parts[0] = sa_tok_name(P, t);
        P->i++;
        if (full)
            *full = parts[0];
        return 1;
    }
    return sa_read_chain_slow(P, parts, star, full);
}
void sa_record_table(struct parser *P, struct name tname, int write);
void sa_add_read(struct parser *P, struct name tname);
void sa_emit_col(struct parser *P, struct name table, const struct name *tp, struct name col);
void sa_emit_edge(struct parser *P, struct name src, struct name dst);
struct scope *sa_new_scope(struct parser *P, struct scope *parent, struct cte *ctes);
struct source *sa_add_source(struct parser *P, struct scope *S, int kind);
void sa_add_ref(struct parser *P, struct scope *S, const struct name *parts, int n, int star,
                uint32_t pos, struct source *bound);
struct proj *sa_add_proj(struct parser *P, struct scope *S, struct name nm, uint32_t pos, int alias,
                         int star, const struct name *q, int nq);
void sa_mark_role(struct parser *P, size_t b, size_t e, int role);
const struct proj *sa_find_proj(struct parser *P, struct scope *S, struct name nm);
int sa_scope_has_star(const struct scope *S);
struct cte *sa_find_cte(const struct scope *S, struct cte *ctes, struct name nm);

/* expr.c */
void sa_skip_balanced(struct parser *P);
void sa_close_with(struct parser *P, struct scope *S, int type);
void sa_paren(struct parser *P, struct scope *S, unsigned fl);
void sa_walk(struct parser *P, struct scope *S, unsigned fl, struct item *it);

/* query.c */
void sa_table_suffix(struct parser *P, struct scope *S, struct source *src);
struct source *sa_from_item(struct parser *P, struct scope *S, int write);
void sa_parse_from_list(struct parser *P, struct scope *S, int write_first);
struct cte *sa_parse_with(struct parser *P, struct scope *parent, struct cte *ctes);
void sa_expr_list(struct parser *P, struct scope *S);
struct scope *sa_parse_query(struct parser *P, struct scope *parent, struct cte *ctes);

/* catalog.c */
const struct cat_entry *sa_catalog_table(const struct sqlfn_catalog *c, struct name ref,
                                         struct arena *a);
int sa_catalog_has(const struct cat_entry *e, struct name col);
const struct name *sa_catalog_columns(const struct cat_entry *e, uint32_t *n);

/* lineage.c */
void sa_column_lineage(struct parser *P);
void sa_lineage_emit(struct parser *P, struct name table, int has_table, struct name col);
const struct sel_item *sa_item_of(const struct scope *S, const struct proj *p);
void sa_lineage_item(struct parser *P, struct scope *d, const struct proj *p, int depth);

/* columns.c */
void sa_resolve_ref(struct parser *P, struct scope *S, struct colref *r);
void sa_settle_pending(struct parser *P);

/* statement.c */
void sa_begin_statement(struct parser *P);
void sa_end_statement(struct parser *P);
void sa_scan_rest(struct parser *P, struct cte *ctes);
void sa_parse_statement(struct parser *P, struct cte *ctes);

#endif
