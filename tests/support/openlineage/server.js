// server.js - a tiny OpenLineage endpoint for tests, on 127.0.0.1 and a free port: appends
// every POSTed body (one line each) to OUT, answers 201; the first FAIL requests get 503.
// Usage: node server.js PORT_FILE OUT [FAIL]
'use strict';
const fs = require('fs');
const http = require('http');
const [portFile, out, failArg] = process.argv.slice(2);
let fail = Number(failArg || 0);
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', c => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString();
    fs.appendFileSync(out + '.requests', `${req.method} ${req.url} ${req.headers['content-type'] || ''} ${req.headers.authorization || ''}\n`);
    if (fail > 0) { fail--; res.writeHead(503); res.end(); return; }
    fs.appendFileSync(out, body.replace(/\n/g, ' ') + '\n');
    res.writeHead(201, { 'Content-Type': 'application/json' });
    res.end('{}');
  });
});
server.listen(0, '127.0.0.1', () => fs.writeFileSync(portFile, String(server.address().port)));
