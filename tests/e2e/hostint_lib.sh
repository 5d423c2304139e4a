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
# Paths created or removed meanwhile are not compared: other users of the
# machine create and remove files in /tmp all the time; a file that exists
# before and after with another owner is what a chown looks like. Cheap: a
# snapshot is one find over some thousand entries (~20 ms).
HI_DEVNULL_WANT="0:0 1:3 666 character special file"

hi_devnull_state() { stat -c '%u:%g %t:%T %a %F' /dev/null; }

hi_devnull_ok() {
    is "$(hi_devnull_state)" "$HI_DEVNULL_WANT" "$1: /dev/null is still root's character device 1:3, mode 0666"
}

_hi_snap() {
    find /dev /etc /tmp "${TMP:?}" -printf '%p %U %G %m\n' 2>/dev/null | LC_ALL=C sort -u
}

hi_begin() {
    _hi_snap > "$TMP/.hi-before"
    : > "$TMP/.hi-files"
    local f
    for f in "$@"; do stat -c '%n %u %g %a' "$f" >> "$TMP/.hi-files"; done
}

hi_changes() {
    _hi_snap > "$TMP/.hi-after"
    awk '
        { k = $0; sub(/ [0-9]+ [0-9]+ [0-7]+$/, "", k); own = $(NF-2) ":" $(NF-1); mode = $NF }
        NR == FNR { o[k] = own; m[k] = mode; next }
        (k in o) && o[k] != own { print k ": owner " o[k] " -> " own; next }
        (k in o) && k ~ /^\/dev\// && m[k] != mode { print k ": mode " m[k] " -> " mode }
    ' "$TMP/.hi-before" "$TMP/.hi-after"
    local f u g a now
    while read -r f u g a; do
        now=$(stat -c '%u %g %a' "$f" 2>/dev/null)
        [ "$now" = "$u $g $a" ] || echo "$f: owner/mode $u $g $a -> ${now:-gone}"
    done < "$TMP/.hi-files"
}

hi_check() {
    hi_devnull_ok "$1"
    is "$(hi_changes)" "" "$1: no file under /dev, /etc, /tmp or the test's directory changed owner"
}
