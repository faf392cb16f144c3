/* libFuzzer target: the one URL / HOST:PORT parser (src/common/uri.c). The
 * first byte picks the kind, the rest is the text. Whatever the input, a
 * success gives a NUL-terminated printable host with no blank, a port in
 * range, and a value that tl_uri_hostport can print and parse back to the
 * same host and port; a failure gives a reason and a wiped result. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/uri.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > TL_URI_MAX + 2)
        return 0;
    tl_uri_kind kind = (tl_uri_kind)(data[0] % 4);
    char *text = malloc(size);
    if (!text)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    tl_uri u;
    const char *why = NULL;
    if (tl_uri_parse(&u, kind, text, &why) != 0) {
        if (!why || u.host[0] || u.pass[0] || u.port)
            abort();
    } else {
        size_t hl = strnlen(u.host, sizeof(u.host));
        if (hl == sizeof(u.host) || (hl == 0 && kind != TL_URI_HOSTPORT))
            abort();
        for (size_t i = 0; i < hl; i++)
            if ((unsigned char)u.host[i] <= 0x20 || (unsigned char)u.host[i] >= 0x7f)
                abort();
        if (u.port < 0 || u.port > 65535 || (u.port == 0 && kind != TL_URI_HOSTPORT))
            abort();
        if (strnlen(u.user, sizeof(u.user)) == sizeof(u.user) ||
            strnlen(u.pass, sizeof(u.pass)) == sizeof(u.pass) ||
            strnlen(u.path, sizeof(u.path)) == sizeof(u.path))
            abort();
        /* Round trip of the network part. Hosts holding '%' (an IPv6 zone,
         * decoded from %25) are not written back encoded: skip those. */
        char hp[300];
        if (!strchr(u.host, '%') && hl && tl_uri_hostport(&u, hp, sizeof(hp)) > 0) {
            tl_uri v;
            if (tl_uri_parse(&v, TL_URI_HOSTPORT, hp, NULL) != 0 || strcmp(v.host, u.host) ||
                v.port != u.port)
                abort();
        }
        tl_uri_wipe(&u);
    }
    free(text);
    return 0;
}
