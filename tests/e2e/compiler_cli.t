#!/usr/bin/env bash
# compiler_cli.t - cellc's command line: a usage error is one line that
# names the command and what it takes, exit 2 (docs/language.md);
# --diagnostics=json prints one JSON document with a diagnostics list on
# every run that reads its input, a clean one too (tools parse it).
. "$CELLOS_TOP/tests/lib/tap.sh"
tmpdir
cd "$TMP" || exit 1
cp "$CELLOS_TOP/policies/examples/hello.cell" hello.cell
cp "$CELLOS_TOP/tests/data/cellos/minimal-true.yaml" job.yaml
P=(-I "$CELLOS_TOP/policies")

usage() {   # usage NAME WANT-ERE CELLC-ARGS...: exit 2, one line matching WANT
    local name=$1 want=$2; shift 2
    local out rc
    out=$("$CELLC" "$@" 2>&1 </dev/null); rc=$?
    if [ "$rc" = 2 ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] && printf '%s' "$out" | grep -Eq -- "$want"; then
        ok 0 "$name"
    else
        ok 1 "$name"; diag "rc=$rc: $out"
    fi
}
usage "import with no argument asks for a CellOS document" \
    '^cellc import: no CellOS document given \(DOC\.yaml, \.yml, \.json, or - for stdin;' import
usage "import with two names one document" "^cellc import: one CellOS document at a time \('a\.yaml' and 'b\.yaml'\)" \
    import a.yaml b.yaml
usage "import given a policy says it is one" "^cellc import: hello\.cell is a policy, not a CellOS document" \
    import hello.cell
usage "import -o: import prints to stdout" "^cellc import: -o is not an import option" import -o x.cell job.yaml
usage "check with no argument asks for a policy or document" \
    '^cellc check: no policy given \(FILE\.cell or a CellOS document;' check
usage "check -o: check writes no plan" "^cellc check: -o is not a check option" check -o x.plan hello.cell
usage "check --sign: check writes no plan" "^cellc check: --sign is not a check option" check --sign k hello.cell
usage "compile with no argument asks for a policy" '^cellc: no policy given' -o x.plan
usage "an unknown --diagnostics format lists the formats" "^cellc: --diagnostics takes text or json, not 'xml'" \
    --diagnostics=xml hello.cell -o x.plan
usage "--emit with no plan" "^usage: cellc --emit firecracker-config PLAN" --emit firecracker-config
usage "--version takes no argument" "^cellc: --version takes no argument" --version x

# a compiled plan where a policy belongs: one line saying what it is and
# what reads it, not a syntax error quoting binary bytes
"$CELLC" "${P[@]}" hello.cell -o given.plan || exit 1
usage "a plan given to cellc to compile says it is a plan" \
    '^cellc: given\.plan: a compiled cell plan, not a policy \(`cellc dump given\.plan` shows it' given.plan -o x.plan
usage "... and to cellc check" '^cellc: given\.plan: a compiled cell plan, not a policy' check given.plan
[ ! -e x.plan ]; ok $? "... and nothing is written"

# the plan subcommands: 2 when the plan file cannot be read or the output
# written, 1 when the file is there but is not a valid plan (docs/language.md)
"$CELLC" "${P[@]}" "$CELLOS_TOP/policies/examples/vm.cell" -o vm.plan || exit 1
out=$("$CELLC" --emit firecracker-config nope.plan 2>&1); rc=$?
like "$rc:$out" "^2:cellc: nope.plan: cannot open the plan: No such file or directory" "--emit: an unreadable plan is 2"
out=$("$CELLC" explain hello.cell read 2>&1); rc=$?
like "$rc:$out" "^1:cellc explain: hello.cell: not a cell plan" "explain: a file that is not a plan is 1"
out=$("$CELLC" explain nope.plan read 2>&1); rc=$?
like "$rc:$out" "^2:cellc explain: nope.plan: cannot open the plan" "explain: an unreadable plan is 2"
if [ -w /dev/full ]; then
    out=$("$CELLC" --emit firecracker-config vm.plan 2>&1 >/dev/full); rc=$?
    like "$rc:$out" "^2:cellc --emit: cannot write the config: No space left on device" "--emit: an unwritable output is 2, said"
else
    skip 1 "no /dev/full"
fi

# ---- --diagnostics=json: one document, always
json_doc() {   # json_doc NAME WANT-RC JQ-TEST CELLC-ARGS...
    local name=$1 want=$2 test=$3; shift 3
    local out rc
    out=$("$CELLC" "$@" --diagnostics=json 2>&1 >/dev/null); rc=$?
    if [ "$rc" = "$want" ] && printf '%s' "$out" | jq -se "length == 1 and (.[0] | $test)" >/dev/null 2>&1; then
        ok 0 "$name"
    else
        ok 1 "$name"; diag "rc=$rc: $out"
    fi
}
json_doc "check of a clean policy: an empty diagnostics list" 0 \
    '.diagnostics == [] and .errors == 0 and .warnings == 0' check "${P[@]}" hello.cell
json_doc "compiling a clean policy: the same" 0 '.diagnostics == [] and .errors == 0' "${P[@]}" hello.cell -o h.plan
json_doc "a clean CellOS document: the same" 0 '.diagnostics == []' check "${P[@]}" job.yaml
json_doc "import of a clean document: the same" 0 '.diagnostics == []' import job.yaml
printf 'cell x {\n    capability CAP_NET_BIND;\n}\n' > bad.cell
json_doc "a policy with an error: one document, the error in the list" 1 \
    '.errors == 1 and (.diagnostics | length) == 1 and .diagnostics[0].line == 2 and .diagnostics[0].severity == "error"' \
    check --no-default-path bad.cell
json_doc "an unreadable policy: a whole-file error in the document" 2 \
    '.diagnostics[0].file == "nope.cell" and .diagnostics[0].line == 0' check nope.cell
json_doc "an unwritable plan: the write error is in the document" 2 \
    '.errors == 1 and .diagnostics[0].file == "nodir/h.plan" and (.diagnostics[0].message | test("nodir/h.plan"))' \
    "${P[@]}" hello.cell -o nodir/h.plan
json_doc "a missing --sign key: in the document" 2 \
    '.diagnostics[0].file == "nokey" and (.diagnostics[0].message | test("does not exist"))' \
    "${P[@]}" hello.cell -o h.plan --sign nokey
out=$("$CELLC" check "${P[@]}" hello.cell 2>&1); rc=$?
is "$rc:$out" "0:" "text diagnostics of a clean policy: nothing, as before"
out=$("$CELLC" "${P[@]}" hello.cell -o nodir/h.plan 2>&1); rc=$?
like "$rc:$out" "^2:cellc: nodir/h.plan: cannot create" "text: a write error is still one cellc: line"
done_testing
