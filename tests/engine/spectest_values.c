/*
 * spectest_values.c — the testsuite's JSON values, turned into wb_val and back.
 *
 * wast2json writes every number as the unsigned decimal form of its bit pattern,
 * so parsing is strtoull plus a range check, and comparing is comparing bits
 * (-0 != +0, a NaN must carry its exact payload) except for the two NaN patterns
 * `nan:canonical` and `nan:arithmetic`, which the README defines by masks.
 * References: host reference N travels as N + 1 (ST_EXTERNREF) so that N = 0 is not
 * null; funcref values in this data set are only ever null.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "spectest.h"

#define F32_CANONICAL_MASK 0x7fffffffu
#define F32_CANONICAL_NAN 0x7fc00000u
#define F32_QUIET_NAN 0x7fc00000u
#define F64_CANONICAL_MASK 0x7fffffffffffffffull
#define F64_CANONICAL_NAN 0x7ff8000000000000ull
#define F64_QUIET_NAN 0x7ff8000000000000ull

static const struct {
    const char *name;
    uint8_t type;
} type_names[] = {
    {"i32", WB_I32},         {"i64", WB_I64},         {"f32", WB_F32},   {"f64", WB_F64},
    {"v128", WB_V128},       {"funcref", WB_FUNCREF}, {"externref", WB_EXTERNREF},
};

const char *st_type_name(uint8_t type)
{
    for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
        if (type_names[i].type == type)
            return type_names[i].name;
    return "?";
}

static int parse_type(const char *s, uint8_t *out)
{
    for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++) {
        if (strcmp(type_names[i].name, s) == 0) {
            *out = type_names[i].type;
            return 0;
        }
    }
    return -1;
}

/* Unsigned decimal bit pattern, at most `max`. */
static int parse_bits(const char *s, uint64_t max, uint64_t *out)
{
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max)
        return -1;
    *out = v;
    return 0;
}

static int parse_number(const char *s, st_value *out, bool expected)
{
    bool is32 = out->type == WB_I32 || out->type == WB_F32;
    bool isfloat = out->type == WB_F32 || out->type == WB_F64;
    if (expected && isfloat && strcmp(s, "nan:canonical") == 0) {
        out->kind = ST_EXPECT_NAN_CANONICAL;
        return 0;
    }
    if (expected && isfloat && strcmp(s, "nan:arithmetic") == 0) {
        out->kind = ST_EXPECT_NAN_ARITHMETIC;
        return 0;
    }
    out->kind = ST_EXPECT_BITS;
    return parse_bits(s, is32 ? UINT32_MAX : UINT64_MAX, &out->bits);
}

static int parse_ref(const char *s, st_value *out)
{
    out->kind = ST_EXPECT_BITS;
    if (strcmp(s, "null") == 0) {
        out->bits = 0;
        return 0;
    }
    uint64_t n;
    /* A non-null funcref cannot be named in JSON; a host ref N needs N + 1 to fit. */
    if (out->type != WB_EXTERNREF || parse_bits(s, UINT64_MAX - 1, &n) < 0)
        return -1;
    out->bits = ST_EXTERNREF(n);
    return 0;
}

int st_value_parse(json_t *jv, bool expected, st_value *out, char *why, size_t whylen)
{
    const char *tname = json_string_value(json_object_get(jv, "type"));
    if (!tname || parse_type(tname, &out->type) < 0) {
        snprintf(why, whylen, "unknown value type \"%s\"", tname ? tname : "(none)");
        return -1;
    }
    json_t *jval = json_object_get(jv, "value");
    if (!jval && expected) {
        out->kind = ST_EXPECT_ANY;
        out->bits = 0;
        return 0;
    }
    if (out->type == WB_V128) {
        snprintf(why, whylen, "v128 values cannot cross the engine API (wb_val is 64 bits)");
        return -1;
    }
    const char *s = json_string_value(jval);
    if (!s) {
        snprintf(why, whylen, "%s value is not a string", tname);
        return -1;
    }
    bool isref = out->type == WB_FUNCREF || out->type == WB_EXTERNREF;
    int ret = isref ? parse_ref(s, out) : parse_number(s, out, expected);
    if (ret < 0)
        snprintf(why, whylen, "bad %s value \"%s\"", tname, s);
    return ret;
}

