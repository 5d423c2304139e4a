# events_lib.sh - shared set-up of the events end-to-end tests (sourced after
# tests/lib/tap.sh). Sets GEN (the events_gen helper), DATA (the golden
# vectors), and VERIFY / KEYGEN / SIGN: the real `cellrun verify`,
# `cellrun keygen` and `cellc sign` once those binaries dispatch to the
# events subcommands, events_gen's stand-ins for the same functions before.

GEN="$CELLOS_BUILD/t/events_gen"
DATA="$CELLOS_TOP/tests/data/events"
[ -x "$GEN" ] || skip_all "events_gen not built (make test builds it)"

if [ -x "${CELLRUN:-}" ] && "$CELLRUN" verify --help 2>&1 | grep -q 'usage: cellrun verify'; then
    VERIFY=("$CELLRUN" verify)
    KEYGEN=("$CELLRUN" keygen)
else
    diag "cellrun does not dispatch verify/keygen yet: testing the same functions through events_gen"
    VERIFY=("$GEN" verify)
    KEYGEN=("$GEN" keygen)
fi
if [ -x "${CELLC:-}" ] && "$CELLC" sign 2>&1 | grep -q 'usage: cellc sign'; then
    SIGN=("$CELLC" sign)
else
    SIGN=("$GEN" sign)
fi

# events_need_cellrun: skip unless a real run is possible (root, cellrun
# built); sets MKPLAN, the runtime's plan helper, and skips without it.
events_need_cellrun() {
    need_root
    [ -x "${CELLRUN:-}" ] || skip_all "cellrun is not built"
    MKPLAN="$CELLOS_BUILD/t/runtime/mkplan"
    [ -x "$MKPLAN" ] || skip_all "the runtime's plan helper is not built"
}

# run_verify ARGS...: sets OUT (stdout+stderr) and RC.
run_verify() {
    OUT=$("${VERIFY[@]}" "$@" 2>&1)
    RC=$?
}

# key_files PREFIX SEED: the test key SEED as PREFIX.key (0600), .pub, .trust.json
key_files() { "$GEN" keys "$1" "$2" >/dev/null; }
