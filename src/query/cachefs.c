/*
 * cachefs.c - the query cache's folders walked without following symlinks (see
 * cachefs.h). The cache is a plain folder tree under $DUCKFLOW_CACHE; a symlink found
 * below its root (planted, or left by something else) is never followed: a folder part
 * that is one is refused, a file that is one counts as absent (the download's rename
 * replaces the link itself, not what it points at).
 */
#include "query/cachefs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fs.h"
#include "util/strbuf.h"
#include "util/banned.h"

/* The folder holding rel's last part, opened part by part below root with O_NOFOLLOW
 * (created when create), or -1 with err set. */
static int open_parent(const char *root, const char *rel, int create, struct df_error *err)
{
    int dfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC), mkdir_failed;
    const char *base;
    size_t fail;

    if (dfd < 0 && create && errno == ENOENT) {
        if (fs_mkdirs(root, err) != 0)
            return -1;
        dfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
    if (dfd < 0)
        return df_error_errno(err, "cannot open the query cache folder '%s'", root);
    dfd = fs_walk_nofollow(dfd, rel, create, 0777, &base, &fail, &mkdir_failed);
    if (dfd >= 0)
        return dfd;
    if (mkdir_failed)
        df_error_errno(err, "cannot create folder '%s/%.*s'", root, (int)fail, rel);
    else if (errno == ELOOP || errno == ENOTDIR)
        df_error_set(err, DF_EIO,
                     "'%s/%.*s' in the query cache is not a folder (a symlink or a file); "
                     "refused",
                     root, (int)fail, rel);
    else
        df_error_errno(err, "cannot open '%s/%.*s'", root, (int)fail, rel);
    return -1;
}

int df_cachefs_mkdirs(const char *root, const char *rel, struct df_error *err)
{
    int dfd = open_parent(root, rel, 1, err);
    if (dfd < 0)
        return -1;
    close(dfd);
    return 0;
}

int df_cachefs_plain_file(const char *root, const char *rel)
{
    struct df_error ignored = DF_ERROR_INIT;
    const char *name = strrchr(rel, '/');
    struct stat st;
    int dfd = open_parent(root, rel, 0, &ignored), ok;

    if (dfd < 0)
        return 0;
    ok = fstatat(dfd, name ? name + 1 : rel, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
    close(dfd);
    return ok;
}
