/* tallow — the file transfer protocol (docs/PROTOCOL.md), sans-I/O.
 *
 * One reliable, ordered data channel per recipient carries one session:
 * HELLO (version), the hybrid handshake (handshake.h, carried opaque), then
 * only encrypted records (chunk.h): manifest, resume state, chunk hashes,
 * file data, acknowledgements, ping/pong, end-of-file results, done, cancel,
 * error. The file RECEIVER is the handshake initiator, the SENDER the
 * responder.
 *
 * Modules (one file each in src/transfer/):
 *   manifest   the list of files/folders with sizes and the hash tree
 *   sender     sans-I/O sender state machine (one per recipient)
 *   receiver   sans-I/O receiver state machine
 *   source     I/O edge: builds a manifest from disk, reads chunks (pread)
 *   sink       I/O edge: writes <name>.tallow-part + <name>.tallow-state
 *   names      sanitising of received relative paths
 *   bucket     token buckets (total limit shared fairly + per recipient)
 *   quality    peer quality, reconnect backoff, keep-alive schedule
 *
 * Driving a session from an event loop (both sides):
 *   1. On channel open: tl_xfer_*_start(x, now).
 *   2. On every binary message: tl_xfer_*_recv(x, now, msg, len).
 *   3. After every input (start, recv, read/write completion, "buffered
 *      amount low", a timer firing): call tl_xfer_*_poll(x, now, writable,
 *      &act) in a loop until it returns TL_XFER_ACT_NONE, and perform each
 *      action:
 *        SEND   send act.data/act.len as one binary message (the pointer is
 *               valid until the next call on x). Only returned when writable
 *               was non-zero: pass writable = (bufferedAmount < threshold).
 *        READ   (sender) read act.len bytes of file act.file at act.offset
 *               into act.buf, then tl_xfer_sender_read_done(); may be
 *               asynchronous; the sender asks for one read at a time.
 *        WRITE  (receiver) hand the chunk to the sink (tl_sink_write_chunk
 *               with act.hash), then tl_xfer_receiver_write_done() before the
 *               next call on the receiver (synchronous contract).
 *        VERIFY (receiver) tl_sink_finish() for act.file, then
 *               tl_xfer_receiver_verify_done() (synchronous contract).
 *        EVENT  act.event describes something for the user (keyed + SAS,
 *               manifest, progress, file verified, done, error).
 *   4. Arm a timer for tl_xfer_*_next_timeout(x) and call tl_xfer_*_poll at
 *      that time (keep-alive pings, timeouts).
 * Nothing here reads a clock, a socket or a file; `now` is milliseconds on
 * any monotonic clock.
 *
 * Thread rules: an object is used from one thread. Objects never call back
 * into the caller, so every call is allowed at any time.
 */
#ifndef TALLOW_TRANSFER_H
#define TALLOW_TRANSFER_H

#include "tallow/common.h"
#include "tallow/handshake.h"
#include "tallow/chunk.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Exported from libtallow.so (built with -fvisibility=hidden). */
#pragma GCC visibility push(default)

#define TL_XFER_VERSION 1            /* highest protocol version spoken */
#define TL_XFER_MIN_VERSION 1        /* lowest protocol version spoken */
#define TL_XFER_DEFAULT_CHUNK 65536u /* default chunk size (bytes) */
#define TL_XFER_MIN_CHUNK 1024u
#define TL_XFER_MAX_CHUNK 196608u /* a DATA record stays below 256 KiB */
#define TL_XFER_HASH_BLOCK 1024u  /* chunk hashes per hash block / HASHES frame */
#define TL_XFER_MAX_PATH 4096     /* bytes in a relative path */
#define TL_XFER_MAX_NAME 240      /* bytes in one component (room for ".tallow-state") */
#define TL_XFER_MAX_ENTRIES 100000u
#define TL_XFER_MAX_MANIFEST (8u << 20) /* encoded manifest limit */
#define TL_XFER_DEFAULT_WINDOW 64u      /* un-acked DATA frames in flight */

/* ------------------------------------------------------------------ */
/* Manifest                                                             */

typedef enum {
    TL_XFER_FILE = 0,
    TL_XFER_DIR = 1,
} tl_xfer_kind;

