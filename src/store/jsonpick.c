/*
 * jsonpick.c - a scanner that parses only the members of a JSON document a reader uses
 * (see jsonpick.h): the rest is skipped byte by byte, never built as jansson values.
 */
#include "store/jsonpick.h"

#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"
#include "util/banned.h"

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* p at the opening quote: the byte after the closing one, or NULL. */
static const char *skip_string(const char *p, const char *end)
{
    for (p++; p < end;) {
        const char *q = memchr(p, '"', (size_t)(end - p));
        const char *b;
        size_t n;
        if (!q)
            return NULL;
        /* the quote closes the string unless an odd number of backslashes precede it */
        for (b = q, n = 0; b > p && b[-1] == '\\'; b--)
            n++;
        if (n % 2 == 0)
            return q + 1;
        p = q + 1;
    }
    return NULL;
}

/* p at a value: the byte after it, or NULL. */
static const char *skip_value(const char *p, const char *end)
{
    int depth = 0;
    if (p >= end)
        return NULL;
    if (*p != '{' && *p != '[' && *p != '"') {
        while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n' &&
               *p != '\t' && *p != '\r')
            p++;
        return p;
    }
    while (p < end) {
        if (*p == '"') {
            p = skip_string(p, end);
            if (!p)
                return NULL;
            if (depth == 0)
                return p;
            continue;
        }
        if (*p == '{' || *p == '[')
            depth++;
        else if (*p == '}' || *p == ']') {
            if (--depth == 0)
                return p + 1;
        }
        p++;
    }
    return NULL;
}

static int wanted(const char *name, size_t n, const char *const *names)
{
    for (; *names; names++)
        if (strlen(*names) == n && !memcmp(*names, name, n))
            return 1;
    return 0;
}

/* Calls cb with each member of the JSON object in [p, end) (name raw, without quotes, and
 * the value's span), unparsed. -1 when it is not an object or cb fails, else 0. */
typedef int (*member_cb)(const char *name, size_t n, const char *v, const char *ve, void *ud);
static int each_member(const char *p, const char *end, member_cb cb, void *ud)
{
    p = skip_ws(p, end);
    if (p >= end || *p != '{')
        return -1;
    p = skip_ws(p + 1, end);
    if (p < end && *p == '}')
        return 0;
    for (;;) {
        const char *k, *ke, *v, *ve;
        p = skip_ws(p, end);
        if (p >= end || *p != '"')
            return -1;
        k = p + 1;
        if (!(ke = skip_string(p, end)))
            return -1;
        p = skip_ws(ke, end);
        if (p >= end || *p != ':')
            return -1;
        v = skip_ws(p + 1, end);
        if (!(ve = skip_value(v, end)) || ve == v)
            return -1;
        if (cb(k, (size_t)(ke - 1 - k), v, ve, ud) != 0)
            return -1;
        p = skip_ws(ve, end);
        if (p < end && *p == ',') {
            p++;
            continue;
        }
        return p < end && *p == '}' ? 0 : -1;
    }
}

/* The same for the elements of a JSON array. */
static int each_element(const char *p, const char *end,
                        int (*cb)(const char *v, const char *ve, void *ud), void *ud)
{
    p = skip_ws(p, end);
    if (p >= end || *p != '[')
        return -1;
    p = skip_ws(p + 1, end);
    if (p < end && *p == ']')
        return 0;
    for (;;) {
        const char *v = skip_ws(p, end), *ve;
        if (!(ve = skip_value(v, end)) || ve == v || cb(v, ve, ud) != 0)
            return -1;
        p = skip_ws(ve, end);
        if (p < end && *p == ',') {
            p++;
            continue;
        }
        return p < end && *p == ']' ? 0 : -1;
    }
}

struct pick {
    json_t *out;
    const char *const *names;
};

/* Names with escapes are never among ours: compared raw. */
static int pick_member(const char *k, size_t n, const char *v, const char *ve, void *ud)
{
    struct pick *pk = ud;
    json_t *val;
    char *name;
    if (!wanted(k, n, pk->names))
        return 0;
    val = json_loadb(v, (size_t)(ve - v), JSON_DECODE_ANY, NULL);
    if (!val)
        return -1;
    name = xstrndup(k, n);
    json_object_set_new(pk->out, name, val);
    free(name);
    return 0;
}

json_t *df_json_pick(const char *data, size_t len, const char *const *names)
{
    struct pick pk = {json_object(), names};
    if (each_member(data, data + len, pick_member, &pk) != 0) {
        json_decref(pk.out);
        return NULL;
    }
    return pk.out;
}

/* ---- a manifest's "tables", reduced to what names files ---- */

static const char *const path_member[] = {"path", NULL};
static const char *const files_member[] = {"files", NULL};

/* One element of "files": {"path": ...} alone. */
static int pick_file(const char *v, const char *ve, void *ud)
{
    json_t *f;
    if (*v != '{') { /* names no file; still has to be JSON */
        f = json_loadb(v, (size_t)(ve - v), JSON_DECODE_ANY, NULL);
        json_decref(f);
        return f ? 0 : -1;
    }
    f = df_json_pick(v, (size_t)(ve - v), path_member);
    if (!f)
        return -1;
    json_array_append_new(ud, f);
    return 0;
}

/* One member of a table: only "files" is kept. */
static int pick_files(const char *k, size_t n, const char *v, const char *ve, void *ud)
{
    json_t *files;
    if (!wanted(k, n, files_member))
        return 0;
    files = json_array();
    if (each_element(v, ve, pick_file, files) != 0) {
        json_decref(files);
        return -1;
    }
    json_object_set_new(ud, "files", files);
    return 0;
}

/* One table of "tables": {"files": [{"path"}...]}, its schema and counts skipped. */
static int pick_table(const char *k, size_t n, const char *v, const char *ve, void *ud)
{
    json_t *t = json_object();
    char *name;
    if (each_member(v, ve, pick_files, t) != 0) {
        json_decref(t);
        return -1;
    }
    name = xstrndup(k, n);
    json_object_set_new(ud, name, t);
    free(name);
    return 0;
}

static int pick_manifest_member(const char *k, size_t n, const char *v, const char *ve, void *ud)
{
    struct pick *pk = ud;
    json_t *tables;
    if (n != 6 || memcmp(k, "tables", 6) != 0)
        return pick_member(k, n, v, ve, pk);
    tables = json_object();
    if (each_member(v, ve, pick_table, tables) != 0) {
        json_decref(tables);
        return -1;
    }
    json_object_set_new(pk->out, "tables", tables);
    return 0;
}

/* Members of a manifest that name its files and its attempt (df_manifest_table_keys). */
static const char *const manifest_members[] = {"pipeline",   "run",         "step", "item_key",
                                               "files_root", "attempt_dir", NULL};

json_t *df_manifest_pick(const char *data, size_t len)
{
    struct pick pk = {json_object(), manifest_members};
    if (each_member(data, data + len, pick_manifest_member, &pk) != 0) {
        json_decref(pk.out);
        return NULL;
    }
    return pk.out;
}

/* Members of a run record retention and gc look at (runrec_still_running, ages). */
static const char *const run_members[] = {"pipeline",   "run",        "status",      "host", "pid",
                                          "updated_at", "started_at", "finished_at", NULL};

json_t *df_run_record_pick(const char *data, size_t len)
{
    return df_json_pick(data, len, run_members);
}
