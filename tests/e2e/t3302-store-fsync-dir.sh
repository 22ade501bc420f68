#!/usr/bin/env bash
# t3302: a local store makes each commit durable: after the rename that commits a
# manifest, run.json or a cache entry, the folder that holds it is opened and fsync'd (seen with strace),
# as docs/store.md says.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..5"
command -v strace >/dev/null || skip_all 5 "strace is not installed"
cat >p.yaml <<'YAML'
name: durable
defaults:
  memory_limit: 200MB
  threads: 1
steps:
  make:
    sql: CREATE TABLE t AS SELECT 1 AS i;
    outputs: [t]
YAML
# LeakSanitizer cannot run under ptrace: the leak check is off for this one run (ASan builds).
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
    expect_ok "a run under strace" strace -f -qq -o trace -e trace=rename,renameat,renameat2,openat,fsync "$DUCKFLOW" run p.yaml
# For each rename onto NAME: the same process then opens NAME's folder and fsyncs that fd.
cat >synced.js <<'JS'
const lines = require('fs').readFileSync('trace', 'utf8').split('\n');
const want = process.argv[2], pending = {}, dirfd = {};
let renamed = 0, synced = 0;
const unfinished = {};
for (const l of lines) {
  const m = /^(\d+)\s+(.*)$/.exec(l); if (!m) continue;
  let [, pid, call] = m;
  // A call another thread interrupted comes in two lines: join them.
  if (call.endsWith(' <unfinished ...>')) { unfinished[pid] = call.slice(0, -' <unfinished ...>'.length); continue; }
  const res = /^<\.\.\. \w+ resumed>(.*)$/.exec(call);
  if (res) { call = (unfinished[pid] || '') + res[1]; delete unfinished[pid]; }
  let r;
  if ((r = /^rename(?:at2?)?\(.*"([^"]*)"(?:, \w+)?\)\s+= 0/.exec(call)) &&
      (want.startsWith('re:') ? new RegExp(want.slice(3)).test(r[1]) : r[1].endsWith('/' + want))) {
    renamed++; pending[pid] = r[1].slice(0, r[1].lastIndexOf('/'));
  } else if ((r = /^openat\(AT_FDCWD, "([^"]*)", O_RDONLY[^)]*O_DIRECTORY[^)]*\)\s+= (\d+)/.exec(call)) && pending[pid] === r[1]) {
    dirfd[pid] = r[2];
  } else if ((r = /^fsync\((\d+)\)\s+= 0/.exec(call)) && dirfd[pid] === r[1]) {
    synced++; delete pending[pid]; delete dirfd[pid];
  }
}
console.log(`${want}: ${renamed} renamed, ${synced} folder-synced`);
process.exit(renamed > 0 && renamed === synced ? 0 : 1);
JS
check "every manifest rename is followed by an fsync of its folder" node synced.js _manifest.json
check "every run.json rename is followed by an fsync of its folder" node synced.js run.json
check "every cache entry rename is followed by an fsync of its folder" node synced.js 're:/cache/[0-9a-f]{64}\.json$'
check "the run's output is there" test -n "$(find .duckflow -name _manifest.json)"
