#!/bin/bash
# vm_escape.t - the runtime team's escape probes (tests/escape/) run inside
# a VM cell (QEMU TCG), under the runtime tests' default seccomp filter, root
# in the cell without capabilities (setuid_exec as uid 1000, in a second VM).
# Every probe must report CONTAINED, or be killed by the seccomp filter
# (SIGSYS) without printing ESCAPED. One VM runs all probes in turn (a boot
# per probe would take minutes under emulation): VM_ESCAPE_EACH=1 gives
# each probe its own VM.
. "$CELLOS_TOP/tests/lib/tap.sh"
. "$CELLOS_TOP/tests/e2e/vm_lib.sh"
need_root
vm_need
vm_need_9p
# The sanitizer pass rebuilds only host code; the guest side is identical and
# vm_backend.t/vm_rootfs.t exercise the sanitized host paths. Boots are slow.
[ "${CELLOS_SANITIZE:-0}" = 1 ] && skip_all "guest-side checks run in the normal pass (sanitizer pass: host paths in vm_backend.t)"
ESC=$CELLOS_BUILD/t/runtime/escape
ls "$ESC"/* >/dev/null 2>&1 || skip_all "escape probes not built (tests/escape/ from the runtime team)"
tmpdir
echo host-only > "$TMP/host-secret"
# the host-integrity check after every VM run (hostint_lib.sh; one VM runs
# all probes, so "after every probe" is after that VM)
. "$CELLOS_TOP/tests/e2e/hostint_lib.sh"
hi_begin

args_of() {
    case $1 in
        abstract_unix) echo "cellos-escape-vm-$$" ;;   # a host abstract socket the guest cannot reach
        host_files) echo "$TMP/host-secret" ;;          # a host file that is not in the guest
    esac
}
LAYOUT=(--ro "$ESC:/t" --op 2:0::/proc:0555:0 --op 7:0::/proc:0:0
        --op 2:0::/dev:0755:0 --op 4:6::/dev:0755:1048576 --op 8:0:/dev/null:/dev/null:0:0
        --op 8:0:/dev/zero:/dev/zero:0:0 --op 2:0::/tmp:1777:0 --op 4:6::/tmp:1777:4194304
        --post-op 6:15::/proc/sys)
for m in /proc/kcore /proc/keys /proc/timer_list /proc/sysrq-trigger /proc/acpi /proc/scsi \
         /proc/kpagecgroup /proc/kpagecount /proc/kpageflags /proc/pagetypeinfo /proc/slabinfo /proc/tty/driver /proc/vmallocinfo; do
    LAYOUT+=(--post-op "10:32::$m")       # the runtime tests' default /proc masks (optional)
done

script=""
names=()
for src in "$CELLOS_TOP"/tests/escape/*.c; do
    name=$(basename "$src" .c)
    [ -x "$ESC/$name" ] || continue
    [ "$name" = setuid_exec ] || [ "$name" = kill_host ] && continue
    names+=("$name")
    script="$script o=\$(/t/$name $(args_of "$name") 2>&1 </dev/null); echo $name rc=\$? \$o;"   # unquoted: one line per probe
done
check() {   # NAME OUTPUT-LINE
    local name=$1 line=$2 rc
    rc=$(printf '%s' "$line" | sed -n 's/^[^ ]* rc=\([0-9]*\).*/\1/p')
    # (proc_sys_write: Debian's guest kernel has /proc/sysrq-trigger, which the
    # plan masks; the mask is read-only, so the probe's write must fail)
    if printf '%s' "$line" | grep -q "ESCAPED"; then ok 1 "$name: $line"
    elif printf '%s' "$line" | grep -q " CONTAINED"; then ok 0 "$name: contained"
    elif [ "$rc" = 159 ]; then ok 0 "$name: killed by the seccomp filter (SIGSYS)"
    else ok 1 "$name: no verdict: $line"; fi
}
if [ "${VM_ESCAPE_EACH:-0}" = 1 ]; then
    for name in "${names[@]}"; do
        vm_plan "$TMP/e.plan" "${LAYOUT[@]}" -- /bin/busybox sh -c "o=\$(/t/$name $(args_of "$name") 2>&1 </dev/null); echo $name rc=\$? \$o"
        vm_run "$TMP/e.plan"
        check "$name" "$OUT"
        hi_probe_check "$name"
    done
