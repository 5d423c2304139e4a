#!/usr/bin/env bash
# runtime_features.t - each isolation feature observed from inside the cell.
. "$CELLOS_TOP/tests/lib/tap.sh"
. "$CELLOS_TOP/tests/e2e/runtime_lib.sh"
need_root
tmpdir

# ---- filesystem
probe_plan "$TMP/p.plan" -- write /usr/cellos-probe
crun_cell "$TMP/p.plan"
is "$OUT" EROFS "a read-only bind (/usr) refuses writes with EROFS"
probe_plan "$TMP/p.plan" -- write /cellos-probe
crun_cell "$TMP/p.plan"
is "$OUT" EROFS "the root itself is read-only after pivot_root"
probe_plan "$TMP/p.plan" -- write /etc/cellos-probe
crun_cell "$TMP/p.plan"
is "$OUT" EROFS "/etc is read-only"
probe_plan "$TMP/p.plan" -- write /work/out
crun_cell "$TMP/p.plan"
is "$OUT" ok "the workspace is writable"
probe_plan "$TMP/p.plan" -- write /proc/sys/kernel/hostname
crun_cell "$TMP/p.plan"
is "$OUT" EROFS "/proc/sys is read-only"
# a device node is the host's inode: the cell's root (uid 0 here, the
# owner) may use it, never chmod it (the host's /dev/full would change)
full_mode=$(stat -c %a /dev/full)
probe_plan "$TMP/p.plan" -- chmod /dev/full 600
crun_cell "$TMP/p.plan"
after=$(stat -c %a /dev/full)
[ "$after" = "$full_mode" ] || chmod "$full_mode" /dev/full   # undo what the bug did
is "$OUT:$after" "EROFS:$full_mode" "a devnode (/dev/full) cannot be chmodded from the cell; the host's mode is unchanged"
probe_plan "$TMP/p.plan" -- write /dev/null
crun_cell "$TMP/p.plan"
is "$OUT" ok "the read-only /dev/null devnode still takes writes"
probe_plan "$TMP/p.plan" -- read /proc/keys
crun_cell "$TMP/p.plan"
is "$OUT" "ok 0" "masked /proc/keys reads empty"
# a MASK hides a file and a directory: reads give nothing, writes fail with
# EROFS (whoever writes: the mask is an empty file on a read-only mount of a
# read-only tmpfs, never a writable /dev/null), the host copy is untouched
mkdir -p "$TMP/masked/dir" && echo host-data > "$TMP/masked/file" && chmod 666 "$TMP/masked/file"
chmod 777 "$TMP/masked/dir"
mask_plan() { probe_plan "$TMP/p.plan" --rw "$TMP/masked:/m" --op "10:0::/m/file:0:0" --op "10:0::/m/dir:0:0" "$@"; }
mask_plan -- read /m/file
crun_cell "$TMP/p.plan"
is "$OUT" "ok 0" "a masked file reads empty"
mask_plan -- write /m/file
crun_cell "$TMP/p.plan"
is "$OUT" EROFS "a masked file cannot be written (EROFS)"
mask_plan -- write /m/dir/new
crun_cell "$TMP/p.plan"
is "$OUT" EROFS "nothing can be created in a masked directory (EROFS)"
mkplan "$TMP/p.plan" --rw "$TMP/masked:/m" --op "10:0::/m/file:0:0" --cap 1 -- \
    /bin/sh -c '{ echo x > /m/file; } 2>&1 && echo written'
crun_cell "$TMP/p.plan"
like "$OUT" "^[^ ]*sh: .*/m/file: Read-only file system$" "not even with CAP_DAC_OVERRIDE in the cell (EROFS)"
is "$(cat "$TMP/masked/file"):$(ls -A "$TMP/masked/dir")" "host-data:" "the host file and directory are untouched"
probe_plan "$TMP/p.plan" -- cwd
crun_cell "$TMP/p.plan"
is "$OUT" /work "the working directory is the plan's"
echo secret-host-file > "$TMP/hostfile"
probe_plan "$TMP/p.plan" -- read "$TMP/hostfile"
crun_cell "$TMP/p.plan"
is "$OUT" ENOENT "host files outside the grants do not exist in the cell"

# ---- processes
probe_plan "$TMP/p.plan" -- pids
crun_cell "$TMP/p.plan"
is "$OUT" "1 2 " "/proc shows only the cell's init (1) and the workload (2)"

