/*
 * task.c - one task in this process (see task.h): resolve the item, size and open DuckDB,
 * set variables, create input views over exactly the files upstream manifests list, run
 * the SQL and the checks, write every output as zstd Parquet under a fresh attempt folder,
 * and commit the manifest last. A failure leaves <attempt>/_error.json and no manifest.
 */
#include "engine/task.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dag/plan.h"
#include "engine/cache.h"
#include "engine/duck.h"
#include "engine/sizing.h"
#include "engine/task_internal.h"
#include "store/layout.h"
#include "store/manifest.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/strbuf.h"
#include "util/timeutil.h"
#include "util/banned.h"

#define TRANSFER_PARALLEL 8
#define SPILL_SAMPLE_US   50000

struct task {
    const struct df_pipeline *p;
    const struct df_step *s;
    struct df_store *store;
    const struct df_task_opts *o;
    json_t *items; /* the step's items; item points into it */
    json_t *item;
    char item_key[DF_ITEM_KEY_MAX];
    char attempt_dir[32];
    char *task_key;    /* <pipeline>/runs/<run>/<step>/<item> */
    char *attempt_key; /* task_key/<attempt_dir> */
    char *scratch;     /* this task's own folder, removed at the end */
    char *spill_dir;
    char *out_root; /* where outputs are written: the attempt folder itself on a local
                     * store, else scratch/out (uploaded afterwards) */
    int local;      /* 1 when the store's objects are local files */
    struct df_duck duck;
    uint64_t memory_limit;
    int threads;
    uint64_t max_temp;
    json_t *inputs_rec; /* manifest "inputs" */
    json_t *tables;     /* manifest "tables" */
    json_t *uploads;    /* [[key, path], ...] for a non-local store */
    json_t *to_sync;    /* output files written into a local store, fsync'd before the manifest */
    enum df_exit_class cls;
    /* spill monitor */
    pthread_t mon;
    int mon_started;
    int mon_stop; /* under mon_lock; mon_wake wakes the sampler at once */
    pthread_mutex_t mon_lock;
    pthread_cond_t mon_wake;
    atomic_uint_fast64_t spill_peak;
};

/* df_task_interrupt(): the flag, and the connection of the task running in this process. */
static pthread_mutex_t active_lock = PTHREAD_MUTEX_INITIALIZER;
static duckdb_connection active_con;
static atomic_int interrupted;

void df_task_interrupt(void)
{
    pthread_mutex_lock(&active_lock);
    atomic_store(&interrupted, 1);
    if (active_con)
        duckdb_interrupt(active_con);
    pthread_mutex_unlock(&active_lock);
}

static void set_active(duckdb_connection con)
{
    pthread_mutex_lock(&active_lock);
    active_con = con;
    pthread_mutex_unlock(&active_lock);
}

/* Sets the class of the failure (the first one wins, like the message). */
static int fail_class(struct task *t, enum df_exit_class c)
{
    if (t->cls == DF_CLASS_OK)
        t->cls = c;
    return -1;
}

/* ---- spill monitor --------------------------------------------------------------------- */

static uint64_t dir_bytes(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    uint64_t total = 0;

    if (!d)
        return 0;
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        char *path;
        if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
            continue;
        path = fs_join(dir, e->d_name);
        if (lstat(path, &st) == 0) {
            if (S_ISDIR(st.st_mode))
                total += dir_bytes(path);
            else if (S_ISREG(st.st_mode))
                total += (uint64_t)st.st_blocks * 512u;
        }
        free(path);
    }
    closedir(d);
    return total;
}

/* Samples the spill folder's size: DuckDB deletes spill files when a query ends, so the
 * peak is only visible while it runs. A sampled peak is a lower bound. */
static void *spill_monitor(void *arg)
{
    struct task *t = arg;
    pthread_mutex_lock(&t->mon_lock);
    while (!t->mon_stop) {
        struct timespec until;
        uint64_t n;
        pthread_mutex_unlock(&t->mon_lock);
        n = dir_bytes(t->spill_dir);
        if (n > atomic_load(&t->spill_peak))
            atomic_store(&t->spill_peak, n);
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += SPILL_SAMPLE_US * 1000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&t->mon_lock);
        if (!t->mon_stop)
            pthread_cond_timedwait(&t->mon_wake, &t->mon_lock, &until);
    }
    pthread_mutex_unlock(&t->mon_lock);
    return NULL;
}

static void stop_monitor(struct task *t)
{
    pthread_mutex_lock(&t->mon_lock);
    t->mon_stop = 1;
    pthread_cond_signal(&t->mon_wake);
    pthread_mutex_unlock(&t->mon_lock);
    pthread_join(t->mon, NULL);
    t->mon_started = 0;
}

/* ---- scratch folders ------------------------------------------------------------------- */

/* A task killed with SIGKILL (the kernel's OOM killer, a timeout past its grace) cannot
 * remove its scratch folder, and that folder may hold gigabytes of spill files. Each task
 * therefore writes who owns its folder (boot id, pid namespace, pid and the process's
 * start time) into <scratch>/.owner, and removes the folders under the same base whose
 * owner, on this boot and in this pid namespace, no longer runs. Folders of other
 * machines, boots or namespaces sharing the base are left alone. */
#define OWNER_FILE ".owner"

/* Start time of process pid in clock ticks since boot (/proc/<pid>/stat field 22), or 0. */
static unsigned long long proc_start_time(long pid)
{
    char path[64], *text = NULL, *p;
    size_t len = 0;
    struct df_error e = DF_ERROR_INIT;
    unsigned long long v = 0;

    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    if (fs_read_file(path, 8192, &text, &len, &e) != 0)
        return 0;
    p = strrchr(text, ')'); /* the command name may hold spaces and parentheses */
    if (p) {
        /* After ")" come field 3 (state) onwards; start time is field 22. */
        int field = 2;
        for (char *q = p + 1; *q && field < 22; q++)
            if (*q == ' ' && q[1] && q[1] != ' ' && ++field == 22)
                v = strtoull(q + 1, NULL, 10);
    }
    free(text);
    return v;
}

/* "<boot id> <pid namespace> " of this process into out (empty when unknown). */
static void owner_scope(char *out, size_t n)
{
    char *boot = NULL, ns[128];
    size_t len = 0;
    struct df_error e = DF_ERROR_INIT;
    ssize_t k;

    out[0] = '\0';
    if (fs_read_file("/proc/sys/kernel/random/boot_id", 128, &boot, &len, &e) != 0)
        return;
    boot[strcspn(boot, "\n")] = '\0';
    k = readlink("/proc/self/ns/pid", ns, sizeof(ns) - 1);
    if (k > 0) {
        ns[k] = '\0';
        snprintf(out, n, "%s %s ", boot, ns);
    }
    free(boot);
}

static void write_owner(const char *scratch)
{
    char scope[256], text[384];
    char *path, *tmp;
    long pid = (long)getpid();
    int fd, n;

    owner_scope(scope, sizeof(scope));
    if (!scope[0])
        return;
    n = snprintf(text, sizeof(text), "%s%ld %llu\n", scope, pid, proc_start_time(pid));
    path = fs_join(scratch, OWNER_FILE);
    tmp = fs_join(scratch, OWNER_FILE ".tmp");
    /* Not fsynced: the file only matters while this boot lasts (a reboot changes the boot
     * id, and the sweep then leaves the folder alone), so a crash cannot make it lie. The
     * rename still keeps a sweeping task from reading it half written. */
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
        int ok = n > 0 && write(fd, text, (size_t)n) == (ssize_t)n;
        if (close(fd) == 0 && ok)
            rename(tmp, path);
        else
            unlink(tmp);
    }
    free(tmp);
    free(path);
}

/* 0 only when process pid is known to be gone or to be another process now (pid reuse):
 * when in doubt (a /proc that hides other users' processes), it runs. */
static int owner_runs(long pid, unsigned long long start)
{
    char path[64];
    unsigned long long now;

    snprintf(path, sizeof(path), "/proc/%ld", pid);
    if (access(path, F_OK) != 0)
        return errno != ENOENT;
    now = proc_start_time(pid);
    return now == 0 || now == start;
}

