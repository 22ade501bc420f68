/*
 * argo_section.c - the pipeline file's `argo:` section (spec keeps it as JSON with the
 * position of every value) as `duckflow argo` options: each option the command line did
 * not give is taken from the section, and checked as the flag would be, so a bad value is
 * refused with exit 2 naming FILE:LINE:COL and the key. Flags win, option by option.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argo/argo_internal.h"
#include "util/timeutil.h"

#include "util/banned.h"

struct sec {
    const struct df_pipeline *p;
    struct df_argo_owned *own;
    struct df_error *err;
};

static void *keep(struct df_argo_owned *own, void *ptr)
{
    own->v = xrealloc(own->v, (own->n + 1) * sizeof(*own->v));
    own->v[own->n++] = ptr;
    return ptr;
}

/* "FILE:LINE:COL: argo.KEY: " + the message, at the value of `at` in the section's
 * positions (an entry "labels.team", else the key, else the section), or at its key when
 * key_pos is set and the position has one. */
static int vfail_at(struct sec *s, const char *at_key, int key_pos, const char *key,
                    const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));
static int vfail_at(struct sec *s, const char *at_key, int key_pos, const char *key,
                    const char *fmt, va_list ap)
{
    const json_t *at = json_object_get(s->p->argo_locs, at_key);
    struct strbuf sb = STRBUF_INIT;
    size_t k = key_pos && json_array_size(at) >= 4 ? 2 : 0;

    if (!at)
        at = json_object_get(s->p->argo_locs, key);
    if (!at)
        at = json_object_get(s->p->argo_locs, "");
    sb_addf(&sb, "%s:%lld:%lld: argo.%s: ", s->p->path,
            (long long)json_integer_value(json_array_get(at, k)),
            (long long)json_integer_value(json_array_get(at, k + 1)), at_key);
    sb_vaddf(&sb, fmt, ap);
    df_error_set(s->err, DF_EUSAGE, "%s", sb.buf);
    sb_release(&sb);
    return -1;
}

static int fail(struct sec *s, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct sec *s, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail_at(s, key, 0, key, fmt, ap);
    va_end(ap);
    return -1;
}

