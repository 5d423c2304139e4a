#!/usr/bin/env bash
# events_keys.t - `cellrun keygen`, fail-closed key loading, and plan signing
# (`cellc sign` / --sign, and the trust check `cellrun --trust` performs).
. "$CELLOS_TOP/tests/lib/tap.sh"
. "$CELLOS_TOP/tests/e2e/events_lib.sh"
need_root
tmpdir
cd "$TMP" || exit 1

# ---- keygen
kid=$("${KEYGEN[@]}" me 2>err)
is "$?" 0 "keygen succeeds"
like "$kid" '^[0-9a-f]{64}$' "keygen prints a kid"
is "$(stat -c %a me.key)" 600 "PREFIX.key is mode 0600"
like "$(cat me.key)" '^cellos-ed25519-secret-v1:[A-Za-z0-9_-]{43}$' "PREFIX.key holds the prefixed base64url seed"
like "$(cat me.pub)" '^[A-Za-z0-9_-]{43}$' "PREFIX.pub is one line of base64url"
is "$(wc -l <me.pub)" 1 "PREFIX.pub is one line"
pubkid=$(/usr/bin/python3 -c 'import base64,hashlib,sys; s=open(sys.argv[1]).read().strip(); print(hashlib.sha256(base64.urlsafe_b64decode(s+"=")).hexdigest())' me.pub)
is "$pubkid" "$kid" "kid is SHA-256 of the raw public key"
is "$(cat me.trust.json)" "{\"$kid\":\"$(cat me.pub)\"}" "PREFIX.trust.json maps the kid to the public key"
before=$(sha256sum me.key me.pub me.trust.json)
"${KEYGEN[@]}" me >out 2>&1
is "$?" 1 "keygen refuses an existing PREFIX"
like "$(cat out)" "me.key: already exists; refusing to overwrite it" "and says which file"
is "$(sha256sum me.key me.pub me.trust.json)" "$before" "nothing was overwritten"
touch only.trust.json
"${KEYGEN[@]}" only >out 2>&1
is "$?" 1 "keygen refuses when any one of the three files exists"
ok "$( [ ! -e only.key ] && [ ! -e only.pub ]; echo $?)" "and creates none of them"
"${KEYGEN[@]}" >out 2>&1
is "$?" 1 "keygen without PREFIX is a usage error"
"${KEYGEN[@]}" nodir/x >out 2>&1
like "$(cat out)" "nodir/x.key: cannot create" "keygen into a missing directory fails clearly"

# ---- a keygen key signs a stream that verifies against its trust file
"$GEN" stream mine.jsonl --key me.key
run_verify mine.jsonl --trust me.trust.json
is "$RC" 0 "a stream signed with a keygen key verifies with its trust file"
run_verify mine.jsonl --trust "$DATA/test1.trust.json"
like "$OUT" "mine.jsonl:1: signed by key $kid, which is not in the trust file" "and not with another"

# ---- fail closed on a bad key (nothing is written)
try_key() {   # try_key KEYFILE REGEX NAME
    rm -f k.jsonl
    out=$("$GEN" stream k.jsonl --key "$1" 2>&1)
    local rc=$?
    if [ $rc -ne 0 ] && printf '%s' "$out" | grep -Eq -- "$2" && [ ! -s k.jsonl ]; then ok 0 "$3"
    else ok 1 "$3"; diag "rc=$rc out=$out"; fi
}
try_key missing.key "key file missing.key: does not exist" "a missing key"
cp me.key g.key; chmod 640 g.key
try_key g.key "key file g.key: mode 0640 lets group or others access it" "a group-readable key"
cp me.key w.key; chmod 604 w.key
try_key w.key "key file w.key: mode 0604" "a world-readable key"
cp me.key o.key; chown 65534 o.key
try_key o.key "key file o.key: owned by uid 65534, not by the caller \(uid 0\)" "a key owned by another user"
mkdir d.key
try_key d.key "key file d.key: not a regular file" "a directory"
cp me.pub p.key; chmod 600 p.key
try_key p.key "key file p.key: malformed: not a secret key \(it does not start with" "a public key given as the key"
cp me.pub x.pub; chmod 644 x.pub
try_key x.pub "key file x.pub: malformed: not a secret key .*a public key \(\.pub\)\?.*cellrun keygen NAME" \
    "a readable public key is called what it is, not told to chmod 600"
{ printf 'cellos-ed25519-secret-v1:'; head -c 43 /dev/zero | tr '\0' '!'; echo; } > b.key; chmod 600 b.key
try_key b.key "key file b.key: malformed: expected 43 base64url" "bad base64url in the key"
{ cat me.key; echo extra; } > e.key; chmod 600 e.key
try_key e.key "key file e.key: malformed" "trailing data after the key"
head -c 50 me.key > t.key; chmod 600 t.key
try_key t.key "key file t.key: malformed" "a truncated key"
ln -s me.key link.key
"$GEN" stream l.jsonl --key link.key
is "$?" 0 "a symlink to a good key is followed (the target is checked)"
if command -v setpriv >/dev/null; then
    cp me.key u.key; chown 65534 u.key; chmod 000 u.key
    out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$GEN" stream /dev/null --key "$TMP/u.key" 2>&1)
    like "$out" "key file .*u.key: cannot be opened: Permission denied" "an unreadable key (mode 000, as its owner)"
