/*
 * fuzz_spec.c - libFuzzer target for the pipeline loader: every input is written as a
 * pipeline file (next to a small SQL file it may name) and loaded with and without a
 * --param override. Loading must either succeed or fail with one DF_EUSAGE line naming
 * the file; it must never crash, leak or hang. Build with -DDUCKFLOW_FUZZ=ON (clang).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spec/spec.h"
#include "util/fs.h"
#include "util/strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *dir, *path;

static void prepare(void)
{
    struct df_error err = DF_ERROR_INIT;
    char *sql;

    if (dir)
        return;
    dir = fs_mkdtemp(NULL, "fuzz-spec", &err);
    if (!dir)
        abort();
    path = fs_join(dir, "pipeline.yaml");
    sql = fs_join(dir, "a.sql");
    if (fs_write_atomic(sql, "SELECT 1", 8, &err) < 0)
        abort();
    free(sql);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct df_error err = DF_ERROR_INIT;
    struct df_pipeline *p = NULL;
    struct df_param_override o = {"n", "3"};
    FILE *f;

    prepare();
    /*
     * A plain write: fs_write_atomic's fsync would make each run cost a disk flush. The
     * old file is unlinked first: ext4 (auto_da_alloc) flushes a file that is truncated
     * and rewritten when it is closed, which cost 3.5 ms a run and left the fuzzer idle.
     */
    unlink(path);
    f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        abort();
    for (int round = 0; round < 2; round++) {
        df_error_clear(&err);
        if (df_pipeline_load(path, &o, (size_t)round, &p, &err) == 0) {
            if (!p->name || p->n_steps == 0 || strlen(p->spec_hash) != 64)
                abort();
            df_pipeline_free(p);
            p = NULL;
        } else if (err.code != DF_EUSAGE || strchr(err.msg, '\n') || !err.msg[0]) {
            abort();
        }
    }
    return 0;
}
