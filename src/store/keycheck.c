/*
 * keycheck.c - validation of keys and relative paths read from outside (see keycheck.h).
 */
#include "store/keycheck.h"

#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"
#include "util/banned.h"

/* NULL when key is safe, else why not. */
static const char *key_problem(const char *key, size_t len, int part)
{
    const char *p = key, *end = key + len;

    if (!len)
        return "is empty";
    if (key[0] == '/')
        return "is absolute";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)key[i];
        if (c == '\\')
            return "holds a backslash";
        if (c < 0x20 || c == 0x7f)
            return "holds a control character";
        if (c == '/' && part)
            return "holds a '/'";
    }
    while (p < end) {
        const char *e = memchr(p, '/', (size_t)(end - p));
        size_t n = e ? (size_t)(e - p) : (size_t)(end - p);
        if (n == 0)
            return "has an empty part";
        if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return "has a '.' or '..' part";
        if (!e)
            break;
        p = e + 1;
        if (p == end)
            return "ends with '/'";
    }
    return NULL;
}

static int refuse(const char *key, const char *what, const char *why, struct df_error *err)
{
    struct strbuf sb = STRBUF_INIT;
    /* Print the key safely: control characters as \xNN. */
    for (const char *p = key; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c == 0x7f)
            sb_addf(&sb, "\\x%02x", c);
        else
            sb_addc(&sb, (char)c);
    }
    df_error_set(err, DF_EIO, "%s '%s' %s (a store key must be a relative path)", what,
                 sb.buf ? sb.buf : "", why);
    sb_release(&sb);
    return -1;
}

int df_key_check(const char *key, const char *what, struct df_error *err)
{
    const char *why = key ? key_problem(key, strlen(key), 0) : "is missing";
    return why ? refuse(key ? key : "", what, why, err) : 0;
}

int df_key_check_part(const char *part, const char *what, struct df_error *err)
{
    const char *why = part ? key_problem(part, strlen(part), 1) : "is missing";
    return why ? refuse(part ? part : "", what, why, err) : 0;
}

int df_key_check_json(json_t *v, int part, const char *what, struct df_error *err)
{
    const char *s = json_string_value(v), *why;

    if (!s)
        return refuse("", what, "is not a string", err);
    if (strlen(s) != json_string_length(v))
        return refuse(s, what, "holds a NUL character", err);
    why = key_problem(s, strlen(s), part);
    return why ? refuse(s, what, why, err) : 0;
}

int df_manifest_check_paths(json_t *m, const char *where, struct df_error *err)
{
    static const char *const parts[] = {"pipeline", "run", "step", "item_key", "attempt_dir"};
    const char *tname;
    json_t *t, *f;
    size_t i;
    char *what;
    int rc = 0;

    for (i = 0; i < sizeof(parts) / sizeof(parts[0]) && rc == 0; i++) {
        json_t *v = json_object_get(m, parts[i]);
        if (!v)
            continue;
        what = xasprintf("manifest '%s': %s", where, parts[i]);
        rc = df_key_check_json(v, 1, what, err);
        free(what);
    }
    json_object_foreach(json_object_get(m, "tables"), tname, t)
    {
        json_array_foreach(json_object_get(t, "files"), i, f)
        {
            if (rc != 0)
                break;
            what = xasprintf("manifest '%s': a file of table '%s'", where, tname);
            rc = df_key_check_json(json_object_get(f, "path"), 0, what, err);
            free(what);
        }
    }
    return rc;
}
