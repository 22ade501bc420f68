/*
 * argo.c - pipeline -> Argo Workflows manifest (see argo.h for the shape).
 *
 * The manifest is built as a jansson tree (objects keep insertion order, so the output
 * is deterministic) and written by yamlemit.c. Names: Argo template and task names must
 * match [a-zA-Z0-9][-a-zA-Z0-9]*, and pod names built from them must be DNS labels, so
 * step names are lower-cased with '_' -> '-' and made unique with numeric suffixes, in
 * file order, after the reserved names `main` and `finish`.
 */
#include "argo/argo.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "argo/yamlemit.h"
#include "util/fs.h"

#include "util/banned.h"

#define PIPELINE_FILE_MAX (8 * 1024 * 1024)
/* Local external inputs small enough to travel inside the manifest (each, and all). */
#define EMBED_FILE_MAX      (64 * 1024)
#define EMBED_TOTAL_MAX     (128 * 1024)
#define MEMORY_OVERHEAD_MIB 256

/* ---- names ---- */

void df_argo_name(const char *step, char *out, size_t n)
{
    size_t j = 0;
    const size_t max = n - 1 < 40 ? n - 1 : 40;

    for (size_t i = 0; step[i] && j < max; i++) {
        unsigned char c = (unsigned char)step[i];
        if (isalnum(c))
            out[j++] = (char)tolower(c);
        else if (j > 0 && out[j - 1] != '-')
            out[j++] = '-';
    }
    while (j > 0 && out[j - 1] == '-')
        j--;
    out[j] = '\0';
    if (j == 0)
        snprintf(out, n, "step");
}

struct names {
    char **v;
    size_t n, alloc;
};

static int names_has(const struct names *ns, const char *s)
{
    for (size_t i = 0; i < ns->n; i++)
        if (!strcmp(ns->v[i], s))
            return 1;
    return 0;
}

/* Adds base (or base-2, base-3, ...) and returns the name taken (owned by ns). */
static const char *names_take(struct names *ns, const char *base)
{
    char *name = xstrdup(base);
    for (int k = 2; names_has(ns, name); k++) {
        free(name);
        name = xasprintf("%s-%d", base, k);
    }
    if (ns->n == ns->alloc) {
        ns->alloc = ns->alloc ? 2 * ns->alloc : 16;
        ns->v = xrealloc(ns->v, ns->alloc * sizeof(*ns->v));
    }
    ns->v[ns->n++] = name;
    return name;
}

static void names_release(struct names *ns)
{
    for (size_t i = 0; i < ns->n; i++)
        free(ns->v[i]);
    free(ns->v);
}

/* ---- paths ---- */

/* Lexically normalises an absolute path: no ".", "..", or repeated '/'. */
static char *normalize_abs(const char *path)
{
    char *abs = fs_absolute(path);
    char *out = xmalloc(strlen(abs) + 2);
    size_t len = 0;
    const char *s = abs;

    while (*s) {
        while (*s == '/')
            s++;
        const char *e = strchr(s, '/');
        size_t seg = e ? (size_t)(e - s) : strlen(s);
        if (seg == 0)
            break;
        if (seg == 1 && s[0] == '.') {
            /* skip */
        } else if (seg == 2 && s[0] == '.' && s[1] == '.') {
            while (len > 0 && out[len - 1] != '/')
                len--;
            if (len > 0)
                len--;
        } else {
            out[len++] = '/';
            memcpy(out + len, s, seg);
            len += seg;
        }
        s += seg;
    }
    if (len == 0)
        out[len++] = '/';
    out[len] = '\0';
    free(abs);
    return out;
}

/* Path of file relative to folder dir (both absolute, normalised), possibly with "../".
 * *ups receives the number of leading ".." segments. */
static char *relative_path(const char *dir, const char *file, int *ups)
{
    size_t common = 0, i = 0;
    struct strbuf sb = STRBUF_INIT;
    const char *rest;

    /* The longest common prefix that ends at a folder boundary. */
    while (dir[i] && file[i] && dir[i] == file[i]) {
        i++;
        if ((dir[i] == '/' || dir[i] == '\0') && file[i] == '/')
            common = i;
    }
    if (!strcmp(dir, "/"))
        common = 0;
    *ups = 0;
    for (const char *d = dir + common; *d; d++) {
        if (*d == '/' && d[1]) {
            sb_adds(&sb, "../");
            (*ups)++;
        }
    }
    rest = file + common;
    while (*rest == '/')
        rest++;
    sb_adds(&sb, rest);
    return sb_detach(&sb);
}

/* ---- files shipped in the manifest ---- */

struct shipped {
    char *abs;  /* normalised absolute path on this machine */
    char *rel;  /* relative to the pipeline's folder */
    char *data; /* the text */
    size_t len;
    int ups;
};

struct ship {
    struct shipped *v;
    size_t n, alloc;
    int max_ups;
    size_t embedded_bytes; /* of local input files */
};

static void ship_release(struct ship *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->v[i].abs);
        free(s->v[i].rel);
        free(s->v[i].data);
    }
    free(s->v);
}

