/*
 * interp_num.h — the numeric semantics the interpreter needs beyond plain C
 * operators: float <-> bits, min/max with NaN and signed zeros, and the range
 * tests that make float -> int truncation both spec-exact and free of C's
 * undefined out-of-range conversions.
 *
 * Slots hold raw bits: an f32 is its IEEE pattern in the low 32 bits. Integer
 * arithmetic is done on unsigned types so that wrap-around is defined.
 */
#ifndef WASMBOX_ENGINE_INTERP_NUM_H
#define WASMBOX_ENGINE_INTERP_NUM_H

#include <math.h>
#include <stdint.h>
#include <string.h>

static inline float wb_f32(uint64_t v)
{
    uint32_t u = (uint32_t)v;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static inline double wb_f64(uint64_t v)
{
    double d;
    memcpy(&d, &v, sizeof d);
    return d;
}

static inline uint64_t wb_bits32(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static inline uint64_t wb_bits64(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

/* wasm min/max: NaN if either is NaN (a + b propagates a quiet NaN), and -0 < +0,
 * which C's comparisons (and fmin on some libms) do not distinguish. */
static inline float wb_fminf(float a, float b)
{
    if (a != a || b != b)
        return a + b;
    if (a == b)
        return signbit(a) ? a : b;
    return a < b ? a : b;
}

static inline float wb_fmaxf(float a, float b)
{
    if (a != a || b != b)
        return a + b;
    if (a == b)
        return signbit(a) ? b : a;
    return a > b ? a : b;
}

static inline double wb_fmin(double a, double b)
{
    if (a != a || b != b)
        return a + b;
    if (a == b)
        return signbit(a) ? a : b;
    return a < b ? a : b;
}

static inline double wb_fmax(double a, double b)
{
    if (a != a || b != b)
        return a + b;
    if (a == b)
        return signbit(a) ? b : a;
    return a > b ? a : b;
}

/* Rounding to integral: libm may hand a signalling NaN back unchanged, but wasm
 * wants a quiet ("arithmetic") NaN; x + x quiets it. */
static inline float wb_ceilf(float x) { return x != x ? x + x : ceilf(x); }
static inline float wb_floorf(float x) { return x != x ? x + x : floorf(x); }
static inline float wb_truncf(float x) { return x != x ? x + x : truncf(x); }
static inline float wb_nearestf(float x) { return x != x ? x + x : rintf(x); } /* ties to even */
static inline double wb_ceil(double x) { return x != x ? x + x : ceil(x); }
static inline double wb_floor(double x) { return x != x ? x + x : floor(x); }
static inline double wb_trunc(double x) { return x != x ? x + x : trunc(x); }
static inline double wb_nearest(double x) { return x != x ? x + x : rint(x); }

static inline uint32_t wb_rotl32(uint32_t x, uint32_t k) { return (x << (k & 31)) | (x >> ((32 - k) & 31)); }
static inline uint32_t wb_rotr32(uint32_t x, uint32_t k) { return (x >> (k & 31)) | (x << ((32 - k) & 31)); }
static inline uint64_t wb_rotl64(uint64_t x, uint64_t k) { return (x << (k & 63)) | (x >> ((64 - k) & 63)); }
static inline uint64_t wb_rotr64(uint64_t x, uint64_t k) { return (x >> (k & 63)) | (x << ((64 - k) & 63)); }

/* Arithmetic shift right on the two's complement value (implementation-defined
 * in C for negatives; GCC and Clang define it as arithmetic). */
static inline uint32_t wb_sar32(uint32_t x, uint32_t k) { return (uint32_t)((int32_t)x >> (k & 31)); }
static inline uint64_t wb_sar64(uint64_t x, uint64_t k) { return (uint64_t)((int64_t)x >> (k & 63)); }

#endif
