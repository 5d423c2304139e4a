#!/bin/bash
# vm_features.t - the plan's own steps take effect inside the guest: one VM
# runs a script of probes (the runtime tests' static cellprobe) and the
# answers must match the plan: no capabilities, no_new_privs, the seccomp
# filter, the plan's hostname, ids, environment, read-only binds, lo down
# without network, stdout/stderr no terminal when cellrun's are none; a second VM shows the pids limit enforced by the guest's
# cgroup v2 (CGROUP step ok, not skipped).
. "$CELLOS_TOP/tests/lib/tap.sh"
. "$CELLOS_TOP/tests/e2e/vm_lib.sh"
need_root
vm_need
# The sanitizer pass rebuilds only host code; the guest side is identical and
# vm_backend.t/vm_rootfs.t exercise the sanitized host paths. Boots are slow.
[ "${CELLOS_SANITIZE:-0}" = 1 ] && skip_all "guest-side checks run in the normal pass (sanitizer pass: host paths in vm_backend.t)"
PROBE=$CELLOS_BUILD/t/runtime/cellprobe
[ -x "$PROBE" ] || skip_all "runtime cellprobe not built"
tmpdir

P=/t/cellprobe
vm_plan "$TMP/f.plan" --ro "$PROBE:/t/cellprobe" --hostname guestcell --uid 1000 --gid 1000 --env CELLVAR=hello \
    --op 2:0::/proc:0555:0 --op 7:0::/proc:0:0 -- \
    /bin/busybox sh -c "$P status; echo host=\$($P hostname); echo ids=\$($P ids); echo env=\$CELLVAR;
                        echo bin=\$($P write /t/x); echo ifaces=\$($P ifaces); echo cwd=\$($P cwd);
                        [ -t 1 ] || echo stdout=notty; [ -t 2 ] || echo stderr=notty"
vm_run "$TMP/f.plan"
is "$RC" 0 "the probe script ran in the guest"
diag "$(echo "$OUT" | tr '\n' ' ')"
like "$OUT" "CapEff:[[:space:]]*0+$" "no effective capabilities"
like "$OUT" "CapBnd:[[:space:]]*0+$" "empty bounding set"
like "$OUT" "NoNewPrivs:[[:space:]]*1" "no_new_privs set"
like "$OUT" "Seccomp:[[:space:]]*2" "seccomp filter loaded"
like "$OUT" "host=guestcell" "the plan's hostname"
like "$OUT" "ids=1000 1000" "the plan's uid and gid"
like "$OUT" "env=hello" "the plan's environment"
like "$OUT" "bin=(EROFS|EACCES)" "a read-only bind cannot be written"
like "$OUT" "ifaces=.*lo:down" "network none: lo stays down"
unlike "$OUT" "ifaces=.*eth|ifaces=.*ens" "no network device in the guest"
# cellrun's stdout and stderr here are no terminal, so natively the
# workload's are pipes: in the guest too, not its UARTs (ls, git, python
# behave differently on a terminal; git log waited for a pager's RETURN)
like "$OUT" "stdout=notty" "the workload's stdout is no terminal when cellrun's is none, as natively"
like "$OUT" "stderr=notty" "nor its stderr"

vm_plan "$TMP/p.plan" --ro "$PROBE:/t/cellprobe" --pids 8 -- /t/cellprobe forkbomb 40
vm_run "$TMP/p.plan"
diag "forkbomb: $OUT"
is "$RC" 137 "the fork probe ran (it ends by killing its own process group, as natively)"
n=$(echo "$OUT" | grep -o '[0-9]*' | head -1)
ok $([ -n "$n" ] && [ "$n" -lt 40 ] && echo 0 || echo 1) "the pids limit stops forks in the guest ($n of 40)"
like "$(ev_data step.v1.cgroup)" '"result":"ok"' "the CGROUP step ran in the guest (cgroup v2)"

# an absent OPTIONAL bind is skipped with every op targeting only it (its
# remount), as natively: the host leaves it out of the initramfs, the guest
# skips it
vm_plan "$TMP/o.plan" --op 3:32:/nonexistent-cellos-src:/opt/x:0:0 --op 6:7::/opt/x:0:0 -- /bin/busybox echo ran
vm_run "$TMP/o.plan"
is "$RC:$OUT" "0:ran" "an absent optional bind with a remount on it: the guest runs the cell"
is "$(jq -r '(if .data.step == "mounts" then .data.ops[] elif .data.step == "mount_op" then .data else empty end) | select(.dst == "/opt/x") | "\(.opcode):\(.result)"' "$TMP/ev.jsonl" | tr '\n' ' ')" \
   "bind:skipped remount:skipped " "the bind and its remount are reported skipped"
done_testing
