# egress_fixture.sh - the egress tests' servers and cells (runtime_egress.t,
# gvisor_egress.t; docs/network.md). Source after tap.sh, runtime_lib.sh and
# tmpdir (needs root, nft, curl, openssl, python3). Sets up:
#   a network namespace this test makes (held by a sleeping process) with
#   HTTP on $SRV:8080 and :9000 and HTTPS (a certificate for svc.test) on
#   :8443, joined to the host by a veth pair ($IFH, the host's side
#   $HOSTSIDE/30); a listener on $HOSTSIDE:9000 (an address of the host);
#   $TMP/bin with cert.pem and the egress escape probe; the answerer's
#   test-only hosts file (CELLOS_NET_HOSTS): svc.test a.wild.test wild.test
#   other.test -> $SRV; a signing key $TMP/k.key.
# Provides:
#   eg_cleanup              the servers, the namespace, the veth pair (the
#                           EXIT trap calls it)
#   mkcell OUT ARGV...      an egress policy (two names, a wildcard, a CIDR
#                           covering the host's side) compiled to OUT
#   run PLAN                cellrun with the key and ${EG_OPTS[@]}: RC OUT ERR,
#                           events in $TMP/ev.jsonl
#   events TYPE             the data of the network.v1.TYPE events
#   CURL                    curl in a cell (fails within 5 s)
#   links_before            the host's interface count before the fixture
N=$(( ($$ % 250) + 1 ))
SRV=198.18.$N.2
HOSTSIDE=198.18.$N.1
IFH=ceg$$
EG_OPTS=("${EG_OPTS[@]}")
links_before=$(ip -o link | wc -l)
unshare -n sleep 300 & eg_holder=$!
eg_pids=()
eg_cleanup() {
    local p
    for p in "${eg_pids[@]}"; do kill "$p" 2>/dev/null; done
    kill $eg_holder 2>/dev/null
    ip link del "$IFH" 2>/dev/null
    rm -rf "$TMP"
}
trap eg_cleanup EXIT
sleep 0.2
in_srv() { nsenter -t $eg_holder -n "$@"; }
ip link add "$IFH" type veth peer name eth0 netns /proc/$eg_holder/ns/net || skip_all "cannot make a veth pair"
ip addr add $HOSTSIDE/30 dev "$IFH" && ip link set "$IFH" up
in_srv sh -c "ip addr add $SRV/30 dev eth0 && ip link set eth0 up && ip link set lo up && ip route add default via $HOSTSIDE"
mkdir -p "$TMP/www" "$TMP/bin"
echo hello-from-srv > "$TMP/www/hello"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=svc.test -addext subjectAltName=DNS:svc.test \
    -keyout "$TMP/key.pem" -out "$TMP/bin/cert.pem" 2>/dev/null
cat > "$TMP/srv.py" <<'PY'
import http.server, ssl, socketserver, sys, threading, os
os.chdir(sys.argv[1])
class Q(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass
def serve(addr, port, tls=False):
    s = http.server.ThreadingHTTPServer((addr, port), Q)
    if tls:
        c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); c.load_cert_chain(sys.argv[2], sys.argv[3])
        s.socket = c.wrap_socket(s.socket, server_side=True)
    threading.Thread(target=s.serve_forever, daemon=True).start()
serve("0.0.0.0", 8080); serve("0.0.0.0", 9000); serve("0.0.0.0", 8443, True)
threading.Event().wait()
PY
nsenter -t $eg_holder -n python3 "$TMP/srv.py" "$TMP/www" "$TMP/bin/cert.pem" "$TMP/key.pem" & eg_pids+=($!)
# a listener on the host's own side of the test link (an address of the host)
python3 -c 'import socket,sys,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1); s.bind((sys.argv[1],9000)); s.listen(); time.sleep(300)' $HOSTSIDE & eg_pids+=($!)
cp "$ESCAPE_DIR/egress_net" "$TMP/bin/"
chmod 0755 "$TMP" "$TMP/bin"; chmod 0644 "$TMP/bin/cert.pem"
printf '%s svc.test a.wild.test wild.test other.test\n' $SRV > "$TMP/hosts"
export CELLOS_NET_HOSTS="$TMP/hosts"
for i in $(seq 50); do curl -s -m 1 http://$SRV:8080/hello >/dev/null && break; sleep 0.1; done

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
