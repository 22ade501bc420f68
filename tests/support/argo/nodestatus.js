#!/usr/bin/env node
// nodestatus.js - estimates the size of the status Argo keeps for a workflow, to check that a
// manifest's run fits the 1 MiB a workflow object may take (Argo's MAX_WORKFLOW_SIZE).
// It builds the nodes the controller (v3.6/v4) writes for a finished run of the manifest's
// DAG: the DAG node; per task a Pod node, or a Retry node above each pod when the template
// has a retryStrategy; a TaskGroup node above a loop's items. Each node carries the fields
// of Argo's NodeStatus in its order: id (the workflow name and the fnv32a hash of the
// node's name, as wf.NodeID makes it), name, displayName, type, templateName,
// templateScope, phase, boundaryID, startedAt, finishedAt, progress, resourcesDuration
// (duration times the template's cpu and memory requests; summed upwards), nodeFlag
// (retried pods), the template's inputs with their values (Argo copies them into the
// Retry node and every pod node), outputs (exitCode; a Retry node copies its last pod's),
// children (a task's outbound nodes list every dependent task's node), hostNodeName (one of
// --hosts cluster nodes) and taskResultSynced. Times and durations vary from pod to pod (a
// fixed pseudo-random sequence) so that compression is not flattered by repetition. The
// nodes are serialised as Go does (map keys sorted), gzip-compressed and base64-encoded as
// Argo's compressedNodes, and added to the manifest's own size.
// An items task's pod (its stdout feeds a withParam) also carries outputs.result, the list
// of indices it printed, and so does its Retry node; the workflow keeps
// taskResultsCompletionStatus (Argo 3.5-3.7: an entry per pod, not compressed) and a few
// fields of its own (phase, times, conditions, progress, resourcesDuration).
// Usage: node nodestatus.js MANIFEST.json [--items N] [--attempts K] [--hosts H] [--cap C]
//        [--no-task-results]
//   --items N     the items of every loop whose size is a parameter or dynamic, default
//                 10000 (a template with --tasks-per-pod K runs them in pods of K; without
//                 it, a dynamic loop runs them in min(N, C) pods)
//   --attempts K  pods per retried task (1 = no retry was needed), default 1
//   --hosts H     cluster nodes the pods run on, default 100
// Prints "nodes N json B compressed C manifest M total T" and exits 1 when T > 1 MiB.
'use strict';
const fs = require('fs');
const zlib = require('zlib');

const args = process.argv.slice(2);
const file = args[0];
const opt = (k, d) => (args.includes(k) ? parseInt(args[args.indexOf(k) + 1], 10) : d);
const items = opt('--items', 10000);
const attempts = opt('--attempts', 1);
const hosts = opt('--hosts', 100);
// Pods a fan-out gets without `tasks_per_pod` (DF_ARGO_AUTO_PODS in src/argo/argo.h; the
// manifest's count says so for ranges and values, the items pod for dynamic fan-outs).
const cap = opt('--cap', 2000);
// Argo 3.5 to 3.7 keep status.taskResultsCompletionStatus, one entry per pod (its node id:
// true), beside the nodes and not compressed with them; --no-task-results leaves it out.
const taskResultsMap = !args.includes('--no-task-results');
const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
const spec = doc.kind === 'CronWorkflow' ? doc.spec.workflowSpec : doc.spec;
const templates = new Map(spec.templates.map((t) => [t.name, t]));
const wf = `${(doc.metadata.generateName || doc.metadata.name || 'wf-').replace(/-$/, '')}-x7k2p`;

