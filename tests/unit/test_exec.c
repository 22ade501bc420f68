/*
 * test_exec.c - unit tests of the executor: the scheduling rules of the task graph
 * (readiness, mirroring, jobs and memory limits, retries, failure propagation) without
 * processes, then df_run() itself with a stand-in for `duckflow step` (a shell script
 * that commits a manifest, fails, dies by a signal or hangs, as told through the
 * environment), so the process handling is tested apart from the engine.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "exec/child.h"
#include "exec/executor.h"
#include "exec/gc.h"
#include "exec/graph.h"
#include "exec/runrec.h"
#include "spec/spec.h"
#include "store/jsonpick.h"
#include "store/layout.h"
#include "store/manifest.h"
#include "store/store.h"
#include "util/fs.h"
#include "util/strbuf.h"
#include "util/timeutil.h"

/* ---- the graph, without processes ---- */

static const size_t order3[] = {0, 1, 2};

static void graph_mirror_starts_chunk_by_chunk(void **state)
{
    /* 0: gen (3 items); 1: each gen; 2: fan-in over 1. */
    static const size_t d1[] = {0}, d2[] = {1};
    struct graph_step_def defs[3] = {
        {NULL, 0, -1, 1, 1},
        {d1, 1, 0, 1, 1},
        {d2, 1, -1, 1, 1},
    };
    struct graph g;
    struct gtask *t;

    (void)state;
    graph_init(&g, defs, 3, order3);
    assert_true(graph_step_plannable(&g, 0, 0));
    assert_false(graph_step_plannable(&g, 1, 0)); /* the mirrored step is not planned */
    graph_plan_step(&g, 0, 3);
    assert_true(graph_step_plannable(&g, 1, 0));
    assert_false(graph_step_plannable(&g, 2, 1)); /* a dynamic step waits for its sources */
    graph_plan_step(&g, 1, 3);
    graph_plan_step(&g, 2, 1);

    t = graph_next(&g, 0, 8, 0);
    assert_non_null(t);
    assert_int_equal(t->step, 0);
    assert_int_equal(t->item_index, 0);
    graph_task_started(&g, t, 0);
    graph_task_finished(&g, t, DF_CLASS_OK, 10);
    /* gen[1] and gen[2] are ready, and so is sum[0] (its chunk is done); merge is not. */
    size_t seen[3] = {0};
    while ((t = graph_next(&g, 10, 8, 0)) != NULL) {
        seen[t->step]++;
        if (t->step == 1)
            assert_int_equal(t->item_index, 0);
        graph_task_started(&g, t, 10);
    }
    assert_int_equal(seen[0], 2);
    assert_int_equal(seen[1], 1);
    assert_int_equal(seen[2], 0);
    assert_int_equal(g.running, 3);
    assert_false(graph_idle(&g));
    for (size_t i = 0; i < g.n_tasks; i++)
        if (g.tasks[i]->state == G_RUNNING)
            graph_task_finished(&g, g.tasks[i], DF_CLASS_OK, 20);
    while ((t = graph_next(&g, 20, 8, 0)) != NULL) {
        assert_int_equal(t->step, 1);
        graph_task_started(&g, t, 20);
    }
    assert_int_equal(g.running, 2);
    for (size_t i = 0; i < g.n_tasks; i++)
        if (g.tasks[i]->state == G_RUNNING)
            graph_task_finished(&g, g.tasks[i], DF_CLASS_OK, 30);
    t = graph_next(&g, 30, 8, 0);
    assert_non_null(t);
    assert_int_equal(t->step, 2);
    graph_task_started(&g, t, 30);
    graph_task_finished(&g, t, DF_CLASS_OK, 40);
    assert_true(graph_idle(&g));
    assert_true(graph_step_succeeded(&g, 2));
    graph_release(&g);
}

static void graph_chunk_goes_down_its_chain_first(void **state)
{
    /* 0: gen (3 items); 1: each gen; 2: each 1. One job at a time: once gen[0] is done,
     * its chain (1[0], then 2[0]) runs before gen[1] starts. */
    static const size_t d1[] = {0}, d2[] = {1};
    struct graph_step_def defs[3] = {
        {NULL, 0, -1, 1, 1},
        {d1, 1, 0, 1, 1},
        {d2, 1, 1, 1, 1},
    };
    static const size_t want[][2] = {{0, 0}, {1, 0}, {2, 0}, {0, 1}, {1, 1},
                                     {2, 1}, {0, 2}, {1, 2}, {2, 2}};
    struct graph g;
    struct gtask *t;

    (void)state;
    graph_init(&g, defs, 3, order3);
    graph_plan_step(&g, 0, 3);
    graph_plan_step(&g, 1, 3);
    graph_plan_step(&g, 2, 3);
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        t = graph_next(&g, (int64_t)i, 1, 0);
        assert_non_null(t);
        assert_int_equal(t->step, want[i][0]);
        assert_int_equal(t->item_index, want[i][1]);
        graph_task_started(&g, t, (int64_t)i);
        assert_null(graph_next(&g, (int64_t)i, 1, 0));
        graph_task_finished(&g, t, DF_CLASS_OK, (int64_t)i + 1);
    }
    assert_true(graph_idle(&g));
    graph_release(&g);
}

