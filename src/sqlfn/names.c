/*
 * names.c - scopes and names of the SQL analysis: the hash sets of name pairs behind the
 * de-duplicated results, names read from tokens (folding, unquoting, dotted chains), the
 * results (tables, columns, lineage edges) as they are found, and the scope objects
 * (sources, projections, references, CTEs) that resolution works on.
 */
#include "sqlfn/parse.h"

#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

/* n bytes from the arena, or NULL with P->err set when memory runs out. */
static void *alloc_or_fail(struct parser *P, size_t n)
{
    void *p = arena_alloc(P->a, n);
    if (!p)
        P->err = 1;
    return p;
}

static void *grow_copy(struct parser *P, void *old, size_t *cap, size_t n, size_t elem);

void *sa_grow_slow(struct parser *P, void *old, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return old;
    /* the first growth of an array (most calls: each text's first table, column ...) while
     * the arena's block has room: no call, so no register saves; the rest in grow_copy */
    size_t nc = *cap ? *cap * 2 : 16;
    struct arena *a = P->a;
    if (n || ((nc * elem + 7) & ~(size_t)7) > (size_t)(a->lim - a->cur))
        return grow_copy(P, old, cap, n, elem);
    *cap = nc;
    return arena_alloc(a, nc * elem);
}

static __attribute__((noinline)) void *grow_copy(struct parser *P, void *old, size_t *cap, size_t n,
                                                 size_t elem)
{
    size_t nc = *cap ? *cap * 2 : 16;
    void *p = alloc_or_fail(P, nc * elem);
    if (!p)
        return NULL;
    if (old && n)
        memcpy(p, old, n * elem);
    *cap = nc;
    return p;
}

void *sa_alloc0(struct parser *P, size_t n)
{
    void *p = alloc_or_fail(P, n);
    if (p)
        memset(p, 0, sa_opaque(n)); /* inlined with n known: see sa_opaque */
    return p;
}

/* A hash of a name for the pair sets, 8 bytes at a time (loads that overlap rather than
 * read past the end): a set hashes each name once, where hashing byte by byte cost more
 * than the rest of an insertion. */
static inline uint64_t name_hash(struct name x)
{
    const uint64_t k = 0x9E3779B97F4A7C15ull;
    const unsigned char *s = (const unsigned char *)x.s;
    uint32_t n = x.len;
    uint64_t h = n * k, w;
    if (n >= 8) {
        for (uint32_t i = 0; i + 8 < n; i += 8) {
            memcpy(&w, s + i, 8);
            h = (h ^ w) * k;
            h ^= h >> 29;
        }
        memcpy(&w, s + n - 8, 8);
    } else if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + n - 4, 4);
        w = (uint64_t)a << 32 | b;
    } else {
        w = n ? (uint64_t)s[0] << 16 | (uint64_t)s[n / 2] << 8 | s[n - 1] : 0;
    }
    h = (h ^ w) * k;
    return h ^ (h >> 32);
}

/* a.s == NULL (no table) and an empty a are different pairs */
static uint64_t pair_hash(struct name a, struct name b)
{
    uint64_t ha = a.s ? name_hash(a) : 0x5bd1e995u;
    return (ha * 31) ^ name_hash(b);
}

/* Lengths first: most pairs that differ differ in them. The first names (tables) are
 * often the very same pointer, the second (columns) seldom. */
static inline int pair_same(const struct pair *e, struct name a, struct name b)
{
    return e->b.len == b.len && e->a.len == a.len && !e->a.s == !a.s && name_eq(e->a, a) &&
           name_eq(e->b, b);
}

static inline int pair_eq(const struct pair *e, uint64_t h, struct name a, struct name b)
{
    return e->h == h && pair_same(e, a, b);
}

