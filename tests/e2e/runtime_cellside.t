#!/usr/bin/env bash
# runtime_cellside.t - the cell side alone (CELL_SIDE_SRC, static, libc
# only), driven like a VM guest init with its own report sink: every step
# reported in order, the workload confined, its status returned.
. "$CELLOS_TOP/tests/lib/tap.sh"
. "$CELLOS_TOP/tests/e2e/runtime_lib.sh"
need_root
CS="$RT_T/cellside"
[ -x "$CS" ] || skip_all "cellside driver not built"
ok $(ldd "$CS" 2>&1 | grep -q "not a dynamic executable" && echo 0 || echo 1) "the driver is statically linked from the cell-side files alone"
OUT=$("$CS" /bin/sh -c 'echo workload $(id -u) $(hostname); touch /x 2>&- || echo rofs; exit 4' </dev/null); RC=$?
is "$RC" 4 "the workload's status comes back"
steps=$(echo "$OUT" | awk '$1=="record"{print $2}' | uniq | tr '\n' ' ')
is "$steps" "namespaces uid_map cgroup mount_private mount_op hostname loopback init rlimits fds env secrets caps no_new_privs landlock seccomp exec exit " \
   "every step is reported through the custom sink, in order"
like "$OUT" "record seccomp 0 0 0 1" "the seccomp step carries the instruction count"
like "$OUT" "workload 1000 guest" "the workload runs as the plan's uid with the plan's hostname"
like "$OUT" "rofs" "and its root is read-only"
like "$OUT" "record exit 0 0 0 1024" "the exit record carries the wait status"
done_testing
