#!/usr/bin/env bash
# gvisor_basic.t - `cellrun --backend gvisor`: exit statuses, extra args,
# failing steps named, the backend's choice (flag over plan), one signed
# event per step that verifies, the started event's runsc version and OCI
# config digest, and what the backend refuses.
. "$CELLOS_TOP/tests/lib/tap.sh"
. "$CELLOS_TOP/tests/e2e/runtime_lib.sh"
. "$CELLOS_TOP/tests/e2e/gvisor_lib.sh"
need_root
need_runsc
tmpdir

gv_plan "$TMP/true.plan" -- /bin/true
gv_cell "$TMP/true.plan"
is "$RC" 0 "/bin/true in gVisor exits 0"
is "$ERR" "" "nothing on stderr"

gv_plan "$TMP/three.plan" -- /bin/sh -c 'exit 3'
gv_cell "$TMP/three.plan"
is "$RC" 3 "the workload's exit status is cellrun's"

gv_probe_plan "$TMP/sig.plan" -- kill 15
gv_cell "$TMP/sig.plan"
is "$RC" 143 "death by signal 15 gives 128+15"

gv_plan "$TMP/nf.plan" -- /no/such/binary
gv_cell "$TMP/nf.plan"
is "$RC" 127 "a workload that does not exist gives 127"
is "$ERR" "cellrun: step exec: /no/such/binary: No such file or directory" "one line naming exec and the binary"

gv_plan "$TMP/nx.plan" -- /etc/hostname
gv_cell "$TMP/nx.plan"
is "$RC" 126 "a workload that is not executable gives 126"

gv_plan "$TMP/badbind.plan" --ro /nonexistent-cellos-src:/x -- /bin/true
gv_cell "$TMP/badbind.plan"
is "$RC" 125 "a failing mount op gives 125"
like "$ERR" "^cellrun: step mount_op [0-9]+ \(bind /nonexistent-cellos-src -> /x\): No such file or directory$" \
     "the message names the step, the op and the error"

# an absent OPTIONAL bind is skipped with every op targeting only it, as natively
ops_at() { jq -r "(if .data.step == \"mounts\" then .data.ops[] elif .data.step == \"mount_op\" then .data else empty end) | select(.dst | startswith(\"$1\")) | \"\\(.opcode):\\(.result)\"" "$TMP/ev.jsonl" | tr '\n' ' '; }
gv_plan "$TMP/opt.plan" --op 3:32:/nonexistent-cellos-src:/opt/x:0:0 --op 6:7::/opt/x:0:0 \
        --op 6:1::/opt/x/sub:0:0 --op 10:0::/opt/x/secret:0:0 -- /bin/true
gv_cell "$TMP/opt.plan"
is "$RC" 0 "an absent optional bind with a remount on it: the cell runs"
is "$(ops_at /opt/x)" "bind:skipped remount:skipped remount:skipped mask:skipped " \
   "the bind, its remount and the ops beneath it are reported skipped"
gv_plan "$TMP/opt.plan" --op 3:32:/nonexistent-cellos-src:/opt/x:0:0 --op 6:7::/opt/y:0:0 -- /bin/true
gv_cell "$TMP/opt.plan"
is "$RC" 125 "a remount of another absent path still fails"
like "$ERR" "step mount_op [0-9]+ \(remount /opt/y\): No such file or directory" "naming it (ENOENT)"

gv_plan "$TMP/nocwd.plan" --no-chdir --cwd /nowhere -- /bin/true
gv_cell "$TMP/nocwd.plan"
is "$RC:$ERR" "125:cellrun: step init: working directory /nowhere: No such file or directory" \
   "a missing working directory is named"

gv_plan "$TMP/args.plan" --extra-args -- /bin/echo a
OUT=$(rt_cellrun --unsigned --events "$TMP/ev2.jsonl" --backend gvisor "$TMP/args.plan" -- b c 2>&1)
is "$OUT" "a b c" "extra args after -- are appended when the plan allows"

# the backend: the plan's preference, and the flag wins
gv_plan "$TMP/pref.plan" -- /bin/true
"$GV_RULES" "$TMP/pref.plan" --prefer gvisor
crun_cell "$TMP/pref.plan"
is "$RC:$(jq -r 'select(.type|endswith("started")) | .data.backend' "$TMP/ev.jsonl")" "0:gvisor" \
   "a plan that prefers gvisor runs in gVisor"
