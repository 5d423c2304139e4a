#!/usr/bin/env bash
# runtime_export.t - artifact export (`export { artifact ...; }`, cellrun
# --export-dir, export.v2 events, cellrun verify --artifacts): a normal
# export verified; hostile sources (symlink to a host file, directory, fifo,
# /proc magic link, a file a background writer grows past max) each refused
# with a failed event, nothing written outside DIR, the stream sealed; an
# export dir through a symlink refused; a full export disk; required vs
# optional missing; without --export-dir; gvisor/vm refuse; rootless.
. "$CELLOS_TOP/tests/lib/tap.sh"
. "$CELLOS_TOP/tests/e2e/runtime_lib.sh"
need_root
tmpdir

# compile a policy whose workload is `sh -c SCRIPT` and export section EXPORTS
mkexp() {   # mkexp OUT SCRIPT EXPORTS
    cat > "$TMP/p.cell" <<EOF
use "std/base";
use "std/syscalls";
cell exp {
    process { argv "/bin/sh", "-c", "$2"; }
    filesystem { tmpfs "/work" size 16MiB; }
    network none;
    syscalls { default kill-process; }
    export {
$3
    }
}
EOF
    "$CELLC" -I "$CELLOS_TOP/policies" "$TMP/p.cell" -o "$1" 2>"$TMP/cc.err"
}
evdata() { jq -c "select(.type == \"dev.cellos.events.cell.export.v2.$1\") | .data" "$TMP/ev.jsonl"; }
cellid() { jq -r 'select(.type | startswith("dev.cellos.events.cell.export.v2.")) | .data.cellid' "$TMP/ev.jsonl" | head -1; }
sealed() { jq -r .type "$TMP/ev.jsonl" | tail -1; }
SEALED=dev.cellos.events.cell.stream.v1.sealed

# ---- a normal export, verified
mkdir -p "$TMP/out"
mkexp "$TMP/ok.plan" 'printf hello > /work/a.txt; head -c 100000 /dev/urandom > /work/b.bin' \
    'artifact "a.txt" from "/work/a.txt" required; artifact "b.bin" from "/work/b.bin" max 1MiB;'
ok $? "an export policy compiles: $(cat "$TMP/cc.err")"
like "$("$CELLC" dump "$TMP/ok.plan")" 'artifact a.txt from /work/a.txt max 67108864 required' "cellc dump shows the artifact (default max 64MiB)"
crun_cell "$TMP/ok.plan" --export-dir "$TMP/out"
is "$RC:$ERR" "0:" "the run succeeds"
ID=$(cellid)
like "$ID" '^[0-9a-f-]{36}$' "the export events name the cell id"
is "$(cat "$TMP/out/$ID/a.txt")" "hello" "a.txt is copied to DIR/<cell id>/a.txt"
is "$(stat -c '%a %U %s' "$TMP/out/$ID/b.bin")" "644 root 100000" "mode 0644, owned by the invoking user, all bytes"
is "$(evdata completed | jq -r 'select(.name=="b.bin") | .sha256')" "$(sha256sum < "$TMP/out/$ID/b.bin" | cut -d' ' -f1)" "the completed event carries the SHA-256"
is "$(sealed)" "$SEALED" "the stream is sealed"
OUT=$("$CELLRUN" verify "$TMP/ev.jsonl" --unsigned --artifacts "$TMP/out" 2>&1); RC=$?
is "$RC" 0 "verify --artifacts accepts the export: $OUT"
like "$OUT" "2 artifact\(s\) in .* match the stream" "and says how many"
cp "$TMP/out/$ID/a.txt" "$TMP/a.keep"
printf 'hellp' > "$TMP/out/$ID/a.txt"
OUT=$("$CELLRUN" verify "$TMP/ev.jsonl" --unsigned --artifacts "$TMP/out" 2>&1); RC=$?
is "$RC" 1 "an altered artifact fails verify --artifacts"
like "$OUT" "a.txt: sha256 [0-9a-f]+, the stream says" "naming the file and the digest"
rm "$TMP/out/$ID/a.txt"
OUT=$("$CELLRUN" verify "$TMP/ev.jsonl" --unsigned --artifacts "$TMP/out" 2>&1); RC=$?
is "$RC" 1 "a missing artifact fails verify --artifacts"
cp "$TMP/a.keep" "$TMP/out/$ID/a.txt"; echo x > "$TMP/out/$ID/extra"
OUT=$("$CELLRUN" verify "$TMP/ev.jsonl" --unsigned --artifacts "$TMP/out" 2>&1); RC=$?
is "$RC:$OUT" "1:cellrun verify: artifacts: $TMP/out/$ID/extra: not an artifact of the stream" "a file added beside them fails"

