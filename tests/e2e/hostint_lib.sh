# hostint_lib.sh - the host-integrity check (issue 12): what a run of cellc
# or cellrun must never change on the host. Source after tap.sh and
# tmpdir. Provides:
#   hi_devnull_state            "uid:gid major:minor mode type" of /dev/null
#   hi_devnull_ok NAME          /dev/null is the root-owned character device
#                               1:3 with mode 0666 (one TAP check)
#   hi_begin [FILES...]         snapshot owner/group/mode of /dev, /etc, /tmp
#                               and $TMP, and of FILES (the stdio files a
#                               run gets); call once before the runs
#   hi_changes                  what changed owner since hi_begin (anything
#                               under /dev, /etc, /tmp, $TMP; also the mode
#                               under /dev), and FILES whose owner or mode
#                               changed; prints nothing when the host is intact
#   hi_check NAME               hi_devnull_ok + "nothing changed" (two checks)
#   hi_intact                   both in one: prints what is wrong (nothing
#                               when the host is intact)
#   hi_probe_check NAME         one TAP check of hi_intact, for the escape
#                               suites (after every probe)
#   hi_stdio_files              makes $TMP/hi-in, hi-out, hi-err: stdio files
#                               owned by 4321:4321 with modes 0604/0602, so
#                               a chown or chmod of a run's stdio shows; sets
#                               HI_IN HI_OUT HI_ERR
#   hi_err_tail                 " (stderr: ...)" of $HI_ERR when not empty
# Paths created or removed meanwhile are not compared: other users of the
# machine create and remove files in /tmp all the time; a file that exists
# before and after with another owner is what a chown looks like. Cheap: a
# snapshot is one find over some thousand entries (~20 ms).
HI_DEVNULL_WANT="0:0 1:3 666 character special file"

hi_devnull_state() { stat -c '%u:%g %t:%T %a %F' /dev/null; }

# What /dev/null must be after a run: root's 1:3 0666, or, when another
# process on this machine had already changed it before this test began
# (said once, as a diagnostic), what it was then: this test's runs must not
# change it either way.
hi_devnull_want() {
    if [ "$HI_DEVNULL_START" = "$HI_DEVNULL_WANT" ]; then echo "$HI_DEVNULL_WANT"; else echo "$HI_DEVNULL_START"; fi
}

hi_devnull_ok() {
    local want
    want=$(hi_devnull_want)
    is "$(hi_devnull_state)" "$want" "$1: /dev/null is still root's character device 1:3, mode 0666"
}

_hi_snap() {   # [FIND TESTS...]
    find /dev /etc /tmp "${TMP:?}" "$@" -printf '%p %U %G %m\n' 2>/dev/null
}

hi_begin() {
    : > "$TMP/.hi-mark"
    sleep 0.02   # a change made at once still gets a later ctime than the mark
    _hi_snap > "$TMP/.hi-before"
    printf '%s\n' "$@" > "$TMP/.hi-files"
}

# A chown or chmod always moves the inode's ctime: only what changed status
# since hi_begin is compared with the snapshot (one walk, a few lines to
# look at); owners everywhere, modes too under /dev and for the named files
hi_changes() {
    _hi_snap -cnewer "$TMP/.hi-mark" | awk -v files="$TMP/.hi-files" -v before="$TMP/.hi-before" '
        function key(line) { sub(/ [0-9]+ [0-9]+ [0-7]+$/, "", line); return line }
        BEGIN { while ((getline nf < files) > 0) if (nf != "") named[nf] = 1 }
        { k = key($0) }
        k in seen { next }   # $TMP lies under /tmp: walked twice
        { seen[k] = 1; now[k] = $(NF-2) ":" $(NF-1) " " $NF; n++ }
        END {
            if (n)
                while ((getline line < before) > 0) {
                    k = key(line); c = split(line, w, " ")
                    if (!(k in now) || (k in done)) continue
                    done[k] = 1
                    was = w[c-2] ":" w[c-1]; wm = w[c]
                    split(now[k], g, " ")
                    if (g[1] != was) print k ": owner " was " -> " g[1]
                    else if ((k ~ /^\/dev\// || k in named) && g[2] != wm) print k ": mode " wm " -> " g[2]
                }
        }'
    local f
    while read -r f; do [ -z "$f" ] || [ -e "$f" ] || echo "$f: gone"; done < "$TMP/.hi-files"
}

hi_check() {
    hi_devnull_ok "$1"
    is "$(hi_changes)" "" "$1: no file under /dev, /etc, /tmp or the test's directory changed owner"
}

hi_intact() {
    local d want
    want=$(hi_devnull_want)
    d=$(hi_devnull_state)
    [ "$d" = "$want" ] || echo "/dev/null: $d (want $want)"
    hi_changes
}

hi_probe_check() {
    is "$(hi_intact)" "" "$1: host intact (/dev/null root's 1:3 0666; stdio files, /dev, /etc, /tmp, test dir: owners unchanged)"
}

hi_stdio_files() {
    HI_IN=$TMP/hi-in HI_OUT=$TMP/hi-out HI_ERR=$TMP/hi-err
    : > "$HI_IN"; : > "$HI_OUT"; : > "$HI_ERR"
    chown 4321:4321 "$HI_IN" "$HI_OUT" "$HI_ERR"
    chmod 0604 "$HI_IN"; chmod 0602 "$HI_OUT" "$HI_ERR"
}

hi_err_tail() {
    [ -s "$HI_ERR" ] && printf ' (stderr: %s)' "$(head -c 300 "$HI_ERR" | tr '\n' ' ')"
    return 0
}

# /dev/null as this test found it (sourcing the lib is the test's start)
HI_DEVNULL_START=$(hi_devnull_state)
[ "$HI_DEVNULL_START" = "$HI_DEVNULL_WANT" ] ||
    diag "the host's /dev/null was already changed before this test began: $HI_DEVNULL_START"
