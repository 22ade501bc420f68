#!/usr/bin/env node
// validate.js - checks Argo Workflows manifests (YAML or JSON, as `duckflow argo` prints)
// the way the Argo server would before accepting them, and a little more:
//   1. the YAML reads back the same under YAML 1.2 and YAML 1.1 (Kubernetes' reader);
//   2. the object validates against Argo's OpenAPI schema (@kubernetes-models/argo-workflows,
//      after normalising what that package rejects although Argo accepts it: container
//      `name`, nested `steps` lists, volumeClaimTemplates' apiVersion/kind);
//   3. no unknown fields anywhere (the schema package lets them pass): the field names of
//      every object are checked against the package's type declarations;
//   4. semantics: entrypoint and onExit templates exist, template and task names are valid
//      and unique, task templates and dependencies exist, no dependency cycles, every
//      {{variable}} resolves in its scope (workflow and input parameters declared, item
//      only in loops, tasks.X outputs only from ancestors, retries only with a
//      retryStrategy, workflow.status only in the exit handler), task arguments match the
//      template's inputs;
//   5. limits: the manifest at most 1 MiB, every parameter value and withItems list at
//      most 256 KiB.
// Usage: node validate.js [--quiet] FILE... ("-" reads stdin). Prints "ok FILE" per valid
// file; problems go to stderr, one per line, and the exit status is 1.
//        node validate.js --expect-invalid FILE...   (the validator's own tests) prints
// "rejected FILE: first problem" per invalid file; exit status 0 only when all are invalid.
// Runs on Node 18 and later (the schema package is ESM, loaded with import()).
'use strict';

const fs = require('fs');
const path = require('path');

const top = path.resolve(__dirname, '..', '..', '..');
const nodeModules = path.join(top, 'node_modules');
const YAML = require(path.join(nodeModules, 'yaml'));

const MANIFEST_MAX = 1024 * 1024;
const PARAM_MAX = 256 * 1024;
const FIELD_NAME = /^[a-zA-Z0-9][-a-zA-Z0-9]*$/;
const PARAM_NAME = /^[-a-zA-Z0-9_]+$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$/;

// ---- 3. field names from the schema package's type declarations ----

const argoDir = path.join(nodeModules, '@kubernetes-models', 'argo-workflows', 'argoproj.io', 'v1alpha1');
const dtsCache = new Map();

function resolveImport(fromFile, spec) {
    let p;
    if (spec.startsWith('.')) p = path.resolve(path.dirname(fromFile), spec);
    else p = path.join(nodeModules, spec);
    p = p.replace(/\.js$/, '');
    return p + '.d.ts';
}