/* One file or folder. Read-only for users once added. */
typedef struct tl_xfer_entry {
    tl_xfer_kind kind;
    char *path;             /* relative, '/'-separated, NUL-terminated (owned) */
    uint32_t mode;          /* permission bits, 0..07777 */
    uint64_t size;          /* bytes; 0 for folders */
    uint64_t mtime;         /* seconds since the epoch */
    uint8_t sha256[32];     /* whole-file SHA-256 (zero for folders) */
    uint64_t nchunks;       /* ceil(size / chunk_size) */
    uint32_t nblocks;       /* ceil(nchunks / TL_XFER_HASH_BLOCK) */
    uint8_t *block_hashes;  /* nblocks * 32: SHA-256 of each hash block */
    uint8_t *chunk_hashes;  /* nchunks * 32 (sender side only, else NULL) */
    char *src_path;         /* sender: path on disk (owned), else NULL */
    uint8_t content_id[32]; /* identifies the content for resume */
} tl_xfer_entry;

typedef struct tl_xfer_manifest {
    uint8_t transfer_id[TL_TRANSFER_ID_LEN];
    uint32_t chunk_size;
    uint32_t count;
    tl_xfer_entry *entries;
    uint32_t cap;
} tl_xfer_manifest;

/* Creates an empty manifest. chunk_size: TL_XFER_MIN_CHUNK..TL_XFER_MAX_CHUNK.
 * transfer_id may be NULL (all zero). Returns TL_OK, TL_ERR_INVALID_ARG,
 * TL_ERR_NOMEM. */
int tl_xfer_manifest_new(tl_xfer_manifest **out, uint32_t chunk_size,
                         const uint8_t transfer_id[TL_TRANSFER_ID_LEN]);
void tl_xfer_manifest_free(tl_xfer_manifest *m);

/* Adds a folder. path must pass tl_name_check(). Returns TL_OK,
 * TL_ERR_INVALID_ARG, TL_ERR_LIMIT (too many entries), TL_ERR_NOMEM. */
int tl_xfer_manifest_add_dir(tl_xfer_manifest *m, const char *path, uint32_t mode);

/* Adds a file. chunk_hashes: nchunks*32 bytes (copied; NULL only when
 * size == 0). src_path may be NULL. Computes block hashes and content_id.
 * Returns as tl_xfer_manifest_add_dir. */
int tl_xfer_manifest_add_file(tl_xfer_manifest *m, const char *path, uint32_t mode, uint64_t size,
                              uint64_t mtime, const uint8_t sha256[32], const uint8_t *chunk_hashes,
                              const char *src_path);

/* Encodes the manifest (docs/PROTOCOL.md §5). *out is malloc'ed, free with
 * tl_free(). Returns TL_OK, TL_ERR_TOO_BIG, TL_ERR_NOMEM. */
int tl_xfer_manifest_encode(const tl_xfer_manifest *m, uint8_t **out, size_t *out_len);

/* Decodes and validates (every path with tl_name_check, sizes, counts).
 * The result has no chunk_hashes or src_path. Returns TL_OK, TL_ERR_PARSE,
 * TL_ERR_UNSUPPORTED (manifest version), TL_ERR_INVALID_ARG (a hostile or
 * duplicate name), TL_ERR_TOO_BIG, TL_ERR_NOMEM. */
int tl_xfer_manifest_decode(const uint8_t *in, size_t len, tl_xfer_manifest **out);

/* ------------------------------------------------------------------ */
/* Crypto seam. The state machines reach the handshake and chunk sealing
 * only through this table so they can be tested with the crypto step
 * isolated. tl_xfer_crypto_default() returns the real handshake.h/chunk.h
 * implementation. */

