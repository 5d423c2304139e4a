#!/usr/bin/env bash
# events_indep.t - docs/events.md is enough to verify a stream: an
# independent verifier written from the document alone
# (tests/python/verify_events.py: Debian's python3 + python3-nacl, none of
# our C) must give the same verdict as `cellrun verify` on real streams of
# cellrun (a run, a failing workload, a seccomp denial, a set-up failure,
# --unsigned, three runs appended to one file at once, a run cut by SIGKILL)
# and on tampered ones: bytes changed without the key (flipped, reordered,
# dropped, duplicated, cut, another key) and forgeries signed with the
# trusted key and re-chained, which only the document's other rules
# (canonical form, attributes, time, types, per-type data) catch
# (tests/python/tamper_events.py). Each verdict must also be the one the
# document names (exit 0, 1 or 3, and its quoted reason).
. "$CELLOS_TOP/tests/lib/tap.sh"
need_root
PY=/usr/bin/python3
[ -x "$PY" ] || skip_all "Debian's /usr/bin/python3 is not installed"
"$PY" -c 'import nacl.signing' 2>/dev/null || skip_all "python3-nacl is not installed (make deps installs it)"
[ -x "${CELLRUN:-}" ] && [ -x "${CELLC:-}" ] || skip_all "cellrun or cellc is not built"
command -v timeout >/dev/null || skip_all "coreutils timeout is not installed"
tmpdir
cd "$TMP" || exit 1
PYD="$CELLOS_TOP/tests/python"
IV=("$PY" "$PYD/verify_events.py")

"$CELLRUN" keygen k >/dev/null && "$CELLRUN" keygen k2 >/dev/null
ok $? "two keys"
compile() { "$CELLC" -I "$CELLOS_TOP/policies" "$1" -o "$2" 2>cerr || { cat cerr >&2; return 1; }; }
compile "$CELLOS_TOP/policies/examples/hello.cell" hello.plan
mkdir ws && chmod 777 ws
. "$CELLOS_TOP/tests/lib/denial_policy.sh"
policy() { denial_policy "$@"; }
policy '"/bin/false"' > false.cell && compile false.cell false.plan
policy "\"/bin/mkdir\", \"$TMP/ws/made\"" > deny.cell && compile deny.cell deny.plan
policy '"/bin/sleep", "10"' > sleep.cell && compile sleep.cell sleep.plan
sed 's|ro "/usr/bin/echo";|ro "/usr/bin/echo"; ro "/nonexistent/cellos-indep";|' \
    "$CELLOS_TOP/policies/examples/hello.cell" > setup.cell && compile setup.cell setup.plan
ok $? "the policies compile"

run() { # run NAME EXPECTED-STATUS cellrun-args...
    local name=$1 want=$2; shift 2
    "$CELLRUN" "$@" </dev/null >/dev/null 2>"$name.err"
    is "$?" "$want" "cellrun $name: exit $want"
}
run hello 0 --key k.key --events hello.jsonl hello.plan
run false 1 --key k.key --events false.jsonl false.plan
run deny 159 --key k.key --events deny.jsonl deny.plan
run setup 125 --key k.key --events setup.jsonl setup.plan
run unsigned 0 --unsigned --events unsigned.jsonl hello.plan
for i in 1 2 3; do "$CELLRUN" --key k.key --events inter.jsonl hello.plan </dev/null >/dev/null 2>&1 & done
wait
is "$(grep -c . inter.jsonl)" "$(($(grep -c . hello.jsonl) * 3))" "three runs appended to one file"
(timeout --foreground -s KILL 1 "$CELLRUN" --key k.key --events kill.jsonl sleep.plan </dev/null >/dev/null 2>&1) 2>/dev/null
ok "$([ -s kill.jsonl ]; echo $?)" "a run killed by SIGKILL left lines"

