/*
 * statement.c - statement forms of the SQL analysis: INSERT, UPDATE, DELETE, MERGE,
 * CREATE, COPY, DROP/ALTER/TRUNCATE, EXPLAIN/DESCRIBE, PIVOT and the rest (scanned for
 * embedded queries), with the statement type; and the lineage edges of a statement
 * once it is read.
 */
#include "sqlfn/parse.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/banned.h"

/* ---- statements ---- */

void sa_begin_statement(struct parser *P)
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
    P->nacc = 0;
    P->access = NULL;
    P->lin_main = NULL;
    P->lin_target = P->copy_src = P->copy_tab = (struct name){NULL, 0};
    P->ntcols = 0;
    P->nsets = 0;
}

/* The statement's table accesses join the text's, without duplicates. */
static void end_access(struct parser *P)
{
    for (size_t i = 0; i < P->nacc && !P->err; i++) {
        struct pair e = P->acc[i];
        if (!e.a.s || sa_pairset_add(P, &P->accset, e.a, e.b) != 1)
            continue;
        P->accs = sa_grow(P, P->accs, &P->capaccs, P->naccs, sizeof(*P->accs));
        if (P->accs)
            P->accs[P->naccs++] = (struct sqlfn_access){{e.b.s, e.b.len}, e.a.s};
    }
}

void sa_end_statement(struct parser *P)
{
    if (P->err)
        return;
    if (P->want & SQLFN_WANT_COLUMNS) {
        for (struct scope *S = P->scopes; S; S = S->all_next)
            for (struct colref *r = S->refs; r; r = r->next)
                sa_resolve_ref(P, S, r);
        sa_settle_pending(P);
        if (P->want & SQLFN_WANT_LINEAGE)
            sa_column_lineage(P);
    }
    if (!(P->want & SQLFN_WANT_TABLES))
        return; /* no access kinds, no lineage edges */
    end_access(P);
    for (int t = 0; t < P->ntargets; t++)
        for (size_t r = 0; r < P->nreads; r++)
            sa_emit_edge(P, P->reads[r], P->targets[t]);
    /* a target written from no table still gets an edge, from NULL */
    if (P->nreads == 0 && P->nlocs == 0)
        for (int t = 0; t < P->ntargets; t++)
            sa_emit_edge(P, (struct name){NULL, 0}, P->targets[t]);
    for (int l = 0; l < P->nlocs; l++) {
        if (P->locs_target[l]) {
            for (size_t r = 0; r < P->nreads; r++)
                sa_emit_edge(P, P->reads[r], P->locs[l]);
        } else {
            for (int t = 0; t < P->ntargets; t++)
                sa_emit_edge(P, P->locs[l], P->targets[t]);
        }
    }
}

/* ALTER TABLE t forms that move data or names between tables: Redshift's APPEND FROM s
 * (s's rows go to t), Snowflake's SWAP WITH s, RENAME TO s (t's data is s's now).
 * Returns 1 when one of them was read and recorded. */
static int alter_table_data(struct parser *P, struct name t)
{
    struct name parts[MAX_PARTS], other;
    const struct tok *u = cur(P);
    if (is_kw(u, KW_SWAP) && is_kw(peek(P, 1), KW_WITH)) {
        P->i += 2;
        sa_record_table(P, t, 3);
        if (sa_read_chain(P, parts, NULL, &other))
            sa_record_table(P, other, 3);
        return 1;
    }
    int append = u->type == T_IDENT && u->len == 6 && !strncasecmp(P->s + u->off, "append", 6) &&
                 is_kw(peek(P, 1), KW_FROM);
    int rename = is_kw(u, KW_RENAME) && is_kw(peek(P, 1), KW_TO);
    if (!append && !rename)
        return 0;
    P->i += 2;
    if (!sa_read_chain(P, parts, NULL, &other))
        return 1;
    if (append) {
        sa_record_table(P, t, 1);
        sa_record_table(P, other, 0);
    } else {
        sa_record_table(P, t, 3);
        sa_record_table(P, other, 1);
        sa_add_read(P, t);
    }
    return 1;
}

static void set_type(struct parser *P, const char *type)
{
    if (!P->stype)
        P->stype = type;
}

/* Column lineage: the query whose select list feeds the statement's target. */
static void lin_main(struct parser *P, struct scope *q)
{
    if (!P->lin_main)
        P->lin_main = q;
}

