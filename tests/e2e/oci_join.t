#!/bin/bash
# oci_join.t - linux.namespaces[].path (runtime/oci/oci_join.c): a
# container joins namespaces its engine made. A hand-written bundle joins a
# network namespace the test makes with `ip netns add`; Podman's default
# bridge networking (CNI here: Debian's podman 4.3 with
# containernetworking-plugins) passes the namespace it made; `podman run
# --pod` joins the pod's infra container's network, ipc and uts namespaces
# through /proc/<the infra's pid>/ns/. Refused: the host's own (cellrun's)
# namespace, pid by path, a type runtime.conf allow_join leaves out, a file
# that is no namespace or one of another type; nothing is created then.
# Everything runs in a private mount and network namespace of the test's
# (the bridge, iptables rules, /run/netns and CNI's IPAM files die with it).
. "$CELLOS_TOP/tests/lib/tap.sh"
need_root
if [ -z "${CELLOS_OCI_NS:-}" ]; then
    exec env CELLOS_OCI_NS=1 unshare -m -n --propagation private "$0" "$@"
fi
command -v ip >/dev/null || skip_all "iproute2 (ip) is not installed"
command -v runc >/dev/null || skip_all "runc is not installed (runc spec makes the bundles)"
tmpdir
. "$CELLOS_TOP/tests/e2e/oci_lib.sh"
oci_cellrun_setup "$TMP"
ip link set lo up
# mount points the host may lack: made here (the private mount namespace
# shares the host's file systems) and removed again at exit
MADE=()
mkd() { [ -d "$1" ] || { mkdir -p "$1" && MADE+=("$1"); }; }
undo_dirs() {
    for d in "${MADE[@]}"; do umount -l "$d" 2>/dev/null; rmdir "$d" 2>/dev/null; done
}
trap 'undo_dirs; rm -rf "$TMP"' EXIT
mkd /run/netns && mount -t tmpfs tmpfs /run/netns

# ---- a hand-written bundle joins a namespace the test made -------------------
ip netns add cellos-j
ip -n cellos-j link add cj0 type veth peer name cj1
ip -n cellos-j addr add 10.201.0.1/24 dev cj0
oci_bundle "$TMP/b" /bin/sh -c 'cat /proc/net/dev; cat /proc/self/net/fib_trie | grep -c 10.201.0.1'
oci_edit "$TMP/b/config.json" "c['linux']['namespaces'][1]['path']='/run/netns/cellos-j'"
cd "$TMP/b" || exit 1
out=$("$TMP/cellrun" --root "$TMP/st" run j1 2>&1)
is "$?" 0 "a bundle joining a network namespace by path runs"
like "$out" "cj0:" "... and the workload sees that namespace's interfaces"
ino=$(stat -L -c %i /run/netns/cellos-j)
like "$(grep '"ns_join"' "$TMP/events")" "\"what\":\"net\",\"why\":\"/run/netns/cellos-j \\(net:\\[$ino\\]\\)\"" \
    "a signed ns_join event names the namespace (path and inode)"
"$CELLRUN" verify "$TMP/events" --trust "$TMP/etc/k.trust.json" > /dev/null 2>&1
ok $? "cellrun verify accepts the stream"
# (create leaves the container's supervisor holding its stdio: a file, not $(...))
"$TMP/cellrun" --root "$TMP/st" --debug create j2 > "$TMP/j2.out" 2>&1
like "$(cat "$TMP/j2.out")" "network none;  # linux.namespaces: the engine's network namespace, joined" \
    "the policy says the cell makes no network namespace of its own"
"$TMP/cellrun" --root "$TMP/st" delete --force j2 > /dev/null 2>&1

refuse() { # refuse NAME PYTHON-EDIT ERE
    cp "$TMP/b/config.json" "$TMP/b/keep.json"
    oci_edit "$TMP/b/config.json" "$2"
    out=$("$TMP/cellrun" --root "$TMP/st" create "$1" 2>&1)
    rc=$?
    cp "$TMP/b/keep.json" "$TMP/b/config.json"
    like "$rc:$(printf '%s' "$out" | tr '\n' ' ')" "^1:.*$3" "refused at create: $1"
    [ -e "$TMP/st/$1" ]; ok $((! $?)) "... nothing created for $1"
}
refuse own-netns "c['linux']['namespaces'][1]['path']='/proc/$$/ns/net'" "is the host's \\(or cellrun's\\) own network namespace"
refuse pid-path "c['linux']['namespaces'][0]['path']='/proc/$$/ns/pid'" "joining a pid namespace is never allowed"
refuse not-ns "c['linux']['namespaces'][1]['path']='$TMP/b/config.json'" "is not a network namespace"
refuse wrong-type "c['linux']['namespaces'][1]['path']='/proc/$$/ns/ipc'" "is not a network namespace"
refuse relative "c['linux']['namespaces'][1]['path']='run/netns/cellos-j'" "not an absolute path"
refuse hostname-joined-uts "c['linux']['namespaces'][3]['path']='/run/netns/cellos-j'; c['hostname']='h'" \
    "hostname: set, but the uts namespace is joined"
sed -i 's/^allow_join.*//' "$TMP/etc/runtime.conf"
echo "allow_join = ipc" >> "$TMP/etc/runtime.conf"
refuse not-allowed "c['linux']['namespaces'][1]['path']='/run/netns/cellos-j'" \
    "joining a network namespace by path is not allowed by the host \\(runtime.conf allow_join = ipc\\)"
