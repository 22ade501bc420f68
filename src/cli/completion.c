/*
 * completion.c - `duckflow completion bash|zsh`: prints a completion script for the shell,
 * written from the command table and each command's option table (main.c, cmd_*.c), so
 * a new command or option completes without touching this file.
 *
 *   bash:  source <(duckflow completion bash)        (or save it in bash-completion's dir)
 *   zsh:   source <(duckflow completion zsh)         (or save it as _duckflow in $fpath)
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "util/banned.h"

const struct cli_opt cli_opts_completion[] = {
    {CLI_OPT_HELP},
    {0, NULL, NULL, NULL},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: duckflow completion bash|zsh\n\n"
               "Prints a completion script for the shell: commands, each command's options,\n"
               "and file names where a command takes a pipeline file. Load it with\n"
               "  source <(duckflow completion bash)      in ~/.bashrc\n"
               "  source <(duckflow completion zsh)       in ~/.zshrc (after compinit)\n\n"
               "options:\n");
    cli_print_options(f, cli_opts_completion);
}

/* The options of cmd as words: "--store -s --run -r ...". */
static void option_words(FILE *f, const struct cli_opt *opts)
{
    for (const struct cli_opt *o = opts; o && o->name; o++) {
        fprintf(f, " --%s", o->name);
        if (o->id > 0 && o->id < 128)
            fprintf(f, " -%c", o->id);
    }
}

/* Options that take a value, as a bash case pattern "--store|-s|--run|-r". */
static void value_pattern(FILE *f, const struct cli_opt *opts)
{
    int first = 1;
    for (const struct cli_opt *o = opts; o && o->name; o++) {
        if (!o->arg)
            continue;
        fprintf(f, "%s--%s", first ? "" : "|", o->name);
        if (o->id > 0 && o->id < 128)
            fprintf(f, "|-%c", o->id);
        first = 0;
    }
    if (first)
        fprintf(f, "--no-option-takes-a-value");
}

static void bash_script(FILE *f)
{
    fprintf(f, "# duckflow completion for bash: source <(duckflow completion bash)\n"
               "_duckflow() {\n"
               "    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
               "    local cmd=${COMP_WORDS[1]} words valued\n"
               "    COMPREPLY=()\n"
               "    if [ \"$COMP_CWORD\" -eq 1 ]; then\n"
               "        COMPREPLY=($(compgen -W \"");
    for (size_t i = 0; cli_commands[i].name; i++)
        fprintf(f, "%s%s", i ? " " : "", cli_commands[i].name);
    fprintf(f, " --help --version\" -- \"$cur\"))\n"
               "        return 0\n"
               "    fi\n"
               "    case $cmd in\n");
    for (size_t i = 0; cli_commands[i].name; i++) {
        fprintf(f, "    %s)\n        words=\"", cli_commands[i].name);
        option_words(f, cli_commands[i].opts);
        if (!strcmp(cli_commands[i].name, "completion"))
            fprintf(f, " bash zsh");
        fprintf(f, "\"\n        valued=\"");
        value_pattern(f, cli_commands[i].opts);
        fprintf(f, "\" ;;\n");
    }
    fprintf(f, "    *) return 0 ;;\n"
               "    esac\n"
               "    # After an option that takes a value: files (a store folder, an output).\n"
               "    local IFS='|' v\n"
               "    for v in $valued; do\n"
               "        if [ \"$prev\" = \"$v\" ]; then\n"
               "            IFS=$' \\t\\n'\n"
               "            COMPREPLY=($(compgen -f -- \"$cur\"))\n"
               "            return 0\n"
               "        fi\n"
               "    done\n"
               "    IFS=$' \\t\\n'\n"
               "    if [[ $cur == -* || $cmd == completion ]]; then\n"
               "        COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
               "    else\n"
               "        COMPREPLY=($(compgen -f -- \"$cur\"))\n"
               "    fi\n"
               "    return 0\n"
               "}\n"
               "complete -o filenames -o bashdefault -F _duckflow duckflow\n");
}

/* Text safe inside a zsh _arguments description: [help] in single quotes. */
static void zsh_text(FILE *f, const char *s)
{
    for (; *s && *s != '\n'; s++) {
        if (*s == '\'')
            fputs("'\\''", f);
        else if (*s == '[' || *s == ']' || *s == ':' || *s == '\\')
            fputc(' ', f);
        else
            fputc(*s, f);
    }
}

static void zsh_script(FILE *f)
{
    fprintf(f, "#compdef duckflow\n"
               "# duckflow completion for zsh: source <(duckflow completion zsh)\n"
               "_duckflow() {\n"
               "    local -a commands\n"
               "    commands=(\n");
    for (size_t i = 0; cli_commands[i].name; i++) {
        fprintf(f, "        '%s:", cli_commands[i].name);
        zsh_text(f, cli_commands[i].summary);
        fprintf(f, "'\n");
    }
    fprintf(f, "    )\n"
               "    if (( CURRENT == 2 )); then\n"
               "        _describe -t commands 'duckflow command' commands\n"
               "        return\n"
               "    fi\n"
               "    local cmd=$words[2]\n"
               "    shift words\n"
               "    (( CURRENT-- ))\n"
               "    case $cmd in\n");
    for (size_t i = 0; cli_commands[i].name; i++) {
        fprintf(f, "    %s)\n        _arguments -s", cli_commands[i].name);
        for (const struct cli_opt *o = cli_commands[i].opts; o && o->name; o++) {
            int letter = o->id > 0 && o->id < 128;
            fprintf(f, " \\\n            ");
            if (letter)
                fprintf(f, "'(-%c --%s)'{-%c,--%s}'[", o->id, o->name, o->id, o->name);
            else
                fprintf(f, "'--%s[", o->name);
            zsh_text(f, o->help ? o->help : "");
            fprintf(f, "]%s'", o->arg ? ":value:_files" : "");
        }
        if (!strcmp(cli_commands[i].name, "completion"))
            fprintf(f, " \\\n            '1:shell:(bash zsh)'");
        else
            fprintf(f, " \\\n            '*:file:_files'");
        fprintf(f, " ;;\n");
    }
    fprintf(f, "    esac\n"
               "}\n"
               "if [ \"$funcstack[1]\" = \"_duckflow\" ]; then\n"
               "    _duckflow \"$@\"\n"
               "else\n"
               "    compdef _duckflow duckflow\n"
               "fi\n");
}

int cmd_completion(int argc, char **argv)
{
    int c;

    while ((c = cli_getopt("completion", argc, argv, cli_opts_completion, 0)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return 0;
        }
        return 2;
    }
    if (optind != argc - 1)
        return cli_usage_error("completion", "expected one shell: bash or zsh");
    if (!strcmp(argv[optind], "bash")) {
        bash_script(stdout);
        return 0;
    }
    if (!strcmp(argv[optind], "zsh")) {
        zsh_script(stdout);
        return 0;
    }
    return cli_usage_error("completion", "unknown shell '%s' (bash or zsh)", argv[optind]);
}
