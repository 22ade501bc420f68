/*
 * graph.c - the executor's task bookkeeping (see graph.h). Steps are visited in
 * topological order everywhere, so one pass propagates a failure all the way down.
 */
#include "exec/graph.h"

#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"
#include "util/banned.h"

void graph_init(struct graph *g, const struct graph_step_def *defs, size_t n_steps,
                const size_t *order)
{
    memset(g, 0, sizeof(*g));
    g->steps = xcalloc(n_steps ? n_steps : 1, sizeof(*g->steps));
    g->n_steps = n_steps;
    g->order = order;
    g->backoff_ms = 250;
    for (size_t i = 0; i < n_steps; i++) {
        g->steps[i].def = defs[i];
        if (g->steps[i].def.max_attempts < 1)
            g->steps[i].def.max_attempts = 1;
    }
}

void graph_release(struct graph *g)
{
    for (size_t i = 0; i < g->n_tasks; i++) {
        free(g->tasks[i]->error);
        free(g->tasks[i]->reused_from);
        free(g->tasks[i]);
    }
    free(g->tasks);
    for (size_t i = 0; i < g->n_steps; i++) {
        free(g->steps[i].tasks);
        free(g->steps[i].error);
    }
    free(g->steps);
    memset(g, 0, sizeof(*g));
}

static int terminal(enum gstate st)
{
    return st == G_DONE || st == G_FAILED || st == G_UPSTREAM || st == G_INTERRUPTED;
}

static int bad(enum gstate st)
{
    return st == G_FAILED || st == G_UPSTREAM || st == G_INTERRUPTED;
}

/* Every state change goes through here, so the per-step counters that make the
 * readiness checks O(1) (rather than a walk over a dependency's tasks) stay true. */
static void set_state(struct graph *g, struct gtask *t, enum gstate to)
{
    struct gstep *st = &g->steps[t->step];
    st->n_done -= t->state == G_DONE;
    st->n_terminal -= terminal(t->state);
    t->state = to;
    st->n_done += to == G_DONE;
    st->n_terminal += terminal(to);
}

int graph_step_succeeded(const struct graph *g, size_t s)
{
    const struct gstep *st = &g->steps[s];
    return st->planned && !st->failed && st->n_done == st->n_tasks;
}

int graph_step_finished(const struct graph *g, size_t s)
{
    const struct gstep *st = &g->steps[s];
    if (!st->planned)
        return st->failed;
    return st->n_terminal == st->n_tasks;
}

void graph_step_counts(const struct graph *g, size_t s, size_t *done, size_t *failed,
                       size_t *running)
{
    const struct gstep *st = &g->steps[s];
    size_t d = 0, f = 0, r = 0;
    for (size_t i = 0; i < st->n_tasks; i++) {
        enum gstate x = g->tasks[st->tasks[i]]->state;
        d += x == G_DONE;
        f += bad(x);
        r += x == G_RUNNING;
    }
    if (done)
        *done = d;
    if (failed)
        *failed = f;
    if (running)
        *running = r;
}

int graph_step_plannable(const struct graph *g, size_t s, int need_deps_done)
{
    const struct gstep *st = &g->steps[s];
    if (st->planned || st->failed)
        return 0;
    if (st->def.each_of >= 0 && !g->steps[st->def.each_of].planned)
        return 0;
    if (need_deps_done)
        for (size_t i = 0; i < st->def.n_deps; i++)
            if (!graph_step_succeeded(g, st->def.deps[i]))
                return 0;
    return 1;
}

/* The task of step s with item index i, or NULL. */
static struct gtask *task_of(const struct graph *g, size_t s, size_t i)
{
    const struct gstep *st = &g->steps[s];
    if (!st->planned || i >= st->n_tasks)
        return NULL;
    return g->tasks[st->tasks[i]];
}

static void fail_step(struct gstep *st, enum df_exit_class cls)
{
    if (!st->failed) {
        st->failed = 1;
        st->cls = cls;
    }
}

/* Pushes failures down: waiting tasks whose dependency failed become upstream_failed;
 * unplanned steps below a failed step fail without tasks. */