/* 1 when data holds only UTF-8 text (no NUL), as a raw artifact must. */
static int is_text(const char *data, size_t len)
{
    struct df_error e = DF_ERROR_INIT;
    struct strbuf tmp = STRBUF_INIT;
    int ok;

    if (memchr(data, '\0', len))
        return 0;
    /* The emitter's checker is the one that matters: reuse it on a flow scalar. */
    ok = df_yaml_scalar(data, len, &tmp, &e) == 0;
    sb_release(&tmp);
    return ok;
}

static int ship_add(struct ship *s, const char *pipeline_dir, const char *path, size_t max,
                    struct df_error *err)
{
    char *abs = normalize_abs(path);
    char *data = NULL;
    size_t len = 0;
    struct shipped *f;

    for (size_t i = 0; i < s->n; i++) {
        if (!strcmp(s->v[i].abs, abs)) {
            free(abs);
            return 0;
        }
    }
    if (fs_read_file(abs, max, &data, &len, err)) {
        free(abs);
        return -1;
    }
    if (!is_text(data, len)) {
        df_error_set(err, DF_EUSAGE, "file '%s' is not UTF-8 text and cannot travel in a manifest",
                     abs);
        free(abs);
        free(data);
        return -1;
    }
    if (s->n == s->alloc) {
        s->alloc = s->alloc ? 2 * s->alloc : 8;
        s->v = xrealloc(s->v, s->alloc * sizeof(*s->v));
    }
    f = &s->v[s->n++];
    f->abs = abs;
    f->data = data;
    f->len = len;
    f->rel = relative_path(pipeline_dir, abs, &f->ups);
    if (f->ups > s->max_ups)
        s->max_ups = f->ups;
    return 0;
}

/* The folder the pipeline file sits in inside a pod: /pipeline, or deeper when files live
 * above the pipeline's folder ("../sql/x.sql"), so every file stays under /pipeline. */
static char *pod_dir(const struct ship *s)
{
    struct strbuf sb = STRBUF_INIT;
    sb_adds(&sb, DF_ARGO_PIPELINE_ROOT);
    for (int i = 0; i < s->max_ups; i++)
        sb_adds(&sb, "/_");
    return sb_detach(&sb);
}

static char *pod_path(const struct ship *s, const char *rel)
{
    char *dir = pod_dir(s);
    char *joined = xasprintf("%s/%s", dir, rel);
    char *norm = normalize_abs(joined);
    free(dir);
    free(joined);
    return norm;
}

static int is_remote_uri(const char *uri)
{
    return !strncmp(uri, "s3://", 5) || !strncmp(uri, "gs://", 5) || !strncmp(uri, "http://", 7) ||
           !strncmp(uri, "https://", 8);
}

static void warn(struct strbuf *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(struct strbuf *w, const char *fmt, ...)
{
    va_list ap;
    if (!w)
        return;
    va_start(ap, fmt);
    sb_vaddf(w, fmt, ap);
    va_end(ap);
    sb_addc(w, '\n');
}

/* 1 when path (absolute) lies inside folder dir (absolute, normalised). */
static int inside(const char *dir, const char *path)
{
    char *norm = normalize_abs(path);
    size_t n = strlen(dir);
    int in = !strcmp(dir, "/") || (!strncmp(norm, dir, n) && norm[n] == '/');
    free(norm);
    return in;
}

/* Collects the pipeline file, every SQL file and the small local input files. */
static int collect_files(const struct df_pipeline *p, struct ship *s, struct strbuf *warnings,
                         struct df_error *err)
{
    char *dir = normalize_abs(p->dir);
    int rc = -1;

    if (ship_add(s, dir, p->path, PIPELINE_FILE_MAX, err))
        goto done;
    for (size_t i = 0; i < p->n_steps; i++) {
        const struct df_step *st = &p->steps[i];
        if (st->sql_file && ship_add(s, dir, st->sql_file, PIPELINE_FILE_MAX, err)) {
            df_error_prefix(err, "step '%s'", st->name);
            goto done;
        }
    }
    for (size_t i = 0; i < p->n_steps; i++) {
        const struct df_step *st = &p->steps[i];
        for (size_t j = 0; j < st->n_inputs; j++) {
            const struct df_input *in = &st->inputs[j];
            const char *path;
            struct stat sbuf;
            if (!in->uri || is_remote_uri(in->uri))
                continue;
            path = !strncmp(in->uri, "file://", 7) ? in->uri + 7 : in->uri;
            /* Only files inside the pipeline's folder: the pods resolve a relative input
             * against /pipeline, where it is shipped; one written as an absolute path
             * elsewhere would be looked for at that path. */
            if (!inside(dir, path) || strpbrk(path, "*?[") || stat(path, &sbuf) ||
                !S_ISREG(sbuf.st_mode) || sbuf.st_size > EMBED_FILE_MAX ||
                s->embedded_bytes + (size_t)sbuf.st_size > EMBED_TOTAL_MAX) {
                warn(warnings,
                     "step '%s': input '%s' reads local '%s', which pods cannot see; "
                     "use an s3:// or gs:// URI",
                     st->name, in->name, in->uri);
                continue;
            }
            size_t before = s->n;
            struct df_error e2 = DF_ERROR_INIT;
            if (ship_add(s, dir, path, EMBED_FILE_MAX, &e2)) {
                warn(warnings, "step '%s': input '%s': %s; pods cannot see it", st->name, in->name,
                     e2.msg);
                continue;
            }
            if (s->n > before)
                s->embedded_bytes += s->v[s->n - 1].len;
        }
    }
    /* Argo substitutes {{...}} tags anywhere in a template, raw artifact data included. */
    for (size_t i = 0; i < s->n; i++)
        if (memmem(s->v[i].data, s->v[i].len, "{{", 2))
            warn(warnings,
                 "'%s' contains '{{', which Argo may take for a template tag and replace; "
                 "avoid it in files that travel in the manifest",
                 s->v[i].rel);
    rc = 0;
done:
    free(dir);
    return rc;
}

/* ---- small JSON helpers ---- */

static json_t *jstr(const char *s)
{
    return json_string(s);
}

static json_t *jstrf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static json_t *jstrf(const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;
    json_t *v;
    va_start(ap, fmt);
    sb_vaddf(&sb, fmt, ap);
    va_end(ap);
    v = json_stringn(sb.buf, sb.len);
    sb_release(&sb);
    return v;
}

static json_t *name_value(const char *name, json_t *value)
{
    json_t *o = json_object();
    json_object_set_new(o, "name", jstr(name));
    json_object_set_new(o, "value", value);
    return o;
}

/* A param's value as Argo passes it (a string): strings as they are, numbers in the
 * shortest form that reads back the same, lists and objects as compact JSON. */
static char *param_text(const json_t *v)
{
    if (json_is_string(v))
        return xstrdup(json_string_value(v));
    if (json_is_real(v)) {
        char buf[64];
        double d = json_real_value(v);
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(buf, sizeof(buf), "%.*g", prec, d);
            if (strtod(buf, NULL) == d)
                break;
        }
        return xstrdup(buf);
    }
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    char *out = xstrdup(s ? s : "null");
    free(s);
    return out;
}

