#!/usr/bin/env node
// mutate.js - breaks a valid manifest (JSON, from `duckflow argo -o json`) in one named way,
// so the tests can check that validate.js rejects it: the validator must not pass
// everything. Usage: node mutate.js MANIFEST.json MUTATION > broken.json;
// `node mutate.js --list` prints the mutation names, `--reason NAME` what validate.js must
// say about it (a regular expression).
'use strict';
const fs = require('fs');

const spec = (d) => (d.kind === 'CronWorkflow' ? d.spec.workflowSpec : d.spec);
const dag = (d) => spec(d).templates.find((t) => t.dag).dag;
const leaf = (d) => spec(d).templates.find((t) => t.container && t.inputs && t.inputs.parameters);
const looped = (d) => dag(d).tasks.find((t) => t.withSequence || t.withItems || t.withParam);
const withDeps = (d) => dag(d).tasks.find((t) => t.dependencies && t.dependencies.length);

const mutations = {
    'unknown-container-field': (d) => { leaf(d).container.bogus = 1; },
    'unknown-task-field': (d) => { dag(d).tasks[0].colour = 'red'; },
    'unknown-spec-field': (d) => { spec(d).entryPoint = 'main'; },
    'dangling-dependency': (d) => { withDeps(d).dependencies.push('no-such-task'); },
    'dependency-cycle': (d) => { const t = withDeps(d); dag(d).tasks.find((x) => x.name === t.dependencies[0]).dependencies = [t.name]; },
    'missing-template': (d) => { dag(d).tasks[0].template = 'no-such-template'; },
    'missing-entrypoint': (d) => { spec(d).entrypoint = 'nowhere'; },
    'missing-exit-handler': (d) => { spec(d).onExit = 'nowhere'; },
    'undeclared-workflow-param': (d) => { leaf(d).container.args.push('{{workflow.parameters.undeclared}}'); },
    'undeclared-input': (d) => { leaf(d).container.args.push('{{inputs.parameters.other}}'); },
    'status-outside-exit-handler': (d) => { leaf(d).container.args.push('{{workflow.status}}'); },
    'item-outside-loop': (d) => { const t = looped(d); delete t.withSequence; delete t.withItems; delete t.withParam; },
    'argument-not-passed': (d) => { const t = looped(d); t.arguments.parameters = t.arguments.parameters.filter((p) => p.name !== 'item'); },
    'bad-task-name': (d) => { const t = dag(d).tasks[0]; t.name = 'has_underscore'; },
    'duplicate-template': (d) => { spec(d).templates.push(JSON.parse(JSON.stringify(leaf(d)))); },
    'bad-quantity': (d) => { const c = spec(d).templates.find((t) => t.container && t.container.resources).container; c.resources.limits.memory = '1.5 gigs'; },
    'wrong-type': (d) => { spec(d).parallelism = 'many'; },
    'relative-artifact-path': (d) => { spec(d).templates.find((t) => t.inputs && t.inputs.artifacts).inputs.artifacts[0].path = 'pipeline.yaml'; },
    'huge-parameter': (d) => { spec(d).arguments = { parameters: [{ name: 'big', value: 'x'.repeat(300 * 1024) }] }; },
};

// What validate.js must say about each (a regular expression over its first problem).
const reasons = {
    'unknown-container-field': "unknown field 'bogus'",
    'unknown-task-field': "unknown field 'colour'",
    'unknown-spec-field': "unknown field 'entryPoint'",
    'dangling-dependency': "depends on 'no-such-task', which is not a task",
    'dependency-cycle': 'dependency cycle',
    'missing-template': "runs template 'no-such-template', which does not exist",
    'missing-entrypoint': "entrypoint 'nowhere' is not a template",
    'missing-exit-handler': "onExit 'nowhere' is not a template",
    'undeclared-workflow-param': "'\\{\\{workflow\\.parameters\\.undeclared\\}\\}' does not resolve",
    'undeclared-input': "'\\{\\{inputs\\.parameters\\.other\\}\\}' does not resolve",
    'status-outside-exit-handler': "'\\{\\{workflow\\.status\\}\\}' does not resolve",
    'item-outside-loop': "'\\{\\{item\\}\\}' does not resolve",
    'argument-not-passed': "does not pass input 'item'",
    'bad-task-name': 'name must match pattern',
    'duplicate-template': 'is defined twice',
    'bad-quantity': 'memory must',
    'wrong-type': 'parallelism must be integer',
    'relative-artifact-path': 'needs an absolute path',
    'huge-parameter': "parameter 'big' is 307200 bytes",
};

if (process.argv[2] === '--reason') {
    process.stdout.write(reasons[process.argv[3]] + '\n');
    process.exit(reasons[process.argv[3]] ? 0 : 2);
}
if (process.argv[2] === '--list') {
    process.stdout.write(Object.keys(mutations).join('\n') + '\n');
    process.exit(0);
}
const [file, name] = process.argv.slice(2);
if (!file || !mutations[name]) {
    process.stderr.write('usage: node mutate.js MANIFEST.json MUTATION (--list shows them)\n');
    process.exit(2);
}
const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
mutations[name](doc);
process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
