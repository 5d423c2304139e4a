#!/usr/bin/env bash
# compiler_golden.t - the `cellc dump` of every worked example
# (policies/examples/NAME.cell) equals tests/golden/NAME.dump: the whole
# lowered plan (every section, mount op, rule and BPF program, and the
# plan's digest, so the exact bytes) is pinned. After a deliberate change,
# regenerate with `make golden` and review the diff.
. "$CELLOS_TOP/tests/lib/tap.sh"
tmpdir
cd "$CELLOS_TOP" || exit 1

for f in policies/examples/*.cell; do
    n=$(basename "$f" .cell)
    if [ ! -f "tests/golden/$n.dump" ]; then
        ok 1 "$n: tests/golden/$n.dump is missing (make golden)"
        continue
    fi
    "$CELLC" -I policies "$f" -o "$TMP/$n.plan"
    ok $? "$n: compiles"
    got=$(cd "$TMP" && "$CELLC" dump "$n.plan" 2>&1)
    want=$(cat "tests/golden/$n.dump")
    if [ "$got" = "$want" ]; then
        ok 0 "$n: dump matches tests/golden/$n.dump"
    else
        ok 1 "$n: dump matches tests/golden/$n.dump"
        diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") | head -30 | sed 's/^/# /'
    fi
done
# every golden has its example
for g in tests/golden/*.dump; do
    n=$(basename "$g" .dump)
    [ -f "policies/examples/$n.cell" ]; ok $? "$n: golden has an example"
done

done_testing
