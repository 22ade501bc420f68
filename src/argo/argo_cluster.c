/*
 * argo_cluster.c - the cluster operator's options of a manifest (pod GC, TTL, deadline,
 * image pull secrets, priority class, labels and annotations, synchronization, CronWorkflow
 * history and deadlines): each checked against Kubernetes' and Argo's rules before it is
 * written, so a bad value is refused at compile time (exit 2 naming it), not by the API
 * server (see argo.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "argo/argo_internal.h"
#include "util/fs.h"
#include "util/timeutil.h"

#include "util/banned.h"

static int is_alnum_lower(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* A DNS-1123 subdomain: lower-case alphanumerics, '-' and '.', at most 253 characters,
 * each dot-separated label starting and ending alphanumeric. */
static int dns_subdomain(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 253)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int edge = i == 0 || i == n - 1 || s[i - 1] == '.' || s[i + 1] == '.';
        if (c == '.' ? (i == 0 || i == n - 1 || s[i - 1] == '.')
                     : !(is_alnum_lower(c) || (c == '-' && !edge)))
            return 0;
    }
    return 1;
}

static int is_alnum(char c)
{
    return is_alnum_lower(c) || (c >= 'A' && c <= 'Z');
}

/* A label value (or a qualified name's name part when name is set): at most 63 of
 * [A-Za-z0-9-_.], starting and ending alphanumeric; a value may be empty. */
