#!/usr/bin/env python3
"""
check-clang-warnings.py - compiles every src/**/*.c with `clang -fsyntax-only` and the
flags CMake gives gcc (warnings, -Werror, defines, include paths, taken from the build's
compile_commands.json), so clang-only warnings (e.g. -Wformat-nonliteral from -Wformat=2,
which the clang fuzz build in .ci/run reports and gcc never does) fail `make test` early.
Run by tests/e2e/t1903-clang-warnings.sh.

  scripts/check-clang-warnings.py BUILD [SRC [FILE...]]

BUILD is a configured CMake build folder (its compile_commands.json gives each file's
flags). SRC (default: the src/ beside this script) is the tree to check; a file there that
the build does not list (new since the last configure) gets the flags of the library's
files, and the build's include path of src/ points at SRC. FILEs (relative to SRC) narrow the check
to those files.
Exit 0 when clean; 1 with clang's "file:line:col: error: ..." lines (files of SRC named
src/..., as in the repository) and a summary; 2 when it cannot run (no clang, no compile_commands.json).
CLANG (default: clang) names the compiler, CHECK_JOBS (default: 2) the parallel jobs.
"""
import concurrent.futures
import json
import os
import shlex
import shutil
import subprocess
import sys


def flags_of(entry):
    """The arguments of one compile command, without the compiler, -o OUT, -c and FILE."""
    args = entry.get("arguments") or shlex.split(entry["command"])
    out, skip = [], False
    for a in args[1:]:
        if skip:
            skip = False
        elif a in ("-o", "-MF", "-MT", "-MQ"):
            skip = True
        elif a in ("-c", "-MD", "-MMD") or a == entry["file"]:
            continue
        else:
            out.append(a)
    return out


def main():
    if len(sys.argv) < 2:
        print("usage: check-clang-warnings.py BUILD [SRC [FILE...]]", file=sys.stderr)
        return 2
    here = os.path.dirname(os.path.abspath(__file__))
    top = os.path.dirname(here)
    build = os.path.abspath(sys.argv[1])
    src = os.path.abspath(sys.argv[2] if len(sys.argv) >= 3 else os.path.join(top, "src"))
    clang = os.environ.get("CLANG", "clang")
    if shutil.which(clang) is None:
        print(f"check-clang-warnings: {clang} is not installed", file=sys.stderr)
        return 2
    db_path = os.path.join(build, "compile_commands.json")
    try:
        with open(db_path, encoding="utf-8") as f:
            db = json.load(f)
    except (OSError, ValueError) as e:
        print(f"check-clang-warnings: {db_path}: {e}", file=sys.stderr)
        return 2

    top_src = os.path.join(top, "src")
    by_file, default = {}, None
    for entry in db:
        path = os.path.normpath(os.path.join(entry.get("directory", build), entry["file"]))
        if os.path.commonpath([path, top_src]) != top_src:
            continue
        flags = [a.replace(top_src, src) if a.startswith("-I") else a for a in flags_of(entry)]
        rel = os.path.relpath(path, top_src)
        by_file[rel] = flags
        if default is None and not rel.startswith("cli" + os.sep):
            default = flags
    if default is None:
        print(f"check-clang-warnings: {db_path} lists no file of src/", file=sys.stderr)
        return 2

    files = sorted(
        os.path.relpath(os.path.join(d, n), src)
        for d, _, names in os.walk(src)
        for n in names
        if n.endswith(".c")
    )
    if len(sys.argv) > 3:
        files = [os.path.normpath(f) for f in sys.argv[3:]]

    def check(rel):
        cmd = [clang, "-fsyntax-only", "-fno-color-diagnostics"]
        cmd += by_file.get(rel, default) + [os.path.join(src, rel)]
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        return rel, r.returncode, r.stdout.replace(src + os.sep, "src/")

    jobs = int(os.environ.get("CHECK_JOBS", "2"))
    bad = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        for rel, rc, text in pool.map(check, files):
            if rc != 0:
                bad += 1
                sys.stdout.write(text if text.endswith("\n") or not text else text + "\n")
    version = subprocess.run([clang, "--version"], stdout=subprocess.PIPE, text=True).stdout
    version = version.splitlines()[0] if version else clang
    if bad:
        print(f"check-clang-warnings: {bad} of {len(files)} files fail with {version}")
        return 1
    print(f"check-clang-warnings: {len(files)} files, no warning from {version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
