#!/usr/bin/env bash
# runtime_egress_udp.t - UDP egress and `any-name` on the native backend
# (docs/network.md): real UDP echo servers (IPv4 and IPv6) and a plain TCP
# echo server (no TLS, no HTTP) in a network namespace this test makes,
# names registered through the answerer's test-only hosts file
# (CELLOS_NET_HOSTS), a Python client inside the cell resolving through the
# cell's own answerer. UDP by CIDR and by name works both ways; UDP to
# another port or address, and QUIC to a name granted only for TCP, fail at
# once with ECONNREFUSED (ICMP port unreachable); a name's first answer is
# pinned (a rebinding answer opens nothing new); an any-name rule lets a
# connection without SNI/Host through while the plain rule refuses it.
# The UDP and any-name checks run again for a gVisor cell and a VM cell
# (each skipped, with the reason, where this host lacks runsc or the guest
# kernel); flows' idle timeout and bound; the escape probe's UDP attempts.
. "$CELLOS_TOP/tests/lib/tap.sh"
. "$CELLOS_TOP/tests/e2e/runtime_lib.sh"
need_root
command -v nft >/dev/null || skip_all "nft (nftables) is not installed"
command -v python3 >/dev/null || skip_all "python3 is not installed"
tmpdir

# ---- the servers' namespace: 198.19.N.2 and fd00:99:N::2, the host's side .1
N=$(( ($$ % 250) + 1 ))
SRV=198.19.$N.2
HOSTSIDE=198.19.$N.1
SRV6=fd00:99:$N::2
IFH=ceu$$
unshare -n sleep 300 & holder=$!
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    kill $holder 2>/dev/null
    ip link del "$IFH" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
sleep 0.2
in_srv() { nsenter -t $holder -n "$@"; }
ip link add "$IFH" type veth peer name eth0 netns /proc/$holder/ns/net || skip_all "cannot make a veth pair"
ip addr add $HOSTSIDE/30 dev "$IFH" && ip addr add fd00:99:$N::1/64 dev "$IFH" nodad && ip link set "$IFH" up
in_srv sh -c "ip addr add $SRV/30 dev eth0 && ip addr add $SRV6/64 dev eth0 nodad && ip link set eth0 up &&
    ip link set lo up && ip route add default via $HOSTSIDE"
mkdir -p "$TMP/bin"
cat > "$TMP/srv.py" <<'PY'
import socket, threading
def udp(fam, addr, port):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    if fam == socket.AF_INET6: s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, port))
    while True:
        d, a = s.recvfrom(65536); s.sendto(b"echo:" + d, a)
def tcp(port):
    l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(("0.0.0.0", port)); l.listen(16)
    while True:
        c, _ = l.accept()
        try:
            c.settimeout(5); d = c.recv(100); c.sendall(b"echo:" + d)
        except OSError: pass
        c.close()
for a in [(socket.AF_INET, "0.0.0.0", 5353), (socket.AF_INET6, "::", 5353), (socket.AF_INET, "0.0.0.0", 8443)]:
    threading.Thread(target=udp, args=a, daemon=True).start()
for p in (7000, 7001):
    threading.Thread(target=tcp, args=(p,), daemon=True).start()
threading.Event().wait()
PY
nsenter -t $holder -n /usr/bin/python3 "$TMP/srv.py" & pids+=($!)
# the client in the cell: one line per attempt
#   u:ADDR:PORT   UDP (connected socket): the echo or the error, with the time
#   t:NAME:PORT   TCP, send raw bytes (no TLS, no HTTP): the echo or the error
#   wait:FILE     wait (at most 5 s) until FILE exists
#   many:ADDR:PORT:N  N UDP sockets in turn, each one echo; then the first
#                 socket again (its flow was closed to make room)
#   idle:ADDR:PORT:S  one UDP socket: an echo, S seconds idle, an echo
cat > "$TMP/bin/uc.py" <<'PY'
import socket, sys, time, os, errno
def echo(s, i):
    s.send(b"m%d" % i); return s.recv(100) == b"echo:m%d" % i