# ---- hostile sources: each refused, nothing else written, sealed
echo "host secret" > "$TMP/hostfile"
rm -rf "$TMP/out"; mkdir -p "$TMP/out"
mkexp "$TMP/bad.plan" "ln -s $TMP/hostfile /work/link; ln -s /etc/passwd /work/link2; mkdir /work/dir; mkfifo /work/fifo; (while :; do head -c 4096 /dev/zero >> /work/grow; done) & sleep 0.3; printf ok > /work/fine" \
    'artifact "link" from "/work/link"; artifact "link2" from "/work/link2"; artifact "dir" from "/work/dir";
     artifact "fifo" from "/work/fifo"; artifact "grow" from "/work/grow" max 8KiB;
     artifact "magic" from "/proc/1/root/etc/passwd"; artifact "fine" from "/work/fine";
     artifact "procst" from "/proc/1/status" max 100;'
ok $? "the hostile policy compiles: $(cat "$TMP/cc.err")"
crun_cell "$TMP/bad.plan" --export-dir "$TMP/out"
is "$RC:$ERR" "0:" "optional artifacts that fail do not fail the run"
ID=$(cellid)
is "$(evdata failed | jq -r .name | sort | tr '\n' ' ')" "dir fifo grow link link2 magic procst " "each hostile artifact has a failed event"
like "$(evdata failed | jq -r 'select(.name=="procst") | .reason')" "grew past max 100 bytes while copied" "a file that yields more than its size says is cut at max and refused"
like "$(evdata failed | jq -r 'select(.name=="link") | .reason')" "symlink \(refused\)" "a symlink to a host file is refused"
like "$(evdata failed | jq -r 'select(.name=="dir") | .reason')" "not a regular file" "a directory is refused"
like "$(evdata failed | jq -r 'select(.name=="fifo") | .reason')" "not a regular file" "a fifo is refused (without blocking)"
like "$(evdata failed | jq -r 'select(.name=="grow") | .reason')" "more than max 8192|grew past max" "a file grown past max by a background writer is refused"
like "$(evdata failed | jq -r 'select(.name=="magic") | .reason')" "symlink \(refused\)" "a /proc magic link is refused"
is "$(cd "$TMP/out" && find . | sort | tr '\n' ' ')" ". ./$ID ./$ID/fine " "only the good artifact is written, inside DIR/<cell id>"
is "$(cat "$TMP/hostfile")" "host secret" "the host file is untouched"
is "$(sealed)" "$SEALED" "the stream is sealed"
"$CELLRUN" verify "$TMP/ev.jsonl" --unsigned --artifacts "$TMP/out" >/dev/null 2>&1
is "$?" 0 "verify --artifacts accepts what was exported"

# ---- an existing destination is never overwritten (DIR/<cell id> made by the run)
rm -rf "$TMP/out"; mkdir -p "$TMP/out"
ln -s "$TMP/hostfile" "$TMP/out/victim"
crun_cell "$TMP/ok.plan" --export-dir "$TMP/out/victim"
is "$RC" 125 "an export dir that is a symlink is refused"
like "$ERR" "^cellrun: export: --export-dir $TMP/out/victim: " "in one line"
mkdir "$TMP/realdir"; ln -s "$TMP/realdir" "$TMP/out/dirlink"
crun_cell "$TMP/ok.plan" --export-dir "$TMP/out/dirlink"
is "$RC:$(ls -A "$TMP/realdir")" "125:" "a symlink to a directory is refused too, nothing written through it"
is "$(cat "$TMP/hostfile")" "host secret" "nothing written through it"

# ---- a full destination disk: refused, the partial copy removed (a private
# mount namespace with a 16KiB tmpfs as DIR, so the host sees no mount)
mkdir -p "$TMP/full"
mkexp "$TMP/full.plan" 'head -c 100000 /dev/urandom > /work/big; printf small > /work/small' \
    'artifact "big" from "/work/big"; artifact "small" from "/work/small";'
OUT=$(unshare -m --propagation private sh -c 'mount -t tmpfs -o size=16k none "$1" && shift && "$@" >/dev/null 2>&1; echo "rc=$?"; cd "$0" && find . -type f | sort' \
    "$TMP/full" "$TMP/full" "$CELLRUN" --unsigned --events "$TMP/ev.jsonl" --export-dir "$TMP/full" "$TMP/full.plan" 2>&1)
