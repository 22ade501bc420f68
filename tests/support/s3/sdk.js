#!/usr/bin/env node
// sdk.js - an independent S3 client for the tests (@aws-sdk/client-s3, pinned in
// package.json), configured from AWS_ENDPOINT_URL, AWS_REGION and the AWS_* keys, path
// style. Commands (BUCKET is $S3_TEST_BUCKET or "duckflow"):
//   ls PREFIX              "KEY SIZE" per object under PREFIX, sorted
//   get KEY FILE           downloads KEY into FILE
//   put KEY FILE           uploads FILE as KEY
//   sha256 KEY             the SHA-256 of the object
//   uploads PREFIX         the number of incomplete multipart uploads under PREFIX
//   start-upload KEY       starts a multipart upload of KEY and uploads one part, leaving
//                          it incomplete (what a task killed mid-upload leaves)
//   verify-manifests PREFIX
//                          for every _manifest.json under PREFIX: every file it lists
//                          exists, with the listed size and SHA-256; prints
//                          "manifests N files M bytes B" and exits 1 on any mismatch
//   manifest-files PREFIX  "STEP/ITEM TABLE FILE SHA256" per file the manifests list
'use strict';

const fs = require('fs');
const crypto = require('crypto');
const {
  S3Client, ListObjectsV2Command, GetObjectCommand, PutObjectCommand, ListMultipartUploadsCommand,
  CreateMultipartUploadCommand, UploadPartCommand,
} = require('@aws-sdk/client-s3');

const bucket = process.env.S3_TEST_BUCKET || 'duckflow';
const client = new S3Client({
  endpoint: process.env.AWS_ENDPOINT_URL,
  region: process.env.AWS_REGION || 'us-east-1',
  forcePathStyle: true,
  credentials: {
    accessKeyId: process.env.AWS_ACCESS_KEY_ID,
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY,
  },
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
  maxAttempts: 1,
});

async function list(prefix) {
  const out = [];
  let token;
  do {
    const r = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of r.Contents || []) out.push({ key: o.Key, size: Number(o.Size) });
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

async function getBuf(key) {
  const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await r.Body.transformToByteArray());
}

async function main() {
  const [cmd, a, b] = process.argv.slice(2);
  switch (cmd) {
    case 'ls':
      for (const o of await list(a || '')) console.log(`${o.key} ${o.size}`);
      return 0;
    case 'get':
      fs.writeFileSync(b, await getBuf(a));
      return 0;
    case 'put':
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: a, Body: fs.readFileSync(b) }));
      return 0;
    case 'put-many': { // put-many PREFIX N: N small objects PREFIX00000 ..., 32 at a time
      const n = Number(b);
      for (let i = 0; i < n; i += 32) {
        const batch = [];
        for (let j = i; j < Math.min(n, i + 32); j++)
          batch.push(client.send(new PutObjectCommand({ Bucket: bucket, Key: a + String(j).padStart(5, '0'), Body: 'x' })));
        await Promise.all(batch);
      }
      return 0;
    }
    case 'sha256':
      console.log(crypto.createHash('sha256').update(await getBuf(a)).digest('hex'));
      return 0;
    case 'uploads': {
      const r = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: a || '' }));
      console.log((r.Uploads || []).length);
      return 0;
    }
    case 'start-upload': {
      const r = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: a }));
      await client.send(new UploadPartCommand({
        Bucket: bucket, Key: a, UploadId: r.UploadId, PartNumber: 1, Body: Buffer.from('PAR1 partial'),
      }));
      return 0;
    }
    case 'verify-manifests': {
      const objs = await list(a || '');
      const sizes = new Map(objs.map(o => [o.key, o.size]));
      let manifests = 0, files = 0, bytes = 0, bad = 0;
      for (const o of objs.filter(o => o.key.endsWith('/_manifest.json'))) {
        manifests++;
        const m = JSON.parse((await getBuf(o.key)).toString());
        const dir = o.key.slice(0, -'_manifest.json'.length);
        for (const [table, t] of Object.entries(m.tables || {})) {
          for (const f of t.files || []) {
            const key = dir + f.path;
            files++;
            if (!sizes.has(key)) { console.error(`missing: ${key} (table ${table})`); bad++; continue; }
            const buf = await getBuf(key);
            bytes += buf.length;
            const sha = crypto.createHash('sha256').update(buf).digest('hex');
            if (buf.length !== Number(f.bytes) && f.bytes !== undefined) { console.error(`size: ${key} ${buf.length} != ${f.bytes}`); bad++; }
            if (f.sha256 && sha !== f.sha256) { console.error(`sha256: ${key} ${sha} != ${f.sha256}`); bad++; }
          }
        }
      }
      console.log(`manifests ${manifests} files ${files} bytes ${bytes}`);
      return bad ? 1 : 0;
    }
    case 'manifest-files': {
      // "step/item table sha256" per listed file, attempt folders left out, sorted: two
      // runs of the same pipeline compare equal when their outputs are byte-identical.
      const lines = [];
      for (const o of (await list(a || '')).filter(o => o.key.endsWith('/_manifest.json'))) {
        const m = JSON.parse((await getBuf(o.key)).toString());
        const parts = o.key.split('/');
        const where = parts.slice(-3, -1).join('/');
        for (const [table, t] of Object.entries(m.tables || {}))
          for (const f of t.files || []) lines.push(`${where} ${table} ${f.path.split('/').slice(1).join('/')} ${f.sha256}`);
      }
      lines.sort();
      for (const l of lines) console.log(l);
      return 0;
    }
    default:
      console.error('usage: sdk.js ls|get|put|sha256|uploads|verify-manifests ...');
      return 2;
  }
}

main().then(rc => process.exit(rc), e => { console.error('sdk.js: ' + (e && (e.name + ': ' + e.message))); process.exit(3); });
