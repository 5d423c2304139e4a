#!/usr/bin/env bash
# bench/seccomp.sh - our seccomp code generator beside libseccomp 2.5.4 in
# tree mode (SCMP_FLTATR_CTL_OPTIMIZE 2) and linear mode, same rules, one
# run (`make bench-seccomp`):
#  1. docker-default: instructions and worst-path executed instructions
#     (goal <= 90 / <= 12, x32 check included);
#  2. 200- and 1,000-value ioctl sets: worst ioctl path (goal <= 14 / <= 16);
#  3. 2,400 argument rules (300 syscalls x 8 values): compile time (goal
#     <= 5 ms), fits 4,096, growth with the rule count.
# Env: BUILD (default build); LIBSECCOMP_MAX (default 2400: largest rule
# count given to libseccomp, whose compile time grows quadratically).
set -eu
cd "$(dirname "$0")/.."
B=${BUILD:-build}
make -s "$B/bench/seccomp_bench" "$B/bin/cellc" >/dev/null
T=$(mktemp -d /tmp/cellos-bench-seccomp.XXXXXX)
trap 'rm -rf "$T"' EXIT
"$B/bin/cellc" policies/docker-default.cell -o "$T/docker.plan"
echo "# $(uname -srm), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
"$B/bench/seccomp_bench" "$T/docker.plan" "${LIBSECCOMP_MAX:-2400}"
