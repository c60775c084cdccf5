/*
 * coremark_like.c — a CoreMark-like mix of the four kernels CoreMark times.
 *
 * CoreMark's sources are not packaged in Debian or npm, so this is a fresh
 * program with the same shape: each iteration runs (1) linked-list work: find,
 * reverse and merge-sort a list of small records; (2) matrix work on int16
 * matrices: add/multiply by constants, matrix-vector and matrix-matrix products
 * with bit extraction; (3) a state machine that scans a buffer of number-like
 * tokens and counts transitions; and (4) a bitwise CRC-16 folding every result
 * together. The final CRC is the checksum. Iterations from argv[1] (default 3000).
 * Like CoreMark it is integer code dominated by small loops, loads, branches and
 * calls — the mix where interpreter dispatch overhead shows most.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- CRC-16 (CCITT-style, reflected, bit at a time as CoreMark does) ---- */

static uint16_t crc8(uint8_t data, uint16_t crc)
{
    for (int i = 0; i < 8; i++) {
        uint8_t x16 = (uint8_t)((data & 1) ^ ((uint8_t)crc & 1));
        data >>= 1;
        if (x16 == 1) {
            crc ^= 0x4002;
            crc = (uint16_t)((crc >> 1) | 0x8000);
        } else {
            crc >>= 1;
        }
    }
    return crc;
}

static uint16_t crc16(int16_t v, uint16_t crc)
{
    crc = crc8((uint8_t)v, crc);
    return crc8((uint8_t)((uint16_t)v >> 8), crc);
}

static uint16_t crc32v(int32_t v, uint16_t crc)
{
    crc = crc16((int16_t)v, crc);
    return crc16((int16_t)(v >> 16), crc);
}

/* ---- (1) list kernel --------------------------------------------------- */

typedef struct node {
    struct node *next;
    int16_t data;
    int16_t idx;
} node;

#define LIST_LEN 200

static node *list_build(node *pool, int n, uint16_t seed)
{
    for (int i = 0; i < n; i++) {
        pool[i].next = i + 1 < n ? &pool[i + 1] : NULL;
        pool[i].idx = (int16_t)i;
        uint16_t d = (uint16_t)((seed ^ (i * 0x2b)) & 0xff);
        pool[i].data = (int16_t)(((d & 0x7) << 8) | d);
    }
    return &pool[0];
}

static node *list_reverse(node *head)
{
    node *prev = NULL;
    while (head) {
        node *next = head->next;
        head->next = prev;
        prev = head;
        head = next;
    }
    return prev;
}

static node *list_find(node *head, int16_t data, int16_t idx)
{
    if (idx >= 0) {
        while (head && head->idx != idx)
            head = head->next;
    } else {
        while (head && (head->data & 0xff) != data)
            head = head->next;
    }
    return head;
}

typedef int (*cmp_fn)(const node *a, const node *b);

static int cmp_idx(const node *a, const node *b) { return a->idx - b->idx; }

/* Compares a value computed from data, as CoreMark's cmp_complex does: the work
 * of the comparison depends on the record. */
static int16_t data_key(int16_t d)
{
    int16_t v = d & 0xff;
    if (d & 0x100)
        v = (int16_t)((v * 3 + 7) & 0xff);
    return v;
}

static int cmp_data(const node *a, const node *b) { return data_key(a->data) - data_key(b->data); }

/* Bottom-up merge sort of a singly linked list (stable, no recursion). */
static node *list_sort(node *list, cmp_fn cmp)
{
    if (!list)
        return NULL;
    for (int insize = 1;; insize *= 2) {
        node *p = list, *tail = NULL;
        list = NULL;
        int merges = 0;
        while (p) {
            merges++;
            node *q = p;
            int psize = 0;
            for (int i = 0; i < insize && q; i++) {
                psize++;
                q = q->next;
            }
            int qsize = insize;
            while (psize > 0 || (qsize > 0 && q)) {
                node *e;
                if (psize == 0) {
                    e = q; q = q->next; qsize--;
                } else if (qsize == 0 || !q || cmp(p, q) <= 0) {
                    e = p; p = p->next; psize--;
                } else {
                    e = q; q = q->next; qsize--;
                }
                if (tail)
                    tail->next = e;
                else
                    list = e;
                tail = e;
            }
            p = q;
        }
        tail->next = NULL;
        if (merges <= 1)
            return list;
    }
}