static int label_value(const char *s, int name)
{
    size_t n = strlen(s);
    if (n == 0)
        return !name;
    if (n > 63 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
            return 0;
    return 1;
}

/* A label or annotation key: [prefix/]name, prefix a DNS subdomain. */
static int label_key(const char *k)
{
    const char *slash = strrchr(k, '/');
    if (slash) {
        char *prefix = xstrndup(k, (size_t)(slash - k));
        int ok = dns_subdomain(prefix);
        free(prefix);
        if (!ok)
            return 0;
        k = slash + 1;
    }
    return label_value(k, 1);
}

int ag_kv_check(const char *what, const struct df_argo_kv *kv, int values, struct df_error *err)
{
    if (!label_key(kv->key)) {
        df_error_set(err, DF_EUSAGE,
                     "%s key '%s' is not a Kubernetes qualified name ([prefix/]name, name at "
                     "most 63 of A-Z a-z 0-9 - _ .)",
                     what, kv->key);
        return -1;
    }
    if (values && !label_value(kv->value, 0)) {
        df_error_set(err, DF_EUSAGE,
                     "%s '%s': value '%s' is not a label value (at most 63 of A-Z a-z 0-9 - _ "
                     "., starting and ending alphanumeric)",
                     what, kv->key, kv->value);
        return -2;
    }
    return 0;
}

static int kvs_check(const char *what, const struct df_argo_kv *kv, size_t n, int values,
                     struct df_error *err)
{
    for (size_t i = 0; i < n; i++)
        if (ag_kv_check(what, &kv[i], values, err))
            return -1;
    return 0;
}

int ag_k8s_name(const char *s)
{
    return dns_subdomain(s);
}

int ag_cluster_check(const struct df_argo_opts *o, struct df_error *err)
{
    for (size_t i = 0; i < o->n_schedules; i++)
        if (ag_cron_check(o->schedules[i], err))
            return -1;
    if (o->timezone && ag_timezone_check(o->timezone, err))
        return -1;
    static const char *const gc[] = {"OnPodCompletion", "OnPodSuccess", "OnWorkflowCompletion",
                                     "OnWorkflowSuccess", NULL};
    if (o->pod_gc) {
        int ok = 0;
        for (size_t i = 0; gc[i]; i++)
            ok |= !strcmp(o->pod_gc, gc[i]);
        if (!ok)
            return df_error_set(err, DF_EUSAGE,
                                "pod GC strategy '%s' is not OnPodCompletion, OnPodSuccess, "
                                "OnWorkflowCompletion or OnWorkflowSuccess",
                                o->pod_gc);
    }
    for (size_t i = 0; i < o->n_pull_secrets; i++)
        if (!dns_subdomain(o->pull_secrets[i]))
            return df_error_set(err, DF_EUSAGE,
                                "image pull secret '%s' is not a Kubernetes name (DNS-1123 "
                                "subdomain)",
                                o->pull_secrets[i]);
    if (o->priority_class && !dns_subdomain(o->priority_class))
        return df_error_set(err, DF_EUSAGE, "priority class '%s' is not a Kubernetes name",
                            o->priority_class);
    if (o->service_account && !dns_subdomain(o->service_account))
        return df_error_set(err, DF_EUSAGE, "service account '%s' is not a Kubernetes name",
                            o->service_account);
    if (o->s3_secret && !dns_subdomain(o->s3_secret))
        return df_error_set(err, DF_EUSAGE, "secret '%s' is not a Kubernetes name", o->s3_secret);
    if (o->namespace_ &&
        (!dns_subdomain(o->namespace_) || strchr(o->namespace_, '.') || strlen(o->namespace_) > 63))
        return df_error_set(err, DF_EUSAGE, "namespace '%s' is not a DNS-1123 label",
                            o->namespace_);
    if (kvs_check("label", o->labels, o->n_labels, 1, err) ||
        kvs_check("annotation", o->annotations, o->n_annotations, 0, err) ||
        kvs_check("node selector", o->node_selector, o->n_node_selector, 1, err))
        return -1;
    if (o->mutex && !label_value(o->mutex, 1))
        return df_error_set(err, DF_EUSAGE, "mutex name '%s' is not a Kubernetes name", o->mutex);
    if (o->semaphore) {
        const char *colon = strchr(o->semaphore, ':');
        char *cm = colon ? xstrndup(o->semaphore, (size_t)(colon - o->semaphore)) : NULL;
        int ok = cm && dns_subdomain(cm) && label_value(colon + 1, 1);
        free(cm);
        if (!ok)
            return df_error_set(err, DF_EUSAGE,
                                "semaphore '%s' is not CONFIGMAP:KEY (a ConfigMap name and "
                                "one of its keys)",
                                o->semaphore);
    }
    if (ag_hook_check("on-success", o->on_success, err) ||
        ag_hook_check("on-failure", o->on_failure, err))
        return -1;
    if (o->mutex && o->semaphore)
        return df_error_set(err, DF_EUSAGE, "give a mutex or a semaphore, not both");
    if (o->concurrency_policy && strcmp(o->concurrency_policy, "Allow") &&
        strcmp(o->concurrency_policy, "Forbid") && strcmp(o->concurrency_policy, "Replace"))
        return df_error_set(err, DF_EUSAGE,
                            "concurrency policy '%s' is not Allow, Forbid or Replace",
                            o->concurrency_policy);
    if (o->kind != DF_ARGO_CRON &&
        (o->concurrency_policy || o->starting_deadline_seconds > 0 || o->history_limit > 0))
        return df_error_set(err, DF_EUSAGE,
                            "concurrency policy, starting deadline and history limit are "
                            "CronWorkflow options (--cron)");
    return 0;
}

static json_t *kv_object(const struct df_argo_kv *kv, size_t n)
{
    json_t *o = json_object();
    for (size_t i = 0; i < n; i++)
        json_object_set_new(o, kv[i].key, ag_jstr(kv[i].value));
    return o;
}

void ag_cluster_spec(const struct df_argo_opts *o, json_t *spec)
{
    if (o->pod_gc) {
        json_t *g = json_object();
        json_object_set_new(g, "strategy", ag_jstr(o->pod_gc));
        json_object_set_new(spec, "podGC", g);
    }
    if (o->ttl_seconds > 0 || o->ttl_success > 0 || o->ttl_failure > 0) {
        json_t *ttl = json_object();
        if (o->ttl_seconds > 0)
            json_object_set_new(ttl, "secondsAfterCompletion", json_integer(o->ttl_seconds));
        if (o->ttl_success > 0)
            json_object_set_new(ttl, "secondsAfterSuccess", json_integer(o->ttl_success));
        if (o->ttl_failure > 0)
            json_object_set_new(ttl, "secondsAfterFailure", json_integer(o->ttl_failure));
        json_object_set_new(spec, "ttlStrategy", ttl);
    }
    if (o->deadline_seconds > 0)
        json_object_set_new(spec, "activeDeadlineSeconds", json_integer(o->deadline_seconds));
    if (o->n_pull_secrets) {
        json_t *a = json_array();
        for (size_t i = 0; i < o->n_pull_secrets; i++) {
            json_t *r = json_object();
            json_object_set_new(r, "name", ag_jstr(o->pull_secrets[i]));
            json_array_append_new(a, r);
        }
        json_object_set_new(spec, "imagePullSecrets", a);
    }
    if (o->priority_class)
        json_object_set_new(spec, "podPriorityClassName", ag_jstr(o->priority_class));
    if (o->affinity)
        json_object_set_new(spec, "affinity", json_deep_copy(o->affinity));
    if (o->mutex || o->semaphore) {
        json_t *sync = json_object(), *list = json_array(), *e = json_object();
        if (o->mutex) {
            json_object_set_new(e, "name", ag_jstr(o->mutex));
            json_array_append_new(list, e);
            json_object_set_new(sync, "mutexes", list);
        } else {
            const char *colon = strchr(o->semaphore, ':');
            json_t *ref = json_object();
            json_object_set_new(ref, "name",
                                json_stringn(o->semaphore, (size_t)(colon - o->semaphore)));
            json_object_set_new(ref, "key", ag_jstr(colon + 1));
            json_object_set_new(e, "configMapKeyRef", ref);
            json_array_append_new(list, e);
            json_object_set_new(sync, "semaphores", list);
        }
        json_object_set_new(spec, "synchronization", sync);
    }
    /* A WorkflowTemplate's own labels stay on it: the workflows submitted from it get them
     * through workflowMetadata (a CronWorkflow's through its own workflowMetadata). */
    if (o->kind == DF_ARGO_TEMPLATE && (o->n_labels || o->n_annotations)) {
        json_t *wm = json_object();
        if (o->n_labels)
            json_object_set_new(wm, "labels", kv_object(o->labels, o->n_labels));
        if (o->n_annotations)
            json_object_set_new(wm, "annotations", kv_object(o->annotations, o->n_annotations));
        json_object_set_new(spec, "workflowMetadata", wm);
    }
}

void ag_cluster_meta(const struct df_argo_opts *o, json_t *labels, json_t *annotations)
{
    for (size_t i = 0; i < o->n_labels; i++)
        json_object_set_new(labels, o->labels[i].key, ag_jstr(o->labels[i].value));
    for (size_t i = 0; i < o->n_annotations; i++)
        json_object_set_new(annotations, o->annotations[i].key, ag_jstr(o->annotations[i].value));
}

void ag_cluster_cron(const struct df_argo_opts *o, json_t *cs)
{
    json_object_set_new(cs, "concurrencyPolicy",
                        ag_jstr(o->concurrency_policy ? o->concurrency_policy : "Forbid"));
    if (o->starting_deadline_seconds > 0)
        json_object_set_new(cs, "startingDeadlineSeconds",
                            json_integer(o->starting_deadline_seconds));
    if (o->history_limit > 0) {
        json_object_set_new(cs, "successfulJobsHistoryLimit", json_integer(o->history_limit));
        json_object_set_new(cs, "failedJobsHistoryLimit", json_integer(o->history_limit));
    }
}

/* One field of a cron expression: "*", "?" (day fields), or a list of N, N-M, with an
 * optional /STEP; N within [lo, hi] or a name from names (JAN..DEC, SUN..SAT). */
static int cron_value(const char *s, size_t len, int lo, int hi, const char *const *names)
{
    if (len == 0)
        return -1;
    if (names)
        for (int i = 0; names[i]; i++)
            if (len == 3 && !strncasecmp(s, names[i], 3))
                return lo + i;
    int v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9' || v > 1000)
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v >= lo && v <= hi ? v : -1;
}

static int cron_field(const char *f, size_t len, int lo, int hi, const char *const *names,
                      int question)
{
    size_t start = 0;
    if (len == 1 && (f[0] == '*' || (question && f[0] == '?')))
        return 1;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && f[i] != ',')
            continue;
        const char *item = f + start;
        size_t ilen = i - start, rlen = ilen;
        const char *slash = memchr(item, '/', ilen);
        if (slash) {
            rlen = (size_t)(slash - item);
            if (cron_value(slash + 1, ilen - rlen - 1, 1, hi > 0 ? hi : 1, NULL) < 0)
                return 0;
        }
        if (!(rlen == 1 && item[0] == '*')) {
            const char *dash = memchr(item, '-', rlen);
            if (dash) {
                int a = cron_value(item, (size_t)(dash - item), lo, hi, names);
                int b = cron_value(dash + 1, rlen - (size_t)(dash - item) - 1, lo, hi, names);
                if (a < 0 || b < 0 || a > b)
                    return 0;
            } else if (cron_value(item, rlen, lo, hi, names) < 0) {
                return 0;
            }
        }
        start = i + 1;
    }
    return 1;
}

