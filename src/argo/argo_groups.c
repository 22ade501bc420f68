/*
 * argo_groups.c - keeps every DAG template of a manifest under AG_TEMPLATE_MAX (16 KiB as
 * compact JSON). A flat DAG `main` that fits stays as it is. A larger one is split into
 * nested DAG templates, "groups", so that a step waits for as little as possible beyond
 * its own dependencies: the DAG's weakly connected components that fit a group go whole
 * into groups (several small ones per group, first-fit from the largest), and a component
 * larger than a group is split along a topological order, the one (of level order and a
 * depth-first order that follows chains) giving fewer group -> group edges, then the
 * shorter critical path. An items task always stays beside the step it lists items for.
 * `main` gets one task per group, and a group depends on exactly the groups that hold a
 * dependency of one of its members. Inside a group, tasks keep their exact dependencies
 * on members of the same group. A reference to another task's output
 * (`{{tasks.X.outputs.result}}`, an `each` step's list of items) whose task sits in
 * another group travels through the groups: an output parameter of X's group, an argument
 * of the consumer's group task, an input parameter there. When the outer DAG is itself
 * too large, the same is done to it (groups of groups). The same pipeline always gives
 * the same groups. See docs/argo.md, Limits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argo/argo_internal.h"

#include "util/banned.h"

#define NO_GROUP ((size_t)-1)
#define ALONE    ((size_t)-2) /* a group no unit is in (unit_bytes of a unit by itself) */

struct unit {
    size_t first, n; /* tasks first .. first+n-1 */
    size_t *dep;     /* the units it depends on, each once */
    size_t n_dep;
    size_t level; /* the longest chain of units before it */
    size_t topo;  /* its place in a depth-first topological order */
    size_t bytes; /* its tasks with all their dependencies */
    size_t group;
};

/* A weakly connected component of the DAG (its units in task order), or a shared source:
 * a unit without dependencies that units of several components depend on (the bundle
 * task, a step that several independent branches read). */
struct comp {
    size_t *unit;
    size_t n;
    size_t bytes;
    int source;
};

/* A parameter that crosses groups: name, the group holding its source, the source
 * reference inside that group. */
struct xref {
    char *param;
    size_t from;
    char *source;
};