static void add_tcol(struct parser *P, struct name c)
{
    if (!P->role)
        return;
    P->tcols = sa_grow(P, P->tcols, &P->captcols, P->ntcols, sizeof(*P->tcols));
    if (P->tcols)
        P->tcols[P->ntcols++] = c;
}

/* The column just read before "=" in a SET list (the token before the cursor). */
static struct name set_col(struct parser *P)
{
    if (!P->role || P->i == 0)
        return (struct name){NULL, 0};
    const struct tok *t = &P->t[P->i - 1];
    if (t->type != T_IDENT && t->type != T_QIDENT)
        return (struct name){NULL, 0};
    return sa_tok_name(P, t);
}

static void add_set(struct parser *P, struct name col, size_t b, size_t e, struct scope *S)
{
    if (!P->role || !col.s)
        return;
    P->sets = sa_grow(P, P->sets, &P->capsets, P->nsets, sizeof(*P->sets));
    if (P->sets)
        P->sets[P->nsets++] = (struct set_item){col, (uint32_t)b, (uint32_t)e, S};
}

/* Walks the rest of an unknown statement for embedded queries, up to ";" at depth 0. */
void sa_scan_rest(struct parser *P, struct cte *ctes)
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
                (is_kw(cur(P), KW_SELECT) || (is_kw(cur(P), KW_WITH) && sa_cte_ahead(cur(P))))) {
                struct scope *S = sa_new_scope(P, NULL, ctes);
                sa_parse_query(P, S, ctes);
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
        if ((is_kw(t, KW_SELECT) || (is_kw(t, KW_WITH) && sa_cte_ahead(t))) &&
            peek(P, 1)->type != T_LPAREN) {
            sa_parse_query(P, NULL, ctes);
            continue;
        }
        if ((is_kw(t, KW_INSERT) || is_kw(t, KW_UPDATE) || is_kw(t, KW_DELETE) ||
             is_kw(t, KW_MERGE)) &&
            peek(P, 1)->type != T_LPAREN && depth == 0) {
            const char *keep = P->stype, *keep_access = P->access;
            P->stype = "";
            sa_parse_statement(P, ctes);
            P->stype = keep;
            P->access = keep_access;
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
    struct scope *S = sa_new_scope(P, NULL, ctes);
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
            if (!sa_read_chain(P, parts, NULL, &target)) {
                if (cur(P)->type == T_PARAM || cur(P)->type == T_STRING) {
                    P->i++;
                    continue;
                }
                P->err = 1;
                break;
            }
            sa_record_table(P, target, 1);
            tsrc = sa_add_source(P, S, SRC_TABLE);
            if (tsrc) {
                tsrc->table = target;
                tsrc->alias = target;
            }
            sa_table_suffix(P, S, tsrc);
            if (is_kw(cur(P), KW_PARTITION) && peek(P, 1)->type == T_LPAREN) {
                P->i++;
                sa_skip_balanced(P);
            }
            if (cur(P)->type == T_LPAREN && !starts_query(peek(P, 1)) &&
                peek(P, 1)->type != T_LPAREN) {
                P->i++;
                while (!P->err && cur(P)->type != T_RPAREN && cur(P)->type != T_EOF) {
                    struct name parts2[MAX_PARTS];
                    int n = sa_read_chain(P, parts2, NULL, NULL);
                    if (n) {
                        sa_emit_col(P, target, &target, parts2[n <= MAX_PARTS ? n - 1 : 3]);
                        add_tcol(P, parts2[n <= MAX_PARTS ? n - 1 : 3]);
                    } else
                        P->i++;
                }
                sa_close_with(P, S, T_RPAREN);
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
                        sa_paren(P, NULL, 0);
                }
                continue;
            }
            lin_main(P, sa_parse_query(P, NULL, ctes));
            continue;
        }
        if (is_kw(t, KW_ON)) { /* ON CONFLICT ... DO UPDATE SET / ON DUPLICATE KEY UPDATE */
            P->i++;
            while (!P->err && !is_kw(cur(P), KW_SET) && !is_kw(cur(P), KW_UPDATE) &&
                   cur(P)->type != T_EOF && cur(P)->type != T_SEMI) {
                if (cur(P)->type == T_LPAREN)
                    sa_skip_balanced(P);
                else
                    P->i++;
            }
            accept_kw(P, KW_UPDATE);
            accept_kw(P, KW_SET);
            while (!P->err && is_name_tok(cur(P))) {
                struct name parts[MAX_PARTS];
                int n = sa_read_chain(P, parts, NULL, NULL);
                if (target.s && n)
                    sa_emit_col(P, target, &target, parts[n <= MAX_PARTS ? n - 1 : 3]);
                if (cur(P)->type == T_OP && P->s[cur(P)->off] == '=')
                    P->i++;
                sa_walk(P, S, EX_COMMA, NULL);
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
                sa_walk(P, S, 0, NULL);
            target.s = NULL;
            continue;
        }
        if (is_kw(t, KW_RETURNING) || is_kw(t, KW_WHERE)) {
            P->i++;
            sa_expr_list(P, S);
            continue;
        }
        if (t->type == T_LPAREN) {
            sa_skip_balanced(P);
            continue;
        }
        P->i++;
    }
}

