# egress_fixture.sh - the egress tests' servers and cells (runtime_egress.t,
# gvisor_egress.t; docs/network.md). Source after tap.sh, runtime_lib.sh and
# tmpdir (needs root, nft, curl, openssl, python3). Sets up:
#   the servers of egress_srv.sh ($SRV, $HOSTSIDE, the answerer's test-only
#   hosts file), the egress escape probe in $TMP/bin, a signing key
#   $TMP/k.key.
# Provides:
#   eg_cleanup              the servers and $TMP (the EXIT trap calls it)
#   mkcell OUT ARGV...      an egress policy (two names, a wildcard, a CIDR
#                           covering the host's side) compiled to OUT
#   run PLAN                cellrun with the key and ${EG_OPTS[@]}: RC OUT ERR,
#                           events in $TMP/ev.jsonl
#   events TYPE             the data of the network.v1.TYPE events
#   CURL                    curl in a cell (fails within 5 s)
#   links_before            the host's interface count before the fixture
#   eg_granted              HTTPS by a granted name, a name under a *. rule
#                           and an address granted by a CIDR rule reach the
#                           servers (3 checks)
#   eg_keepalive            plain HTTP keep-alive: two requests for the
#                           granted name on one connection work; a second
#                           (or pipelined) request naming another host is
#                           refused with a flow_refused event; uploads
#                           (Content-Length, chunked) pass; request
#                           smuggling against a lenient server (port
#                           8081) gets nothing for another host;
#                           Expect: 100-continue works (8 checks)
#   eg_probe_plan OUT [TARGET...]  the egress escape probe with every
#                           standard attempt (and the TARGETs) compiled to OUT
#   eg_alive PID...         those of the PIDs still alive (not zombies)
#   eg_mirror_only DESC     a cell granted only the Debian mirror (real
#                           network) reaches nothing else; skips unreachable
#   eg_many_plan            $TMP/many.plan from $TMP/many.cell: 4097 TCP
#                           rules, one over netd's limit
. "$CELLOS_TOP/tests/lib/egress_srv.sh"
links_before=$(ip -o link | wc -l)
EG_OPTS=("${EG_OPTS[@]}")
eg_cleanup() {
    egress_srv_down
    rm -rf "$TMP"
}
trap eg_cleanup EXIT
egress_srv_up || skip_all "cannot set up the egress test servers (veth pair, namespace, openssl)"
cp "$ESCAPE_DIR/egress_net" "$TMP/bin/"

# ---- the policy: names, a wildcard, a CIDR (which also covers the host side)
mkcell() {   # OUT ARGV... (each a quoted string)
    local out=$1; shift
    local argv="" a
    for a in "$@"; do argv="$argv${argv:+, }\"$a\""; done
    cat > "$TMP/c.cell" <<CELL
use "std/base";
use "std/net-client";
use "std/syscalls";
use "std/syscalls-network";
cell egress_test {
    process { argv $argv; env PATH = "/usr/bin:/bin"; cwd "/"; }
    filesystem { ro "$TMP/bin"; }
    network egress {
        tcp "svc.test":8080;
        tcp "svc.test":8443;
        tcp "svc.test":8081;
        tcp "svc.test":8082;
        tcp "*.wild.test":8080;
        tcp 198.18.$N.0/30:9000;
    }
    syscalls { default kill-process; }
}
CELL
    "$CELLC" -I "$CELLOS_TOP/policies" "$TMP/c.cell" -o "$out"
}
run() {   # PLAN: sets OUT ERR RC, events in $TMP/ev.jsonl
    rm -f "$TMP/ev.jsonl"
    rt_cellrun --key "$TMP/k.key" --events "$TMP/ev.jsonl" "${EG_OPTS[@]}" "$1" >"$TMP/out" 2>"$TMP/err" </dev/null
    RC=$?; OUT=$(cat "$TMP/out"); ERR=$(cat "$TMP/err")
}
"$CELLRUN" keygen "$TMP/k" >/dev/null
events() { jq -c "select(.type == \"dev.cellos.events.cell.network.v1.$1\") | .data" "$TMP/ev.jsonl"; }
CURL=(/usr/bin/curl -sS --max-time 5)

