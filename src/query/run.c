/*
 * run.c - reading a run's committed manifests (query.h step 2); the run itself is picked
 * by df_run_resolve() (store/runs.c). Only keys are listed and only run.json and
 * manifests are read; the data files stay where they are until df_query_attach().
 */
#include <stdlib.h>
#include <string.h>

#include "query/query.h"
#include "store/manifest.h"
#include "store/runs.h"
#include "util/strbuf.h"
#include "util/banned.h"

static int by_start(const void *a, const void *b)
{
    const struct df_run_step *x = a, *y = b;
    int c = strcmp(x->first_started, y->first_started);
    return c ? c : strcmp(x->name, y->name);
}

int df_run_load(struct df_store *s, const char *pipeline, const char *run, struct df_run_info **out,
                struct df_error *err)
{
    struct df_run_info *r = xcalloc(1, sizeof(*r));
    json_t *names = NULL;
    int rc = -1;

    *out = NULL;
    r->pipeline = xstrdup(pipeline);
    r->run = xstrdup(run);
    if (df_run_record_read(s, pipeline, run, &r->run_json, err) != 0 ||
        df_manifest_list_steps(s, pipeline, run, &names, err) != 0)
        goto out;
    r->steps = xcalloc(json_array_size(names) ? json_array_size(names) : 1, sizeof(*r->steps));
    for (size_t i = 0; i < json_array_size(names); i++) {
        const char *name = json_string_value(json_array_get(names, i));
        struct df_run_step *st = &r->steps[r->n_steps];
        size_t j;
        json_t *m;
        if (df_manifest_list_step(s, pipeline, run, name, &st->manifests, err) != 0) {
            df_error_prefix(err, "step '%s'", name);
            goto out;
        }
        st->name = xstrdup(name);
        st->first_started = xstrdup("");
        json_array_foreach(st->manifests, j, m)
        {
            const char *t = json_string_value(json_object_get(m, "started_at"));
            if (t && (!st->first_started[0] || strcmp(t, st->first_started) < 0)) {
                free(st->first_started);
                st->first_started = xstrdup(t);
            }
        }
        r->n_steps++;
    }
    qsort(r->steps, r->n_steps, sizeof(*r->steps), by_start);
    *out = r;
    r = NULL;
    rc = 0;
out:
    json_decref(names);
    df_run_info_free(r);
    return rc;
}

void df_run_info_free(struct df_run_info *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_steps; i++) {
        free(r->steps[i].name);
        json_decref(r->steps[i].manifests);
        free(r->steps[i].first_started);
    }
    free(r->steps);
    json_decref(r->run_json);
    free(r->pipeline);
    free(r->run);
    free(r);
}
