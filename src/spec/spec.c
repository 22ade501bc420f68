/*
 * spec.c - df_pipeline_load(): the pipeline file (DESIGN.md §1) from a YAML tree into the
 * structures of spec.h, field by field, with every value checked where it is written: the
 * top level, params and --param overrides here, steps in spec_steps.c, the typed getters
 * in spec_read.c. References between steps are resolved afterwards in spec_resolve.c.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "spec/spec_internal.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/names.h"
#include "util/strbuf.h"
#include "util/suggest.h"
#include "util/timeutil.h"
#include "util/banned.h"

static const char *const top_fields[] = {"name",  "description", "params", "defaults",
                                         "steps", "argo",        NULL};

/* ---- params ---------------------------------------------------------------------------- */

static int load_params(struct loader *L, const struct yt_node *n)
{
    L->p->params = json_object();
    if (!n)
        return 0;
    L->params_node = n;
    L->params_loc = n->loc;
    if (spec_is_null(n))
        return 0;
    if (spec_want_map(L, n, "params") < 0)
        return -1;
    for (size_t i = 0; i + 1 < n->n_items; i += 2) {
        const struct yt_node *k = n->items[i], *v = n->items[i + 1];
        json_t *j;
        if (spec_check_name(L, k, "param") < 0)
            return -1;
        /* A task sets these two variables itself; a param of that name would vanish. */
        if (!strcasecmp(k->value, "item") || !strcasecmp(k->value, "item_index"))
            return spec_fail(L, k->loc,
                             "param name '%s' is reserved: getvariable('%s') is the task's own",
                             k->value, k->value);
        if (v->kind == YT_MAP || spec_is_null(v))
            return spec_fail(L, v->loc,
                             "param '%s' must be an integer, a number, a boolean, a string "
                             "or a list, not %s",
                             k->value, spec_node_kind(v));
        j = spec_node_json(v);
        json_object_set_new(L->p->params, k->value, j);
    }
    return 0;
}

/* ---- the whole file -------------------------------------------------------------------- */

static int load_top(struct loader *L, const struct yt_node *root, const struct df_param_override *o,
                    size_t n_o)
{
    struct df_pipeline *p = L->p;
    const struct yt_node *x;
    const char *s;

    if (!root || spec_is_null(root))
        return spec_fail(L, (struct df_loc){1, 1}, "pipeline file is empty");
    if (root->kind != YT_MAP)
        return spec_fail(L, root->loc,
                         "a pipeline file must be a mapping (name, steps, ...), "
                         "not %s",
                         spec_node_kind(root));
    if (spec_check_fields(L, root, "the pipeline", top_fields) < 0)
        return -1;
    x = yt_map_get(root, "name");
    if (!x)
        return spec_fail(L, root->loc, "pipeline has no name");
    if (spec_want_string(L, x, "name", &s) < 0)
        return -1;
    if (!spec_valid_pipeline_name(s))
        return spec_fail(L, x->loc,
                         "pipeline name '%s' is not valid: use a-z, 0-9, _ and -, at most 63 "
                         "characters",
                         s);
    p->name = xstrdup(s);
    if ((x = yt_map_get(root, "description")) && !spec_is_null(x)) {
        if (spec_want_string(L, x, "description", &s) < 0)
            return -1;
        p->description = xstrdup(s);
    }
    if (load_params(L, yt_map_get(root, "params")) < 0 || spec_apply_overrides(L, o, n_o) < 0)
        return -1;
    p->defaults.retries = -1;
    if ((x = yt_map_get(root, "defaults")) && !spec_is_null(x)) {
        if (spec_want_map(L, x, "defaults") < 0 ||
            spec_check_fields(L, x, "defaults", spec_limit_fields) < 0)
            return -1;
        for (size_t i = 0; i + 1 < x->n_items; i += 2)
            if (spec_load_limit(L, x->items[i], x->items[i + 1], &p->defaults) < 0)
                return -1;
    }
    if (spec_load_argo(L, yt_map_get(root, "argo")) < 0)
        return -1;
    return spec_load_steps(L, yt_map_get(root, "steps"));
}

