/*
 * options.c - the option tables of the commands at work: parsing argv with a command's
 * table (getopt_long underneath, with "did you mean" for a mistyped option), printing
 * the table as the options part of --help, and the one meaning each short letter has
 * across all commands (README, "Options"; tests/e2e/t1901-cli-options.sh checks it).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/strbuf.h"
#include "util/suggest.h"
#include "util/banned.h"

#define MAX_OPTS 64

/* The long options and the getopt string of one table, built on first use. */
struct parsed_table {
    const struct cli_opt *opts;
    struct option longopts[MAX_OPTS + 1];
    char optstring[3 * MAX_OPTS + 3];
};

static void build(struct parsed_table *pt, const struct cli_opt *opts, int flags)
{
    size_t n = 0, k = 0;

    memset(pt, 0, sizeof(*pt));
    pt->opts = opts;
    if (flags & CLI_STOP_AT_ARG)
        pt->optstring[k++] = '+';
    pt->optstring[k++] = ':'; /* a missing value returns ':' instead of '?' */
    for (const struct cli_opt *o = opts; o->name && n < MAX_OPTS; o++, n++) {
        pt->longopts[n].name = o->name;
        pt->longopts[n].has_arg = o->arg ? required_argument : no_argument;
        pt->longopts[n].flag = NULL;
        pt->longopts[n].val = o->id;
        if (o->id > 0 && o->id < 128) {
            pt->optstring[k++] = (char)o->id;
            if (o->arg)
                pt->optstring[k++] = ':';
        }
    }
    pt->optstring[k] = '\0';
}

/* The option argv[optind - 1] named (for messages): "--name" of a long one, "-x" else. */
static void bad_option(const char *cmd, const struct cli_opt *opts, const char *arg, int letter,
                       int missing)
{
    const char *names[MAX_OPTS];
    size_t n = 0;
    const char *hint = NULL;
    char word[128];

    if (arg && !strncmp(arg, "--", 2)) {
        size_t l = strcspn(arg + 2, "=");
        snprintf(word, sizeof(word), "%.*s", (int)(l < 100 ? l : 100), arg + 2);
    } else {
        snprintf(word, sizeof(word), "%c", letter ? letter : '?');
    }
    if (missing) {
        fprintf(stderr, "duckflow %s: option '%s%s' needs a value (see 'duckflow %s --help')\n",
                cmd, strlen(word) > 1 ? "--" : "-", word, cmd);
        return;
    }
    for (const struct cli_opt *o = opts; o->name && n < MAX_OPTS; o++)
        names[n++] = o->name;
    if (strlen(word) > 1)
        hint = df_suggest(word, names, n);
    if (hint)
        fprintf(stderr, "duckflow %s: unknown option '--%s'; did you mean '--%s'?\n", cmd, word,
                hint);
    else
        fprintf(stderr, "duckflow %s: unknown option '%s%s' (see 'duckflow %s --help')\n", cmd,
                strlen(word) > 1 ? "--" : "-", word, cmd);
}

int cli_getopt(const char *cmd, int argc, char **argv, const struct cli_opt *opts, int flags)
{
    static struct parsed_table pt;
    int c;

    if (pt.opts != opts || optind <= 1)
        build(&pt, opts, flags);
    opterr = 0;
    c = getopt_long(argc, argv, pt.optstring, pt.longopts, NULL);
    if (c == '?' || c == ':') {
        const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : NULL;
        /* For a short option inside a bundle (-xq), argv[optind - 1] is the bundle. */
        bad_option(cmd, opts, arg && !strncmp(arg, "--", 2) ? arg : NULL, optopt, c == ':');
        return CLI_BAD_OPTION;
    }
    return c;
}

void cli_print_options(FILE *f, const struct cli_opt *opts)
{
    for (const struct cli_opt *o = opts; o->name; o++) {
        struct strbuf head = STRBUF_INIT;
        const char *h = o->help ? o->help : "", *nl;

        if (o->id > 0 && o->id < 128)
            sb_addf(&head, "  -%c, --%s", o->id, o->name);
        else
            sb_addf(&head, "      --%s", o->name);
        if (o->arg)
            sb_addf(&head, " %s", o->arg);
        if (head.len > 22) /* at least two spaces before the help, else a line of its own */
            fprintf(f, "%s\n%24s", head.buf, "");
        else
            fprintf(f, "%-24s", head.buf);
        /* Continuation lines of the help line up under its first. */
        while ((nl = strchr(h, '\n')) != NULL) {
            fprintf(f, "%.*s\n%24s", (int)(nl - h), h, "");
            h = nl + 1;
        }
        fprintf(f, "%s\n", h);
        sb_release(&head);
    }
}
