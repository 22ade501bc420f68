/*
 * reserve.c - the space reserve for a run's last record on a local store (see reserve.h):
 * made when a run starts or resumes, freed when it ends, or to write its last run.json
 * when the disk is full.
 */
#include "exec/reserve.h"

#include <stdint.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/layout.h"
#include "util/fs.h"
#include "util/banned.h"

#define RESERVE_NAME ".df-tmp.reserve"

/* The run's folder, opened without following symlinks; -1 on an object store or when it
 * is missing. */
static int open_run_dir(struct df_store *s, const char *pipeline, const char *run)
{
    char *key = df_key_run(pipeline, run), *path = df_store_local_path(s, key);
    int fd = -1;

    if (path)
        fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    free(path);
    free(key);
    return fd;
}

void df_reserve_take(struct df_store *s, const char *pipeline, const char *run)
{
    static const char zeros[64 * 1024];
    int dfd = open_run_dir(s, pipeline, run), fd;
    struct stat st;
    size_t want = DF_RESERVE_MIN, done = 0;

    if (dfd < 0)
        return;
    if (fstatat(dfd, "run.json", &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_size > 0) {
        uint64_t four = (uint64_t)st.st_size * 4;
        if (four > DF_RESERVE_MAX)
            want = DF_RESERVE_MAX;
        else if (four > want)
            want = (size_t)four;
    }
    fd = openat(dfd, RESERVE_NAME, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    for (; fd >= 0 && done < want; done += sizeof(zeros)) {
        size_t n = want - done < sizeof(zeros) ? want - done : sizeof(zeros);
        if (fs_write_all(fd, zeros, n) != 0)
            break; /* a full disk: keep what fit */
    }
    if (fd >= 0)
        close(fd);
    close(dfd);
}

int df_reserve_release(struct df_store *s, const char *pipeline, const char *run)
{
    int dfd = open_run_dir(s, pipeline, run), had;

    if (dfd < 0)
        return 0;
    had = unlinkat(dfd, RESERVE_NAME, 0) == 0;
    close(dfd);
    return had;
}