both() { # both WANT ARGS... : the two verifiers agree with the document
    local want=$1; shift
    "${IV[@]}" "$@" >py.out 2>&1; local py=$?
    "$CELLRUN" verify "$@" >c.out 2>&1; local c=$?
    is "$py $c" "$want $want" "python and cellrun verify: $* -> $want"
    [ "$py $c" = "$want $want" ] || diag "py: $(cat py.out)" "c: $(cat c.out)"
}
both 0 hello.jsonl --trust k.trust.json --plan hello.plan
both 0 false.jsonl --trust k.trust.json --plan false.plan
both 0 deny.jsonl --trust k.trust.json --plan deny.plan
both 0 setup.jsonl --trust k.trust.json --plan setup.plan
both 0 unsigned.jsonl --unsigned --plan hello.plan
both 0 inter.jsonl --trust k.trust.json --plan hello.plan
both 3 kill.jsonl --trust k.trust.json --plan sleep.plan
both 1 hello.jsonl --trust k.trust.json --plan deny.plan
both 1 unsigned.jsonl --trust k.trust.json
both 1 hello.jsonl --unsigned
both 1 hello.jsonl --trust k2.trust.json
grep -v "$(head -1 inter.jsonl | jq -r .source)" inter.jsonl > inter2.jsonl
both 0 inter2.jsonl --trust k.trust.json
cat hello.jsonl unsigned.jsonl > mixed.jsonl
both 1 mixed.jsonl --trust k.trust.json
both 1 mixed.jsonl --unsigned
KID=$(jq -r 'keys[0]' k.trust.json) PK=$(jq -r '.[]' k.trust.json)
printf '{"%s":"%s="}' "$KID" "$PK" > padded.trust.json
printf '{"%s":"%s"}' "${KID^^}" "$PK" > upper.trust.json
printf '{"%s":"%s","%s":"%s"}' "$KID" "$PK" "$KID" "$PK" > dup.trust.json
printf ' {\n "%s" : "%s"\n}\n' "$KID" "$PK" > ws.trust.json
cp ws.trust.json ww.trust.json && chmod 666 ww.trust.json
for t in padded upper dup ww; do both 1 hello.jsonl --trust $t.trust.json; done
both 0 hello.jsonl --trust ws.trust.json

# no line longer than a verifier reads: a started event over 1 MiB (300
# unsafe grants with 4000-byte reasons) is refused before the cell runs
r=$(printf 'x%.0s' $(seq 4000))
{ sed '/allow write, exit_group, exit;/q' "$CELLOS_TOP/policies/examples/hello.cell"
  for i in $(seq 300); do echo "allow ptrace(pid == $i) unsafe \"$r\";"; done
  echo '}' ; echo '}'; } > big.cell
compile big.cell big.plan
ok $? "a policy whose started event would be over 1 MiB compiles"
out=$("$CELLRUN" --key k.key --events big.jsonl big.plan </dev/null 2>big.err)
is "$?" 125 "cellrun refuses to run it: exit 125"
like "$(cat big.err)" '^cellrun: events: the dev\.cellos\.events\.cell\.lifecycle\.v1\.started event would be a [0-9]+-byte line, longer than the 1048576 bytes a verifier accepts' \
    "one line says the started event would be longer than a line may be"
is "$out:$(grep -c . big.jsonl)" ":0" "the workload never ran and no line was written"

# a workload chooses a DNS query's name bytes: names that are not UTF-8
# (and quotes, backslashes, control bytes) still give a stream that verifies,
# each bad byte recorded as U+FFFD (no host traffic: the rule is TEST-NET-1)
mkdir -m 755 py && cat > py/dns.py <<'PYQ'
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
for i, labels in enumerate([[b"bad\xff\xfe", b"example"], [b'q"uo\\te\x01\x7f', b"x"],
                            [b"\xc3\xa9t\xc3\xa9", b"fr"], [b"ok", b"test"]]):
    m = struct.pack(">HHHHHH", i + 1, 0x0100, 1, 0, 0, 0)
    m += b"".join(bytes([len(l)]) + l for l in labels) + b"\0" + struct.pack(">HH", 1, 1)
    s.sendto(m, ("100.64.0.1", 53))
    s.recv(512)
