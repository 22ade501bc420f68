/*
 * register.c - the DuckDB glue of the SQL-analysis functions: registers sql_tables,
 * sql_columns, sql_lineage, sql_fingerprint, sql_fingerprint_hash and sql_statement_type
 * as scalar function sets (1- and 2-argument overloads) through the C API, and turns
 * analysis results into VARCHAR, LIST(VARCHAR) and LIST(STRUCT(...)) vectors.
 *
 * DuckDB calls scalar functions from several threads at once, so all state is per thread:
 * a thread-local cache (pthread key, freed when the thread ends) keeps the analysis of
 * the rows of the chunk it saw last, keyed by row index and checked against a copy of
 * the text, so sql_tables, sql_columns and sql_fingerprint over the same column analyse
 * each text once instead of three times. The copies of a chunk's rows lie one after the
 * other in one block, which the next function walks in order (a block per row made the
 * cache cost as much as the analysis). After the first chunk a thread analyses for every
 * function it has been asked for so far (the union of their needs). NULL SQL or NULL
 * dialect gives NULL; text that cannot be analysed gives NULL for that row; an unknown
 * dialect name is an error that aborts the query (it is a mistake in the query, not in
 * the data).
 */
#include "sqlfn/sqlfn.h"

#include <duckdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlfn/analyze.h"
#include "util/banned.h"

enum fn_kind {
    FN_TABLES,
    FN_COLUMNS,
    FN_LINEAGE,
    FN_FINGERPRINT,
    FN_HASH,
    FN_TYPE,
    FN_ACCESS,
    FN_COL_LINEAGE
};

struct fn_desc {
    const char *name;
    enum fn_kind kind;
    unsigned want;
};

static const struct fn_desc fns[] = {
    {"sql_tables", FN_TABLES, SQLFN_WANT_TABLE_LIST},
    {"sql_columns", FN_COLUMNS, SQLFN_WANT_COLUMNS},
    {"sql_lineage", FN_LINEAGE, SQLFN_WANT_TABLES},
    {"sql_fingerprint", FN_FINGERPRINT, SQLFN_WANT_FINGERPRINT},
    {"sql_fingerprint_hash", FN_HASH, SQLFN_WANT_FINGERPRINT | SQLFN_WANT_HASH},
    {"sql_statement_type", FN_TYPE, SQLFN_WANT_TYPE},
    {"sql_table_access", FN_ACCESS, SQLFN_WANT_TABLES},
    {"sql_column_lineage", FN_COL_LINEAGE,
     SQLFN_WANT_LINEAGE | SQLFN_WANT_TABLES | SQLFN_WANT_COLUMNS},
};

/* ---- the per-thread cache ---- */

#define CACHE_SLOTS      2048
#define CACHE_MAX_BLOB   ((size_t)4 << 20)  /* larger analyses are not kept */
#define CACHE_MAX_TOTAL  ((size_t)32 << 20) /* per thread: outside DuckDB's memory limit */
#define CACHE_FIRST_SIZE ((size_t)256 << 10)

/* A row's copy of its text and analysis lives in the chunk store, so `text` and the
 * pointers in `r` are valid while `gen` is the cache's. */
struct entry {
    uint32_t gen; /* the entry is empty unless it equals the cache's gen */
    uint32_t want;
    size_t textlen;
    enum sqlfn_dialect dialect;
    uint64_t cat; /* the catalog's content hash, 0 for none */
    const char *text;
    struct sqlfn_result r;
};

/* Two analyses per row: calls that differ in dialect or catalog (sql_fingerprint(sql)
 * beside sql_tables(sql, dialect)) each keep theirs instead of evicting the other's. */
struct slot {
    struct entry e[2];
    unsigned last; /* the entry used last */
};

/* Blocks of the chunk store: never moved while in use, so the slots can point into them. */
struct cblock {
    struct cblock *next;
    size_t cap;
    size_t used;
    max_align_t data[]; /* cap bytes */
};

struct tcache {
    struct sqlfn_ctx *cx;
    unsigned seen[4];          /* union of the `want` of the calls on this thread, per call shape
                                  (with a dialect argument: 1, with a catalog: 2) */
    unsigned epoch;            /* the bind_epoch seen[] was started from */
    struct sqlfn_catalog *cat; /* the last catalog built on this thread */
    uint64_t cat_hash;
    uint32_t gen;          /* current generation of the slots (never 0) */
    struct cblock *blocks; /* the current chunk's copies, newest (largest) block first */
    size_t total;          /* bytes in blocks */
    struct slot slots[CACHE_SLOTS];
};

/* What the calls bound in this process want, per call shape: each thread's cache starts
 * from it, so that the first chunk of a query that calls sql_tables, sql_columns and
 * sql_fingerprint over one column is analysed once, not three times (a thread learns the
 * other calls only when they run). Only a hint of what to compute: results never depend
 * on it. Column lineage, the costly one, is left to each thread's own record. */
static atomic_uint bound_want[4];
/* bound_want is what the calls of the query bound last want, not of every query since the
 * process started: a stale want (sql_fingerprint(sql) of an earlier query beside this one's
 * sql_tables(sql, d)) made every row compute what no call reads (an ansi fingerprint, ~6%
 * more instructions for the second of two everyday queries in one session). The first bind
 * after a call ran starts a new query's record (bind_epoch); each thread's cache takes it up
 * at its next call. Concurrent queries in other connections only blur the hint. */
static atomic_uint bind_epoch;
static atomic_int ran_since_bind;

static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static int cache_key_ok;

static void free_blocks(struct cblock *b)
{
    while (b) {
        struct cblock *next = b->next;
        free(b);
        b = next;
    }
}

static void cache_free(void *p)
{
    struct tcache *c = p;
    if (!c)
        return;
    free_blocks(c->blocks);
    sqlfn_ctx_free(c->cx);
    sqlfn_catalog_free(c->cat);
    free(c);
}