static uint16_t list_bench(node *pool, uint16_t seed, uint16_t crc)
{
    node *head = list_build(pool, LIST_LEN, seed);
    int found = 0, missed = 0;
    for (int i = 0; i < 24; i++) {
        node *hit = list_find(head, (int16_t)((seed + i * 7) & 0xff), (int16_t)(i & 1 ? -1 : i * 5));
        if (hit) {
            found++;
            crc = crc16(hit->data, crc);
        } else {
            missed++;
        }
        head = list_reverse(head);
    }
    head = list_sort(head, cmp_data);
    for (node *p = head; p; p = p->next)
        crc = crc16(p->data, crc);
    head = list_sort(head, cmp_idx);
    for (node *p = head; p; p = p->next)
        crc = crc16(p->idx, crc);
    return crc16((int16_t)(found * 4 - missed), crc);
}

/* ---- (2) matrix kernel ------------------------------------------------- */

#define MN 24

static void mat_add_const(int16_t *a, int16_t k)
{
    for (int i = 0; i < MN * MN; i++)
        a[i] = (int16_t)(a[i] + k);
}

static void mat_mul_const(int32_t *c, const int16_t *a, int16_t k)
{
    for (int i = 0; i < MN * MN; i++)
        c[i] = (int32_t)a[i] * k;
}

static void mat_mul_vec(int32_t *c, const int16_t *a, const int16_t *b)
{
    for (int i = 0; i < MN; i++) {
        int32_t s = 0;
        for (int j = 0; j < MN; j++)
            s += (int32_t)a[i * MN + j] * b[j];
        c[i] = s;
    }
}

static void mat_mul_mat(int32_t *c, const int16_t *a, const int16_t *b)
{
    for (int i = 0; i < MN; i++)
        for (int j = 0; j < MN; j++) {
            int32_t s = 0;
            for (int k = 0; k < MN; k++)
                s += (int32_t)a[i * MN + k] * b[k * MN + j];
            c[i * MN + j] = s;
        }
}

static void mat_mul_mat_bits(int32_t *c, const int16_t *a, const int16_t *b)
{
    for (int i = 0; i < MN; i++)
        for (int j = 0; j < MN; j++) {
            int32_t s = 0;
            for (int k = 0; k < MN; k++) {
                int32_t t = (int32_t)a[i * MN + k] * b[k * MN + j];
                s += (t >> 2) & 0xf;
                s *= (t >> 5) & 0x7f;
            }
            c[i * MN + j] = s;
        }
}

/* Folds a result matrix into a small value the way CoreMark's matrix_sum does. */
static int16_t mat_sum(const int32_t *c, int n, int32_t clip)
{
    int32_t tmp = 0, prev = 0;
    int16_t ret = 0;
    for (int i = 0; i < n; i++) {
        int32_t cur = c[i];
        tmp += cur;
        if (tmp > clip) {
            ret = (int16_t)(ret + 10);
            tmp = 0;
        } else {
            ret = (int16_t)(ret + (cur > prev ? 1 : 0));
        }
        prev = cur;
    }
    return ret;
}

static uint16_t matrix_bench(int16_t *a, int16_t *b, int32_t *c, int16_t k, uint16_t crc)
{
    int32_t clip = 0x7fff0 | k;
    mat_add_const(a, k);
    mat_mul_const(c, a, k);
    crc = crc16(mat_sum(c, MN * MN, clip), crc);
    mat_mul_vec(c, a, b);
    crc = crc16(mat_sum(c, MN, clip), crc);
    mat_mul_mat(c, a, b);
    crc = crc16(mat_sum(c, MN * MN, clip), crc);
    mat_mul_mat_bits(c, a, b);
    crc = crc16(mat_sum(c, MN * MN, clip), crc);
    mat_add_const(a, (int16_t)-k);
    return crc;
}

/* ---- (3) state machine kernel ------------------------------------------ */

enum state { S_START, S_INVALID, S_S1, S_INT, S_FLOAT, S_EXP, S_S2, S_SCI, S_COUNT };

static int is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

