/*
 * findtask.c - a run's task by its item's label (see findtask.h).
 */
#include "query/findtask.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dag/label.h"
#include "query/failchecks.h"
#include "query/query.h"
#include "util/strbuf.h"
#include "util/banned.h"

#define KNOWN_MAX 10 /* labels named when none matches */

struct matches {
    long index;
    size_t n, n_known;
    struct strbuf known;
};

static void consider(struct matches *m, const char *label, json_int_t index, const char *want)
{
    if (m->n_known < KNOWN_MAX)
        sb_addf(&m->known, "%s%s", m->n_known ? ", " : "", label);
    m->n_known++;
    if (!strcmp(label, want)) {
        if (!m->n || m->index != (long)index)
            m->n++;
        m->index = (long)index;
    }
}

/* The run record's labels: its tasks' "label" ("gen[eu]"). */
static void from_record(struct matches *m, json_t *rec, const char *step, const char *want)
{
    size_t i, sl = strlen(step);
    json_t *t;
    json_array_foreach(json_object_get(rec, "tasks"), i, t)
    {
        const char *ts = json_string_value(json_object_get(t, "step"));
        const char *l = json_string_value(json_object_get(t, "label"));
        json_t *idx = json_object_get(t, "item_index");
        if (!ts || strcmp(ts, step) || !l || !json_is_integer(idx))
            continue;
        if (!strncmp(l, step, sl) && l[sl] == '[' && l[strlen(l) - 1] == ']') {
            char *inner = xstrndup(l + sl + 1, strlen(l) - sl - 2);
            consider(m, inner, json_integer_value(idx), want);
            free(inner);
        }
    }
}

/* Items as the store records them: committed manifests and failed attempts. */
static void from_store(struct matches *m, struct df_store *s, const char *pl, const char *run,
                       const char *step, const char *want)
{
    struct df_error e = DF_ERROR_INIT;
    struct df_run_info *r = NULL;
    json_t *failed = NULL, *arrs[2] = {NULL, NULL}, *x;
    size_t i;
    char label[DF_LABEL_MAX + 1];

    if (df_run_load(s, pl, run, &r, &e) != 0)
        return;
    for (i = 0; i < r->n_steps; i++)
        if (!strcmp(r->steps[i].name, step))
            arrs[0] = r->steps[i].manifests;
    if (df_failed_task_errors(s, r, &failed, &e) == 0)
        arrs[1] = json_object_get(failed, step);
    for (int a = 0; a < 2; a++)
        json_array_foreach(arrs[a], i, x)
        {
            json_int_t idx = json_integer_value(json_object_get(x, "item_index"));
            df_item_label(json_object_get(x, "item"), (size_t)idx, label, sizeof(label));
            consider(m, label, idx, want);
        }
    json_decref(failed);
    df_run_info_free(r);
}

long df_run_find_item(struct df_store *s, const char *pipeline, const char *run, json_t *rec,
                      const char *step, const char *label, struct df_error *err)
{
    struct matches m = {-1, 0, 0, STRBUF_INIT};
    long rc = -1;

    from_record(&m, rec, step, label);
    if (!m.n_known)
        from_store(&m, s, pipeline, run, step, label);
    if (m.n == 1)
        rc = m.index;
    else if (m.n > 1)
        df_error_set(err, DF_EUSAGE, "'%s[%s]' names several tasks of run '%s': give the index",
                     step, label, run);
    else if (!m.n_known)
        df_error_set(err, DF_EUSAGE, "step '%s' has no tasks in run '%s'", step, run);
    else
        df_error_set(err, DF_EUSAGE, "step '%s' has no item '%s' in run '%s' (its items: %s%s)",
                     step, label, run, m.known.buf, m.n_known > KNOWN_MAX ? ", ..." : "");
    sb_release(&m.known);
    return rc;
}