function fnv32a(s) {
    let h = 0x811c9dc5;
    for (const b of Buffer.from(s)) {
        h ^= b;
        h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h;
}
const nodeId = (name) => (name === wf ? wf : `${wf}-${fnv32a(name)}`);
let rnd = 2463534242;
const next = (m) => {
    rnd ^= rnd << 13;
    rnd >>>= 0;
    rnd ^= rnd >>> 17;
    rnd ^= rnd << 5;
    rnd >>>= 0;
    return rnd % m;
};
const hostNames = Array.from({ length: hosts }, (_, i) => `ip-10-0-${(i * 37) % 256}-${(i * 101) % 256}.eu-west-1.compute.internal`);
const t0 = Date.UTC(2026, 11, 6, 3);
const when = (s) => new Date(t0 + s * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
// Requests as resourcesDuration counts them: cpu in cores, memory in units of 100Mi.
function requests(t) {
    const r = (t.container && t.container.resources && t.container.resources.requests) || {};
    const cpu = r.cpu ? Math.max(1, Math.ceil(parseFloat(r.cpu))) : 1;
    const m = String(r.memory || '100Mi').match(/^(\d+)(Mi|Gi)$/);
    const mem = m ? Math.max(1, Math.ceil((parseInt(m[1], 10) * (m[2] === 'Gi' ? 1024 : 1)) / 100)) : 1;
    return { cpu, mem };
}

const nodes = new Map();
function node(type, name, display, tmpl, boundary) {
    const n = { id: nodeId(name), name, displayName: display, type };
    if (tmpl) n.templateName = tmpl;
    n.templateScope = `local/${wf}`;
    n.phase = 'Succeeded';
    if (boundary) n.boundaryID = boundary;
    nodes.set(n.id, n);
    return n;
}
// Finishes a parent from its children: times, progress, resources.
function roll(n, kids) {
    n.startedAt = when(Math.min(...kids.map((k) => k._s)));
    n.finishedAt = when(Math.max(...kids.map((k) => k._f)));
    n._s = Math.min(...kids.map((k) => k._s));
    n._f = Math.max(...kids.map((k) => k._f));
    n.progress = `${kids.reduce((a, k) => a + k._p, 0)}/${kids.reduce((a, k) => a + k._p, 0)}`;
    n._p = kids.reduce((a, k) => a + k._p, 0);
    n.resourcesDuration = {
        cpu: kids.reduce((a, k) => a + k.resourcesDuration.cpu, 0),
        memory: kids.reduce((a, k) => a + k.resourcesDuration.memory, 0),
    };
    n.children = kids.map((k) => k.id);
}
function inputsOf(t, task, item) {
    if (!t.inputs || !t.inputs.parameters) return null;
    const a = new Map(((task.arguments && task.arguments.parameters) || []).map((p) => [p.name, p.value]));
    return {
        parameters: t.inputs.parameters.map((p) => ({
            name: p.name,
            value: String(a.has(p.name) ? a.get(p.name) : p.value || '').replace(/\{\{item\}\}/g, String(item)),
        })),
    };
}
let clock = 0;
// The pods a loop over n items runs: K items a pod with --tasks-per-pod K (the template's
// args), else one pod per item up to `cap` pods (the automatic batching).
function podsFor(t, n) {
    const a = (t.container && t.container.args) || [];
    const k = a.includes('--tasks-per-pod') ? parseInt(a[a.indexOf('--tasks-per-pod') + 1], 10) : 0;
    return k > 0 ? Math.ceil(n / k) : Math.min(n, cap);
}
// Templates whose pods' stdout a withParam reads: their nodes keep it as outputs.result.
const resultTemplates = new Set();
for (const t of spec.templates)
    for (const m of JSON.stringify((t.dag && t.dag.tasks) || []).matchAll(/\{\{tasks\.([^.]+)\.outputs\.result\}\}/g)) {
        const src = t.dag.tasks.find((x) => x.name === m[1]);
        if (src) resultTemplates.add(src.template);
    }
function pod(name, display, t, inputs, boundary, retried) {
    const n = node('Pod', name, display, t.name, boundary);
    const took = 5 + next(600);
    n._s = clock + next(120);
    n._f = n._s + took;
    n._p = 1;
    n.startedAt = when(n._s);
    n.finishedAt = when(n._f);
    n.progress = '1/1';
    const r = requests(t);
    n.resourcesDuration = { cpu: took * r.cpu, memory: took * r.mem };
    if (retried) n.nodeFlag = { retried: true };
    if (inputs) n.inputs = inputs;
    // Outputs in Go's field order: parameters (the metrics' rows, bytes, rss: numbers of
    // varying size), result (an items pod's list of indices), exitCode.
    n.outputs = {};
    const outs = (t.outputs && t.outputs.parameters) || [];
    if (outs.length) n.outputs.parameters = outs.map((o) => ({ name: o.name, value: String(next(1e9)) }));
    if (resultTemplates.has(t.name)) n.outputs.result = JSON.stringify(Array.from({ length: podsFor(t, items) }, (_, i) => i));
    n.outputs.exitCode = '0';
    n.hostNodeName = hostNames[next(hosts)];
    n.taskResultSynced = true;
    return n;
}
// One task's node for an item: name is the node's full name (parent.task or
// parent.task(i:i)), label its display name; returns [node, outbound pods].
function leaf(task, t, name, label, item, boundary) {
    const inputs = inputsOf(t, task, item);
    if (!t.retryStrategy) {
        const p = pod(name, label, t, inputs, boundary, false);
        return [p, [p]];
    }
    const r = node('Retry', name, label, t.name, boundary);
    const kids = [];
    for (let a = 0; a < attempts; a++) kids.push(pod(`${name}(${a})`, `${label}(${a})`, t, inputs, boundary, true));
    roll(r, kids);
    if (inputs) r.inputs = inputs;
    r.outputs = kids[kids.length - 1].outputs;
    return [r, [kids[kids.length - 1]]];
}

// A DAG template run as the node dagNode (named prefix): its tasks' nodes (a nested DAG
// template, a group of duckflow's split DAG, becomes a DAG node of its own whose tasks are
// named prefix.group.task, as the controller names them). Returns the outbound pods.
function runDag(tmpl, dagNode, prefix, start) {
    const taskNode = new Map();
    const outbound = new Map();
    const top = [];
    for (const task of tmpl.dag.tasks) {
        const t = templates.get(task.template);
        const deps = task.dependencies || [];
        clock = deps.length ? Math.max(...deps.map((d) => taskNode.get(d)._f)) : start;
        const seq = task.withSequence;
        const loop = task.withParam !== undefined || seq !== undefined || task.withItems !== undefined;
        const name = `${prefix}.${task.name}`;
        let n;
        let outs;
        if (t.dag) {
            n = node('DAG', name, task.name, t.name, dagNode.id);
            // A group's parameters carry an items list across groups (argo_groups.c).
            const list = JSON.stringify(Array.from({ length: Math.min(items, cap) }, (_, i) => i));
            const inputs = inputsOf(t, task, 0);
            if (inputs) n.inputs = { parameters: inputs.parameters.map((p) => ({ name: p.name, value: p.value.includes('{{') ? list : p.value })) };
            if (t.outputs && t.outputs.parameters) n.outputs = { parameters: t.outputs.parameters.map((p) => ({ name: p.name, value: list })) };
            const kids = [];
            outs = runDag(t, n, name, clock, kids);
            roll(n, kids);
            n.children = n._top;
            n.outboundNodes = outs.map((o) => o.id);
            delete n._top;
        } else if (!loop) {
            [n, outs] = leaf(task, t, name, task.name, 0, dagNode.id);
        } else {
            // A loop whose size is a parameter runs --items items; with tasks_per_pod K
            // (the pod's --tasks-per-pod) in groups of K, one pod each.
            const c = seq ? String(seq.count) : '';
            let m;
            const count = task.withItems && !String(JSON.stringify(task.withItems)).includes('{{') ? task.withItems.length
                : /^\d+$/.test(c) ? parseInt(c, 10)
                : (m = c.match(/sprig\.min\(\s*asInt\([^)]*\)\s*,\s*(\d+)\s*\)/)) ? Math.min(items, parseInt(m[1], 10))
                : (m = c.match(/sprig\.div\(\s*asInt\([^)]*\)\s*\+\s*\d+\s*,\s*(\d+)\s*\)/)) ? Math.ceil(items / parseInt(m[1], 10))
                : seq ? items : podsFor(t, items);
            n = node('TaskGroup', name, task.name, t.name, dagNode.id);
            const kids = [];
            outs = [];
            for (let i = 0; i < count; i++) {
                const [k, o] = leaf(task, t, `${name}(${i}:${i})`, `${task.name}(${i}:${i})`, i, dagNode.id);
                kids.push(k);
                outs.push(...o);
            }
            if (kids.length) roll(n, kids);
            else Object.assign(n, { _s: clock, _f: clock, _p: 0, resourcesDuration: { cpu: 0, memory: 0 } });
        }
        taskNode.set(task.name, n);
        outbound.set(task.name, outs);
        if (!deps.length) top.push(n);
        for (const d of deps) for (const o of outbound.get(d)) (o.children = o.children || []).push(n.id);
    }
    if (arguments.length > 4) arguments[4].push(...taskNode.values());
    dagNode._top = top.map((n) => n.id);
    const finals = tmpl.dag.tasks.filter((x) => !tmpl.dag.tasks.some((y) => (y.dependencies || []).includes(x.name)));
    return finals.flatMap((x) => outbound.get(x.name));
}

