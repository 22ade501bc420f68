/*
 * argo_groups.c - keeps every DAG template of a manifest under AG_TEMPLATE_MAX (16 KiB as
 * compact JSON). A flat DAG `main` that fits stays as it is. A larger one is split into
 * nested DAG templates, "groups": its tasks are packed in topological-level order (tasks of
 * one level never depend on one another) into groups under the budget, an items task
 * always beside the step it lists items for; `main` gets one task per group, and a group
 * depends on exactly the groups that hold a dependency of one of its members. Inside a
 * group, tasks keep their exact dependencies on members of the same group. A reference to
 * another task's output (`{{tasks.X.outputs.result}}`, an `each` step's list of items)
 * whose task sits in another group travels through the groups: an output parameter of
 * X's group, an argument of the consumer's group task, an input parameter there. When the
 * outer DAG is itself too large, the same is done to it (groups of groups).
 * See docs/argo.md, Limits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argo/argo_internal.h"

#include "util/banned.h"

struct unit {
    size_t first, n; /* tasks first .. first+n-1 */
    size_t level;
    size_t bytes;
    size_t group;
};

/* A parameter that crosses groups: name, the group holding its source, the source
 * reference inside that group. */
struct xref {
    char *param;
    size_t from;
    char *source;
};

struct group {
    size_t *member; /* unit indices, in level order */
    size_t n, alloc;
    unsigned char *dep; /* per group: this one depends on it */
    struct xref *in;    /* parameters it takes */
    size_t n_in;
    struct xref *out; /* parameters it gives (source = its own task's reference) */
    size_t n_out;
    json_t *tasks;
    const char *name;
};

static size_t compact_size(const json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    size_t n = s ? strlen(s) : 0;
    free(s);
    return n;
}

size_t ag_template_max(void)
{
    /* Tests lower it to split small pipelines (tests/e2e/t7251-*). */
    const char *e = getenv("DUCKFLOW_ARGO_TEMPLATE_MAX");
    long v = e ? strtol(e, NULL, 10) : 0;
    return v >= 1024 && v <= AG_TEMPLATE_MAX ? (size_t)v : AG_TEMPLATE_MAX;
}

static int xref_has(const struct xref *v, size_t n, const char *param)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i].param, param))
            return 1;
    return 0;
}

static void xref_add(struct xref **v, size_t *n, const char *param, size_t from, const char *source)
{
    if (xref_has(*v, *n, param))
        return;
    *v = xrealloc(*v, (*n + 1) * sizeof(**v));
    (*v)[*n].param = xstrdup(param);
    (*v)[*n].from = from;
    (*v)[*n].source = xstrdup(source);
    (*n)++;
}

static void xrefs_release(struct xref *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].param);
        free(v[i].source);
    }
    free(v);
}

struct split {
    json_t *index; /* task name -> task position */
    size_t n_tasks;
    size_t *unit_of; /* per task */
    struct unit *units;
    size_t n_units;
    struct group *groups;
    size_t n_groups;
};

static long task_pos(const struct split *s, const char *name)
{
    json_t *v = json_object_get(s->index, name);
    return v ? (long)json_integer_value(v) : -1;
}

/* Rewrites the references in str to outputs of tasks outside group g into input
 * parameters of g, recording them (and the outputs of the groups that hold them).
 * Returns a new string, or NULL when nothing changed. */
static char *rewrite_refs(struct split *s, size_t g, const char *str)
{
    struct strbuf out = STRBUF_INIT;
    const char *p = str, *hit;
    int changed = 0;

    while ((hit = strstr(p, "{{tasks.")) != NULL) {
        const char *name = hit + 8, *dot = strchr(name, '.'), *end;
        char *task, *param, *source;
        long pos;
        sb_add(&out, p, (size_t)(hit - p));
        end = dot ? strstr(dot, "}}") : NULL;
        if (!dot || !end) {
            sb_adds(&out, hit);
            p = hit + strlen(hit);
            break;
        }
        task = xstrndup(name, (size_t)(dot - name));
        pos = task_pos(s, task);
        if (pos < 0 || s->units[s->unit_of[pos]].group == g ||
            (strncmp(dot, ".outputs.result}}", 17) && strncmp(dot, ".outputs.parameters.", 20))) {
            sb_add(&out, hit, (size_t)(end + 2 - hit));
            p = end + 2;
            free(task);
            continue;
        }
        /* The parameter's name: the task's for a result, the parameter's own name when
         * it already crossed a level of groups (task names are unique). */
        param = !strncmp(dot, ".outputs.result}}", 17)
                    ? xstrdup(task)
                    : xstrndup(dot + 20, (size_t)(end - (dot + 20)));
        source = xstrndup(hit, (size_t)(end + 2 - hit));
        {
            size_t from = s->units[s->unit_of[pos]].group;
            struct group *G = &s->groups[g], *F = &s->groups[from];
            xref_add(&G->in, &G->n_in, param, from, source);
            xref_add(&F->out, &F->n_out, param, from, source);
            G->dep[from] = 1;
        }
        sb_addf(&out, "{{inputs.parameters.%s}}", param);
        changed = 1;
        free(param);
        free(source);
        free(task);
        p = end + 2;
    }
    if (!changed) {
        sb_release(&out);
        return NULL;
    }
    sb_adds(&out, p);
    return sb_detach(&out);
}