static void sweep_stale_scratch(const char *base)
{
    char scope[256];
    DIR *d;
    struct dirent *ent;

    if (!base || !*base)
        base = getenv("TMPDIR");
    if (!base || !*base)
        base = "/tmp";
    owner_scope(scope, sizeof(scope));
    if (!scope[0] || !(d = opendir(base)))
        return;
    while ((ent = readdir(d)) != NULL) {
        char *dir, *path, *text = NULL;
        size_t len = 0, sl = strlen(scope);
        struct df_error e = DF_ERROR_INIT;
        long pid;
        unsigned long long start;

        if (strncmp(ent->d_name, "duckflow-task-", 14) != 0)
            continue;
        dir = fs_join(base, ent->d_name);
        path = fs_join(dir, OWNER_FILE);
        if (fs_read_file(path, 1024, &text, &len, &e) == 0 && len > sl &&
            !strncmp(text, scope, sl) && sscanf(text + sl, "%ld %llu", &pid, &start) == 2 &&
            pid > 0 && pid != (long)getpid() && !owner_runs(pid, start))
            fs_remove_tree(dir, &e);
        free(text);
        free(path);
        free(dir);
    }
    closedir(d);
}

/* ---- helpers --------------------------------------------------------------------------- */

/* Appends a JSON value as a DuckDB literal (reader options). */
static void add_sql_literal(struct strbuf *sb, json_t *v)
{
    size_t i;
    const char *k;
    json_t *e;

    switch (json_typeof(v)) {
    case JSON_STRING:
        sb_add_sql_string(sb, json_string_value(v));
        break;
    case JSON_INTEGER:
        sb_addf(sb, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL:
        sb_addf(sb, "%.17g", json_real_value(v));
        break;
    case JSON_TRUE:
        sb_adds(sb, "true");
        break;
    case JSON_FALSE:
        sb_adds(sb, "false");
        break;
    case JSON_ARRAY:
        sb_addc(sb, '[');
        json_array_foreach(v, i, e)
        {
            if (i)
                sb_adds(sb, ", ");
            add_sql_literal(sb, e);
        }
        sb_addc(sb, ']');
        break;
    case JSON_OBJECT:
        sb_addc(sb, '{');
        i = 0;
        json_object_foreach(v, k, e)
        {
            if (i++)
                sb_adds(sb, ", ");
            sb_add_sql_string(sb, k);
            sb_adds(sb, ": ");
            add_sql_literal(sb, e);
        }
        sb_addc(sb, '}');
        break;
    default:
        sb_adds(sb, "NULL");
        break;
    }
}

static int valid_option_name(const char *k)
{
    if (!*k || !((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') || *k == '_'))
        return 0;
    for (; *k; k++)
        if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') || *k == '_' ||
              (*k >= '0' && *k <= '9')))
            return 0;
    return 1;
}

static const char *reader_of(const char *format)
{
    if (format && !strcmp(format, "csv"))
        return "read_csv";
    if (format && !strcmp(format, "json"))
        return "read_json_auto";
    return "read_parquet";
}

/* Percent-decodes a Hive partition value (DuckDB escapes '/', '=', '%' and the like). */
static char *url_decode(const char *s, size_t n)
{
    char *out = xmalloc(n + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n) {
            char hex[3] = {s[i + 1], s[i + 2], 0};
            char *end;
            long v = strtol(hex, &end, 16);
            if (end == hex + 2) {
                *o++ = (char)v;
                i += 2;
                continue;
            }
        }
        *o++ = s[i];
    }
    *o = '\0';
    return out;
}

/* Hive partition values of a relative path "k=v/k2=v2/part-00000.parquet" (NULL when the
 * file sits at the table's top). */
json_t *df_task_path_partition(const char *rel)
{
    json_t *part = NULL;
    const char *seg = rel, *slash;

    while ((slash = strchr(seg, '/')) != NULL) {
        const char *eq = memchr(seg, '=', (size_t)(slash - seg));
        if (eq && eq > seg) {
            char *k = url_decode(seg, (size_t)(eq - seg));
            char *v = url_decode(eq + 1, (size_t)(slash - eq - 1));
            if (!part)
                part = json_object();
            json_object_set_new(part, k, json_string(v));
            free(k);
            free(v);
        }
        seg = slash + 1;
    }
    return part;
}

/* "s3://bucket/a/b" -> store uri "s3://bucket" and key "a/b". */
static int split_object_uri(const char *uri, char **store_uri, char **key)
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

static int is_object_uri(const char *uri)
{
    return !strncmp(uri, "s3://", 5) || !strncmp(uri, "gs://", 5);
}

static const char *strip_file_scheme(const char *uri)
{
    return !strncmp(uri, "file://", 7) ? uri + 7 : uri;
}

/* ---- inputs ---------------------------------------------------------------------------- */

/* What one view reads: local paths (read in place or staged), plus what the manifest and
 * the cache key record about them. */
struct view_src {
    char **paths;
    size_t n, alloc;
    int hive;        /* any file has Hive partition folders */
    json_t *schema;  /* upstream schema, for an empty view; borrowed from a manifest */
    json_t *records; /* manifest "inputs[].files" */
};

static void src_add(struct view_src *v, const char *path)
{
    if (v->n == v->alloc) {
        v->alloc = v->alloc ? v->alloc * 2 : 16;
        v->paths = xrealloc(v->paths, v->alloc * sizeof(*v->paths));
    }
    v->paths[v->n++] = xstrdup(path);
}

static void src_release(struct view_src *v)
{
    for (size_t i = 0; i < v->n; i++)
        free(v->paths[i]);
    free(v->paths);
    json_decref(v->records);
    memset(v, 0, sizeof(*v));
}

/* Adds the files of store keys (with their manifest file records) to v: in place on a
 * local store, else downloaded into scratch/in/<view>/ first. */
static int add_store_files(struct task *t, const char *view, json_t *keys, json_t *recs,
                           struct view_src *v, struct df_error *err)
{
    size_t n = json_array_size(keys), i;
    const char **gk = NULL, **gp = NULL;
    char **staged = NULL;
    int rc = 0;

    if (n == 0)
        return 0;
    if (!t->local) {
        gk = xcalloc(n, sizeof(*gk));
        gp = xcalloc(n, sizeof(*gp));
        staged = xcalloc(n, sizeof(*staged));
    }
    for (i = 0; i < n; i++) {
        const char *key = json_string_value(json_array_get(keys, i));
        json_t *rec = json_array_get(recs, i);
        json_t *r = json_object();
        json_object_set_new(r, "key", json_string(key));
        if (json_object_get(rec, "sha256"))
            json_object_set(r, "sha256", json_object_get(rec, "sha256"));
        json_array_append_new(v->records, r);
        if (json_object_get(rec, "partition") &&
            json_object_size(json_object_get(rec, "partition")))
            v->hive = 1;
        if (t->local) {
            char *path = df_store_local_path(t->store, key);
            if (!path) {
                rc = df_error_set(err, DF_EIO, "no local file for '%s'", key);
                break;
            }
            src_add(v, path);
            free(path);
        } else {
            /* Keep the Hive folders (k=v/) so partition columns still read. */
            char *sub = xasprintf("in/%s/%05zu", view, i);
            char *dir = fs_join(t->scratch, sub);
            const char *rel = strrchr(key, '/');
            /* Partition folders: the key's "k=v" segments, as written (still encoded). */
            struct strbuf hp = STRBUF_INIT;
            for (const char *seg = key, *sl; (sl = strchr(seg, '/')) != NULL; seg = sl + 1) {
                const char *eq = memchr(seg, '=', (size_t)(sl - seg));
                if (eq && eq > seg) {
                    sb_add(&hp, seg, (size_t)(sl - seg) + 1);
                }
            }
            staged[i] = xasprintf("%s/%s%s", dir, hp.buf, rel ? rel + 1 : "part.parquet");
            sb_release(&hp);
            free(sub);
            free(dir);
            {
                char *slash = strrchr(staged[i], '/');
                *slash = '\0';
                rc = fs_mkdirs(staged[i], err);
                *slash = '/';
            }
            if (rc != 0)
                break;
            gk[i] = key;
            gp[i] = staged[i];
            src_add(v, staged[i]);
        }
    }
    if (rc == 0 && !t->local)
        rc = df_store_get_many(t->store, gk, gp, n, TRANSFER_PARALLEL, err);
    if (staged)
        for (i = 0; i < n; i++)
            free(staged[i]);
    free(staged);
    free(gk);
    free(gp);
    if (rc != 0)
        fail_class(t, DF_CLASS_STORE_ERROR);
    return rc;
}

/* Adds the committed files of table in manifest m to keys/recs (parallel arrays). */
static void manifest_files(json_t *m, const char *table, json_t *keys, json_t *recs,
                           json_t **schema)
{
    json_t *tab = json_object_get(json_object_get(m, "tables"), table);
    json_t *files = json_object_get(tab, "files"), *f;
    size_t added, k = 0, i;

    if (!*schema && json_is_array(json_object_get(tab, "schema")))
        *schema = json_object_get(tab, "schema");
    added = df_manifest_table_keys(m, table, keys);
    /* df_manifest_table_keys skips files without a path, in order: keep recs aligned. */
    json_array_foreach(files, i, f)
    {
        const char *path = json_string_value(json_object_get(f, "path"));
        if (path && *path && k < added) {
            json_array_append(recs, f);
            k++;
        }
    }
    for (; k < added; k++)
        json_array_append_new(recs, json_object());
}

/* Files of upstream step `si`'s table for this task: the same item's task when the step
 * maps `si` with foreach each, every task otherwise (fan-in). */
static int step_input_files(struct task *t, const struct df_input *in, int narrow_each,
                            json_t *keys, json_t *recs, json_t **mlist, json_t **schema,
                            struct df_error *err)
{
    const char *up = t->p->steps[in->step_index].name;
    json_t *ms = NULL, *m;
    size_t i;

    if (narrow_each) {
        if (df_manifest_read(t->store, t->p->name, t->o->run_id, up, t->item_key, &m, err) != 0) {
            if (err->code == DF_ENOTFOUND) {
                err->code = DF_EFAIL;
                df_error_prefix(err, "step '%s' item %zu has not committed", up, t->o->item_index);
                return fail_class(t, DF_CLASS_UPSTREAM);
            }
            return fail_class(t, DF_CLASS_STORE_ERROR);
        }
        ms = json_array();
        json_array_append_new(ms, m);
    } else {
        json_t *up_items = NULL;
        if (df_manifest_list_step(t->store, t->p->name, t->o->run_id, up, &ms, err) != 0)
            return fail_class(t, DF_CLASS_STORE_ERROR);
        /* Fan-in needs every task of the upstream step. */
        if (df_plan_items(t->p, (size_t)in->step_index, t->store, t->o->run_id, &up_items, err) ==
            0) {
            size_t want = json_array_size(up_items);
            json_decref(up_items);
            if (json_array_size(ms) < want) {
                df_error_set(err, DF_EFAIL, "step '%s' has committed %zu of its %zu tasks", up,
                             json_array_size(ms), want);
                json_decref(ms);
                return fail_class(t, DF_CLASS_UPSTREAM);
            }
        } else {
            json_decref(ms);
            return fail_class(t, err->code == DF_EIO ? DF_CLASS_STORE_ERROR : DF_CLASS_UPSTREAM);
        }
    }
    json_array_foreach(ms, i, m) manifest_files(m, in->table, keys, recs, schema);
    *mlist = ms;
    return 0;
}

/* The local files an external input names: a glob expanded (name order), or the path. */
static void expand_local(const char *pattern, json_t *out)
{
    glob_t g;
    if (glob(pattern, 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++)
            json_array_append_new(out, json_string(g.gl_pathv[i]));
    }
    globfree(&g);
}

struct glob_match {
    const char *pat;
    json_t *keys;
};

/* df_store_list callback: keeps the keys that match the glob. */
static int glob_cb(const char *key, uint64_t size, void *ud)
{
    struct glob_match *m = ud;
    (void)size;
    if (fnmatch(m->pat, key, FNM_PATHNAME) == 0)
        json_array_append_new(m->keys, json_string(key));
    return 0;
}

int df_task_object_glob(const char *uri, json_t *out, struct df_error *err)
{
    char *store_uri = NULL, *pattern = NULL;
    struct df_store *os = NULL;
    int rc = -1;

    if (split_object_uri(uri, &store_uri, &pattern) != 0)
        return df_error_set(err, DF_EUSAGE, "'%s' is not an object uri", uri);
    if (df_store_open(store_uri, &os, err) == 0) {
        size_t plen = strcspn(pattern, "*?[");
        json_t *keys = json_array(), *k;
        size_t i;
        if (!pattern[plen]) {
            json_array_append_new(keys, json_string(pattern));
            rc = 0;
        } else {
            struct glob_match mt = {pattern, keys};
            char *prefix = xstrndup(pattern, plen);
            rc = df_store_list(os, prefix, glob_cb, &mt, err);
            free(prefix);
        }
        json_array_foreach(keys, i, k)
            json_array_append_new(out, json_sprintf("%s/%s", store_uri, json_string_value(k)));
        json_decref(keys);
    }
    df_store_free(os);
    free(store_uri);
    free(pattern);
    return rc;
}

/* Stages an s3:// or gs:// external input (a key or a glob of keys) into scratch. */
static int stage_object_input(struct task *t, const char *view, json_t *uris, struct view_src *v,
                              struct df_error *err)
{
    json_t *full = json_array(), *u;
    struct df_store *os = NULL;
    char *os_uri = NULL, *vdir = NULL;
    size_t i;
    int rc = 0;

    json_array_foreach(uris, i, u)
    {
        if ((rc = df_task_object_glob(json_string_value(u), full, err)) != 0)
            goto done;
    }
    {
        char *sub = xasprintf("in/%s", view);
        vdir = fs_join(t->scratch, sub);
        free(sub);
    }
    if ((rc = fs_mkdirs(vdir, err)) != 0)
        goto done;
    json_array_foreach(full, i, u)
    {
        char *store_uri = NULL, *key = NULL, *path, sha[DF_SHA256_HEX];
        const char *base;
        json_t *r;

        split_object_uri(json_string_value(u), &store_uri, &key);
        if (!os_uri || strcmp(os_uri, store_uri) != 0) {
            df_store_free(os);
            os = NULL;
            free(os_uri);
            os_uri = xstrdup(store_uri);
            rc = df_store_open(store_uri, &os, err);
        }
        base = strrchr(key, '/');
        path = xasprintf("%s/%05zu-%s", vdir, i, base ? base + 1 : key);
        if (rc == 0)
            rc = df_store_get_file(os, key, path, err);
        if (rc == 0)
            rc = df_sha256_file(path, sha, err);
        if (rc == 0) {
            src_add(v, path);
            r = json_object();
            json_object_set(r, "key", u);
            json_object_set_new(r, "sha256", json_string(sha));
            json_array_append_new(v->records, r);
        }
        free(path);
        free(store_uri);
        free(key);
        if (rc != 0)
            break;
    }
done:
    df_store_free(os);
    free(os_uri);
    free(vdir);
    json_decref(full);
    if (rc != 0)
        fail_class(t, DF_CLASS_STORE_ERROR);
    return rc;
}

/* Records size and mtime of local external files (the cache key's fingerprint of files
 * the store does not own: hashing them would read every input twice). */
static void record_local_files(struct view_src *v)
{
    for (size_t i = 0; i < v->n; i++) {
        struct stat st;
        json_t *r = json_object();
        json_object_set_new(r, "key", json_string(v->paths[i]));
        if (stat(v->paths[i], &st) == 0) {
            json_object_set_new(r, "size", json_integer((json_int_t)st.st_size));
            json_object_set_new(r, "mtime", json_integer((json_int_t)st.st_mtime));
        }
        json_array_append_new(v->records, r);
    }
}

/* CREATE VIEW name AS SELECT * FROM reader([files], options), or an empty typed view. */
static int create_view(struct task *t, const char *name, const char *format, json_t *options,
                       int step_src, struct view_src *v, struct df_error *err)
{
    struct strbuf sql = STRBUF_INIT;
    const char *k;
    json_t *e;
    size_t i;
    int rc;

    sb_adds(&sql, "CREATE OR REPLACE VIEW ");
    sb_add_sql_ident(&sql, name);
    sb_adds(&sql, " AS ");
    if (v->n == 0) {
        /* No files (every upstream task wrote nothing): the same columns, no rows, so
         * downstream SQL still binds. */
        if (json_array_size(v->schema) == 0) {
            sb_adds(&sql, "SELECT NULL AS _empty WHERE false");
        } else {
            sb_adds(&sql, "SELECT ");
            json_array_foreach(v->schema, i, e)
            {
                const char *cn = json_string_value(json_object_get(e, "name"));
                const char *ct = json_string_value(json_object_get(e, "type"));
                /* The type text goes into SQL: a manifest that is not ours must not be
                 * able to end the statement or hide the rest of it. */
                if (ct && (strchr(ct, ';') || strstr(ct, "--") || strstr(ct, "/*")))
                    ct = NULL;
                if (i)
                    sb_adds(&sql, ", ");
                sb_adds(&sql, "CAST(NULL AS ");
                sb_adds(&sql, ct ? ct : "VARCHAR");
                sb_adds(&sql, ") AS ");
                sb_add_sql_ident(&sql, cn ? cn : "_");
            }
            sb_adds(&sql, " WHERE false");
        }
    } else {
        sb_adds(&sql, "SELECT * FROM ");
        sb_adds(&sql, reader_of(format));
        sb_adds(&sql, "([");
        for (i = 0; i < v->n; i++) {
            if (i)
                sb_adds(&sql, ", ");
            sb_add_sql_string(&sql, v->paths[i]);
        }
        sb_addc(&sql, ']');
        if (step_src)
            sb_addf(&sql, ", union_by_name = true, hive_partitioning = %s",
                    v->hive ? "true" : "false");
        json_object_foreach(options, k, e)
        {
            if (!valid_option_name(k)) {
                sb_release(&sql);
                fail_class(t, DF_CLASS_USAGE);
                return df_error_set(err, DF_EUSAGE, "option '%s' is not a reader option name", k);
            }
            sb_addf(&sql, ", %s = ", k);
            add_sql_literal(&sql, e);
        }
        sb_addc(&sql, ')');
    }
    rc = df_duck_exec(&t->duck, sql.buf, err);
    if (rc != 0)
        fail_class(t, t->duck.last_class);
    sb_release(&sql);
    return rc;
}

/* 1 when step si is the step s maps with `foreach each`, or one that step maps in turn
 * (each over each): task i of s corresponds to task i of all of them. */
static int in_each_chain(const struct df_pipeline *p, const struct df_step *s, int si)
{
    for (size_t hops = 0; s->foreach.kind == DF_FOREACH_EACH && hops <= p->n_steps; hops++) {
        if (s->foreach.each_index < 0)
            return 0;
        if (s->foreach.each_index == si)
            return 1;
        s = &p->steps[s->foreach.each_index];
    }
    return 0;
}

/* The text a Hive folder holds for a JSON item value (`k=42`, `k=eu`, `k=true`), or NULL
 * for values whose folder text is not exact (reals, null, lists, structs). */
static char *partition_text(json_t *v)
{
    if (json_is_string(v))
        return xstrdup(json_string_value(v));
    if (json_is_integer(v))
        return xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
    if (json_is_boolean(v))
        return xstrdup(json_is_true(v) ? "true" : "false");
    return NULL;
}

/* 1 when a file with Hive partition values `part` can hold rows of the `rows` item `item`:
 * no partition column the item names has another value. */
static int partition_matches(json_t *part, json_t *item)
{
    const char *k;
    json_t *pv;

    json_object_foreach(part, k, pv)
    {
        char *want = partition_text(json_object_get(item, k));
        int same = !want || !json_is_string(pv) || !strcmp(want, json_string_value(pv));
        free(want);
        if (!same)
            return 0;
    }
    return 1;
}

/* `foreach: {rows: ...}` whose item is a struct: keeps only the files (keys and their
 * records, parallel arrays) of the item's Hive partition, so a task reads and stages just
 * its partition instead of relying on DuckDB to skip the others after listing them all. */
static void narrow_to_partition(json_t *item, json_t *keys, json_t *recs)
{
    size_t n = json_array_size(keys), kept = 0;

    /* Compact in place (one pass; removing one by one would shift the arrays each time). */
    for (size_t i = 0; i < n; i++) {
        json_t *part = json_object_get(json_array_get(recs, i), "partition");
        if (json_is_object(part) && !partition_matches(part, item))
            continue;
        if (kept != i) {
            json_array_set(keys, kept, json_array_get(keys, i));
            json_array_set(recs, kept, json_array_get(recs, i));
        }
        kept++;
    }
    while (json_array_size(keys) > kept)
        json_array_remove(keys, json_array_size(keys) - 1);
    while (json_array_size(recs) > kept)
        json_array_remove(recs, json_array_size(recs) - 1);
}

/* The task's `foreach files` group as store keys, each with a record of its Hive
 * partition values (parallel arrays, as manifest_files() gives). */
static void group_files(struct task *t, json_t *keys, json_t *recs)
{
    json_t *k;
    size_t i;

    json_array_foreach(json_object_get(t->item, "files"), i, k)
    {
        json_t *r = json_object();
        json_t *part = df_task_path_partition(json_string_value(k) ? json_string_value(k) : "");
        json_array_append(keys, k);
        if (part)
            json_object_set_new(r, "partition", part);
        json_array_append_new(recs, r);
    }
}

/* 1 when `in` is what the step's `foreach files` groups: the input it names, or an input
 * over the `step.table` it names. That input sees only the task's group. */
static int is_files_source(const struct df_step *s, const struct df_input *in)
{
    const struct df_foreach *fe = &s->foreach;

    if (fe->kind != DF_FOREACH_FILES)
        return 0;
    if (fe->files_input >= 0)
        return !strcmp(s->inputs[fe->files_input].name, in->name);
    return fe->files_step >= 0 && in->step_index == fe->files_step && in->table &&
           fe->files_table && !strcmp(in->table, fe->files_table);
}

/* One input: find its files, stage them when needed, create its view and record it. */
static int setup_input(struct task *t, const struct df_input *in, struct df_error *err)
{
    struct view_src v = {0};
    json_t *keys = json_array(), *recs = json_array(), *mlist = NULL, *rec;
    int rc = -1;
    int files_narrow = is_files_source(t->s, in);

    v.records = json_array();
    if (in->step_index >= 0) {
        if (files_narrow) {
            size_t i;
            group_files(t, keys, recs);
            /* The schema for an empty group comes from any upstream manifest (groups are
             * never empty in practice: no listing of every manifest per task then). */
            if (json_array_size(keys) == 0 &&
                df_manifest_list_step(t->store, t->p->name, t->o->run_id,
                                      t->p->steps[in->step_index].name, &mlist, err) != 0) {
                fail_class(t, DF_CLASS_STORE_ERROR);
                goto done;
            }
            {
                json_t *m;
                json_array_foreach(mlist, i, m)
                {
                    json_t *sc = json_object_get(
                        json_object_get(json_object_get(m, "tables"), in->table), "schema");
                    if (json_is_array(sc)) {
                        v.schema = sc;
                        break;
                    }
                }
            }
        } else {
            int narrow = in_each_chain(t->p, t->s, in->step_index);
            if (step_input_files(t, in, narrow, keys, recs, &mlist, &v.schema, err) != 0)
                goto done;
            if (t->s->foreach.kind == DF_FOREACH_ROWS && json_is_object(t->item))
                narrow_to_partition(t->item, keys, recs);
        }
        if (add_store_files(t, in->name, keys, recs, &v, err) != 0)
            goto done;
        if (create_view(t, in->name, "parquet", NULL, 1, &v, err) != 0)
            goto done;
    } else {
        json_t *uris = json_array();
        if (files_narrow) {
            json_array_extend(uris, json_object_get(t->item, "files"));
        } else {
            json_array_append_new(uris, json_string(in->uri));
        }
        if (is_object_uri(in->uri)) {
            rc = stage_object_input(t, in->name, uris, &v, err);
            json_decref(uris);
            if (rc != 0)
                goto done;
            rc = -1;
        } else {
            size_t i;
            json_t *u;
            json_t *expanded = json_array();
            json_array_foreach(uris, i, u)
            {
                const char *path = strip_file_scheme(json_string_value(u));
                size_t before = json_array_size(expanded);
                expand_local(path, expanded);
                if (json_array_size(expanded) == before)
                    json_array_append_new(expanded, json_string(path)); /* DuckDB says why */
            }
            json_array_foreach(expanded, i, u) src_add(&v, json_string_value(u));
            json_decref(expanded);
            json_decref(uris);
            record_local_files(&v);
        }
        if (v.n == 0 && files_narrow) {
            df_error_set(err, DF_EFAIL, "the task's group of files is empty");
            fail_class(t, DF_CLASS_USAGE);
            goto done;
        }
        if (create_view(t, in->name, in->format, in->options, 0, &v, err) != 0)
            goto done;
    }
    rec = json_object();
    json_object_set_new(rec, "name", json_string(in->name));
    if (in->step)
        json_object_set_new(rec, "source", json_sprintf("%s.%s", in->step, in->table));
    else
        json_object_set_new(rec, "source", json_string(in->uri));
    json_object_set(rec, "files", v.records);
    json_array_append_new(t->inputs_rec, rec);
    rc = 0;
done:
    if (rc != 0)
        df_error_prefix(err, "input '%s'", in->name);
    src_release(&v);
    json_decref(keys);
    json_decref(recs);
    json_decref(mlist);
    return rc;
}

/* `foreach files` over `step.table` that is not one of the inputs: a view named after the
 * table over the task's group. */
static int setup_files_view(struct task *t, struct df_error *err)
{
    const struct df_foreach *fe = &t->s->foreach;
    struct df_input in;

    if (fe->kind != DF_FOREACH_FILES || fe->files_input >= 0 || fe->files_step < 0)
        return 0;
    for (size_t i = 0; i < t->s->n_inputs; i++)
        if (!strcmp(t->s->inputs[i].name, fe->files_table) ||
            is_files_source(t->s, &t->s->inputs[i]))
            return 0;
    memset(&in, 0, sizeof(in));
    in.name = fe->files_table;
    in.step = t->p->steps[fe->files_step].name;
    in.table = fe->files_table;
    in.step_index = fe->files_step;
    {
        struct view_src v = {0};
        json_t *keys = json_array(), *recs = json_array(), *rec;
        int rc;
        v.records = json_array();
        group_files(t, keys, recs);
        rc = add_store_files(t, in.name, keys, recs, &v, err);
        if (rc == 0)
            rc = create_view(t, in.name, "parquet", NULL, 1, &v, err);
        if (rc == 0) {
            rec = json_object();
            json_object_set_new(rec, "name", json_string(in.name));
            json_object_set_new(rec, "source", json_sprintf("%s.%s", in.step, in.table));
            json_object_set(rec, "files", v.records);
            json_array_append_new(t->inputs_rec, rec);
        } else {
            df_error_prefix(err, "files of '%s'", fe->files_source);
        }
        src_release(&v);
        json_decref(keys);
        json_decref(recs);
        return rc;
    }
}

/* ---- outputs --------------------------------------------------------------------------- */

static int by_rel(const void *a, const void *b)
{
    const char *x = json_string_value(json_object_get(*(json_t *const *)a, "path"));
    const char *y = json_string_value(json_object_get(*(json_t *const *)b, "path"));
    return strcmp(x ? x : "", y ? y : "");
}

/* "part-12.parquet" -> "part-00012.parquet" in the same folder; returns the new path. */
static char *pad_part_name(const char *path, struct df_error *err)
{
    const char *base = strrchr(path, '/');
    char *end;
    unsigned long long i;
    char *to;

    base = base ? base + 1 : path;
    if (strncmp(base, "part-", 5) != 0)
        return xstrdup(path);
    i = strtoull(base + 5, &end, 10);
    if (end == base + 5 || strcmp(end, ".parquet") != 0 || end - (base + 5) >= 5)
        return xstrdup(path);
    to = xasprintf("%.*spart-%05llu.parquet", (int)(base - path), path, i);
    if (rename(path, to) != 0) {
        df_error_errno(err, "cannot rename '%s'", path);
        free(to);
        return NULL;
    }
    return to;
}

/* Files DuckDB writes straight into a local store's folder must be durable before the
 * manifest that names them (it is fsync'd). Each file's writeback starts as soon as it is
 * written (Linux: sync_file_range, which does not wait) so the disk works while the task
 * writes its next output; sync_outputs() then fsyncs them all, mostly already on disk.
 * 0 or -1 (errno). */
static int start_writeback(const char *path)
{
#ifdef SYNC_FILE_RANGE_WRITE
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    (void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    return close(fd);
#else
    (void)path;
    return 0;
#endif
}

static int sync_file(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc;
    if (fd < 0)
        return -1;
    rc = fsync(fd);
    if (close(fd) != 0)
        rc = -1;
    return rc;
}

static int sync_outputs(struct task *t, struct df_error *err)
{
    size_t i;
    json_t *path;

    json_array_foreach(t->to_sync, i, path)
    {
        if (sync_file(json_string_value(path)) != 0) {
            df_error_errno(err, "cannot sync '%s'", json_string_value(path));
            return fail_class(t, DF_CLASS_STORE_ERROR);
        }
    }
    return 0;
}

static int write_output(struct task *t, const struct df_output *out, struct df_error *err)
{
    struct strbuf sql = STRBUF_INIT;
    duckdb_result res;
    char *dir = fs_join(t->out_root, out->name);
    int single = out->n_partition_by == 0 && out->file_size == 0;
    json_t *files = json_array(), *schema = NULL, *tab;
    uint64_t rows = 0, bytes = 0;
    size_t i, nfiles;
    int rc = -1, have_res = 0;
    json_t **sorted = NULL;

    if (fs_mkdirs(dir, err) != 0) {
        fail_class(t, t->local ? DF_CLASS_STORE_ERROR : DF_CLASS_CRASH);
        goto done;
    }
    sb_adds(&sql, "COPY (SELECT * FROM ");
    sb_add_sql_ident(&sql, out->name);
    for (i = 0; i < out->n_order_by; i++) {
        sb_adds(&sql, i ? ", " : " ORDER BY ");
        sb_adds(&sql, out->order_by[i]);
    }
    sb_adds(&sql, "\n) TO ");
    if (single) {
        char *f = fs_join(dir, "part-00000.parquet");
        sb_add_sql_string(&sql, f);
        free(f);
    } else {
        sb_add_sql_string(&sql, dir);
    }
    sb_adds(&sql, " (FORMAT parquet, COMPRESSION ");
    sb_add_sql_string(&sql, out->compression ? out->compression : "zstd");
    sb_adds(&sql, ", RETURN_STATS true");
    if (!single) {
        sb_adds(&sql, ", PER_THREAD_OUTPUT false, OVERWRITE_OR_IGNORE true, "
                      "FILENAME_PATTERN 'part-{i}'");
        if (out->file_size)
            sb_addf(&sql, ", FILE_SIZE_BYTES %" PRIu64, out->file_size);
        if (out->n_partition_by) {
            sb_adds(&sql, ", PARTITION_BY (");
            for (i = 0; i < out->n_partition_by; i++) {
                if (i)
                    sb_adds(&sql, ", ");
                sb_add_sql_ident(&sql, out->partition_by[i]);
            }
            sb_addc(&sql, ')');
        }
    }
    sb_addc(&sql, ')');
    if (duckdb_query(t->duck.con, sql.buf, &res) == DuckDBError) {
        const char *msg = duckdb_result_error(&res);
        duckdb_error_type et = duckdb_result_error_type(&res);
        enum df_exit_class c;
        df_duck_fail(&t->duck, et, msg, err);
        c = t->duck.last_class;
        /* Writing into a local store's folder failed: the store's fault, not the SQL's
         * (a full spill folder is still spill_full). */
        if (t->local && et == DUCKDB_ERROR_IO &&
            (c == DF_CLASS_SQL_ERROR ||
             (c == DF_CLASS_SPILL_FULL && msg && !strstr(msg, t->spill_dir))))
            c = DF_CLASS_STORE_ERROR;
        duckdb_destroy_result(&res);
        fail_class(t, c);
        goto done;
    }
    have_res = 1;
    nfiles = (size_t)duckdb_row_count(&res);
    for (i = 0; i < nfiles; i++) {
        char *fname = duckdb_value_varchar(&res, 0, (idx_t)i);
        int64_t count = duckdb_value_int64(&res, 1, (idx_t)i);
        char *path = NULL, sha[DF_SHA256_HEX];
        const char *rel;
        int64_t size;
        json_t *f;

        if (!fname) {
            df_error_set(err, DF_EFAIL, "copy returned no file name");
            fail_class(t, DF_CLASS_CRASH);
            goto done;
        }
        path = single ? xstrdup(fname) : pad_part_name(fname, err);
        duckdb_free(fname);
        if (!path) {
            fail_class(t, DF_CLASS_STORE_ERROR);
            goto done;
        }
        if (strncmp(path, dir, strlen(dir)) != 0 || path[strlen(dir)] != '/') {
            df_error_set(err, DF_EFAIL, "copy wrote '%s' outside '%s'", path, dir);
            free(path);
            fail_class(t, DF_CLASS_CRASH);
            goto done;
        }
        rel = path + strlen(dir) + 1;
        size = fs_file_size(path);
        if (size < 0 || df_sha256_file(path, sha, err) != 0 ||
            (t->local && start_writeback(path))) {
            df_error_set(err, DF_EIO, "cannot read or sync '%s'", path);
            free(path);
            fail_class(t, DF_CLASS_STORE_ERROR);
            goto done;
        }
        f = json_object();
        json_object_set_new(f, "path", json_sprintf("%s/%s/%s", t->attempt_dir, out->name, rel));
        json_object_set_new(f, "rows", json_integer(count));
        json_object_set_new(f, "bytes", json_integer(size));
        json_object_set_new(f, "sha256", json_string(sha));
        {
            json_t *part = df_task_path_partition(rel);
            if (part)
                json_object_set_new(f, "partition", part);
        }
        json_array_append_new(files, f);
        if (t->local)
            json_array_append_new(t->to_sync, json_string(path));
        if (!t->local) {
            json_t *pair = json_array();
            json_array_append_new(pair, json_sprintf("%s/%s/%s", t->attempt_key, out->name, rel));
            json_array_append_new(pair, json_string(path));
            json_array_append_new(t->uploads, pair);
        }
        rows += (uint64_t)count;
        bytes += (uint64_t)size;
        free(path);
    }
    /* Files in name order, so readers see chunks in a stable order. */
    nfiles = json_array_size(files);
    if (nfiles > 1) {
        json_t *sorted_arr = json_array();
        sorted = xcalloc(nfiles, sizeof(*sorted));
        for (i = 0; i < nfiles; i++)
            sorted[i] = json_array_get(files, i);
        qsort(sorted, nfiles, sizeof(*sorted), by_rel);
        for (i = 0; i < nfiles; i++)
            json_array_append(sorted_arr, sorted[i]);
        json_decref(files);
        files = sorted_arr;
    }
    {
        struct strbuf q = STRBUF_INIT;
        sb_adds(&q, "SELECT column_name AS name, column_type AS type FROM (DESCRIBE ");
        sb_add_sql_ident(&q, out->name);
        sb_addc(&q, ')');
        rc = df_duck_query_json(&t->duck, q.buf, 0, &schema, err);
        sb_release(&q);
        if (rc != 0) {
            fail_class(t, t->duck.last_class);
            goto done;
        }
        rc = -1;
    }
    tab = json_object();
    json_object_set_new(tab, "rows", json_integer((json_int_t)rows));
    json_object_set_new(tab, "bytes", json_integer((json_int_t)bytes));
    json_object_set_new(tab, "schema", schema);
    schema = NULL;
    json_object_set_new(tab, "files", files);
    files = NULL;
    json_object_set_new(t->tables, out->name, tab);
    rc = 0;
done:
    if (rc != 0)
        df_error_prefix(err, "table '%s'", out->name);
    if (have_res)
        duckdb_destroy_result(&res);
    free(sorted);
    json_decref(files);
    json_decref(schema);
    sb_release(&sql);
    free(dir);
    return rc;
}

static int upload_outputs(struct task *t, struct df_error *err)
{
    size_t n = json_array_size(t->uploads), i;
    const char **keys, **paths;
    int rc;

    if (n == 0)
        return 0;
    keys = xcalloc(n, sizeof(*keys));
    paths = xcalloc(n, sizeof(*paths));
    for (i = 0; i < n; i++) {
        json_t *pair = json_array_get(t->uploads, i);
        keys[i] = json_string_value(json_array_get(pair, 0));
        paths[i] = json_string_value(json_array_get(pair, 1));
    }
    rc = df_store_put_many(t->store, keys, paths, n, TRANSFER_PARALLEL, err);
    free(keys);
    free(paths);
    if (rc != 0) {
        df_error_prefix(err, "cannot upload outputs");
        fail_class(t, DF_CLASS_STORE_ERROR);
    }
    return rc;
}

/* ---- checks ---------------------------------------------------------------------------- */

static int run_checks(struct task *t, struct df_error *err)
{
    for (size_t i = 0; i < t->s->n_checks; i++) {
        const struct df_check *c = &t->s->checks[i];
        json_t *rows = NULL;
        if (df_duck_query_json(&t->duck, c->sql, 1, &rows, err) != 0) {
            df_error_prefix(err, "%s:%d: check '%s'", t->p->path, c->loc.line, c->name);
            return fail_class(t, t->duck.last_class);
        }
        if (json_array_size(rows) > 0) {
            char *row = json_dumps(json_array_get(rows, 0), JSON_COMPACT | JSON_ENCODE_ANY);
            df_error_set(err, DF_EFAIL, "check '%s' failed: it returned rows, the first: %.512s",
                         c->name, row ? row : "?");
            free(row);
            json_decref(rows);
            return fail_class(t, DF_CLASS_CHECK_FAILED);
        }
        json_decref(rows);
    }
    return 0;
}

/* ---- cache key ------------------------------------------------------------------------- */

static void hash_json(struct df_sha256 *h, const char *label, json_t *v)
{
    char *text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    df_sha256_update(h, label, strlen(label) + 1);
    if (text) {
        df_sha256_update(h, text, strlen(text) + 1);
        free(text);
    }
}

/* The step's definition as JSON: what decides its output besides SQL, params, item and
 * inputs (resources do not). */
json_t *df_task_step_definition(const struct df_step *s)
{
    json_t *d = json_object(), *a;
    size_t i, j;

    json_object_set_new(d, "name", json_string(s->name));
    a = json_array();
    for (i = 0; i < s->n_inputs; i++) {
        const struct df_input *in = &s->inputs[i];
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(in->name));
        if (in->step)
            json_object_set_new(o, "source", json_sprintf("%s.%s", in->step, in->table));
        else
            json_object_set_new(o, "source", json_string(in->uri));
        if (in->format)
            json_object_set_new(o, "format", json_string(in->format));
        if (in->options)
            json_object_set(o, "options", in->options);
        json_array_append_new(a, o);
    }
    json_object_set_new(d, "inputs", a);
    a = json_array();
    for (i = 0; i < s->n_outputs; i++) {
        const struct df_output *out = &s->outputs[i];
        json_t *o = json_object(), *l = json_array();
        json_object_set_new(o, "name", json_string(out->name));
        for (j = 0; j < out->n_partition_by; j++)
            json_array_append_new(l, json_string(out->partition_by[j]));
        json_object_set_new(o, "partition_by", l);
        l = json_array();
        for (j = 0; j < out->n_order_by; j++)
            json_array_append_new(l, json_string(out->order_by[j]));
        json_object_set_new(o, "order_by", l);
        json_object_set_new(o, "file_size", json_integer((json_int_t)out->file_size));
        json_object_set_new(o, "compression",
                            json_string(out->compression ? out->compression : "zstd"));
        json_array_append_new(a, o);
    }
    json_object_set_new(d, "outputs", a);
    a = json_array();
    for (i = 0; i < s->n_checks; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(s->checks[i].name));
        json_object_set_new(o, "sql", json_string(s->checks[i].sql));
        json_array_append_new(a, o);
    }
    json_object_set_new(d, "checks", a);
    json_object_set_new(d, "foreach", json_integer(s->foreach.kind));
    return d;
}

