/* tallow — common definitions: error codes, logging, allocation.
 *
 * Error convention: every function that can fail returns an int, 0 (TL_OK)
 * on success and a negative TL_ERR_* code on failure. tl_strerror() gives a
 * human-readable string for any code. */
#ifndef TALLOW_COMMON_H
#define TALLOW_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Exported from libtallow.so (built with -fvisibility=hidden). */
#pragma GCC visibility push(default)

enum {
    TL_OK = 0,
    TL_ERR_INVALID_ARG = -1,  /* a parameter is out of its documented range */
    TL_ERR_NOMEM = -2,        /* allocation failed */
    TL_ERR_PROTO = -3,        /* the peer violated the protocol */
    TL_ERR_AUTH = -4,         /* authentication / integrity check failed */
    TL_ERR_STATE = -5,        /* call not valid in the object's current state */
    TL_ERR_IO = -6,           /* an operating-system I/O call failed */
    TL_ERR_CLOSED = -7,       /* the object or its transport is closed */
    TL_ERR_AGAIN = -8,        /* would block; retry after the relevant callback */
    TL_ERR_TOO_BIG = -9,      /* message or field larger than the limit */
    TL_ERR_NOT_FOUND = -10,   /* no such object */
    TL_ERR_TIMEOUT = -11,     /* a deadline passed */
    TL_ERR_CRYPTO = -12,      /* the crypto library failed (not an auth failure) */
    TL_ERR_REPLAY = -13,      /* a message was seen before */
    TL_ERR_UNSUPPORTED = -14, /* feature or version not supported */
    TL_ERR_PARSE = -15,       /* malformed input */
    TL_ERR_LIMIT = -16,       /* a rate, size or count limit was hit */
    TL_ERR_NOSPACE = -17,     /* no space left on the device */
    TL_ERR_PERM = -18,        /* permission denied */
    TL_ERR_EXISTS = -19,      /* target exists and overwriting was not asked for */
    TL_ERR_CANCELED = -20,    /* the operation was cancelled by the peer or user */
    TL_ERR_INTERNAL = -21,    /* a bug: an invariant did not hold */
    TL_ERR_STALLED = -22,     /* the peer made no progress for the stall timeout */
    TL_ERR_IDENTITY = -23,    /* the peer is not the sender the code or link names */
};

/* Returns a static, never-NULL string describing err. */
const char *tl_strerror(int err);

/* Log levels; TL_LOG_INFO is the default. Nothing logged at INFO or above
 * may contain an IP address (SPEC §2 WebRTC). */
typedef enum {
    TL_LOG_DEBUG = 0,
    TL_LOG_INFO = 1,
    TL_LOG_WARN = 2,
    TL_LOG_ERROR = 3,
    TL_LOG_NONE = 4,
} tl_log_level;

/* Log sink. subject names what the line is about (e.g. "pc 3", "peer alice"),
 * msg is one line without a trailing newline. Called on the thread that logs. */
typedef void (*tl_log_fn)(void *user_data, tl_log_level level, const char *subject,
                          const char *msg);

typedef struct tl_logger {
    tl_log_fn fn; /* NULL: discard everything */
    void *user_data;
    tl_log_level level; /* lines below this level are dropped before formatting */
} tl_logger;

/* Length of the valid UTF-8 sequence at s (at most n bytes): 1..4, or 0
 * when it is invalid (truncated, overlong, a surrogate, above U+10FFFF). */
size_t tl_utf8_seq(const uint8_t *s, size_t n);

/* The one sanitiser for text from the network (a peer's ERROR text, a
 * signaling server's error, peer ids, device and file names) before it
 * reaches a terminal or a log line: C0 controls, ESC, DEL, the C1 controls
 * U+0080..U+009F and bytes that are not valid UTF-8 are written as the four
 * characters \xHH; valid UTF-8 is kept. Writes at most cap-1 bytes and a NUL
 * (truncating only between whole characters or escapes); returns the length
 * written. Idempotent: its output contains nothing it would change. The
 * library's events and log lines carry peer text raw; whoever prints them
 * (the CLI's report.c and loggers) passes them through this. */
size_t tl_text_sanitize(char *out, size_t cap, const char *in, size_t len);

/* Frees memory the library returned to the caller (SDP strings and similar). */
void tl_free(void *p);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
