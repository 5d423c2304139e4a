#!/usr/bin/env bash
# runtime_secrets.t - the signing key never enters the cell (not in its
# memory, fds, environment or files), and secrets are delivered (env, or
# 0400 files on a private tmpfs) without their values reaching any event.
. "$CELLOS_TOP/tests/lib/tap.sh"
. "$CELLOS_TOP/tests/e2e/runtime_lib.sh"
need_root
tmpdir
command -v python3 >/dev/null || skip_all "needs python3"

(cd "$TMP" && "$CELLRUN" keygen k >/dev/null) || { ok 1 "keygen"; done_testing; }
# scan a process's readable memory for the 32 seed bytes of the key
cat > "$TMP/scan.py" <<'PY'
import base64, sys, re
line = open(sys.argv[1]).read().strip()
seed = base64.urlsafe_b64decode(line.split(":", 1)[1] + "==")
assert len(seed) == 32
found = []
for pid in sys.argv[2:]:
    try:
        maps = open(f"/proc/{pid}/maps").read().splitlines()
        mem = open(f"/proc/{pid}/mem", "rb", 0)
    except OSError as e:
        print(f"cannot read {pid}: {e}"); sys.exit(2)
    for m in maps:
        addr, perms = m.split()[:2]
        if "r" not in perms or "[vsyscall]" in m or "[vvar" in m:
            continue
        lo, hi = (int(x, 16) for x in addr.split("-"))
        if hi - lo > (1 << 28):     # sanitizer shadow reservations, not data
            continue
        try:
            mem.seek(lo); data = mem.read(hi - lo)
        except OSError:
            continue
        if seed in data:
            found.append(f"{pid}:{m.split()[-1] if len(m.split()) > 5 else 'anon'}")
print(" ".join(found) if found else "none")
PY

probe_plan "$TMP/s.plan" -- sleep 30
"$CELLRUN" --key "$TMP/k.key" --events "$TMP/ev.jsonl" "$TMP/s.plan" </dev/null & sup=$!
for _ in $(seq 100); do
    init=""; for c in $(pgrep -P $sup -f cellrun); do pgrep -P "$c" >/dev/null && init=$c && break; done   # (the stdio relay, a cellrun fork too, has no child)
    [ -n "$init" ] && wl=$(pgrep -P "$init" | head -1)
    [ -n "$init" ] && [ -n "$wl" ] && [ "$(readlink /proc/$wl/exe)" != "$(readlink /proc/$init/exe)" ] && break
    sleep 0.05
done
ok $([ -n "$init" ] && [ -n "$wl" ] && echo 0 || echo 1) "found the cell's init ($init) and workload ($wl)"
is "$(python3 "$TMP/scan.py" "$TMP/k.key" "$sup" | grep -c "$sup:")" 1 \
   "positive control: the supervisor itself holds the key (the scan works)"
is "$(python3 "$TMP/scan.py" "$TMP/k.key" "$init" "$wl")" none "the key's seed is nowhere in the cell's init or workload memory"
keyfd=""
for p in $init $wl; do
    for f in /proc/$p/fd/*; do
        [ "$(readlink "$f")" = "$(readlink -f "$TMP/k.key")" ] && keyfd="$keyfd $p:$f"
    done
done
is "$keyfd" "" "no descriptor of the cell refers to the key file"
cat /proc/$init/environ /proc/$wl/environ 2>/dev/null | tr '\0' '\n' | grep -q CELLOS_KEY
ok $([ $? -ne 0 ] && echo 0 || echo 1) "CELLOS_KEY is in neither environment"
kill -TERM $sup; wait $sup; RC=$?
is "$RC" 143 "the signed run ends on SIGTERM, forwarded to the workload"
"$CELLRUN" verify "$TMP/ev.jsonl" --trust "$TMP/k.trust.json" >/dev/null 2>&1
ok $? "and its events verify"

# secrets
export CELLOS_TEST_TOKEN="tok-$$-$RANDOM"
printf 'file-secret-%s' "$$" > "$TMP/secret.txt"; chmod 600 "$TMP/secret.txt"
probe_plan "$TMP/sec.plan" --uid 1000 --gid 1000 --op "2:0::/run:755:0" --op "2:0::/run/secrets:755:0" \
    --secret "cert:file:$TMP/secret.txt:file:/run/secrets/cert" --secret "token:env:CELLOS_TEST_TOKEN:env:TOKEN" -- env
crun_cell "$TMP/sec.plan"
is "$RC" 0 "a cell with secrets runs"
like "$OUT" "^TOKEN=$CELLOS_TEST_TOKEN$" "an env secret arrives in the environment"
mkplan "$TMP/sec2.plan" --uid 1000 --gid 1000 --op "2:0::/run:755:0" --op "2:0::/run/secrets:755:0" \
    --secret "cert:file:$TMP/secret.txt:file:/run/secrets/cert" -- \
    /bin/sh -c 'cat /run/secrets/cert; echo; stat -c "%a %u" /run/secrets/cert /run/secrets; stat -f -c %T /run/secrets; echo x > /run/secrets/new 2>/dev/null || echo ro'
crun_cell "$TMP/sec2.plan"
is "$OUT" "file-secret-$$
400 1000
500 1000
tmpfs
ro" "a file secret: 0400, in a private 0500 tmpfs owned by the workload, read-only to it"
! grep -q -e "$CELLOS_TEST_TOKEN" -e "file-secret-$$" "$TMP/ev.jsonl"
ok $? "no secret value appears in the events"
mkplan "$TMP/sec3.plan" --secret "cert:file:$TMP/secret.txt:file:/nodir/cert" -- /bin/true
crun_cell "$TMP/sec3.plan"
is "$RC" 125 "a file secret whose directory does not exist in the cell fails the run"
is "$ERR" "cellrun: step secrets: cert -> /nodir/cert: No such file or directory" "naming the secret and its target"
unset CELLOS_TEST_TOKEN
crun_cell "$TMP/sec.plan"
is "$RC" 125 "a secret whose source is missing refuses the run"
like "$ERR" "secrets: token: the environment variable CELLOS_TEST_TOKEN is not set" "naming the secret"
done_testing
