#!/bin/bash
# oci_lifecycle.t - a lifecycle conformance script written from
# runtime-spec's runtime.md and runc's documented command line, run against
# runc (the yardstick), crun and cellrun in one run: create/start/state/
# kill/delete in every state and out of order, run, exec, --pid-file,
# --console-socket with a real pty, --detach, state JSON fields, exit
# statuses, hooks from the config; then cellrun's refusals of bad input (nothing created) and its
# residue checks. cellrun's results are asserted; runc's and crun's are
# printed beside them (the table in docs/oci.md). crun refuses the hybrid
# cgroup layout, so the script runs in a private mount namespace without the
# empty v2 mount (as bench/startup.sh does).
. "$CELLOS_TOP/tests/lib/tap.sh"
need_root
if [ -z "${CELLOS_OCI_NS:-}" ] && mountpoint -q /sys/fs/cgroup/unified 2>/dev/null; then
    exec env CELLOS_OCI_NS=1 unshare -m --propagation private \
        sh -c 'umount /sys/fs/cgroup/unified; exec "$0" "$@"' "$0" "$@"
fi
command -v runc >/dev/null || skip_all "runc is not installed"
tmpdir
. "$CELLOS_TOP/tests/e2e/oci_lib.sh"
oci_cellrun_setup "$TMP"
oci_bundle "$TMP/b" /bin/sh -c 'trap "exit 0" TERM; sleep 30 & wait'
cp -a "$TMP/b" "$TMP/brun"
oci_edit "$TMP/brun/config.json" "c['process']['args']=['/bin/sh','-c','echo out-hi; exit 7']"
cp -a "$TMP/b" "$TMP/btty"
cp -a "$TMP/b" "$TMP/bfail"
# hooks: each appends KIND:STATUS (from the state on its stdin) to LOG
mkdir -p "$TMP/hooks"
cat > "$TMP/hooks/h" <<'SH'
#!/bin/sh
echo "$1:$(sed -n 's/.*"status": *"\([a-z]*\)".*/\1/p' | head -1)" >> "$2"
exit ${3:-0}
SH
chmod 755 "$TMP/hooks/h"
echo "allow_hooks = $TMP/hooks" >> "$TMP/etc/runtime.conf"
cp -a "$TMP/b" "$TMP/bhook"
oci_edit "$TMP/bhook/config.json" "c['process']['args'] = ['/bin/sleep', '1']; c['hooks'] = {k: [{'path': '$TMP/hooks/h', 'args': ['h', k, '$TMP/hooks.log']}] for k in ['createRuntime', 'poststart', 'poststop']}"
oci_edit "$TMP/bfail/config.json" "c['mounts'].append({'destination': '/mnt', 'type': 'bind', 'source': '$TMP/not-there', 'options': ['rbind', 'ro']}); c['hooks'] = {'poststop': [{'path': '$TMP/hooks/h', 'args': ['h', 'poststop', '$TMP/hooks-fail.log']}]}"
# a createRuntime hook that fails (runtime.md: an error, the container
# stopped, destroyed, then poststop)
cp -a "$TMP/b" "$TMP/bhookfail"
oci_edit "$TMP/bhookfail/config.json" "c['hooks'] = {'createRuntime': [{'path': '$TMP/hooks/h', 'args': ['h', 'createRuntime', '$TMP/hooks-fail.log', '3']}], 'poststop': [{'path': '$TMP/hooks/h', 'args': ['h', 'poststop', '$TMP/hooks-fail.log']}]}"
oci_edit "$TMP/btty/config.json" "c['process']['args']=['/bin/sh','-c','[ -t 1 ] && echo tty-yes']; c['process']['terminal']=True"
cat > "$TMP/process.json" <<'JSON'
{"args": ["/bin/sh", "-c", "echo from-process-json; exit 5"], "cwd": "/", "env": ["PATH=/bin"],
 "user": {"uid": 0, "gid": 0}}
JSON
# a console socket: accept one connection, take the pty master, print what
# the container writes to its terminal
cat > "$TMP/console.py" <<'PY'
import socket, sys, os, select
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(1)
open(sys.argv[2], 'w').close()
c, _ = s.accept()
msg, fds, flags, addr = socket.recv_fds(c, 100, 1)
out = b''
while True:
    r, _, _ = select.select([fds[0]], [], [], 5)
    if not r: break
    try: d = os.read(fds[0], 100)
    except OSError: break
    if not d: break
    out += d