# ---- checks both backends make
eg_granted() {
    mkcell "$TMP/https.plan" "${CURL[@]}" --cacert "$TMP/bin/cert.pem" https://svc.test:8443/hello
    run "$TMP/https.plan"
    is "$RC:$OUT" "0:hello-from-srv" "HTTPS by a granted name (SNI checked, TLS end to end)"
    mkcell "$TMP/wild.plan" "${CURL[@]}" http://a.wild.test:8080/hello
    run "$TMP/wild.plan"
    is "$RC:$OUT" "0:hello-from-srv" "a name under a *. rule"
    mkcell "$TMP/cidr.plan" "${CURL[@]}" http://$SRV:9000/hello
    run "$TMP/cidr.plan"
    is "$RC:$OUT" "0:hello-from-srv" "an address granted by a CIDR rule"
}
eg_keepalive() {
    mkcell "$TMP/ka.plan" "${CURL[@]}" -w "%{num_connects} " http://svc.test:8080/hello http://svc.test:8080/hello
    run "$TMP/ka.plan"
    is "$RC:$(echo $OUT)" "0:hello-from-srv 1 hello-from-srv 0" "keep-alive: two requests for the granted name on one connection"
    like "$(events rule_counters | head -1)" '"connections":1' "keep-alive: one proxied connection"
    # uploads go through the request check: a body of Content-Length bytes,
    # a chunked one, then a GET, all on one connection
    local size
    size=$(stat -c %s "$TMP/bin/egress_net")
    mkcell "$TMP/up.plan" /bin/sh -c "\$0 --data-binary @\$1 http://svc.test:8080/up --next -sS -H 'Transfer-Encoding: chunked' --data-binary @\$1 http://svc.test:8080/up --next -sS http://svc.test:8080/hello" \
        "${CURL[*]}" "$TMP/bin/egress_net"
    run "$TMP/up.plan"
    is "$RC:$(echo $OUT)" "0:got $size got $size hello-from-srv" "keep-alive: a POST (Content-Length), a chunked POST and a GET on one connection"
    like "$(events rule_counters | head -1)" '"connections":1' "the uploads: one proxied connection"
    # Expect: 100-continue: the server's interim 100 goes to the cell while
    # the body waits (netd ends an upload on any other early answer)
    mkcell "$TMP/exp.plan" /bin/sh -c "\$0 -v -H 'Expect: 100-continue' --data-binary @\$1 http://svc.test:8080/up" \
        "${CURL[*]}" "$TMP/bin/egress_net"
    run "$TMP/exp.plan"
    is "$RC:$OUT:$(grep -c '< HTTP/1.1 100 Continue' "$TMP/err")" "0:got $size:1" "an upload with Expect: 100-continue (the interim answer passes)"
    mkcell "$TMP/kafront.plan" "$TMP/bin/egress_net" keepalive:svc.test:8080:other.test pipeline:svc.test:8080:other.test getbody:svc.test:8080:other.test
    run "$TMP/kafront.plan"
    like "$OUT" "^CONTAINED" "keep-alive: a later request (pipelined, or hidden in a GET's body) naming another host gets no answer"
    [ "$RC" = 0 ] || diag "$OUT"
    like "$(events flow_refused)" '"name":"svc.test".*the connection names other.test|the connection names other.test.*"name":"svc.test"' \
        "keep-alive: flow_refused event for the later request"
    # request smuggling against a lenient server (egress_srv.sh, 8081): no
    # answer for other.test
    mkcell "$TMP/smug.plan" "$TMP/bin/egress_net" smug:svc.test:8081:early0cl:other.test \
        smug:svc.test:8081:earlydrain:other.test smug:svc.test:8081:te0:other.test \
        smug:svc.test:8081:hostuser:other.test smug:svc.test:8081:absbslash:other.test \
        smug:svc.test:8081:body09:other.test smug:svc.test:8082:barelf:other.test \
        smug:svc.test:8081:trailer:other.test
    run "$TMP/smug.plan"
    like "$OUT" "^CONTAINED" "smuggling: a body read as a request, a body's rest after an early answer, a chunk line read as a request line, Host userinfo, a backslash in the target, a bare LF, a trailer that is a request"
    [ "$RC" = 0 ] || diag "$OUT"
}
eg_probe_plan() {   # OUT [TARGET...]
    local out=$1; shift
    local long
    long=$(head -c 30 /dev/urandom | od -An -tx1 | tr -d ' \n')
    mkcell "$out" "$TMP/bin/egress_net" \
        tcp:$SRV:8080 "name:svc.test:9999" "front:svc.test:8080:other.test" "front:a.wild.test:8080:svc.test" \
        udp:100.64.128.1:8080 udp:$SRV:9000 udp:$SRV:8080 \
        dns:100.64.0.1:other.test:a dns:100.64.0.1:other.test:aaaa dns:100.64.0.1:svc.test:txt \
        dns:100.64.0.1:svc.test:any dns:100.64.0.1:svc.test:https dns:100.64.0.1:$long.$long.svc.test:a \
        dns:$SRV:svc.test:a dns:8.8.8.8:svc.test:a "dns:[2001:4860:4860::8888]:svc.test:a" \
        "tcp:[2001:db8::1]:9000" "tcp:[fd63:e11::1]:22" icmp:$SRV icmp:100.64.0.1 raw packet \
        tcp:169.254.169.254:80 tcp:100.64.0.1:22 tcp:100.64.0.1:15001 tcp:100.64.0.1:53 \
        tcp:$HOSTSIDE:9000 tcp:127.0.0.1:9000 tcp:1.1.1.1:443 \
        send:svc.test:8080:sninul:other.test send:svc.test:8443:sninul:other.test \
        send:svc.test:8443:twosni:other.test send:svc.test:8443:twoext:other.test send:svc.test:8443:ech:other.test \
        send:svc.test:8080:absform:other.test send:svc.test:8080:connect:other.test \
        send:svc.test:8080:fold:other.test send:svc.test:8080:hostsp:other.test \
        udp:100.64.0.1:15002 udp:100.64.0.1:5353 "udp:[fd63:e11::1]:15002" "tcp:[fd63:e11::1]:15001" \
        tcp:100.64.0.1:15002 tcp:100.64.128.200:8080 udp:100.64.0.3:53 udp:255.255.255.255:53 \
        udplite:$SRV:9000 udplite:100.64.128.1:8080 "$@"
}
eg_alive() {   # PID...: a zombie waiting for its new parent to reap it is gone too
    local left="" k st
    for k in "$@"; do
        st=$(awk '{print $3}' /proc/$k/stat 2>/dev/null); [ -n "$st" ] && [ "$st" != Z ] && left="$left $k:$st"
    done
    echo "$left"
}
eg_mirror_only() {   # DESC
    if ! curl -sf -m 10 -o /dev/null https://deb.debian.org/debian/dists/bookworm/Release; then
        skip 1 "the Debian mirror is not reachable from this host"
        return
    fi
    cat > "$TMP/m.cell" <<CELL
use "std/base";
use "std/net-client";
use "std/syscalls";
use "std/syscalls-network";
cell mirror_only {
    process { argv "/bin/sh", "-c", "\$0 https://deb.debian.org/debian/dists/bookworm/Release >/dev/null && echo mirror-ok; \$0 https://registry.npmjs.org/ >/dev/null || echo other-refused; \$0 --connect-to registry.npmjs.org:443:deb.debian.org:443 https://registry.npmjs.org/ >/dev/null || echo fronting-refused", "/usr/bin/curl -sS --max-time 10"; env PATH = "/usr/bin:/bin"; cwd "/"; }
    network egress { tcp "deb.debian.org":443; }
    syscalls { default kill-process; }
}
CELL
    "$CELLC" -I "$CELLOS_TOP/policies" "$TMP/m.cell" -o "$TMP/m.plan"
    (unset CELLOS_NET_HOSTS; rt_cellrun --unsigned --events /dev/null "${EG_OPTS[@]}" "$TMP/m.plan" >"$TMP/out" 2>/dev/null </dev/null)
    is "$(tr '\n' ' ' < "$TMP/out")" "mirror-ok other-refused fronting-refused " "$1"
}
eg_many_plan() {
    local i
    {
        echo 'use "std/base"; use "std/syscalls";'
        echo 'cell many { process { argv "/bin/true"; } network egress {'
        for i in $(seq 0 4096); do echo "tcp 198.51.$((i / 250)).$((i % 250))/32:443;"; done
        echo '} syscalls { default kill-process; } }'
    } > "$TMP/many.cell"
    "$CELLC" -I "$CELLOS_TOP/policies" "$TMP/many.cell" -o "$TMP/many.plan"
}