else
    skip 1 "setpriv not installed"
fi

# ---- plan signing and the runtime's trust check
"$GEN" plan p.plan
"$GEN" check-plan p.plan --trust me.trust.json >out 2>&1
like "$(cat out)" "plan signature: the plan is not signed and a trust file was given" "an unsigned plan is refused under --trust"
cp p.plan unsigned.plan
out=$("${SIGN[@]}" p.plan --key me.key 2>&1)
like "$out" "p.plan: sha256:[0-9a-f]{64} signed by $kid" "cellc sign signs a plan"
is "$(( $(stat -c %s p.plan) - $(stat -c %s unsigned.plan) ))" 104 "the trailer is 104 bytes"
cmp -s <(head -c "$(stat -c %s unsigned.plan)" p.plan) unsigned.plan
ok $? "the plan bytes before the trailer are unchanged"
is "$(tail -c 104 p.plan | head -c 8)" "CELLSIG1" "the trailer starts CELLSIG1"
"$GEN" check-plan p.plan --trust me.trust.json >out 2>&1
like "$(cat out)" "signature trusted" "a plan signed by a trusted key is accepted"
"$GEN" check-plan p.plan --trust "$DATA/test1.trust.json" >out 2>&1
like "$(cat out)" "plan signature: signed by key $kid, which is not in the trust file" "an untrusted signer is refused"
cp p.plan bad.plan
printf '\x00' | dd of=bad.plan bs=1 seek=$(( $(stat -c %s bad.plan) - 1 )) conv=notrunc status=none
cmp -s bad.plan p.plan && printf '\x01' | dd of=bad.plan bs=1 seek=$(( $(stat -c %s bad.plan) - 1 )) conv=notrunc status=none
"$GEN" check-plan bad.plan --trust me.trust.json >out 2>&1
like "$(cat out)" "plan signature: bad signature by key $kid over sha256:" "a damaged signature is refused"
key_files other 2
"${SIGN[@]}" p.plan --key other.key >/dev/null
is "$(stat -c %s p.plan)" "$(( $(stat -c %s unsigned.plan) + 104 ))" "re-signing replaces the trailer"
"$GEN" check-plan p.plan --trust other.trust.json >out 2>&1
like "$(cat out)" "signature trusted" "and the new signer is the one trusted"
"$GEN" stream s.jsonl --plan p.plan
run_verify s.jsonl --trust "$DATA/test1.trust.json" --plan unsigned.plan
is "$RC" 0 "signing does not change the plan digest events name"
head -c 100 unsigned.plan > broken.plan
out=$("${SIGN[@]}" broken.plan --key me.key 2>&1)
like "$out" "refusing to sign an invalid plan" "an invalid plan is not signed"
cmp -s <(head -c 100 unsigned.plan) broken.plan
ok $? "and is left as it was"
out=$("${SIGN[@]}" unsigned.plan --key g.key 2>&1)
like "$out" "key file g.key: mode 0640" "signing fails closed on a bad key"

# ---- cellc --sign KEY while compiling
if [ -x "${CELLC:-}" ] && "$CELLC" --help 2>&1 | grep -q -- '--sign KEY'; then
    "$CELLC" "$CELLOS_TOP/policies/examples/hello.cell" -o hello.plan --sign me.key 2>err
    is "$?" 0 "cellc --sign compiles and signs"
    "$GEN" check-plan hello.plan --trust me.trust.json >out 2>&1
    like "$(cat out)" "signature trusted" "the compiled plan carries a trusted signature"
    "$CELLC" "$CELLOS_TOP/policies/examples/hello.cell" -o plain.plan 2>err
    is "$(( $(stat -c %s hello.plan) - $(stat -c %s plain.plan) ))" 104 "the same plan as without --sign, plus the trailer"
    "$CELLC" "$CELLOS_TOP/policies/examples/hello.cell" -o badkey.plan --sign g.key 2>err
    is "$?" 2 "cellc --sign with a group-readable key fails (exit 2)"
    like "$(cat err)" "key file g.key: mode 0640" "naming the key and the reason"
    ok "$( [ ! -e badkey.plan ]; echo $?)" "and writes no plan"
else
    skip 6 "cellc with --sign is not built"
fi
done_testing
