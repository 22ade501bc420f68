/*
 * analyze.c - the light recursive scope analysis over the token stream: statements,
 * queries, SELECT scopes with their sources (tables, subqueries, CTEs, table functions),
 * column references resolved through aliases, and the tables/columns/lineage/statement
 * type that the SQL functions return.
 *
 * It is not a full SQL parser: it knows the clauses that introduce names and skips what it
 * does not know, so unfamiliar syntax degrades to fewer results rather than a failure.
 * A text is "cannot be analysed" (NULL results) only when it does not lex, its brackets do
 * not balance, it nests deeper than MAX_DEPTH, its first word is not a statement, or it
 * needs more than SQLFN_MAX_ARENA bytes. Every loop consumes a token or stops, and name
 * lookups go through hash sets, so time is linear in the text for all but pathological
 * shapes (thousands of sources in one FROM).
 */
#include "sqlfn/internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

#define MAX_DEPTH  256
#define MAX_PARTS  4
#define MAX_LAMBDA 16

struct name {
    const char *s;
    uint32_t len;
};

enum { SRC_TABLE, SRC_DERIVED, SRC_FUNC };

struct scope;

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
    struct cte *ctes;
    struct proj **pidx; /* lazily built hash of projection names */
    uint32_t pidx_cap;
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

static uint64_t hash_bytes(uint64_t h, const char *s, size_t n, int ci)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (ci && c >= 'A' && c <= 'Z')
            c = (unsigned char)(c + 32);
        h = (h ^ c) * 1099511628211ull;
    }
    return h;
}

static int name_eq(struct name x, struct name y)
{
    return x.len == y.len && (x.len == 0 || memcmp(x.s, y.s, x.len) == 0);
}

static int name_ieq(struct name x, struct name y)
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
    int paths;    /* ':' paths after columns (Snowflake, Databricks) */
    int any_name; /* read_chain takes reserved words too (after CREATE TABLE) */
    struct arena *a;
    int depth;
    int err;
    unsigned want;

    /* per statement */
    struct scope *scopes, **scopes_tail;
    struct name lambda[MAX_LAMBDA];
    int nlambda;
    struct name *reads;
    size_t nreads, capreads;
    struct name targets[8];
    int ntargets;
    struct name locs[4]; /* COPY locations */
    int locs_target[4];  /* 1: the location is the COPY's target */
    int nlocs;
    struct pairset stmt_reads;
    struct pending *pend; /* ambiguous references, settled after the statement */
    size_t npend, cappend;

    /* results */
    struct pairset tabset, colset, edgeset;
    struct sqlfn_str *tables;
    size_t ntables, captables;
    struct sqlfn_column *cols;
    size_t ncols, capcols;
    struct sqlfn_edge *edges;
    size_t nedges, capedges;
    const char *stype;
};

static void *grow(struct parser *P, void *old, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return old;
    size_t nc = *cap ? *cap * 2 : 16;
    void *p = arena_alloc(P->a, nc * elem);
    if (!p) {
        P->err = 1;
        return NULL;
    }
    if (old && n)
        memcpy(p, old, n * elem);
    *cap = nc;
    return p;
}

static void *alloc0(struct parser *P, size_t n)
{
    void *p = arena_alloc(P->a, n);
    if (!p) {
        P->err = 1;
        return NULL;
    }
    memset(p, 0, n);
    return p;
}

static uint64_t pair_hash(struct name a, struct name b)
{
    uint64_t h = hash_bytes(14695981039346656037ull, a.s ? a.s : "", a.len, 0);
    return hash_bytes((h ^ (a.s ? 1 : 2)) * 1099511628211ull, b.s, b.len, 0);
}

static int pair_same(const struct pair *e, struct name a, struct name b)
{
    return !e->a.s == !a.s && name_eq(e->a, a) && name_eq(e->b, b);
}

static int pair_eq(const struct pair *e, uint64_t h, struct name a, struct name b)
{
    return e->h == h && pair_same(e, a, b);
}

/* Moves the set into a hash table of nc slots; entries of a dense set get their hash now. */
static int pairset_rehash(struct parser *P, struct pairset *ps, size_t nc)
{
    struct pair *ns = alloc0(P, nc * sizeof(*ns));
    if (!ns)
        return -1;
    size_t count = ps->cap ? ps->cap : ps->n;
    for (size_t i = 0; i < count; i++) {
        struct pair e = ps->slots[i];
        if (!e.b.s)
            continue;
        if (!ps->cap)
            e.h = pair_hash(e.a, e.b);
        size_t j = e.h & (nc - 1);
        while (ns[j].b.s)
            j = (j + 1) & (nc - 1);
        ns[j] = e;
    }
    ps->slots = ns;
    ps->cap = nc;
    return 0;
}

/* Inserts (a, b) unless present; returns 1 when new, 0 when present, -1 on no memory.
 * b.s must not be NULL. A dense set compares names directly: most sets stay that small,
 * and hashing every name cost more than the comparisons. */
static int pairset_add(struct parser *P, struct pairset *ps, struct name a, struct name b)
{
    if (!ps->cap) {
        for (size_t i = 0; i < ps->n; i++)
            if (pair_same(&ps->slots[i], a, b))
                return 0;
        if (ps->n < PS_DENSE) {
            if (!ps->slots) {
                ps->slots = arena_alloc(P->a, PS_DENSE * sizeof(*ps->slots));
                if (!ps->slots) {
                    P->err = 1;
                    return -1;
                }
            }
            ps->slots[ps->n++] = (struct pair){a, b, 0};
            return 1;
        }
        if (pairset_rehash(P, ps, 32) != 0)
            return -1;
    } else if ((ps->n + 1) * 2 > ps->cap) {
        if (pairset_rehash(P, ps, ps->cap * 2) != 0)
            return -1;
    }
    uint64_t h = pair_hash(a, b);
    size_t j = h & (ps->cap - 1);
    while (ps->slots[j].b.s) {
        if (pair_eq(&ps->slots[j], h, a, b))
            return 0;
        j = (j + 1) & (ps->cap - 1);
    }
    ps->slots[j] = (struct pair){a, b, h};
    ps->n++;
    return 1;
}

static int pairset_has(const struct pairset *ps, struct name a, struct name b)
{
    if (!ps->cap) {
        for (size_t i = 0; i < ps->n; i++)
            if (pair_same(&ps->slots[i], a, b))
                return 1;
        return 0;
    }
    uint64_t h = pair_hash(a, b);
    size_t j = h & (ps->cap - 1);
    while (ps->slots[j].b.s) {
        if (pair_eq(&ps->slots[j], h, a, b))
            return 1;
        j = (j + 1) & (ps->cap - 1);
    }
    return 0;
}

/* ---- tokens ---- */

/* The token at the cursor; past the end it is the final T_EOF (a cursor that ran over the
 * end by a skip of two stays harmless). */
static const struct tok *cur(const struct parser *P)
{
    return &P->t[P->i < P->n ? P->i : P->n - 1];
}

static const struct tok *peek(const struct parser *P, size_t k)
{
    size_t j = P->i + k;
    return &P->t[j < P->n ? j : P->n - 1];
}

static int is_kw(const struct tok *t, unsigned kw)
{
    return t->type == T_IDENT && t->kw == kw;
}

static unsigned tkflags(const struct tok *t)
{
    return t->type == T_IDENT ? kw_flags(t->kw) : 0;
}

static int accept_kw(struct parser *P, unsigned kw)
{
    if (is_kw(cur(P), kw)) {
        P->i++;
        return 1;
    }
    return 0;
}

/* Can this token start a name (an identifier that is not a reserved word)? */
static int is_name_tok(const struct tok *t)
{
    return (t->type == T_IDENT && !(kw_flags(t->kw) & KF_RES)) || t->type == T_QIDENT ||
           t->type == T_TEMPLATE;
}

/* Does WITH at t open common table expressions (not WITH DATA, WITH (options), ...)? */
static int cte_ahead(const struct tok *t)
{
    if (is_kw(&t[1], KW_RECURSIVE))
        return 1;
    if (!(t[1].type == T_IDENT || t[1].type == T_QIDENT || t[1].type == T_STRING))
        return 0;
    if (is_kw(&t[2], KW_AS))
        return 1;
    if (t[2].type != T_LPAREN)
        return 0;
    if (is_kw(&t[3], KW_SELECT) || is_kw(&t[3], KW_WITH)) /* WITH x (SELECT ...) */
        return 1;
    int depth = 0;
    for (size_t j = 2; j < 4096 && t[j].type != T_EOF; j++) {
        if (t[j].type == T_LPAREN)
            depth++;
        else if (t[j].type == T_RPAREN && --depth == 0)
            return is_kw(&t[j + 1], KW_AS) && t[j + 2].type == T_LPAREN;
    }
    return 0;
}

static int starts_query(const struct tok *t)
{
    return is_kw(t, KW_SELECT) || (is_kw(t, KW_WITH) && cte_ahead(t)) || is_kw(t, KW_VALUES) ||
           is_kw(t, KW_FROM) || is_kw(t, KW_TABLE);
}

/* ---- names ---- */

static struct name tok_name(struct parser *P, const struct tok *t)
{
    const char *s = P->s + t->off;
    uint32_t n = t->len;
    struct name r = {s, n};
    if (t->type == T_IDENT) {
        char f = P->fold;
        if (f == 'P')
            return r;
        uint32_t i = 0;
        if (f == 'L') {
            while (i < n && !(s[i] >= 'A' && s[i] <= 'Z'))
                i++;
        } else {
            while (i < n && !(s[i] >= 'a' && s[i] <= 'z'))
                i++;
        }
        if (i == n)
            return r;
        char *c = arena_alloc(P->a, n);
        if (!c) {
            P->err = 1;
            return r;
        }
        for (uint32_t j = 0; j < n; j++) {
            char ch = s[j];
            if (f == 'L' && ch >= 'A' && ch <= 'Z')
                ch = (char)(ch + 32);
            else if (f == 'U' && ch >= 'a' && ch <= 'z')
                ch = (char)(ch - 32);
            c[j] = ch;
        }
        r.s = c;
        return r;
    }
    if (t->type == T_QIDENT || t->type == T_STRING) {
        if (n < 2)
            return r;
        char q = s[n - 1];
        const char *b = s + 1;
        uint32_t m = n - 2;
        if (s[0] == 'U' || s[0] == 'u') { /* U&"..." */
            b = s + 3;
            m = n >= 4 ? n - 4 : 0;
        }
        if (!memchr(b, q, m))
            return (struct name){b, m};
        char *c = arena_alloc(P->a, m);
        if (!c) {
            P->err = 1;
            return r;
        }
        uint32_t k = 0;
        for (uint32_t j = 0; j < m; j++) {
            c[k++] = b[j];
            if (b[j] == q && j + 1 < m && b[j + 1] == q)
                j++;
        }
        return (struct name){c, k};
    }
    return r;
}

