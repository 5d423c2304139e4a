# oci_lib.sh - shared set-up of the OCI runtime tests (tests/e2e/oci_*.t):
# a busybox-static root, bundles edited with python3, a host pack and
# runtime.conf for cellrun in the test's own directory (never /etc), and a
# wrapper that points cellrun at them. Source after tap.sh and tmpdir.

command -v python3 >/dev/null || skip_all "python3 is not installed"
BUSYBOX=$(command -v busybox || true)
[ -n "$BUSYBOX" ] && file -L "$BUSYBOX" 2>/dev/null | grep -q static || \
    { [ -x /bin/busybox ] && BUSYBOX=/bin/busybox; }
[ -x "$BUSYBOX" ] || skip_all "busybox-static is not installed"

# oci_rootfs DIR: a root with busybox and its applets, and the files engines
# bind over (/etc/hosts ...), all owned by root
oci_rootfs() {
    local r=$1
    mkdir -p "$r"/bin "$r"/etc "$r"/proc "$r"/dev "$r"/sys "$r"/tmp "$r"/run "$r"/root
    cp "$BUSYBOX" "$r"/bin/busybox
    for c in sh echo true false sleep cat ls id ps kill dd head wc grep env pwd touch; do
        ln -sf busybox "$r/bin/$c"
    done
    : > "$r"/etc/hosts; : > "$r"/etc/resolv.conf; : > "$r"/etc/hostname
    echo 'root:x:0:0:root:/root:/bin/sh' > "$r"/etc/passwd
    echo 'root:x:0:' > "$r"/etc/group
    : > "$r"/run/.containerenv
}

# oci_bundle DIR ARGS...: DIR/config.json (runc spec's, made non-terminal,
# with memory and pids limits, a seccomp profile of its own, the five
# namespaces) and DIR/rootfs
oci_bundle() {
    local d=$1; shift
    mkdir -p "$d"
    [ -d "$d/rootfs" ] || oci_rootfs "$d/rootfs"
    (cd "$d" && rm -f config.json && runc spec)
    python3 - "$d/config.json" "$@" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c['process']['terminal'] = False
c['process']['args'] = sys.argv[2:] or ['/bin/echo', 'hi']
c['linux']['resources'] = {'memory': {'limit': 268435456}, 'pids': {'limit': 64}}
c['linux']['seccomp'] = {'defaultAction': 'SCMP_ACT_ALLOW',
    'syscalls': [{'names': ['keyctl', 'add_key', 'request_key'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 1}]}
c['linux']['namespaces'] = [{'type': t} for t in ['pid', 'network', 'ipc', 'uts', 'mount']]
json.dump(c, open(p, 'w'), indent=1)
PY
}

# oci_edit FILE PYTHON: edit a config.json in place (c is the dict)
oci_edit() {
    python3 - "$1" "$2" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
exec(sys.argv[2])
json.dump(c, open(p, 'w'), indent=1)
PY
}

# oci_cellrun_setup DIR: DIR/etc/{oci.cell,runtime.conf,k.key}, DIR/cellrun
# (a wrapper with CELLOS_RUNTIME_CONF set); events go to DIR/events
oci_cellrun_setup() {
    local d=$1
    mkdir -p "$d/etc"
    cat > "$d/etc/oci.cell" <<'CELL'
pack "oci" {
    ceiling { memory 1GiB; pids 4096; require memory, pids; }
}
CELL
    "$CELLRUN" keygen "$d/etc/k" > /dev/null
    cat > "$d/etc/runtime.conf" <<CONF
key = $d/etc/k.key
events = $d/events
pack = $d/etc/oci.cell
allow_roots = $d/pr
CONF
    cat > "$d/cellrun" <<SH
#!/bin/sh
CELLOS_RUNTIME_CONF=$d/etc/runtime.conf exec "$CELLRUN" "\$@"
SH
    chmod 755 "$d/cellrun"
}

# podman (cgroupfs manager) makes a libpod_parent cgroup, with conmon's
# below it, in every v1 hierarchy and never removes them. The tests that run
# podman note which of those existed before (podman_cgroups_note) and remove
# the ones podman made once it is done (podman_cgroups_undo, from their
# cleanup): nothing of the test is left in the host's cgroups.
podman_cgroups_note() {
    PODMAN_CG_NEW=""
    local d
    for d in /sys/fs/cgroup/*/ /sys/fs/cgroup/unified/; do
        [ -d "$d" ] && [ ! -e "${d}libpod_parent" ] && PODMAN_CG_NEW="$PODMAN_CG_NEW ${d}libpod_parent"
    done
}
podman_cgroups_undo() {
    local d
    for d in $PODMAN_CG_NEW; do
        [ -d "$d" ] || continue
        # deepest first; a cgroup with a process left in it stays (rmdir fails)
        find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
    done
}
