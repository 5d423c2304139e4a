#!/usr/bin/env bash
# events_verify.t - `cellrun verify` on good streams and on every kind of
# tampering: one changed byte, a dropped, duplicated or reordered event,
# truncation, another signing key, a stripped signature. Each must be caught
# with exit 1 and the right reason on the right line (exit 3 for a stream
# that is intact but cut off before its seal).
. "$CELLOS_TOP/tests/lib/tap.sh"
. "$CELLOS_TOP/tests/e2e/events_lib.sh"
tmpdir
cd "$TMP" || exit 1
S=$DATA/signed.jsonl U=$DATA/unsigned.jsonl T1=$DATA/test1.trust.json T2=$DATA/test2.trust.json
N=$(wc -l <"$S")

# expect RC REGEX NAME -- VERIFY-ARGS: exit status and message.
expect() {
    local want_rc=$1 re=$2 name=$3; shift 4
    run_verify "$@"
    if [ "$RC" = "$want_rc" ] && printf '%s' "$OUT" | grep -Eq -- "$re"; then ok 0 "$name"
    else ok 1 "$name"; diag "rc=$RC (want $want_rc) out: $OUT"; fi
}

# ---- good streams
expect 0 "run urn:uuid:5a5a5a5a-5a5a-4a5a-9a5a-5a5a5a5a5a5a \(lines 1-$N\): $N events, sealed, signed by 408978d5" \
    "signed golden stream verifies" -- "$S" --trust "$T1"
expect 0 "all sealed" "and with --plan naming its plan" -- "$S" --trust "$T1" --plan "$DATA/test.plan"
expect 0 "all sealed" "the signed copy of the plan has the same digest" -- "$S" --trust "$T1" --plan "$DATA/test-signed.plan"
"$GEN" plan other.plan --plan-kid 2
expect 1 "signed.jsonl:1: started event names plan sha256:[0-9a-f]{64}, not the given plan" \
    "--plan with another plan is refused" -- "$S" --trust "$T1" --plan other.plan
expect 0 "unsigned, plan sha256" "unsigned golden stream verifies with --unsigned" -- "$U" --unsigned
expect 1 "unsigned.jsonl:1: missing sig attribute" "an unsigned stream fails with --trust" -- "$U" --trust "$T1"
expect 1 "signed.jsonl:1: event is signed but --unsigned was given" "a signed stream fails with --unsigned" -- "$S" --unsigned
cat "$T1" | jq -c --slurpfile b "$T2" '. + $b[0]' > both.json
expect 0 "all sealed" "a trust file with two keys" -- "$S" --trust both.json
expect 0 "all sealed" "stream from standard input (-)" -- - --trust "$T1" < "$S"

# ---- one byte changed
sed '5s/"origin":"cell"/"origin":"celL"/' "$S" > t.jsonl
expect 1 "t.jsonl:5: bad signature" "a changed byte in data: bad signature on that line" -- t.jsonl --trust "$T1"
sed '9s/"time":"2024-05-01T12:00:00.0/"time":"2024-05-01T12:00:01.0/' "$S" > t.jsonl
expect 1 "t.jsonl:9: bad signature" "a changed time: bad signature" -- t.jsonl --trust "$T1"
sed -E '7s/"sig":"(.)/"sig":"A\1/; 7s/"sig":"A(.)(.)/"sig":"A\2/' "$S" > t.jsonl
expect 1 "t.jsonl:7: (bad signature|sig is not padded base64)" "a changed signature byte" -- t.jsonl --trust "$T1"
sed '4s/"chainprev":"./"chainprev":"f/' "$S" > t.jsonl
cmp -s t.jsonl "$S" && sed '4s/"chainprev":"./"chainprev":"e/' "$S" > t.jsonl
expect 1 "t.jsonl:4: bad signature" "a changed chainprev: bad signature" -- t.jsonl --trust "$T1"
sed '6s/^{/{ /' "$S" > t.jsonl
expect 1 "t.jsonl:6: not in canonical form \(RFC 8785\)" "an added space: not canonical" -- t.jsonl --trust "$T1"
sed '6s/}$/}}/' "$S" > t.jsonl
expect 1 "t.jsonl:6: not valid JSON" "a broken bracket: not JSON" -- t.jsonl --trust "$T1"
sed '10s/"sequence":"00000000000000000010"/"sequence":"00000000000000000011"/' "$S" > t.jsonl
expect 1 "t.jsonl:10: bad signature" "a changed sequence: bad signature" -- t.jsonl --trust "$T1"
sed '1s/"sha256:/"sha256:0/; 1s/"sha256:0./"sha256:0/' "$S" > t.jsonl
expect 1 "t.jsonl:1: bad signature" "a changed plan digest: bad signature" -- t.jsonl --trust "$T1"

