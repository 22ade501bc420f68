/*
 * cmd_logs.c - `duckflow logs RUN STEP[ITEM] [--attempt N] [--follow]`: prints the task
 * log of one attempt (<attempt>/_log.txt, written by `duckflow step` when the attempt
 * ends, failed or not). By default the attempt the manifest names, else the latest one.
 * While an attempt runs, `duckflow step` rewrites <attempt>/_log.live with the text so
 * far (at most once a second): without --follow that is printed as it stands; --follow
 * prints what is new as it arrives and stops when _log.txt appears (the attempt ended) or
 * the run stopped.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "dag/plan.h"
#include "exec/runrec.h"
#include "query/findtask.h"
#include "store/layout.h"
#include "store/manifest.h"
#include "store/runs.h"
#include "store/store.h"
#include "util/strbuf.h"
#include "util/suggest.h"
#include "util/banned.h"

#define LOG_MAX ((size_t)4 << 20)

#define FOLLOW_POLL_US 250000 /* --follow looks at the store four times a second */

enum { OPT_FOLLOW = 256 };

const struct cli_opt cli_opts_logs[] = {
    {'a', "attempt", "N", "that attempt (from 1)"},
    {OPT_FOLLOW, "follow", NULL,
     "stream the log of an attempt still running until it ends\n(or the run stops)"},
    {CLI_OPT_STORE},
    {'P', "pipeline", "P", "the pipeline, when the store holds several"},
    {CLI_OPT_HELP},
    {0, NULL, NULL, NULL},
};

static void help(void)
{
    printf("usage: duckflow logs RUN STEP[ITEM] [--attempt N] [--follow] [--store URI]\n"
           "                     [--pipeline P]\n"
           "\n"
           "Prints what one task printed: duckflow's lines, the rows its SQL's SELECT\n"
           "statements returned (first 100), the failing check's rows. Every attempt, failed\n"
           "or succeeded, keeps the last 1 MiB as <attempt>/_log.txt in the store. RUN may be\n"
           "a run id, 'published' or 'latest'; ITEM is the item's label as progress and the\n"
           "summary show it (orders[apac]) or its index (orders[2]; default 0). Without\n"
           "--attempt: the attempt that committed, else the latest one. An attempt still\n"
           "running shows its log so far (rewritten about once a second); --follow streams\n"
           "it until the attempt ends.\n"
           "\n");
    cli_print_options(stdout, cli_opts_logs);
    printf("\nExit codes: 0 ok, 2 bad usage or a task that never ran (its state is named),\n"
           "3 store error or run not found.\n");
}

struct attempts {
    size_t plen;
    char **names; /* attempt folder names in listing order */
    int *has_log, *has_live;
    size_t n, alloc;
};

/* Collects "<n>-<tag>" attempt folders under the task prefix and whether each has a log. */
static int collect(const char *key, uint64_t size, void *ud)
{
    struct attempts *a = ud;
    const char *rest = key + a->plen, *slash = strchr(rest, '/');
    size_t len;
    (void)size;
    if (!slash || slash == rest || rest[0] < '0' || rest[0] > '9' ||
        !memchr(rest, '-', (size_t)(slash - rest)))
        return 0;
    len = (size_t)(slash - rest);
    if (!a->n || strlen(a->names[a->n - 1]) != len || strncmp(a->names[a->n - 1], rest, len)) {
        if (a->n == a->alloc) {
            a->alloc = a->alloc ? 2 * a->alloc : 8;
            a->names = xrealloc(a->names, a->alloc * sizeof(*a->names));
            a->has_log = xrealloc(a->has_log, a->alloc * sizeof(*a->has_log));
            a->has_live = xrealloc(a->has_live, a->alloc * sizeof(*a->has_live));
        }
        a->names[a->n] = xstrndup(rest, len);
        a->has_log[a->n] = 0;
        a->has_live[a->n] = 0;
        a->n++;
    }
    if (!strcmp(slash, "/_log.txt"))
        a->has_log[a->n - 1] = 1;
    else if (!strcmp(slash, "/_log.live"))
        a->has_live[a->n - 1] = 1;
    return 0;
}

static void attempts_release(struct attempts *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->names[i]);
    free(a->names);
    free(a->has_log);
    free(a->has_live);
    memset(a, 0, sizeof(*a));
}

/* The task's state in run.json ("waiting", "upstream_failed", ...), or NULL. */
static const char *task_state(json_t *rec, const char *step, size_t item)
{
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(rec, "tasks"), i, t)
    {
        const char *s = json_string_value(json_object_get(t, "step"));
        if (s && !strcmp(s, step) &&
            (size_t)json_integer_value(json_object_get(t, "item_index")) == item)
            return json_string_value(json_object_get(t, "state"));
    }
    return NULL;
}

