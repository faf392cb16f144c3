/* script_digest SEED — prints {"count","bytes","sha256"} of the interop
 * script for SEED, so check_script.js can verify that interop_script.c and
 * interop_script.js generate identical messages. */
#include <stdio.h>
#include <stdlib.h>

#include "interop/interop_script.h"

static int print_script_digest(const char *seed_str)
{
    uint32_t seed = (uint32_t)strtoul(seed_str, NULL, 0);
    script_hash h;
    uint64_t bytes = 0;
    char hex[SCRIPT_HASH_HEX];
    if (script_hash_init(&h) != 0)
        return 1;
    for (size_t i = 0; i < script_count(); i++) {
        script_msg m;
        if (script_message(seed, i, &m) != 0) {
            script_hash_final(&h, NULL);
            return 1;
        }
        script_hash_update(&h, m.text, m.data, m.len);
        bytes += m.len;
        script_msg_free(&m);
    }
    if (script_hash_final(&h, hex) != 0)
        return 1;
    printf("{\"count\":%zu,\"bytes\":%llu,\"sha256\":\"%s\"}\n", script_count(),
           (unsigned long long)bytes, hex);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fputs("usage: script_digest SEED\n", stderr);
        return 2;
    }
    return print_script_digest(argv[1]);
}