/* UPDATE target [alias] SET ... [FROM ...] [WHERE ...]; DELETE [FROM] target ... */
static void parse_update_delete(struct parser *P, struct cte *ctes, int is_update)
{
    struct scope *S = sa_new_scope(P, NULL, ctes);
    if (!S)
        return;
    if (!is_update)
        accept_kw(P, KW_FROM);
    size_t target_tok = P->i;
    size_t nacc0 = P->nacc; /* the target's access goes first */
    /* the target: a table reference, recorded once the FROM clause can tell an alias */
    sa_parse_from_list(P, S, 2);
    struct source *tsrc = S->src;
    if (!is_update && is_kw(cur(P), KW_FROM)) { /* DELETE t FROM t JOIN ... (T-SQL, MySQL) */
        P->i++;
        sa_parse_from_list(P, S, 0);
    }
    if (is_update && accept_kw(P, KW_SET)) {
        while (!P->err) {
            if (cur(P)->type == T_LPAREN) { /* SET (a, b) = (...) */
                sa_skip_balanced(P);
            } else {
                struct name parts[MAX_PARTS];
                size_t save = P->i;
                int n = sa_read_chain(P, parts, NULL, NULL);
                if (n && tsrc)
                    sa_add_ref(P, S, &parts[n <= MAX_PARTS ? n - 1 : 3], 1, 0, (uint32_t)save,
                               tsrc);
                else if (!n)
                    break;
            }
            struct name col = set_col(P);
            if (cur(P)->type == T_OP && P->s[cur(P)->off] == '=')
                P->i++;
            size_t b = P->i;
            sa_walk(P, S, EX_COMMA, NULL);
            add_set(P, col, b, P->i, S);
            if (cur(P)->type != T_COMMA)
                break;
            P->i++;
        }
    }
    if (accept_kw(P, KW_FROM) || (!is_update && accept_kw(P, KW_USING)))
        sa_parse_from_list(P, S, 0);
    if (accept_kw(P, KW_WHERE)) {
        size_t b = P->i;
        sa_walk(P, S, 0, NULL);
        sa_mark_role(P, b, P->i, ROLE_FILTER);
    }
    if (accept_kw(P, KW_RETURNING))
        sa_expr_list(P, S);
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
            for (size_t k = 0; k < P->nacc; k++)
                if (P->acc[k].a.s && !strcmp(P->acc[k].a.s, "read") &&
                    name_eq(P->acc[k].b, real->table))
                    P->acc[k].a.s = NULL;
            tsrc->table = real->table;
            tsrc->kind = SRC_DERIVED; /* stands for the aliased source: columns go there */
            tsrc->derived = NULL;
            for (struct colref *r = S->refs; r; r = r->next)
                if (r->bound == tsrc)
                    r->bound = real;
        }
        sa_record_table(P, real->table, is_update ? 1 : 3);
        if (P->acc && P->nacc > nacc0 + 1) {
            struct pair e = P->acc[P->nacc - 1];
            memmove(&P->acc[nacc0 + 1], &P->acc[nacc0], (P->nacc - 1 - nacc0) * sizeof(e));
            P->acc[nacc0] = e;
        }
    }
    (void)target_tok;
}

/* MERGE ... INSERT (c1, c2) VALUES (e1, e2): each expression is an assignment of its
 * column (add_set), as UPDATE's SET list is; the list is P->tcols from ncols0 on. */
static void merge_values(struct parser *P, struct scope *S, size_t ncols0)
{
    if (!P->role) {
        sa_paren(P, S, 0);
        return;
    }
    P->i++;
    size_t k = ncols0;
    while (!P->err && cur(P)->type != T_RPAREN && cur(P)->type != T_EOF) {
        size_t b = P->i;
        sa_walk(P, S, EX_COMMA, NULL);
        if (k < P->ntcols)
            add_set(P, P->tcols[k], b, P->i, S);
        k++;
        if (cur(P)->type != T_COMMA)
            break;
        P->i++;
    }
    sa_close_with(P, S, T_RPAREN);
}

