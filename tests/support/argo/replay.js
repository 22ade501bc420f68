#!/usr/bin/env node
// replay.js - executes an Argo Workflows manifest on this machine the way Argo would, pod
// by pod, to test what `duckflow argo` emits without a cluster:
//   - the entrypoint DAG runs in dependency order (a task whose dependency failed is
//     omitted; with failFast: false independent tasks go on);
//   - loops expand like Argo's: withItems, withSequence (count/start/end), withParam (the
//     JSON list a task printed on stdout, {{tasks.X.outputs.result}});
//   - every {{...}} tag is substituted as Argo does: item, item.KEY, inputs.parameters.X,
//     workflow.name/namespace/uid/creationTimestamp/parameters.X/status, tasks.X.outputs.result,
//     retries, and the expression forms the manifests use ({{=asInt(retries) + 1}});
//   - each container runs as a child process: `command[0]` is replaced by the duckflow
//     binary under test, raw input artifacts are written under a per-pod folder and every
//     path inside a volume or artifact folder (/pipeline, /scratch) is mapped into it;
//     env comes from the template (secretKeyRef values from --secret);
//   - retryStrategy: limit, retryPolicy and `expression` on lastRetry.exitCode; backoff
//     delays are not waited; activeDeadlineSeconds kills the process;
//   - the onExit template runs last with workflow.status Succeeded or Failed (a DAG of
//     them: `depends` on TASK.Phase, `when` A == B / A != B, templateRef tasks logged as
//     run but not run);
//   - output parameters from files (valueFrom.path, default) go into the pod's pod.json;
//   - nested DAG templates (the groups of a split DAG) run as a task: their inputs from the
//     task's arguments, their outputs from valueFrom.parameter
//     ({{tasks.G.outputs.parameters.P}} in the DAG around them).
// Usage:
//   node replay.js MANIFEST --duckflow BIN [--name WORKFLOW_NAME] [--uid UID] [-p KEY=VALUE]..
//        [--secret NAME:KEY=VALUE].. [--workdir DIR] [--jobs N] [--save-state FILE] [--retry FILE]
//        [--reverse]
// --reverse runs the tasks that are ready at once latest first (Argo may start them in any
// order), so that a dependency a manifest lacks shows as a task running before it.
// --uid gives {{workflow.uid}} (default: a new random one, as each submitted workflow gets;
// --save-state FILE keeps the workflow's name, uid and node results; --retry FILE replays
// it as `argo retry` does: same name and uid, succeeded nodes kept, the rest run again.
// Prints "workflow NAME Succeeded|Failed" on stdout; per-pod lines on stderr. Exit status 0
// when the workflow succeeded, 1 when it failed, 2 for a manifest it cannot replay.
// Runs on Node 18 and later.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');

const top = path.resolve(__dirname, '..', '..', '..');
const YAML = require(path.join(top, 'node_modules', 'yaml'));

class ReplayError extends Error {}

function die(msg) {
    throw new ReplayError(msg);
}

function parseArgs(argv) {
    const o = { params: {}, secrets: {}, jobs: 1 };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const val = () => {
            if (i + 1 >= argv.length) die(`${a} needs a value`);
            return argv[++i];
        };
        if (a === '--duckflow') o.duckflow = val();
        else if (a === '--name') o.name = val();
        else if (a === '--workdir') o.workdir = val();
        else if (a === '--uid') o.uid = val();
        else if (a === '--save-state') o.saveState = val();
        else if (a === '--retry') o.retry = JSON.parse(fs.readFileSync(val(), 'utf8'));
        else if (a === '--reverse') o.reverse = true;
        else if (a === '--jobs') o.jobs = Math.max(1, parseInt(val(), 10) || 1);
        else if (a === '-p' || a === '--param') {
            const kv = val();
            const eq = kv.indexOf('=');
            if (eq <= 0) die(`-p '${kv}' is not KEY=VALUE`);
            o.params[kv.slice(0, eq)] = kv.slice(eq + 1);
        } else if (a === '--secret') {
            const s = val();
            const m = s.match(/^([^:]+):([^=]+)=(.*)$/);
            if (!m) die(`--secret '${s}' is not NAME:KEY=VALUE`);
            (o.secrets[m[1]] = o.secrets[m[1]] || {})[m[2]] = m[3];
        } else if (a === '--help') {
            process.stdout.write('usage: node replay.js MANIFEST --duckflow BIN [--name NAME] [--uid UID] [-p K=V].. [--secret NAME:KEY=VALUE].. [--workdir DIR] [--jobs N]\n');
            process.exit(0);
        } else if (!o.manifest) o.manifest = a;
        else die(`unexpected argument '${a}'`);
    }
    if (!o.manifest) die('a manifest is required');
    if (!o.duckflow) die('--duckflow is required');
    return o;
}