static void cache_key(struct task *t, char out[DF_SHA256_HEX])
{
    struct df_sha256 *h = df_sha256_new();
    json_t *def = df_task_step_definition(t->s);
    hash_json(h, "step", def);
    json_decref(def);
    df_sha256_update(h, "sql", 4);
    df_sha256_update(h, t->s->sql ? t->s->sql : "", t->s->sql ? strlen(t->s->sql) : 0);
    hash_json(h, "params", t->p->params);
    hash_json(h, "item", t->item);
    hash_json(h, "inputs", t->inputs_rec);
    df_sha256_final(h, out);
}

/* ---- the task -------------------------------------------------------------------------- */

/* Fails with DF_CLASS_INTERRUPTED once df_task_interrupt() was called. */
static int check_interrupt(struct task *t, struct df_error *err)
{
    if (!atomic_load(&interrupted))
        return 0;
    df_error_clear(err);
    df_error_set(err, DF_EFAIL, "interrupted");
    t->cls = DF_CLASS_INTERRUPTED;
    return -1;
}

static int resolve_item(struct task *t, struct df_error *err)
{
    if (df_plan_items(t->p, t->o->step, t->store, t->o->run_id, &t->items, err) != 0)
        return fail_class(t, err->code == DF_EIO      ? DF_CLASS_STORE_ERROR
                             : err->code == DF_EUSAGE ? DF_CLASS_USAGE
                                                      : DF_CLASS_UPSTREAM);
    if (t->o->item_index >= json_array_size(t->items)) {
        df_error_set(err, DF_EUSAGE, "no item %zu (the step has %zu)", t->o->item_index,
                     json_array_size(t->items));
        return fail_class(t, DF_CLASS_USAGE);
    }
    t->item = json_array_get(t->items, t->o->item_index);
    df_item_key(t->o->item_index, t->item_key);
    return 0;
}

