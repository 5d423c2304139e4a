#!/bin/bash
# oci_refuse.t - cellrun refuses bad input with a message naming the field,
# and creates nothing: config.json that is not JSON, an unknown field under
# linux, a relative or escaping mount source, a root.path outside the
# bundle, a state directory owned by someone else or a symlink, a container
# id with '/', --no-pivot, --systemd-cgroup; a host pack's ceilings and the
# host's capability list, with every violation listed; no residue after a
# failed create, after kill -9 of the container's supervisor; hooks refused by default,
# a bind source that is a bundle symlink to /etc; a bind of the signing key or
# the state directory; kill/delete --force of a state naming another pid;
# a hook env setting LD_PRELOAD and the like; io.cellos.plan without a trust
# file; --pid-file through a symlink or over a device.
. "$CELLOS_TOP/tests/lib/tap.sh"
need_root
command -v runc >/dev/null || skip_all "runc is not installed (runc spec makes the bundles)"
tmpdir
. "$CELLOS_TOP/tests/e2e/oci_lib.sh"
oci_cellrun_setup "$TMP"
R=("$TMP/cellrun" --root "$TMP/state")
oci_bundle "$TMP/b" /bin/sleep 30
cp "$TMP/b/config.json" "$TMP/good.json"

# refuse BUNDLE_EDIT PATTERN NAME: create fails, the message matches, nothing is left
refuse() {
    cp "$TMP/good.json" "$TMP/b/config.json"
    [ -n "$1" ] && oci_edit "$TMP/b/config.json" "$1"
    local out rc
    (cd "$TMP/b" && "${R[@]}" create "${ID:-x1}" > "$TMP/out" 2>&1)
    rc=$?
    like "$rc:$(tr '\n' ' ' < "$TMP/out")" "^1:.*$2" "$3"
    is "$(ls -A "$TMP/state" 2>/dev/null)" "" "... nothing created"
}

echo '{"ociVersion": "1.0.2", "process": ' > "$TMP/b/config.json"
out=$(cd "$TMP/b" && "${R[@]}" create x1 2>&1)
like "$?:$(echo $out)" "^1:.*config.json: not JSON" "config.json that is not JSON is refused"
is "$(ls -A "$TMP/state" 2>/dev/null)" "" "... nothing created"
refuse "c['linux']['intelRdt']={'closID':'x'}" "linux.intelRdt: unknown or unsupported field" "an unknown field under linux is refused, named"
refuse "c['mounts'].append({'destination':'/data','type':'bind','source':'data','options':['rbind']})" \
    'mounts\[[0-9]+\].source: "data": a bind source must be an absolute host path' "a relative bind source is refused"
refuse "c['mounts'].append({'destination':'/data','type':'bind','source':'/tmp/../etc','options':['rbind']})" \
    'mounts\[[0-9]+\].source: "/tmp/../etc"' "an escaping bind source is refused"
ln -s /etc "$TMP/b/evil"
refuse "c['mounts'].append({'destination':'/mnt','type':'bind','source':'$TMP/b/evil','options':['rbind','rw']})" \
    'mounts\[[0-9]+\]: /etc: a read-write bind of a protected host path outside allow_binds' \
    "a bind source inside the bundle that is a symlink to a host path is checked as that path (refused)"
refuse "c['mounts'].append({'destination':'/k','type':'bind','source':'$TMP/etc/k.key','options':['rbind','ro']})" \
    "mounts\\[[0-9]+\\]: $TMP/etc/k.key: a bind of the runtime's own files" "the signing key is never bound into a container"
refuse "c['mounts'].append({'destination':'/k','type':'bind','source':'$TMP','options':['rbind','ro']})" \
    "mounts\\[[0-9]+\\]: $TMP: a bind of the runtime's own" "... nor a directory holding it"
refuse "c['mounts'].append({'destination':'/s','type':'bind','source':'$TMP/state','options':['rbind','rw']})" \
    "mounts\\[[0-9]+\\]: $TMP/state: a bind of the runtime's own state directory" "the state directory (--root) is never bound into a container"
