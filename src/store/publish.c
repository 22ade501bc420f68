/*
 * publish.c - the published run of a pipeline and the plain-DuckDB views of a run (see
 * publish.h). Views are built from the committed manifests only: a glob over the run
 * folder would also pick up the files of failed attempts.
 */
#include "store/publish.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/caps.h"
#include "store/layout.h"
#include "store/lineage.h"
#include "store/manifest.h"
#include "store/runindex.h"
#include "store/runsnap.h"
#include "util/timeutil.h"
#include "util/banned.h"

#define SMALL_MAX ((size_t)16 << 20)

char *df_key_published(const char *pipeline)
{
    return xasprintf("%s/published.json", pipeline);
}

char *df_key_published_sql(const char *pipeline)
{
    return xasprintf("%s/published.sql", pipeline);
}

char *df_key_views_sql(const char *pipeline, const char *run)
{
    return xasprintf("%s/runs/%s/views.sql", pipeline, run);
}

int df_published_read(struct df_store *s, const char *pipeline, char **run, struct df_error *err)
{
    char *key = df_key_published(pipeline), *data = NULL;
    size_t len = 0;
    json_t *j = NULL;
    const char *r;
    int rc = 0;

    *run = NULL;
    if (df_store_get_bytes(s, key, SMALL_MAX, &data, &len, err) != 0) {
        if (err->code == DF_ENOTFOUND)
            df_error_clear(err);
        else
            rc = -1;
        goto out;
    }
    j = json_loadb(data, len, 0, NULL);
    r = json_string_value(json_object_get(j, "run"));
    if (!r || !df_valid_run_id(r)) {
        char *where = df_store_describe(s, key);
        rc = df_error_set(err, DF_EIO, "'%s' does not name a valid run", where);
        free(where);
        goto out;
    }
    *run = xstrdup(r);
out:
    json_decref(j);
    free(data);
    free(key);
    return rc;
}

int df_publish(struct df_store *s, const char *pipeline, const char *run, struct df_error *err)
{
    char *vkey = df_key_views_sql(pipeline, run), *data = NULL, *text = NULL;
    char *pkey = df_key_published(pipeline), *skey = df_key_published_sql(pipeline);
    char now[40];
    size_t len = 0;
    json_t *j = NULL;
    int rc = -1;

    if (df_store_get_bytes(s, vkey, DF_CAP_VIEWS_SQL, &data, &len, err) != 0) {
        if (err->code != DF_ENOTFOUND)
            goto out;
        df_error_clear(err);
        if (df_views_write(s, pipeline, run, err) != 0 ||
            df_store_get_bytes(s, vkey, DF_CAP_VIEWS_SQL, &data, &len, err) != 0)
            goto out;
    }
    /* published.sql first: a reader that sees the new published.json finds its SQL. */
    if (df_store_put_bytes(s, skey, data, len, err) != 0)
        goto out;
    df_iso_now(now, sizeof(now));
    j = json_pack("{s:i, s:s, s:s, s:s}", "format", 1, "pipeline", pipeline, "run", run,
                  "published_at", now);
    text = json_dumps(j, JSON_INDENT(2));
    if (!text) {
        df_error_set(err, DF_EFAIL, "cannot encode published.json");
        goto out;
    }
    {
        char *nl = xasprintf("%s\n", text);
        free(text);
        text = nl;
    }
    if (df_store_put_bytes(s, pkey, text, strlen(text), err) != 0)
        goto out;
    rc = 0;
out:
    if (rc != 0)
        df_error_prefix(err, "cannot publish run '%s' of '%s'", run, pipeline);
    json_decref(j);
    free(text);
    free(data);
    free(vkey);
    free(pkey);
    free(skey);
    return rc;
}

/* "catalog". before a name, when the views go into a catalog of their own. */
static void add_catalog(struct strbuf *sql, const char *catalog)
{
    if (catalog) {
        sb_add_sql_ident(sql, catalog);
        sb_addc(sql, '.');
    }
}