static void rewrite_all(struct split *s, size_t g, json_t *v)
{
    if (json_is_object(v)) {
        const char *k;
        json_t *x;
        void *tmp;
        json_object_foreach_safe(v, tmp, k, x)
        {
            if (json_is_string(x)) {
                char *r = rewrite_refs(s, g, json_string_value(x));
                if (r) {
                    json_object_set_new(v, k, ag_jstr(r));
                    free(r);
                }
            } else {
                rewrite_all(s, g, x);
            }
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x)
        {
            if (json_is_string(x)) {
                char *r = rewrite_refs(s, g, json_string_value(x));
                if (r) {
                    json_array_set_new(v, i, ag_jstr(r));
                    free(r);
                }
            } else {
                rewrite_all(s, g, x);
            }
        }
    }
}

static void groups_release(struct split *s)
{
    for (size_t g = 0; g < s->n_groups; g++) {
        free(s->groups[g].member);
        free(s->groups[g].dep);
        xrefs_release(s->groups[g].in, s->groups[g].n_in);
        xrefs_release(s->groups[g].out, s->groups[g].n_out);
        json_decref(s->groups[g].tasks);
    }
    free(s->groups);
    s->groups = NULL;
    s->n_groups = 0;
}

static int by_level(const void *a, const void *b)
{
    const struct unit *x = a, *y = b;
    if (x->level != y->level)
        return x->level < y->level ? -1 : 1;
    return x->first < y->first ? -1 : x->first > y->first;
}

/* The bytes unit u's tasks take in group g: their dependencies on tasks of other groups
 * are left out (units before u have their groups). */
static size_t unit_bytes(struct split *s, const json_t *tasks, size_t u, size_t g)
{
    struct unit *U = &s->units[u];
    size_t bytes = 0, saved = U->group;
    U->group = g;
    for (size_t k = U->first; k < U->first + U->n; k++) {
        json_t *t = json_deep_copy(json_array_get(tasks, k));
        json_t *deps = json_object_get(t, "dependencies"), *keep = json_array(), *d;
        size_t i;
        json_array_foreach(deps, i, d)
        {
            long pos = task_pos(s, json_string_value(d));
            if (pos < 0 || s->units[s->unit_of[pos]].group == g)
                json_array_append(keep, d);
        }
        if (deps && !json_array_size(keep))
            json_object_del(t, "dependencies");
        else if (deps)
            json_object_set(t, "dependencies", keep);
        json_decref(keep);
        bytes += compact_size(t) + 1;
        json_decref(t);
    }
    U->group = saved;
    return bytes;
}

/* Packs the units (sorted by level) into groups of at most `budget` bytes of tasks and
 * builds each group's tasks. */