mkdir -p "$TMP/elsewhere"
refuse "c['root']['path']='/usr'" "root.path: /usr lies outside the bundle" "an absolute root.path outside the bundle is refused"
refuse "c['root']['path']='../elsewhere'" "root.path: $TMP/elsewhere lies outside the bundle" "a relative root.path climbing out is refused"
refuse "c['hooks']={'prestart':[{'path':'/bin/true'}]}" "hooks.prestart\\[0\\].path: /bin/true is not allowed by the host" "hooks are refused by default (runtime.conf allow_hooks)"
refuse "c['hooks']={'prestart':[{'path':'/bin/true','env':['PATH=/bin','LD_PRELOAD=/b/x.so','BASH_FUNC_ls%%=() { id; }','GLIBC_TUNABLES=x']}]}" \
    "hooks.prestart\\[0\\].env\\[1\\]: LD_\\* is refused.*env\\[2\\]: BASH_FUNC_\\* is refused.*env\\[3\\]: GLIBC_TUNABLES is refused" \
    "a hook's env may not set the loader's or a shell's code-injecting variables"
"$CELLC" -o "$TMP/wide.plan" "$CELLOS_TOP/policies/docker-default.cell" > /dev/null 2>&1
refuse "c['annotations']={'io.cellos.plan':'$TMP/wide.plan'}" \
    "annotations.io.cellos.plan: $TMP/wide.plan: a precompiled plan needs runtime.conf trust" \
    "a bundle's precompiled plan is refused when runtime.conf names no trust file"
refuse "c['linux']['namespaces']=[n for n in c['linux']['namespaces'] if n['type']!='network']" \
    "no network namespace: sharing the host's network" "the host network is refused"
refuse "del c['linux']['seccomp']" "linux.seccomp: absent" "an unconfined container is refused"
refuse "c['linux']['resources']={'pids':{'limit':10}}" "memory must be set|memory" "a container without a memory limit breaks the host pack"
cp "$TMP/good.json" "$TMP/b/config.json"
oci_edit "$TMP/b/config.json" "c['linux']['resources']={'memory':{'limit':4*2**30},'pids':{'limit':100000}}; c['process']['capabilities']['bounding']+=['CAP_SYS_ADMIN','CAP_NET_ADMIN']; c['linux']['devices']=[{'path':'/dev/kmsg','type':'c','major':1,'minor':11}]"
out=$(cd "$TMP/b" && "${R[@]}" create x1 2>&1)
like "$out" "refused: [0-9]+ violations" "every violation is listed (memory, pids, two capabilities, a device)"
like "$out" "CAP_SYS_ADMIN is not allowed" "... CAP_SYS_ADMIN"
like "$out" "CAP_NET_ADMIN is not allowed" "... CAP_NET_ADMIN"
like "$out" "/dev/kmsg is not allowed" "... the device"
like "$out" "memory 4GiB breaks the ceiling" "... the pack's memory ceiling"
like "$out" "pids 100000 breaks the ceiling" "... the pack's pids ceiling"
n=$(printf '%s\n' "$out" | sed -n 's/.*refused: \([0-9]*\) violations.*/\1/p')
is "$n" "$(printf '%s\n' "$out" | grep -c '^cellrun:   ')" "... counted once each: a compiler diagnostic is one violation line"
like "$(printf '%s\n' "$out" | grep 'memory 4GiB breaks')" "\[policy: .*memory.*\] \(.*note: ceiling here\)" \
     "... with its policy line and its note on the same line"
unlike "$(printf '%s\n' "$out" | tail -1)" "^cellrun: +[0-9]* *\| *[~^ ]*$" "the last line (the one containerd shows) is no bare source excerpt or caret"
like "$(grep -c '"oci_refused"' "$TMP/events")" "^[1-9]" "refusals are signed events"
"$CELLRUN" verify "$TMP/events" --trust "$TMP/etc/k.trust.json" > /dev/null 2>&1
ok $? "... that verify"