static void parse_merge(struct parser *P, struct cte *ctes)
{
    struct scope *S = sa_new_scope(P, NULL, ctes);
    if (!S)
        return;
    accept_kw(P, KW_INTO);
    struct source *tsrc = sa_from_item(P, S, 1);
    if (accept_kw(P, KW_USING))
        sa_from_item(P, S, 0);
    if (accept_kw(P, KW_ON)) {
        size_t b = P->i;
        sa_walk(P, S, 0, NULL);
        sa_mark_role(P, b, P->i, ROLE_JOIN);
    }
    while (!P->err && accept_kw(P, KW_WHEN)) {
        accept_kw(P, KW_NOT);
        accept_kw(P, KW_MATCHED);
        if (accept_kw(P, KW_BY) && cur(P)->type == T_IDENT)
            P->i++;
        if (accept_kw(P, KW_AND))
            sa_walk(P, S, 0, NULL);
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
                int n = sa_read_chain(P, parts, NULL, NULL);
                if (!n)
                    break;
                if (tsrc)
                    sa_add_ref(P, S, &parts[n <= MAX_PARTS ? n - 1 : 3], 1, 0, (uint32_t)save,
                               tsrc);
                struct name col = set_col(P);
                if (cur(P)->type == T_OP && P->s[cur(P)->off] == '=')
                    P->i++;
                size_t b = P->i;
                sa_walk(P, S, EX_COMMA, NULL);
                add_set(P, col, b, P->i, S);
                if (cur(P)->type != T_COMMA)
                    break;
                P->i++;
            }
        } else if (accept_kw(P, KW_INSERT)) {
            if (cur(P)->type == T_STAR) {
                P->i++;
                continue;
            }
            size_t ncols0 = P->ntcols; /* this INSERT's columns, for column lineage */
            if (cur(P)->type == T_LPAREN) {
                P->i++;
                while (!P->err && cur(P)->type != T_RPAREN && cur(P)->type != T_EOF) {
                    struct name parts[MAX_PARTS];
                    size_t save = P->i;
                    int n = sa_read_chain(P, parts, NULL, NULL);
                    if (n && tsrc)
                        sa_add_ref(P, S, &parts[n <= MAX_PARTS ? n - 1 : 3], 1, 0, (uint32_t)save,
                                   tsrc);
                    if (n)
                        add_tcol(P, parts[n <= MAX_PARTS ? n - 1 : 3]);
                    else
                        P->i++;
                }
                sa_close_with(P, S, T_RPAREN);
            }
            accept_kw(P, KW_ROW);
            if (accept_kw(P, KW_VALUES) && cur(P)->type == T_LPAREN)
                merge_values(P, S, ncols0);
            P->ntcols = ncols0; /* the list feeds this VALUES only, not a query's targets */
        } else if (accept_kw(P, KW_DELETE)) {
        } else {
            /* DO NOTHING, ERROR, ...: skip to the next WHEN */
            while (!P->err && cur(P)->type != T_EOF && cur(P)->type != T_SEMI &&
                   !is_kw(cur(P), KW_WHEN)) {
                if (cur(P)->type == T_LPAREN)
                    sa_skip_balanced(P);
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
        int got = sa_read_chain(P, parts, NULL, &full);
        P->any_name = 0;
        if (!got) {
            P->err = 1;
            return;
        }
        sa_record_table(P, full, 1);
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
                    lin_main(P, sa_parse_query(P, NULL, ctes));
                    sa_close_with(P, NULL, T_RPAREN);
                } else {
                    sa_skip_balanced(P);
                }
                continue;
            }
            if (starts_query(u) && !is_kw(u, KW_TABLE)) {
                if (!view && P->stype && !strcmp(P->stype, "CREATE_TABLE"))
                    P->stype = "CREATE_TABLE_AS";
                lin_main(P, sa_parse_query(P, NULL, ctes));
                continue;
            }
            if ((is_kw(u, KW_CLONE) || is_kw(u, KW_LIKE)) && is_name_tok(peek(P, 1))) {
                int clone = is_kw(u, KW_CLONE);
                P->i++;
                struct name p2[MAX_PARTS], src;
                sa_read_chain(P, p2, NULL, &src);
                (void)clone;
                sa_record_table(P, src, 0);
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
            if (sa_read_chain(P, parts, NULL, &full))
                sa_record_table(P, full, 0);
        }
    }
    sa_scan_rest(P, ctes);
}

