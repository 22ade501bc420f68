/*
 * store_local.c - the local-folder store backend: key "a/b/c" is the file <root>/a/b/c.
 *
 * Every write goes to a temporary file in the destination's own folder (so the rename
 * cannot cross file systems), is fsync'd, and is renamed over the final name: a reader
 * sees the whole object or nothing.
 *
 * What is fsync'd, and why: every put (put_bytes, put_file) — the store's objects are
 * manifests (a task's commit: it must survive a power loss once the task reported
 * success), run.json and _error.json (small, and rewritten at most every 500 ms by the
 * executor), and output files copied in from a scratch folder. A get_file is not: it makes
 * a working copy outside the store whose source stays in the store. Parquet files that a
 * task writes straight into this store's folder are fsync'd by the task before its
 * manifest (src/engine/task.c), so a manifest never outlives the data it names. Scratch
 * files (spill, the .owner note) are never fsync'd: a crash makes them garbage anyway. Temporary
 * names start with ".df-tmp." and listings skip them, so a writer that died leaves no visible key
 * (gc may delete the leftovers). Keys are checked so that none can leave the root ("..", absolute
 * keys, empty parts).
 */
#include "store/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fs.h"
#include "util/strbuf.h"
#include "util/banned.h"

#define TMP_PREFIX ".df-tmp."
#define MAX_DEPTH  64

struct local {
    char *root; /* absolute, no trailing '/' */
};

static const char *root_of(struct df_store *s)
{
    return ((struct local *)s->impl)->root;
}

/* 0 when key is a safe relative key: not empty, no leading '/', no empty, "." or ".."
 * parts, no temporary-file names. */
static int check_key(const char *key, struct df_error *err)
{
    const char *p = key;

    if (!key || !*key || *key == '/')
        return df_error_set(err, DF_EUSAGE, "invalid store key '%s'", key ? key : "");
    while (*p) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.') ||
            !strncmp(p, TMP_PREFIX, strlen(TMP_PREFIX)))
            return df_error_set(err, DF_EUSAGE, "invalid store key '%s'", key);
        if (!e)
            break;
        p = e + 1;
        if (!*p)
            return df_error_set(err, DF_EUSAGE, "invalid store key '%s'", key);
    }
    return 0;
}

