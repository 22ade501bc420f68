/*
 * jsonarr.c - jansson arrays handled in place (see jsonarr.h).
 */
#include "util/jsonarr.h"

#include <stdlib.h>

#include "util/strbuf.h"
#include "util/banned.h"

void df_json_array_sort(json_t *arr, int (*cmp)(const void *, const void *))
{
    size_t i, n = json_array_size(arr);
    json_t **v;

    if (n < 2)
        return;
    v = xcalloc(n, sizeof(*v));
    for (i = 0; i < n; i++)
        v[i] = json_incref(json_array_get(arr, i));
    qsort(v, n, sizeof(*v), cmp);
    json_array_clear(arr);
    for (i = 0; i < n; i++)
        json_array_append_new(arr, v[i]);
    free(v);
}
