/*
 * catalogs.c - several pipelines of one store in one DuckDB (`duckflow query` without
 * --pipeline over a store that holds several): each pipeline's published run (else its
 * latest) becomes a catalog named after the pipeline, so `tpch.merge.totals` and
 * `popularity.popularity.table_popularity` can be joined. Each catalog is an in-memory
 * database holding the same schemas and views a single run gets (df_query_attach).
 */
#include <stdlib.h>
#include <string.h>

#include "query/query.h"
#include "util/strbuf.h"
#include "util/banned.h"

int df_query_attach_pipelines(struct df_duck *d, struct df_store *s, json_t *pipelines,
                              const char *run, const char *sql, struct df_error *err)
{
    size_t i;
    json_t *v;
    int rc = 0;

    json_array_foreach(pipelines, i, v)
    {
        const char *pl = json_string_value(v);
        struct strbuf q = STRBUF_INIT;
        struct df_run_info *info = NULL;
        char *p = NULL, *r = NULL;

        rc = df_run_resolve(s, pl, run, &p, &r, err);
        if (rc == 0)
            rc = df_run_load(s, p, r, &info, err);
        if (rc == 0) {
            sb_adds(&q, "ATTACH ':memory:' AS ");
            sb_add_sql_ident(&q, pl);
            /* catalog.main: a bare `USE orders` picks the schema `orders` of an attached
             * catalog when another pipeline has a step called so. */
            sb_adds(&q, "; USE ");
            sb_add_sql_ident(&q, pl);
            sb_adds(&q, ".main");
            rc = df_duck_exec(d, q.buf, err);
            if (rc != 0)
                df_error_prefix(err, "pipeline '%s' as catalog", pl);
        }
        if (rc == 0)
            rc = df_query_attach_catalog(d, s, info, pl, NULL, sql, err);
        if (rc != 0)
            df_error_prefix(err, "pipeline '%s'", pl);
        df_run_info_free(info);
        sb_release(&q);
        free(p);
        free(r);
        if (rc != 0)
            break;
    }
    if (rc == 0)
        rc = df_duck_exec(d, "USE memory", err);
    return rc;
}