static char *key_path(struct df_store *s, const char *key)
{
    return xasprintf("%s/%s", root_of(s), key);
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Opens a temporary file beside dest (creating dest's folder); *tmp receives its name. */
static int open_temp(const char *dest, char **tmp, struct df_error *err)
{
    const char *slash = strrchr(dest, '/');
    char *dir = slash ? xstrndup(dest, (size_t)(slash - dest)) : xstrdup(".");
    const char *base = slash ? slash + 1 : dest;
    int fd;

    *tmp = NULL;
    if (dir[0] && fs_mkdirs(dir, err) != 0) {
        free(dir);
        return -1;
    }
    *tmp = xasprintf("%s/" TMP_PREFIX "%s.XXXXXX", dir, base);
    free(dir);
    fd = mkostemp(*tmp, O_CLOEXEC);
    if (fd < 0) {
        df_error_errno(err, "cannot create a temporary file for '%s'", dest);
        free(*tmp);
        *tmp = NULL;
        return -1;
    }
    return fd;
}

/* fsync (when durable), close and rename the temporary over dest; on any failure the
 * temporary goes. */
static int finish_temp(int fd, char *tmp, const char *dest, int durable, struct df_error *err)
{
    int rc = 0;

    if (fchmod(fd, 0644) != 0 || (durable && fsync(fd) != 0))
        rc = df_error_errno(err, "cannot write '%s'", dest);
    if (close(fd) != 0 && rc == 0)
        rc = df_error_errno(err, "cannot write '%s'", dest);
    if (rc == 0 && rename(tmp, dest) != 0)
        rc = df_error_errno(err, "cannot rename a temporary file to '%s'", dest);
    if (rc != 0)
        unlink(tmp);
    free(tmp);
    return rc;
}

/* Copies the file src to dest through a temporary beside dest (fsync'd when durable). A
 * missing src is DF_ENOTFOUND (named by what, the key or the path). */
static int copy_atomic(const char *src, const char *dest, const char *what, int durable,
                       struct df_error *err)
{
    char buf[1 << 16];
    char *tmp = NULL;
    int in, out;
    ssize_t n;

    in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        if (errno == ENOENT)
            return df_error_set(err, DF_ENOTFOUND, "'%s' does not exist", what);
        return df_error_errno(err, "cannot open '%s'", src);
    }
    out = open_temp(dest, &tmp, err);
    if (out < 0) {
        close(in);
        return -1;
    }
    while ((n = read(in, buf, sizeof(buf))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || write_all(out, buf, (size_t)n) != 0) {
            df_error_errno(err, "cannot copy '%s' to '%s'", src, dest);
            close(in);
            close(out);
            unlink(tmp);
            free(tmp);
            return -1;
        }
    }
    close(in);
    return finish_temp(out, tmp, dest, durable, err);
}

/* 1 when a and b name the same existing file (an engine that wrote straight into the
 * store's folder and then "uploads" it). */
static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

static int local_put_file(struct df_store *s, const char *key, const char *path,
                          struct df_error *err)
{
    char *dest;
    int rc;

    if (check_key(key, err) != 0)
        return -1;
    dest = key_path(s, key);
    if (same_file(path, dest))
        rc = 0;
    else if ((rc = copy_atomic(path, dest, path, 1, err)) != 0)
        df_error_prefix(err, "cannot store '%s'", key);
    free(dest);
    return rc;
}

static int local_put_bytes(struct df_store *s, const char *key, const void *data, size_t len,
                           struct df_error *err)
{
    char *dest, *tmp = NULL;
    int fd, rc = -1;

    if (check_key(key, err) != 0)
        return -1;
    dest = key_path(s, key);
    fd = open_temp(dest, &tmp, err);
    if (fd >= 0) {
        if (write_all(fd, data, len) != 0) {
            df_error_errno(err, "cannot write '%s'", dest);
            close(fd);
            unlink(tmp);
            free(tmp);
        } else {
            rc = finish_temp(fd, tmp, dest, 1, err);
        }
    }
    free(dest);
    return rc;
}

/* The complete object is written to a temporary and fsync'd, then link(2)ed to its name:
 * like an O_EXCL create the link fails when the name exists, and unlike one nobody can
 * see the object half written. */
static int local_put_bytes_new(struct df_store *s, const char *key, const void *data, size_t len,
                               struct df_error *err)
{
    char *dest, *tmp = NULL;
    int fd, rc = -1;

    if (check_key(key, err) != 0)
        return -1;
    dest = key_path(s, key);
    fd = open_temp(dest, &tmp, err);
    if (fd >= 0) {
        if (write_all(fd, data, len) != 0 || fchmod(fd, 0644) != 0 || fsync(fd) != 0) {
            df_error_errno(err, "cannot write '%s'", dest);
            close(fd);
        } else if (close(fd) != 0) {
            df_error_errno(err, "cannot write '%s'", dest);
        } else if (link(tmp, dest) != 0) {
            if (errno == EEXIST)
                df_error_set(err, DF_EEXIST, "'%s' exists", key);
            else
                df_error_errno(err, "cannot create '%s'", dest);
        } else {
            rc = 0;
        }
        unlink(tmp);
        free(tmp);
    }
    free(dest);
    return rc;
}

static int local_get_file(struct df_store *s, const char *key, const char *path,
                          struct df_error *err)
{
    char *src;
    int rc;

    if (check_key(key, err) != 0)
        return -1;
    src = key_path(s, key);
    /* A download is a working copy (staging in a task's scratch folder): the object stays
     * in the store, so a crash loses nothing and no fsync is owed. */
    rc = copy_atomic(src, path, key, 0, err);
    free(src);
    return rc;
}

static int local_get_bytes(struct df_store *s, const char *key, size_t max, char **data,
                           size_t *len, struct df_error *err)
{
    char *src;
    int rc;

    if (check_key(key, err) != 0)
        return -1;
    src = key_path(s, key);
    rc = fs_read_file(src, max, data, len, err);
    if (rc != 0 && err && err->code == DF_ENOTFOUND) {
        /* Name the key, not the file, like the other backends. */
        df_error_clear(err);
        df_error_set(err, DF_ENOTFOUND, "'%s' does not exist", key);
    }
    free(src);
    return rc;
}

struct entry {
    char *key;
    uint64_t size;
};

struct walk {
    const char *prefix;
    size_t plen;
    struct entry *v;
    size_t n, alloc;
};

static void walk_add(struct walk *w, const char *key, uint64_t size)
{
    if (w->n == w->alloc) {
        w->alloc = w->alloc ? w->alloc * 2 : 256;
        w->v = xrealloc(w->v, w->alloc * sizeof(*w->v));
    }
    w->v[w->n].key = xstrdup(key);
    w->v[w->n].size = size;
    w->n++;
}

/* Walks folder dir (whose key is rel, "" for the root) and collects the files whose key
 * starts with the prefix. Folders that cannot match the prefix are not entered. */
static int walk_dir(struct walk *w, const char *dir, const char *rel, int depth,
                    struct df_error *err)
{
    DIR *d;
    struct dirent *de;
    int rc = 0;

    if (depth > MAX_DEPTH)
        return 0;
    d = opendir(dir);
    if (!d) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 0;
        return df_error_errno(err, "cannot list folder '%s'", dir);
    }
    while (rc == 0 && (de = readdir(d)) != NULL) {
        struct stat st;
        char *path, *key;
        size_t klen;

        if (de->d_name[0] == '.' && (!de->d_name[1] || !strcmp(de->d_name, "..") ||
                                     !strncmp(de->d_name, TMP_PREFIX, strlen(TMP_PREFIX))))
            continue;
        key = rel[0] ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
        klen = strlen(key);
        path = xasprintf("%s/%s", dir, de->d_name);
        if (stat(path, &st) == 0) {
            if (S_ISDIR(st.st_mode)) {
                /* Enter only when "key/" and the prefix agree on their common length. */
                size_t cmp = klen < w->plen ? klen : w->plen;
                if (!strncmp(key, w->prefix, cmp) && (klen >= w->plen || w->prefix[klen] == '/'))
                    rc = walk_dir(w, path, key, depth + 1, err);
            } else if (S_ISREG(st.st_mode) && !strncmp(key, w->prefix, w->plen)) {
                walk_add(w, key, (uint64_t)st.st_size);
            }
        }
        free(path);
        free(key);
    }
    closedir(d);
    return rc;
}