static void graph_failure_reaches_dependents_only(void **state)
{
    /* 0: a (2 items) -> 1: each a -> 2: fan-in; 3: b independent; 4: dynamic after 2. */
    static const size_t d1[] = {0}, d2[] = {1}, d4[] = {2};
    static const size_t order[] = {0, 3, 1, 2, 4};
    struct graph_step_def defs[5] = {
        {NULL, 0, -1, 1, 1}, {d1, 1, 0, 1, 1},  {d2, 1, -1, 1, 1},
        {NULL, 0, -1, 1, 1}, {d4, 1, -1, 1, 1},
    };
    struct graph g;
    struct gtask *t;

    (void)state;
    graph_init(&g, defs, 5, order);
    graph_plan_step(&g, 0, 2);
    graph_plan_step(&g, 3, 1);
    graph_plan_step(&g, 1, 2);
    graph_plan_step(&g, 2, 1);
    /* a[0] fails for good (sql_error is not retried). */
    t = graph_next(&g, 0, 1, 0);
    assert_int_equal(t->step, 0);
    graph_task_started(&g, t, 0);
    assert_int_equal(graph_task_finished(&g, t, DF_CLASS_SQL_ERROR, 5), 0);
    assert_int_equal(t->state, G_FAILED);
    /* Its mirror task and the fan-in are upstream_failed; the dynamic step fails unplanned. */
    assert_int_equal(g.tasks[g.steps[1].tasks[0]]->state, G_UPSTREAM);
    assert_int_equal(g.tasks[g.steps[1].tasks[1]]->state, G_WAITING);
    assert_int_equal(g.tasks[g.steps[2].tasks[0]]->state, G_UPSTREAM);
    assert_true(g.steps[4].failed);
    assert_int_equal(g.steps[4].cls, DF_CLASS_UPSTREAM);
    assert_false(graph_step_plannable(&g, 4, 1));
    /* Independent work goes on: a[1], b, then the mirror of a[1]. */
    int ran = 0;
    while ((t = graph_next(&g, 10, 1, 0)) != NULL) {
        graph_task_started(&g, t, 10);
        graph_task_finished(&g, t, DF_CLASS_OK, 11);
        ran++;
    }
    assert_int_equal(ran, 3);
    assert_int_equal(g.tasks[g.steps[1].tasks[1]]->state, G_DONE);
    assert_true(graph_idle(&g));
    assert_true(graph_step_succeeded(&g, 3));
    assert_false(graph_step_succeeded(&g, 0));
    graph_release(&g);
}

static void graph_retries_by_class(void **state)
{
    struct graph_step_def defs[1] = {{NULL, 0, -1, 3, 1}};
    struct graph g;
    struct gtask *t;

    (void)state;
    graph_init(&g, defs, 1, order3);
    g.backoff_ms = 100;
    graph_plan_step(&g, 0, 1);
    t = graph_next(&g, 0, 1, 0);
    graph_task_started(&g, t, 0);
    assert_int_equal(graph_task_finished(&g, t, DF_CLASS_KILLED_MEMORY, 50), 1);
    assert_int_equal(t->state, G_BACKOFF);
    assert_int_equal(t->retry_at, 150);
    assert_int_equal(graph_next_retry(&g), 150);
    assert_null(graph_next(&g, 149, 1, 0)); /* backing off */
    assert_false(graph_idle(&g));
    assert_ptr_equal(graph_next(&g, 150, 1, 0), t);
    graph_task_started(&g, t, 150);
    assert_int_equal(graph_task_finished(&g, t, DF_CLASS_TIMEOUT, 200), 1);
    assert_int_equal(t->retry_at, 400); /* doubled */
    graph_task_started(&g, t, 400);
    /* Third attempt of three: no more. */
    assert_int_equal(graph_task_finished(&g, t, DF_CLASS_CRASH, 500), 0);
    assert_int_equal(t->state, G_FAILED);
    assert_int_equal(t->attempts, 3);
    assert_int_equal(t->elapsed_ms, 50 + 50 + 100);
    graph_release(&g);

    /* check_failed is never retried. */
    graph_init(&g, defs, 1, order3);
    graph_plan_step(&g, 0, 1);
    t = graph_next(&g, 0, 1, 0);
    graph_task_started(&g, t, 0);
    assert_int_equal(graph_task_finished(&g, t, DF_CLASS_CHECK_FAILED, 1), 0);
    assert_int_equal(t->state, G_FAILED);
    assert_int_equal(g.steps[0].cls, DF_CLASS_CHECK_FAILED);
    graph_release(&g);
}

