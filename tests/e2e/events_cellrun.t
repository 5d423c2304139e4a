#!/usr/bin/env bash
# events_cellrun.t - the stream of a real `cellrun` run: signed with a keygen
# key under a signed, trusted plan, it verifies (cellrun verify, and the
# CloudEvents SDK + Node crypto checker); --unsigned says so; a bad key, an
# untrusted plan, a key the plan does not name and a failing sink all stop
# the run; concurrent runs share one file; a killed supervisor leaves an
# unsealed stream (exit 3).
. "$CELLOS_TOP/tests/lib/tap.sh"
. "$CELLOS_TOP/tests/e2e/events_lib.sh"
events_need_cellrun
tmpdir
cd "$TMP" || exit 1
node_ok=0
command -v node >/dev/null && [ -d "$CELLOS_TOP/tests/node/node_modules/cloudevents" ] && node_ok=1

"${KEYGEN[@]}" k >/dev/null
"${KEYGEN[@]}" other >/dev/null
"$MKPLAN" true.plan -- /bin/true
"$MKPLAN" echo.plan -- /bin/echo hello
cp true.plan unsigned.plan
"${SIGN[@]}" true.plan --key k.key >/dev/null

# ---- a signed run under a trusted plan
"$CELLRUN" --trust k.trust.json --key k.key --events ev.jsonl true.plan </dev/null 2>err
is "$?" 0 "cellrun runs a signed plan with a signing key"
run_verify ev.jsonl --trust k.trust.json --plan true.plan
is "$RC" 0 "its stream verifies against the plan"; [ "$RC" = 0 ] || diag "$OUT"
grep -q '"type":"dev.cellos.events.cell.step.v1.exec"' ev.jsonl
ok $? "the stream records the cell's exec step"
grep -q '"step":"plan_verified","trusted":true' ev.jsonl
ok $? "and that the plan's signature was checked"
grep -q '"plansigned":true' ev.jsonl
ok $? "started says the plan was signed"
if [ $node_ok = 1 ]; then
    out=$(node "$CELLOS_TOP/tests/node/check_events.mjs" ev.jsonl --trust k.trust.json --plan true.plan 2>&1)
    ok $? "the CloudEvents SDK and Node's crypto accept a real run"; diag "$out"
else
    skip 1 "node or the cloudevents SDK is not installed"
fi

# ---- the key from $CELLOS_KEY; unsigned runs
CELLOS_KEY=$TMP/k.key "$CELLRUN" --events env.jsonl echo.plan </dev/null >/dev/null 2>err
is "$?" 0 "the key is taken from \$CELLOS_KEY"
run_verify env.jsonl --trust k.trust.json
is "$RC" 0 "and signs the stream"
"$CELLRUN" --unsigned --events u.jsonl echo.plan </dev/null >/dev/null 2>err
is "$?" 0 "an --unsigned run"
run_verify u.jsonl --unsigned --plan echo.plan
is "$RC" 0 "its stream verifies as unsigned"
grep -q '"signing":false' u.jsonl && grep -q '"step":"downgrade"' u.jsonl
ok $? "started says signing is off and a downgrade step records it"
run_verify u.jsonl --trust k.trust.json
is "$RC" 1 "and it does not pass as signed"

# ---- refusals before anything runs (exit 125)
refused() {   # refused NAME REGEX CELLRUN-ARGS...
    local name=$1 re=$2; shift 2
    rm -f r.jsonl
    "$CELLRUN" --events r.jsonl "$@" </dev/null >/dev/null 2>err
    local rc=$?
    if [ $rc = 125 ] && grep -Eq -- "$re" err && ! grep -q '"step":"exec"' r.jsonl 2>/dev/null; then ok 0 "$name"
    else ok 1 "$name"; diag "rc=$rc: $(cat err)"; fi
}
refused "an unsigned plan under --trust" "plan signature: the plan is not signed" --trust k.trust.json --key k.key unsigned.plan
refused "a plan signed by an untrusted key" "plan signature: signed by key [0-9a-f]+, which is not in the trust file" \
    --trust other.trust.json --key k.key true.plan
cp k.key g.key && chmod 640 g.key
refused "a group-readable key" "key file g.key: mode 0640" --key g.key echo.plan
refused "a missing key" "key file nope.key: does not exist" --key nope.key echo.plan
refused "no key at all" "no signing key" echo.plan
"$MKPLAN" kid.plan --kid "$(jq -r 'keys[0]' other.trust.json)" -- /bin/true
refused "a key other than the one the plan names" "requires events signed by key" --key k.key kid.plan
ok $([ ! -e r.jsonl ]; echo $?) "and the refused key left no events file behind"
"$CELLRUN" --key other.key --events kid.jsonl kid.plan </dev/null 2>err
is "$?" 0 "the key the plan names is accepted"

# ---- a failing sink stops the run
"$CELLRUN" --key k.key --events /dev/full echo.plan </dev/null >out 2>err
rc=$?
ok $([ $rc -ne 0 ] && grep -q "/dev/full" err; echo $?) "a full events sink fails the run (rc $rc): $(head -c 200 err)"
is "$(cat out)" "" "and the workload's output never appeared"

# ---- concurrent runs append to one file
for i in 1 2 3 4; do "$CELLRUN" --key k.key --events many.jsonl true.plan </dev/null 2>/dev/null & done
wait
run_verify many.jsonl --trust k.trust.json --plan true.plan
like "$OUT" "verified: 4 run\(s\)" "four concurrent runs in one file verify run by run"

# ---- a killed supervisor: the stream is cut off, not corrupt
"$MKPLAN" sleep.plan -- /bin/sleep 2
"$CELLRUN" --key k.key --events cut.jsonl sleep.plan </dev/null 2>/dev/null &
pid=$!
for _ in $(seq 50); do grep -q '"step":"exec"' cut.jsonl 2>/dev/null && break; sleep 0.1; done
kill -KILL $pid
wait $pid 2>/dev/null
sleep 2.2
run_verify cut.jsonl --trust k.trust.json
is "$RC" 3 "a supervisor killed mid-run leaves a verifiable but unsealed stream (exit 3)"
done_testing