static void compute_hash(struct loader *L)
{
    struct df_pipeline *p = L->p;
    struct df_sha256 *h = df_sha256_new();
    char *params = json_dumps(p->params, JSON_SORT_KEYS | JSON_COMPACT);
    char head[64];

    /* Length-prefixed parts, so that no two different inputs hash the same bytes. */
    snprintf(head, sizeof(head), "duckflow-spec-1 %zu\n", L->text_len);
    df_sha256_update(h, head, strlen(head));
    df_sha256_update(h, L->text, L->text_len);
    for (size_t i = 0; i < p->n_steps; i++) {
        const struct df_step *s = &p->steps[i];
        if (!s->sql_file)
            continue;
        snprintf(head, sizeof(head), "\nsql %zu %zu\n", i, strlen(s->sql));
        df_sha256_update(h, head, strlen(head));
        df_sha256_update(h, s->sql, strlen(s->sql));
    }
    snprintf(head, sizeof(head), "\nparams %zu\n", params ? strlen(params) : 0);
    df_sha256_update(h, head, strlen(head));
    if (params)
        df_sha256_update(h, params, strlen(params));
    df_sha256_final(h, p->spec_hash);
    free(params);
}

int df_pipeline_load(const char *path, const struct df_param_override *overrides,
                     size_t n_overrides, struct df_pipeline **out, struct df_error *err)
{
    struct df_error e = DF_ERROR_INIT;
    struct loader L;
    struct yt_doc doc = {NULL, NULL};
    struct df_pipeline *p = NULL;
    char *text = NULL, *abs = NULL, *slash;
    size_t len = 0;
    int rc = -1;

    memset(&L, 0, sizeof(L));
    if (fs_read_file(path, DF_SPEC_MAX_FILE, &text, &len, &e) < 0) {
        if (e.code == DF_ENOTFOUND)
            return df_error_set(err, DF_EUSAGE, "'%s': no such pipeline file", path);
        if (fs_file_size(path) > (int64_t)DF_SPEC_MAX_FILE)
            return df_error_set(err, DF_EUSAGE, "%s:1:1: pipeline file is larger than %u MB", path,
                                DF_SPEC_MAX_FILE >> 20);
        return df_error_set(err, DF_EUSAGE, "'%s': cannot read pipeline file: %s", path, e.msg);
    }
    p = xcalloc(1, sizeof(*p));
    p->path = xstrdup(path);
    abs = fs_absolute(path);
    slash = strrchr(abs, '/');
    p->dir = slash && slash != abs ? xstrndup(abs, (size_t)(slash - abs)) : xstrdup("/");
    p->defaults.retries = -1;
    L.file = path;
    L.err = err;
    L.p = p;
    L.text = text;
    L.text_len = len;
    L.params_loc = (struct df_loc){1, 1};
    if (strlen(text) != len) {
        const char *nul = text + strlen(text);
        int line = 1;
        for (const char *c = text; c < nul; c++)
            line += *c == '\n';
        spec_fail(&L, (struct df_loc){line, 1}, "pipeline file holds a NUL byte");
        goto done;
    }
    if (yt_parse(path, text, len, &doc, err) < 0)
        goto done;
    if (load_top(&L, doc.root, overrides, n_overrides) < 0 || spec_resolve(&L) < 0)
        goto done;
    compute_hash(&L);
    rc = 0;
done:
    yt_doc_release(&doc);
    free(text);
    free(abs);
    if (rc < 0) {
        df_pipeline_free(p);
        return -1;
    }
    *out = p;
    return 0;
}

/* ---- lookups and freeing --------------------------------------------------------------- */

static void free_strings(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void step_release(struct df_step *s)
{
    free(s->name);
    free(s->sql);
    free(s->sql_file);
    free(s->sql_origin);
    free(s->description);
    for (size_t i = 0; i < s->n_inputs; i++) {
        free(s->inputs[i].name);
        free(s->inputs[i].step);
        free(s->inputs[i].table);
        free(s->inputs[i].uri);
        free(s->inputs[i].format);
        json_decref(s->inputs[i].options);
    }
    free(s->inputs);
    for (size_t i = 0; i < s->n_outputs; i++) {
        free(s->outputs[i].name);
        free_strings(s->outputs[i].partition_by, s->outputs[i].n_partition_by);
        free_strings(s->outputs[i].order_by, s->outputs[i].n_order_by);
        free(s->outputs[i].compression);
    }
    free(s->outputs);
    free_strings(s->after, s->n_after);
    free(s->after_locs);
    for (size_t i = 0; i < s->n_checks; i++) {
        free(s->checks[i].name);
        free(s->checks[i].sql);
    }
    free(s->checks);
    free(s->foreach.range_param);
    json_decref(s->foreach.values);
    free(s->foreach.values_param);
    free(s->foreach.each);
    free(s->foreach.files_source);
    free(s->foreach.files_table);
    free(s->foreach.rows_sql);
    free(s->deps);
}

void df_pipeline_free(struct df_pipeline *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_steps; i++)
        step_release(&p->steps[i]);
    free(p->steps);
    free(p->order);
    free(p->path);
    free(p->dir);
    free(p->name);
    free(p->description);
    json_decref(p->params);
    json_decref(p->argo);
    json_decref(p->argo_locs);
    free(p);
}