const dag = node('DAG', wf, wf, spec.entrypoint, null);
const main = templates.get(spec.entrypoint);
const kids = [];
const finalsOut = runDag(main, dag, wf, 0, kids);
roll(dag, kids);
dag.children = dag._top;
delete dag._top;
dag.outboundNodes = finalsOut.map((o) => o.id);
const sorted = {};
for (const k of [...nodes.keys()].sort()) {
    const n = nodes.get(k);
    const out = {};
    for (const [f, v] of Object.entries(n)) if (!f.startsWith('_')) out[f] = v;
    sorted[k] = out;
}
const json = JSON.stringify(sorted);
// The rest of the status: the map of task results (Argo 3.5-3.7) and the workflow's own
// fields, as JSON beside compressedNodes.
const rest = {
    phase: 'Succeeded',
    startedAt: dag.startedAt,
    finishedAt: dag.finishedAt,
    progress: dag.progress,
    conditions: [{ type: 'PodRunning', status: 'False' }, { type: 'Completed', status: 'True' }],
    resourcesDuration: dag.resourcesDuration,
    artifactRepositoryRef: { default: true, artifactRepository: {} },
    artifactGCStatus: { notSpecified: true },
};
if (taskResultsMap) {
    const m = {};
    for (const k of Object.keys(sorted).filter((k) => sorted[k].type === 'Pod')) m[k] = true;
    rest.taskResultsCompletionStatus = m;
}
const restBytes = Buffer.byteLength(JSON.stringify(rest));
const compressed = zlib.gzipSync(json).toString('base64').length;
const manifest = Buffer.byteLength(JSON.stringify(doc));
const total = manifest + compressed + restBytes;
process.stdout.write(`nodes ${nodes.size} json ${json.length} compressed ${compressed} status ${restBytes} manifest ${manifest} total ${total}\n`);
process.exit(total > 1024 * 1024 ? 1 : 0);
