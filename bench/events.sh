#!/usr/bin/env bash
# bench/events.sh - what signing events costs (`make bench-events`).
#  1. signed events per second on one core (events_bench pins itself, and
#     so cellrun's signer thread, to one CPU), beside libsodium's Ed25519
#     over the very bytes the stream signs, in interleaved rounds of one run
#     (goal: signed events/s >= 0.90x libsodium's signatures/s), and, as a
#     peer, OpenSSL's `openssl speed`;
#  2. the cost of signing on a whole cellrun (goal < 5% of its wall time):
#     the same /bin/true plan run RUNS times signed and unsigned, interleaved.
# Env: BUILD (default build), RUNS (default 40), SECONDS_PER (default 2).
set -u
cd "$(dirname "$0")/.."
B=${BUILD:-build}
RUNS=${RUNS:-40}
echo "== events per second (one core)"
"$B/bench/events_bench" "${SECONDS_PER:-2}" || exit 1
if command -v openssl >/dev/null; then
    openssl speed -seconds "${SECONDS_PER:-2}" ed25519 2>/dev/null |
        awk '/Ed25519/ { printf "  %-44s %10.0f sign/s     (peer: OpenSSL %s)\n", "Ed25519 sign (openssl speed)", $(NF-1), v }' v="$(openssl version | cut -d' ' -f2)"
fi

echo "== signing cost on a whole cellrun"
CELLRUN=$B/bin/cellrun MKPLAN=$B/t/runtime/mkplan
if [ "$(id -u)" != 0 ] || [ ! -x "$CELLRUN" ] || [ ! -x "$MKPLAN" ]; then
    echo "  skipped: needs root, $CELLRUN and $MKPLAN (make test builds it)"
    exit 0
fi
T=$(mktemp -d /tmp/cellos-bench-events.XXXXXX)
trap 'rm -rf "$T"' EXIT
"$MKPLAN" "$T/true.plan" -- /bin/true
"$CELLRUN" keygen "$T/k" >/dev/null
export LC_ALL=C     # EPOCHREALTIME with a '.'
run() {  # run signed|unsigned: one cellrun; prints "WALL_US CPU_US" (CPU: user+sys of cellrun and its cell)
    local a=(--unsigned)
    [ "$1" = signed ] && a=(--key "$T/k.key")
    # wall to the microsecond ($EPOCHREALTIME; `time` prints milliseconds,
    # too coarse for a difference of a few hundred microseconds); CPU from
    # `times` in a subshell whose only child is this cellrun (milliseconds:
    # the summary averages it)
    ( t0=$EPOCHREALTIME
      "$CELLRUN" "${a[@]}" --events "$T/$1.jsonl" "$T/true.plan" </dev/null >/dev/null 2>&1 || exit 1
      t1=$EPOCHREALTIME
      times > "$T/times"     # a builtin in this process (a pipe would fork it)
      awk -v t0="$t0" -v t1="$t1" 'NR == 2 {
          split($1, u, /[ms]/); split($2, s, /[ms]/)
          printf "%d %d\n", (t1 - t0) * 1e6, (u[1] * 60 + u[2] + s[1] * 60 + s[2]) * 1e6 }' "$T/times"
    ) || { echo "cellrun failed" >&2; exit 1; }
}
run signed >/dev/null; run unsigned >/dev/null     # warm up
: > "$T/s"; : > "$T/u"
for _ in $(seq "$RUNS"); do run signed >> "$T/s"; run unsigned >> "$T/u"; done
med() { cut -d' ' -f"$2" "$1" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
mean() { awk -v f="$2" '{ t += $f } END { printf "%d\n", t / NR }' "$1"; }
ms=$(med "$T/s" 1) mu=$(med "$T/u" 1) cs=$(mean "$T/s" 2) cu=$(mean "$T/u" 2)
ev=$(( $(wc -l < "$T/signed.jsonl") / (RUNS + 1) ))
awk -v s="$ms" -v u="$mu" -v cs="$cs" -v cu="$cu" -v n="$RUNS" -v ev="$ev" 'BEGIN {
    printf "  %-44s %8.2f ms wall (median of %d), %6.2f ms CPU (mean)\n", "cellrun /bin/true, signed", s / 1000, n, cs / 1000
    printf "  %-44s %8.2f ms wall, %6.2f ms CPU\n", "cellrun /bin/true, --unsigned", u / 1000, cu / 1000
    printf "  %-44s %8.2f ms wall (%.1f%%), %6.2f ms CPU (%.1f%% of the signed run'"'"'s wall time); %d events per run\n", \
        "signing cost", (s - u) / 1000, 100 * (s - u) / s, (cs - cu) / 1000, 100 * (cs - cu) / s, ev
}'
