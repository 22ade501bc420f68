/*
 * lineage.c - column-level lineage of the SQL analysis (sql_column_lineage): once a
 * writing statement is read and its columns resolved, each target column gets the source
 * columns its value comes from (DIRECT: IDENTITY, TRANSFORMATION, AGGREGATION) and the
 * columns that decide it (INDIRECT: WINDOW, CONDITIONAL), and the whole target gets the
 * columns of its joins, filters, groupings and sorts (INDIRECT with no target column),
 * in OpenLineage's vocabulary. References through subqueries and CTEs are followed to the
 * base tables' columns (columns.c resolves them with parser.lin set, and sa_emit_col
 * hands each base column here).
 *
 * Target columns come from INSERT's column list, else the catalog's columns of the target
 * (by position), else the select list's names; UPDATE and MERGE take their SET lists.
 */
#include "sqlfn/parse.h"

#include <string.h>

#include "util/banned.h"

static const char *const role_name[] = {
    [ROLE_NONE] = NULL,          [ROLE_JOIN] = "JOIN", [ROLE_FILTER] = "FILTER",
    [ROLE_GROUP] = "GROUP_BY",   [ROLE_SORT] = "SORT", [ROLE_WINDOW] = "WINDOW",
    [ROLE_COND] = "CONDITIONAL",
};

/* A name joined from several, for the dedupe set. */
static struct name join_key(struct parser *P, const struct name *v, int n)
{
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += v[i].len + 1;
    char *c = arena_alloc(P->a, total + 1);
    if (!c) {
        P->err = 1;
        return (struct name){"", 0};
    }
    size_t o = 0;
    for (int i = 0; i < n; i++) {
        if (v[i].s)
            memcpy(c + o, v[i].s, v[i].len);
        o += v[i].len;
        c[o++] = v[i].s ? '\x1f' : '\x1e';
    }
    return (struct name){c, (uint32_t)o};
}

static struct name cstr(const char *s)
{
    return (struct name){s, s ? (uint32_t)strlen(s) : 0};
}

void sa_lineage_emit(struct parser *P, struct name table, int has_table, struct name col)
{
    const struct lin_ctx *L = P->lin;
    struct name st = has_table ? table : (struct name){NULL, 0};
    struct name tc = L->tcol;
    if (tc.s && tc.len == 1 && tc.s[0] == '*')
        tc = col; /* a star: each column keeps its name */
    struct name key[6] = {st, col, L->ttable, tc, cstr(L->type), cstr(L->subtype)};
    static const char nul[1] = "";
    if (sa_pairset_add(P, &P->linset, (struct name){nul, 0}, join_key(P, key, 6)) != 1)
        return;
    P->lins = sa_grow(P, P->lins, &P->caplins, P->nlins, sizeof(*P->lins));
    if (!P->lins)
        return;
    struct sqlfn_col_lineage *e = &P->lins[P->nlins++];
    e->source_table = (struct sqlfn_str){st.s, st.len};
    e->source_column = (struct sqlfn_str){col.s, col.len};
    e->target_table = (struct sqlfn_str){L->ttable.s, L->ttable.len};
    e->target_column = (struct sqlfn_str){tc.s, tc.len};
    e->type = L->type;
    e->subtype = L->subtype;
}

const struct sel_item *sa_item_of(const struct scope *S, const struct proj *p)
{
    for (size_t i = 0; i < S->nitems; i++)
        if (S->items[i].p == p)
            return &S->items[i];
    return NULL;
}

/* The subtype of a value computed by an item from a value of subtype `inner`. */
static const char *compose(const char *outer, const struct sel_item *it)
{
    if (!strcmp(outer, "AGGREGATION") || it->agg)
        return "AGGREGATION";
    if (!strcmp(outer, "TRANSFORMATION") || !it->identity)
        return "TRANSFORMATION";
    return "IDENTITY";
}

/* Resolves the references of scope S whose tokens lie in [b, e) with the lineage context
 * `L`: DIRECT ones take the item's subtype, unless their token's role (a window, a CASE
 * condition) makes them INDIRECT. */
static void lineage_range(struct parser *P, struct scope *S, uint32_t b, uint32_t e,
                          struct lin_ctx L)
{
    for (struct colref *r = S->refs; r && !P->err; r = r->next) {
        if (r->pos < b || r->pos >= e)
            continue;
        struct lin_ctx x = L;
        int role = r->pos < P->n ? P->role[r->pos] : 0;
        if (!strcmp(L.type, "DIRECT") && (role == ROLE_WINDOW || role == ROLE_COND)) {
            x.type = "INDIRECT";
            x.subtype = role_name[role];
        }
        P->lin = &x;
        sa_resolve_ref(P, S, r);
        P->lin = NULL;
    }
}