/* For a step the run record does not have: "; its steps: a, b (did you mean 'b'?)" into
 * buf (empty when the record is missing or has the step). */
static void unknown_step(json_t *rec, const char *step, char *buf, size_t n)
{
    const char *names[64];
    size_t k = 0, i, used;
    json_t *st;
    buf[0] = '\0';
    json_array_foreach(json_object_get(rec, "steps"), i, st)
    {
        const char *name = json_string_value(json_object_get(st, "name"));
        if (name && !strcmp(name, step))
            return;
        if (name && k < sizeof(names) / sizeof(names[0]))
            names[k++] = name;
    }
    if (!k)
        return;
    used = (size_t)snprintf(buf, n, "; the run has no step '%s', its steps: ", step);
    for (i = 0; i < k && used < n; i++)
        used += (size_t)snprintf(buf + used, n - used, "%s%s", i ? ", " : "", names[i]);
    if (used < n && df_suggest(step, names, k))
        snprintf(buf + used, n - used, " (did you mean '%s'?)", df_suggest(step, names, k));
}

/* "step", "step[3]" (an index) or "step[eu]" (a label, *label set; resolved once the
 * run is known). */
static int parse_task(const char *arg, char **step, size_t *item, char **label)
{
    const char *b = strchr(arg, '[');
    size_t n = strlen(arg);
    char *end;
    long v;
    *label = NULL;
    *item = 0;
    if (!b) {
        *step = xstrdup(arg);
        return df_valid_ident(*step) ? 0 : -1;
    }
    *step = xstrndup(arg, (size_t)(b - arg));
    if (!df_valid_ident(*step) || arg[n - 1] != ']' || b + 1 == arg + n - 1)
        return -1;
    v = strtol(b + 1, &end, 10);
    if (end != b + 1 && *end == ']' && !end[1] && v >= 0) {
        *item = (size_t)v;
        return 0;
    }
    *label = xstrndup(b + 1, (size_t)(arg + n - 1 - (b + 1)));
    return 0;
}

/* Prints what of a log text (as stored: maybe a "[... N earlier bytes not kept" line, then
 * the kept end) lies past *printed bytes of the whole log, and advances *printed. */
static void print_new(const char *data, size_t len, unsigned long long *printed)
{
    unsigned long long base = 0;
    size_t start = 0, off;

    if (len > 5 && !strncmp(data, "[... ", 5) && sscanf(data + 5, "%llu", &base) == 1 &&
        strstr(data, " earlier bytes not kept")) {
        const char *nl = memchr(data, '\n', len);
        start = nl ? (size_t)(nl - data) + 1 : len;
    } else {
        base = 0;
    }
    if (*printed < base) {
        if (*printed == 0)
            fwrite(data, 1, start, stdout); /* the note, as stored */
        else
            printf("[... %llu bytes not kept ...]\n", base - *printed);
        *printed = base;
    }
    off = (size_t)(*printed - base);
    if (off < len - start) {
        fwrite(data + start + off, 1, len - start - off, stdout);
        *printed = base + (len - start);
    }
    fflush(stdout);
}

