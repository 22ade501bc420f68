/*
 * owner.c - the run's owner record (see owner.h): generations created with conditional
 * writes, a heartbeat, and the rules for taking over a stale owner.
 */
#include "exec/owner.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "store/layout.h"
#include "util/strbuf.h"
#include "util/timeutil.h"
#include "util/banned.h"

#define OWNER_MAX       ((size_t)1 << 16)
#define GEN_MAX         999999
#define DEFAULT_STALE_S 60

struct df_owner {
    struct df_store *s;
    char *key;
    json_t *rec;
    int64_t last_beat;
    int beat_failed; /* a heartbeat could not be written: warned once */
};

static int64_t wall_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static int64_t stale_ms(void)
{
    const char *e = getenv("DUCKFLOW_OWNER_STALE_S");
    long v = e && *e ? strtol(e, NULL, 10) : DEFAULT_STALE_S;
    return (v > 0 ? v : DEFAULT_STALE_S) * 1000;
}

static void hostname(char *out, size_t n)
{
    if (gethostname(out, n) != 0)
        snprintf(out, n, "unknown");
    out[n - 1] = '\0';
}

struct scan {
    size_t plen;
    long gen;
};

static int scan_cb(const char *key, uint64_t size, void *ud)
{
    struct scan *sc = ud;
    char *end;
    long g;
    (void)size;
    g = strtol(key + sc->plen, &end, 10);
    if (end != key + sc->plen && !strcmp(end, ".json") && g > sc->gen && g <= GEN_MAX)
        sc->gen = g;
    return 0;
}

static char *gen_key(const char *run_key, long gen)
{
    return xasprintf("%s/_owner-%06ld.json", run_key, gen);
}

/* Why the record does not hold the run any more (NULL: it does). */
static const char *not_live(json_t *rec)
{
    char host[256];
    const char *h = json_string_value(json_object_get(rec, "host"));
    json_int_t pid = json_integer_value(json_object_get(rec, "pid"));
    json_int_t beat = json_integer_value(json_object_get(rec, "heartbeat_ms"));

    if (!json_is_object(rec))
        return "damaged";
    if (json_is_true(json_object_get(rec, "released")))
        return "released";
    hostname(host, sizeof(host));
    if (h && !strcmp(h, host) && pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH)
        return "its process is gone";
    if (wall_ms() - beat > stale_ms())
        return "its heartbeat is stale";
    return NULL;
}

/* 1 when the record is this process's (same host and pid). */
static int is_mine(json_t *rec)
{
    char host[256];
    const char *h = json_string_value(json_object_get(rec, "host"));
    hostname(host, sizeof(host));
    return h && !strcmp(h, host) &&
           json_integer_value(json_object_get(rec, "pid")) == (json_int_t)getpid();
}

static json_t *new_record(long gen)
{
    char host[256], now[40];
    json_t *r = json_object();
    hostname(host, sizeof(host));
    df_iso_now(now, sizeof(now));
    json_object_set_new(r, "format", json_integer(1));
    json_object_set_new(r, "generation", json_integer(gen));
    json_object_set_new(r, "host", json_string(host));
    json_object_set_new(r, "pid", json_integer((json_int_t)getpid()));
    json_object_set_new(r, "acquired_at", json_string(now));
    json_object_set_new(r, "heartbeat_at", json_string(now));
    json_object_set_new(r, "heartbeat_ms", json_integer((json_int_t)wall_ms()));
    json_object_set_new(r, "released", json_false());
    return r;
}

static int put_record(struct df_store *s, const char *key, json_t *rec, int create,
                      struct df_error *err)
{
    char *text = json_dumps(rec, JSON_COMPACT);
    int rc = create ? df_store_put_bytes_new(s, key, text, strlen(text), err)
                    : df_store_put_bytes(s, key, text, strlen(text), err);
    free(text);
    return rc;
}

int df_owner_acquire(struct df_store *s, const char *pipeline, const char *run, int fresh,
                     struct df_owner **out, int *found_any, struct df_error *err)
{
    char *run_key = df_key_run(pipeline, run);
    char *prefix = xasprintf("%s/_owner-", run_key);
    int rc = -1;

