/*
 * columns.c - column resolution of the SQL analysis: once a statement is read, every
 * column reference is attributed to a table through its scope and the enclosing ones
 * (aliases, subqueries and CTEs followed to where a column comes from).
 */
#include "sqlfn/parse.h"

#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

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
static int resolve_in(struct parser *P, struct scope *S, struct colref *r, struct name col,
                      int depth, int may_defer);

static int is_func_col(struct name n)
{
    /* with their lengths: no strlen per test */
    static const struct name cols[] = {{"value", 5},       {"key", 3},    {"index", 5},
                                       {"path", 4},        {"this", 4},   {"seq", 3},
                                       {"element", 7},     {"col", 3},    {"pos", 3},
                                       {"ordinality", 10}, {"unnest", 6}, {"generate_series", 15},
                                       {"range", 5},       {"offset", 6}, {"elem", 4}};
    for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
        if (name_ieq(n, cols[i]))
            return 1;
    return 0;
}

/* An unqualified column in scope S (which has sources). */
/* The catalog entry of a table source, looked up once. */
static const struct cat_entry *src_cat(struct parser *P, struct source *src)
{
    if (!src->cat_done) {
        src->cat_done = 1;
        src->cat = P->cat ? sa_catalog_table(P->cat, src->table, P->a) : NULL;
    }
    return src->cat;
}

static int src_has(struct parser *P, struct source *src, struct name col, int depth);

/* Does a scope's select list output col through a star? 1 yes, 0 no, -1 cannot tell. */
static int star_outputs(struct parser *P, struct scope *d, struct name col, int depth)
{
    int res = 0;
    for (const struct proj *p = d->proj; p; p = p->next) {
        if (!p->star)
            continue;
        if (p->nq) {
            struct source *src = match_source(d, p->q, p->nq);
            int r = src ? src_has(P, src, col, depth + 1) : -1;
            if (r == 1)
                return 1;
            if (r < 0)
                res = -1;
            continue;
        }
        for (struct source *src = d->src; src; src = src->next) {
            int r = src_has(P, src, col, depth + 1);
            if (r == 1)
                return 1;
            if (r < 0)
                res = -1;
        }
    }
    return res;
}

/* Does source src have column col? 1 yes, 0 no (the catalog or the query says so), -1
 * cannot tell. */
static int src_has(struct parser *P, struct source *src, struct name col, int depth)
{
    if (depth > 16)
        return -1;
    if (src->kind == SRC_TABLE) {
        const struct cat_entry *e = src_cat(P, src);
        return e ? sa_catalog_has(e, col) : -1;
    }
    if (src->kind == SRC_DERIVED) {
        if (!src->derived || src->renamed)
            return -1;
        if (sa_find_proj(P, src->derived, col))
            return 1;
        return star_outputs(P, src->derived, col, depth);
    }
    if (src->has_alias && name_ieq(src->alias, col))
        return 1;
    for (uint32_t k = 0; k < src->nouts; k++)
        if (name_ieq(src->outs[k], col))
            return 1;
    return is_func_col(col) ? -1 : 0;
}

/* With a catalog: the one source of S that has col takes it; 0 when S has none that can
 * (a correlated reference: the caller looks in the enclosing scope), -1 when some source
 * cannot tell. */
static int resolve_by_catalog(struct parser *P, struct scope *S, struct name col, int depth)
{
    struct source *hit = NULL;
    int unknown = 0;
    for (struct source *src = S->src; src; src = src->next) {
        int r = src_has(P, src, col, depth);
        if (r == 1 && !hit)
            hit = src;
        else if (r < 0)
            unknown++;
    }
    if (hit) {
        if (hit->kind != SRC_FUNC)
            attribute(P, hit, col, depth);
        return 1;
    }
    return unknown ? -1 : 0;
}

/* An unqualified column in scope S (which has sources). Returns 1 when settled here, 0
 * when S cannot have it (the enclosing scope may). */
