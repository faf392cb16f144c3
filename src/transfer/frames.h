/* tallow — transfer protocol frame codec (docs/PROTOCOL.md §3, §4).
 *
 * Every frame is u8 type followed by a fixed, big-endian body; a variable
 * tail (bytes, hashes, text) is either length-prefixed or runs to the end of
 * the frame, as documented per type. Decoding is strict: a frame must be
 * exactly as long as its type says. Decoded pointers alias the input. */
#ifndef TL_TRANSFER_FRAMES_H
#define TL_TRANSFER_FRAMES_H

#include "tallow/transfer.h"
#include "common/bytes.h"

enum {
    TL_FR_HELLO = 0x01,    /* plaintext */
    TL_FR_HS = 0x02,       /* plaintext */
    TL_FR_MANIFEST = 0x10, /* encrypted from here on */
    TL_FR_RESUME = 0x11,
    TL_FR_RESUME_END = 0x12,
    TL_FR_NAME = 0x13, /* both, after keys: the side's display name */
    TL_FR_HASHES = 0x20,
    TL_FR_DATA = 0x21,
    TL_FR_FILE_END = 0x22,
    TL_FR_FILE_RESULT = 0x23,
    TL_FR_ACK = 0x30,
    TL_FR_PING = 0x40,
    TL_FR_PONG = 0x41,
    TL_FR_DONE = 0x50,
    TL_FR_CANCEL = 0x51,
    TL_FR_ERROR = 0x52,
};

#define TL_FR_MAGIC "TLXF"
#define TL_FR_HELLO_LEN 30
#define TL_FR_DATA_HDR 13          /* type + file + chunk */
#define TL_FR_MANIFEST_HDR 9       /* type + total + offset */
#define TL_FR_MANIFEST_PART 65536u /* max bytes of manifest per frame */
#define TL_FR_MAX_BITMAP 65536u    /* max bitmap bytes in RESUME */
#define TL_FR_MAX_TEXT 256u        /* max ERROR text bytes */
#define TL_FR_MAX_NAME 64u         /* max NAME bytes */
#define TL_FR_RECEIPT_LEN 32       /* proof of receipt in RESUME / FILE_RESULT */
#define TL_FR_ROLE_RECEIVER 0
#define TL_FR_ROLE_SENDER 1

typedef struct tl_frame {
    uint8_t type;
    union {
        struct {
            uint16_t min_version, max_version;
            uint8_t role;
            uint32_t max_message;
            uint8_t session_id[TL_TRANSFER_ID_LEN];
        } hello;
        struct {
            const uint8_t *msg;
            size_t len;
        } hs;
        struct {
            uint32_t total, offset;
            const uint8_t *part;
            size_t len;
        } manifest;
        struct {
            uint32_t file;
            uint8_t status;
            uint16_t error; /* -TL_ERR_* */
            uint64_t prefix;
            uint8_t receipt[TL_FR_RECEIPT_LEN]; /* COMPLETE: proof of receipt */
            const uint8_t *bitmap;
            size_t bitmap_len;
        } resume;
        struct {
            uint32_t count;
        } resume_end;
        struct {
            uint32_t file, block;
            uint16_t count;
            const uint8_t *hashes;
        } hashes;
        struct {
            uint32_t file;
            uint64_t chunk;
            const uint8_t *data;
            size_t len;
        } data;
        struct {
            uint32_t file;
        } file_end;
        struct {
            uint32_t file;
            uint16_t error;                     /* 0 = verified */
            uint8_t receipt[TL_FR_RECEIPT_LEN]; /* error 0: proof of receipt */
        } file_result;
        struct {
            uint64_t frames, bytes;
        } ack;
        struct {
            uint64_t id, stamp;
        } ping; /* PING and PONG */
        struct {
            uint32_t files_ok, files_failed;
        } done;
        struct {
            uint16_t code; /* -TL_ERR_*; CANCEL: 20 */
            const char *text;
            size_t text_len;
        } error; /* ERROR and CANCEL */
        struct {
            const char *text;
            size_t len; /* 1..TL_FR_MAX_NAME */
        } name;
    } u;
} tl_frame;

/* Decodes one frame. Returns TL_OK, TL_ERR_PARSE (unknown type, wrong
 * length, bad magic, out-of-range field), TL_ERR_TOO_BIG. */
int tl_frame_decode(const uint8_t *buf, size_t len, tl_frame *f);

/* Encoded length of f (0 for an invalid frame). */
size_t tl_frame_len(const tl_frame *f);

/* Encodes f into out. Returns TL_OK, TL_ERR_TOO_BIG (cap too small or a
 * field over its limit), TL_ERR_INVALID_ARG (unknown type). */
int tl_frame_encode(const tl_frame *f, uint8_t *out, size_t cap, size_t *out_len);

/* Name of a frame type for logs ("DATA"), "?" if unknown. */
const char *tl_frame_name(uint8_t type);

#endif
