#!/bin/bash
# oci_hooks.t - config.json hooks (runtime/oci/oci_hooks.c, runtime-spec
# config.md): prestart, createRuntime and createContainer at create (the
# first two in the runtime's namespaces, the third in the container's),
# startContainer at start (inside the created container, with its
# authority), poststart, poststop at delete; the state JSON on stdin, each
# run a signed oci_hook event; runtime.conf allow_hooks decides (none by
# default: refused); failure semantics of runtime.md (create fails, the
# container is destroyed and then poststop runs; start fails and the
# container stops; poststart/poststop warn); a timeout kills; a createContainer
# hook must be a static program (it runs as the host's root in the container's
# mount namespace: a script's or a dynamic program's interpreter would be the
# container's).
. "$CELLOS_TOP/tests/lib/tap.sh"
need_root
command -v runc >/dev/null || skip_all "runc is not installed (runc spec makes the bundles)"
tmpdir
. "$CELLOS_TOP/tests/e2e/oci_lib.sh"
oci_cellrun_setup "$TMP"
X=("$TMP/cellrun" --root "$TMP/st")
H=$TMP/hooks
mkdir -p "$H"
# a runtime-namespace hook: its kind, the state's status, and whether the
# state's pid shows the container's network namespace while the hook is in
# cellrun's own
cat > "$H/rt" <<SH
#!/bin/sh
st=\$(cat)
pid=\$(printf '%s' "\$st" | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')
status=\$(printf '%s' "\$st" | sed -n 's/.*"status": *"\([a-z]*\)".*/\1/p')
own=\$(readlink /proc/self/ns/net); theirs=\$(readlink /proc/\$pid/ns/net 2>/dev/null)
ns=same; [ "\$own" != "\$theirs" ] && ns=differs
echo "\$1:\$status:\$ns" >> "$TMP/hooks.log"
exit \${2:-0}
SH
# createContainer: runs as the host's root in the container's namespaces,
# so only a static program (a script's interpreter, a dynamic program's
# loader would be the container's)
cat > "$TMP/cc.c" <<'C'
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
int main(void)
{
    char b[4096], ns[64] = "";
    ssize_t n;
    int f = open("/tmp/cc-state", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    while ((n = read(0, b, sizeof b)) > 0)
        if (write(f, b, (size_t)n) != n)
            return 1;
    ssize_t l = readlink("/proc/self/ns/mnt", ns, sizeof ns - 1);
    FILE *o = fopen("/tmp/cc-ran", "w");
    return !(l > 0 && o && fprintf(o, "cc:%s\n", ns) > 0 && fclose(o) == 0);
}
C
${CC:-cc} -O2 -static -o "$H/cc" "$TMP/cc.c" || skip_all "cannot build a static program (cc -static)"
printf '#!/bin/sh\necho script-ran > /tmp/cc-script\n' > "$H/cc-script"
${CC:-cc} -O2 -o "$H/cc-dyn" "$TMP/cc.c"
chmod 755 "$H/rt" "$H/cc" "$H/cc-script"
oci_bundle "$TMP/b" /bin/sh -c 'cat /tmp/cc-ran /tmp/sc-ran; grep -o "\"status\": *\"[a-z]*\"" /tmp/cc-state; readlink /proc/self/ns/mnt'
# startContainer: a program of the container's own root
oci_edit "$TMP/b/config.json" "c['root']['readonly'] = False"
mkdir -p "$TMP/b/rootfs/hookbin"
printf '#!/bin/sh\necho "sc:$(id -u):$(grep -c . /proc/self/status)" > /tmp/sc-ran\nexit ${1:-0}\n' > "$TMP/b/rootfs/hookbin/sc"
chmod 755 "$TMP/b/rootfs/hookbin/sc"
hooks() { # hooks PYTHON: set c['hooks']
    oci_edit "$TMP/b/config.json" "c['hooks'] = $1"
}
ALL="{
 'prestart': [{'path': '$H/rt', 'args': ['rt', 'prestart']}],
 'createRuntime': [{'path': '$H/rt', 'args': ['rt', 'createRuntime']}],
 'createContainer': [{'path': '$H/cc'}],
 'startContainer': [{'path': '/hookbin/sc'}],
 'poststart': [{'path': '$H/rt', 'args': ['rt', 'poststart']}],
 'poststop': [{'path': '$H/rt', 'args': ['rt', 'poststop'], 'timeout': 5}]}"
hooks "$ALL"
cd "$TMP/b" || exit 1

out=$("${X[@]}" create h0 2>&1)
like "$?:$(printf '%s' "$out" | tr '\n' ' ')" \
    "^1:.*hooks.prestart\\[0\\].path: $H/rt is not allowed by the host \\(runtime.conf allow_hooks: none\\)" \
    "hooks are refused unless runtime.conf allow_hooks lists their paths"
[ -e "$TMP/st/h0" ]; ok $((! $?)) "... nothing created"

echo "allow_hooks = $H, /hookbin" >> "$TMP/etc/runtime.conf"
"${X[@]}" create h1 > "$TMP/h1.out" 2>&1
is "$?" 0 "create with every kind of hook allowed"
is "$(cat "$TMP/hooks.log" 2>/dev/null | tr '\n' ' ')" "prestart:creating:differs createRuntime:creating:differs " \
    "prestart and createRuntime ran at create, in cellrun's namespaces, the state (creating, the pid) on stdin"
like "$(cat "$TMP/b/rootfs/tmp/cc-ran" 2>/dev/null)" "^cc:mnt:" "createContainer ran in the container"
like "$(cat "$TMP/b/rootfs/tmp/cc-state" 2>/dev/null)" '"id": "h1"' "... with the state on its stdin"
[ -e "$TMP/b/rootfs/tmp/sc-ran" ]; ok $((! $?)) "startContainer has not run before start"
"${X[@]}" start h1 > "$TMP/start.out" 2>&1
is "$?" 0 "start"
like "$(cat "$TMP/b/rootfs/tmp/sc-ran" 2>/dev/null)" "^sc:0:" "startContainer ran in the created container before its program"
like "$(cat "$TMP/hooks.log" | tr '\n' ' ')" "poststart:(running|stopped):differs" "poststart ran after the program started"
for _ in $(seq 100); do grep -q '"exit"' "$TMP/events" 2>/dev/null && break; sleep 0.05; done
wout=$(cat "$TMP/h1.out")
like "$wout" "cc:mnt:" "the program sees what createContainer wrote"
like "$wout" "sc:0:" "... and startContainer"
cc_mnt=$(sed -n 's/^cc:\(mnt:.*\)/\1/p' "$TMP/b/rootfs/tmp/cc-ran")
like "$wout" "^$(printf '%s' "$cc_mnt" | sed 's/[][]/\\&/g')\$" "... createContainer's mount namespace is the program's"
"${X[@]}" delete h1 > /dev/null 2>&1
is "$?" 0 "delete"
like "$(tail -1 "$TMP/hooks.log")" "^poststop:stopped:" "poststop ran at delete, the state stopped"
is "$(grep -c '"oci_hook"' "$TMP/events")" 12 "each of the six hook runs is a signed event (its step and started)"
"$CELLRUN" verify "$TMP/events" --trust "$TMP/etc/k.trust.json" > /dev/null 2>&1
ok $? "cellrun verify accepts the stream"

# failures (runtime.md): create fails, start fails and stops, post* warn
rm -f "$TMP"/b/rootfs/tmp/*-ran
# poststop after a failed create hook: what is left when it runs (the
# state dir, the cell's workload, supervisors: only the create caller, its
# parent, may remain)
cat > "$H/ps" <<SH
#!/bin/sh
st=\$(cat)
id=\$(printf '%s' "\$st" | sed -n 's/.*"id": *"\([^"]*\)".*/\1/p')
status=\$(printf '%s' "\$st" | sed -n 's/.*"status": *"\([a-z]*\)".*/\1/p')
left=""; [ -e "$TMP/st/\$id" ] && left="\$left state"
[ -n "\$(pgrep -f 'cat /tmp/cc-ran')" ] && left="\$left workload"
[ "\$(pgrep -f "$TMP/st create \$id" | wc -l)" -gt 1 ] && left="\$left supervisor"
for d in \$(cat "$TMP/cell-cg" 2>/dev/null); do [ -d "\$d" ] && left="\$left cgroup"; done
echo "poststop:\$id:\$status:\${left:-nothing}" >> "$TMP/poststop.log"
SH
# a createRuntime hook that notes the cell's memory and pids cgroups
# (children cellos-PID-* of the supervisor's)
cat > "$H/cg" <<SH
#!/bin/sh
pid=\$(sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')
for c in memory pids; do
    p=\$(grep -E "^[0-9]+:\$c:" /proc/\$pid/cgroup | cut -d: -f3)
    ls -d /sys/fs/cgroup/\$c\${p%/}/cellos-\$pid-* 2>/dev/null
done > "$TMP/cell-cg"
SH
chmod 755 "$H/ps" "$H/cg"
mounts0=$(grep -c "$TMP" /proc/self/mountinfo)
hooks "{'createRuntime': [{'path': '$H/cg'}, {'path': '$H/rt', 'args': ['rt', 'createRuntime', '3']}, {'path': '$H/rt', 'args': ['rt', 'never']}],
 'createContainer': [{'path': '$H/cc'}], 'poststop': [{'path': '$H/ps'}]}"
out=$("${X[@]}" create h2 2>&1)
like "$?:$(printf '%s' "$out" | tr '\n' ' ')" "^1:.*hook createRuntime\\[1\\] $H/rt: exit status 3" \
    "a failing createRuntime hook fails create"
[ -e "$TMP/st/h2" ]; ok $((! $?)) "... nothing left of it"
is "$(pgrep -f "$TMP/st create h2" | wc -l)" 0 "... no supervisor left"
is "$(wc -l < "$TMP/cell-cg")" 2 "... the cell had its memory and pids cgroups while the hooks ran"
left=; for d in $(cat "$TMP/cell-cg"); do [ -d "$d" ] && left="$left $d"; done
is "$left" "" "... and none is left"
is "$(grep -c "$TMP" /proc/self/mountinfo)" "$mounts0" "... nor a mount on the host"
is "$(cat "$TMP/poststop.log" 2>/dev/null)" "poststop:h2:stopped:nothing" \
    "runtime.md: after a failed createRuntime hook the container is destroyed, then poststop runs (state stopped)"
grep -q '^never:' "$TMP/hooks.log"; ok $((! $?)) "... the hooks after the failed one did not run"
[ -e "$TMP/b/rootfs/tmp/cc-ran" ]; ok $((! $?)) "... nor createContainer"
like "$(grep '"oci_hook"' "$TMP/events" | grep 'poststop\[0\]' | grep -c '"container":"h2"')" "^[1-9]" \
    "... the poststop run is a signed oci_hook event"
t0=$(date +%s)
hooks "{'prestart': [{'path': '$H/rt', 'args': ['sh', '-c', 'sleep 30'], 'timeout': 1}], 'poststop': [{'path': '$H/ps'}]}"
sed -i "1s|.*|#!/bin/sh\ncase \"\$1\" in -c) exec sleep 30;; esac|" "$H/rt"
out=$("${X[@]}" create h3 2>&1)
rc=$?
like "$rc:$(printf '%s' "$out" | tr '\n' ' ')" "^1:.*hook prestart\\[0\\] $H/rt: timed out after 1 s" "a hook's timeout is honoured"
[ $(( $(date +%s) - t0 )) -lt 10 ]; ok $? "... it was killed, create returned"
is "$(tail -1 "$TMP/poststop.log")" "poststop:h3:stopped:nothing" "... and poststop ran after the failed prestart hook"
sed -i '2d' "$H/rt"
hooks "{'startContainer': [{'path': '/hookbin/sc', 'args': ['sc', '5']}]}"
"${X[@]}" create h4 > /dev/null 2>&1
out=$("${X[@]}" start h4 2>&1)
like "$?:$(printf '%s' "$out" | tr '\n' ' ')" "^1:.*hook startContainer\\[0\\] /hookbin/sc: exit status 5" \
    "a failing startContainer hook fails start"
for _ in $(seq 100); do [ "$("${X[@]}" state h4 2>/dev/null | sed -n 's/.*"status": *"\([a-z]*\)".*/\1/p')" = stopped ] && break; sleep 0.05; done
like "$("${X[@]}" state h4 2>&1)" '"status": "stopped"' "... and the container is stopped"
"${X[@]}" delete h4 > /dev/null 2>&1
hooks "{'poststart': [{'path': '$H/rt', 'args': ['rt', 'poststart', '4']}], 'poststop': [{'path': '$H/rt', 'args': ['rt', 'poststop', '6']}]}"
"${X[@]}" create h5 > /dev/null 2>&1
out=$("${X[@]}" start h5 2>&1)
like "$?:$(printf '%s' "$out" | tr '\n' ' ')" "^0:.*warning|^0:.*poststart\\[0\\].*exit status 4" "a failing poststart hook is a warning"
for _ in $(seq 100); do [ "$("${X[@]}" state h5 2>/dev/null | sed -n 's/.*"status": *"\([a-z]*\)".*/\1/p')" = stopped ] && break; sleep 0.05; done
out=$("${X[@]}" delete h5 2>&1)
like "$?:$(printf '%s' "$out" | tr '\n' ' ')" "^0:.*poststop\\[0\\].*exit status 6" "a failing poststop hook is a warning; delete succeeds"
# a createContainer hook runs as the host's root inside the container's
# mount namespace: a script (the container's /bin/sh) or a dynamically
# linked program (the container's ld.so and libc) is refused, not run
rm -f "$TMP/b/rootfs/tmp/cc-script"
for k in cc-script cc-dyn; do
    hooks "{'createContainer': [{'path': '$H/$k'}]}"
    "${X[@]}" create h6 > "$TMP/h6.out" 2>&1
    like "$?:$(tr '\n' ' ' < "$TMP/h6.out")" \
        "^1:.*createContainer\\[0\\] $H/$k: refused: (not a 64-bit ELF|dynamically linked).*only a static program" \
        "createContainer: $k (the container's interpreter as the host's root) is refused"
    "${X[@]}" delete -f h6 > /dev/null 2>&1
done
[ -e "$TMP/b/rootfs/tmp/cc-script" ]; ok $((! $?)) "... the script never ran"
is "$(ls "$TMP/st")" "" "no state left"
done_testing
