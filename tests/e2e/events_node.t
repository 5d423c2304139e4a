#!/usr/bin/env bash
# events_node.t - independent checks: every event validated by the official
# CloudEvents SDK for JavaScript (structured JSON mode) plus the spec rules it
# skips, and canonical form, chain and Ed25519 signatures re-checked by a
# second implementation sharing no code with cellrun (Node's built-in crypto,
# tests/node/check_events.mjs).
. "$CELLOS_TOP/tests/lib/tap.sh"
. "$CELLOS_TOP/tests/e2e/events_lib.sh"
command -v node >/dev/null || skip_all "node is not installed (make deps installs nodejs)"
NODE_DIR="$CELLOS_TOP/tests/node"
[ -d "$NODE_DIR/node_modules/cloudevents" ] ||
    skip_all "the cloudevents SDK is not installed (npm ci in tests/node failed or did not run: see make test output)"
tmpdir
cd "$TMP" || exit 1
CHECK=(node "$NODE_DIR/check_events.mjs")
T1=$DATA/test1.trust.json

check() {   # check NAME ARGS... : the node checker passes
    local name=$1; shift
    out=$("${CHECK[@]}" "$@" 2>&1)
    local rc=$?
    ok $rc "$name"
    [ $rc -eq 0 ] && diag "$out" || diag "rc=$rc $out"
}
refuse() {  # refuse REGEX NAME ARGS... : the node checker fails with REGEX
    local re=$1 name=$2; shift 2
    out=$("${CHECK[@]}" "$@" 2>&1)
    local rc=$?
    if [ $rc -ne 0 ] && printf '%s' "$out" | grep -Eq -- "$re"; then ok 0 "$name"
    else ok 1 "$name"; diag "rc=$rc $out"; fi
}

check "golden signed stream: SDK-valid, canonical, chained, signed" "$DATA/signed.jsonl" --trust "$T1" --plan "$DATA/test.plan"
check "golden unsigned stream" "$DATA/unsigned.jsonl" --unsigned --plan "$DATA/test.plan"
"$GEN" stream fresh.jsonl --seed 1 --uuid-byte 200 --steps 500
check "a fresh 527-event stream" fresh.jsonl --trust "$T1"
"$GEN" stream src.jsonl --source "https://ci.example.org/jobs/42?attempt=1"
check "a stream with the plan's own source URI" src.jsonl --trust "$T1"
key_files k 3
"$GEN" stream k.jsonl --key k.key
check "a stream signed with another key, checked against its trust file" k.jsonl --trust k.trust.json

# The checker can fail: it agrees with cellrun verify on tampering.
sed '5s/"origin":"cell"/"origin":"celL"/' "$DATA/signed.jsonl" > t.jsonl
refuse "t.jsonl:5: bad signature" "node: a changed byte is a bad signature" t.jsonl --trust "$T1"
sed '5d' "$DATA/signed.jsonl" > t.jsonl
refuse "t.jsonl:5: (chainprev|sequence)" "node: a dropped event breaks the chain" t.jsonl --trust "$T1"
sed '6s/^{/{ /' "$DATA/signed.jsonl" > t.jsonl
refuse "t.jsonl:6: not in RFC 8785 canonical form" "node: a non-canonical line" t.jsonl --trust "$T1"
refuse "sigkid [0-9a-f]+ is not trusted" "node: an untrusted key" "$DATA/signed.jsonl" --trust "$DATA/test2.trust.json"
sed '2s/"time":"2024-05-01T12:00:00.001234Z"/"time":"2024-05-01T12:00:00.001234+00:00"/' "$DATA/unsigned.jsonl" > t.jsonl
refuse "t.jsonl:2: time .* is not RFC 3339 UTC with microseconds and Z" "node: a time without Z passes the SDK but not the spec rules" t.jsonl --unsigned
sed '2s/"id":"2",//' "$DATA/unsigned.jsonl" > t.jsonl
refuse "t.jsonl:2: missing required attribute id" "node: a missing id (the SDK would invent one)" t.jsonl --unsigned
sed '2s/}$/,"averyveryverylongextensionname":"x"}/' "$DATA/unsigned.jsonl" > t.jsonl
refuse "t.jsonl:2: attribute name averyveryverylongextensionname is not \[a-z0-9\]\{1,20\}" "node: an extension name over 20 characters" t.jsonl --unsigned
sed '2s/}$/,"Bad":"x"}/' "$DATA/unsigned.jsonl" > t.jsonl
refuse "t.jsonl:2: CloudEvents SDK .* rejects the event" "node: the SDK itself rejects an upper-case attribute" t.jsonl --unsigned
done_testing
