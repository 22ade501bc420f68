/*
 * s3.c - the S3/GCS store backend (placeholder until the object store lands).
 */
#include "store/store.h"

int df_store_s3_open(const char *uri, struct df_store **out, struct df_error *err)
{
    (void)out;
    return df_error_set(err, DF_EUSAGE, "store '%s': S3 support not built yet", uri);
}