# ---- dropped, duplicated, reordered events
sed '5d' "$S" > t.jsonl
expect 1 "t.jsonl:5: event missing before this one" "a dropped event is named" -- t.jsonl --trust "$T1"
sed '1d' "$S" > t.jsonl
expect 1 "t.jsonl:1: event missing before this one" "a dropped started event" -- t.jsonl --trust "$T1"
sed '7p' "$S" > t.jsonl
expect 1 "t.jsonl:8: duplicate event: the same line as line 7" "a duplicated event" -- t.jsonl --trust "$T1"
{ cat "$S"; sed -n 3p "$S"; } > t.jsonl
expect 1 "t.jsonl:$((N + 1)): duplicate event: the same line as line 3" "an event replayed at the end" -- t.jsonl --trust "$T1"
sed '5{h;d};6G' "$S" > t.jsonl
expect 1 "t.jsonl:5: events out of order: this event's predecessor is line 6" "two swapped events" -- t.jsonl --trust "$T1"
{ sed -n 1p "$S"; sed -n 3,10p "$S"; sed -n 2p "$S"; sed -n "11,\$p" "$S"; } > t.jsonl
expect 1 "t.jsonl:2: events out of order: this event's predecessor is line 10" "an event moved later" -- t.jsonl --trust "$T1"

# ---- truncation
head -n 10 "$S" > t.jsonl
expect 3 "not sealed: the stream was cut off" "events cut off: exit 3" -- t.jsonl --trust "$T1"
head -n $((N - 1)) "$S" > t.jsonl
expect 3 "NOT SEALED" "only the seal missing: exit 3" -- t.jsonl --trust "$T1"
# a crash in the middle of a write leaves part of a line: cut off, not bad
head -c -1 "$S" > t.jsonl
expect 3 "t.jsonl:$N: the last line is incomplete .*cut off by a crash" "the seal's newline missing: cut off (exit 3)" -- t.jsonl --trust "$T1"
head -c -1 "$S" > t.jsonl
expect 3 "but it ends inside a line: the stream was cut off" "and the summary says where it ends" -- t.jsonl --trust "$T1"
head -c 2000 "$S" > t.jsonl
expect 3 "t.jsonl:[0-9]+: the last line is incomplete" "a stream cut mid-line: exit 3" -- t.jsonl --trust "$T1"
head -c 20 "$S" > t.jsonl
expect 1 "t.jsonl:1: truncated: no complete event line" "only part of a first line: exit 1 (nothing to verify)" -- t.jsonl --trust "$T1"
{ cat "$S"; printf 'garbage'; } > t.jsonl
expect 1 "t.jsonl:$((N + 1)): truncated: the last line does not end with a newline and is no event" \
    "bytes after the seal that start no event: exit 1" -- t.jsonl --trust "$T1"
: > t.jsonl
expect 1 "empty stream" "an empty file" -- t.jsonl --trust "$T1"

# ---- other keys, stripped signatures
"$GEN" stream k2.jsonl --seed 2
expect 1 "k2.jsonl:1: signed by key 06895edc[0-9a-f]+, which is not in the trust file" \
    "re-signed with another key: untrusted kid" -- k2.jsonl --trust "$T1"