/* Follows a reference to a derived table's column into the inner select-list item. */
void sa_lineage_item(struct parser *P, struct scope *d, const struct proj *p, int depth)
{
    const struct sel_item *it = sa_item_of(d, p);
    if (!it || depth > 16 || !P->lin)
        return;
    struct lin_ctx *keep = P->lin;
    size_t idx = (size_t)(it - d->items);
    /* every operand of a UNION feeds the column, by position */
    int k = 0;
    for (struct scope *q = d; q && k < 1000 && !P->err; q = q->union_next, k++) {
        if (idx >= q->nitems)
            continue;
        const struct sel_item *qi = &q->items[idx];
        struct lin_ctx L = *keep;
        if (!strcmp(L.type, "DIRECT"))
            L.subtype = compose(L.subtype, qi);
        lineage_range(P, q, qi->b, qi->e, L);
        P->lin = keep;
    }
}

/* COPY of a table to a file, or of a file into a table: each column copied (COPY's list,
 * else the table's catalog columns, else "*") to the same name, DIRECT IDENTITY. */
static void copy_table(struct parser *P, struct name target)
{
    const struct name *cols = P->tcols;
    uint32_t n = (uint32_t)P->ntcols;
    if (!n && P->cat) {
        const struct cat_entry *e = sa_catalog_table(P->cat, P->copy_tab, P->a);
        if (e)
            cols = sa_catalog_columns(e, &n);
    }
    static const struct name star = {"*", 1};
    if (!n) {
        cols = &star;
        n = 1;
    }
    for (uint32_t i = 0; i < n && !P->err; i++) {
        struct lin_ctx x = {target, cols[i], "DIRECT", "IDENTITY"};
        P->lin = &x;
        sa_lineage_emit(P, P->copy_src, 1, cols[i]);
        P->lin = NULL;
    }
}

void sa_column_lineage(struct parser *P)
{
    if (!P->role || P->err)
        return;
    struct name target = P->ntargets ? P->targets[0] : P->lin_target;
    if (!target.s)
        return;
    if (P->copy_src.s) {
        copy_table(P, target);
        return;
    }
    struct scope *Q = P->lin_main;
    /* target column names: the INSERT list, the catalog's columns, or the items' names */
    const struct name *tcols = P->tcols;
    uint32_t ntcols = (uint32_t)P->ntcols;
    if (!ntcols && P->cat) {
        const struct cat_entry *e = sa_catalog_table(P->cat, target, P->a);
        if (e && Q) {
            int star = 0;
            for (size_t i = 0; i < Q->nitems; i++)
                if (Q->items[i].p && Q->items[i].p->star)
                    star = 1;
            if (!star)
                tcols = sa_catalog_columns(e, &ntcols);
        }
    }
    /* every operand of a UNION feeds the targets; names come from the first */
    int nq = 0;
    for (struct scope *Qk = Q; Qk && nq < 1000 && !P->err; Qk = Qk->union_next, nq++) {
        for (size_t i = 0; i < Qk->nitems && !P->err; i++) {
            const struct sel_item *it = &Qk->items[i];
            const struct sel_item *first = i < Q->nitems ? &Q->items[i] : NULL;
            struct name tc = {NULL, 0};
            if (i < ntcols)
                tc = tcols[i];
            else if (!ntcols && first && first->p)
                tc = first->p->name;
            if (!tc.s)
                continue;
            const char *sub = it->agg        ? "AGGREGATION"
                              : it->identity ? "IDENTITY"
                                             : "TRANSFORMATION";
            if (it->p && it->p->star) {
                tc = (struct name){"*", 1};
                sub = "IDENTITY";
            }
            lineage_range(P, Qk, it->b, it->e, (struct lin_ctx){target, tc, "DIRECT", sub});
        }
    }
    for (size_t i = 0; i < P->nsets && !P->err; i++) {
        const struct set_item *si = &P->sets[i];
        int identity = si->e == si->b + 1 || (si->e == si->b + 3 && P->t[si->b + 1].type == T_DOT);
        lineage_range(
            P, si->S, si->b, si->e,
            (struct lin_ctx){target, si->col, "DIRECT", identity ? "IDENTITY" : "TRANSFORMATION"});
    }
    /* joins, filters, groupings and sorts anywhere in the statement: the whole target */
    for (struct scope *S = P->scopes; S && !P->err; S = S->all_next) {
        for (struct colref *r = S->refs; r; r = r->next) {
            int role = r->pos < P->n ? P->role[r->pos] : 0;
            if (role != ROLE_JOIN && role != ROLE_FILTER && role != ROLE_GROUP && role != ROLE_SORT)
                continue;
            if (S != Q && Q && r->pos >= Q->sel_begin && r->pos < Q->sel_end)
                continue; /* a subquery inside an item: counted with the item */
            struct lin_ctx x = {target, {NULL, 0}, "INDIRECT", role_name[role]};
            P->lin = &x;
            sa_resolve_ref(P, S, r);
            P->lin = NULL;
        }
    }
}
