/*
 * store_local.c - the local-folder store backend: key "a/b/c" is the file <root>/a/b/c.
 *
 * Every write goes to a temporary file in the destination's own folder (so the rename
 * cannot cross file systems), is fsync'd, and is renamed over the final name: a reader
 * sees the whole object or nothing.
 *
 * What is fsync'd, and why: every put (put_bytes, put_file), and after its rename the
 * folder that holds it (the rename is the commit) — the store's objects are
 * manifests (a task's commit: it must survive a power loss once the task reported
 * success), run.json and _error.json (small, and rewritten at most every 500 ms by the
 * executor), and output files copied in from a scratch folder. A get_file is not: it makes
 * a working copy outside the store whose source stays in the store. Parquet files that a
 * task writes straight into this store's folder are fsync'd by the task before its
 * manifest (src/engine/task.c), so a manifest never outlives the data it names. Scratch
 * files (spill, the .owner note) are never fsync'd: a crash makes them garbage anyway. Temporary
 * names start with ".df-tmp." and listings skip them, so a writer that died leaves no visible key
 * (gc may delete the leftovers). Keys are checked so that none can leave the root ("..", absolute
 * keys, empty parts: store/keycheck.h), and every walk from the root to a key goes one
 * folder at a time with O_NOFOLLOW: no symlink below the root is ever followed.
 */
#include "store/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifdef SYS_openat2
#include <linux/openat2.h>
#endif

#include "store/keycheck.h"
#include "util/fs.h"
#include "util/strbuf.h"
#include "util/banned.h"

#define TMP_PREFIX ".df-tmp."
#define MAX_DEPTH  64

struct local {
    char *root;  /* absolute, no trailing '/' */
    int root_fd; /* the root opened for openat2 (open_key_fast), plus one; 0: not yet */
};

static const char *root_of(struct df_store *s)
{
    return ((struct local *)s->impl)->root;
}

/* 0 when key is a safe relative key (store/keycheck.h) that names no temporary file. */
static int check_key(const char *key, struct df_error *err)
{
    const char *p = key;

    if (df_key_check(key, "store key", err) != 0) {
        if (err)
            err->code = DF_EUSAGE;
        return -1;
    }
    for (; p; p = strchr(p, '/'), p = p ? p + 1 : NULL)
        if (!strncmp(p, TMP_PREFIX, strlen(TMP_PREFIX)))
            return df_error_set(err, DF_EUSAGE, "invalid store key '%s'", key);
    return 0;
}

/* Opens the folder that holds key, walking down from the root one part at a time with
 * O_NOFOLLOW: a symlink anywhere below the root is refused (nothing outside the store is
 * read, written or deleted through one). With create, missing folders are made. Returns
 * the folder's descriptor and sets *base to key's last part; -1 with DF_ENOTFOUND when a
 * folder is missing (and !create), DF_EIO otherwise. */
static int open_parent(struct df_store *s, const char *key, int create, const char **base,
                       struct df_error *err)
{
    int dfd = open(root_of(s), O_RDONLY | O_DIRECTORY | O_CLOEXEC), mkdir_failed;
    size_t fail;

