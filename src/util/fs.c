/*
 * fs.c - file-system helpers (see fs.h).
 */
#include "util/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "util/strbuf.h"

int fs_mkdirs(const char *path, struct df_error *err)
{
    char *p = xstrdup(path);
    int rc = 0;

    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            rc = df_error_errno(err, "cannot create folder '%s'", p);
            goto out;
        }
        *s = '/';
    }
    if (mkdir(p, 0777) != 0 && errno != EEXIST)
        rc = df_error_errno(err, "cannot create folder '%s'", p);
out:
    free(p);
    return rc;
}

int fs_read_file(const char *path, size_t max, char **data, size_t *len, struct df_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

    if (fd < 0) {
        if (errno == ENOENT) {
            df_error_set(err, DF_ENOTFOUND, "'%s' does not exist", path);
            return -1;
        }
        return df_error_errno(err, "cannot open '%s'", path);
    }
    rc = fs_read_fd(fd, path, max, data, len, err);
    close(fd);
    return rc;
}

int fs_read_fd(int fd, const char *path, size_t max, char **data, size_t *len, struct df_error *err)
{
    struct strbuf sb = STRBUF_INIT;
    char chunk[65536];
    ssize_t n;

    while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            df_error_errno(err, "cannot read '%s'", path);
            goto fail;
        }
        if (sb.len + (size_t)n > max) {
            df_error_set(err, DF_EIO, "'%s' is larger than %zu bytes", path, max);
            goto fail;
        }
        sb_add(&sb, chunk, (size_t)n);
    }
    if (len)
        *len = sb.len;
    *data = sb_detach(&sb);
    return 0;
fail:
    sb_release(&sb);
    return -1;
}

int fs_fsync_dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? (slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path)))
                      : xstrdup(".");
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = -1, saved;

    free(dir);
    if (fd < 0)
        return -1;
    /* Some file systems cannot sync a folder (EINVAL): nothing more can be done there. */
    rc = fsync(fd) == 0 || errno == EINVAL ? 0 : -1;
    saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

int fs_write_all(int fd, const void *data, size_t len)
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

int fs_write_atomic(const char *path, const void *data, size_t len, struct df_error *err)
{
    char *tmp = xasprintf("%s.tmp-%ld-XXXXXX", path, (long)getpid());
    int fd = mkostemp(tmp, O_CLOEXEC);
    int rc = -1;

    if (fd < 0) {
        df_error_errno(err, "cannot create '%s'", tmp);
        goto out;
    }
    if (fs_write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        df_error_errno(err, "cannot write '%s'", tmp);
        close(fd);
        unlink(tmp);
        goto out;
    }
    fchmod(fd, 0644);
    close(fd);
    if (rename(tmp, path) != 0) {
        df_error_errno(err, "cannot rename '%s' to '%s'", tmp, path);
        unlink(tmp);
        goto out;
    }
    if (fs_fsync_dir_of(path) != 0) {
        df_error_errno(err, "cannot sync the folder of '%s'", path);
        goto out;
    }
    rc = 0;
out:
    free(tmp);
    return rc;
}

int fs_remove_tree(const char *path, struct df_error *err)
{
    struct stat st;
    DIR *d;
    struct dirent *de;
    int rc = 0;

    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : df_error_errno(err, "cannot stat '%s'", path);
    if (!S_ISDIR(st.st_mode)) {
        if (unlink(path) != 0 && errno != ENOENT)
            return df_error_errno(err, "cannot remove '%s'", path);
        return 0;
    }
    d = opendir(path);
    if (!d)
        return df_error_errno(err, "cannot open folder '%s'", path);
    while ((de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char *child = fs_join(path, de->d_name);
        rc = fs_remove_tree(child, err);
        free(child);
        if (rc)
            break;
    }
    closedir(d);
    if (rc == 0 && rmdir(path) != 0 && errno != ENOENT)
        rc = df_error_errno(err, "cannot remove folder '%s'", path);
    return rc;
}

int fs_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int64_t fs_file_size(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return -1;
    return (int64_t)st.st_size;
}

char *fs_join(const char *a, const char *b)
{
    size_t la = strlen(a);
    while (la > 1 && a[la - 1] == '/')
        la--;
    while (*b == '/')
        b++;
    if (la == 0)
        return xstrdup(b);
    return xasprintf("%.*s/%s", (int)la, a, b);
}

char *fs_mkdtemp(const char *base, const char *prefix, struct df_error *err)
{
    const char *dir = base;
    if (!dir || !*dir)
        dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    if (fs_mkdirs(dir, err) != 0)
        return NULL;
    char *tmpl = xasprintf("%s/%s-XXXXXX", dir, prefix);
    if (!mkdtemp(tmpl)) {
        df_error_errno(err, "cannot create a folder in '%s'", dir);
        free(tmpl);
        return NULL;
    }
    return tmpl;
}

char *fs_absolute(const char *path)
{
    char cwd[PATH_MAX];
    if (path[0] == '/')
        return xstrdup(path);
    if (!getcwd(cwd, sizeof(cwd)))
        return xstrdup(path);
    if (!strcmp(path, "."))
        return xstrdup(cwd);
    if (!strncmp(path, "./", 2))
        path += 2;
    return fs_join(cwd, path);
}

int64_t fs_free_bytes(const char *path)
{
    struct statvfs sv;
    if (statvfs(path, &sv) != 0)
        return -1;
    return (int64_t)sv.f_bavail * (int64_t)sv.f_frsize;
}

int fs_walk_nofollow(int dfd, const char *rel, int create, unsigned mode, const char **base,
                     size_t *fail_len, int *mkdir_failed)
{
    const char *p = rel;

    *mkdir_failed = 0;
    for (const char *e; (e = strchr(p, '/')) != NULL; p = e + 1) {
        char *part = xstrndup(p, (size_t)(e - p));
        int fd = openat(dfd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT && create) {
            if (mkdirat(dfd, part, (mode_t)mode) != 0 && errno != EEXIST)
                *mkdir_failed = 1;
            else
                fd = openat(dfd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        if (fd < 0) {
            int saved = errno;
            free(part);
            close(dfd);
            *fail_len = (size_t)(e - rel);
            errno = saved;
            return -1;
        }
        free(part);
        close(dfd);
        dfd = fd;
    }
    *base = p;
    return dfd;
}
