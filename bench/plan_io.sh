#!/bin/bash
# plan_io.sh - plan writer/reader figures (docs/performance.md, "planio").
#   bench/plan_io.sh        builds build/bench/plan_io and runs it, then times
#                           `cellc dump` of the example plan against reading
#                           the same bytes with sha256sum (the floor)
set -e
cd "$(dirname "$0")/.."
make -s build/bench/plan_io all >/dev/null
echo "== in-process CPU time (medians of 31; plan_write includes its validating read)"
build/bench/plan_io
plan=$(mktemp /tmp/cellos-bench-plan.XXXXXX)
trap 'rm -f "$plan"' EXIT
build/bin/cellc policies/examples/hello.cell -o "$plan"
echo "== whole process, hello.plan ($(stat -c %s "$plan") bytes), 200 runs each"
t() { local s e; s=$(date +%s%N); for _ in $(seq 200); do "$@" >/dev/null; done; e=$(date +%s%N)
      printf '  %-40s %8.2f ms/run\n' "$*" "$(echo "($e - $s) / 200 / 1000000" | bc -l)"; }
t build/bin/cellc dump "$plan"
t sha256sum "$plan"