typedef struct tl_xfer_crypto {
    int (*hs_new)(void **hs, const tl_hs_config *cfg);
    void (*hs_free)(void *hs);
    int (*hs_start)(void *hs, uint8_t *out, size_t cap, size_t *out_len);
    int (*hs_recv)(void *hs, const uint8_t *in, size_t in_len, uint8_t *out, size_t cap,
                   size_t *out_len);
    int (*hs_is_done)(const void *hs);
    int (*hs_sas)(const void *hs, char out[TL_HS_SAS_LEN]);
    int (*hs_session_keys)(const void *hs, tl_session_keys *out);
    int (*sealer_new)(void **s, const uint8_t key[32], const uint8_t tid[TL_TRANSFER_ID_LEN],
                      uint64_t now_ms);
    void (*sealer_free)(void *s);
    int (*seal)(void *s, uint64_t now_ms, uint64_t index, int final, const uint8_t *plain,
                size_t len, uint8_t *out, size_t *out_len);
    int (*opener_new)(void **o, const uint8_t key[32], const uint8_t tid[TL_TRANSFER_ID_LEN]);
    void (*opener_free)(void *o);
    int (*open)(void *o, uint64_t expected_index, const uint8_t *frame, size_t frame_len,
                uint8_t *out, size_t *out_len, int *final);
    /* Initiator: the responder's identity hash (NULL: not available). */
    int (*hs_peer_identity)(const void *hs, uint8_t out[TL_HS_IDENTITY_LEN]);
} tl_xfer_crypto;

const tl_xfer_crypto *tl_xfer_crypto_default(void);

/* ------------------------------------------------------------------ */
/* Actions and events                                                   */

typedef enum {
    TL_XFER_EV_KEYED = 1,     /* handshake done; sas holds the SAS */
    TL_XFER_EV_MANIFEST,      /* receiver: manifest arrived; call _accept() */
    TL_XFER_EV_PROGRESS,      /* bytes/total changed (coalesced) */
    TL_XFER_EV_FILE_VERIFIED, /* file: whole-file hash matched (receiver) or
                                 the receiver reported so (sender) */
    TL_XFER_EV_FILE_FAILED,   /* file: error holds the reason; others go on */
    TL_XFER_EV_RTT,           /* rtt_ms measured from a PONG */
    TL_XFER_EV_DONE,          /* session finished; error == 0 if every file OK */
    TL_XFER_EV_ERROR,         /* session failed: error, message; terminal */
    TL_XFER_EV_NAME,          /* the peer's display name (NAME frame), escaped
                                 by tl_text_sanitize, in message; before the
                                 sender's MANIFEST */
} tl_xfer_event_type;

typedef struct tl_xfer_event {
    tl_xfer_event_type type;
    int error;       /* TL_ERR_* (0 when none) */
    uint32_t file;   /* manifest index for FILE_* */
    uint64_t bytes;  /* PROGRESS: payload bytes acknowledged/written so far */
    uint64_t total;  /* PROGRESS: payload bytes this session has to move */
    uint32_t rtt_ms; /* RTT */
    char sas[TL_HS_SAS_LEN];
    /* KEYED (receiver) and ERROR TL_ERR_IDENTITY: the sender's identity hash
     * (docs/CRYPTO.md §3), when has_identity. */
    uint8_t identity[TL_HS_IDENTITY_LEN];
    int has_identity;
    char message[128]; /* ERROR: human-readable (peer's text if remote) */
    int remote;        /* ERROR: 1 if the peer reported it */
} tl_xfer_event;

typedef enum {
    TL_XFER_ACT_NONE = 0,
    TL_XFER_ACT_SEND,
    TL_XFER_ACT_READ,
    TL_XFER_ACT_WRITE,
    TL_XFER_ACT_VERIFY,
    TL_XFER_ACT_EVENT,
} tl_xfer_act_type;

typedef struct tl_xfer_action {
    tl_xfer_act_type type;
    const uint8_t *data; /* SEND: message; WRITE: chunk plaintext */
    size_t len;          /* SEND/WRITE/READ: bytes */
    uint8_t *buf;        /* READ: fill len bytes here */
    uint32_t file;       /* READ/WRITE/VERIFY: manifest index */
    uint64_t chunk;      /* READ/WRITE: chunk index */
    uint64_t offset;     /* READ/WRITE: byte offset in the file */
    const uint8_t *hash; /* WRITE: expected SHA-256 of the chunk (32 bytes) */
    tl_xfer_event event; /* EVENT */
} tl_xfer_action;

