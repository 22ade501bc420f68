/*
 * globstar.c - file globs with DuckDB's "**" (see globstar.h).
 */
#include "util/globstar.h"

#include <dirent.h>
#include <fnmatch.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/strbuf.h"
#include "util/banned.h"

#define WALK_DEPTH_MAX 64 /* folders below the walk's start (a symlink loop ends here) */

/* The segment of s that starts at s: its length up to the next '/' or the end. */
static size_t seg_len(const char *s)
{
    return strcspn(s, "/");
}

static int is_globstar(const char *s, size_t n)
{
    return n == 2 && s[0] == '*' && s[1] == '*';
}

int df_glob_has_globstar(const char *pattern)
{
    const char *p = pattern;
    for (;;) {
        size_t n = seg_len(p);
        if (is_globstar(p, n))
            return 1;
        if (!p[n])
            return 0;
        p += n + 1;
    }
}

/* One segment: pattern segment (ps, pn) against name segment (ns, nn). */
static int seg_match(const char *ps, size_t pn, const char *ns, size_t nn, int hidden_rule)
{
    char pat[1024], name[1024];
    if (pn >= sizeof(pat) || nn >= sizeof(name))
        return 0;
    memcpy(pat, ps, pn);
    pat[pn] = '\0';
    memcpy(name, ns, nn);
    name[nn] = '\0';
    return fnmatch(pat, name, hidden_rule ? FNM_PERIOD : 0) == 0;
}

static int match_from(const char *p, const char *s, int hidden_rule, int depth)
{
    size_t pn, sn;

    if (depth > 256)
        return 0;
    pn = seg_len(p);
    if (is_globstar(p, pn)) {
        const char *rest = p[pn] ? p + pn + 1 : p + pn;
        /* "**" as the last segment matches every path below (one segment at least). */
        if (!*rest) {
            if (!*s)
                return 0;
            for (; hidden_rule; s += sn + 1) {
                sn = seg_len(s);
                if (*s == '.')
                    return 0;
                if (!s[sn])
                    break;
            }
            return 1;
        }
        for (;;) {
            if (match_from(rest, s, hidden_rule, depth + 1))
                return 1;
            sn = seg_len(s);
            if (!s[sn] || (hidden_rule && *s == '.'))
                return 0;
            s += sn + 1;
        }
    }
    sn = seg_len(s);
    if (!seg_match(p, pn, s, sn, hidden_rule))
        return 0;
    if (!p[pn] || !s[sn])
        return !p[pn] && !s[sn];
    return match_from(p + pn + 1, s + sn + 1, hidden_rule, depth + 1);
}

int df_glob_match(const char *pattern, const char *path, int hidden_rule)
{
    return match_from(pattern, path, hidden_rule, 0);
}

struct found {
    char **v;
    size_t n, cap;
};

static void found_add(struct found *f, const char *path)
{
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 16;
        f->v = xrealloc(f->v, f->cap * sizeof(*f->v));
    }
    f->v[f->n++] = xstrdup(path);
}

/* Adds the files below folder dir (prefix: how their paths start, dir's path and a '/', or
 * "" for the current folder) that match pattern. */
static void walk(const char *dir, const char *prefix, const char *pattern, int depth,
                 struct found *f)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        char *path;
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        path = xasprintf("%s%s", prefix, e->d_name);
        if (stat(path, &st) == 0) {
            if (S_ISDIR(st.st_mode)) {
                char *sub = xasprintf("%s/", path);
                if (depth < WALK_DEPTH_MAX)
                    walk(path, sub, pattern, depth + 1, f);
                free(sub);
            } else if (df_glob_match(pattern, path, 1)) {
                found_add(f, path);
            }
        }
        free(path);
    }
    closedir(d);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int df_glob_local(const char *pattern, char ***paths, size_t *n)
{
    struct found f = {NULL, 0, 0};

    *paths = NULL;
    *n = 0;
    if (!df_glob_has_globstar(pattern)) {
        glob_t g;
        int grc = glob(pattern, 0, NULL, &g);
        if (grc == 0)
            for (size_t i = 0; i < g.gl_pathc; i++)
                found_add(&f, g.gl_pathv[i]);
        globfree(&g);
        if (grc != 0 && grc != GLOB_NOMATCH)
            return -1;
    } else {
        /* The walk starts at the folder before the first segment with a wildcard. */
        size_t wild = strcspn(pattern, "*?["), cut = wild;
        char *start;
        while (cut > 0 && pattern[cut - 1] != '/')
            cut--;
        start = xstrndup(pattern, cut); /* "dir/", "/" or "" */
        walk(cut ? start : ".", start, pattern, 0, &f);
        free(start);
        if (f.n > 1)
            qsort(f.v, f.n, sizeof(*f.v), by_name);
    }
    *paths = f.v;
    *n = f.n;
    return 0;
}

void df_glob_free(char **paths, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
}