int ag_cron_check(const char *expr, struct df_error *err)
{
    static const char *const months[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL",
                                         "AUG", "SEP", "OCT", "NOV", "DEC", NULL};
    static const char *const days[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", NULL};
    static const char *const macros[] = {"@yearly", "@annually", "@monthly", "@weekly",
                                         "@daily",  "@midnight", "@hourly",  NULL};
    static const int lo[] = {0, 0, 1, 1, 0}, hi[] = {59, 23, 31, 12, 7};
    const char *s = expr, *fields[5];
    size_t lens[5], n = 0;

    for (size_t i = 0; macros[i]; i++)
        if (!strcmp(expr, macros[i]))
            return 0;
    if (!strncmp(expr, "@every ", 7)) {
        int64_t ms;
        if (df_parse_duration(expr + 7, &ms) == 0 && ms >= 1000)
            return 0;
        return df_error_set(err, DF_EUSAGE, "cron schedule '%s': '@every' needs a duration", expr);
    }
    while (*s) {
        while (*s == ' ' || *s == '\t')
            s++;
        if (!*s)
            break;
        const char *e = s;
        while (*e && *e != ' ' && *e != '\t')
            e++;
        if (n == 5)
            return df_error_set(err, DF_EUSAGE,
                                "cron schedule '%s' has more than 5 fields (minute hour "
                                "day-of-month month day-of-week)",
                                expr);
        fields[n] = s;
        lens[n++] = (size_t)(e - s);
        s = e;
    }
    if (n != 5)
        return df_error_set(err, DF_EUSAGE,
                            "cron schedule '%s' has %zu fields, not 5 (minute hour day-of-month "
                            "month day-of-week)",
                            expr, n);
    for (size_t i = 0; i < 5; i++)
        if (!cron_field(fields[i], lens[i], lo[i], hi[i],
                        i == 3   ? months
                        : i == 4 ? days
                                 : NULL,
                        i == 2 || i == 4))
            return df_error_set(err, DF_EUSAGE, "cron schedule '%s': field %zu '%.*s' is not valid",
                                expr, i + 1, (int)lens[i], fields[i]);
    return 0;
}

int ag_timezone_check(const char *tz, struct df_error *err)
{
    int ok = *tz && tz[0] != '/' && !strstr(tz, "..");
    for (const char *c = tz; ok && *c; c++)
        ok = is_alnum(*c) || strchr("/_-+", *c);
    if (ok && strcmp(tz, "UTC") && fs_exists("/usr/share/zoneinfo")) {
        /* Where the tz database is installed, the zone must be in it. */
        char *path = xasprintf("/usr/share/zoneinfo/%s", tz);
        ok = fs_exists(path);
        free(path);
    }
    if (!ok)
        return df_error_set(err, DF_EUSAGE, "time zone '%s' is not an IANA zone like Europe/Paris",
                            tz);
    return 0;
}