print(out.decode(errors='replace').strip())
PY

RUNTIMES="runc cellrun"
command -v crun >/dev/null && RUNTIMES="runc crun cellrun"
declare -A BIN=([runc]=runc [crun]=crun [cellrun]="$TMP/cellrun")
RES="$TMP/results"
: > "$RES"
rec() { echo "$1|$2|$3" >> "$RES"; }   # check runtime result

status_of() {
    local s
    s=$("${BIN[$1]}" --root "$TMP/st-$1" state "$2" 2>/dev/null | sed -n 's/.*"status": *"\([a-z]*\)".*/\1/p')
    echo "${s:-none}"
}
gone() { # gone PID: no such process, or a zombie
    [ -n "$1" ] && [ -e "/proc/$1" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ] && echo alive || echo gone
}
# the cell cgroups (memory, pids) under this script's own, where a
# container's supervisor makes them: cellos-SUPERVISORPID-*
cell_cgs() {
    for c in memory pids; do
        p=$(grep -E "^[0-9]+:$c:" /proc/self/cgroup | cut -d: -f3)
        ls -d /sys/fs/cgroup/$c${p%/}/cellos-* 2>/dev/null
    done | sort
}
# cgroups that appeared since BEFORE whose supervisor is gone (a live one is
# another session's running cell)
dead_new_cgs() {
    local d p
    for d in $(comm -13 <(printf '%s\n' "$1") <(cell_cgs)); do
        p=${d##*/cellos-}; p=${p%%-*}
        case $p in '' | *[!0-9]*) continue ;; esac
        [ -e "/proc/$p" ] || echo "$d"
    done
}
wait_stopped() { for _ in $(seq 200); do [ "$(status_of "$1" "$2")" = stopped ] && return 0; sleep 0.02; done; return 1; }

