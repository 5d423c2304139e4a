#!/usr/bin/env bash
# runtime_egress.t - network egress on the native backend (docs/network.md):
# real servers in a network namespace this test makes (HTTP, HTTPS with a
# certificate for the granted name, a CIDR-granted port, a listener on the
# host's own side), names registered through the answerer's test-only hosts
# file (CELLOS_NET_HOSTS), real curl inside cells, the egress escape probe
# (tests/escape/egress_net.c), the signed network events, and no residue
# (interfaces, nftables, netd) after normal ends, after SIGKILL of cellrun
# and with two cells at once.
. "$CELLOS_TOP/tests/lib/tap.sh"
. "$CELLOS_TOP/tests/e2e/runtime_lib.sh"
need_root
command -v nft >/dev/null || skip_all "nft (nftables) is not installed"
command -v curl >/dev/null || skip_all "curl is not installed"
command -v openssl >/dev/null || skip_all "openssl is not installed"
tmpdir

# the servers' namespace, the hosts file, mkcell/run/events (shared with
# gvisor_egress.t)
. "$CELLOS_TOP/tests/lib/egress_fixture.sh"
mkcell "$TMP/http.plan" "${CURL[@]}" http://svc.test:8080/hello
run "$TMP/http.plan"
is "$RC:$OUT" "0:hello-from-srv" "HTTP by a granted name through the gateway (curl in the cell)"
like "$(events dns_query)" '"answer":"100\.64\.128\.[0-9]+".*"decision":"answered".*"name":"svc.test"' "dns_query event for the granted name"
like "$(events rule_counters | head -1)" '"connections":1' "rule_counters: one connection on the svc.test rule"
like "$(jq -c 'select(.type | endswith("completed")) | .data' "$TMP/ev.jsonl")" '"egressconnections":1' "completed carries the egress totals"
"$CELLRUN" verify "$TMP/ev.jsonl" --trust "$TMP/k.trust.json" --plan "$TMP/http.plan" >/dev/null 2>&1
ok $? "the stream with network events verifies"

eg_granted
eg_keepalive

mkcell "$TMP/bare.plan" "${CURL[@]}" http://wild.test:8080/hello
run "$TMP/bare.plan"
like "$RC:$ERR" "^6:.*resolve" "the bare name of a *. rule does not resolve"
like "$(events dns_query)" '"decision":"nxdomain".*"name":"wild.test"' "dns_query event: nxdomain"

# gw_run CMD PID...: run the shell command CMD in the gateway namespace of
# the netd among PIDs (entered through one of its sockets: netd itself is
# back in the host's namespace)
gw_run() { python3 "$CELLOS_TOP/tests/lib/netd_socks.py" ns "$@"; }

# ---- the escape probe: every attempt must fail, and fast
eg_probe_plan "$TMP/probe.plan" udpname:svc.test:8443 tcp:100.64.0.3:8080
run "$TMP/probe.plan"
like "$OUT" "^CONTAINED" "egress escape probe: every attempt contained"
unlike "$OUT" "escaped" "no attempt escaped"
[ "$RC" = 0 ] || diag "$OUT"
like "$(events flow_refused)" "\"destination\":\"$SRV\".*\"port\":8080" "flow_refused event for a granted name's address used directly"
like "$(events flow_refused)" "the connection names other.test" "flow_refused event for domain fronting"
like "$(events flow_refused)" "\"destination\":\"$HOSTSIDE\".*always denied" "the host's own address is always denied, CIDR rule or not"

# ---- the gateway's IPv6 link-local address (read in its namespace through a
# netd socket, handed to a waiting cell, which first lets its own link-local
# address leave duplicate address detection): its listeners are not reachable there
mkcell "$TMP/ll.plan" /bin/sh -c 'while [ ! -s $1 ]; do sleep 0.05; done; sleep 2; exec $0 $(cat $1)' \
    "$TMP/bin/egress_net" "$TMP/bin/ll.args"
