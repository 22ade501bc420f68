/*
 * lineage.c - OpenLineage run events (see lineage.h): built from run.json and the
 * committed manifests, appended to the run's lineage.jsonl (rewritten whole: object
 * stores cannot append) and POSTed with libcurl (loaded lazily, as for S3).
 */
#include "store/lineage.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/curl_lazy.h"
#include "store/jsonpick.h"
#include "store/layout.h"
#include "store/runsnap.h"
#include "util/hash.h"
#include "util/strbuf.h"
#include "util/timeutil.h"
#include "util/banned.h"

#define OL_SCHEMA   "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
#define OL_PRODUCER "https://github.com/duckflow/duckflow/tree/v" DUCKFLOW_VERSION
#define FACETS      "https://openlineage.io/spec/facets/"
#define SMALL_MAX   ((size_t)64 << 20)

static int disabled(void)
{
    const char *d = getenv("OPENLINEAGE_DISABLED");
    return d && (!strcmp(d, "true") || !strcmp(d, "1") || !strcmp(d, "TRUE"));
}

static const char *job_namespace(void)
{
    const char *ns = getenv("OPENLINEAGE_NAMESPACE");
    return ns && *ns ? ns : "duckflow";
}

/* A UUID-shaped id from sha256(text), version nibble 5 and the RFC 4122 variant. */
static void make_uuid(const char *text, char out[37])
{
    char h[DF_SHA256_HEX];
    df_sha256_hex(text, strlen(text), h);
    h[12] = '5';
    h[16] = "89ab"[(h[16] >= 'a' ? h[16] - 'a' + 10 : h[16] - '0') & 3];
    snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12, h + 16, h + 20);
}

static json_t *facet(const char *schema_path)
{
    json_t *f = json_object();
    json_object_set_new(f, "_producer", json_string(OL_PRODUCER));
    json_object_set_new(f, "_schemaURL", json_string(schema_path));
    return f;
}

/* The namespace of the store's datasets: its URI, file:// for a local folder. */
static char *store_namespace(struct df_store *s)
{
    if (strstr(s->uri, "://"))
        return xstrdup(s->uri);
    return xasprintf("file://%s", s->uri);
}

static json_t *event(const char *type, const char *time, const char *run_uuid, const char *job,
                     json_t *run_facets, json_t *job_facets)
{
    json_t *e = json_object(), *r = json_object(), *j = json_object();
    json_object_set_new(e, "eventType", json_string(type));
    json_object_set_new(e, "eventTime", json_string(time));
    json_object_set_new(e, "producer", json_string(OL_PRODUCER));
    json_object_set_new(e, "schemaURL", json_string(OL_SCHEMA));
    json_object_set_new(r, "runId", json_string(run_uuid));
    if (run_facets)
        json_object_set_new(r, "facets", run_facets);
    json_object_set_new(e, "run", r);
    json_object_set_new(j, "namespace", json_string(job_namespace()));
    json_object_set_new(j, "name", json_string(job));
    if (job_facets)
        json_object_set_new(j, "facets", job_facets);
    json_object_set_new(e, "job", j);
    return e;
}

static json_t *job_type(const char *type)
{
    json_t *jf = json_object(),
           *t = facet(FACETS "2-0-4/JobTypeJobFacet.json#/$defs/JobTypeJobFacet");
    json_object_set_new(t, "processingType", json_string("BATCH"));
    json_object_set_new(t, "integration", json_string("DUCKFLOW"));
    json_object_set_new(t, "jobType", json_string(type));
    json_object_set_new(jf, "jobType", t);
    return jf;
}

static json_t *error_facet(const char *msg)
{
    json_t *rf = json_object(),
           *e = facet(FACETS "1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet");
    json_object_set_new(e, "message", json_string(msg));
    json_object_set_new(e, "programmingLanguage", json_string("SQL"));
    json_object_set_new(rf, "errorMessage", e);
    return rf;
}