# ---- network
probe_plan "$TMP/p.plan" -- ifaces
crun_cell "$TMP/p.plan"
is "$OUT" "lo:down" "network none: only lo, and it is down"
probe_plan "$TMP/p.plan" --net loopback -- ifaces
crun_cell "$TMP/p.plan"
is "$OUT" "lo:up" "network loopback: only lo, up"
if command -v nft >/dev/null; then
    probe_plan "$TMP/p.plan" --net egress -- ifaces
    crun_cell "$TMP/p.plan"
    is "$RC:$(echo $OUT)" "0:lo:up eth0:up" "network egress: lo and the gateway link (runtime_egress.t tests the rules)"
else
    skip 1 "nft is not installed (egress needs nftables)"
fi

# ---- every namespace is the cell's own, whichever side made it (the
# clone, or natively the child itself for net and ipc; egress: the clone)
host_ns=$(for n in user mnt pid net ipc uts cgroup; do echo "$n:$(readlink /proc/self/ns/$n)"; done)
for net in none loopback egress; do
    if [ "$net" = egress ] && ! command -v nft >/dev/null; then
        skip 1 "nft is not installed (egress needs nftables)"
        continue
    fi
    probe_plan "$TMP/p.plan" --net "$net" -- ns
    crun_cell "$TMP/p.plan"
    shared=$(comm -12 <(echo "$OUT" | sort) <(echo "$host_ns" | sort) | tr '\n' ' ')
    is "$RC:$(echo "$OUT" | grep -c ':[a-z]*:\[')/$shared" "0:7/" "network $net: all seven namespaces differ from the host's"
done

# ---- hostname
probe_plan "$TMP/p.plan" --hostname builder-7 -- hostname
crun_cell "$TMP/p.plan"
is "$OUT" builder-7 "hostname from the plan"
probe_plan "$TMP/p.plan" --name mycell -- hostname
crun_cell "$TMP/p.plan"
is "$OUT" mycell "hostname defaults to the cell name"

# ---- credentials, caps, no_new_privs, seccomp
probe_plan "$TMP/p.plan" -- status
crun_cell "$TMP/p.plan"
like "$OUT" "CapEff:[[:space:]]+0000000000000000" "CapEff 0"
like "$OUT" "CapPrm:[[:space:]]+0000000000000000" "CapPrm 0"
like "$OUT" "CapBnd:[[:space:]]+0000000000000000" "CapBnd 0"
like "$OUT" "CapAmb:[[:space:]]+0000000000000000" "CapAmb 0"
like "$OUT" "CapInh:[[:space:]]+0000000000000000" "CapInh 0"
like "$OUT" "NoNewPrivs:[[:space:]]+1" "NoNewPrivs 1"
like "$OUT" "Seccomp:[[:space:]]+2" "Seccomp 2 (filter)"
probe_plan "$TMP/p.plan" --cap 10 --uid 1000 --gid 1000 -- status
crun_cell "$TMP/p.plan"
like "$OUT" "CapEff:[[:space:]]+0000000000000400" "a granted capability (net_bind_service) is kept for a non-root workload"
like "$OUT" "CapBnd:[[:space:]]+0000000000000400" "and is the only one in the bounding set"
probe_plan "$TMP/p.plan" --uid 1234 --gid 4321 -- ids
crun_cell "$TMP/p.plan"
is "$OUT" "1234 4321" "the workload runs with the plan's uid and gid"
mkplan "$TMP/strict.plan" --seccomp strict -- /bin/true
crun_cell "$TMP/strict.plan"
is "$RC" 0 "under an allowlist filter (kill-process) the cell itself needs only write and execve after the load"
mkplan "$TMP/strict.plan" --seccomp strict -- /bin/ls /
crun_cell "$TMP/strict.plan"
is "$RC" 159 "a workload calling outside the allowlist is killed by SIGSYS (159)"
probe_plan "$TMP/p.plan" --seccomp none -- ids
crun_cell "$TMP/p.plan"
is "$RC" 125 "a plan without a seccomp program for this arch is refused"
probe_plan "$TMP/p.plan" --seccomp notify -- ids
crun_cell "$TMP/p.plan"
like "$ERR" "user_notif" "user_notif actions are refused"