rm -f "$TMP/bin/ll.args" "$TMP/ev.jsonl"
rt_cellrun --key "$TMP/k.key" --events "$TMP/ev.jsonl" "$TMP/ll.plan" >"$TMP/out" 2>&1 </dev/null & cr=$!
for i in $(seq 40); do kids=$(cat /proc/$cr/task/*/children 2>/dev/null); kids="$kids $(for k in $kids; do cat /proc/$k/task/*/children 2>/dev/null; done)"; ll=$(gw_run 'cat /proc/net/if_inet6' $kids | awk '$6 == "gw0" && $1 ~ /^fe80/ {print $1}'); [ -n "$ll" ] && break; sleep 0.1; done
ll=$(echo "$ll" | sed 's/..../&:/g; s/:$//')
printf '%s\n' "tcp:[$ll%eth0]:15001" "udp:[$ll%eth0]:15002" "udp:[$ll%eth0]:53" "tcp:[$ll%eth0]:8080" "udp:[$ll%eth0]:5353" > "$TMP/bin/ll.args.new"
mv "$TMP/bin/ll.args.new" "$TMP/bin/ll.args"
wait $cr
like "$ll:$(tr '\n' ' ' < "$TMP/out")" "^fe80:.*CONTAINED all 5" "the gateway's link-local address: its proxy, relay and answerer are not reachable"

# ---- refused-flow events are bounded: 5000 refused destinations, 4096 events
mkcell "$TMP/flood.plan" "$TMP/bin/egress_net" flood:$SRV:5000
run "$TMP/flood.plan"
like "$OUT" "^CONTAINED" "a flood of refused datagrams gets no answer"
is "$(events flow_refused | wc -l)" 4096 "flow_refused events stop at 4096 per cell"
like "$(events flow_refused | tail -1)" "the last reported" "the last one says so"

# ---- dns_query events are bounded too (the cap lowered to 20 by the
# test-only CELLOS_NET_DNS_EVENTS; 4096 by default): 60 queries, 20 events,
# the completed event counts them all (plus the probe's own first answer)
mkcell "$TMP/dnsflood.plan" "$TMP/bin/egress_net" dnsflood:100.64.0.1:60 name:svc.test:9999
CELLOS_NET_DNS_EVENTS=20 run "$TMP/dnsflood.plan"
like "$OUT" "^CONTAINED" "a flood of DNS queries for other names: no address"
is "$(events dns_query | wc -l)" 20 "dns_query events stop at the cap"
like "$(events dns_query | tail -1)" "the last reported; later queries are counted, not reported" "the last one says so"
like "$(jq -c 'select(.type | endswith("completed")) | .data' "$TMP/ev.jsonl")" '"egressdnsanswered":1,"egressdnsrefused":60' "completed counts every query, reported or not"

# ---- the same probe without arguments (what every backend's escape suite runs)
mkcell "$TMP/probe0.plan" "$TMP/bin/egress_net"
run "$TMP/probe0.plan"
like "$OUT" "^CONTAINED" "default probe attempts contained under egress"

# ---- two cells at once: each has its own gateway; neither sees the other
mkcell "$TMP/a.plan" /bin/sh -c "${CURL[*]} http://svc.test:8080/hello; sleep 1; ${CURL[*]} http://svc.test:8080/hello"
mkcell "$TMP/b.plan" "$TMP/bin/egress_net" tcp:100.64.0.2:8080 tcp:$SRV:8080
rm -f "$TMP/ev.jsonl"
rt_cellrun --key "$TMP/k.key" --events "$TMP/eva.jsonl" "$TMP/a.plan" >"$TMP/outa" 2>&1 </dev/null & a=$!
sleep 0.3
run "$TMP/b.plan"
wait $a; ra=$?
is "$ra:$(tr '\n' ' ' < "$TMP/outa")" "0:hello-from-srv hello-from-srv " "cell A works while cell B runs"
like "$OUT" "^CONTAINED" "cell B cannot reach A (same private addresses, separate namespaces) or A's grants"

