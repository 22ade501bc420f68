#!/usr/bin/env python3
"""
check-layers.py - keeps the walls between the folders of src/ standing (DEVELOPERS.md,
"Layout"). Run by `make test` through tests/e2e/t1900-layers.sh.

  scripts/check-layers.py [SRC]      SRC defaults to the src/ beside this script

Fails (exit 1, one line per finding, "file:line: what") on:
  - an include of another folder that ALLOWED does not list (pointing up or sideways);
  - a cycle between source units (a unit is foo.c with foo.h; a header without a .c is
    looked through: what it includes counts for whoever includes it);
  - the rules of who may do what: only exec/ spawns processes; only engine/ and
    sqlfn/register.c include duckdb.h; only store/ talks HTTP (curl); argo/ never opens
    DuckDB (no duckdb.h, no engine/duck.h).
"""
import os
import re
import sys

# Which folders each folder may include, besides itself. Lower layers first:
#   util <- spec <- dag <- store, sqlfn <- engine <- exec, query, argo <- cli
LOWER = {
    "util": [],
    "spec": ["util"],
    "dag": ["spec", "util"],
    "store": ["dag", "spec", "util"],
    "sqlfn": ["util"],
    "engine": ["store", "sqlfn", "dag", "spec", "util"],
}
LOWER["exec"] = ["engine"] + LOWER["engine"]
LOWER["query"] = ["engine"] + LOWER["engine"]
LOWER["argo"] = ["engine"] + LOWER["engine"]
LOWER["cli"] = ["exec", "query", "argo"] + LOWER["exec"]
ALLOWED = {k: set(v) for k, v in LOWER.items()}

# Files that may include these system headers (a folder name, or folder/file).
SYSTEM_RULES = [
    ("duckdb.h", {"engine", "sqlfn/register.c"}, "only engine/ and sqlfn/register.c include duckdb.h"),
    ("curl/curl.h", {"store"}, "only store/ talks HTTP (curl)"),
]
# Calls that start processes: only exec/ makes them.
SPAWN = re.compile(r"\b(fork|vfork|posix_spawnp?|execv|execve|execvp|execvpe|execl|execlp|execle|popen|system)\s*\(")
# What opens DuckDB, which argo/ never does.
ARGO_NO = {"duckdb.h", "engine/duck.h"}

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def strip_comments(text):
    """Blanks out comments and string literals, keeping line numbers."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c == '"' or c == "'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(c + " " * (min(j, n) - i - 1) + (c if j < n else ""))
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "src")
    src = os.path.normpath(src)
    problems = []
    files = {}  # "dir/name.ext" -> [(line, kind, target)]
    for folder in sorted(os.listdir(src)):
        fdir = os.path.join(src, folder)
        if not os.path.isdir(fdir):
            continue
        if folder not in ALLOWED:
            problems.append(f"src/{folder}: a folder the layer table in {os.path.basename(__file__)} does not know")
            continue
        for name in sorted(os.listdir(fdir)):
            if not name.endswith((".c", ".h")):
                continue
            rel = f"{folder}/{name}"
            with open(os.path.join(fdir, name), encoding="utf-8", errors="replace") as f:
                text = f.read()
            incs = []
            for no, line in enumerate(text.split("\n"), 1):
                m = INCLUDE.match(line)
                if m:
                    incs.append((no, m.group(1), m.group(2)))
            files[rel] = incs
            code = strip_comments(text)
            if folder != "exec":
                for no, line in enumerate(code.split("\n"), 1):
                    m = SPAWN.search(line)
                    if m and name != "banned.h":
                        problems.append(f"src/{rel}:{no}: calls {m.group(1)}(): only exec/ spawns processes")

    for rel, incs in files.items():
        folder = rel.split("/")[0]
        for no, kind, target in incs:
            where = f"src/{rel}:{no}"
            if kind == '"':
                tf = target.split("/")[0] if "/" in target else folder
                if "/" in target and target not in files:
                    problems.append(f"{where}: includes \"{target}\", which is not in src/")
                    continue
                if tf != folder and tf not in ALLOWED[folder]:
                    problems.append(
                        f"{where}: {folder}/ includes {target}: {folder}/ may include only "
                        f"{', '.join(sorted(ALLOWED[folder])) or 'nothing outside itself'}")
            for header, who, rule in SYSTEM_RULES:
                if kind == "<" and target == header and folder not in who and rel not in who:
                    problems.append(f"{where}: includes <{header}>: {rule}")
            if folder == "argo" and target in ARGO_NO:
                problems.append(f"{where}: includes {target}: argo/ never opens DuckDB")

    # Cycles between units. Unit of a .c/.h file: dir/name without the extension. A header
    # with no .c of its name is looked through.
    def unit(rel):
        return rel.rsplit(".", 1)[0]

    has_c = {unit(r) for r in files if r.endswith(".c")}

    def deps_of_file(rel, seen):
        out = set()
        for _, kind, target in files.get(rel, []):
            if kind != '"' or target not in files or target in seen:
                continue
            seen.add(target)
            if unit(target) in has_c:
                out.add(unit(target))
            else:
                out |= deps_of_file(target, seen)
        return out

    graph = {}
    for rel in files:
        u = unit(rel)
        if u not in has_c:
            continue
        graph.setdefault(u, set()).update(d for d in deps_of_file(rel, {rel}) if d != u)

    # Tarjan's strongly connected components; any with more than one unit is a cycle.
    index, low, stack, on, sccs = {}, {}, [], set(), []
    counter = [0]

    def strong(v):
        work = [(v, iter(sorted(graph.get(v, ()))))]
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        while work:
            node, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                    advanced = True
                    break
                if w in on:
                    low[node] = min(low[node], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                if len(comp) > 1:
                    sccs.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    for comp in sccs:
        # Show one concrete cycle through the component.
        start = comp[0]
        path, cur, seen = [start], start, {start}
        while True:
            nxt = sorted(w for w in graph[cur] if w in comp)
            nxt_new = [w for w in nxt if w not in seen] or nxt
            cur = nxt_new[0]
            path.append(cur)
            if cur in seen:
                break
            seen.add(cur)
        path = path[path.index(cur):]
        problems.append("cycle between files: " + " -> ".join(f"src/{p}.c" for p in path))

    for p in problems:
        print(p)
    if problems:
        print(f"check-layers: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"check-layers: {len(files)} files in {len(ALLOWED)} folders, no problem")
    return 0


if __name__ == "__main__":
    sys.exit(main())