static void graph_jobs_and_memory(void **state)
{
    /* 0: four 3 GB tasks; 1: one 10 GB task; 2: four 1 GB tasks. */
    const uint64_t G = (uint64_t)1 << 30;
    static const size_t order[] = {0, 1, 2};
    struct graph_step_def defs[3] = {
        {NULL, 0, -1, 1, 3 * G},
        {NULL, 0, -1, 1, 10 * G},
        {NULL, 0, -1, 1, 1 * G},
    };
    struct graph g;
    struct gtask *t;

    (void)state;
    graph_init(&g, defs, 3, order);
    graph_plan_step(&g, 0, 4);
    graph_plan_step(&g, 1, 1);
    graph_plan_step(&g, 2, 4);
    /* Budget 8 GB, 4 jobs: two 3 GB tasks, then 1 GB ones fill up to 8 GB. */
    size_t started = 0;
    while ((t = graph_next(&g, 0, 4, 8 * G)) != NULL) {
        graph_task_started(&g, t, 0);
        started++;
    }
    assert_int_equal(started, 4);
    assert_int_equal(g.running_memory, 8 * G);
    /* Jobs bound too: with jobs = 4 nothing more starts even if memory allowed. */
    assert_null(graph_next(&g, 0, 4, 100 * G));
    for (size_t i = 0; i < g.n_tasks; i++)
        if (g.tasks[i]->state == G_RUNNING)
            graph_task_finished(&g, g.tasks[i], DF_CLASS_OK, 1);
    /* The 10 GB task exceeds the budget: it waits until nothing runs, then runs alone. */
    while ((t = graph_next(&g, 1, 4, 8 * G)) != NULL) {
        assert_true(t->step != 1 || g.running == 0);
        graph_task_started(&g, t, 1);
        if (t->step == 1)
            assert_null(graph_next(&g, 1, 4, 8 * G));
        if (g.running == 4 || t->step == 1 || !graph_next(&g, 1, 4, 8 * G)) {
            for (size_t i = 0; i < g.n_tasks; i++)
                if (g.tasks[i]->state == G_RUNNING)
                    graph_task_finished(&g, g.tasks[i], DF_CLASS_OK, 2);
        }
    }
    assert_true(graph_idle(&g));
    for (size_t s = 0; s < 3; s++)
        assert_true(graph_step_succeeded(&g, s));
    graph_release(&g);
}

static void graph_zero_items_and_interrupt(void **state)
{
    static const size_t d1[] = {0};
    struct graph_step_def defs[2] = {{NULL, 0, -1, 1, 1}, {d1, 1, -1, 1, 1}};
    struct graph g;
    struct gtask *t;

    (void)state;
    graph_init(&g, defs, 2, order3);
    graph_plan_step(&g, 0, 0);
    assert_true(graph_step_succeeded(&g, 0)); /* no items: done at once */
    assert_true(graph_step_plannable(&g, 1, 1));
    graph_plan_step(&g, 1, 2);
    t = graph_next(&g, 0, 1, 0);
    graph_task_started(&g, t, 0);
    graph_interrupt(&g);
    assert_int_equal(g.tasks[g.steps[1].tasks[1]]->state, G_INTERRUPTED);
    assert_null(graph_next(&g, 0, 4, 0));
    graph_task_finished(&g, t, DF_CLASS_INTERRUPTED, 1);
    assert_int_equal(t->state, G_INTERRUPTED);
    assert_true(graph_idle(&g));
    graph_release(&g);
}