/* memory_limit, threads and the spill budget for this task. */
static void size_task(struct task *t)
{
    struct df_host_limits h;
    const char *root = getenv("DUCKFLOW_CGROUP_ROOT");
    const char *slots_env = getenv("DUCKFLOW_TASK_SLOTS");
    long slots = slots_env ? strtol(slots_env, NULL, 10) : 1;
    int64_t free_bytes;

    if (slots < 1)
        slots = 1;
    df_host_limits_read(root && *root ? root : "/sys/fs/cgroup", "/proc/self/cgroup", &h);
    t->memory_limit = t->s->limits.memory_limit;
    if (!t->memory_limit)
        t->memory_limit = df_sizing_memory_limit(h.memory / (uint64_t)slots);
    t->threads = t->s->limits.threads;
    if (!t->threads) {
        t->threads = h.cpus / (int)slots;
        if (t->threads < 1)
            t->threads = 1;
    }
    if (t->o->threads_override > 0)
        t->threads = t->o->threads_override;
    free_bytes = fs_free_bytes(t->scratch);
    t->max_temp = df_sizing_spill_budget(free_bytes > 0 ? (uint64_t)free_bytes : 0);
    /* DuckDB reads 0 as "no room": spilling then fails as spill_full, which a retry
     * elsewhere may fix. */
    if (t->max_temp == 0)
        t->max_temp = 1;
}

