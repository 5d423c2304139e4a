#!/usr/bin/env bash
# bench/sinks.sh - remote event sinks (`make bench-sinks`, issue 17):
#  1. JetStream: events per second cellsend publishes with acks (pipelined)
#     from one process to a local nats-server -js (file storage); goal >= 20,000/s;
#  2. HTTP batched (1000 events per POST) to a local receiver
#     (tests/e2e/sinks_receiver.py, python3 http.server); goal >= 20,000/s;
#  3. a /bin/true cell with a JetStream sink (and the file) against a file
#     sink alone (medians of RUNS, interleaved): the set-up (go to the
#     workload's exec, wallus - workloadwallus of the completed event; goal:
#     at most 10% slower) and cellrun's whole wall time (which includes
#     waiting for the last acknowledgements).
# Env: BUILD (default build), RUNS (default 40), EVENTS (default 50000).
set -u
cd "$(dirname "$0")/.."
B=$(cd "${BUILD:-build}" && pwd)
RUNS=${RUNS:-40}
N=${EVENTS:-50000}
TOP=$PWD
CELLRUN=$B/bin/cellrun CELLSEND=$B/bin/cellsend GEN=$B/t/events_gen MKPLAN=$B/t/runtime/mkplan JSREAD=$B/t/sinks_jsread
for x in "$CELLRUN" "$CELLSEND" "$GEN" "$MKPLAN" "$JSREAD"; do
    [ -x "$x" ] || { echo "  skipped: $x is not built (make all test programs: make test TESTS=)"; exit 0; }
done
command -v nats-server >/dev/null || { echo "  skipped: nats-server is not installed"; exit 0; }
T=$(mktemp -d /tmp/cellos-bench-sinks.XXXXXX)
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
export LC_ALL=C
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

"$GEN" keys "$T/k" 1 >/dev/null
"$GEN" stream "$T/big.jsonl" --seed 1 --steps "$N" >/dev/null
lines=$(wc -l < "$T/big.jsonl")
run=$(head -1 "$T/big.jsonl" | sed 's/.*"source":"urn:uuid:\([^"]*\)".*/\1/')
spool() {   # spool SPEC: a spool holding big.jsonl for SPEC
    rm -rf "$T/spool"; mkdir -m 700 "$T/spool"
    cp "$T/big.jsonl" "$T/spool/$run.jsonl"; echo "$1" > "$T/spool/$run.sinks"
}
rate() {   # rate NAME: times cellsend flush of the spool
    local t0=$EPOCHREALTIME
    "$CELLSEND" flush "$T/spool" --give-up-ms 60000 || { echo "  $1: cellsend flush failed"; return 1; }
    local t1=$EPOCHREALTIME
    awk -v a="$t0" -v b="$t1" -v n="$lines" -v name="$1" \
        'BEGIN { printf "  %-52s %8.0f events/s (%d events in %.2f s)\n", name, n / (b - a), n, b - a }'
}

echo "== JetStream, acknowledged, pipelined (one cellsend process)"
P=$(port)
mkdir -p "$T/js"
nats-server -js -a 127.0.0.1 -p "$P" -sd "$T/js" >"$T/ns.log" 2>&1 & PIDS+=($!)
sleep 0.5
"$JSREAD" addstream "nats://127.0.0.1:$P" CELLOS_EVENTS 'cellos.events.>'
spool "nats://127.0.0.1:$P/cellos.events.{run}"
rate "JetStream publish + ack ($(nats-server --version))"
spool "nats://127.0.0.1:$P/cellos.events.{run}"
rate "the same again (every one a duplicate by Nats-Msg-Id)"

echo "== CloudEvents over HTTP, batched (1000 per POST)"
python3 "$TOP/tests/e2e/sinks_receiver.py" "$T/rport" - "" & PIDS+=($!)
for _ in $(seq 100); do [ -s "$T/rport" ] && break; sleep 0.05; done
spool "http://127.0.0.1:$(cat "$T/rport")/ce#batch&batchmax=1000"
rate "HTTP batched to python3 http.server"
spool "http://127.0.0.1:$(cat "$T/rport")/ce"
EVENTS_STRUCT=$(( lines < 5000 ? lines : 5000 ))
head -n "$EVENTS_STRUCT" "$T/big.jsonl" > "$T/spool/$run.jsonl"; lines=$EVENTS_STRUCT
rate "HTTP structured (one POST per event; peer figure)"

echo "== a whole cellrun of /bin/true: JetStream sink vs file sink"
if [ "$(id -u)" != 0 ]; then echo "  skipped: needs root"; exit 0; fi
"$MKPLAN" "$T/true.plan" -- /bin/true
"$CELLRUN" keygen "$T/ck" >/dev/null
rm -rf "$T/spool"; mkdir -m 700 "$T/spool"
one() {   # one file|nats: prints "WALL_US SETUP_US" (set-up: go to the workload's exec, from the completed event)
    rm -f "$T/f.jsonl"
    local a=(--events "$T/f.jsonl")
    [ "$1" = nats ] && a+=(--spool "$T/spool" --events "nats://127.0.0.1:$P/cellos.events.{run}")
    local t0=$EPOCHREALTIME
    "$CELLRUN" --key "$T/ck.key" "${a[@]}" "$T/true.plan" </dev/null >/dev/null 2>&1 || { echo "cellrun failed" >&2; exit 1; }
    local t1=$EPOCHREALTIME
    python3 -c 'import json,sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e["type"].endswith("command.v1.completed"): d = e["data"]
print(int((float(sys.argv[3]) - float(sys.argv[2])) * 1e6), d["wallus"] - d["workloadwallus"])' "$T/f.jsonl" "$t0" "$t1"
}
one file >/dev/null; one nats >/dev/null
: > "$T/wf"; : > "$T/wn"
for _ in $(seq "$RUNS"); do one file >> "$T/wf"; one nats >> "$T/wn"; done
med() { cut -d' ' -f"$2" "$1" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
f=$(med "$T/wf" 1) n=$(med "$T/wn" 1) fs=$(med "$T/wf" 2) ns=$(med "$T/wn" 2)
awk -v f="$f" -v n="$n" -v fs="$fs" -v ns="$ns" -v r="$RUNS" 'BEGIN {
    printf "  %-52s %8.2f ms set-up, %8.2f ms wall (medians of %d)\n", "cellrun /bin/true, --events FILE", fs / 1000, f / 1000, r
    printf "  %-52s %8.2f ms set-up (%+.1f%%), %8.2f ms wall (%+.1f%%): delivered and acked before exit\n", \
        "the same + --events nats://... (JetStream)", ns / 1000, 100 * (ns - fs) / fs, n / 1000, 100 * (n - f) / f }'
[ -z "$(ls -A "$T/spool")" ] && echo "  (the spool is empty: every run was delivered)"
