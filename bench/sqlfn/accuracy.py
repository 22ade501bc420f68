#!/usr/bin/env python3
"""accuracy.py - scores sql_tables and sql_columns against the ground truth in the SQL
corpora (see bench/sqlfn/accuracy.sh, which produces the results file).

  accuracy.py CORPUS_DIR RESULTS_JSONL

RESULTS_JSONL has one object per corpus row: id, tables (list or null), columns (list of
{table, column} or null). Ground truth:
  spider_dev       expected_tables (Spider's own parse), compared on table names
  sqlglot_tpch     tables and table.column pairs read off `optimized_qualified`
  sqlglot_qualify  the same, read off `qualified`
The qualified texts name every column through a table alias (`x.a`) and every table with
an alias (`tbl AS x`); this script maps aliases back to tables with a small tokenizer of
its own (independent of the C code under test). Names compare case-insensitively, tables
by their last name part. Columns the functions could not attribute (table NULL) count
against precision; `*` entries are left out (the ground truth expands stars).
"""
import json
import re
import sys
import os
from collections import defaultdict

DEBUG = os.environ.get("SQLFN_ACCURACY_DEBUG") == "1"

TOKEN = re.compile(r'"(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\]|\'(?:[^\']|\'\')*\'|[A-Za-z_][A-Za-z0-9_$]*|\d+(?:\.\d+)?|\S')
CLAUSE_OTHER = {"select", "where", "group", "order", "having", "on", "limit", "qualify",
                "window", "union", "except", "intersect", "set", "using", "values", "returning"}


def unq(tok):
    if tok[:1] in ('"', '`', '['):
        return tok[1:-1]
    return tok


def is_ident(tok):
    return tok[:1] in ('"', '`', '[') or re.match(r'[A-Za-z_]', tok) is not None


JOIN_WORDS = {"left", "right", "inner", "outer", "cross", "full", "natural", "lateral", "array",
              "semi", "anti", "asof", "positional", "as", "only", "straight_join", "apply"}


def truth_from_qualified(sql):
    sql = re.sub(r"/\*.*?\*/", " ", sql, flags=re.S)
    sql = re.sub(r"--[^\n]*", " ", sql)
    toks = TOKEN.findall(sql)
    low = [t.lower() for t in toks]
    ctes = set()
    for i, t in enumerate(low):
        if t in ("with", ",") and i + 3 < len(toks) and is_ident(toks[i + 1]) and low[i + 2] == "as" and toks[i + 3] == "(":
            ctes.add(unq(toks[i + 1]).lower())
        if t == "recursive" and i + 1 < len(toks):
            ctes.add(unq(toks[i + 1]).lower())
    alias = {}
    tables = set()
    state = ["other"]
    i = 0
    n = len(toks)
    while i < n:
        t = low[i]
        if toks[i] == "(":
            # "(" right after FROM/JOIN/","/"(" opens a nested join; after a name (a table
            # function, PIVOT, UNNEST) it holds arguments
            nested_join = (state[-1] == "from" and i + 1 < n and low[i + 1] not in ("select", "with", "values")
                           and i > 0 and (low[i - 1] in ("from", "join", ",", "(", "lateral")))
            state.append("from" if nested_join else "other")
            i += 1
            continue
        if toks[i] == ")":
            if len(state) > 1:
                state.pop()
            i += 1
            if state[-1] == "from":  # (subquery) [AS] alias [(cols)]
                if i < n and low[i] == "as":
                    i += 1
                if i < n and is_ident(toks[i]) and low[i] not in CLAUSE_OTHER and low[i] not in JOIN_WORDS \
                        and low[i] not in ("join", "where", "pivot", "unpivot"):
                    i += 1
            continue
        if t in ("from", "join"):
            state[-1] = "from"
            i += 1
            continue
        if t in CLAUSE_OTHER:
            state[-1] = "other"
            i += 1
            continue
        if state[-1] == "from" and t in JOIN_WORDS:
            i += 1
            continue
        if state[-1] == "from" and is_ident(toks[i]):
            j = i
            parts = [unq(toks[j])]
            while j + 2 < n and toks[j + 1] == "." and is_ident(toks[j + 2]):
                parts.append(unq(toks[j + 2]))
                j += 2
            if j + 1 < n and toks[j + 1] == "(":
                i = j + 1
                continue
            name = ".".join(parts).lower()
            k = j + 1
            a = None
            if k < n and low[k] == "as" and k + 1 < n and is_ident(toks[k + 1]):
                a = unq(toks[k + 1]).lower()
                k += 2
            if name not in ctes and parts[0].lower() not in ("lateral", "unnest"):
                tables.add(parts[-1].lower())
                alias.setdefault(a or parts[-1].lower(), set()).add(parts[-1].lower())
            i = k
            continue
        i += 1
    cols = set()
    for i in range(n - 2):
        if is_ident(toks[i]) and toks[i + 1] == "." and is_ident(toks[i + 2]) and (i == 0 or toks[i - 1] != "."):
            a = unq(toks[i]).lower()
            if a in alias and len(alias[a]) == 1 and low[i] not in ("lateral",):
                cols.add((next(iter(alias[a])), unq(toks[i + 2]).lower()))
    return tables, cols