static void format_mib(uint64_t bytes, char *out, size_t n)
{
    const uint64_t gib = 1024ULL * 1024 * 1024, mib = 1024ULL * 1024;
    if (bytes % gib == 0)
        snprintf(out, n, "%lluGi", (unsigned long long)(bytes / gib));
    else
        snprintf(out, n, "%lluMi", (unsigned long long)((bytes + mib - 1) / mib));
}

/* ---- the manifest ---- */

enum fan {
    FAN_NONE,
    FAN_SEQUENCE, /* withSequence count */
    FAN_ITEMS,    /* withItems [{index, value}] */
    FAN_PARAM,    /* withParam from an items task */
};

struct fanout {
    enum fan kind;
    size_t root; /* the step whose items these are (itself unless `each`) */
};

struct ctx {
    const struct df_pipeline *p;
    const struct df_argo_opts *o;
    struct ship files;
    char *pipeline_pod_path;
    const char **task;  /* per step: its task and template name */
    const char **items; /* per step: its items task name, or NULL for static steps */
    struct names names;
    json_t *param_args; /* ["--param", "k={{workflow.parameters.k}}", ...] */
};

static int fanout_of(const struct df_pipeline *p, size_t step, struct fanout *f,
                     struct df_error *err)
{
    size_t cur = step;
    for (size_t hops = 0; hops <= p->n_steps; hops++) {
        const struct df_foreach *fe = &p->steps[cur].foreach;
        f->root = cur;
        switch (fe->kind) {
        case DF_FOREACH_NONE:
            f->kind = FAN_NONE;
            return 0;
        case DF_FOREACH_RANGE:
            f->kind = FAN_SEQUENCE;
            return 0;
        case DF_FOREACH_VALUES:
            f->kind = FAN_ITEMS;
            return 0;
        case DF_FOREACH_FILES:
        case DF_FOREACH_ROWS:
            f->kind = FAN_PARAM;
            return 0;
        case DF_FOREACH_EACH:
            if (fe->each_index < 0 || (size_t)fe->each_index >= p->n_steps)
                return df_error_set(err, DF_EUSAGE, "step '%s': 'each' names no step",
                                    p->steps[cur].name);
            cur = (size_t)fe->each_index;
            break;
        }
    }
    return df_error_set(err, DF_EUSAGE, "step '%s': 'each' steps map one another in a cycle",
                        p->steps[step].name);
}

static json_t *artifacts(struct ctx *c)
{
    json_t *arts = json_array();
    for (size_t i = 0; i < c->files.n; i++) {
        const struct shipped *f = &c->files.v[i];
        json_t *a = json_object();
        char *path = pod_path(&c->files, f->rel);
        json_object_set_new(a, "name", i == 0 ? jstr("pipeline") : jstrf("file-%zu", i));
        json_object_set_new(a, "path", jstr(path));
        json_t *raw = json_object();
        json_object_set_new(raw, "data", json_stringn(f->data, f->len));
        json_object_set_new(a, "raw", raw);
        json_array_append_new(arts, a);
        free(path);
    }
    return arts;
}