# ---- the cell's user namespace: identity-mapped as root, no nested ones
mkplan "$TMP/u.plan" --seccomp allow -- /bin/sh -c 'cat /proc/self/uid_map | tr -s " " | sed "s/^ //"; /usr/bin/unshare -U /bin/true 2>/dev/null && echo nested || echo no-nested'
crun_cell "$TMP/u.plan"
is "$OUT" "0 0 4294967295
no-nested" "as root the cell's user namespace maps every id onto itself, and even without seccomp no nested user namespace can be made"

# ---- environment and descriptors
export CELLOS_HOST_ONLY=leak PASSME=passed
probe_plan "$TMP/p.plan" --env A=1 --pass PASSME --pass UNSET_ON_HOST -- env
crun_cell "$TMP/p.plan"
is "$(echo "$OUT" | sort | tr '\n' ' ')" "A=1 PASSME=passed " "exactly the plan's environment (PASS from the host, unset ones left out)"
probe_plan "$TMP/p.plan" -- fds
OUT=$(rt_cellrun --unsigned --events "$TMP/ev.jsonl" "$TMP/p.plan" 5</etc/hostname 9>"$TMP/x" </dev/null 2>/dev/null)
is "$OUT" "0 1 2 " "host fds are not visible (only stdio)"
probe_plan "$TMP/p.plan" --pass-fd 5 -- fds
OUT=$(rt_cellrun --unsigned --events "$TMP/ev.jsonl" "$TMP/p.plan" 5</etc/hostname 9>"$TMP/x" </dev/null 2>/dev/null)
is "$OUT" "0 1 2 5 " "a passed fd is there, the others are not"
crun_cell "$TMP/p.plan"
is "$RC" 125 "passing an fd the caller does not hold is refused"

# ---- rlimits
probe_plan "$TMP/p.plan" --rlimit 7:64:128 -- rlimit 7
crun_cell "$TMP/p.plan"
is "$OUT" "64 128" "RLIMIT_NOFILE from the plan"
mkplan "$TMP/fsz.plan" --rlimit 1:1024:1024 -- /bin/sh -c 'head -c 4096 /dev/zero > /work/f; echo $?'
crun_cell "$TMP/fsz.plan"
like "$OUT" "^1|^153" "RLIMIT_FSIZE stops a larger write"

# ---- cgroup limits
probe_plan "$TMP/p.plan" --memory $((64 << 20)) -- memhog 256
crun_cell "$TMP/p.plan"
is "$RC" 137 "a memory hog over the limit is killed (137)"
probe_plan "$TMP/p.plan" --memory $((64 << 20)) -- memhog 16
crun_cell "$TMP/p.plan"
is "$OUT" survived "within the limit it runs"
pk=$(jq -r 'select(.type|endswith("completed")) | .data.peakmemorybytes' "$TMP/ev.jsonl")
like "$pk" "^[0-9]+$" "peak memory is reported in the completed event"
probe_plan "$TMP/p.plan" --pids 16 -- forkbomb 100
crun_cell "$TMP/p.plan"
like "$OUT" "^forks 1[0-5]$" "a fork bomb is capped by the pids limit"
cg=$(jq -r 'select(.data.step=="cgroup") | .data.result + " " + (.data.detail|tostring)' "$TMP/ev.jsonl")
is "$cg" "ok 2" "the cgroup step reports the pids limit enforced"
probe_plan "$TMP/p.plan" --cpu 100 --memory $((64 << 20)) --pids 8 -- ids
crun_cell "$TMP/p.plan"
is "$RC" 0 "memory, pids and cpu limits together"
cg=$(jq -r 'select(.data.step=="cgroup") | .data.result + " " + (.data.detail|tostring)' "$TMP/ev.jsonl")
is "$cg" "ok 7" "the cgroup step reports all three enforced (1|2|4)"
probe_plan "$TMP/p.plan" -- spin 1500
crun_cell "$TMP/p.plan"; free_ms=${OUT:-0}
probe_plan "$TMP/p.plan" --cpu 50 -- spin 1500
crun_cell "$TMP/p.plan"; capped_ms=${OUT:-9999}
ok $([ "$capped_ms" -lt 400 ] && [ $((capped_ms * 10)) -lt $((free_ms * 6)) ] && echo 0 || echo 1) \
   "a cell limited to 0.05 cpu gets ${capped_ms} ms of cpu in 1.5 s of spinning (unlimited: ${free_ms} ms)"

