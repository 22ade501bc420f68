#!/usr/bin/env node
// front.js - a strict S3 test server for duckflow's tests: an s3rver (npm, pinned) behind
// an HTTP front on 127.0.0.1 that
//   - verifies AWS SigV4 signatures (wrong secret: 403 SignatureDoesNotMatch), payload
//     hashes (x-amz-content-sha256) and Content-MD5 (400 BadDigest), session tokens and
//     their expiry (400 ExpiredToken);
//   - implements what s3rver lacks: AbortMultipartUpload, ListMultipartUploads, S3-style
//     multipart ETags (md5 of the part md5s, "-N");
//   - answers STS AssumeRoleWithWebIdentity (POST / with Action=...) with short-lived
//     credentials that it then accepts;
//   - injects faults on request: a rate of 500/503 SlowDown answers, slow answers,
//     dropped connections (before answering, mid-upload after N bytes, mid-download, or
//     after completing a multipart upload), a failing part.
// Start: node --openssl-legacy-provider front.js [--port-file F]; prints one JSON line
// {"endpoint": "http://127.0.0.1:PORT", "pid": N}. Configuration by environment:
//   S3_FRONT_KEYS="id:secret,..." (default duckflow-test:duckflow-test-secret)
//   S3_FRONT_BUCKETS="a,b" (default duckflow)   S3_FRONT_REGION (default us-east-1)
//   S3_FRONT_FAULTS='{"errorRate":0.1,...}' (same fields as POST /_front/faults)
//   S3_FRONT_STS_DURATION=seconds (default 3600)  S3_FRONT_WEB_TOKEN=expected token
//   S3_FRONT_TLS_CERT + S3_FRONT_TLS_KEY (PEM files): serve HTTPS with that certificate
//   (the endpoint is then https://127.0.0.1:PORT; start.sh's S3_TEST_TLS=1 makes a CA)
// Control (unsigned, loopback only): POST /_front/faults {json}, GET /_front/stats
// (byOp: requests per operation; getKeys: GetObject requests per key), POST /_front/reset.
// Fault fields (each POST replaces them all):
//   errorRate (0..1: answer 503 SlowDown / 500 InternalError), dropRate (0..1: close the
//   connection without an answer), slowMs + slowRate + slowOps (["UploadPart", ...]),
//   dropMidUpload N + dropAfterBytes (cut the next N uploads bigger than that),
//   dropMidDownload N (same for downloads), dropCompleteAnswer N (complete a multipart
//   upload, then drop the answer), corruptDownload N (flip a bit of the next N downloads),
//   failPart + failPartTimes (-1: always) + failPartStatus, stsDuration (seconds of the
//   credentials STS hands out), skewSeconds (the front's clock offset), disableOps
//   (["ListMultipartUploads", ...]: answer those operations 501 NotImplemented, as a store
//   that lacks the API does), deny (a regex) + denyOps (["PutObject", ...], default all)
//   + denyStatus (default 403) + denySkip (default 0): answer AccessDenied (or that
//   status) to those operations on an object key, or a listing prefix, that the regex
//   matches, after letting the first denySkip of them through.
// A Host of BUCKET.localhost[:port] is virtual-host style addressing.
'use strict';

const http = require('http');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const S3rver = require('s3rver');

const args = process.argv.slice(2);
const portFile = args.includes('--port-file') ? args[args.indexOf('--port-file') + 1] : null;
const region = process.env.S3_FRONT_REGION || 'us-east-1';
const buckets = (process.env.S3_FRONT_BUCKETS || 'duckflow').split(',').filter(Boolean);
const keys = new Map(); // access key id -> {secret, token, expires}
for (const kv of (process.env.S3_FRONT_KEYS || 'duckflow-test:duckflow-test-secret').split(',')) {
  const i = kv.indexOf(':');
  if (i > 0) keys.set(kv.slice(0, i), { secret: kv.slice(i + 1), token: null, expires: 0 });
}
let stsDuration = Number(process.env.S3_FRONT_STS_DURATION || 3600);

