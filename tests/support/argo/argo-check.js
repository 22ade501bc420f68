#!/usr/bin/env node
// argo-check.js - checks Argo Workflows manifests (YAML or JSON, as `duckflow argo` prints)
// against Argo's own definitions, the three ways a cluster would:
//   schema  the JSON schema of every Argo kind (argo-schema.json here, copied from Argo's
//           api/jsonschema/schema.json; see SCHEMA-SOURCE.md): what editors and CI
//           validators apply; it declares IntOrString fields as strings;
//   crd     the CRD of the kind (workflows.yaml, workflowtemplates.yaml, cronworkflows.yaml
//           from DIR, Argo's manifests/base/crds/full): its openAPIV3Schema as the API server
//           applies it with strict field validation (unknown fields refused, IntOrString
//           as integer or string), and every CEL rule of its x-kubernetes-validations;
//   names   the controller's rules (workflow/validate/validate.go) and Kubernetes' object
//           rules: template, task, parameter and artifact names, a DAG task with
//           dependencies not starting with a digit, object names and generateName within
//           63 characters (52 for a CronWorkflow, which appends a timestamp), labels and
//           annotations well formed, unique names.
// Usage: node argo-check.js [--crds DIR] [--only schema,crd,names] FILE...
// Prints "ok FILE" per file that passes; problems go to stderr as "FILE: check: problem",
// exit status 1. Without --crds the crd check is skipped (a note on stderr).
'use strict';

const fs = require('fs');
const path = require('path');

const top = path.resolve(__dirname, '..', '..', '..');
const nm = path.join(top, 'node_modules');
const YAML = require(path.join(nm, 'yaml'));
const Ajv2020 = require(path.join(nm, 'ajv', 'dist', '2020')).default;
const addFormats = require(path.join(nm, 'ajv-formats')).default;

const CRD_FILES = { Workflow: 'workflows.yaml', WorkflowTemplate: 'workflowtemplates.yaml', CronWorkflow: 'cronworkflows.yaml' };
const FIELD_NAME = /^[a-zA-Z0-9][-a-zA-Z0-9]*$/;
const PARAM_NAME = /^[-a-zA-Z0-9_]+$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

function parseArgs(argv) {
    const o = { files: [], only: new Set(['schema', 'crd', 'names']) };
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === '--crds') o.crds = argv[++i];
        else if (argv[i] === '--only') o.only = new Set(argv[++i].split(','));
        else o.files.push(argv[i]);
    }
    return o;
}

// ---- schema ----

let schemaValidators = null;
function schemaCheck(doc, problems) {
    if (!schemaValidators) {
        const schema = JSON.parse(fs.readFileSync(path.join(__dirname, 'argo-schema.json'), 'utf8'));
        const ajv = new Ajv2020({ strict: false, allErrors: true });
        addFormats(ajv);
        ajv.addSchema(schema, 'argo');
        schemaValidators = {};
        for (const k of Object.keys(CRD_FILES))
            schemaValidators[k] = ajv.compile({ $ref: `argo#/definitions/io.argoproj.workflow.v1alpha1.${k}` });
    }
    const v = schemaValidators[doc.kind];
    if (!v) return problems.push(`schema: unknown kind '${doc.kind}'`);
    if (!v(doc)) for (const e of v.errors) problems.push(`schema: ${e.instancePath || '/'} ${e.message}`);
}

// ---- crd ----

const crdCache = {};
function loadCrd(dir, kind) {
    if (crdCache[kind]) return crdCache[kind];
    // Parsing 2.8 MB of YAML takes seconds: the parsed CRD is kept as JSON in the temporary
    // folder, keyed by the file's size and time, for the next run.
    const file = path.join(dir, CRD_FILES[kind]);
    const st = fs.statSync(file);
    const cache = path.join(require('os').tmpdir(), `duckflow-argo-check-${kind}-${st.size}-${Math.floor(st.mtimeMs)}.json`);
    let crd;
    try {
        crd = JSON.parse(fs.readFileSync(cache, 'utf8'));
    } catch (e) {
        crd = YAML.parse(fs.readFileSync(file, 'utf8'));
        const tmp = `${cache}.${process.pid}`;
        try {
            fs.writeFileSync(tmp, JSON.stringify(crd));
            fs.renameSync(tmp, cache);
        } catch (e2) {
            /* no cache: slower next time */
        }
    }
    const version = crd.spec.versions.find((v) => v.name === 'v1alpha1') || crd.spec.versions[0];
    crdCache[kind] = version.schema.openAPIV3Schema;
    return crdCache[kind];
}

// The CRD's structural schema as the API server applies it with strict field validation
// (kubectl's default): types (IntOrString as integer or string), required fields, enums and
// unknown fields refused unless x-kubernetes-preserve-unknown-fields; then every CEL rule of
// x-kubernetes-validations with `self` bound to the value. (A walk of its own: compiling the
// 2.8 MB schema with ajv takes seconds.)
function typeOk(s, v) {
    if (s['x-kubernetes-int-or-string']) return Number.isInteger(v) || typeof v === 'string';
    switch (s.type) {
        case undefined:
            return true;
        case 'object':
            return v !== null && typeof v === 'object' && !Array.isArray(v);
        case 'array':
            return Array.isArray(v);
        case 'string':
            return typeof v === 'string';
        case 'integer':
            return Number.isInteger(v);
        case 'number':
            return typeof v === 'number';
        case 'boolean':
            return typeof v === 'boolean';
        default:
            return true;
    }
}

