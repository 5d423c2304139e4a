#!/usr/bin/env bash
# bench/network.sh - egress (docs/network.md) side by side with an unfiltered
# veth, in one run:
#   connection set-up  curl's time to first byte (TTFB) of a small HTTP
#                    object, counted from the end of its name lookup, from a
#                    cell with `tcp "svc.bench":8080` vs from a plain network
#                    namespace joined to the server's by a veth (no filter, no
#                    proxy): ROUNDS blocks of 10 requests each way,
#                    interleaved, median (p10-p90 beside it). This is the
#                    goal's figure: in the cell connect() returns as soon as
#                    the gateway's redirect completes the handshake locally
#                    (time_connect is printed too, for what it is), while the
#                    proxy's check and its dial to the real server happen
#                    before the first byte can come back; the first request
#                    of each block (the cell's first connection to the name,
#                    before netd has a spare connection there) is printed
#                    on its own line
#   throughput       SIZE-MiB downloads (default 1024) the same two ways,
#                    BULK_ROUNDS (default 5) interleaved, median MiB/s
#   start-up         cellrun of /bin/true with the egress block vs `network
#                    none`, ROUNDS interleaved runs, medians
# The server is a Python sender in a network namespace this script makes
# (16 threads waiting in accept, started once)
# (198.18.250.2); the cell reaches it by name through the answerer's
# test-only hosts file. Run as root from the top of the tree after `make`:
#   bench/network.sh [ROUNDS] [SIZE_MIB]        (default 20 1024)
# BACKEND=gvisor runs the cells under gVisor (runsc --network=sandbox on the
# same gateway); the baseline stays the plain veth.
# The machine's other load shows in the p10-p90 spreads: run it several
# times and report the spread, not only the best run.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-20}
SIZE=${2:-1024}
BULK_ROUNDS=${BULK_ROUNDS:-5}
BACKEND=${BACKEND:-native}
BUILD=${BUILD:-build}
CELLRUN=$PWD/$BUILD/bin/cellrun
CELLC=$PWD/$BUILD/bin/cellc
[ "$(id -u)" = 0 ] || { echo "bench/network: run as root" >&2; exit 1; }
[ -x "$CELLRUN" ] || { echo "bench/network: build first (make)" >&2; exit 1; }
for t in nft curl python3 unshare nsenter; do
    command -v $t >/dev/null || { echo "bench/network: $t is not installed" >&2; exit 1; }
done
W=$(mktemp -d /tmp/cellos-bench-net.XXXXXX)
chmod 755 "$W"
unshare -n sleep 3600 & SRV=$!
unshare -n sleep 3600 & CLI=$!
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill $p 2>/dev/null; done; kill $SRV $CLI 2>/dev/null; ip link del cebn$$ 2>/dev/null; rm -rf "$W"' EXIT
sleep 0.2
# the server's namespace, reachable from the host (for the cell's netd) ...
ip link add cebn$$ type veth peer name eth0 netns /proc/$SRV/ns/net
ip addr add 198.18.250.1/30 dev cebn$$; ip link set cebn$$ up
nsenter -t $SRV -n sh -c 'ip addr add 198.18.250.2/30 dev eth0; ip link set eth0 up; ip link set lo up
    ip route add default via 198.18.250.1'
# ... and from the baseline client's namespace through its own veth
nsenter -t $SRV -n ip link add eth1 type veth peer name eth0 netns /proc/$CLI/ns/net
nsenter -t $SRV -n sh -c 'ip addr add 198.18.251.1/30 dev eth1; ip link set eth1 up'
nsenter -t $CLI -n sh -c 'ip addr add 198.18.251.2/30 dev eth0; ip link set eth0 up; ip link set lo up'
cat > "$W/srv.py" <<'PY'
import socket, sys, threading
size = int(sys.argv[1]) << 20
buf = b"\0" * (1 << 20)
def serve(c):
    try:
        req = b""
        while b"\r\n\r\n" not in req:
            d = c.recv(4096)
            if not d: return
            req += d
        n = size if b"/big" in req.split(b"\r\n")[0] else 4
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % n)
        if n == 4: c.sendall(b"tiny")
        else:
            left = n
            while left:
                k = min(left, len(buf)); c.sendall(buf[:k]); left -= k
    finally:
        c.close()
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 8080)); s.listen(128)
# threads started once, each waiting in accept: no per-connection start-up
# on the server (a thread per connection would cost the baseline a thread
# start that netd's spare connections, accepted ahead, hide from the cell)
def loop():
    while True:
        c, _ = s.accept(); serve(c)
for _ in range(16): threading.Thread(target=loop, daemon=True).start()
threading.Event().wait()
PY
nsenter -t $SRV -n python3 "$W/srv.py" "$SIZE" & PIDS+=($!)
echo "198.18.250.2 svc.bench" > "$W/hosts"
for _ in $(seq 50); do curl -s -m 1 -o /dev/null http://198.18.250.2:8080/ && break; sleep 0.1; done
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)

