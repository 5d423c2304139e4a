#!/usr/bin/env bash
# runtime_messages.t - cellrun's messages for a newcomer's usual mistakes
# (issue 19, item 8) say what the thing is and what to do, no more.
. "$CELLOS_TOP/tests/lib/tap.sh"
tmpdir
cd "$TMP" || exit 1
"$CELLRUN" keygen ci >/dev/null || exit 1
"$CELLC" -I "$CELLOS_TOP/policies" "$CELLOS_TOP/policies/examples/hello.cell" -o hello.plan || exit 1
cp ci.pub x.pub && chmod 644 x.pub

out=$("$CELLRUN" --key x.pub hello.plan 2>&1); rc=$?
is "$rc" 125 "a public key given as --key fails the run"
like "$out" "^cellrun: key file x.pub: malformed: not a secret key .*a public key \(\.pub\)\?.*cellrun keygen NAME" \
     "and says it is not a secret key"
unlike "$out" "chmod" "not: chmod 600 it"

out=$("$CELLRUN" --key ci.key "$CELLOS_TOP/policies/examples/hello.cell" 2>&1); rc=$?
is "$rc" 125 "a .cell file given to cellrun fails"
like "$out" "hello.cell: not a cell plan \(bad magic\) but text, a \.cell policy\?: compile it with cellc first" \
     "and says to compile it with cellc"
unlike "$out" "section header at offset" "without a section and an offset"

out=$("$CELLRUN" --key ci.key missing.plan 2>&1); rc=$?
is "$rc:$out" "125:cellrun: missing.plan: cannot open the plan: No such file or directory" \
   "a missing plan: one plain line"

out=$("$CELLRUN" --key ci.key --trust ci.key hello.plan 2>&1); rc=$?
like "$rc:$out" "^125:cellrun: trust file ci.key: this is a secret signing key \(NAME.key\), not a trust file" \
     "a key file given as the trust file is named as such"
unlike "$out" "unexpected character" "not a JSON parse error at byte 0"
out=$("$CELLRUN" --key ci.key --trust ci.pub hello.plan 2>&1)
like "$out" "trust file ci.pub: not a JSON object of key ids \(a public key\?\)" "a public key given as the trust file"
out=$("$CELLRUN" verify /dev/null --trust ci.key 2>&1)
like "$out" "trust file ci.key: this is a secret signing key" "and the same from cellrun verify"
# a plan refused under --trust: one line naming the plan, the trust file and why
"$CELLRUN" keygen other >/dev/null || exit 1
cp hello.plan signed.plan && "$CELLC" sign signed.plan --key ci.key >/dev/null || exit 1
out=$("$CELLRUN" --key ci.key --trust ci.trust.json hello.plan 2>&1); rc=$?
is "$rc:$out" "125:cellrun: plan hello.plan refused by trust file ci.trust.json: plan signature: the plan is not signed and a trust file was given" \
   "an unsigned plan under --trust: the plan, the trust file and why, exit 125"
out=$("$CELLRUN" --key ci.key --trust other.trust.json signed.plan 2>&1); rc=$?
like "$rc:$out" "^125:cellrun: plan signed.plan refused by trust file other.trust.json: plan signature: signed by key [0-9a-f]+, which is not in the trust file\$" \
     "a plan signed by a key the trust file lacks: the same"
# an rlimit above cellrun's own hard limit (raising it needs CAP_SYS_RESOURCE,
# which root lacks on some CI hosts, e.g. under podman's default --ulimit):
# the line names the limit by its policy name and both values
printf 'use "std/base";\nuse "std/syscalls";\ncell nofile {\n    process { argv "/bin/true"; rlimit nofile 1024; }\n}\n' > nofile.cell
"$CELLC" -I "$CELLOS_TOP/policies" nofile.cell -o nofile.plan || exit 1
out=$(ulimit -Sn 256 && ulimit -Hn 512 && "$CELLRUN" --unsigned --events /dev/null nofile.plan 2>&1); rc=$?
if [ "$rc" = 0 ]; then
    skip 1 "cellrun raised its hard nofile limit itself (this host gives root CAP_SYS_RESOURCE)"
else
    is "$rc:$out" "125:cellrun: rlimits: rlimit nofile 1024 (hard 1024) is above cellrun's own hard limit 512 (raising it needs CAP_SYS_RESOURCE): Operation not permitted" \
       "an rlimit the host refuses is named (not 'resource 7')"
fi

# cellrun flush exits as docs/events.md says (2: bad usage), not 125
out=$("$CELLRUN" flush 2>&1); rc=$?
is "$rc:$out" "2:usage: cellrun flush SPOOLDIR [--give-up-ms N]" "cellrun flush without a spool: usage, exit 2"
# usage errors say what is missing, in one line, with the documented status
out=$("$CELLRUN" --events 2>&1); rc=$?
is "$rc:$out" "125:cellrun: --events needs an argument (see cellrun --help)" "a run option without its argument is named (125)"
out=$("$CELLRUN" --bogus hello.plan 2>&1); rc=$?
is "$rc:$out" "125:cellrun: unknown option \"--bogus\" (see cellrun --help)" "an unknown run option (125)"
out=$("$CELLRUN" flush a b 2>&1); rc=$?
is "$rc:$out" "2:cellrun flush: unexpected \"b\" (usage: cellrun flush SPOOLDIR [--give-up-ms N])" \
   "cellrun flush with a stray argument: its own usage, not cellsend's"
out=$("$CELLRUN" verify x.jsonl --trust 2>&1); rc=$?
is "$rc:$(printf '%s\n' "$out" | head -1)" "1:cellrun verify: --trust needs an argument" "verify: an option without its argument is named"
out=$("$CELLRUN" --print-oci-config --bogus hello.plan 2>&1); rc=$?
is "$rc:$out" "125:cellrun --print-oci-config: unknown option \"--bogus\" (usage: cellrun --print-oci-config [--portable | --bundle DIR] PLAN [-- ARGS...])" \
   "--print-oci-config: a usage error says what is wrong, in one line"
done_testing
