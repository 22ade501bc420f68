/*
 * stub_store.c - placeholders for store.h, layout.h and manifest.h until the local store
 * lands (deleted by then).
 */
#include <stdlib.h>

#include "store/layout.h"
#include "store/manifest.h"
#include "store/store.h"
#include "util/strbuf.h"

#define NB(err) df_error_set(err, DF_EIO, "store not built yet")

int df_store_open(const char *uri, struct df_store **out, struct df_error *err)
{
    (void)uri, (void)out;
    return NB(err);
}
void df_store_free(struct df_store *s)
{
    (void)s;
}
int df_store_put_file(struct df_store *s, const char *k, const char *p, struct df_error *err)
{
    (void)s, (void)k, (void)p;
    return NB(err);
}
int df_store_put_bytes(struct df_store *s, const char *k, const void *d, size_t n,
                       struct df_error *err)
{
    (void)s, (void)k, (void)d, (void)n;
    return NB(err);
}
int df_store_get_file(struct df_store *s, const char *k, const char *p, struct df_error *err)
{
    (void)s, (void)k, (void)p;
    return NB(err);
}
int df_store_get_bytes(struct df_store *s, const char *k, size_t m, char **d, size_t *n,
                       struct df_error *err)
{
    (void)s, (void)k, (void)m, (void)d, (void)n;
    return NB(err);
}
int df_store_list(struct df_store *s, const char *p, df_store_list_cb cb, void *ud,
                  struct df_error *err)
{
    (void)s, (void)p, (void)cb, (void)ud;
    return NB(err);
}
int df_store_remove(struct df_store *s, const char *k, struct df_error *err)
{
    (void)s, (void)k;
    return NB(err);
}
int df_store_remove_prefix(struct df_store *s, const char *p, struct df_error *err)
{
    (void)s, (void)p;
    return NB(err);
}
char *df_store_local_path(struct df_store *s, const char *k)
{
    (void)s, (void)k;
    return NULL;
}
char *df_store_describe(struct df_store *s, const char *k)
{
    (void)s;
    return xstrdup(k);
}
int df_store_local_open(const char *path, struct df_store **out, struct df_error *err)
{
    (void)path, (void)out;
    return NB(err);
}
char *df_key_runs(const char *pl)
{
    return xasprintf("%s/runs/", pl);
}
char *df_key_run(const char *pl, const char *r)
{
    return xasprintf("%s/runs/%s", pl, r);
}
char *df_key_run_json(const char *pl, const char *r)
{
    return xasprintf("%s/runs/%s/run.json", pl, r);
}
char *df_key_step(const char *pl, const char *r, const char *s)
{
    return xasprintf("%s/runs/%s/%s", pl, r, s);
}
char *df_key_items(const char *pl, const char *r, const char *s)
{
    return xasprintf("%s/runs/%s/%s/_items.json", pl, r, s);
}
char *df_key_task(const char *pl, const char *r, const char *s, const char *i)
{
    return xasprintf("%s/runs/%s/%s/%s", pl, r, s, i);
}
char *df_key_manifest(const char *pl, const char *r, const char *s, const char *i)
{
    return xasprintf("%s/runs/%s/%s/%s/_manifest.json", pl, r, s, i);
}
char *df_key_attempt(const char *pl, const char *r, const char *s, const char *i, const char *a)
{
    return xasprintf("%s/runs/%s/%s/%s/%s", pl, r, s, i, a);
}
int df_valid_pipeline_name(const char *n)
{
    return n && *n;
}
int df_valid_ident(const char *n)
{
    return n && *n;
}
int df_valid_run_id(const char *r)
{
    return r && *r;
}
int df_manifest_commit(struct df_store *s, const char *pl, const char *r, const char *st,
                       const char *i, json_t *m, struct df_error *err)
{
    (void)s, (void)pl, (void)r, (void)st, (void)i, (void)m;
    return NB(err);
}
int df_manifest_read(struct df_store *s, const char *pl, const char *r, const char *st,
                     const char *i, json_t **out, struct df_error *err)
{
    (void)s, (void)pl, (void)r, (void)st, (void)i, (void)out;
    return NB(err);
}
int df_manifest_list_step(struct df_store *s, const char *pl, const char *r, const char *st,
                          json_t **out, struct df_error *err)
{
    (void)s, (void)pl, (void)r, (void)st, (void)out;
    return NB(err);
}
size_t df_manifest_table_keys(json_t *m, const char *t, json_t *keys)
{
    (void)m, (void)t, (void)keys;
    return 0;
}

int df_store_get_many(struct df_store *s, const char *const *k, const char *const *p, size_t n,
                      int par, struct df_error *err)
{
    (void)s, (void)k, (void)p, (void)n, (void)par;
    return NB(err);
}
int df_store_put_many(struct df_store *s, const char *const *k, const char *const *p, size_t n,
                      int par, struct df_error *err)
{
    (void)s, (void)k, (void)p, (void)n, (void)par;
    return NB(err);
}
