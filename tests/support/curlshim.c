/*
 * curlshim.c - a fault-injecting stand-in for libcurl, for the tests only (built with the
 * unit tests as build/tests/libcurlshim.so; never installed). duckflow loads it instead of
 * libcurl.so.4 when DUCKFLOW_CURL_LIBRARY names it (src/store/curl_lazy.c, the one test
 * hook, see DEVELOPERS.md). Every call is forwarded to the real libcurl.so.4, except the
 * faults asked for in the environment:
 *   CURLSHIM_FAIL_SETOPT=N      the Nth curl_easy_setopt of the process (1 = the first)
 *                               returns CURLE_BAD_FUNCTION_ARGUMENT without setting it;
 *   CURLSHIM_FAIL_OPT=OPTION    every curl_easy_setopt of that option (its number, e.g.
 *                               10015 for CURLOPT_POSTFIELDS) fails the same way;
 *   CURLSHIM_FAIL_SLIST=N       the Nth curl_slist_append returns NULL (out of memory);
 *   CURLSHIM_FAIL_READ=TEXT     the first time an upload's read callback runs while a file
 *                               whose path contains TEXT is open, a directory is put in
 *                               place of that file's descriptor (dup2), so the callback's
 *                               pread fails with EISDIR; after curl_easy_perform returns,
 *                               errno is set to ENOTTY, as curl's own calls may leave it,
 *                               so a message built from errno then would be a stale one.
 * Counters are per process. Each fault is reported once on stderr ("curlshim: ...").
 */
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#undef curl_easy_setopt
#undef curl_easy_getinfo

static void *real;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long setopt_calls, slist_calls;
static int read_fired;

static void load(void)
{
    real = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!real) {
        fprintf(stderr, "curlshim: cannot load libcurl.so.4: %s\n", dlerror());
        abort();
    }
}

/* The real function `name`, as a pointer of the type of `var`. */
#define REAL(var, name)                                                                            \
    do {                                                                                           \
        pthread_once(&once, load);                                                                 \
        void *sym_ = dlsym(real, name);                                                            \
        if (!sym_) {                                                                               \
            fprintf(stderr, "curlshim: libcurl lacks %s\n", name);                                 \
            abort();                                                                               \
        }                                                                                          \
        memcpy(&(var), &sym_, sizeof(sym_));                                                       \
    } while (0)

static long env_long(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? strtol(v, NULL, 10) : 0;
}

/* ---- the read callback wrapper -------------------------------------------------------- */

struct read_wrap {
    CURL *h;
    curl_read_callback cb;
    void *data;
};

#define MAX_HANDLES 256
static struct read_wrap wraps[MAX_HANDLES];

static struct read_wrap *wrap_of(CURL *h)
{
    struct read_wrap *free_slot = NULL;
    for (int i = 0; i < MAX_HANDLES; i++) {
        if (wraps[i].h == h)
            return &wraps[i];
        if (!wraps[i].h && !free_slot)
            free_slot = &wraps[i];
    }
    if (free_slot)
        free_slot->h = h;
    return free_slot;
}

/* Puts a directory in place of the first open descriptor whose path contains text. */
static void break_source(const char *text)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        char link[64], target[4096];
        ssize_t n;
        int fd = atoi(e->d_name);
        if (e->d_name[0] == '.' || fd == dirfd(d))
            continue;
        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        n = readlink(link, target, sizeof(target) - 1);
        if (n <= 0)
            continue;
        target[n] = '\0';
        if (strstr(target, text) && target[0] == '/') {
            int dir = open("/", O_RDONLY | O_DIRECTORY);
            if (dir >= 0) {
                dup2(dir, fd);
                close(dir);
                fprintf(stderr, "curlshim: the upload's source %s now reads as a directory\n",
                        target);
                read_fired = 1;
                break;
            }
        }
    }
    closedir(d);
}

static size_t shim_read(char *buf, size_t size, size_t n, void *ud)
{
    struct read_wrap *w = ud;
    const char *text = getenv("CURLSHIM_FAIL_READ");
    pthread_mutex_lock(&lock);
    if (text && *text && !read_fired)
        break_source(text);
    pthread_mutex_unlock(&lock);
    return w->cb(buf, size, n, w->data);
}

/* ---- the API duckflow loads (src/store/curl_lazy.c) ------------------------------------- */

CURLcode curl_global_init(long flags)
{
    CURLcode (*f)(long);
    REAL(f, "curl_global_init");
    return f(flags);
}

CURL *curl_easy_init(void)
{
    CURL *(*f)(void);
    REAL(f, "curl_easy_init");
    return f();
}