static json_t *env_list(struct ctx *c)
{
    const struct df_argo_opts *o = c->o;
    json_t *env = json_array();

    json_array_append_new(env, name_value("TMPDIR", jstr(DF_ARGO_SCRATCH)));
    if (o->s3_secret) {
        static const char *const keys[] = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                           "AWS_SESSION_TOKEN"};
        for (size_t i = 0; i < 3; i++) {
            json_t *e = json_object(), *ref = json_object(), *from = json_object();
            json_object_set_new(ref, "name", jstr(o->s3_secret));
            json_object_set_new(ref, "key", jstr(keys[i]));
            if (i == 2)
                json_object_set_new(ref, "optional", json_true());
            json_object_set_new(from, "secretKeyRef", ref);
            json_object_set_new(e, "name", jstr(keys[i]));
            json_object_set_new(e, "valueFrom", from);
            json_array_append_new(env, e);
        }
    }
    /* duckflow's own endpoint variables (docs/s3.md): they steer the store and nothing
     * else (AWS_ENDPOINT_URL would also redirect the SDK-style lookups of other services). */
    int gcs = !strncmp(o->store, "gs://", 5);
    if (o->s3_endpoint)
        json_array_append_new(env,
                              name_value(gcs ? "DUCKFLOW_GCS_ENDPOINT" : "DUCKFLOW_S3_ENDPOINT",
                                         jstr(o->s3_endpoint)));
    if (o->s3_region)
        json_array_append_new(
            env, name_value(gcs ? "DUCKFLOW_GCS_REGION" : "AWS_REGION", jstr(o->s3_region)));
    return env;
}

static json_t *resources(const struct df_limits *l)
{
    json_t *res = json_object(), *req = json_object(), *lim = json_object();
    char mem[32];

    if (l->memory_limit) {
        /* DuckDB's memory_limit bounds its buffer manager only: allow half as much again
         * for everything else it allocates, plus the process and the store client. */
        uint64_t bytes =
            l->memory_limit + l->memory_limit / 2 + (uint64_t)MEMORY_OVERHEAD_MIB * 1024 * 1024;
        format_mib(bytes, mem, sizeof(mem));
        json_object_set_new(req, "memory", jstr(mem));
        json_object_set_new(lim, "memory", jstr(mem));
    }
    if (l->threads > 0) {
        json_object_set_new(req, "cpu", jstrf("%d", l->threads));
        json_object_set_new(lim, "cpu", jstrf("%d", l->threads));
    }
    if (json_object_size(req)) {
        json_object_set_new(res, "requests", req);
        json_object_set_new(res, "limits", lim);
    } else {
        json_decref(req);
        json_decref(lim);
    }
    return res;
}

static json_t *retry_strategy(int retries)
{
    json_t *r = json_object(), *b = json_object();
    json_object_set_new(r, "limit", json_integer(retries));
    json_object_set_new(r, "retryPolicy", jstr("Always"));
    /* Exit 1 (SQL error, failed check) and 2 (usage) fail the same way every time. */
    json_object_set_new(r, "expression",
                        jstr("asInt(lastRetry.exitCode) != 1 && asInt(lastRetry.exitCode) != 2"));
    json_object_set_new(b, "duration", jstr("10s"));
    json_object_set_new(b, "factor", json_integer(2));
    json_object_set_new(r, "backoff", b);
    return r;
}

/* The container of a template running `duckflow <args...>`. */
static json_t *container(struct ctx *c, json_t *args, const struct df_limits *l)
{
    json_t *ct = json_object(), *mounts = json_array(), *m = json_object();
    json_t *res;

    json_object_set_new(ct, "image", jstr(c->o->image));
    if (c->o->pull_policy)
        json_object_set_new(ct, "imagePullPolicy", jstr(c->o->pull_policy));
    json_t *cmd = json_array();
    json_array_append_new(cmd, jstr(c->o->command ? c->o->command : "duckflow"));
    json_object_set_new(ct, "command", cmd);
    json_object_set_new(ct, "args", args);
    json_object_set_new(ct, "env", env_list(c));
    res = resources(l);
    if (json_object_size(res))
        json_object_set_new(ct, "resources", res);
    else
        json_decref(res);
    json_object_set_new(m, "name", jstr("scratch"));
    json_object_set_new(m, "mountPath", jstr(DF_ARGO_SCRATCH));
    json_array_append_new(mounts, m);
    json_object_set_new(ct, "volumeMounts", mounts);
    return ct;
}

static void add_common_args(struct ctx *c, json_t *args)
{
    json_array_append_new(args, jstr("--store"));
    json_array_append_new(args, jstr(c->o->store));
    json_array_extend(args, c->param_args);
}

/* Template metadata labelling its pods with the step's task name, for
 * `kubectl get pods -l duckflow.io/step=merge` (label values allow no leading '_'). */
static json_t *step_metadata(struct ctx *c, size_t i)
{
    json_t *m = json_object(), *labels = json_object();
    json_object_set_new(labels, "duckflow.io/step", jstr(c->task[i]));
    json_object_set_new(m, "labels", labels);
    return m;
}