/* Moves the set into a hash table of nc slots; entries of a dense set get their hash now. */
static int pairset_rehash(struct parser *P, struct pairset *ps, size_t nc)
{
    struct pair *ns = sa_alloc0(P, nc * sizeof(*ns));
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

/* The dense array of a set that has none yet; 0, or -1 when out of memory. */
static inline int dense_slots(struct parser *P, struct pairset *ps)
{
    if (!ps->slots)
        ps->slots = alloc_or_fail(P, PS_DENSE * sizeof(*ps->slots));
    return ps->slots ? 0 : -1;
}

/* The first entry of an empty set: a function of its own, small (every text's sets start
 * here, and pairset_add_slow's hash table made its entry and exit cost more than this). */
static __attribute__((noinline)) int pairset_add_first(struct parser *P, struct pairset *ps,
                                                       struct name a, struct name b)
{
    if (dense_slots(P, ps) != 0)
        return -1;
    ps->slots[0] = (struct pair){a, b, 0};
    ps->n = 1;
    return 1;
}

/* sa_pairset_add past the dense array's first free slot: a set growing into, or being,
 * a hash table. */
static int pairset_add_slow(struct parser *P, struct pairset *ps, struct name a, struct name b)
{
    if (!ps->cap) {
        if (dense_slots(P, ps) != 0)
            return -1;
        if (ps->n < PS_DENSE) {
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

/* Inserts (a, b) unless present; returns 1 when new, 0 when present, -1 on no memory.
 * b.s must not be NULL. A dense set compares names directly: most sets stay that small
 * (one or two entries), and hashing cost more than the comparisons. Inline in this file
 * (the columns and tables are added here): only the dense case is. */
static inline __attribute__((always_inline)) int pairset_add(struct parser *P, struct pairset *ps,
                                                             struct name a, struct name b)
{
    if (ps->cap)
        return pairset_add_slow(P, ps, a, b);
    size_t n = ps->n;
    for (size_t i = 0; i < n; i++)
        if (pair_same(&ps->slots[i], a, b))
            return 0;
    if (n == 0 || n >= PS_DENSE)
        return n ? pairset_add_slow(P, ps, a, b) : pairset_add_first(P, ps, a, b);
    ps->slots[n] = (struct pair){a, b, 0};
    ps->n = n + 1;
    return 1;
}

int sa_pairset_add(struct parser *P, struct pairset *ps, struct name a, struct name b)
{
    return pairset_add(P, ps, a, b);
}

int sa_pairset_has(const struct pairset *ps, struct name a, struct name b)
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

int sa_cte_ahead(const struct tok *t)
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

/* ---- names ---- */

static struct name tok_name_rest(struct parser *P, const struct tok *t);

struct name sa_tok_name_slow(struct parser *P, const struct tok *t)
{
    /* the common case here, a short name the folding changes, folded two words at once
     * as the fingerprint folds (the arena rounds to 8); the rest in a function of its own,
     * so that this one saves no registers */
    if (t->type == T_IDENT && (t->flags & P->fold_flags) && t->len <= 16 &&
        P->t[P->n - 1].off - t->off >= 16 && (size_t)(P->a->lim - P->a->cur) >= 16) {
        const char *s = P->s + t->off;
        unsigned char lo = P->fold == 'L' ? 'A' : 'a';
        char *c = arena_alloc(P->a, 16);
        sa_fold16(c, s, lo);
        return (struct name){c, t->len};
    }
    return tok_name_rest(P, t);
}

static __attribute__((noinline)) struct name tok_name_rest(struct parser *P, const struct tok *t)
{
    const char *s = P->s + t->off;
    uint32_t n = t->len;
    struct name r = {s, n};
    if (t->type == T_IDENT) {
        char f = P->fold;
        /* the lexer saw whether the name has letters the folding changes ('P': none) */
        if (!(t->flags & P->fold_flags))
            return r;
        unsigned char lo = f == 'L' ? 'A' : 'a';
        size_t textlen = P->t[P->n - 1].off; /* the final T_EOF's offset */
        if (n <= 16 && textlen - t->off >= 16) {
            /* two words at once (sa_tok_name_slow found the arena's block full) */
            char *c = arena_alloc(P->a, 16);
            if (!c) {
                P->err = 1;
                return r;
            }
            sa_fold16(c, s, lo);
            r.s = c;
            return r;
        }
        uint32_t i = 0;
        while (i < n && (unsigned char)((unsigned char)s[i] - lo) >= 26)
            i++;
        if (i == n)
            return r;
        char *c = arena_alloc(P->a, n);
        if (!c) {
            P->err = 1;
            return r;
        }
        memcpy(c, s, i);
        for (uint32_t j = i; j < n; j++) {
            unsigned char ch = (unsigned char)s[j];
            c[j] = (char)((unsigned char)(ch - lo) < 26 ? ch ^ 0x20 : ch);
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

/* sa_read_chain (parse.h) past its common case: a name of several parts, or no name. */
int sa_read_chain_slow(struct parser *P, struct name *parts, int *star, struct name *full)
{
    const struct tok *t = cur(P);
    if (!is_name_tok(t) && !(t->type == T_IDENT && ((kw_flags(t->kw) & KF_FN) || P->any_name)))
        return 0;
    if (star)
        *star = 0;
    /* most names are one part: no dot follows (t[1] is at worst the T_EOF padding) */
    if ((t->type == T_IDENT || t->type == T_QIDENT || t->type == T_TEMPLATE) &&
        t[1].type != T_DOT) {
        parts[0] = sa_tok_name(P, t);
        P->i++;
        if (full)
            *full = parts[0];
        return 1;
    }
    int n = 0;
    size_t first = P->i, last = P->i;
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
                parts[n] = sa_tok_name(P, t);
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
                    total += sa_tok_name(P, &P->t[j]).len + 1;
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
                struct name x = sa_tok_name(P, &P->t[j]);
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
void sa_record_table(struct parser *P, struct name tname, int write)
{
    if (!tname.len || P->err)
        return;
    static const char nul[1] = "";
    int r = pairset_add(P, &P->tabset, (struct name){nul, 0}, tname);
    if (r < 0)
        return;
    if (r == 1) {
        P->tables = sa_grow(P, P->tables, &P->captables, P->ntables, sizeof(*P->tables));
        if (!P->tables)
            return;
        P->tables[P->ntables++] = (struct sqlfn_str){tname.s, tname.len};
    }
    /* the access kinds and the reads (lineage edges) only for the functions that give them */
    int links = (P->want & SQLFN_WANT_TABLES) != 0;
    if (links) {
        int reading = write == 0 || !P->access;
        const char *kind = reading ? "read" : P->access;
        P->acc = sa_grow(P, P->acc, &P->capacc, P->nacc, sizeof(*P->acc));
        if (P->acc)
            P->acc[P->nacc++] =
                (struct pair){{kind, reading ? 4 : (uint32_t)strlen(kind)}, tname, 0};
    }
    if (write == 3)
        return;
    if (write) {
        for (int i = 0; i < P->ntargets; i++)
            if (name_eq(P->targets[i], tname))
                return;
        if (P->ntargets < 8)
            P->targets[P->ntargets++] = tname;
    } else if (links) {
        sa_add_read(P, tname);
    }
}

/* A table the statement reads from, for its lineage. */
void sa_add_read(struct parser *P, struct name tname)
{
    static const char nul[1] = "";
    int r = pairset_add(P, &P->stmt_reads, (struct name){nul, 0}, tname);
    if (r == 1) {
        P->reads = sa_grow(P, P->reads, &P->capreads, P->nreads, sizeof(*P->reads));
        if (P->reads)
            P->reads[P->nreads++] = tname;
    }
}

void sa_emit_col(struct parser *P, struct name table, const struct name *tp, struct name col)
{
    if (P->lin) {
        if (col.s && !P->err)
            sa_lineage_emit(P, table, tp != NULL, col);
        return;
    }
    if (!(P->want & SQLFN_WANT_COLUMNS) || P->err || !col.s)
        return;
    struct name a = tp ? table : (struct name){NULL, 0};
    int r = pairset_add(P, &P->colset, a, col);
    if (r != 1)
        return;
    P->cols = sa_grow(P, P->cols, &P->capcols, P->ncols, sizeof(*P->cols));
    if (!P->cols)
        return;
    struct sqlfn_column *c = &P->cols[P->ncols++];
    c->table = (struct sqlfn_str){a.s, a.len};
    c->column = (struct sqlfn_str){col.s, col.len};
}

/* An edge src -> dst; src.s == NULL for a target written from no table. */
void sa_emit_edge(struct parser *P, struct name src, struct name dst)
{
    if (P->err || (src.s && !src.len) || !dst.len)
        return;
    if (pairset_add(P, &P->edgeset, src, dst) != 1)
        return;
    P->edges = sa_grow(P, P->edges, &P->capedges, P->nedges, sizeof(*P->edges));
    if (!P->edges)
        return;
    P->edges[P->nedges++] = (struct sqlfn_edge){{src.s, src.len}, {dst.s, dst.len}};
}

/* ---- scopes ---- */

/* The arena's block has room for n more bytes: the allocation then needs no call, and a
 * function whose common path makes none saves no registers (the other path goes to a
 * function of its own). */
static inline int arena_room(const struct parser *P, size_t n)
{
    return (size_t)(P->a->lim - P->a->cur) >= n;
}

/* Sets up a new scope S (zeroed by a copy of fixed size: wide moves, not a call to memset). */
static inline struct scope *scope_init(struct parser *P, struct scope *S, struct scope *parent,
                                       struct cte *ctes)
{
    static const struct scope empty;
    *S = empty;
    S->parent = parent;
    S->ctes = ctes;
    S->src_tail = &S->src;
    S->ref_tail = &S->refs;
    S->proj_tail = &S->proj;
    *P->scopes_tail = S;
    P->scopes_tail = &S->all_next;
    return S;
}

static __attribute__((noinline)) struct scope *
new_scope_slow(struct parser *P, struct scope *parent, struct cte *ctes)
{
    struct scope *S = alloc_or_fail(P, sizeof(*S));
    return S ? scope_init(P, S, parent, ctes) : NULL;
}

struct scope *sa_new_scope(struct parser *P, struct scope *parent, struct cte *ctes)
{
    if (!arena_room(P, sizeof(struct scope)))
        return new_scope_slow(P, parent, ctes);
    return scope_init(P, arena_alloc(P->a, sizeof(struct scope)), parent, ctes);
}

/* Sets up a new source of S (zeroed as scope_init zeroes). */
static inline struct source *source_init(struct scope *S, struct source *src, int kind)
{
    static const struct source empty;
    *src = empty;
    if (!S)
        return src;
    src->kind = kind;
    *S->src_tail = src;
    S->src_tail = &src->next;
    S->nsrc++;
    return src;
}

static __attribute__((noinline)) struct source *add_source_slow(struct parser *P, struct scope *S,
                                                                int kind)
{
    struct source *src = alloc_or_fail(P, sizeof(*src));
    return src ? source_init(S, src, kind) : NULL;
}

struct source *sa_add_source(struct parser *P, struct scope *S, int kind)
{
    if (!arena_room(P, sizeof(struct source)))
        return add_source_slow(P, S, kind);
    return source_init(S, arena_alloc(P->a, sizeof(struct source)), kind);
}

/* Fills a new reference r and appends it to S's. */
static inline void colref_fill(struct scope *S, struct colref *r, const struct name *parts, int n,
                               int star, uint32_t pos, struct source *bound)
{
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

/* sa_add_ref when the arena's block has no room left. */
static __attribute__((noinline)) void add_ref_slow(struct parser *P, struct scope *S,
                                                   const struct name *parts, int n, int star,
                                                   uint32_t pos, struct source *bound)
{
    struct colref *r = alloc_or_fail(P, sizeof(*r));
    if (r)
        colref_fill(S, r, parts, n, star, pos, bound);
}

void sa_add_ref(struct parser *P, struct scope *S, const struct name *parts, int n, int star,
                uint32_t pos, struct source *bound)
{
    if (!S || !(P->want & SQLFN_WANT_COLUMNS))
        return;
    /* the arena's block has room (most calls): no call on this path, so no registers saved */
    if (!arena_room(P, sizeof(struct colref))) {
        add_ref_slow(P, S, parts, n, star, pos, bound);
        return;
    }
    colref_fill(S, arena_alloc(P->a, sizeof(struct colref)), parts, n, star, pos, bound);
}

/* Sets up projection p of S: every field set here, the unused qualifier parts zero,
 * without memset (a call, or for a whole struct `rep stos`, whose start-up costs more). */
static inline struct proj *proj_init(struct scope *S, struct proj *p, struct name nm, uint32_t pos,
                                     int alias, int star, const struct name *q, int nq)
{
    static const struct name no_parts[MAX_PARTS];
    p->next = NULL;
    p->name = nm;
    p->pos = pos;
    p->alias = (uint8_t)alias;
    p->star = (uint8_t)star;
    p->nq = (uint8_t)(nq < MAX_PARTS ? nq : MAX_PARTS);
    memcpy(p->q, no_parts, sizeof(p->q));
    for (int i = 0; i < p->nq; i++)
        p->q[i] = q[i];
    *S->proj_tail = p;
    S->proj_tail = &p->next;
    S->nproj++;
    S->naliases += alias != 0;
    S->pidx = NULL; /* rebuilt on the next lookup */
    return p;
}

static __attribute__((noinline)) struct proj *add_proj_slow(struct parser *P, struct scope *S,
                                                            struct name nm, uint32_t pos, int alias,
                                                            int star, const struct name *q, int nq)
{
    struct proj *p = alloc_or_fail(P, sizeof(*p));
    return p ? proj_init(S, p, nm, pos, alias, star, q, nq) : NULL;
}

struct proj *sa_add_proj(struct parser *P, struct scope *S, struct name nm, uint32_t pos, int alias,
                         int star, const struct name *q, int nq)
{
    if (!S)
        return NULL;
    if (!arena_room(P, sizeof(struct proj)))
        return add_proj_slow(P, S, nm, pos, alias, star, q, nq);
    return proj_init(S, arena_alloc(P->a, sizeof(struct proj)), nm, pos, alias, star, q, nq);
}

/* Marks tokens [b, e) with a lineage role, keeping the roles inner clauses gave. */
void sa_mark_role(struct parser *P, size_t b, size_t e, int role)
{
    if (!P->role)
        return;
    for (size_t j = b; j < e && j < P->n; j++)
        if (!P->role[j])
            P->role[j] = (uint8_t)role;
}

/* The first projection named `nm` (case-insensitive); a hash index past 8 projections
 * keeps wide SELECT lists linear. */
static const struct proj *find_proj_hashed(struct parser *P, struct scope *S, struct name nm);

const struct proj *sa_find_proj(struct parser *P, struct scope *S, struct name nm)
{
    if (S->nproj > 8)
        return find_proj_hashed(P, S, nm);
    for (const struct proj *p = S->proj; p; p = p->next)
        if (!p->star && name_ieq(p->name, nm))
            return p;
    return NULL;
}

/* sa_find_proj past 8 projections (a function of its own: the short scan above then saves
 * no registers). */
static __attribute__((noinline)) const struct proj *
find_proj_hashed(struct parser *P, struct scope *S, struct name nm)
{
    if (!S->pidx) {
        uint32_t cap = 16;
        while (cap < S->nproj * 2)
            cap *= 2;
        struct proj **ix = sa_alloc0(P, cap * sizeof(*ix));
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

int sa_scope_has_star(const struct scope *S)
{
    for (const struct proj *p = S->proj; p; p = p->next)
        if (p->star)
            return 1;
    return 0;
}

struct cte *sa_find_cte(const struct scope *S, struct cte *ctes, struct name nm)
{
    (void)S;
    for (struct cte *c = ctes; c; c = c->next)
        if (name_ieq(c->name, nm))
            return c;
    return NULL;
}
