#!/bin/bash
# seccomp_policies.t - the differential proof over every cell in policies/:
# each compiles, and for x86_64 and aarch64 its filter gives the verdict of
# the reference semantics and of libseccomp (same rules, run in the same
# interpreter) on thousands of samples: every syscall number, beyond the
# table, x32 numbers, foreign arches, every argument boundary.
. "$CELLOS_TOP/tests/lib/tap.sh"
tmpdir
tool=$CELLOS_BUILD/t/seccomp_tool
n=0
while IFS= read -r cell; do
    grep -q '^cell ' "$cell" || continue          # packs are checked through the cells using them
    n=$((n + 1))
    name=${cell#"$CELLOS_TOP"/}
    if ! "$CELLC" "$cell" -o "$TMP/p0.plan" 2>"$TMP/err"; then
        ok 1 "$name compiles"; sed 's/^/# /' "$TMP/err" | head -5; continue
    fi
    "$tool" attach "$TMP/p0.plan" "$TMP/p.plan" || { ok 1 "$name: programs"; continue; }
    out=$("$tool" diff "$TMP/p.plan")
    ok $? "$name: filter = reference semantics = libseccomp"
    printf '%s\n' "$out"
done < <(find "$CELLOS_TOP/policies" -name '*.cell' | sort)
[ "$n" -gt 0 ] || skip_all "no cells in policies/"
done_testing
