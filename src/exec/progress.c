/*
 * progress.c - the terminal view of a running pipeline (see progress.h). Drawn with
 * plain ANSI sequences: cursor up, erase to the end of the screen.
 */
#include "exec/progress.h"

#include <string.h>

#include "util/strbuf.h"
#include "util/timeutil.h"
#include "util/banned.h"

#define LINE_MAX_COLS 100

void progress_init(struct progress *pr, FILE *out, int color)
{
    memset(pr, 0, sizeof(*pr));
    pr->out = out;
    pr->color = color;
    pr->max_steps = 12;
}

void progress_clear(struct progress *pr)
{
    if (!pr->lines)
        return;
    if (pr->lines > 1)
        fprintf(pr->out, "\033[%dA", pr->lines - 1);
    fputs("\r\033[J", pr->out);
    fflush(pr->out);
    pr->lines = 0;
}

int64_t progress_eta_ms(const struct graph *g, int jobs, int64_t now_ms)
{
    int64_t all_sum = 0, all_n = 0, work = 0;
    (void)now_ms;
    for (size_t i = 0; i < g->n_tasks; i++) {
        const struct gtask *t = g->tasks[i];
        if (t->state == G_DONE && !t->resumed && t->elapsed_ms > 0) {
            all_sum += t->elapsed_ms;
            all_n++;
        }
    }
    if (!all_n)
        return -1;
    for (size_t s = 0; s < g->n_steps; s++) {
        const struct gstep *st = &g->steps[s];
        int64_t sum = 0, n = 0, left = 0, mean;
        for (size_t i = 0; i < st->n_tasks; i++) {
            const struct gtask *t = g->tasks[st->tasks[i]];
            if (t->state == G_DONE && !t->resumed && t->elapsed_ms > 0) {
                sum += t->elapsed_ms;
                n++;
            } else if (t->state == G_WAITING || t->state == G_BACKOFF) {
                left += 2;
            } else if (t->state == G_RUNNING) {
                left += 1; /* about half done, on average */
            }
        }
        mean = n ? sum / n : all_sum / all_n;
        work += left * mean / 2;
    }
    return work / (jobs > 0 ? jobs : 1);
}

static void step_line(struct strbuf *sb, const struct tasknames *tn, const struct graph *g,
                      size_t s, const struct colors *c, int width)
{
    const struct gstep *st = &g->steps[s];
    size_t done = 0, run = 0, failed = 0, kept = 0, reused = 0, retry = 0, notrun = 0;
    const char *col;
    char state[32];
    size_t start = sb->len;

    for (size_t i = 0; i < st->n_tasks; i++) {
        const struct gtask *t = g->tasks[st->tasks[i]];
        done += t->state == G_DONE;
        run += t->state == G_RUNNING;
        failed += t->state == G_FAILED;
        retry += t->state == G_BACKOFF;
        kept += t->resumed && !t->reused_from; /* committed by an earlier invocation */
        reused += t->reused_from != NULL;      /* an earlier run's files, through the cache */
        notrun += t->state == G_UPSTREAM || t->state == G_INTERRUPTED;
    }
    if (graph_step_succeeded(g, s)) {
        int all_kept = st->n_tasks && kept == st->n_tasks;
        int all_reused = st->n_tasks && reused == st->n_tasks;
        col = all_kept || all_reused ? c->reuse : c->ok;
        snprintf(state, sizeof(state), "%s", all_reused ? "reused" : all_kept ? "kept" : "ok");
    } else if (failed || (st->failed && st->cls != DF_CLASS_UPSTREAM)) {
        col = c->fail;
        snprintf(state, sizeof(state), "failed");
    } else if (st->failed) {
        col = c->dim;
        snprintf(state, sizeof(state), "not run");
    } else if (run || retry) {
        col = c->run;
        snprintf(state, sizeof(state), "running");
    } else {
        col = c->dim;
        snprintf(state, sizeof(state), "waiting");
    }
    sb_addf(sb, "  %-*s ", width, tn->p->steps[s].name);
    if (st->planned)
        sb_addf(sb, "%6zu/%-6zu", done, st->n_tasks);
    else
        sb_addf(sb, "%6s/%-6s", "-", "?");
    sb_addf(sb, " %s%-8s%s", col, state, c->off);
    if (run)
        sb_addf(sb, " %s%zu running%s", c->run, run, c->off);
    if (retry)
        sb_addf(sb, " %s%zu retrying%s", c->run, retry, c->off);
    if (failed)
        sb_addf(sb, " %s%zu failed%s", c->fail, failed, c->off);
    if (notrun)
        sb_addf(sb, " %zu not run", notrun);
    if (kept)
        sb_addf(sb, " %s%zu kept%s", c->reuse, kept, c->off);
    if (reused)
        sb_addf(sb, " %s%zu reused%s", c->reuse, reused, c->off);
    if (run && run <= 3) {
        /* name the running tasks when there are few */
        sb_adds(sb, ":");
        for (size_t i = 0; i < st->n_tasks; i++) {
            const struct gtask *t = g->tasks[st->tasks[i]];
            char name[160];
            if (t->state != G_RUNNING)
                continue;
            tasknames_get(tn, t->step, t->item_index, name, sizeof(name));
            /* One screen line: colour sequences take about 40 bytes of it. */
            if (sb->len - start + strlen(name) > LINE_MAX_COLS + 40) {
                sb_adds(sb, " ...");
                break;
            }
            sb_addf(sb, " %s", name);
        }
    }
    sb_addc(sb, '\n');
}

