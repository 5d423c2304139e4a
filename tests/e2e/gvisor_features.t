#!/usr/bin/env bash
# gvisor_features.t - runtime_features.t again under the gvisor backend:
# each isolation feature observed from inside a gVisor cell, with the
# runtime tests' plans and probes. Where gVisor shows a feature differently
# the expectation says how (docs/backends.md has the table).
. "$CELLOS_TOP/tests/lib/tap.sh"
. "$CELLOS_TOP/tests/e2e/runtime_lib.sh"
. "$CELLOS_TOP/tests/e2e/gvisor_lib.sh"
need_root
need_runsc
tmpdir
# gvisor_probe beside cellprobe, in a directory bound at /t
mkdir "$TMP/t" && cp "$PROBE" "$GV_PROBE" "$TMP/t/" && chmod 755 "$TMP" "$TMP/t"
gvp() { local out=$1; shift; local o=(); while [ "$1" != -- ]; do o+=("$1"); shift; done; shift
        gv_plan "$out" --ro "$TMP/t:/t" "${o[@]}" -- "$@"; }

# ---- filesystem
gv_probe_plan "$TMP/p.plan" -- write /usr/cellos-probe
gv_cell "$TMP/p.plan"
is "$OUT" EROFS "a read-only bind (/usr) refuses writes with EROFS"
gv_probe_plan "$TMP/p.plan" -- write /cellos-probe
gv_cell "$TMP/p.plan"
is "$OUT" EROFS "the root itself is read-only"
gv_probe_plan "$TMP/p.plan" -- write /etc/cellos-probe
gv_cell "$TMP/p.plan"
is "$OUT" EROFS "/etc is read-only"
gv_probe_plan "$TMP/p.plan" -- write /work/out
gv_cell "$TMP/p.plan"
is "$OUT" ok "the workspace is writable"
gv_probe_plan "$TMP/p.plan" -- write /proc/sys/kernel/hostname
gv_cell "$TMP/p.plan"
is "$OUT" ENOENT "/proc/sys is not writable (gVisor: an empty read-only directory)"
gv_probe_plan "$TMP/p.plan" -- read /proc/keys
gv_cell "$TMP/p.plan"
is "$OUT" "ok 0" "masked /proc/keys reads empty"
# a MASK as natively: an empty read-only file (a read-only bind of an empty
# 0444 file) or an empty read-only tmpfs (0555); reads give nothing, writes
# fail. gVisor checks the file's mode before the mount's read-only flag, so a
# workload without CAP_DAC_OVERRIDE gets EACCES where native says EROFS
mkdir -p "$TMP/masked/dir" && echo host-data > "$TMP/masked/file" && chmod 666 "$TMP/masked/file"
chmod 777 "$TMP/masked/dir"
for probe in "read /m/file:ok 0" "write /m/file:EACCES" "write /m/dir/new:EACCES"; do
    gv_probe_plan "$TMP/p.plan" --rw "$TMP/masked:/m" --op "10:0::/m/file:0:0" --op "10:0::/m/dir:0:0" -- ${probe%%:*}
    gv_cell "$TMP/p.plan"
    is "$OUT" "${probe#*:}" "masked: ${probe%%:*} gives ${probe#*:}"