    if (dfd < 0 && errno == ENOENT && create) {
        if (fs_mkdirs(root_of(s), err) != 0)
            return -1;
        dfd = open(root_of(s), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
    if (dfd < 0)
        return errno == ENOENT ? df_error_set(err, DF_ENOTFOUND, "'%s' does not exist", key)
                               : df_error_errno(err, "cannot open the store '%s'", root_of(s));
    dfd = fs_walk_nofollow(dfd, key, create, 0755, base, &fail, &mkdir_failed);
    if (dfd < 0) {
        if (mkdir_failed)
            return df_error_errno(err, "cannot create folder '%s/%.*s'", root_of(s), (int)fail,
                                  key);
        if (errno == ENOENT)
            return df_error_set(err, DF_ENOTFOUND, "'%s' does not exist", key);
        if (errno == ELOOP || errno == ENOTDIR)
            return df_error_set(err, DF_EIO,
                                "store key '%s': '%.*s' is not a folder (a symlink or a "
                                "file); refused",
                                key, (int)fail, key);
        return df_error_errno(err, "cannot open folder '%s/%.*s'", root_of(s), (int)fail, key);
    }
    return dfd;
}

/* 0 when no part of key below the root is a symlink (missing parts are fine). */
static int check_no_symlink(struct df_store *s, const char *key, struct df_error *err)
{
    const char *base;
    struct df_error e = DF_ERROR_INIT;
    struct stat st;
    int dfd = open_parent(s, key, 0, &base, &e);

    if (dfd < 0) {
        if (e.code == DF_ENOTFOUND)
            return 0;
        if (err)
            *err = e;
        return -1;
    }
    if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
        close(dfd);
        return df_error_set(err, DF_EIO, "store key '%s' is a symlink; refused", key);
    }
    close(dfd);
    return 0;
}

/* Opens key for reading without following a symlink anywhere below the root. */
/* One system call for the common case: openat2() from the root, refusing every symlink
 * and any escape (RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH), which is what the folder-by-folder
 * walk below checks. -1 when it cannot say (no openat2, or any failure): the walk then
 * decides and words the error. Reading many small keys (gc reads every manifest) is where
 * the walk's eight opens per key showed. */
static int open_key_fast(struct df_store *s, const char *key)
{
#ifdef SYS_openat2
    static int unsupported;
    struct local *l = s->impl;
    struct open_how how;
    int root = __atomic_load_n(&l->root_fd, __ATOMIC_ACQUIRE) - 1, fd;

    if (__atomic_load_n(&unsupported, __ATOMIC_RELAXED))
        return -1;
    if (root < 0) {
        /* Opened once per store; threads that race keep the first descriptor. */
        int mine = open(root_of(s), O_RDONLY | O_DIRECTORY | O_CLOEXEC), expected = 0;
        if (mine < 0)
            return -1;
        if (!__atomic_compare_exchange_n(&l->root_fd, &expected, mine + 1, 0, __ATOMIC_ACQ_REL,
                                         __ATOMIC_ACQUIRE))
            close(mine);
        root = __atomic_load_n(&l->root_fd, __ATOMIC_ACQUIRE) - 1;
    }
    memset(&how, 0, sizeof(how));
    how.flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC;
    how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH;
    fd = (int)syscall(SYS_openat2, root, key, &how, sizeof(how));
    if (fd < 0 && (errno == ENOSYS || errno == EPERM))
        __atomic_store_n(&unsupported, 1, __ATOMIC_RELAXED); /* old kernel, or seccomp */
    return fd;
#else
    (void)s;
    (void)key;
    return -1;
#endif
}

static int open_key(struct df_store *s, const char *key, struct df_error *err)
{
    const char *base;
    int dfd, fd;

    if ((fd = open_key_fast(s, key)) >= 0)
        return fd;
    dfd = open_parent(s, key, 0, &base, err);
    if (dfd < 0)
        return -1;
    fd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            df_error_set(err, DF_ENOTFOUND, "'%s' does not exist", key);
        else if (errno == ELOOP)
            df_error_set(err, DF_EIO, "store key '%s' is a symlink; refused", key);
        else
            df_error_errno(err, "cannot open '%s/%s'", root_of(s), key);
    }
    close(dfd);
    return fd;
}

static char *key_path(struct df_store *s, const char *key)
{
    return xasprintf("%s/%s", root_of(s), key);
}

/* Opens a temporary file beside dest (creating dest's folder; callers writing into the
 * store have made it through open_parent already); *tmp receives its name. */
static int open_temp(const char *dest, char **tmp, struct df_error *err)
{
    const char *slash = strrchr(dest, '/');
    char *dir = slash ? xstrndup(dest, (size_t)(slash - dest)) : xstrdup(".");
    const char *base = slash ? slash + 1 : dest;
    int fd;

    *tmp = NULL;
    if (dir[0] && !fs_exists(dir) && fs_mkdirs(dir, err) != 0) {
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
    /* The rename is the commit: make the folder entry durable too. */
    if (rc == 0 && durable && fs_fsync_dir_of(dest) != 0)
        rc = df_error_errno(err, "cannot sync the folder of '%s'", dest);
    if (rc != 0)
        unlink(tmp);
    free(tmp);
    return rc;
}

static int copy_fd_atomic(int in, const char *src, const char *dest, int durable,
                          struct df_error *err);

/* Copies the file src to dest through a temporary beside dest (fsync'd when durable). A
 * missing src is DF_ENOTFOUND (named by what, the key or the path). */
static int copy_atomic(const char *src, const char *dest, const char *what, int durable,
                       struct df_error *err)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);

    if (in < 0) {
        if (errno == ENOENT)
            return df_error_set(err, DF_ENOTFOUND, "'%s' does not exist", what);
        return df_error_errno(err, "cannot open '%s'", src);
    }
    return copy_fd_atomic(in, src, dest, durable, err);
}

