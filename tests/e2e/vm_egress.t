#!/usr/bin/env bash
# vm_egress.t - network egress on the vm backend (docs/network.md): the
# guest's virtio-net device sits on a tap in the cell's gateway namespace,
# so the same gateway as natively (nftables, the DNS answerer, the checking
# proxy) filters it. One QEMU TCG boot runs every check in the guest: HTTP
# and HTTPS by a granted name with real curl (the host's /usr over 9p), an
# ungranted name (NXDOMAIN), a granted name's real address and another port
# (refused at once), and the egress escape probe (tests/escape/egress_net.c);
# then the signed network events, and no residue (netd, gateway, tap, nft,
# QEMU) after the run and after SIGKILL of cellrun.
. "$CELLOS_TOP/tests/lib/tap.sh"
. "$CELLOS_TOP/tests/e2e/runtime_lib.sh"
. "$CELLOS_TOP/tests/e2e/vm_lib.sh"
. "$CELLOS_TOP/tests/lib/egress_srv.sh"
need_root
vm_need
vm_need_9p
ls "$VM_K"/lib/modules/*/kernel/drivers/net/virtio_net.ko >/dev/null 2>&1 ||
    skip_all "the guest kernel in build/vm has no virtio_net module (make vm-kernel fetches it)"
# the guest side is the same binary in both passes; the host paths (netd,
# the tap, the backend) are the sanitizer pass's business too, so both run
command -v nft >/dev/null || skip_all "nft (nftables) is not installed"
command -v curl >/dev/null || skip_all "curl is not installed"
command -v openssl >/dev/null || skip_all "openssl is not installed"
[ -e /dev/net/tun ] || skip_all "no /dev/net/tun on this host"
tmpdir
export CELLOS_VM_KERNEL=$VM_K/vmlinux
trap 'egress_srv_down; rm -rf "$TMP"' EXIT
egress_srv_up || skip_all "cannot set up the servers' network namespace"
cp "$ESCAPE_DIR/egress_net" "$TMP/bin/" || skip_all "the egress escape probe is not built"
links_before=$(ip -o link | grep -c .)

mkcell() {   # OUT SCRIPT
    cat > "$TMP/c.cell" <<CELL
use "std/base";
use "std/net-client";
use "std/syscalls";
use "std/syscalls-network";
cell vm_egress {
    process { argv "/bin/sh", "-c", "$2"; env PATH = "/usr/bin:/bin"; cwd "/"; }
    filesystem { ro "$TMP/bin"; }
    network egress {
        tcp "svc.test":8080;
        tcp "svc.test":8443;
        tcp 198.18.$N.0/30:9000;
    }
    syscalls { default kill-process; }
}
CELL
    "$CELLC" -I "$CELLOS_TOP/policies" "$TMP/c.cell" -o "$1"
}
"$CELLRUN" keygen "$TMP/k" >/dev/null
events() { jq -c "select(.type == \"dev.cellos.events.cell.network.v1.$1\") | .data" "$TMP/ev.jsonl"; }

# ---- one boot: every check inside the guest, one line each
C="curl -sS --max-time 5"
script="$C http://svc.test:8080/hello; echo http=\$?;"
script="$script $C --cacert $TMP/bin/cert.pem https://svc.test:8443/hello; echo https=\$?;"
script="$script $C -6 http://svc.test:8080/hello >/dev/null; echo http6=\$?;"
script="$script $C http://$SRV:9000/hello; echo cidr=\$?;"
script="$script echo resolv=\$(grep -c '^nameserver 100.64.0.1\$' /etc/resolv.conf); (echo x >> /etc/resolv.conf) 2>/dev/null; echo resolvw=\$?;"
script="$script $C http://other.test:8080/hello 2>/dev/null; echo nxdomain=\$?;"
script="$script $C http://$SRV:8080/hello 2>/dev/null; echo realip=\$?;"
script="$script $C http://svc.test:9999/hello 2>/dev/null; echo otherport=\$?;"
script="$script $TMP/bin/egress_net tcp:$SRV:8080 name:svc.test:9999 front:svc.test:8080:other.test \
udp:$SRV:9000 dns:100.64.0.1:other.test:a dns:100.64.0.1:svc.test:txt dns:$SRV:svc.test:a \
tcp:[2001:db8::1]:9000 icmp:$SRV raw packet tcp:169.254.169.254:80 tcp:100.64.0.1:22 \
tcp:$HOSTSIDE:9000 tcp:127.0.0.1:9000 tcp:10.0.2.2:80; echo probe=\$?"
mkcell "$TMP/g.plan" "$script"
rm -f "$TMP/ev.jsonl"
t0=$(date +%s%N)
OUT=$(rt_cellrun --backend vm --key "$TMP/k.key" --events "$TMP/ev.jsonl" "$TMP/g.plan" 2>"$TMP/err" </dev/null)
RC=$?; ERR=$(cat "$TMP/err")
diag "one VM boot with every check: $(( ($(date +%s%N) - t0) / 1000000 )) ms"
is "$RC" 0 "the egress plan runs in a VM (${ERR:0:300})"
line() { printf '%s\n' "$OUT" | grep -m1 "^$1=" | cut -d= -f2; }
is "$(printf '%s\n' "$OUT" | head -2 | tr '\n' ' ')" "hello-from-srv http=0 " "HTTP by a granted name from the guest (curl)"
is "$(line https)" 0 "HTTPS by a granted name (SNI checked, TLS end to end)"
is "$(line http6)" 0 "the same over IPv6 (the guest's fd63:e11::2 via the gateway, AAAA from the answerer)"
is "$(line cidr)" 0 "an address granted by a CIDR rule"
is "$(line resolv)" 1 "the cell's /etc/resolv.conf names the answerer"
ok $([ "$(line resolvw)" != 0 ] && echo 0 || echo 1) "  and it is read-only"
unlike "$(events flow_refused)" '"destination":"(ff|fe80)' "no flow_refused noise from the guest kernel's own IPv6 traffic"
is "$(line nxdomain)" 6 "an ungranted name does not resolve (curl: 6)"
is "$(line realip)" 7 "a granted name's real address is refused at once (curl: 7, not a timeout)"
is "$(line otherport)" 7 "a granted name on another port is refused at once"
like "$OUT" "CONTAINED" "the egress escape probe: every attempt contained"
unlike "$OUT" "escaped" "no attempt escaped"
is "$(line probe)" 0 "  and it exited 0"
[ "$RC" = 0 ] && [ "$(line probe)" = 0 ] || diag "$OUT"
like "$(ev_data lifecycle.v1.started | jq -r .backendinfo.vm_network)" "tap" "started names the guest's network"
like "$(events dns_query)" '"answer":"100\.64\.128\.[0-9]+".*"decision":"answered".*"name":"svc.test"' "dns_query event for the granted name"
like "$(events dns_query)" '"decision":"nxdomain".*"name":"other.test"' "dns_query event: nxdomain"
like "$(events flow_refused)" "\"destination\":\"$SRV\".*\"port\":8080" "flow_refused for a granted name's address used directly"
like "$(events flow_refused)" "the connection names other.test" "flow_refused for domain fronting"
like "$(events rule_counters | head -1)" '"connections":[1-9]' "rule_counters: connections on the svc.test rule"
like "$(jq -c 'select(.type | endswith("completed")) | .data' "$TMP/ev.jsonl")" '"egressconnections":[1-9]' "completed carries the egress totals"
"$CELLRUN" verify "$TMP/ev.jsonl" --trust "$TMP/k.trust.json" --plan "$TMP/g.plan" >/dev/null 2>&1
ok $? "the stream with network events verifies"

# ---- SIGKILL of cellrun while the guest runs: netd, the gateway, the tap
# and QEMU go with it
mkcell "$TMP/s.plan" "sleep 60"
rm -f "$TMP/ev.jsonl"
"$CELLRUN" --backend vm --unsigned --events "$TMP/ev.jsonl" "$TMP/s.plan" </dev/null >/dev/null 2>&1 & cr=$!
echo $cr >> "$TMP/.cellrun-pids"
for _ in $(seq 600); do
    jq -e 'select(.type | endswith("step.v1.exec"))' "$TMP/ev.jsonl" >/dev/null 2>&1 && break
    kill -0 $cr 2>/dev/null || break
    sleep 0.1
done
kids=$(cat /proc/$cr/task/*/children 2>/dev/null)
ok $([ -n "$kids" ] && echo 0 || echo 1) "the guest's workload started (cellrun's children: $(echo $kids))"
# QEMU's network: the gateway's tap (gw0) and nothing else, from an empty
# namespace of its own (not the host's)
q=$(vm_qemus_of $cr | head -1)
tapfd=$(grep -l '^iff:[[:space:]]*gw0' /proc/$q/fdinfo/* 2>/dev/null | wc -l)
is "$tapfd" 1 "QEMU holds the gateway's tap gw0"
is "$(nsenter -t "$q" -n ip -o link 2>/dev/null | awk -F': ' '{print $2}' | tr '\n' ' ')" "lo " \
    "QEMU's own sockets live in an empty network namespace"
[ "$(readlink /proc/$q/ns/net)" != "$(readlink /proc/self/ns/net)" ]; ok $? "  not the host's"
kill -9 $cr; wait $cr 2>/dev/null
sleep 0.5
left=""
for k in $kids; do
    st=$(awk '{print $3}' /proc/$k/stat 2>/dev/null); [ -n "$st" ] && [ "$st" != Z ] && left="$left $k:$st"
done
is "$left" "" "after SIGKILL of cellrun its children (the VM monitor, netd) are gone"
is "$(vm_orphans)" "" "no QEMU outlives its cellrun"

# ---- rootless: refused in one line, never run unfiltered
if setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null && rootless_setup; then
    chmod 644 "$TMP/g.plan"
    ERR=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$RL_CELLRUN" --backend vm --unsigned --events /dev/null \
        "$TMP/g.plan" 2>&1 </dev/null); RC=$?
    like "$RC:$ERR" "^125:cellrun: network: egress is enforced only when cellrun runs as root" \
        "rootless: an egress plan is refused with one line"
else
    skip 1 "cannot run as nobody here"
fi
# ---- Firecracker cannot take the gateway's tap: refused in one line (the
# message itself: tests/unit/vm_config.c)
if command -v firecracker >/dev/null; then
    ERR=$(CELLOS_VM_MODE=firecracker "$CELLRUN" --backend vm --unsigned --events /dev/null "$TMP/g.plan" 2>&1 </dev/null); RC=$?
    like "$RC:$ERR" "^125:cellrun: .*(Firecracker .*egress|KVM)" "Firecracker: an egress plan is refused ($ERR)"
else
    skip 1 "no firecracker binary here"
fi

# ---- nothing left behind
is "$(ip -o link | grep -cE '^[0-9]+: (gw0|tap)[0-9]*[@:]')" 0 "no gateway or tap interface in the host's namespace"
[ "$(ip -o link | grep -c .)" = "$links_before" ] || diag "host links: $links_before before, $(ip -o link | grep -c .) now (other suites may change them)"
is "$(nft list tables 2>/dev/null | grep -c cellos)" 0 "no cellos nftables table in the host's namespace"
is "$(residue)" "" "no residue (processes, cgroups, temp files)"
is "$(vm_orphans)" "" "no QEMU of this test's runs"
done_testing