static void cache_init(void)
{
    cache_key_ok = pthread_key_create(&cache_key, cache_free) == 0;
}

static struct tcache *get_cache(void)
{
    pthread_once(&cache_once, cache_init);
    if (!cache_key_ok)
        return NULL;
    if (!atomic_load_explicit(&ran_since_bind, memory_order_relaxed))
        atomic_store_explicit(&ran_since_bind, 1, memory_order_relaxed);
    unsigned epoch = atomic_load_explicit(&bind_epoch, memory_order_acquire);
    struct tcache *c = pthread_getspecific(cache_key);
    if (!c) {
        c = calloc(1, sizeof(*c));
        if (!c)
            return NULL;
        c->gen = 1;
        c->cx = sqlfn_ctx_new();
        if (!c->cx || pthread_setspecific(cache_key, c) != 0) {
            sqlfn_ctx_free(c->cx);
            free(c);
            return NULL;
        }
        c->epoch = epoch + 1; /* differs: the wants are read below */
    }
    if (c->epoch != epoch) { /* a new query was bound since this thread's last call */
        c->epoch = epoch;
        for (int k = 0; k < 4; k++)
            c->seen[k] = atomic_load_explicit(&bound_want[k], memory_order_relaxed);
    }
    return c;
}

/* Empties every slot and the chunk store, keeping its newest block (the largest) so that
 * the next chunk's copies go into one contiguous block. */
static void cache_reset(struct tcache *c)
{
    if (++c->gen == 0) { /* wrapped: no slot may keep an old generation that matches */
        for (size_t i = 0; i < CACHE_SLOTS; i++)
            c->slots[i].e[0].gen = c->slots[i].e[1].gen = 0;
        c->gen = 1;
    }
    struct cblock *b = c->blocks;
    if (b) {
        free_blocks(b->next);
        b->next = NULL;
        b->used = 0;
        c->total = b->cap;
    }
}

/* cache_alloc when the newest block is full: a new block twice as large. */
static void *cache_alloc_block(struct tcache *c, size_t n)
{
    struct cblock *b = c->blocks;
    size_t cap = b ? b->cap * 2 : CACHE_FIRST_SIZE;
    while (cap < n)
        cap *= 2;
    if (c->total + cap > CACHE_MAX_TOTAL) {
        cap = n;
        if (c->total + cap > CACHE_MAX_TOTAL)
            return NULL;
    }
    struct cblock *nb = malloc(sizeof(*nb) + cap);
    if (!nb)
        return NULL;
    nb->next = b;
    nb->cap = cap;
    nb->used = n;
    c->blocks = nb;
    c->total += cap;
    return nb->data;
}

/* n bytes aligned to 8 from the chunk store, or NULL past the thread's budget. */
static inline void *cache_alloc(struct tcache *c, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    struct cblock *b = c->blocks;
    if (b && b->cap - b->used >= n) {
        void *p = (char *)b->data + b->used;
        b->used += n;
        return p;
    }
    return cache_alloc_block(c, n);
}

/* The copy of a string of the result in the chunk store: a string inside the analysed
 * text keeps its offset in the text's copy `blob`, another (a folded name, the
 * fingerprint) gets a copy of its own; *ok is cleared when the store is full. */
static inline const char *relocate(struct tcache *c, const char *p, uint32_t len, const char *text,
                                   size_t textlen, char *blob, int *ok)
{
    if (!p)
        return NULL;
    if (p >= text && p + len <= text + textlen)
        return blob + (p - text);
    char *d = cache_alloc(c, len);
    if (!d) {
        *ok = 0;
        return NULL;
    }
    memcpy(d, p, len);
    return d;
}

#define ALIGN8(x) (((x) + 7) & ~(size_t)7)

/* Keeps a copy of the text and of its analysis in the slot; 0, or -1 when it is too big
 * or over the thread's budget (the slot is then left empty). One pass over the result:
 * the text and the arrays in one block, the strings outside the text each copied after
 * (summing their sizes first cost a second pass and its mispredicted loop ends). */