for a in sys.argv[1:]:
    kind, rest = a.split(":", 1)
    if kind == "wait":
        for _ in range(100):
            if os.path.exists(rest): break
            time.sleep(0.05)
        continue
    if kind in ("many", "idle"):
        addr, port, n = rest.split(":")
        try:
            if kind == "many":
                socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(int(n))]
                good = 0
                for i, s in enumerate(socks):
                    s.settimeout(3); s.connect((addr, int(port))); good += echo(s, i)
                r = "ok=%d first-again=%s" % (good, echo(socks[0], 0))
            else:
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
                s.connect((addr, int(port))); a1 = echo(s, 1); time.sleep(float(n)); r = "%s %s" % (a1, echo(s, 2))
        except OSError as e:
            r = errno.errorcode.get(e.errno, str(e)) if e.errno else type(e).__name__
        print("%s %s %s" % (kind, rest, r), flush=True)
        continue
    host, port = rest.rsplit(":", 1)
    host = host.strip("[]")
    t0 = time.monotonic()
    try:
        ai = socket.getaddrinfo(host, int(port), 0, socket.SOCK_DGRAM if kind == "u" else socket.SOCK_STREAM)[0]
        s = socket.socket(ai[0], ai[1]); s.settimeout(3); s.connect(ai[4])
        s.send(b"ping-" + port.encode())
        r = s.recv(200).decode() or "EOF"
    except OSError as e:
        r = errno.errorcode.get(e.errno, str(e)) if e.errno else type(e).__name__
    print("%s %s %s %dms" % (kind, rest, r, (time.monotonic() - t0) * 1000), flush=True)
PY
chmod 0755 "$TMP" "$TMP/bin"; chmod 0644 "$TMP/bin/uc.py"
printf '%s udp.test svc.test raw.test a.wild.test\n' $SRV > "$TMP/hosts"
chmod 0644 "$TMP/hosts"
export CELLOS_NET_HOSTS="$TMP/hosts"
for i in $(seq 50); do
    python3 -c 'import socket,sys;s=socket.socket(2,2);s.settimeout(0.2);s.sendto(b"x",(sys.argv[1],5353));s.recv(9)' $SRV 2>/dev/null && break
    sleep 0.1
done

mkcell() {   # OUT ARGS... of uc.py
    local out=$1; shift
    local argv='"/usr/bin/python3", "/t/uc.py"' a
    for a in "$@"; do argv="$argv, \"$a\""; done
    cat > "$TMP/c.cell" <<CELL
use "std/base";
use "std/net-client";
use "std/syscalls";
use "std/syscalls-network";
cell egress_udp {
    process { argv $argv; env PATH = "/usr/bin:/bin"; cwd "/"; }
    filesystem { ro "$TMP/bin" at "/t"; }
    network egress {
        udp 198.19.$N.0/30:5353;
        udp [fd00:99:$N::]/64:5353;
        udp "udp.test":8443;
        udp "*.wild.test":5353;
        tcp "svc.test":8443;
        tcp "raw.test":7000 any-name;
        tcp "svc.test":7001;
    }
    syscalls { default kill-process; }
}
CELL
    "$CELLC" -I "$CELLOS_TOP/policies" "$TMP/c.cell" -o "$out"
}
run() {   # PLAN: sets OUT ERR RC, events in $TMP/ev.jsonl
    rm -f "$TMP/ev.jsonl"
    rt_cellrun --key "$TMP/k.key" --events "$TMP/ev.jsonl" "$1" >"$TMP/out" 2>"$TMP/err" </dev/null
    RC=$?; OUT=$(cat "$TMP/out"); ERR=$(cat "$TMP/err")
}
"$CELLRUN" keygen "$TMP/k" >/dev/null
events() { jq -c "select(.type == \"dev.cellos.events.cell.network.v1.$1\") | .data" "$TMP/ev.jsonl"; }
line() { printf '%s\n' "$OUT" | grep -F "$1 " | head -1; }
fast() { # the line's time is under 1 s
    local ms; ms=$(line "$1" | awk '{print $NF}' | tr -d ms); [ -n "$ms" ] && [ "$ms" -lt 1000 ]
}