for R in $RUNTIMES; do
    X=(${BIN[$R]} --root "$TMP/st-$R")
    cd "$TMP/b" || exit 1
    # create -> created, pid-file, state fields
    "${X[@]}" create --pid-file "$TMP/pid-$R" c1 > /dev/null 2>&1; rec create-rc $R $?
    rec created-status $R "$(status_of $R c1)"
    st=$("${X[@]}" state c1 2>/dev/null)
    rec state-fields $R "$(printf '%s' "$st" | python3 -c 'import json,sys; s=json.load(sys.stdin); print(",".join(k for k in ["ociVersion","id","status","pid","bundle"] if k in s))' 2>/dev/null)"
    pid=$(printf '%s' "$st" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])' 2>/dev/null)
    rec pidfile-matches $R "$([ -n "$pid" ] && [ "$pid" = "$(cat "$TMP/pid-$R" 2>/dev/null)" ] && kill -0 "$pid" && echo yes || echo no)"
    rec bundle-field $R "$(printf '%s' "$st" | python3 -c 'import json,sys; print(json.load(sys.stdin)["bundle"])' 2>/dev/null)"
    "${X[@]}" create c1 > /dev/null 2>&1; rec create-dup-id $R $([ $? -ne 0 ] && echo refused || echo accepted)
    out=$("${X[@]}" exec c1 /bin/echo in-created 2>/dev/null); rec exec-created $R "$?:$out"
    "${X[@]}" delete c1 > /dev/null 2>&1; rec delete-created $R $([ $? -ne 0 ] && echo refused || echo accepted)
    rec delete-created-pid $R "$(gone "$pid")"
    # deleted (runc and crun do; runtime.md's MUST fail is for a running one): create it again
    [ "$(status_of $R c1)" = none ] && "${X[@]}" create c1 > /dev/null 2>&1
    # a set-up failure (a bind source that is not there) fails create, leaves nothing
    cd "$TMP/bfail" || exit 1
    rm -f "$TMP/hooks-fail.log"
    cg0=$(cell_cgs); m0=$(grep -c "$TMP" /proc/self/mountinfo)
    "${X[@]}" create c6 > /dev/null 2>&1; rec setup-fail-create $R "$?:$(status_of $R c6)"
    [ $R = cellrun ] && setup_fail_left="$(dead_new_cgs "$cg0")$([ "$(grep -c "$TMP" /proc/self/mountinfo)" = "$m0" ] || echo mounts)"
    rec setup-fail-poststop $R "$(cat "$TMP/hooks-fail.log" 2>/dev/null | tr '\n' ' ' | sed 's/ $//')"
    cd "$TMP/bhookfail" || exit 1
    rm -f "$TMP/hooks-fail.log"
    "${X[@]}" create c8 > /dev/null 2>&1; rec hook-fail-create $R "$?:$(status_of $R c8)"
    rec hook-fail-poststop $R "$(cat "$TMP/hooks-fail.log" 2>/dev/null | tr '\n' ' ' | sed 's/ $//')"
    "${X[@]}" delete --force c8 > /dev/null 2>&1
    cd "$TMP/b" || exit 1
    "${X[@]}" start c1 > /dev/null 2>&1; rec start-rc $R $?
    rec running-status $R "$(status_of $R c1)"
    "${X[@]}" start c1 > /dev/null 2>&1; rec start-twice $R $([ $? -ne 0 ] && echo refused || echo accepted)
    out=$("${X[@]}" exec c1 /bin/echo exec-out 2>/dev/null); rec exec-rc $R "$?:$out"
    "${X[@]}" exec c1 /bin/sh -c 'exit 4' > /dev/null 2>&1; rec exec-exit-status $R $?
    out=$("${X[@]}" exec --process "$TMP/process.json" c1 2>/dev/null); rec exec-process-json $R "$?:$out"
    "${X[@]}" exec --detach --pid-file "$TMP/epid-$R" c1 /bin/sleep 1 > /dev/null 2>&1
    rec exec-detach-pidfile $R "$?:$([ -s "$TMP/epid-$R" ] && echo pid || echo none)"
    "${X[@]}" delete c1 > /dev/null 2>&1; rec delete-running $R $([ $? -ne 0 ] && echo refused || echo accepted)
    "${X[@]}" kill c1 SIGTERM > /dev/null 2>&1; rec kill-term $R $?
    wait_stopped $R c1; rec stopped-status $R "$(status_of $R c1)"
    "${X[@]}" kill c1 KILL > /dev/null 2>&1; rec kill-stopped $R $([ $? -ne 0 ] && echo refused || echo accepted)
    "${X[@]}" start c1 > /dev/null 2>&1; rec start-stopped $R $([ $? -ne 0 ] && echo refused || echo accepted)
    "${X[@]}" delete c1 > /dev/null 2>&1; rec delete-stopped $R $?
    "${X[@]}" state c1 > /dev/null 2>&1; rec state-deleted $R $([ $? -ne 0 ] && echo refused || echo accepted)
    "${X[@]}" start nope > /dev/null 2>&1; rec start-missing $R $([ $? -ne 0 ] && echo refused || echo accepted)
    "${X[@]}" kill nope > /dev/null 2>&1; rec kill-missing $R $([ $? -ne 0 ] && echo refused || echo accepted)
    "${X[@]}" delete nope > /dev/null 2>&1; rec delete-missing $R $([ $? -ne 0 ] && echo refused || echo accepted)
    # kill in created state (by number), then delete
    "${X[@]}" create c2 > /dev/null 2>&1 && "${X[@]}" kill c2 9 > /dev/null 2>&1; rec kill-created $R $?
    wait_stopped $R c2; rec killed-created-status $R "$(status_of $R c2)"
    "${X[@]}" delete c2 > /dev/null 2>&1; rec delete-after-kill $R $?
    # delete --force of a running container
    "${X[@]}" run -d c3 > /dev/null 2>&1; rec run-detach $R "$?:$(status_of $R c3)"
    "${X[@]}" delete --force c3 > /dev/null 2>&1; rec delete-force $R "$?:$(status_of $R c3)"
    # run in the foreground: stdout and exit status
    cd "$TMP/brun" || exit 1
    out=$("${X[@]}" run c4 2>/dev/null); rec run-exit-status $R "$?:$out"
    rec run-removes $R "$(status_of $R c4)"
    # --console-socket with a real pty
    cd "$TMP/btty" || exit 1
    rm -f "$TMP/sock-$R" "$TMP/ready-$R"
    python3 "$TMP/console.py" "$TMP/sock-$R" "$TMP/ready-$R" > "$TMP/tty-$R" 2>&1 &
    cpid=$!
    for _ in $(seq 100); do [ -e "$TMP/ready-$R" ] && break; sleep 0.02; done
    "${X[@]}" create --console-socket "$TMP/sock-$R" c5 > /dev/null 2>&1 && "${X[@]}" start c5 > /dev/null 2>&1
    rec console-create $R $?
    wait $cpid
    rec console-pty $R "$(tr -d '\r' < "$TMP/tty-$R")"
    wait_stopped $R c5
    "${X[@]}" delete --force c5 > /dev/null 2>&1
    # hooks from the config: createRuntime at create, poststart at start, poststop at delete
    cd "$TMP/bhook" || exit 1
    rm -f "$TMP/hooks.log"
    "${X[@]}" create c7 > /dev/null 2>&1 && "${X[@]}" start c7 > /dev/null 2>&1 && wait_stopped $R c7 &&
        "${X[@]}" delete c7 > /dev/null 2>&1
    rec hooks-run $R "$?:$(tr '\n' ' ' < "$TMP/hooks.log" 2>/dev/null | sed 's/ $//')"
    ls "$TMP/st-$R" 2>/dev/null | grep -q . && rec residue-state $R left || rec residue-state $R none