PYQ
cat > dns.cell <<CELL
use "std/base";
use "std/net-client";
use "std/syscalls";
use "std/syscalls-network";
cell dnsq {
    process { argv "/usr/bin/python3", "/t/dns.py"; env PATH = "/usr/bin:/bin"; cwd "/work"; }
    filesystem { workspace "/work" size 1MiB; ro "$TMP/py" at "/t"; tmpfs "/tmp" size 1MiB noexec; }
    network egress { tcp 192.0.2.0/24:80; }
    limits { memory 256MiB; pids 32; wall 30s; }
    syscalls { default kill-process; }
}
CELL
compile dns.cell dns.plan
"$CELLRUN" --key k.key --events dns.jsonl dns.plan </dev/null >/dev/null 2>dns.err
is "$?" 0 "a workload querying names that are not UTF-8 runs to its end"
is "$(jq -r 'select(.type|endswith("dns_query")) | .data.name' dns.jsonl | tr '\n' ' ')" \
   "$(printf 'bad\xef\xbf\xbd\xef\xbf\xbd.example q"uo\\te\001\177.x \xc3\xa9t\xc3\xa9.fr ok.test ')" \
   "each query is a dns_query event; a byte that is not UTF-8 is U+FFFD, the rest verbatim"
both 0 dns.jsonl --trust k.trust.json --plan dns.plan

# a message cut at a byte limit in the middle of a character (a missing
# artifact's long non-ASCII path: the reason is cut at 511 bytes) still
# makes a valid event: the run ends normally and its stream verifies
c=aa$(printf 'é%.0s' $(seq 100)) # 202 bytes
long=/work/$c/$c/$c
cat > exp.cell <<CELL
use "std/base";
cell x {
    process { argv "/bin/true"; user 65534; group 65534; cwd "/work"; }
    filesystem { workspace "/work" size 1MiB mode 0777; }
    syscalls { allow @default, @basic-io, @process, @signal, openat, newfstatat, fstat, ioctl, umask, access, statfs; }
    export { artifact "long.txt" from "$long"; }
}
CELL
compile exp.cell exp.plan
mkdir art
"$CELLRUN" --key k.key --events exp.jsonl --export-dir art exp.plan </dev/null >/dev/null 2>exp.err
is "$?" 0 "a run whose missing artifact has a 611-byte non-ASCII path ends normally"
like "$(jq -r 'select(.type|endswith("export.v2.failed")) | .data.reason' exp.jsonl)" "^/work/aaé+/aaé+/aaé+$" \
    "its export.v2.failed reason is the path cut before the character that did not fit"
both 0 exp.jsonl --trust k.trust.json --plan exp.plan --artifacts art
# an export event naming a path, signed by the trusted key: refused, not followed
"$PY" - <<'PYF'
import json, sys
sys.path.insert(0, __import__("os").environ["CELLOS_TOP"] + "/tests/python")
from tamper_events import load_key, rebuild
evs = [json.loads(l) for l in open("exp.jsonl", "rb").read().split(b"\n")[:-1]]
for e in evs:
    if e["type"].endswith("export.v2.failed"):
        e["type"] = e["type"][:-6] + "completed"
        d = e["data"]
        e["data"] = dict(cellid=d["cellid"], name="../escape", path=d["path"], size=0,
                         sha256="e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
open("dotdot.jsonl", "wb").write(b"\n".join(rebuild(evs, load_key("k.key"))) + b"\n")
PYF
: > art/escape
both 1 dotdot.jsonl --trust k.trust.json --artifacts art

# tampered and forged streams: every case of tamper_events.py, for a plain
# run and for one with a seccomp denial
for base in hello deny; do
    rm -rf "t-$base"
    "$PY" "$PYD/tamper_events.py" $base.jsonl k.key k2.key "t-$base" > "$base.list"
    ok $? "tamper_events.py made $(grep -c . "$base.list") cases from the $base stream"
    "$PY" "$PYD/compare_verdicts.py" "$CELLRUN" "$base.list" "t-$base" --trust k.trust.json > "$base.cmp"
    while read -r name want py c same; do
        case $name in '#') diag "$want $py $c $same"; continue ;; esac
        is "$py $c" "$want $want" "$base/$name: both verifiers exit $want"
        [ "$same" = - ] || is "$same" yes "$base/$name: both name the documented reason"
    done < "$base.cmp"
done
done_testing
