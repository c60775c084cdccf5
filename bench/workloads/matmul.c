/*
 * matmul.c — dense double-precision matrix multiply, C = A * B.
 *
 * Stresses f64 arithmetic and indexed loads/stores in a tight triple loop
 * (i-k-j order, so the inner loop walks rows contiguously). n from argv[1]
 * (default 512); inputs come from a fixed integer generator so native and wasm
 * builds compute bit-identical results, and the checksum is printed exactly.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t rng_state = 12345;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static void matmul(const double *a, const double *b, double *c, uint32_t n)
{
    memset(c, 0, sizeof(double) * n * n);
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t k = 0; k < n; k++) {
            double aik = a[i * n + k];
            const double *brow = b + k * n;
            double *crow = c + i * n;
            for (uint32_t j = 0; j < n; j++)
                crow[j] += aik * brow[j];
        }
}

int main(int argc, char **argv)
{
    uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 512;
    double *a = malloc(sizeof(double) * n * n);
    double *b = malloc(sizeof(double) * n * n);
    double *c = malloc(sizeof(double) * n * n);
    if (!a || !b || !c) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    for (uint32_t i = 0; i < n * n; i++) {
        a[i] = (double)(rng() % 1000) / 64.0 - 7.0;
        b[i] = (double)(rng() % 1000) / 32.0 - 15.0;
    }
    matmul(a, b, c, n);
    /* Sum in a fixed order and hash the bit patterns: exact, no printf rounding. */
    double sum = 0;
    uint64_t hash = 1469598103934665603ull;
    for (uint32_t i = 0; i < n * n; i++) {
        uint64_t bits;
        memcpy(&bits, &c[i], sizeof bits);
        hash = (hash ^ bits) * 1099511628211ull;
        sum += c[i];
    }
    printf("matmul %u: sum %.6f hash %016llx\n", n, sum, (unsigned long long)hash);
    free(a);
    free(b);
    free(c);
    return 0;
}
