#!/bin/bash
# oci_containerd.t - containerd (Debian's) and its ctr with --runc-binary
# pointing at the built cellrun, through containerd's runc shim: an OCI
# image built here from a busybox-static root (layout, manifest, config by
# hand) is imported, `ctr run` prints and exits with the workload's status,
# an unconfined container (no --seccomp) is refused with the reason carried
# back to ctr, and nothing is left. containerd runs on its own root, state
# and socket in the test's directory; the runc shim keeps its runtime root
# in /run/containerd/runc/NAMESPACE, removed at the end.
. "$CELLOS_TOP/tests/lib/tap.sh"
need_root
command -v containerd >/dev/null && command -v ctr >/dev/null || skip_all "containerd is not installed"
command -v runc >/dev/null || skip_all "runc is not installed (runc spec makes the bundles)"
command -v containerd-shim-runc-v2 >/dev/null || skip_all "containerd's runc shim is not installed"
tmpdir
. "$CELLOS_TOP/tests/e2e/oci_lib.sh"
oci_cellrun_setup "$TMP"
NS=cellos-test-$$
cat > "$TMP/etc/oci.cell" <<'CELL'
pack "oci" {
    ceiling { memory 1GiB; require memory; }
}
CELL
C=(ctr -a "$TMP/ctd.sock" -n "$NS")
containerd --root "$TMP/ctd-root" --state "$TMP/ctd-state" --address "$TMP/ctd.sock" --config /dev/null \
    > "$TMP/ctd.log" 2>&1 &
CTD=$!
cleanup() {
    "${C[@]}" tasks kill -s KILL x1 > /dev/null 2>&1
    "${C[@]}" containers rm x1 x2 x3 > /dev/null 2>&1
    kill "$CTD" 2>/dev/null; wait "$CTD" 2>/dev/null
    findmnt -rn -o TARGET | grep "^$TMP" | sort -r | while read -r m; do umount -l "$m"; done
    rm -rf "/run/containerd/runc/$NS" "$TMP"
}
trap cleanup EXIT
for _ in $(seq 100); do [ -S "$TMP/ctd.sock" ] && break; sleep 0.05; done

# an OCI image layout: the root as one uncompressed layer
oci_rootfs "$TMP/root"
L="$TMP/img/blobs/sha256"; mkdir -p "$L"
blob() { local h; h=$(sha256sum "$1" | cut -d' ' -f1); cp "$1" "$L/$h"; echo "$h $(stat -c %s "$1")"; }
tar -C "$TMP/root" -cf "$TMP/layer.tar" .
read -r lh ls < <(blob "$TMP/layer.tar")
printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
    "$lh" > "$TMP/cfg.json"
read -r ch cs < <(blob "$TMP/cfg.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
    "$ch" "$cs" "$lh" "$ls" > "$TMP/man.json"
read -r mh ms < <(blob "$TMP/man.json")
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"localhost/cellos-bb:1"}}]}' \
    "$mh" "$ms" > "$TMP/img/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' > "$TMP/img/oci-layout"
tar -C "$TMP/img" -cf "$TMP/img.tar" .
"${C[@]}" images import "$TMP/img.tar" > /dev/null 2>&1
ok $? "ctr imports the image built offline"

R=(--runc-binary "$TMP/cellrun" --memory-limit 67108864)
out=$(timeout 60 "${C[@]}" run "${R[@]}" --seccomp --rm localhost/cellos-bb:1 x1 /bin/sh -c 'echo hello-ctr; exit 5' 2>&1)
is "$?:$out" "5:hello-ctr" "ctr run: stdout and the exit status come through cellrun"
like "$(cat "$TMP/events")" '"container":"x1"' "the signed events name the container"
out=$(timeout 60 "${C[@]}" run "${R[@]}" --rm localhost/cellos-bb:1 x2 /bin/true 2>&1)
like "$?:$(echo $out)" "^1:.*linux.seccomp: absent" "an unconfined container is refused, the reason carried back to ctr"
is "$("${C[@]}" containers ls -q 2>/dev/null)" "" "no container left in containerd"
is "$(ls -A "/run/containerd/runc/$NS" 2>/dev/null)" "" "no state left under the shim's --root"
done_testing
