/*
 * fib.c — recursive Fibonacci on uint64, the seed article's workload.
 *
 * Measures call overhead: fib(35) makes about 30 million calls and does almost
 * nothing else. n comes from argv (default 35) so no compiler can fold the result.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t fib(uint64_t n)
{
    if (n < 2)
        return n;
    return fib(n - 1) + fib(n - 2);
}

int main(int argc, char **argv)
{
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 35;
    printf("Fibonacci(%llu) = %llu\n", (unsigned long long)n, (unsigned long long)fib(n));
    return 0;
}