else
    # kill_host must be the only process besides the cell's init: the shell
    # ends by exec'ing it, and its verdict is the line after the marker
    vm_plan "$TMP/e.plan" "${LAYOUT[@]}" -- /bin/busybox sh -c "$script echo kill_host-next; exec /t/kill_host"
    vm_run "$TMP/e.plan"
    ok $([ "$RC" = 0 ] || [ "$RC" = 1 ] && echo 0 || echo 1) "one VM ran all $((${#names[@]} + 1)) probes (exit $RC)"
    [ "$RC" = 0 ] || [ "$RC" = 1 ] || diag "$ERR"
    for name in "${names[@]}"; do
        check "$name" "$(printf '%s\n' "$OUT" | grep "^$name rc=" | head -1)"
    done
    kh=$(printf '%s\n' "$OUT" | sed -n '/^kill_host-next$/{n;p;}')
    check kill_host "kill_host rc=$RC $kh"
    hi_probe_check "the VM of all probes"
fi
if [ -x "$ESC/setuid_exec" ]; then
    vm_plan "$TMP/u.plan" "${LAYOUT[@]}" --uid 1000 --gid 1000 -- /bin/busybox sh -c 'o=$(/t/setuid_exec 2>&1); echo "setuid_exec rc=$? $o"'
    vm_run "$TMP/u.plan"
    check setuid_exec "$OUT"
    hi_probe_check setuid_exec
fi
ok $([ "${#names[@]}" -ge 25 ] && echo 0 || echo 1) "at least 25 probes ran in the guest (${#names[@]} + kill_host + setuid_exec)"

# Second pass: the suite's own policy (tests/escape/escape.cell.in: std/base,
# std/syscalls, std/syscalls-network, as nobody, default kill-process),
# compiled by cellc and run with nothing forced (the backend picks the
# hypervisor; /usr and the probes' directory are 9p shares). One VM runs
# every probe through a shell (the policy's argv replaced; its syscall
# policy as it is), kill_host last by exec.
unset CELLOS_VM_MODE
export CELLOS_VM_STATE_DIR=$TMP/state
all=""
for src in "$CELLOS_TOP"/tests/escape/*.c; do
    name=$(basename "$src" .c)
    [ -x "$ESC/$name" ] && [ "$name" != kill_host ] && all="$all $name"
done
script="for p in$all; do case \$p in abstract_unix) a=cellos-escape-vm2-$$;; host_files) a=$TMP/host-secret;; *) a=;; esac; o=\$(/t/\$p \$a 2>\&1 </dev/null); echo \$p rc=\$? \$o; done; echo kill_host-next; exec /t/kill_host"
sed -e "s|argv \"/t/@PROBE@\"@ARGS@;|argv \"/bin/sh\", \"-c\", \"$script\";|" -e "s|@DIR@|$ESC|" -e "s|wall 30s;|wall 300s;|" \
    "$CELLOS_TOP/tests/escape/escape.cell.in" > "$TMP/p.cell"
"$CELLC" -I "$CELLOS_TOP/policies" "$TMP/p.cell" -o "$TMP/p.plan" 2>"$TMP/cc.err"
ok $? "the escape policy compiles with a shell running every probe ($(head -1 "$TMP/cc.err"))"
vm_run "$TMP/p.plan" --backend vm
ok $([ "$RC" = 0 ] || [ "$RC" = 1 ] && echo 0 || echo 1) "std/base + std/syscalls, nothing forced: one VM ran every probe (exit $RC)"
[ "$RC" = 0 ] || [ "$RC" = 1 ] || diag "$ERR"
like "$(ev_data lifecycle.v1.started)" '"vm_shares":"ro:/usr' "  /usr shared read-only"
n=0
for name in $all; do
    check "$name (std policy)" "$(printf '%s\n' "$OUT" | grep "^$name rc=" | head -1)"
    n=$((n + 1))
done
kh=$(printf '%s\n' "$OUT" | sed -n '/^kill_host-next$/{n;p;}')
check "kill_host (std policy)" "kill_host rc=$RC $kh"
ok $([ $n -ge 25 ] && echo 0 || echo 1) "at least 25 probes under the std policy ($n + kill_host)"
done_testing