static void graph_many_tasks(void **state)
{
    /* 20000 chunks, mirrored, then a fan-in: finishes (in well under a second unless
     * something is quadratic), in order, every task once. */
    enum { N = 20000 };
    static const size_t d1[] = {0}, d2[] = {1};
    struct graph_step_def defs[3] = {
        {NULL, 0, -1, 2, 1},
        {d1, 1, 0, 2, 1},
        {d2, 1, -1, 2, 1},
    };
    struct graph g;
    struct gtask *t, *run[8];
    size_t started = 0, retried = 0;
    int64_t now = 0;

    (void)state;
    graph_init(&g, defs, 3, order3);
    g.backoff_ms = 0;
    graph_plan_step(&g, 0, N);
    graph_plan_step(&g, 1, N);
    graph_plan_step(&g, 2, 1);
    while (!graph_idle(&g)) {
        size_t n = 0;
        while (n < 8 && (t = graph_next(&g, now, 8, 0)) != NULL) {
            graph_task_started(&g, t, now);
            run[n++] = t;
            started++;
        }
        assert_true(n > 0);
        now++;
        for (size_t i = 0; i < n; i++) {
            /* Every 1000th chunk fails once with a retryable class. */
            int fail = run[i]->step == 0 && run[i]->item_index % 1000 == 7 && run[i]->attempts == 1;
            retried += fail;
            graph_task_finished(&g, run[i], fail ? DF_CLASS_CRASH : DF_CLASS_OK, now);
        }
    }
    assert_int_equal(started, 2 * N + 1 + retried);
    assert_int_equal(retried, N / 1000);
    for (size_t s = 0; s < 3; s++)
        assert_true(graph_step_succeeded(&g, s));
    graph_release(&g);
}

/* ---- child processes and run records ---- */

static struct child *run_sh(const char *script)
{
    struct df_error err = DF_ERROR_INIT;
    char *argv[] = {"/bin/sh", "-c", (char *)script, NULL};
    struct child *c = child_start(argv, &err);
    assert_non_null(c);
    /* Drain and reap the way the executor does, without its poll(). */
    while (!child_reap(c)) {
        child_read(c);
        usleep(1000);
    }
    return c;
}

static void child_status_and_output(void **state)
{
    struct child *c;
    char *out;

    (void)state;
    c = run_sh("echo to-stdout; echo to-stderr >&2; exit 7");
    assert_true(c->exited);
    assert_int_equal(c->exit_code, 7);
    out = child_output(c);
    assert_string_equal(out, "to-stdout\nto-stderr\n");
    free(out);
    child_free(c);

    c = run_sh("kill -TERM $$");
    assert_false(c->exited);
    assert_int_equal(c->signal, SIGTERM);
    child_free(c);

    /* stdin is /dev/null: a child that reads it ends at once. */
    c = run_sh("cat; echo done");
    out = child_output(c);
    assert_string_equal(out, "done\n");
    free(out);
    child_free(c);

    /* Long output keeps its head and its tail. */
    c = run_sh("echo BEGIN; head -c 1000000 /dev/zero | tr '\\0' x; echo; echo END");
    out = child_output(c);
    assert_true(strncmp(out, "BEGIN\n", 6) == 0);
    assert_non_null(strstr(out, " bytes not kept ...]\n"));
    assert_true(strlen(out) < 400000);
    assert_string_equal(out + strlen(out) - 5, "\nEND\n");
    free(out);
    child_free(c);
}

static void child_exec_failure(void **state)
{
    struct df_error err = DF_ERROR_INIT;
    char *argv[] = {"/no/such/program", NULL};
    (void)state;
    assert_null(child_start(argv, &err));
    assert_int_equal(err.code, DF_EIO);
    assert_non_null(strstr(err.msg, "cannot run '/no/such/program'"));
    assert_non_null(strstr(err.msg, "No such file"));
}

static void run_records_know_live_runs(void **state)
{
    char host[256], pid[32];
    json_t *r;

    (void)state;
    gethostname(host, sizeof(host));
    host[sizeof(host) - 1] = '\0';
    snprintf(pid, sizeof(pid), "%d", (int)getpid());
    /* This process, on this host: alive. */
    r = json_pack("{s:s, s:s, s:i, s:s}", "status", "running", "host", host, "pid", (int)getpid(),
                  "updated_at", "2000-01-01T00:00:00Z");
    assert_true(runrec_still_running(r));
    json_object_set_new(r, "status", json_string("failed"));
    assert_false(runrec_still_running(r));
    json_decref(r);
    /* A pid that cannot exist: gone. */
    r = json_pack("{s:s, s:s, s:i}", "status", "running", "host", host, "pid", 0x3ffffff0);
    assert_false(runrec_still_running(r));
    json_decref(r);
    /* Another host: judged by age. */
    r = json_pack("{s:s, s:s, s:i, s:s}", "status", "running", "host", "elsewhere-x", "pid", 1,
                  "updated_at", "2000-01-01T00:00:00Z");
    assert_false(runrec_still_running(r));
    char now[40];
    df_iso_now(now, sizeof(now));
    json_object_set_new(r, "updated_at", json_string(now));
    assert_true(runrec_still_running(r));
    json_decref(r);
}

