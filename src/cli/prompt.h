/* Where `tallow receive` gets its join code when none is on the command
 * line: TALLOW_CODE, a prompt on a terminal (libedit, Tab completes the code
 * words), or one line of stdin. */
#ifndef TL_CLI_PROMPT_H
#define TL_CLI_PROMPT_H

/* The join code for receive, malloc'd (release with tl_secret_free, which
 * wipes it): $TALLOW_CODE when set and not empty; else, when interactive
 * (stdin a terminal and not --json), a prompt on stderr that completes code
 * words with Tab and asks again after a mistyped code, saying which word is
 * wrong and the nearest words; else one line of stdin. A code that is not
 * valid from the environment or stdin is explained on stderr. NULL when there
 * is no valid code (message printed; end of input included). */
char *tl_prompt_code(int interactive);

/* Checks a code given on the command line or elsewhere; prints the reason to
 * stderr ("tallow receive: 'brok' is not a code word: did you mean …?") and
 * returns -1 when it is not valid, 0 when it is. */
int tl_prompt_check_code(const char *code);

#endif