let faults = {};
function setFaults(f) {
  faults = Object.assign({}, f || {});
  faults.dropBodyLeft = faults.dropMidUpload || 0; // count of uploads to cut mid-body
  faults.partFailLeft = faults.failPartTimes || 0;
  faults.dropDownloadLeft = faults.dropMidDownload || 0;
  faults.dropCompleteLeft = faults.dropCompleteAnswer || 0;
  faults.corruptDownloadLeft = faults.corruptDownload || 0;
  faults.denySkipLeft = faults.denySkip || 0;
  stsDuration = faults.stsDuration || Number(process.env.S3_FRONT_STS_DURATION || 3600);
}
setFaults(process.env.S3_FRONT_FAULTS ? JSON.parse(process.env.S3_FRONT_FAULTS) : {});

const stats = { requests: 0, byOp: {}, faults: 0, drops: 0, authFailures: 0, sts: 0, aborts: 0 };
const uploads = new Map(); // uploadId -> {bucket, key, initiated, parts: Map(n -> md5 hex)}
const etagOverride = new Map(); // "bucket/key" -> multipart ETag

// s3rver runs in a child process (a second event loop, so the front's checks and s3rver's
// storing use both cores); it reports its port over IPC and exits with its parent.
if (args.includes('--s3rver-child')) {
  const dir = fs.mkdtempSync(path.join(process.env.TMPDIR || os.tmpdir(), 's3front-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: dir,
    configureBuckets: buckets.map(name => ({ name })),
  });
  const bye = () => { fs.rmSync(dir, { recursive: true, force: true }); process.exit(0); };
  process.on('disconnect', bye);
  process.on('SIGTERM', bye);
  process.on('SIGINT', bye);
  server.run().then(addr => process.send({ port: addr.port }), e => { console.error('s3rver: ' + e); process.exit(1); });
  return;
}