// ---- template tags ----

function evalExpr(expr, vars) {
    // The expression forms duckflow's manifests use; anything else is refused rather than
    // guessed at.
    let m = expr.match(/^sprig\.trunc\(\s*(\d+)\s*,\s*sprig\.sha256sum\(\s*([\w.]+)\s*\)\s*\)$/);
    if (m) {
        if (!(m[2] in vars)) die(`expression '${expr}': '${m[2]}' is not defined here`);
        return require('crypto').createHash('sha256').update(String(vars[m[2]])).digest('hex').slice(0, parseInt(m[1], 10));
    }
    // asInt(retries) < 1 ? 'A' : asInt(retries) < 2 ? 'B' : 'C' (podSpecPatch)
    if (/^asInt\(\s*[\w.]+\s*\)\s*<\s*\d+\s*\?/.test(expr)) {
        let rest = expr;
        for (;;) {
            const c = rest.match(/^asInt\(\s*([\w.]+)\s*\)\s*<\s*(\d+)\s*\?\s*'([^']*)'\s*:\s*(.*)$/);
            if (!c) break;
            if (!(c[1] in vars)) die(`expression '${expr}': '${c[1]}' is not defined here`);
            if (parseInt(vars[c[1]], 10) < parseInt(c[2], 10)) return c[3];
            rest = c[4];
        }
        const last = rest.match(/^'([^']*)'$/);
        if (!last) die(`unsupported expression '{{=${expr}}}'`);
        return last[1];
    }
    // sprig.min(asInt(P), C): the pods of an automatically batched loop
    m = expr.match(/^sprig\.min\(\s*asInt\(\s*([\w.]+)\s*\)\s*,\s*(\d+)\s*\)$/);
    if (m) {
        if (!(m[1] in vars)) die(`expression '${expr}': '${m[1]}' is not defined here`);
        const v = parseInt(vars[m[1]], 10);
        if (Number.isNaN(v)) die(`expression '${expr}': '${vars[m[1]]}' is not an integer`);
        return String(Math.min(v, parseInt(m[2], 10)));
    }
    // sprig.div(asInt(P) + K, N): the group count of a loop with tasks_per_pod N
    m = expr.match(/^sprig\.div\(\s*asInt\(\s*([\w.]+)\s*\)\s*\+\s*(\d+)\s*,\s*(\d+)\s*\)$/);
    if (m) {
        if (!(m[1] in vars)) die(`expression '${expr}': '${m[1]}' is not defined here`);
        const v = parseInt(vars[m[1]], 10);
        if (Number.isNaN(v)) die(`expression '${expr}': '${vars[m[1]]}' is not an integer`);
        return String(Math.trunc((v + parseInt(m[2], 10)) / parseInt(m[3], 10)));
    }
    m = expr.match(/^asInt\(\s*([\w.]+)\s*\)\s*([+-])\s*(\d+)$/);
    if (m) {
        if (!(m[1] in vars)) die(`expression '${expr}': '${m[1]}' is not defined here`);
        const v = parseInt(vars[m[1]], 10);
        if (Number.isNaN(v)) die(`expression '${expr}': '${vars[m[1]]}' is not an integer`);
        return String(m[2] === '+' ? v + parseInt(m[3], 10) : v - parseInt(m[3], 10));
    }
    m = expr.match(/^([\w.]+)$/);
    if (m && m[1] in vars) return String(vars[m[1]]);
    die(`unsupported expression '{{=${expr}}}'`);
}