done

# the table, for docs/oci.md
diag "check | $(echo $RUNTIMES | sed 's/ / | /g')"
for c in $(cut -d'|' -f1 "$RES" | awk '!s[$0]++'); do
    row="$c"
    for R in $RUNTIMES; do row="$row | $(grep "^$c|$R|" "$RES" | head -1 | cut -d'|' -f3 | sed "s#$TMP#TMP#g")"; done
    diag "$row"
done

# cellrun's results, asserted (runtime.md's lifecycle; runc agrees unless noted)
want() { is "$(grep "^$1|cellrun|" "$RES" | head -1 | cut -d'|' -f3-)" "$2" "cellrun: $1"; }
want create-rc 0
want created-status created
want state-fields ociVersion,id,status,pid,bundle
want pidfile-matches yes
want bundle-field "$TMP/b"
want create-dup-id refused
want exec-created "0:in-created"
want delete-created accepted
want delete-created-pid gone
want setup-fail-create "1:none"
want start-rc 0
want running-status running
want start-twice refused
want exec-rc "0:exec-out"
want exec-exit-status 4
want exec-process-json "5:from-process-json"
want exec-detach-pidfile "0:pid"
want delete-running refused
want kill-term 0
want stopped-status stopped
want kill-stopped refused
want start-stopped refused
want delete-stopped 0
want state-deleted refused
want start-missing refused
want kill-missing refused
want delete-missing refused
want kill-created 0
want killed-created-status stopped
want delete-after-kill 0
want run-detach "0:running"
want delete-force "0:none"
want run-exit-status "7:out-hi"
want run-removes none
want console-create 0
want console-pty tty-yes
want hooks-run "0:createRuntime:creating poststart:running poststop:stopped"
want hook-fail-create "1:none"
want hook-fail-poststop "createRuntime:creating poststop:stopped"
want setup-fail-poststop ""
want residue-state none
is "$(pgrep -f "st-cellrun create c6" | wc -l)" 0 "cellrun: a failed create leaves no supervisor running (create returns after it is gone)"
is "$setup_fail_left" "" "cellrun: a failed set-up leaves no cgroup (memory, pids) and no mount"
# and runc, the yardstick, agrees on the lifecycle
for c in create-rc created-status exec-created delete-created delete-created-pid setup-fail-create \
         hook-fail-create hook-fail-poststop start-rc \
         running-status start-twice delete-running stopped-status delete-stopped state-deleted \
         run-exit-status console-pty; do
    is "$(grep "^$c|runc|" "$RES" | cut -d'|' -f3)" "$(grep "^$c|cellrun|" "$RES" | cut -d'|' -f3)" "runc agrees: $c"
done
done_testing
