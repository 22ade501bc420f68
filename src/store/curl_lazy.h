/*
 * curl_lazy.h - libcurl loaded with dlopen the first time an object store is used.
 *
 * Most tasks run against a local store and never speak HTTP, yet linking libcurl made
 * every `duckflow` process load it and ~30 libraries it depends on (TLS, GSSAPI, LDAP,
 * HTTP/2, ...): about 9 ms of CPU per process, the largest part of a trivial task's
 * overhead. The files that call curl include this header after <curl/curl.h> (with
 * CURL_DISABLE_TYPECHECK defined first, since the calls go through pointers); the names
 * below then call through a table filled by dlopen("libcurl.so.4") once.
 *
 * df_curl_load() must have succeeded before any curl call (df_store_s3_open checks it);
 * calling curl without it aborts, as a programming error.
 *
 * Test hook: $DUCKFLOW_CURL_LIBRARY, when set, is the path dlopen() loads instead of
 * libcurl.so.4 (DEVELOPERS.md: the tests' fault-injecting shim). Nothing else here knows
 * about tests.
 */
#ifndef DF_CURL_LAZY_H
#define DF_CURL_LAZY_H

#ifndef CURL_DISABLE_TYPECHECK
#define CURL_DISABLE_TYPECHECK
#endif
#include <curl/curl.h>

#include "util/error.h"

struct df_curl_api {
    CURLcode (*global_init)(long flags);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *h, CURLoption opt, ...);
    CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
    CURLcode (*easy_perform)(CURL *h);
    void (*easy_reset)(CURL *h);
    void (*easy_cleanup)(CURL *h);
    const char *(*easy_strerror)(CURLcode code);
    char *(*easy_escape)(CURL *h, const char *s, int len);
    void (*free)(void *p);
    time_t (*getdate)(const char *s, const time_t *unused);
    struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
    void (*slist_free_all)(struct curl_slist *list);
};

/* Loads libcurl (once; thread-safe). 0, or -1 with DF_EIO naming what is missing. */
int df_curl_load(struct df_error *err);

/* The loaded table; aborts when df_curl_load() has not succeeded. */
const struct df_curl_api *df_curl(void);

/* The CA bundle every HTTPS connection verifies its server against: $AWS_CA_BUNDLE, else
 * $SSL_CERT_FILE (a PEM file), else NULL (libcurl's built-in default, the system's bundle).
 * *var, when var is not NULL, names the variable it came from. */
const char *df_curl_ca_bundle(const char **var);

/* 0 when no CA bundle is set or the one set is readable; else -1 with DF_EUSAGE naming the
 * variable and the file (a typo fails at once, not as a TLS error on every request). */
int df_curl_check_ca_bundle(struct df_error *err);

/* curl.h wraps some of these names in macros of its own. */
#undef curl_easy_setopt
#undef curl_easy_getinfo

#define curl_global_init    (df_curl()->global_init)
#define curl_easy_init      (df_curl()->easy_init)
#define curl_easy_setopt    (df_curl()->easy_setopt)
#define curl_easy_getinfo   (df_curl()->easy_getinfo)
#define curl_easy_perform   (df_curl()->easy_perform)
#define curl_easy_reset     (df_curl()->easy_reset)
#define curl_easy_cleanup   (df_curl()->easy_cleanup)
#define curl_easy_strerror  (df_curl()->easy_strerror)
#define curl_easy_escape    (df_curl()->easy_escape)
#define curl_free           (df_curl()->free)
#define curl_getdate        (df_curl()->getdate)
#define curl_slist_append   (df_curl()->slist_append)
#define curl_slist_free_all (df_curl()->slist_free_all)

#endif
