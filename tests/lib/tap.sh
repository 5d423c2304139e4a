# tap.sh - TAP helpers for the end-to-end shell tests. Source it first:
#   . "$CELLOS_TOP/tests/lib/tap.sh"
# then: ok COND_STATUS "name"; is "$got" "$want" "name"; like "$got" REGEX "name";
# skip_all "reason"; need_root; tmpdir (a private dir removed at exit);
# done_testing at the end. Tests run from `make test`, which exports
# CELLOS_TOP, CELLOS_BUILD, CELLC and CELLRUN.

: "${CELLOS_TOP:?run the tests through make test}"
_tap_n=0
_tap_failed=0

ok() {   # ok STATUS NAME : pass when STATUS is 0
    local status=$1; shift
    _tap_n=$((_tap_n + 1))
    if [ "$status" -eq 0 ]; then echo "ok $_tap_n - $*"
    else echo "not ok $_tap_n - $*"; _tap_failed=$((_tap_failed + 1)); fi
}
is() {   # is GOT WANT NAME
    local got=$1 want=$2; shift 2
    if [ "$got" = "$want" ]; then ok 0 "$*"
    else ok 1 "$*"; printf '#      got: %s\n#     want: %s\n' "$got" "$want" | head -40; fi
}
like() { # like GOT ERE NAME
    local got=$1 re=$2; shift 2
    if printf '%s' "$got" | grep -Eq -- "$re"; then ok 0 "$*"
    else ok 1 "$*"; printf '#      got: %s\n#  pattern: %s\n' "$got" "$re" | head -40; fi
}
unlike() { # unlike GOT ERE NAME
    local got=$1 re=$2; shift 2
    if printf '%s' "$got" | grep -Eq -- "$re"; then ok 1 "$*"; printf '#      got: %s\n' "$got" | head -40
    else ok 0 "$*"; fi
}
diag() { printf '# %s\n' "$*"; }
skip() { # skip N REASON
    local n=$1; shift
    for _ in $(seq "$n"); do _tap_n=$((_tap_n + 1)); echo "ok $_tap_n # SKIP $*"; done
}
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
need_root() { [ "$(id -u)" = 0 ] || skip_all "needs root (CI runs as root)"; }
tmpdir() {   # sets TMP to a private directory removed when the test exits
    TMP=$(mktemp -d "${TMPDIR:-/tmp}/cellos-test.XXXXXX")
    trap 'rm -rf "$TMP"' EXIT
}
done_testing() {
    echo "1..$_tap_n"
    [ "$_tap_failed" -eq 0 ]
    exit $?
}
