#!/usr/bin/env bash
# gvisor_oci.t - the generated OCI config on its own: well-formed for
# runtime-spec 1.0.2, and run by plain `runsc run` outside cellrun (an
# exported bundle: `cellrun --print-oci-config --bundle DIR`), where the
# cell looks the same from inside as under cellrun.
. "$CELLOS_TOP/tests/lib/tap.sh"
. "$CELLOS_TOP/tests/e2e/runtime_lib.sh"
. "$CELLOS_TOP/tests/e2e/gvisor_lib.sh"
need_root
need_runsc
tmpdir
command -v jq >/dev/null || skip_all "jq is not installed"

script='echo "usr:$( (echo x > /usr/cellos-oci) 2>/dev/null && echo wrote || echo refused)";
echo "work:$(echo x > /work/f && echo ok)";
echo "keys:$(wc -c < /proc/keys)";
echo "unshare:$(unshare -U true 2>/dev/null && echo ran || echo refused)";
echo "id:$(id -u):$(id -g)";
echo "host:$(hostname)";
echo "sys:$(ls /sys 2>/dev/null | wc -l)"'
gv_plan "$TMP/p.plan" --uid 1000 --gid 1000 --hostname oci-check -- /bin/sh -c "$script"

# the config itself
cfg=$("$CELLRUN" --print-oci-config "$TMP/p.plan" 2>/dev/null); RC=$?
is "$RC" 0 "--print-oci-config prints the config"
check() { jq -e "$1" <<<"$cfg" >/dev/null; ok $? "config: $2"; }
check '.ociVersion == "1.0.2"' "ociVersion 1.0.2"
check '.process.noNewPrivileges == true and .process.terminal == false' "noNewPrivileges, no terminal"
check '[.process.capabilities | to_entries[] | .value | length] == [0,0,0,0,0]' "no capability in any of the five sets"
check '.process.user == {"uid":1000,"gid":1000}' "the plan's uid and gid"
check '.root == {"path":"rootfs","readonly":true}' "a read-only root in the bundle"
check '.hostname == "oci-check"' "the hostname"
check '[.linux.namespaces[].type] | sort == ["cgroup","ipc","mount","network","pid","uts"]' "pid, net, ipc, uts, mount and cgroup namespaces"
check '[.mounts[] | has("destination") and has("type") and has("source") and has("options")] | all' "every mount complete"
check '[.mounts[].destination] == ([.mounts[].destination] | sort_by(length))' "mounts parents first"
check '.linux.seccomp.defaultAction == "SCMP_ACT_ALLOW" and .linux.seccomp.architectures == ["SCMP_ARCH_X86_64"]' \
      "seccomp: the plan's default, x86_64"
check '[.linux.seccomp.syscalls[] | select(.names == ["unshare"]) | [.action, (.args // [] | length)]] == [["SCMP_ACT_ERRNO", 1], ["SCMP_ACT_ERRNO", 0]]' \
      "seccomp: unshare(CLONE_NEWUSER) refused first (always), then unshare (the plan's rule)"
check '.linux.seccomp.syscalls[0:3] | map(.names[0]) == ["clone", "unshare", "clone3"] and (.[0].args[0] | .op == "SCMP_CMP_MASKED_EQ" and .value == 268435456 and .valueTwo == 268435456)' \
      "seccomp: the CLONE_NEWUSER entries come before the plan's rules"
check '[.linux.seccomp.syscalls[] | select(.names == ["clone3"]) | .action] | .[0] == "SCMP_ACT_TRACE"' \
      "seccomp: clone3's ENOSYS through TRACE (ptrace is denied)"
check '[.linux.seccomp.syscalls[] | .args // [] | group_by(.index) | map(length) | max // 1] | max <= 1' \
      "seccomp: never two conditions on one argument (runsc would OR them)"
check '[.mounts[] | select(.destination == "/dev/null") | .options] == [["bind","rw"]]' "/dev/null: a device bind"
check '.annotations["dev.cellos.plan"] | startswith("sha256:")' "annotated with the plan digest"
pcfg=$("$CELLRUN" --print-oci-config --portable "$TMP/p.plan" 2>/dev/null)
is "$(jq -c '[.mounts[] | select(.destination == "/usr") | .source]' <<<"$pcfg")" '["/usr"]' \
   "--portable names host paths as bind sources"
is "$(jq -c 'del(.mounts, .annotations)' <<<"$pcfg")" "$(jq -c 'del(.mounts, .annotations)' <<<"$cfg")" \
   "  and differs from the run's config only there"

# an exported bundle run by plain runsc
"$CELLRUN" --print-oci-config --bundle "$TMP/b" "$TMP/p.plan" 2>/dev/null; RC=$?
is "$RC" 0 "--print-oci-config --bundle writes a bundle"
ok $([ -f "$TMP/b/config.json" ] && [ -d "$TMP/b/rootfs" ] && [ -L "$TMP/b/rootfs/bin" ] && echo 0 || echo 1) \
   "  config.json and the root skeleton"
"$CELLRUN" --print-oci-config --bundle "$TMP/b" "$TMP/p.plan" 2>/dev/null; RC=$?
is "$RC" 125 "  it refuses to write into an existing directory"
mkdir "$TMP/state"
OUT=$(runsc --root="$TMP/state" --network=none --oci-seccomp --ignore-cgroups run --bundle "$TMP/b" \
      "cellos-ocitest-$$" 2>"$TMP/runsc.err" </dev/null); RC=$?
is "$RC" 0 "plain runsc run runs the exported bundle"
[ "$RC" = 0 ] || diag "$(head -3 "$TMP/runsc.err")"
want="usr:refused work:ok keys:0 unshare:refused id:1000:1000 host:oci-check sys:0"
is "$(echo "$OUT" | tr '\n' ' ' | sed 's/ $//')" "$want" "and the cell looks as it does under cellrun"
CELLOUT=$(rt_cellrun --unsigned --events /dev/null --backend gvisor "$TMP/p.plan" 2>/dev/null </dev/null)
is "$(echo "$CELLOUT" | tr '\n' ' ' | sed 's/ $//')" "$want" "(the same plan under cellrun)"
is "$(ls -A "$TMP/state")" "" "runsc left no state"
done_testing