static void add_view(struct strbuf *sql, const char *catalog, const char *step, const char *table,
                     json_t *schema, json_t *uris, int hive)
{
    size_t i;
    json_t *v;

    sb_adds(sql, "CREATE OR REPLACE VIEW ");
    add_catalog(sql, catalog);
    sb_add_sql_ident(sql, step);
    sb_addc(sql, '.');
    sb_add_sql_ident(sql, table);
    sb_adds(sql, " AS ");
    if (json_array_size(uris)) {
        sb_adds(sql, "SELECT * FROM read_parquet([");
        json_array_foreach(uris, i, v)
        {
            sb_adds(sql, i ? ",\n    " : "\n    ");
            sb_add_sql_string(sql, json_string_value(v));
        }
        sb_addf(sql, "], union_by_name = true, hive_partitioning = %s);\n",
                hive ? "true" : "false");
        return;
    }
    df_manifest_empty_select(sql, schema);
    sb_adds(sql, ";\n");
}

static int add_step(struct df_store *s, const char *pipeline, const char *run,
                    const struct df_run_snap *snap, const char *step, const char *catalog,
                    struct strbuf *sql, json_t *tables_out, struct df_error *err)
{
    json_t *manifests = NULL, *names = json_array(), *m;
    size_t i;

    if ((snap ? df_run_snap_step(snap, step, &manifests, err)
              : df_manifest_list_step(s, pipeline, run, step, &manifests, err)) != 0) {
        json_decref(names);
        return -1;
    }
    json_array_foreach(manifests, i, m)
    {
        const char *name;
        json_t *t;
        json_object_foreach(json_object_get(m, "tables"), name, t)
        {
            size_t j;
            json_t *have;
            int seen = 0;
            (void)t;
            json_array_foreach(names, j, have) seen |= !strcmp(json_string_value(have), name);
            if (!seen && df_valid_ident(name))
                json_array_append_new(names, json_string(name));
        }
    }
    if (sql) {
        sb_adds(sql, "CREATE SCHEMA IF NOT EXISTS ");
        add_catalog(sql, catalog);
        sb_add_sql_ident(sql, step);
        sb_adds(sql, ";\n");
    }
    for (i = 0; i < json_array_size(names); i++) {
        const char *table = json_string_value(json_array_get(names, i));
        json_t *uris = json_array(), *keys = json_array(), *schema = NULL, *k;
        size_t j, x;
        int hive = 0;
        json_array_foreach(manifests, j, m)
        {
            json_t *t = json_object_get(json_object_get(m, "tables"), table), *f;
            if (!schema && json_array_size(json_object_get(t, "schema")))
                schema = json_object_get(t, "schema");
            json_array_foreach(json_object_get(t, "files"), x, f)
            {
                json_t *part = json_object_get(f, "partition");
                if (json_is_object(part) && json_object_size(part))
                    hive = 1;
            }
            df_manifest_table_keys(m, table, keys);
        }
        json_array_foreach(keys, j, k)
        {
            char *uri = df_store_describe(s, json_string_value(k));
            json_array_append_new(uris, json_string(uri));
            free(uri);
        }
        if (sql)
            add_view(sql, catalog, step, table, schema, uris, hive);
        if (tables_out) {
            json_t *cols = json_array(), *c;
            json_array_foreach(schema, j, c)
            {
                json_array_append_new(
                    cols,
                    json_pack("{s:s?, s:s?}", "name", json_string_value(json_object_get(c, "name")),
                              "type", json_string_value(json_object_get(c, "type"))));
            }
            json_array_append_new(tables_out,
                                  json_pack("{s:s, s:s, s:b, s:o, s:o}", "schema", step, "table",
                                            table, "hive_partitioning", hive, "columns", cols,
                                            "files", json_incref(uris)));
        }
        json_decref(uris);
        json_decref(keys);
    }
    json_decref(names);
    json_decref(manifests);
    return 0;
}

static int views_build(struct df_store *s, const char *pipeline, const char *run,
                       const struct df_run_snap *snap, const char *catalog, struct strbuf *sql,
                       json_t **json, struct df_error *err);
static int views_write(struct df_store *s, const char *pipeline, const char *run,
                       const struct df_run_snap *snap, struct df_error *err);

