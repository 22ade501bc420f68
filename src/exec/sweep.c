/*
 * sweep.c - aborting stale multipart uploads once per run (see sweep.h).
 */
#include "exec/sweep.h"

#include <string.h>

#include "store/s3.h"
#include "util/strbuf.h"
#include "util/banned.h"

int df_store_error_not_implemented(const struct df_error *err)
{
    return err && err->code && (strstr(err->msg, "HTTP 501") || strstr(err->msg, "NotImplemented"));
}

char *df_sweep_uploads(struct df_store *s, const char *prefix)
{
    struct df_error err = DF_ERROR_INIT;
    size_t aborted = 0;

    if (df_store_abort_uploads(s, prefix, &aborted, &err) != 0) {
        if (df_store_error_not_implemented(&err))
            return xasprintf("duckflow: warning: the store does not implement listing "
                             "incomplete uploads (%s); uploads that killed attempts left "
                             "under '%s' are not aborted",
                             err.msg, prefix);
        return xasprintf("duckflow: warning: cannot abort stale uploads under '%s': %s", prefix,
                         err.msg);
    }
    if (aborted)
        return xasprintf("duckflow: aborted %zu incomplete upload%s that killed attempts left "
                         "under '%s'",
                         aborted, aborted == 1 ? "" : "s", prefix);
    return NULL;
}
