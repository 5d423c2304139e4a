#!/usr/bin/env bash
# compiler_install.t - `make install` gives a working tool (issue 19, item
# 5): programs, packs and man pages land under DESTDIR/PREFIX; an installed
# cellc finds std/base in PREFIX/share/cellos/policies from any directory
# (checked in a private mount namespace where DESTDIR/usr/local is
# /usr/local, so the host is untouched), and in $CELLOS_PATH; a pack it
# cannot find is reported with every directory searched and -I named.
. "$CELLOS_TOP/tests/lib/tap.sh"
need_root
tmpdir
D=$TMP/dest
make -s -C "$CELLOS_TOP" --no-print-directory install-files DESTDIR="$D" BUILD="$CELLOS_BUILD" >"$TMP/make.log" 2>&1
is "$?" 0 "make install-files DESTDIR=... succeeds"
P=$D/usr/local
for f in bin/cellc bin/cellrun share/cellos/policies/std/base.cell share/cellos/policies/std/syscalls.cell \
         share/cellos/policies/examples/hello.cell share/man/man1/cellc.1 share/man/man1/cellrun.1 \
         share/man/man5/cell.5; do
    ok $([ -s "$P/$f" ] && echo 0 || echo 1) "installed: $f"
done
if command -v man >/dev/null; then
    for m in man1/cellc.1 man1/cellrun.1 man5/cell.5; do
        out=$(MANWIDTH=80 man -l "$P/share/man/$m" 2>&1 | head -20)
        like "$out" "NAME" "man $m renders"
    done
    like "$(man -l "$P/share/man/man1/cellc.1" 2>/dev/null)" "CELLOS_PATH" "cellc(1) documents the pack search path"
else
    skip 4 "man (man-db) is not installed: the pages are not rendered"
fi

mkdir -p "$TMP/elsewhere" && cp "$CELLOS_TOP/policies/examples/hello.cell" "$CELLOS_TOP/policies/examples/build.cell" "$TMP/elsewhere/"
# the installed tree seen at /usr/local (private mount namespace)
if unshare -m --propagation private true 2>/dev/null; then
    out=$(cd "$TMP/elsewhere" && unshare -m --propagation private sh -c \
        'mount --bind "$1/usr/local" /usr/local && /usr/local/bin/cellc build.cell -o hello.plan' sh "$D" 2>&1)
    is "$?:$out" "0:" "an installed cellc compiles an example using std/base from another directory with no -I"
    ok $([ -s "$TMP/elsewhere/hello.plan" ] && echo 0 || echo 1) "and writes the plan"
else
    skip 2 "unshare -m not available"
fi
rm -f "$TMP/elsewhere/hello.plan"
out=$(cd "$TMP/elsewhere" && CELLOS_PATH="$TMP/none:$P/share/cellos/policies" "$CELLC" build.cell -o hello.plan 2>&1)
is "$?:$out" "0:" "\$CELLOS_PATH finds the installed packs"
sed 's|^cell hello|use "std/nosuch";\ncell hello|' "$TMP/elsewhere/hello.cell" > "$TMP/elsewhere/n.cell"
out=$(cd "$TMP/elsewhere" && CELLOS_PATH=/opt/packs "$CELLC" check -I /srv/p n.cell 2>&1)
like "$out" "cannot find pack 'std/nosuch': no std/nosuch.cell in /srv/p, /opt/packs, $TMP/elsewhere/policies, $TMP/elsewhere, /usr/local/share/cellos/policies; add a directory with -I DIR or \\\$CELLOS_PATH" \
     "a missing pack: every directory searched, absolute, and -I named"
done_testing