cp "$TMP/good.json" "$TMP/b/config.json"
ID=a/b refuse "" "container id \"a/b\": character '/' not allowed" "a container id with / is refused"
out=$(cd "$TMP/b" && "${R[@]}" create --no-pivot x1 2>&1)
like "$?:$(echo $out)" "^1:.*--no-pivot: refused" "--no-pivot is refused"
out=$("$TMP/cellrun" --root "$TMP/state" --systemd-cgroup state x1 2>&1)
like "$?:$(echo $out)" "^1:.*--systemd-cgroup: refused" "--systemd-cgroup is refused clearly"
mkdir -p "$TMP/other" && chown 65534 "$TMP/other" && chmod 700 "$TMP/other"
out=$(cd "$TMP/b" && "$TMP/cellrun" --root "$TMP/other" create x1 2>&1)
like "$?:$(echo $out)" "^1:.*owned by uid 65534" "a state directory owned by someone else is refused"
ln -s "$TMP/state" "$TMP/link"
out=$(cd "$TMP/b" && "$TMP/cellrun" --root "$TMP/link" create x1 2>&1)
like "$?:$(echo $out)" "^1:.*is a symlink" "a state directory that is a symlink is refused"
ls -A "$TMP/other" | grep -q . ; ok $((! $?)) "... nothing created there"