# ---- wall time
probe_plan "$TMP/p.plan" --wall 300 -- sleep 30
start=$(date +%s%N)
crun_cell "$TMP/p.plan"
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
# cell that has not started its workload by then is killed. 40 tmpfs
# mounts make this set-up take several ms (about 7 here), well past 1 ms
bulk=(); for i in $(seq 40); do bulk+=(--op "4:6::/bulk/m$i:0755:65536"); done
probe_plan "$TMP/p.plan" "${bulk[@]}" -- sleep 0
CELLOS_SETUP_TIMEOUT_MS=1 crun_cell "$TMP/p.plan"
is "$RC" 125 "a set-up that outlasts its bound (1 ms here) fails the run"
like "$ERR" "set-up did not finish within 1 ms" "and says so"
is "$(jq -r 'select(.type|endswith("destroyed")) | .data.terminalState' "$TMP/ev.jsonl")" Forced "terminalState Forced"
CELLOS_SETUP_TIMEOUT_MS=soon crun_cell "$TMP/p.plan"
is "$RC:$ERR" '125:cellrun: CELLOS_SETUP_TIMEOUT_MS="soon": not a number of milliseconds from 1 to 3600000' \
   "a set-up bound that is not a number is refused, not ignored"

# ---- signals forwarded
probe_plan "$TMP/p.plan" -- sleep 30
"$CELLRUN" --unsigned --events "$TMP/ev.jsonl" "$TMP/p.plan" </dev/null & cr=$!; echo $cr >> "$TMP/.cellrun-pids"
sleep 0.5; kill -TERM $cr; wait $cr; RC=$?
is "$RC" 143 "SIGTERM to cellrun reaches the workload (143)"

probe_plan "$TMP/p.plan" -- sleep 30
"$CELLRUN" --unsigned --events "$TMP/ev.jsonl" "$TMP/p.plan" </dev/null & cr=$!; echo $cr >> "$TMP/.cellrun-pids"
sleep 0.5; kill -INT $cr; wait $cr; RC=$?
is "$RC" 130 "SIGINT to cellrun reaches the workload (130)"

# ---- the init reaps orphans: a grandchild whose parent exits is reparented
# to the cell's init and reaped, never left a zombie
mkplan "$TMP/z.plan" -- /bin/sh -c '/bin/sh -c "/bin/sleep 0.2 &"; /bin/sleep 1; cat /proc/[0-9]*/stat | cut -d" " -f3 | tr -d "\n"'
crun_cell "$TMP/z.plan"
unlike "$OUT" "Z" "no zombie is left in the cell (states: $OUT)"
# (D too: under load a process may be caught in an uninterruptible sleep,
# alive all the same; what must never show is Z, X or a stopped T)
like "$OUT" "^[RSD]+$" "every process is running or sleeping"

# ---- rootless
if setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null && rootless_setup; then
    probe_plan "$TMP/r.plan" --uid 1000 --gid 1000 -- ids
    chmod 644 "$TMP/r.plan"
    OUT=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$RL_CELLRUN" --unsigned --events /dev/null "$TMP/r.plan" 2>&1 </dev/null); RC=$?
    is "$RC:$OUT" "0:1000 1000" "rootless: runs as nobody in a user namespace, the plan's ids inside"
    probe_plan "$TMP/r.plan" --memory $((64 << 20)) -- ids
    chmod 644 "$TMP/r.plan"
    OUT=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$RL_CELLRUN" --unsigned --events /dev/null "$TMP/r.plan" 2>&1 </dev/null); RC=$?
    is "$RC" 125 "rootless: a memory limit it cannot enforce is refused"
    like "$OUT" "limits.memory cannot be enforced" "naming the limit"
    probe_plan "$TMP/r.plan" --memory $((64 << 20)) --best-effort memory -- ids
    chmod 644 "$TMP/r.plan"
    OUT=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$RL_CELLRUN" --unsigned --events - "$TMP/r.plan" 2>/dev/null </dev/null); RC=$?
    is "$RC" 0 "rootless: a best-effort memory limit runs without it"
    like "$OUT" '"step":"downgrade".*"what":"limits.memory"' "and the downgrade is an event"
    like "$OUT" '"result":"degraded","step":"cgroup"' "and the cgroup step says degraded"
else
    skip 6 "setpriv cannot switch to nobody"
fi

is "$(residue)" "" "no cgroups left behind"
done_testing
