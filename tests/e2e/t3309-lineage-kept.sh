#!/usr/bin/env bash
# t3309: a run's lineage.jsonl that cannot be read (here: over its 64 MiB cap) is not
# rewritten with only the new events, which would drop the earlier ones without a word:
# the events of a resumed run are then not added, a warning says why, and the file keeps
# every byte it had. The run itself is not affected.
source "$DUCKFLOW_TOP/tests/e2e/lib.sh"
echo "1..6"
gen_use_pipeline lin 10
expect_ok "a run" "$DUCKFLOW" run pipeline.yaml --store s
R=$(tail -n 1 "$out")
expect_ok "a second run (published: the first may be resumed)" "$DUCKFLOW" run pipeline.yaml --store s --no-cache
L="s/lin/runs/$R/lineage.jsonl"
# Earlier events, then 65 MiB of padding lines.
node -e 'const fs = require("fs"), f = process.argv[1], pad = JSON.stringify({pad: "x".repeat(1023)}) + "\n";
         const fd = fs.openSync(f, "a"); for (let i = 0; i < 66 * 1024; i++) fs.writeSync(fd, pad); fs.closeSync(fd);' "$L"
before=$(sha256sum "$L" | cut -d' ' -f1)
rm -r "s/lin/runs/$R/use/00000"
expect_ok "resume the first run" "$DUCKFLOW" run pipeline.yaml --store s --resume "$R"
expect_match "warns that the new events are not added, and why" \
    "warning: cannot read the run's lineage events, so the new ones are not added to it: .*lineage.jsonl.* is larger than" "$errout"
check "lineage.jsonl keeps every byte it had" test "$(sha256sum "$L" | cut -d' ' -f1)" = "$before"
expect_ok "the resumed run reads" "$DUCKFLOW" query --store s --run "$R" 'SELECT * FROM use.u'
