#!/bin/bash
# vm_backend.t - `cellrun --backend vm` under QEMU TCG (software emulation,
# as on CI; CELLOS_VM_MODE=qemu-tcg): the Debian cloud kernel boots our guest
# init, which runs the plan's steps and reports each over the dedicated
# channel; exit statuses come back exactly; stdout and stderr stay apart;
# the kernel digest is checked before boot; plans the VM cannot honour are
# refused; a guest that dies, stays silent or forges its reports ends the
# cell as terminalState Forced; nothing is left behind.
. "$CELLOS_TOP/tests/lib/tap.sh"
. "$CELLOS_TOP/tests/e2e/vm_lib.sh"
need_root
vm_need
tmpdir

# 1. a command with an exit status and output on both streams
vm_plan "$TMP/a.plan" -- /bin/busybox sh -c 'echo to-stdout; echo to-stderr >&2; exit 7'
vm_run "$TMP/a.plan"
is "$RC" 7 "the workload's exit status 7 comes back exactly"
is "$OUT" "to-stdout" "stdout arrives on stdout (its own UART)"
like "$ERR" "to-stderr" "stderr arrives on stderr"
unlike "$OUT" "Linux version|cellos|\\[ *[0-9]+\\.[0-9]+\\]" "no kernel console noise in the workload's output"
types=$(ev_types)
like "$types" "^started plan_verified downgrade guest_boot guest_mounts namespaces uid_map cgroup mount_private ((mounts|mount_op) )+hostname loopback init rlimits fds env secrets caps no_new_privs landlock seccomp exec exit completed destroyed sealed $" \
     "one signed-stream event per step, guest steps first, in order"
started=$(ev_data lifecycle.v1.started)
like "$started" '"backend":"vm"' "started names the vm backend"
like "$started" '"vm_mode":"qemu-tcg"' "started carries the VM mode"
like "$started" "\"vm_kernel\":\"sha256:$(sha256sum "$VM_K/vmlinux" | cut -c1-64)\"" "started carries the kernel digest"
like "$(ev_data step.v1.exit)" '"detail":1792' "the exit record holds the wait status"
like "$(ev_data lifecycle.v1.destroyed)" '"terminalState":"Clean"' "a clean end is Clean"
"$CELLRUN" verify "$TMP/ev.jsonl" --unsigned --plan "$TMP/a.plan" >/dev/null 2>&1
ok $? "the stream verifies against the plan"
# the guest applies Landlock with its own kernel's ABI (Debian's 6.1: ABI 2,
# degraded; ABI 6 or later: ok); `landlock required` then fails closed
ll=$(ev_data step.v1.landlock)
ll_abi=$(echo "$ll" | sed -n 's/.*"detail":\([0-9]*\).*/\1/p')
if [ "${ll_abi:-0}" -ge 6 ]; then want=ok; else want=degraded; fi
like "$ll" "\"result\":\"$want\"" "the guest's landlock step: $want at the guest kernel's ABI ${ll_abi:-?}"
if [ "$want" = degraded ]; then
    vm_plan "$TMP/ll.plan" --landlock-required -- /bin/busybox echo ran
    vm_run "$TMP/ll.plan"
    is "$RC $OUT" "125 " "landlock required on a guest kernel without the whole ruleset: refused (125), the workload never ran"
    like "$(ev_data step.v1.landlock)" '"errno":"EOPNOTSUPP"' "... the landlock step failed with EOPNOTSUPP"
    like "$ERR" "step landlock: the plan requires Landlock .* ABI $ll_abi lacks" "... and cellrun says why in one line"
fi

# 2. failing commands
vm_plan "$TMP/b.plan" -- /bin/busybox false
vm_run "$TMP/b.plan"
is "$RC" 1 "a failing command's status 1 comes back"
vm_plan "$TMP/c.plan" -- /bin/busybox sh -c 'kill -TERM $$'
vm_run "$TMP/c.plan"
is "$RC" 143 "a workload killed by SIGTERM gives 128+15"
vm_plan "$TMP/d.plan" -- /no/such/program
vm_run "$TMP/d.plan"
is "$RC" 127 "a workload that is not there gives 127"
like "$ERR" "step exec: /no/such/program" "and the exec step is named"

# 3. refused before boot
VM_ADDVM_OPTS="--sha256 $(printf '0%.0s' $(seq 64))" vm_plan "$TMP/k.plan" -- /bin/busybox true
t0=$(date +%s)
vm_run "$TMP/k.plan"
is "$RC" 125 "a kernel whose SHA-256 differs from the plan's is refused"
like "$ERR" "kernel .* has SHA-256 [0-9a-f]{64} but the plan pins 0{64}: refusing to boot it" "the message says why"
is "$(ev_types)" "" "nothing ran: no event at all"
VM_ADDVM_OPTS="--initramfs-limit 2000000" vm_plan "$TMP/l.plan" -- /bin/busybox true
vm_run "$TMP/l.plan"
is "$RC" 125 "a plan whose initramfs would exceed its limit is refused"
like "$ERR" "initramfs would exceed its limit of 2000000 bytes: the read-only bind of /usr/bin/busybox" "naming the bind and the limit"
echo w > "$TMP/wfile"
vm_plan "$TMP/w.plan" --rw "$TMP/wfile:/wfile" -- /bin/busybox true
vm_run "$TMP/w.plan"
is "$RC" 125 "a writable bind of a host file is refused (9p shares directories; vm_shares.t: directories)"
like "$ERR" "cannot share a writable host file" "and says so"
# (a plan without a vm section boots the host's default kernel: vm_default_kernel.t)

