/* tallow — transfer protocol frame codec. Layouts: docs/PROTOCOL.md §4. */
#include "transfer/frames.h"

#include <string.h>

const char *tl_frame_name(uint8_t type)
{
    switch (type) {
    case TL_FR_HELLO:
        return "HELLO";
    case TL_FR_HS:
        return "HS";
    case TL_FR_MANIFEST:
        return "MANIFEST";
    case TL_FR_RESUME:
        return "RESUME";
    case TL_FR_RESUME_END:
        return "RESUME_END";
    case TL_FR_HASHES:
        return "HASHES";
    case TL_FR_DATA:
        return "DATA";
    case TL_FR_FILE_END:
        return "FILE_END";
    case TL_FR_NAME:
        return "NAME";
    case TL_FR_FILE_RESULT:
        return "FILE_RESULT";
    case TL_FR_ACK:
        return "ACK";
    case TL_FR_PING:
        return "PING";
    case TL_FR_PONG:
        return "PONG";
    case TL_FR_DONE:
        return "DONE";
    case TL_FR_CANCEL:
        return "CANCEL";
    case TL_FR_ERROR:
        return "ERROR";
    default:
        return "?";
    }
}

/* Fixed part of each frame including the type byte; 0 for unknown types. */
static size_t fixed_len(uint8_t type)
{
    switch (type) {
    case TL_FR_HELLO:
        return TL_FR_HELLO_LEN;
    case TL_FR_HS:
        return 3;
    case TL_FR_MANIFEST:
        return TL_FR_MANIFEST_HDR;
    case TL_FR_RESUME:
        return 52;
    case TL_FR_RESUME_END:
        return 5;
    case TL_FR_HASHES:
        return 11;
    case TL_FR_DATA:
        return TL_FR_DATA_HDR;
    case TL_FR_FILE_END:
        return 5;
    case TL_FR_FILE_RESULT:
        return 39;
    case TL_FR_ACK:
        return 17;
    case TL_FR_PING:
        return 17;
    case TL_FR_PONG:
        return 17;
    case TL_FR_DONE:
        return 9;
    case TL_FR_CANCEL:
        return 5;
    case TL_FR_NAME:
        return 3;
    case TL_FR_ERROR:
        return 5;
    default:
        return 0;
    }
}

static int decode_hello(const uint8_t *b, size_t len, tl_frame *f)
{
    if (len != TL_FR_HELLO_LEN || memcmp(b + 1, TL_FR_MAGIC, 4) != 0)
        return TL_ERR_PARSE;
    f->u.hello.min_version = tl_get16(b + 5);
    f->u.hello.max_version = tl_get16(b + 7);
    f->u.hello.role = b[9];
    f->u.hello.max_message = tl_get32(b + 10);
    memcpy(f->u.hello.session_id, b + 14, TL_TRANSFER_ID_LEN);
    if (f->u.hello.min_version == 0 || f->u.hello.min_version > f->u.hello.max_version)
        return TL_ERR_PARSE;
    if (f->u.hello.role > TL_FR_ROLE_SENDER)
        return TL_ERR_PARSE;
    return TL_OK;
}

static int decode_var(const uint8_t *b, size_t len, tl_frame *f)
{
    size_t rest = len - fixed_len(b[0]);
    switch (b[0]) {
    case TL_FR_HS:
        f->u.hs.len = tl_get16(b + 1);
        if (f->u.hs.len == 0 || f->u.hs.len > TL_HS_MAX_MSG_LEN || f->u.hs.len != rest)
            return TL_ERR_PARSE;
        f->u.hs.msg = b + 3;
        return TL_OK;
    case TL_FR_MANIFEST:
        f->u.manifest.total = tl_get32(b + 1);
        f->u.manifest.offset = tl_get32(b + 5);
        f->u.manifest.part = b + TL_FR_MANIFEST_HDR;
        f->u.manifest.len = rest;
        if (f->u.manifest.total > TL_XFER_MAX_MANIFEST)
            return TL_ERR_TOO_BIG;
        if (rest == 0 || rest > TL_FR_MANIFEST_PART || f->u.manifest.offset > f->u.manifest.total ||
            rest > (size_t)(f->u.manifest.total - f->u.manifest.offset))
            return TL_ERR_PARSE;
        return TL_OK;
    case TL_FR_RESUME:
        f->u.resume.file = tl_get32(b + 1);
        f->u.resume.status = b[5];
        f->u.resume.error = tl_get16(b + 6);
        f->u.resume.prefix = tl_get64(b + 8);
        memcpy(f->u.resume.receipt, b + 16, TL_FR_RECEIPT_LEN);
        f->u.resume.bitmap_len = tl_get32(b + 48);
        f->u.resume.bitmap = b + 52;
        if (f->u.resume.status > TL_XFER_REFUSE || f->u.resume.bitmap_len > TL_FR_MAX_BITMAP ||
            f->u.resume.bitmap_len != rest)
            return TL_ERR_PARSE;
        if ((f->u.resume.status == TL_XFER_REFUSE) != (f->u.resume.error != 0))
            return TL_ERR_PARSE;
        return TL_OK;
    case TL_FR_HASHES:
        f->u.hashes.file = tl_get32(b + 1);
        f->u.hashes.block = tl_get32(b + 5);
        f->u.hashes.count = tl_get16(b + 9);
        f->u.hashes.hashes = b + 11;
        if (f->u.hashes.count == 0 || f->u.hashes.count > TL_XFER_HASH_BLOCK ||
            (size_t)f->u.hashes.count * 32u != rest)
            return TL_ERR_PARSE;
        return TL_OK;
    case TL_FR_DATA:
        f->u.data.file = tl_get32(b + 1);
        f->u.data.chunk = tl_get64(b + 5);
        f->u.data.data = b + TL_FR_DATA_HDR;
        f->u.data.len = rest;
        if (rest == 0 || rest > TL_XFER_MAX_CHUNK)
            return TL_ERR_PARSE;
        return TL_OK;
    case TL_FR_NAME:
        f->u.name.len = tl_get16(b + 1);
        f->u.name.text = (const char *)(b + 3);
        if (f->u.name.len == 0 || f->u.name.len > TL_FR_MAX_NAME || f->u.name.len != rest)
            return TL_ERR_PARSE;
        return TL_OK;
    case TL_FR_CANCEL:
    case TL_FR_ERROR:
        f->u.error.code = tl_get16(b + 1);
        f->u.error.text_len = tl_get16(b + 3);
        f->u.error.text = (const char *)(b + 5);
        if (f->u.error.code == 0 || f->u.error.text_len > TL_FR_MAX_TEXT ||
            f->u.error.text_len != rest)
            return TL_ERR_PARSE;
        return TL_OK;
    default:
        return TL_ERR_INTERNAL;
    }
}

