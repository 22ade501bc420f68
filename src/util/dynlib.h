/*
 * dynlib.h - loading a shared library on first use: one dlopen, then a table of symbols
 * copied into a struct of function pointers. libcurl (store/curl_lazy.c) and libcrypto
 * (util/crypto_lazy.c) are loaded this way, so a task that needs neither does not pay
 * for loading them at start-up.
 */
#ifndef DF_UTIL_DYNLIB_H
#define DF_UTIL_DYNLIB_H

#include <stddef.h>

/* One symbol: its name in the library and where its pointer goes in the API struct. */
struct df_dynsym {
    const char *name;
    size_t offset;
};

#define DF_DYNSYM(type, field, symbol)                                                             \
    {                                                                                              \
        symbol, offsetof(type, field)                                                              \
    }

/*
 * Opens LIB (a soname or a path; RTLD_NOW | RTLD_LOCAL, kept open for the life of the
 * process) and stores each of the N symbols of SYMS at API + its offset. Returns 0, or -1
 * with WHY set to one line: "cannot load LIB (HINT): <dlerror>" or "LABEL lacks 'NAME'".
 */
int df_dynlib_load(const char *lib, const char *label, const char *hint,
                   const struct df_dynsym *syms, size_t n, void *api, char *why, size_t whylen);

#endif
