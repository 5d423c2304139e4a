#!/usr/bin/env bash
# Regenerate the golden vectors of the events suite (see README). Run from
# the top of the tree after `make test` has built build/t/events_gen.
set -euo pipefail
cd "$(dirname "$0")/../../.."
G=${CELLOS_BUILD:-build}/t/events_gen
D=tests/data/events
"$G" plan "$D/test.plan"
"$G" plan "$D/test-signed.plan" --sign 1
rm -f "$D/signed.jsonl" "$D/unsigned.jsonl" "$D/minimal.jsonl"
"$G" stream "$D/signed.jsonl" --plan "$D/test.plan"
"$G" stream "$D/unsigned.jsonl" --unsigned --plan "$D/test.plan"
"$G" stream "$D/minimal.jsonl" --minimal --plan "$D/test.plan"
chmod 644 "$D/signed.jsonl" "$D/unsigned.jsonl" "$D/minimal.jsonl"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for n in 1 2; do
    "$G" keys "$tmp/test$n" "$n" >/dev/null
    cp "$tmp/test$n.pub" "$tmp/test$n.trust.json" "$D/"
done