function crdWalk(evaluate, s, v, at, problems) {
    if (!s || v === undefined) return;
    const where = at || '/';
    if (v === null) {
        if (!s.nullable) problems.push(`crd: ${where}: null is not allowed`);
        return;
    }
    if (!typeOk(s, v)) return problems.push(`crd: ${where}: must be ${s['x-kubernetes-int-or-string'] ? 'integer or string' : s.type}`);
    if (s.enum && !s.enum.includes(v)) problems.push(`crd: ${where}: '${v}' is not one of ${s.enum.join(', ')}`);
    for (const r of s['x-kubernetes-validations'] || []) {
        let ok;
        try {
            ok = evaluate(r.rule, { self: v });
        } catch (e) {
            problems.push(`crd: ${where}: CEL rule '${r.rule}' cannot be evaluated: ${e.message}`);
            continue;
        }
        if (ok !== true) problems.push(`crd: ${where}: ${r.message || r.rule}`);
    }
    if (Array.isArray(v)) {
        if (s.items) v.forEach((x, i) => crdWalk(evaluate, s.items, x, `${at}/${i}`, problems));
        return;
    }
    if (typeof v !== 'object') return;
    for (const k of s.required || []) if (!(k in v)) problems.push(`crd: ${where}: '${k}' is required`);
    for (const [k, x] of Object.entries(v)) {
        if (s.properties && s.properties[k]) crdWalk(evaluate, s.properties[k], x, `${at}/${k}`, problems);
        else if (s.additionalProperties && typeof s.additionalProperties === 'object') crdWalk(evaluate, s.additionalProperties, x, `${at}/${k}`, problems);
        else if (s.properties && !s['x-kubernetes-preserve-unknown-fields'] && s.additionalProperties !== true)
            problems.push(`crd: ${where}: unknown field '${k}'`);
    }
}

async function crdCheck(dir, doc, problems) {
    if (!CRD_FILES[doc.kind]) return problems.push(`crd: unknown kind '${doc.kind}'`);
    const { evaluate } = await import(path.join(nm, '@marcbachmann', 'cel-js', 'lib', 'index.js'));
    crdWalk(evaluate, loadCrd(dir, doc.kind), doc, '', problems);
}

// ---- names ----

function fieldName(what, name, problems) {
    if (typeof name !== 'string' || !name) return problems.push(`names: ${what}: a name is required`);
    if (name.length > 128) problems.push(`names: ${what} '${name}': more than 128 characters`);
    if (!FIELD_NAME.test(name)) problems.push(`names: ${what} '${name}': not [a-zA-Z0-9][-a-zA-Z0-9]*`);
}

function unique(what, names, problems) {
    const seen = new Set();
    for (const n of names) {
        if (seen.has(n)) problems.push(`names: ${what} '${n}' is not unique`);
        seen.add(n);
    }
}

function labels(what, map, problems, isLabel) {
    for (const [k, v] of Object.entries(map || {})) {
        const slash = k.lastIndexOf('/');
        const prefix = slash >= 0 ? k.slice(0, slash) : null;
        const name = slash >= 0 ? k.slice(slash + 1) : k;
        if (prefix !== null && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) problems.push(`names: ${what} key '${k}': bad prefix`);
        if (name.length > 63 || !QUALIFIED_NAME.test(name)) problems.push(`names: ${what} key '${k}': not a qualified name`);
        if (isLabel && (typeof v !== 'string' || v.length > 63 || !LABEL_VALUE.test(v))) problems.push(`names: ${what} '${k}': value '${v}' is not a label value`);
    }
}

