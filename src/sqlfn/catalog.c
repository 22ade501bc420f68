/*
 * catalog.c - the optional catalog of the SQL analysis: table names and their columns, as
 * the user has them (sql_*(sql, dialect, catalog) with a MAP(VARCHAR, VARCHAR[])). With it,
 * column resolution knows which table of a scope has an unqualified column, expands * and
 * t.*, and sends a correlated reference to the outer query. Names compare
 * case-insensitively; the first entry of a name wins. The key '$search_path' lists
 * schemas tried, in order, before an unqualified table name is matched by suffix.
 */
#include "sqlfn/parse.h"

#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

struct cat_entry {
    struct name name;  /* as given */
    struct name last;  /* its last dotted part */
    struct name *cols; /* as given */
    uint32_t ncols;
    uint64_t h_full; /* case-insensitive hash of name */
    uint64_t h_last; /* of last */
};

struct sqlfn_catalog {
    struct cat_entry *e;
    size_t n, cap;
    uint32_t *by_full, *by_last; /* open addressing: index + 1, 0 empty */
    size_t hcap;
    struct name *path; /* $search_path schemas */
    uint32_t npath;
    char **blocks; /* copies of every string */
    size_t nblocks, capblocks;
};

#define FNV0 14695981039346656037ull

/* Takes ownership of p (freed with the catalog); returns p, or NULL (p freed) when out of
 * memory. */
static void *own(struct sqlfn_catalog *c, void *p)
{
    if (!p)
        return NULL;
    if (c->nblocks == c->capblocks) {
        size_t nc = c->capblocks ? c->capblocks * 2 : 64;
        char **b = realloc(c->blocks, nc * sizeof(*b));
        if (!b) {
            free(p);
            return NULL;
        }
        c->blocks = b;
        c->capblocks = nc;
    }
    c->blocks[c->nblocks++] = p;
    return p;
}

static char *keep(struct sqlfn_catalog *c, const char *s, size_t n)
{
    char *p = own(c, malloc(n + 1));
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

struct sqlfn_catalog *sqlfn_catalog_new(void)
{
    return calloc(1, sizeof(struct sqlfn_catalog));
}

void sqlfn_catalog_free(struct sqlfn_catalog *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nblocks; i++)
        free(c->blocks[i]);
    free(c->blocks);
    free(c->e);
    free(c->by_full);
    free(c->by_last);
    free(c);
}

static struct name last_part(struct name n)
{
    for (uint32_t i = n.len; i > 0; i--)
        if (n.s[i - 1] == '.')
            return (struct name){n.s + i, n.len - i};
    return n;
}

static void index_put(uint32_t *ix, size_t cap, uint64_t h, uint32_t v)
{
    size_t j = h & (cap - 1);
    while (ix[j])
        j = (j + 1) & (cap - 1);
    ix[j] = v;
}

static int reindex(struct sqlfn_catalog *c, size_t cap)
{
    uint32_t *f = calloc(cap, sizeof(*f)), *l = calloc(cap, sizeof(*l));
    if (!f || !l) {
        free(f);
        free(l);
        return -1;
    }
    for (size_t i = 0; i < c->n; i++) {
        index_put(f, cap, c->e[i].h_full, (uint32_t)i + 1);
        index_put(l, cap, c->e[i].h_last, (uint32_t)i + 1);
    }
    free(c->by_full);
    free(c->by_last);
    c->by_full = f;
    c->by_last = l;
    c->hcap = cap;
    return 0;
}

static const struct cat_entry *find_full(const struct sqlfn_catalog *c, struct name nm)
{
    if (!c->hcap)
        return NULL;
    uint64_t h = hash_bytes(FNV0, nm.s, nm.len, 1);
    for (size_t j = h & (c->hcap - 1); c->by_full[j]; j = (j + 1) & (c->hcap - 1)) {
        const struct cat_entry *e = &c->e[c->by_full[j] - 1];
        if (e->h_full == h && name_ieq(e->name, nm))
            return e;
    }
    return NULL;
}

