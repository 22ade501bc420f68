/*
 * uri.c - telling paths, file:// and object-store URIs apart and splitting the latter
 * (see uri.h).
 */
#include "util/uri.h"

#include <string.h>

#include "util/strbuf.h"
#include "util/banned.h"

enum df_uri_kind df_uri_kind(const char *uri)
{
    if (!strstr(uri, "://"))
        return DF_URI_PATH;
    if (!strncmp(uri, "file://", 7))
        return DF_URI_FILE;
    if (df_uri_is_object(uri))
        return DF_URI_OBJECT;
    return DF_URI_OTHER;
}

int df_uri_is_object(const char *uri)
{
    return !strncmp(uri, "s3://", 5) || !strncmp(uri, "gs://", 5);
}

const char *df_uri_local_path(const char *uri)
{
    return !strncmp(uri, "file://", 7) ? uri + 7 : uri;
}

int df_uri_split_object(const char *uri, char **store_uri, char **key)
{
    const char *p = strstr(uri, "://"), *slash;
    if (!p)
        return -1;
    slash = strchr(p + 3, '/');
    if (!slash || slash == p + 3)
        return -1;
    *store_uri = xstrndup(uri, (size_t)(slash - uri));
    *key = xstrdup(slash + 1);
    return 0;
}