static int open_duck(struct task *t, struct df_error *err)
{
    struct df_duck_config cfg = DF_DUCK_CONFIG_INIT;
    const char *k;
    json_t *v;

    cfg.memory_limit = t->memory_limit;
    cfg.threads = t->threads;
    cfg.temp_dir = t->spill_dir;
    cfg.max_temp_size = t->max_temp;
    cfg.keep_order = 0;
    if (df_duck_open(&t->duck, &cfg, err) != 0)
        return fail_class(t, DF_CLASS_CRASH);
    json_object_foreach(t->p->params, k, v)
    {
        if (df_duck_set_variable(&t->duck, k, v, err) != 0)
            return fail_class(t, DF_CLASS_SQL_ERROR);
    }
    if (df_duck_set_variable(&t->duck, "item", t->item, err) != 0)
        return fail_class(t, DF_CLASS_SQL_ERROR);
    {
        json_t *idx = json_integer((json_int_t)t->o->item_index);
        int rc = df_duck_set_variable(&t->duck, "item_index", idx, err);
        json_decref(idx);
        if (rc != 0)
            return fail_class(t, DF_CLASS_SQL_ERROR);
    }
    return 0;
}

static void write_error(struct task *t, const struct df_error *err)
{
    struct df_error e2 = DF_ERROR_INIT;
    json_t *j;
    char *text, *key;

    if (!t->attempt_key || !t->s)
        return;
    j = json_object();
    json_object_set_new(j, "class", json_string(df_exit_class_name(t->cls)));
    json_object_set_new(j, "message", json_string(err->msg));
    json_object_set_new(j, "attempt", json_integer(t->o->attempt));
    json_object_set_new(j, "attempt_dir", json_string(t->attempt_dir));
    json_object_set_new(j, "step", json_string(t->s->name));
    json_object_set_new(j, "item_index", json_integer((json_int_t)t->o->item_index));
    text = json_dumps(j, JSON_COMPACT);
    key = xasprintf("%s/_error.json", t->attempt_key);
    if (text)
        df_store_put_bytes(t->store, key, text, strlen(text), &e2);
    free(key);
    free(text);
    json_decref(j);
}

