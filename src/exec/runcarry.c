/*
 * runcarry.c - the tasks of steps a resumed invocation has not planned, carried from the
 * previous run record into the new one (see runcarry.h).
 */
#include "exec/runcarry.h"

#include <string.h>

#include "util/banned.h"

static json_int_t int_of(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) && json_integer_value(v) > 0 ? json_integer_value(v) : 0;
}

void runcarry_step(json_t *prev, const char *step, int ended, json_t *tasks, struct runcarry *c)
{
    size_t i;
    json_t *t;

    memset(c, 0, sizeof(*c));
    json_array_foreach(json_object_get(prev, "tasks"), i, t)
    {
        const char *s = json_string_value(json_object_get(t, "step"));
        const char *state = json_string_value(json_object_get(t, "state"));
        json_t *copy;

        if (!json_is_object(t) || !s || strcmp(s, step) != 0)
            continue;
        copy = tasks ? json_deep_copy(t) : NULL;
        if (!state || !strcmp(state, "waiting") || !strcmp(state, "running") ||
            !strcmp(state, "retrying")) {
            /* Not ended when the previous invocation stopped: nothing runs it now. */
            state = ended ? "interrupted" : "waiting";
            if (copy) {
                json_object_set_new(copy, "state", json_string(state));
                json_object_set_new(copy, "exit_class",
                                    ended ? json_string("interrupted") : json_null());
            }
        }
        if (copy) {
            json_object_set_new(copy, "carried", json_true());
            json_array_append_new(tasks, copy);
        }
        c->total++;
        if (!strcmp(state, "done"))
            c->done++;
        else if (strcmp(state, "waiting") != 0)
            c->failed++;
        if (json_is_string(json_object_get(t, "reused_from_run")))
            c->reused++;
        c->rows += (uint64_t)int_of(t, "rows");
        c->bytes += (uint64_t)int_of(t, "bytes");
        c->time_ms += (int64_t)int_of(t, "elapsed_ms");
    }
}