done
gv_plan "$TMP/p.plan" --rw "$TMP/masked:/m" --op "10:0::/m/file:0:0" --cap 1 -- /bin/sh -c '{ echo x > /m/file; } 2>&1 && echo written'
gv_cell "$TMP/p.plan"
like "$OUT" "^[^ ]*sh: .*/m/file: Read-only file system$" "not even with CAP_DAC_OVERRIDE in the cell (EROFS)"
is "$(cat "$TMP/masked/file"):$(ls -A "$TMP/masked/dir")" "host-data:" "the host file and directory are untouched"
gv_probe_plan "$TMP/p.plan" -- cwd
gv_cell "$TMP/p.plan"
is "$OUT" /work "the working directory is the plan's"
echo secret-host-file > "$TMP/hostfile"
gv_probe_plan "$TMP/p.plan" -- read "$TMP/hostfile"
gv_cell "$TMP/p.plan"
is "$OUT" ENOENT "host files outside the grants do not exist in the cell"
gv_probe_plan "$TMP/p.plan" -- read /sys/kernel/vmcoreinfo
gv_cell "$TMP/p.plan"
is "$OUT" ENOENT "no sysfs: /sys is empty (gVisor would mount its own)"
gv_plan "$TMP/p.plan" -- /bin/sh -c 'head -c 100000 /dev/zero > /dev/shm/f; echo $?'
gv_cell "$TMP/p.plan"
is "$OUT" 0 "/dev/shm is a writable tmpfs"
gv_plan "$TMP/p.plan" --op "4:2::/small:0755:65536" -- /bin/sh -c 'head -c 200000 /dev/zero > /small/f 2>/dev/null; echo $?'
gv_cell "$TMP/p.plan"
is "$OUT" 1 "a tmpfs has the plan's size (64 KiB: a 200 KB write fails)"
gvp "$TMP/p.plan" -- /t/gvisor_probe exec /etc/hostname
gv_cell "$TMP/p.plan"
is "$OUT" EACCES "noexec /etc: nothing there executes"
mkdir -p "$TMP/devs" && mknod "$TMP/devs/null" c 1 3 && chmod 666 "$TMP/devs/null"
gv_probe_plan "$TMP/p.plan" --ro "$TMP/devs:/devs" -- read /devs/null
gv_cell "$TMP/p.plan"
is "$OUT" EACCES "a device node inside a nodev bind cannot be opened (host-enforced nodev; gVisor ignores nodev)"
ls -A "$TMP/devs" | grep -qv null; ok $([ $? -ne 0 ] && echo 0 || echo 1) "nothing was created in the bound host directory"

# ---- processes
gv_probe_plan "$TMP/p.plan" -- pids
gv_cell "$TMP/p.plan"
is "$OUT" "1 " "/proc shows only the cell (gVisor: the workload is PID 1)"

# ---- network
gv_probe_plan "$TMP/p.plan" -- ifaces
gv_cell "$TMP/p.plan"
is "$OUT" "lo:up" "network none: only gVisor's own loopback (up, reaching nothing outside)"
gv_plan "$TMP/p.plan" -- /bin/sh -c 'exec 3<>/dev/tcp/1.1.1.1/53 && echo connected || echo refused'
gv_cell "$TMP/p.plan"
unlike "$OUT" connected "nothing outside the sandbox is reachable"
gv_probe_plan "$TMP/p.plan" --net loopback -- ifaces
gv_cell "$TMP/p.plan"
is "$OUT" "lo:up" "network loopback: only lo, up"
# egress (tests/e2e/gvisor_egress.t has the rules): gVisor's netstack on
# the interface netd gives the cell's namespace, plus its own loopback
gv_probe_plan "$TMP/p.plan" --net egress -- ifaces
gv_cell "$TMP/p.plan"
is "$RC:$(echo "$OUT" | sort | paste -sd" ")" "0:eth0:up lo:up" "network egress: the gateway's interface and lo, up"

# ---- hostname
gv_probe_plan "$TMP/p.plan" --hostname builder-7 -- hostname
gv_cell "$TMP/p.plan"
is "$OUT" builder-7 "hostname from the plan"
gv_probe_plan "$TMP/p.plan" --name mycell -- hostname
gv_cell "$TMP/p.plan"
is "$OUT" mycell "hostname defaults to the cell name"