int cmd_logs(int argc, char **argv)
{
    struct df_error err = DF_ERROR_INIT;
    struct cli_run r = CLI_RUN_INIT;
    struct attempts at = {0, NULL, NULL, NULL, 0, 0};
    const char *store_opt = NULL, *pipeline = NULL;
    char *step = NULL, *task = NULL, *prefix = NULL, *data = NULL;
    char *label = NULL;
    char item_key[DF_ITEM_KEY_MAX];
    size_t item = 0, len = 0;
    long want = 0;
    int c, rc = 0, follow = 0;
    json_t *rec = NULL;
    char *chosen = NULL; /* the attempt being followed */
    unsigned long long printed = 0;

    optind = 1;
    while ((c = cli_getopt("logs", argc, argv, cli_opts_logs, 0)) != -1) {
        switch (c) {
        case 's':
            store_opt = optarg;
            break;
        case 'P':
            pipeline = optarg;
            break;
        case 'a': {
            char *end;
            want = strtol(optarg, &end, 10);
            if (*end || end == optarg || want < 1)
                return cli_usage_error("logs", "--attempt wants a number from 1, not '%s'", optarg);
            break;
        }
        case OPT_FOLLOW:
            follow = 1;
            break;
        case 'h':
            help();
            return 0;
        default:
            return 2;
        }
    }
    if (argc - optind != 2)
        return cli_usage_error("logs", "expected RUN and STEP[ITEM]");
    if (parse_task(argv[optind + 1], &step, &item, &label) != 0) {
        rc = cli_usage_error("logs", "'%s' is not STEP or STEP[ITEM]", argv[optind + 1]);
        goto out;
    }
    if (cli_run_open(&r, store_opt, pipeline, argv[optind], 0, &err) != 0) {
        rc = cli_fail(&err);
        goto out;
    }
    if (label) {
        /* A label as progress, the summary and the report show it. */
        long idx;
        if (df_run_record_read(r.store, r.pipeline, r.run, &rec, &err) != 0)
            df_error_clear(&err);
        idx = df_run_find_item(r.store, r.pipeline, r.run, rec, step, label, &err);
        if (idx < 0) {
            rc = cli_fail(&err);
            goto out;
        }
        item = (size_t)idx;
    }
    df_item_key(item, item_key);
    task = df_key_task(r.pipeline, r.run, step, item_key);
    prefix = xasprintf("%s/", task);
    for (;;) {
        json_t *m = NULL;
        const char *winner = NULL, *state;
        long best_n = -1;
        size_t best = (size_t)-1;
        int running, live;

        attempts_release(&at);
        at.plen = strlen(prefix);
        if (df_store_list(r.store, prefix, collect, &at, &err) != 0) {
            rc = cli_fail(&err);
            goto out;
        }
        json_decref(rec);
        /* A record that cannot be read only loses the task's state in the message. */
        if (df_run_record_read(r.store, r.pipeline, r.run, &rec, &err) != 0)
            df_error_clear(&err);
        running = rec && runrec_still_running(rec);
        if (df_manifest_read(r.store, r.pipeline, r.run, step, item_key, &m, &err) != 0)
            df_error_clear(&err);
        winner = json_string_value(json_object_get(m, "attempt_dir"));
        for (size_t i = 0; i < at.n; i++) {
            long n = strtol(at.names[i], NULL, 10);
            /* Once following an attempt, stay with it (a retry is another attempt). */
            if (chosen ? !strcmp(chosen, at.names[i])
                : want ? n == want
                       : (winner ? !strcmp(winner, at.names[i]) : n >= best_n)) {
                best = i;
                best_n = n;
            }
        }
        json_decref(m);
        live = best != (size_t)-1 && !at.has_log[best] && at.has_live[best];
        if (best != (size_t)-1 && (at.has_log[best] || live)) {
            char *key =
                xasprintf("%s%s/%s", prefix, at.names[best], live ? "_log.live" : "_log.txt");
            int g = df_store_get_bytes(r.store, key, LOG_MAX, &data, &len, &err);
            free(key);
            if (g != 0 && live && err.code == DF_ENOTFOUND) {
                /* replaced by _log.txt since the listing: look again */
                df_error_clear(&err);
                continue;
            }
            if (g != 0) {
                rc = cli_fail(&err);
                goto out;
            }
            if (!follow) {
                fwrite(data, 1, len, stdout);
                if (len == 0 && !live) /* said on stderr: stdout stays the log itself */
                    fprintf(stderr, "duckflow logs: attempt %s of %s[%zu] printed nothing\n",
                            at.names[best], step, item);
                if (live)
                    fprintf(stderr,
                            "duckflow logs: attempt %s is still running: its log so far "
                            "(--follow streams the rest)\n",
                            at.names[best]);
                break;
            }
            if (!chosen)
                chosen = xstrdup(at.names[best]);
            print_new(data, len, &printed);
            free(data);
            data = NULL;
            if (!live)
                break; /* _log.txt: the attempt ended, all of it is printed */
            /* A live log whose run stopped: the attempt died before storing its log. */
            if (rec && !running) {
                fprintf(stderr,
                        "duckflow logs: the run stopped before attempt %s stored its final "
                        "log; printed what it had written\n",
                        at.names[best]);
                break;
            }
            usleep(FOLLOW_POLL_US);
            continue;
        }
        state = task_state(rec, step, item);
        if (follow && running) {
            usleep(FOLLOW_POLL_US);
            continue;
        }
        if (best != (size_t)-1)
            df_error_set(&err, DF_EUSAGE, "attempt %s of %s[%zu] in run '%s' has no log yet (%s)",
                         at.names[best], step, item, r.run,
                         running ? "still running: try --follow" : "it never ended");
        else if (want && at.n)
            df_error_set(&err, DF_EUSAGE, "%s[%zu] in run '%s' has no attempt %ld", step, item,
                         r.run, want);
        else {
            char why[512];
            unknown_step(rec, step, why, sizeof(why));
            df_error_set(&err, DF_EUSAGE, "%s[%zu] in run '%s' never ran (%s)%s", step, item, r.run,
                         state ? state : "no such task in the run record", why);
        }
        rc = cli_fail(&err);
        break;
    }
out:
    free(label);
    free(chosen);
    attempts_release(&at);
    json_decref(rec);
    free(data);
    free(prefix);
    free(task);
    free(step);
    cli_run_release(&r);
    return rc;
}
