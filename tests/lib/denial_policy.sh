# denial_policy.sh - the policy the denial tests share (sourced): std/base,
# rw "$TMP/ws", uid/gid 65534, a kill-process default, and mkdir/mkdirat
# killed by an explicit rule on policy line 7 (tests match that line);
# everything else mkdir needs is allowed.
#   denial_policy ARGV-LIST [MORE-ALLOWED] > file.cell
denial_policy() {
    cat <<CELL
use "std/base";
cell d {
    process { argv $1; user 65534; group 65534; }
    filesystem { rw "$TMP/ws"; }
    syscalls {
        default kill-process;
        kill-process mkdirat, mkdir;
        allow @default, @basic-io, @process, @signal, openat, newfstatat, fstat, ioctl, umask, access, statfs${2:-};
    }
}
CELL
}
