#!/usr/bin/env bash
# gvisor_egress.t - network egress on the gvisor backend, with the native
# test's fixture (tests/lib/egress_fixture.sh: servers in a namespace this
# test makes, names through the answerer's test-only hosts file): runsc
# --network=sandbox in the cell's namespace that netd joins to its gateway
# (docs/network.md). Real curl in gVisor cells for HTTP and HTTPS by name,
# a wildcard, a CIDR; NXDOMAIN for names not granted; domain fronting and
# the egress escape probe refused at the gateway; the network events, signed
# and verifying; the read-only resolv.conf; two gVisor cells at once; the
# Debian mirror over HTTPS (when reachable) and nothing else; rootless
# refused in one line; no residue after normal ends, a gateway failure and
# SIGKILL of cellrun.
. "$CELLOS_TOP/tests/lib/tap.sh"
. "$CELLOS_TOP/tests/e2e/runtime_lib.sh"
. "$CELLOS_TOP/tests/e2e/gvisor_lib.sh"
need_root
need_runsc
command -v nft >/dev/null || skip_all "nft (nftables) is not installed"
command -v curl >/dev/null || skip_all "curl is not installed"
command -v openssl >/dev/null || skip_all "openssl is not installed"
tmpdir
EG_OPTS=(--backend gvisor)
. "$CELLOS_TOP/tests/lib/egress_fixture.sh"

# ---- granted: a name over HTTP, with its events; the resolver file
mkcell "$TMP/http.plan" /bin/sh -c "\$0 http://svc.test:8080/hello && cat /etc/resolv.conf && { echo x >> /etc/resolv.conf && echo resolv-writable; true; }" "${CURL[*]}"
run "$TMP/http.plan"
like "$RC:$OUT" "^0:hello-from-srv" "HTTP by a granted name through the gateway (curl in a gVisor cell)"
like "$OUT" "nameserver 100\.64\.0\.1" "the cell's /etc/resolv.conf names the answerer"
unlike "$OUT" "resolv-writable" "the cell's /etc/resolv.conf is read-only"
like "$(events dns_query)" '"answer":"100\.64\.128\.[0-9]+".*"decision":"answered".*"name":"svc.test"' "dns_query event for the granted name"
like "$(events rule_counters | head -1)" '"connections":1' "rule_counters: one connection on the svc.test rule"
like "$(jq -c 'select(.type | endswith("completed")) | .data' "$TMP/ev.jsonl")" '"egressconnections":1' "completed carries the egress totals"
like "$(jq -c 'select(.type | endswith("step.v1.loopback")) | .data' "$TMP/ev.jsonl")" '"detail":2' "the loopback step says the resolver was placed (as natively)"
is "$(jq -r 'select(.type | endswith("deviation")) | .data.what' "$TMP/ev.jsonl" | grep -ci net)" 0 "no network deviation on the gvisor backend"
"$CELLRUN" verify "$TMP/ev.jsonl" --trust "$TMP/k.trust.json" --plan "$TMP/http.plan" >/dev/null 2>&1
ok $? "the stream with network events verifies"

eg_granted
eg_keepalive

mkcell "$TMP/v6.plan" "${CURL[@]}" -6 http://svc.test:8080/hello
run "$TMP/v6.plan"
is "$RC:$OUT" "0:hello-from-srv" "IPv6: a granted name's synthetic AAAA through gVisor's fd63:e11::2"
like "$(events dns_query)" '"answer":"fd63:e11:0:1::[0-9a-f]+".*"qtype":28' "dns_query event for the AAAA answer"

# ---- refused: names not granted, fronting
mkcell "$TMP/other.plan" "${CURL[@]}" http://other.test:8080/hello
run "$TMP/other.plan"
like "$RC:$ERR" "^6:.*resolve" "a name no rule grants does not resolve"
like "$(events dns_query)" '"decision":"nxdomain".*"name":"other.test"' "dns_query event: nxdomain"

mkcell "$TMP/bare.plan" "${CURL[@]}" http://wild.test:8080/hello
run "$TMP/bare.plan"
like "$RC:$ERR" "^6:.*resolve" "the bare name of a *. rule does not resolve"

mkcell "$TMP/front.plan" "${CURL[@]}" -H "Host: other.test" http://svc.test:8080/hello
run "$TMP/front.plan"
unlike "$RC:$OUT" "^0:hello-from-srv" "domain fronting (Host: other.test through svc.test) is refused"
like "$(events flow_refused)" "the connection names other.test" "flow_refused event for domain fronting"

