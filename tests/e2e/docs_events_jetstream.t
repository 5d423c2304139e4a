#!/usr/bin/env bash
# docs_events_jetstream.t - docs/events.md's "Reading a run back from
# JetStream" example, run as written: every program it uses is one that
# `make all` builds (build/bin), is on PATH, or is built by a `make` line of
# the example itself before its first use; then the block runs in a scratch
# directory (build/ and policies/ linked to this tree's, this build's cellc
# and cellrun first on PATH) with a free port for 4299, scratch paths for
# /tmp/js and /tmp/spool, and a wait for the server to listen after its
# line (a person typing has that pause); the stream read back verifies.
. "$CELLOS_TOP/tests/lib/tap.sh"
. "$CELLOS_TOP/tests/e2e/sinks_lib.sh"
need_root
tmpdir
md=$CELLOS_TOP/docs/events.md
awk '/^### Reading a run back from JetStream/ { f = 1 } f && /^    / { print substr($0, 5) } f && /^prints/ { exit }' \
    "$md" > "$TMP/block.sh"
ok $([ "$(grep -c . "$TMP/block.sh")" -ge 6 ] && echo 0 || echo 1) "the example is found ($(grep -c . "$TMP/block.sh") lines)"

# every build/... program is built by make all (build/bin) or by a make line before it
bad=""
made=0
while IFS= read -r line; do
    case $line in make\ *) made=1 ;; esac
    for p in $(printf '%s\n' "$line" | grep -oE '(^|[ ])build/[^ ]+' | tr -d ' '); do
        case $p in build/bin/*) ;; *) [ $made = 1 ] || bad="$bad $p" ;; esac
    done
done < "$TMP/block.sh"
is "$bad" "" "every program the example runs is built by make all or by a make line in the example"

command -v nats-server >/dev/null || { skip 2 "nats-server is not installed (make deps)"; done_testing; exit; }
port=$(free_port)
mkdir -p "$TMP/run" && cd "$TMP/run" || exit 1
ln -s "$CELLOS_BUILD" build
ln -s "$CELLOS_TOP/policies" policies
sed -e "s/4299/$port/g" -e "s|/tmp/js|$TMP/js|g" -e "s|/tmp/spool|$TMP/spool|g" \
    -e "s|^\\(nats-server .*&\\)\$|\\1\\nfor i in \$(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null \\&\\& break; sleep 0.05; done|" \
    "$TMP/block.sh" > "$TMP/run.sh"
out=$( (
    make() { command make -s -C "$CELLOS_TOP" --no-print-directory BUILD="$CELLOS_BUILD" "$@"; }
    export -f make
    trap 'kill $(jobs -p) 2>/dev/null; wait' EXIT
    PATH=$CELLOS_BUILD/bin:$PATH
    set -e
    . "$TMP/run.sh"
) 2>&1 ); rc=$?
if printf '%s' "$out" | grep -q "^jsread: needs Go"; then
    skip 2 "the example's reader cannot be built here: $(printf '%s' "$out" | grep '^jsread:')"
    done_testing; exit
fi
is "$rc" 0 "the example runs as written"; [ "$rc" = 0 ] || diag "$out"
like "$out" "run.jsonl: verified: 1 run\\(s\\), [0-9]+ events, all sealed" "and the stream read back from JetStream verifies"
done_testing
