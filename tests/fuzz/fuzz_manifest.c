/*
 * fuzz_manifest.c - libFuzzer target for what a manifest reader does with a manifest's
 * text before trusting it: parse it as JSON, check every key and path it names
 * (store/keycheck.h), build the store keys of each table's files and check a file record
 * against a local file (store/verify.h). Each step must succeed or fail cleanly; nothing
 * may crash, leak or hang. Build with -DDUCKFLOW_FUZZ=ON (clang).
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "store/keycheck.h"
#include "store/manifest.h"
#include "store/verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct df_error err = DF_ERROR_INIT;
    json_error_t je;
    json_t *m = json_loadb((const char *)data, size, 0, &je), *keys, *t;
    const char *name;

    if (!json_is_object(m)) {
        json_decref(m);
        return 0;
    }
    if (df_manifest_check_paths(m, "fuzz/_manifest.json", &err) == 0) {
        keys = json_array();
        json_object_foreach(json_object_get(m, "tables"), name, t)
        {
            size_t i;
            json_t *f;
            df_manifest_table_keys(m, name, keys);
            json_array_foreach(json_object_get(t, "files"), i, f)
            {
                struct df_error e = DF_ERROR_INIT;
                df_file_check_local("/dev/null", f, "fuzz/key", &e);
            }
        }
        /* Every key built from a checked manifest must pass the check itself. */
        {
            size_t i;
            json_t *k;
            json_array_foreach(keys, i, k)
            {
                struct df_error e = DF_ERROR_INIT;
                if (df_key_check(json_string_value(k), "key", &e) != 0)
                    abort();
            }
        }
        json_decref(keys);
    }
    json_decref(m);
    return 0;
}