def last(name):
    return name.split(".")[-1].lower().strip('"`[]')


def load(path):
    got = {}
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            got[r["id"]] = r
    return got


def main():
    corpus, results = sys.argv[1], sys.argv[2]
    got = load(results)
    # RESULTS_TPCH (optional): sqlglot_tpch analysed with the TPC-H catalog
    got_cat = load(sys.argv[3]) if len(sys.argv) > 3 else None
    stats = defaultdict(lambda: defaultdict(int))
    sets = [("spider_dev", "expected_tables", "tables", got),
            ("sqlglot_tpch", "optimized_qualified", "qualified", got),
            ("sqlglot_qualify", "qualified", "qualified", got)]
    if got_cat is not None:
        sets.append(("sqlglot_tpch", "optimized_qualified", "qualified", got_cat))
    for name, field, kind, got in sets:
        label = name + (" (with the TPC-H catalog)" if got is got_cat else "")
        with open(f"{corpus}/{name}/queries.jsonl") as f:
            for line in f:
                row = json.loads(line)
                s = stats[label]
                s["rows"] += 1
                r = got.get(row["id"])
                if r is None or r["tables"] is None:
                    s["null"] += 1
                    continue
                mine_t = {last(t) for t in r["tables"]}
                if kind == "tables":
                    truth_t = {t.lower() for t in row[field]}
                    truth_c = None
                else:
                    truth_t, truth_c = truth_from_qualified(row[field])
                if DEBUG and (mine_t != truth_t):
                    print("T", row["id"], sorted(mine_t), sorted(truth_t), row["sql"][:200].replace("\n", " "), file=sys.stderr)
                s["t_tp"] += len(mine_t & truth_t)
                s["t_fp"] += len(mine_t - truth_t)
                s["t_fn"] += len(truth_t - mine_t)
                if truth_c is None or r["columns"] is None:
                    continue
                mine_c = set()
                for c in r["columns"]:
                    if c["column"] == "*":
                        continue
                    if c["table"] is None:
                        s["c_unattributed"] += 1
                        s["c_fp"] += 1
                        continue
                    mine_c.add((last(c["table"]), c["column"].lower()))
                if DEBUG and (mine_c != truth_c):
                    print("C", row["id"], "extra", sorted(mine_c - truth_c), "missing", sorted(truth_c - mine_c), row["sql"][:300].replace("\n", " "), file=sys.stderr)
                s["c_tp"] += len(mine_c & truth_c)
                s["c_fp"] += len(mine_c - truth_c)
                s["c_fn"] += len(truth_c - mine_c)

    def pr(tp, fp, fn):
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / (tp + fn) if tp + fn else 1.0
        return p, r

    print("| corpus | rows | NULL rows | tables precision | tables recall | columns precision | columns recall | columns without table |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, s in stats.items():
        tp, tr = pr(s["t_tp"], s["t_fp"], s["t_fn"])
        if name == "spider_dev":
            cp = cr = "n/a"
            un = "n/a"
        else:
            p, r = pr(s["c_tp"], s["c_fp"], s["c_fn"])
            cp, cr = f"{p:.3f}", f"{r:.3f}"
            un = str(s["c_unattributed"])
        print(f"| {name} | {s['rows']} | {s['null']} | {tp:.3f} | {tr:.3f} | {cp} | {cr} | {un} |")


if __name__ == "__main__":
    main()