crun_cell "$TMP/pref.plan" --backend native
is "$RC:$(jq -r 'select(.type|endswith("started")) | .data.backend' "$TMP/ev.jsonl")" "0:native" \
   "--backend native wins over the plan"

# signed run, verified offline; the started event's facts
(cd "$TMP" && "$CELLRUN" keygen k >/dev/null)
rt_cellrun --key "$TMP/k.key" --events "$TMP/signed.jsonl" --backend gvisor "$TMP/true.plan"; RC=$?
is "$RC" 0 "a signed gVisor run succeeds"
"$CELLRUN" verify "$TMP/signed.jsonl" --trust "$TMP/k.trust.json" --plan "$TMP/true.plan" >/dev/null 2>&1
ok $? "its events verify against the key and the plan"
types=$(jq -r '.type' "$TMP/signed.jsonl" | sed 's/.*\.//' | tr '\n' ' ')
like "$types" "^started plan_verified (deviation )+namespaces uid_map cgroup mount_private (mounts )+hostname loopback init rlimits fds env secrets caps no_new_privs landlock seccomp exec exit completed destroyed sealed $" \
     "one event per step, in the native order"
started=$(jq -c 'select(.type|endswith("started")) | .data' "$TMP/signed.jsonl")
want_version=$(runsc --version | sed -n 's/^runsc version //p')
is "$(echo "$started" | jq -r .backendinfo.runsc_version)" "$want_version" "the started event carries runsc's version"
digest=$("$CELLRUN" --print-oci-config "$TMP/true.plan" 2>/dev/null | sha256sum | cut -d' ' -f1)
is "$(echo "$started" | jq -r .backendinfo.oci_config_sha256)" "$digest" \
   "and the SHA-256 of the config --print-oci-config prints"
like "$(echo "$started" | jq -r .backendinfo.platform)" "^(ptrace|kvm)$" "and the platform"
ops=$(jq -r '(if .data.step=="mounts" then .data.ops[] elif .data.step=="mount_op" then .data else empty end) | .opindex' "$TMP/signed.jsonl" | tr '\n' ' ')
n_ops=$(echo "$ops" | wc -w)
is "$ops" "$(seq -s ' ' 0 $((n_ops - 1))) " "every mount op is reported once, in program order"

# refused, with the reason, before anything runs
refused() {   # refused NAME REGEX PLAN [cellrun opts]: 125 and the reason
    local name=$1 re=$2 plan=$3; shift 3
    gv_cell "$plan" "$@"
    is "$RC" 125 "$name is refused"
    like "$ERR" "$re" "  ... saying why"
    [ ! -s "$TMP/ev.jsonl" ]; ok $? "  ... before any event"
}
gv_plan "$TMP/r.plan" --pass-fd 5 -- /bin/true
refused "a passed fd" "passes fd 5; runsc passes only stdin" "$TMP/r.plan"
gv_plan "$TMP/r.plan" --umask 077 -- /bin/true
refused "a umask runsc ignores" "umask 077" "$TMP/r.plan"
gv_plan "$TMP/r.plan" --pids 32 -- /bin/true
refused "a pids limit" "limits.pids cannot be enforced by the gvisor backend" "$TMP/r.plan"
probe_plan "$TMP/r.plan" --seccomp notify -- ids
refused "user_notif" "user_notif" "$TMP/r.plan"
mkplan "$TMP/r.plan" -- /bin/true
refused "rules that disagree with the program" "rules and its compiled x86_64 program disagree for ptrace" "$TMP/r.plan"
gv_plan "$TMP/r.plan" --op 8:0:/dev/kvm:/dev/kvm:0:0 -- /bin/true
refused "a host device other than the six" "only /dev/null, /dev/zero" "$TMP/r.plan"
gv_plan "$TMP/r.plan" -- /bin/true
"$GV_RULES" "$TMP/r.plan" --platform systrap
if runsc help platforms | grep -qx systrap; then
    skip 3 "this runsc has the systrap platform"
else
    refused "a platform this runsc lacks (systrap)" "asks for the systrap platform, which .* does not have \\(it has: " "$TMP/r.plan"