/* Reads a dotted name (a.b.c, a..b, t.*) at the cursor into parts (the first MAX_PARTS);
 * *star is set for a trailing .* ; returns the number of parts read (0: not a name).
 * `full`, when not NULL, receives every part joined with dots. */
static int read_chain(struct parser *P, struct name *parts, int *star, struct name *full)
{
    const struct tok *t = cur(P);
    if (!is_name_tok(t) && !(t->type == T_IDENT && ((kw_flags(t->kw) & KF_FN) || P->any_name)))
        return 0;
    int n = 0;
    size_t first = P->i, last = P->i;
    if (star)
        *star = 0;
    for (;;) {
        t = cur(P);
        if (n > 0 && t->type == T_DOT) { /* a..b: an empty part (T-SQL) */
            if (n < MAX_PARTS)
                parts[n] = (struct name){"", 0};
            n++;
            P->i++;
            continue;
        }
        if (t->type == T_IDENT || t->type == T_QIDENT || t->type == T_TEMPLATE) {
            if (n < MAX_PARTS)
                parts[n] = tok_name(P, t);
            n++;
            last = P->i;
            P->i++;
        } else if (t->type == T_STAR && n > 0 && star) {
            *star = 1;
            P->i++;
            break;
        } else {
            break;
        }
        if (cur(P)->type != T_DOT)
            break;
        const struct tok *nx = peek(P, 1);
        if (nx->type == T_IDENT || nx->type == T_QIDENT || nx->type == T_TEMPLATE ||
            (nx->type == T_STAR && star) || nx->type == T_DOT) {
            P->i++;
            continue;
        }
        break;
    }
    if (full) {
        if (n == 1) {
            *full = parts[0];
        } else if (n <= MAX_PARTS) {
            /* every part was kept (an empty one for a..b): join them with dots */
            size_t total = (size_t)n - 1;
            for (int k = 0; k < n; k++)
                total += parts[k].len;
            char *c = arena_alloc(P->a, total + 1);
            if (!c) {
                P->err = 1;
                *full = parts[0];
                return n;
            }
            size_t o = 0;
            for (int k = 0; k < n; k++) {
                if (k)
                    c[o++] = '.';
                memcpy(c + o, parts[k].s, parts[k].len);
                o += parts[k].len;
            }
            *full = (struct name){c, (uint32_t)o};
        } else {
            size_t total = 0;
            int np = 0;
            /* re-read the names: parts beyond MAX_PARTS were not kept */
            for (size_t j = first; j <= last; j++)
                if (P->t[j].type != T_DOT)
                    total += tok_name(P, &P->t[j]).len + 1;
                else if (j > first && P->t[j - 1].type == T_DOT)
                    total += 1;
            char *c = arena_alloc(P->a, total + 1);
            if (!c) {
                P->err = 1;
                *full = parts[0];
                return n;
            }
            size_t k = 0;
            for (size_t j = first; j <= last; j++) {
                if (P->t[j].type == T_DOT) {
                    if (j > first && P->t[j - 1].type == T_DOT)
                        c[k++] = '.';
                    continue;
                }
                if (np++)
                    c[k++] = '.';
                struct name x = tok_name(P, &P->t[j]);
                memcpy(c + k, x.s, x.len);
                k += x.len;
            }
            *full = (struct name){c, (uint32_t)k};
        }
    }
    return n;
}

/* ---- results ---- */

/* mode: 0 read, 1 written, 3 listed only (no lineage) */
static void record_table(struct parser *P, struct name tname, int write)
{
    if (!tname.len || P->err)
        return;
    static const char nul[1] = "";
    int r = pairset_add(P, &P->tabset, (struct name){nul, 0}, tname);
    if (r < 0)
        return;
    if (r == 1) {
        P->tables = grow(P, P->tables, &P->captables, P->ntables, sizeof(*P->tables));
        if (!P->tables)
            return;
        P->tables[P->ntables++] = (struct sqlfn_str){tname.s, tname.len};
    }
    if (write == 3)
        return;
    if (write) {
        for (int i = 0; i < P->ntargets; i++)
            if (name_eq(P->targets[i], tname))
                return;
        if (P->ntargets < 8)
            P->targets[P->ntargets++] = tname;
    } else {
        r = pairset_add(P, &P->stmt_reads, (struct name){nul, 0}, tname);
        if (r == 1) {
            P->reads = grow(P, P->reads, &P->capreads, P->nreads, sizeof(*P->reads));
            if (P->reads)
                P->reads[P->nreads++] = tname;
        }
    }
}

static void emit_col(struct parser *P, struct name table, const struct name *tp, struct name col)
{
    if (!(P->want & SQLFN_WANT_COLUMNS) || P->err || !col.s)
        return;
    struct name a = tp ? table : (struct name){NULL, 0};
    int r = pairset_add(P, &P->colset, a, col);
    if (r != 1)
        return;
    P->cols = grow(P, P->cols, &P->capcols, P->ncols, sizeof(*P->cols));
    if (!P->cols)
        return;
    struct sqlfn_column *c = &P->cols[P->ncols++];
    c->table = (struct sqlfn_str){a.s, a.len};
    c->column = (struct sqlfn_str){col.s, col.len};
}

static void emit_edge(struct parser *P, struct name src, struct name dst)
{
    if (P->err || !src.len || !dst.len)
        return;
    if (pairset_add(P, &P->edgeset, src, dst) != 1)
        return;
    P->edges = grow(P, P->edges, &P->capedges, P->nedges, sizeof(*P->edges));
    if (!P->edges)
        return;
    P->edges[P->nedges++] = (struct sqlfn_edge){{src.s, src.len}, {dst.s, dst.len}};
}

/* ---- scopes ---- */

static struct scope *new_scope(struct parser *P, struct scope *parent, struct cte *ctes)
{
    struct scope *S = alloc0(P, sizeof(*S));
    if (!S)
        return NULL;
    S->parent = parent;
    S->ctes = ctes;
    S->src_tail = &S->src;
    S->ref_tail = &S->refs;
    S->proj_tail = &S->proj;
    *P->scopes_tail = S;
    P->scopes_tail = &S->all_next;
    return S;
}

static struct source *add_source(struct parser *P, struct scope *S, int kind)
{
    struct source *src = alloc0(P, sizeof(*src));
    if (!src || !S)
        return src;
    src->kind = kind;
    *S->src_tail = src;
    S->src_tail = &src->next;
    S->nsrc++;
    return src;
}

static void add_ref(struct parser *P, struct scope *S, const struct name *parts, int n, int star,
                    uint32_t pos, struct source *bound)
{
    if (!S || !(P->want & SQLFN_WANT_COLUMNS))
        return;
    struct colref *r = arena_alloc(P->a, sizeof(*r));
    if (!r) {
        P->err = 1;
        return;
    }
    r->next = NULL;
    int k = n < MAX_PARTS ? n : MAX_PARTS;
    for (int i = 0; i < k; i++)
        r->parts[i] = parts[i];
    r->nparts = (uint8_t)k;
    r->star = (uint8_t)star;
    r->pos = pos;
    r->bound = bound;
    *S->ref_tail = r;
    S->ref_tail = &r->next;
}

static void add_proj(struct parser *P, struct scope *S, struct name nm, uint32_t pos, int alias,
                     int star, const struct name *q, int nq)
{
    if (!S)
        return;
    struct proj *p = alloc0(P, sizeof(*p));
    if (!p)
        return;
    p->name = nm;
    p->pos = pos;
    p->alias = (uint8_t)alias;
    p->star = (uint8_t)star;
    p->nq = (uint8_t)(nq < MAX_PARTS ? nq : MAX_PARTS);
    for (int i = 0; i < p->nq; i++)
        p->q[i] = q[i];
    *S->proj_tail = p;
    S->proj_tail = &p->next;
    S->nproj++;
    S->pidx = NULL; /* rebuilt on the next lookup */
}

/* The first projection named `nm` (case-insensitive); a hash index past 8 projections
 * keeps wide SELECT lists linear. */
static const struct proj *find_proj(struct parser *P, struct scope *S, struct name nm)
{
    if (S->nproj <= 8) {
        for (const struct proj *p = S->proj; p; p = p->next)
            if (!p->star && name_ieq(p->name, nm))
                return p;
        return NULL;
    }
    if (!S->pidx) {
        uint32_t cap = 16;
        while (cap < S->nproj * 2)
            cap *= 2;
        struct proj **ix = alloc0(P, cap * sizeof(*ix));
        if (!ix)
            return NULL;
        for (struct proj *p = S->proj; p; p = p->next) {
            if (p->star)
                continue;
            uint32_t j = (uint32_t)hash_bytes(14695981039346656037ull, p->name.s, p->name.len, 1) &
                         (cap - 1);
            while (ix[j] && !name_ieq(ix[j]->name, p->name))
                j = (j + 1) & (cap - 1);
            if (!ix[j])
                ix[j] = p;
        }
        S->pidx = ix;
        S->pidx_cap = cap;
    }
    uint32_t j = (uint32_t)hash_bytes(14695981039346656037ull, nm.s, nm.len, 1) & (S->pidx_cap - 1);
    while (S->pidx[j]) {
        if (name_ieq(S->pidx[j]->name, nm))
            return S->pidx[j];
        j = (j + 1) & (S->pidx_cap - 1);
    }
    return NULL;
}

static int scope_has_star(const struct scope *S)
{
    for (const struct proj *p = S->proj; p; p = p->next)
        if (p->star)
            return 1;
    return 0;
}

static struct cte *find_cte(const struct scope *S, struct cte *ctes, struct name nm)
{
    (void)S;
    for (struct cte *c = ctes; c; c = c->next)
        if (name_ieq(c->name, nm))
            return c;
    return NULL;
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

static void walk(struct parser *P, struct scope *S, unsigned fl, struct item *it);
static struct scope *parse_query(struct parser *P, struct scope *parent, struct cte *ctes);
static void parse_statement(struct parser *P, struct cte *ctes);

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
    return !strncmp(lo, "date", 4) || !strncmp(lo, "time", 4) || !strncmp(lo, "last_da", 7) ||
           !strncmp(lo, "trunc", 5) || !strncmp(lo, "add_mon", 7) || !strncmp(lo, "extract", 7);
}

/* Skips a balanced run from an opening bracket at the cursor without looking inside.
 * Sets P->err when the text ends first. */
static void skip_balanced(struct parser *P)
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
static void close_with(struct parser *P, struct scope *S, int type)
{
    if (cur(P)->type != type) {
        walk(P, S, EX_INPAREN, NULL);
        if (cur(P)->type != type) {
            P->err = 1;
            return;
        }
    }
    P->i++;
}

