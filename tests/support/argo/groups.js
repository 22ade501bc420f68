// groups.js - helpers for tests of manifests split into DAG groups (src/argo/argo_groups.c):
//   const { groups, exactDeps } = require(".../groups.js");
//   groups(doc) -> { T: name -> template, main, groupOf: task name -> its group's task name }
//     (one level of groups under the entrypoint)
//   exactDeps(doc, depsOf) -> the problems (strings; none when right) with the rule "a group
//     depends on exactly the groups holding a dependency of one of its members, and a member
//     keeps its dependencies inside its group", depsOf(task name) giving a task's
//     dependencies in the flat DAG.
'use strict';

function groups(doc) {
    const T = new Map(doc.spec.templates.map((t) => [t.name, t]));
    const main = T.get(doc.spec.entrypoint), groupOf = new Map();
    for (const g of main.dag.tasks) for (const x of T.get(g.template).dag.tasks) groupOf.set(x.name, g.name);
    return { T, main, groupOf };
}

function exactDeps(doc, depsOf) {
    const { T, main, groupOf } = groups(doc), bad = [];
    for (const g of main.dag.tasks) {
        const want = new Set();
        for (const x of T.get(g.template).dag.tasks)
            for (const p of depsOf(x.name)) {
                if (groupOf.get(p) !== g.name) want.add(groupOf.get(p));
                else if (!(x.dependencies || []).includes(p)) bad.push(`${x.name} lost ${p}`);
            }
        const have = new Set(g.dependencies || []);
        if (have.size !== want.size || [...want].some((w) => !have.has(w))) bad.push(`${g.name}: ${[...have]} vs ${[...want]}`);
    }
    return bad;
}

module.exports = { groups, exactDeps };