static int slot_store(struct tcache *c, struct entry *sl, const char *text, size_t len,
                      enum sqlfn_dialect d, uint64_t cat, unsigned want,
                      const struct sqlfn_result *r)
{
    size_t a_tab = ALIGN8(len);
    size_t a_col = a_tab + ALIGN8(r->n_tables * sizeof(*r->tables));
    size_t a_edge = a_col + ALIGN8(r->n_columns * sizeof(*r->columns));
    size_t a_acc = a_edge + ALIGN8(r->n_edges * sizeof(*r->edges));
    size_t a_lin = a_acc + ALIGN8(r->n_access * sizeof(*r->access));
    size_t need = a_lin + r->n_col_lineage * sizeof(*r->col_lineage) + 1;
    sl->gen = 0;
    if (need > CACHE_MAX_BLOB)
        return -1;
    char *blob = cache_alloc(c, need);
    if (!blob)
        return -1;
    memcpy(blob, text, len);
    int ok = 1;
    struct sqlfn_str *tabs = (struct sqlfn_str *)(void *)(blob + a_tab);
    struct sqlfn_column *cols = (struct sqlfn_column *)(void *)(blob + a_col);
    struct sqlfn_edge *edges = (struct sqlfn_edge *)(void *)(blob + a_edge);
    struct sqlfn_access *acc = (struct sqlfn_access *)(void *)(blob + a_acc);
    struct sqlfn_col_lineage *lin = (struct sqlfn_col_lineage *)(void *)(blob + a_lin);
    for (size_t i = 0; i < r->n_tables; i++) {
        tabs[i].len = r->tables[i].len;
        tabs[i].s = relocate(c, r->tables[i].s, r->tables[i].len, text, len, blob, &ok);
    }
    for (size_t i = 0; i < r->n_columns; i++) {
        cols[i] = r->columns[i];
        cols[i].table.s = relocate(c, cols[i].table.s, cols[i].table.len, text, len, blob, &ok);
        cols[i].column.s = relocate(c, cols[i].column.s, cols[i].column.len, text, len, blob, &ok);
    }
    for (size_t i = 0; i < r->n_edges; i++) {
        edges[i] = r->edges[i];
        edges[i].source.s =
            relocate(c, edges[i].source.s, edges[i].source.len, text, len, blob, &ok);
        edges[i].target.s =
            relocate(c, edges[i].target.s, edges[i].target.len, text, len, blob, &ok);
    }
    for (size_t i = 0; i < r->n_access; i++) {
        acc[i] = r->access[i];
        acc[i].table.s = relocate(c, acc[i].table.s, acc[i].table.len, text, len, blob, &ok);
    }
    for (size_t i = 0; i < r->n_col_lineage; i++) {
        struct sqlfn_col_lineage *x = &lin[i];
        *x = r->col_lineage[i];
        x->source_table.s =
            relocate(c, x->source_table.s, x->source_table.len, text, len, blob, &ok);
        x->source_column.s =
            relocate(c, x->source_column.s, x->source_column.len, text, len, blob, &ok);
        x->target_table.s =
            relocate(c, x->target_table.s, x->target_table.len, text, len, blob, &ok);
        x->target_column.s =
            relocate(c, x->target_column.s, x->target_column.len, text, len, blob, &ok);
    }
    sl->r = *r;
    sl->r.access = acc;
    sl->r.col_lineage = lin;
    sl->r.tables = tabs;
    sl->r.columns = cols;
    sl->r.edges = edges;
    sl->r.ansi_fingerprint = (struct sqlfn_str){NULL, 0}; /* kept in the other entry */
    sl->r.fingerprint.s = relocate(c, r->fingerprint.s, r->fingerprint.len, text, len, blob, &ok);
    if (!ok)
        return -1;
    sl->text = blob;
    sl->textlen = len;
    sl->dialect = d;
    sl->cat = cat;
    sl->want = want;
    sl->gen = c->gen;
    return 0;
}

/* Keeps the ansi fingerprint `afp` (with its hash) of the text in `from` (just stored,
 * whose analysis's own fingerprint before relocation was `fp`) in entry `e`, as what a
 * call without a dialect would have analysed. */
static void slot_store_ansi_fp(struct tcache *c, struct entry *e, const struct entry *from,
                               struct sqlfn_str afp, struct sqlfn_str fp, uint64_t ahash,
                               unsigned all)
{
    const char *copy = from->r.fingerprint.s;
    if (afp.s != fp.s) {
        char *d = cache_alloc(c, afp.len + 1);
        if (!d)
            return;
        memcpy(d, afp.s, afp.len);
        copy = d;
    }
    static const struct sqlfn_result empty; /* copied: wide moves, no call, no `rep stos` */
    e->r = empty;
    e->r.ok = 1;
    e->r.fingerprint = (struct sqlfn_str){copy, afp.len};
    e->r.fingerprint_hash = ahash;
    e->text = from->text;
    e->textlen = from->textlen;
    e->dialect = SQLFN_ANSI;
    e->cat = 0;
    e->want = SQLFN_WANT_FINGERPRINT | (all & SQLFN_WANT_HASH);
    e->gen = c->gen;
}

/* The entry of row `row` that holds what the call wants, found without analyze_row: the
 * entry used last (the second call of a query on a row), or the other entry when it shares
 * that entry's copy of the text (sql_fingerprint(sql) beside calls with a dialect, whose
 * ansi fingerprint slot_store_ansi_fp keeps there); else NULL. The integers are compared
 * before the bytes, and the text once. */
static inline const struct entry *cache_last(struct tcache *c, idx_t row, const char *s, size_t len,
                                             enum sqlfn_dialect d, uint64_t cat_id, unsigned want)
{
    struct slot *sl = &c->slots[row % CACHE_SLOTS];
    const struct entry *f = &sl->e[sl->last];
    if (f->gen != c->gen || f->textlen != len)
        return NULL;
    if (f->dialect == d && f->cat == cat_id && (f->want & want) == want)
        return memcmp(f->text, s, len) ? NULL : f;
    const struct entry *g = &sl->e[sl->last ^ 1];
    if (g->gen == c->gen && g->text == f->text && g->dialect == d && g->cat == cat_id &&
        (g->want & want) == want && !memcmp(f->text, s, len)) {
        sl->last ^= 1;
        return g;
    }
    return NULL;
}

/* The analysis of row `row`'s text, when cache_last found none: from the thread's cache when the
 * same text was analysed there with the same dialect and catalog for at least `want`, else analysed
 * now. *fresh is set by the caller at the start of each chunk; the first analysis of a chunk
 * empties the cache unless the row's text is already there (the same chunk seen by a call of
 * another dialect or catalog), so the chunk store holds one chunk's rows. `shape` tells
 * calls with and without dialect and catalog apart: each analyses for what calls of its
 * shape want. Returns 0 or -1 (cannot be analysed). The result stays valid until the next
 * call on this thread. */
