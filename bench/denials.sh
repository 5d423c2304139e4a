#!/usr/bin/env bash
# bench/denials.sh - the denial listener does not slow allowed calls
# (`make bench-denials`): the plan's program and the one the native cell
# loads with a listener (docs/runtime.md, "Naming a refused call"), side by
# side in one run: executed BPF instructions per call and a timed getppid
# loop under each filter. Env: BUILD (default build), ITERS (2000000).
set -eu
cd "$(dirname "$0")/.."
B=${BUILD:-build}
make -s "$B/bench/denials_bench" "$B/bin/cellc" >/dev/null
T=$(mktemp -d /tmp/cellos-bench-denials.XXXXXX)
trap 'rm -rf "$T"' EXIT
"$B/bin/cellc" -I policies policies/examples/hello.cell -o "$T/hello.plan"
echo "# $(uname -srm), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# plan: policies/examples/hello.cell"
"$B/bench/denials_bench" "$T/hello.plan" "${ITERS:-2000000}"