/* ---- sending ------------------------------------------------------------------------- */

static int warned;

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

static int post_once(const char *url, const char *body, char *why, size_t why_len)
{
    struct df_error err = DF_ERROR_INIT;
    const char *key = getenv("OPENLINEAGE_API_KEY");
    struct curl_slist *hdr = NULL;
    CURL *h;
    CURLcode c;
    long status = 0;
    int rc = -1;

    if (df_curl_load(&err) != 0) {
        snprintf(why, why_len, "%.200s", err.msg);
        return -1;
    }
    h = curl_easy_init();
    if (!h) {
        snprintf(why, why_len, "cannot start an HTTP request");
        return -1;
    }
    /* Every header and option counts: a request curl could not set up is not sent. */
    {
        char *auth = key && *key ? xasprintf("Authorization: Bearer %s", key) : NULL;
        const char *lines[] = {"Content-Type: application/json", auth};
        for (size_t i = 0; i < 2 && lines[i]; i++) {
            struct curl_slist *n = curl_slist_append(hdr, lines[i]);
            if (!n) {
                snprintf(why, why_len, "cannot build the request's headers");
                free(auth);
                goto out;
            }
            hdr = n;
        }
        free(auth);
    }
    c = curl_easy_setopt(h, CURLOPT_URL, url);
#define SET(opt, val)                                                                              \
    do {                                                                                           \
        if (c == CURLE_OK)                                                                         \
            c = curl_easy_setopt(h, opt, val);                                                     \
    } while (0)
    SET(CURLOPT_HTTPHEADER, hdr);
    SET(CURLOPT_POSTFIELDS, body);
    SET(CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    SET(CURLOPT_CONNECTTIMEOUT, 5L);
    SET(CURLOPT_TIMEOUT, 10L);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_WRITEFUNCTION, discard);
    if (df_curl_ca_bundle(NULL))
        SET(CURLOPT_CAINFO, df_curl_ca_bundle(NULL));
#undef SET
    if (c != CURLE_OK) {
        snprintf(why, why_len, "cannot set up the request: %s", curl_easy_strerror(c));
        goto out;
    }
    c = curl_easy_perform(h);
    if (c != CURLE_OK) {
        snprintf(why, why_len, "%s", curl_easy_strerror(c));
    } else {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        if (status >= 200 && status < 300)
            rc = 0;
        else
            snprintf(why, why_len, "HTTP %ld", status);
    }
out:
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    return rc;
}

/* POSTs each event (one retry each); after a failure the rest are not sent: one warning. */
static void post_events(json_t *events)
{
    const char *base = getenv("OPENLINEAGE_URL"), *ep = getenv("OPENLINEAGE_ENDPOINT");
    char *url;
    size_t i;
    json_t *e;

    if (!base || !*base || warned)
        return;
    url = xasprintf("%.*s%s%s", (int)(strlen(base) - (base[strlen(base) - 1] == '/')), base,
                    ep && *ep && *ep != '/' ? "/" : "", ep && *ep ? ep : "/api/v1/lineage");
    json_array_foreach(events, i, e)
    {
        char why[512] = "";
        char *body = json_dumps(e, JSON_COMPACT);
        int ok = body && (post_once(url, body, why, sizeof(why)) == 0 ||
                          post_once(url, body, why, sizeof(why)) == 0);
        free(body);
        if (!ok) {
            fprintf(stderr,
                    "duckflow: warning: cannot send lineage events to %s: %s (the run is not "
                    "affected; the events are in the run's lineage.jsonl)\n",
                    url, why);
            warned = 1;
            break;
        }
    }
    free(url);
}