fi
if setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
    chmod 755 "$TMP"; chmod 644 "$TMP/true.plan"
    OUT=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$CELLRUN" --unsigned --events /dev/null \
          --backend gvisor "$TMP/true.plan" 2>&1 </dev/null); RC=$?
    is "$RC" 125 "rootless is refused"
    like "$OUT" "needs root" "  ... saying why"
else
    skip 2 "setpriv cannot switch to nobody"
fi

# --print-oci-config: deterministic, secrets redacted, PASS values from the environment
gv_plan "$TMP/s.plan" --pass PASSME --secret tok:env:CELLOS_TEST_TOKEN:env:TOKEN -- /bin/true
a=$(PASSME=1 "$CELLRUN" --print-oci-config "$TMP/s.plan" 2>/dev/null | sha256sum)
b=$(PASSME=1 "$CELLRUN" --print-oci-config "$TMP/s.plan" 2>/dev/null | sha256sum)
c=$(PASSME=2 "$CELLRUN" --print-oci-config "$TMP/s.plan" 2>/dev/null | sha256sum)
is "$a" "$b" "the printed config is the same for the same plan and environment"
isnt_same=$([ "$a" != "$c" ] && echo yes); is "$isnt_same" yes "a PASS value from the environment changes it"
cfg=$(CELLOS_TEST_TOKEN=hunter2 PASSME=1 "$CELLRUN" --print-oci-config "$TMP/s.plan" 2>/dev/null)
like "$cfg" '"TOKEN=<secret tok>"' "an env secret is printed as a placeholder"
unlike "$cfg" hunter2 "its value never"
CELLOS_TEST_TOKEN=hunter2 gv_cell "$TMP/s.plan"
unlike "$(cat "$TMP/ev.jsonl")" hunter2 "the secret value is in no event"
jq -e . <<<"$cfg" >/dev/null; ok $? "the printed config is valid JSON"

# runsc's processes start with a 1024-slot descriptor table, so that none
# grows it while multi-threaded (an RCU grace period each; see
# docs/performance.md): an O_PATH /dev/null at 1023
if [ "$(ulimit -Sn)" != unlimited ] && [ "$(ulimit -Sn)" -lt 1024 ]; then
    skip 2 "the soft RLIMIT_NOFILE is below 1024 here"
else
    gv_plan "$TMP/fdt.plan" -- /bin/sleep 30
    "$CELLRUN" --unsigned --events /dev/null --backend gvisor "$TMP/fdt.plan" </dev/null >/dev/null 2>&1 &
    cpid=$!
    echo "$cpid" >> "$TMP/.cellrun-pids"
    procs=""
    for i in $(seq 200); do
        run=$(pgrep -f "^runsc .* run .*cellos-$cpid-" | head -1)
        if [ -n "$run" ]; then
            procs="$run $(pgrep -P "$run" | tr '\n' ' ')"
            [ "$(echo $procs | wc -w)" -ge 3 ] && break
        fi
        sleep 0.05
    done
    seen=""
    for p in $procs; do
        name=$(tr '\0' ' ' <"/proc/$p/cmdline" | cut -d' ' -f1)
        fds=$(awk '/^FDSize:/ {print $2}' "/proc/$p/status")
        seen="$seen $name:$([ "${fds:-0}" -ge 1024 ] && echo 1024+ || echo "$fds"):$(readlink "/proc/$p/fd/1023"):$(awk '/^flags:/ {print $2}' "/proc/$p/fdinfo/1023" 2>/dev/null)"
    done
    kill -TERM "$cpid"
    wait "$cpid"
    is "$(echo $seen | tr ' ' '\n' | sort | tr '\n' ' ')" \
       "runsc-gofer:1024+:/dev/null:010000000 runsc-sandbox:1024+:/dev/null:010000000 runsc:1024+:/dev/null:010000000 " \
       "runsc run, its gofer and its sandbox: a 1024-slot table, an O_PATH /dev/null at 1023 (not close-on-exec)"
    gv_wait_clean "$cpid"; ok $? "  ... and that run, ended by SIGTERM, leaves nothing"
fi

is "$(gv_residue)" "" "no runsc process or cgroup left behind"
done_testing