int df_task_run(const struct df_pipeline *p, struct df_store *store, const struct df_task_opts *o,
                struct df_task_result *res, struct df_error *err)
{
    struct task t;
    struct df_error cleanup_err = DF_ERROR_INIT;
    char started[40], finished[40], key[DF_SHA256_HEX];
    int64_t t0 = df_now_ms(), t_start = 0, t_inputs = 0, t_sql = 0, t_checks = 0, t_write = 0;
    json_t *m = NULL, *timings;
    int rc = -1, have_key = 0;
    size_t i;
    struct df_cache_key ck = {{0}, NULL};

    memset(&t, 0, sizeof(t));
    t.p = p;
    t.store = store;
    t.o = o;
    t.duck = (struct df_duck)DF_DUCK_INIT;
    t.cls = DF_CLASS_OK;
    pthread_mutex_init(&t.mon_lock, NULL);
    pthread_cond_init(&t.mon_wake, NULL);
    atomic_init(&t.spill_peak, 0);
    t.inputs_rec = json_array();
    t.tables = json_object();
    t.uploads = json_array();
    t.to_sync = json_array();
    res->cls = DF_CLASS_OK;
    res->attempt_dir[0] = '\0';
    df_iso_now(started, sizeof(started));

    if (!p || o->step >= p->n_steps || !o->run_id || !df_valid_run_id(o->run_id)) {
        df_error_set(err, DF_EUSAGE, "bad task: no such step or run id");
        fail_class(&t, DF_CLASS_USAGE);
        goto done;
    }
    t.s = &p->steps[o->step];
    if (resolve_item(&t, err) != 0)
        goto done;
    /* The task's identity, before anything runs (engine/cache.h); a hit commits a manifest
     * that lists the earlier run's files, and the task is done. */
    {
        struct df_error ke = DF_ERROR_INIT;
        json_t *src = NULL;
        char *warn = NULL;
        have_key = df_cache_key_compute(p, o->step, o->item_index, t.item, store, o->run_id, NULL,
                                        &ck, &ke) == 0;
        if (have_key && !o->no_cache && df_cache_lookup(store, p, ck.key, &src, &warn, &ke) == 0 &&
            src &&
            df_cache_reuse(store, p, o->run_id, o->step, o->item_index, t.item, src, &ck, NULL,
                           &ke) == 0) {
            json_decref(src);
            rc = 0;
            goto done;
        }
        json_decref(src);
        if (warn)
            fprintf(stderr, "duckflow: warning: %s\n", warn);
        free(warn);
    }