// ---- SigV4 ----
function enc(s) {
  return encodeURIComponent(s).replace(/[!'()*]/g, c => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}
function decodeLoose(s) {
  try { return decodeURIComponent(s.replace(/\+/g, '%20')); } catch (e) { return s; }
}
function canonicalQuery(raw) {
  if (!raw) return '';
  const parts = raw.split('&').filter(p => p.length).map(p => {
    const i = p.indexOf('=');
    const n = i < 0 ? p : p.slice(0, i);
    const v = i < 0 ? '' : p.slice(i + 1);
    return [enc(decodeLoose(n)), enc(decodeLoose(v))];
  });
  parts.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return parts.map(([n, v]) => n + '=' + v).join('&');
}
const hmac = (k, s) => crypto.createHmac('sha256', k).update(s).digest();
const sha256 = b => crypto.createHash('sha256').update(b).digest('hex');

// The front's clock: real time, or off by faults.skewSeconds (a server whose clock
// disagrees with the client's, to test the client's skew correction).
function frontNow() {
  return Date.now() + (faults.skewSeconds || 0) * 1000;
}

function s3error(res, status, code, message, extra, headers) {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>${extra || ''}<RequestId>front</RequestId></Error>`;
  res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body), Date: new Date(frontNow()).toUTCString(), ...(headers || {}) });
  res.end(body);
}

// Returns null when the request is properly signed, else [status, code, message].
function verify(req, rawPath, rawQuery, body) {
  const auth = req.headers.authorization;
  if (!auth) return [403, 'AccessDenied', 'Anonymous access is not allowed'];
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([^,]+),\s*Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return [400, 'AuthorizationHeaderMalformed', 'The authorization header is malformed'];
  const [, akid, date8, reg, service, signedHeaders, sig] = m;
  const cred = keys.get(akid);
  if (!cred) return [403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.'];
  if (cred.token) {
    if (req.headers['x-amz-security-token'] !== cred.token) return [403, 'InvalidToken', 'The provided token is malformed or otherwise invalid.'];
    if (Date.now() / 1000 >= cred.expires) return [400, 'ExpiredToken', 'The provided token has expired.'];
  }
  const amzDate = req.headers['x-amz-date'] || '';
  if (!/^\d{8}T\d{6}Z$/.test(amzDate) || amzDate.slice(0, 8) !== date8) return [403, 'AccessDenied', 'bad x-amz-date'];
  const t = Date.UTC(+amzDate.slice(0, 4), +amzDate.slice(4, 6) - 1, +amzDate.slice(6, 8), +amzDate.slice(9, 11), +amzDate.slice(11, 13), +amzDate.slice(13, 15));
  if (Math.abs(frontNow() - t) > 15 * 60 * 1000) return [403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.'];
  if (reg !== region) return [400, 'AuthorizationHeaderMalformed', `the region '${reg}' is wrong; expecting '${region}'`, { 'x-amz-bucket-region': region }];
  const names = signedHeaders.split(';');
  if (!names.includes('host')) return [403, 'AccessDenied', 'host must be signed'];
  const payload = req.headers['x-amz-content-sha256'];
  if (!payload) return [400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256'];
  if (payload !== 'UNSIGNED-PAYLOAD' && payload !== body.sha256) return [400, 'XAmzContentSHA256Mismatch', 'The provided x-amz-content-sha256 header does not match what was computed.'];
  const canonHeaders = names.map(n => {
    const v = req.headers[n];
    if (v === undefined) return null;
    return n + ':' + String(v).trim().replace(/\s+/g, ' ') + '\n';
  });
  if (canonHeaders.includes(null)) return [403, 'AccessDenied', 'a signed header is missing'];
  const creq = [req.method, rawPath, canonicalQuery(rawQuery), canonHeaders.join(''), signedHeaders, payload].join('\n');
  const scope = `${date8}/${reg}/${service}/aws4_request`;
  const sts = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(creq)].join('\n');
  let k = hmac('AWS4' + cred.secret, date8);
  k = hmac(k, reg);
  k = hmac(k, service);
  k = hmac(k, 'aws4_request');
  const want = hmac(k, sts).toString('hex');
  if (want !== sig) return [403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.'];
  return null;
}

// ---- STS stand-in ----
function sts(req, res, body) {
  const p = new URLSearchParams(body.toString());
  stats.sts++;
  if (p.get('Action') !== 'AssumeRoleWithWebIdentity') return s3error(res, 400, 'InvalidAction', 'unsupported action');
  const token = p.get('WebIdentityToken') || '';
  const want = process.env.S3_FRONT_WEB_TOKEN;
  if (!token || (want && token !== want)) return s3error(res, 403, 'InvalidIdentityToken', 'The web identity token is not valid');
  if (!p.get('RoleArn')) return s3error(res, 400, 'ValidationError', 'RoleArn is required');
  const akid = 'ASIA' + crypto.randomBytes(8).toString('hex').toUpperCase();
  const secret = crypto.randomBytes(20).toString('base64');
  const stoken = crypto.randomBytes(32).toString('base64');
  const expires = Math.floor(Date.now() / 1000) + stsDuration;
  keys.set(akid, { secret, token: stoken, expires });
  const exp = new Date(expires * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  const xml = `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>${akid}</AccessKeyId><SecretAccessKey>${secret}</SecretAccessKey><SessionToken>${stoken}</SessionToken><Expiration>${exp}</Expiration></Credentials><SubjectFromWebIdentityToken>test</SubjectFromWebIdentityToken><AssumedRoleUser><Arn>${p.get('RoleArn')}/${p.get('RoleSessionName') || 'x'}</Arn></AssumedRoleUser></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>`;
  res.writeHead(200, { 'Content-Type': 'text/xml' });
  res.end(xml);
}

// ---- multipart pieces s3rver lacks ----
function xmlEsc(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
function listUploads(res, bucket, q) {
  const prefix = q.get('prefix') || '';
  const list = [...uploads.entries()].filter(([, u]) => u.bucket === bucket && u.key.startsWith(prefix))
    .sort((a, b) => (a[1].key < b[1].key ? -1 : a[1].key > b[1].key ? 1 : 0));
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<ListMultipartUploadsResult><Bucket>${xmlEsc(bucket)}</Bucket><Prefix>${xmlEsc(prefix)}</Prefix><IsTruncated>false</IsTruncated>` +
    list.map(([id, u]) => `<Upload><Key>${xmlEsc(u.key)}</Key><UploadId>${id}</UploadId><Initiated>${u.initiated}</Initiated></Upload>`).join('') +
    '</ListMultipartUploadsResult>';
  res.writeHead(200, { 'Content-Type': 'application/xml' });
  res.end(body);
}

function opName(method, key, q) {
  if (q.has('uploads')) return method === 'POST' ? 'CreateMultipartUpload' : 'ListMultipartUploads';
  if (q.has('partNumber')) return 'UploadPart';
  if (q.has('uploadId')) return method === 'POST' ? 'CompleteMultipartUpload' : method === 'DELETE' ? 'AbortMultipartUpload' : 'ListParts';
  if (q.has('delete') && method === 'POST') return 'DeleteObjects';
  if (!key) return method === 'GET' ? 'ListObjects' : method + 'Bucket';
  return { GET: 'GetObject', PUT: 'PutObject', HEAD: 'HeadObject', DELETE: 'DeleteObject' }[method] || method;
}

function sleep(ms) {
  return new Promise(r => setTimeout(r, ms));
}

let upstreamPort = 0;

function forward(req, res, rawUrl, body, after) {
  const headers = Object.assign({}, req.headers);
  delete headers.authorization; // s3rver would only check the key id; we verified already
  delete headers['x-amz-security-token'];
  headers.host = `127.0.0.1:${upstreamPort}`; // s3rver must not see a virtual host
  headers['content-length'] = String(body.length);
  delete headers['transfer-encoding'];
  delete headers.expect;
  const up = http.request({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: rawUrl, headers }, ures => {
    const chunks = [];
    const needBody = after && after.needBody;
    if (!needBody) {
      const h = Object.assign({}, ures.headers);
      if (after && after.headers) after.headers(ures.statusCode, h);
      res.writeHead(ures.statusCode, h);
      if (after && after.cut >= 0 && ures.statusCode < 300 && faults.dropDownloadLeft > 0 &&
          Number(ures.headers['content-length'] || 0) > after.cut) {
        faults.dropDownloadLeft--;
        // Fault: send the headers and the first bytes of the body, then drop the connection.
        let sent = 0;
        ures.on('data', c => {
          if (sent < 0) return;
          if (sent + c.length >= after.cut) {
            res.write(c.slice(0, Math.max(0, after.cut - sent)));
            sent = -1;
            stats.drops++;
            setTimeout(() => res.socket && res.socket.destroy(), 20);
            ures.destroy();
            return;
          }
          sent += c.length;
          res.write(c);
        });
        ures.on('end', () => { if (sent >= 0) res.end(); });
        return;
      }
      if (faults.corruptDownloadLeft > 0 && ures.statusCode === 200 && req.method === 'GET' &&
          Number(ures.headers['content-length'] || 0) > 0) {
        // Fault: flip one bit of the first chunk of a download.
        faults.corruptDownloadLeft--;
        stats.faults++;
        let first = true;
        ures.on('data', c => {
          if (first) { c = Buffer.from(c); c[0] ^= 1; first = false; }
          res.write(c);
        });
        ures.on('end', () => res.end());
        return;
      }
      ures.pipe(res);
      return;
    }
    ures.on('data', c => chunks.push(c));
    ures.on('end', () => {
      let b = Buffer.concat(chunks);
      const h = Object.assign({}, ures.headers);
      b = after.body(ures.statusCode, b, h);
      h['content-length'] = String(b.length);
      res.writeHead(ures.statusCode, h);
      res.end(b);
    });
  });
  up.on('error', e => { if (!res.headersSent) s3error(res, 500, 'InternalError', 'upstream: ' + e.message); else res.destroy(); });
  up.end(body);
}

async function handle(req, res) {
  const rawUrl = req.url;
  const qi = rawUrl.indexOf('?');
  const rawPath = qi < 0 ? rawUrl : rawUrl.slice(0, qi);
  const rawQuery = qi < 0 ? '' : rawUrl.slice(qi + 1);
  const q = new URLSearchParams(rawQuery);

  if (rawPath.startsWith('/_front/')) {
    const body = await readBody(req, null);
    if (rawPath === '/_front/faults') { setFaults(body.length ? JSON.parse(body.toString()) : {}); res.end('{}'); return; }
    if (rawPath === '/_front/stats') { res.setHeader('Content-Type', 'application/json'); res.end(JSON.stringify(Object.assign({ uploads: uploads.size }, stats))); return; }
    if (rawPath === '/_front/reset') { setFaults({}); for (const k of Object.keys(stats)) stats[k] = typeof stats[k] === 'number' ? 0 : {}; res.end('{}'); return; }
    res.statusCode = 404; res.end(); return;
  }

  // Virtual-host style: "BUCKET.localhost[:port]" (curl resolves *.localhost to loopback).
  const hostName = String(req.headers.host || '').replace(/:\d+$/, '');
  const vbucket = hostName.endsWith('.localhost') ? hostName.slice(0, -'.localhost'.length) : null;
  let bucket, key, fwdUrl;
  if (vbucket) {
    bucket = vbucket;
    key = decodeLoose(rawPath.slice(1));
    fwdUrl = '/' + enc(bucket) + rawPath + (qi < 0 ? '' : '?' + rawQuery);
  } else {
    const segs = rawPath.split('/');
    bucket = decodeLoose(segs[1] || '');
    key = segs.length > 2 ? decodeLoose(segs.slice(2).join('/')) : '';
    fwdUrl = rawUrl;
  }
  stats.vhost = (stats.vhost || 0) + (vbucket ? 1 : 0);
  const op = req.method === 'POST' && rawPath === '/' && !vbucket ? 'STS' : opName(req.method, key, q);
  stats.requests++;
  stats.byOp[op] = (stats.byOp[op] || 0) + 1;
  if (op === 'GetObject') { stats.getKeys = stats.getKeys || {}; stats.getKeys[key] = (stats.getKeys[key] || 0) + 1; }

  // Fault: cut the connection mid-upload, after some bytes of the body arrived.
  const isUpload = op === 'PutObject' || op === 'UploadPart';
  let cutAfter = -1;
  if (isUpload && faults.dropBodyLeft > 0 && Number(req.headers['content-length'] || 0) > (faults.dropAfterBytes || 65536)) {
    faults.dropBodyLeft--;
    cutAfter = faults.dropAfterBytes || 65536;
  }
  const body = await readBody(req, cutAfter);
  if (body === null) { stats.drops++; return; }

  if (op === 'STS') return sts(req, res, body);

  if (faults.disableOps && faults.disableOps.includes(op)) {
    stats.disabled = (stats.disabled || 0) + 1;
    return s3error(res, 501, 'NotImplemented', 'A header you provided implies functionality that is not implemented');
  }

  if (faults.deny && (!faults.denyOps || faults.denyOps.includes(op)) &&
      new RegExp(faults.deny).test(key || q.get('prefix') || '') &&
      !(faults.denySkipLeft > 0 && faults.denySkipLeft--)) {
    stats.denied = (stats.denied || 0) + 1;
    const st = faults.denyStatus || 403;
    return s3error(res, st, st === 403 ? 'AccessDenied' : 'InternalError', 'Denied by the test front');
  }

  if (faults.slowMs && (!faults.slowOps || faults.slowOps.includes(op)) && Math.random() < (faults.slowRate === undefined ? 1 : faults.slowRate)) await sleep(faults.slowMs);
  if (faults.dropRate && Math.random() < faults.dropRate) { stats.drops++; req.socket.destroy(); return; }
  if (faults.errorRate && Math.random() < faults.errorRate) {
    stats.faults++;
    if (stats.faults % 2) return s3error(res, 503, 'SlowDown', 'Please reduce your request rate.');
    return s3error(res, 500, 'InternalError', 'We encountered an internal error. Please try again.');
  }
  if (op === 'UploadPart' && faults.failPart && Number(q.get('partNumber')) === faults.failPart && faults.partFailLeft !== 0) {
    if (faults.partFailLeft > 0) faults.partFailLeft--;
    stats.faults++;
    return s3error(res, faults.failPartStatus || 500, faults.failPartStatus === 403 ? 'AccessDenied' : 'InternalError', 'injected part failure');
  }

  const bad = verify(req, rawPath, rawQuery, body);
  if (bad) { stats.authFailures++; return s3error(res, bad[0], bad[1], bad[2], '', bad[3]); }

  if (req.headers['content-md5'] !== undefined) {
    const md5 = body.md5.toString('base64');
    if (md5 !== req.headers['content-md5']) return s3error(res, 400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.');
  }
  if (!buckets.includes(bucket)) return s3error(res, 404, 'NoSuchBucket', 'The specified bucket does not exist');

  const okey = bucket + '/' + key;
  switch (op) {
    case 'ListMultipartUploads':
      return listUploads(res, bucket, q);
    case 'AbortMultipartUpload': {
      const u = uploads.get(q.get('uploadId'));
      if (!u || u.bucket !== bucket || u.key !== key) return s3error(res, 404, 'NoSuchUpload', 'The specified upload does not exist.');
      uploads.delete(q.get('uploadId'));
      stats.aborts++;
      res.statusCode = 204;
      return res.end();
    }
    case 'CreateMultipartUpload':
      return forward(req, res, fwdUrl, body, {
        needBody: true,
        body: (st, b) => {
          const m = /<UploadId>([^<]+)<\/UploadId>/.exec(b.toString());
          if (st === 200 && m) uploads.set(m[1], { bucket, key, initiated: new Date().toISOString(), parts: new Map() });
          return b;
        },
      });
    case 'UploadPart': {
      const u = uploads.get(q.get('uploadId'));
      if (!u || u.key !== key) return s3error(res, 404, 'NoSuchUpload', 'The specified upload does not exist.');
      const md5 = body.md5.toString('hex');
      return forward(req, res, fwdUrl, body, { headers: st => { if (st === 200) u.parts.set(Number(q.get('partNumber')), md5); } });
    }
    case 'CompleteMultipartUpload': {
      const id = q.get('uploadId');
      const u = uploads.get(id);
      if (!u || u.key !== key) return s3error(res, 404, 'NoSuchUpload', 'The specified upload does not exist.');
      const nums = [...body.toString().matchAll(/<PartNumber>(\d+)<\/PartNumber>/g)].map(m => Number(m[1]));
      for (const n of nums) if (!u.parts.has(n)) return s3error(res, 400, 'InvalidPart', `part ${n} was not uploaded`);
      const etag = crypto.createHash('md5').update(Buffer.concat(nums.map(n => Buffer.from(u.parts.get(n), 'hex')))).digest('hex') + '-' + nums.length;
      return forward(req, res, fwdUrl, body, {
        needBody: true,
        body: (st, b) => {
          if (st !== 200) return b;
          uploads.delete(id);
          etagOverride.set(okey, `"${etag}"`);
          if (faults.dropCompleteLeft > 0) { // completed, but the answer is lost
            faults.dropCompleteLeft--;
            stats.drops++;
            req.socket.destroy();
            return Buffer.alloc(0);
          }
          return Buffer.from(b.toString().replace(/<ETag>[^<]*<\/ETag>/, `<ETag>&quot;${etag}&quot;</ETag>`));
        },
      });
    }
    case 'GetObject':
    case 'HeadObject': {
      // dropMidDownload applies to the next downloads bigger than dropAfterBytes.
      const cut = op === 'GetObject' ? faults.dropAfterBytes || 65536 : -1;
      return forward(req, res, fwdUrl, body, { cut, headers: (st, h) => { if (st < 300 && etagOverride.has(okey)) h.etag = etagOverride.get(okey); } });
    }
    case 'DeleteObjects': {
      // Like S3: Content-MD5 (or a checksum header) is required, at most 1,000 keys.
      if (req.headers['content-md5'] === undefined && !Object.keys(req.headers).some(h => h.startsWith('x-amz-checksum-')))
        return s3error(res, 400, 'InvalidRequest', 'Missing required header for this request: Content-MD5');
      const keys = [...body.toString().matchAll(/<Key>([^<]*)<\/Key>/g)].map(m => m[1]);
      if (keys.length > 1000) return s3error(res, 400, 'MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema');
      stats.deleteBatches = (stats.deleteBatches || 0) + 1;
      stats.deleteBatchMax = Math.max(stats.deleteBatchMax || 0, keys.length);
      stats.deletedKeys = (stats.deletedKeys || 0) + keys.length;
      for (const k of keys) etagOverride.delete(bucket + '/' + k.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&'));
      return forward(req, res, fwdUrl, body, null);
    }
    case 'PutObject':
      // Conditional create, which s3rver lacks: S3's If-None-Match: * and GCS's
      // x-goog-if-generation-match: 0 both mean "only if no object has this key". Puts of
      // one key are serialised here so that of two racing creates exactly one wins.
      if (req.headers['if-none-match'] === '*' || req.headers['x-goog-if-generation-match'] === '0') {
        stats.conditionalPuts = (stats.conditionalPuts || 0) + 1;
        return withKeyLock(okey, async () => {
          if (await upstreamStatus('HEAD', fwdUrl) === 200) {
            stats.preconditionFailed = (stats.preconditionFailed || 0) + 1;
            return s3error(res, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
          }
          etagOverride.delete(okey);
          await new Promise(resolve => { res.once('finish', resolve); res.once('close', resolve); forward(req, res, fwdUrl, body, null); });
        });
      }
      etagOverride.delete(okey);
      return forward(req, res, fwdUrl, body, null);
    case 'DeleteObject':
      etagOverride.delete(okey);
      return forward(req, res, fwdUrl, body, null);
    default:
      return forward(req, res, fwdUrl, body, null);
  }
}

// Runs fn after every earlier fn of the same key has finished.
const keyLocks = new Map();
function withKeyLock(k, fn) {
  const prev = keyLocks.get(k) || Promise.resolve();
  const p = prev.then(fn, fn);
  const tail = p.catch(() => {});
  keyLocks.set(k, tail);
  tail.then(() => { if (keyLocks.get(k) === tail) keyLocks.delete(k); });
  return p;
}

// The status s3rver answers a body-less request with.
function upstreamStatus(method, rawUrl) {
  return new Promise(resolve => {
    const up = http.request({ host: '127.0.0.1', port: upstreamPort, method, path: rawUrl, headers: { host: `127.0.0.1:${upstreamPort}` } }, ures => {
      ures.resume();
      ures.on('end', () => resolve(ures.statusCode));
    });
    up.on('error', () => resolve(0));
    up.end();
  });
}

// Reads the whole body; with cutAfter >= 0 destroys the connection after that many bytes
// and resolves null.
function readBody(req, cutAfter) {
  // The digests are computed as the chunks arrive, not in one blocking pass at the end.
  const md5 = crypto.createHash('md5');
  const sha = crypto.createHash('sha256');
  return new Promise(resolve => {
    const chunks = [];
    let n = 0;
    let done = false;
    req.on('data', c => {
      if (done) return;
      chunks.push(c);
      md5.update(c);
      sha.update(c);
      n += c.length;
      if (cutAfter !== null && cutAfter >= 0 && n >= cutAfter) {
        done = true;
        req.socket.destroy();
        resolve(null);
      }
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      const body = Buffer.concat(chunks);
      body.md5 = md5.digest();
      body.sha256 = sha.digest('hex');
      resolve(body);
    });
    req.on('error', () => { if (!done) { done = true; resolve(null); } });
    req.on('close', () => { if (!done) { done = true; resolve(null); } });
  });
}

async function main() {
  const child = require('child_process').fork(__filename, ['--s3rver-child'], {
    execArgv: ['--openssl-legacy-provider'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  upstreamPort = await new Promise((resolve, reject) => {
    child.once('message', m => resolve(m.port));
    child.once('exit', c => reject(new Error('s3rver exited with ' + c)));
  });
  const onRequest = (req, res) => {
    handle(req, res).catch(e => { try { s3error(res, 500, 'InternalError', String(e && e.message)); } catch (e2) { res.destroy(); } });
  };
  const tls = process.env.S3_FRONT_TLS_CERT && process.env.S3_FRONT_TLS_KEY;
  const server = tls
    ? require('https').createServer({ cert: fs.readFileSync(process.env.S3_FRONT_TLS_CERT), key: fs.readFileSync(process.env.S3_FRONT_TLS_KEY) }, onRequest)
    : http.createServer(onRequest);
  server.keepAliveTimeout = 30000;
  server.listen(0, '127.0.0.1', () => {
    const endpoint = `${tls ? 'https' : 'http'}://127.0.0.1:${server.address().port}`;
    const line = JSON.stringify({ endpoint, pid: process.pid });
    if (portFile) {
      fs.writeFileSync(portFile + '.tmp', endpoint + '\n');
      fs.renameSync(portFile + '.tmp', portFile);
    }
    process.stdout.write(line + '\n');
  });
  const stop = () => {
    server.close();
    child.once('exit', () => process.exit(0));
    child.kill('SIGTERM');
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // Never outlive the test that started us: exit when the parent goes away.
  const ppid = process.ppid;
  setInterval(() => { try { process.kill(ppid, 0); } catch (e) { stop(); } }, 1000).unref();
}

main().catch(e => { console.error('front: ' + (e && e.stack || e)); process.exit(1); });