/* Common session configuration. */
typedef struct tl_xfer_config {
    const tl_xfer_crypto *crypto; /* NULL: tl_xfer_crypto_default() */
    tl_hs_config hs;              /* role is set by the state machine */
    uint32_t window;              /* sender: DATA frames in flight (0: default) */
    uint32_t ack_every;           /* receiver: ACK after this many frames (0: 8) */
    uint32_t ping_interval_ms;    /* 0: 5000 */
    uint32_t idle_timeout_ms;     /* 0: 30000; no frame for this long = TIMEOUT */
    /* 0: 2 x idle_timeout_ms. No progress this long = TL_ERR_STALLED "peer
     * stalled" (receiver: no verified byte, manifest part or file result;
     * sender: no ACK, RESUME or FILE_RESULT), however many PINGs arrive. */
    uint32_t stall_timeout_ms;
    /* Display name sent to the peer inside the encrypted channel right after
     * keying (a NAME frame, PROTOCOL.md; only the first 64 bytes; NULL or
     * "": none). Borrowed until the session is keyed. */
    const char *name;
} tl_xfer_config;

/* ------------------------------------------------------------------ */
/* Sender                                                               */

typedef struct tl_xfer_sender tl_xfer_sender;

/* m is borrowed (shared by every recipient's sender) and must outlive s;
 * its entries need chunk_hashes. cfg is copied (group_id/code_secret are
 * borrowed until the handshake completes). Returns TL_OK,
 * TL_ERR_INVALID_ARG, TL_ERR_NOMEM. */
int tl_xfer_sender_new(tl_xfer_sender **out, const tl_xfer_manifest *m, const tl_xfer_config *cfg);
void tl_xfer_sender_free(tl_xfer_sender *s); /* wipes keys; NULL allowed */

/* Queues HELLO. Returns TL_OK or TL_ERR_STATE. */
int tl_xfer_sender_start(tl_xfer_sender *s, uint64_t now);

/* One received message. Protocol violations, authentication failures and a
 * peer's ERROR/CANCEL end the session: the error comes back here and as an
 * EV_ERROR event, and an ERROR frame is queued for the peer when useful.
 * Returns TL_OK, TL_ERR_PROTO, TL_ERR_PARSE, TL_ERR_AUTH, TL_ERR_REPLAY,
 * TL_ERR_UNSUPPORTED, TL_ERR_CANCELED, TL_ERR_STATE (session over). */
int tl_xfer_sender_recv(tl_xfer_sender *s, uint64_t now, const uint8_t *msg, size_t len);

/* Next action (see the top of this file). Returns TL_OK (act filled, maybe
 * NONE) or a fatal error that also came as an event. */
int tl_xfer_sender_poll(tl_xfer_sender *s, uint64_t now, int writable, tl_xfer_action *act);

/* READ completion. err: TL_OK, or a source error (TL_ERR_NOT_FOUND vanished,
 * TL_ERR_IO changed/unreadable) that fails this session with that code.
 * Returns TL_OK, TL_ERR_STATE (no read outstanding), or the fatal error. */
int tl_xfer_sender_read_done(tl_xfer_sender *s, uint64_t now, int err);

/* Cancels: queues CANCEL; the session ends with TL_ERR_CANCELED. */
int tl_xfer_sender_cancel(tl_xfer_sender *s, uint64_t now);
/* The same with the text the recipient is shown (at most 256 bytes are
 * sent; NULL: "cancelled by the sender"), e.g. "removed by the sender". The
 * recipient keeps what it verified, so a later session resumes. */
int tl_xfer_sender_cancel_reason(tl_xfer_sender *s, uint64_t now, const char *text);

/* Earliest time poll() must be called again (UINT64_MAX: none). */
uint64_t tl_xfer_sender_next_timeout(const tl_xfer_sender *s);

/* Payload bytes re-sent or sent in this session (for tests/stats). */
uint64_t tl_xfer_sender_bytes_sent(const tl_xfer_sender *s);
int tl_xfer_sender_is_done(const tl_xfer_sender *s);

/* ------------------------------------------------------------------ */
/* Receiver                                                             */

typedef struct tl_xfer_receiver tl_xfer_receiver;

/* What the receiver already has of one file (from tl_sink_open). */
typedef enum {
    TL_XFER_WANT = 0,     /* send the chunks not in `have` */
    TL_XFER_COMPLETE = 1, /* already verified in place: send nothing */
    TL_XFER_REFUSE = 2,   /* cannot accept (error says why) */
} tl_xfer_file_status;

