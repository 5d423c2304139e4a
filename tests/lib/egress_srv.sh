# egress_srv.sh - the servers an egress test reaches (docs/network.md), in a
# network namespace the test makes: 198.18.N.2 ($SRV) serves HTTP on 8080
# and 9000 (and lenient HTTP servers on 8081 and 8082) and HTTPS (a certificate for svc.test) on 8443; the host's side
# of the link is 198.18.N.1 ($HOSTSIDE, an address of the host) with a
# listener on 9000. Names go through the answerer's test-only hosts file
# (CELLOS_NET_HOSTS): svc.test a.wild.test wild.test other.test -> $SRV.
# Source after tap.sh, with $TMP made (tmpdir); then `egress_srv_up`.
# $TMP/bin holds cert.pem (and whatever the test copies there, 0755);
# egress_srv_down removes everything (call it from the test's EXIT trap).
egress_srv_up() {
    N=$(( ($$ % 250) + 1 ))
    SRV=198.18.$N.2
    HOSTSIDE=198.18.$N.1
    IFH=ceg$$
    EGRESS_PIDS=()
    unshare -n sleep 300 & EGRESS_HOLDER=$!
    sleep 0.2
    ip link add "$IFH" type veth peer name eth0 netns /proc/$EGRESS_HOLDER/ns/net || return 1
    ip addr add $HOSTSIDE/30 dev "$IFH" && ip link set "$IFH" up || return 1
    nsenter -t $EGRESS_HOLDER -n sh -c "ip addr add $SRV/30 dev eth0 && ip link set eth0 up && ip link set lo up && ip route add default via $HOSTSIDE" || return 1
    mkdir -p "$TMP/www" "$TMP/bin"
    echo hello-from-srv > "$TMP/www/hello"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=svc.test -addext subjectAltName=DNS:svc.test \
        -keyout "$TMP/key.pem" -out "$TMP/bin/cert.pem" 2>/dev/null || return 1
    cat > "$TMP/srv.py" <<'PY'
import http.server, ssl, socketserver, sys, threading, os
os.chdir(sys.argv[1])
class Q(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: later requests on a connection are checked too
    def log_message(self, *a): pass
    def do_PUT(self):  # an upload (Content-Length or chunked): "got N"
        n = 0
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b""):
                        pass
                    break
                n += len(self.rfile.read(size))
                self.rfile.readline()
        else:
            left = int(self.headers.get("Content-Length", "0"))
            while left:
                k = len(self.rfile.read(min(left, 65536)))
                if not k:
                    break
                n, left = n + k, left - k
        body = ("got %d\n" % n).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    do_POST = do_PUT
def serve(addr, port, tls=False):
    s = http.server.ThreadingHTTPServer((addr, port), Q)
    if tls:
        c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); c.load_cert_chain(sys.argv[2], sys.argv[3])
        s.socket = c.wrap_socket(s.socket, server_side=True)
    threading.Thread(target=s.serve_forever, daemon=True).start()
serve("0.0.0.0", 8080); serve("0.0.0.0", 9000); serve("0.0.0.0", 8443, True)
threading.Event().wait()
PY
    nsenter -t $EGRESS_HOLDER -n python3 "$TMP/srv.py" "$TMP/www" "$TMP/bin/cert.pem" "$TMP/key.pem" & EGRESS_PIDS+=($!)
    # 8081: a deliberately lenient server, the kind request smuggling feeds
    # on (the smug:... probes): bare LF ends a line, the request line is
    # split on any whitespace (HTTP/0.9 "GET /" too), Transfer-Encoding is
    # ignored (no chunked bodies: such a request has no body), the host is
    # what a URL parser makes of the target or of "http://" + Host (userinfo,
    # "\\" as "/"), and /early... is answered before its body is read: /early
    # leaves the body to be read as the next request, /early-drain drops
    # only what already arrived; /chunked reads a chunked body up to its
    # last chunk and stops there (no trailer section). Every answer says
    # "served HOST". On 8082
    # the same server ends lines only at CRLF (a bare LF stays in the line).
    cat > "$TMP/lenient.py" <<'PY'
import socket, sys, threading, urllib.parse
EOL = b"\r\n" if sys.argv[2:] == ["crlf"] else b"\n"
def route(target, host):
    t = target.replace("\\", "/")
    return urllib.parse.urlsplit(t if "://" in t else "http://" + host + "/").hostname
def handle(c):
    buf = b""
    def fill():
        nonlocal buf
        d = c.recv(65536)
        if not d:
            raise EOFError
        buf += d
    def line():
        nonlocal buf
        while EOL not in buf:
            fill()
        l, buf = buf.split(EOL, 1)
        return l.rstrip(b"\r").decode("latin-1")
    try:
        c.settimeout(5)
        while True:
            words = line().split()
            if not words:
                continue
            hdrs = {}
            while True:
                h = line()
                if not h:
                    break
                k, _, v = h.partition(":")
                hdrs[k.strip().lower()] = v.strip()
            target = words[1] if len(words) > 1 else "/"
            host = route(target, hdrs.get("host", ""))
            path = urllib.parse.urlsplit(target.replace("\\", "/")).path
            if path == "/chunked":
                while True:
                    size = int(line().split(";")[0], 16)
                    if not size:
                        break
                    while len(buf) < size + 2:
                        fill()
                    buf = buf[size + 2:]
            elif not path.startswith("/early"):
                cl = int(hdrs.get("content-length", "0") or "0")
                while len(buf) < cl:
                    fill()
                buf = buf[cl:]
            body = ("served %s\n" % host).encode()
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
            if path == "/early-drain":
                buf = b""
                c.setblocking(False)
                try:
                    while c.recv(65536):
                        pass
                except BlockingIOError:
                    pass
                c.settimeout(5)
    except Exception:
        pass
    finally:
        c.close()
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.listen(64)
while True:
    threading.Thread(target=handle, args=(s.accept()[0],), daemon=True).start()
PY
    nsenter -t $EGRESS_HOLDER -n python3 "$TMP/lenient.py" 8081 & EGRESS_PIDS+=($!)
    nsenter -t $EGRESS_HOLDER -n python3 "$TMP/lenient.py" 8082 crlf & EGRESS_PIDS+=($!)
    python3 -c 'import socket,sys,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1); s.bind((sys.argv[1],9000)); s.listen(); time.sleep(300)' $HOSTSIDE & EGRESS_PIDS+=($!)
    chmod 0755 "$TMP" "$TMP/bin"; chmod 0644 "$TMP/bin/cert.pem"
    printf '%s svc.test a.wild.test wild.test other.test\n' $SRV > "$TMP/hosts"
    export CELLOS_NET_HOSTS="$TMP/hosts"
    local i
    for i in $(seq 50); do curl -s -m 1 http://$SRV:8080/hello >/dev/null && return 0; sleep 0.1; done
    return 1
}
egress_srv_down() {
    local p
    for p in "${EGRESS_PIDS[@]}"; do kill "$p" 2>/dev/null; done
    [ -n "${EGRESS_HOLDER:-}" ] && kill "$EGRESS_HOLDER" 2>/dev/null
    [ -n "${IFH:-}" ] && ip link del "$IFH" 2>/dev/null
    return 0
}