// Parses the class declaration of a .d.ts file: field -> type text, and imported type
// names -> files. Returns null for files without a class (type aliases such as
// IntOrString and Quantity, which are leaves).
function loadDts(file) {
    if (dtsCache.has(file)) return dtsCache.get(file);
    let text;
    try {
        text = fs.readFileSync(file, 'utf8');
    } catch (e) {
        dtsCache.set(file, null);
        return null;
    }
    const imports = {};
    for (const m of text.matchAll(/import \{ (\w+) \} from "([^"]+)";/g)) imports[m[1]] = resolveImport(file, m[2]);
    const cls = text.match(/export declare class \w+ extends Model<[^>]*>[^{]*\{\n([\s\S]*?)\n    constructor/);
    if (!cls) {
        dtsCache.set(file, null);
        return null;
    }
    const fields = {};
    const lines = cls[1].split('\n');
    for (let i = 0; i < lines.length; i++) {
        const m = lines[i].match(/^    "([^"]+)"\??: (.*)$/);
        if (!m) continue;
        let type = m[2];
        if (type === '{') {
            // A map: "    [key: string]: T;" on the next line.
            const v = (lines[i + 1] || '').match(/\[key: string\]: (.*);$/);
            type = { map: v ? v[1] : 'any' };
        } else {
            type = type.replace(/;$/, '');
        }
        fields[m[1]] = type;
    }
    const info = { fields, imports, file };
    dtsCache.set(file, info);
    return info;
}

function checkFields(value, type, info, where, problems) {
    if (value === null || value === undefined) return;
    if (typeof type === 'object' && type.map) {
        if (typeof value !== 'object' || Array.isArray(value)) return;
        for (const k of Object.keys(value)) checkFields(value[k], type.map, info, `${where}.${k}`, problems);
        return;
    }
    const arr = type.match(/^Array<(\w+)>$/);
    if (arr) {
        if (Array.isArray(value)) value.forEach((v, i) => checkFields(v, arr[1], info, `${where}[${i}]`, problems));
        return;
    }
    if (!/^I\w+$/.test(type) || !info.imports[type]) return; // string, number, any, unions
    const sub = loadDts(info.imports[type]);
    if (!sub || typeof value !== 'object' || Array.isArray(value)) return;
    checkObject(value, sub, where, problems);
}

function checkObject(obj, info, where, problems) {
    for (const k of Object.keys(obj)) {
        if (!(k in info.fields)) {
            problems.push(`${where}: unknown field '${k}'`);
            continue;
        }
        checkFields(obj[k], info.fields[k], info, `${where}.${k}`, problems);
    }
}

// ---- 2. schema ----

let models = null;
async function loadModels() {
    if (!models) models = await import('@kubernetes-models/argo-workflows/argoproj.io/v1alpha1');
    return models;
}

function normaliseForSchema(doc) {
    const copy = JSON.parse(JSON.stringify(doc));
    const spec = copy.kind === 'CronWorkflow' ? copy.spec && copy.spec.workflowSpec : copy.spec;
    if (!spec) return copy;
    for (const t of spec.templates || []) {
        // Argo names the container itself ("main"); the generated schema requires a name.
        if (t.container && !t.container.name) t.container.name = 'main';
        if (t.script && !t.script.name) t.script.name = 'main';
        // Argo's `steps` is a list of lists; the generated type wants {steps: [...]}.
        if (Array.isArray(t.steps))
            t.steps = t.steps.map((group) => (Array.isArray(group) ? { steps: group } : group));
    }
    for (const v of spec.volumeClaimTemplates || []) {
        if (!v.apiVersion) v.apiVersion = 'v1';
        if (!v.kind) v.kind = 'PersistentVolumeClaim';
    }
    return copy;
}

// ---- 4. semantics ----

function walkStrings(value, fn, where) {
    if (typeof value === 'string') fn(value, where);
    else if (Array.isArray(value)) value.forEach((v, i) => walkStrings(v, fn, `${where}[${i}]`));
    else if (value && typeof value === 'object')
        for (const k of Object.keys(value)) walkStrings(value[k], fn, `${where}.${k}`);
}

// Argo checks only tags that start with one of its variable roots and leaves any other
// {{text}} alone; so does this validator (expression tags, {{=...}}, are always checked).
const VARIABLE_ROOTS = ['inputs', 'outputs', 'item', 'steps', 'tasks', 'workflow', 'pod', 'node', 'retries', 'lastRetry'];

function tagsOf(s) {
    const out = [];
    const re = /\{\{(.*?)\}\}/g;
    let m;
    while ((m = re.exec(s))) {
        const tag = m[1].trim();
        const root = tag.split(/[.[]/)[0];
        if (tag.startsWith('=') || VARIABLE_ROOTS.includes(root)) out.push(tag);
    }
    return out;
}

// Identifiers an expression tag may use: Argo's expression functions and operators.
const EXPR_WORDS = new Set(['asInt', 'asFloat', 'string', 'toJson', 'jsonpath', 'sprig', 'and', 'or', 'not', 'in', 'true', 'false', 'nil']);

function checkSemantics(doc, problems) {
    const isCron = doc.kind === 'CronWorkflow';
    const spec = isCron ? doc.spec && doc.spec.workflowSpec : doc.spec;
    const meta = doc.metadata || {};
    if (!spec) {
        problems.push('no spec');
        return;
    }
    if (doc.kind === 'Workflow') {
        if (!meta.name && !meta.generateName) problems.push('metadata: a Workflow needs name or generateName');
        if (meta.generateName && !DNS_SUBDOMAIN.test(meta.generateName + 'x'))
            problems.push(`metadata.generateName '${meta.generateName}' does not make DNS names`);
    } else if (!meta.name || !DNS_SUBDOMAIN.test(meta.name) || meta.name.length > 253) {
        problems.push(`metadata.name '${meta.name}' is not a DNS subdomain name`);
    }
    if (isCron) {
        const sch = doc.spec.schedules;
        if (!Array.isArray(sch) || sch.length === 0) problems.push('spec.schedules: a CronWorkflow needs a schedule');
    }

    const templates = new Map();
    for (const t of spec.templates || []) {
        if (!t.name || !FIELD_NAME.test(t.name) || t.name.length > 128) problems.push(`template name '${t.name}' is not valid`);
        if (templates.has(t.name)) problems.push(`template '${t.name}' is defined twice`);
        templates.set(t.name, t);
        const kinds = ['container', 'script', 'dag', 'steps', 'resource', 'suspend', 'data', 'http', 'plugin', 'containerSet'].filter((k) => t[k]);
        if (kinds.length !== 1) problems.push(`template '${t.name}' has ${kinds.length} kinds (${kinds.join(', ')}); it needs exactly one`);
    }
    if (!spec.entrypoint || !templates.has(spec.entrypoint)) problems.push(`entrypoint '${spec.entrypoint}' is not a template`);
    if (spec.onExit && !templates.has(spec.onExit)) problems.push(`onExit '${spec.onExit}' is not a template`);

    const wfParams = new Map();
    for (const p of (spec.arguments && spec.arguments.parameters) || []) {
        if (!PARAM_NAME.test(p.name || '')) problems.push(`workflow parameter name '${p.name}' is not valid`);
        if (wfParams.has(p.name)) problems.push(`workflow parameter '${p.name}' is declared twice`);
        wfParams.set(p.name, p);
        if (typeof p.value === 'string' && Buffer.byteLength(p.value) > PARAM_MAX)
            problems.push(`workflow parameter '${p.name}' is ${Buffer.byteLength(p.value)} bytes, over ${PARAM_MAX}`);
    }

    // Templates reachable from the exit handler may use workflow.status / failures.
    const exitOnly = new Set();
    const markExit = (name) => {
        if (!name || exitOnly.has(name) || !templates.has(name)) return;
        exitOnly.add(name);
        const t = templates.get(name);
        if (t.dag) for (const task of t.dag.tasks || []) markExit(task.template);
    };
    markExit(spec.onExit);

    const globalOk = (tag, tmplName) => {
        if (tag === 'workflow.name' || tag === 'workflow.namespace' || tag === 'workflow.uid' || tag === 'workflow.serviceAccountName')
            return true;
        if (tag === 'workflow.creationTimestamp' || tag.startsWith('workflow.creationTimestamp.')) return true;
        if (tag === 'workflow.scheduledTime') return isCron;
        if (tag === 'workflow.status' || tag === 'workflow.failures' || tag === 'workflow.duration') return exitOnly.has(tmplName);
        const m = tag.match(/^workflow\.parameters\.(.+)$/);
        if (m) return wfParams.has(m[1]);
        return false;
    };

    const checkExpr = (expr, allowed, where) => {
        const body = expr.slice(1).replace(/'[^']*'|"[^"]*"/g, '');
        for (const id of body.match(/[A-Za-z_][\w.]*/g) || []) {
            const head = id.split('.')[0];
            if (EXPR_WORDS.has(head)) continue;
            if (!allowed(id)) problems.push(`${where}: expression '{{${expr}}}' uses '${id}', which is not defined here`);
        }
    };

    // Leaf templates: every tag resolves from inputs, globals and retries.
    for (const t of templates.values()) {
        if (t.dag || t.steps) continue;
        const inputs = new Set(((t.inputs && t.inputs.parameters) || []).map((p) => p.name));
        const arts = new Set(((t.inputs && t.inputs.artifacts) || []).map((a) => a.name));
        const outs = new Set(((t.outputs && t.outputs.parameters) || []).map((p) => p.name));
        for (const p of (t.outputs && t.outputs.parameters) || []) {
            if (!PARAM_NAME.test(p.name || '')) problems.push(`template '${t.name}': output parameter name '${p.name}' is not valid`);
            const vf = p.valueFrom || {};
            if (t.container && !(vf.path && vf.path.startsWith('/')) && p.value === undefined)
                problems.push(`template '${t.name}': output parameter '${p.name}' needs an absolute valueFrom.path`);
        }
        const allowed = (tag) => {
            if (globalOk(tag, t.name)) return true;
            let m = tag.match(/^inputs\.parameters\.(.+)$/);
            if (m) return inputs.has(m[1]);
            // Metrics are emitted after the node completes: its outputs are known then.
            m = tag.match(/^outputs\.parameters\.(.+)$/);
            if (m) return outs.has(m[1]);
            m = tag.match(/^inputs\.artifacts\.(.+)\.path$/);
            if (m) return arts.has(m[1]);
            if (tag === 'retries') return !!t.retryStrategy;
            if (tag === 'pod.name' || tag === 'node.name') return true;
            return false;
        };
        walkStrings(t, (s, where) => {
            for (const tag of tagsOf(s)) {
                if (tag.startsWith('=')) checkExpr(tag, allowed, where);
                else if (!allowed(tag)) problems.push(`${where}: '{{${tag}}}' does not resolve`);
            }
        }, `template '${t.name}'`);
        const paths = new Set();
        for (const a of (t.inputs && t.inputs.artifacts) || []) {
            if (!a.path || !a.path.startsWith('/')) problems.push(`template '${t.name}': artifact '${a.name}' needs an absolute path`);
            if (paths.has(a.path)) problems.push(`template '${t.name}': two artifacts at '${a.path}'`);
            paths.add(a.path);
            if (!PARAM_NAME.test(a.name || '')) problems.push(`template '${t.name}': artifact name '${a.name}' is not valid`);
        }
        if (t.retryStrategy && t.retryStrategy.expression) checkExpr('=' + t.retryStrategy.expression, (id) => id.startsWith('lastRetry.'), `template '${t.name}' retryStrategy`);
        const res = t.container && t.container.resources;
        for (const kind of ['requests', 'limits'])
            for (const [k, v] of Object.entries((res && res[kind]) || {}))
                if (!QUANTITY.test(String(v))) problems.push(`template '${t.name}': ${kind}.${k} '${v}' is not a quantity`);
        const mounts = (t.container && t.container.volumeMounts) || [];
        const vols = new Set([...(spec.volumes || []), ...(t.volumes || [])].map((v) => v.name));
        for (const m of mounts) if (!vols.has(m.name)) problems.push(`template '${t.name}': volume mount '${m.name}' names no volume`);
    }

    // DAG templates.
    for (const t of templates.values()) {
        if (!t.dag) continue;
        const tasks = new Map();
        for (const task of t.dag.tasks || []) {
            if (!task.name || !FIELD_NAME.test(task.name) || task.name.length > 128) problems.push(`dag '${t.name}': task name '${task.name}' is not valid`);
            if (tasks.has(task.name)) problems.push(`dag '${t.name}': task '${task.name}' is defined twice`);
            tasks.set(task.name, task);
        }
        // `depends` names tasks as TASK or TASK.Phase, joined by || and && (and parentheses).
        const dependsOn = (task) => [
            ...(task.dependencies || []),
            ...(typeof task.depends === 'string' ? task.depends.replace(/[()!]/g, ' ').split(/\s*(?:\|\||&&)\s*/).map((x) => x.trim().split('.')[0]).filter(Boolean) : []),
        ];
        const dagInputs = new Set(((t.inputs && t.inputs.parameters) || []).map((p) => p.name));
        for (const task of tasks.values()) {
            if (task.dependencies && task.depends) problems.push(`dag '${t.name}': task '${task.name}' has both dependencies and depends`);
            for (const x of typeof task.depends === 'string' ? task.depends.replace(/[()!]/g, ' ').split(/\s*(?:\|\||&&)\s*/) : []) {
                const m = x.trim().match(/^[^.]+(?:\.(Succeeded|Failed|Errored|Skipped|Omitted|Daemoned|AnySucceeded|AllFailed))?$/);
                if (!m) problems.push(`dag '${t.name}': task '${task.name}' depends on '${x.trim()}', which is not TASK or TASK.Phase`);
            }
            for (const d of dependsOn(task))
                if (!tasks.has(d)) problems.push(`dag '${t.name}': task '${task.name}' depends on '${d}', which is not a task`);
            // A templateRef names a template of another object (a WorkflowTemplate), which
            // the API server looks up when the workflow runs.
            if (task.templateRef) {
                const r = task.templateRef;
                if (!r.name || !DNS_SUBDOMAIN.test(r.name) || !r.template || !FIELD_NAME.test(r.template))
                    problems.push(`dag '${t.name}': task '${task.name}' templateRef is not {name, template}`);
                if (task.template) problems.push(`dag '${t.name}': task '${task.name}' has template and templateRef`);
            } else if (!templates.has(task.template)) problems.push(`dag '${t.name}': task '${task.name}' runs template '${task.template}', which does not exist`);
        }
        // Cycles (depth-first, colouring).
        const colour = new Map();
        const visit = (name, stack) => {
            colour.set(name, 1);
            for (const d of dependsOn(tasks.get(name))) {
                if (!tasks.has(d)) continue;
                if (colour.get(d) === 1) problems.push(`dag '${t.name}': dependency cycle ${[...stack, name, d].join(' -> ')}`);
                else if (!colour.get(d)) visit(d, [...stack, name]);
            }
            colour.set(name, 2);
        };
        for (const name of tasks.keys()) if (!colour.get(name)) visit(name, []);
        // Ancestors, for tasks.X references.
        const ancestors = (name, seen = new Set()) => {
            for (const d of tasks.has(name) ? dependsOn(tasks.get(name)) : []) {
                if (seen.has(d) || !tasks.has(d)) continue;
                seen.add(d);
                ancestors(d, seen);
            }
            return seen;
        };
        for (const task of tasks.values()) {
            const loops = ['withItems', 'withParam', 'withSequence'].filter((k) => task[k] !== undefined);
            if (loops.length > 1) problems.push(`dag '${t.name}': task '${task.name}' has ${loops.join(' and ')}`);
            const itemKeys = Array.isArray(task.withItems) && task.withItems.every((i) => i && typeof i === 'object' && !Array.isArray(i))
                ? new Set(task.withItems.flatMap((i) => Object.keys(i)))
                : null;
            if (task.withItems !== undefined) {
                if (!Array.isArray(task.withItems)) problems.push(`dag '${t.name}': task '${task.name}' withItems is not a list`);
                else if (Buffer.byteLength(JSON.stringify(task.withItems)) > PARAM_MAX)
                    problems.push(`dag '${t.name}': task '${task.name}' withItems is over ${PARAM_MAX} bytes`);
            }
            if (task.withParam !== undefined && !/^\{\{.*\}\}$/.test(task.withParam.trim()))
                problems.push(`dag '${t.name}': task '${task.name}' withParam is not a {{reference}}`);
            if (task.withSequence && task.withSequence.count === undefined && task.withSequence.end === undefined)
                problems.push(`dag '${t.name}': task '${task.name}' withSequence needs count or end`);
            const anc = ancestors(task.name);
            const allowed = (tag) => {
                if (globalOk(tag, t.name)) return true;
                if (tag === 'item') return loops.length === 1;
                // A nested DAG's own inputs (a group of a split DAG).
                let mi = tag.match(/^inputs\.parameters\.(.+)$/);
                if (mi) return dagInputs.has(mi[1]);
                let m = tag.match(/^item\.(.+)$/);
                if (m) return !!task.withParam || (itemKeys !== null && itemKeys.has(m[1].split('.')[0]));
                m = tag.match(/^tasks\.([^.]+)\.(outputs\.result|outputs\.parameters\.[^.]+|status|exitCode|id|startedAt|finishedAt)$/);
                if (m) {
                    if (!anc.has(m[1])) return false;
                    const tt = templates.get(tasks.get(m[1]).template);
                    if (m[2] === 'outputs.result') return !!(tt && (tt.container || tt.script));
                    mi = m[2].match(/^outputs\.parameters\.(.+)$/);
                    if (mi) return !!(tt && ((tt.outputs && tt.outputs.parameters) || []).some((p) => p.name === mi[1]));
                    return true;
                }
                return false;
            };
            walkStrings(task, (s, where) => {
                for (const tag of tagsOf(s)) {
                    if (tag.startsWith('=')) checkExpr(tag, allowed, where);
                    else if (!allowed(tag)) problems.push(`${where}: '{{${tag}}}' does not resolve`);
                }
            }, `dag '${t.name}' task '${task.name}'`);
            // Arguments against the template's inputs.
            const tt = templates.get(task.template);
            if (!tt) continue;
            const given = new Set(((task.arguments && task.arguments.parameters) || []).map((p) => p.name));
            const wanted = new Map(((tt.inputs && tt.inputs.parameters) || []).map((p) => [p.name, p]));
            for (const g of given) if (!wanted.has(g)) problems.push(`dag '${t.name}': task '${task.name}' passes '${g}', which template '${tt.name}' does not take`);
            for (const [name, p] of wanted)
                if (!given.has(name) && p.value === undefined && p.default === undefined)
                    problems.push(`dag '${t.name}': task '${task.name}' does not pass input '${name}' of template '${tt.name}'`);
        }
    }

    // A DAG template's outputs: each from a parameter of one of its tasks.
    for (const t of templates.values()) {
        if (!t.dag) continue;
        const names = new Set((t.dag.tasks || []).map((x) => x.name));
        for (const p of (t.outputs && t.outputs.parameters) || []) {
            if (!PARAM_NAME.test(p.name || '')) problems.push(`dag '${t.name}': output parameter name '${p.name}' is not valid`);
            const vp = p.valueFrom && p.valueFrom.parameter;
            const m = typeof vp === 'string' && vp.match(/^\{\{tasks\.([^.]+)\.outputs\.(result|parameters\.[^.}]+)\}\}$/);
            if (!m || !names.has(m[1])) problems.push(`dag '${t.name}': output '${p.name}' is not valueFrom.parameter {{tasks.TASK.outputs...}} of one of its tasks`);
        }
    }
}

// ---- driver ----

function deepEqual(a, b) {
    return JSON.stringify(a) === JSON.stringify(b);
}

async function validateText(text, label) {
    const problems = [];
    if (Buffer.byteLength(text) > MANIFEST_MAX) problems.push(`manifest is ${Buffer.byteLength(text)} bytes, over ${MANIFEST_MAX}`);
    let doc;
    const trimmed = text.trimStart();
    if (trimmed.startsWith('{')) {
        try {
            doc = JSON.parse(text);
        } catch (e) {
            return [`not JSON: ${e.message}`];
        }
    } else {
        const d12 = YAML.parseDocument(text, { version: '1.2', uniqueKeys: true });
        if (d12.errors.length) return d12.errors.map((e) => `YAML: ${e.message}`);
        if (d12.warnings.length) problems.push(...d12.warnings.map((e) => `YAML warning: ${e.message}`));
        doc = d12.toJS({ maxAliasCount: -1 });
        const d11 = YAML.parseDocument(text, { version: '1.1', uniqueKeys: true });
        if (d11.errors.length) problems.push(...d11.errors.map((e) => `YAML 1.1: ${e.message}`));
        else if (!deepEqual(d11.toJS({ maxAliasCount: -1 }), doc)) problems.push('YAML 1.1 readers (Kubernetes) read this manifest differently from YAML 1.2');
    }
    if (!doc || typeof doc !== 'object') return ['not an object'];
    const m = await loadModels();
    const classes = { Workflow: m.Workflow, WorkflowTemplate: m.WorkflowTemplate, CronWorkflow: m.CronWorkflow };
    if (doc.apiVersion !== 'argoproj.io/v1alpha1') problems.push(`apiVersion '${doc.apiVersion}' is not argoproj.io/v1alpha1`);
    const Cls = classes[doc.kind];
    if (!Cls) {
        problems.push(`kind '${doc.kind}' is not Workflow, WorkflowTemplate or CronWorkflow`);
        return problems;
    }
    try {
        new Cls(normaliseForSchema(doc)).validate();
    } catch (e) {
        problems.push(`schema: ${e.message}`);
    }
    const info = loadDts(path.join(argoDir, `${doc.kind}.d.ts`));
    if (!info) problems.push(`cannot read the type declarations of ${doc.kind}`);
    else checkObject(doc, info, doc.kind, problems);
    checkSemantics(doc, problems);
    return problems;
}

async function main() {
    const args = process.argv.slice(2);
    const quiet = args[0] === '--quiet' ? !!args.shift() : false;
    const expectInvalid = args[0] === '--expect-invalid' ? !!args.shift() : false;
    if (args.length === 0 || args.includes('--help')) {
        process.stdout.write('usage: node validate.js [--quiet | --expect-invalid] FILE... ("-" for stdin)\n');
        process.exit(args.length ? 0 : 2);
    }
    let bad = 0;
    let good = 0;
    for (const file of args) {
        const text = file === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(file, 'utf8');
        const problems = await validateText(text, file);
        if (problems.length) {
            bad++;
            if (expectInvalid) process.stdout.write(`rejected ${file}: ${problems[0]}\n`);
            else for (const p of problems) process.stderr.write(`${file}: ${p}\n`);
        } else {
            good++;
            if (expectInvalid) process.stderr.write(`${file}: accepted, but it is invalid\n`);
            else if (!quiet) process.stdout.write(`ok ${file}\n`);
        }
    }
    process.exit(expectInvalid ? (good ? 1 : 0) : bad ? 1 : 0);
}

if (require.main === module) {
    main().catch((e) => {
        process.stderr.write(`validate.js: ${e.stack || e}\n`);
        process.exit(2);
    });
}

module.exports = { validateText };
