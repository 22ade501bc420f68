#!/usr/bin/env node
// nodestatus.js - estimates the size of the status Argo keeps for a workflow: one node per
// pod, a Retry node above each pod of a template with a retryStrategy, a TaskGroup node per
// loop, the DAG node, each node with the fields Argo's NodeStatus carries (ids, names,
// template, phase, times, progress, resourcesDuration, the template's inputs copied in,
// outputs, children, host). Argo stores the nodes as gzip+base64 ("compressedNodes") when
// they do not fit, and refuses a workflow object over 1 MiB (manifest + status), so the
// figure that matters is manifest bytes + compressed node bytes.
// Usage: node nodestatus.js MANIFEST.json [--items N] [--attempts K]
//   --items N     the size of every loop (withParam / withSequence from a parameter), default 10000
//   --attempts K  pods per retried task (1 = no retry happened), default 1
// Prints "nodes N json B compressed C manifest M total T" and exits 1 when T > 1 MiB.
'use strict';
const fs = require('fs');
const zlib = require('zlib');

const args = process.argv.slice(2);
const file = args[0];
const opt = (k, d) => (args.includes(k) ? parseInt(args[args.indexOf(k) + 1], 10) : d);
const items = opt('--items', 10000);
const attempts = opt('--attempts', 1);
const text = fs.readFileSync(file, 'utf8');
const doc = JSON.parse(text);
const spec = doc.kind === 'CronWorkflow' ? doc.spec.workflowSpec : doc.spec;
const templates = new Map(spec.templates.map((t) => [t.name, t]));
const wf = `${(doc.metadata.generateName || doc.metadata.name || 'wf-').replace(/-$/, '')}-x7k2p`;
let seq = 0;
const id = () => `${wf}-${String(1000000000 + seq++).slice(-10)}`;
const nodes = {};
// Times, hosts and durations vary from node to node as in a real run (a fixed
// pseudo-random sequence), so that compression is not flattered by repetition.
let rnd = 2463534242;
const next = (m) => {
    rnd ^= rnd << 13;
    rnd >>>= 0;
    rnd ^= rnd >>> 17;
    rnd ^= rnd << 5;
    rnd >>>= 0;
    return rnd % m;
};
const when = (s) => new Date(Date.UTC(2026, 11, 6, 3) + s * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
function node(type, name, display, tmpl, inputs, boundary) {
    const start = next(7200), took = 5 + next(600);
    const n = {
        id: id(), name, displayName: display, type, templateName: tmpl, templateScope: `local/${wf}`,
        phase: 'Succeeded', boundaryID: boundary, startedAt: when(start), finishedAt: when(start + took),
        progress: '1/1', resourcesDuration: { cpu: took * (1 + next(4)), memory: took * (1 + next(900)) },
    };
    if (inputs) n.inputs = inputs;
    if (type === 'Pod') {
        n.outputs = { exitCode: '0' };
        n.hostNodeName = `ip-10-0-${next(256)}-${next(256)}.eu-west-1.compute.internal`;
    }
    n.id = `${wf}-${String(next(4294967295)).padStart(10, '0')}`;
    nodes[n.id] = n;
    return n;
}
const dag = node('DAG', wf, wf, spec.entrypoint, null, undefined);
dag.children = [];
const main = templates.get(spec.entrypoint);
for (const task of main.dag.tasks) {
    const t = templates.get(task.template);
    const loop = task.withParam !== undefined || task.withSequence !== undefined || task.withItems !== undefined;
    const n = !loop ? 1 : task.withItems && !String(JSON.stringify(task.withItems)).includes('{{') ? task.withItems.length : items;
    const leaf = (label, item) => {
        const inputs = t.inputs && t.inputs.parameters ? { parameters: t.inputs.parameters.map((p) => ({ name: p.name, value: String(item) })) } : null;
        if (t.retryStrategy) {
            const r = node('Retry', `${wf}.${label}`, label, t.name, inputs, dag.id);
            r.children = [];
            for (let a = 0; a < attempts; a++) r.children.push(node('Pod', `${wf}.${label}(${a})`, `${label}(${a})`, t.name, inputs, dag.id).id);
            return r;
        }
        return node('Pod', `${wf}.${label}`, label, t.name, inputs, dag.id);
    };
    if (!loop) {
        dag.children.push(leaf(task.name, 0).id);
        continue;
    }
    const g = node('TaskGroup', `${wf}.${task.name}`, task.name, t.name, null, dag.id);
    g.children = [];
    for (let i = 0; i < n; i++) g.children.push(leaf(`${task.name}(${i}:${i})`, i).id);
    dag.children.push(g.id);
}
const json = JSON.stringify(nodes);
const compressed = zlib.gzipSync(json).toString('base64').length;
const manifest = Buffer.byteLength(JSON.stringify(doc));
const total = manifest + compressed;
process.stdout.write(`nodes ${Object.keys(nodes).length} json ${json.length} compressed ${compressed} manifest ${manifest} total ${total}\n`);
process.exit(total > 1024 * 1024 ? 1 : 0);
