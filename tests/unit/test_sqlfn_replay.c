/*
 * test_sqlfn_replay.c - replays the fuzz corpus tests/fuzz/corpus/sqlfn/ through the fuzz
 * target's entry point (tests/fuzz/fuzz_sqlfn.c, compiled in here) in the normal build, so
 * every CI build, the ASan/UBSan one included, runs the seeds and any crash found later.
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

#include "../fuzz/fuzz_sqlfn.c"

static char corpus_dir[4096];

static void find_corpus(void)
{
    const char *top = getenv("DUCKFLOW_TOP");
    if (top) {
        snprintf(corpus_dir, sizeof(corpus_dir), "%s/tests/fuzz/corpus/sqlfn", top);
        return;
    }
    /* __FILE__ is tests/unit/test_sqlfn_replay.c under the source tree */
    snprintf(corpus_dir, sizeof(corpus_dir), "%s", __FILE__);
    char *slash = strrchr(corpus_dir, '/');
    if (slash)
        *slash = 0;
    size_t n = strlen(corpus_dir);
    snprintf(corpus_dir + n, sizeof(corpus_dir) - n, "/../fuzz/corpus/sqlfn");
}

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        return -1;
    }
    for (;;) {
        if (n == cap) {
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb)
                break;
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        if (got == 0)
            break;
        n += got;
    }
    fclose(f);
    LLVMFuzzerTestOneInput(buf, n);
    free(buf);
    return 0;
}

static void test_replay_corpus(void **state)
{
    (void)state;
    find_corpus();
    DIR *dir = opendir(corpus_dir);
    if (!dir)
        fail_msg("cannot open corpus folder '%s'", corpus_dir);
    int files = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[8192];
        snprintf(path, sizeof(path), "%s/%s", corpus_dir, e->d_name);
        assert_int_equal(replay_file(path), 0);
        files++;
    }
    closedir(dir);
    print_message("# replayed %d corpus files\n", files);
    assert_true(files >= 10);
}

/* Each byte-prefix of every seed: the truncated texts a log really contains. */
static void test_replay_prefixes(void **state)
{
    (void)state;
    find_corpus();
    DIR *dir = opendir(corpus_dir);
    assert_non_null(dir);
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[8192];
        snprintf(path, sizeof(path), "%s/%s", corpus_dir, e->d_name);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        uint8_t buf[4096];
        size_t n = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        for (size_t k = 0; k <= n; k++)
            LLVMFuzzerTestOneInput(buf, k);
    }
    closedir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_corpus),
        cmocka_unit_test(test_replay_prefixes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