static int resolve_in(struct parser *P, struct scope *S, struct colref *r, struct name col,
                      int depth, int may_defer)
{
    if (P->cat) {
        int rc = resolve_by_catalog(P, S, col, depth);
        if (rc >= 0)
            return rc;
    }
    if (S->nsrc == 1) {
        attribute(P, S->src, col, depth);
        return 1;
    }
    struct source *hit = NULL, *table = NULL;
    int nhit = 0, ntables = 0, nunknown = 0, nfunc = 0;
    for (struct source *src = S->src; src; src = src->next) {
        if (src->kind == SRC_FUNC) {
            /* UNNEST(a) AS x, UNNEST(a) AS t(x): x is the function's output */
            if (src->has_alias && name_ieq(src->alias, col))
                return 1;
            for (uint32_t k = 0; k < src->nouts; k++)
                if (name_ieq(src->outs[k], col))
                    return 1;
            nfunc++;
        } else if (src->kind == SRC_TABLE) {
            table = src;
            ntables++;
        } else if (src->kind == SRC_DERIVED && src->derived && !src->renamed) {
            if (sa_find_proj(P, src->derived, col)) {
                hit = src;
                nhit++;
            } else if (sa_scope_has_star(src->derived)) {
                nunknown++;
            }
        } else {
            nunknown++;
        }
    }
    if (nfunc && is_func_col(col))
        return 1; /* value, key, index ...: the output of FLATTEN/UNNEST/... */
    if (nhit == 1) {
        attribute(P, hit, col, depth);
        return 1;
    }
    if (nhit == 0 && ntables == 1 && nunknown == 0) {
        attribute(P, table, col, depth);
        return 1;
    }
    if (!may_defer)
        return 1;
    if (P->lin) {
        sa_emit_col(P, (struct name){NULL, 0}, NULL, col);
        return 1;
    }
    (void)r;
    P->pend = sa_grow(P, P->pend, &P->cappend, P->npend, sizeof(*P->pend));
    if (!P->pend)
        return 1;
    P->pend[P->npend].scope = S;
    P->pend[P->npend].col = col;
    P->npend++;
    return 1;
}

static void attribute_derived(struct parser *P, struct source *src, struct name col, int depth);

static void attribute(struct parser *P, struct source *src, struct name col, int depth)
{
    if (!src || depth > 16)
        return;
    /* a table's column (most calls) straight on, the rest in a function of its own: this
     * one then saves no registers */
    if (src->kind == SRC_TABLE)
        sa_emit_col(P, src->table, &src->table, col);
    else
        attribute_derived(P, src, col, depth);
}