/* COPY t (a, b, ...): the column list, as the target columns of column lineage. */
static void copy_columns(struct parser *P)
{
    if (!P->role) {
        sa_skip_balanced(P);
        return;
    }
    P->i++;
    while (!P->err && cur(P)->type != T_RPAREN && cur(P)->type != T_EOF) {
        struct name parts[MAX_PARTS];
        int n = sa_read_chain(P, parts, NULL, NULL);
        if (n)
            add_tcol(P, parts[n <= MAX_PARTS ? n - 1 : 3]);
        else if (cur(P)->type == T_LPAREN)
            sa_skip_balanced(P);
        else
            P->i++;
    }
    sa_close_with(P, NULL, T_RPAREN);
}

/* Column lineage of a COPY (see sa_column_lineage): a query's items to the file or table
 * written; a table's columns (listed, or the catalog's, or "*") to a file, or a file's to
 * the table. `table` is COPY's table (NULL for a query or location), `loc` COPY INTO's
 * location, `other` the file FROM/TO, `from_table` COPY INTO @stage FROM table. */
static void copy_lineage(struct parser *P, struct name table, struct name loc, struct name other,
                         struct name from_table, struct scope *q, int dir_to)
{
    if (q) {
        lin_main(P, q);
        if (!table.s) /* COPY (query) TO file, COPY INTO location FROM (query) */
            P->lin_target = other.s ? other : loc;
        return;
    }
    if (table.s && other.s) {
        P->copy_src = dir_to ? table : other;
        P->copy_tab = table;
        if (dir_to)
            P->lin_target = other;
    } else if (from_table.s && loc.s) {
        P->copy_src = from_table;
        P->copy_tab = from_table;
        P->lin_target = loc;
    }
}

/* COPY: Snowflake COPY INTO target FROM source; PostgreSQL/DuckDB/Redshift COPY t FROM|TO. */
static void parse_copy(struct parser *P, struct cte *ctes)
{
    int into = accept_kw(P, KW_INTO);
    struct name parts[MAX_PARTS], full;
    int have_table = 0, have_query = 0;
    struct name loc = {NULL, 0};
    struct scope *q = NULL; /* the query copied, for column lineage */
    const struct tok *t = cur(P);
    if (t->type == T_LPAREN) {
        P->i++;
        q = sa_parse_query(P, NULL, ctes);
        sa_close_with(P, NULL, T_RPAREN);
        have_query = 1;
    } else if (t->type == T_STRING || t->type == T_PARAM) {
        loc = sa_tok_name(P, t);
        if (t->type == T_PARAM)
            loc = (struct name){P->s + t->off, t->len};
        P->i++;
    } else if (sa_read_chain(P, parts, NULL, &full)) {
        have_table = 1;
        if (cur(P)->type == T_LPAREN) /* COPY t (a, b): the columns copied */
            copy_columns(P);
    } else {
        sa_scan_rest(P, ctes); /* COPY FROM DATABASE ... */
        return;
    }
    int dir_from = 0, dir_to = 0;
    if (accept_kw(P, KW_FROM))
        dir_from = 1;
    else if (accept_kw(P, KW_TO))
        dir_to = 1;
    struct name other = {NULL, 0}, from_table = {NULL, 0};
    if (dir_from || dir_to) {
        const struct tok *u = cur(P);
        if (u->type == T_LPAREN && starts_query(peek(P, 1))) {
            P->i++;
            q = sa_parse_query(P, NULL, ctes);
            sa_close_with(P, NULL, T_RPAREN);
        } else if (u->type == T_STRING) {
            other = sa_tok_name(P, u);
            P->i++;
        } else if (u->type == T_PARAM) {
            other = (struct name){P->s + u->off, u->len};
            P->i++;
        } else if (is_name_tok(u)) {
            struct name p2[MAX_PARTS], f2;
            sa_read_chain(P, p2, NULL, &f2);
            if (into) { /* COPY INTO @stage FROM table */
                sa_record_table(P, f2, 0);
                from_table = f2;
            } else
                other = f2; /* STDIN, STDOUT, a path word */
        }
    }
    if (have_table)
        sa_record_table(P, full, dir_to ? 0 : 1);
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
    if (P->role) /* column lineage: what feeds what */
        copy_lineage(P, have_table ? full : (struct name){NULL, 0}, loc, other, from_table, q,
                     dir_to);
    sa_scan_rest(P, ctes);
}