static int analyze_row(struct tcache *c, struct sqlfn_ctx *fallback, int *fresh, idx_t row,
                       const char *s, size_t len, enum sqlfn_dialect d,
                       const struct sqlfn_catalog *cat, uint64_t cat_id, unsigned shape,
                       unsigned want, struct sqlfn_result *buf, const struct sqlfn_result **out)
{
    if (!c) {
        sqlfn_ctx_set_catalog(fallback, cat);
        *out = buf;
        return sqlfn_analyze(fallback, s, len, d, want, buf);
    }
    struct slot *sl = &c->slots[row % CACHE_SLOTS];
    /* the caller found that the entry used last is not the one (cache_last) */
    struct entry *match = NULL;
    int same_text = 0;
    const char *equal = NULL; /* a copy found equal to the text */
    for (int k = 0; k < 2; k++) {
        struct entry *e = &sl->e[k];
        /* the two entries of a row often share one copy of its text: compared once */
        if (e->gen == c->gen && e->textlen == len &&
            ((equal && e->text == equal) || !memcmp(e->text, s, len))) {
            same_text = 1;
            equal = e->text;
            if (e->dialect == d && e->cat == cat_id)
                match = e;
        }
    }
    if (match && (match->want & want) == want) {
        sl->last = (unsigned)(match - sl->e);
        *out = &match->r;
        return match->r.ok ? 0 : -1;
    }
    unsigned all = want | c->seen[shape] | (match ? match->want : 0);
    if (all & SQLFN_WANT_TABLES) /* the tables with their links are the tables too */
        all |= SQLFN_WANT_TABLE_LIST;
    c->seen[shape] |= want;
    /* an ansi text without catalog is also what a call without dialect reads: compute the
     * fingerprint such a call wants in the same pass, so that it finds it here */
    if (d == SQLFN_ANSI && !cat_id)
        all |= (c->seen[0] | c->seen[1]) & (SQLFN_WANT_FINGERPRINT | SQLFN_WANT_HASH);
    /* another dialect's text: when calls without a dialect ask only for fingerprints
     * (sql_fingerprint(sql) beside sql_tables(sql, d)), the analysis gives the ansi one too
     * whenever the text lexes alike in both, and it is kept for them below */
    unsigned fpw = SQLFN_WANT_FINGERPRINT | SQLFN_WANT_HASH;
    if (d != SQLFN_ANSI && !cat_id && (c->seen[0] & fpw) && !(c->seen[0] & ~fpw))
        all |= SQLFN_WANT_ANSI_FP | (c->seen[0] & SQLFN_WANT_HASH);
    if (*fresh) {
        if (!same_text)
            cache_reset(c);
        *fresh = 0;
    }
    sqlfn_ctx_set_catalog(c->cx, cat);
    int rc = sqlfn_analyze(c->cx, s, len, d, all, buf);
    *out = buf;
    struct entry *dst = match;
    if (!dst)
        dst = sl->e[0].gen != c->gen   ? &sl->e[0]
              : sl->e[1].gen != c->gen ? &sl->e[1]
                                       : &sl->e[sl->last ^ 1];
    sl->last = (unsigned)(dst - sl->e);
    struct sqlfn_str afp = buf->ansi_fingerprint, fp = buf->fingerprint;
    uint64_t ahash = buf->ansi_fingerprint_hash;
    if (slot_store(c, dst, s, len, d, cat_id, all, buf) != 0)
        return rc;
    *out = &dst->r;
    if (afp.s) /* the ansi fingerprint, in the slot's other entry, over the same copy */
        slot_store_ansi_fp(c, &sl->e[(dst - sl->e) ^ 1], dst, afp, fp, ahash, all);
    return rc;
}

/* ---- the catalog argument: MAP(VARCHAR, VARCHAR[]) ---- */

/* The vectors of a catalog argument. */
struct cat_in {
    duckdb_vector map;
    duckdb_list_entry *entries;
    uint64_t *valid;
    duckdb_string_t *keys;
    uint64_t *keys_valid;
    duckdb_list_entry *vals;
    uint64_t *vals_valid;
    duckdb_string_t *cols;
    uint64_t *cols_valid;
    idx_t off, len; /* the map last built in this call */
    int have;
    const struct sqlfn_catalog *cat;
    uint64_t id;
};

static inline int row_valid(const uint64_t *mask, idx_t row);
static void str_at(const duckdb_string_t *data, idx_t row, const char **s, size_t *len);

static uint64_t fnv_more(uint64_t h, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return (h ^ 0xff) * 1099511628211ull;
}

static void cat_in_init(struct cat_in *ci, duckdb_vector map)
{
    memset(ci, 0, sizeof(*ci));
    ci->map = map;
    ci->entries = duckdb_vector_get_data(map);
    ci->valid = duckdb_vector_get_validity(map);
    duckdb_vector st = duckdb_list_vector_get_child(map);
    duckdb_vector kv = duckdb_struct_vector_get_child(st, 0);
    duckdb_vector vv = duckdb_struct_vector_get_child(st, 1);
    ci->keys = duckdb_vector_get_data(kv);
    ci->keys_valid = duckdb_vector_get_validity(kv);
    ci->vals = duckdb_vector_get_data(vv);
    ci->vals_valid = duckdb_vector_get_validity(vv);
    duckdb_vector cv = duckdb_list_vector_get_child(vv);
    ci->cols = duckdb_vector_get_data(cv);
    ci->cols_valid = duckdb_vector_get_validity(cv);
}

/* The catalog of row `row` (NULL for a NULL map), built once per distinct map and kept
 * by the thread while the next chunks carry the same one. Returns -1 when out of memory. */