# a failed create (a backend that is not there) and kill -9 of the supervisor leave nothing
oci_edit "$TMP/b/config.json" "c['annotations']={'io.cellos.backend':'nosuch'}"
(cd "$TMP/b" && "${R[@]}" create x2 > "$TMP/out" 2>&1)
like "$?:$(tr '\n' ' ' < "$TMP/out")" "^1:.*nosuch" "a create whose cell cannot be built fails"
is "$(ls -A "$TMP/state" 2>/dev/null)" "" "... and leaves no state"
cp "$TMP/good.json" "$TMP/b/config.json"
(cd "$TMP/b" && "${R[@]}" run -d x3 > /dev/null 2>&1)
pid=$("${R[@]}" state x3 | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')
cell=$(sed -n 's/.*"cellPid": *\([0-9]*\).*/\1/p' "$TMP/state/x3/state.json")
cg=/sys/fs/cgroup/memory$(grep -E '^[0-9]+:memory:' /proc/$cell/cgroup | cut -d: -f3)
like "$cg" "/cellos-$pid-[0-9a-f]+$" "the running container has its own cgroup"
[ -d "$cg" ]; ok $? "... which exists"
kill -9 "$pid"
for _ in $(seq 100); do [ -d /proc/$pid ] || break; sleep 0.05; done
for _ in $(seq 100); do [ -d "$cg" ] || break; sleep 0.05; done
is "$("${R[@]}" state x3 | sed -n 's/.*"status": *"\([a-z]*\)".*/\1/p')" stopped "kill -9 of the supervisor: the container is stopped"
[ -d /proc/$cell ]; ok $((! $?)) "... its cell is gone"
[ -d "$cg" ]; ok $((! $?)) "... and its cgroup"
"${R[@]}" delete x3
is "$(ls -A "$TMP/state")" "" "... and delete removes its state"
# a state naming another process (tampered, or the supervisor's pid reused):
# kill and delete --force never signal it (pid + start time, pinned by a pidfd)
sleep 30 & victim=$!
sleep 0.1 # started clock ticks before the supervisor (the start time counts ticks)
(cd "$TMP/b" && "${R[@]}" run -d x5 > /dev/null 2>&1)
sup=$("${R[@]}" state x5 | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')
sed -i "s/\"pid\": *$sup,/\"pid\": $victim,/" "$TMP/state/x5/state.json"
like "$sup:$(grep -o '"pid": *[0-9]*' "$TMP/state/x5/state.json")" "^[0-9]+:\"pid\": *$victim\$" "(a running container, its state now naming another process)"
"${R[@]}" kill x5 KILL > /dev/null 2>&1
is "$?" 1 "kill of a container whose state names another process is refused"
"${R[@]}" delete --force x5 > /dev/null 2>&1
sleep 0.2
kill -0 "$victim" 2>/dev/null; ok $? "... delete --force leaves that process alone"
kill -9 "$victim" "$sup" 2>/dev/null
for _ in $(seq 100); do [ -d "/proc/$sup" ] || break; sleep 0.05; done

# --pid-file follows the repo's one output rule (runtime/lib/out_file.h):
# never written through a symlink, a device written in place, not renamed over
cp "$TMP/good.json" "$TMP/b/config.json"
echo keep > "$TMP/victim"
ln -s "$TMP/victim" "$TMP/pidlink"
(cd "$TMP/b" && "${R[@]}" create --pid-file "$TMP/pidlink" x4 > "$TMP/pf.out" 2>&1)
like "$?:$(echo $(cat "$TMP/pf.out"))" "^1:.*--pid-file: .*pidlink: is a symbolic link" "--pid-file through a symlink is refused"
is "$(cat "$TMP/victim"):$(ls -A "$TMP/state")" "keep:" "... the file it names is untouched and nothing is left"
"${R[@]}" delete -f x4 > /dev/null 2>&1
mknod "$TMP/nulldev" c 1 3
(cd "$TMP/b" && "${R[@]}" create --pid-file "$TMP/nulldev" x4 > /dev/null 2>&1)
is "$?:$(stat -c %F "$TMP/nulldev")" "0:character special file" "--pid-file naming a device: written in place, never renamed over"
"${R[@]}" delete -f x4 > /dev/null 2>&1
ls "$TMP" | grep -q 'nulldev.tmp\|pidlink.tmp'; ok $((! $?)) "... no temporary file left beside it"

# runtime.conf's events file in a directory that does not exist (docs/oci.md
# has the reader create it): create refuses at once, naming runtime.conf and
# the directory, with no strerror text (Podman maps "No such file or
# directory" in a runtime's stderr to "runtime not found"), and makes nothing
cp "$TMP/good.json" "$TMP/b/config.json"
sed "s|^events = .*|events = $TMP/nolog/oci.events|" "$TMP/etc/runtime.conf" > "$TMP/etc/nolog.conf"
(cd "$TMP/b" && CELLOS_RUNTIME_CONF=$TMP/etc/nolog.conf "$CELLRUN" --root "$TMP/state" create x6 > "$TMP/nolog.out" 2>&1)
like "$?:$(echo $(cat "$TMP/nolog.out"))" "^1:.*nolog.conf: events = $TMP/nolog/oci.events: the directory $TMP/nolog does not exist" \
    "an events file in a missing directory is refused at create, naming runtime.conf and the directory"
grep -qi 'no such file' "$TMP/nolog.out"; ok $((! $?)) "... in words an engine does not read as a missing runtime"
is "$(ls -A "$TMP/state" 2>/dev/null):$([ -e "$TMP/nolog" ] && echo made)" ":" "... nothing created"
# a refused container whose refusal event cannot be written (the signing key
# is missing): one line still says why the container was refused
sed "s|^key = .*|key = $TMP/etc/gone.key|" "$TMP/etc/runtime.conf" > "$TMP/etc/nokey.conf"
cp "$TMP/good.json" "$TMP/b/config.json"
oci_edit "$TMP/b/config.json" "c['root']['path']='/usr'"
(cd "$TMP/b" && CELLOS_RUNTIME_CONF=$TMP/etc/nokey.conf "$CELLRUN" --root "$TMP/state" create x6 > "$TMP/nokey.out" 2>&1)
rc=$?
grep 'refusal event' "$TMP/nokey.out" > "$TMP/nokey.line"
like "$rc:$(cat "$TMP/nokey.line")" "^1:.*refused \\(root.path: /usr lies outside the bundle.*\\); its refusal event was not written: .*gone.key" \
    "a refusal whose event fails: the event's line names the violation too (engines may show only that line)"

# cellrun links no compiler: it execs cellrun-oci beside it for an OCI
# command line, and says so in one line when that is missing
mkdir -p "$TMP/alone" && cp "$CELLRUN" "$TMP/alone/cellrun"
"$TMP/alone/cellrun" --version > "$TMP/alone.out" 2> "$TMP/alone.err"
is "$?:$(wc -l < "$TMP/alone.err")" "125:1" "cellrun without cellrun-oci beside it refuses an OCI command line (125, one line)"
like "$(cat "$TMP/alone.err")" "cellrun-oci \\(installed beside cellrun\\): No such file" "... naming what is missing"
"$CELLRUN" --version > "$TMP/v.out" 2>&1
like "$(cat "$TMP/v.out")" "^cellrun version" "cellrun --version beside cellrun-oci answers as the OCI runtime"
has_ocr() { nm "$1" 2>/dev/null | grep -q ' T ocr_create$'; }
has_ocr "$(dirname "$CELLRUN")/cellrun-oci"; ok $? "cellrun-oci links the OCI runtime (ocr_create)"
has_ocr "$CELLRUN"; ok $((! $?)) "... and cellrun itself does not"
done_testing