/* Appends events to <run>/lineage.jsonl and sends them. */
static void emit(struct df_store *s, const char *pipeline, const char *run, json_t *events)
{
    struct df_error err = DF_ERROR_INIT;
    char *runkey = df_key_run(pipeline, run), *key = xasprintf("%s/lineage.jsonl", runkey);
    char *data = NULL;
    size_t len = 0, i;
    struct strbuf sb = STRBUF_INIT;
    json_t *e;

    if (df_store_get_bytes(s, key, SMALL_MAX, &data, &len, &err) == 0) {
        sb_add(&sb, data, len);
    } else if (err.code != DF_ENOTFOUND) {
        /* Rewriting the file with only the new events would drop the earlier ones. */
        fprintf(stderr,
                "duckflow: warning: cannot read the run's lineage events, so the new ones are "
                "not added to it: %s\n",
                err.msg);
        post_events(events);
        goto out;
    }
    df_error_clear(&err);
    json_array_foreach(events, i, e)
    {
        char *line = json_dumps(e, JSON_COMPACT);
        if (line) {
            sb_adds(&sb, line);
            sb_addc(&sb, '\n');
        }
        free(line);
    }
    if (df_store_put_bytes(s, key, sb.buf ? sb.buf : "", sb.len, &err) != 0)
        fprintf(stderr, "duckflow: warning: cannot write lineage events: %s\n", err.msg);
    post_events(events);
out:
    sb_release(&sb);
    free(data);
    free(key);
    free(runkey);
}

void df_lineage_run_start(struct df_store *s, const char *pipeline, const char *run,
                          const char *started_at)
{
    char *id = xasprintf("%s/%s", pipeline, run), uuid[37];
    json_t *events = json_array();

    if (!disabled()) {
        make_uuid(id, uuid);
        json_array_append_new(events,
                              event("START", started_at, uuid, pipeline, NULL, job_type("DAG")));
        emit(s, pipeline, run, events);
    }
    json_decref(events);
    free(id);
}

/* A dataset of the store or an external file named by an input's source. */
static json_t *input_dataset(const char *store_ns, const char *pipeline, const char *source)
{
    json_t *d = json_object();
    const char *scheme = strstr(source, "://");
    if (scheme) {
        const char *slash = strchr(scheme + 3, '/');
        size_t n = slash ? (size_t)(slash - source) : strlen(source);
        char *ns = xstrndup(source, n);
        json_object_set_new(d, "namespace", json_string(ns));
        json_object_set_new(d, "name", json_string(slash ? slash + 1 : ""));
        free(ns);
    } else if (source[0] == '/' || strchr(source, '/')) {
        json_object_set_new(d, "namespace", json_string("file"));
        json_object_set_new(d, "name", json_string(source));
    } else {
        char *name = xasprintf("%s.%s", pipeline, source);
        json_object_set_new(d, "namespace", json_string(store_ns));
        json_object_set_new(d, "name", json_string(name));
        free(name);
    }
    return d;
}

