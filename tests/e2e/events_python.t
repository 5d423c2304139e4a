#!/usr/bin/env bash
# events_python.t - a third implementation: Debian's python3 with python3-nacl
# (libsodium's bindings, but none of our C) checks chain, sequence, seal and
# every Ed25519 signature, following docs/events.md's worked example.
. "$CELLOS_TOP/tests/lib/tap.sh"
. "$CELLOS_TOP/tests/e2e/events_lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || skip_all "Debian's /usr/bin/python3 is not installed"
"$PY" -c 'import nacl.signing' 2>/dev/null || skip_all "python3-nacl is not installed (make deps installs it)"
tmpdir
cd "$TMP" || exit 1

cat > check.py <<'PY'
import base64, hashlib, json, sys
import nacl.exceptions, nacl.signing
events, trust = sys.argv[1], json.load(open(sys.argv[2]))
keys = {kid: nacl.signing.VerifyKey(base64.urlsafe_b64decode(pk + "=")) for kid, pk in trust.items()}
raw = open(events, "rb").read()
assert raw.endswith(b"\n"), "no final newline"
prev, n = "0" * 64, 0
for n, line in enumerate(raw.split(b"\n")[:-1], 1):
    ev = json.loads(line)
    canon = json.dumps(ev, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert canon == line, f"line {n}: not canonical"
    assert ev["chainprev"] == prev, f"line {n}: chainprev"
    assert ev["sequence"] == "%020d" % n and ev["id"] == str(n), f"line {n}: sequence"
    sig = base64.b64decode(ev.pop("sig"), validate=True)
    body = json.dumps(ev, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    pae = b"DSSEv1 36 application/vnd.cellos.event.v1+json %d " % len(body) + body
    try:
        keys[ev["sigkid"]].verify(pae, sig)
    except (KeyError, nacl.exceptions.BadSignatureError):
        sys.exit(f"line {n}: bad or untrusted signature")
    prev = hashlib.sha256(line).hexdigest()
assert ev["type"].endswith(".sealed") and ev["data"]["events"] == n, "not sealed"
print(f"{events}: {n} events: chain, sequence, seal and Ed25519 signatures ok")
PY

out=$("$PY" check.py "$DATA/signed.jsonl" "$DATA/test1.trust.json" 2>&1)
ok $? "python3-nacl: golden signed stream"; diag "$out"
out=$("$PY" check.py "$DATA/minimal.jsonl" "$DATA/test1.trust.json" 2>&1)
ok $? "python3-nacl: the worked example of docs/events.md"
"$GEN" stream long.jsonl --uuid-byte 99 --steps 300
out=$("$PY" check.py long.jsonl "$DATA/test1.trust.json" 2>&1)
ok $? "python3-nacl: a fresh 327-event stream"
sed '8s/"result":"ok"/"result":"OK"/' "$DATA/signed.jsonl" > t.jsonl
out=$("$PY" check.py t.jsonl "$DATA/test1.trust.json" 2>&1)
like "$out" "line 8: bad or untrusted signature" "python3-nacl: a changed byte is caught"
sed '4d' "$DATA/signed.jsonl" > t.jsonl
out=$("$PY" check.py t.jsonl "$DATA/test1.trust.json" 2>&1)
like "$out" "line 4: chainprev" "python3-nacl: a dropped event is caught"
out=$("$PY" check.py "$DATA/signed.jsonl" "$DATA/test2.trust.json" 2>&1)
like "$out" "line 1: bad or untrusted signature" "python3-nacl: another key is not trusted"
done_testing
