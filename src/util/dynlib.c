/*
 * dynlib.c - loading a shared library and a table of its symbols (see dynlib.h).
 */
#include "util/dynlib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

int df_dynlib_load(const char *lib, const char *label, const char *hint,
                   const struct df_dynsym *syms, size_t n, void *api, char *why, size_t whylen)
{
    void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        snprintf(why, whylen, "cannot load %s (%s): %s", lib, hint, e ? e : "unknown error");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        void *sym = dlsym(h, syms[i].name);
        if (!sym) {
            snprintf(why, whylen, "%s lacks '%s'", label, syms[i].name);
            return -1;
        }
        /* dlsym returns void *; copying it into a function pointer is what POSIX allows. */
        memcpy((char *)api + syms[i].offset, &sym, sizeof(sym));
    }
    return 0;
}