int tl_frame_decode(const uint8_t *b, size_t len, tl_frame *f)
{
    if (!b || !f || len == 0)
        return TL_ERR_PARSE;
    memset(f, 0, sizeof(*f));
    size_t fixed = fixed_len(b[0]);
    if (fixed == 0 || len < fixed)
        return TL_ERR_PARSE;
    f->type = b[0];
    switch (b[0]) {
    case TL_FR_HELLO:
        return decode_hello(b, len, f);
    case TL_FR_HS:
    case TL_FR_MANIFEST:
    case TL_FR_RESUME:
    case TL_FR_HASHES:
    case TL_FR_DATA:
    case TL_FR_NAME:
    case TL_FR_CANCEL:
    case TL_FR_ERROR:
        return decode_var(b, len, f);
    default:
        break;
    }
    if (len != fixed)
        return TL_ERR_PARSE;
    switch (b[0]) {
    case TL_FR_RESUME_END:
        f->u.resume_end.count = tl_get32(b + 1);
        break;
    case TL_FR_FILE_END:
        f->u.file_end.file = tl_get32(b + 1);
        break;
    case TL_FR_FILE_RESULT:
        f->u.file_result.file = tl_get32(b + 1);
        f->u.file_result.error = tl_get16(b + 5);
        memcpy(f->u.file_result.receipt, b + 7, TL_FR_RECEIPT_LEN);
        break;
    case TL_FR_ACK:
        f->u.ack.frames = tl_get64(b + 1);
        f->u.ack.bytes = tl_get64(b + 9);
        break;
    case TL_FR_PING:
    case TL_FR_PONG:
        f->u.ping.id = tl_get64(b + 1);
        f->u.ping.stamp = tl_get64(b + 9);
        break;
    case TL_FR_DONE:
        f->u.done.files_ok = tl_get32(b + 1);
        f->u.done.files_failed = tl_get32(b + 5);
        break;
    default:
        return TL_ERR_PARSE;
    }
    return TL_OK;
}

/* Length of the variable tail, or SIZE_MAX when a field is over its limit. */
static size_t var_len(const tl_frame *f)
{
    switch (f->type) {
    case TL_FR_HS:
        return (f->u.hs.len == 0 || f->u.hs.len > TL_HS_MAX_MSG_LEN) ? SIZE_MAX : f->u.hs.len;
    case TL_FR_MANIFEST:
        return (f->u.manifest.len == 0 || f->u.manifest.len > TL_FR_MANIFEST_PART)
                   ? SIZE_MAX
                   : f->u.manifest.len;
    case TL_FR_RESUME:
        return f->u.resume.bitmap_len > TL_FR_MAX_BITMAP ? SIZE_MAX : f->u.resume.bitmap_len;
    case TL_FR_HASHES:
        return (f->u.hashes.count == 0 || f->u.hashes.count > TL_XFER_HASH_BLOCK)
                   ? SIZE_MAX
                   : (size_t)f->u.hashes.count * 32u;
    case TL_FR_DATA:
        return (f->u.data.len == 0 || f->u.data.len > TL_XFER_MAX_CHUNK) ? SIZE_MAX : f->u.data.len;
    case TL_FR_NAME:
        return (f->u.name.len == 0 || f->u.name.len > TL_FR_MAX_NAME) ? SIZE_MAX : f->u.name.len;
    case TL_FR_CANCEL:
    case TL_FR_ERROR:
        return f->u.error.text_len > TL_FR_MAX_TEXT ? SIZE_MAX : f->u.error.text_len;
    default:
        return 0;
    }
}