/* At one entry of key's map ("labels.team") or list ("tolerations.1"). */
static int fail_entry(struct sec *s, const char *key, const char *entry, int key_pos,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int fail_entry(struct sec *s, const char *key, const char *entry, int key_pos,
                      const char *fmt, ...)
{
    char *at = xasprintf("%s.%s", key, entry);
    va_list ap;
    va_start(ap, fmt);
    vfail_at(s, at, key_pos, key, fmt, ap);
    va_end(ap);
    free(at);
    return -1;
}

static int fail_index(struct sec *s, const char *key, size_t i, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail_index(struct sec *s, const char *key, size_t i, const char *fmt, ...)
{
    char *at = xasprintf("%s.%zu", key, i);
    va_list ap;
    va_start(ap, fmt);
    vfail_at(s, at, 0, key, fmt, ap);
    va_end(ap);
    free(at);
    return -1;
}

static const char *want_string(struct sec *s, const char *key, const json_t *v)
{
    if (!json_is_string(v)) {
        fail(s, key, "expected a string");
        return NULL;
    }
    return json_string_value(v);
}

/* Seconds from a duration ("90s", "2h") or a whole number of seconds. */
static int want_seconds(struct sec *s, const char *key, const json_t *v, int64_t *out)
{
    int64_t ms;
    if (json_is_integer(v) && json_integer_value(v) >= 1) {
        *out = json_integer_value(v);
        return 0;
    }
    if (json_is_string(v) && df_parse_duration(json_string_value(v), &ms) == 0 && ms >= 1000) {
        *out = (ms + 999) / 1000;
        return 0;
    }
    return fail(s, key, "expected a duration of a second or more (e.g. 90s, 2h) or seconds");
}

/* A map of strings as key-value pairs. */
static int want_kvs(struct sec *s, const char *key, const json_t *v, const struct df_argo_kv **out,
                    size_t *n)
{
    struct df_argo_kv *kv;
    const char *k;
    json_t *x;
    size_t i = 0;

    if (!json_is_object(v))
        return fail(s, key, "expected a mapping of names to strings");
    kv = keep(s->own, xcalloc(json_object_size(v) + 1, sizeof(*kv)));
    json_object_foreach((json_t *)v, k, x)
    {
        struct df_error e = DF_ERROR_INIT;
        int bad;
        if (!json_is_string(x))
            return fail_entry(s, key, k, 0, "'%s' is not a string (quote numbers and booleans)", k);
        kv[i].key = k;
        kv[i].value = json_string_value(x);
        /* Labels and node selectors have label values; annotations any text. */
        bad = ag_kv_check(!strcmp(key, "labels")         ? "label"
                          : !strcmp(key, "nodeSelector") ? "node selector"
                                                         : "annotation",
                          &kv[i], strcmp(key, "annotations") != 0, &e);
        if (bad)
            return fail_entry(s, key, k, bad == -1, "%s", e.msg);
        i++;
    }
    *out = kv;
    *n = i;
    return 0;
}

/* One entry of a list key: entry i's text in *text, or -1 once reported. */
typedef int (*entry_fn)(struct sec *s, const char *key, size_t i, json_t *x, const char **text);

/* A list key whose entries fn turns into strings (NULL-terminated list in *out). */
static int want_list(struct sec *s, const char *key, const json_t *v, entry_fn fn,
                     const char *const **out, size_t *n)
{
    const char **list;
    size_t i;
    json_t *x;

    if (!json_is_array(v))
        return fail(s, key, "expected a list");
    list = keep(s->own, xcalloc(json_array_size(v) + 1, sizeof(*list)));
    json_array_foreach(v, i, x)
    {
        if (fn(s, key, i, x, &list[i]))
            return -1;
    }
    *out = list;
    *n = json_array_size(v);
    return 0;
}

/* A name (or a {name: ...} object, as Kubernetes writes imagePullSecrets). */
static int name_entry(struct sec *s, const char *key, size_t i, json_t *x, const char **text)
{
    struct df_argo_opts one;
    struct df_error e = DF_ERROR_INIT;

    if (json_is_object(x) && json_is_string(json_object_get(x, "name")))
        x = json_object_get(x, "name");
    if (!json_is_string(x))
        return fail_index(s, key, i, "entry %zu is not a name", i + 1);
    *text = json_string_value(x);
    memset(&one, 0, sizeof(one));
    one.pull_secrets = text;
    one.n_pull_secrets = 1;
    if (ag_cluster_check(&one, &e))
        return fail_index(s, key, i, "%s", e.msg);
    return 0;
}

/* A toleration object {key, operator, value, effect} as the flag's text. */
static const char *toleration_text(struct sec *s, const json_t *x)
{
    const char *k = json_string_value(json_object_get(x, "key"));
    const char *v = json_string_value(json_object_get(x, "value"));
    const char *e = json_string_value(json_object_get(x, "effect"));
    const char *op = json_string_value(json_object_get(x, "operator"));
    if (!k || (op && strcmp(op, v ? "Equal" : "Exists")))
        return NULL;
    return keep(s->own,
                xasprintf("%s%s%s%s%s", k, v ? "=" : "", v ? v : "", e ? ":" : "", e ? e : ""));
}

/* A toleration: the flag's text or an object. */
static int toleration_entry(struct sec *s, const char *key, size_t i, json_t *x, const char **text)
{
    struct df_error e = DF_ERROR_INIT;
    json_t *t;

    *text = json_is_string(x)   ? json_string_value(x)
            : json_is_object(x) ? toleration_text(s, x)
                                : NULL;
    if (!*text)
        return fail_index(s, key, i, "entry %zu is not key=value:Effect or {key, value, effect}",
                          i + 1);
    if (!(t = df_argo_toleration(*text, &e)))
        return fail_index(s, key, i, "%s", e.msg);
    json_decref(t);
    return 0;
}

/* Checks one option alone (o holds nothing else) with the flags' checks. */
static int check_alone(struct sec *s, const char *key, const struct df_argo_opts *alone)
{
    struct df_error e = DF_ERROR_INIT;
    if (ag_cluster_check(alone, &e))
        return fail(s, key, "%s", e.msg);
    return 0;
}

/* A map-of-strings key (nodeSelector, labels, annotations): checked alone (a holds it in
 * a_kv/a_n and nothing else), then taken into o_kv/o_n unless a flag gave that option. */
static int take_kvs(struct sec *s, const char *key, const json_t *v, const struct df_argo_opts *a,
                    const struct df_argo_kv **a_kv, size_t *a_n, const struct df_argo_kv **o_kv,
                    size_t *o_n)
{
    if (want_kvs(s, key, v, a_kv, a_n) || check_alone(s, key, a))
        return -1;
    if (!*o_n) {
        *o_kv = *a_kv;
        *o_n = *a_n;
    }
    return 0;
}

/* take_kvs's last four arguments for option FIELD (with its count n_FIELD); in take(). */
#define TAKE_KVS_FIELD(field) &a.field, &a.n_##field, &o->field, &o->n_##field

static int take(struct sec *s, const char *key, const json_t *v, struct df_argo_opts *o)
{
    struct df_argo_opts a;
    memset(&a, 0, sizeof(a));
    a.kind = o->kind;

    if (!strcmp(key, "namespace")) {
        if (!(a.namespace_ = want_string(s, key, v)) || check_alone(s, key, &a))
            return -1;
        if (!o->namespace_)
            o->namespace_ = a.namespace_;
    } else if (!strcmp(key, "serviceAccountName")) {
        if (!(a.service_account = want_string(s, key, v)) || check_alone(s, key, &a))
            return -1;
        if (!o->service_account)
            o->service_account = a.service_account;
    } else if (!strcmp(key, "priorityClassName")) {
        if (!(a.priority_class = want_string(s, key, v)) || check_alone(s, key, &a))
            return -1;
        if (!o->priority_class)
            o->priority_class = a.priority_class;
    } else if (!strcmp(key, "nodeSelector")) {
        return take_kvs(s, key, v, &a, TAKE_KVS_FIELD(node_selector));
    } else if (!strcmp(key, "labels")) {
        return take_kvs(s, key, v, &a, TAKE_KVS_FIELD(labels));
    } else if (!strcmp(key, "annotations")) {
        return take_kvs(s, key, v, &a, TAKE_KVS_FIELD(annotations));
    } else if (!strcmp(key, "imagePullSecrets")) {
        if (want_list(s, key, v, name_entry, &a.pull_secrets, &a.n_pull_secrets) ||
            check_alone(s, key, &a))
            return -1;
        if (!o->n_pull_secrets) {
            o->pull_secrets = a.pull_secrets;
            o->n_pull_secrets = a.n_pull_secrets;
        }
    } else if (!strcmp(key, "tolerations")) {
        if (want_list(s, key, v, toleration_entry, &a.tolerations, &a.n_tolerations))
            return -1;
        if (!o->n_tolerations) {
            o->tolerations = a.tolerations;
            o->n_tolerations = a.n_tolerations;
        }
    } else if (!strcmp(key, "affinity")) {
        const char *k;
        json_t *x;
        if (!json_is_object(v))
            return fail(s, key, "expected a mapping (nodeAffinity, podAffinity, podAntiAffinity)");
        json_object_foreach((json_t *)v, k, x)
        {
            if (strcmp(k, "nodeAffinity") && strcmp(k, "podAffinity") &&
                strcmp(k, "podAntiAffinity"))
                return fail_entry(s, key, k, 1,
                                  "unknown field '%s' (allowed: nodeAffinity, podAffinity, "
                                  "podAntiAffinity)",
                                  k);
            if (!json_is_object(x))
                return fail_entry(s, key, k, 0, "%s is not a mapping", k);
        }
        if (!o->affinity)
            o->affinity = v;
    } else if (!strcmp(key, "podGC")) {
        const json_t *st = json_is_object(v) ? json_object_get(v, "strategy") : v;
        if (json_is_object(v) && json_object_size(v) != 1)
            return fail(s, key, "expected a strategy, or {strategy: ...}");
        if (!(a.pod_gc = want_string(s, key, st)) || check_alone(s, key, &a))
            return -1;
        if (!o->pod_gc)
            o->pod_gc = a.pod_gc;
    } else if (!strcmp(key, "ttlStrategy")) {
        /* A duration (secondsAfterCompletion), or any of Argo's three fields. */
        static const char *const fields[] = {"secondsAfterCompletion", "secondsAfterSuccess",
                                             "secondsAfterFailure"};
        int64_t *dst[] = {&o->ttl_seconds, &o->ttl_success, &o->ttl_failure};
        int64_t sec[3] = {0, 0, 0};
        if (!json_is_object(v)) {
            if (want_seconds(s, key, v, &sec[0]))
                return -1;
        } else {
            const char *k;
            json_t *x;
            if (json_object_size(v) == 0)
                return fail(s, key,
                            "expected a duration, or some of secondsAfterCompletion, "
                            "secondsAfterSuccess, secondsAfterFailure");
            json_object_foreach((json_t *)v, k, x)
            {
                size_t f = 0;
                while (f < 3 && strcmp(k, fields[f]))
                    f++;
                if (f == 3)
                    return fail_entry(s, key, k, 1,
                                      "unknown field '%s' (allowed: secondsAfterCompletion, "
                                      "secondsAfterSuccess, secondsAfterFailure)",
                                      k);
                char *sub = xasprintf("%s.%s", key, k);
                int r = want_seconds(s, sub, x, &sec[f]);
                free(sub);
                if (r)
                    return -1;
            }
        }
        for (size_t f = 0; f < 3; f++)
            if (sec[f] && !*dst[f])
                *dst[f] = sec[f];
    } else if (!strcmp(key, "on_success") || !strcmp(key, "on_failure")) {
        int success = !strcmp(key, "on_success");
        const char *ref = want_string(s, key, v);
        const char **dst = success ? &o->on_success : &o->on_failure;
        if (!ref)
            return -1;
        *(success ? &a.on_success : &a.on_failure) = ref;
        if (check_alone(s, key, &a))
            return -1;
        if (!*dst)
            *dst = ref;
    } else if (!strcmp(key, "metrics")) {
        if (!json_is_boolean(v))
            return fail(s, key, "expected true or false");
        if (!o->metrics)
            o->metrics = json_is_true(v);
    } else if (!strcmp(key, "activeDeadlineSeconds") || !strcmp(key, "startingDeadlineSeconds")) {
        int64_t sec;
        if (want_seconds(s, key, v, &sec))
            return -1;
        /* The CronWorkflow's keys are checked always and used with --cron only. */
        int64_t *dst = key[0] == 'a' ? &o->deadline_seconds : &o->starting_deadline_seconds;
        if (!*dst && (key[0] == 'a' || o->kind == DF_ARGO_CRON))
            *dst = sec;
    } else if (!strcmp(key, "parallelism") || !strcmp(key, "historyLimit")) {
        int par = key[0] == 'p';
        json_int_t n = json_integer_value(v);
        if (!json_is_integer(v) || n < 1 || n > (par ? 1000000 : 1000))
            return fail(s, key, "expected a whole number from 1 to %d", par ? 1000000 : 1000);
        int *dst = par ? &o->parallelism : &o->history_limit;
        if (!*dst && (par || o->kind == DF_ARGO_CRON))
            *dst = (int)n;
    } else if (!strcmp(key, "synchronization")) {
        const json_t *m = json_object_get(v, "mutex"), *sem = json_object_get(v, "semaphore");
        if (!json_is_object(v) || json_object_size(v) != 1 || (!m && !sem))
            return fail(s, key, "expected {mutex: NAME} or {semaphore: CONFIGMAP:KEY}");
        if (m && !(a.mutex = want_string(s, key, m)))
            return -1;
        if (sem && !(a.semaphore = want_string(s, key, sem)))
            return -1;
        if (check_alone(s, key, &a))
            return -1;
        if (!o->mutex && !o->semaphore) {
            o->mutex = a.mutex;
            o->semaphore = a.semaphore;
        }
    } else if (!strcmp(key, "timezone")) {
        if (!(a.timezone = want_string(s, key, v)) || check_alone(s, key, &a))
            return -1;
        if (!o->timezone && o->kind == DF_ARGO_CRON)
            o->timezone = a.timezone;
    } else if (!strcmp(key, "concurrencyPolicy")) {
        a.kind = DF_ARGO_CRON;
        if (!(a.concurrency_policy = want_string(s, key, v)) || check_alone(s, key, &a))
            return -1;
        if (!o->concurrency_policy && o->kind == DF_ARGO_CRON)
            o->concurrency_policy = a.concurrency_policy;
    }
    return 0;
}

int df_argo_apply_section(const struct df_pipeline *p, struct df_argo_opts *o,
                          struct df_argo_owned *own, struct df_error *err)
{
    struct sec s = {p, own, err};
    const char *key;
    json_t *v;

    if (!p->argo)
        return 0;
    json_object_foreach(p->argo, key, v)
    {
        if (json_is_null(v))
            continue;
        if (take(&s, key, v, o))
            return -1;
    }
    return 0;
}

void df_argo_owned_release(struct df_argo_owned *own)
{
    for (size_t i = 0; i < own->n; i++)
        free(own->v[i]);
    free(own->v);
    own->v = NULL;
    own->n = 0;
}