kid1=$(jq -r 'keys[0]' "$T1") kid2=$(jq -r 'keys[0]' "$T2")
sed "s/$kid2/$kid1/" k2.jsonl > t.jsonl
expect 1 "t.jsonl:1: bad signature" "re-signed with another key under the trusted kid: bad signature" -- t.jsonl --trust "$T1"
sed 's/,"sig":"[^"]*"//' "$S" > t.jsonl
expect 1 "t.jsonl:1: missing sig attribute" "sig stripped from every event" -- t.jsonl --trust "$T1"
sed '12s/,"sig":"[^"]*"//' "$S" > t.jsonl
expect 1 "t.jsonl:12: missing sig attribute" "sig stripped from one event" -- t.jsonl --trust "$T1"
sed 's/,"sig":"[^"]*","sigkid":"[^"]*"//' "$S" > t.jsonl
expect 1 "t.jsonl:1: started event: data.signing is true but the event is unsigned" \
    "sig and sigkid stripped, checked as unsigned" -- t.jsonl --unsigned

# ---- structure an attacker could forge in an unsigned stream (no signatures to break)
seal_hash=$(tail -n 1 "$U" | tr -d '\n' | sha256sum | cut -d' ' -f1)
sed -n 2p "$U" | jq -c -S --arg c "$seal_hash" --arg n "$((N + 1))" \
    '.chainprev=$c | .id=$n | .sequence=("0000000000000000000" + $n)[-20:]' > extra.json
cat "$U" extra.json > t.jsonl
expect 1 "t.jsonl:$((N + 1)): event after the seal at line $N" "an event after the seal" -- t.jsonl --unsigned
sed "\$s/\"events\":$N/\"events\":$((N + 1))/" "$U" > t.jsonl
expect 1 "t.jsonl:$N: sealed event: data.events is not its own sequence number" "a wrong seal count" -- t.jsonl --unsigned
sed '2s/"id":"2"/"id":"02"/' "$U" > t.jsonl
expect 1 "t.jsonl:2: id \"02\" is not the sequence number 2" "a bad id" -- t.jsonl --unsigned
sed '2s/"time":"2024-05-01T12:00:00.001234Z"/"time":"2024-05-01T12:00:00.001234+00:00"/' "$U" > t.jsonl
expect 1 "t.jsonl:2: time is not RFC 3339 UTC" "a time without Z" -- t.jsonl --unsigned
sed '2s/}$/,"zextra":"x"}/' "$U" > t.jsonl
expect 1 "t.jsonl:2: unknown attribute \"zextra\"" "an unknown attribute" -- t.jsonl --unsigned

# ---- several runs appended to one file at once
for i in 1 2 3 4; do "$GEN" stream many.jsonl --uuid-byte $((16 * i)) --steps 300 & done
wait
runs=$(grep -c '"type":"dev.cellos.events.cell.lifecycle.v1.started"' many.jsonl)
is "$runs" 4 "four concurrent runs appended to one file"
expect 0 "verified: 4 run\(s\), $((4 * (N + 300))) events, all sealed" \
    "every line intact and every run verifies on its own chain" -- many.jsonl --trust "$T1"
"$GEN" stream cut.jsonl --uuid-byte 7 --no-seal
cat "$S" cut.jsonl > t.jsonl
expect 3 "NOT SEALED" "one of two runs cut off: exit 3" -- t.jsonl --trust "$T1"

# ---- usage and files
expect 1 "usage: cellrun verify" "no arguments" --
expect 1 "exactly one of --trust" "neither --trust nor --unsigned" -- "$S"
expect 1 "trust file nope.json: does not exist" "a missing trust file" -- "$S" --trust nope.json
expect 1 "nope.jsonl: cannot open" "a missing stream" -- nope.jsonl --trust "$T1"
echo '{}' > empty.json
expect 1 "trust file empty.json: holds no keys" "an empty trust file" -- "$S" --trust empty.json
done_testing
