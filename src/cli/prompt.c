#define _GNU_SOURCE
/* The join-code prompt of `tallow receive` (prompt.h): libedit's readline
 * interface for line editing and Tab completion, the code word list for the
 * candidates, tl_joincode_explain for what is wrong with a mistyped code. */
#include "cli/prompt.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <editline/readline.h>
#include <openssl/crypto.h>

#include "cli/report.h"
#include "signal/joincode.h"

#define MAX_CODE_LINE 512 /* a code with the longest location is under 300 */

int tl_prompt_check_code(const char *code)
{
    char why[200];
    if (tl_joincode_explain(code, why, sizeof(why)) == TL_OK)
        return 0;
    fprintf(stderr, "tallow receive: %s\n", why);
    return -1;
}

/* Readline's completion generator: the code words that begin with text (any
 * case), one per call, NULL after the last. */
static char *word_generator(const char *text, int state)
{
    static int next;
    static char low[17];
    static size_t len;
    if (!state) {
        next = 0;
        len = strlen(text);
        if (len > 16)
            return NULL;
        for (size_t i = 0; i < len; i++)
            low[i] = (char)tolower((unsigned char)text[i]);
        low[len] = '\0';
    }
    if (len > 16)
        return NULL;
    while (next < TL_JOINCODE_NWORDS) {
        const char *w = tl_joincode_words[next++];
        if (!strncmp(w, low, len))
            return strdup(w);
    }
    return NULL;
}

/* Only words complete: the group number and a location after '@' are left
 * alone (no candidates, nothing appended). */
static char **complete(const char *text, int start, int end)
{
    (void)end;
    rl_attempted_completion_over = 1;
    for (int i = start - 1; i >= 0 && rl_line_buffer; i--)
        if (rl_line_buffer[i] == '@')
            return NULL;
    if (text[0] && !isalpha((unsigned char)text[0]))
        return NULL;
    return rl_completion_matches(text, word_generator);
}

static char *strip_dup(const char *line)
{
    while (isspace((unsigned char)*line))
        line++;
    size_t n = strlen(line);
    while (n && isspace((unsigned char)line[n - 1]))
        n--;
    return strndup(line, n);
}

static void wipe_free(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

static char *prompt_tty(void)
{
    rl_readline_name = "tallow";
    rl_instream = stdin;
    rl_outstream = stderr; /* stdout may be the received data */
    rl_attempted_completion_function = complete;
    rl_basic_word_break_characters = " \t-@";
    rl_completion_append_character = '-';
    for (;;) {
        /* Not added to any history: the code is a secret. */
        char *line = readline("Enter the join code: ");
        if (!line) {
            fprintf(stderr, "\ntallow receive: no join code given\n");
            return NULL;
        }
        char *code = strip_dup(line);
        wipe_free(line);
        if (!code)
            return NULL;
        char why[200];
        if (!code[0]) {
            free(code);
            continue;
        }
        if (tl_joincode_explain(code, why, sizeof(why)) == TL_OK)
            return code;
        wipe_free(code);
        fprintf(stderr, "%s\n", why);
    }
}

static char *read_stdin_line(void)
{
    char buf[MAX_CODE_LINE];
    if (!fgets(buf, sizeof(buf), stdin)) {
        fprintf(stderr, "tallow receive: no join code given (as an argument, in TALLOW_CODE, "
                        "or one line on stdin)\n");
        return NULL;
    }
    char *code = strip_dup(buf);
    OPENSSL_cleanse(buf, sizeof(buf));
    return code;
}

char *tl_prompt_code(int interactive)
{
    const char *env = getenv("TALLOW_CODE");
    char *code;
    if (env && env[0])
        code = strip_dup(env);
    else if (interactive)
        return prompt_tty();
    else
        code = read_stdin_line();
    if (code && tl_prompt_check_code(code) < 0) {
        wipe_free(code);
        return NULL;
    }
    return code;
}