int sqlfn_catalog_add(struct sqlfn_catalog *c, const char *table, size_t len,
                      const struct sqlfn_str *cols, size_t ncols)
{
    if (!c || !table || len == 0 || len > UINT32_MAX)
        return 0;
    struct name nm = {table, (uint32_t)len};
    if (len == 12 && !memcmp(table, "$search_path", 12)) {
        if (c->path)
            return 0;
        c->path = own(c, calloc(ncols ? ncols : 1, sizeof(*c->path)));
        if (!c->path)
            return -1;
        for (size_t i = 0; i < ncols; i++) {
            if (!cols[i].s)
                continue;
            char *s = keep(c, cols[i].s, cols[i].len);
            if (!s)
                return -1;
            c->path[c->npath++] = (struct name){s, cols[i].len};
        }
        return 0;
    }
    if (find_full(c, nm))
        return 0; /* the first entry of a name wins */
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 32;
        struct cat_entry *e = realloc(c->e, nc * sizeof(*e));
        if (!e)
            return -1;
        c->e = e;
        c->cap = nc;
    }
    struct cat_entry *e = &c->e[c->n];
    char *s = keep(c, table, len);
    struct name *cv = ncols ? own(c, malloc(ncols * sizeof(*cv))) : NULL;
    if (!s || (ncols && !cv))
        return -1;
    e->name = (struct name){s, (uint32_t)len};
    e->last = last_part(e->name);
    e->ncols = 0;
    e->cols = cv;
    for (size_t i = 0; i < ncols; i++) {
        if (!cols[i].s)
            continue;
        char *cs = keep(c, cols[i].s, cols[i].len);
        if (!cs)
            return -1;
        cv[e->ncols++] = (struct name){cs, cols[i].len};
    }
    e->h_full = hash_bytes(FNV0, e->name.s, e->name.len, 1);
    e->h_last = hash_bytes(FNV0, e->last.s, e->last.len, 1);
    c->n++;
    if (c->n * 2 > c->hcap)
        return reindex(c, c->hcap ? c->hcap * 2 : 64);
    index_put(c->by_full, c->hcap, e->h_full, (uint32_t)c->n);
    index_put(c->by_last, c->hcap, e->h_last, (uint32_t)c->n);
    return 0;
}

/* Does one dotted name end with the other (on a dot boundary)? */
static int ends_with(struct name longer, struct name shorter)
{
    if (shorter.len > longer.len)
        return 0;
    if (shorter.len < longer.len && longer.s[longer.len - shorter.len - 1] != '.')
        return 0;
    return name_ieq((struct name){longer.s + longer.len - shorter.len, shorter.len}, shorter);
}

const struct cat_entry *sa_catalog_table(const struct sqlfn_catalog *c, struct name ref,
                                         struct arena *a)
{
    if (!c || !c->n || !ref.len)
        return NULL;
    const struct cat_entry *e = find_full(c, ref);
    if (e)
        return e;
    int dotted = memchr(ref.s, '.', ref.len) != NULL;
    for (uint32_t k = 0; k < c->npath && !dotted; k++) {
        size_t n = c->path[k].len + 1 + ref.len;
        char *buf = arena_alloc(a, n);
        if (!buf)
            return NULL;
        memcpy(buf, c->path[k].s, c->path[k].len);
        buf[c->path[k].len] = '.';
        memcpy(buf + c->path[k].len + 1, ref.s, ref.len);
        e = find_full(c, (struct name){buf, (uint32_t)n});
        if (e)
            return e;
    }
    /* by suffix: the reference is the entry's tail (orders ~ shop.orders), or the entry is
     * the reference's (db.shop.orders ~ shop.orders); the first such entry */
    struct name last = last_part(ref);
    uint64_t h = hash_bytes(FNV0, last.s, last.len, 1);
    for (size_t j = h & (c->hcap - 1); c->by_last[j]; j = (j + 1) & (c->hcap - 1)) {
        const struct cat_entry *x = &c->e[c->by_last[j] - 1];
        if (x->h_last == h && (ends_with(x->name, ref) || ends_with(ref, x->name)) && (!e || x < e))
            e = x;
    }
    return e;
}

int sa_catalog_has(const struct cat_entry *e, struct name col)
{
    for (uint32_t i = 0; i < e->ncols; i++)
        if (name_ieq(e->cols[i], col))
            return 1;
    return 0;
}

const struct name *sa_catalog_columns(const struct cat_entry *e, uint32_t *n)
{
    *n = e->ncols;
    return e->cols;
}
