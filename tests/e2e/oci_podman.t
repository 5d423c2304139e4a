#!/bin/bash
# oci_podman.t - Podman (rootful, Debian's) with --runtime pointing at the
# built cellrun: run, exit status, stdout, exec, stop (signal forwarding),
# rm -f, a memory limit, a read-only root, a refused --privileged, and the
# signed events naming the container. The image is a busybox-static root
# built here and `podman import`ed; podman's storage (--root/--runroot) and
# cellrun's state (--root) live in the test's directory, so the host's
# podman storage is never touched. No CAP_SYS_RESOURCE here: every run
# passes its own nofile/nproc ulimits.
. "$CELLOS_TOP/tests/lib/tap.sh"
need_root
command -v podman >/dev/null || skip_all "podman is not installed"
command -v runc >/dev/null || skip_all "runc is not installed (runc spec makes the bundles)"
tmpdir
. "$CELLOS_TOP/tests/e2e/oci_lib.sh"
oci_cellrun_setup "$TMP"
cat > "$TMP/rt" <<SH
#!/bin/sh
CELLOS_RUNTIME_CONF=$TMP/etc/runtime.conf exec "$CELLRUN" --root "$TMP/state" "\$@"
SH
chmod 755 "$TMP/rt"
P=(podman --root "$TMP/pr" --runroot "$TMP/prr" --cgroup-manager cgroupfs --events-backend none
   --runtime "$TMP/rt")
cleanup() {
    "${P[@]}" rm -af -t 0 > /dev/null 2>&1
    "${P[@]}" rmi -af > /dev/null 2>&1
    findmnt -rn -o TARGET | grep "^$TMP" | sort -r | while read -r m; do umount -l "$m"; done
    podman_cgroups_undo
    rm -rf "$TMP"
}
podman_cgroups_note
trap cleanup EXIT
O=(--network none --memory 64m --pids-limit 64 --ulimit nofile=1024:1024 --ulimit nproc=1024:1024)

oci_rootfs "$TMP/root"
tar -C "$TMP/root" -cf "$TMP/bb.tar" .
"${P[@]}" import "$TMP/bb.tar" localhost/cellos-bb:1 > /dev/null 2>&1
ok $? "podman imports the busybox root built offline"

out=$("${P[@]}" run --rm "${O[@]}" localhost/cellos-bb:1 /bin/sh -c 'echo hello-podman; exit 3' 2>"$TMP/err")
is "$?:$out" "3:hello-podman" "podman run: stdout and the exit status come through cellrun"
like "$(cat "$TMP/events")" '"container":"[0-9a-f]{64}"' "the signed events name the container"
like "$(cat "$TMP/events")" '"configdigest":"sha256:[0-9a-f]{64}"' "... and the bundle's config digest"

out=$("${P[@]}" run --rm "${O[@]}" localhost/cellos-bb:1 echo bare-name 2>&1)
like "$out" "bare-name" "a program named without a path is found on the root's PATH"

out=$("${P[@]}" run --rm "${O[@]}" --read-only localhost/cellos-bb:1 /bin/sh -c 'echo x > /bin/f' 2>&1)
rc=$?
like "$rc:$out" "^[1-9][0-9]*:.*Read-only file system" "--read-only: the root cannot be written"

"${P[@]}" run --rm "${O[@]}" --memory 32m localhost/cellos-bb:1 /bin/dd if=/dev/zero of=/dev/null bs=96M count=1 > /dev/null 2>&1
is "$?" 137 "--memory 32m: a 96 MiB buffer is killed by the memory limit"

out=$("${P[@]}" run --rm "${O[@]}" --privileged localhost/cellos-bb:1 /bin/true 2>&1)
rc=$?
like "$rc:$out" "^[1-9][0-9]*:.*refused" "--privileged is refused at create"
like "$(cat "$TMP/events")" '"oci_refused"' "... with a signed event saying why"
like "$(cat "$TMP/events")" 'CAP_SYS_ADMIN is not allowed by the host' "... naming the violations"

cid=$("${P[@]}" run -d --name c1 "${O[@]}" localhost/cellos-bb:1 /bin/sh -c 'trap "exit 42" TERM; sleep 60 & wait' 2>&1)
ok $? "podman run -d"
out=$("${P[@]}" exec c1 /bin/sh -c 'echo in-exec; cat /proc/self/status' 2>&1)
like "$out" "in-exec" "podman exec runs in the container"
like "$out" "NoNewPrivs:[[:space:]]+1" "... with no_new_privs"
like "$out" "Seccomp:[[:space:]]+2" "... under the container's seccomp filter"
# podman's default set: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP
# NET_BIND_SERVICE SYS_CHROOT SETFCAP
like "$out" "CapBnd:[[:space:]]+00000000800405fb" "... with the container's bounding set"
like "$(grep -c '"oci_exec"' "$TMP/events")" "^[1-9]" "... and a signed event of its own"
out=$("${P[@]}" exec c1 /bin/ps 2>&1)
like "$out" "sleep 60" "... in the container's pid namespace"
"${P[@]}" stop -t 10 c1 > /dev/null 2>&1
is "$("${P[@]}" inspect -f '{{.State.ExitCode}}' c1 2>&1)" 42 "podman stop: SIGTERM reaches the workload (its trap exits 42)"
"${P[@]}" rm c1 > /dev/null 2>&1

"${P[@]}" run -d --name c2 "${O[@]}" localhost/cellos-bb:1 /bin/sleep 60 > /dev/null 2>&1
cell=$(sed -n 's/.*"cellPid": *\([0-9]*\).*/\1/p' "$TMP"/state/*/state.json 2>/dev/null | head -1)
cg=/sys/fs/cgroup/memory$(grep -E '^[0-9]+:memory:' /proc/$cell/cgroup 2>/dev/null | cut -d: -f3)
like "$cg" "/cellos-[0-9]+-[0-9a-f]+$" "the running container has its own memory cgroup"
"${P[@]}" rm -f -t 0 c2 > /dev/null 2>&1
ok $? "podman rm -f of a running container"
is "$(ls "$TMP/state" 2>/dev/null)" "" "no state left under cellrun's --root"
for _ in $(seq 100); do [ -d "$cg" ] || break; sleep 0.05; done
[ -d "$cg" ]; ok $((! $?)) "no cgroup of the container left"
[ -d "/proc/$cell" ]; ok $((! $?)) "no process of the container left"
# cellrun-oci straight from podman, runtime.conf and the state directory as
# runtime flags (no wrapper, no environment: podman passes neither)
OCI_BIN=$(dirname "$CELLRUN")/cellrun-oci
out=$(podman --root "$TMP/pr" --runroot "$TMP/prr" --cgroup-manager cgroupfs --events-backend none \
    --runtime "$OCI_BIN" --runtime-flag "root=$TMP/state" --runtime-flag "conf=$TMP/etc/runtime.conf" \
    run --rm "${O[@]}" localhost/cellos-bb:1 /bin/sh -c 'echo via-flags; exit 5' 2>&1)
is "$?:$out" "5:via-flags" "podman --runtime cellrun-oci --runtime-flag conf=FILE --runtime-flag root=DIR"
done_testing