size_t tl_frame_len(const tl_frame *f)
{
    if (!f)
        return 0;
    size_t fixed = fixed_len(f->type);
    size_t var = var_len(f);
    if (fixed == 0 || var == SIZE_MAX)
        return 0;
    return fixed + var;
}

static void encode_body(const tl_frame *f, uint8_t *o)
{
    switch (f->type) {
    case TL_FR_HELLO:
        memcpy(o + 1, TL_FR_MAGIC, 4);
        tl_put16(o + 5, f->u.hello.min_version);
        tl_put16(o + 7, f->u.hello.max_version);
        o[9] = f->u.hello.role;
        tl_put32(o + 10, f->u.hello.max_message);
        memcpy(o + 14, f->u.hello.session_id, TL_TRANSFER_ID_LEN);
        break;
    case TL_FR_HS:
        tl_put16(o + 1, (uint16_t)f->u.hs.len);
        memcpy(o + 3, f->u.hs.msg, f->u.hs.len);
        break;
    case TL_FR_MANIFEST:
        tl_put32(o + 1, f->u.manifest.total);
        tl_put32(o + 5, f->u.manifest.offset);
        memcpy(o + 9, f->u.manifest.part, f->u.manifest.len);
        break;
    case TL_FR_RESUME:
        tl_put32(o + 1, f->u.resume.file);
        o[5] = f->u.resume.status;
        tl_put16(o + 6, f->u.resume.error);
        tl_put64(o + 8, f->u.resume.prefix);
        memcpy(o + 16, f->u.resume.receipt, TL_FR_RECEIPT_LEN);
        tl_put32(o + 48, (uint32_t)f->u.resume.bitmap_len);
        if (f->u.resume.bitmap_len)
            memcpy(o + 52, f->u.resume.bitmap, f->u.resume.bitmap_len);
        break;
    case TL_FR_RESUME_END:
        tl_put32(o + 1, f->u.resume_end.count);
        break;
    case TL_FR_HASHES:
        tl_put32(o + 1, f->u.hashes.file);
        tl_put32(o + 5, f->u.hashes.block);
        tl_put16(o + 9, f->u.hashes.count);
        memcpy(o + 11, f->u.hashes.hashes, (size_t)f->u.hashes.count * 32u);
        break;
    case TL_FR_DATA:
        tl_put32(o + 1, f->u.data.file);
        tl_put64(o + 5, f->u.data.chunk);
        if (f->u.data.data != o + TL_FR_DATA_HDR) /* in-place encoding allowed */
            memmove(o + TL_FR_DATA_HDR, f->u.data.data, f->u.data.len);
        break;
    case TL_FR_FILE_END:
        tl_put32(o + 1, f->u.file_end.file);
        break;
    case TL_FR_FILE_RESULT:
        tl_put32(o + 1, f->u.file_result.file);
        tl_put16(o + 5, f->u.file_result.error);
        memcpy(o + 7, f->u.file_result.receipt, TL_FR_RECEIPT_LEN);
        break;
    case TL_FR_ACK:
        tl_put64(o + 1, f->u.ack.frames);
        tl_put64(o + 9, f->u.ack.bytes);
        break;
    case TL_FR_PING:
    case TL_FR_PONG:
        tl_put64(o + 1, f->u.ping.id);
        tl_put64(o + 9, f->u.ping.stamp);
        break;
    case TL_FR_DONE:
        tl_put32(o + 1, f->u.done.files_ok);
        tl_put32(o + 5, f->u.done.files_failed);
        break;
    case TL_FR_NAME:
        tl_put16(o + 1, (uint16_t)f->u.name.len);
        memcpy(o + 3, f->u.name.text, f->u.name.len);
        break;
    case TL_FR_CANCEL:
    case TL_FR_ERROR:
        tl_put16(o + 1, f->u.error.code);
        tl_put16(o + 3, (uint16_t)f->u.error.text_len);
        if (f->u.error.text_len)
            memcpy(o + 5, f->u.error.text, f->u.error.text_len);
        break;
    default:
        break;
    }
}

int tl_frame_encode(const tl_frame *f, uint8_t *out, size_t cap, size_t *out_len)
{
    if (!f || !out || !out_len)
        return TL_ERR_INVALID_ARG;
    if (fixed_len(f->type) == 0)
        return TL_ERR_INVALID_ARG;
    size_t n = tl_frame_len(f);
    if (n == 0 || n > cap)
        return TL_ERR_TOO_BIG;
    out[0] = f->type;
    encode_body(f, out);
    *out_len = n;
    return TL_OK;
}
