#!/usr/bin/env bash
# sinks_nats.t - events delivered to NATS JetStream by cellsend, read back
# with Debian's Go client (sharing no code with ours) and verified with
# `cellrun verify`: the same bytes as a file sink; the server down before
# the run (spooled, then `cellrun flush`), killed mid-run and restarted, a
# full stream (max_msgs) later raised, wrong credentials and a TLS name
# mismatch under --require-delivered or a plan's `events { require
# delivered; }` (the run refuses, nothing executed),
# user/password, token and nkey authentication, TLS with a CA file: every
# event is in the stream exactly once (verify refuses duplicates).
[ -n "${CELLOS_TOP:-}" ] || { echo "1..0 # SKIP run through make test (CELLOS_TOP is not set)"; exit 0; }
. "$CELLOS_TOP/tests/lib/tap.sh"
need_root
command -v nats-server >/dev/null || skip_all "nats-server is not installed (make deps installs it)"
[ -x "${CELLRUN:-}" ] && [ -x "${CELLC:-}" ] && [ -x "$CELLOS_BUILD/bin/cellsend" ] || skip_all "cellc/cellrun/cellsend are not built"
tmpdir
. "$CELLOS_TOP/tests/e2e/sinks_lib.sh"
[ -x "$JSREAD" ] || skip_all "the Go JetStream reader is not built (go or golang-github-nats-io-go-nats-dev missing)"
[ -x "$MKPLAN" ] || skip_all "the runtime's plan helper is not built"
cd "$TMP" || exit 1
trap 'nats_stop_all; rm -rf "$TMP"' EXIT
sinks_plans
export CELLOS_SPOOL=$TMP/spool CELLOS_KEY=$TMP/k.key CELLOS_SINK_TIMEOUT_MS=1000 CELLOS_SINK_WAIT_MS=400
run() { OUT=$("$CELLRUN" "$@" </dev/null 2>&1); RC=$?; }
verify() {   # verify FILE NAME : cellrun verify passes on what came back
    local o; o=$("$CELLRUN" verify "$1" --trust k.trust.json 2>&1)
    ok $? "$2"; [ $? = 0 ] || diag "$o"
}
spool_empty() { [ -z "$(ls -A spool)" ]; }

# ---- delivered, byte for byte, alongside a file sink
nats_start main || skip_all "nats-server does not start"
URL=nats://127.0.0.1:$NATS_PORT
"$JSREAD" addstream "$URL" CELLOS_EVENTS 'cellos.events.>'
run --events "nats://127.0.0.1:$NATS_PORT/cellos.events.{run}.{type}" --events file:ev.jsonl true.plan
is "$RC" 0 "a run with a JetStream sink and a file sink"; [ "$RC" = 0 ] || diag "$OUT"
"$JSREAD" read "$URL" CELLOS_EVENTS js.jsonl
cmp -s js.jsonl ev.jsonl
ok $? "JetStream holds exactly the file sink's bytes ($(wc -l < ev.jsonl) events)"
verify js.jsonl "cellrun verify passes on what the Go client read back"
run_id=$(head -1 ev.jsonl | sed 's/.*"source":"urn:uuid:\([^"]*\)".*/\1/')
subj=$(JSREAD_VERBOSE=1 "$JSREAD" read "$URL" CELLOS_EVENTS /dev/null 2>&1 | head -1)
like "$subj" "^1 cellos\.events\.$run_id\.lifecycle\.v1\.started urn:uuid:$run_id/1\$" \
    "subject from the template ({run}, {type}); Nats-Msg-Id is source/id"
spool_empty; ok $? "the spool is empty after delivery"
CELLOS_EVENTS="$URL/cellos.events.env file:env.ev" run true.plan
is "$RC" 0 "\$CELLOS_EVENTS names a JetStream sink and a file (space-separated)"; [ "$RC" = 0 ] || diag "$OUT"
"$JSREAD" read "$URL" CELLOS_EVENTS js2.jsonl
tail -n "$(wc -l < env.ev)" js2.jsonl | cmp -s - env.ev; ok $? "JetStream got that run's lines too"
# a plan with its own events.source (the same for every run of the plan):
# the message id is urn:uuid:RUN/ID, so a second run is not a duplicate
sed 's|^    network none;|    network none;\n    events { source "urn:cellos:ci"; }|' \
    "$CELLOS_TOP/policies/examples/hello.cell" > src.cell
