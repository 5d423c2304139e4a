#!/usr/bin/env bash
# compiler_errors.t - the error-case corpus (tests/data/errors): each
# NAME.cell must fail `cellc check` with exit status 1 and exactly the
# diagnostics in NAME.err (message, file:line:col, source line and caret);
# NAME.json, where present, is the exact --diagnostics=json output; every
# case's JSON output must be one JSON document with the errors in its
# diagnostics list. Regenerate the expected files
# with `make golden-errors` and review the diff.
. "$CELLOS_TOP/tests/lib/tap.sh"
cd "$CELLOS_TOP/tests/data/errors" || exit 1

n=0
for f in *.cell; do
    name=${f%.cell}
    n=$((n + 1))
    out=$("$CELLC" check --no-default-path -I packs "$f" 2>&1); rc=$?
    is "$rc" 1 "$name: exit status 1"
    if [ -f "$name.err" ]; then
        is "$out" "$(cat "$name.err")" "$name: diagnostics"
    else
        ok 1 "$name: $name.err is missing"
    fi
    json=$("$CELLC" check --no-default-path -I packs --diagnostics=json "$f" 2>&1)
    printf '%s' "$json" | jq -se 'length == 1 and (.[0].errors >= 1) and (.[0].diagnostics | length >= 1 and
        all(has("file") and has("line") and has("column") and has("message") and (.severity == "error")))' \
        >/dev/null 2>&1
    ok $? "$name: JSON diagnostics are one JSON document"
    if [ -f "$name.json" ]; then
        is "$json" "$(cat "$name.json")" "$name: JSON diagnostics"
    fi
done
[ "$n" -ge 60 ]; ok $? "at least 60 error cases ($n)"

done_testing