void progress_show(struct progress *pr, const struct tasknames *tn, const struct graph *g,
                   int64_t elapsed_ms, int jobs)
{
    struct strbuf sb = STRBUF_INIT;
    struct colors c;
    size_t done = 0, total = g->n_tasks, shown = 0, lines = 1;
    int unplanned = 0, width = 4;
    int64_t eta;
    char el[32], es[32];

    colors_init(&c, pr->color);
    for (size_t i = 0; i < g->n_tasks; i++)
        done += g->tasks[i]->state != G_WAITING && g->tasks[i]->state != G_RUNNING &&
                g->tasks[i]->state != G_BACKOFF;
    for (size_t s = 0; s < g->n_steps; s++) {
        unplanned |= !g->steps[s].planned && !g->steps[s].failed;
        if ((int)strlen(tn->p->steps[s].name) > width)
            width = (int)strlen(tn->p->steps[s].name);
    }
    if (width > 30)
        width = 30;
    df_format_duration(elapsed_ms, el, sizeof(el));
    sb_addf(&sb, "%s[%zu/%zu%s]%s %s", c.bold, done, total, unplanned ? "+" : "", c.off, el);
    eta = progress_eta_ms(g, jobs, elapsed_ms);
    if (eta >= 0 && done < total) {
        df_format_duration(eta, es, sizeof(es));
        sb_addf(&sb, ", ETA %s%s", unplanned ? ">" : "", es);
    }
    sb_addc(&sb, '\n');
    for (size_t k = 0; k < g->n_steps; k++) {
        size_t s = tn->p->order[k];
        if ((int)shown >= pr->max_steps)
            break;
        step_line(&sb, tn, g, s, &c, width);
        shown++;
        lines++;
    }
    if (shown < g->n_steps) {
        sb_addf(&sb, "  ... and %zu more steps\n", g->n_steps - shown);
        lines++;
    }
    /* The last line has no newline, so the cursor stays on the view. */
    if (sb.len && sb.buf[sb.len - 1] == '\n')
        sb.buf[--sb.len] = '\0';
    progress_clear(pr);
    fputs(sb.buf, pr->out);
    fflush(pr->out);
    pr->lines = (int)lines;
    sb_release(&sb);
}