/* Copies the open file in (closed here) to dest, like copy_atomic. */
static int copy_fd_atomic(int in, const char *src, const char *dest, int durable,
                          struct df_error *err)
{
    char buf[1 << 16];
    char *tmp = NULL;
    int out;
    ssize_t n;

    out = open_temp(dest, &tmp, err);
    if (out < 0) {
        close(in);
        return -1;
    }
    while ((n = read(in, buf, sizeof(buf))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || fs_write_all(out, buf, (size_t)n) != 0) {
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

    const char *base;
    int dfd;

    if (check_key(key, err) != 0)
        return -1;
    if ((dfd = open_parent(s, key, 1, &base, err)) < 0)
        return df_error_prefix(err, "cannot store '%s'", key), -1;
    close(dfd);
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
    const char *base;
    int fd, rc = -1;

    if (check_key(key, err) != 0)
        return -1;
    if ((fd = open_parent(s, key, 1, &base, err)) < 0)
        return -1;
    close(fd);
    dest = key_path(s, key);
    fd = open_temp(dest, &tmp, err);
    if (fd >= 0) {
        if (fs_write_all(fd, data, len) != 0) {
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
        if (fs_write_all(fd, data, len) != 0 || fchmod(fd, 0644) != 0 || fsync(fd) != 0) {
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
    int rc, in;

    if (check_key(key, err) != 0)
        return -1;
    if ((in = open_key(s, key, err)) < 0)
        return -1;
    src = key_path(s, key);
    /* A download is a working copy (staging in a task's scratch folder): the object stays
     * in the store, so a crash loses nothing and no fsync is owed. */
    rc = copy_fd_atomic(in, src, path, 0, err);
    free(src);
    return rc;
}

static int local_get_bytes(struct df_store *s, const char *key, size_t max, char **data,
                           size_t *len, struct df_error *err)
{
    char *src;
    int rc, fd;

    if (check_key(key, err) != 0)
        return -1;
    if ((fd = open_key(s, key, err)) < 0)
        return -1;
    src = key_path(s, key);
    rc = fs_read_fd(fd, src, max, data, len, err);
    close(fd);
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

/* Walks folder dir (open as fd, closed here; its key is rel, "" for the root) and
 * collects the files whose key starts with the prefix. Folders that cannot match the
 * prefix are not entered. Symlinks are neither listed nor followed: a link planted in the
 * store cannot lead a listing (and so gc) outside it. */
static int walk_dir(struct walk *w, int fd, const char *dir, const char *rel, int depth,
                    struct df_error *err)
{
    /* getdents64 straight into a buffer, d_type to tell folders from files: a folder
     * costs no stat, and no DIR stream (its own fstat and fcntl calls) is set up. A
     * store of 1,000 tpch runs has 72,000 folders. */
    char buf[32768];
    int rc = 0;

    if (depth > MAX_DEPTH) {
        close(fd);
        return 0;
    }
    for (;;) {
        ssize_t got = getdents64(fd, buf, sizeof(buf));
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            rc = df_error_errno(err, "cannot list folder '%s'", dir);
            break;
        }
        if (got == 0)
            break;
        for (ssize_t off = 0; rc == 0 && off < got;) {
            struct dirent64 *de = (struct dirent64 *)(void *)(buf + off);
            struct stat st;
            char *key;
            size_t klen;
            int is_dir = de->d_type == DT_DIR, is_reg = de->d_type == DT_REG;

            off += de->d_reclen;
            if (de->d_name[0] == '.' && (!de->d_name[1] || !strcmp(de->d_name, "..") ||
                                         !strncmp(de->d_name, TMP_PREFIX, strlen(TMP_PREFIX))))
                continue;
            if (de->d_type != DT_DIR && de->d_type != DT_REG && de->d_type != DT_UNKNOWN)
                continue; /* symlinks and the rest are never keys */
            key = rel[0] ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
            klen = strlen(key);
            if (!is_dir && fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
                is_dir = S_ISDIR(st.st_mode);
                is_reg = S_ISREG(st.st_mode);
            } else if (!is_dir) {
                is_reg = 0;
            }
            if (is_dir) {
                /* Enter only when "key/" and the prefix agree on their common length. */
                size_t cmp = klen < w->plen ? klen : w->plen;
                if (!strncmp(key, w->prefix, cmp) && (klen >= w->plen || w->prefix[klen] == '/')) {
                    char *path = xasprintf("%s/%s", dir, de->d_name);
                    int sub =
                        openat(fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                    if (sub >= 0)
                        rc = walk_dir(w, sub, path, key, depth + 1, err);
                    else if (errno != ENOENT && errno != ELOOP && errno != ENOTDIR)
                        rc = df_error_errno(err, "cannot list folder '%s'", path);
                    free(path);
                }
            } else if (is_reg && !strncmp(key, w->prefix, w->plen)) {
                walk_add(w, key, (uint64_t)st.st_size);
            }
            free(key);
        }
        if (rc != 0)
            break;
    }
    close(fd);
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
    int rc = 0, fd;

    /* Start at the deepest folder the prefix names whole ("a/b/c" -> "a/b"). */
    rel = slash ? xstrndup(prefix, (size_t)(slash - prefix)) : xstrdup("");
    if (rel[0] && check_key(rel, NULL) != 0) {
        free(rel);
        return 0; /* a prefix no valid key can start with */
    }
    dir = rel[0] ? xasprintf("%s/%s", root_of(s), rel) : xstrdup(root_of(s));
    if (rel[0]) {
        /* Open rel itself (not a symlink, nor through one) as "rel/x"'s parent. */
        char *probe = xasprintf("%s/x", rel);
        const char *base;
        struct df_error e = DF_ERROR_INIT;
        fd = open_parent(s, probe, 0, &base, &e);
        free(probe);
        if (fd < 0 && e.code != DF_ENOTFOUND) {
            if (err)
                *err = e;
            rc = -1;
        }
    } else {
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 && errno != ENOENT && errno != ENOTDIR)
            rc = df_error_errno(err, "cannot list folder '%s'", dir);
    }
    if (fd >= 0)
        rc = walk_dir(&w, fd, dir, rel, 0, err);
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
    const char *base;
    struct df_error e = DF_ERROR_INIT;
    int dfd;

    if (check_key(key, err) != 0)
        return -1;
    /* Unlink relative to the folder reached without following symlinks; a symlink itself
     * is removed as a link, never what it points at. */
    dfd = open_parent(s, key, 0, &base, &e);
    if (dfd < 0) {
        if (e.code == DF_ENOTFOUND)
            return 0;
        if (err)
            *err = e;
        return -1;
    }
    path = key_path(s, key);
    if (unlinkat(dfd, base, 0) != 0 && errno != ENOENT) {
        df_error_errno(err, "cannot remove '%s'", path);
        close(dfd);
        free(path);
        return -1;
    }
    close(dfd);
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
    /* A key reached through a symlink has no local path: the caller then goes through
     * get_file/put_file, which refuse it with a message. */
    if (check_key(key, NULL) != 0 || check_no_symlink(s, key, NULL) != 0)
        return NULL;
    return key_path(s, key);
}

static void local_free(struct df_store *s)
{
    struct local *l = s->impl;
    if (l->root_fd > 0)
        close(l->root_fd - 1);
    free(l->root);
    free(l);
    free(s->uri);
    free(s);
}

static const struct df_store_ops local_ops = {
    "file",     local_put_file, local_put_bytes,  local_get_file, local_get_bytes,
    local_list, local_remove,   local_local_path, local_free,     local_put_bytes_new,
    NULL,       NULL,
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
