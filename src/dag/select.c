/*
 * select.c - `--select` / `--exclude` (see select.h): tokens [+]name[+] over the step
 * graph, upstream and downstream closures, did-you-mean for unknown names.
 */
#include "dag/select.h"

#include <string.h>

#include "util/strbuf.h"
#include "util/banned.h"

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), *row = xcalloc(lb + 1, sizeof(*row)), d;

    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            diag = up;
            row[j] = best;
        }
    }
    d = row[lb];
    free(row);
    return d;
}

const char *df_select_closest(const struct df_pipeline *p, const char *name)
{
    const char *best = NULL;
    size_t bd = (size_t)-1;
    for (size_t s = 0; s < p->n_steps; s++) {
        size_t d = edit_distance(name, p->steps[s].name);
        if (d < bd) {
            bd = d;
            best = p->steps[s].name;
        }
    }
    return best;
}

static int valid_name_char(char c, int first)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           (!first && c >= '0' && c <= '9');
}

/* Marks s and, transitively, every step upstream (up) or downstream (down) of it. */
static void mark_up(const struct df_pipeline *p, size_t s, unsigned char *m)
{
    if (m[s])
        return;
    m[s] = 1;
    for (size_t i = 0; i < p->steps[s].n_deps; i++)
        mark_up(p, p->steps[s].deps[i], m);
}

static void mark_down(const struct df_pipeline *p, size_t s, unsigned char *m)
{
    /* In topological order every dependent comes after s: one pass suffices. */
    unsigned char *reach = xcalloc(p->n_steps ? p->n_steps : 1, 1);
    reach[s] = 1;
    for (size_t k = 0; k < p->n_steps; k++) {
        size_t t = p->order[k];
        for (size_t i = 0; i < p->steps[t].n_deps && !reach[t]; i++)
            if (reach[p->steps[t].deps[i]])
                reach[t] = 1;
    }
    for (size_t t = 0; t < p->n_steps; t++)
        if (reach[t])
            m[t] = 1;
    free(reach);
}

/* Adds what the tokens of every value select to m. */
static int apply(const struct df_pipeline *p, const char *opt, const char *const *vals, size_t n,
                 unsigned char *m, struct df_error *err)
{
    unsigned char *up = xcalloc(p->n_steps ? p->n_steps : 1, 1);
    int rc = 0;

    for (size_t v = 0; v < n && rc == 0; v++) {
        const char *s = vals[v];
        int any = 0;
        while (*s && rc == 0) {
            const char *tok, *a, *b;
            size_t tl;
            int pre = 0, post = 0, si;
            char *name;
            while (*s == ' ' || *s == '\t' || *s == '\n')
                s++;
            if (!*s)
                break;
            tok = s;
            while (*s && *s != ' ' && *s != '\t' && *s != '\n')
                s++;
            tl = (size_t)(s - tok);
            any = 1;
            a = tok;
            b = tok + tl;
            if (*a == '+') {
                pre = 1;
                a++;
            }
            if (b > a && b[-1] == '+') {
                post = 1;
                b--;
            }
            if (b <= a || !valid_name_char(*a, 1)) {
                rc = df_error_set(err, DF_EUSAGE, "%s: cannot parse '%.*s' (want s, s+, +s or +s+)",
                                  opt, (int)tl, tok);
                break;
            }
            for (const char *c = a; c < b; c++)
                if (!valid_name_char(*c, 0)) {
                    rc = df_error_set(err, DF_EUSAGE,
                                      "%s: cannot parse '%.*s' (want s, s+, +s or +s+)", opt,
                                      (int)tl, tok);
                    break;
                }
            if (rc)
                break;
            name = xstrndup(a, (size_t)(b - a));
            si = df_pipeline_step_index(p, name);
            if (si < 0) {
                const char *near = df_select_closest(p, name);
                if (near)
                    rc = df_error_set(err, DF_EUSAGE,
                                      "%s: no step '%s' in pipeline '%s' (did you mean '%s'?)", opt,
                                      name, p->name, near);
                else
                    rc = df_error_set(err, DF_EUSAGE, "%s: no step '%s' in pipeline '%s'", opt,
                                      name, p->name);
                free(name);
                break;
            }
            free(name);
            m[si] = 1;
            if (pre) {
                memset(up, 0, p->n_steps);
                mark_up(p, (size_t)si, up);
                for (size_t t = 0; t < p->n_steps; t++)
                    m[t] |= up[t];
            }
            if (post)
                mark_down(p, (size_t)si, m);
        }
        if (rc == 0 && !any)
            rc = df_error_set(err, DF_EUSAGE, "%s: empty value", opt);
    }
    free(up);
    return rc;
}

int df_select_steps(const struct df_pipeline *p, const char *const *select, size_t n_select,
                    const char *const *exclude, size_t n_exclude, unsigned char *out,
                    struct df_error *err)
{
    unsigned char *ex = xcalloc(p->n_steps ? p->n_steps : 1, 1);
    size_t kept = 0;
    int rc = 0;

    memset(out, n_select ? 0 : 1, p->n_steps);
    if (n_select)
        rc = apply(p, "--select", select, n_select, out, err);
    if (rc == 0 && n_exclude)
        rc = apply(p, "--exclude", exclude, n_exclude, ex, err);
    for (size_t s = 0; rc == 0 && s < p->n_steps; s++) {
        if (ex[s])
            out[s] = 0;
        kept += out[s];
    }
    if (rc == 0 && kept == 0)
        rc = df_error_set(err, DF_EUSAGE, "the selection names no step to run");
    free(ex);
    return rc;
}