static int cat_for_row(struct tcache *c, struct cat_in *ci, idx_t row, struct sqlfn_catalog **own)
{
    if (!row_valid(ci->valid, row)) {
        ci->cat = NULL;
        ci->id = 0;
        return 0;
    }
    duckdb_list_entry le = ci->entries[row];
    if (ci->have && le.offset == ci->off && le.length == ci->len)
        return 0;
    uint64_t h = 14695981039346656037ull;
    for (idx_t k = le.offset; k < le.offset + le.length; k++) {
        const char *s;
        size_t n;
        if (!row_valid(ci->keys_valid, k))
            continue;
        str_at(ci->keys, k, &s, &n);
        h = fnv_more(h, s, n);
        if (!row_valid(ci->vals_valid, k))
            continue;
        duckdb_list_entry ve = ci->vals[k];
        for (idx_t j = ve.offset; j < ve.offset + ve.length; j++) {
            if (!row_valid(ci->cols_valid, j))
                continue;
            str_at(ci->cols, j, &s, &n);
            h = fnv_more(h, s, n);
        }
        h = fnv_more(h, "", 0);
    }
    h |= 1;
    ci->have = 1;
    ci->off = le.offset;
    ci->len = le.length;
    ci->id = h;
    struct sqlfn_catalog **slot = c ? &c->cat : own;
    if (c && c->cat && c->cat_hash == h) {
        ci->cat = c->cat;
        return 0;
    }
    struct sqlfn_catalog *cat = sqlfn_catalog_new();
    if (!cat)
        return -1;
    struct sqlfn_str *cols = NULL;
    size_t capcols = 0;
    for (idx_t k = le.offset; k < le.offset + le.length; k++) {
        const char *s;
        size_t n;
        if (!row_valid(ci->keys_valid, k))
            continue;
        str_at(ci->keys, k, &s, &n);
        size_t nc = 0;
        if (row_valid(ci->vals_valid, k)) {
            duckdb_list_entry ve = ci->vals[k];
            if (ve.length > capcols) {
                struct sqlfn_str *nv = realloc(cols, ve.length * sizeof(*nv));
                if (!nv)
                    goto oom;
                cols = nv;
                capcols = ve.length;
            }
            for (idx_t j = ve.offset; j < ve.offset + ve.length; j++) {
                struct sqlfn_str *x = &cols[nc++];
                if (!row_valid(ci->cols_valid, j)) {
                    x->s = NULL;
                    x->len = 0;
                    continue;
                }
                size_t cl;
                str_at(ci->cols, j, &x->s, &cl);
                x->len = (uint32_t)cl;
            }
        }
        if (sqlfn_catalog_add(cat, s, n, cols, nc) != 0)
            goto oom;
    }
    free(cols);
    sqlfn_catalog_free(*slot);
    *slot = cat;
    if (c)
        c->cat_hash = h;
    ci->cat = cat;
    return 0;
oom:
    free(cols);
    sqlfn_catalog_free(cat);
    return -1;
}

/* What a catalog argument of type t is: 2 a MAP(VARCHAR, VARCHAR[]); 1 as none: NULL, an
 * empty map whose types are NULL, or a map whose values are NULL-typed (MAP {'t': NULL},
 * MAP {'t': []}: no column is known); 0 another type. */
static int cat_type_kind(duckdb_logical_type t)
{
    duckdb_type id = duckdb_get_type_id(t);
    if (id == DUCKDB_TYPE_SQLNULL)
        return 1;
    if (id != DUCKDB_TYPE_MAP)
        return 0;
    duckdb_logical_type k = duckdb_map_type_key_type(t), v = duckdb_map_type_value_type(t);
    duckdb_type kid = duckdb_get_type_id(k), vid = duckdb_get_type_id(v);
    int kind = 0;
    if (kid == DUCKDB_TYPE_VARCHAR && vid == DUCKDB_TYPE_LIST) {
        duckdb_logical_type e = duckdb_list_type_child_type(v);
        duckdb_type eid = duckdb_get_type_id(e);
        kind = eid == DUCKDB_TYPE_VARCHAR ? 2 : eid == DUCKDB_TYPE_SQLNULL ? 1 : 0;
        duckdb_destroy_logical_type(&e);
    } else if ((kid == DUCKDB_TYPE_VARCHAR || kid == DUCKDB_TYPE_SQLNULL) &&
               vid == DUCKDB_TYPE_SQLNULL) {
        kind = 1;
    }
    duckdb_destroy_logical_type(&k);
    duckdb_destroy_logical_type(&v);
    return kind;
}

/* Bind time: records what the call wants (see bound_want). The catalog's type is checked
 * when the call runs (fn_exec): DuckDB 1.4's C API hands a bind callback its arguments
 * only as copies, and a scalar subquery, the usual way to pass a catalog, cannot be
 * copied. */
static void fn_bind(duckdb_bind_info info)
{
    const struct fn_desc *fd = duckdb_scalar_function_bind_get_extra_info(info);
    idx_t nargs = duckdb_scalar_function_bind_get_argument_count(info);
    unsigned shape = nargs > 1 ? 1u : 0u;
    if (nargs > 2)
        shape |= 2;
    if (atomic_load_explicit(&ran_since_bind, memory_order_relaxed) &&
        atomic_exchange_explicit(&ran_since_bind, 0, memory_order_relaxed)) {
        for (int k = 0; k < 4; k++)
            atomic_store_explicit(&bound_want[k], 0, memory_order_relaxed);
        atomic_fetch_add_explicit(&bind_epoch, 1, memory_order_release);
    }
    atomic_fetch_or_explicit(&bound_want[shape], fd->want & ~(unsigned)SQLFN_WANT_LINEAGE,
                             memory_order_relaxed);
}

static void set_null(duckdb_vector v, idx_t row)
{
    duckdb_vector_ensure_validity_writable(v);
    duckdb_validity_set_row_invalid(duckdb_vector_get_validity(v), row);
}

/* duckdb.h documents the layout of duckdb_string_t: strings of up to 12 bytes are inlined,
 * longer ones point to their bytes. Reading it here saves a call per row. */
#define INLINE_MAX 12

/* duckdb_validity_row_is_valid without a call per row: no mask means every row is valid. */
static inline int row_valid(const uint64_t *mask, idx_t row)
{
    return !mask || (mask[row / 64] >> (row % 64)) & 1;
}

static void str_at(const duckdb_string_t *data, idx_t row, const char **s, size_t *len)
{
    const duckdb_string_t *st = &data[row];
    *len = st->value.inlined.length;
    *s = *len <= INLINE_MAX ? st->value.inlined.inlined : st->value.pointer.ptr;
}