rm -f "$TMP/bin/go"
mkcell "$TMP/u.plan" "u:$SRV:5353" "u:[$SRV6]:5353" "u:udp.test:8443" "u:a.wild.test:5353" \
    "u:$SRV:5354" "u:$HOSTSIDE:5353" "u:192.0.2.1:5353" "u:svc.test:8443" "u:svc.test:443" \
    "u:[fd00:99:$N::1]:5353" "u:[$SRV6]:5354" \
    "t:raw.test:7000" "t:svc.test:7001" "wait:/t/go" "u:udp.test:8443"
rm -f "$TMP/ev.jsonl"
(rt_cellrun --key "$TMP/k.key" --events "$TMP/ev.jsonl" "$TMP/u.plan" >"$TMP/out" 2>"$TMP/err" </dev/null
 echo $? > "$TMP/rc") &
runner=$!
# a rebinding answer while the cell runs: the host's view of udp.test moves
# to an address where nothing answers; the pinned first answer must stay
for i in $(seq 100); do grep -q "^t svc.test:7001" "$TMP/out" 2>/dev/null && break; sleep 0.05; done
printf '192.0.2.1 udp.test\n%s svc.test raw.test a.wild.test\n' $SRV > "$TMP/hosts"
: > "$TMP/bin/go"
wait $runner
printf '%s udp.test svc.test raw.test a.wild.test\n' $SRV > "$TMP/hosts"   # the first view again, for the runs below
OUT=$(cat "$TMP/out"); ERR=$(cat "$TMP/err")
is "$(cat "$TMP/rc")" 0 "the cell ran (python3 client through the gateway)"
[ -n "$ERR" ] && diag "$ERR"

like "$(line "u $SRV:5353")" "echo:ping-5353" "UDP by a CIDR rule (IPv4) works both ways"
like "$(line "u [$SRV6]:5353")" "echo:ping-5353" "UDP by a CIDR rule (IPv6) works both ways"
like "$(line "u udp.test:8443")" "echo:ping-8443" "UDP to a granted name (synthetic address -> pinned real address)"
like "$(line "u a.wild.test:5353")" "echo:ping-5353" "UDP to a name under a *. rule, resolved on first use (its first datagram held meanwhile)"
like "$(line "u $SRV:5354")" "ECONNREFUSED" "UDP to another port: ECONNREFUSED (ICMP from the gateway's filter)"
fast "u $SRV:5354"; ok $? "... at once"
like "$(line "u $HOSTSIDE:5353")" "ECONNREFUSED" "UDP to the host's own address inside a granted block: ECONNREFUSED (always denied, ICMP from the relay)"
fast "u $HOSTSIDE:5353"; ok $? "... at once"
like "$(line "u 192.0.2.1:5353")" "ECONNREFUSED" "UDP to another address: ECONNREFUSED"
like "$(line "u [fd00:99:$N::1]:5353")" "ECONNREFUSED" "IPv6: UDP to the host's own address in a granted block: ECONNREFUSED (ICMPv6 from the relay)"
fast "u [fd00:99:$N::1]:5353"; ok $? "... at once"
like "$(line "u [$SRV6]:5354")" "ECONNREFUSED" "IPv6: UDP to another port: ECONNREFUSED"
like "$(line "u svc.test:8443")" "ECONNREFUSED" "QUIC (UDP) to a name granted only for TCP on that port: ECONNREFUSED"
fast "u svc.test:8443"; ok $? "... at once"
like "$(line "u svc.test:443")" "ECONNREFUSED" "UDP to a granted name on a port no UDP rule has: ECONNREFUSED"
like "$(line "t raw.test:7000")" "echo:ping-7000" "any-name: a TCP connection without SNI or Host is let through"
like "$(line "t svc.test:7001")" "ECONNRESET|EOF" "the plain name rule refuses the same kind of connection"
is "$(printf '%s\n' "$OUT" | grep -c "^u udp.test:8443 echo:ping-8443")" 2 \
    "after a rebinding answer the name still reaches its pinned first address (a new flow, no new destination)"