typedef struct tl_xfer_have {
    tl_xfer_file_status status;
    int error;             /* REFUSE: TL_ERR_EXISTS, TL_ERR_PERM, ... */
    uint64_t prefix;       /* chunks [0, prefix) verified */
    const uint8_t *bitmap; /* bit i (LSB first) = chunk prefix+i verified */
    size_t bitmap_len;     /* bytes (may be 0) */
    uint8_t receipt[32];   /* COMPLETE: proof of receipt (tl_sink_open fills it) */
} tl_xfer_have;

int tl_xfer_receiver_new(tl_xfer_receiver **out, const tl_xfer_config *cfg);
void tl_xfer_receiver_free(tl_xfer_receiver *r);
int tl_xfer_receiver_start(tl_xfer_receiver *r, uint64_t now);
int tl_xfer_receiver_recv(tl_xfer_receiver *r, uint64_t now, const uint8_t *msg, size_t len);
int tl_xfer_receiver_poll(tl_xfer_receiver *r, uint64_t now, int writable, tl_xfer_action *act);

/* The manifest received (valid after EV_MANIFEST, owned by r). */
const tl_xfer_manifest *tl_xfer_receiver_manifest(const tl_xfer_receiver *r);

/* Answer to EV_MANIFEST: have[i] for every manifest entry (folders:
 * COMPLETE or REFUSE). Bitmaps are copied. Returns TL_OK, TL_ERR_STATE,
 * TL_ERR_INVALID_ARG, TL_ERR_TOO_BIG. */
int tl_xfer_receiver_accept(tl_xfer_receiver *r, uint64_t now, const tl_xfer_have *have,
                            uint32_t count);

/* Bytes the offer still has to bring for have[0..count) (the answer that
 * would be given to EV_MANIFEST): the size of every WANT file less what is
 * verified, for the receiver's free-space check. Pure. */
uint64_t tl_xfer_need_bytes(const tl_xfer_manifest *m, const tl_xfer_have *have, uint32_t count);

/* Answer to EV_MANIFEST that refuses the whole offer: the session ends with
 * an ERROR of code err (e.g. TL_ERR_NOSPACE) carrying text (at most 256
 * bytes are sent; the sender shows it for this recipient), and an
 * EV_ERROR. Returns TL_OK, TL_ERR_STATE (not waiting for an answer),
 * TL_ERR_INVALID_ARG. */
int tl_xfer_receiver_refuse(tl_xfer_receiver *r, uint64_t now, int err, const char *text);

/* WRITE completion: TL_OK, or the sink's error (TL_ERR_AUTH chunk hash
 * mismatch, TL_ERR_NOSPACE, TL_ERR_PERM, TL_ERR_IO): the file fails, and
 * the session with it. */
int tl_xfer_receiver_write_done(tl_xfer_receiver *r, uint64_t now, int err);

/* VERIFY completion: TL_OK (whole-file hash matched, file in place) with
 * the file's proof of receipt (tl_sink_receipt; the sender counts the file
 * verified only if it matches), or the sink's error (TL_ERR_AUTH, ...): the
 * file is reported failed (receipt may then be NULL). */
int tl_xfer_receiver_verify_done(tl_xfer_receiver *r, uint64_t now, int err,
                                 const uint8_t receipt[32]);

/* The proof-of-receipt key of this session (32 bytes, docs/PROTOCOL.md §4
 * FILE_RESULT), valid while keyed and until the receiver is freed; NULL
 * before the handshake. Give it to tl_sink_config.receipt_key. */
const uint8_t *tl_xfer_receiver_receipt_key(const tl_xfer_receiver *r);

int tl_xfer_receiver_cancel(tl_xfer_receiver *r, uint64_t now);
/* The same with the text the sender is shown (NULL: "cancelled by the
 * receiver"; at most 256 bytes are sent). */
int tl_xfer_receiver_cancel_reason(tl_xfer_receiver *r, uint64_t now, const char *text);
uint64_t tl_xfer_receiver_next_timeout(const tl_xfer_receiver *r);
int tl_xfer_receiver_is_done(const tl_xfer_receiver *r);

/* ------------------------------------------------------------------ */
/* Names                                                                */