function namesCheck(doc, problems) {
    const meta = doc.metadata || {};
    const spec = doc.kind === 'CronWorkflow' ? (doc.spec || {}).workflowSpec || {} : doc.spec || {};
    const max = doc.kind === 'CronWorkflow' ? 52 : 63;
    if (meta.name !== undefined) {
        if (!DNS_SUBDOMAIN.test(meta.name)) problems.push(`names: metadata.name '${meta.name}' is not a DNS subdomain`);
        if (meta.name.length > max) problems.push(`names: metadata.name '${meta.name}' is over ${max} characters`);
    } else if (meta.generateName !== undefined) {
        // Kubernetes appends 5 characters; the result must be a name Argo accepts.
        const g = meta.generateName;
        if (!DNS_SUBDOMAIN.test(`${g}abcde`)) problems.push(`names: metadata.generateName '${g}' does not make a DNS subdomain`);
        if (g.length + 5 > max) problems.push(`names: metadata.generateName '${g}' makes names over ${max} characters`);
    } else problems.push('names: metadata has neither name nor generateName');
    if (meta.namespace !== undefined && (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(meta.namespace) || meta.namespace.length > 63)) problems.push(`names: namespace '${meta.namespace}' is not a DNS label`);
    labels('metadata.labels', meta.labels, problems, true);
    labels('metadata.annotations', meta.annotations, problems, false);
    if (doc.kind === 'CronWorkflow' && doc.spec.workflowMetadata) {
        labels('workflowMetadata.labels', doc.spec.workflowMetadata.labels, problems, true);
        labels('workflowMetadata.annotations', doc.spec.workflowMetadata.annotations, problems, false);
    }
    if (spec.podMetadata) labels('podMetadata.labels', spec.podMetadata.labels, problems, true);
    if (spec.workflowMetadata) labels('workflowMetadata.labels', spec.workflowMetadata.labels, problems, true);
    const templates = spec.templates || [];
    for (const t of templates) {
        fieldName('template', t.name, problems);
        // A label value with {{inputs.parameters.P}} is checked as every task calling the
        // template makes it (Kubernetes sees the substituted value on the pod).
        if (t.metadata) {
            const tagged = Object.entries(t.metadata.labels || {}).filter(([, v]) => String(v).includes('{{'));
            labels(`template '${t.name}' labels`, Object.fromEntries(Object.entries(t.metadata.labels || {}).filter(([, v]) => !String(v).includes('{{'))), problems, true);
            for (const u of templates)
                for (const x of (u.dag && u.dag.tasks) || []) {
                    if (x.template !== t.name) continue;
                    const args = Object.fromEntries(((x.arguments && x.arguments.parameters) || []).map((p) => [p.name, String(p.value)]));
                    const subst = (v) => String(v).replace(/\{\{inputs\.parameters\.([-\w]+)\}\}/g, (m, n) => (n in args ? args[n] : m));
                    labels(`template '${t.name}' labels (task '${x.name}')`, Object.fromEntries(tagged.map(([k, v]) => [k, subst(v)])), problems, true);
                }
        }
        for (const p of (t.inputs && t.inputs.parameters) || []) if (!PARAM_NAME.test(p.name || '')) problems.push(`names: template '${t.name}': parameter '${p.name}' is not [-a-zA-Z0-9_]+`);
        for (const a of (t.inputs && t.inputs.artifacts) || []) if (!PARAM_NAME.test(a.name || '')) problems.push(`names: template '${t.name}': artifact '${a.name}' is not [-a-zA-Z0-9_]+`);
        if (t.dag) {
            const tasks = t.dag.tasks || [];
            unique(`task of '${t.name}'`, tasks.map((x) => x.name), problems);
            for (const x of tasks) {
                fieldName(`task of '${t.name}'`, x.name, problems);
                if ((x.dependencies || x.depends) && /^[0-9]/.test(x.name || '')) problems.push(`names: task '${x.name}': a task with dependencies cannot begin with a digit`);
            }
        }
        if (t.container) {
            const c = t.container;
            if (c.name !== undefined && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(c.name)) problems.push(`names: template '${t.name}': container name '${c.name}' is not a DNS label`);
        }
    }
    unique('template', templates.map((t) => t.name), problems);
    for (const p of (spec.arguments && spec.arguments.parameters) || []) if (!PARAM_NAME.test(p.name || '')) problems.push(`names: workflow parameter '${p.name}' is not [-a-zA-Z0-9_]+`);
    unique('workflow parameter', ((spec.arguments && spec.arguments.parameters) || []).map((p) => p.name), problems);
    for (const v of spec.volumes || []) if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(v.name || '') || v.name.length > 63) problems.push(`names: volume '${v.name}' is not a DNS label`);
}

async function main() {
    const o = parseArgs(process.argv.slice(2));
    if (!o.files.length) {
        process.stderr.write('usage: node argo-check.js [--crds DIR] [--only schema,crd,names] FILE...\n');
        process.exit(2);
    }
    if (o.only.has('crd') && !o.crds) {
        process.stderr.write('argo-check: no --crds DIR: the CRD check is skipped\n');
        o.only.delete('crd');
    }
    let bad = 0;
    for (const f of o.files) {
        const text = fs.readFileSync(f === '-' ? 0 : f, 'utf8');
        const doc = text.trimStart().startsWith('{') ? JSON.parse(text) : YAML.parse(text, { version: '1.1' });
        const problems = [];
        if (o.only.has('schema')) schemaCheck(doc, problems);
        if (o.only.has('crd')) await crdCheck(o.crds, doc, problems);
        if (o.only.has('names')) namesCheck(doc, problems);
        if (problems.length) {
            bad++;
            for (const p of problems.slice(0, 50)) process.stderr.write(`${f}: ${p}\n`);
            if (problems.length > 50) process.stderr.write(`${f}: ... ${problems.length - 50} more\n`);
        } else process.stdout.write(`ok ${f}\n`);
    }
    process.exit(bad ? 1 : 0);
}

main().catch((e) => {
    process.stderr.write(`argo-check: ${e.stack || e}\n`);
    process.exit(2);
});
