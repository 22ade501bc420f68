/*
 * suggest.c - closest known name to a mistyped one (see suggest.h).
 */
#include "util/suggest.h"

#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"
#include "util/banned.h"

static size_t min3(size_t a, size_t b, size_t c)
{
    size_t m = a < b ? a : b;
    return m < c ? m : c;
}

size_t df_edit_distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b), i, j, d;
    /* Three rows of the optimal-string-alignment table. */
    size_t *prev2 = xcalloc(m + 1, sizeof(size_t)), *prev = xcalloc(m + 1, sizeof(size_t));
    size_t *cur = xcalloc(m + 1, sizeof(size_t)), *t;

    for (j = 0; j <= m; j++)
        prev[j] = j;
    for (i = 1; i <= n; i++) {
        cur[0] = i;
        for (j = 1; j <= m; j++) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            cur[j] = min3(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                prev2[j - 2] + 1 < cur[j])
                cur[j] = prev2[j - 2] + 1;
        }
        t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    d = prev[m];
    free(prev2);
    free(prev);
    free(cur);
    return d;
}

const char *df_suggest(const char *word, const char *const *candidates, size_t n)
{
    const char *best = NULL, *prefix = NULL;
    size_t best_d = (size_t)-1, wl = strlen(word), limit = wl <= 4 ? 1 : 2;
    int prefixes = 0;

    if (!*word)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const char *c = candidates[i];
        size_t d;
        if (!c)
            continue;
        if (!strcmp(c, word))
            return NULL;
        if (!strncmp(c, word, wl)) {
            prefix = c;
            prefixes++;
        }
        d = df_edit_distance(word, c);
        if (d < best_d) {
            best_d = d;
            best = c;
        }
    }
    if (best && best_d <= limit)
        return best;
    return prefixes == 1 ? prefix : NULL;
}
