#!/usr/bin/env bash
# events_golden.t - golden vectors: the fixed test seed and fixed clock give
# byte-identical streams, keys, trust files and signed plans, checked in
# under tests/data/events (regenerate with tests/data/events/regenerate.sh
# only when the format changes on purpose, and say so in the commit).
. "$CELLOS_TOP/tests/lib/tap.sh"
. "$CELLOS_TOP/tests/e2e/events_lib.sh"
tmpdir
cd "$TMP" || exit 1

same() {   # same GOT WANT NAME
    if cmp -s "$1" "$2"; then ok 0 "$3"
    else ok 1 "$3"; diff <(tr ',' '\n' <"$1") <(tr ',' '\n' <"$2") | head -20 | sed 's/^/# /'; fi
}

"$GEN" stream signed.jsonl --plan "$DATA/test.plan"
same signed.jsonl "$DATA/signed.jsonl" "signed stream is byte-identical to the golden one"
"$GEN" stream unsigned.jsonl --unsigned --plan "$DATA/test.plan"
same unsigned.jsonl "$DATA/unsigned.jsonl" "unsigned stream is byte-identical to the golden one"
"$GEN" stream minimal.jsonl --minimal --plan "$DATA/test.plan"
same minimal.jsonl "$DATA/minimal.jsonl" "the worked example of docs/events.md is byte-identical"
"$GEN" stream again.jsonl --plan "$DATA/test.plan"
same again.jsonl signed.jsonl "two runs with the same seed and clock agree"
"$GEN" stream stdout.jsonl --sink stdout --plan "$DATA/test.plan" > viastdout.jsonl
same viastdout.jsonl signed.jsonl "the stdout sink writes the same bytes"
"$GEN" stream viafd.jsonl --sink fd --plan "$DATA/test.plan"
same viafd.jsonl signed.jsonl "an inherited-fd sink writes the same bytes"

"$GEN" keys k1 1 >kid1
same k1.pub "$DATA/test1.pub" "test key 1: public key file"
same k1.trust.json "$DATA/test1.trust.json" "test key 1: trust file"
is "$(cat kid1)" "$(jq -r 'keys[0]' "$DATA/test1.trust.json")" "test key 1: kid printed"
"$GEN" keys k2 2 >/dev/null
same k2.trust.json "$DATA/test2.trust.json" "test key 2: trust file"

"$GEN" plan plan.plan
same plan.plan "$DATA/test.plan" "the test plan is byte-identical"
"$GEN" plan signed.plan --sign 1
same signed.plan "$DATA/test-signed.plan" "the signed test plan is byte-identical (Ed25519 is deterministic)"

# The golden files themselves pass verification, as a third party sees them.
run_verify "$DATA/signed.jsonl" --trust "$DATA/test1.trust.json" --plan "$DATA/test.plan"
is "$RC" 0 "golden signed stream verifies"
run_verify "$DATA/unsigned.jsonl" --unsigned --plan "$DATA/test.plan"
is "$RC" 0 "golden unsigned stream verifies"
done_testing
