/*
 * scratch.c - a task's scratch size: the spill budget and staged inputs share it (see
 * scratch.h).
 */
#define _XOPEN_SOURCE 700
#include "engine/scratch.h"

#include <ftw.h>
#include <inttypes.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "util/banned.h"

static uint64_t used_bytes;

static int add_file(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)path;
    (void)ftw;
    if (flag == FTW_F)
        used_bytes += (uint64_t)st->st_blocks * 512;
    return 0;
}

uint64_t df_scratch_size(uint64_t step_scratch)
{
    const char *env = getenv("DUCKFLOW_SCRATCH_SIZE");
    uint64_t size = step_scratch;
    char *end;

    if (env && *env) {
        unsigned long long v = strtoull(env, &end, 10);
        if (!*end && v > 0 && (size == 0 || v < size))
            size = v;
    }
    return size;
}

int df_scratch_stage(uint64_t size, uint64_t *staged, uint64_t bytes, const char *what,
                     struct df_error *err)
{
    if (size == 0) {
        *staged += bytes;
        return 0;
    }
    if (*staged > size || bytes > size - *staged)
        return df_error_set(err, DF_EFAIL,
                            "staging %s needs %" PRIu64 " bytes of scratch, but %" PRIu64
                            " of its %" PRIu64 " are left (raise the step's `scratch`, or read "
                            "fewer files per task)",
                            what, bytes, *staged > size ? 0 : size - *staged, size);
    *staged += bytes;
    return 0;
}

int64_t df_scratch_cap(int64_t free_bytes, uint64_t step_scratch, const char *dir)
{
    uint64_t size = df_scratch_size(step_scratch);

    if (size == 0)
        return free_bytes;
    used_bytes = 0;
    if (dir)
        nftw(dir, add_file, 16, FTW_PHYS);
    size = used_bytes >= size ? 0 : size - used_bytes;
    if (free_bytes < 0 || (uint64_t)free_bytes > size)
        free_bytes = (int64_t)size;
    return free_bytes;
}
