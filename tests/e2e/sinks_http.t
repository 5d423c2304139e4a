#!/usr/bin/env bash
# sinks_http.t - CloudEvents over HTTP by cellsend (libcurl) to a local
# receiver (tests/e2e/sinks_receiver.py) that first answers 500, 429 and
# drops a connection, and a slow one: every event arrives exactly once
# (after `cellrun flush` for what the run's bound left), in structured mode
# (one event per POST) and batched mode; the bytes received are the
# stream's lines (cellrun verify passes on them) and the official
# CloudEvents SDK parses every request. A 400 is a permanent failure:
# reported on stderr and in the spool. An unreachable receiver under
# --require-delivered refuses the run.
[ -n "${CELLOS_TOP:-}" ] || { echo "1..0 # SKIP run through make test (CELLOS_TOP is not set)"; exit 0; }
. "$CELLOS_TOP/tests/lib/tap.sh"
need_root
[ -x "${CELLRUN:-}" ] && [ -x "$CELLOS_BUILD/bin/cellsend" ] || skip_all "cellrun/cellsend are not built"
tmpdir
. "$CELLOS_TOP/tests/e2e/sinks_lib.sh"
[ -x "$MKPLAN" ] || skip_all "the runtime's plan helper is not built"
cd "$TMP" || exit 1
node_ok=0
command -v node >/dev/null && [ -d "$CELLOS_TOP/tests/node/node_modules/cloudevents" ] && node_ok=1
sinks_plans
export CELLOS_SPOOL=$TMP/spool CELLOS_KEY=$TMP/k.key CELLOS_SINK_TIMEOUT_MS=2000 CELLOS_SINK_WAIT_MS=10000
run() { OUT=$("$CELLRUN" "$@" </dev/null 2>&1); RC=$?; }
RPIDS=()
receiver() {   # receiver NAME FAULTS: sets PORT
    mkdir -p "$1"
    python3 "$CELLOS_TOP/tests/e2e/sinks_receiver.py" "$1.port" "$1" "$2" & RPIDS+=($!)
    for _ in $(seq 100); do [ -s "$1.port" ] && break; sleep 0.05; done
    PORT=$(cat "$1.port")
}
trap 'kill "${RPIDS[@]}" 2>/dev/null; rm -rf "$TMP"' EXIT
check() {   # check NAME DIR FILE: lines received = FILE, verify, SDK
    python3 "$CELLOS_TOP/tests/e2e/sinks_http_lines.py" "$2" > "$2.jsonl"
    cmp -s "$2.jsonl" "$3"; ok $? "$1: the receiver got exactly the stream's lines, once each, in order"
    local o; o=$("$CELLRUN" verify "$2.jsonl" --trust k.trust.json 2>&1)
    ok $? "$1: cellrun verify passes on what the receiver got"; [ $? = 0 ] || diag "$o"
    if [ $node_ok = 1 ]; then
        o=$(node "$CELLOS_TOP/tests/node/parse_http.mjs" "$2" 2>&1)
        like "$o" "^events $(wc -l < "$3") " "$1: the CloudEvents SDK parses every request ($o)"
    else
        skip 1 "node or the cloudevents SDK is not installed"
    fi
}

# ---- structured mode through 500, 429 and a dropped connection
receiver s "500,429,drop"
run --events "http://127.0.0.1:$PORT/ce" --events file:s.ev true.plan
is "$RC" 0 "structured mode: the run succeeds through 500, 429 and a dropped connection"; [ "$RC" = 0 ] || diag "$OUT"
check structured s s.ev
grep -q 'application/cloudevents+json' s/000001.ct; ok $? "structured: Content-Type application/cloudevents+json"
[ -z "$(ls -A spool)" ]; ok $? "the spool is empty after delivery"

# ---- batched mode
receiver b "503"
run --events "http://127.0.0.1:$PORT/ce#batch&batchmax=20" --events file:b.ev true.plan
is "$RC" 0 "batched mode"; [ "$RC" = 0 ] || diag "$OUT"
check batched b b.ev
grep -q 'application/cloudevents-batch+json' b/000001.ct; ok $? "batched: Content-Type application/cloudevents-batch+json"
n=$(ls b/*.body | wc -l)
[ "$n" -ge 2 ] && [ "$n" -lt "$(wc -l < b.ev)" ]; ok $? "batched: $n requests for $(wc -l < b.ev) events (at most 20 per batch)"

# ---- a slow consumer: the run ends at the bound, the rest stays spooled
receiver w "slow,slow,slow"
CELLOS_SINK_WAIT_MS=300 run --events "http://127.0.0.1:$PORT/ce" --events file:w.ev true.plan
is "$RC" 0 "a slow receiver neither fails nor holds the run past its bound"
grep -q 'step.v1.exec' w.ev && grep -q 'stream.v1.sealed' w.ev; ok $? "the run went through to its seal meanwhile"
like "$OUT" "stay in the spool" "cellrun says the rest waits in the spool"
run flush spool
is "$RC" 0 "cellrun flush delivers the rest"; [ "$RC" = 0 ] || diag "$OUT"
check "slow consumer" w w.ev

# ---- a permanent failure (400): stderr and the spool, nothing retried forever
run --events "http://127.0.0.1:$PORT/reject" true.plan
is "$RC" 0 "a receiver refusing every event does not fail the run"
like "$OUT" "permanent failure.*status 400" "cellsend reports the permanent failure (status 400)"
f=$(ls spool/*.0.failed 2>/dev/null)
[ -n "$f" ] && grep -q "status 400" "$f"; ok $? "and records it in the spool (RUN.0.failed)"
run flush spool --give-up-ms 300
is "$RC" 1 "cellrun flush leaves a dead-lettered run in the spool (exit 1)"
rm -f spool/*

# ---- a misspelt scheme is refused before anything runs, not taken for a file
run --events "htps://127.0.0.1:$PORT/ce" true.plan
is "$RC" 125 "an unknown sink scheme (htps://) refuses the run"
like "$OUT" '^cellrun: events: "htps://127.0.0.1:[0-9]+/ce": unknown sink scheme "htps" \(remote sinks are nats://' \
    "... naming the scheme and the ones there are"
[ ! -e htps: ]; ok $? "... and creates nothing"

# ---- require delivered, nothing listening
port=$(free_port)
CELLOS_SINK_WAIT_MS=300 run --require-delivered --events "http://127.0.0.1:$port/ce" true.plan
is "$RC" 125 "--require-delivered with no receiver refuses the run"
like "$OUT" "a sink is not reachable, refusing to run: http http://127.0.0.1:$port/ce: " "naming the sink and libcurl's reason"
done_testing