/* Checks a received relative path (docs/PROTOCOL.md §6): non-empty, at most
 * TL_XFER_MAX_PATH bytes, '/'-separated components of 1..TL_XFER_MAX_NAME
 * bytes; rejects absolute paths, "." and "..", empty components, control
 * characters (< 0x20, 0x7f), backslashes, ':' , invalid UTF-8, trailing dots
 * or spaces, and Windows device names (CON, PRN, AUX, NUL, COM0-9, LPT0-9,
 * case-insensitive, with or without extension). Returns TL_OK or
 * TL_ERR_INVALID_ARG. len excludes any NUL; embedded NULs are rejected. */
int tl_name_check(const char *path, size_t len);

/* Opens dir_fd/path below the output folder without ever following a
 * symlink (every component via openat(O_NOFOLLOW)), creating missing
 * folders (mode 0755) when mkdirs is set. flags/mode as for openat; the last
 * component is opened with O_NOFOLLOW. Returns an fd >= 0, or TL_ERR_INVALID_ARG
 * (bad name, symlink in the way), TL_ERR_PERM, TL_ERR_EXISTS (O_EXCL),
 * TL_ERR_NOT_FOUND, TL_ERR_NOSPACE, TL_ERR_IO. */
int tl_name_openat(int dir_fd, const char *path, int flags, unsigned mode, int mkdirs);

/* ------------------------------------------------------------------ */
/* Source (sender I/O edge)                                             */

/* Adds a file or (recursively) a folder at disk_path to m under the name
 * `name` (a tl_name_check()-valid relative path), hashing every file
 * (chunk hashes + whole-file SHA-256) in one pass with bounded memory.
 * Symlinks are skipped. Returns TL_OK, TL_ERR_NOT_FOUND, TL_ERR_PERM,
 * TL_ERR_IO, TL_ERR_INVALID_ARG, TL_ERR_LIMIT, TL_ERR_NOMEM. */
int tl_source_add_path(tl_xfer_manifest *m, const char *disk_path, const char *name);

typedef struct tl_source tl_source;

/* A reader of the files of m (borrowed). Files are opened lazily. */
int tl_source_new(tl_source **out, const tl_xfer_manifest *m);
void tl_source_free(tl_source *src);

/* Reads len bytes at offset of entry `file` into buf (pread, whole).
 * Before the first read and at EOF of a file it checks that size and mtime
 * still match the manifest. Returns TL_OK, TL_ERR_NOT_FOUND (file vanished),
 * TL_ERR_IO (changed size/mtime, short read, read error), TL_ERR_PERM. A
 * human-readable reason is kept for tl_source_last_error(). */
int tl_source_read(tl_source *src, uint32_t file, uint64_t offset, uint8_t *buf, size_t len);
const char *tl_source_last_error(const tl_source *src);

/* ------------------------------------------------------------------ */
/* Sink (receiver I/O edge)                                             */

typedef struct tl_sink tl_sink;

typedef struct tl_sink_config {
    int out_dir_fd;             /* the output folder (borrowed) */
    int overwrite;              /* replace an existing different file */
    uint32_t sync_every;        /* fsync data+state every N chunks (0: 64) */
    const uint8_t *receipt_key; /* 32 bytes (borrowed) or NULL: no receipts */
} tl_sink_config;

/* Opens (or resumes) the sink for entry `index` of m (borrowed; must
 * outlive the sink). Folders are created here. A sink holds file
 * descriptors only while its file is being written (between its first
 * tl_sink_write_chunk and tl_sink_finish), so one sink per manifest entry is
 * fine for folders of many files. Fills *have: WANT with the
 * verified chunks from an existing <name>.tallow-state whose content id
 * matches, COMPLETE when the final file already exists with the same size
 * and SHA-256, REFUSE with the error otherwise. Returns TL_OK (even when
 * refusing: see have->error), TL_ERR_NOMEM. The bitmap in *have points into
 * the sink. */
int tl_sink_open(tl_sink **out, const tl_sink_config *cfg, const tl_xfer_manifest *m,
                 uint32_t index, tl_xfer_have *have);
void tl_sink_free(tl_sink *k); /* syncs state and closes (the part file stays) */

/* Simulates a crash for tests: closes without syncing anything. */
void tl_sink_abandon(tl_sink *k);

/* The offer was refused before any data: removes the part file of a file
 * with nothing verified (one already resumable stays) and frees k. */
void tl_sink_discard(tl_sink *k);