static void pack(struct split *s, const json_t *tasks, size_t budget)
{
    size_t cur = 0;

    groups_release(s);
    for (size_t u = 0; u < s->n_units; u++)
        s->units[u].group = (size_t)-1;
    for (size_t u = 0; u < s->n_units; u++) {
        struct unit *U = &s->units[u];
        size_t bytes = s->n_groups ? unit_bytes(s, tasks, u, s->n_groups - 1) : 0;
        if (s->n_groups == 0 || (cur > 0 && cur + bytes > budget)) {
            s->groups = xrealloc(s->groups, (s->n_groups + 1) * sizeof(*s->groups));
            memset(&s->groups[s->n_groups], 0, sizeof(*s->groups));
            s->n_groups++;
            cur = 0;
            bytes = unit_bytes(s, tasks, u, s->n_groups - 1);
        }
        {
            struct group *G = &s->groups[s->n_groups - 1];
            if (G->n == G->alloc) {
                G->alloc = G->alloc ? 2 * G->alloc : 64;
                G->member = xrealloc(G->member, G->alloc * sizeof(*G->member));
            }
            G->member[G->n++] = u;
        }
        U->group = s->n_groups - 1;
        cur += bytes;
    }
    for (size_t g = 0; g < s->n_groups; g++)
        s->groups[g].dep = xcalloc(s->n_groups, 1);
    for (size_t g = 0; g < s->n_groups; g++) {
        struct group *G = &s->groups[g];
        G->tasks = json_array();
        for (size_t m = 0; m < G->n; m++) {
            const struct unit *U = &s->units[G->member[m]];
            for (size_t k = U->first; k < U->first + U->n; k++) {
                json_t *t = json_deep_copy(json_array_get(tasks, k));
                json_t *deps = json_object_get(t, "dependencies"), *keep = json_array(), *d;
                size_t i;
                json_array_foreach(deps, i, d)
                {
                    long pos = task_pos(s, json_string_value(d));
                    size_t dg = pos < 0 ? g : s->units[s->unit_of[pos]].group;
                    if (dg == g)
                        json_array_append(keep, d);
                    else
                        G->dep[dg] = 1;
                }
                if (deps) {
                    if (json_array_size(keep))
                        json_object_set(t, "dependencies", keep);
                    else
                        json_object_del(t, "dependencies");
                }
                json_decref(keep);
                rewrite_all(s, g, t);
                json_array_append_new(G->tasks, t);
            }
        }
    }
}

static json_t *group_template(const struct group *G, const char *name)
{
    json_t *t = json_object(), *dag = json_object();
    json_object_set_new(t, "name", ag_jstr(name));
    if (G->n_in) {
        json_t *in = json_object(), *ps = json_array();
        for (size_t i = 0; i < G->n_in; i++) {
            json_t *p = json_object();
            json_object_set_new(p, "name", ag_jstr(G->in[i].param));
            json_array_append_new(ps, p);
        }
        json_object_set_new(in, "parameters", ps);
        json_object_set_new(t, "inputs", in);
    }
    if (G->n_out) {
        json_t *out = json_object(), *ps = json_array();
        for (size_t i = 0; i < G->n_out; i++) {
            json_t *p = json_object(), *vf = json_object();
            json_object_set_new(p, "name", ag_jstr(G->out[i].param));
            json_object_set_new(vf, "parameter", ag_jstr(G->out[i].source));
            json_object_set_new(p, "valueFrom", vf);
            json_array_append_new(ps, p);
        }
        json_object_set_new(out, "parameters", ps);
        json_object_set_new(t, "outputs", out);
    }
    json_object_set_new(dag, "failFast", json_false());
    json_object_set(dag, "tasks", G->tasks);
    json_object_set_new(t, "dag", dag);
    return t;
}

/* The outer task running group g. */
static json_t *group_task(const struct split *s, size_t g)
{
    const struct group *G = &s->groups[g];
    json_t *t = json_object(), *deps = json_array();
    json_object_set_new(t, "name", ag_jstr(G->name));
    json_object_set_new(t, "template", ag_jstr(G->name));
    for (size_t d = 0; d < s->n_groups; d++)
        if (G->dep[d])
            json_array_append_new(deps, ag_jstr(s->groups[d].name));
    if (json_array_size(deps))
        json_object_set_new(t, "dependencies", deps);
    else
        json_decref(deps);
    if (G->n_in) {
        json_t *args = json_object(), *ps = json_array();
        for (size_t i = 0; i < G->n_in; i++)
            json_array_append_new(
                ps, ag_name_value(G->in[i].param,
                                  ag_jstrf("{{tasks.%s.outputs.parameters.%s}}",
                                           s->groups[G->in[i].from].name, G->in[i].param)));
        json_object_set_new(args, "parameters", ps);
        json_object_set_new(t, "arguments", args);
    }
    return t;
}

/* One level of splitting: dag_t's tasks into groups named PREFIX-1, PREFIX-2, ...,
 * inserted into templates at *at (advanced). */
static int split_once(struct ctx *c, json_t *templates, size_t *at, json_t *dag_t,
                      const unsigned char *glue, const char *prefix, size_t max,
                      struct df_error *err)
{
    json_t *dag = json_object_get(dag_t, "dag");
    json_t *tasks = json_object_get(dag, "tasks"), *t;
    struct split s;
    size_t k, budget, biggest = 0;
    int rc = -1;