    /* 1. A fresh attempt folder: "<n>-<4 hex>". */
    {
        char hex[8] = {0};
        df_random_hex(hex, 4);
        snprintf(t.attempt_dir, sizeof(t.attempt_dir), "%d-%s", o->attempt > 0 ? o->attempt : 1,
                 hex);
        snprintf(res->attempt_dir, sizeof(res->attempt_dir), "%s", t.attempt_dir);
    }
    t.task_key = df_key_task(p->name, o->run_id, t.s->name, t.item_key);
    t.attempt_key = df_key_attempt(p->name, o->run_id, t.s->name, t.item_key, t.attempt_dir);

    /* 2. Scratch (spill, staging), sizing, DuckDB. */
    sweep_stale_scratch(o->scratch);
    t.scratch = fs_mkdtemp(o->scratch, "duckflow-task", err);
    if (!t.scratch) {
        fail_class(&t, DF_CLASS_CRASH);
        goto done;
    }
    write_owner(t.scratch);
    t.spill_dir = fs_join(t.scratch, "spill");
    {
        char *probe = df_store_local_path(store, t.attempt_key);
        t.local = probe != NULL;
        if (probe) {
            t.out_root = probe;
        } else {
            t.out_root = fs_join(t.scratch, "out");
        }
    }
    size_task(&t);
    if (pthread_create(&t.mon, NULL, spill_monitor, &t) == 0)
        t.mon_started = 1;
    /* 3. Params and item as variables. */
    if (open_duck(&t, err) != 0)
        goto done;
    set_active(t.duck.con);
    t_start = df_now_ms();

