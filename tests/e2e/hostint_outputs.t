#!/usr/bin/env bash
# hostint_outputs.t - every file a command writes follows one rule
# (runtime/lib/out_file.h, issue 12): a regular file or absent path is
# replaced atomically; a character device, fifo or socket is written in
# place (`cellc -o /dev/null` no longer replaces the host's /dev/null); "-"
# is standard output; a symlink is refused (exit status of the command's
# write failures, one line naming the path); keys are 0600 regular files,
# never through a link, never over a file. Commands: cellc -o, cellc --sign,
# cellc sign, cellrun keygen, cellrun --events FILE, cellrun --log FILE.
# Ends with the host-integrity check (hostint_lib.sh).
. "$CELLOS_TOP/tests/lib/tap.sh"
. "$CELLOS_TOP/tests/e2e/runtime_lib.sh"
. "$CELLOS_TOP/tests/e2e/hostint_lib.sh"
need_root
tmpdir
cd "$TMP" || exit 1
[ -x "${CELLC:-}" ] || skip_all "cellc is not built"

hi_devnull_ok "before the runs"
echo "must not change" > victim
chown 4321:4321 victim; chmod 0640 victim
hi_begin victim

POL="$CELLOS_TOP/policies/examples/hello.cell"
"$CELLC" "$POL" -o ref.plan
is "$?" 0 "cellc writes a plan to a new regular file"
is "$(stat -c %a ref.plan)" 644 "as mode 0644"

# character device
"$CELLC" "$POL" -o /dev/null
is "$?" 0 "cellc -o /dev/null succeeds (checks that the policy compiles)"
hi_devnull_ok "cellc -o /dev/null"
ok "$(ls -a | grep -c '\.tmp\.' | grep -qx 0; echo $?)" "no temporary file is left beside it"

# standard output
"$CELLC" "$POL" -o - > dash.plan
is "$?:$(cmp -s dash.plan ref.plan && echo same)" "0:same" "cellc -o - writes the plan to standard output"

# fifo: written in place, read by whoever holds the other end
mkfifo fifo; chmod 0620 fifo
cat fifo > fromfifo &
reader=$!
"$CELLC" "$POL" -o fifo
rc=$?
wait $reader
is "$rc:$(cmp -s fromfifo ref.plan && echo same):$(stat -c '%F %a' fifo)" "0:same:fifo 620" \
   "cellc -o FIFO writes into the fifo, which stays a fifo with its mode"

# unix socket: connected to and written
python3 - sock > fromsock <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1)
c, _ = s.accept(); data = b""
while True:
    b = c.recv(65536)
    if not b: break
    data += b
sys.stdout.buffer.write(data)
PY
lsn=$!
for i in $(seq 50); do [ -S sock ] && break; sleep 0.02; done
"$CELLC" "$POL" -o sock
rc=$?
wait $lsn
is "$rc:$(cmp -s fromsock ref.plan && echo same)" "0:same" "cellc -o SOCKET writes to the listening socket"

# symlink: refused, target untouched
ln -s victim link
"$CELLC" "$POL" -o link 2>err
is "$?" 2 "cellc -o SYMLINK fails with exit status 2 (cellc's write failures)"
is "$(cat err)" "cellc: link: is a symbolic link; refusing to write through it" "one line naming the link"
is "$(readlink link):$(cat victim)" "victim:must not change" "the link and its target are unchanged"
ln -s /dev/null devlink
"$CELLC" "$POL" -o devlink 2>/dev/null
is "$?" 2 "a symlink to /dev/null is refused too"

# a regular file owned by someone else is replaced atomically (as before)
cp victim other; chown 4321:4321 other
"$CELLC" "$POL" -o other
is "$?:$(cmp -s other ref.plan && echo same)" "0:same" "a regular output file is replaced"

# cellc --sign and cellc sign
"$CELLRUN" keygen k >/dev/null
is "$?:$(stat -c '%a %F' k.key)" "0:600 regular file" "keygen: the key is a 0600 regular file"
"$CELLC" "$POL" --sign k.key -o /dev/null
is "$?" 0 "cellc --sign KEY -o /dev/null succeeds"
hi_devnull_ok "cellc --sign -o /dev/null"
cp ref.plan s.plan; chmod 0604 s.plan
"$CELLC" sign s.plan --key k.key >/dev/null
is "$?:$(stat -c %a s.plan)" "0:604" "cellc sign rewrites a plan in place, keeping its mode"
ln -s s.plan slink
"$CELLC" sign slink --key k.key 2>err
rc=$?
ok "$([ "$rc" != 0 ] && grep -q 'slink: is a symbolic link; refusing to write through it' err; echo $?)" \
   "cellc sign through a symlink is refused ($rc: $(cat err))"

# keygen: never through a link, never over a file of someone else
ln -s victim kl.key
"$CELLRUN" keygen kl 2>err
is "$?" 1 "keygen refuses a PREFIX.key that is a symlink"
is "$(readlink kl.key):$(cat victim)" "victim:must not change" "and writes nothing through it"
ok "$([ ! -e kl.pub ] && [ ! -e kl.trust.json ]; echo $?)" "nor any of the other files"
ln -s /dev/null kd.key
"$CELLRUN" keygen kd 2>/dev/null
is "$?" 1 "keygen refuses a PREFIX.key that links to /dev/null"

# the events file sink
mkplan e.plan -- /bin/true
"$CELLRUN" --unsigned --events /dev/null e.plan </dev/null
is "$?" 0 "cellrun --events /dev/null runs"
hi_devnull_ok "cellrun --events /dev/null"
mkfifo evfifo
cat evfifo > fromev &
reader=$!
"$CELLRUN" --unsigned --events evfifo e.plan </dev/null
rc=$?
wait $reader
is "$rc:$(grep -c '"type":' fromev):$(stat -c %F evfifo)" "0:$(grep -c . fromev):fifo" \
   "cellrun --events FIFO streams every event into the fifo"
ln -s victim evlink
"$CELLRUN" --unsigned --events evlink e.plan </dev/null 2>err
rc=$?
is "$rc" 125 "cellrun --events SYMLINK refuses to run (125)"
like "$(cat err)" "evlink: is a symbolic link; refusing to write through it" "naming the link"
is "$(cat victim)" "must not change" "the link's target is unchanged"
"$CELLRUN" --unsigned --events ev.jsonl e.plan </dev/null
"$CELLRUN" --unsigned --events ev.jsonl e.plan </dev/null
is "$(grep -c sealed ev.jsonl):$(stat -c %a ev.jsonl)" "2:600" "a regular events file is appended to (0600)"

# the OCI runtime's --log FILE (runc's flag): appended, never through a link
"$CELLRUN" --root "$TMP/ocir" --log loglink.txt state nosuch 2>/dev/null
ln -s victim loglink
"$CELLRUN" --root "$TMP/ocir" --log loglink state nosuch 2>/dev/null
is "$(cat victim):$(grep -c 'does not exist' loglink.txt)" "must not change:1" \
   "cellrun --log: a regular file gets the line, a symlink is not written through"

hi_check "after every output case"
done_testing