/* Advances over one token, counting the transitions through each state. */
static enum state next_token(const uint8_t **pp, uint32_t *transitions)
{
    const uint8_t *p = *pp;
    enum state s = S_START;
    for (; *p && s != S_INVALID; p++) {
        uint8_t ch = *p;
        if (ch == ',') {
            p++;
            break;
        }
        enum state prev = s;
        switch (s) {
        case S_START:
            s = is_digit(ch) ? S_INT : (ch == '+' || ch == '-') ? S_S1 : ch == '.' ? S_FLOAT : S_INVALID;
            break;
        case S_S1:
            s = is_digit(ch) ? S_INT : ch == '.' ? S_FLOAT : S_INVALID;
            break;
        case S_INT:
            s = ch == '.' ? S_FLOAT : is_digit(ch) ? S_INT : S_INVALID;
            break;
        case S_FLOAT:
            s = (ch == 'E' || ch == 'e') ? S_S2 : is_digit(ch) ? S_FLOAT : S_INVALID;
            break;
        case S_S2:
            s = (ch == '+' || ch == '-') ? S_EXP : S_INVALID;
            break;
        case S_EXP:
            s = is_digit(ch) ? S_SCI : S_INVALID;
            break;
        case S_SCI:
            s = is_digit(ch) ? S_SCI : S_INVALID;
            break;
        default:
            break;
        }
        if (s != prev)
            transitions[s]++;
    }
    *pp = p;
    return s;
}

static const char *const tokens[] = {"5012", "1234", "-874", "+122", "35.54", ".1234", "-110.700",
                                     "+0.64400", "5.500e+3", "-.123e-2", "-87e+832", "+0.6e-12",
                                     "T0.3e-1F", "-T.T++Tq", "1T3.4e4z", "34.0e-T^"};
#define SM_LEN 2048

static void sm_fill(uint8_t *buf, uint32_t seed)
{
    size_t pos = 0;
    for (;;) {
        seed = seed * 1103515245u + 12345u;
        const char *t = tokens[(seed >> 16) & 15];
        size_t n = strlen(t);
        if (pos + n + 2 > SM_LEN)
            break;
        memcpy(buf + pos, t, n);
        pos += n;
        buf[pos++] = ',';
    }
    memset(buf + pos, 0, SM_LEN - pos);
}

static uint16_t state_bench(uint8_t *buf, uint32_t step, uint16_t crc)
{
    uint32_t final[S_COUNT] = {0}, transitions[S_COUNT] = {0};
    for (int pass = 0; pass < 2; pass++) {
        const uint8_t *p = buf;
        while (*p)
            final[next_token(&p, transitions)]++;
        /* Corrupt every step-th byte (then restore it) as CoreMark does. */
        for (uint32_t i = 0; i < SM_LEN && buf[i]; i += step)
            if (buf[i] != ',')
                buf[i] ^= 1;
    }
    for (int i = 0; i < S_COUNT; i++) {
        crc = crc32v((int32_t)final[i], crc);
        crc = crc32v((int32_t)transitions[i], crc);
    }
    return crc;
}

/* ---- driver ------------------------------------------------------------ */

int main(int argc, char **argv)
{
    long iterations = argc > 1 ? strtol(argv[1], NULL, 10) : 3000;
    static node pool[LIST_LEN];
    static int16_t a[MN * MN], b[MN * MN];
    static int32_t c[MN * MN];
    static uint8_t sm[SM_LEN];

    uint32_t x = 0x1234;
    for (int i = 0; i < MN * MN; i++) {
        x = x * 1103515245u + 12345u;
        a[i] = (int16_t)((x >> 16) & 0x3f);
        x = x * 1103515245u + 12345u;
        b[i] = (int16_t)(((x >> 16) & 0x3f) - 16);
    }
    sm_fill(sm, 0x66);

    uint16_t crc = 0;
    for (long it = 0; it < iterations; it++) {
        uint16_t seed = (uint16_t)(it * 37 + 11);
        crc = list_bench(pool, seed, crc);
        crc = matrix_bench(a, b, c, (int16_t)((it & 7) + 1), crc);
        crc = state_bench(sm, (uint32_t)(it % 5) + 3, crc);
    }
    printf("coremark-like %ld iterations: crc %04x\n", iterations, crc);
    return 0;
}