like "$(events flow_refused)" '"name":"svc.test".*"protocol":"udp".*TCP only' "flow_refused event for QUIC to a TCP-only name"
like "$(events flow_refused)" "\"destination\":\"$HOSTSIDE\".*always denied.*\"protocol\":\"udp\"|\"destination\":\"$HOSTSIDE\".*\"protocol\":\"udp\".*always denied|always denied.*\"destination\":\"$HOSTSIDE\"" \
    "flow_refused event for the host's own address over UDP"
like "$(events flow_refused)" '"name":"svc.test".*"port":7001.*|"port":7001.*"name":"svc.test"' "flow_refused event for the connection without a name"
like "$(events rule_counters | head -1)" '"bytes_in":[1-9].*"connections":[1-9]' "rule_counters: the UDP CIDR rule counts flows and bytes"
like "$(events rule_counters | grep '"target":"raw.test"')" '"connections":1' "rule_counters: one connection on the any-name rule"
like "$(events rule_counters | grep '"target":"\*.wild.test"')" '"bytes_in":[1-9].*"connections":1' "rule_counters: one flow on the UDP wildcard rule"
"$CELLRUN" verify "$TMP/ev.jsonl" --trust "$TMP/k.trust.json" --plan "$TMP/u.plan" >/dev/null 2>&1
ok $? "the stream verifies"

# ---- flows: an idle one is closed (its socket's next datagram opens a new
# one), and at most 256 are open (the least recently active makes room);
# the rule's counters count both (test-only idle timeout: 300 ms)
mkcell "$TMP/f.plan" "idle:$SRV:5353:1" "many:$SRV:5353:300"
rm -f "$TMP/ev.jsonl"
CELLOS_NET_UDP_IDLE_MS=300 rt_cellrun --key "$TMP/k.key" --events "$TMP/ev.jsonl" "$TMP/f.plan" >"$TMP/out" 2>"$TMP/err" </dev/null
OUT=$(cat "$TMP/out")
is "$(line "idle $SRV:5353:1")" "idle $SRV:5353:1 True True" "a flow idle past the timeout: the next datagram opens a new flow and gets its answer"
is "$(line "many $SRV:5353:300")" "many $SRV:5353:300 ok=300 first-again=True" "300 flows (over the 256 bound): each answered; the evicted first one reopens"
like "$(events rule_counters | head -1)" '"connections":303[,}]' "rule_counters: 2 + 300 + 1 flows on the CIDR rule"

# ---- the same relay for a gVisor cell (the filter and relay sit in the
# gateway, outside runsc): UDP by CIDR and by name, refusals at once
mkcell "$TMP/g.plan" "u:$SRV:5353" "u:udp.test:8443" "u:$SRV:5354" "u:svc.test:8443" "t:raw.test:7000"
if command -v runsc >/dev/null; then
    rm -f "$TMP/ev.jsonl"
    rt_cellrun --backend gvisor --key "$TMP/k.key" --events "$TMP/ev.jsonl" "$TMP/g.plan" >"$TMP/out" 2>"$TMP/err" </dev/null
    RC=$?; OUT=$(cat "$TMP/out")
    [ "$RC" = 0 ] || diag "gvisor: rc $RC: $(cat "$TMP/err")"
    like "$(line "u $SRV:5353")$(line "u udp.test:8443")" "echo:ping-5353.*echo:ping-8443" "gvisor: UDP by CIDR and by name both ways"
    like "$(line "u $SRV:5354")$(line "u svc.test:8443")" "ECONNREFUSED.*ECONNREFUSED" "gvisor: UDP to another port and QUIC to a TCP-only name refused"
    like "$(line "t raw.test:7000")" "echo:ping-7000" "gvisor: the any-name rule"
else
    skip 3 "runsc is not installed"
fi

