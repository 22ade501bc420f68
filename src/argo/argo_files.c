/*
 * argo_files.c - the files a manifest ships to its pods: the pipeline file, its SQL files and
 * small local inputs, with the paths they take under /pipeline in a pod (see argo.h).
 */
#include <stdarg.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argo/argo_internal.h"
#include "argo/yamlemit.h"
#include "util/fs.h"

#include "util/banned.h"

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

void ag_ship_release(struct ship *s)
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

char *ag_pod_path(const struct ship *s, const char *rel)
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

void ag_warn(struct strbuf *w, const char *fmt, ...)
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
int ag_collect_files(const struct df_pipeline *p, struct ship *s, struct strbuf *warnings,
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
                ag_warn(warnings,
                        "step '%s': input '%s' reads local '%s', which pods cannot see; "
                        "use an s3:// or gs:// URI",
                        st->name, in->name, in->uri);
                continue;
            }
            size_t before = s->n;
            struct df_error e2 = DF_ERROR_INIT;
            if (ship_add(s, dir, path, EMBED_FILE_MAX, &e2)) {
                ag_warn(warnings, "step '%s': input '%s': %s; pods cannot see it", st->name,
                        in->name, e2.msg);
                continue;
            }
            if (s->n > before)
                s->embedded_bytes += s->v[s->n - 1].len;
        }
    }
    /* Argo substitutes {{...}} tags anywhere in a template, raw artifact data included. */
    for (size_t i = 0; i < s->n; i++)
        if (memmem(s->v[i].data, s->v[i].len, "{{", 2))
            ag_warn(warnings,
                    "'%s' contains '{{', which Argo may take for a template tag and replace; "
                    "avoid it in files that travel in the manifest",
                    s->v[i].rel);
    rc = 0;
done:
    free(dir);
    return rc;
}