static json_t *step_template(struct ctx *c, size_t i, const struct fanout *f)
{
    const struct df_step *st = &c->p->steps[i];
    json_t *t = json_object(), *inputs = json_object(), *args = json_array();

    json_object_set_new(t, "name", jstr(c->task[i]));
    json_object_set_new(t, "metadata", step_metadata(c, i));
    if (f->kind != FAN_NONE) {
        json_t *params = json_array(), *pi = json_object();
        json_object_set_new(pi, "name", jstr("item"));
        json_array_append_new(params, pi);
        json_object_set_new(inputs, "parameters", params);
    }
    json_object_set_new(inputs, "artifacts", artifacts(c));
    json_object_set_new(t, "inputs", inputs);
    if (st->limits.retries > 0)
        json_object_set_new(t, "retryStrategy", retry_strategy(st->limits.retries));
    if (st->limits.timeout_ms > 0)
        json_object_set_new(t, "activeDeadlineSeconds",
                            json_integer((st->limits.timeout_ms + 999) / 1000));

    json_array_append_new(args, jstr("step"));
    json_array_append_new(args, jstr(c->pipeline_pod_path));
    json_array_append_new(args, jstr("--run"));
    json_array_append_new(args, jstr("{{workflow.name}}"));
    json_array_append_new(args, jstr("--step"));
    json_array_append_new(args, jstr(st->name));
    json_array_append_new(args, jstr("--item"));
    json_array_append_new(args, jstr(f->kind == FAN_NONE ? "0" : "{{inputs.parameters.item}}"));
    json_array_append_new(args, jstr("--attempt"));
    /* {{retries}} is Argo's 0-based retry number; attempts count from 1. It exists only
     * in templates with a retryStrategy. */
    json_array_append_new(args, jstr(st->limits.retries > 0 ? "{{=asInt(retries) + 1}}" : "1"));
    add_common_args(c, args);
    json_object_set_new(t, "container", container(c, args, &st->limits));
    return t;
}

static json_t *items_template(struct ctx *c, size_t i)
{
    const struct df_step *st = &c->p->steps[i];
    json_t *t = json_object(), *inputs = json_object(), *args = json_array();

    json_object_set_new(t, "name", jstr(c->items[i]));
    json_object_set_new(t, "metadata", step_metadata(c, i));
    json_object_set_new(inputs, "artifacts", artifacts(c));
    json_object_set_new(t, "inputs", inputs);
    if (st->limits.retries > 0)
        json_object_set_new(t, "retryStrategy", retry_strategy(st->limits.retries));
    if (st->limits.timeout_ms > 0)
        json_object_set_new(t, "activeDeadlineSeconds",
                            json_integer((st->limits.timeout_ms + 999) / 1000));
    json_array_append_new(args, jstr("argo"));
    json_array_append_new(args, jstr("items"));
    json_array_append_new(args, jstr(c->pipeline_pod_path));
    json_array_append_new(args, jstr("--run"));
    json_array_append_new(args, jstr("{{workflow.name}}"));
    json_array_append_new(args, jstr("--step"));
    json_array_append_new(args, jstr(st->name));
    add_common_args(c, args);
    json_object_set_new(t, "container", container(c, args, &st->limits));
    return t;
}

static json_t *finish_template(struct ctx *c)
{
    json_t *t = json_object(), *inputs = json_object(), *args = json_array();
    struct df_limits l = {256ULL * 1024 * 1024, 1, 2, 0};

    json_object_set_new(t, "name", jstr("finish"));
    json_object_set_new(inputs, "artifacts", artifacts(c));
    json_object_set_new(t, "inputs", inputs);
    json_object_set_new(t, "retryStrategy", retry_strategy(l.retries));
    json_array_append_new(args, jstr("argo"));
    json_array_append_new(args, jstr("finish"));
    json_array_append_new(args, jstr(c->pipeline_pod_path));
    json_array_append_new(args, jstr("--run"));
    json_array_append_new(args, jstr("{{workflow.name}}"));
    json_array_append_new(args, jstr("--status"));
    json_array_append_new(args, jstr("{{workflow.status}}"));
    json_array_append_new(args, jstr("--created-at"));
    json_array_append_new(args, jstr("{{workflow.creationTimestamp}}"));
    add_common_args(c, args);
    json_object_set_new(t, "container", container(c, args, &l));
    return t;
}

static void add_dep(json_t *deps, const char *name)
{
    size_t k;
    json_t *d;
    json_array_foreach(deps, k, d)
    {
        if (!strcmp(json_string_value(d), name))
            return;
    }
    json_array_append_new(deps, jstr(name));
}

/* The step's own dependencies (inputs and `after`) as task names. */
static json_t *step_deps(struct ctx *c, size_t i)
{
    const struct df_step *st = &c->p->steps[i];
    json_t *deps = json_array();
    for (size_t k = 0; k < st->n_deps; k++)
        if (st->deps[k] < c->p->n_steps)
            add_dep(deps, c->task[st->deps[k]]);
    for (size_t k = 0; k < st->n_after; k++) {
        int j = df_pipeline_step_index(c->p, st->after[k]);
        if (j >= 0)
            add_dep(deps, c->task[j]);
    }
    return deps;
}