# ---- credentials, caps, no_new_privs, seccomp
gv_probe_plan "$TMP/p.plan" -- status
gv_cell "$TMP/p.plan"
like "$OUT" "CapEff:[[:space:]]+0000000000000000" "CapEff 0"
like "$OUT" "CapPrm:[[:space:]]+0000000000000000" "CapPrm 0"
like "$OUT" "CapBnd:[[:space:]]+0000000000000000" "CapBnd 0"
like "$OUT" "CapInh:[[:space:]]+0000000000000000" "CapInh 0"
like "$OUT" "Seccomp:[[:space:]]+2" "Seccomp 2 (filter)"
gvp "$TMP/p.plan" -- /t/gvisor_probe privs
gv_cell "$TMP/p.plan"
is "$OUT" "nnp 1 seccomp 2 ambient 0000000000000000" "no_new_privs, a filter and no ambient capability (prctl: gVisor's status has no such lines)"
gv_probe_plan "$TMP/p.plan" --cap 10 --uid 1000 --gid 1000 -- status
gv_cell "$TMP/p.plan"
like "$OUT" "CapEff:[[:space:]]+0000000000000400" "a granted capability (net_bind_service) is kept for a non-root workload"
like "$OUT" "CapBnd:[[:space:]]+0000000000000400" "and is the only one in the bounding set"
gv_probe_plan "$TMP/p.plan" --uid 1234 --gid 4321 -- ids
gv_cell "$TMP/p.plan"
is "$OUT" "1234 4321" "the workload runs with the plan's uid and gid"
probe_plan "$TMP/p.plan" --seccomp none -- ids
gv_cell "$TMP/p.plan"
is "$RC" 125 "a plan without a seccomp program for this arch is refused"
gv_plan "$TMP/p.plan" -- /bin/sh -c 'unshare -U true 2>/dev/null; echo $?'
gv_cell "$TMP/p.plan"
isnt0=$([ "$OUT" != 0 ] && echo yes); is "$isnt0" yes "a denied syscall (unshare) fails inside gVisor too"
gvp "$TMP/p.plan" -- /bin/sh -c 'setpriv --help >/dev/null 2>&1; python3 -c "import ctypes,os; l=ctypes.CDLL(None,use_errno=True); print(l.syscall(435,0,0), ctypes.get_errno())" 2>/dev/null || echo nopython'
gv_cell "$TMP/p.plan"
like "$OUT" "^-1 38$|nopython" "clone3 fails with ENOSYS (errno(38) rule, exact in gVisor)"

# ---- environment and descriptors
export CELLOS_HOST_ONLY=leak PASSME=passed
gv_probe_plan "$TMP/p.plan" --env A=1 --env HOME=/work --pass PASSME --pass UNSET_ON_HOST -- env
gv_cell "$TMP/p.plan"
is "$(echo "$OUT" | sort | tr '\n' ' ')" "A=1 HOME=/work PASSME=passed " "exactly the plan's environment (PASS from the host, unset ones left out)"
gv_probe_plan "$TMP/p.plan" -- fds
OUT=$(rt_cellrun --unsigned --events "$TMP/ev.jsonl" --backend gvisor "$TMP/p.plan" 5</etc/hostname 9>"$TMP/x" </dev/null 2>/dev/null)
is "$OUT" "0 1 2 " "host fds are not visible (only stdio)"
gv_plan "$TMP/p.plan" --secret cfg:file:$TMP/secret.txt:file:/work/s/cfg --secret tok:env:CELLOS_TEST_TOKEN:env:TOKEN \
    --op "2:0::/work/s:0755:0" -- /bin/sh -c 'echo "$TOKEN"; cat /work/s/cfg; find /work/s/cfg -printf "%m %U\\n"; echo x > /work/s/new 2>/dev/null || echo ro'
echo file-secret > "$TMP/secret.txt"
CELLOS_TEST_TOKEN=env-secret gv_cell "$TMP/p.plan"
is "$(echo "$OUT" | tr '\n' ' ')" "env-secret file-secret 400 0 ro " "secrets: env, and a 0400 file in a directory of its own"

# ---- rlimits
gv_probe_plan "$TMP/p.plan" --rlimit 7:64:128 -- rlimit 7
gv_cell "$TMP/p.plan"
is "$OUT" "64 128" "RLIMIT_NOFILE from the plan"
gv_plan "$TMP/fsz.plan" --rlimit 1:1024:1024 -- /bin/sh -c 'head -c 4096 /dev/zero > /work/f; echo $?'
gv_cell "$TMP/fsz.plan"
like "$OUT" "^1|^153" "RLIMIT_FSIZE stops a larger write"