/* Verifies SHA-256(data) == hash, writes at chunk*chunk_size into the part
 * file and marks the chunk verified (state synced every sync_every chunks,
 * data before state). Returns TL_OK, TL_ERR_AUTH (hash mismatch; nothing
 * written), TL_ERR_INVALID_ARG, TL_ERR_NOSPACE (disk full / file too big),
 * TL_ERR_PERM, TL_ERR_IO. The part file stays resumable after any error. */
int tl_sink_write_chunk(tl_sink *k, uint64_t chunk, const uint8_t *data, size_t len,
                        const uint8_t hash[32]);

/* Checks every chunk is verified, hashes the whole part file, and renames
 * it into place (never replacing an existing file unless overwrite).
 * Removes the state file. Returns TL_OK, TL_ERR_STATE (chunks missing),
 * TL_ERR_AUTH (whole-file hash mismatch: part and state are discarded),
 * TL_ERR_EXISTS, TL_ERR_PERM, TL_ERR_NOSPACE, TL_ERR_IO. */
int tl_sink_finish(tl_sink *k);

/* The proof of receipt of a file that is in place (COMPLETE at open, or
 * after a successful tl_sink_finish): HMAC-SHA256(receipt_key, u32 index ||
 * file content), computed from the bytes on disk. Returns TL_OK or
 * TL_ERR_STATE (not in place, or no receipt_key). */
int tl_sink_receipt(const tl_sink *k, uint8_t out[32]);

const char *tl_sink_last_error(const tl_sink *k);
uint64_t tl_sink_verified_chunks(const tl_sink *k);

/* ------------------------------------------------------------------ */
/* Policy: token buckets, quality, backoff, keep-alive (time in ms)     */

typedef struct tl_bucket_group tl_bucket_group;

/* total_rate: bytes/s shared by all members (0 = unlimited); burst: bytes
 * (0 = rate/10 or 64 KiB, whichever is larger). */
int tl_bucket_group_new(tl_bucket_group **out, uint64_t total_rate, uint64_t burst, uint64_t now);
void tl_bucket_group_free(tl_bucket_group *g);

/* Adds a member with an optional own limit (0 = none). Returns an id >= 0
 * or TL_ERR_NOMEM/TL_ERR_LIMIT. */
int tl_bucket_add(tl_bucket_group *g, uint64_t peer_rate);
void tl_bucket_remove(tl_bucket_group *g, int id);

/* Marks a member active (wants to send) or idle. Only active members share
 * the total, so a stalled or finished member never holds back others. */
void tl_bucket_set_active(tl_bucket_group *g, int id, int active);

/* Takes n bytes for member id if both its own and its fair share of the
 * total allow. Returns 1 (taken) or 0 (wait; see tl_bucket_wait_ms). */
int tl_bucket_take(tl_bucket_group *g, int id, uint64_t n, uint64_t now);

/* Send-then-charge style, for messages whose size is known only after they
 * were produced: tl_bucket_ready() is 1 while the member's balances are
 * positive (pass it as part of `writable`), tl_bucket_consume() charges the
 * bytes actually sent, going into debt if needed; the debt delays the next
 * ready. Over time the rates hold exactly as with tl_bucket_take(). */
int tl_bucket_ready(tl_bucket_group *g, int id, uint64_t now);
void tl_bucket_consume(tl_bucket_group *g, int id, uint64_t n, uint64_t now);

/* Changes the total rate (0 = unlimited) while members are sending: time
 * up to `now` is credited at the old rate, later time at the new one; an
 * automatic burst (burst 0 at creation) follows the new rate, and balances
 * above it are cut, so a lowered limit holds from now on. */
void tl_bucket_set_rate(tl_bucket_group *g, uint64_t total_rate, uint64_t now);
/* Changes one member's own limit (0 = none) the same way. Going from none
 * to a limit starts the member with an empty bucket (no burst). */
void tl_bucket_set_peer_rate(tl_bucket_group *g, int id, uint64_t peer_rate, uint64_t now);
uint64_t tl_bucket_rate(const tl_bucket_group *g);

/* Milliseconds until tl_bucket_take(id, n) can succeed (0: now); with n = 1
 * the time until tl_bucket_ready(). */
uint64_t tl_bucket_wait_ms(tl_bucket_group *g, int id, uint64_t n, uint64_t now);