bool st_value_matches(const st_value *want, uint8_t type, wb_val got)
{
    if (want->type != type)
        return false;
    if (want->kind == ST_EXPECT_ANY)
        return true;
    uint32_t g32 = (uint32_t)got;
    switch (want->kind) {
    case ST_EXPECT_NAN_CANONICAL:
        if (type == WB_F32)
            return (g32 & F32_CANONICAL_MASK) == F32_CANONICAL_NAN;
        return (got & F64_CANONICAL_MASK) == F64_CANONICAL_NAN;
    case ST_EXPECT_NAN_ARITHMETIC:
        if (type == WB_F32)
            return (g32 & F32_QUIET_NAN) == F32_QUIET_NAN;
        return (got & F64_QUIET_NAN) == F64_QUIET_NAN;
    default:
        break;
    }
    /* i32 and f32 live in the low 32 bits of the slot. */
    if (type == WB_I32 || type == WB_F32)
        return g32 == (uint32_t)want->bits;
    return got == want->bits;
}

static void format_float32(uint32_t bits, char *buf, size_t len)
{
    float f;
    memcpy(&f, &bits, sizeof f);
    snprintf(buf, len, "f32 0x%08" PRIx32 " (%.9g)", bits, (double)f);
}

static void format_float64(uint64_t bits, char *buf, size_t len)
{
    double d;
    memcpy(&d, &bits, sizeof d);
    snprintf(buf, len, "f64 0x%016" PRIx64 " (%.17g)", bits, d);
}

void st_value_format(uint8_t type, wb_val v, char *buf, size_t len)
{
    switch (type) {
    case WB_I32:
        snprintf(buf, len, "i32 %" PRIu32 " (0x%" PRIx32 ")", (uint32_t)v, (uint32_t)v);
        break;
    case WB_I64:
        snprintf(buf, len, "i64 %" PRIu64 " (0x%" PRIx64 ")", v, v);
        break;
    case WB_F32:
        format_float32((uint32_t)v, buf, len);
        break;
    case WB_F64:
        format_float64(v, buf, len);
        break;
    case WB_EXTERNREF:
        if (v == 0)
            snprintf(buf, len, "externref null");
        else
            snprintf(buf, len, "externref %" PRIu64, v - 1);
        break;
    case WB_FUNCREF:
        if (v == 0)
            snprintf(buf, len, "funcref null");
        else
            snprintf(buf, len, "funcref 0x%" PRIx64, v);
        break;
    default:
        snprintf(buf, len, "%s 0x%" PRIx64, st_type_name(type), v);
        break;
    }
}

void st_expect_format(const st_value *want, char *buf, size_t len)
{
    const char *tname = st_type_name(want->type);
    switch (want->kind) {
    case ST_EXPECT_NAN_CANONICAL:
        snprintf(buf, len, "%s nan:canonical", tname);
        break;
    case ST_EXPECT_NAN_ARITHMETIC:
        snprintf(buf, len, "%s nan:arithmetic", tname);
        break;
    case ST_EXPECT_ANY:
        snprintf(buf, len, "%s (any)", tname);
        break;
    default:
        st_value_format(want->type, want->bits, buf, len);
        break;
    }
}

void st_name_format(const char *s, size_t n, char *buf, size_t len)
{
    size_t o = 0, i = 0;
    if (len < 8) {
        if (len)
            buf[0] = '\0';
        return;
    }
    /* Each byte takes at most 3 chars; keep room for "..." and the NUL. */
    for (; i < n && o + 3 + 4 <= len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"')
            buf[o++] = (char)c;
        else
            o += (size_t)snprintf(buf + o, len - o, "\\%02x", c);
    }
    if (i < n) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
}