static int entry_cmp(const void *a, const void *b)
{
    return strcmp(((const struct entry *)a)->key, ((const struct entry *)b)->key);
}

static int local_list(struct df_store *s, const char *prefix, df_store_list_cb cb, void *ud,
                      struct df_error *err)
{
    struct walk w = {prefix, strlen(prefix), NULL, 0, 0};
    const char *slash = strrchr(prefix, '/');
    char *rel, *dir;
    int rc;

    /* Start at the deepest folder the prefix names whole ("a/b/c" -> "a/b"). */
    rel = slash ? xstrndup(prefix, (size_t)(slash - prefix)) : xstrdup("");
    if (rel[0] && check_key(rel, NULL) != 0) {
        free(rel);
        return 0; /* a prefix no valid key can start with */
    }
    dir = rel[0] ? xasprintf("%s/%s", root_of(s), rel) : xstrdup(root_of(s));
    rc = walk_dir(&w, dir, rel, 0, err);
    free(dir);
    free(rel);
    if (rc == 0) {
        if (w.n > 1)
            qsort(w.v, w.n, sizeof(*w.v), entry_cmp);
        for (size_t i = 0; i < w.n; i++)
            if (cb(w.v[i].key, w.v[i].size, ud) != 0)
                break;
    }
    for (size_t i = 0; i < w.n; i++)
        free(w.v[i].key);
    free(w.v);
    return rc;
}

static int local_remove(struct df_store *s, const char *key, struct df_error *err)
{
    char *path;
    size_t rootlen = strlen(root_of(s));

    if (check_key(key, err) != 0)
        return -1;
    path = key_path(s, key);
    if (unlink(path) != 0 && errno != ENOENT) {
        df_error_errno(err, "cannot remove '%s'", path);
        free(path);
        return -1;
    }
    /* Folders are not keys: drop the ones this removal emptied, up to the root. Another
     * writer may race us and recreate one; its mkdir -p then simply creates it again. */
    for (char *e = strrchr(path, '/'); e && (size_t)(e - path) > rootlen; e = strrchr(path, '/')) {
        *e = '\0';
        if (rmdir(path) != 0)
            break;
    }
    free(path);
    return 0;
}

static char *local_local_path(struct df_store *s, const char *key)
{
    if (check_key(key, NULL) != 0)
        return NULL;
    return key_path(s, key);
}

static void local_free(struct df_store *s)
{
    struct local *l = s->impl;
    free(l->root);
    free(l);
    free(s->uri);
    free(s);
}

static const struct df_store_ops local_ops = {
    "file",     local_put_file, local_put_bytes,  local_get_file, local_get_bytes,
    local_list, local_remove,   local_local_path, local_free,     local_put_bytes_new,
    NULL,
};

int df_store_local_open(const char *path, struct df_store **out, struct df_error *err)
{
    struct stat st;
    struct df_store *s;
    struct local *l;
    char *root;
    size_t n;

    *out = NULL;
    if (!path || !*path)
        return df_error_set(err, DF_EUSAGE, "empty store path");
    root = fs_absolute(path);
    n = strlen(root);
    while (n > 1 && root[n - 1] == '/')
        root[--n] = '\0';
    /* A store that does not exist yet is created by its first write. */
    if (stat(root, &st) == 0 && !S_ISDIR(st.st_mode)) {
        df_error_set(err, DF_EIO, "store '%s' is not a folder", root);
        free(root);
        return -1;
    }
    l = xcalloc(1, sizeof(*l));
    l->root = root;
    s = xcalloc(1, sizeof(*s));
    s->ops = &local_ops;
    s->uri = xstrdup(root);
    s->impl = l;
    *out = s;
    return 0;
}