# ---- the escape probe: every attempt must fail, and fast
eg_probe_plan "$TMP/probe.plan"
run "$TMP/probe.plan"
like "$OUT" "^CONTAINED" "egress escape probe in gVisor: every attempt contained"
unlike "$OUT" "escaped" "no attempt escaped"
[ "$RC" = 0 ] || diag "$OUT"
like "$(events flow_refused)" "\"destination\":\"$SRV\".*\"port\":8080" "flow_refused event for a granted name's address used directly"
like "$(events flow_refused)" "\"destination\":\"$HOSTSIDE\".*always denied" "the host's own address is always denied, CIDR rule or not"

mkcell "$TMP/probe0.plan" "$TMP/bin/egress_net"
run "$TMP/probe0.plan"
like "$OUT" "^CONTAINED" "default probe attempts contained under egress in gVisor"

# ---- two gVisor cells at once: each has its own gateway; neither sees the other
mkcell "$TMP/a.plan" /bin/sh -c "${CURL[*]} http://svc.test:8080/hello; sleep 1; ${CURL[*]} http://svc.test:8080/hello"
mkcell "$TMP/b.plan" "$TMP/bin/egress_net" tcp:100.64.0.2:8080 tcp:$SRV:8080
rt_cellrun --key "$TMP/k.key" --events "$TMP/eva.jsonl" --backend gvisor "$TMP/a.plan" >"$TMP/outa" 2>&1 </dev/null & a=$!
sleep 0.5
run "$TMP/b.plan"
wait $a; ra=$?
is "$ra:$(tr '\n' ' ' < "$TMP/outa")" "0:hello-from-srv hello-from-srv " "cell A works while cell B runs"
like "$OUT" "^CONTAINED" "cell B cannot reach A (same private addresses, separate namespaces) or A's grants"

# ---- a cell granted only the Debian mirror reaches nothing else (real network)
eg_mirror_only "gVisor cell granted only the mirror: the mirror works over HTTPS, another host and SNI fronting do not"

# ---- rootless: refused in one line, never run unfiltered
if setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null && rootless_setup; then
    chmod 644 "$TMP/http.plan"
    ERR=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$RL_CELLRUN" --unsigned --events /dev/null \
        --backend gvisor "$TMP/http.plan" 2>&1 </dev/null); RC=$?
    like "$RC:$ERR" "^125:cellrun: gvisor: the gvisor backend needs root" "rootless: an egress plan is refused with one line"
    is "$(echo "$ERR" | wc -l)" 1 "  ... one line"
else
    skip 2 "cannot run as nobody here"
fi

# ---- a gateway that cannot be set up (over 4096 TCP rules): 125 naming the
# step, runsc never runs
eg_many_plan
ERR=$(rt_cellrun --unsigned --events /dev/null --backend gvisor "$TMP/many.plan" 2>&1 </dev/null); RC=$?
like "$RC:$ERR" "^125:cellrun: network: nftables: the ruleset is too large" "a gateway set-up failure: 125, naming the step"

# ---- SIGKILL of cellrun: netd, the monitor, runsc and the gateway go with it
mkcell "$TMP/sleep.plan" /bin/sleep 30
"$CELLRUN" --key "$TMP/k.key" --events /dev/null --backend gvisor "$TMP/sleep.plan" </dev/null >/dev/null 2>&1 & cr=$!
echo $cr >> "$TMP/.cellrun-pids"
for i in $(seq 100); do   # until the sandbox runs (its gateway is up by then)
    pgrep -f "runsc-sandbox.*cellos-$cr-" >/dev/null && break; sleep 0.1
done
kids=$(cat /proc/$cr/task/*/children 2>/dev/null)
ok $([ "$(echo $kids | wc -w)" -ge 2 ] && echo 0 || echo 1) "cellrun has the monitor and netd as children ($kids)"
kill -9 $cr; wait $cr 2>/dev/null
sleep 0.5
is "$(eg_alive $kids)" "" "after SIGKILL of cellrun its children (the monitor, netd) are gone"
gv_wait_clean $cr
is "$(gv_residue $cr)" "" "no runsc process or cgroup left after SIGKILL"

# ---- nothing left behind
is "$(ip -o link | grep -cE '^[0-9]+: gw0[@:]')" 0 "no gateway interface in the host's namespace"
is "$(nft list tables 2>/dev/null | grep -c cellos)" 0 "no cellos nftables table in the host's namespace"
is "$(residue)" "" "no residue"
done_testing