# 4. guests that misbehave end as Forced
vm_plan "$TMP/s.plan" -- /bin/busybox true
CELLOS_VM_BOOT_TIMEOUT=1 vm_run "$TMP/s.plan"
is "$RC" 125 "a guest that stays silent past the boot timeout fails the run"
like "$ERR" "did not report within the boot timeout of 1000 ms" "saying so"
like "$(ev_data lifecycle.v1.destroyed)" '"terminalState":"Forced"' "terminalState Forced (silent guest)"
CELLOS_GUEST_INIT=$GUEST/vm_bare_init vm_run "$TMP/s.plan"
is "$RC" 125 "a guest that dies without reporting fails the run"
like "$ERR" "the guest ended without reporting its status" "saying so"
like "$(ev_data lifecycle.v1.destroyed)" '"terminalState":"Forced"' "terminalState Forced (dead guest)"
CELLOS_GUEST_INIT=$GUEST/vm_bad_init vm_run "$TMP/s.plan"
is "$RC" 125 "a guest that forges a report fails the run"
like "$ERR" "report channel: CRC mismatch" "the forged frame is named"
unlike "$(ev_types)" "exit" "the forged exit record never became an event"
like "$(ev_data lifecycle.v1.destroyed)" '"terminalState":"Forced"' "terminalState Forced (protocol fault)"

# 5. wall-time limit (from the workload's exec: the boot does not count),
# the set-up bound, and a cellrun that dies
vm_plan "$TMP/q.plan" --wall 1000 -- /bin/busybox echo quick
vm_run "$TMP/q.plan"
is "$RC:$OUT" "0:quick" "a 1 s wall limit still runs a quick command (the TCG boot is not counted)"
c=$(ev_data command.v1.completed)
wall=$(echo "$c" | jq .wallus); wl=$(echo "$c" | jq .workloadwallus)
ok $([ "$wl" -lt 1000000 ] && [ "$wall" -gt "$wl" ] && echo 0 || echo 1) \
   "completed: workloadwallus ($wl) within the limit, wallus ($wall) includes the boot"
vm_plan "$TMP/t.plan" --wall 1000 -- /bin/busybox sleep 600
vm_run "$TMP/t.plan"
is "$RC" 137 "the wall-time limit kills the VM"
like "$ERR" "wall-time limit of 1000 ms reached" "saying so"
like "$(ev_data lifecycle.v1.destroyed)" '"terminalState":"Forced"' "terminalState Forced (wall time)"
wl=$(ev_data command.v1.completed | jq .workloadwallus)
ok $([ "$wl" -ge 1000000 ] && [ "$wl" -lt 10000000 ] && echo 0 || echo 1) "the workload ran about 1 s ($wl us)"
CELLOS_SETUP_TIMEOUT_MS=1 vm_run "$TMP/q.plan"
is "$RC" 125 "a guest whose set-up outlasts the set-up bound (here 1 ms after guest_boot) is killed"
like "$ERR" "set-up did not finish within 1 ms" "saying so"
like "$(ev_data lifecycle.v1.destroyed)" '"terminalState":"Forced"' "terminalState Forced (set-up bound)"
"$CELLRUN" --unsigned --events /dev/null "$TMP/t.plan" >/dev/null 2>&1 </dev/null &
crpid=$!; echo $crpid >> "$TMP/.cellrun-pids"
for _ in $(seq 300); do [ -n "$(vm_qemus_of $crpid)" ] && break; sleep 0.1; done
ok $([ -n "$(vm_qemus_of $crpid)" ] && echo 0 || echo 1) "a VM is running for a cellrun"
kill -KILL $crpid; wait $crpid 2>/dev/null
for _ in $(seq 50); do [ -z "$(vm_qemus_of $crpid)" ] && break; sleep 0.1; done
is "$(vm_qemus_of $crpid)" "" "its QEMU dies with the SIGKILLed cellrun"

# 6. no residue (of this test's runs: other suites may be running VMs)
is "$(vm_orphans)" "" "no QEMU process outlives its cellrun"
for _ in $(seq 50); do [ -z "$(vm_monitors)" ] && break; sleep 0.1; done
is "$(vm_monitors)" "" "no VM monitor left"
is "$(vm_rundirs)" "" "no run directory left"
# the check catches a leak of this test's runs, and only of theirs: a fake
# QEMU named after one of our (ended) runs, a decoy named after another pid
# (a sleep whose command line reads like QEMU's: exec -a sets its argv[0])
( : ) & notours=$!; wait $notours
(exec -a "qemu-system-x86_64 -name cellos-vm-$crpid-feedface" sleep 30) & fake=$!
(exec -a "qemu-system-x86_64 -name cellos-vm-$notours-feedface" sleep 30) & decoy=$!
sleep 0.2
is "$(vm_orphans)" "$fake" "a QEMU left by one of this test's runs would be caught, another run's would not"
kill "$fake" "$decoy"; wait "$fake" "$decoy" 2>/dev/null
done_testing
