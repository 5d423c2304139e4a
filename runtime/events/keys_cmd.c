/*
 * keys_cmd.c - `cellrun keygen PREFIX`: a fresh Ed25519 key as PREFIX.key
 * (secret seed, mode 0600), PREFIX.pub (base64url raw public key) and
 * PREFIX.trust.json (a trust file holding just this key); prints the kid.
 * Nothing is overwritten: every file is created with O_EXCL.
 */
#include <stdio.h>
#include <string.h>

#include "keys.h"

int cellrun_cmd_keygen(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-') {
        fprintf(stderr,
                "usage: cellrun keygen PREFIX\n"
                "  writes PREFIX.key (0600), PREFIX.pub and PREFIX.trust.json; prints the kid\n");
        return 1;
    }
    struct cell_error e = { 0 };
    struct ev_key key;
    if (ev_key_generate(&key, &e) < 0 || ev_key_write_files(argv[1], &key, &e) < 0) {
        ev_key_wipe(&key);
        fprintf(stderr, "cellrun keygen: %s\n", e.msg);
        return 1;
    }
    char kid[EV_KID_HEX_LEN + 1];
    ev_kid_hex(key.kid, kid);
    ev_key_wipe(&key);
    printf("%s\n", kid);
    return 0;
}
