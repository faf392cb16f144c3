/* libFuzzer target: the client config file parser (src/cli/config.c). A file
 * that parses has only known keys, each with at least one line number inside
 * the text and non-empty string values; one that is refused says why with
 * the file's name and leaves nothing allocated. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count_lines(const uint8_t *data, size_t size)
{
    int n = 1;
    for (size_t i = 0; i < size; i++)
        n += data[i] == '\n';
    return n;
}

static int apply_nothing(void *ud, const char *key, const char *value)
{
    (void)ud;
    (void)value;
    return key[0] == 'l' ? -1 : 0; /* "limit": exercise the error path */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tl_cli_config cfg;
    char err[512] = "";
    if (tl_cli_config_parse(&cfg, "/fuzz/config", (const char *)data, size, err, sizeof(err))) {
        if (strncmp(err, "/fuzz/config", 12) || cfg.settings || cfg.n)
            abort();
        return 0;
    }
    int lines = count_lines(data, size);
    for (size_t i = 0; i < cfg.n; i++) {
        const tl_cli_setting *s = &cfg.settings[i];
        if (!s->key || !s->values || s->line < 1 || s->line > lines)
            abort();
        for (char **v = s->values; *v; v++)
            if (strcmp(s->key, "relay-only") && strcmp(s->key, "insecure") && !(*v)[0])
                abort();
    }
    tl_cli_defaults_apply(&cfg, NULL, NULL, 0, apply_nothing, NULL, err, sizeof(err));
    tl_cli_config_free(&cfg);
    return 0;
}
