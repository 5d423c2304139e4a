# sinks_lib.sh - shared by the remote sink tests (tests/e2e/sinks_*.t).
# Source after tap.sh. Provides:
#   JSREAD                     the Go JetStream reader (tests/e2e/sinks_jsread.go)
#   free_port                  prints a free loopback TCP port
#   nats_start NAME [CONF]     start nats-server -js on a free port with the
#                              config text CONF (added to port and store);
#                              sets NATS_PORT; NAME.log in $TMP; waits until
#                              it listens. Stop it with nats_stop NAME.
#   nats_stop NAME             stops (SIGKILL with KILL=1) the server NAME
#   sinks_plans                writes $TMP/true.plan, $TMP/sleep.plan, keys k.*
: "${CELLOS_BUILD:?}"
JSREAD="$CELLOS_BUILD/t/sinks_jsread"
MKPLAN="$CELLOS_BUILD/t/runtime/mkplan"

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

nats_start() {   # nats_start NAME [CONF-TEXT] [PORT]
    local name=$1 conf=${2:-} port=${3:-$(free_port)}
    mkdir -p "$TMP/$name.js"
    printf 'listen: "127.0.0.1:%s"\njetstream { store_dir: "%s" }\n%s\n' "$port" "$TMP/$name.js" "$conf" \
        > "$TMP/$name.conf"
    nats-server -c "$TMP/$name.conf" >> "$TMP/$name.log" 2>&1 &
    echo $! > "$TMP/$name.pid"
    NATS_PORT=$port
    for _ in $(seq 100); do
        grep -q "Server is ready" "$TMP/$name.log" 2>/dev/null && return 0
        sleep 0.05
    done
    diag "nats-server $name did not start: $(tail -3 "$TMP/$name.log")"
    return 1
}

nats_stop() {   # nats_stop NAME
    local pid
    pid=$(cat "$TMP/$1.pid" 2>/dev/null) || return 0
    kill "-${SIG:-TERM}" "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    rm -f "$TMP/$1.pid"
    : > "$TMP/$1.log.done"
    mv "$TMP/$1.log" "$TMP/$1.log.old" 2>/dev/null
}

nats_stop_all() {
    for p in "$TMP"/*.pid; do [ -f "$p" ] && nats_stop "$(basename "$p" .pid)"; done
}

sinks_plans() {
    "$CELLRUN" keygen "$TMP/k" >/dev/null
    ASAN_OPTIONS=detect_leaks=0 "$MKPLAN" "$TMP/true.plan" -- /bin/true
    ASAN_OPTIONS=detect_leaks=0 "$MKPLAN" "$TMP/sleep.plan" -- /bin/sleep 1
    mkdir -m 700 "$TMP/spool"
}
