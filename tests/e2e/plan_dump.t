#!/bin/bash
# plan_dump.t - `cellc dump` end to end: a compiled example dumps every
# section, the output is stable, a corrupt plan is refused naming the section
# and offset (exit 1), I/O and usage errors exit 2, --bpf writes the raw
# program of the requested arch (or refuses without one).
. "$CELLOS_TOP/tests/lib/tap.sh"
[ -x "$CELLC" ] || skip_all "cellc is not built"
tmpdir

"$CELLC" "$CELLOS_TOP/policies/examples/hello.cell" -o "$TMP/hello.plan" 2>"$TMP/err"
ok $? "hello.cell compiles"

out=$("$CELLC" dump "$TMP/hello.plan"); st=$?
is "$st" 0 "dump exits 0"
for s in '^plan ' '^digest +sha256:[0-9a-f]{64}$' '^\[meta\]$' '^\[process\]$' '^\[filesystem\] [0-9]+ mount ops$' \
         '^ +0  rootfs ' ' pivot_root ' '^\[network\]$' '^\[limits\]$' '^\[seccomp\]$' '^\[vm\]' '^\[gvisor\]' \
         '^\[events\]$' '^\[secrets\]'; do
    like "$out" "$s" "dump shows $s"
done
like "$out" 'remount +/usr/bin/echo \[rdonly,nosuid,nodev\] +line [0-9]+' "mount flags spelled out with their policy line"
like "$out" 'argv\[0\] +/bin/echo' "argv"
is "$("$CELLC" dump "$TMP/hello.plan")" "$out" "dump is stable"
digest=$(sha256sum "$TMP/hello.plan" | cut -d' ' -f1)
like "$out" "sha256:$digest" "digest is the SHA-256 of the file (unsigned plan)"

# corrupt: flip the last byte of the body -> the hash check names offset 32
cp "$TMP/hello.plan" "$TMP/bad.plan"
size=$(stat -c %s "$TMP/bad.plan")
printf '\x55' | dd of="$TMP/bad.plan" bs=1 seek=$((size - 1)) conv=notrunc status=none
err=$("$CELLC" dump "$TMP/bad.plan" 2>&1 >/dev/null); st=$?
is "$st" 1 "corrupt plan exits 1"
is "$err" "cellc dump: $TMP/bad.plan: section header at offset 32: body SHA-256 does not match: the plan is corrupt" \
   "one line naming section and offset"
head -c 100 "$TMP/hello.plan" > "$TMP/short.plan"
err=$("$CELLC" dump "$TMP/short.plan" 2>&1 >/dev/null); st=$?
is "$st" 1 "truncated plan exits 1"
like "$err" 'section header at offset 24: body_length [0-9]+ does not match the file size 100' "truncation named"

"$CELLC" dump "$TMP/missing.plan" >/dev/null 2>"$TMP/err"; st=$?
is "$st" 2 "missing file exits 2"
like "$(cat "$TMP/err")" 'missing.plan: No such file or directory' "I/O error named"
"$CELLC" dump >/dev/null 2>&1; is "$?" 2 "no plan: usage, exit 2"
"$CELLC" dump --frob "$TMP/hello.plan" >/dev/null 2>&1; is "$?" 2 "unknown option: exit 2"
"$CELLC" dump --bpf --arch sparc "$TMP/hello.plan" >/dev/null 2>&1; is "$?" 2 "unknown arch: exit 2"

# --bpf: the program's bytes, or a refusal when the plan has none for the arch
for arch in x86_64 aarch64; do
    n=$(printf '%s\n' "$out" | sed -n "s/^program $arch (audit arch 0x[0-9a-f]*), \([0-9]*\) instructions$/\1/p")
    "$CELLC" dump --bpf --arch $arch "$TMP/hello.plan" > "$TMP/$arch.bpf" 2>"$TMP/err"; st=$?
    if [ -n "$n" ]; then
        is "$st" 0 "--bpf --arch $arch exits 0"
        is "$(stat -c %s "$TMP/$arch.bpf")" $((n * 8)) "--bpf --arch $arch writes $n sock_filter records"
    else
        is "$st" 1 "--bpf --arch $arch without a program exits 1"
        like "$(cat "$TMP/err")" "has no seccomp program for $arch" "and says so"
    fi
done
done_testing