typedef enum {
    TL_QUALITY_DISCONNECTED = 0,
    TL_QUALITY_POOR = 1,
    TL_QUALITY_FAIR = 2,
    TL_QUALITY_GOOD = 3,
    TL_QUALITY_EXCELLENT = 4,
} tl_quality;

const char *tl_quality_name(tl_quality q);

typedef struct tl_quality_tracker {
    uint32_t activity_timeout_ms; /* 0: 30000 */
    int connected;
    uint32_t rtt_ms; /* last measured (0: unknown) */
    uint64_t last_activity;
    tl_quality current;
} tl_quality_tracker;

void tl_quality_init(tl_quality_tracker *t, uint32_t activity_timeout_ms);
void tl_quality_set_connected(tl_quality_tracker *t, int connected, uint64_t now);
void tl_quality_activity(tl_quality_tracker *t, uint64_t now);
void tl_quality_rtt(tl_quality_tracker *t, uint32_t rtt_ms, uint64_t now);

/* Pure classification (SPEC §2): disconnected; poor if RTT > 500 ms or no
 * activity for the timeout; fair if RTT >= 200 ms or no activity for half
 * the timeout; good if RTT >= 100 ms; else excellent. */
tl_quality tl_quality_classify(int connected, uint32_t rtt_ms, uint64_t idle_ms,
                               uint32_t activity_timeout_ms);

/* Re-evaluates at now; returns 1 and stores it in t->current when the
 * quality changed (the caller fires its change callback), else 0. */
int tl_quality_update(tl_quality_tracker *t, uint64_t now);

/* The one reconnect schedule: peer links (a table of delays) and the
 * signaling client and Redis bus (doubling from min_ms up to max_ms, with
 * jitter). Time and randomness are parameters. */
typedef struct tl_backoff {
    const uint32_t *delays_ms; /* NULL: 1000, 2000, 5000, then 5000... */
    uint32_t ndelays;
    uint32_t max_attempts;   /* 0: 5 (table); TL_BACKOFF_FOREVER: no limit */
    uint32_t attempt;        /* attempts made so far */
    uint32_t min_ms, max_ms; /* doubling schedule when min_ms != 0 */
    uint32_t jitter_pct;     /* doubling: each delay spread by +-jitter_pct % */
} tl_backoff;

#define TL_BACKOFF_FOREVER UINT32_MAX

void tl_backoff_init(tl_backoff *b, uint32_t max_attempts);

/* min_ms, 2*min_ms, 4*min_ms, ... capped at max_ms, each spread by
 * +-jitter_pct % (0..100); max_attempts is exact here (0: none allowed,
 * TL_BACKOFF_FOREVER: no limit). */
void tl_backoff_init_doubling(tl_backoff *b, uint32_t min_ms, uint32_t max_ms, uint32_t jitter_pct,
                              uint32_t max_attempts);

/* Schedules the next attempt: returns TL_OK and the time of the attempt in
 * *at, or TL_ERR_TIMEOUT once max_attempts were made (peer failed). */
int tl_backoff_next(tl_backoff *b, uint64_t now, uint64_t *at);
/* The same, with rnd (any 32 random bits from the caller) choosing the
 * jitter of a doubling schedule. */
int tl_backoff_next_rnd(tl_backoff *b, uint64_t now, uint32_t rnd, uint64_t *at);
void tl_backoff_reset(tl_backoff *b); /* after a successful reconnect */

typedef struct tl_keepalive {
    uint32_t interval_ms; /* 0: 5000 */
    uint32_t timeout_ms;  /* 0: 3 * interval */
    uint64_t last_ping;
    uint64_t last_rx;
    uint64_t ping_outstanding_since; /* 0: none */
} tl_keepalive;

void tl_keepalive_init(tl_keepalive *k, uint32_t interval_ms, uint64_t now);
void tl_keepalive_rx(tl_keepalive *k, uint64_t now); /* any frame received */
void tl_keepalive_pong(tl_keepalive *k, uint64_t now);
/* 1 when a ping is due now (and records it as sent). */
int tl_keepalive_due(tl_keepalive *k, uint64_t now);
/* 1 when nothing was received for timeout_ms (peer presumed gone). */
int tl_keepalive_expired(const tl_keepalive *k, uint64_t now);
uint64_t tl_keepalive_next(const tl_keepalive *k); /* next time to check */

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