static json_t *step_task(struct ctx *c, size_t i, const struct fanout *f)
{
    const struct df_step *root = &c->p->steps[f->root];
    json_t *t = json_object(), *deps = step_deps(c, i);
    const char *item_ref = "{{item}}";

    json_object_set_new(t, "name", jstr(c->task[i]));
    json_object_set_new(t, "template", jstr(c->task[i]));
    if (f->kind == FAN_PARAM)
        add_dep(deps, c->items[f->root]);
    if (json_array_size(deps))
        json_object_set_new(t, "dependencies", deps);
    else
        json_decref(deps);
    switch (f->kind) {
    case FAN_NONE:
        break;
    case FAN_SEQUENCE: {
        json_t *seq = json_object();
        if (root->foreach.range_param)
            json_object_set_new(seq, "count",
                                jstrf("{{workflow.parameters.%s}}", root->foreach.range_param));
        else
            json_object_set_new(seq, "count", jstrf("%lld", (long long)root->foreach.range));
        json_object_set_new(t, "withSequence", seq);
        break;
    }
    case FAN_ITEMS: {
        json_t *list = json_array(), *v;
        size_t k;
        json_array_foreach(root->foreach.values, k, v)
        {
            json_t *it = json_object();
            json_object_set_new(it, "index", json_integer((json_int_t)k));
            json_object_set(it, "value", v);
            json_array_append_new(list, it);
        }
        json_object_set_new(t, "withItems", list);
        item_ref = "{{item.index}}";
        break;
    }
    case FAN_PARAM:
        json_object_set_new(t, "withParam",
                            jstrf("{{tasks.%s.outputs.result}}", c->items[f->root]));
        break;
    }
    if (f->kind != FAN_NONE) {
        json_t *args = json_object(), *params = json_array();
        json_array_append_new(params, name_value("item", jstr(item_ref)));
        json_object_set_new(args, "parameters", params);
        json_object_set_new(t, "arguments", args);
    }
    return t;
}

static json_t *items_task(struct ctx *c, size_t i)
{
    json_t *t = json_object(), *deps = step_deps(c, i);
    json_object_set_new(t, "name", jstr(c->items[i]));
    json_object_set_new(t, "template", jstr(c->items[i]));
    if (json_array_size(deps))
        json_object_set_new(t, "dependencies", deps);
    else
        json_decref(deps);
    return t;
}

static int build_names(struct ctx *c, struct df_error *err)
{
    const struct df_pipeline *p = c->p;
    char base[64];

    names_take(&c->names, "main");
    names_take(&c->names, "finish");
    c->task = xcalloc(p->n_steps ? p->n_steps : 1, sizeof(*c->task));
    c->items = xcalloc(p->n_steps ? p->n_steps : 1, sizeof(*c->items));
    for (size_t i = 0; i < p->n_steps; i++) {
        df_argo_name(p->steps[i].name, base, sizeof(base));
        c->task[i] = names_take(&c->names, base);
    }
    for (size_t i = 0; i < p->n_steps; i++) {
        struct fanout f;
        if (fanout_of(p, i, &f, err))
            return -1;
        if (f.kind == FAN_PARAM && f.root == i) {
            char *b = xasprintf("%s-items", c->task[i]);
            c->items[i] = names_take(&c->names, b);
            free(b);
        }
    }
    return 0;
}

static json_t *workflow_spec(struct ctx *c, struct df_error *err)
{
    const struct df_pipeline *p = c->p;
    const struct df_argo_opts *o = c->o;
    json_t *spec = json_object(), *templates = json_array(), *tasks = json_array();
    json_t *main_t = json_object(), *dag = json_object();

    json_object_set_new(spec, "entrypoint", jstr("main"));
    json_object_set_new(spec, "onExit", jstr("finish"));
    if (o->service_account)
        json_object_set_new(spec, "serviceAccountName", jstr(o->service_account));
    if (o->parallelism > 0)
        json_object_set_new(spec, "parallelism", json_integer(o->parallelism));
    if (o->n_node_selector) {
        json_t *ns = json_object();
        for (size_t i = 0; i < o->n_node_selector; i++)
            json_object_set_new(ns, o->node_selector[i].key, jstr(o->node_selector[i].value));
        json_object_set_new(spec, "nodeSelector", ns);
    }
    if (o->n_tolerations) {
        json_t *tol = json_array();
        for (size_t i = 0; i < o->n_tolerations; i++) {
            json_t *t = df_argo_toleration(o->tolerations[i], err);
            if (!t) {
                json_decref(tol);
                goto fail;
            }
            json_array_append_new(tol, t);
        }
        json_object_set_new(spec, "tolerations", tol);
    }
    {
        /* The image runs as this non-root user (Dockerfile); fsGroup makes the emptyDir
         * and the artifact files readable by it. */
        json_t *sc = json_object();
        json_object_set_new(sc, "runAsNonRoot", json_true());
        json_object_set_new(sc, "runAsUser", json_integer(10001));
        json_object_set_new(sc, "runAsGroup", json_integer(10001));
        json_object_set_new(sc, "fsGroup", json_integer(10001));
        json_object_set_new(spec, "securityContext", sc);
    }
    {
        json_t *pm = json_object(), *labels = json_object();
        char pl[64];
        df_argo_name(p->name, pl, sizeof(pl));
        json_object_set_new(labels, "app.kubernetes.io/name", jstr("duckflow"));
        json_object_set_new(labels, "duckflow.io/pipeline", jstr(pl));
        json_object_set_new(pm, "labels", labels);
        json_object_set_new(spec, "podMetadata", pm);
    }
    if (json_object_size(p->params)) {
        json_t *args = json_object(), *params = json_array(), *v;
        const char *k;
        json_object_foreach(p->params, k, v)
        {
            char *text = param_text(v);
            json_array_append_new(params, name_value(k, jstr(text)));
            free(text);
        }
        json_object_set_new(args, "parameters", params);
        json_object_set_new(spec, "arguments", args);
    }
    {
        json_t *vols = json_array(), *vol = json_object(), *ed = json_object();
        char size[32];
        format_mib(o->scratch_size ? o->scratch_size : DF_ARGO_SCRATCH_DEFAULT, size, sizeof(size));
        json_object_set_new(ed, "sizeLimit", jstr(size));
        json_object_set_new(vol, "name", jstr("scratch"));
        json_object_set_new(vol, "emptyDir", ed);
        json_array_append_new(vols, vol);
        json_object_set_new(spec, "volumes", vols);
    }

    /* The DAG, in dependency order; each dynamic step's items task just before it. */
    for (size_t k = 0; k < p->n_steps; k++) {
        size_t i = p->order ? p->order[k] : k;
        struct fanout f;
        if (fanout_of(p, i, &f, err))
            goto fail;
        if (c->items[i])
            json_array_append_new(tasks, items_task(c, i));
        json_array_append_new(tasks, step_task(c, i, &f));
    }
    json_object_set_new(main_t, "name", jstr("main"));
    /* Like `duckflow run`: a failed task fails its dependents while independent work
     * goes on. */
    json_object_set_new(dag, "failFast", json_false());
    json_object_set_new(dag, "tasks", tasks);
    tasks = NULL;
    json_object_set_new(main_t, "dag", dag);
    dag = NULL;
    json_array_append_new(templates, main_t);
    main_t = NULL;
    for (size_t i = 0; i < p->n_steps; i++) {
        struct fanout f;
        if (fanout_of(p, i, &f, err))
            goto fail;
        if (c->items[i])
            json_array_append_new(templates, items_template(c, i));
        json_array_append_new(templates, step_template(c, i, &f));
    }
    json_array_append_new(templates, finish_template(c));
    json_object_set_new(spec, "templates", templates);
    return spec;
fail:
    json_decref(tasks);
    json_decref(dag);
    json_decref(main_t);
    json_decref(templates);
    json_decref(spec);
    return NULL;
}