/* ---- df_run with a stand-in for `duckflow step` ---- */

/* The stand-in: parses the arguments the executor passes, logs them, and behaves as
 * $FAKE_MODE says for the task named in $FAKE_TASK ("step/item"):
 *   fail   exit 1 with an _error.json of class sql_error
 *   kill1  die by SIGKILL on attempt 1, succeed afterwards
 *   hang   sleep far past any timeout
 * Any other task commits a manifest with 10 rows. */
static const char fake_step[] =
    "#!/bin/sh\n"
    "shift; shift\n"
    "while [ $# -gt 0 ]; do case $1 in\n"
    "  --run) run=$2; shift 2;; --step) step=$2; shift 2;; --item) item=$2; shift 2;;\n"
    "  --attempt) att=$2; shift 2;; --store) store=$2; shift 2;;\n"
    "  --threads) threads=$2; shift 2;; --param) params=\"$params $2\"; shift 2;;\n"
    "  --no-cache) shift;;\n"
    "  *) echo \"unexpected argument $1\" >&2; exit 2;; esac; done\n"
    "key=$(printf %05d \"$item\")\n"
    "task=\"$store/fake/runs/$run/$step/$key\"\n"
    "mkdir -p \"$task/$att-beef\"\n"
    "echo \"$step/$item attempt=$att threads=${threads:-} params=${params:-}\" >> "
    "\"$FAKE_LOG\"\n"
    "echo \"output of $step/$item\"\n"
    "if [ \"$step/$item\" = \"${FAKE_TASK:-}\" ]; then case $FAKE_MODE in\n"
    "  fail) echo '{\"class\":\"sql_error\",\"message\":\"no such table: x\"}' > "
    "\"$task/$att-beef/_error.json\"; echo 'Error: no such table' >&2; exit 1;;\n"
    "  kill1) [ \"$att\" = 1 ] && kill -9 $$;;\n"
    "  hang) exec sleep 30;;\n"
    "esac; fi\n"
    "echo part > \"$task/$att-beef/part-00000.parquet\"\n"
    "printf '{\"pipeline\":\"fake\",\"run\":\"%s\",\"step\":\"%s\",\"item_index\":%s,"
    "\"item_key\":\"%s\",\"attempt\":%s,\"attempt_dir\":\"%s-beef\",\"tables\":{\"t\":"
    "{\"rows\":10,\"bytes\":5,\"files\":[{\"path\":\"%s-beef/part-00000.parquet\"}]}}}' "
    "\"$run\" \"$step\" \"$item\" \"$key\" \"$att\" \"$att\" \"$att\" > \"$task/_manifest.json\"\n";

static const char fake_yaml[] = "name: fake\n"
                                "params:\n"
                                "  n: 3\n"
                                "defaults:\n"
                                "  retries: 1\n"
                                "steps:\n"
                                "  gen:\n"
                                "    foreach: {range: n}\n"
                                "    sql: CREATE TABLE t AS SELECT 1 AS x;\n"
                                "    outputs: [t]\n"
                                "  sum:\n"
                                "    foreach: {each: gen}\n"
                                "    inputs: {t: gen.t}\n"
                                "    sql: CREATE TABLE t2 AS SELECT * FROM t;\n"
                                "    outputs: [t2]\n"
                                "  merge:\n"
                                "    inputs: {t2: sum.t2}\n"
                                "    sql: CREATE TABLE t3 AS SELECT * FROM t2;\n"
                                "    outputs: [t3]\n"
                                "  other:\n"
                                "    sql: CREATE TABLE t4 AS SELECT 1 AS y;\n"
                                "    outputs: [t4]\n"
                                "    timeout: 1s\n"
                                "    retries: 0\n";

struct world {
    char *dir, *exe, *log, *yaml;
    struct df_pipeline *p;
    struct df_store *s;
    FILE *sink;
};