# ---- cgroup limits: on the whole sandbox (gVisor's kernel counts too)
gv_probe_plan "$TMP/p.plan" --memory $((64 << 20)) -- memhog 256
gv_cell "$TMP/p.plan"
is "$RC" 137 "a memory hog over the limit is killed (137)"
gv_probe_plan "$TMP/p.plan" --memory $((64 << 20)) -- memhog 16
gv_cell "$TMP/p.plan"
is "$OUT" survived "within the limit it runs"
pk=$(jq -r 'select(.type|endswith("completed")) | .data.peakmemorybytes' "$TMP/ev.jsonl")
like "$pk" "^[1-9][0-9]+$" "peak memory is reported in the completed event"
cg=$(jq -r 'select(.data.step=="cgroup") | .data.result + " " + (.data.detail|tostring)' "$TMP/ev.jsonl")
is "$cg" "ok 1" "the cgroup step reports the memory limit enforced"
gv_probe_plan "$TMP/p.plan" --pids 16 -- forkbomb 10
gv_cell "$TMP/p.plan"
is "$RC" 125 "a pids limit is refused (gVisor has no per-container pids controller)"
gv_probe_plan "$TMP/p.plan" --pids 16 --best-effort pids --cpu 500 -- ids
gv_cell "$TMP/p.plan"
is "$RC" 0 "a best-effort pids limit runs without it"
cg=$(jq -r 'select(.data.step=="cgroup") | .data.result + " " + (.data.detail|tostring)' "$TMP/ev.jsonl")
is "$cg" "degraded 4" "the cgroup step says degraded (cpu enforced, pids not)"
like "$(cat "$TMP/ev.jsonl")" '"step":"downgrade".*"what":"limits.pids"' "and the downgrade is an event"
# gVisor's own CPU clocks count a throttled task's waiting too: measure work
gvp "$TMP/p.plan" -- /t/gvisor_probe loops 1500
gv_cell "$TMP/p.plan"; free=${OUT:-0}
gvp "$TMP/p.plan" --cpu 100 -- /t/gvisor_probe loops 1500
gv_cell "$TMP/p.plan"; capped=${OUT:-999999}
ok $([ $((capped * 3)) -lt "$free" ] && echo 0 || echo 1) \
   "a cell limited to 0.1 cpu does ${capped}M loop iterations in 1.5 s (unlimited: ${free}M)"

# ---- wall time
gv_probe_plan "$TMP/p.plan" --wall 300 -- sleep 30
start=$(date +%s%N)
gv_cell "$TMP/p.plan"
took=$(( ($(date +%s%N) - start) / 1000000 ))
is "$RC" 137 "the wall-time limit kills the cell (137)"
like "$ERR" "wall-time limit of 300 ms" "and says so"
ok $([ "$took" -lt 5000 ] && echo 0 || echo 1) "well before the workload's own end (${took} ms)"
is "$(jq -r 'select(.type|endswith("destroyed")) | .data.terminalState' "$TMP/ev.jsonl")" Forced "the destroyed event says Forced"
wl=$(jq -r 'select(.type|endswith("completed")) | .data.workloadwallus' "$TMP/ev.jsonl")
wall=$(jq -r 'select(.type|endswith("completed")) | .data.wallus' "$TMP/ev.jsonl")
ok $([ "$wl" -ge 300000 ] && [ "$wl" -lt 5000000 ] && [ "$wall" -ge "$wl" ] && echo 0 || echo 1) \
   "completed: the workload's wall time (workloadwallus $wl) is the limit's, the cell's (wallus $wall) includes set-up"
# the set-up has its own bound (CELLOS_SETUP_TIMEOUT_MS, default 60 s): a
# cell that has not started its workload by then is killed
gv_probe_plan "$TMP/p.plan" -- sleep 0
CELLOS_SETUP_TIMEOUT_MS=1 gv_cell "$TMP/p.plan"
is "$RC" 125 "a set-up that outlasts its bound (1 ms here) fails the run"
like "$ERR" "set-up did not finish within 1 ms" "and says so"
is "$(jq -r 'select(.type|endswith("destroyed")) | .data.terminalState' "$TMP/ev.jsonl")" Forced "terminalState Forced"