json_t *df_argo_toleration(const char *spec, struct df_error *err)
{
    const char *colon = strrchr(spec, ':');
    const char *eq = strchr(spec, '=');
    char *key = NULL, *value = NULL, *effect = NULL;
    json_t *t;

    if (colon && eq && colon < eq)
        colon = NULL; /* a ':' inside the key, e.g. "example.com/x:y=z" has no effect */
    if (colon) {
        effect = xstrdup(colon + 1);
        if (strcmp(effect, "NoSchedule") && strcmp(effect, "PreferNoSchedule") &&
            strcmp(effect, "NoExecute")) {
            df_error_set(err, DF_EUSAGE,
                         "toleration '%s': effect '%s' is not NoSchedule, PreferNoSchedule "
                         "or NoExecute",
                         spec, effect);
            free(effect);
            return NULL;
        }
    }
    if (eq) {
        key = xstrndup(spec, (size_t)(eq - spec));
        value = xstrndup(eq + 1, (size_t)((colon ? colon : spec + strlen(spec)) - eq - 1));
    } else {
        key = xstrndup(spec, (size_t)((colon ? colon : spec + strlen(spec)) - spec));
    }
    if (!*key || strpbrk(key, " \t") || (value && strpbrk(value, " \t:="))) {
        df_error_set(err, DF_EUSAGE,
                     "toleration '%s' is not key=value:Effect, key:Effect or key=value", spec);
        free(key);
        free(value);
        free(effect);
        return NULL;
    }
    t = json_object();
    json_object_set_new(t, "key", jstr(key));
    json_object_set_new(t, "operator", jstr(value ? "Equal" : "Exists"));
    if (value)
        json_object_set_new(t, "value", jstr(value));
    if (effect)
        json_object_set_new(t, "effect", jstr(effect));
    free(key);
    free(value);
    free(effect);
    return t;
}

int df_argo_build(const struct df_pipeline *p, const struct df_argo_opts *o, json_t **out,
                  struct strbuf *warnings, struct df_error *err)
{
    struct ctx c;
    json_t *doc = NULL, *meta = NULL, *labels = NULL, *annotations, *spec = NULL;
    char name[64];
    int rc = -1;

    memset(&c, 0, sizeof(c));
    c.p = p;
    c.o = o;
    *out = NULL;
    if (!o->image || !*o->image)
        return df_error_set(err, DF_EUSAGE, "an image is required (--image)");
    if (!o->store || !*o->store)
        return df_error_set(err, DF_EUSAGE, "a store is required (--store)");
    if (o->kind == DF_ARGO_CRON && o->n_schedules == 0)
        return df_error_set(err, DF_EUSAGE, "a CronWorkflow needs a schedule (--cron)");
    if (strncmp(o->store, "s3://", 5) && strncmp(o->store, "gs://", 5))
        warn(warnings,
             "store '%s' is not an s3:// or gs:// URI; every pod must see it at that path",
             o->store);