policy() {   # NAME NETWORK ARGV...
    local name=$1 net=$2; shift 2
    local argv="" a
    for a in "$@"; do argv="$argv${argv:+, }\"$a\""; done
    cat > "$W/$name.cell" <<CELL
use "std/base";
use "std/net-client";
use "std/syscalls";
use "std/syscalls-network";
cell bench_$name {
    process { argv $argv; env PATH = "/usr/bin:/bin"; cwd "/"; }
    $net
    syscalls { default kill-process; }
}
CELL
    "$CELLC" -I policies "$W/$name.cell" -o "$W/$name.plan"
}
EGRESS='network egress { tcp "svc.bench":8080; }'
FMT='%{time_namelookup} %{time_connect} %{time_starttransfer}\n'
LAT_N=10
loop="for i in \$(seq $LAT_N); do curl -s -o /dev/null -w '$FMT' http://svc.bench:8080/small; done"
policy lat "$EGRESS" /bin/sh -c "$loop"
policy big "$EGRESS" /usr/bin/curl -s -o /dev/null -w '%{size_download} %{time_total}\n' http://svc.bench:8080/big
policy true_egress "$EGRESS" /bin/true
policy true_none "network none;" /bin/true

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
pct() { sort -n | awk -v p=$1 '{a[NR]=$1} END {i=int(NR*p/100+0.5); if (i<1) i=1; if (i>NR) i=NR; print a[i]}'; }
spread() { echo "$(pct 10 < "$1")-$(pct 90 < "$1")"; }
run_cell() { CELLOS_NET_HOSTS="$W/hosts" "$CELLRUN" --unsigned --events /dev/null --backend "$BACKEND" "$@" </dev/null; }

# latency: blocks of LAT_N requests, cell and veth alternating
for r in $(seq $ROUNDS); do
    run_cell "$W/lat.plan" >> "$W/lat.cell"
    nsenter -t $CLI -n sh -c "for i in \$(seq $LAT_N); do curl -s -o /dev/null -w '$FMT' http://198.18.251.1:8080/small; done" >> "$W/lat.veth"
done
# connect and first byte counted from the end of the name lookup (the cell
# asks its answerer; the baseline dials an address)
for w in cell veth; do
    awk '{printf "%.0f\n", ($2 - $1) * 1e6}' "$W/lat.$w" > "$W/conn.$w"
    awk '{printf "%.0f\n", ($3 - $1) * 1e6}' "$W/lat.$w" > "$W/ttfb.$w"
done
awk '{printf "%.0f\n", $1 * 1e6}' "$W/lat.cell" > "$W/dns.cell"
# the first request of each block: the cell's first connection to the name
# (no spare connection from netd yet, docs/network.md)
for w in cell veth; do awk -v n=$LAT_N 'NR % n == 1' "$W/ttfb.$w" > "$W/first.$w"; done
f_cell=$(median < "$W/first.cell"); f_veth=$(median < "$W/first.veth")
c_cell=$(median < "$W/conn.cell"); t_cell=$(median < "$W/ttfb.cell"); d_cell=$(median < "$W/dns.cell")
c_veth=$(median < "$W/conn.veth"); t_veth=$(median < "$W/ttfb.veth")

# throughput: BULK_ROUNDS downloads each way, alternating
mbs() { awk '{printf "%.0f\n", $1 / $2 / 1048576}'; }
for r in $(seq $BULK_ROUNDS); do
    run_cell "$W/big.plan" | mbs >> "$W/bulk.cell"
    nsenter -t $CLI -n curl -s -o /dev/null -w '%{size_download} %{time_total}\n' http://198.18.251.1:8080/big | mbs >> "$W/bulk.veth"
done
b_cell=$(median < "$W/bulk.cell"); b_veth=$(median < "$W/bulk.veth")

for i in $(seq $ROUNDS); do
    s=$(date +%s%N); run_cell "$W/true_egress.plan"; e=$(date +%s%N); echo $(( (e - s) / 1000 )) >> "$W/st.egress"
    s=$(date +%s%N); run_cell "$W/true_none.plan"; e=$(date +%s%N); echo $(( (e - s) / 1000 )) >> "$W/st.none"
done
s_eg=$(median < "$W/st.egress"); s_no=$(median < "$W/st.none")

echo "bench/network ($BACKEND backend): $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs, kernel $(uname -r)"
echo "load average before/after: $LOAD0 / $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-36s %22s %22s %7s\n' "" "egress cell" "plain veth" "ratio"
printf '%-36s %8s us (%11s) %22s\n' "name lookup via the answerer" "$d_cell" "$(spread "$W/dns.cell")" "-"
printf '%-36s %8s us (%11s) %8s us (%11s) %7.2f\n' "connect (time_connect; local in cell)" "$c_cell" "$(spread "$W/conn.cell")" "$c_veth" "$(spread "$W/conn.veth")" "$(echo "$c_cell $c_veth" | awk '{print $1/$2}')"
printf '%-36s %8s us (%11s) %8s us (%11s) %7.2f\n' "set-up: small GET to first byte" "$t_cell" "$(spread "$W/ttfb.cell")" "$t_veth" "$(spread "$W/ttfb.veth")" "$(echo "$t_cell $t_veth" | awk '{print $1/$2}')"
printf '%-36s %8s us (%11s) %8s us (%11s) %7.2f\n' "  the first one of each block" "$f_cell" "$(spread "$W/first.cell")" "$f_veth" "$(spread "$W/first.veth")" "$(echo "$f_cell $f_veth" | awk '{print $1/$2}')"
printf '%-36s %5s MiB/s (%11s) %5s MiB/s (%11s) %7.2f\n' "bulk ${SIZE} MiB download x$BULK_ROUNDS" "$b_cell" "$(spread "$W/bulk.cell")" "$b_veth" "$(spread "$W/bulk.veth")" "$(echo "$b_cell $b_veth" | awk '{print $1/$2}')"
printf '%-36s %8s us (%11s) %8s us (%11s) %+7.0f us\n' "cellrun /bin/true: egress vs none" "$s_eg" "$(spread "$W/st.egress")" "$s_no" "$(spread "$W/st.none")" "$(echo "$s_eg $s_no" | awk '{print $1 - $2}')"