# ---- signals forwarded
gv_probe_plan "$TMP/p.plan" -- sleep 30
"$CELLRUN" --unsigned --events "$TMP/ev.jsonl" --backend gvisor "$TMP/p.plan" </dev/null & cr=$!; echo $cr >> "$TMP/.cellrun-pids"
sleep 1.5; kill -TERM $cr; wait $cr; RC=$?
is "$RC" 143 "SIGTERM to cellrun reaches the workload (143)"
"$CELLRUN" --unsigned --events "$TMP/ev.jsonl" --backend gvisor "$TMP/p.plan" </dev/null & cr=$!; echo $cr >> "$TMP/.cellrun-pids"
sleep 1.5; kill -INT $cr; wait $cr; RC=$?
is "$RC" 130 "SIGINT to cellrun reaches the workload (130)"

# ---- syscalls runsc knows by other names: a plan that allows them (here
# std/syscalls, under a kill-process default) works the same in gVisor
if [ -x "${CELLC:-}" ]; then
    cat > "$TMP/sel.cell" <<CELL
use "std/base";
use "std/syscalls";
cell sel {
    process { argv "$GV_PROBE", "select"; }
    filesystem { ro "$GV_T"; }
    network none;
    syscalls { default kill-process; allow _sysctl; }
}
CELL
    "$CELLC" -I "$CELLOS_TOP/policies" "$TMP/sel.cell" -o "$TMP/sel.plan"
    crun_cell "$TMP/sel.plan"
    is "$RC:$OUT" "0:pselect6 0 select 0 _sysctl ran" "natively: pselect6, select() and _sysctl as the plan allows"
    gv_cell "$TMP/sel.plan"
    is "$RC:$OUT" "0:pselect6 0 select 0 _sysctl ran" "in gVisor too (runsc's names pselect and sysctl are given)"
    # calls gVisor runs unlike Linux (a parity sweep found them: coreutils
    # ls -l and stat fail on every file in gVisor): not seccomp, the
    # sentry itself; a plan that allows them gets a deviation note
    sed -e 's/"select"/"sentry"/' -e 's/cell sel/cell sen/' -e 's/ allow _sysctl;//' "$TMP/sel.cell" > "$TMP/sen.cell"
    "$CELLC" -I "$CELLOS_TOP/policies" "$TMP/sen.cell" -o "$TMP/sen.plan"
    crun_cell "$TMP/sen.plan"
    is "$RC:$OUT" "0:statx 0 newfstatat 0 close_range 0 copy_file_range 9 pidfd_open 0" \
       "natively: statx/newfstatat with AT_NO_AUTOMOUNT, close_range, copy_file_range, pidfd_open run"
    gv_cell "$TMP/sen.plan"
    is "$RC:$OUT" "0:statx 22 newfstatat 22 close_range 22 copy_file_range 38 pidfd_open 38" \
       "in gVisor: EINVAL, EINVAL, EINVAL, ENOSYS, ENOSYS (its sentry; failing, never widening)"
    like "$(jq -r 'select(.data.step == "deviation") | .data.what // empty' "$TMP/ev.jsonl" | tr '\n' ' ')" "seccomp.sentry" \
       "and a deviation event says so (seccomp.sentry)"
    printf 'use "std/base";\nuse "std/syscalls";\ncell u { process { argv "/bin/true"; } network none; syscalls { default kill-process; } }\n' > "$TMP/u.cell"
    "$CELLC" -I "$CELLOS_TOP/policies" "$TMP/u.cell" -o "$TMP/u.plan"
    like "$("$CELLRUN" --print-oci-config "$TMP/u.plan" 2>&1 >/dev/null)" "seccomp.unknown: .*openat2" \
        "std/syscalls allows openat2, which runsc has no name for: a deviation note"
else
    skip 6 "cellc is not built"
fi

is "$(gv_residue)" "" "no runsc process or cgroup left behind"
done_testing
