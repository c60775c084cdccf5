/*
 * sieve.c — sieve of Eratosthenes over a byte array.
 *
 * Stresses byte loads and stores with a large stride and a simple inner loop:
 * the interpreter's memory-access path and loop back-edges. Sieves the numbers
 * below `limit` (argv[1], default 32 Mi) `rounds` times (argv[2], default 8)
 * and prints the prime count.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t sieve(uint8_t *composite, uint32_t limit)
{
    memset(composite, 0, limit);
    uint32_t count = 0;
    for (uint32_t i = 2; i < limit; i++) {
        if (composite[i])
            continue;
        count++;
        for (uint64_t j = (uint64_t)i * i; j < limit; j += i)
            composite[j] = 1;
    }
    return count;
}

int main(int argc, char **argv)
{
    uint32_t limit = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 32u << 20;
    uint32_t rounds = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 8;
    uint8_t *composite = malloc(limit);
    if (!composite) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    uint32_t count = 0;
    for (uint32_t r = 0; r < rounds; r++)
        count = sieve(composite, limit);
    printf("primes below %u: %u\n", limit, count);
    free(composite);
    return 0;
}