/* Sets element `row` of a VARCHAR vector whose data is `data`: short strings are written
 * inline (zero-padded, as DuckDB compares the padding too); longer ones are copied into
 * the vector's string heap by DuckDB. Inline: most strings of the lists are short. */
static inline void put_str(duckdb_vector v, duckdb_string_t *data, idx_t row, const char *s,
                           size_t len)
{
    if (len > INLINE_MAX) {
        duckdb_vector_assign_string_element_len(v, row, s, len);
        return;
    }
    /* written in place: a copy built on the stack and stored whole stalled on the store
     * forwarding of its pieces */
    duckdb_string_t *st = &data[row];
    memset(st, 0, sizeof(*st));
    st->value.inlined.length = (uint32_t)len;
    /* copies of fixed sizes (moves, not a call per string): three overlapping ones of 4
     * bytes cover 4 to 12 bytes, so the lengths of most names take one branch */
    char *o = st->value.inlined.inlined;
    if (len >= 4) {
        size_t mid = (len - 4) / 2;
        memcpy(o, s, 4);
        memcpy(o + mid, s + mid, 4);
        memcpy(o + len - 4, s + len - 4, 4);
    } else if (len) {
        o[0] = s[0];
        o[len / 2] = s[len / 2];
        o[len - 1] = s[len - 1];
    }
}

/* The child vectors of a LIST(VARCHAR) or LIST(STRUCT(VARCHAR, VARCHAR)) result and their
 * data; the data moves when the list's capacity grows. */
struct list_out {
    duckdb_vector list, child, f0, f1;
    duckdb_vector f6[6]; /* sql_column_lineage's six fields */
    duckdb_string_t *d0, *d1;
    duckdb_string_t *d6[6];
    uint64_t *v6[6];
    uint64_t *v0; /* f0's validity once a NULL was set, else NULL */
    idx_t cap;    /* child capacity asked for so far */
};

/* Sets element i of f0 (the table of a column) to NULL. */
static void list_null0(struct list_out *lo, idx_t i)
{
    if (!lo->v0) {
        duckdb_vector_ensure_validity_writable(lo->f0);
        lo->v0 = duckdb_vector_get_validity(lo->f0);
    }
    lo->v0[i / 64] &= ~((uint64_t)1 << (i % 64));
}

static int list_grow(struct list_out *lo, idx_t need);

/* Room for `need` elements in the list's child vectors; 0, or -1 when out of memory. */
static inline int list_reserve(struct list_out *lo, idx_t need)
{
    return need <= lo->cap ? 0 : list_grow(lo, need);
}

static __attribute__((noinline)) int list_grow(struct list_out *lo, idx_t need)
{
    idx_t cap = lo->cap ? lo->cap * 2 : 2048;
    while (cap < need)
        cap *= 2;
    if (duckdb_list_vector_reserve(lo->list, cap) != DuckDBSuccess)
        return -1;
    lo->cap = cap;
    lo->v0 = NULL;
    lo->d0 = duckdb_vector_get_data(lo->f0);
    lo->d1 = lo->f1 ? duckdb_vector_get_data(lo->f1) : NULL;
    for (int k = 0; k < 6; k++) {
        lo->d6[k] = lo->f6[k] ? duckdb_vector_get_data(lo->f6[k]) : NULL;
        lo->v6[k] = NULL;
    }
    return 0;
}

/* One row of sql_column_lineage: its edges appended to the list's child vectors. */
static int put_col_lineage(struct list_out *lo, duckdb_list_entry *entries, idx_t row, idx_t *total,
                           const struct sqlfn_result *r)
{
    size_t k = r->n_col_lineage;
    if (list_reserve(lo, *total + k) != 0)
        return -1;
    entries[row].offset = *total;
    entries[row].length = k;
    for (size_t j = 0; j < k; j++) {
        const struct sqlfn_col_lineage *e = &r->col_lineage[j];
        struct sqlfn_str v[6] = {e->source_table,
                                 e->source_column,
                                 e->target_table,
                                 e->target_column,
                                 {e->type, (uint32_t)strlen(e->type)},
                                 {e->subtype, (uint32_t)strlen(e->subtype)}};
        idx_t at = *total + j;
        for (int f = 0; f < 6; f++) {
            if (v[f].s) {
                put_str(lo->f6[f], lo->d6[f], at, v[f].s, v[f].len);
                continue;
            }
            if (!lo->v6[f]) {
                duckdb_vector_ensure_validity_writable(lo->f6[f]);
                lo->v6[f] = duckdb_vector_get_validity(lo->f6[f]);
            }
            lo->v6[f][at / 64] &= ~((uint64_t)1 << (at % 64));
        }
    }
    *total += k;
    return 0;
}

