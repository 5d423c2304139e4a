#!/usr/bin/env bash
# docs_tutorial.t - docs/tutorial.md's commands, run as they are written
# (issue 19). The markdown is the script:
#   ```cell FILE   a policy: written to FILE
#   ```sh          commands: run with bash -e in the jobs directory, in order
#   ```text        right after an sh block: lines its output (stdout and
#                  stderr) must contain, in order ("..." lines are skipped)
# Everything happens in a private mount namespace with a tmpfs over /srv
# (the tutorial works in /srv/jobs), so the host is never touched. cellc
# and cellrun are this build's; CELLOS_PATH points at the checkout's packs,
# as the tutorial says for a build that is not installed.
. "$CELLOS_TOP/tests/lib/tap.sh"
need_root
command -v unshare >/dev/null || skip_all "unshare (util-linux) is not installed"
command -v python3 >/dev/null || skip_all "python3 is not installed (the first job is a Python script)"
[ -d /srv ] || skip_all "no /srv directory to cover with a tmpfs"
tmpdir
chmod 755 "$TMP"
md=$CELLOS_TOP/docs/tutorial.md

# split the markdown into numbered pieces: TMP/b.N.{cell,sh,text} (+ .name)
awk -v dir="$TMP" '
    /^```/ && !inb { split(substr($0, 4), a, " "); kind = a[1]; name = a[2];
                     if (kind == "cell" || kind == "sh" || kind == "text") {
                         n++; inb = 1; f = dir "/b." n "." kind; printf "" > f;
                         if (name != "") print name > (dir "/b." n ".name") }
                     else { inb = 2 } next }
    /^```/ && inb { inb = 0; next }
    inb == 1 { print >> f }
' "$md"
nblocks=$(ls "$TMP"/b.*.* 2>/dev/null | grep -c -E '\.(cell|sh|text)$')
ok $([ "$nblocks" -ge 20 ] && echo 0 || echo 1) "the tutorial has its blocks ($nblocks)"

# one script that runs every block in order and records each sh block's
# output and status
run=$TMP/run.sh
{
    echo 'set -u; mkdir -p /srv/jobs && cd /srv/jobs'
    for b in $(cd "$TMP" && ls b.*.* | grep -E '\.(cell|sh)$' | sort -t. -k2,2n); do
        f=$TMP/$b n=$(echo "$b" | cut -d. -f2)
        case $f in
        *.cell) echo "cp '$f' '$(cat "$TMP/b.$n.name")'" ;;
        *.sh)   echo "( set -e; . '$f' ) > '$TMP/out.$n' 2>&1; echo \$? > '$TMP/rc.$n'" ;;
        esac
    done
} > "$run"
PATH=$(dirname "$CELLC"):$(dirname "$CELLRUN"):$PATH CELLOS_PATH=$CELLOS_TOP/policies \
    unshare -m --propagation private sh -c \
    'mount -t tmpfs -o size=64m,mode=0755 cellos-tutorial /srv && bash "$0"' "$run" </dev/null
for b in $(cd "$TMP" && ls b.*.sh | sort -t. -k2,2n); do
    f=$TMP/$b n=$(echo "$b" | cut -d. -f2)
    first=$(grep -v '^#' "$f" | head -1)
    is "$(cat "$TMP/rc.$n" 2>/dev/null)" 0 "block $n ($first) runs"
    [ "$(cat "$TMP/rc.$n" 2>/dev/null)" = 0 ] || diag "$(tail -5 "$TMP/out.$n")"
    t=$TMP/b.$((n + 1)).text
    [ -f "$t" ] || continue
    # every expected line, in order
    missing=$(awk 'NR == FNR { out[++no] = $0; next }
                   $0 == "..." || $0 == "" { next }
                   { while (i < no && index(out[i + 1], $0) == 0) i++;
                     if (i >= no) { print; exit } ; i++ }' "$TMP/out.$n" "$t")
    is "$missing" "" "block $n prints what the tutorial shows"
    [ -z "$missing" ] || diag "$(cat "$TMP/out.$n")"
done
done_testing