/* START and COMPLETE/FAIL of one step's job. */
static void step_events(const struct df_run_snap *snap, const char *store_ns, const char *pipeline,
                        const char *run, const char *step, const char *status, const char *error,
                        const char *fallback_time, json_t *events)
{
    struct df_error err = DF_ERROR_INIT;
    json_t *manifests = NULL, *m, *inputs = json_array(), *seen = json_object();
    json_t *tables = json_object(), *outputs = json_array(), *t;
    char *id = xasprintf("%s/%s/%s", pipeline, run, step),
         *job = xasprintf("%s.%s", pipeline, step);
    char uuid[37];
    const char *first = NULL, *last = NULL, *name;
    size_t i;
    int ok = status && !strcmp(status, "succeeded");

    make_uuid(id, uuid);
    if (df_run_snap_step(snap, step, &manifests, &err) != 0)
        manifests = json_array();
    json_array_foreach(manifests, i, m)
    {
        const char *st = json_string_value(json_object_get(m, "started_at"));
        const char *fi = json_string_value(json_object_get(m, "finished_at"));
        size_t k;
        json_t *in, *tt;
        if (st && (!first || strcmp(st, first) < 0))
            first = st;
        if (fi && (!last || strcmp(fi, last) > 0))
            last = fi;
        json_array_foreach(json_object_get(m, "inputs"), k, in)
        {
            const char *src = json_string_value(json_object_get(in, "source"));
            if (src && !json_object_get(seen, src)) {
                json_object_set_new(seen, src, json_true());
                json_array_append_new(inputs, input_dataset(store_ns, pipeline, src));
            }
        }
        json_object_foreach(json_object_get(m, "tables"), name, tt)
        {
            json_t *acc = json_object_get(tables, name);
            if (!acc) {
                acc = json_pack("{s:I, s:I, s:I, s:O}", "rows", (json_int_t)0, "bytes",
                                (json_int_t)0, "files", (json_int_t)0, "schema",
                                json_object_get(tt, "schema") ? json_object_get(tt, "schema")
                                                              : json_null());
                json_object_set_new(tables, name, acc);
            }
            json_object_set_new(acc, "rows",
                                json_integer(json_integer_value(json_object_get(acc, "rows")) +
                                             json_integer_value(json_object_get(tt, "rows"))));
            json_object_set_new(acc, "bytes",
                                json_integer(json_integer_value(json_object_get(acc, "bytes")) +
                                             json_integer_value(json_object_get(tt, "bytes"))));
            json_object_set_new(
                acc, "files",
                json_integer(json_integer_value(json_object_get(acc, "files")) +
                             (json_int_t)json_array_size(json_object_get(tt, "files"))));
        }
    }
    json_object_foreach(tables, name, t)
    {
        json_t *d = json_object(), *facets = json_object(), *of = json_object(),
               *fields = json_array();
        json_t *sf = facet(FACETS "1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet");
        json_t *os = facet(FACETS "1-0-2/OutputStatisticsOutputDatasetFacet.json#/$defs/"
                                  "OutputStatisticsOutputDatasetFacet");
        json_t *col;
        size_t k;
        char *dname = xasprintf("%s.%s.%s", pipeline, step, name);
        json_array_foreach(json_object_get(t, "schema"), k, col)
        {
            const char *cn = json_string_value(json_object_get(col, "name"));
            const char *ct = json_string_value(json_object_get(col, "type"));
            if (cn)
                json_array_append_new(fields,
                                      json_pack("{s:s, s:s, s:I}", "name", cn, "type", ct ? ct : "",
                                                "ordinal_position", (json_int_t)(k + 1)));
        }
        json_object_set_new(sf, "fields", fields);
        json_object_set_new(facets, "schema", sf);
        json_object_set(os, "rowCount", json_object_get(t, "rows"));
        json_object_set(os, "size", json_object_get(t, "bytes"));
        json_object_set(os, "fileCount", json_object_get(t, "files"));
        json_object_set_new(of, "outputStatistics", os);
        json_object_set_new(d, "namespace", json_string(store_ns));
        json_object_set_new(d, "name", json_string(dname));
        json_object_set_new(d, "facets", facets);
        json_object_set_new(d, "outputFacets", of);
        json_array_append_new(outputs, d);
        free(dname);
    }
    {
        json_t *start =
            event("START", first ? first : fallback_time, uuid, job, NULL, job_type("TASK"));
        json_t *end = event(ok ? "COMPLETE" : "FAIL", last && ok ? last : fallback_time, uuid, job,
                            ok ? NULL
                               : error_facet(error    ? error
                                             : status ? status
                                                      : "the step did not finish"),
                            job_type("TASK"));
        json_object_set(start, "inputs", inputs);
        json_object_set_new(start, "outputs", json_array());
        json_object_set(end, "inputs", inputs);
        json_object_set(end, "outputs", outputs);
        json_array_append_new(events, start);
        json_array_append_new(events, end);
    }
    json_decref(manifests);
    json_decref(inputs);
    json_decref(seen);
    json_decref(tables);
    json_decref(outputs);
    free(id);
    free(job);
}