// Replaces {{tags}}. Argo leaves tags it cannot resolve as they are; replay refuses them
// (a manifest should resolve everything it means to) unless lenient, as for file contents.
function substitute(s, vars, where, lenient) {
    return s.replace(/\{\{(.*?)\}\}/g, (all, inner) => {
        const tag = inner.trim();
        if (lenient && !(tag in vars)) return all;
        if (tag.startsWith('=')) return evalExpr(tag.slice(1).trim(), vars);
        if (!(tag in vars)) die(`${where}: '{{${tag}}}' does not resolve`);
        return String(vars[tag]);
    });
}

function substituteAll(value, vars, where) {
    if (typeof value === 'string') return substitute(value, vars, where);
    if (Array.isArray(value)) return value.map((v, i) => substituteAll(v, vars, `${where}[${i}]`));
    if (value && typeof value === 'object') {
        const out = {};
        for (const k of Object.keys(value)) out[k] = substituteAll(value[k], vars, `${where}.${k}`);
        return out;
    }
    return value;
}

// An item's variables: {{item}} and, for maps, {{item.KEY}} (non-strings as JSON, as Argo).
function itemVars(item) {
    const vars = {};
    const str = (v) => (typeof v === 'string' ? v : JSON.stringify(v));
    vars.item = str(item);
    if (item && typeof item === 'object' && !Array.isArray(item))
        for (const k of Object.keys(item)) vars[`item.${k}`] = str(item[k]);
    return vars;
}

// ---- pods ----

let podSeq = 0;

