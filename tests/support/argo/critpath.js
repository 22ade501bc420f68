// critpath.js - the critical path of a compiled workflow, in steps (each pod task one unit),
// as Argo runs it: a task starts when all its dependencies have finished, and a task that
// runs a nested DAG template (a group, src/argo/argo_groups.c) takes that DAG's own critical
// path, so a step in a group waits for the whole of every group its group depends on.
// With --dot FILE (`duckflow graph --format dot` of the pipeline) it also gives the flat
// DAG's critical path: the longest chain of steps, each one unit, plus one when the
// manifest has a `bundle` task (the pod every first step waits for, flat or grouped).
//   node critpath.js MANIFEST [--dot FILE [--same N]]
// prints "grouped N" (and "flat M"); docs/argo.md (Limits) gives the figures. --same N exits
// 1 unless both are N (the tests' "grouping loses nothing").
'use strict';
const fs = require('fs');

function die(msg) {
    process.stderr.write(`critpath: ${msg}\n`);
    process.exit(2);
}

function longest(nodes, deps, weight) {
    const memo = new Map(), busy = new Set();
    const finish = (n) => {
        if (memo.has(n)) return memo.get(n);
        if (busy.has(n)) die(`a cycle through ${n}`);
        busy.add(n);
        let start = 0;
        for (const d of deps(n)) start = Math.max(start, finish(d));
        busy.delete(n);
        const f = start + weight(n);
        memo.set(n, f);
        return f;
    };
    let best = 0;
    for (const n of nodes) best = Math.max(best, finish(n));
    return best;
}

function manifestPath(doc) {
    const T = new Map(doc.spec.templates.map((t) => [t.name, t]));
    const cp = new Map();
    const dagPath = (name) => {
        if (cp.has(name)) return cp.get(name);
        const tasks = T.get(name).dag.tasks, byName = new Map(tasks.map((x) => [x.name, x]));
        const v = longest(
            tasks.map((x) => x.name),
            (n) => (byName.get(n).dependencies || []).filter((d) => byName.has(d)),
            (n) => {
                const t = T.get(byName.get(n).template);
                return t && t.dag ? dagPath(t.name) : 1;
            });
        cp.set(name, v);
        return v;
    };
    if (!T.get(doc.spec.entrypoint) || !T.get(doc.spec.entrypoint).dag) die('the entrypoint is not a DAG');
    return dagPath(doc.spec.entrypoint);
}

function dotPath(text) {
    const deps = new Map();
    for (const m of text.matchAll(/^\s*(s_\w+)\s*\[/gm)) deps.set(m[1], deps.get(m[1]) || []);
    for (const m of text.matchAll(/^\s*(s_\w+)\s*->\s*(s_\w+)/gm)) {
        if (!deps.has(m[2])) deps.set(m[2], []);
        deps.get(m[2]).push(m[1]);
    }
    return longest([...deps.keys()], (n) => deps.get(n) || [], () => 1);
}

const args = process.argv.slice(2);
if (!args.length || args[0].startsWith('-')) die('usage: node critpath.js MANIFEST [--dot FILE]');
const doc = JSON.parse(fs.readFileSync(args[0], 'utf8'));
console.log(`grouped ${manifestPath(doc)}`);
const k = args.indexOf('--dot');
if (k > 0) {
    if (!args[k + 1]) die('--dot needs a file');
    const leaves = doc.spec.templates.filter((t) => t.dag).flatMap((t) => t.dag.tasks);
    const bundle = leaves.some((x) => x.name === 'bundle' && x.template === 'bundle') ? 1 : 0;
    const flat = dotPath(fs.readFileSync(args[k + 1], 'utf8')) + bundle, same = args.indexOf('--same');
    console.log(`flat ${flat}`);
    if (same > 0 && !(flat === +args[same + 1] && manifestPath(doc) === flat)) {
        process.stderr.write(`critpath: grouped and flat are not both ${args[same + 1]}\n`);
        process.exit(1);
    }
}