int df_views_build(struct df_store *s, const char *pipeline, const char *run, struct strbuf *sql,
                   json_t **json, struct df_error *err)
{
    return df_views_build_in(s, pipeline, run, NULL, sql, json, err);
}

int df_views_build_in(struct df_store *s, const char *pipeline, const char *run,
                      const char *catalog, struct strbuf *sql, json_t **json, struct df_error *err)
{
    return views_build(s, pipeline, run, NULL, catalog, sql, json, err);
}

/* The views from the manifests in snap (what the run's end read), else from the store. */
static int views_build(struct df_store *s, const char *pipeline, const char *run,
                       const struct df_run_snap *snap, const char *catalog, struct strbuf *sql,
                       json_t **json, struct df_error *err)
{
    json_t *tables = json ? json_array() : NULL, *steps = NULL;
    int rc = -1;

    if (json)
        *json = NULL;
    if ((snap ? df_run_snap_steps(snap, &steps, err)
              : df_manifest_list_steps(s, pipeline, run, &steps, err)) != 0)
        goto out;
    if (sql) {
        char *probe = df_store_local_path(s, "x");
        sb_addf(sql,
                "-- Views of run %s of pipeline %s over its committed files: a schema per "
                "step,\n-- a view per table. Runs in a stock DuckDB",
                run, pipeline);
        if (!probe)
            sb_adds(sql, " with httpfs (and credentials: CREATE SECRET)");
        sb_adds(sql, ".\n");
        free(probe);
        if (catalog) {
            /* An in-memory catalog per pipeline, as `duckflow query` makes them. */
            sb_adds(sql, "ATTACH IF NOT EXISTS ':memory:' AS ");
            sb_add_sql_ident(sql, catalog);
            sb_adds(sql, ";\n");
        }
    }
    for (size_t i = 0; i < json_array_size(steps); i++) {
        const char *step = json_string_value(json_array_get(steps, i));
        if (add_step(s, pipeline, run, snap, step, catalog, sql, tables, err) != 0) {
            df_error_prefix(err, "step '%s'", step);
            goto out;
        }
    }
    if (json)
        *json = json_pack("{s:s, s:s, s:s, s:o}", "pipeline", pipeline, "run", run, "store", s->uri,
                          "tables", json_incref(tables));
    rc = 0;
out:
    json_decref(steps);
    json_decref(tables);
    return rc;
}

int df_views_write(struct df_store *s, const char *pipeline, const char *run, struct df_error *err)
{
    return views_write(s, pipeline, run, NULL, err);
}

static int views_write(struct df_store *s, const char *pipeline, const char *run,
                       const struct df_run_snap *snap, struct df_error *err)
{
    struct strbuf sql = STRBUF_INIT;
    char *key = df_key_views_sql(pipeline, run);
    int rc = views_build(s, pipeline, run, snap, NULL, &sql, NULL, err);

    if (rc == 0)
        rc = df_store_put_bytes(s, key, sql.buf, sql.len, err);
    if (rc != 0)
        df_error_prefix(err, "cannot write the views of run '%s'", run);
    sb_release(&sql);
    free(key);
    return rc;
}

int df_run_end_outputs(struct df_store *s, const char *pipeline, const char *run, int succeeded,
                       struct df_error *err)
{
    struct df_error e = DF_ERROR_INIT;
    struct df_run_snap snap;

    /* The run's folder, run.json and manifests are read once, for all three. */
    df_run_snap_take(s, pipeline, run, &snap);
    df_lineage_run_end(s, pipeline, run, &snap); /* never fails the run: it warns */
    if (views_write(s, pipeline, run, &snap, err) != 0) {
        df_run_snap_release(&snap);
        return -1;
    }
    /* What gc reads in place of the manifests: only ever saves reads, so a failure warns. */
    if (df_run_index_write_snap(s, pipeline, run, &snap, &e) != 0)
        fprintf(stderr, "duckflow: warning: cannot write %s of run '%s': %s\n", DF_RUN_MANIFESTS,
                run, e.msg);
    df_run_snap_release(&snap);
    return succeeded ? df_publish(s, pipeline, run, err) : 0;
}