    if (collect_files(p, &c.files, warnings, err))
        goto done;
    c.pipeline_pod_path = pod_path(&c.files, c.files.v[0].rel);
    if (build_names(&c, err))
        goto done;
    c.param_args = json_array();
    {
        const char *k;
        json_t *v;
        json_object_foreach(p->params, k, v)
        {
            json_array_append_new(c.param_args, jstr("--param"));
            json_array_append_new(c.param_args, jstrf("%s={{workflow.parameters.%s}}", k, k));
        }
    }

    spec = workflow_spec(&c, err);
    if (!spec)
        goto done;

    df_argo_name(o->name ? o->name : p->name, name, sizeof(name));
    doc = json_object();
    meta = json_object();
    json_object_set_new(doc, "apiVersion", jstr("argoproj.io/v1alpha1"));
    json_object_set_new(doc, "kind",
                        jstr(o->kind == DF_ARGO_TEMPLATE ? "WorkflowTemplate"
                             : o->kind == DF_ARGO_CRON   ? "CronWorkflow"
                                                         : "Workflow"));
    if (o->kind == DF_ARGO_WORKFLOW)
        json_object_set_new(meta, "generateName", jstrf("%s-", name));
    else
        json_object_set_new(meta, "name", jstr(name));
    if (o->namespace_)
        json_object_set_new(meta, "namespace", jstr(o->namespace_));
    labels = json_object();
    json_object_set_new(labels, "app.kubernetes.io/name", jstr("duckflow"));
    {
        char pl[64];
        df_argo_name(p->name, pl, sizeof(pl));
        json_object_set_new(labels, "duckflow.io/pipeline", jstr(pl));
    }
    json_object_set_new(meta, "labels", json_deep_copy(labels));
    annotations = json_object();
    json_object_set_new(annotations, "duckflow.io/spec-hash", jstr(p->spec_hash));
    json_object_set_new(meta, "annotations", annotations);
    json_object_set_new(doc, "metadata", meta);

    if (o->kind == DF_ARGO_CRON) {
        json_t *cs = json_object(), *sched = json_array(), *wm = json_object();
        for (size_t i = 0; i < o->n_schedules; i++)
            json_array_append_new(sched, jstr(o->schedules[i]));
        json_object_set_new(cs, "schedules", sched);
        if (o->timezone)
            json_object_set_new(cs, "timezone", jstr(o->timezone));
        /* A run still going when the next is due makes the next wait its turn: two runs
         * of one pipeline would compete for the same memory. */
        json_object_set_new(cs, "concurrencyPolicy", jstr("Forbid"));
        json_object_set_new(wm, "labels", labels);
        labels = NULL;
        json_object_set_new(cs, "workflowMetadata", wm);
        json_object_set_new(cs, "workflowSpec", spec);
        spec = NULL;
        json_object_set_new(doc, "spec", cs);
    } else {
        json_object_set_new(doc, "spec", spec);
        spec = NULL;
    }
    *out = doc;
    doc = NULL;
    rc = 0;
done:
    json_decref(labels);
    json_decref(spec);
    json_decref(doc);
    json_decref(c.param_args);
    names_release(&c.names);
    free((void *)c.task);
    free((void *)c.items);
    free(c.pipeline_pod_path);
    ship_release(&c.files);
    return rc;
}

/* Every parameter value Argo stores: workflow arguments and withItems entries. */
static int check_param_sizes(const json_t *doc, struct df_error *err)
{
    const json_t *spec = json_object_get(doc, "spec");
    const json_t *ws = json_object_get(spec, "workflowSpec");
    const json_t *params, *v;
    size_t i;

    if (ws)
        spec = ws;
    params = json_object_get(json_object_get(spec, "arguments"), "parameters");
    json_array_foreach((json_t *)params, i, v)
    {
        const char *s = json_string_value(json_object_get(v, "value"));
        if (s && strlen(s) > DF_ARGO_PARAM_MAX)
            return df_error_set(err, DF_EUSAGE, "param '%s' is %zu bytes, over Argo's limit of %d",
                                json_string_value(json_object_get(v, "name")), strlen(s),
                                DF_ARGO_PARAM_MAX);
    }
    return 0;
}

int df_argo_render(const struct df_pipeline *p, const struct df_argo_opts *o, int json,
                   struct strbuf *out, struct strbuf *warnings, struct df_error *err)
{
    json_t *doc = NULL;
    struct strbuf text = STRBUF_INIT;
    int rc = -1;

    if (df_argo_build(p, o, &doc, warnings, err))
        return -1;
    if (check_param_sizes(doc, err))
        goto done;
    if (json) {
        char *s = json_dumps(doc, JSON_INDENT(2));
        if (!s) {
            df_error_set(err, DF_EUSAGE, "cannot encode the manifest as JSON");
            goto done;
        }
        sb_adds(&text, s);
        sb_addc(&text, '\n');
        free(s);
    } else if (df_yaml_emit(doc, &text, err)) {
        df_error_prefix(err, "manifest");
        goto done;
    }
    if (text.len > DF_ARGO_MANIFEST_MAX) {
        df_error_set(err, DF_EUSAGE,
                     "the manifest is %zu bytes, over the %d Argo and Kubernetes accept; "
                     "shorten the SQL or move inputs to the store",
                     text.len, DF_ARGO_MANIFEST_MAX);
        goto done;
    }
    sb_add(out, text.buf, text.len);
    rc = 0;
done:
    sb_release(&text);
    json_decref(doc);
    return rc;
}
