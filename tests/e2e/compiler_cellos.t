#!/usr/bin/env bash
# compiler_cellos.t - CellOS documents (compiler/doc/, docs/cellos-documents.md):
#  - every example in tests/data/cellos/ compiles; `cellc import` of it
#    compiles to the byte-identical plan; the import names its source and
#    its base and syscall packs;
#  - every bad document in tests/data/cellos/bad/ fails `cellc check` with
#    exit status 1 and exactly the diagnostics in NAME.err;
#  - PolicyPack admission (tests/data/cellos/admit/cases): each rule broken
#    alone and all together, exactly the diagnostics in CELL--PACK.err; a
#    cell inside every rule is admitted;
#  - a document on stdin compiles like the file.
# CELLOS_REGEN=1 rewrites the .err files (review the diff).
. "$CELLOS_TOP/tests/lib/tap.sh"
cd "$CELLOS_TOP" || exit 1
tmpdir
export PATH=/usr/bin:/bin
D=tests/data/cellos
CC() { "$CELLC" --no-default-path -I policies "$@"; }

# expect NAME EXPECTED-FILE OUTPUT
expect() {
    if [ -n "$CELLOS_REGEN" ]; then printf '%s\n' "$3" > "$2"; fi
    if [ -f "$2" ]; then is "$3" "$(cat "$2")" "$1: diagnostics"; else ok 1 "$1: $2 is missing"; fi
}

n=0
for f in $D/*.yaml $D/*.json; do
    b=$(basename "$f"); stem=${b%.*}
    kind=$(grep -o 'kind.*\(ExecutionCell\|PolicyPack\)' "$f" | grep -o 'ExecutionCell\|PolicyPack')
    "$CELLC" import "$f" > "$TMP/$stem.cell" 2>"$TMP/err"; rc=$?
    is "$rc" 0 "$b: cellc import"
    [ "$rc" = 0 ] || diag "$(cat "$TMP/err")"
    head -1 "$TMP/$stem.cell" | grep -q "^# Imported from $b (cellos.io/v1 $kind[,)]"; ok $? "$b: the import names its source"
    if [ "$kind" = PolicyPack ]; then
        "$CELLC" check "$TMP/$stem.cell" >/dev/null 2>&1; ok $? "$b: the imported pack checks"
        continue
    fi
    n=$((n + 1))
    grep -q '^use "std/base";$' "$TMP/$stem.cell" && grep -q '^use "std/syscalls";$' "$TMP/$stem.cell"
    ok $? "$b: the import uses std/base and std/syscalls"
    CC "$f" -o "$TMP/$stem.direct.plan" 2>"$TMP/err"; rc=$?
    is "$rc" 0 "$b: compiles"
    [ "$rc" = 0 ] || diag "$(cat "$TMP/err")"
    CC "$TMP/$stem.cell" -o "$TMP/$stem.import.plan"
    cmp -s "$TMP/$stem.direct.plan" "$TMP/$stem.import.plan"; ok $? "$b: the import compiles to the same plan bytes"
    "$CELLC" dump "$TMP/$stem.direct.plan" | grep -q '^packs *std/base, std/syscalls'
    ok $? "$b: the plan names std/base and std/syscalls"
done
[ "$n" -ge 4 ]; ok $? "at least 4 example cells ($n)"

# --base/--syscalls are named in the output and the plan
"$CELLC" import --base std/ci --syscalls std/syscalls-network $D/minimal-true.yaml > "$TMP/alt.cell"
grep -q '^use "std/ci";$' "$TMP/alt.cell" && grep -q '^use "std/syscalls-network";$' "$TMP/alt.cell"
ok $? "--base and --syscalls name the packs"

# text from the document never leaves its comment or string in the import
printf 'apiVersion: cellos.io/v1\nkind: PolicyPack\nspec:\n  id: p\n  version: "1\\n}\\ncell evil { }"\n  rules: {}\n' > "$TMP/inj.yaml"
"$CELLC" import "$TMP/inj.yaml" > "$TMP/inj.cell"; is "$?" 0 "import of a pack whose version holds newlines"
grep -c '^cell' "$TMP/inj.cell" | grep -qx 0; ok $? "... the newline is escaped in the comment, no cell appears"
"$CELLC" check "$TMP/inj.cell" >/dev/null 2>&1; ok $? "... and the import checks"

# packs are searched in the document's directory, as for a .cell file
mkdir -p "$TMP/d/std" && cp policies/std/base.cell policies/std/syscalls.cell "$TMP/d/std/" && cp $D/minimal-true.yaml "$TMP/d/job.yaml"
(cd / && "$CELLC" "$TMP/d/job.yaml" -o "$TMP/d/job.plan"); is "$?" 0 "the base and syscall packs are found next to the document"

# a document on stdin: the same plan as the file (named stdin.cell)
CC - -o "$TMP/stdin.plan" < $D/minimal-true.json; is "$?" 0 "a document on stdin compiles"
"$CELLC" dump "$TMP/stdin.plan" | grep -q '^source *stdin.cell'; ok $? "stdin: the plan's source is stdin.cell"
# content detection: a JSON document without its extension
cp $D/minimal-true.json "$TMP/job"; CC "$TMP/job" -o "$TMP/job.plan"; is "$?" 0 "a document is known by its content"

nb=0
for f in $D/bad/*.yaml $D/bad/*.json; do
    nb=$((nb + 1))
    b=$(basename "$f"); stem=${b%.*}
    out=$(cd $D/bad && "$CELLC" check --no-default-path -I ../../../../policies "$b" 2>&1); rc=$?
    is "$rc" 1 "bad/$b: exit status 1"
    expect "bad/$b" "$D/bad/$stem.err" "$out"
done
[ "$nb" -ge 80 ]; ok $? "at least 80 bad documents ($nb)"

while read -r cell pack; do
    case "$cell" in ''|'#'*) continue ;; esac
    out=$(cd $D/admit && "$CELLC" check --no-default-path -I ../../../../policies "$cell.yaml" --pack "$pack.yaml" 2>&1)
    rc=$?
    is "$rc" 1 "admit $cell by $pack: refused"
    expect "admit $cell by $pack" "$D/admit/$cell--$pack.err" "$out"
done < $D/admit/cases
out=$(cd $D/admit && "$CELLC" check --no-default-path -I ../../../../policies wide.yaml --pack pack-all.yaml 2>&1)
is "$(printf '%s\n' "$out" | grep -c ': error: ')" 8 "every violation is listed (8 for wide by pack-all)"
CC $D/admit/narrow.yaml --pack $D/admit/pack-all.yaml -o "$TMP/narrow.plan"; is "$?" 0 "a cell inside every rule is admitted"
CC $D/admit/narrow.yaml --pack $D/admit/narrow.yaml -o "$TMP/x.plan" 2>/dev/null; is "$?" 1 "--pack needs a PolicyPack"
CC policies/examples/hello.cell --pack $D/ci-pack.yaml -o "$TMP/x.plan" 2>/dev/null; is "$?" 2 "--pack with a .cell policy is a usage error"

done_testing