/* 1 when lineage.jsonl already holds the pipeline run's START. */
static int has_start(struct df_store *s, const char *pipeline, const char *run, const char *uuid)
{
    struct df_error err = DF_ERROR_INIT;
    char *runkey = df_key_run(pipeline, run), *key = xasprintf("%s/lineage.jsonl", runkey);
    char *data = NULL, *needle = xasprintf("\"runId\":\"%s\"", uuid);
    size_t len = 0;
    int found = 0;
    if (df_store_get_bytes(s, key, SMALL_MAX, &data, &len, &err) == 0)
        found = strstr(data, needle) != NULL;
    free(needle);
    free(data);
    free(key);
    free(runkey);
    return found;
}

void df_lineage_run_end(struct df_store *s, const char *pipeline, const char *run,
                        const struct df_run_snap *snap)
{
    char *id, *store_ns, uuid[37], now[40];
    static const char *const members[] = {"status", "started_at", "finished_at", "steps", NULL};
    static const char *const task_members[] = {"tasks", NULL};
    json_t *rec, *tasks = NULL, *events, *st, *t;
    const char *status, *error = NULL;
    size_t i;
    int ok;

    if (disabled())
        return;
    id = xasprintf("%s/%s", pipeline, run);
    /* Only what is used: the tasks of a 10,000-task run.json parsed took ~20 MB. */
    rec = snap->record ? df_json_pick(snap->record, snap->record_len, members) : NULL;
    store_ns = store_namespace(s);
    events = json_array();
    df_iso_now(now, sizeof(now));
    make_uuid(id, uuid);
    status = json_string_value(json_object_get(rec, "status"));
    ok = status && !strcmp(status, "succeeded");
    if (!has_start(s, pipeline, run, uuid)) {
        const char *sa = json_string_value(json_object_get(rec, "started_at"));
        json_array_append_new(events,
                              event("START", sa ? sa : now, uuid, pipeline, NULL, job_type("DAG")));
    }
    /* The first failed task's error, for a run that did not succeed. */
    if (!ok && rec)
        tasks = df_json_pick(snap->record, snap->record_len, task_members);
    json_array_foreach(json_object_get(tasks, "tasks"), i, t)
    {
        const char *e = json_string_value(json_object_get(t, "error"));
        const char *state = json_string_value(json_object_get(t, "state"));
        if (e && state && strcmp(state, "done") != 0) {
            error = e;
            break;
        }
    }
    json_array_foreach(json_object_get(rec, "steps"), i, st)
    {
        const char *name = json_string_value(json_object_get(st, "name"));
        const char *sst = json_string_value(json_object_get(st, "status"));
        json_t *tasks = json_object_get(st, "tasks");
        const char *serr = json_string_value(json_object_get(st, "error"));
        int started = json_integer_value(json_object_get(tasks, "done")) > 0 ||
                      (sst && (!strcmp(sst, "succeeded") || !strcmp(sst, "failed") ||
                               !strcmp(sst, "interrupted") || !strcmp(sst, "running")));
        if (!name || !df_valid_ident(name) || !started)
            continue; /* a step that never started has no run to report */
        step_events(snap, store_ns, pipeline, run, name, sst, serr ? serr : (ok ? NULL : error),
                    now, events);
    }
    {
        const char *fa = json_string_value(json_object_get(rec, "finished_at"));
        json_array_append_new(events, event(ok ? "COMPLETE" : "FAIL", fa ? fa : now, uuid, pipeline,
                                            ok ? NULL
                                               : error_facet(error    ? error
                                                             : status ? status
                                                                      : "the run did not finish"),
                                            job_type("DAG")));
    }
    emit(s, pipeline, run, events);
    json_decref(events);
    json_decref(tasks);
    json_decref(rec);
    free(store_ns);
    free(id);
}
