/*
 * test_spec_replay.c - replays the fuzz corpus tests/fuzz/corpus/spec/ through the fuzz
 * target's entry point (tests/fuzz/fuzz_spec.c, compiled in here) in the normal build, so
 * every CI build, ASan/UBSan included, loads the seeds, every byte-prefix of them (the
 * half-written files an editor leaves), and any crash input added later.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../fuzz/fuzz_spec.c"

static char *corpus_dir(void)
{
    const char *top = getenv("DUCKFLOW_TOP");
    char *here, *slash, *d;

    if (top)
        return xasprintf("%s/tests/fuzz/corpus/spec", top);
    /* __FILE__ is tests/unit/test_spec_replay.c in the source tree. */
    here = xstrdup(__FILE__);
    slash = strrchr(here, '/');
    if (slash)
        *slash = '\0';
    d = xasprintf("%s/../fuzz/corpus/spec", slash ? here : ".");
    free(here);
    return d;
}

static char *read_seed(const char *dir, const char *name, size_t *len)
{
    struct df_error err = DF_ERROR_INIT;
    char *path = xasprintf("%s/%s", dir, name), *data = NULL;

    if (fs_read_file(path, 1 << 20, &data, len, &err) < 0)
        fail_msg("%s", err.msg);
    free(path);
    return data;
}

static void replay(int prefixes)
{
    char *dir = corpus_dir();
    DIR *d = opendir(dir);
    struct dirent *e;
    int files = 0;

    if (!d)
        fail_msg("cannot open corpus folder '%s'", dir);
    while ((e = readdir(d)) != NULL) {
        size_t len = 0;
        char *data;
        if (e->d_name[0] == '.')
            continue;
        data = read_seed(dir, e->d_name, &len);
        if (prefixes) {
            /* Every prefix of the head, where the top-level structure is; then a sample. */
            for (size_t k = 0; k < len; k += k < 256 ? 1 : 13)
                LLVMFuzzerTestOneInput((const uint8_t *)data, k);
        } else {
            LLVMFuzzerTestOneInput((const uint8_t *)data, len);
        }
        free(data);
        files++;
    }
    closedir(d);
    free(dir);
    print_message("# replayed %d corpus files\n", files);
    assert_true(files >= 5);
}

static void replay_corpus(void **state)
{
    (void)state;
    replay(0);
}

static void replay_prefixes(void **state)
{
    (void)state;
    replay(1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(replay_corpus),
        cmocka_unit_test(replay_prefixes),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    if (dir) {
        struct df_error err = DF_ERROR_INIT;
        fs_remove_tree(dir, &err);
    }
    free(dir);
    free(path);
    return rc;
}