sed -i 's/^allow_join.*//' "$TMP/etc/runtime.conf"
like "$(grep -c '"oci_refused"' "$TMP/events")" "^[1-9]" "each refusal is a signed event"
cd "$TMP" || exit 1
ip netns del cellos-j

# ---- Podman: default bridge networking and a pod -------------------------------
if ! command -v podman >/dev/null; then
    skip 12 "podman is not installed"
    done_testing
fi
[ -x /usr/lib/cni/bridge ] || { skip 12 "containernetworking-plugins (CNI bridge) is not installed"; done_testing; }
mkd /var/lib/cni && mount -t tmpfs tmpfs /var/lib/cni # CNI's IPAM state
if [ -d /etc/cni/net.d ]; then
    cp -a /etc/cni/net.d "$TMP/cni.d" && mount --bind "$TMP/cni.d" /etc/cni/net.d # its lock file
fi
cat > "$TMP/rt" <<SH
#!/bin/sh
CELLOS_RUNTIME_CONF=$TMP/etc/runtime.conf exec "$CELLRUN" --root "$TMP/state" "\$@"
SH
chmod 755 "$TMP/rt"
# a pod's infra container gets no limits from `podman pod create`: a pack
# without required limits; no CAP_SYS_RESOURCE here: small default ulimits
printf 'pack "oci" {\n}\n' > "$TMP/etc/oci.cell"
printf '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n' > "$TMP/containers.conf"
export CONTAINERS_CONF=$TMP/containers.conf
P=(podman --root "$TMP/pr" --runroot "$TMP/prr" --cgroup-manager cgroupfs --events-backend none
   --runtime "$TMP/rt")
cleanup() {
    "${P[@]}" pod rm -af -t 0 > /dev/null 2>&1
    "${P[@]}" rm -af -t 0 > /dev/null 2>&1
    "${P[@]}" rmi -af > /dev/null 2>&1
    findmnt -rn -o TARGET | grep "^$TMP" | sort -r | while read -r m; do umount -l "$m"; done
    podman_cgroups_undo
    undo_dirs
    rm -rf "$TMP"
}
podman_cgroups_note
trap cleanup EXIT
oci_rootfs "$TMP/root"
ln -sf busybox "$TMP/root/bin/ip"
ln -sf busybox "$TMP/root/bin/hostname"
ln -sf busybox "$TMP/root/bin/readlink"
tar -C "$TMP/root" -cf "$TMP/bb.tar" .
"${P[@]}" import "$TMP/bb.tar" localhost/cellos-bb:1 > /dev/null 2>&1 &&
    "${P[@]}" import --change 'CMD ["/bin/sleep","3600"]' "$TMP/bb.tar" localhost/cellos-pause:1 > /dev/null 2>&1
ok $? "podman imports the busybox root (and a pause image of it)"

: > "$TMP/events"
out=$("${P[@]}" run --rm --network bridge localhost/cellos-bb:1 /bin/sh -c '/bin/ip -4 addr; exit 4' 2>&1)
rc=$?
like "$rc:$(printf '%s' "$out" | tr '\n' ' ')" "^4:.*inet 10\\.88\\.[0-9]+\\.[0-9]+/16 .*eth0" \
    "podman run --network bridge: the container has the bridge's eth0 (CNI), the exit status comes through"
like "$(cat "$TMP/events")" '"ns_join","what":"net","why":"/run/netns/netns-[0-9a-f-]+ \(net:\[[0-9]+\]\)"' \
    "... joining the network namespace podman made, a signed event"

"${P[@]}" pod create --name cellos-pd --infra-image localhost/cellos-pause:1 --network bridge > /dev/null 2>&1
ok $? "podman pod create (its infra container runs under cellrun)"
"${P[@]}" run -d --name pc1 --pod cellos-pd localhost/cellos-bb:1 /bin/sleep 60 > /dev/null 2>&1
ok $? "podman run --pod: a container joins the pod"
infra=$("${P[@]}" pod inspect -f '{{.InfraContainerID}}' cellos-pd 2>/dev/null)
out=$("${P[@]}" exec pc1 /bin/sh -c '/bin/ip -4 addr; /bin/hostname; /bin/readlink /proc/self/ns/ipc; /bin/readlink /proc/self/ns/net' 2>&1)
like "$out" "inet 10\\.88\\.[0-9.]+/16 .*eth0" "... it is in the pod's network namespace (the infra's eth0)"
like "$out" "cellos-pd" "... and its uts namespace (the pod's hostname)"
iout=$("${P[@]}" exec "$infra" /bin/sh -c '/bin/readlink /proc/self/ns/ipc; /bin/readlink /proc/self/ns/net' 2>&1)
like "$iout" "^ipc:\\[[0-9]+\\]" "podman exec into the infra container"
is "$(printf '%s\n' "$out" | grep -E '^(ipc|net):')" "$iout" "... the pod container shares the infra's ipc and network namespaces"
like "$(cat "$TMP/events")" '"ns_join","what":"ipc","why":"/proc/[0-9]+/ns/ipc' \
    "... joined through /proc/<the infra's pid>/ns/, each a signed event"
"${P[@]}" pod rm -f -t 0 cellos-pd > /dev/null 2>&1
ok $? "podman pod rm -f"
is "$(ls "$TMP/state" 2>/dev/null)" "" "no state left under cellrun's --root"
is "$(pgrep -f "$TMP/state" | wc -l)" 0 "no supervisor of a container left"
done_testing