void sa_parse_statement(struct parser *P, struct cte *ctes)
{
    while (cur(P)->type == T_TEMPLATE)
        P->i++;
    const struct tok *t = cur(P);
    if (t->type == T_EOF || t->type == T_SEMI)
        return;
    if (t->type == T_LPAREN || is_kw(t, KW_SELECT) || is_kw(t, KW_VALUES) || (is_kw(t, KW_FROM)) ||
        (is_kw(t, KW_TABLE) && is_name_tok(peek(P, 1)))) {
        set_type(P, "SELECT");
        sa_parse_query(P, NULL, ctes);
        return;
    }
    if (t->type != T_IDENT || !(kw_flags(t->kw) & KF_STMT)) {
        if (t->type == T_IDENT && peek(P, 1)->type == T_COLON) { /* label: BEGIN */
            P->i += 2;
            sa_parse_statement(P, ctes);
            return;
        }
        P->err = 1;
        return;
    }
    switch (t->kw) {
    case KW_WITH: {
        struct cte *c = sa_parse_with(P, NULL, ctes);
        const struct tok *u = cur(P);
        if (is_kw(u, KW_INSERT) || is_kw(u, KW_UPDATE) || is_kw(u, KW_DELETE) ||
            is_kw(u, KW_MERGE) || is_kw(u, KW_CREATE)) {
            sa_parse_statement(P, c);
        } else {
            set_type(P, "SELECT");
            sa_parse_query(P, NULL, c);
        }
        return;
    }
    case KW_INSERT:
    case KW_UPSERT:
        P->i++;
        set_type(P, "INSERT");
        P->access = "insert";
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
            P->access = "insert";
            parse_insert(P, ctes);
            return;
        }
        break;
    case KW_UPDATE:
        P->i++;
        set_type(P, "UPDATE");
        P->access = "update";
        parse_update_delete(P, ctes, 1);
        return;
    case KW_DELETE:
        P->i++;
        set_type(P, "DELETE");
        P->access = "delete";
        parse_update_delete(P, ctes, 0);
        return;
    case KW_MERGE:
        P->i++;
        set_type(P, "MERGE");
        P->access = "merge";
        parse_merge(P, ctes);
        return;
    case KW_CREATE:
        P->i++;
        P->access = "create";
        parse_create(P, ctes);
        return;
    case KW_COPY:
        P->i++;
        set_type(P, "COPY");
        P->access = "copy";
        parse_copy(P, ctes);
        return;
    case KW_DROP:
    case KW_TRUNCATE:
    case KW_ALTER: {
        unsigned kw = t->kw;
        P->i++;
        set_type(P, kw == KW_DROP ? "DROP" : kw == KW_ALTER ? "ALTER" : "TRUNCATE");
        P->access = kw == KW_DROP ? "drop" : kw == KW_ALTER ? "alter" : "truncate";
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
                sa_read_chain(P, parts, NULL, &full);
                if (kw == KW_ALTER && alter_table_data(P, full))
                    break;
                sa_record_table(P, full, 3);
                if (cur(P)->type != T_COMMA)
                    break;
                P->i++;
            }
        }
        sa_scan_rest(P, ctes);
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
                sa_skip_balanced(P);
            else
                P->i++;
        if (is_name_tok(cur(P)) && !(tkflags(cur(P)) & KF_STMT)) {
            struct name parts[MAX_PARTS], full;
            sa_read_chain(P, parts, NULL, &full);
            sa_record_table(P, full, 0);
            sa_scan_rest(P, ctes);
            return;
        }
        if (cur(P)->type != T_SEMI && cur(P)->type != T_EOF)
            sa_parse_statement(P, ctes);
        return;
    case KW_PIVOT:
    case KW_UNPIVOT: {
        P->i++;
        set_type(P, "PIVOT");
        struct scope *S = sa_new_scope(P, NULL, ctes);
        sa_from_item(P, S, 0);
        while (!P->err && cur(P)->type != T_EOF && cur(P)->type != T_SEMI &&
               cur(P)->type != T_RPAREN) {
            if (cur(P)->type == T_IDENT && (tkflags(cur(P)) & KF_TERM))
                P->i++;
            accept_kw(P, KW_BY);
            size_t save = P->i;
            sa_walk(P, S, EX_COMMA, NULL);
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
    sa_scan_rest(P, ctes);
}
