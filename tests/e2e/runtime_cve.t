#!/usr/bin/env bash
# runtime_cve.t - lessons of the peers' CVEs, each a test:
#  - a symlink planted at a mount target (for /dev/null, /proc, a bind
#    target) never redirects a mount or a write outside the new root
#    (runc CVE-2019-16884, CVE-2021-30465, CVE-2025-31133);
#  - mount points are never created inside a bind of a host directory;
#  - a working directory given as /proc/self/fd/N is refused (CVE-2024-21626);
#  - the owner and mode of the caller's stdio (a file, /dev/null, a pty) are
#    unchanged after a run as a non-root uid (runsc and older crun chown them).
. "$CELLOS_TOP/tests/lib/tap.sh"
. "$CELLOS_TOP/tests/e2e/runtime_lib.sh"
need_root
tmpdir
chmod 755 "$TMP"
before=$(host_mounts)

A="$TMP/attacker"          # a host directory the workload controls (rw bind)
mkdir -p "$A" "$TMP/outside"
echo original > "$TMP/outside/victim"

# /dev/null replaced by a symlink to a host file (CVE-2025-31133)
ln -s "$TMP/outside/victim" "$A/null"
mkplan "$TMP/p.plan" --rw "$A:/a" --op "8:0:/dev/null:/a/null::0" -- /bin/sh -c 'echo pwned > /a/null'
crun_cell "$TMP/p.plan"
is "$RC" 125 "a devnode target that is a symlink is refused"
like "$ERR" "step mount_op [0-9]+ \(devnode /dev/null -> /a/null\): Too many levels of symbolic links" \
     "naming the op (ELOOP)"
is "$(cat "$TMP/outside/victim")" original "the symlink's host target is untouched"

# /proc replaced by a symlink (CVE-2019-16884)
mkplan "$TMP/p.plan" --bare --op "4:0::/work:755:0" --op "2:0::/work/fakeproc:755:0" \
       --op "11:0:/work/fakeproc:/proc::0" --op "7:0::/proc::0" --no-chdir --cwd / -- /bin/true
crun_cell "$TMP/p.plan"
is "$RC" 125 "a proc mount onto a symlinked /proc is refused"
like "$ERR" "\(proc /proc\): Too many levels of symbolic links" "with ELOOP, naming the op"

# a bind target whose parent is a symlink out of the root (CVE-2021-30465)
ln -s "$TMP/outside" "$A/escape"
ln -s ../../../../../../../../.. "$A/up"
mkplan "$TMP/p.plan" --rw "$A:/a" --op "4:0::/a/escape/mnt:755:4096" \
       --op "3:0:/usr/share/doc:/a/up/usr/doc-in-root::0" -- /bin/sh -c 'ls -d /a/escape/mnt /usr/doc-in-root 2>&1; touch /a/escape/mnt/pwned 2>&1'
crun_cell "$TMP/p.plan"
ok $([ ! -e "$TMP/outside/mnt" ] && [ ! -e "$TMP/outside/mnt/pwned" ] && echo 0 || echo 1) \
   "a tmpfs target reached through an absolute symlink never lands in the host directory"
[ ! -e /usr/doc-in-root ]; ok $? "a bind target reached through ../ symlinks never lands on the host"
is "$(host_mounts)" "$before" "the host mount table is unchanged"

# no mount point is ever created inside a bind of a host directory
mkplan "$TMP/p.plan" --rw "$A:/a" --op "4:0::/a/newdir:755:4096" -- /bin/true
crun_cell "$TMP/p.plan"
is "$RC" 125 "a mount point that would have to be created inside a host bind is refused"
[ ! -e "$A/newdir" ]; ok $? "and nothing was created in the host directory"
mkplan "$TMP/p.plan" --rw "$A:/a" --op "2:0::/a/made:755:0" -- /bin/true
crun_cell "$TMP/p.plan"
is "$RC:$([ -e "$A/made" ] && echo made)" "125:" "a MKDIR inside a host bind is refused, nothing made"
mkplan "$TMP/p.plan" --rw "$A:/a" --op "11:0:/etc/passwd:/a/link::0" -- /bin/true
crun_cell "$TMP/p.plan"
is "$RC:$([ -L "$A/link" ] && echo made)" "125:" "a SYMLINK inside a host bind is refused, nothing made"

# cwd as /proc/self/fd/N (CVE-2024-21626)
mkplan "$TMP/p.plan" --cwd /proc/self/fd/3 -- /bin/true
crun_cell "$TMP/p.plan" 3</
is "$RC" 125 "a working directory given as /proc/self/fd/N is refused (even when fd 3 is a directory)"
like "$ERR" "chdir /proc/self/fd/3\): (Too many levels of symbolic links|Not a directory)" "the magic link is never followed"
mkplan "$TMP/p.plan" --no-chdir --cwd /proc/self/fd/3 -- /bin/true
crun_cell "$TMP/p.plan" 3</
is "$RC" 125 "also when the cwd comes from the process section"
like "$ERR" "working directory /proc/self/fd/3" "naming it"

# stdio ownership after a rootless run
if setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null && rootless_setup; then
    probe_plan "$TMP/s.plan" --uid 0 --gid 0 -- ids
    chmod 644 "$TMP/s.plan"
    touch "$TMP/out.txt"; chown 65534:65534 "$TMP/out.txt"; chmod 0640 "$TMP/out.txt"
    st_null=$(stat -c '%u:%g:%a' /dev/null)
    setpriv --reuid=65534 --regid=65534 --clear-groups "$RL_CELLRUN" --unsigned --events /dev/null "$TMP/s.plan" \
        </dev/null >"$TMP/out.txt" 2>/dev/null
    is "$(stat -c '%u:%g:%a' "$TMP/out.txt")" "65534:65534:640" "a stdout file keeps its owner and mode"
    is "$(cat "$TMP/out.txt")" "0 0" "(the run happened: root inside the user namespace)"
    is "$(stat -c '%u:%g:%a' /dev/null)" "$st_null" "/dev/null keeps its owner and mode"
    # a pty: script allocates one owned by the caller
    res=$(setpriv --reuid=65534 --regid=65534 --clear-groups script -qec \
        "t=\$(tty); a=\$(stat -c '%u:%g:%a' \$t); $RL_CELLRUN --unsigned --events /dev/null $TMP/s.plan >/dev/null 2>&1; b=\$(stat -c '%u:%g:%a' \$t); echo \"\$a \$b\"" /dev/null </dev/null | tr -d '\r' | tail -1)
    set -- $res
    ok $([ -n "$1" ] && [ "$1" = "$2" ] && echo 0 || echo 1) "a pty keeps its owner and mode ($res)"
else
    skip 4 "setpriv cannot switch to nobody"
fi
is "$(residue)" "" "no cgroups left behind"
done_testing
