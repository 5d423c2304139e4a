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