"$CELLC" -I "$CELLOS_TOP/policies" src.cell -o src.plan
before=$(wc -l < js2.jsonl)
for i in 1 2; do run --events "$URL/cellos.events.src" --events file:src.ev src.plan; done
is "$RC" 0 "two runs of a plan whose events.source is urn:cellos:ci"
"$JSREAD" read "$URL" CELLOS_EVENTS js3.jsonl
tail -n +"$((before + 1))" js3.jsonl | cmp -s - src.ev
ok $? "JetStream holds both runs, not the first twice or once ($(wc -l < src.ev) events)"
msgid=$(JSREAD_VERBOSE=1 "$JSREAD" read "$URL" CELLOS_EVENTS /dev/null 2>&1 | sed -n "$((before + 1))p")
like "$msgid" " urn:uuid:$(head -1 src.ev | jq -r .data.runid)/1\$" "the message id is the run's UUID URN and the event id"

# ---- the server down before the run: spooled, delivered by cellrun flush
nats_stop main
CELLOS_SINK_WAIT_MS=300 run --events "$URL/cellos.events.down" true.plan
is "$RC" 0 "the server down does not fail or stall the run"
like "$OUT" "stay in the spool $TMP/spool .*cellrun flush" "cellrun says the events wait in the spool"
ls spool/*.jsonl >/dev/null 2>&1; ok $? "the run's stream is in the spool"
run flush spool --give-up-ms 300
is "$RC" 1 "cellrun flush with the server still down leaves it (exit 1)" 
nats_start main "" "$NATS_PORT"
run flush spool
is "$RC" 0 "cellrun flush delivers it once the server is back"; [ "$RC" = 0 ] || diag "$OUT"
"$JSREAD" read "$URL" CELLOS_EVENTS all.jsonl
grep -c '"sequence"' all.jsonl > /dev/null
verify all.jsonl "both runs verify from the stream: every event exactly once"
spool_empty; ok $? "the spool is empty after the flush"

# ---- require delivered: an unreachable sink refuses the run before the workload
nats_stop main
run --require-delivered --events "$URL/cellos.events.req" true.plan
is "$RC" 125 "--require-delivered with the server down refuses the run (125)"
like "$OUT" "require-delivered: a sink is not reachable, refusing to run: nats 127.0.0.1:$NATS_PORT: cannot connect" \
    "and says which sink and why"
cat spool/*.jsonl > refused.jsonl 2>/dev/null
unlike "$(cat refused.jsonl)" 'step\.v1\.exec' "the workload never started (no exec step in the spooled stream)"
grep -q '"outcome":"failed"' refused.jsonl; ok $? "the spooled stream records the refused run as failed"
rm -f spool/*

# ---- the same from the policy: events { require delivered; }
sed 's/^}$/    events { require delivered; }\n}/' "$CELLOS_TOP/policies/examples/hello.cell" > req.cell
"$CELLC" req.cell -o req.plan >/dev/null 2>&1; ok $? "cellc compiles events { require delivered; }"
like "$("$CELLC" dump req.plan 2>&1)" "require delivered" "cellc dump shows it"
run --events file:req.ev req.plan
is "$RC" 125 "a plan requiring delivery refuses a run without a remote sink"
like "$OUT" "the plan requires delivery" "saying so"
run --events "$URL/cellos.events.req" req.plan
is "$RC" 125 "a plan requiring delivery refuses the run while the server is down"
rm -f spool/*
nats_start main "" "$NATS_PORT"
run --events "$URL/cellos.events.req" req.plan
is "$RC" 0 "and runs once the server acknowledges"; [ "$RC" = 0 ] || diag "$OUT"
nats_stop main

# ---- killed mid-run and restarted: everything exactly once
nats_start main "" "$NATS_PORT"

"$JSREAD" addstream "$URL" MID 'cellos.mid.>'
CELLOS_SINK_WAIT_MS=10000 "$CELLRUN" --events "$URL/cellos.mid.{run}" sleep.plan </dev/null >mid.out 2>&1 &
crpid=$!
sleep 0.4
SIG=KILL nats_stop main
sleep 0.3
nats_start main "" "$NATS_PORT"
wait $crpid
is "$?" 0 "a run whose server was killed and restarted mid-run"
"$JSREAD" read "$URL" MID mid.jsonl
verify mid.jsonl "the stream holds the whole run exactly once after the restart"
grep -q 'stream.v1.sealed' mid.jsonl; ok $? "including the seal"

# ---- a full stream (max_msgs): the rest waits in the spool, then arrives
"$JSREAD" addstream "$URL" FULL 'cellos.full.>' 10
run --events "$URL/cellos.full.x" true.plan
is "$RC" 0 "a run against a full stream"
like "$OUT" "maximum messages exceeded|stay in the spool" "cellsend reports the stream is full and keeps the rest"
"$JSREAD" update "$URL" FULL 'cellos.full.>' 1000
run flush spool
is "$RC" 0 "after the limit is raised cellrun flush delivers the rest"; [ "$RC" = 0 ] || diag "$OUT"
"$JSREAD" read "$URL" FULL full.jsonl
verify full.jsonl "the full-stream run verifies: no event lost or doubled"
nats_stop main

# ---- authentication: user/password, token, nkey; wrong credentials refuse
nats_start auth 'authorization { users = [ { user: "ci", password: "s3cret" } ] }'
AURL=127.0.0.1:$NATS_PORT
"$JSREAD" addstream "nats://ci:s3cret@$AURL" CELLOS_EVENTS 'cellos.events.>'
run --require-delivered --events "nats://ci:wrong@$AURL/cellos.events.auth" true.plan
is "$RC" 125 "wrong credentials under --require-delivered refuse the run"
like "$OUT" "Authorization Violation" "with the server's reason"
unlike "$OUT" "wrong" "the password is never printed"
rm -f spool/*
run --require-delivered --events "nats://ci:s3cret@$AURL/cellos.events.auth" true.plan
is "$RC" 0 "the right user and password deliver"; [ "$RC" = 0 ] || diag "$OUT"
nats_stop auth
nats_start tok 'authorization { token: "t0ken" }'
"$JSREAD" addstream "nats://t0ken@127.0.0.1:$NATS_PORT" XY 'x.y'
run --require-delivered --events "nats://t0ken@127.0.0.1:$NATS_PORT/x.y" true.plan
is "$RC" 0 "token authentication"; [ "$RC" = 0 ] || diag "$OUT"
nats_stop tok
pub=$("$JSREAD" nkey user.nk)
"$JSREAD" nkey other.nk >/dev/null
nats_start nk "authorization { users = [ { nkey: \"$pub\" } ] }"
JSREAD_NKEY=user.nk "$JSREAD" addstream "nats://127.0.0.1:$NATS_PORT" XY 'x.y'
run --require-delivered --events "nats://127.0.0.1:$NATS_PORT/x.y#nkey=$TMP/user.nk" true.plan
is "$RC" 0 "nkey authentication (the seed signs the server's nonce)"; [ "$RC" = 0 ] || diag "$OUT"
run --require-delivered --events "nats://127.0.0.1:$NATS_PORT/x.y#nkey=$TMP/other.nk" true.plan
is "$RC" 125 "an nkey the server does not know refuses the run"
rm -f spool/*
nats_stop nk

# ---- TLS with a CA file; a name mismatch refuses
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=test-ca \
    -keyout ca.key -out ca.pem 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
    -keyout srv.key -out srv.csr 2>/dev/null
printf 'subjectAltName=DNS:localhost\n' > san.ext
openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile san.ext -out srv.pem 2>/dev/null
nats_start tls "tls { cert_file: \"$TMP/srv.pem\", key_file: \"$TMP/srv.key\" }"
JSREAD_CA=ca.pem "$JSREAD" addstream "tls://localhost:$NATS_PORT" CELLOS_EVENTS 'cellos.events.>'
run --require-delivered --events "tls://localhost:$NATS_PORT/cellos.events.tls#ca=$TMP/ca.pem" true.plan
is "$RC" 0 "TLS with the CA file, the name matching the certificate"; [ "$RC" = 0 ] || diag "$OUT"
JSREAD_CA=ca.pem "$JSREAD" read "tls://localhost:$NATS_PORT" CELLOS_EVENTS tls.jsonl
verify tls.jsonl "what went over TLS verifies"
run --require-delivered --events "tls://127.0.0.1:$NATS_PORT/cellos.events.tls#ca=$TMP/ca.pem" true.plan
is "$RC" 125 "a TLS name mismatch (127.0.0.1 is not in the certificate) refuses the run"
like "$OUT" "does not verify for 127.0.0.1" "and says the certificate does not verify for that name"
run --require-delivered --events "nats://localhost:$NATS_PORT/cellos.events.tls" true.plan
is "$RC" 125 "plain nats:// to a TLS-only server refuses"
like "$OUT" "requires TLS" "saying TLS is required"
rm -f spool/*
nats_stop tls

# ---- specs refused before anything runs
run --events "nats://127.0.0.1:1/bad subject" true.plan
is "$RC" 125 "a bad subject is refused before the run"
run --events "nats://h/x#nkey=/a&creds=/b" true.plan
like "$OUT" "contradict" "nkey= and creds= together are refused"
chmod 777 spool; run --events "nats://127.0.0.1:1/x" true.plan; chmod 700 spool
like "$OUT" "lets others write to it" "a world-writable spool is refused"
CELLOS_SPOOL_MAX=1 run --events "nats://127.0.0.1:1/x" true.plan
is "$RC" 0 "an empty spool is not full"
CELLOS_SPOOL_MAX=1 run --events "nats://127.0.0.1:1/x" true.plan
like "$OUT" "is full" "a full spool refuses the run (bounded size)"
done_testing
