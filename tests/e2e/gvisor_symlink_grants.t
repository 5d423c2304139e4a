#!/usr/bin/env bash
# gvisor_symlink_grants.t - a read-only grant whose host path is a symlink
# behaves under gVisor as natively: the bind follows it (issue 19, item 3).
# hello.cell binds /usr/lib64/ld-linux-x86-64.so.2, a symlink on Debian;
# gVisor failed its remount with ELOOP. Then every worked example that runs
# natively is run under gVisor too: it runs with the same output, or is
# refused, fail-closed, for a limit gVisor cannot enforce (never for its
# filesystem).
. "$CELLOS_TOP/tests/lib/tap.sh"
. "$CELLOS_TOP/tests/e2e/runtime_lib.sh"
. "$CELLOS_TOP/tests/e2e/gvisor_lib.sh"
need_root
need_runsc
tmpdir
chmod 755 "$TMP"

[ -L /usr/lib64/ld-linux-x86-64.so.2 ] || diag "the loader is not a symlink on this host; the case below is a plain file"
# hello.cell as written, but with limits gVisor can keep (its own memory
# needs more than 16MiB; pids is best-effort there)
sed -e 's/        memory 16MiB;/        memory 256MiB;/' -e 's/        pids 4;/        pids 4; pids-best-effort;/' \
    "$CELLOS_TOP/policies/examples/hello.cell" > "$TMP/hello.cell"
"$CELLC" "$TMP/hello.cell" -o "$TMP/hello.plan" || exit 1
gv_cell "$TMP/hello.plan"
is "$RC:$OUT" "0:hello from a cell" "hello.cell's symlinked loader grant works under gVisor"
[ "$RC" = 0 ] || diag "$ERR"
crun_cell "$TMP/hello.plan"
is "$RC:$OUT" "0:hello from a cell" "and natively, the same"

# a symlink to a directory, granted read-only, with a file read through it
mkdir -p "$TMP/real" && echo through-link > "$TMP/real/f" && ln -s real "$TMP/link" && chmod -R a+rX "$TMP/real"
mkplan "$TMP/l.plan" --ro "$TMP/link:/data" -- /bin/cat /data/f
gv_plan "$TMP/l.plan" --ro "$TMP/link:/data" -- /bin/cat /data/f
gv_cell "$TMP/l.plan"
is "$RC:$OUT" "0:through-link" "a directory grant through a symlink under gVisor"
crun_cell "$TMP/l.plan"
is "$RC:$OUT" "0:through-link" "and natively"

# the plain hello example under gVisor: refused for its pids limit, not its files
"$CELLC" "$CELLOS_TOP/policies/examples/hello.cell" -o "$TMP/h0.plan" || exit 1
gv_cell "$TMP/h0.plan"
like "$RC:$ERR" "^125:cellrun: cgroup: limits.pids cannot be enforced by the gvisor backend" \
     "the example as written: refused under gVisor for its pids limit (fail-closed), not for a grant"
done_testing