static int world_setup(void **state)
{
    struct df_error err = DF_ERROR_INIT;
    struct world *w = xcalloc(1, sizeof(*w));
    char *root;

    w->dir = fs_mkdtemp(NULL, "df-test-exec", &err);
    assert_non_null(w->dir);
    w->exe = fs_join(w->dir, "fake-duckflow");
    w->log = fs_join(w->dir, "calls.log");
    w->yaml = fs_join(w->dir, "fake.yaml");
    assert_int_equal(fs_write_atomic(w->exe, fake_step, strlen(fake_step), &err), 0);
    chmod(w->exe, 0755);
    assert_int_equal(fs_write_atomic(w->yaml, fake_yaml, strlen(fake_yaml), &err), 0);
    assert_int_equal(df_pipeline_load(w->yaml, NULL, 0, &w->p, &err), 0);
    root = fs_join(w->dir, "store");
    assert_int_equal(df_store_open(root, &w->s, &err), 0);
    free(root);
    setenv("FAKE_LOG", w->log, 1);
    unsetenv("FAKE_TASK");
    unsetenv("FAKE_MODE");
    w->sink = fopen("/dev/null", "w");
    *state = w;
    return 0;
}

static int world_teardown(void **state)
{
    struct world *w = *state;
    df_pipeline_free(w->p);
    df_store_free(w->s);
    fs_remove_tree(w->dir, NULL);
    free(w->dir);
    free(w->exe);
    free(w->log);
    free(w->yaml);
    fclose(w->sink);
    free(w);
    return 0;
}

static int run(struct world *w, const char *resume, int jobs, char run_id[64], struct df_error *err)
{
    struct df_run_opts o;
    const char *params[] = {"n=3"};
    memset(&o, 0, sizeof(o));
    o.self_exe = w->exe;
    o.param_args = params;
    o.n_param_args = 1;
    o.jobs = jobs;
    o.resume_run = resume;
    o.log = w->sink;
    o.summary = w->sink;
    o.backoff_ms = 10;
    o.grace_ms = 200;
    return df_run(w->p, w->s, &o, run_id, err);
}

static json_t *run_json(struct world *w, const char *run_id)
{
    struct df_error err = DF_ERROR_INIT;
    char *key = df_key_run_json("fake", run_id), *data = NULL;
    size_t len;
    json_t *j;
    assert_int_equal(df_store_get_bytes(w->s, key, 1 << 24, &data, &len, &err), 0);
    j = json_loads(data, 0, NULL);
    assert_non_null(j);
    free(key);
    free(data);
    return j;
}

/* The task record of step/item in run.json. */
static json_t *task_rec(json_t *rec, const char *step, int item)
{
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(rec, "tasks"), i, t)
    {
        if (!strcmp(json_string_value(json_object_get(t, "step")), step) &&
            json_integer_value(json_object_get(t, "item_index")) == item)
            return t;
    }
    fail_msg("no task %s/%d in run.json", step, item);
    return NULL;
}

static const char *str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "(null)";
}

static int count_lines(const char *path, const char *needle)
{
    char *data = NULL;
    int n = 0;
    if (fs_read_file(path, 1 << 20, &data, NULL, NULL) != 0)
        return 0;
    for (char *p = data; (p = strstr(p, needle)) != NULL; p++)
        n++;
    free(data);
    return n;
}

static void exec_runs_everything(void **state)
{
    struct world *w = *state;
    struct df_error err = DF_ERROR_INIT;
    char id[64];
    json_t *rec, *m = NULL;

    assert_int_equal(run(w, NULL, 2, id, &err), 0);
    assert_true(df_valid_run_id(id));
    rec = run_json(w, id);
    assert_string_equal(str(rec, "status"), "succeeded");
    assert_string_equal(str(rec, "pipeline"), "fake");
    assert_int_equal(json_integer_value(json_object_get(rec, "tasks_total")), 8);
    assert_int_equal(json_integer_value(json_object_get(rec, "tasks_done")), 8);
    assert_string_equal(str(task_rec(rec, "sum", 2), "state"), "done");
    assert_int_equal(json_integer_value(json_object_get(task_rec(rec, "merge", 0), "rows")), 10);
    /* Every task got the run's params and its own attempt number. */
    assert_int_equal(count_lines(w->log, "attempt=1 threads= params= n=3"), 8);
    assert_int_equal(df_manifest_read(w->s, "fake", id, "merge", "00000", &m, &err), 0);
    json_decref(m);
    json_decref(rec);
}

