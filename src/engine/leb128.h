/*
 * leb128.h — reading the LEB128 integers of the WebAssembly binary format.
 *
 * The checked readers enforce the spec's two rules exactly as the reference
 * interpreter does: an N-bit integer takes at most ceil(N/7) bytes (a longer
 * encoding is "integer representation too long"), and the unused bits of the
 * last byte must be zero for unsigned numbers, or copies of the sign bit for
 * signed ones ("integer too large"). They never read at or past `end`.
 *
 * Every checked reader returns WB_LEB_OK and advances *pp past the number, or a
 * negative code and leaves *pp at the offending byte (for offsets in errors).
 * The one-byte case is inlined; everything else takes the general path.
 *
 * The unchecked readers are for code that has already been validated (the
 * translator re-reading a body): they trust the bytes completely.
 */
#ifndef WASMBOX_ENGINE_LEB128_H
#define WASMBOX_ENGINE_LEB128_H

#include <stdbool.h>
#include <stdint.h>

enum {
    WB_LEB_OK = 0,
    WB_LEB_EOF = -1,       /* ran into `end` */
    WB_LEB_TOO_LONG = -2,  /* "integer representation too long" */
    WB_LEB_TOO_LARGE = -3, /* "integer too large" */
};

/* The spec's wording for a reader's code; `eof_text` is what running out means here. */
static inline const char *wb_leb_error_text(int code, const char *eof_text)
{
    switch (code) {
    case WB_LEB_TOO_LONG:
        return "integer representation too long";
    case WB_LEB_TOO_LARGE:
        return "integer too large";
    default:
        return eof_text;
    }
}

/* General reader of a `bits`-wide integer (1 <= bits <= 64), signed or not. The
 * result is sign-extended to 64 bits for signed numbers. Mirrors the reference
 * interpreter's vuN/vsN: the unused-bits test of the last allowed byte comes
 * before the test of its continuation bit. */
static inline int wb_leb_read(const uint8_t **pp, const uint8_t *end, int bits, bool is_signed,
                              uint64_t *out)
{
    const uint8_t *p = *pp;
    uint64_t result = 0;
    unsigned shift = 0;
    uint8_t b;
    for (int n = bits;; n -= 7) {
        if (n <= 0) {
            *pp = p;
            return WB_LEB_TOO_LONG;
        }
        if (p >= end) {
            *pp = p;
            return WB_LEB_EOF;
        }
        b = *p;
        if (n < 7) {
            if (!is_signed && (b & 0x7f) >= (1u << n)) {
                *pp = p;
                return WB_LEB_TOO_LARGE;
            }
            if (is_signed) {
                uint8_t mask = (uint8_t)((0xffu << (n - 1)) & 0x7f);
                if ((b & mask) != 0 && (b & mask) != mask) {
                    *pp = p;
                    return WB_LEB_TOO_LARGE;
                }
            }
        }
        p++;
        result |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80))
            break;
    }
    if (is_signed && shift < 64 && (b & 0x40))
        result |= ~(uint64_t)0 << shift;
    *pp = p;
    *out = result;
    return WB_LEB_OK;
}

static inline int wb_leb_u32(const uint8_t **pp, const uint8_t *end, uint32_t *out)
{
    const uint8_t *p = *pp;
    if (p < end && !(*p & 0x80)) {
        *out = *p;
        *pp = p + 1;
        return WB_LEB_OK;
    }
    uint64_t v = 0;
    int rc = wb_leb_read(pp, end, 32, false, &v);
    *out = (uint32_t)v;
    return rc;
}

/* The 1-bit unsigned integer of limits flags (0 or 1). */
static inline int wb_leb_u1(const uint8_t **pp, const uint8_t *end, uint32_t *out)
{
    uint64_t v = 0;
    int rc = wb_leb_read(pp, end, 1, false, &v);
    *out = (uint32_t)v;
    return rc;
}

static inline int wb_leb_s32(const uint8_t **pp, const uint8_t *end, int32_t *out)
{
    const uint8_t *p = *pp;
    if (p < end && !(*p & 0x80)) {
        *out = (int32_t)((uint32_t)*p << 25) >> 25; /* sign-extend bit 6 */
        *pp = p + 1;
        return WB_LEB_OK;
    }
    uint64_t v = 0;
    int rc = wb_leb_read(pp, end, 32, true, &v);
    *out = (int32_t)(uint32_t)v;
    return rc;
}