CURLcode curl_easy_setopt(CURL *h, CURLoption opt, ...)
{
    CURLcode (*f)(CURL *, CURLoption, ...);
    long nth = env_long("CURLSHIM_FAIL_SETOPT"), bad_opt = env_long("CURLSHIM_FAIL_OPT"), k;
    const char *read_text = getenv("CURLSHIM_FAIL_READ");
    va_list ap;
    CURLcode rc;

    REAL(f, "curl_easy_setopt");
    pthread_mutex_lock(&lock);
    k = ++setopt_calls;
    pthread_mutex_unlock(&lock);
    if ((nth > 0 && k == nth) || (bad_opt > 0 && (long)opt == bad_opt)) {
        fprintf(stderr, "curlshim: curl_easy_setopt #%ld (option %d) fails\n", k, (int)opt);
        return CURLE_BAD_FUNCTION_ARGUMENT;
    }
    va_start(ap, opt);
    if (read_text && *read_text && (opt == CURLOPT_READFUNCTION || opt == CURLOPT_READDATA)) {
        struct read_wrap *w;
        pthread_mutex_lock(&lock);
        w = wrap_of(h);
        pthread_mutex_unlock(&lock);
        if (opt == CURLOPT_READFUNCTION) {
            w->cb = va_arg(ap, curl_read_callback);
            rc = f(h, opt, shim_read);
        } else {
            w->data = va_arg(ap, void *);
            rc = f(h, opt, (void *)w);
        }
    } else if (opt < CURLOPTTYPE_OBJECTPOINT) {
        rc = f(h, opt, va_arg(ap, long));
    } else if (opt < CURLOPTTYPE_FUNCTIONPOINT) {
        rc = f(h, opt, va_arg(ap, void *));
    } else if (opt < CURLOPTTYPE_OFF_T) {
        /* A function pointer passes through varargs like any pointer-sized value here. */
        void (*fn)(void) = va_arg(ap, void (*)(void));
        rc = f(h, opt, fn);
    } else {
        rc = f(h, opt, va_arg(ap, curl_off_t));
    }
    va_end(ap);
    return rc;
}

CURLcode curl_easy_getinfo(CURL *h, CURLINFO info, ...)
{
    CURLcode (*f)(CURL *, CURLINFO, ...);
    va_list ap;
    void *p;
    REAL(f, "curl_easy_getinfo");
    va_start(ap, info);
    p = va_arg(ap, void *); /* every CURLINFO takes a pointer */
    va_end(ap);
    return f(h, info, p);
}

CURLcode curl_easy_perform(CURL *h)
{
    CURLcode (*f)(CURL *);
    const char *read_text = getenv("CURLSHIM_FAIL_READ");
    CURLcode rc;
    REAL(f, "curl_easy_perform");
    rc = f(h);
    if (read_text && *read_text)
        errno = ENOTTY;
    return rc;
}

void curl_easy_reset(CURL *h)
{
    void (*f)(CURL *);
    REAL(f, "curl_easy_reset");
    f(h);
}

void curl_easy_cleanup(CURL *h)
{
    void (*f)(CURL *);
    REAL(f, "curl_easy_cleanup");
    pthread_mutex_lock(&lock);
    for (int i = 0; i < MAX_HANDLES; i++)
        if (wraps[i].h == h)
            memset(&wraps[i], 0, sizeof(wraps[i]));
    pthread_mutex_unlock(&lock);
    f(h);
}

const char *curl_easy_strerror(CURLcode code)
{
    const char *(*f)(CURLcode);
    REAL(f, "curl_easy_strerror");
    return f(code);
}

char *curl_easy_escape(CURL *h, const char *s, int len)
{
    char *(*f)(CURL *, const char *, int);
    REAL(f, "curl_easy_escape");
    return f(h, s, len);
}

void curl_free(void *p)
{
    void (*f)(void *);
    REAL(f, "curl_free");
    f(p);
}

time_t curl_getdate(const char *s, const time_t *unused)
{
    time_t (*f)(const char *, const time_t *);
    REAL(f, "curl_getdate");
    return f(s, unused);
}

struct curl_slist *curl_slist_append(struct curl_slist *list, const char *s)
{
    struct curl_slist *(*f)(struct curl_slist *, const char *);
    long nth = env_long("CURLSHIM_FAIL_SLIST"), k;
    REAL(f, "curl_slist_append");
    pthread_mutex_lock(&lock);
    k = ++slist_calls;
    pthread_mutex_unlock(&lock);
    if (nth > 0 && k == nth) {
        fprintf(stderr, "curlshim: curl_slist_append #%ld fails\n", k);
        return NULL;
    }
    return f(list, s);
}

void curl_slist_free_all(struct curl_slist *list)
{
    void (*f)(struct curl_slist *);
    REAL(f, "curl_slist_free_all");
    f(list);
}
