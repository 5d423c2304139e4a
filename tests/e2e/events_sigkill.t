#!/usr/bin/env bash
# events_sigkill.t - a supervisor killed (SIGKILL) at any point of a signed
# run, also while its signer thread still has step records queued, leaves a
# stream that `cellrun verify` reports as cut off (exit 3) or, when the kill
# came after the seal, as complete (exit 0): never a bad line, a broken
# chain or a forged seal. A run killed before its started event was written
# left no line, and then its workload never ran (it writes a marker first).
# (events_cellrun.t kills one while its workload runs.)
. "$CELLOS_TOP/tests/lib/tap.sh"
. "$CELLOS_TOP/tests/e2e/events_lib.sh"
events_need_cellrun
command -v timeout >/dev/null || skip_all "coreutils timeout is not installed"
tmpdir
cd "$TMP" || exit 1

"${KEYGEN[@]}" k >/dev/null
mkdir out
"$MKPLAN" mark.plan --rw "$TMP/out:/out" -- /bin/sh -c 'echo ran > /out/marker'

# a whole run first: the plan works and its stream is sealed
"$CELLRUN" --key k.key --events whole.jsonl mark.plan </dev/null 2>err
is "$?" 0 "the plan runs to its end"
run_verify whole.jsonl --trust k.trust.json
is "$RC" 0 "and its stream is sealed"
total=$(wc -l < whole.jsonl)
rm -f out/marker

# SIGKILL after 1 ms .. 20 ms (timeout(1) kills its child, cellrun, itself),
# three passes: before the started event, while the cell sets up and the
# signer thread is behind, around the workload, around the seal
bad=0 cut=0 midway=0 sealed=0 empty=0 ran_unrecorded=0
for pass in 1 2 3; do
    for ms in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 16 18 20; do
        f=run-$pass-$ms.jsonl
        rm -f out/marker
        # --foreground: the kill is for cellrun alone, not its process group
        (timeout --foreground -s KILL "0.$(printf "%03d" "$ms")" "$CELLRUN" --key k.key --events "$f" mark.plan </dev/null >/dev/null 2>&1) 2>/dev/null
        if [ ! -s "$f" ]; then
            # nothing recorded: the workload must not have run (the cell
            # dies with its supervisor; give it a moment to do so)
            sleep 0.05
            [ -e out/marker ] && { ran_unrecorded=$((ran_unrecorded + 1)); diag "$f: the workload ran without a started event"; }
            empty=$((empty + 1))
            continue
        fi
        run_verify "$f" --trust k.trust.json
        case $RC in
        0) sealed=$((sealed + 1)) ;;
        3) cut=$((cut + 1))
           n=$(wc -l < "$f")
           [ "$n" -gt 2 ] && [ "$n" -lt "$total" ] && midway=$((midway + 1)) ;;
        *) bad=$((bad + 1)); diag "$f (killed after $ms ms): verify exit $RC: $OUT" ;;
        esac
    done
done
diag "51 kills: $empty before any line, $cut cut off ($midway of them between the cell's first step and the seal), $sealed after the seal"
is "$bad" 0 "every stream of a killed run verifies: cut off (exit 3) or sealed (exit 0), never a bad line"
is "$ran_unrecorded" 0 "no workload ran when not even the started event was written"
[ "$midway" -gt 0 ]
ok $? "some kills came while the cell was setting up or running (the stream holds steps but no seal)"

done_testing
