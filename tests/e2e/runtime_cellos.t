#!/usr/bin/env bash
# runtime_cellos.t - CellOS documents run: the upstream minimal specs (true
# and false, JSON and YAML, and one fed on stdin) compile and run with the
# exit status upstream expects; secretDelivery env takes the value from
# CELLOS_SECRET_<NAME> (or the file CELLOS_SECRET_FILE_<NAME> names) and the
# value reaches no event; the started event carries the document's ids.
. "$CELLOS_TOP/tests/lib/tap.sh"
. "$CELLOS_TOP/tests/e2e/runtime_lib.sh"
need_root
tmpdir
cd "$CELLOS_TOP" || exit 1
export PATH=/usr/bin:/bin
D=tests/data/cellos

run_doc() { # run_doc NAME DOC WANT
    "$CELLC" "$2" -o "$TMP/$1.plan" || { ok 1 "$1: compiles"; return; }
    rt_cellrun --unsigned --events "$TMP/$1.events" "$TMP/$1.plan" >/dev/null 2>"$TMP/$1.err"
    local rc=$?
    is "$rc" "$3" "$1: exit status $3"
    [ "$rc" = "$3" ] || diag "$(tail -3 "$TMP/$1.err")"
}
run_doc true-json $D/minimal-true.json 0
run_doc false-json $D/minimal-false.json 1
run_doc true-yaml $D/minimal-true.yaml 0
run_doc false-yaml $D/minimal-false.yaml 1
grep -q '"dev.cellos.events.cell.lifecycle.v1.started"' "$TMP/true-yaml.events"; ok $? "the run emits the started event"

# a spec on stdin
"$CELLC" - -o "$TMP/stdin.plan" < $D/minimal-false.json
rt_cellrun --unsigned --events "$TMP/stdin.events" "$TMP/stdin.plan" >/dev/null 2>&1
is "$?" 1 "a spec fed on stdin runs (false: status 1)"

# the started event carries the document's ids (upstream's data.specId, ...)
"$CELLC" $D/correlated.yaml --pack $D/ci-pack.yaml -o "$TMP/corr.plan"; is "$?" 0 "correlated.yaml is admitted by ci-pack.yaml"
rt_cellrun --unsigned --events "$TMP/corr.events" "$TMP/corr.plan" >/dev/null 2>&1; is "$?" 0 "correlated.yaml runs"
is "$(head -1 "$TMP/corr.events" | jq -c '.data | [.specId, .correlationId, .packId, .packVersion]')" \
   '["correlated-7","req-2026-12-04/42","ci-pack","1.0.0"]' "the started event has specId, correlationId, packId, packVersion"
is "$(head -1 "$TMP/true-yaml.events" | jq -c '.data | [.specId, .correlationId, .packId]')" '["minimal-true",null,null]' \
   "without them, only specId"

# secretDelivery env
CELLOS_SECRET_API_TOKEN=cellos-test-value run_doc secret-env $D/secret-env.yaml 0
CELLOS_SECRET_API_TOKEN=wrong run_doc secret-env-wrong $D/secret-env.yaml 1
grep -q cellos-test-value "$TMP/secret-env.events"; is "$?" 1 "the secret's value is in no event"
rt_cellrun --unsigned --events "$TMP/nosecret.events" "$TMP/secret-env.plan" >/dev/null 2>&1
is "$?" 125 "a missing CELLOS_SECRET_API_TOKEN refuses to run"

# the upstream file broker: CELLOS_SECRET_FILE_API_TOKEN names a file (one
# trailing newline stripped, no symlink followed; both variables set is refused)
printf 'cellos-test-value\n' > "$TMP/token"
CELLOS_SECRET_FILE_API_TOKEN=$TMP/token run_doc secret-file $D/secret-env.yaml 0
ln -s "$TMP/token" "$TMP/token-link"
CELLOS_SECRET_FILE_API_TOKEN=$TMP/token-link rt_cellrun --unsigned --events "$TMP/link.events" "$TMP/secret-env.plan" >/dev/null 2>"$TMP/link.err"
is "$?" 125 "the file broker does not follow a symlink"
CELLOS_SECRET_API_TOKEN=x CELLOS_SECRET_FILE_API_TOKEN=$TMP/token rt_cellrun --unsigned --events "$TMP/both.events" "$TMP/secret-env.plan" >/dev/null 2>"$TMP/both.err"
is "$?" 125 "both CELLOS_SECRET_API_TOKEN and CELLOS_SECRET_FILE_API_TOKEN set: refused"
like "$(cat "$TMP/both.err")" "both CELLOS_SECRET_API_TOKEN and CELLOS_SECRET_FILE_API_TOKEN are set" "... with the reason"
grep -q cellos-test-value "$TMP/secret-file.events" "$TMP/both.err" "$TMP/link.err"; is "$?" 1 "the file's value is in no event or message"

done_testing
