#!/usr/bin/env python3
"""sql_examples.py - the SQL examples of README.md and docs/*.md, as JSON lines, for
tests/e2e/t1201-docs-sql-examples.sh (which runs each one).

Two kinds:
  {"kind": "sql", ...}  each statement of a ```sql block; "want" is the result the doc
                        prints in the "-- " comment lines right below the statement (joined,
                        the "-- " dropped), or null when it prints none.
  {"kind": "cli", ...}  each `duckflow query ...` command of a shell block (```sh or a bare
                        ```) or of an inline code span: "args" are its arguments, "stdin"
                        the SQL an `echo '...' |` in front of it feeds it, or null.
  {"kind": "pipeline", ...} each ```yaml block that is a whole pipeline file (top-level
                        name: and steps:), in "yaml": its SQL is checked by `validate`.
Each has "doc" and "line" (1-based). Usage synopses (`duckflow query [--store URI] ...`)
are not examples. A block that is not runnable on purpose has the line
    <!-- docs-sql: not run: REASON -->
right above its opening fence: it is listed as {"kind": "skip", "reason": ...} instead.
docs/tutorial.md is left out: tests/e2e/t4900-tutorial.sh runs it whole, as written.
  sql_examples.py TOP
"""
import glob
import json
import os
import re
import shlex
import sys

top = sys.argv[1]
docs = ["README.md"] + sorted(os.path.relpath(p, top) for p in glob.glob(os.path.join(top, "docs", "*.md")))
docs = [d for d in docs if d != "docs/tutorial.md"]
SKIP = re.compile(r"^\s*<!--\s*docs-sql:\s*not run:\s*(.*?)\s*-->\s*$")
FENCE = re.compile(r"^(\s*)```(\w*)\s*$")


def emit(obj):
    print(json.dumps(obj))


def sql_block(doc, first, lines):
    """Statements end with a line ending in ';'; '-- ' lines right after one are its result."""
    stmt, start, last = [], None, None
    for k, line in enumerate(lines):
        n = first + k
        if not stmt and line.startswith("--"):
            if last is not None:
                last["want"] = (last["want"] or "") + line[3:] if line.startswith("-- ") else line[2:]
            continue
        if not line.strip():
            if last is not None:
                emit(last)
                last = None
            continue
        if last is not None:
            emit(last)
            last = None
        if not stmt:
            start = n
        stmt.append(line)
        if line.rstrip().endswith(";"):
            last = {"kind": "sql", "doc": doc, "line": start, "sql": "\n".join(stmt).rstrip()[:-1], "want": None}
            stmt = []
    if last is not None:
        emit(last)
    if stmt:
        emit({"kind": "sql", "doc": doc, "line": start, "sql": "\n".join(stmt), "want": None})


def cli_line(doc, n, text):
    """The `duckflow query` command in one (continued) shell line, if any."""
    if "duckflow query" not in text:
        return
    try:
        words = shlex.split(text, comments=True)
    except ValueError:
        return
    for i in range(len(words) - 1):
        if words[i] == "duckflow" and words[i + 1] == "query":
            stdin = None
            if i >= 3 and words[i - 1] == "|" and words[i - 3] == "echo":
                stdin = words[i - 2]
            args = words[i + 2:]
            if "|" in args:
                args = args[: args.index("|")]
            if any(a.startswith("[") for a in args):
                return  # a usage synopsis ([--store URI] ...), not an example
            emit({"kind": "cli", "doc": doc, "line": n, "args": args, "stdin": stdin})
            return


for doc in docs:
    lines = open(os.path.join(top, doc), encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            # inline code spans of prose: `duckflow query ...`
            for span in re.findall(r"`(duckflow query [^`]*)`", lines[i]):
                cli_line(doc, i + 1, span)
            i += 1
            continue
        indent, lang = m.group(1), m.group(2)
        j = i + 1
        while j < len(lines) and not re.match(r"^\s*```\s*$", lines[j]):
            j += 1
        body = [l[len(indent):] if l.startswith(indent) else l for l in lines[i + 1 : j]]
        skip = SKIP.match(lines[i - 1]) if i > 0 else None
        if skip and (lang in ("sql", "sh", "") and (lang == "sql" or any("duckflow query" in l for l in body))):
            emit({"kind": "skip", "doc": doc, "line": i + 1, "reason": skip.group(1)})
        elif lang == "sql":
            sql_block(doc, i + 2, body)
        elif lang == "yaml":
            text = "\n".join(body) + "\n"
            if re.search(r"^name:", text, re.M) and re.search(r"^steps:", text, re.M):
                emit({"kind": "pipeline", "doc": doc, "line": i + 1, "yaml": text})
        elif lang in ("sh", ""):
            k = 0
            while k < len(body):
                start, text = k, body[k]
                while text.endswith("\\") and k + 1 < len(body):
                    k += 1
                    text = text[:-1] + " " + body[k]
                cli_line(doc, i + 2 + start, text)
                k += 1
        i = j + 1