    memset(&s, 0, sizeof(s));
    s.n_tasks = json_array_size(tasks);
    s.index = json_object();
    s.unit_of = xcalloc(s.n_tasks ? s.n_tasks : 1, sizeof(*s.unit_of));
    s.units = xcalloc(s.n_tasks ? s.n_tasks : 1, sizeof(*s.units));
    json_array_foreach(tasks, k, t)
    {
        json_object_set_new(s.index, json_string_value(json_object_get(t, "name")),
                            json_integer((json_int_t)k));
        if (k > 0 && glue && glue[k - 1]) {
            s.units[s.n_units - 1].n++;
        } else {
            s.units[s.n_units].first = k;
            s.units[s.n_units].n = 1;
            s.n_units++;
        }
        s.unit_of[k] = s.n_units - 1;
        s.units[s.n_units - 1].bytes += compact_size(t) + 1;
    }
    /* Levels: the longest path from a task without dependencies (units relaxed until
     * stable; the tasks come in dependency order, so this takes two passes). */
    for (size_t pass = 0, changed = 1; changed && pass <= s.n_units; pass++) {
        changed = 0;
        for (size_t u = 0; u < s.n_units; u++) {
            for (k = s.units[u].first; k < s.units[u].first + s.units[u].n; k++) {
                json_t *d;
                size_t i;
                json_array_foreach(json_object_get(json_array_get(tasks, k), "dependencies"), i, d)
                {
                    long pos = task_pos(&s, json_string_value(d));
                    if (pos < 0 || s.unit_of[pos] == u)
                        continue;
                    if (s.units[s.unit_of[pos]].level + 1 > s.units[u].level) {
                        s.units[u].level = s.units[s.unit_of[pos]].level + 1;
                        changed = 1;
                    }
                }
            }
        }
    }
    /* Sorting moves units: unit_of must follow. */
    qsort(s.units, s.n_units, sizeof(*s.units), by_level);
    for (size_t u = 0; u < s.n_units; u++) {
        for (k = s.units[u].first; k < s.units[u].first + s.units[u].n; k++)
            s.unit_of[k] = u;
        if (s.units[u].bytes > biggest)
            biggest = s.units[u].bytes;
    }
    /* Pack under the budget less a group template's own fields; when parameters that
     * cross groups push one over, pack again tighter. */
    for (budget = max - 128;; budget -= 512) {
        int fits = 1;
        if (budget < biggest + 256 || budget > max) {
            df_error_set(err, DF_EUSAGE,
                         "cannot split the DAG into templates of at most %zu bytes (a task "
                         "takes %zu)",
                         max, biggest);
            goto done;
        }
        pack(&s, tasks, budget);
        for (size_t g = 0; g < s.n_groups && fits; g++) {
            json_t *gt = group_template(&s.groups[g], "group-00000");
            fits = compact_size(gt) <= max;
            json_decref(gt);
        }
        if (fits)
            break;
    }
    {
        json_t *outer = json_array();
        for (size_t g = 0; g < s.n_groups; g++) {
            char *base = xasprintf("%s-%zu", prefix, g + 1);
            s.groups[g].name = ag_names_take(c, base);
            free(base);
        }
        for (size_t g = 0; g < s.n_groups; g++) {
            json_array_insert_new(templates, (*at)++,
                                  group_template(&s.groups[g], s.groups[g].name));
            json_array_append_new(outer, group_task(&s, g));
        }
        json_object_set_new(dag, "tasks", outer);
    }
    rc = 0;
done:
    groups_release(&s);
    json_decref(s.index);
    free(s.unit_of);
    free(s.units);
    return rc;
}

int ag_split_dag(struct ctx *c, json_t *templates, json_t *main_t, const unsigned char *glue,
                 struct df_error *err)
{
    const size_t max = ag_template_max();
    size_t at = 1; /* the groups go right after `main` */
    static const char *const prefixes[] = {"group", "groups", "groups-of"};

    for (size_t level = 0; compact_size(main_t) > max; level++) {
        if (level == sizeof(prefixes) / sizeof(*prefixes))
            return df_error_set(err, DF_EUSAGE,
                                "the DAG does not fit templates of at most %zu bytes", max);
        if (split_once(c, templates, &at, main_t, level == 0 ? glue : NULL, prefixes[level], max,
                       err))
            return -1;
    }
    return 0;
}