    /* 4. One view per input. */
    for (i = 0; i < t.s->n_inputs; i++)
        if (check_interrupt(&t, err) || setup_input(&t, &t.s->inputs[i], err) != 0)
            goto done;
    if (check_interrupt(&t, err) || setup_files_view(&t, err) != 0)
        goto done;
    t_inputs = df_now_ms();

    /* 5. The SQL, then the checks. */
    if (check_interrupt(&t, err))
        goto done;
    if (t.s->sql && df_duck_run_script(&t.duck, t.s->sql, t.s->sql_origin, t.s->sql_line, err)) {
        fail_class(&t, t.duck.last_class);
        goto done;
    }
    t_sql = df_now_ms();
    if (check_interrupt(&t, err) || run_checks(&t, err) != 0)
        goto done;
    t_checks = df_now_ms();

    /* 6. Outputs. */
    for (i = 0; i < t.s->n_outputs; i++)
        if (check_interrupt(&t, err) || write_output(&t, &t.s->outputs[i], err) != 0)
            goto done;
    if (check_interrupt(&t, err) || (!t.local && upload_outputs(&t, err) != 0) ||
        (t.local && sync_outputs(&t, err) != 0))
        goto done;
    t_write = df_now_ms();
    if (check_interrupt(&t, err))
        goto done;

    /* 7. The manifest, last. */
    if (have_key)
        snprintf(key, sizeof(key), "%s", ck.key);
    else
        cache_key(&t, key);
    df_iso_now(finished, sizeof(finished));
    if (t.mon_started)
        stop_monitor(&t);
    m = json_object();
    json_object_set_new(m, "format", json_integer(1));
    json_object_set_new(m, "pipeline", json_string(p->name));
    json_object_set_new(m, "run", json_string(o->run_id));
    json_object_set_new(m, "step", json_string(t.s->name));
    json_object_set_new(m, "item_index", json_integer((json_int_t)o->item_index));
    json_object_set_new(m, "item_key", json_string(t.item_key));
    json_object_set(m, "item", t.item);
    json_object_set_new(m, "attempt", json_integer(o->attempt > 0 ? o->attempt : 1));
    json_object_set_new(m, "attempt_dir", json_string(t.attempt_dir));
    json_object_set_new(m, "exit_class", json_string(df_exit_class_name(DF_CLASS_OK)));
    json_object_set_new(m, "cache_key", json_string(key));
    if (have_key)
        json_object_set(m, "cache_parts", ck.parts);
    json_object_set_new(m, "spec_hash", json_string(p->spec_hash));
    json_object_set_new(m, "started_at", json_string(started));
    json_object_set_new(m, "finished_at", json_string(finished));
    timings = json_object();
    json_object_set_new(timings, "start", json_integer(t_start - t0));
    json_object_set_new(timings, "inputs", json_integer(t_inputs - t_start));
    json_object_set_new(timings, "sql", json_integer(t_sql - t_inputs));
    json_object_set_new(timings, "checks", json_integer(t_checks - t_sql));
    json_object_set_new(timings, "write", json_integer(t_write - t_checks));
    json_object_set_new(timings, "total", json_integer(df_now_ms() - t0));
    json_object_set_new(m, "timings_ms", timings);
    json_object_set_new(m, "peak_rss_bytes", json_integer((json_int_t)df_peak_rss_self()));
    json_object_set_new(m, "memory_limit", json_integer((json_int_t)t.memory_limit));
    json_object_set_new(m, "threads", json_integer(t.threads));
    json_object_set_new(m, "spilled_bytes", json_integer((json_int_t)atomic_load(&t.spill_peak)));
    json_object_set(m, "inputs", t.inputs_rec);
    json_object_set(m, "tables", t.tables);
    if (df_manifest_commit(store, p->name, o->run_id, t.s->name, t.item_key, m, err) != 0) {
        if (err->code != DF_EIO)
            err->code = DF_EIO;
        fail_class(&t, DF_CLASS_STORE_ERROR);
        goto done;
    }
    rc = 0;
    /* After the commit: the entry that lets later runs reuse this task. */
    if (have_key) {
        struct df_error ce = DF_ERROR_INIT;
        if (df_cache_entry_write(store, m, &ce) != 0)
            fprintf(stderr, "duckflow: warning: %s\n", ce.msg);
    }

done:
    set_active(NULL);
    if (t.mon_started)
        stop_monitor(&t);
    pthread_cond_destroy(&t.mon_wake);
    pthread_mutex_destroy(&t.mon_lock);
    if (rc != 0 || !o->leave_open)
        df_duck_close(&t.duck);
    if (rc != 0) {
        /* Whatever failed after an interrupt failed because of it. */
        if (atomic_load(&interrupted))
            t.cls = DF_CLASS_INTERRUPTED;
        if (t.cls == DF_CLASS_OK)
            t.cls = DF_CLASS_CRASH;
        if (t.s)
            df_error_prefix(err, "step '%s' item %zu", t.s->name, o->item_index);
        /* The store's code says "store", everything else that failed is the task's. */
        if (t.cls == DF_CLASS_STORE_ERROR)
            err->code = DF_EIO;
        else if (t.cls == DF_CLASS_USAGE)
            err->code = DF_EUSAGE;
        else
            err->code = DF_EFAIL;
        write_error(&t, err);
        res->cls = t.cls;
    }
    if (t.scratch)
        fs_remove_tree(t.scratch, &cleanup_err);
    free(t.scratch);
    free(t.spill_dir);
    free(t.out_root);
    free(t.task_key);
    free(t.attempt_key);
    json_decref(t.items);
    json_decref(t.inputs_rec);
    json_decref(t.tables);
    json_decref(t.uploads);
    json_decref(t.to_sync);
    json_decref(m);
    df_cache_key_release(&ck);
    return rc;
}

int df_task_query_inputs(const struct df_pipeline *p, size_t step, struct df_store *store,
                         const char *run_id, const char *sql, json_t **rows, struct df_error *err)
{
    struct task t;
    struct df_task_opts o;
    struct df_error cleanup_err = DF_ERROR_INIT;
    int rc = -1;

    *rows = NULL;
    memset(&t, 0, sizeof(t));
    memset(&o, 0, sizeof(o));
    o.run_id = run_id;
    o.step = step;
    o.attempt = 1;
    t.p = p;
    t.s = &p->steps[step];
    t.store = store;
    t.o = &o;
    t.duck = (struct df_duck)DF_DUCK_INIT;
    t.item = json_null();
    df_item_key(0, t.item_key);
    t.inputs_rec = json_array();
    t.tables = json_object();
    t.uploads = json_array();
    t.to_sync = json_array();
    t.scratch = fs_mkdtemp(NULL, "duckflow-items", err);
    if (!t.scratch)
        goto done;
    t.spill_dir = fs_join(t.scratch, "spill");
    {
        char *probe = df_store_local_path(store, "probe");
        t.local = probe != NULL;
        free(probe);
    }
    size_task(&t);
    if (open_duck(&t, err) != 0)
        goto done;
    for (size_t i = 0; i < t.s->n_inputs; i++)
        if (setup_input(&t, &t.s->inputs[i], err) != 0)
            goto done;
    rc = df_duck_query_json(&t.duck, sql, 0, rows, err);
    if (rc != 0)
        df_error_prefix(err, "%s:%d: foreach rows", p->path, t.s->foreach.loc.line);
done:
    if (rc != 0 && err->code != DF_EIO)
        err->code = t.cls == DF_CLASS_STORE_ERROR ? DF_EIO : DF_EFAIL;
    df_duck_close(&t.duck);
    if (t.scratch)
        fs_remove_tree(t.scratch, &cleanup_err);
    free(t.scratch);
    free(t.spill_dir);
    json_decref(t.item);
    json_decref(t.items);
    json_decref(t.inputs_rec);
    json_decref(t.tables);
    json_decref(t.uploads);
    json_decref(t.to_sync);
    return rc;
}