/* "(" at the cursor in an expression: a subquery or a bracketed expression list. */
static void paren(struct parser *P, struct scope *S, unsigned fl)
{
    P->i++;
    if (++P->depth > MAX_DEPTH) {
        P->err = 1;
        return;
    }
    const struct tok *t = cur(P);
    if (is_kw(t, KW_SELECT) || is_kw(t, KW_WITH) || (is_kw(t, KW_FROM) && P->d == SQLFN_DUCKDB)) {
        parse_query(P, S, S ? S->ctes : NULL);
    } else if (t->type == T_LPAREN) {
        /* ((SELECT ...) UNION (SELECT ...)) or ((a + b)) */
        size_t j = P->i;
        while (P->t[j].type == T_LPAREN)
            j++;
        if (is_kw(&P->t[j], KW_SELECT) || is_kw(&P->t[j], KW_WITH))
            parse_query(P, S, S ? S->ctes : NULL);
    }
    walk(P, S, EX_INPAREN | (fl & (EX_CAST | EX_DATEFN | EX_EXTRACT)), NULL);
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
            skip_balanced(P);
        } else if (t->type == T_LBRACKET && words) {
            skip_balanced(P);
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
                skip_balanced(P);
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

/* Walks an expression, recording column references in S, until a closer, a terminator at
 * depth 0 (a clause keyword, or a comma with EX_COMMA), or the end. */
static void walk(struct parser *P, struct scope *S, unsigned fl, struct item *it)
{
    int case_depth = 0;
    int prev_value = 0;
    int nlambda0 = P->nlambda;
    if (++P->depth > MAX_DEPTH) {
        P->err = 1;
        return;
    }
    int first = 1;
    while (!P->err) {
        const struct tok *t = cur(P);
        int was_first = first;
        first = 0;
        switch (t->type) {
        case T_EOF:
        case T_SEMI:
        case T_RPAREN:
        case T_RBRACKET:
        case T_RBRACE:
            goto out;
        case T_COMMA:
            if ((fl & EX_COMMA) && !(fl & EX_INPAREN))
                goto out;
            P->i++;
            prev_value = 0;
            first = 1;
            continue;
        case T_LPAREN:
            paren(P, S, 0);
            prev_value = 1;
            if (it)
                it->ntok++;
            continue;
        case T_LBRACKET:
            P->i++;
            walk(P, S, EX_INPAREN, NULL);
            close_with(P, S, T_RBRACKET);
            prev_value = 1;
            if (it)
                it->ntok++;
            continue;
        case T_LBRACE: /* struct literal {'a': x} or {a: x}: keys are not columns */
            P->i++;
            walk(P, S, EX_INPAREN | EX_BRACE, NULL);
            close_with(P, S, T_RBRACE);
            prev_value = 1;
            if (it)
                it->ntok++;
            continue;
        case T_STRING:
            if ((fl & EX_BRACE) && peek(P, 1)->type == T_COLON) {
                P->i += 2;
                continue;
            }
            /* fall through */
        case T_NUMBER:
        case T_PARAM:
        case T_TEMPLATE:
            P->i++;
            prev_value = 1;
            if (it)
                it->ntok++;
            continue;
        case T_DCOLON:
            P->i++;
            skip_type(P);
            prev_value = 1;
            continue;
        case T_COLON:
            if (P->paths && prev_value)
                skip_path(P);
            else
                P->i++;
            continue;
        case T_STAR:
            if (it && was_first && it->ntok == 0 && (fl & EX_ITEM)) {
                P->i++;
                it->star = 1;
                it->ntok++;
                add_ref(P, S, NULL, 0, 1, (uint32_t)P->i, NULL);
                prev_value = 1;
                continue;
            }
            P->i++;
            prev_value = 0;
            continue;
        case T_ARROW:
        case T_FATARROW:
        case T_OP:
        case T_DOT:
            P->i++;
            prev_value = 0;
            if (it)
                it->ntok++;
            continue;
        case T_IDENT:
        case T_QIDENT:
            break;
        default:
            P->i++;
            continue;
        }

        /* words */
        unsigned kf = tkflags(t);
        if (kf & KF_RES) {
            unsigned kw = t->kw;
            if ((kf & KF_FN) && peek(P, 1)->type == T_LPAREN) {
                P->i++;
                unsigned sub = 0;
                if (kw == KW_CAST || kw == KW_TRY_CAST || kw == KW_SAFE_CAST)
                    sub = EX_CAST;
                paren(P, S, sub);
                prev_value = 1;
                if (it)
                    it->ntok++;
                continue;
            }
            if ((kf & KF_TERM) && !(fl & EX_INPAREN)) {
                if (!(kf & KF_CASE) || case_depth == 0)
                    goto out;
            }
            if (it)
                it->ntok++;
            switch (kw) {
            case KW_CASE:
                case_depth++;
                P->i++;
                prev_value = 0;
                continue;
            case KW_END:
                if (case_depth > 0)
                    case_depth--;
                P->i++;
                prev_value = 1;
                continue;
            case KW_AS:
                P->i++;
                if (fl & EX_CAST) { /* the type, up to the closing bracket */
                    while (!P->err && cur(P)->type != T_RPAREN && cur(P)->type != T_EOF &&
                           cur(P)->type != T_SEMI) {
                        if (cur(P)->type == T_LPAREN || cur(P)->type == T_LBRACKET)
                            skip_balanced(P);
                        else
                            P->i++;
                    }
                    continue;
                }
                if (cur(P)->type == T_IDENT || cur(P)->type == T_QIDENT ||
                    cur(P)->type == T_STRING) {
                    if (it && !(fl & EX_INPAREN)) {
                        it->alias = tok_name(P, cur(P));
                        it->aliaspos = (uint32_t)P->i;
                        it->has_alias = 1;
                        it->ntok--;
                    }
                    P->i++;
                } else if (cur(P)->type == T_LPAREN) {
                    skip_balanced(P);
                }
                prev_value = 1;
                continue;
            case KW_INTERVAL:
                P->i++;
                if (cur(P)->type == T_STRING || cur(P)->type == T_NUMBER) {
                    P->i++;
                    if (cur(P)->type == T_IDENT && is_date_part(tok_name(P, cur(P)))) {
                        P->i++;
                        if (is_kw(cur(P), KW_TO) && cur(P)[1].type == T_IDENT)
                            P->i += 2;
                    }
                    prev_value = 1;
                }
                continue;
            case KW_IS:
                P->i++;
                accept_kw(P, KW_NOT);
                if (accept_kw(P, KW_DISTINCT))
                    accept_kw(P, KW_FROM);
                prev_value = 0;
                continue;
            case KW_AT:
                P->i++;
                if (is_kw(cur(P), KW_TIME) && is_kw(peek(P, 1), KW_ZONE))
                    P->i += 2;
                prev_value = 0;
                continue;
            case KW_COLLATE:
                P->i++;
                if (cur(P)->type == T_IDENT || cur(P)->type == T_QIDENT || cur(P)->type == T_STRING)
                    P->i++;
                prev_value = 1;
                continue;
            case KW_NULLS:
                P->i++;
                if (is_kw(cur(P), KW_FIRST) || is_kw(cur(P), KW_LAST))
                    P->i++;
                prev_value = 1;
                continue;
            case KW_OVER:
                P->i++;
                if (cur(P)->type == T_IDENT || cur(P)->type == T_QIDENT)
                    P->i++;
                prev_value = 1;
                continue;
            case KW_WITHIN:
                P->i++;
                accept_kw(P, KW_GROUP);
                continue;
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
                prev_value = 1;
                continue;
            case KW_SELECT:
            case KW_WITH:
                /* only reached inside brackets: a query after other tokens */
                if (kw == KW_WITH && !cte_ahead(t)) {
                    P->i++;
                    continue;
                }
                parse_query(P, S, S ? S->ctes : NULL);
                prev_value = 1;
                continue;
            default:
                P->i++;
                prev_value = 0;
                continue;
            }
        }

        /* a name: column, function, type literal, lambda parameter or alias */
        const struct tok *nx = peek(P, 1);
        if ((fl & EX_BRACE) && nx->type == T_COLON) { /* {key: value} */
            P->i += 2;
            continue;
        }
        if (t->type == T_IDENT && nx->type == T_STRING) { /* DATE '2020-01-01' */
            P->i += 2;
            prev_value = 1;
            if (it)
                it->ntok++;
            continue;
        }
        if (nx->type == T_FATARROW) { /* named argument */
            P->i += 2;
            continue;
        }
        if (nx->type == T_ARROW && peek(P, 2)->type != T_STRING &&
            peek(P, 2)->type != T_NUMBER) { /* x -> x + 1 */
            push_lambda(P, tok_name(P, t));
            P->i += 2;
            continue;
        }
        if (is_kw(t, KW_LAMBDA) && (nx->type == T_IDENT)) { /* lambda x, y: ... */
            P->i++;
            while (cur(P)->type == T_IDENT || cur(P)->type == T_COMMA) {
                if (cur(P)->type == T_IDENT)
                    push_lambda(P, tok_name(P, cur(P)));
                P->i++;
            }
            if (cur(P)->type == T_COLON)
                P->i++;
            continue;
        }
        uint32_t pos = (uint32_t)P->i;
        struct name parts[MAX_PARTS];
        int star = 0;
        int n = read_chain(P, parts, &star, NULL);
        if (n == 0) {
            P->i++;
            continue;
        }
        if (cur(P)->type == T_LPAREN) { /* function call */
            unsigned sub = 0;
            if (n == 1 && is_kw(t, KW_EXTRACT))
                sub = EX_EXTRACT;
            else if (is_date_fn(parts[n < MAX_PARTS ? n - 1 : MAX_PARTS - 1]))
                sub = EX_DATEFN;
            paren(P, S, sub);
            prev_value = 1;
            if (it)
                it->ntok++;
            continue;
        }
        if (it && (fl & EX_ITEM) && !(fl & EX_INPAREN) && prev_value && n == 1 && !star) {
            /* SELECT a b: b is an implicit alias */
            it->alias = parts[0];
            it->aliaspos = pos;
            it->has_alias = 1;
            prev_value = 1;
            continue;
        }
        prev_value = 1;
        if (n == 1 && is_lambda(P, parts[0]))
            continue;
        if (n == 1 && (fl & (EX_DATEFN | EX_EXTRACT)) && is_date_part(parts[0])) {
            if (fl & EX_EXTRACT)
                fl &= ~(unsigned)EX_EXTRACT;
            continue;
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
        add_ref(P, S, parts, n, star, pos, NULL);
        if (P->paths && cur(P)->type == T_COLON)
            skip_path(P);
    }
out:
    P->nlambda = nlambda0;
    P->depth--;
}

/* ---- FROM clauses ---- */

static void parse_from_list(struct parser *P, struct scope *S, int write_first);

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
            outs[n++] = tok_name(P, &P->t[j]);
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
    skip_balanced(P);
}

/* Modifiers after a table reference, and its alias. */
static void table_suffix(struct parser *P, struct scope *S, struct source *src)
{
    for (int guard = 0; guard < 64 && !P->err; guard++) {
        const struct tok *t = cur(P);
        const struct tok *nx = peek(P, 1);
        if (is_kw(t, KW_FOR) &&
            (is_kw(nx, KW_SYSTEM_TIME) || is_kw(nx, KW_TIMESTAMP) || is_kw(nx, KW_VERSION))) {
            P->i += 2;
            accept_kw(P, KW_AS);
            if (cur(P)->type == T_IDENT && is_kw(cur(P), KW_OF))
                P->i++;
            walk(P, S, EX_COMMA, NULL);
            continue;
        }
        if ((is_kw(t, KW_AT) || is_kw(t, KW_BEFORE) || is_kw(t, KW_CHANGES)) &&
            nx->type == T_LPAREN) {
            P->i++;
            paren(P, S, 0);
            continue;
        }
        if (is_kw(t, KW_TABLESAMPLE) || (is_kw(t, KW_SAMPLE) && nx->type == T_LPAREN)) {
            P->i++;
            if (cur(P)->type == T_IDENT && peek(P, 1)->type == T_LPAREN)
                P->i++;
            if (cur(P)->type == T_LPAREN)
                skip_balanced(P);
            if (cur(P)->type == T_IDENT && peek(P, 1)->type == T_LPAREN) { /* REPEATABLE */
                P->i++;
                skip_balanced(P);
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
                    skip_balanced(P);
                else
                    P->i++;
            }
            continue;
        }
        if (is_kw(t, KW_WITH) && nx->type == T_LPAREN) { /* T-SQL table hints */
            P->i++;
            skip_balanced(P);
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
                skip_balanced(P);
            continue;
        }
        if (is_kw(t, KW_PIVOT) || is_kw(t, KW_UNPIVOT)) {
            P->i++;
            if (is_kw(cur(P), KW_INCLUDE) || is_kw(cur(P), KW_EXCLUDE)) {
                P->i++;
                accept_kw(P, KW_NULLS);
            }
            /* the PIVOT body reads the source's columns; its result hides them */
            struct scope *T = new_scope(P, NULL, S ? S->ctes : NULL);
            if (src && T) {
                struct source *copy = add_source(P, T, src->kind);
                if (copy) {
                    *copy = *src;
                    copy->next = NULL;
                }
                src->kind = SRC_FUNC;
                src->has_alias = 0;
            }
            if (cur(P)->type == T_LPAREN)
                paren(P, T ? T : S, 0);
            continue;
        }
        if (is_kw(t, KW_MATCH_RECOGNIZE) && nx->type == T_LPAREN) {
            P->i++;
            skip_balanced(P);
            continue;
        }
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
              (nx->type != T_LPAREN && !(kw_flags(t->kw) & KF_STMT))) &&
             !(t->kw == KW_SAMPLE || t->kw == KW_MATCH_CONDITION || t->kw == KW_CLONE ||
               (t->kw == KW_BEFORE && nx->type == T_LPAREN) ||
               (t->kw == KW_CHANGES && nx->type == T_LPAREN) ||
               ((t->kw == KW_USE || t->kw == KW_IGNORE || t->kw == KW_FORCE) &&
                (is_kw(nx, KW_INDEX) || is_kw(nx, KW_KEY)))))) {
            if (src) {
                src->alias = tok_name(P, t);
                src->has_alias = 1;
            }
            P->i++;
            if (cur(P)->type == T_LPAREN) { /* column aliases t(a, b) */
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

static struct source *from_item(struct parser *P, struct scope *S, int write)
{
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
            struct scope *sub = parse_query(P, S, S ? S->ctes : NULL);
            P->depth--;
            close_with(P, S, T_RPAREN);
            src = add_source(P, S, SRC_DERIVED);
            if (src)
                src->derived = sub;
        } else {
            P->i++;
            if (++P->depth > MAX_DEPTH) {
                P->err = 1;
                return NULL;
            }
            parse_from_list(P, S, write);
            P->depth--;
            close_with(P, S, T_RPAREN);
            /* (a JOIN b) AS j: the alias names the whole join */
            table_suffix(P, S, NULL);
            return NULL;
        }
    } else if ((is_kw(t, KW_TABLE) || is_kw(t, KW_UNNEST)) && peek(P, 1)->type == T_LPAREN) {
        P->i++;
        paren(P, S, 0);
        src = add_source(P, S, SRC_FUNC);
    } else if (is_kw(t, KW_VALUES)) {
        P->i++;
        while (cur(P)->type == T_LPAREN && !P->err) {
            paren(P, S, 0);
            if (cur(P)->type == T_COMMA && peek(P, 1)->type == T_LPAREN)
                P->i++;
        }
        src = add_source(P, S, SRC_FUNC);
    } else if (t->type == T_STRING || t->type == T_PARAM) {
        P->i++;
        if (cur(P)->type == T_LPAREN) /* @stage (FILE_FORMAT => ...) */
            skip_balanced(P);
        src = add_source(P, S, SRC_FUNC);
    } else if (is_name_tok(t) ||
               ((kw_flags(t->kw) & KF_FN) && t->type == T_IDENT && peek(P, 1)->type == T_LPAREN)) {
        struct name parts[MAX_PARTS], full;
        int n = read_chain(P, parts, NULL, &full);
        if (cur(P)->type == T_LPAREN) { /* table function */
            paren(P, S, 0);
            src = add_source(P, S, SRC_FUNC);
            if (src) {
                src->alias = parts[n < MAX_PARTS ? n - 1 : MAX_PARTS - 1];
            }
        } else if (n >= 2 && S && alias_in_scope(S, parts[0])) {
            /* FROM t AS c, c.items AS i: navigation into an earlier source (Redshift SUPER,
             * BigQuery arrays), not a table */
            src = add_source(P, S, SRC_FUNC);
        } else {
            struct cte *c = n == 1 && S ? find_cte(S, S->ctes, parts[0]) : NULL;
            if (c) {
                src = add_source(P, S, SRC_DERIVED);
                if (src) {
                    src->derived = c->body;
                    src->alias = c->name;
                    src->renamed = c->renamed;
                }
            } else {
                src = add_source(P, S, SRC_TABLE);
                if (src) {
                    src->table = full;
                    src->alias = parts[n < MAX_PARTS ? n - 1 : MAX_PARTS - 1];
                }
                if (write != 2)
                    record_table(P, full, write);
            }
        }
    } else {
        return NULL;
    }
    table_suffix(P, S, src);
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
static void parse_from_list(struct parser *P, struct scope *S, int write_first)
{
    struct source *prev = from_item(P, S, write_first);
    while (!P->err) {
        const struct tok *t = cur(P);
        if (t->type == T_COMMA) {
            P->i++;
            prev = from_item(P, S, 0);
            continue;
        }
        if (is_kw(t, KW_LATERAL) && is_kw(peek(P, 1), KW_VIEW)) { /* Hive/Spark */
            P->i += 2;
            accept_kw(P, KW_OUTER);
            struct name parts[MAX_PARTS];
            if (read_chain(P, parts, NULL, NULL) && cur(P)->type == T_LPAREN)
                paren(P, S, 0);
            struct source *fsrc = add_source(P, S, SRC_FUNC);
            if (is_name_tok(cur(P)) && !is_kw(cur(P), KW_AS)) {
                if (fsrc) {
                    fsrc->alias = tok_name(P, cur(P));
                    fsrc->has_alias = 1;
                }
                P->i++;
            }
            if (accept_kw(P, KW_AS)) {
                if (fsrc)
                    fsrc->outs = arena_alloc(P->a, 16 * sizeof(*fsrc->outs));
                while (is_name_tok(cur(P))) {
                    if (fsrc && fsrc->outs && fsrc->nouts < 16)
                        fsrc->outs[fsrc->nouts++] = tok_name(P, cur(P));
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
            struct source *cur_src = from_item(P, S, 0);
            if (is_kw(cur(P), KW_MATCH_CONDITION) && peek(P, 1)->type == T_LPAREN) {
                P->i++;
                paren(P, S, 0);
            }
            if (accept_kw(P, KW_ON)) {
                walk(P, S, EX_COMMA, NULL);
            } else if (is_kw(cur(P), KW_USING) && peek(P, 1)->type == T_LPAREN) {
                P->i += 2;
                while (!P->err && is_name_tok(cur(P))) {
                    struct name nm = tok_name(P, cur(P));
                    uint32_t pos = (uint32_t)P->i;
                    if (prev)
                        add_ref(P, S, &nm, 1, 0, pos, prev);
                    if (cur_src)
                        add_ref(P, S, &nm, 1, 0, pos, cur_src);
                    if (!prev && !cur_src)
                        add_ref(P, S, &nm, 1, 0, pos, NULL);
                    P->i++;
                    if (cur(P)->type == T_COMMA)
                        P->i++;
                }
                close_with(P, S, T_RPAREN);
            }
            prev = cur_src;
            continue;
        }
        return;
    }
}

/* ---- queries ---- */

static struct cte *parse_with(struct parser *P, struct scope *parent, struct cte *ctes)
{
    P->i++; /* WITH */
    accept_kw(P, KW_RECURSIVE);
    while (!P->err) {
        const struct tok *t = cur(P);
        if (!(t->type == T_IDENT || t->type == T_QIDENT || t->type == T_STRING)) {
            P->err = 1;
            return ctes;
        }
        struct cte *c = alloc0(P, sizeof(*c));
        if (!c)
            return ctes;
        c->name = tok_name(P, t);
        P->i++;
        int no_as = cur(P)->type == T_LPAREN &&
                    (is_kw(peek(P, 1), KW_SELECT) || is_kw(peek(P, 1), KW_WITH));
        if (cur(P)->type == T_LPAREN && !no_as) {
            c->renamed = 1;
            skip_balanced(P);
        }
        if (is_kw(cur(P), KW_USING) && is_kw(peek(P, 1), KW_KEY)) {
            P->i += 2;
            if (cur(P)->type == T_LPAREN)
                skip_balanced(P);
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
            c->body = parse_query(P, parent, ctes);
        } else if (is_kw(cur(P), KW_INSERT) || is_kw(cur(P), KW_UPDATE) ||
                   is_kw(cur(P), KW_DELETE)) {
            parse_statement(P, ctes); /* data-modifying CTE (PostgreSQL) */
        }
        P->depth--;
        close_with(P, parent, T_RPAREN);
        if (cur(P)->type == T_COMMA) {
            P->i++;
            continue;
        }
        break;
    }
    return ctes;
}

static void select_item_list(struct parser *P, struct scope *S)
{
    while (!P->err) {
        struct item it;
        memset(&it, 0, sizeof(it));
        size_t start = P->i;
        walk(P, S, EX_COMMA | EX_ITEM, &it);
        if (it.star) {
            add_proj(P, S, (struct name){"*", 1}, it.colpos, 0, 1, it.q, it.nq);
            /* * EXCLUDE (a) / REPLACE (x AS a) / EXCEPT (a) / RENAME (...) */
            while (cur(P)->type == T_IDENT &&
                   (is_kw(cur(P), KW_EXCLUDE) || is_kw(cur(P), KW_REPLACE) ||
                    is_kw(cur(P), KW_EXCEPT) || is_kw(cur(P), KW_RENAME) ||
                    is_kw(cur(P), KW_ILIKE) || is_kw(cur(P), KW_LIKE))) {
                P->i++;
                if (cur(P)->type == T_LPAREN)
                    skip_balanced(P);
                else if (cur(P)->type != T_EOF)
                    P->i++;
            }
        } else if (it.has_alias) {
            add_proj(P, S, it.alias, it.aliaspos, 1, 0, NULL, 0);
        } else if (it.simple && it.ntok == 1) {
            add_proj(P, S, it.col, it.colpos, 0, 0, NULL, 0);
        }
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

static void expr_list(struct parser *P, struct scope *S)
{
    while (!P->err) {
        size_t start = P->i;
        walk(P, S, EX_COMMA, NULL);
        if (cur(P)->type == T_COMMA) {
            P->i++;
            continue;
        }
        if (P->i == start)
            break;
        break;
    }
}

/* SELECT ... [FROM ...] [WHERE ...] ... (or DuckDB's FROM-first form). */
static struct scope *parse_select(struct parser *P, struct scope *parent, struct cte *ctes)
{
    struct scope *S = new_scope(P, parent, ctes);
    if (!S)
        return NULL;
    int from_first = 0;
    if (is_kw(cur(P), KW_FROM)) {
        P->i++;
        parse_from_list(P, S, 0);
        from_first = 1;
        if (!is_kw(cur(P), KW_SELECT))
            add_proj(P, S, (struct name){"*", 1}, (uint32_t)P->i, 0, 1, NULL, 0);
    }
    if (accept_kw(P, KW_SELECT)) {
        for (;;) {
            const struct tok *t = cur(P);
            if (is_kw(t, KW_ALL)) {
                P->i++;
            } else if (is_kw(t, KW_DISTINCT)) {
                P->i++;
                if (is_kw(cur(P), KW_ON) && peek(P, 1)->type == T_LPAREN) {
                    P->i++;
                    paren(P, S, 0);
                }
            } else if (is_kw(t, KW_TOP)) {
                P->i++;
                if (cur(P)->type == T_LPAREN)
                    paren(P, S, 0);
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
            select_item_list(P, S);
    }
    /* SELECT ... INTO target (T-SQL, PostgreSQL); INTO @var / :var are variables */
    if (is_kw(cur(P), KW_INTO)) {
        P->i++;
        while (is_kw(cur(P), KW_TEMP) || is_kw(cur(P), KW_TEMPORARY) ||
               (cur(P)->type == T_IDENT && peek(P, 1)->type != T_DOT &&
                (peek(P, 1)->type == T_IDENT && !(tkflags(peek(P, 1)) & KF_RES))))
            P->i++;
        if (is_name_tok(cur(P))) {
            struct name parts[MAX_PARTS], full;
            read_chain(P, parts, NULL, &full);
            record_table(P, full, 1);
        } else {
            while (cur(P)->type == T_PARAM || cur(P)->type == T_COMMA)
                P->i++;
        }
    }
    for (int guard = 0; guard < 64 && !P->err; guard++) {
        const struct tok *t = cur(P);
        if (t->type != T_IDENT)
            break;
        switch (t->kw) {
        case KW_FROM:
            if (from_first)
                goto done;
            P->i++;
            parse_from_list(P, S, 0);
            continue;
        case KW_WHERE:
        case KW_HAVING:
        case KW_QUALIFY:
            P->i++;
            walk(P, S, 0, NULL);
            continue;
        case KW_GROUP:
        case KW_ORDER:
            P->i++;
            accept_kw(P, KW_BY);
            accept_kw(P, KW_ALL);
            expr_list(P, S);
            if (is_kw(cur(P), KW_WITH) && cur(P)[1].type == T_IDENT &&
                !(tkflags(&cur(P)[1]) & KF_RES)) /* WITH ROLLUP */
                P->i += 2;
            continue;
        case KW_WINDOW:
            P->i++;
            while (!P->err && is_name_tok(cur(P))) {
                P->i++;
                accept_kw(P, KW_AS);
                if (cur(P)->type == T_LPAREN)
                    paren(P, S, 0);
                if (cur(P)->type != T_COMMA)
                    break;
                P->i++;
            }
            continue;
        case KW_LIMIT:
        case KW_OFFSET:
            P->i++;
            accept_kw(P, KW_ALL);
            expr_list(P, S);
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
            walk(P, S, 0, NULL);
            continue;
        case KW_FOR: /* FOR UPDATE / FOR XML ... */
            P->i++;
            while (!P->err) {
                const struct tok *u = cur(P);
                if (u->type == T_EOF || u->type == T_SEMI || u->type == T_RPAREN ||
                    is_kw(u, KW_UNION) || is_kw(u, KW_EXCEPT) || is_kw(u, KW_INTERSECT))
                    break;
                if (u->type == T_LPAREN)
                    skip_balanced(P);
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
        struct scope *s = parse_query(P, parent, ctes);
        P->depth--;
        close_with(P, parent, T_RPAREN);
        /* (SELECT ...) ORDER BY ... LIMIT ... */
        if (s && (is_kw(cur(P), KW_ORDER) || is_kw(cur(P), KW_LIMIT) || is_kw(cur(P), KW_OFFSET)))
            while (is_kw(cur(P), KW_ORDER) || is_kw(cur(P), KW_LIMIT) || is_kw(cur(P), KW_OFFSET)) {
                P->i++;
                accept_kw(P, KW_BY);
                expr_list(P, s);
            }
        return s;
    }
    if (is_kw(t, KW_SELECT) || is_kw(t, KW_FROM))
        return parse_select(P, parent, ctes);
    if (is_kw(t, KW_VALUES)) {
        struct scope *S = new_scope(P, parent, ctes);
        P->i++;
        while (!P->err && cur(P)->type == T_LPAREN) {
            paren(P, S, 0);
            if (cur(P)->type == T_COMMA)
                P->i++;
        }
        return S;
    }
    if (is_kw(t, KW_TABLE)) {
        struct scope *S = new_scope(P, parent, ctes);
        P->i++;
        from_item(P, S, 0);
        add_proj(P, S, (struct name){"*", 1}, (uint32_t)P->i, 0, 1, NULL, 0);
        return S;
    }
    if (is_kw(t, KW_WITH))
        return parse_query(P, parent, ctes);
    return new_scope(P, parent, ctes);
}

static struct scope *parse_query(struct parser *P, struct scope *parent, struct cte *ctes)
{
    if (++P->depth > MAX_DEPTH) {
        P->err = 1;
        return NULL;
    }
    if (is_kw(cur(P), KW_WITH))
        ctes = parse_with(P, parent, ctes);
    struct scope *first = set_operand(P, parent, ctes);
    while (!P->err) {
        const struct tok *t = cur(P);
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
        set_operand(P, parent, ctes);
    }
    P->depth--;
    return first;
}

/* ---- resolution ---- */

static struct source *match_source(struct scope *S, const struct name *q, int k)
{
    for (struct source *src = S->src; src; src = src->next) {
        if (src->has_alias || src->kind != SRC_TABLE) {
            if (k == 1 && src->alias.s && name_ieq(src->alias, q[0]))
                return src;
            continue;
        }
        /* an unaliased table: its last k name parts */
        struct name t = src->table;
        size_t need = 0;
        for (int i = 0; i < k; i++)
            need += q[i].len + (i ? 1 : 0);
        if (need > t.len)
            continue;
        if (need < t.len && t.s[t.len - need - 1] != '.')
            continue;
        const char *p = t.s + t.len - need;
        int ok = 1;
        for (int i = 0; i < k && ok; i++) {
            if (i) {
                if (*p != '.')
                    ok = 0;
                p++;
            }
            if (ok && !name_ieq((struct name){p, q[i].len}, q[i]))
                ok = 0;
            p += q[i].len;
        }
        if (ok)
            return src;
    }
    return NULL;
}

static void attribute(struct parser *P, struct source *src, struct name col, int depth);

static int is_func_col(struct name n)
{
    static const char *const cols[] = {"value", "key",        "index",   "path",
                                       "this",  "seq",        "element", "col",
                                       "pos",   "ordinality", "unnest",  "generate_series",
                                       "range", "offset",     "elem"};
    for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
        if (name_ieq(n, (struct name){cols[i], (uint32_t)strlen(cols[i])}))
            return 1;
    return 0;
}

/* An unqualified column in scope S (which has sources). */
static void resolve_in(struct parser *P, struct scope *S, struct colref *r, struct name col,
                       int depth, int may_defer)
{
    if (S->nsrc == 1) {
        attribute(P, S->src, col, depth);
        return;
    }
    struct source *hit = NULL, *table = NULL;
    int nhit = 0, ntables = 0, nunknown = 0, nfunc = 0;
    for (struct source *src = S->src; src; src = src->next) {
        if (src->kind == SRC_FUNC) {
            /* UNNEST(a) AS x, UNNEST(a) AS t(x): x is the function's output */
            if (src->has_alias && name_ieq(src->alias, col))
                return;
            for (uint32_t k = 0; k < src->nouts; k++)
                if (name_ieq(src->outs[k], col))
                    return;
            nfunc++;
        } else if (src->kind == SRC_TABLE) {
            table = src;
            ntables++;
        } else if (src->kind == SRC_DERIVED && src->derived && !src->renamed) {
            if (find_proj(P, src->derived, col)) {
                hit = src;
                nhit++;
            } else if (scope_has_star(src->derived)) {
                nunknown++;
            }
        } else {
            nunknown++;
        }
    }
    if (nfunc && is_func_col(col))
        return; /* value, key, index ...: the output of FLATTEN/UNNEST/... */
    if (nhit == 1) {
        attribute(P, hit, col, depth);
        return;
    }
    if (nhit == 0 && ntables == 1 && nunknown == 0) {
        attribute(P, table, col, depth);
        return;
    }
    if (!may_defer)
        return;
    (void)r;
    P->pend = grow(P, P->pend, &P->cappend, P->npend, sizeof(*P->pend));
    if (!P->pend)
        return;
    P->pend[P->npend].scope = S;
    P->pend[P->npend].col = col;
    P->npend++;
}

static void attribute(struct parser *P, struct source *src, struct name col, int depth)
{
    if (!src || depth > 16)
        return;
    if (src->kind == SRC_TABLE) {
        emit_col(P, src->table, &src->table, col);
        return;
    }
    if (src->kind != SRC_DERIVED || !src->derived || src->renamed)
        return;
    struct scope *d = src->derived;
    if (find_proj(P, d, col))
        return; /* the inner query reported where it comes from */
    for (const struct proj *p = d->proj; p; p = p->next) {
        if (!p->star || !d->src)
            continue;
        if (p->nq) {
            attribute(P, match_source(d, p->q, p->nq), col, depth + 1);
        } else {
            resolve_in(P, d, NULL, col, depth + 1, 0);
        }
        return;
    }
}

static int is_alias_ref(struct parser *P, struct scope *S, struct name nm, uint32_t pos)
{
    const struct proj *p = find_proj(P, S, nm);
    return p && p->alias && p->pos < pos;
}

static void resolve_ref(struct parser *P, struct scope *S, struct colref *r)
{
    if (r->bound) {
        attribute(P, r->bound, r->parts[0], 0);
        return;
    }
    if (r->star) {
        if (r->nparts == 0) {
            for (struct source *src = S->src; src; src = src->next)
                if (src->kind == SRC_TABLE)
                    emit_col(P, src->table, &src->table, (struct name){"*", 1});
            return;
        }
        for (struct scope *sc = S; sc; sc = sc->parent) {
            struct source *src = match_source(sc, r->parts, r->nparts);
            if (src) {
                if (src->kind == SRC_TABLE)
                    emit_col(P, src->table, &src->table, (struct name){"*", 1});
                return;
            }
        }
        return;
    }
    if (r->nparts > 1) {
        int maxk = r->nparts - 1;
        for (int k = maxk; k >= 1; k--) {
            for (struct scope *sc = S; sc; sc = sc->parent) {
                struct source *src = match_source(sc, r->parts, k);
                if (src) {
                    attribute(P, src, r->parts[k], 0);
                    return;
                }
            }
        }
        /* no source by that name: a struct field of a column */
    }
    struct name col = r->parts[0];
    if (is_alias_ref(P, S, col, r->pos))
        return;
    for (struct scope *sc = S; sc; sc = sc->parent) {
        if (sc->nsrc == 0)
            continue;
        resolve_in(P, sc, r, col, 0, 1);
        return;
    }
    emit_col(P, (struct name){NULL, 0}, NULL, col);
}

/* Ambiguous columns: a table of the scope that already has the column takes it; else the
 * column is reported without a table. */
static void settle_pending(struct parser *P)
{
    for (size_t i = 0; i < P->npend; i++) {
        struct scope *S = P->pend[i].scope;
        struct name col = P->pend[i].col;
        int found = 0;
        for (struct source *src = S->src; src && !found; src = src->next)
            if (src->kind == SRC_TABLE && pairset_has(&P->colset, src->table, col))
                found = 1;
        if (!found)
            emit_col(P, (struct name){NULL, 0}, NULL, col);
    }
    P->npend = 0;
}

/* ---- statements ---- */

static void begin_statement(struct parser *P)
{
    P->scopes = NULL;
    P->scopes_tail = &P->scopes;
    P->nreads = 0;
    P->ntargets = 0;
    P->nlocs = 0;
    P->stmt_reads.n = 0;
    P->stmt_reads.cap = 0;
    P->stmt_reads.slots = NULL;
    P->nlambda = 0;
}

static void end_statement(struct parser *P)
{
    if (P->err)
        return;
    if (P->want & SQLFN_WANT_COLUMNS) {
        for (struct scope *S = P->scopes; S; S = S->all_next)
            for (struct colref *r = S->refs; r; r = r->next)
                resolve_ref(P, S, r);
        settle_pending(P);
    }
    for (int t = 0; t < P->ntargets; t++)
        for (size_t r = 0; r < P->nreads; r++)
            emit_edge(P, P->reads[r], P->targets[t]);
    for (int l = 0; l < P->nlocs; l++) {
        if (P->locs_target[l]) {
            for (size_t r = 0; r < P->nreads; r++)
                emit_edge(P, P->reads[r], P->locs[l]);
        } else {
            for (int t = 0; t < P->ntargets; t++)
                emit_edge(P, P->locs[l], P->targets[t]);
        }
    }
}

static void set_type(struct parser *P, const char *type)
{
    if (!P->stype)
        P->stype = type;
}

/* Walks the rest of an unknown statement for embedded queries, up to ";" at depth 0. */
static void scan_rest(struct parser *P, struct cte *ctes)
{
    int depth = 0;
    while (!P->err) {
        const struct tok *t = cur(P);
        if (t->type == T_EOF)
            break;
        if (t->type == T_SEMI && depth == 0)
            break;
        if (t->type == T_LPAREN || t->type == T_LBRACKET || t->type == T_LBRACE) {
            depth++;
            P->i++;
            if (t->type == T_LPAREN &&
                (is_kw(cur(P), KW_SELECT) || (is_kw(cur(P), KW_WITH) && cte_ahead(cur(P))))) {
                struct scope *S = new_scope(P, NULL, ctes);
                parse_query(P, S, ctes);
            }
            continue;
        }
        if (t->type == T_RPAREN || t->type == T_RBRACKET || t->type == T_RBRACE) {
            if (--depth < 0) {
                P->err = 1;
                return;
            }
            P->i++;
            continue;
        }
        if ((is_kw(t, KW_SELECT) || (is_kw(t, KW_WITH) && cte_ahead(t))) &&
            peek(P, 1)->type != T_LPAREN) {
            parse_query(P, NULL, ctes);
            continue;
        }
        if ((is_kw(t, KW_INSERT) || is_kw(t, KW_UPDATE) || is_kw(t, KW_DELETE) ||
             is_kw(t, KW_MERGE)) &&
            peek(P, 1)->type != T_LPAREN && depth == 0) {
            const char *keep = P->stype;
            P->stype = "";
            parse_statement(P, ctes);
            P->stype = keep;
            continue;
        }
        P->i++;
    }
    if (depth != 0)
        P->err = 1;
}

/* The rest of an INSERT after INSERT [OR ...]. */
static void parse_insert(struct parser *P, struct cte *ctes)
{
    struct name target = {NULL, 0};
    struct source *tsrc = NULL;
    struct scope *S = new_scope(P, NULL, ctes);
    int guard = 0;
    while (!P->err && guard++ < 100000) {
        const struct tok *t = cur(P);
        if (t->type == T_EOF || t->type == T_SEMI)
            break;
        if (t->type == T_RPAREN)
            break;
        if (is_kw(t, KW_INTO) || is_kw(t, KW_OVERWRITE) ||
            (!target.s && (is_name_tok(t)) && !is_kw(t, KW_FIRST))) {
            if (is_kw(t, KW_INTO) || is_kw(t, KW_OVERWRITE))
                P->i++;
            accept_kw(P, KW_TABLE);
            if (is_kw(cur(P), KW_LOCAL) && is_kw(peek(P, 1), KW_DIRECTORY))
                break;
            if (is_kw(cur(P), KW_DIRECTORY))
                break;
            struct name parts[MAX_PARTS];
            if (!read_chain(P, parts, NULL, &target)) {
                if (cur(P)->type == T_PARAM || cur(P)->type == T_STRING) {
                    P->i++;
                    continue;
                }
                P->err = 1;
                break;
            }
            record_table(P, target, 1);
            tsrc = add_source(P, S, SRC_TABLE);
            if (tsrc) {
                tsrc->table = target;
                tsrc->alias = target;
            }
            table_suffix(P, S, tsrc);
            if (is_kw(cur(P), KW_PARTITION) && peek(P, 1)->type == T_LPAREN) {
                P->i++;
                skip_balanced(P);
            }
            if (cur(P)->type == T_LPAREN && !starts_query(peek(P, 1)) &&
                peek(P, 1)->type != T_LPAREN) {
                P->i++;
                while (!P->err && cur(P)->type != T_RPAREN && cur(P)->type != T_EOF) {
                    struct name parts2[MAX_PARTS];
                    int n = read_chain(P, parts2, NULL, NULL);
                    if (n)
                        emit_col(P, target, &target, parts2[n <= MAX_PARTS ? n - 1 : 3]);
                    else
                        P->i++;
                }
                close_with(P, S, T_RPAREN);
            }
            continue;
        }
        if (is_kw(t, KW_BY) && is_kw(peek(P, 1), KW_NAME)) {
            P->i += 2;
            continue;
        }
        if (starts_query(t) || t->type == T_LPAREN) {
            if (is_kw(t, KW_VALUES)) {
                P->i++;
                while (!P->err && (cur(P)->type == T_LPAREN || cur(P)->type == T_COMMA)) {
                    if (cur(P)->type == T_COMMA)
                        P->i++;
                    else
                        paren(P, NULL, 0);
                }
                continue;
            }
            parse_query(P, NULL, ctes);
            continue;
        }
        if (is_kw(t, KW_ON)) { /* ON CONFLICT ... DO UPDATE SET / ON DUPLICATE KEY UPDATE */
            P->i++;
            while (!P->err && !is_kw(cur(P), KW_SET) && !is_kw(cur(P), KW_UPDATE) &&
                   cur(P)->type != T_EOF && cur(P)->type != T_SEMI) {
                if (cur(P)->type == T_LPAREN)
                    skip_balanced(P);
                else
                    P->i++;
            }
            accept_kw(P, KW_UPDATE);
            accept_kw(P, KW_SET);
            while (!P->err && is_name_tok(cur(P))) {
                struct name parts[MAX_PARTS];
                int n = read_chain(P, parts, NULL, NULL);
                if (target.s && n)
                    emit_col(P, target, &target, parts[n <= MAX_PARTS ? n - 1 : 3]);
                if (cur(P)->type == T_OP && P->s[cur(P)->off] == '=')
                    P->i++;
                walk(P, S, EX_COMMA, NULL);
                if (cur(P)->type != T_COMMA)
                    break;
                P->i++;
            }
            continue;
        }
        if (is_kw(t, KW_WHEN) || is_kw(t, KW_THEN) || is_kw(t, KW_ELSE) || is_kw(t, KW_ALL) ||
            is_kw(t, KW_FIRST)) { /* Snowflake multi-table INSERT */
            P->i++;
            if (is_kw(t, KW_WHEN))
                walk(P, S, 0, NULL);
            target.s = NULL;
            continue;
        }
        if (is_kw(t, KW_RETURNING) || is_kw(t, KW_WHERE)) {
            P->i++;
            expr_list(P, S);
            continue;
        }
        if (t->type == T_LPAREN) {
            skip_balanced(P);
            continue;
        }
        P->i++;
    }
}

/* UPDATE target [alias] SET ... [FROM ...] [WHERE ...]; DELETE [FROM] target ... */
static void parse_update_delete(struct parser *P, struct cte *ctes, int is_update)
{
    struct scope *S = new_scope(P, NULL, ctes);
    if (!S)
        return;
    if (!is_update)
        accept_kw(P, KW_FROM);
    size_t target_tok = P->i;
    /* the target: a table reference, recorded once the FROM clause can tell an alias */
    parse_from_list(P, S, 2);
    struct source *tsrc = S->src;
    if (!is_update && is_kw(cur(P), KW_FROM)) { /* DELETE t FROM t JOIN ... (T-SQL, MySQL) */
        P->i++;
        parse_from_list(P, S, 0);
    }
    if (is_update && accept_kw(P, KW_SET)) {
        while (!P->err) {
            if (cur(P)->type == T_LPAREN) { /* SET (a, b) = (...) */
                skip_balanced(P);
            } else {
                struct name parts[MAX_PARTS];
                size_t save = P->i;
                int n = read_chain(P, parts, NULL, NULL);
                if (n && tsrc)
                    add_ref(P, S, &parts[n <= MAX_PARTS ? n - 1 : 3], 1, 0, (uint32_t)save, tsrc);
                else if (!n)
                    break;
            }
            if (cur(P)->type == T_OP && P->s[cur(P)->off] == '=')
                P->i++;
            walk(P, S, EX_COMMA, NULL);
            if (cur(P)->type != T_COMMA)
                break;
            P->i++;
        }
    }
    if (accept_kw(P, KW_FROM) || (!is_update && accept_kw(P, KW_USING)))
        parse_from_list(P, S, 0);
    if (accept_kw(P, KW_WHERE))
        walk(P, S, 0, NULL);
    if (accept_kw(P, KW_RETURNING))
        expr_list(P, S);
    /* settle the target: an alias of a later source (UPDATE a SET ... FROM t a) names it */
    if (tsrc && tsrc->kind == SRC_TABLE) {
        struct source *real = tsrc;
        if (!tsrc->has_alias && !memchr(tsrc->table.s, '.', tsrc->table.len))
            for (struct source *s2 = tsrc->next; s2; s2 = s2->next)
                if (s2->has_alias && s2->kind == SRC_TABLE && name_ieq(s2->alias, tsrc->table))
                    real = s2;
        if (real != tsrc) {
            /* the aliased source is the target, not a read */
            for (size_t k = 0; k < P->nreads; k++)
                if (name_eq(P->reads[k], real->table)) {
                    P->reads[k] = P->reads[--P->nreads];
                    break;
                }
            tsrc->table = real->table;
            tsrc->kind = SRC_DERIVED; /* stands for the aliased source: columns go there */
            tsrc->derived = NULL;
            for (struct colref *r = S->refs; r; r = r->next)
                if (r->bound == tsrc)
                    r->bound = real;
        }
        record_table(P, real->table, is_update ? 1 : 3);
    }
    (void)target_tok;
}

static void parse_merge(struct parser *P, struct cte *ctes)
{
    struct scope *S = new_scope(P, NULL, ctes);
    if (!S)
        return;
    accept_kw(P, KW_INTO);
    struct source *tsrc = from_item(P, S, 1);
    if (accept_kw(P, KW_USING))
        from_item(P, S, 0);
    if (accept_kw(P, KW_ON))
        walk(P, S, 0, NULL);
    while (!P->err && accept_kw(P, KW_WHEN)) {
        accept_kw(P, KW_NOT);
        accept_kw(P, KW_MATCHED);
        if (accept_kw(P, KW_BY) && cur(P)->type == T_IDENT)
            P->i++;
        if (accept_kw(P, KW_AND))
            walk(P, S, 0, NULL);
        if (!accept_kw(P, KW_THEN)) {
            P->err = 1;
            return;
        }
        if (accept_kw(P, KW_UPDATE)) {
            accept_kw(P, KW_SET);
            if (cur(P)->type == T_STAR) {
                P->i++;
                continue;
            }
            while (!P->err) {
                struct name parts[MAX_PARTS];
                size_t save = P->i;
                int n = read_chain(P, parts, NULL, NULL);
                if (!n)
                    break;
                if (tsrc)
                    add_ref(P, S, &parts[n <= MAX_PARTS ? n - 1 : 3], 1, 0, (uint32_t)save, tsrc);
                if (cur(P)->type == T_OP && P->s[cur(P)->off] == '=')
                    P->i++;
                walk(P, S, EX_COMMA, NULL);
                if (cur(P)->type != T_COMMA)
                    break;
                P->i++;
            }
        } else if (accept_kw(P, KW_INSERT)) {
            if (cur(P)->type == T_STAR) {
                P->i++;
                continue;
            }
            if (cur(P)->type == T_LPAREN) {
                P->i++;
                while (!P->err && cur(P)->type != T_RPAREN && cur(P)->type != T_EOF) {
                    struct name parts[MAX_PARTS];
                    size_t save = P->i;
                    int n = read_chain(P, parts, NULL, NULL);
                    if (n && tsrc)
                        add_ref(P, S, &parts[n <= MAX_PARTS ? n - 1 : 3], 1, 0, (uint32_t)save,
                                tsrc);
                    else if (!n)
                        P->i++;
                }
                close_with(P, S, T_RPAREN);
            }
            accept_kw(P, KW_ROW);
            if (accept_kw(P, KW_VALUES) && cur(P)->type == T_LPAREN)
                paren(P, S, 0);
        } else if (accept_kw(P, KW_DELETE)) {
        } else {
            /* DO NOTHING, ERROR, ...: skip to the next WHEN */
            while (!P->err && cur(P)->type != T_EOF && cur(P)->type != T_SEMI &&
                   !is_kw(cur(P), KW_WHEN)) {
                if (cur(P)->type == T_LPAREN)
                    skip_balanced(P);
                else
                    P->i++;
            }
        }
    }
}

static void parse_create(struct parser *P, struct cte *ctes)
{
    /* modifiers up to the object kind */
    while (!P->err) {
        const struct tok *t = cur(P);
        if (t->type != T_IDENT || is_kw(t, KW_TABLE) || is_kw(t, KW_VIEW))
            break;
        if (is_kw(t, KW_SCHEMA) || is_kw(t, KW_DATABASE) || is_kw(t, KW_FUNCTION) ||
            is_kw(t, KW_PROCEDURE) || is_kw(t, KW_INDEX) || is_kw(t, KW_SEQUENCE) ||
            is_kw(t, KW_STAGE) || is_kw(t, KW_MACRO) || is_kw(t, KW_TYPE))
            break;
        if (is_kw(t, KW_MATERIALIZED) && is_kw(peek(P, 1), KW_VIEW)) {
            P->i++;
            break;
        }
        P->i++;
    }
    const struct tok *t = cur(P);
    if (is_kw(t, KW_TABLE) || is_kw(t, KW_VIEW)) {
        int view = is_kw(t, KW_VIEW);
        P->i++;
        if (is_kw(cur(P), KW_IF)) {
            P->i++;
            accept_kw(P, KW_NOT);
            accept_kw(P, KW_EXISTS);
        }
        struct name parts[MAX_PARTS], full;
        P->any_name = 1;
        int got = read_chain(P, parts, NULL, &full);
        P->any_name = 0;
        if (!got) {
            P->err = 1;
            return;
        }
        record_table(P, full, 1);
        set_type(P, view ? "CREATE_VIEW" : "CREATE_TABLE");
        int guard = 0;
        while (!P->err && guard++ < 100000) {
            const struct tok *u = cur(P);
            if (u->type == T_EOF || u->type == T_SEMI)
                break;
            if (u->type == T_LPAREN) {
                if (starts_query(peek(P, 1))) {
                    if (!view && P->stype && !strcmp(P->stype, "CREATE_TABLE"))
                        P->stype = "CREATE_TABLE_AS";
                    P->i++;
                    parse_query(P, NULL, ctes);
                    close_with(P, NULL, T_RPAREN);
                } else {
                    skip_balanced(P);
                }
                continue;
            }
            if (starts_query(u) && !is_kw(u, KW_TABLE)) {
                if (!view && P->stype && !strcmp(P->stype, "CREATE_TABLE"))
                    P->stype = "CREATE_TABLE_AS";
                parse_query(P, NULL, ctes);
                continue;
            }
            if ((is_kw(u, KW_CLONE) || is_kw(u, KW_LIKE)) && is_name_tok(peek(P, 1))) {
                int clone = is_kw(u, KW_CLONE);
                P->i++;
                struct name p2[MAX_PARTS], src;
                read_chain(P, p2, NULL, &src);
                record_table(P, src, clone ? 0 : 3);
                continue;
            }
            P->i++;
        }
        return;
    }
    static const struct {
        unsigned kw;
        const char *type;
    } kinds[] = {
        {KW_SCHEMA, "CREATE_SCHEMA"},     {KW_DATABASE, "CREATE_DATABASE"},
        {KW_FUNCTION, "CREATE_FUNCTION"}, {KW_PROCEDURE, "CREATE_PROCEDURE"},
        {KW_INDEX, "CREATE_INDEX"},       {KW_SEQUENCE, "CREATE_SEQUENCE"},
        {KW_STAGE, "CREATE_STAGE"},       {KW_MACRO, "CREATE_MACRO"},
        {KW_TYPE, "CREATE_TYPE"},
    };
    const char *type = "CREATE";
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
        if (is_kw(t, kinds[k].kw))
            type = kinds[k].type;
    set_type(P, type);
    if (is_kw(t, KW_INDEX)) {
        while (!P->err && cur(P)->type != T_EOF && cur(P)->type != T_SEMI && !is_kw(cur(P), KW_ON))
            P->i++;
        if (accept_kw(P, KW_ON)) {
            struct name parts[MAX_PARTS], full;
            if (read_chain(P, parts, NULL, &full))
                record_table(P, full, 0);
        }
    }
    scan_rest(P, ctes);
}

/* COPY: Snowflake COPY INTO target FROM source; PostgreSQL/DuckDB/Redshift COPY t FROM|TO. */
static void parse_copy(struct parser *P, struct cte *ctes)
{
    int into = accept_kw(P, KW_INTO);
    struct name parts[MAX_PARTS], full;
    int have_table = 0, have_query = 0;
    struct name loc = {NULL, 0};
    const struct tok *t = cur(P);
    if (t->type == T_LPAREN) {
        P->i++;
        parse_query(P, NULL, ctes);
        close_with(P, NULL, T_RPAREN);
        have_query = 1;
    } else if (t->type == T_STRING || t->type == T_PARAM) {
        loc = tok_name(P, t);
        if (t->type == T_PARAM)
            loc = (struct name){P->s + t->off, t->len};
        P->i++;
    } else if (read_chain(P, parts, NULL, &full)) {
        have_table = 1;
        if (cur(P)->type == T_LPAREN)
            skip_balanced(P);
    } else {
        scan_rest(P, ctes); /* COPY FROM DATABASE ... */
        return;
    }
    int dir_from = 0, dir_to = 0;
    if (accept_kw(P, KW_FROM))
        dir_from = 1;
    else if (accept_kw(P, KW_TO))
        dir_to = 1;
    struct name other = {NULL, 0};
    if (dir_from || dir_to) {
        const struct tok *u = cur(P);
        if (u->type == T_LPAREN && starts_query(peek(P, 1))) {
            P->i++;
            parse_query(P, NULL, ctes);
            close_with(P, NULL, T_RPAREN);
        } else if (u->type == T_STRING) {
            other = tok_name(P, u);
            P->i++;
        } else if (u->type == T_PARAM) {
            other = (struct name){P->s + u->off, u->len};
            P->i++;
        } else if (is_name_tok(u)) {
            struct name p2[MAX_PARTS], f2;
            read_chain(P, p2, NULL, &f2);
            if (into) /* COPY INTO @stage FROM table */
                record_table(P, f2, 0);
            else
                other = f2; /* STDIN, STDOUT, a path word */
        }
    }
    if (have_table)
        record_table(P, full, dir_to ? 0 : 1);
    if (into && !have_table && loc.s && other.s == NULL) {
        /* COPY INTO location FROM (query) / table: location is the target */
        if (P->nlocs < 4) {
            P->locs[P->nlocs] = loc;
            P->locs_target[P->nlocs++] = 1;
        }
    } else if (other.s && P->nlocs < 4) {
        P->locs[P->nlocs] = other;
        P->locs_target[P->nlocs++] = dir_to || (have_query && !have_table);
    }
    scan_rest(P, ctes);
}

static void parse_statement(struct parser *P, struct cte *ctes)
{
    while (cur(P)->type == T_TEMPLATE)
        P->i++;
    const struct tok *t = cur(P);
    if (t->type == T_EOF || t->type == T_SEMI)
        return;
    if (t->type == T_LPAREN || is_kw(t, KW_SELECT) || is_kw(t, KW_VALUES) || (is_kw(t, KW_FROM)) ||
        (is_kw(t, KW_TABLE) && is_name_tok(peek(P, 1)))) {
        set_type(P, "SELECT");
        parse_query(P, NULL, ctes);
        return;
    }
    if (t->type != T_IDENT || !(kw_flags(t->kw) & KF_STMT)) {
        if (t->type == T_IDENT && peek(P, 1)->type == T_COLON) { /* label: BEGIN */
            P->i += 2;
            parse_statement(P, ctes);
            return;
        }
        P->err = 1;
        return;
    }
    switch (t->kw) {
    case KW_WITH: {
        struct cte *c = parse_with(P, NULL, ctes);
        const struct tok *u = cur(P);
        if (is_kw(u, KW_INSERT) || is_kw(u, KW_UPDATE) || is_kw(u, KW_DELETE) ||
            is_kw(u, KW_MERGE) || is_kw(u, KW_CREATE)) {
            parse_statement(P, c);
        } else {
            set_type(P, "SELECT");
            parse_query(P, NULL, c);
        }
        return;
    }
    case KW_INSERT:
    case KW_UPSERT:
        P->i++;
        set_type(P, "INSERT");
        if (is_kw(cur(P), KW_OR)) {
            P->i++;
            if (cur(P)->type == T_IDENT)
                P->i++;
        }
        parse_insert(P, ctes);
        return;
    case KW_REPLACE:
        if (is_kw(peek(P, 1), KW_INTO)) {
            P->i++;
            set_type(P, "INSERT");
            parse_insert(P, ctes);
            return;
        }
        break;
    case KW_UPDATE:
        P->i++;
        set_type(P, "UPDATE");
        parse_update_delete(P, ctes, 1);
        return;
    case KW_DELETE:
        P->i++;
        set_type(P, "DELETE");
        parse_update_delete(P, ctes, 0);
        return;
    case KW_MERGE:
        P->i++;
        set_type(P, "MERGE");
        parse_merge(P, ctes);
        return;
    case KW_CREATE:
        P->i++;
        parse_create(P, ctes);
        return;
    case KW_COPY:
        P->i++;
        set_type(P, "COPY");
        parse_copy(P, ctes);
        return;
    case KW_DROP:
    case KW_TRUNCATE:
    case KW_ALTER: {
        unsigned kw = t->kw;
        P->i++;
        set_type(P, kw == KW_DROP ? "DROP" : kw == KW_ALTER ? "ALTER" : "TRUNCATE");
        int table = accept_kw(P, KW_TABLE) || (kw == KW_TRUNCATE);
        if (!table && kw != KW_TRUNCATE &&
            (is_kw(cur(P), KW_VIEW) || (is_kw(cur(P), KW_MATERIALIZED)))) {
            accept_kw(P, KW_MATERIALIZED);
            P->i++;
            table = 1;
        }
        if (table) {
            if (accept_kw(P, KW_IF))
                accept_kw(P, KW_EXISTS);
            while (!P->err && is_name_tok(cur(P))) {
                struct name parts[MAX_PARTS], full;
                read_chain(P, parts, NULL, &full);
                record_table(P, full, 3);
                if (cur(P)->type != T_COMMA)
                    break;
                P->i++;
            }
        }
        scan_rest(P, ctes);
        return;
    }
    case KW_EXPLAIN:
    case KW_DESCRIBE:
    case KW_DESC:
    case KW_SUMMARIZE:
        P->i++;
        set_type(P, kw_name(t->kw));
        /* EXPLAIN [ANALYZE] [VERBOSE] [(options)] statement; DESCRIBE [TABLE] name */
        while (cur(P)->type == T_LPAREN ||
               (cur(P)->type == T_IDENT && !(tkflags(cur(P)) & KF_STMT) &&
                (is_kw(cur(P), KW_ANALYZE) || is_kw(cur(P), KW_TABLE) ||
                 ((tkflags(peek(P, 1)) & KF_STMT) && !is_kw(peek(P, 1), KW_FROM)))))
            if (cur(P)->type == T_LPAREN)
                skip_balanced(P);
            else
                P->i++;
        if (is_name_tok(cur(P)) && !(tkflags(cur(P)) & KF_STMT)) {
            struct name parts[MAX_PARTS], full;
            read_chain(P, parts, NULL, &full);
            record_table(P, full, 0);
            scan_rest(P, ctes);
            return;
        }
        if (cur(P)->type != T_SEMI && cur(P)->type != T_EOF)
            parse_statement(P, ctes);
        return;
    case KW_PIVOT:
    case KW_UNPIVOT: {
        P->i++;
        set_type(P, "PIVOT");
        struct scope *S = new_scope(P, NULL, ctes);
        from_item(P, S, 0);
        while (!P->err && cur(P)->type != T_EOF && cur(P)->type != T_SEMI &&
               cur(P)->type != T_RPAREN) {
            if (cur(P)->type == T_IDENT && (tkflags(cur(P)) & KF_TERM))
                P->i++;
            accept_kw(P, KW_BY);
            size_t save = P->i;
            walk(P, S, EX_COMMA, NULL);
            if (cur(P)->type == T_COMMA || P->i == save)
                P->i++;
        }
        return;
    }
    default:
        break;
    }
    set_type(P, kw_name(t->kw));
    P->i++;
    scan_rest(P, ctes);
}

/* ---- entry ---- */

struct sqlfn_ctx {
    struct tokens tk;
    struct arena arena;
};

struct sqlfn_ctx *sqlfn_ctx_new(void)
{
    struct sqlfn_ctx *cx = calloc(1, sizeof(*cx));
    return cx;
}

void sqlfn_ctx_free(struct sqlfn_ctx *cx)
{
    if (!cx)
        return;
    free(cx->tk.v);
    arena_release(&cx->arena);
    free(cx);
}

static uint64_t fnv64(const char *s, size_t n)
{
    return hash_bytes(14695981039346656037ull, s, n, 0);
}

int sqlfn_analyze(struct sqlfn_ctx *cx, const char *sql, size_t len, enum sqlfn_dialect dialect,
                  unsigned want, struct sqlfn_result *out)
{
    memset(out, 0, sizeof(*out));
    arena_reset(&cx->arena);
    if ((unsigned)dialect > SQLFN_SQLITE)
        dialect = SQLFN_ANSI;
    if (sqlfn_lex(sql, len, dialect, &cx->tk) != 0)
        return -1;
    if (want & (SQLFN_WANT_FINGERPRINT | SQLFN_WANT_HASH)) {
        /* the fingerprint needs only the tokens: it stays set when the analysis below fails */
        if (sqlfn_fingerprint(sql, &cx->tk, dialect, &cx->arena, &out->fingerprint) != 0) {
            out->fingerprint.s = NULL;
            return -1;
        }
        /* only when asked for: FNV-1a is a chain of multiplies, one per byte */
        if (want & SQLFN_WANT_HASH)
            out->fingerprint_hash = fnv64(out->fingerprint.s, out->fingerprint.len);
    }
    struct parser *P = arena_alloc(&cx->arena, sizeof(*P));
    if (!P)
        return -1;
    memset(P, 0, sizeof(*P));
    P->s = sql;
    P->t = cx->tk.v;
    P->n = cx->tk.n;
    P->d = dialect;
    P->fold = dialect_fold(dialect);
    P->paths = dialect == SQLFN_SNOWFLAKE || dialect == SQLFN_DATABRICKS;
    P->a = &cx->arena;
    P->want = want;
    if (want & (SQLFN_WANT_TABLES | SQLFN_WANT_COLUMNS | SQLFN_WANT_TYPE)) {
        while (!P->err) {
            while (cur(P)->type == T_SEMI)
                P->i++;
            if (cur(P)->type == T_EOF)
                break;
            size_t start = P->i;
            begin_statement(P);
            parse_statement(P, NULL);
            if (P->err)
                break;
            /* leftovers this analysis does not know: scan them for queries */
            const struct tok *t = cur(P);
            if (t->type != T_SEMI && t->type != T_EOF) {
                if (t->type == T_RPAREN || t->type == T_RBRACKET || t->type == T_RBRACE) {
                    P->err = 1;
                    break;
                }
                if (!(t->type == T_IDENT && (kw_flags(t->kw) & KF_STMT) &&
                      (t->kw == KW_SELECT || t->kw == KW_INSERT || t->kw == KW_UPDATE ||
                       t->kw == KW_DELETE || t->kw == KW_MERGE || t->kw == KW_CREATE ||
                       t->kw == KW_DROP || t->kw == KW_GO)))
                    scan_rest(P, NULL);
            }
            end_statement(P);
            if (P->i == start)
                P->i++;
        }
    }
    if (P->err)
        return -1;
    out->ok = 1;
    out->tables = P->tables;
    out->n_tables = P->ntables;
    out->columns = P->cols;
    out->n_columns = P->ncols;
    out->edges = P->edges;
    out->n_edges = P->nedges;
    out->statement_type = P->stype && *P->stype ? P->stype : NULL;
    return 0;
}
