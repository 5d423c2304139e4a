#!/bin/bash
# seccomp_explain.t - `cellc explain`: verdict, deciding rule and path for
# one call, on the worked example policies/examples/hello.cell; its
# argument syntax and its errors.
. "$CELLOS_TOP/tests/lib/tap.sh"
tmpdir
tool=$CELLOS_BUILD/t/seccomp_tool
"$CELLC" "$CELLOS_TOP/policies/examples/hello.cell" -o "$TMP/h0.plan" && "$tool" attach "$TMP/h0.plan" "$TMP/h.plan"
ok $? "hello.cell compiled, programs attached"
ex() { "$CELLC" explain "$TMP/h.plan" "$@"; }

out=$(ex openat AT_FDCWD 0 O_RDONLY); st=$?
is "$st" 0 "explain exits 0"
like "$out" '^verdict  ALLOW$' "openat read-only: allowed"
like "$out" 'because  rule at line [0-9]+: ALLOW openat\(flags & 0x3 == 0\)' "names the deciding rule and its line"
like "$out" 'path     [0-9]+ instructions executed' "counts the instructions executed"
like "$out" 'ld \[4\] +; arch' "the path starts with the arch check"
like "$out" 'ret #0x7fff0000 +; ALLOW' "and ends with the return taken"
like "$(ex openat AT_FDCWD 0 'O_WRONLY|O_CREAT' 0644)" 'verdict  KILL_PROCESS' "openat for writing: killed (default)"
like "$(ex openat AT_FDCWD 0 'O_WRONLY|O_CREAT')" 'no rule for openat matched: the default action' "and says why"
like "$(ex openat -100 0 0x100000000)" 'verdict  ALLOW' "32-bit flags: the high word is ignored; -N is two's complement"
like "$(ex ioctl 1 TCGETS 0)" 'verdict  ALLOW' "ioctl(TCGETS) allowed by constant name"
like "$(ex ioctl 1 0x5402 0)" 'verdict  KILL_PROCESS' "ioctl(TCSETS) killed"
like "$(ex clone3)" 'no rule names clone3: ENOSYS' "clone3: ENOSYS and why"
like "$(ex 0x40000000)" 'x32 ABI .* not admitted' "an x32 number: killed and why"
like "$(ex 999)" 'verdict  ERRNO\(38\) ENOSYS' "an unknown number: ENOSYS"
like "$(ex -1)" 'verdict  ALLOW' "nr -1 (ptrace skip): allowed"
like "$(ex --data-arch i386 3)" 'another ABI is killed' "a foreign arch: killed"
like "$(ex --arch aarch64 read 0 0 0)" 'aarch64 program' "--arch picks the aarch64 program"
like "$(ex --arch aarch64 read 0 0 0)" 'verdict  ALLOW' "read allowed on aarch64 too"

"$CELLC" explain --arch aarch64 "$TMP/h.plan" open >/dev/null 2>&1; is $? 2 "open does not exist on aarch64: usage error"
ex nosuchcall >/dev/null 2>&1; is $? 2 "unknown syscall name: usage error"
ex read NOT_A_CONSTANT >/dev/null 2>&1; is $? 2 "unknown constant: usage error"
"$CELLC" explain "$TMP/missing.plan" read >/dev/null 2>&1; is $? 2 "missing plan: I/O error (2)"
printf 'garbage' >"$TMP/bad.plan"
"$CELLC" explain "$TMP/bad.plan" read >/dev/null 2>&1; is $? 1 "invalid plan: 1"
"$CELLC" explain "$TMP/h0.plan" read >/dev/null 2>"$TMP/err"; st=$?
if grep -q "no seccomp program" "$TMP/err"; then is "$st" 1 "a plan without programs: 1"
else is "$st" 0 "the compiler now attaches programs itself"; fi
done_testing