    *out = NULL;
    *found_any = 0;
    for (int tries = 0; tries < 5; tries++) {
        struct scan sc = {strlen(prefix), 0};
        json_t *cur = NULL, *rec;
        char *key;

        /* A new run has no owner yet: no listing, generation 1 at once. */
        if ((!fresh || tries > 0) && df_store_list(s, prefix, scan_cb, &sc, err) != 0)
            goto out;
        if (sc.gen > 0) {
            char *data = NULL;
            size_t len = 0;
            *found_any = 1;
            key = gen_key(run_key, sc.gen);
            if (df_store_get_bytes(s, key, OWNER_MAX, &data, &len, err) == 0)
                cur = json_loadb(data, len, 0, NULL);
            else if (err->code != DF_ENOTFOUND) {
                free(key);
                goto out;
            }
            df_error_clear(err);
            free(data);
            free(key);
            if (cur && is_mine(cur) && !json_is_true(json_object_get(cur, "released"))) {
                /* Our own create, whose answer was lost and retried into a 412. */
                struct df_owner *o = xcalloc(1, sizeof(*o));
                o->s = s;
                o->key = gen_key(run_key, sc.gen);
                o->rec = cur;
                o->last_beat = 0;
                *out = o;
                rc = 0;
                goto out;
            }
            if (cur && !not_live(cur)) {
                json_int_t beat = json_integer_value(json_object_get(cur, "heartbeat_ms"));
                df_error_set(err, DF_EUSAGE,
                             "run '%s' is driven by pid %" JSON_INTEGER_FORMAT
                             " on host '%s' (heartbeat %" JSON_INTEGER_FORMAT
                             "s ago); wait for it, or stop it and resume",
                             run, json_integer_value(json_object_get(cur, "pid")),
                             json_string_value(json_object_get(cur, "host"))
                                 ? json_string_value(json_object_get(cur, "host"))
                                 : "?",
                             (json_int_t)((wall_ms() - beat) / 1000));
                json_decref(cur);
                goto out;
            }
            json_decref(cur);
        }
        if (sc.gen >= GEN_MAX) {
            df_error_set(err, DF_EIO, "run '%s' has too many owner records", run);
            goto out;
        }
        rec = new_record(sc.gen + 1);
        key = gen_key(run_key, sc.gen + 1);
        if (put_record(s, key, rec, 1, err) == 0) {
            struct df_owner *o = xcalloc(1, sizeof(*o));
            o->s = s;
            o->key = key;
            o->rec = rec;
            o->last_beat = df_now_ms();
            *out = o;
            rc = 0;
            goto out;
        }
        free(key);
        json_decref(rec);
        if (err->code != DF_EEXIST)
            goto out;
        /* Another executor created that generation first: look at it again. */
        df_error_clear(err);
    }
    df_error_set(err, DF_EUSAGE, "run '%s': another executor keeps taking it over", run);
out:
    free(prefix);
    free(run_key);
    return rc;
}

void df_owner_heartbeat(struct df_owner *o, int64_t now_ms)
{
    struct df_error err = DF_ERROR_INIT;
    char now[40];

    if (!o || now_ms - o->last_beat < DF_OWNER_HEARTBEAT_MS)
        return;
    df_iso_now(now, sizeof(now));
    json_object_set_new(o->rec, "heartbeat_at", json_string(now));
    json_object_set_new(o->rec, "heartbeat_ms", json_integer((json_int_t)wall_ms()));
    if (put_record(o->s, o->key, o->rec, 0, &err) != 0 && !o->beat_failed) {
        /* Not fatal (the run goes on), but not silent: a stale heartbeat lets other
         * commands (gc, --resume) take the run for abandoned. */
        fprintf(stderr,
                "duckflow: warning: cannot renew the run's owner record '%s': %s; while it is "
                "not renewed, other commands may take the run for abandoned\n",
                o->key, err.msg);
        o->beat_failed = 1;
    }
    o->last_beat = now_ms;
}

void df_owner_release(struct df_owner *o)
{
    struct df_error err = DF_ERROR_INIT;

    if (!o)
        return;
    json_object_set_new(o->rec, "released", json_true());
    put_record(o->s, o->key, o->rec, 0, &err);
    json_decref(o->rec);
    free(o->key);
    free(o);
}
