#!/bin/bash
# vm_examples.t - the worked example cells (policies/examples/*.cell),
# compiled by cellc as they are and run by `cellrun --backend vm` with
# nothing forced: no CELLOS_VM_MODE (the backend proves KVM or falls back
# to TCG by itself), no image made for them (granted host directories such
# as std/base's /usr are 9p shares, granted files are copied). The egress
# examples run through the gateway's tap (fetch downloads from the Debian
# mirror in the guest; under Firecracker, which refuses egress, they are
# skipped with the reason cellrun gives); an example with its own vm section pins a kernel this host
# does not have (vm.cell), skipped too (runtime_examples.t runs it on an
# image). The host trees the examples bind (/srv/ci/checkout, /srv/ci/gdb-
# tests, /srv/www) and the secrets they read (/etc/ci) are fixtures, as in
# runtime_examples.t: each run is in a private mount namespace with a tmpfs
# over /srv and an overlay over /etc (QEMU runs in it too, so it exports the
# fixtures). Every example must end in the VM exactly as it ends natively
# (same exit status, same output), and hello, build and debugger must run
# (exit 0); the service must come up in the guest. (Each example under the
# backend its own policy names: runtime_examples.t.)
. "$CELLOS_TOP/tests/lib/tap.sh"
. "$CELLOS_TOP/tests/e2e/vm_lib.sh"
need_root
vm_need
vm_need_9p
# The sanitizer pass rebuilds only host code; the guest side is identical and
# vm_backend.t/vm_rootfs.t exercise the sanitized host paths. Boots are slow.
[ "${CELLOS_SANITIZE:-0}" = 1 ] && skip_all "guest-side checks run in the normal pass (sanitizer pass: host paths in vm_backend.t)"
command -v unshare >/dev/null || skip_all "unshare (util-linux) is not installed"
[ -d /srv ] || skip_all "no /srv directory to cover with the examples' fixtures"
tmpdir
chmod 755 "$TMP"
unset CELLOS_VM_MODE
export CELLOS_VM_KERNEL=$VM_K/vmlinux    # the build's kernel (also for a sanitizer build elsewhere)
export CELLOS_VM_STATE_DIR=$TMP/state CI_JOB_ID=42 DEPLOY_TOKEN=dummy

F=$TMP/fix
mkdir -p "$F/ci/checkout" "$F/ci/gdb-tests/tests" "$F/www" "$TMP/etc/upper/ci" "$TMP/etc/work"
printf 'all:\n\t@echo "built job $(CI_JOB_ID) into $(O)"\n' > "$F/ci/checkout/Makefile"
printf 'set startup-with-shell off\nfile /usr/bin/true\nrun\necho gdb-traced-its-inferior\\n\n' \
    > "$F/ci/gdb-tests/tests/run.gdb"
echo '<p>served</p>' > "$F/www/index.html"
echo 'Authorization: Bearer dummy' > "$TMP/etc/upper/ci/deploy-auth-header"
echo dummy-pem > "$TMP/etc/upper/ci/client.pem"
chmod -R a+rX "$F"
# fx CMD...: CMD with the fixtures over /srv and /etc, in a private mount ns
fx() {
    unshare -m --propagation private sh -c '
        mount -t tmpfs -o size=4m,mode=0755 cellos-example-fixtures /srv && cp -a "$0/fix/." /srv &&
        mount -t overlay -o "lowerdir=/etc,upperdir=$0/etc/upper,workdir=$0/etc/work" cellos-example-etc /etc ||
        { echo "vm_examples: cannot set up the fixtures" >&2; exit 99; }
        echo $$ >> "$0/.cellrun-pids"; shift; exec "$@"' "$TMP" x "$@"
}
args_of() { [ "$1" = build ] && echo "-- all"; }

ran=0
for cell in "$CELLOS_TOP"/policies/examples/*.cell; do
    name=$(basename "$cell" .cell)
    if ! "$CELLC" -I "$CELLOS_TOP/policies" "$cell" -o "$TMP/$name.plan" 2>"$TMP/cc.err"; then
        skip 1 "$name: cellc: $(head -1 "$TMP/cc.err")"; continue
    fi
    if "$CELLC" dump "$TMP/$name.plan" 2>/dev/null | grep -q '^ *kernel '; then
        skip 1 "$name: its vm section pins a kernel this host does not have (runtime_examples.t gives it an image)"; continue
    fi
    if [ "$name" = service ]; then
        # a server: it must come up in the guest (its exec reported), then
        # the run is stopped (no signal path into a guest: Forced)
        rm -f "$TMP/ev.jsonl"
        fx "$CELLRUN" --unsigned --events "$TMP/ev.jsonl" --backend vm "$TMP/$name.plan" >"$TMP/out" 2>"$TMP/err" </dev/null & bg=$!
        up=1
        for _ in $(seq 600); do
            jq -e 'select(.type | endswith("step.v1.exec")) | select(.data.result == "ok")' "$TMP/ev.jsonl" >/dev/null 2>&1 && { up=0; break; }
            kill -0 $bg 2>/dev/null || break
            sleep 0.1
        done
        # $bg is the subshell running fx; cellrun is the pid fx recorded last
        # (it exec'd into it): stop that, or it and its QEMU outlive the test
        svc=$(tail -1 "$TMP/.cellrun-pids" 2>/dev/null)
        [ -n "$svc" ] && kill -TERM "$svc" 2>/dev/null
        kill -TERM $bg 2>/dev/null; wait $bg
        ok $up "service: the server comes up in the guest ($(grep -m1 -v '^$' "$TMP/err"))"
        ran=$((ran + 1)); continue
    fi
    rm -f "$TMP/ev.jsonl"
    OUT=$(fx "$CELLRUN" --unsigned --events "$TMP/ev.jsonl" --backend vm "$TMP/$name.plan" $(args_of $name) 2>"$TMP/err" </dev/null)
    RC=$?; ERR=$(cat "$TMP/err")
    case $ERR in
        *"no program for this architecture"*) skip 1 "$name: cellc wrote no seccomp program for x86_64 yet"; continue ;;
        *"cannot enforce egress"*) skip 1 "$name: refused by the vm backend by design: $ERR"; continue ;;
    esac
    ran=$((ran + 1))
    [ "$name" = debugger ] && OUT=$(printf '%s\n' "$OUT" | grep -v '^\[Inferior 1 (process')   # its pid differs
    native_out=$(fx "$CELLRUN" --backend native --unsigned --events /dev/null "$TMP/$name.plan" $(args_of $name) 2>/dev/null </dev/null)
    native_rc=$?
    [ "$name" = debugger ] && native_out=$(printf '%s\n' "$native_out" | grep -v '^\[Inferior 1 (process')
    case $name in hello|build|debugger) is "$RC" 0 "$name: runs in the VM" ;; esac
    is "$RC" "$native_rc" "$name: the same exit status in the VM as natively ($RC)"
    is "$OUT" "$native_out" "$name: the same output in the VM as natively${OUT:+ ($OUT)}"
    [ "$RC" = "$native_rc" ] || diag "$ERR"
done
ok $([ $ran -ge 5 ] && echo 0 || echo 1) "$ran example cells ran in a VM with nothing forced"
like "$(cat "$TMP/state/kvm-verdict")" " (usable|broken)" "the backend chose the mode itself (KVM probed once, verdict cached)"
done_testing
