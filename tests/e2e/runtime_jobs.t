#!/usr/bin/env bash
# runtime_jobs.t - what a newcomer's jobs need from std/base and the
# filesystem rules (issue 19, items 6 and 10): a tmpfs the policy declares
# belongs to the cell's uid (gcc's "Cannot create temporary file" in a
# root-owned /tmp mode 0700), on native and gVisor alike; cellc warns when
# an rw grant's host directory is not writable by the cell's uid; std/base
# grants /etc/alternatives read-only, so cc and awk (symlinks through it)
# run.
. "$CELLOS_TOP/tests/lib/tap.sh"
. "$CELLOS_TOP/tests/e2e/runtime_lib.sh"
need_root
tmpdir
cell() { # cell NAME SHELL-COMMAND [extra filesystem lines]
    cat > "$TMP/$1.cell" <<CELL
use "std/base";
use "std/syscalls";
cell $1 {
    process { argv "/bin/sh", "-c", "$2"; env PATH = "/usr/bin:/bin"; cwd "/work"; }
    filesystem {
        workspace "/work" size 1MiB;
        tmpfs "/tmp" size 16MiB mode 0700;
        $3
    }
    limits { memory 256MiB; wall 60s; }
    syscalls { default kill-process; }
}
CELL
    "$CELLC" -I "$CELLOS_TOP/policies" "$TMP/$1.cell" -o "$TMP/$1.plan" 2>"$TMP/$1.cerr"
}

cell tmp 'echo data > /tmp/f && cat /tmp/f && ls -nd /tmp | cut -d\" \" -f1,3,4'
crun_cell "$TMP/tmp.plan"
is "$RC:$OUT" "0:data
drwx------ 65534 65534" "a tmpfs /tmp mode 0700 belongs to the cell's uid 65534: it can write there"
if command -v runsc >/dev/null; then
    crun_cell "$TMP/tmp.plan" --backend gvisor
    like "$RC:$OUT" "^0:data" "the same under gVisor"
else
    skip 1 "runsc is not installed"
fi

cell cc 'printf \"int main(void){return 0;}\" > /tmp/t.c && cc -o /work/t /tmp/t.c && /work/t && echo built; echo x | awk \"{print 1+1}\"'
is "$(cat "$TMP/cc.cerr")" "" "a policy on std/base compiles without a warning"
crun_cell "$TMP/cc.plan"
is "$RC:$OUT" "0:built
2" "cc (/usr/bin/cc -> /etc/alternatives/cc) compiles into the cell's /tmp, awk runs: std/base grants /etc/alternatives"

mkdir -p "$TMP/rootonly" "$TMP/shared" && chmod 755 "$TMP/rootonly" && chmod 1777 "$TMP/shared"
cell rw 'true' "rw \"$TMP/rootonly\" at \"/out\"; rw \"$TMP/shared\" at \"/shared\";"
is "$?" 0 "an rw grant of a directory the cell cannot write still compiles"
like "$(cat "$TMP/rw.cerr")" "warning: rw $TMP/rootonly: the host directory \(owner 0, group 0, mode 0755\) is not writable by the cell's uid 65534" \
     "with a warning naming the directory, its owner and mode, and the uid"
is "$(grep -c warning "$TMP/rw.cerr")" 1 "and none for a directory it can write (mode 1777)"
done_testing