static void fn_exec(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector output)
{
    const struct fn_desc *fd = duckdb_scalar_function_get_extra_info(info);
    /* read once: the calls in the row loop would make the compiler read them per row */
    const enum fn_kind kind = fd->kind;
    const unsigned want = fd->want;
    idx_t n = duckdb_data_chunk_get_size(input);
    idx_t ncols = duckdb_data_chunk_get_column_count(input);
    duckdb_vector sqlv = duckdb_data_chunk_get_vector(input, 0);
    duckdb_string_t *sqld = duckdb_vector_get_data(sqlv);
    uint64_t *sqlok = duckdb_vector_get_validity(sqlv);
    duckdb_vector dv = ncols > 1 ? duckdb_data_chunk_get_vector(input, 1) : NULL;
    duckdb_vector catv = ncols > 2 ? duckdb_data_chunk_get_vector(input, 2) : NULL;
    struct cat_in ci;
    struct sqlfn_catalog *own_cat = NULL; /* without a thread cache */
    int typed_cat = 0;
    if (catv) {
        duckdb_logical_type ct = duckdb_vector_get_column_type(catv);
        int ckind = cat_type_kind(ct);
        duckdb_destroy_logical_type(&ct);
        if (ckind == 0) {
            /* the argument comes as written (an ANY parameter): a map of other types would
             * otherwise meet DuckDB's cast to MAP(VARCHAR, VARCHAR[]) and its conversion
             * error, or have integers taken as names */
            char msg[200];
            snprintf(msg, sizeof(msg),
                     "%s: argument 3 (catalog) must be a MAP(VARCHAR, VARCHAR[]) from table name "
                     "to its columns",
                     fd->name);
            duckdb_scalar_function_set_error(info, msg);
            return;
        }
        typed_cat = ckind == 2;
    }
    duckdb_string_t *dd = dv ? duckdb_vector_get_data(dv) : NULL;
    uint64_t *dok = dv ? duckdb_vector_get_validity(dv) : NULL;

    struct tcache *cache = get_cache();
    struct sqlfn_ctx *cx = cache ? NULL : sqlfn_ctx_new();
    if (!cache && !cx) {
        duckdb_scalar_function_set_error(info, "out of memory");
        return;
    }
    int fresh = 1;
    if (typed_cat)
        cat_in_init(&ci, catv);
    unsigned shape = (dv ? 1u : 0u) | (typed_cat ? 2u : 0u);
    int list = kind == FN_TABLES || kind == FN_COLUMNS || kind == FN_LINEAGE || kind == FN_ACCESS ||
               kind == FN_COL_LINEAGE;
    duckdb_list_entry *entries = list ? duckdb_vector_get_data(output) : NULL;
    struct list_out lo = {0};
    if (list) {
        lo.list = output;
        lo.child = duckdb_list_vector_get_child(output);
        if (kind == FN_TABLES) {
            lo.f0 = lo.child;
        } else if (kind == FN_COL_LINEAGE) {
            for (int k = 0; k < 6; k++)
                lo.f6[k] = duckdb_struct_vector_get_child(lo.child, (idx_t)k);
            lo.f0 = lo.f6[0];
        } else {
            lo.f0 = duckdb_struct_vector_get_child(lo.child, 0);
            lo.f1 = duckdb_struct_vector_get_child(lo.child, 1);
        }
    }
    duckdb_string_t *strd =
        kind == FN_FINGERPRINT || kind == FN_TYPE ? duckdb_vector_get_data(output) : NULL;
    uint64_t *hashes = kind == FN_HASH ? duckdb_vector_get_data(output) : NULL;
    idx_t total = list ? duckdb_list_vector_get_size(output) : 0;
    if (list && list_reserve(&lo, total + 1) != 0)
        goto oom;

    /* a dialect column holds a few short names: the ones seen, compared as the 16 bytes of
     * their inlined duckdb_string_t (length and zero-padded bytes), in 16 slots by a hash
     * of those bytes; a slot of zeros is free (the empty name, all zeros, is not kept) */
    struct {
        uint64_t w[2];
        enum sqlfn_dialect dialect;
    } seen[16];
    memset(seen, 0, sizeof(seen));
    for (idx_t row = 0; row < n; row++) {
        if (!row_valid(sqlok, row) || (dv && !row_valid(dok, row))) {
            set_null(output, row);
            continue;
        }
        enum sqlfn_dialect dialect = SQLFN_ANSI;
        if (dv) {
            uint64_t w[2];
            memcpy(w, &dd[row], sizeof(w));
            int inl = dd[row].value.inlined.length <= INLINE_MAX;
            unsigned k =
                (unsigned)(((w[0] ^ (w[1] * 0x9E3779B97F4A7C15ull)) * 0xC2B2AE3D27D4EB4Full) >> 60);
            const char *ds;
            size_t dl;
            if (inl && w[0] && seen[k].w[0] == w[0] && seen[k].w[1] == w[1]) {
                dialect = seen[k].dialect;
            } else if (str_at(dd, row, &ds, &dl), sqlfn_dialect_parse(ds, dl, &dialect) == 0) {
                if (inl && w[0]) {
                    seen[k].w[0] = w[0];
                    seen[k].w[1] = w[1];
                    seen[k].dialect = dialect;
                }
            } else {
                char msg[160];
                snprintf(msg, sizeof(msg), "%s: unknown dialect '%.*s'", fd->name,
                         (int)(dl > 40 ? 40 : dl), ds);
                duckdb_scalar_function_set_error(info, msg);
                goto done;
            }
        }
        const char *s;
        size_t len;
        str_at(sqld, row, &s, &len);
        const struct sqlfn_catalog *cat = NULL;
        uint64_t cat_id = 0;
        if (typed_cat) {
            if (cat_for_row(cache, &ci, row, &own_cat) != 0)
                goto oom;
            cat = ci.cat;
            cat_id = ci.id;
        }
        struct sqlfn_result rbuf;
        const struct sqlfn_result *r = NULL;
        const struct entry *hit =
            cache ? cache_last(cache, row, s, len, dialect, cat_id, want) : NULL;
        int rc;
        if (hit) {
            r = &hit->r;
            rc = r->ok ? 0 : -1;
        } else {
            rc = analyze_row(cache, cx, &fresh, row, s, len, dialect, cat, cat_id, shape, want,
                             &rbuf, &r);
        }
        int fp = kind == FN_FINGERPRINT || kind == FN_HASH;
        /* a fingerprint needs only tokens; the other functions need the analysis */
        if (fp ? r->fingerprint.s == NULL : rc != 0) {
            set_null(output, row);
            continue;
        }
        switch (kind) {
        case FN_FINGERPRINT:
            put_str(output, strd, row, r->fingerprint.s, r->fingerprint.len);
            break;
        case FN_HASH:
            hashes[row] = r->fingerprint_hash;
            break;
        case FN_TYPE:
            if (r->statement_type)
                put_str(output, strd, row, r->statement_type, strlen(r->statement_type));
            else
                set_null(output, row);
            break;
        case FN_COL_LINEAGE:
            if (put_col_lineage(&lo, entries, row, &total, r) != 0)
                goto oom;
            break;
        default: {
            size_t k = kind == FN_TABLES    ? r->n_tables
                       : kind == FN_COLUMNS ? r->n_columns
                       : kind == FN_ACCESS  ? r->n_access
                                            : r->n_edges;
            if (list_reserve(&lo, total + k) != 0)
                goto oom;
            entries[row].offset = total;
            entries[row].length = k;
            if (kind == FN_TABLES) {
                for (size_t j = 0; j < k; j++)
                    put_str(lo.f0, lo.d0, total + j, r->tables[j].s, r->tables[j].len);
            } else {
                for (size_t j = 0; j < k; j++) {
                    struct sqlfn_str a, b;
                    if (kind == FN_COLUMNS) {
                        a = r->columns[j].table;
                        b = r->columns[j].column;
                    } else if (kind == FN_ACCESS) {
                        a = r->access[j].table;
                        b = (struct sqlfn_str){r->access[j].access,
                                               (uint32_t)strlen(r->access[j].access)};
                    } else {
                        a = r->edges[j].source;
                        b = r->edges[j].target;
                    }
                    if (a.s)
                        put_str(lo.f0, lo.d0, total + j, a.s, a.len);
                    else
                        list_null0(&lo, total + j);
                    put_str(lo.f1, lo.d1, total + j, b.s, b.len);
                }
            }
            total += k;
            break;
        }
        }
    }
    goto done;
oom:
    duckdb_scalar_function_set_error(info, "out of memory");
done:
    if (list)
        duckdb_list_vector_set_size(output, total);
    sqlfn_ctx_free(cx);
    sqlfn_catalog_free(own_cat);
}