static void exec_failure_spares_independent_work(void **state)
{
    struct world *w = *state;
    struct df_error err = DF_ERROR_INIT;
    char id[64], id2[64];
    json_t *rec;

    setenv("FAKE_TASK", "sum/1", 1);
    setenv("FAKE_MODE", "fail", 1);
    assert_int_equal(run(w, NULL, 1, id, &err), -1);
    assert_int_equal(err.code, DF_EFAIL);
    assert_non_null(strstr(err.msg, "sum[1] (sql_error): no such table: x"));
    rec = run_json(w, id);
    assert_string_equal(str(rec, "status"), "failed");
    json_t *t = task_rec(rec, "sum", 1);
    assert_string_equal(str(t, "state"), "failed");
    assert_string_equal(str(t, "exit_class"), "sql_error");
    assert_int_equal(json_integer_value(json_object_get(t, "attempts")), 1); /* not retried */
    assert_string_equal(str(task_rec(rec, "merge", 0), "exit_class"), "upstream_failed");
    assert_string_equal(str(task_rec(rec, "sum", 2), "state"), "done");
    assert_string_equal(str(task_rec(rec, "other", 0), "state"), "done");
    json_decref(rec);

    /* --resume keeps the 6 committed tasks and runs sum[1] and merge. */
    unsetenv("FAKE_TASK");
    fs_remove_tree(w->log, NULL);
    df_error_clear(&err);
    assert_int_equal(run(w, id, 2, id2, &err), 0);
    assert_string_equal(id, id2);
    assert_int_equal(count_lines(w->log, "attempt="), 2);
    /* The new attempt is numbered after the one that failed. */
    assert_int_equal(count_lines(w->log, "sum/1 attempt=2"), 1);
    rec = run_json(w, id);
    assert_string_equal(str(rec, "status"), "succeeded");
    assert_true(json_is_true(json_object_get(task_rec(rec, "gen", 0), "resumed")));
    json_decref(rec);

    /* gc: the failed attempt of sum[1] is garbage, the winners are not. */
    struct df_gc_stats st;
    df_error_clear(&err);
    assert_int_equal(df_gc(w->s, NULL, 1, NULL, NULL, &st, &err), 0);
    assert_int_equal(st.folders, 1);
    assert_int_equal(df_gc(w->s, "fake", 0, NULL, NULL, &st, &err), 0);
    assert_int_equal(st.folders, 1);
    assert_int_equal(st.files, 1); /* its _error.json */
    assert_int_equal(df_gc(w->s, NULL, 0, NULL, NULL, &st, &err), 0);
    assert_int_equal(st.folders, 0);
    char *k = xasprintf("fake/runs/%s/sum/00001/2-beef/part-00000.parquet", id);
    char *lp = df_store_local_path(w->s, k);
    assert_true(fs_exists(lp));
    free(lp);
    free(k);
}

static void exec_retries_a_killed_task_with_fewer_threads(void **state)
{
    struct world *w = *state;
    struct df_error err = DF_ERROR_INIT;
    char id[64];
    json_t *rec;

    setenv("FAKE_TASK", "gen/2", 1);
    setenv("FAKE_MODE", "kill1", 1);
    assert_int_equal(run(w, NULL, 2, id, &err), 0);
    assert_int_equal(count_lines(w->log, "gen/2 attempt=1 threads= "), 1);
    assert_int_equal(count_lines(w->log, "gen/2 attempt=2 threads="), 1);
    assert_int_equal(count_lines(w->log, "gen/2 attempt=2 threads= "), 0); /* halved, passed */
    rec = run_json(w, id);
    json_t *t = task_rec(rec, "gen", 2);
    assert_string_equal(str(t, "state"), "done");
    assert_int_equal(json_integer_value(json_object_get(t, "attempts")), 2);
    json_decref(rec);
}

static void exec_timeout_kills_the_task(void **state)
{
    struct world *w = *state;
    struct df_error err = DF_ERROR_INIT;
    char id[64];
    json_t *rec;

    setenv("FAKE_TASK", "other/0", 1);
    setenv("FAKE_MODE", "hang", 1);
    assert_int_equal(run(w, NULL, 4, id, &err), -1);
    rec = run_json(w, id);
    json_t *t = task_rec(rec, "other", 0);
    assert_string_equal(str(t, "exit_class"), "timeout");
    assert_int_equal(json_integer_value(json_object_get(t, "attempts")), 1); /* retries: 0 */
    assert_string_equal(str(task_rec(rec, "merge", 0), "state"), "done");
    assert_null(strstr(str(t, "error"), "(null)"));
    json_decref(rec);
}