function runProcess(cmd, args, env, cwd, deadlineSec) {
    return new Promise((resolve) => {
        const child = spawn(cmd, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
        const out = [];
        const err = [];
        let timer = null;
        let timedOut = false;
        // Past activeDeadlineSeconds the kubelet stops the pod: SIGTERM, then SIGKILL after
        // the grace period (30 s on Kubernetes; 2 s here).
        if (deadlineSec)
            timer = setTimeout(() => {
                timedOut = true;
                child.kill('SIGTERM');
                timer = setTimeout(() => child.kill('SIGKILL'), 2000);
            }, deadlineSec * 1000);
        child.stdout.on('data', (d) => out.push(d));
        child.stderr.on('data', (d) => err.push(d));
        child.on('error', (e) => {
            if (timer) clearTimeout(timer);
            resolve({ code: 127, stdout: '', stderr: String(e), timedOut });
        });
        child.on('close', (code, signal) => {
            if (timer) clearTimeout(timer);
            resolve({
                code: code === null ? 128 + (os.constants.signals[signal] || 9) : code,
                stdout: Buffer.concat(out).toString('utf8'),
                stderr: Buffer.concat(err).toString('utf8'),
                timedOut,
            });
        });
    });
}

function retryAllowed(strategy, lastCode) {
    if (!strategy.expression) return true;
    for (const clause of strategy.expression.split('&&').map((c) => c.trim())) {
        const m = clause.match(/^asInt\(lastRetry\.exitCode\)\s*(==|!=|>=|<=|>|<)\s*(-?\d+)$/);
        if (!m) die(`unsupported retryStrategy expression '${strategy.expression}'`);
        const n = parseInt(m[2], 10);
        const ok = { '==': lastCode === n, '!=': lastCode !== n, '>=': lastCode >= n, '<=': lastCode <= n, '>': lastCode > n, '<': lastCode < n }[m[1]];
        if (!ok) return false;
    }
    return true;
}

class Replay {
    constructor(doc, opts) {
        this.opts = opts;
        this.kind = doc.kind;
        this.spec = doc.kind === 'CronWorkflow' ? doc.spec.workflowSpec : doc.spec;
        if (!this.spec) die('the manifest has no workflow spec');
        this.templates = new Map((this.spec.templates || []).map((t) => [t.name, t]));
        const meta = doc.kind === 'Workflow' ? doc.metadata || {} : {};
        const base = doc.kind === 'Workflow' ? meta.generateName || meta.name : `${(doc.metadata || {}).name}-`;
        if (opts.retry) {
            // `argo retry`: the same workflow (name and uid); nodes that succeeded keep
            // their results and do not run again.
            opts.name = opts.name || opts.retry.name;
            opts.uid = opts.uid || opts.retry.uid;
        }
        this.prior = (opts.retry && opts.retry.nodes) || {};
        this.nodes = {};
        this.name = opts.name || meta.name || `${base}${Math.random().toString(36).slice(2, 7)}`;
        this.workdir = opts.workdir || fs.mkdtempSync(path.join(os.tmpdir(), 'argo-replay-'));
        this.globals = {
            'workflow.name': this.name,
            'workflow.namespace': (doc.metadata && doc.metadata.namespace) || 'default',
            // A new workflow gets a new uid, even under a name that was used before.
            'workflow.uid': opts.uid || require('crypto').randomUUID(),
            'workflow.creationTimestamp': new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
            'workflow.serviceAccountName': this.spec.serviceAccountName || 'default',
        };
        if (this.kind === 'CronWorkflow') this.globals['workflow.scheduledTime'] = this.globals['workflow.creationTimestamp'];
        for (const p of (this.spec.arguments && this.spec.arguments.parameters) || []) {
            const v = p.name in opts.params ? opts.params[p.name] : p.value !== undefined ? p.value : p.default;
            if (v === undefined) die(`workflow parameter '${p.name}' has no value`);
            this.globals[`workflow.parameters.${p.name}`] = String(v);
        }
        for (const k of Object.keys(opts.params))
            if (!(`workflow.parameters.${k}` in this.globals)) die(`-p ${k}: the workflow has no such parameter`);
        this.pods = 0;
    }

    log(msg) {
        process.stderr.write(`replay: ${msg}\n`);
    }

    // Runs a leaf container template with the given input parameter values; resolves to
    // {phase, result}.
    async runContainer(t, inputs, label) {
        if (!t.container) die(`template '${t.name}' is not a container template (only dag and container are replayed)`);
        const vars = Object.assign({}, this.globals);
        for (const p of (t.inputs && t.inputs.parameters) || []) {
            const v = p.name in inputs ? inputs[p.name] : p.value !== undefined ? p.value : p.default;
            if (v === undefined) die(`${label}: input '${p.name}' of template '${t.name}' has no value`);
            vars[`inputs.parameters.${p.name}`] = String(v);
        }
        const kept = this.prior[label];
        if (kept && kept.phase === 'Succeeded' && !label.endsWith('(onExit)') && !this.inExit) {
            this.log(`${label}: kept (succeeded before the retry)`);
            this.nodes[label] = kept;
            return kept;
        }
        const res = await this.runAttempts(t, vars, label);
        this.nodes[label] = res;
        return res;
    }

    async runAttempts(t, vars, label) {
        const strategy = t.retryStrategy || null;
        const limit = strategy ? parseInt(strategy.limit === undefined ? '0' : String(strategy.limit), 10) : 0;
        let last = null;
        for (let attempt = 0; attempt <= limit; attempt++) {
            const pv = Object.assign({}, vars);
            if (strategy) pv.retries = String(attempt);
            const podDir = path.join(this.workdir, `pod-${String(++podSeq).padStart(4, '0')}`);
            fs.mkdirSync(podDir, { recursive: true });
            // Folders the pod sees: volume mounts and the top folder of each input artifact.
            const mounts = [];
            for (const m of t.container.volumeMounts || []) mounts.push(m.mountPath);
            for (const a of (t.inputs && t.inputs.artifacts) || []) {
                if (!a.path || !a.path.startsWith('/')) die(`${label}: artifact '${a.name}' has no absolute path`);
                mounts.push('/' + a.path.split('/')[1]);
            }
            const uniq = [...new Set(mounts)].sort((a, b) => b.length - a.length);
            const mapPath = (s) => {
                for (const m of uniq) if (s === m || s.startsWith(m + '/')) return path.join(podDir, 'fs' + s);
                return s;
            };
            for (const m of uniq) fs.mkdirSync(path.join(podDir, 'fs' + m), { recursive: true });
            for (const a of (t.inputs && t.inputs.artifacts) || []) {
                if (!a.raw) die(`${label}: artifact '${a.name}' is not raw (only raw artifacts are replayed)`);
                const data = substitute(a.raw.data, pv, `${label} artifact '${a.name}'`, true);
                const host = mapPath(a.path);
                fs.mkdirSync(path.dirname(host), { recursive: true });
                fs.writeFileSync(host, data);
            }
            const c = substituteAll(t.container, pv, `${label} container`);
            const env = { PATH: process.env.PATH, HOME: podDir };
            for (const k of ['ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS', 'LD_LIBRARY_PATH']) if (process.env[k]) env[k] = process.env[k];
            for (const e of c.env || []) {
                if (e.value !== undefined) env[e.name] = mapPath(e.value);
                else if (e.valueFrom && e.valueFrom.secretKeyRef) {
                    const ref = e.valueFrom.secretKeyRef;
                    const sec = this.opts.secrets[ref.name];
                    if (sec && ref.key in sec) env[e.name] = sec[ref.key];
                    else if (!ref.optional) die(`${label}: secret '${ref.name}' key '${ref.key}' is not given (--secret)`);
                } else die(`${label}: env '${e.name}' has a source replay does not know`);
            }
            const command = (c.command || []).concat(c.args || []);
            if (command.length === 0) die(`${label}: the container has no command`);
            if (path.basename(command[0]) !== 'duckflow') die(`${label}: replay runs duckflow only, not '${command[0]}'`);
            const argv = command.slice(1).map(mapPath);
            const deadline = t.activeDeadlineSeconds ? parseInt(String(t.activeDeadlineSeconds), 10) : 0;
            // What the pod ran, for tests to inspect (env names only: values may be secret).
            fs.writeFileSync(path.join(podDir, 'pod.json'), JSON.stringify({ label, template: t.name, attempt: attempt + 1, args: argv, env: Object.keys(env).sort() }, null, 1));
            const r = await runProcess(this.opts.duckflow, argv, env, podDir, deadline);
            this.pods++;
            // Output parameters read from files (valueFrom.path), as Argo's executor does
            // when the container ends; kept in pod.json for tests.
            const outputs = {};
            for (const op of (t.outputs && t.outputs.parameters) || []) {
                const vf = op.valueFrom || {};
                if (!vf.path) continue;
                const host = mapPath(substitute(vf.path, pv, `${label} output '${op.name}'`));
                if (fs.existsSync(host)) outputs[op.name] = fs.readFileSync(host, 'utf8').trim();
                else if (vf.default !== undefined) outputs[op.name] = vf.default;
                else r.code = r.code || 1; // Argo fails a pod whose output is missing
            }
            if (Object.keys(outputs).length) {
                const pj = JSON.parse(fs.readFileSync(path.join(podDir, 'pod.json'), 'utf8'));
                pj.outputs = outputs;
                fs.writeFileSync(path.join(podDir, 'pod.json'), JSON.stringify(pj, null, 1));
            }
            const attemptNote = strategy ? ` attempt ${attempt + 1}/${limit + 1}` : '';
            this.log(`${label}${attemptNote}: exit ${r.code}${r.timedOut ? ' (past activeDeadlineSeconds)' : ''}`);
            if (r.stderr.trim()) process.stderr.write(r.stderr.replace(/\s+$/, '').replace(/^/gm, `  ${label}| `) + '\n');
            last = r;
            if (r.code === 0) return { phase: 'Succeeded', result: r.stdout.replace(/\s+$/, '') };
            if (!strategy || !retryAllowed(strategy, r.code)) break;
        }
        return { phase: 'Failed', result: last ? last.stdout : '' };
    }

    // A DAG template: its tasks with the template's input parameters (a nested DAG, one
    // group of a split DAG, takes them from its task's arguments); resolves to {phase,
    // outputs} with the output parameters its `valueFrom.parameter` names.
    async runDag(t, inputs = {}) {
        const tasks = new Map((t.dag.tasks || []).map((x) => [x.name, x]));
        const dagVars = {};
        for (const p of (t.inputs && t.inputs.parameters) || []) {
            const v = p.name in inputs ? inputs[p.name] : p.value !== undefined ? p.value : p.default;
            if (v === undefined) die(`dag '${t.name}': input '${p.name}' has no value`);
            dagVars[`inputs.parameters.${p.name}`] = String(v);
        }
        const state = new Map(); // name -> {phase, result}
        const failFast = t.dag.failFast !== false;
        let failed = false;
        // `depends`: TASK or TASK.Phase joined by || and && (what the manifests use).
        const dependsOn = (task) => [
            ...(task.dependencies || []),
            ...(typeof task.depends === 'string' ? task.depends.replace(/[()!]/g, ' ').split(/\s*(?:\|\||&&)\s*/).map((x) => x.trim().split('.')[0]).filter(Boolean) : []),
        ];
        const dependsMet = (task) => {
            if (typeof task.depends !== 'string') return true;
            const phases = { Succeeded: ['Succeeded'], Failed: ['Failed'], Errored: ['Error'], Skipped: ['Skipped'], Omitted: ['Omitted'] };
            const js = task.depends.replace(/([A-Za-z0-9][-A-Za-z0-9]*)(?:\.([A-Za-z]+))?/g, (all, name, phase) => {
                const st = state.get(name);
                if (!st) die(`dag '${t.name}': '${task.name}' depends on unknown task '${name}'`);
                if (!phase) return String(['Succeeded', 'Skipped'].includes(st.phase));
                if (!phases[phase]) die(`dag '${t.name}': '${task.name}': depends phase '${phase}' is not replayed`);
                return String(phases[phase].includes(st.phase));
            });
            if (!/^[\s()!|&a-z]*$/.test(js)) die(`dag '${t.name}': cannot read depends '${task.depends}'`);
            return Function(`return (${js});`)();
        };
        const ready = (task) => dependsOn(task).every((d) => state.has(d));
        while (state.size < tasks.size) {
            const next = [...tasks.values()].filter((x) => !state.has(x.name) && ready(x));
            // --reverse: the ready tasks latest first, so an order the manifest does not
            // enforce (a missing dependency) shows.
            if (this.opts.reverse) next.reverse();
            if (next.length === 0) die(`dag '${t.name}': tasks wait on one another (a cycle or a missing dependency)`);
            for (const task of next) {
                const deps = task.dependencies || [];
                for (const d of dependsOn(task)) if (!tasks.has(d)) die(`dag '${t.name}': '${task.name}' depends on unknown task '${d}'`);
                if (deps.some((d) => !['Succeeded', 'Skipped'].includes(state.get(d).phase)) || !dependsMet(task) || (failed && failFast)) {
                    state.set(task.name, { phase: 'Omitted' });
                    this.log(`${task.name}: omitted (a dependency did not succeed)`);
                    continue;
                }
                const res = await this.runTask(task, state, dagVars);
                state.set(task.name, res);
                if (res.phase === 'Failed') failed = true;
            }
        }
        const ok = [...state.values()].every((s) => s.phase === 'Succeeded' || s.phase === 'Skipped');
        const outputs = {};
        if (ok)
            for (const p of (t.outputs && t.outputs.parameters) || []) {
                const vf = p.valueFrom || {};
                if (vf.parameter === undefined) die(`dag '${t.name}': output '${p.name}' has no valueFrom.parameter`);
                outputs[p.name] = substitute(vf.parameter, Object.assign({}, this.globals, dagVars, this.taskVars(state)), `dag '${t.name}' output '${p.name}'`);
            }
        return { phase: ok ? 'Succeeded' : 'Failed', outputs };
    }

    // {{tasks.X.outputs.result}}, {{tasks.X.outputs.parameters.P}} (a nested DAG's) and
    // {{tasks.X.status}} of the tasks done so far.
    taskVars(state) {
        const vars = {};
        for (const [name, s] of state) {
            if (s.result !== undefined) vars[`tasks.${name}.outputs.result`] = s.result;
            for (const [k, v] of Object.entries(s.outputs || {})) vars[`tasks.${name}.outputs.parameters.${k}`] = v;
            vars[`tasks.${name}.status`] = s.phase;
        }
        return vars;
    }

    async runTask(task, state, dagVars = {}) {
        const vars = Object.assign({}, this.globals, dagVars, this.taskVars(state));
        let items = null;
        if (task.withItems !== undefined) items = task.withItems;
        else if (task.withParam !== undefined) {
            const text = substitute(task.withParam, vars, `task '${task.name}' withParam`);
            try {
                items = JSON.parse(text);
            } catch (e) {
                die(`task '${task.name}': withParam is not JSON: ${text.slice(0, 200)}`);
            }
            if (!Array.isArray(items)) die(`task '${task.name}': withParam is not a JSON list`);
        } else if (task.withSequence !== undefined) {
            const seq = substituteAll(task.withSequence, vars, `task '${task.name}' withSequence`);
            const start = seq.start !== undefined ? parseInt(String(seq.start), 10) : 0;
            let end;
            if (seq.count !== undefined) end = start + parseInt(String(seq.count), 10) - 1;
            else end = parseInt(String(seq.end), 10);
            if (Number.isNaN(start) || Number.isNaN(end)) die(`task '${task.name}': withSequence is not numeric`);
            items = [];
            for (let i = start; i <= end; i++) items.push(String(i));
        }
        if (task.when !== undefined) {
            // The forms the manifests use: `A == B` and `A != B` after substitution.
            const w = substitute(String(task.when), vars, `task '${task.name}' when`);
            const m = w.match(/^\s*(\S+)\s*(==|!=)\s*(\S+)\s*$/);
            if (!m) die(`task '${task.name}': when '${task.when}' is not replayed`);
            if ((m[1] === m[3]) !== (m[2] === '==')) {
                this.log(`${task.name}: skipped (when '${w}' is false)`);
                return { phase: 'Skipped' };
            }
        }
        if (task.templateRef) {
            // A template of another object (an exit hook's WorkflowTemplate): not in the
            // manifest, so not run; the log says it would run, for tests.
            const r = task.templateRef;
            this.log(`${task.name}: templateRef ${r.clusterScope ? 'cluster/' : ''}${r.name}/${r.template} runs (not replayed)`);
            this.nodes[task.name] = { phase: 'Succeeded', templateRef: r };
            return { phase: 'Succeeded' };
        }
        const t = this.templates.get(task.template);
        if (!t) die(`task '${task.name}': no template '${task.template}'`);
        const one = async (item, label) => {
            const v = Object.assign({}, vars, item === undefined ? {} : itemVars(item));
            const inputs = {};
            for (const p of (task.arguments && task.arguments.parameters) || [])
                inputs[p.name] = substitute(String(p.value), v, `${label} argument '${p.name}'`);
            if (t.dag) return this.runDag(t, inputs);
            return this.runContainer(t, inputs, label);
        };
        if (items === null) return one(undefined, task.name);
        if (items.length === 0) {
            this.log(`${task.name}: skipped (no items)`);
            return { phase: 'Skipped' };
        }
        const results = new Array(items.length);
        let next = 0;
        const worker = async () => {
            while (next < items.length) {
                const i = next++;
                const label = `${task.name}(${i}:${typeof items[i] === 'string' ? items[i] : JSON.stringify(items[i])})`;
                results[i] = await one(items[i], label);
            }
        };
        await Promise.all(Array.from({ length: Math.min(this.opts.jobs, items.length) }, worker));
        const ok = results.every((r) => r.phase === 'Succeeded');
        return { phase: ok ? 'Succeeded' : 'Failed' };
    }

    async run() {
        const entry = this.templates.get(this.spec.entrypoint);
        if (!entry) die(`entrypoint '${this.spec.entrypoint}' is not a template`);
        const res = entry.dag ? await this.runDag(entry) : await this.runContainer(entry, {}, entry.name);
        let phase = res.phase;
        if (this.spec.onExit) {
            const exit = this.templates.get(this.spec.onExit);
            if (!exit) die(`onExit '${this.spec.onExit}' is not a template`);
            this.globals['workflow.status'] = phase;
            this.inExit = true; // the exit handler runs again after `argo retry`
            const r = exit.dag ? await this.runDag(exit) : await this.runContainer(exit, {}, `${exit.name} (onExit)`);
            if (r.phase !== 'Succeeded') phase = 'Failed';
        }
        return phase;
    }
}

async function main() {
    let opts;
    try {
        opts = parseArgs(process.argv.slice(2));
        const text = fs.readFileSync(opts.manifest, 'utf8');
        const doc = text.trimStart().startsWith('{') ? JSON.parse(text) : YAML.parse(text, { version: '1.1' });
        const r = new Replay(doc, opts);
        const phase = await r.run();
        process.stdout.write(`workflow ${r.name} ${phase}\n`);
        process.stdout.write(`uid ${r.globals['workflow.uid']}\n`);
        if (opts.saveState) fs.writeFileSync(opts.saveState, JSON.stringify({ name: r.name, uid: r.globals['workflow.uid'], phase, nodes: r.nodes }));
        process.stderr.write(`replay: ${r.pods} pods\n`);
        process.exit(phase === 'Succeeded' ? 0 : 1);
    } catch (e) {
        if (e instanceof ReplayError) {
            process.stderr.write(`replay.js: ${e.message}\n`);
            process.exit(2);
        }
        throw e;
    }
}

main();