static void propagate(struct graph *g)
{
    for (size_t k = 0; k < g->n_steps; k++) {
        size_t s = g->order[k];
        struct gstep *st = &g->steps[s];
        int dep_failed = 0;

        for (size_t i = 0; i < st->def.n_deps; i++)
            if ((int)st->def.deps[i] != st->def.each_of && g->steps[st->def.deps[i]].failed)
                dep_failed = 1;
        /* A mirror with no mapped tasks to follow fails as a whole. */
        if (st->def.each_of >= 0 && g->steps[st->def.each_of].failed &&
            !g->steps[st->def.each_of].planned)
            dep_failed = 1;
        if (!st->planned) {
            if (dep_failed)
                fail_step(st, DF_CLASS_UPSTREAM);
            continue;
        }
        for (size_t i = 0; i < st->n_tasks; i++) {
            struct gtask *t = g->tasks[st->tasks[i]];
            int up = dep_failed;
            if (t->state != G_WAITING && t->state != G_BACKOFF)
                continue;
            if (st->def.each_of >= 0) {
                struct gtask *m = task_of(g, (size_t)st->def.each_of, t->item_index);
                if (!m || bad(m->state))
                    up = 1;
            }
            if (up) {
                set_state(g, t, G_UPSTREAM);
                t->cls = DF_CLASS_UPSTREAM;
                fail_step(st, DF_CLASS_UPSTREAM);
            }
        }
    }
}

void graph_plan_step(struct graph *g, size_t s, size_t n)
{
    struct gstep *st = &g->steps[s];
    if (st->planned)
        return;
    st->planned = 1;
    st->tasks = xcalloc(n ? n : 1, sizeof(*st->tasks));
    st->n_tasks = n;
    if (g->n_tasks + n > g->alloc) {
        g->alloc = (g->n_tasks + n) * 2;
        g->tasks = xrealloc(g->tasks, g->alloc * sizeof(*g->tasks));
    }
    for (size_t i = 0; i < n; i++) {
        struct gtask *t = xcalloc(1, sizeof(*t));
        t->step = s;
        t->item_index = i;
        t->state = G_WAITING;
        t->cls = DF_CLASS_OK;
        st->tasks[i] = g->n_tasks;
        g->tasks[g->n_tasks++] = t;
    }
    propagate(g);
}

void graph_step_plan_failed(struct graph *g, size_t s, enum df_exit_class cls, const char *msg)
{
    struct gstep *st = &g->steps[s];
    fail_step(st, cls);
    free(st->error);
    st->error = msg ? xstrdup(msg) : NULL;
    propagate(g);
}

void graph_task_resumed(struct graph *g, struct gtask *t)
{
    set_state(g, t, G_DONE);
    t->resumed = 1;
    t->cls = DF_CLASS_OK;
}

static int ready(const struct graph *g, const struct gtask *t, int64_t now)
{
    const struct gstep *st = &g->steps[t->step];

    if (t->state == G_BACKOFF) {
        if (now < t->retry_at)
            return 0;
    } else if (t->state != G_WAITING) {
        return 0;
    }
    for (size_t i = 0; i < st->def.n_deps; i++)
        if ((int)st->def.deps[i] != st->def.each_of && !graph_step_succeeded(g, st->def.deps[i]))
            return 0;
    if (st->def.each_of >= 0) {
        const struct gtask *m = task_of(g, (size_t)st->def.each_of, t->item_index);
        if (!m || m->state != G_DONE)
            return 0;
    }
    return 1;
}

/* The first task of step st that may start now and fits the budget, or NULL. */
static struct gtask *next_of_step(struct graph *g, struct gstep *st, int64_t now, uint64_t budget)
{
    if (!st->planned)
        return NULL;
    for (size_t i = 0; i < st->def.n_deps; i++)
        if ((int)st->def.deps[i] != st->def.each_of && !graph_step_succeeded(g, st->def.deps[i]))
            return NULL;
    /* Tasks before the cursor have all started: no need to look at them again. */
    while (st->cursor < st->n_tasks && g->tasks[st->tasks[st->cursor]]->state != G_WAITING &&
           g->tasks[st->tasks[st->cursor]]->state != G_BACKOFF)
        st->cursor++;
    for (size_t i = st->cursor; i < st->n_tasks; i++) {
        struct gtask *t = g->tasks[st->tasks[i]];
        if (!ready(g, t, now))
            continue;
        /* Fits the budget, or nothing else runs (a big task still runs, alone). A task
         * that does not fit lets a smaller later one go first. */
        if (g->running == 0 || budget == 0 || g->running_memory + st->def.memory <= budget)
            return t;
    }
    return NULL;
}