# ---- and for a VM cell (QEMU; the guest's virtio-net is a tap in the same
# gateway namespace), when this host has the guest kernel and its modules
VM_K=$CELLOS_TOP/build/vm
if [ -e "$VM_K/vmlinux" ] && command -v qemu-system-x86_64 >/dev/null && [ -e /dev/net/tun ] &&
    ls "$VM_K"/lib/modules/*/kernel/drivers/net/virtio_net.ko "$VM_K"/lib/modules/*/kernel/fs/9p/9p.ko >/dev/null 2>&1; then
    rm -f "$TMP/ev.jsonl"
    CELLOS_VM_KERNEL=$VM_K/vmlinux rt_cellrun --backend vm --key "$TMP/k.key" --events "$TMP/ev.jsonl" "$TMP/g.plan" \
        >"$TMP/out" 2>"$TMP/err" </dev/null
    RC=$?; OUT=$(cat "$TMP/out")
    [ "$RC" = 0 ] || diag "vm: rc $RC: $(cat "$TMP/err")"
    like "$(line "u $SRV:5353")$(line "u udp.test:8443")" "echo:ping-5353.*echo:ping-8443" "vm: UDP by CIDR and by name both ways"
    like "$(line "u $SRV:5354")$(line "u svc.test:8443")" "ECONNREFUSED.*ECONNREFUSED" "vm: UDP to another port and QUIC to a TCP-only name refused"
    like "$(line "t raw.test:7000")" "echo:ping-7000" "vm: the any-name rule"
else
    skip 3 "no guest kernel with virtio_net and 9p in build/vm, no qemu or no /dev/net/tun (make vm-kernel)"
fi

# ---- the egress escape probe under a policy with UDP rules: every UDP
# attempt no rule grants fails, and fast (tests/escape/egress_net.c)
cp "$ESCAPE_DIR/egress_net" "$TMP/bin/" && chmod 0755 "$TMP/bin/egress_net"
sed -e 's|argv "/usr/bin/python3", "/t/uc.py"[^;]*;|argv "/t/egress_net", "udp:'$SRV':5354", "udp:'$HOSTSIDE':5353", "udp:[fd00:99:'$N'::1]:5353", "udp:169.254.169.254:53", "udp:100.64.0.1:15002", "udp:100.64.0.1:5353", "udp:127.0.0.1:5353", "udp:[::1]:5353", "udp:1.1.1.1:443", "udpname:svc.test:8443", "udpname:svc.test:443", "udpname:raw.test:7000", "tcp:'$SRV':5353";|' \
    "$TMP/c.cell" > "$TMP/p.cell"
"$CELLC" -I "$CELLOS_TOP/policies" "$TMP/p.cell" -o "$TMP/p.plan"
run "$TMP/p.plan"
like "$OUT" "^CONTAINED" "egress escape probe (UDP attempts) under UDP rules: every attempt contained"
unlike "$OUT" "escaped" "no UDP attempt escaped"
[ "$RC" = 0 ] || diag "$OUT$ERR"

# ---- the compiler: any-name only on TCP host rules, errors located
cat > "$TMP/bad.cell" <<'CELL'
cell bad {
    process { argv "/bin/true"; }
    network egress {
        tcp 10.0.0.0/8:22 any-name;
        udp "x.test":53 any-name;
        tcp *:80 any-name unsafe "all";
        tcp "ok.test":22 any-name;
    }
}
CELL
ERR=$("$CELLC" check --no-default-path "$TMP/bad.cell" 2>&1); RC=$?
[ "$RC" != 0 ]; ok $? "cellc check fails on misused any-name"
like "$ERR" "bad.cell:4:27: error: any-name applies to host-name rules only" "any-name on a CIDR rule: an error at its location"
like "$ERR" "bad.cell:5:25: error: any-name applies to TCP rules only" "any-name on a UDP rule: an error at its location"
like "$ERR" "bad.cell:6:18: error: any-name applies to host-name rules only" "any-name on the any-host rule: an error"
unlike "$ERR" "bad.cell:7" "any-name on a TCP host rule is accepted"

is "$(residue)" "" "no residue"
is "$(nft list tables 2>/dev/null | grep -c cellos)" 0 "no cellos nftables table in the host's namespace"
is "$(ip rule list | grep -c 'lookup 99')" 0 "no fwmark rule in the host's namespace"
done_testing