int df_pipeline_step_index(const struct df_pipeline *p, const char *name)
{
    if (!p || !name)
        return -1;
    for (size_t i = 0; i < p->n_steps; i++)
        if (p->steps[i].name && !strcmp(p->steps[i].name, name))
            return (int)i;
    return -1;
}

const struct df_step *df_pipeline_step(const struct df_pipeline *p, const char *name)
{
    int i = df_pipeline_step_index(p, name);
    return i < 0 ? NULL : &p->steps[i];
}

const struct df_output *df_step_output(const struct df_step *s, const char *name)
{
    if (!s || !name)
        return NULL;
    for (size_t i = 0; i < s->n_outputs; i++)
        if (!strcmp(s->outputs[i].name, name))
            return &s->outputs[i];
    return NULL;
}

int df_param_override_parse(const char *arg, struct df_param_override *o, struct df_error *err)
{
    const char *eq = strchr(arg, '=');

    if (!eq || eq == arg)
        return df_error_set(err, DF_EUSAGE, "--param '%s': expected key=value", arg);
    o->key = xstrndup(arg, (size_t)(eq - arg));
    o->value = eq + 1;
    return 0;
}

void df_param_overrides_free(struct df_param_override *o, size_t n)
{
    if (!o)
        return;
    for (size_t i = 0; i < n; i++)
        free((char *)o[i].key);
    free(o);
}

/* ---- --param overrides ----------------------------------------------------------------- */

static struct df_loc param_loc(struct loader *L, const char *key)
{
    const struct yt_node *v = L->params_node ? yt_map_get(L->params_node, key) : NULL;
    return v ? v->loc : L->params_loc;
}

static json_t *override_value(const json_t *def, const char *text)
{
    int64_t i;
    double d;

    switch (json_typeof(def)) {
    case JSON_INTEGER:
        return spec_parse_int_text(text, &i) == 0 ? json_integer(i) : NULL;
    case JSON_REAL:
        return spec_parse_real_text(text, &d) == 0 ? json_real(d) : NULL;
    case JSON_TRUE:
    case JSON_FALSE:
        if (!strcmp(text, "true") || !strcmp(text, "1"))
            return json_true();
        if (!strcmp(text, "false") || !strcmp(text, "0"))
            return json_false();
        return NULL;
    case JSON_STRING:
        return json_string(text);
    case JSON_ARRAY: {
        json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
        if (j && !json_is_array(j)) {
            json_decref(j);
            j = NULL;
        }
        return j;
    }
    default:
        return NULL;
    }
}

static const char *type_name(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean (true or false)";
    case JSON_STRING:
        return "a string";
    case JSON_ARRAY:
        return "a list, given as JSON (e.g. [\"a\",\"b\"])";
    default:
        return "of an unsupported type";
    }
}

int spec_apply_overrides(struct loader *L, const struct df_param_override *o, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const json_t *def = json_object_get(L->p->params, o[i].key);
        json_t *v;
        if (!def) {
            struct strbuf sb = STRBUF_INIT;
            const char *k, *names[64], *hint;
            size_t nn = 0;
            json_t *unused;
            json_object_foreach(L->p->params, k, unused)
            {
                (void)unused;
                sb_addf(&sb, "%s%s", sb.len ? ", " : "", k);
                if (nn < 64)
                    names[nn++] = k;
            }
            hint = df_suggest(o[i].key, names, nn);
            spec_fail(L, L->params_loc, "unknown param '%s' in --param %s=%s (%s%s)%s%s%s",
                      o[i].key, o[i].key, o[i].value,
                      sb.len ? "declared: " : "no params are declared", sb.buf,
                      hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
            sb_release(&sb);
            return -1;
        }
        v = override_value(def, o[i].value);
        if (!v)
            return spec_fail(L, param_loc(L, o[i].key), "--param %s=%s: param '%s' is %s", o[i].key,
                             o[i].value, o[i].key, type_name(def));
        json_object_set_new(L->p->params, o[i].key, v);
    }
    return 0;
}
