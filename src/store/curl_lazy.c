/*
 * curl_lazy.c - loading libcurl on first use (see curl_lazy.h).
 */
#define CURL_DISABLE_TYPECHECK
#include "store/curl_lazy.h"

#include "util/dynlib.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct df_curl_api api;
static int loaded; /* 1 after a successful load */
static char load_error[512];
static pthread_once_t once = PTHREAD_ONCE_INIT;

#define SYM(field, symbol) DF_DYNSYM(struct df_curl_api, field, symbol)
static const struct df_dynsym syms[] = {
    SYM(global_init, "curl_global_init"),
    SYM(easy_init, "curl_easy_init"),
    SYM(easy_setopt, "curl_easy_setopt"),
    SYM(easy_getinfo, "curl_easy_getinfo"),
    SYM(easy_perform, "curl_easy_perform"),
    SYM(easy_reset, "curl_easy_reset"),
    SYM(easy_cleanup, "curl_easy_cleanup"),
    SYM(easy_strerror, "curl_easy_strerror"),
    SYM(easy_escape, "curl_easy_escape"),
    SYM(free, "curl_free"),
    SYM(getdate, "curl_getdate"),
    SYM(slist_append, "curl_slist_append"),
    SYM(slist_free_all, "curl_slist_free_all"),
};

static void load(void)
{
    /* The soname of libcurl 7 and 8; the unversioned name exists only with -dev packages.
     * DUCKFLOW_CURL_LIBRARY (a path) replaces it: the tests load a fault-injecting shim
     * (tests/support/curlshim.c) this way. */
    const char *name = getenv("DUCKFLOW_CURL_LIBRARY");
    if (!name || !*name)
        name = "libcurl.so.4";
    if (df_dynlib_load(name, "libcurl", "install libcurl4", syms, sizeof(syms) / sizeof(*syms),
                       &api, load_error, sizeof(load_error)) == 0)
        loaded = 1; /* handles outlive any caller: the library stays loaded */
}

int df_curl_load(struct df_error *err)
{
    pthread_once(&once, load);
    if (!loaded)
        return df_error_set(err, DF_EIO, "%s", load_error);
    return 0;
}

const struct df_curl_api *df_curl(void)
{
    pthread_once(&once, load);
    if (!loaded) {
        fprintf(stderr, "duckflow: %s\n", load_error);
        abort();
    }
    return &api;
}

const char *df_curl_ca_bundle(const char **var)
{
    static const char *const names[] = {"AWS_CA_BUNDLE", "SSL_CERT_FILE"};
    for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
        const char *v = getenv(names[i]);
        if (v && *v) {
            if (var)
                *var = names[i];
            return v;
        }
    }
    return NULL;
}

int df_curl_check_ca_bundle(struct df_error *err)
{
    const char *var = NULL, *path = df_curl_ca_bundle(&var);
    if (!path)
        return 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return df_error_set(err, DF_EUSAGE, "%s '%s': cannot read the CA bundle: %s", var, path,
                            strerror(errno));
    fclose(f);
    return 0;
}