/* The signed 33-bit integer of block types. */
static inline int wb_leb_s33(const uint8_t **pp, const uint8_t *end, int64_t *out)
{
    uint64_t v = 0;
    int rc = wb_leb_read(pp, end, 33, true, &v);
    *out = (int64_t)v;
    return rc;
}

static inline int wb_leb_s64(const uint8_t **pp, const uint8_t *end, int64_t *out)
{
    const uint8_t *p = *pp;
    if (p < end && !(*p & 0x80)) {
        *out = (int64_t)((uint64_t)*p << 57) >> 57;
        *pp = p + 1;
        return WB_LEB_OK;
    }
    uint64_t v = 0;
    int rc = wb_leb_read(pp, end, 64, true, &v);
    *out = (int64_t)v;
    return rc;
}

/* ---- quick readers, for hot loops ------------------------------------------------ */

/* Decodes a u32 that lies wholly in [p, end) and is plainly well formed (at
 * most 5 bytes, unused bits zero), returning its length; returns 0 for
 * anything else, and the caller then uses the checked reader for the verdict.
 * (Branchy on purpose: the length is well predicted from the opcode.) */
static inline unsigned wb_leb_u32_quick(const uint8_t *p, const uint8_t *end, uint32_t *out)
{
    if (end - p < 5) {
        if (p < end && !(p[0] & 0x80)) {
            *out = p[0];
            return 1;
        }
        return 0; /* near the end: leave it to the checked reader */
    }
    uint32_t r = p[0] & 0x7f;
    if (!(p[0] & 0x80)) {
        *out = r;
        return 1;
    }
    r |= (uint32_t)(p[1] & 0x7f) << 7;
    if (!(p[1] & 0x80)) {
        *out = r;
        return 2;
    }
    r |= (uint32_t)(p[2] & 0x7f) << 14;
    if (!(p[2] & 0x80)) {
        *out = r;
        return 3;
    }
    r |= (uint32_t)(p[3] & 0x7f) << 21;
    if (!(p[3] & 0x80)) {
        *out = r;
        return 4;
    }
    if (p[4] & 0xf0) /* continuation, or bits beyond 32: "integer too large" */
        return 0;
    *out = r | (uint32_t)p[4] << 28;
    return 5;
}

/* The same for an s32, of which only the length matters to a validator. */
static inline unsigned wb_leb_s32_quick_len(const uint8_t *p, const uint8_t *end)
{
    unsigned n = (unsigned)(end - p < 5 ? end - p : 5);
    for (unsigned i = 0; i < n; i++) {
        if (!(p[i] & 0x80)) {
            if (i < 4)
                return i + 1;
            uint8_t hi = p[4] & 0x78; /* bits 3..6 of the 5th byte must copy the sign */
            return hi == 0 || hi == 0x78 ? 5 : 0;
        }
    }
    return 0;
}

/* ---- unchecked readers, for already validated bytes -------------------------- */

static inline uint32_t wb_leb_u32_unchecked(const uint8_t **pp)
{
    const uint8_t *p = *pp;
    uint32_t result = 0;
    unsigned shift = 0;
    uint8_t b;
    do {
        b = *p++;
        result |= (uint32_t)(b & 0x7f) << (shift & 31);
        shift += 7;
    } while (b & 0x80);
    *pp = p;
    return result;
}

static inline int64_t wb_leb_s64_unchecked(const uint8_t **pp)
{
    const uint8_t *p = *pp;
    uint64_t result = 0;
    unsigned shift = 0;
    uint8_t b;
    do {
        b = *p++;
        result |= (uint64_t)(b & 0x7f) << (shift & 63);
        shift += 7;
    } while (b & 0x80);
    if (shift < 64 && (b & 0x40))
        result |= ~(uint64_t)0 << shift;
    *pp = p;
    return (int64_t)result;
}

static inline int32_t wb_leb_s32_unchecked(const uint8_t **pp)
{
    return (int32_t)wb_leb_s64_unchecked(pp);
}

#endif