struct group {
    size_t *member; /* unit indices, in task order */
    size_t n, alloc;
    size_t bytes;       /* while packing */
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
    struct comp *comps;
    size_t n_comps;
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

static void rewrite_all(struct split *s, size_t g, json_t *v);

/* x rewritten for group g: a new string when x is one whose references changed, else NULL
 * (an object or array is rewritten in place). */
static json_t *rewrite_value(struct split *s, size_t g, json_t *x)
{
    char *r;
    json_t *v;
    if (!json_is_string(x)) {
        rewrite_all(s, g, x);
        return NULL;
    }
    r = rewrite_refs(s, g, json_string_value(x));
    if (!r)
        return NULL;
    v = ag_jstr(r);
    free(r);
    return v;
}

static void rewrite_all(struct split *s, size_t g, json_t *v)
{
    json_t *x, *r;
    if (json_is_object(v)) {
        const char *k;
        void *tmp;
        json_object_foreach_safe(v, tmp, k, x)
        {
            if ((r = rewrite_value(s, g, x)) != NULL)
                json_object_set_new(v, k, r);
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_array_foreach(v, i, x)
        {
            if ((r = rewrite_value(s, g, x)) != NULL)
                json_array_set_new(v, i, r);
        }
    }
}

/* Drops the groups from index n on, their units back to no group. */
static void groups_truncate(struct split *s, size_t n)
{
    for (size_t g = n; g < s->n_groups; g++) {
        struct group *G = &s->groups[g];
        for (size_t m = 0; m < G->n; m++)
            s->units[G->member[m]].group = NO_GROUP;
        free(G->member);
        free(G->dep);
        xrefs_release(G->in, G->n_in);
        xrefs_release(G->out, G->n_out);
        json_decref(G->tasks);
    }
    s->n_groups = n;
}

static void groups_release(struct split *s)
{
    groups_truncate(s, 0);
    free(s->groups);
    s->groups = NULL;
}

static size_t group_new(struct split *s)
{
    s->groups = xrealloc(s->groups, (s->n_groups + 1) * sizeof(*s->groups));
    memset(&s->groups[s->n_groups], 0, sizeof(*s->groups));
    return s->n_groups++;
}

static void group_add(struct split *s, size_t g, size_t u, size_t bytes)
{
    struct group *G = &s->groups[g];
    if (G->n == G->alloc) {
        G->alloc = G->alloc ? 2 * G->alloc : 64;
        G->member = xrealloc(G->member, G->alloc * sizeof(*G->member));
    }
    G->member[G->n++] = u;
    G->bytes += bytes;
    s->units[u].group = g;
}

/* A sort key: a, then b, then u. */
struct key {
    size_t a, b, u;
};

static int by_key(const void *x, const void *y)
{
    const struct key *p = x, *q = y;
    if (p->a != q->a)
        return p->a < q->a ? -1 : 1;
    if (p->b != q->b)
        return p->b < q->b ? -1 : 1;
    return p->u < q->u ? -1 : p->u > q->u;
}

/* Task k as group g holds it: its dependencies on tasks of other groups left out (and
 * those groups marked in dep_mark when given). */
static json_t *task_in_group(const struct split *s, const json_t *tasks, size_t k, size_t g,
                             unsigned char *dep_mark)
{
    json_t *t = json_deep_copy(json_array_get(tasks, k));
    json_t *deps = json_object_get(t, "dependencies"), *keep = json_array(), *d;
    size_t i;
    json_array_foreach(deps, i, d)
    {
        long pos = task_pos(s, json_string_value(d));
        size_t dg = pos < 0 ? g : s->units[s->unit_of[pos]].group;
        if (dg == g)
            json_array_append(keep, d);
        else if (dep_mark)
            dep_mark[dg] = 1;
    }
    if (deps) {
        if (json_array_size(keep))
            json_object_set(t, "dependencies", keep);
        else
            json_object_del(t, "dependencies");
    }
    json_decref(keep);
    return t;
}

/* The bytes unit u's tasks take in group g (units placed before u have their groups). */
static size_t unit_bytes(struct split *s, const json_t *tasks, size_t u, size_t g)
{
    struct unit *U = &s->units[u];
    size_t bytes = 0, saved = U->group;
    U->group = g;
    for (size_t k = U->first; k < U->first + U->n; k++) {
        json_t *t = task_in_group(s, tasks, k, g, NULL);
        bytes += compact_size(t) + 1;
        json_decref(t);
    }
    U->group = saved;
    return bytes;
}

/* Places the units of order (a topological order) one after another into new groups of
 * at most `budget` bytes. */
static void pack_in_order(struct split *s, const json_t *tasks, const size_t *order, size_t n,
                          size_t budget)
{
    size_t g = NO_GROUP;
    for (size_t i = 0; i < n; i++) {
        size_t bytes = g == NO_GROUP ? 0 : unit_bytes(s, tasks, order[i], g);
        if (g == NO_GROUP || (s->groups[g].bytes > 0 && s->groups[g].bytes + bytes > budget)) {
            g = group_new(s);
            bytes = unit_bytes(s, tasks, order[i], g);
        }
        group_add(s, g, order[i], bytes);
    }
}

/* The groups from g0 on, holding the units of order: how many group -> group edges they
 * have, and their critical path in tasks (a group starts when the groups it depends on
 * have finished). */
static void score_groups(const struct split *s, const size_t *order, size_t n, size_t g0,
                         size_t *edges, size_t *path)
{
    size_t ng = s->n_groups - g0;
    unsigned char *edge = xcalloc(ng * ng, 1);
    size_t *finish = xcalloc(s->n_units, sizeof(*finish));
    size_t *gpath = xcalloc(ng, sizeof(*gpath)), *gfinish = xcalloc(ng, sizeof(*gfinish));

    *edges = *path = 0;
    for (size_t i = 0; i < n; i++) {
        const struct unit *U = &s->units[order[i]];
        size_t g = U->group - g0, start = 0;
        for (size_t j = 0; j < U->n_dep; j++) {
            size_t d = U->dep[j], dg = s->units[d].group - g0;
            if (s->units[d].group < g0)
                continue; /* a shared source: the same for every order */
            if (dg == g && finish[d] > start)
                start = finish[d];
            else if (dg != g && !edge[g * ng + dg]) {
                edge[g * ng + dg] = 1;
                (*edges)++;
            }
        }
        finish[order[i]] = start + U->n;
        if (finish[order[i]] > gpath[g])
            gpath[g] = finish[order[i]];
    }
    /* A group depends only on groups made before it (order is topological). */
    for (size_t g = 0; g < ng; g++) {
        size_t start = 0;
        for (size_t dg = 0; dg < g; dg++)
            if (edge[g * ng + dg] && gfinish[dg] > start)
                start = gfinish[dg];
        gfinish[g] = start + gpath[g];
        if (gfinish[g] > *path)
            *path = gfinish[g];
    }
    free(edge);
    free(finish);
    free(gpath);
    free(gfinish);
}

/* Component c's units in level order (way 0) or depth-first topological order (way 1). */
static void comp_order(const struct split *s, const struct comp *c, int way, size_t *order)
{
    struct key *k = xcalloc(c->n, sizeof(*k));
    for (size_t i = 0; i < c->n; i++) {
        const struct unit *U = &s->units[c->unit[i]];
        k[i].a = way == 0 ? U->level : U->topo;
        k[i].u = c->unit[i];
    }
    qsort(k, c->n, sizeof(*k), by_key);
    for (size_t i = 0; i < c->n; i++)
        order[i] = k[i].u;
    free(k);
}

/* Splits component c, larger than a group, into groups of its own: in the order giving
 * fewer group -> group edges, then the shorter critical path, then level order. */
static void pack_large(struct split *s, const json_t *tasks, const struct comp *c, size_t budget)
{
    size_t *order = xmalloc(c->n * sizeof(*order)), g0 = s->n_groups;
    size_t best_edges = 0, best_path = 0;
    int best = 0;

    for (int way = 0; way < 2; way++) {
        size_t edges, path;
        comp_order(s, c, way, order);
        pack_in_order(s, tasks, order, c->n, budget);
        score_groups(s, order, c->n, g0, &edges, &path);
        groups_truncate(s, g0);
        if (way == 0 || edges < best_edges || (edges == best_edges && path < best_path)) {
            best = way;
            best_edges = edges;
            best_path = path;
        }
    }
    comp_order(s, c, best, order);
    pack_in_order(s, tasks, order, c->n, budget);
    free(order);
}

/* Numbers the groups by their first task, each group's units in task order. */
static void groups_renumber(struct split *s)
{
    struct key *k = xcalloc(s->n_groups ? s->n_groups : 1, sizeof(*k));
    struct group *moved = xcalloc(s->n_groups ? s->n_groups : 1, sizeof(*moved));
    for (size_t g = 0; g < s->n_groups; g++) {
        struct key *m = xcalloc(s->groups[g].n, sizeof(*m));
        for (size_t i = 0; i < s->groups[g].n; i++)
            m[i].a = s->groups[g].member[i];
        qsort(m, s->groups[g].n, sizeof(*m), by_key);
        for (size_t i = 0; i < s->groups[g].n; i++)
            s->groups[g].member[i] = m[i].a;
        free(m);
        k[g].a = s->groups[g].member[0];
        k[g].u = g;
    }
    qsort(k, s->n_groups, sizeof(*k), by_key);
    for (size_t g = 0; g < s->n_groups; g++) {
        moved[g] = s->groups[k[g].u];
        for (size_t i = 0; i < moved[g].n; i++)
            s->units[moved[g].member[i]].group = g;
    }
    memcpy(s->groups, moved, s->n_groups * sizeof(*moved));
    free(moved);
    free(k);
}

/* Packs the units into groups of at most `budget` bytes of tasks: the shared sources into
 * groups of their own, the components that fit whole first-fit from the largest, each
 * larger one split by pack_large. Then builds each group's tasks. */
static void pack(struct split *s, const json_t *tasks, size_t budget)
{
    struct key *k = xcalloc(s->n_comps ? s->n_comps : 1, sizeof(*k));
    size_t lo = 0; /* the first group the component may go to */

    groups_truncate(s, 0);
    for (size_t c = 0; c < s->n_comps; c++) {
        k[c].a = !s->comps[c].source;
        k[c].b = s->comps[c].source ? 0 : (size_t)-1 - s->comps[c].bytes;
        k[c].u = c;
    }
    qsort(k, s->n_comps, sizeof(*k), by_key);
    for (size_t i = 0; i < s->n_comps; i++) {
        const struct comp *C = &s->comps[k[i].u];
        size_t g;
        if (i > 0 && !C->source && s->comps[k[i - 1].u].source)
            lo = s->n_groups; /* shared sources have groups of their own */
        if (C->bytes > budget)
            continue;
        for (g = lo; g < s->n_groups && s->groups[g].bytes + C->bytes > budget; g++)
            ;
        if (g == s->n_groups)
            group_new(s);
        for (size_t m = 0; m < C->n; m++)
            group_add(s, g, C->unit[m], s->units[C->unit[m]].bytes);
    }
    free(k);
    for (size_t c = 0; c < s->n_comps; c++)
        if (s->comps[c].bytes > budget)
            pack_large(s, tasks, &s->comps[c], budget);
    groups_renumber(s);

    for (size_t g = 0; g < s->n_groups; g++)
        s->groups[g].dep = xcalloc(s->n_groups, 1);
    for (size_t g = 0; g < s->n_groups; g++) {
        struct group *G = &s->groups[g];
        G->tasks = json_array();
        for (size_t m = 0; m < G->n; m++) {
            const struct unit *U = &s->units[G->member[m]];
            for (size_t t = U->first; t < U->first + U->n; t++) {
                json_t *task = task_in_group(s, tasks, t, g, G->dep);
                rewrite_all(s, g, task);
                json_array_append_new(G->tasks, task);
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

/* Each unit's dependencies on other units, each once. */
static void units_link(struct split *s, const json_t *tasks)
{
    for (size_t u = 0; u < s->n_units; u++) {
        struct unit *U = &s->units[u];
        for (size_t k = U->first; k < U->first + U->n; k++) {
            json_t *d;
            size_t i;
            json_array_foreach(json_object_get(json_array_get(tasks, k), "dependencies"), i, d)
            {
                long pos = task_pos(s, json_string_value(d));
                size_t du = pos < 0 ? u : s->unit_of[pos], j = 0;
                while (j < U->n_dep && U->dep[j] != du)
                    j++;
                if (du == u || j < U->n_dep)
                    continue;
                U->dep = xrealloc(U->dep, (U->n_dep + 1) * sizeof(*U->dep));
                U->dep[U->n_dep++] = du;
            }
        }
    }
}

/* A depth-first topological order (a unit's dependents right after it when they become
 * ready, so chains stay together; the first unit in task order first) and the levels: the
 * longest chain of units before each. */
static void units_order(struct split *s)
{
    size_t n = s->n_units, done = 0, top = 0;
    size_t *left = xcalloc(n ? n : 1, sizeof(*left)), *at = xcalloc(n + 1, sizeof(*at));
    size_t *fill = xcalloc(n + 1, sizeof(*fill));
    size_t *edges, *stack = xcalloc(n ? n : 1, sizeof(*stack));

    /* The dependents of each unit, in task order: edges[at[u] .. at[u+1]-1]. */
    for (size_t u = 0; u < n; u++) {
        left[u] = s->units[u].n_dep;
        for (size_t j = 0; j < s->units[u].n_dep; j++)
            at[s->units[u].dep[j] + 1]++;
    }
    for (size_t u = 0; u < n; u++)
        at[u + 1] += at[u];
    edges = xcalloc(at[n] ? at[n] : 1, sizeof(*edges));
    memcpy(fill, at, (n + 1) * sizeof(*at));
    for (size_t u = 0; u < n; u++)
        for (size_t j = 0; j < s->units[u].n_dep; j++)
            edges[fill[s->units[u].dep[j]]++] = u;
    for (size_t u = n; u-- > 0;)
        if (!left[u])
            stack[top++] = u;
    while (top > 0) {
        size_t u = stack[--top];
        struct unit *U = &s->units[u];
        U->topo = done++;
        for (size_t j = 0; j < U->n_dep; j++)
            if (s->units[U->dep[j]].level + 1 > U->level)
                U->level = s->units[U->dep[j]].level + 1;
        for (size_t e = at[u + 1]; e-- > at[u];)
            if (--left[edges[e]] == 0)
                stack[top++] = edges[e];
    }
    /* A cycle cannot come from the compiler; should one, its units go last. */
    for (size_t u = 0; u < n; u++)
        if (left[u])
            s->units[u].topo = done++;
    free(left);
    free(at);
    free(fill);
    free(edges);
    free(stack);
}

static size_t find_root(size_t *parent, size_t u)
{
    while (parent[u] != u)
        u = parent[u] = parent[parent[u]];
    return u;
}

static void unite(size_t *parent, size_t a, size_t b)
{
    a = find_root(parent, a);
    b = find_root(parent, b);
    if (a != b)
        parent[a > b ? a : b] = a < b ? a : b; /* the root: the first unit */
}

/* The weakly connected components, numbered by their first unit in task order, the
 * dependencies on a shared source left out: a unit without dependencies whose dependents
 * would otherwise lie in two or more components becomes a component of its own, marked. */
static void comps_find(struct split *s)
{
    size_t n = s->n_units, none = (size_t)-1;
    size_t *parent = xcalloc(n ? n : 1, sizeof(*parent)), *id = xcalloc(n ? n : 1, sizeof(*id));
    size_t *users = xcalloc(n ? n : 1, sizeof(*users)), *seen = xcalloc(n ? n : 1, sizeof(*seen));
    unsigned char *hub = xcalloc(n ? n : 1, 1), *shared = xcalloc(n ? n : 1, 1);

    for (size_t u = 0; u < n; u++) {
        parent[u] = u;
        seen[u] = none;
        for (size_t j = 0; j < s->units[u].n_dep; j++)
            users[s->units[u].dep[j]]++;
    }
    for (size_t u = 0; u < n; u++)
        hub[u] = s->units[u].n_dep == 0 && users[u] >= 2;
    for (size_t u = 0; u < n; u++)
        for (size_t j = 0; j < s->units[u].n_dep; j++)
            if (!hub[s->units[u].dep[j]])
                unite(parent, u, s->units[u].dep[j]);
    /* Which hubs are shared: their dependents in two or more components. */
    for (size_t u = 0; u < n; u++)
        for (size_t j = 0; j < s->units[u].n_dep; j++) {
            size_t h = s->units[u].dep[j], r = find_root(parent, u);
            if (!hub[h])
                continue;
            if (seen[h] == none)
                seen[h] = r;
            else if (seen[h] != r)
                shared[h] = 1;
        }
    for (size_t h = 0; h < n; h++)
        if (hub[h] && !shared[h])
            unite(parent, h, seen[h]);
    s->comps = xcalloc(n ? n : 1, sizeof(*s->comps));
    for (size_t u = 0; u < n; u++) {
        size_t r = find_root(parent, u);
        struct comp *C;
        if (r == u)
            id[r] = s->n_comps++;
        C = &s->comps[id[r]];
        C->unit = xrealloc(C->unit, (C->n + 1) * sizeof(*C->unit));
        C->unit[C->n++] = u;
        C->bytes += s->units[u].bytes;
        C->source = shared[u];
    }
    free(parent);
    free(id);
    free(users);
    free(seen);
    free(hub);
    free(shared);
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
    size_t k, budget, biggest = 0, big = 0;
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
            s.units[s.n_units].group = NO_GROUP;
            s.n_units++;
        }
        s.unit_of[k] = s.n_units - 1;
        s.units[s.n_units - 1].bytes += compact_size(t) + 1;
    }
    units_link(&s, tasks);
    units_order(&s);
    comps_find(&s);
    /* The largest unit alone in a group (its dependencies on other units are then group
     * dependencies): a step after hundreds of others takes little there. */
    for (size_t u = 0; u < s.n_units; u++) {
        size_t alone = unit_bytes(&s, tasks, u, ALONE);
        if (alone > biggest) {
            biggest = alone;
            big = s.units[u].first + s.units[u].n - 1;
        }
    }
    /* Pack under the budget less a group template's own fields; when parameters that
     * cross groups push one over, pack again tighter. */
    for (budget = max - 128;; budget -= 512) {
        int fits = 1;
        if (budget < biggest + 256 || budget > max) {
            df_error_set(err, DF_EUSAGE,
                         "cannot split the DAG into templates of at most %zu bytes (task '%s' "
                         "takes %zu)",
                         max,
                         json_string_value(json_object_get(json_array_get(tasks, big), "name")),
                         biggest);
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
    for (size_t u = 0; u < s.n_units; u++)
        free(s.units[u].dep);
    for (size_t i = 0; i < s.n_comps; i++)
        free(s.comps[i].unit);
    free(s.comps);
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