static void exec_resume_unknown_run(void **state)
{
    struct world *w = *state;
    struct df_error err = DF_ERROR_INIT;
    char id[64];
    assert_int_equal(run(w, "20990101T000000Z-0000", 1, id, &err), -1);
    assert_int_equal(err.code, DF_EUSAGE);
    df_error_clear(&err);
    assert_int_equal(run(w, "../x", 1, id, &err), -1);
    assert_int_equal(err.code, DF_EUSAGE);
}

static void exec_bad_exe_is_a_task_failure(void **state)
{
    struct world *w = *state;
    struct df_error err = DF_ERROR_INIT;
    char id[64];
    free(w->exe);
    w->exe = xstrdup("/nonexistent/duckflow");
    assert_int_equal(run(w, NULL, 1, id, &err), -1);
    assert_int_equal(err.code, DF_EFAIL);
    assert_non_null(strstr(err.msg, "cannot run '/nonexistent/duckflow'"));
}

/* gc's index keeps of a manifest only the members it uses, and of "tables" the files'
 * paths: df_manifest_table_keys gives the same keys as from the whole manifest. */
static void index_manifest_pick_keeps_file_paths(void **state)
{
    const char *m = "{\"format\": 1, \"pipeline\": \"p\", \"run\": \"r\", \"step\": \"s\","
                    " \"item_key\": \"00000\", \"attempt_dir\": \"1-ab\", \"inputs\": [{\"x\": 1}],"
                    " \"tables\": {\"t\": {\"rows\": 2, \"schema\": [{\"name\": \"a\", \"type\":"
                    " \"INT\"}], \"files\": [{\"path\": \"1-ab/t/part-00000.parquet\", \"rows\": 2,"
                    " \"sha256\": \"00\"}, 7, {\"rows\": 0, \"path\": \"1-ab/t/p\\\"q.parquet\"}]},"
                    " \"u\": {\"files\": []}, \"v\": {}}, \"checks\": []}";
    json_t *whole = json_loads(m, 0, NULL), *picked = df_manifest_pick(m, strlen(m));
    json_t *k1 = json_array(), *k2 = json_array();
    (void)state;
    assert_non_null(whole);
    assert_non_null(picked);
    assert_null(json_object_get(picked, "inputs"));
    assert_null(json_object_get(picked, "format"));
    assert_string_equal(json_string_value(json_object_get(picked, "attempt_dir")), "1-ab");
    assert_null(json_object_get(json_object_get(json_object_get(picked, "tables"), "t"), "schema"));
    assert_int_equal(json_object_size(json_object_get(picked, "tables")), 3);
    assert_int_equal(df_manifest_table_keys(whole, "t", k1), 2);
    assert_int_equal(df_manifest_table_keys(picked, "t", k2), 2);
    assert_true(json_equal(k1, k2));
    assert_string_equal(json_string_value(json_array_get(k2, 1)),
                        "p/runs/r/s/00000/1-ab/t/p\"q.parquet");
    json_decref(k1);
    json_decref(k2);
    json_decref(picked);
    json_decref(whole);
    /* Not JSON objects, or cut short: NULL. */
    assert_null(df_manifest_pick("[1]", 3));
    assert_null(df_manifest_pick(m, strlen(m) - 3));
    assert_null(df_manifest_pick("{\"tables\": {\"t\": {\"files\": [1,}}}", 34));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(graph_mirror_starts_chunk_by_chunk),
        cmocka_unit_test(graph_chunk_goes_down_its_chain_first),
        cmocka_unit_test(graph_failure_reaches_dependents_only),
        cmocka_unit_test(graph_retries_by_class),
        cmocka_unit_test(graph_jobs_and_memory),
        cmocka_unit_test(graph_zero_items_and_interrupt),
        cmocka_unit_test(graph_many_tasks),
        cmocka_unit_test(child_status_and_output),
        cmocka_unit_test(child_exec_failure),
        cmocka_unit_test(run_records_know_live_runs),
        cmocka_unit_test(index_manifest_pick_keeps_file_paths),
        cmocka_unit_test_setup_teardown(exec_runs_everything, world_setup, world_teardown),
        cmocka_unit_test_setup_teardown(exec_failure_spares_independent_work, world_setup,
                                        world_teardown),
        cmocka_unit_test_setup_teardown(exec_retries_a_killed_task_with_fewer_threads, world_setup,
                                        world_teardown),
        cmocka_unit_test_setup_teardown(exec_timeout_kills_the_task, world_setup, world_teardown),
        cmocka_unit_test_setup_teardown(exec_resume_unknown_run, world_setup, world_teardown),
        cmocka_unit_test_setup_teardown(exec_bad_exe_is_a_task_failure, world_setup,
                                        world_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