struct gtask *graph_next(struct graph *g, int64_t now, int jobs, uint64_t budget)
{
    struct gtask *t;

    if (jobs < 1)
        jobs = 1;
    if (g->running >= (size_t)jobs)
        return NULL;
    /* First, chunks that can go on down an `each` chain (the last step first): their
     * input was just written and is still in the page cache. Then everything else, in
     * topological order. */
    for (size_t k = g->n_steps; k-- > 0;) {
        struct gstep *st = &g->steps[g->order[k]];
        if (st->def.each_of >= 0 && (t = next_of_step(g, st, now, budget)) != NULL)
            return t;
    }
    for (size_t k = 0; k < g->n_steps; k++) {
        struct gstep *st = &g->steps[g->order[k]];
        if (st->def.each_of < 0 && (t = next_of_step(g, st, now, budget)) != NULL)
            return t;
    }
    return NULL;
}

void graph_task_started(struct graph *g, struct gtask *t, int64_t now)
{
    set_state(g, t, G_RUNNING);
    t->attempts++;
    t->started_ms = now;
    if (t->attempts == 1)
        t->first_started_ms = now;
    g->running++;
    g->running_memory += g->steps[t->step].def.memory;
}

int graph_task_finished(struct graph *g, struct gtask *t, enum df_exit_class cls, int64_t now)
{
    struct gstep *st = &g->steps[t->step];
    int shift;

    if (t->state == G_RUNNING) {
        g->running--;
        g->running_memory -= st->def.memory;
        t->elapsed_ms += now - t->started_ms;
    }
    t->ended_ms = now;
    t->cls = cls;
    if (cls == DF_CLASS_OK) {
        set_state(g, t, G_DONE);
        return 0;
    }
    if (cls == DF_CLASS_INTERRUPTED) {
        set_state(g, t, G_INTERRUPTED);
        fail_step(st, cls);
        propagate(g);
        return 0;
    }
    if (df_exit_class_retryable(cls) && t->attempts < st->def.max_attempts) {
        shift = t->attempts - 1 < 4 ? t->attempts - 1 : 4;
        set_state(g, t, G_BACKOFF);
        t->retry_at = now + (g->backoff_ms << shift);
        if (t->item_index < st->cursor)
            st->cursor = t->item_index;
        return 1;
    }
    set_state(g, t, G_FAILED);
    fail_step(st, cls);
    propagate(g);
    return 0;
}

void graph_interrupt(struct graph *g)
{
    for (size_t i = 0; i < g->n_tasks; i++) {
        struct gtask *t = g->tasks[i];
        if (t->state == G_WAITING || t->state == G_BACKOFF) {
            set_state(g, t, G_INTERRUPTED);
            t->cls = DF_CLASS_INTERRUPTED;
            fail_step(&g->steps[t->step], DF_CLASS_INTERRUPTED);
        }
    }
    for (size_t s = 0; s < g->n_steps; s++)
        if (!g->steps[s].planned)
            fail_step(&g->steps[s], DF_CLASS_INTERRUPTED);
}

void graph_stop(struct graph *g)
{
    for (size_t i = 0; i < g->n_tasks; i++) {
        struct gtask *t = g->tasks[i];
        if (t->state == G_WAITING || t->state == G_BACKOFF) {
            set_state(g, t, G_UPSTREAM);
            t->cls = DF_CLASS_UPSTREAM;
            fail_step(&g->steps[t->step], DF_CLASS_UPSTREAM);
        }
    }
    for (size_t s = 0; s < g->n_steps; s++)
        if (!g->steps[s].planned)
            fail_step(&g->steps[s], DF_CLASS_UPSTREAM);
}

int64_t graph_next_retry(const struct graph *g)
{
    int64_t best = INT64_MAX;
    for (size_t i = 0; i < g->n_tasks; i++)
        if (g->tasks[i]->state == G_BACKOFF && g->tasks[i]->retry_at < best)
            best = g->tasks[i]->retry_at;
    return best;
}

int graph_idle(const struct graph *g)
{
    if (g->running)
        return 0;
    for (size_t i = 0; i < g->n_tasks; i++)
        if (g->tasks[i]->state == G_WAITING || g->tasks[i]->state == G_BACKOFF)
            return 0;
    for (size_t s = 0; s < g->n_steps; s++)
        if (!g->steps[s].planned && !g->steps[s].failed)
            return 0;
    return 1;
}