like "$OUT" "^rc=0" "a full export disk does not fail the run when the artifact is optional"
like "$(echo "$OUT" | sed 1d | tr '\n' ' ')" "^\./[0-9a-f-]+/small $" "the partial copy is removed, the small file is there"
like "$(evdata failed | jq -r 'select(.name=="big") | .reason')" "No space left on device" "the failed event says why"
is "$(sealed)" "$SEALED" "the stream is sealed"
is "$(ls -A "$TMP/full")" "" "nothing on the host's side of the mount"

# ---- required vs optional missing
rm -rf "$TMP/out"; mkdir -p "$TMP/out"
mkexp "$TMP/req.plan" 'true' 'artifact "gone" from "/work/gone" required;'
crun_cell "$TMP/req.plan" --export-dir "$TMP/out"
is "$RC" 125 "a missing required artifact fails the run (125)"
like "$ERR" "^cellrun: export: required artifact gone: /work/gone: No such file or directory$" "with one line naming it"
is "$(sealed)" "$SEALED" "the stream is still sealed"
is "$(jq -r 'select(.type=="dev.cellos.events.cell.lifecycle.v1.destroyed") | .data.outcome' "$TMP/ev.jsonl")" "failed" "and the outcome is failed"
mkexp "$TMP/opt.plan" 'true' 'artifact "gone" from "/work/gone";'
crun_cell "$TMP/opt.plan" --export-dir "$TMP/out"
is "$RC:$ERR" "0:" "a missing optional artifact does not fail the run"
like "$(evdata failed)" '"name":"gone".*"required":false' "it has a failed event"

# ---- without --export-dir: nothing exported, an event says so
crun_cell "$TMP/ok.plan"
is "$RC" 0 "without --export-dir the plan runs"
like "$(jq -r 'select(.type=="dev.cellos.events.cell.step.v1.export_skipped") | .data.why' "$TMP/ev.jsonl")" "no --export-dir: 2 artifact" "and an event says nothing was exported"

# ---- gvisor refuses a plan with an export section
crun_cell "$TMP/ok.plan" --backend gvisor --export-dir "$TMP/out"
is "$RC:$ERR" "125:cellrun: export: the plan exports artifacts, which only the native backend can do (not gvisor)" "gvisor refuses an export plan in one line"

# ---- vm refuses it too
crun_cell "$TMP/ok.plan" --backend vm --export-dir "$TMP/out"
is "$RC:$ERR" "125:cellrun: export: the plan exports artifacts, which only the native backend can do (not vm)" "the vm backend refuses an export plan in one line"

# ---- rootless: the copy is the invoking user's
if setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null && rootless_setup; then
    mkdir "$TMP/rootless/out" && chown 65534:65534 "$TMP/rootless/out"
    cp "$TMP/ok.plan" "$TMP/rootless/ok.plan" && chmod 644 "$TMP/rootless/ok.plan"
    (cd "$TMP/rootless" && setpriv --reuid=65534 --regid=65534 --clear-groups "$RL_CELLRUN" --unsigned \
        --events out/ev.jsonl --export-dir out ok.plan </dev/null >/dev/null 2>"$TMP/rl.err")
    is "$?:$(cat "$TMP/rl.err")" "0:" "a rootless run exports"
    is "$(stat -c '%u %a %s' "$TMP"/rootless/out/*/b.bin 2>&1)" "65534 644 100000" "the copy belongs to the invoking user"
    "$CELLRUN" verify "$TMP/rootless/out/ev.jsonl" --unsigned --artifacts "$TMP/rootless/out" --quiet 2>&1
    is "$?" 0 "and verifies"
else
    skip 3 "cannot run as uid 65534 here"
fi

# ---- an upstream CellOS document's spec.export.artifacts
rm -rf "$TMP/out"; mkdir -p "$TMP/out"
PATH=/usr/bin:/bin "$CELLC" "$CELLOS_TOP/tests/data/cellos/export.yaml" -o "$TMP/doc.plan" 2>"$TMP/cc.err"
ok $? "export.yaml compiles: $(cat "$TMP/cc.err")"
crun_cell "$TMP/doc.plan" --export-dir "$TMP/out"
is "$RC:$(cat "$TMP"/out/*/build.log 2>&1)" "0:built" "its artifact is exported"
is "$(evdata failed | jq -r .name)" "missing.txt" "its missing (optional) artifact has a failed event"
"$CELLRUN" verify "$TMP/ev.jsonl" --unsigned --artifacts "$TMP/out" --quiet
is "$?" 0 "and verify --artifacts accepts it"

is "$(residue)" "" "nothing left on the host"
done_testing