static duckdb_logical_type return_type(enum fn_kind kind)
{
    duckdb_logical_type vc = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
    duckdb_logical_type t = NULL;
    switch (kind) {
    case FN_TABLES:
        t = duckdb_create_list_type(vc);
        break;
    case FN_COLUMNS:
    case FN_LINEAGE:
    case FN_ACCESS: {
        duckdb_logical_type members[2] = {vc, vc};
        const char *names_c[2] = {"table", "column"};
        const char *names_l[2] = {"source", "target"};
        const char *names_a[2] = {"table", "access"};
        duckdb_logical_type st = duckdb_create_struct_type(members,
                                                           kind == FN_COLUMNS  ? names_c
                                                           : kind == FN_ACCESS ? names_a
                                                                               : names_l,
                                                           2);
        t = duckdb_create_list_type(st);
        duckdb_destroy_logical_type(&st);
        break;
    }
    case FN_HASH:
        t = duckdb_create_logical_type(DUCKDB_TYPE_UBIGINT);
        break;
    case FN_COL_LINEAGE: {
        duckdb_logical_type members[6] = {vc, vc, vc, vc, vc, vc};
        const char *names[6] = {"source_table",  "source_column", "target_table",
                                "target_column", "type",          "subtype"};
        duckdb_logical_type st = duckdb_create_struct_type(members, names, 6);
        t = duckdb_create_list_type(st);
        duckdb_destroy_logical_type(&st);
        break;
    }
    default:
        t = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
        break;
    }
    duckdb_destroy_logical_type(&vc);
    return t;
}

static int register_one(duckdb_connection con, const struct fn_desc *fd, struct df_error *err)
{
    int rc = -1;
    duckdb_scalar_function_set set = duckdb_create_scalar_function_set(fd->name);
    duckdb_logical_type vc = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
    duckdb_logical_type rt = return_type(fd->kind);
    /* the catalog, a MAP(VARCHAR, VARCHAR[]), is an ANY parameter: it comes as the query
     * wrote it, and fn_exec names the argument when it is of another type (with a MAP
     * parameter DuckDB would cast MAP(VARCHAR, INTEGER) and fail in its own words) */
    duckdb_logical_type any = duckdb_create_logical_type(DUCKDB_TYPE_ANY);
    /* (sql), (sql, dialect), (sql, dialect, catalog) */
    for (int v = 1; v <= 3; v++) {
        int nargs = v;
        duckdb_logical_type third = any;
        duckdb_scalar_function f = duckdb_create_scalar_function();
        duckdb_scalar_function_set_name(f, fd->name);
        for (int a = 0; a < nargs; a++)
            duckdb_scalar_function_add_parameter(f, a < 2 ? vc : third);
        duckdb_scalar_function_set_return_type(f, rt);
        duckdb_scalar_function_set_function(f, fn_exec);
        duckdb_scalar_function_set_bind(f, fn_bind);
        /* NULLs are handled in fn_exec (NULL in, NULL out) */
        duckdb_scalar_function_set_special_handling(f);
        duckdb_scalar_function_set_extra_info(f, (void *)fd, NULL);
        duckdb_state st = duckdb_add_scalar_function_to_set(set, f);
        duckdb_destroy_scalar_function(&f);
        if (st != DuckDBSuccess) {
            df_error_set(err, DF_EFAIL, "function '%s': cannot add overload", fd->name);
            goto done;
        }
    }
    if (duckdb_register_scalar_function_set(con, set) != DuckDBSuccess) {
        df_error_set(err, DF_EFAIL, "function '%s': registration failed (already registered?)",
                     fd->name);
        goto done;
    }
    rc = 0;
done:
    duckdb_destroy_logical_type(&rt);
    duckdb_destroy_logical_type(&vc);
    duckdb_destroy_logical_type(&any);
    duckdb_destroy_scalar_function_set(&set);
    return rc;
}

int df_sqlfn_register(duckdb_connection con, struct df_error *err)
{
    for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
        if (register_one(con, &fns[i], err) != 0)
            return -1;
    return 0;
}