static __attribute__((noinline)) void attribute_derived(struct parser *P, struct source *src,
                                                        struct name col, int depth)
{
    if (src->kind != SRC_DERIVED || !src->derived || src->renamed)
        return;
    struct scope *d = src->derived;
    const struct proj *pj = sa_find_proj(P, d, col);
    if (pj) {
        if (P->lin) /* column lineage: follow the inner item to its columns */
            sa_lineage_item(P, d, pj, depth + 1);
        return; /* the inner query reported where it comes from */
    }
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

/* Is the unqualified name at token pos an earlier select-list alias rather than a column?
 * A column of the scope's sources wins when the catalog says one has it (SELECT a AS b,
 * b AS a keeps both columns); without a catalog a name inside the select list is a
 * column, and one after it (ORDER BY total) an alias. */
static int is_alias_ref(struct parser *P, struct scope *S, struct name nm, uint32_t pos)
{
    if (!S->naliases) /* no alias to find: the lookup below would find none */
        return 0;
    const struct proj *p = sa_find_proj(P, S, nm);
    if (!(p && p->alias && p->pos < pos))
        return 0;
    if (P->cat) {
        int unknown = 0;
        for (struct source *src = S->src; src; src = src->next) {
            int r = src_has(P, src, nm, 0);
            if (r == 1)
                return 0;
            if (r < 0)
                unknown = 1;
        }
        if (!unknown)
            return 1;
    }
    return !(pos >= S->sel_begin && pos < S->sel_end);
}

static void emit_star(struct parser *P, struct source *src, int depth);

/* Column lineage of a star over derived table d: each of its columns to the target column
 * of the same name (the lineage context's "*"), through the inner select list; the inner
 * query's own stars go on to its sources. */
static void lineage_star(struct parser *P, struct scope *d, int depth)
{
    struct lin_ctx *keep = P->lin;
    if (depth > 16)
        return;
    for (const struct proj *p = d->proj; p && !P->err; p = p->next) {
        if (p->star) {
            if (p->nq) {
                struct source *src = match_source(d, p->q, p->nq);
                if (src)
                    emit_star(P, src, depth + 1);
            } else {
                for (struct source *src = d->src; src; src = src->next)
                    emit_star(P, src, depth + 1);
            }
            continue;
        }
        struct lin_ctx x = *keep;
        if (x.tcol.s && x.tcol.len == 1 && x.tcol.s[0] == '*')
            x.tcol = p->name;
        P->lin = &x;
        sa_lineage_item(P, d, p, depth + 1);
        P->lin = keep;
    }
}

/* A star: the catalog's columns of each table it covers, else {table, '*'}; for column
 * lineage, a derived table's columns too. */
static void emit_star(struct parser *P, struct source *src, int depth)
{
    if (P->lin && src->kind == SRC_DERIVED && src->derived && !src->renamed) {
        lineage_star(P, src->derived, depth);
        return;
    }
    if (src->kind != SRC_TABLE)
        return;
    const struct cat_entry *e = src_cat(P, src);
    if (!e) {
        sa_emit_col(P, src->table, &src->table, (struct name){"*", 1});
        return;
    }
    uint32_t n;
    const struct name *cols = sa_catalog_columns(e, &n);
    for (uint32_t i = 0; i < n; i++)
        sa_emit_col(P, src->table, &src->table, cols[i]);
}

static void resolve_ref(struct parser *P, struct scope *S, struct colref *r);

void sa_resolve_ref(struct parser *P, struct scope *S, struct colref *r)
{
    /* the common case: an unqualified column of a scope that reads one table, without an
     * alias it could name or a catalog to ask (resolve_in and attribute come to this);
     * the rest in a function of its own, so that this one saves no registers */
    if (r->nparts == 1 && !r->star && !r->bound && !S->naliases && !P->cat && S->nsrc == 1 &&
        S->src->kind == SRC_TABLE)
        sa_emit_col(P, S->src->table, &S->src->table, r->parts[0]);
    else
        resolve_ref(P, S, r);
}

static __attribute__((noinline)) void resolve_ref(struct parser *P, struct scope *S,
                                                  struct colref *r)
{
    if (r->bound) {
        attribute(P, r->bound, r->parts[0], 0);
        return;
    }
    if (r->star) {
        if (r->nparts == 0) {
            if (S->exists && P->cat)
                return; /* EXISTS (SELECT * ...) reads no column through its star */
            for (struct source *src = S->src; src; src = src->next)
                emit_star(P, src, 0);
            return;
        }
        for (struct scope *sc = S; sc; sc = sc->parent) {
            struct source *src = match_source(sc, r->parts, r->nparts);
            if (src) {
                emit_star(P, src, 0);
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
        /* one table and no catalog: resolve_in and attribute come to this */
        if (sc->nsrc == 1 && sc->src->kind == SRC_TABLE && !P->cat) {
            sa_emit_col(P, sc->src->table, &sc->src->table, col);
            return;
        }
        if (resolve_in(P, sc, r, col, 0, 1))
            return;
    }
    sa_emit_col(P, (struct name){NULL, 0}, NULL, col);
}

/* Ambiguous columns: a table of the scope that already has the column takes it; else the
 * column is reported without a table. */
void sa_settle_pending(struct parser *P)
{
    if (!P->npend) /* most statements: before the registers the loop saves */
        return;
    for (size_t i = 0; i < P->npend; i++) {
        struct scope *S = P->pend[i].scope;
        struct name col = P->pend[i].col;
        int found = 0;
        for (struct source *src = S->src; src && !found; src = src->next)
            if (src->kind == SRC_TABLE && sa_pairset_has(&P->colset, src->table, col))
                found = 1;
        if (!found)
            sa_emit_col(P, (struct name){NULL, 0}, NULL, col);
    }
    P->npend = 0;
}