# ---- SIGKILL of cellrun: netd and the gateway go with it
mkcell "$TMP/sleep.plan" /bin/sleep 30
"$CELLRUN" --key "$TMP/k.key" --events /dev/null "$TMP/sleep.plan" </dev/null >/dev/null 2>&1 & cr=$!
echo $cr >> "$TMP/.cellrun-pids"
sleep 0.5
kids=$(cat /proc/$cr/task/*/children 2>/dev/null)
# the gateway forwards nothing and takes no source route, whatever the host
# says (a new namespace copies the host's IPv4 settings; the host's default
# accept_source_route is 1): read through a netd socket's namespace
gw=$(gw_run 'for f in ipv4/ip_forward ipv6/conf/all/forwarding ipv4/conf/all/accept_source_route ipv4/conf/gw0/accept_source_route ipv4/conf/gw0/accept_redirects ipv6/conf/gw0/accept_redirects; do cat /proc/sys/net/$f; done | tr "\n" " " | sed "s/ $//"' $kids)
is "$gw" "0 0 0 0 0 0" "the gateway namespace: forwarding off (v4, v6), no source routes, no redirects"
# the proxy's listeners (and so the cell-facing connections they accept)
# use CUBIC or Reno, not the host's default when that is a pacing one
# (BBR here), which throttled downloads through the gateway
cc=$(python3 "$CELLOS_TOP/tests/lib/netd_socks.py" cc $kids)
like "$cc" '^(cubic|reno)( (cubic|reno))?$' "the proxy's listeners use CUBIC or Reno (host default: $(cat /proc/sys/net/ipv4/tcp_congestion_control))"
kill -9 $cr; wait $cr 2>/dev/null
sleep 0.5
is "$(eg_alive $kids)" "" "after SIGKILL of cellrun its children (the cell, netd) are gone"

# ---- a granted name the host cannot resolve
mkcell "$TMP/unres.plan" "${CURL[@]}" http://svc.test:8080/hello
printf '# nothing\n' > "$TMP/hosts.empty"
rm -f "$TMP/ev.jsonl"
CELLOS_NET_HOSTS="$TMP/hosts.empty" rt_cellrun --key "$TMP/k.key" --events "$TMP/ev.jsonl" "$TMP/unres.plan" >/dev/null 2>&1 </dev/null
like "$(events name_unresolved)" '"name":"svc.test"' "a granted name the host cannot resolve: the cell starts, an event says so"

# ---- a cell granted only the Debian mirror reaches nothing else (real network)
eg_mirror_only "granted only the mirror: the mirror works, another reachable host and SNI fronting through the mirror's address do not"

# ---- rootless: refused in one line, never run unfiltered
if setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null && rootless_setup; then
    chmod 644 "$TMP/http.plan"
    ERR=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$RL_CELLRUN" --unsigned --events /dev/null \
        "$TMP/http.plan" 2>&1 </dev/null); RC=$?
    like "$RC:$ERR" "^125:cellrun: network: egress is enforced only when cellrun runs as root" \
        "rootless: an egress plan is refused with one line"
else
    skip 1 "cannot run as nobody here"
fi

# ---- a gateway that cannot be set up: exit 125 naming the step (a ruleset
# over netd's limit of 4096 TCP rules); 4096 rules still load
eg_many_plan
ERR=$(rt_cellrun --unsigned --events /dev/null "$TMP/many.plan" 2>&1 </dev/null); RC=$?
like "$RC:$ERR" "^125:cellrun: network: nftables: the ruleset is too large" "a gateway set-up failure: 125, naming the step"
sed -i '/198.51.16.96\/32/d' "$TMP/many.cell"
"$CELLC" -I "$CELLOS_TOP/policies" "$TMP/many.cell" -o "$TMP/many.plan"
rt_cellrun --unsigned --events /dev/null "$TMP/many.plan" </dev/null
is "$?" 0 "4096 TCP rules: the gateway's sets hold them all"

# ---- nothing left behind
sleep 0.3
# (by name: other suites may add and remove host interfaces meanwhile)
is "$(ip -o link | grep -cE '^[0-9]+: gw0[@:]')" 0 "no gateway interface in the host's namespace"
[ "$(ip -o link | wc -l)" = "$((links_before + 1))" ] || diag "host links: $links_before before, $(ip -o link | wc -l) now (other suites may change them)"
is "$(nft list tables 2>/dev/null | grep -c cellos)" 0 "no cellos nftables table in the host's namespace"
is "$(residue)" "" "no residue"
done_testing
