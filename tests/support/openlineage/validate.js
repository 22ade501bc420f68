// validate.js - checks OpenLineage events (JSON lines) against OpenLineage's own JSON
// schemas with a real validator (ajv, draft 2020-12, with formats): each event against
// OpenLineage.json's RunEvent, and each facet it carries against its facet's schema.
// Usage: node validate.js SCHEMA_DIR EVENTS.jsonl   (prints one line per problem; exit 1
// when there is any, or when a facet has no schema to check it against).
'use strict';
const fs = require('fs');
const path = require('path');
const Ajv2020 = require('ajv/dist/2020');
const addFormats = require('ajv-formats');

const [dir, file] = process.argv.slice(2);
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
const core = JSON.parse(fs.readFileSync(path.join(dir, 'OpenLineage.json'), 'utf8'));
ajv.addSchema(core);
const facetSchemas = {}; // facet name -> validate function of its file's schema
for (const f of fs.readdirSync(path.join(dir, 'facets'))) {
  const s = JSON.parse(fs.readFileSync(path.join(dir, 'facets', f), 'utf8'));
  ajv.addSchema(s);
  for (const name of Object.keys(s.properties || {})) facetSchemas[name] = s.$id;
}
const runEvent = ajv.compile({ $ref: core.$id + '#/$defs/RunEvent' });

let bad = 0;
function problem(msg) { console.log(msg); bad++; }
function checkFacets(where, facets) {
  for (const [name, value] of Object.entries(facets || {})) {
    const id = facetSchemas[name];
    if (!id) { problem(`${where}: facet '${name}' has no schema here`); continue; }
    const v = ajv.getSchema(id);
    if (!v({ [name]: value })) problem(`${where}: facet '${name}': ${ajv.errorsText(v.errors)}`);
  }
}
const lines = fs.readFileSync(file, 'utf8').split('\n').filter(l => l.trim());
lines.forEach((line, i) => {
  const where = `${file}:${i + 1}`;
  let e;
  try { e = JSON.parse(line); } catch (err) { problem(`${where}: not JSON: ${err.message}`); return; }
  if (!runEvent(e)) problem(`${where}: RunEvent: ${ajv.errorsText(runEvent.errors)}`);
  checkFacets(`${where} run`, e.run && e.run.facets);
  checkFacets(`${where} job`, e.job && e.job.facets);
  for (const d of [...(e.inputs || []), ...(e.outputs || [])]) {
    checkFacets(`${where} ${d.name}`, d.facets);
    checkFacets(`${where} ${d.name}`, d.inputFacets);
    checkFacets(`${where} ${d.name}`, d.outputFacets);
  }
});
if (!lines.length) problem(`${file}: no events`);
console.log(`${lines.length} events, ${bad} problems`);
process.exit(bad ? 1 : 0);
