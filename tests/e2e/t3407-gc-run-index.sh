#!/usr/bin/env bash
# t3407: a run's end writes <run>/_manifests.json (what gc needs of each manifest, with the
# manifest's size and the task's folders then); gc and retention read it in place of the
# manifests while the listing shows a task unchanged, and read the manifest itself when
# it is not (a new attempt folder, another size) or when the file is damaged. `run
# --resume` removes it first and the resumed run's end writes it again. Local store (the
# checks edit the store's files); t6403 counts the requests on S3.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..20"
S="$DUCKFLOW_STORE"

cat >p.yaml <<'YAML'
name: ix
defaults:
  threads: 1
steps:
  a:
    sql: CREATE TABLE t AS SELECT 1 AS x;
    outputs: [t]
  b:
    inputs: {t: a.t}
    sql: CREATE TABLE u AS SELECT x + 1 AS y FROM t;
    outputs: [u]
YAML
expect_ok "run" "$DUCKFLOW" run -q p.yaml
R=$(cat "$out")
IX="$S/ix/runs/$R/_manifests.json"
check "the run's end wrote _manifests.json" test -s "$IX"
A=$(jget "$S/ix/runs/$R/a/00000/_manifest.json" m.attempt_dir)
check "it names a's attempt ($A), the manifest's size and a's folders" node -e '
  const fs = require("fs"), t = JSON.parse(fs.readFileSync(process.argv[1])).tasks["a/00000"];
  const size = fs.statSync(process.argv[3]).size;
  process.exit(t.manifest.attempt_dir === process.argv[2] && t.size === size &&
    JSON.stringify(t.folders) === JSON.stringify([process.argv[2]]) ? 0 : 1)' \
    "$IX" "$A" "$S/ix/runs/$R/a/00000/_manifest.json"
expect_ok "gc --dry-run" "$DUCKFLOW" gc --dry-run
expect_match "nothing to remove" "^would remove 0 attempt folders" "$out"

# Cache entries name committed files too (and so keep them): without them, what gc
# keeps is what the manifests (or the file) name.
rm -rf "$S/ix/cache"
# gc trusts the file while the listing shows a unchanged: a file that lies about a's
# winner and its files (same size, same folders) is believed, which shows it is what gc
# reads.
cp "$IX" ix.good
node -e '
  const fs = require("fs"), d = JSON.parse(fs.readFileSync(process.argv[1])), a = process.argv[2];
  const m = d.tasks["a/00000"].manifest;
  m.attempt_dir = "9-zzzz";
  for (const t of Object.values(m.tables)) for (const f of t.files) f.path = f.path.replace(a, "9-zzzz");
  fs.writeFileSync(process.argv[1], JSON.stringify(d))' "$IX" "$A"
expect_ok "gc --dry-run over a file that lies about a's winner" "$DUCKFLOW" gc --dry-run
expect_match "believes it (a's real winner would go)" "ix/runs/$R/a/00000/$A" "$out"
cp ix.good "$IX"

# A rerun of a (a new attempt folder, the manifest naming it): the file is stale for a,
# gc reads a's manifest and removes the old attempt, not the new one.
cp -rp "$S/ix/runs/$R/a/00000/$A" "$S/ix/runs/$R/a/00000/2-beef"
sed -i "s/$A/2-beef/g" "$S/ix/runs/$R/a/00000/_manifest.json"
expect_ok "gc --dry-run after a's rerun" "$DUCKFLOW" gc --dry-run
cp "$out" rerun.out
expect_match "the old attempt would go" "ix/runs/$R/a/00000/$A " rerun.out
check "the new winner stays" bash -c "! grep -q '2-beef' rerun.out"
expect_ok "gc" "$DUCKFLOW" gc
check "old attempt removed, new winner kept" test ! -e "$S/ix/runs/$R/a/00000/$A" -a -f "$S/ix/runs/$R/a/00000/2-beef/t/part-00000.parquet"
expect_ok "query still reads a" "$DUCKFLOW" query --format csv "SELECT x FROM a.t"

# A damaged file is ignored: gc reads the manifests.
printf 'not json' >"$IX"
expect_ok "gc --dry-run over a damaged file" "$DUCKFLOW" gc --dry-run
expect_match "removes nothing" "^would remove 0 attempt folders" "$out"

# --resume removes it at the start; the resumed run's end writes it anew.
expect_ok "run --resume" "$DUCKFLOW" run -q p.yaml --resume "$R"
check "the file is written again, naming a's new winner" node -e '
  const fs = require("fs"), t = JSON.parse(fs.readFileSync(process.argv[1])).tasks["a/00000"];
  process.exit(t.manifest.attempt_dir === "2-beef" ? 0 : 1)' "$IX"
# gc --keep-runs works from the same index: a second run, keep 1.
expect_ok "second run" "$DUCKFLOW" run -q p.yaml --no-cache
expect_ok "gc --keep-runs 1" "$DUCKFLOW" gc --keep-runs 1
check "the first run is gone" test ! -e "$S/ix/runs/$R"
